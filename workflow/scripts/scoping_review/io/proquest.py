"""ProQuest's plain-text export ("Report Information from ProQuest") as a long field frame.

Layout (ProQuest platform, any database: PsycINFO, ABI/INFORM, Dissertations & Theses ...)::

    ____________________________________________________________
    Report Information from ProQuest          <- report header, table of contents: no records
    ...
    ____________________________________________________________

    Document 1 of 100                         <- a record starts

    Entrenchment and the Kripke-Wittgenstein paradox     <- heading: the displayed title
    Author: Dorst, Chris                      <- ``Label: value`` fields
    http://search.proquest.com/docview/...    <- an untagged link: the document URL
    Abstract: Surprisingly little ...         <- further paragraphs continue the field
    Links: http://...                         <- an untagged link after Links: another link
    ...
    ____________________________________________________________   <- the record ends

    Bibliography                              <- citations of the same documents: no records

A line is a field when it starts with ``Label: `` (a label of at most 60 characters, starting
with a capital letter). Inside a free-text field (abstract, full text, notes) only the labels
ProQuest is known to write start a new field, so a paragraph such as ``Conclusion: ...`` stays in
the abstract. Field order, every label and every value are kept (tags are the labels).

``n_raw`` counts ``Document N of M`` lines with a regular expression over the raw text,
independently of the reader; a document with no field is a reject keeping its raw text. The
notes say how many lines lay outside documents and whether the documents found disagree with
the ``of M`` the export announces (a truncated download).
"""

from __future__ import annotations

import re

import polars as pl

from .tagged import Parsed, RawReject, normalise_newlines

_DOC = re.compile(r"^Document (\d+) of (\d+)\s*$")
_DOC_COUNT = re.compile(r"^Document \d+ of \d+[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^_{20,}\s*$")
_LABEL = re.compile(r"^([A-Z][A-Za-z0-9 /()&,.'\-]{0,59}?):(?: (.*)|\s*)$")
_URL = re.compile(r"^https?://\S+$")
# in a file mixing line ends every bare CR ends a line: ProQuest writes no break inside a line
# (a paragraph is a line), and a bare CR before "Document N of M" or a label hid a document
_EVERY_CR = ""

HEADING = "Heading"  # the tag of the displayed title line under "Document N of M"
URL = "Document URL"  # the tag of an untagged link line outside a Links field

# labels ProQuest writes (its field list for plain-text exports); any other label-shaped line
# starts a field too, except inside the free-text fields
KNOWN_LABELS = frozenset(
    {
        "Abstract", "Accession number", "Advisor", "Affiliation", "Alternate title",
        "Author", "Author e-mail address", "Availability", "Classification",
        "Committee member", "Company / organization", "Conference title", "Copyright",
        "Corporate author", "Country of publication", "Database", "Degree", "Degree date",
        "Department", "Dissertation/thesis number", "Document URL", "Document feature",
        "Document type", "DOI", "E-mail", "Editor", "First page", "Full text",
        "Identifier / keyword", "Illustration", "ISBN", "ISSN", "Issue", "Journal subset",
        "Language", "Language of publication", "Last updated", "Links", "Location",
        "Methodology", "MeSH subject", "Notes", "Number of pages", "Number of references",
        "Pages", "People", "Place of publication", "Population", "Publication date",
        "Publication history", "Publication note", "Publication subject", "Publication title",
        "Publication year", "Publisher", "ProQuest document ID", "PubMed ID", "References",
        "Release date", "School code", "Section", "Source", "Source attribute", "Source type",
        "Subject", "Supplemental data", "Tests and measures", "Title", "University location",
        "University/institution", "Update", "Volume", "Year",
    }
)  # fmt: skip
FREE_TEXT = frozenset({"Abstract", "Full text", "Notes", "References", "Heading"})


