"""BibTeX through bibtexparser v2 (LaTeX decoding and author splitting are its middlewares).

Failed blocks keep their start line and raw text and become rejects; ``n_raw`` is counted from
the text (``@type{`` at a line start, comments and strings excluded) so that nothing the
library skips can go unnoticed.
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser import middlewares as m

from .tagged import Parsed, RawRecord, RawReject

_ENTRY_START = re.compile(
    r"^\s*@(?!comment|string|preamble)[A-Za-z]+\s*[{(]", re.MULTILINE | re.IGNORECASE
)


def parse(text: str) -> Parsed:
    library = bibtexparser.parse_string(  # type: ignore[attr-defined]
        text,
        append_middleware=[
            m.LatexDecodingMiddleware(),
            m.SeparateCoAuthors(),
            m.SplitNameParts(),
            m.MergeNameParts("last"),
        ],
    )
    records: list[RawRecord] = []
    for entry in library.entries:
        fields: list[tuple[str, str]] = [("ENTRYTYPE", entry.entry_type.lower()), ("ID", entry.key)]
        for fld in entry.fields:
            key = fld.key.lower()
            if isinstance(fld.value, list):
                fields.extend((key, str(v)) for v in fld.value)
            else:
                fields.append((key, str(fld.value)))
        records.append(RawRecord((entry.start_line or 0) + 1, fields, terminated=True))
    rejects = [
        RawReject(
            (block.start_line or 0) + 1,
            f"BibTeX block could not be parsed ({type(block).__name__})",
            block.raw or "",
        )
        for block in library.failed_blocks
    ]
    n_raw = len(_ENTRY_START.findall(text))
    # comment blocks are the file author's notes, not records: nothing to report
    return Parsed(records, rejects, n_raw, [])
