"""BibTeX: a tolerant block and field splitter, bibtexparser v2's name handling and pylatexenc's
LaTeX decoding (bibtexparser's own LaTeX middleware, made faster: common markup in one regex pass
built from pylatexenc's macro database, see :mod:`.bibtex_latex`; the rest by its parse).

Why not ``bibtexparser.parse_string``: on real exports it loses fields silently (Scopus writes
``note={cited By 0}`` without the comma before the next field; bibtexparser reads the next field
into the note's value), rejects whole entries for one malformed author list, and runs at about
100 KB/s. The splitter here reads what reference managers read:

- blocks start at ``@type{`` or ``@type(`` at a line start; ``@comment`` and ``@preamble`` are
  skipped, ``@string`` definitions are resolved in bare values (case-insensitive, ``#``
  concatenation of parts);
- values are ``{...}`` (balanced braces; escaped braces do not count), ``"..."`` or bare words;
- recovered, each counted in a note naming the entries: a missing comma between two fields; a
  value whose braces never close (it runs to the next line that starts a field, or to the end of
  the entry: nothing after it is lost); text between fields that is no field (kept in the note);
  an entry without a key (its fields are kept; the record gets a hash ID); an entry cut off at
  the end of the file; an author list that bibtexparser's strict name parser refuses (parsed
  leniently, or kept whole);
- a block is rejected (with its line and raw text) only when nothing can be recovered from it:
  no key and no field;
- URL-like fields (``url``, ``doi``, ``file``, ``eprint``, ``pdf``, ``link``) are verbatim, and a
  ``%`` or ``&`` without a backslash is a literal character (LaTeX would read a comment or an
  alignment tab and drop the rest of the value).

A repeated key is still a record and a repeated field keeps every value (both noted). ``n_raw``
is counted from the text by a separate expression (``@type{`` at a line start, comments, strings
and preambles excluded) for the caller's reconciliation.
"""

from __future__ import annotations

import re

from ..wording import first_few

# the value helpers are re-exported here too: tests and callers name them as io.bibtex's
from .bibtex_values import (  # noqa: F401
    _AND,
    _ESCAPED,
    _SIMPLE_NAME,
    NAME_FIELDS,
    UNPARSED,
    VERBATIM,
    _FastLatexDecoding,
    decode_latex,
    split_names,
)
from .lines import bare_cr_as_lf
from .tagged import Parsed, RawReject

_ENTRY_START = re.compile(
    r"^[ \t]*@(?!comment|string|preamble)[A-Za-z]+\s*[{(]", re.MULTILINE | re.IGNORECASE
)


# a block starts where ``_ENTRY_START`` (the independent count) would see one, and also at
# ``@comment``, ``@string`` and ``@preamble`` (any type starting with those words, as it reads)
_BLOCK = re.compile(r"^[ \t]*@([A-Za-z]+)\s*([{(])", re.MULTILINE)
_NOT_ENTRIES = ("comment", "string", "preamble")
_SKIP = re.compile(r"[\s,]*")
_SPACE = re.compile(r"\s*")
_KEY = re.compile(r"[ \t]*([^,\n{}()=\"#]*?)[ \t]*(?=[,\n})=]|$)")
# a field name: what bibtexparser accepts, with at most one inner space ("key words") and
# Scopus's no-break space ("funding_text\u00a01")
_NAME = r"[A-Za-z_][^\s=,{}\"#()%\\]*(?:[ \t\u00a0]+[^\s=,{}\"#()%\\]+)?"
_FIELD = re.compile(f"({_NAME})\\s*=\\s*")
_BARE = re.compile(r"[^\s,#{}()\"]+")
_BRACES = re.compile(r"(?<!\\)[{}]")
_QUOTE_OR_BRACES = re.compile(r'(?<!\\)[{}"]')
# a whole field without nested braces, quotes or backslashes, up to its comma (or the closing
# delimiter, left for the loop to see)
_SIMPLE_FIELD = {
    close: re.compile(
        f"[\\s,]*({_NAME})\\s*=\\s*"
        f'(?:\\{{([^{{}}\\\\]*)\\}}|"([^"{{}}\\\\]*)"|(\\d+))'
        f"\\s*(?:,|(?={re.escape(close)}))"
    )
    for close in "})"
}
_CLOSING_LINE = re.compile(r"\n[ \t]*[})][ \t]*$")
_FIELD_LINE = re.compile(f'\\n[ \\t]*{_NAME}[ \\t]*=[ \\t]*[{{"0-9A-Za-z]')


def _closing(text: str, pos: int, end: int, quoted: bool) -> int:
    """Index just after the delimiter that closes the value opened at ``pos`` (``{`` or ``"``),
    or -1 when it does not close before ``end``."""
    if not quoted:
        j = text.find("}", pos + 1, end)
        if j < 0:
            return -1
        inner = text[pos + 1 : j]
        if "{" not in inner and "\\" not in inner:
            return j + 1
    depth = 0
    pattern = _QUOTE_OR_BRACES if quoted else _BRACES
    for match in pattern.finditer(text, pos + 1, end):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                if not quoted:
                    return match.end()
                continue  # a stray closing brace inside a quoted value
            depth -= 1
        elif depth == 0:  # a quote at depth 0 closes a quoted value
            return match.end()
    return -1


