"""Delimited text (CSV, TSV, semicolon) and spreadsheet exports as long field frames.

Each row is a record; each non-empty cell a field whose tag is the column name (surrounding
spaces stripped). The record's line is the physical line its row starts on (cells with line
breaks counted), so a reject or a record can be found in the file. ``n_raw`` is the number of
data rows counted by Python's :mod:`csv` module, a parser independent of polars's reader. A row
with fewer cells than the header among full rows is a reject (:data:`FULL_SHARE`).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field

import polars as pl

from .lines import bare_cr_as_lf
from .parsed import RawReject
from .tagged import Parsed

TEXT_FORMATS = ("csv",)

# no field-size limit: a Scopus ``References`` cell or a WoS abstract can exceed the csv
# module's default of 128 KiB (the limit is process-wide; the largest value a C long holds)
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def sniff_separator(text: str) -> str:
    """The delimiter of the header line: tab, semicolon or comma (whichever splits it most)."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


class TableError(ValueError):
    """A delimited file has rows that cannot be read without losing cells."""


@dataclass
class _Rows:
    """What :func:`_count_rows` saw: data rows with content, and those with fewer cells than
    the header: (position among the rows with content, first physical line, cells, the row's
    text for the first :data:`SHOWN` of them)."""

    n: int = 0
    n_full: int = 0
    short: list[tuple[int, int, int, str]] = field(default_factory=list)
    headers: list[tuple[int, int, str]] = field(default_factory=list)  # the header again
    lenient: str = ""  # where and why the strict reading failed (the rows read leniently)


SHOWN = 20  # short rows whose text a reject keeps (the others: their line only)


def _count_rows(text: str, sep: str, quoting: bool = True) -> _Rows:
    """Data rows with any content, by the :mod:`csv` module. A row with more cells than the
    header is an error unless the extra cells are empty (WoS tab files end rows with a tab).

    Read strictly first, so that a quoted field still open at the end of the file (a download
    cut inside a cell) is an error naming its row rather than a cell that swallows the rest of
    the file; other strict-mode complaints (a quote inside an unquoted cell) are tolerated as
    the csv module does by default. Any :class:`csv.Error` left becomes a :class:`TableError`
    naming the row."""
    try:
        return _count(text, sep, quoting, strict=True)
    except csv.Error as err:
        complaint = str(err)
    rows = _count(text, sep, quoting, strict=False)
    rows.lenient = complaint
    return rows


def _count(text: str, sep: str, quoting: bool, *, strict: bool) -> _Rows:
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=sep,
        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
        strict=strict,
    )
    n = 0
    rows = _Rows()
    row_line = 1
    longer: list[str] = []  # what the first row with cells past the header's names holds
    n_longer = 0
    try:
        header = next(reader, [])
        stripped_header = [c.strip() for c in header]
        row_line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                n += 1
                if len(row) < len(header):
                    raw = sep.join(row)[:300] if len(rows.short) < SHOWN else ""
                    rows.short.append((n - 1, row_line, len(row), raw))
                else:
                    rows.n_full += 1
                    # the first cell first: a per-row comparison of every cell costs
                    if (
                        stripped_header
                        and row[0].strip() == stripped_header[0]
                        and [c.strip() for c in row[: len(header)]] == stripped_header
                    ):
                        rows.headers.append((n - 1, row_line, sep.join(row)[:300]))
                if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
                    n_longer += 1
                    longer = longer or [
                        f"line {row_line}: {len(row)} cells but the header has {len(header)}; "
                        f"extra cells {row[len(header) :][:3]} would be lost"
                    ]
            row_line = reader.line_num + 1
        if longer:
            raise TableError(
                f"{longer[0]} ({n_longer} of {n} rows have more cells than the header line "
                "names: a column without its name there, so that the cells after it would "
                "be read under the wrong names). Add the missing name to the header line, "
                "or export the file again"
            )
    except csv.Error as err:
        row_no = n + 2  # spreadsheet numbering: the header is row 1
        if str(err) == "unexpected end of data":
            if not strict:  # pragma: no cover - only the strict reader reports it
                raise
            raise TableError(
                f"unterminated quoted field at row {row_no}: the file looks truncated "
                f"(the row starts at line {row_line})"
            ) from err
        if strict:
            raise csv.Error(f"line {row_line}: {err}") from err
        raise TableError(f"row {row_no} (line {row_line}): {err}") from err
    rows.n = n
    return rows


