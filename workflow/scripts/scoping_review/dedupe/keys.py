"""Per-record match keys: every normalisation the matcher uses, computed column-wise once."""

from __future__ import annotations

import polars as pl

from ..normalize import (
    PREPRINT_DOI_PREFIXES,
    PREPRINT_JOURNALS,
    fold_expr,
    initials_expr,
    journal_expr,
    match_doi_expr,
    match_title_expr,
    notice_kind_expr,
    pages_expr,
    strip_notice_expr,
    surnames_frame,
)

MAX_AUTHORS = 12  # surnames compared; long consortium lists add nothing but time
CONFERENCE_TYPES = r"(?i)conference|congress|meeting|abstract|proceeding|poster|inproceedings"
CONFERENCE_VENUES = r"\b(?:abstracts?|congress|meeting|conference|symposium|workshop)\b"


def _number(col: str) -> pl.Expr:
    """Volume/issue for comparison: its first number without leading zeros (``"Vol. 09"``,
    ``"drug discovery 9"`` → ``"9"``), else the folded text."""
    folded = fold_expr(pl.col(col))
    return pl.coalesce(folded.str.extract(r"(\d+)").str.replace(r"^0+(\d)", "$1"), folded)


def match_keys(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record (in ``record_id`` order, position ``i``) with its match keys."""
    base = records.sort("record_id").with_row_index("i")
    keys = base.select(
        "i",
        "record_id",
        "search_date",
        "year",
        match_title_expr("title").alias("t_full"),
        journal_expr("journal").alias("j"),
        _number("volume").alias("vol"),
        _number("issue").alias("iss"),
        pages_expr("pages").alias("pg"),
        match_doi_expr("doi").alias("doi"),
        pl.col("pmid").str.strip_chars().replace("", None).alias("pmid"),
        pl.col("publication_type").alias("ptype"),
        pl.col("volume").alias("_vol_raw"),
        pl.col("issue").alias("_iss_raw"),
        pl.col("journal").alias("_journal_raw"),
    ).with_columns(surnames_frame(base, "authors", MAX_AUTHORS).alias("_sur"))
    first_page = pl.col("pg").str.extract(r"^([^-,]+)")
    last_page = pl.col("pg").str.extract(r"^[^-,]+-([^-,]+)")
    keys = keys.with_columns(
        # pages compare by their numbers: "c37" and "37", "e8" and "8", "0123" and "123"
        first_page.str.replace(r"^[a-z]*0*(\d)", "$1").alias("sp"),
        last_page.str.replace(r"^[a-z]*0*(\d)", "$1").alias("ep"),
        first_page.str.contains(r"^s\d").fill_null(False).alias("_supplement_page"),
        # a volume that is the year (Cochrane: volume 2020, issue 9) says nothing
        pl.when(pl.col("vol") == pl.col("year").cast(pl.String))
        .then(None)
        .otherwise(pl.col("vol"))
        .alias("vol"),
        notice_kind_expr("t_full").alias("notice"),
        strip_notice_expr("t_full").alias("t"),
        pl.col("_sur").list.join(" ").replace("", None).alias("au"),
        pl.col("_sur").list.first().str.replace_all(" ", "").alias("au1"),
        initials_expr("j").alias("j_init"),
        pl.col("doi").str.replace(r"\.pub\d+$", "").alias("doi_base"),
        (
            pl.col("j").str.contains(PREPRINT_JOURNALS).fill_null(False)
            | pl.col("doi").str.contains(PREPRINT_DOI_PREFIXES).fill_null(False)
        ).alias("preprint"),
    )
    keys = keys.with_columns(
        (
            pl.col("ptype").str.contains(CONFERENCE_TYPES).fill_null(False)
            & ~pl.col("ptype").str.contains(r"(?i)^(?:article|journal)").fill_null(False)
            | pl.col("j").str.contains(CONFERENCE_VENUES).fill_null(False)
            | pl.col("_vol_raw").str.contains(r"(?i)supp").fill_null(False)
            | pl.col("_iss_raw").str.contains(r"(?i)supp|^\s*s\d+\s*$").fill_null(False)
            | pl.col("_supplement_page")
            | pl.col("_journal_raw").str.contains(r"(?i)\bsuppl").fill_null(False)
        ).alias("conference"),
        pl.col("t").str.count_matches(" ").add(1).fill_null(0).cast(pl.Int64).alias("n_words"),
        pl.col("t").str.replace_all(" ", "").alias("_tc"),
    )
    return keys.with_columns(
        pl.col("_tc").str.slice(0, 24).alias("t_head"),
        pl.col("_tc").str.slice(-24).alias("t_tail"),
    ).drop("_sur", "_vol_raw", "_iss_raw", "_journal_raw", "_tc", "_supplement_page")