class _Entry:
    __slots__ = ("close", "fields", "junk", "key", "line", "missing_commas", "truncated",
                 "type", "unclosed")  # fmt: skip

    def __init__(self, kind: str, line: int) -> None:
        self.type = kind
        self.line = line
        self.key = ""
        self.fields: list[tuple[str, str | list[tuple[bool, str]]]] = []
        self.missing_commas = 0
        self.unclosed: list[str] = []
        self.junk: list[str] = []
        self.truncated = False
        self.close = -1


def _value(
    text: str, pos: int, end: int, entry: _Entry, name: str, cautious: bool
) -> tuple[list[tuple[bool, str]], int]:
    """The parts of a value starting at ``pos``: ``(is_reference, text)`` pairs, and the index
    after the value."""
    parts: list[tuple[bool, str]] = []
    while True:
        pos = _SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
        char = text[pos] if pos < end else ""
        if char in ("{", '"'):
            close = _closing(text, pos, end, char == '"')
            if close >= 0 and cautious:  # a value may not run over a line that starts a field
                over = _FIELD_LINE.search(text, pos, close)
                close = -1 if over is not None else close
            if close < 0:  # never closes: read to the next field line or the entry's end
                stop = _FIELD_LINE.search(text, pos, end)
                stop_at = stop.start() if stop else end
                body = text[pos + 1 : stop_at].rstrip()
                if stop is None:  # the entry's own closing line, when there is one
                    closed = _CLOSING_LINE.sub("", body)
                    if closed != body:
                        entry.close = stop_at
                    body = closed.rstrip()
                body = body.removesuffix(",").rstrip()
                entry.unclosed.append(name)
                parts.append((False, body))
                return parts, stop_at
            parts.append((False, text[pos + 1 : close - 1]))
            pos = close
        else:
            bare = _BARE.match(text, pos, end)
            if bare is None:
                break
            token = bare.group()
            parts.append((not token.isdigit(), token))
            pos = bare.end()
        after = _SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
        if after < end and text[after] == "#":
            pos = after + 1
            continue
        break
    return parts, pos


def _parse_block(text: str, start: int, end: int, kind: str, close_char: str, line: int) -> _Entry:
    """One ``@type{...}`` block from the index after its opening delimiter to ``end``.

    When the entry does not close (its braces are unbalanced: a value took the entry's closing
    brace), it is read again with values that may not run over a line starting a field."""
    entry = _read_block(text, start, end, kind, close_char, line, cautious=False)
    if entry.truncated:
        again = _read_block(text, start, end, kind, close_char, line, cautious=True)
        if len(again.fields) > len(entry.fields) or not again.truncated:
            return again
    return entry


def _read_block(
    text: str, start: int, end: int, kind: str, close_char: str, line: int, *, cautious: bool
) -> _Entry:
    entry = _Entry(kind, line)
    key = _KEY.match(text, start, end)
    pos = start
    if key is not None and key.end() <= end:
        after = text[key.end()] if key.end() < end else ""
        if after == "=":
            pos = start  # no key: the first thing is a field
        else:
            entry.key = key.group(1)
            pos = key.end()
    simple_field = _SIMPLE_FIELD[close_char]
    while True:
        simple = simple_field.match(text, pos, end)
        if simple is not None:  # the common case in one match: name = {text} or "text" or 12,
            value = simple.group(2)
            if value is None:
                value = simple.group(3) if simple.group(3) is not None else simple.group(4)
            entry.fields.append((simple.group(1).lower(), value))
            pos = simple.end()
            continue
        pos = _SKIP.match(text, pos, end).end()  # type: ignore[union-attr]
        if pos >= end:
            entry.truncated = entry.close < 0
            break
        char = text[pos]
        if char == close_char:
            entry.close = pos + 1
            break
        field = _FIELD.match(text, pos, end)
        if field is None:
            # text that is no field: skip to the next field line (it is kept in the note)
            stop = _FIELD_LINE.search(text, pos, end)
            stop_at = stop.start() if stop else end
            closing = text.find(close_char, pos, stop_at)
            if closing >= 0 and not text[pos:closing].strip(" \t\r\n,"):
                entry.close = closing + 1
                break
            junk = text[pos:stop_at].strip()
            if stop is None and junk.endswith(close_char):
                junk = junk[:-1].rstrip()
                entry.close = stop_at
            if junk:
                entry.junk.append(junk)
            pos = stop_at
            if stop is None:
                if entry.close < 0:
                    entry.truncated = True
                break
            continue
        name = field.group(1).lower()
        n_unclosed = len(entry.unclosed)
        parts, pos = _value(text, field.end(), end, entry, name, cautious)
        entry.fields.append((name, parts))
        next_at = _SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
        if (
            next_at < end
            and text[next_at] not in (",", close_char)
            and len(entry.unclosed) == n_unclosed  # an unclosed value ends before a field
            and _FIELD.match(text, next_at, end)
        ):
            entry.missing_commas += 1
        pos = next_at
    return entry


