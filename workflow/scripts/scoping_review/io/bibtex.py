"""BibTeX through bibtexparser v2 (LaTeX decoding and author splitting are its middlewares).

Failed blocks keep their start line and raw text and become rejects; an entry whose key repeats
an earlier one is still a record (bibtexparser reports it as a failed block; we keep its entry
and note the key). ``n_raw`` is counted from the text (``@type{`` at a line start, comments,
strings and preambles excluded) so that nothing the library skips can go unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

import bibtexparser
import polars as pl
from bibtexparser import middlewares as m
from bibtexparser.library import Library
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from pylatexenc import latexwalker

from .tagged import Parsed, RawReject

_ENTRY_START = re.compile(
    r"^[ \t]*@(?!comment|string|preamble)[A-Za-z]+\s*[{(]", re.MULTILINE | re.IGNORECASE
)


def _fields(entry: Entry) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("ENTRYTYPE", entry.entry_type.lower()), ("ID", entry.key)]
    for fld in entry.fields:
        key = fld.key.lower()
        if isinstance(fld.value, list):
            out.extend((key, str(v)) for v in fld.value)
        else:
            out.append((key, str(fld.value)))
    return out


# what needs pylatexenc's parse (a LaTeX parse costs ~0.4 ms per value): macros, groups, math,
# ``~`` and the ``&`` and ``%`` specials. Without these, all it changes are the ligatures below.
_MARKUP = re.compile(r"[\\{}$~^_&%]")
# pylatexenc's text for its specials that are plain ASCII ligatures (longest first, as it reads)
_LIGATURES = {
    "---": "\u2014",
    "--": "\u2013",
    "``": "\u201c",
    "''": "\u201d",
    "!`": "\u00a1",
    "?`": "\u00bf",
}
_LIGATURE = re.compile("|".join(re.escape(k) for k in _LIGATURES))
# the LaTeX walker's macro database, built once: without it pylatexenc builds its default
# database anew for every value it parses
_WALKER_CONTEXT = latexwalker.get_default_latex_context_db()


class _FastLatexDecoding(m.LatexDecodingMiddleware):
    """bibtexparser's LaTeX decoding with the same result (a property test compares them),
    faster: values without markup only have their ligatures replaced (``220--234``, the common
    case, is not parsed), and the walker's database is built once."""

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if not _MARKUP.search(python_string):
            return _LIGATURE.sub(lambda match: _LIGATURES[match.group()], python_string), ""
        try:
            text: str = self._decoder.latex_to_text(python_string, latex_context=_WALKER_CONTEXT)
        except Exception as err:  # as bibtexparser does: the value is kept, the error reported
            return python_string, str(err)
        return text, ""


def _middleware() -> list[Any]:
    return [
        _FastLatexDecoding(),
        m.SeparateCoAuthors(),
        m.SplitNameParts(),
        m.MergeNameParts("last"),
    ]


def _rescue(entry: Entry) -> Entry:
    """Run the parse middleware on an entry bibtexparser set aside (a repeated key or field)."""
    library = Library([entry])
    for mw in [*m.default_parse_stack(), *_middleware()]:
        library = mw.transform(library)
    return library.entries[0] if library.entries else entry


def parse(text: str) -> Parsed:
    library = bibtexparser.parse_string(  # type: ignore[attr-defined]
        text, append_middleware=_middleware()
    )
    entries: list[tuple[int, list[tuple[str, str]]]] = [
        ((e.start_line or 0) + 1, _fields(e)) for e in library.entries
    ]
    rejects: list[RawReject] = []
    notes: list[str] = []
    repeated: list[str] = []
    fields_twice: list[str] = []
    for block in library.failed_blocks:
        rescued = getattr(block, "ignore_error_block", None)
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock) and isinstance(
            rescued, Entry
        ):
            entries.append(((block.start_line or 0) + 1, _fields(_rescue(rescued))))
            if isinstance(block, DuplicateBlockKeyBlock):
                repeated.append(block.key)
            else:
                fields_twice.append(f"{rescued.key} ({', '.join(sorted(block.duplicate_keys))})")
            continue
        rejects.append(
            RawReject(
                (block.start_line or 0) + 1,
                f"BibTeX block could not be parsed ({type(block).__name__})",
                block.raw or "",
            )
        )
    if repeated:
        notes.append(f"{len(repeated)} entry key(s) repeated, entries kept: {repeated[:5]}")
    if fields_twice:
        notes.append(
            f"{len(fields_twice)} entries repeat a field, kept with every value: {fields_twice[:5]}"
        )
    entries.sort(key=lambda e: e[0])
    rec: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    for i, (_, flds) in enumerate(entries):
        for t, v in flds:
            rec.append(i)
            tags.append(t)
            values.append(v)
    fields = pl.DataFrame(
        {"rec": rec, "fid": range(len(rec)), "tag": tags, "value": values},
        schema={"rec": pl.Int64, "fid": pl.Int64, "tag": pl.String, "value": pl.String},
    )
    starts = pl.DataFrame(
        {"rec": range(len(entries)), "line": [e[0] for e in entries]},
        schema={"rec": pl.Int64, "line": pl.Int64},
    )
    n_raw = len(_ENTRY_START.findall(text))
    # comment blocks are the file author's notes, not records: nothing to report
    return Parsed(fields, starts, rejects, n_raw, notes)
