"""Coded segments from Taguette, generic sheets or REFI-QDA projects (one row per highlight and
code).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ..io.qdpx import QdaProject
from .model import CodingError

# -- tags ------------------------------------------------------------------------------------


def split_tag(tag: str, separator: str | None) -> list[str]:
    """A hierarchical tag as its parts (``"Repair\\Empathy"`` → ``["Repair", "Empathy"]``)."""
    if not separator:
        return [tag.strip()]
    return [p.strip() for p in tag.split(separator) if p.strip()]


def _with_paths(frame: pl.DataFrame, separator: str | None) -> pl.DataFrame:
    paths = [split_tag(t, separator) if t is not None else None for t in frame["code"].to_list()]
    return frame.with_columns(
        pl.Series("code_path", paths, dtype=pl.List(pl.String)),
    ).with_columns(pl.col("code_path").list.last().alias("code"))


def _columns(frame: pl.DataFrame, wanted: Sequence[str], source: str, what: str) -> dict[str, str]:
    """Case- and space-insensitive column lookup; error naming the file when one is missing."""
    by_key = {c.strip().lower(): c for c in frame.columns}
    missing = [w for w in wanted if w not in by_key]
    if missing:
        raise CodingError(
            f"{source}: a {what} needs columns {list(wanted)}, found {frame.columns} "
            f"(missing {missing})"
        )
    return {w: by_key[w] for w in wanted}


def _segment_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "segment_id",
        "document",
        "code",
        "text",
        "source",
        "row",
        "code_path",
        "page",
        "format",
    )


def _no_empty(frame: pl.DataFrame, source: str, what: str) -> None:
    empty = frame.filter(
        pl.col("code").is_null() | (pl.col("code") == "") | pl.col("document").is_null()
    )
    if empty.height:
        raise CodingError(f"{source}, row {empty['row'][0]}: {what} without document or code")


def taguette_segments(
    highlights: pl.DataFrame, source: str, hierarchy_separator: str | None = None
) -> pl.DataFrame:
    """Taguette's ``id,document,tag,content`` export as segments (study and status unresolved)."""
    cols = _columns(highlights, ["id", "document", "tag", "content"], source, "Taguette export")
    frame = highlights.with_row_index("row", offset=2).select(
        pl.col(cols["id"]).cast(pl.String).str.strip_chars().alias("segment_id"),
        pl.col(cols["document"]).cast(pl.String).str.strip_chars().alias("document"),
        pl.col(cols["tag"]).cast(pl.String).str.strip_chars().alias("code"),
        pl.col(cols["content"]).cast(pl.String).alias("text"),
        pl.lit(source).alias("source"),
        pl.col("row").cast(pl.Int64),
        pl.lit(None, pl.String).alias("page"),
        pl.lit("taguette").alias("format"),
    )
    _no_empty(frame, source, "highlight")
    return _segment_frame(_with_paths(frame, hierarchy_separator))


def generic_segments(
    sheet: pl.DataFrame, source: str, hierarchy_separator: str | None = None
) -> pl.DataFrame:
    """A generic coding sheet ``study,code,quote,page`` (optional ``id``).

    ``study`` is a document name from the document map, a record ID or a study ID.
    """
    cols = _columns(sheet, ["study", "code", "quote", "page"], source, "generic coding sheet")
    by_key = {c.strip().lower(): c for c in sheet.columns}
    ids = (
        pl.col(by_key["id"]).cast(pl.String).str.strip_chars()
        if "id" in by_key
        else pl.col("row").cast(pl.String)
    )
    frame = sheet.with_row_index("row", offset=2).select(
        ids.alias("segment_id"),
        pl.col(cols["study"]).cast(pl.String).str.strip_chars().alias("document"),
        pl.col(cols["code"]).cast(pl.String).str.strip_chars().alias("code"),
        pl.col(cols["quote"]).cast(pl.String).alias("text"),
        pl.lit(source).alias("source"),
        pl.col("row").cast(pl.Int64),
        pl.col(cols["page"]).cast(pl.String).str.strip_chars().alias("page"),
        pl.lit("generic").alias("format"),
    )
    _no_empty(frame, source, "coded segment")
    dup = frame.filter(pl.col("segment_id").is_duplicated())
    if dup.height:
        raise CodingError(
            f"{source}, row {dup['row'][0]}: segment id {dup['segment_id'][0]!r} is repeated"
        )
    return _segment_frame(_with_paths(frame, hierarchy_separator))


def qdpx_segments(project: QdaProject, source: str) -> pl.DataFrame:
    """The codings of a REFI-QDA project as segments (code = last part of the code path)."""
    rows = [
        {
            "segment_id": s.segment_id,
            "document": s.document,
            "code": s.code_path[-1],
            "text": s.text,
            "source": source,
            "row": s.ordinal,
            "code_path": list(s.code_path),
            "page": None if s.page is None else str(s.page),
            "format": "qdpx",
        }
        for s in project.segments
    ]
    return pl.DataFrame(
        rows,
        schema={
            "segment_id": pl.String,
            "document": pl.String,
            "code": pl.String,
            "text": pl.String,
            "source": pl.String,
            "row": pl.Int64,
            "code_path": pl.List(pl.String),
            "page": pl.String,
            "format": pl.String,
        },
    )


def detect_format(sheet_columns: Sequence[str]) -> str:
    """``taguette`` or ``generic`` from a sheet's header."""
    keys = {c.strip().lower() for c in sheet_columns}
    if {"id", "document", "tag", "content"} <= keys:
        return "taguette"
    if {"study", "code", "quote", "page"} <= keys:
        return "generic"
    raise CodingError(
        f"cannot tell the coding format from columns {list(sheet_columns)}: expected "
        "id,document,tag,content (Taguette) or study,code,quote,page (generic)"
    )
