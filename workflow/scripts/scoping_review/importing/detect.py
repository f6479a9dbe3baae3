"""Format detection: an export's format from its bytes and text, table presets from column names,
binary sniffing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence

from ..connectors import formats as api_formats
from ..io import bibtex, controls, proquest, tables, tagged
from .fieldmaps import GENERIC_ALIASES
from .model import FieldMap, ImportError_


def _norm_col(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def generic_map(columns: Sequence[str], mapping: Mapping[str, object] | None = None) -> FieldMap:
    """Field map for a generic table: config ``columns`` first, then the alias table."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm_col(col), col.strip())
    fmap: FieldMap = {}
    for fld, aliases in GENERIC_ALIASES.items():
        found = tuple(by_norm[a] for a in aliases if a in by_norm)
        if found:
            fmap[fld] = found
    for fld, cols in (mapping or {}).items():
        if fld == "publication_type":
            fld = "type"
        if fld not in GENERIC_ALIASES:
            raise ImportError_(
                f"columns: unknown canonical field {fld!r} (known: {sorted(GENERIC_ALIASES)})"
            )
        wanted = (cols,) if isinstance(cols, str) else tuple(str(c) for c in cols)  # type: ignore[attr-defined]
        missing = [c for c in wanted if c.strip() not in [x.strip() for x in columns]]
        if missing:
            raise ImportError_(f"columns: {fld} -> {missing} not in the header {list(columns)}")
        fmap[fld] = tuple(c.strip() for c in wanted)
    return fmap


def detect_table_preset(columns: Sequence[str]) -> str:
    cols = {c.strip() for c in columns}
    if {"PT", "UT", "TI"} <= cols:
        return "wos_tab"
    if {"Source title", "EID"} <= cols or {"Authors", "Author(s) ID", "Source title"} <= cols:
        return "scopus_csv"
    if {"PMID", "Title", "Authors", "Citation", "Journal/Book"} <= cols:
        return "pubmed_csv"
    stripped = [c.strip() for c in columns]
    if stripped[:1] == ["ID"] and "ENTRYTYPE" in cols:
        return "colrev_csv"
    return "csv"


def detect_format(data: bytes, text: str) -> str | None:
    """The export format from content (tagged, BibTeX, XML, spreadsheet or delimited).

    ``text``: the decoded text, or its first ``_MAX_HEADER + 1`` characters (all it reads)."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if proquest.detect(text):
        return "proquest"
    found = tagged.detect(text) or api_formats.detect(text)
    if found is not None:
        return found
    if bibtex.starts_like_bibtex(text):  # an entry whose first line is longer than the sample
        return "bibtex"
    # a header line is short: never hand a 200 MB line to the csv module (field size limit)
    head = text[:_MAX_HEADER].lstrip("\ufeff")
    if "\n" not in head and len(text) > _MAX_HEADER:
        return None
    header = head.split("\n", 1)[0].rstrip("\r")
    sep = tables.sniff_separator(header)
    cells = tables.header_of(header, sep)
    if len(cells) < 2 or any(len(c) > 80 for c in cells) or header.startswith(("{", "[")):
        return None
    # a delimited file is an export only if its header names bibliographic columns: a known
    # preset, or a generic table whose header maps to a title or to at least two canonical
    # fields (prose with a comma in its first line is not a CSV export)
    mapped = generic_map(cells)
    if detect_table_preset(cells) != "csv" or "title" in mapped or len(mapped) >= 2:
        return "csv"
    return None


_MAX_HEADER = 1 << 16  # characters a table's header line may have


def binary_reason(text: str, data: bytes = b"") -> str | None:
    """Why a file is binary rather than a text export (None: text); see
    :func:`..io.controls.binary_reason` (file signatures, or a large share of control bytes)."""
    return controls.binary_reason(data, text)


_HTML = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_SEP_HINT = re.compile(r"\ufeff?sep=(.)\s*(?:\n|$)", re.I)
_EXPORT_SUFFIXES = (".ris", ".nbib", ".txt", ".csv", ".tsv", ".bib", ".xml", ".enw", ".ciw")


def what_it_is(head: str) -> str | None:
    """What a text file that is no export plainly is, said so that the user knows what went
    wrong (None: nothing plain): an HTML page saved in place of the export (a login, an error
    or a page of results), or a table whose first line is Excel's ``sep=;`` hint."""
    if _HTML.match(head[:4096]):
        return (
            "it is an HTML page (a login, error or results page saved in place of the export?): "
            "export the records from the database again and save that file"
        )
    hint = _SEP_HINT.match(head)
    if hint:
        return (
            f"its first line is Excel's separator hint {hint.group(0).strip()!r}, not the "
            "table's header: delete that line and import the file again"
        )
    return None


def archive_reason(data: bytes) -> str | None:
    """What a ZIP file that is no spreadsheet holds (None: not a readable ZIP): a Word
    document, or an archive whose exports must be unzipped first."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if {"xl/workbook.xml", "xl/workbook.bin", "content.xml"} & set(names):
        return None  # a workbook (.xlsx, .xlsb, .ods) the spreadsheet reader could not read
    if "word/document.xml" in names:
        return (
            "a Word document (.docx) saved under another name, not an export: export the "
            "records from the database or reference manager as a file of their own"
        )
    exports = [n for n in names if n.lower().endswith(_EXPORT_SUFFIXES)]
    shown = ", ".join(repr(n) for n in (exports or names)[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    if exports:
        return f"a ZIP archive holding {shown}{more}: unzip it and give the export inside"
    return f"a ZIP archive holding {shown or 'nothing'}{more}, not a spreadsheet or an export"