# a row with fewer cells than the header is set aside (a reject) when at least this many of
# the file's rows are full and the columns it lacks are filled in most of them: among full rows
# it is a cell lost (the cells after it would be read under the wrong names). Where short rows
# are common, or the columns a row lacks are mostly empty, a tool trimmed trailing empty cells.
FULL_SHARE = 0.75
FILLED_SHARE = 0.5


def _row_rejects(rows: _Rows, filled: list[float], cut: bool) -> list[tuple[int, RawReject]]:
    """(position among the rows with content, reject) for each row set aside: a short row
    whose missing columns are mostly filled in the file (``filled``: the share of rows with each
    column non-empty): among full rows it lost a cell, and as the last row of a file that ends
    without a line end (``cut``) the download was cut inside it, however few rows came first.
    """
    out = []
    lost = rows.n_full >= FULL_SHARE * rows.n
    for position, line, cells, raw in rows.short:
        if not any(share >= FILLED_SHARE for share in filled[cells:]):
            continue  # the columns it lacks are mostly empty: trailing empty cells trimmed
        if cut and position == rows.n - 1:
            why = "the file ends inside it: a download cut short? (export again)"
        elif lost:
            why = (
                "a cell is missing, so the cells after it would be read under the wrong "
                "column names (mend the row or export again)"
            )
        else:
            continue
        out.append(
            (
                position,
                RawReject(line, f"{cells} cells but the header has {len(filled)}: {why}", raw),
            )
        )
    return sorted(out, key=lambda item: item[0])


_OFFSET = re.compile(r"current offset in the file is (\d+) bytes")


def polars_error(err: Exception, data: bytes) -> TableError:
    """A polars CSV error as one line naming the line of the file (polars gives a byte
    offset and advice about schema inference that does not apply: every cell is read as text)."""
    message = str(err).strip().split("\n", 1)[0]
    found = _OFFSET.search(str(err))
    if found:
        line = data[: int(found.group(1))].count(b"\n") + 1
        return TableError(f"line {line}: {message}")
    return TableError(message)