def _resolve(parts: str | list[tuple[bool, str]], strings: dict[str, str]) -> str:
    if isinstance(parts, str):
        return parts
    if len(parts) == 1 and not parts[0][0]:
        return parts[0][1]
    return "".join(strings.get(t.lower(), t) if ref else t for ref, t in parts)


_LEADING_ENTRY = re.compile(
    r"\A\ufeff?(?:[ \t]*(?:%[^\n]*)?\r?\n)*[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]"
)


def starts_like_bibtex(text: str) -> bool:
    """Whether the text's first non-blank, non-``%`` line opens a BibTeX block, however long
    that line or the comment lines before it are."""
    return _LEADING_ENTRY.match(text) is not None


def parse(text: str) -> Parsed:
    text = bare_cr_as_lf(text)  # a bare CR before "@article{" hid the entry from both counts
    starts = [(m.start(), m.end(), m.group(1).lower(), m.group(2)) for m in _BLOCK.finditer(text)]
    entries: list[_Entry] = []
    strings: dict[str, str] = {}
    rejects: list[RawReject] = []
    line = 1
    last = 0
    for i, (begin, open_end, kind, delim) in enumerate(starts):
        line += text.count("\n", last, begin)
        last = begin
        if kind.startswith(_NOT_ENTRIES) and not kind.startswith("string"):
            continue
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        close_char = "}" if delim == "{" else ")"
        entry = _parse_block(text, open_end, end, kind, close_char, line)
        if kind.startswith("string"):
            for name, parts in entry.fields:
                strings[name] = _resolve(parts, strings)
            continue
        if not entry.key and not entry.fields:
            rejects.append(
                RawReject(
                    line,
                    "BibTeX block could not be parsed (no key and no field)",
                    text[begin:end].strip(),
                )
            )
            continue
        entries.append(entry)

    rec: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    repeated: list[str] = []
    fields_twice: list[str] = []
    missing_commas: list[str] = []
    unclosed: list[str] = []
    junk: list[str] = []
    no_key: list[int] = []
    truncated: list[str] = []
    lenient: list[str] = []
    for i, entry in enumerate(entries):
        label = entry.key or f"line {entry.line}"
        rec.append(i)
        tags.append("ENTRYTYPE")
        values.append(entry.type)
        if entry.key:
            rec.append(i)
            tags.append("ID")
            values.append(entry.key)
            if entry.key in seen:
                repeated.append(entry.key)
            seen[entry.key] = i
        else:
            no_key.append(entry.line)
        names = [n for n, _ in entry.fields]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            fields_twice.append(f"{label} ({', '.join(twice)})")
        for name, parts in entry.fields:
            value = _resolve(parts, strings)
            if name in VERBATIM:  # only the escapes a BibTeX writer adds are undone
                rec.append(i)
                tags.append(name)
                values.append(_ESCAPED.sub(r"\1", value) if "\\" in value else value)
                continue
            value = decode_latex(value)
            if name in NAME_FIELDS:
                persons, loose = split_names(value)
                if loose:
                    lenient.append(label)
                for person in persons:
                    rec.append(i)
                    tags.append(name)
                    values.append(person)
                continue
            rec.append(i)
            tags.append(name)
            values.append(value)
        if entry.missing_commas:
            missing_commas.append(label)
        if entry.unclosed:
            unclosed.append(f"{label} ({', '.join(entry.unclosed)})")
        for text_left in entry.junk:  # kept in the record's raw fields, never dropped
            rec.append(i)
            tags.append(UNPARSED)
            values.append(text_left)
        if entry.junk:
            junk.append(f"{label}: {entry.junk[0][:60]!r}")
        if entry.truncated:
            truncated.append(label)

    if repeated:
        notes.append(f"{len(repeated)} entry key(s) repeated, entries kept: {first_few(repeated)}")
    if fields_twice:
        notes.append(
            f"{len(fields_twice)} entries repeat a field, kept with every value: "
            f"{first_few(fields_twice)}"
        )
    if missing_commas:
        notes.append(
            f"{len(missing_commas)} entries lack a comma between fields, fields read apart: "
            f"{first_few(missing_commas)}"
        )
    if unclosed:
        notes.append(
            f"{len(unclosed)} entries have a value whose braces or quotes never close, read to "
            f"the next field: {first_few(unclosed)}"
        )
    if junk:
        notes.append(
            f"{len(junk)} entries hold text that is no field, kept as {UNPARSED!r}: "
            f"{first_few(junk, shown=3)}"
        )
    if no_key:
        notes.append(f"{len(no_key)} entries have no key (lines {first_few(no_key)}); fields kept")
    if truncated:
        notes.append(
            f"{len(truncated)} entries are not closed (the file may be cut off): "
            f"{first_few(truncated)}"
        )
    if lenient:
        notes.append(
            f"{len(lenient)} entries have a name list the strict name parser refuses, read "
            f"leniently: {first_few(lenient)}"
        )
    n_raw = len(_ENTRY_START.findall(text))
    return Parsed.from_lists(rec, tags, values, [e.line for e in entries], rejects, n_raw, notes)
