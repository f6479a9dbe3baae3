"""Spreadsheets the tool writes for people (worklists, review queues, conflicts).

Pure helpers only; :func:`scoping_review.storage.write_xlsx` does the writing.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return that a spreadsheet
strips before reading the next character) is a formula to Excel, LibreOffice and Google Sheets.
Every text cell that leaves the tool is neutralised by prefixing a single quote ``'`` (the
OWASP recommendation), so the value shows as text and cannot run. The XLSX writer also stores
every cell as a string; the prefix is applied there too so that the XLSX and CSV copies of a
worklist say the same thing.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str | None:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    if value is None or not value.startswith(FORMULA_STARTS):
        return value
    return "'" + value


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string column of ``frame`` made safe against formula injection (vectorised)."""
    pattern = "^[=+\\-@\t\r]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


@dataclass(frozen=True)
class Worksheet:
    """One sheet to write: its rows plus how people should fill it.

    ``dropdowns`` maps a column to the values a person may pick (an in-cell list);
    ``widths`` maps a column to a display width in characters; ``note`` is shown above the
    header when given (the header then sits on row 2).
    """

    name: str
    frame: pl.DataFrame
    dropdowns: dict[str, list[str]] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    note: str | None = None


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")


def sheet_text(data: bytes, suffix: str) -> tuple[bytes, str]:
    """A CSV/TSV sheet's bytes as UTF-8 without a byte-order mark, and its separator.

    As spreadsheets save them: Excel's "CSV" on Windows is cp1252, not UTF-8, and in locales
    whose decimal mark is a comma its separator is ``;`` (a tab for ``.tsv``/``.tab``); the
    header line's most frequent of ``,``, ``;`` and tab decides, comma when it has none."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 only when no character is written as UTF-8: one bad byte in a UTF-8 file
        # must not turn every 'é' into 'Ã©' (it becomes U+FFFD, and the rest stays as written)
        utf8 = _UTF8_MULTIBYTE.search(data) is not None
        data = data.decode("utf-8" if utf8 else "cp1252", errors="replace").encode("utf-8")
    if suffix in (".tsv", ".tab"):
        return data, "\t"
    # separators inside a quoted column name ("Design (RCT, cohort)") do not count
    header = re.sub(rb'"[^"]*"', b"", data.split(b"\n", 1)[0])
    counts = {sep: header.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return data, best if counts[best] else ","


_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"


def whole_days(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet's date cell became (``2026-09-16 00:00:00``) as the day
    people typed (``2026-09-16``); a time of day other than midnight stays."""
    return frame.with_columns(
        pl.col(name).str.replace(_MIDNIGHT, "${1}")
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def read_workbook(source: bytes | str | Path, worksheet: str | None = None) -> pl.DataFrame:
    """A workbook's worksheet (default: the first) with every cell as text, as people see it:
    nothing type-guessed, a date cell as its day. The spreadsheet reader's own errors pass."""
    where = io.BytesIO(source) if isinstance(source, bytes) else source
    if worksheet is not None:
        frame = pl.read_excel(where, engine="calamine", infer_schema_length=0, sheet_name=worksheet)
    else:
        frame = pl.read_excel(where, engine="calamine", infer_schema_length=0)
    return whole_days(frame.select(pl.all().cast(pl.String)))