def to_long(frame: pl.DataFrame, first_lines: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(fields, starts) from a frame of text cells and each row's first physical line."""
    frame = frame.select(pl.all().cast(pl.String))
    names = [c.strip() for c in frame.columns]
    # positional names, so that a column called "rec", "tag" or "value" cannot collide
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    nonempty = pl.any_horizontal(pl.all().str.strip_chars().str.len_chars() > 0).fill_null(False)
    keep = (
        frame.select(nonempty.alias("keep"))["keep"]
        if frame.width
        else pl.Series([], dtype=pl.Boolean)
    )
    frame = frame.with_columns(pl.Series("__line", first_lines, dtype=pl.Int64))
    frame = frame.filter(keep).with_row_index("__rec").with_columns(pl.col("__rec").cast(pl.Int64))
    starts = frame.select(pl.col("__rec").alias("rec"), pl.col("__line").alias("line"))
    order = {f"c{i}": i for i in range(len(names))}
    fields = (
        frame.drop("__line")
        .unpivot(index="__rec", variable_name="__col", value_name="__value")
        .select(
            pl.col("__rec").alias("rec"),
            pl.col("__col").replace_strict(order, return_dtype=pl.Int64).alias("col"),
            pl.col("__value").str.strip_chars().alias("value"),
        )
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
        .sort("rec", "col")
        .with_row_index("fid")
        .select(
            "rec",
            pl.col("fid").cast(pl.Int64),
            pl.col("col")
            .replace_strict(dict(enumerate(names)), return_dtype=pl.String)
            .alias("tag"),
            "value",
        )
    )
    return fields, starts


def parse_delimited(text: str, sep: str | None = None) -> Parsed:
    sep = sep or sniff_separator(text)
    # tab-delimited exports (WoS, EndNote) do not quote: a '"' in a title is just a character
    first_line = re.match(r"[^\r\n]*", text)
    quoting = not (sep == "\t" and '"' not in (first_line.group() if first_line else ""))
    text = bare_cr_as_lf(text, quoted=quoting).replace("\r\n", "\n")
    rows = _count_rows(text, sep, quoting)  # first: its errors name the row
    data = text.encode()
    try:
        frame = pl.read_csv(
            data,
            separator=sep,
            infer_schema=False,
            quote_char='"' if quoting else None,
            truncate_ragged_lines=True,  # extra cells checked in _count_rows
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as err:
        raise polars_error(err, data) from err
    # physical line of each row: header is line 1; a row spans 1 + its cells' line breaks
    breaks = (
        frame.select(pl.sum_horizontal(pl.all().str.count_matches("\n").fill_null(0)).alias("b"))[
            "b"
        ]
        if frame.width
        else pl.Series("b", [], dtype=pl.Int64)
    )
    first = (breaks.cast(pl.Int64) + 1).cum_sum().shift(1, fill_value=0) + 2
    fields, starts = to_long(frame, first)
    cut = not text.endswith("\n")
    found = _row_rejects(rows, _filled_shares(frame), cut) if rows.short else []
    # the header row again (two exports joined into one) is no record: skipped, said in a
    # note, and not counted among the file's records (nor in PRISMA's records identified)
    headers = [position for position, _, _ in rows.headers]
    notes = []
    if rows.lenient:
        notes.append(
            f'{rows.lenient}: a quote mark inside a cell not doubled (""), so the quoting is '
            "broken there (the first such row); the rows were read as spreadsheets read them "
            "(such quote marks dropped): check the cells there and after"
        )
    if headers:
        lines = ", ".join(str(line) for _, line, _ in rows.headers[:5])
        more = f" and {len(headers) - 5} more" if len(headers) > 5 else ""
        notes.append(
            f"the header row again at line(s) {lines}{more}: skipped, no record "
            "(two exports joined into one?)"
        )
    if found or headers:
        # by position among the rows with content (both readers count the same rows; their
        # line numbers can differ, a lone CR inside a quoted cell is a line break to csv only)
        if starts.height != rows.n:
            raise TableError(
                f"{starts.height} rows read but {rows.n} counted: the rows to set aside (short "
                f"or a repeated header) cannot be found safely; export the file again"
            )
        gone = [position for position, _ in found] + headers
        dropped = pl.Series(gone, dtype=pl.Int64).implode()
        starts = starts.filter(~pl.col("rec").is_in(dropped))
        fields = fields.filter(~pl.col("rec").is_in(dropped))
    return Parsed(fields, starts, [reject for _, reject in found], rows.n - len(headers), notes)


def _filled_shares(frame: pl.DataFrame) -> list[float]:
    """The share of rows with each column non-empty (0 for an empty frame)."""
    if frame.height == 0:
        return [0.0] * frame.width
    shares = frame.select(
        (pl.all().str.strip_chars().str.len_chars() > 0).fill_null(False).mean()
    ).row(0)
    return [float(x or 0.0) for x in shares]


def parse_sheet(frame: pl.DataFrame) -> Parsed:
    """An already read spreadsheet (first sheet, all cells text); rows are lines 2, 3, ..."""
    first = pl.Series("line", range(2, frame.height + 2), dtype=pl.Int64)
    fields, starts = to_long(frame, first)
    n_raw = sum(
        1 for row in frame.iter_rows() if any(c is not None and str(c).strip() for c in row)
    )
    return Parsed(fields, starts, [], n_raw, [])


def header_of(text: str, sep: str | None = None) -> list[str]:
    """Column names of a delimited text (first record of :mod:`csv`, so quoted names work)."""
    sep = sep or sniff_separator(text)
    row = next(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=sep), [])
    return [c.strip() for c in row]
