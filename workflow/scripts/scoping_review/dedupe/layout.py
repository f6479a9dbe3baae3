"""Records from a plain CSV in the layout of the labelled dedupe sets (pure; no file access).

Columns ``ID,title,year,author,pages,volume,number,ENTRYTYPE,journal`` and optionally
``abstract,doi,booktitle,pmid``; authors are joined by `` and `` (BibTeX) or ``;``.
"""

from __future__ import annotations

import polars as pl

from .. import schemas

LAYOUT_COLUMNS = (
    "ID",
    "title",
    "year",
    "author",
    "pages",
    "volume",
    "number",
    "ENTRYTYPE",
    "journal",
)


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name in frame.columns:
        return pl.col(name).str.strip_chars().replace("", None)
    return pl.lit(None, dtype=pl.String)


def records_from_layout(
    frame: pl.DataFrame, source_id: str, source_file: str, database: str | None = None
) -> pl.DataFrame:
    """A records table (``record_id`` = ``<source_id>:<ID>``) from the CSV's rows (all text).

    ``source_line`` is the row number in the file (header = row 1); blank rows are skipped and
    a row with content but no ID is an error naming the row.
    """
    missing = [c for c in ("ID", "title") if c not in frame.columns]
    if missing:
        raise ValueError(f"{source_file}: missing columns {missing}")
    frame = frame.with_row_index("_row", offset=2).filter(
        ~pl.all_horizontal(pl.exclude("_row").str.strip_chars().replace("", None).is_null())
    )  # blank lines carry nothing
    no_id = frame.filter(pl.col("ID").str.strip_chars().replace("", None).is_null())
    if no_id.height:
        raise ValueError(f"{source_file}: row {no_id['_row'][0]} has no ID")
    journal = pl.coalesce(_col(frame, "journal"), _col(frame, "booktitle"))
    out = frame.select(
        (pl.lit(source_id + ":") + pl.col("ID")).alias("record_id"),
        pl.lit(source_id).alias("source_id"),
        pl.lit(database or source_id).alias("database"),
        pl.lit(None, dtype=pl.String).alias("search_date"),
        pl.lit(source_file).alias("source_file"),
        pl.col("_row").cast(pl.Int64).alias("source_line"),
        pl.col("ID").alias("native_id"),
        _col(frame, "title").alias("title"),
        _col(frame, "abstract").alias("abstract"),
        _col(frame, "author")
        .str.split(" and ")
        .list.eval(pl.element().str.split(";").explode())
        .list.eval(pl.element().str.strip_chars().filter(pl.element().str.len_chars() > 0))
        .fill_null([])
        .alias("authors"),
        _col(frame, "year").str.extract(r"(\d{4})").cast(pl.Int64).alias("year"),
        journal.alias("journal"),
        _col(frame, "volume").alias("volume"),
        _col(frame, "number").alias("issue"),
        _col(frame, "pages").alias("pages"),
        _col(frame, "doi").alias("doi"),
        _col(frame, "pmid").alias("pmid"),
        pl.lit(None, dtype=pl.String).alias("accession"),
        pl.lit(None, dtype=pl.String).alias("language"),
        _col(frame, "ENTRYTYPE").alias("publication_type"),
        pl.lit([], dtype=pl.List(pl.String)).alias("keywords"),
        pl.lit(None, dtype=pl.String).alias("url"),
        pl.lit([], dtype=pl.List(pl.String)).alias("raw_tags"),
        pl.lit([], dtype=pl.List(pl.String)).alias("raw_values"),
    )
    return schemas.validate(out, schemas.RECORDS)