def detect(text: str) -> bool:
    """Whether ``text`` (the head of a file) is a ProQuest plain-text export."""
    head = normalise_newlines(text[:20000], _EVERY_CR).split("\n")[:400]
    lines = [ln.strip("\ufeff \t") for ln in head]
    if any(ln.startswith("Report Information from ProQuest") for ln in lines[:20]):
        return True
    for i, line in enumerate(lines):
        if _DOC.match(line):
            rest = lines[i + 1 : i + 40]
            return any(
                (m := _LABEL.match(ln)) is not None and m.group(1) in KNOWN_LABELS for ln in rest
            )
    return False


def parse(text: str) -> Parsed:
    lines = normalise_newlines(text, _EVERY_CR).split("\n")
    rec_ids: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    starts: list[int] = []
    rejects: list[RawReject] = []
    announced: set[int] = set()
    numbers: list[int] = []
    outside = 0

    current: list[list[str]] | None = None  # the open document's fields: [tag, value]
    doc_line = 0
    doc_first = 0
    blank_before = False

    def close(end: int) -> None:
        nonlocal current
        if current is None:
            return
        fields = [f for f in current if f[0] != HEADING or f[1]]
        if not any(tag != HEADING for tag, _ in fields):
            rejects.append(
                RawReject(
                    doc_line,
                    "ProQuest document has no labelled fields",
                    "\n".join(lines[doc_first:end]).strip(),
                )
            )
        else:
            rec = len(starts)
            starts.append(doc_line)
            for tag, value in fields:
                rec_ids.append(rec)
                tags.append(tag)
                values.append(value.strip())
        current = None

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        doc = _DOC.match(line.lstrip("\ufeff"))
        if doc:
            close(i)
            current, doc_line, doc_first = [], i + 1, i
            numbers.append(int(doc.group(1)))
            announced.add(int(doc.group(2)))
            blank_before = False
            continue
        if current is None:
            if line.strip():
                outside += 1
            continue
        if _RULE.match(line):
            close(i)
            continue
        if not line.strip():
            blank_before = True
            continue
        open_tag = current[-1][0] if current else None
        label = _LABEL.match(line)
        if label and (open_tag not in FREE_TEXT or label.group(1) in KNOWN_LABELS):
            if open_tag is None and label.group(1) not in KNOWN_LABELS:
                # the heading under "Document N of M" is a title that may hold a colon
                current.append([HEADING, line.strip()])
            else:
                current.append([label.group(1), label.group(2) or ""])
        elif open_tag is None:
            current.append([HEADING, line.strip()])
        elif _URL.match(line.strip()) and blank_before:
            if open_tag in ("Links", URL):
                current.append([open_tag, line.strip()])
            else:
                current.append([URL, line.strip()])
        else:
            joiner = "\n" if blank_before else " "
            value = current[-1][1]
            current[-1][1] = f"{value}{joiner}{line.strip()}" if value else line.strip()
        blank_before = False
    close(len(lines))

    notes: list[str] = []
    if outside:
        notes.append(
            f"{outside} line(s) outside any document (report header, table of contents, "
            f"bibliography) not read as records"
        )
    found = len(numbers)
    if announced and found:
        total = max(announced)
        missing = sorted(set(range(1, total + 1)) - set(numbers))
        if missing:
            notes.append(
                f"the export announces {total} documents but {found} are in the file "
                f"(missing: {missing[:5]}{'...' if len(missing) > 5 else ''}): truncated?"
            )
    fields = pl.DataFrame(
        {"rec": rec_ids, "fid": range(len(rec_ids)), "tag": tags, "value": values},
        schema={"rec": pl.Int64, "fid": pl.Int64, "tag": pl.String, "value": pl.String},
    )
    start_frame = pl.DataFrame(
        {"rec": range(len(starts)), "line": starts}, schema={"rec": pl.Int64, "line": pl.Int64}
    )
    n_raw = len(_DOC_COUNT.findall(normalise_newlines(text, _EVERY_CR)))
    return Parsed(fields, start_frame, rejects, n_raw, notes)
