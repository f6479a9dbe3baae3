"""One reader for the line-tagged export families: RIS, PubMed MEDLINE (.nbib) and WoS text.

A :class:`TaggedFormat` says, as data, how a tag line looks, which tag opens and which closes a
record, and how continuation lines behave. :func:`parse` walks the lines once and returns the
records (each a list of ``(tag, value)`` in file order, with the line it started on), the
rejects (with line and reason) and ``n_raw``: the record starts counted straight from the text
by the start-tag pattern. The caller reconciles ``n_raw == len(records) + len(rejects)``.

Known traps handled here: a BOM never reaches this module (see :mod:`.decode`); a last record
without its end tag is kept (and noted); a start tag inside an unterminated record closes the
previous one; an end tag alone (an empty record) is not a record start and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TaggedFormat:
    name: str
    tag_line: re.Pattern[str]  # groups: tag, value
    start_tag: str
    end_tag: str | None  # None: records end at a blank line or the next start tag
    continuation: re.Pattern[str] | None  # group 1: the continued value; None: any untagged line
    list_tags: frozenset[str] = frozenset()  # continuation lines of these tags are new values
    header_tags: frozenset[str] = frozenset()  # file-level tags outside records (WoS FN, VR, EF)
    # counts record starts in the raw text, independently of the line walker
    start_pattern: re.Pattern[str] = re.compile(r"(?!)")

    def count_starts(self, text: str) -> int:
        return len(self.start_pattern.findall(text))


RIS = TaggedFormat(
    name="ris",
    tag_line=re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|)$"),
    start_tag="TY",
    end_tag="ER",
    continuation=None,
    start_pattern=re.compile(r"^TY {1,2}-", re.MULTILINE),
)

MEDLINE = TaggedFormat(
    name="medline",
    tag_line=re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- (.*)$"),
    start_tag="PMID",
    end_tag=None,
    continuation=re.compile(r"^ {6}(.*)$"),
    start_pattern=re.compile(r"^PMID {0,3}- ", re.MULTILINE),
)

WOS = TaggedFormat(
    name="wos",
    tag_line=re.compile(r"^([A-Z][A-Z0-9])(?: (.*)|)$"),
    start_tag="PT",
    end_tag="ER",
    continuation=re.compile(r"^ {2,3}(.*)$"),
    list_tags=frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "CR", "C1", "ED"}),
    header_tags=frozenset({"FN", "VR", "EF"}),
    start_pattern=re.compile(r"^PT [A-Z]", re.MULTILINE),
)


@dataclass
class RawRecord:
    line: int  # 1-based line of the start tag
    fields: list[tuple[str, str]] = field(default_factory=list)
    terminated: bool = False


@dataclass(frozen=True)
class RawReject:
    line: int
    reason: str
    raw: str


@dataclass
class Parsed:
    records: list[RawRecord]
    rejects: list[RawReject]
    n_raw: int
    notes: list[str]


def parse(text: str, fmt: TaggedFormat) -> Parsed:
    """Parse ``text`` (already decoded, newlines of any kind) in format ``fmt``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    records: list[RawRecord] = []
    rejects: list[RawReject] = []
    notes: list[str] = []
    current: RawRecord | None = None
    current_raw: list[str] = []
    last_tag: str | None = None

    def close(end_line: int, terminated: bool) -> None:
        nonlocal current, current_raw
        if current is None:
            return
        current.terminated = terminated
        if len(current.fields) <= 1:
            rejects.append(
                RawReject(
                    current.line, "record has no fields after its start tag", "\n".join(current_raw)
                )
            )
        else:
            records.append(current)
        if not terminated and fmt.end_tag is not None:
            notes.append(
                f"record starting at line {current.line} has no {fmt.end_tag} "
                f"before line {end_line}; kept"
            )
        current, current_raw = None, []

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if fmt.end_tag is None and current is not None:
                close(number, True)
            continue
        match = fmt.tag_line.match(line)
        if match and not (fmt.continuation and fmt.continuation.match(line)):
            tag, value = match.group(1), (match.group(2) or "").strip()
            if tag == fmt.start_tag:
                if current is not None:
                    close(number, False)
                current = RawRecord(number, [(tag, value)])
                current_raw = [line]
                last_tag = tag
                continue
            if fmt.end_tag is not None and tag == fmt.end_tag:
                if current is not None:
                    current_raw.append(line)
                    close(number, True)
                last_tag = None
                continue
            if current is None:
                if tag not in fmt.header_tags:
                    notes.append(f"line {number}: tag {tag} outside any record ignored")
                continue
            current.fields.append((tag, value))
            current_raw.append(line)
            last_tag = tag
            continue
        # an untagged line: continuation of the previous tag, or junk between records
        if current is None or last_tag is None:
            notes.append(f"line {number}: text outside any record ignored")
            continue
        cont = fmt.continuation.match(line) if fmt.continuation else None
        value = (cont.group(1) if cont else line).strip()
        current_raw.append(line)
        if last_tag in fmt.list_tags:
            current.fields.append((last_tag, value))
        else:
            tag, previous = current.fields[-1]
            current.fields[-1] = (tag, f"{previous} {value}".strip())
    if current is not None:
        close(len(lines), fmt.end_tag is None)
    n_raw = fmt.count_starts("\n".join(lines))
    return Parsed(records, rejects, n_raw, notes)


def detect(text: str) -> str | None:
    """Guess the export family from its first meaningful lines."""
    head = [ln for ln in text.replace("\r", "\n").split("\n")[:60] if ln.strip()]
    for line in head:
        stripped = line.lstrip("\ufeff")
        if stripped.startswith(("FN ", "VR ")) or re.match(r"^PT [A-Z]$", stripped):
            return "wos"
        if re.match(r"^PMID- ?\d", stripped):
            return "medline"
        if re.match(r"^TY {1,2}-", stripped):
            return "ris"
        if stripped.lstrip().startswith("@"):
            return "bibtex"
        if stripped.lstrip().startswith("<?xml") or "<records>" in stripped:
            return "endnote_xml"
    return None
