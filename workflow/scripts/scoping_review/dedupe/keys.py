"""Per-record match keys: every normalisation the matcher uses, computed column-wise once."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from ..normalize import (
    PREPRINT_DOI_PREFIXES,
    PREPRINT_JOURNALS,
    fold_expr,
    generic_title_expr,
    journal_expr,
    match_doi_expr,
    match_title_expr,
    notice_kind_expr,
    pages_expr,
    placeholder_expr,
    strip_notice_expr,
    surnames_frame,
)

MAX_AUTHORS = 12  # surnames compared; long consortium lists add nothing but time
CONFERENCE_TYPES = r"(?i)conference|congress|meeting|abstract|proceeding|poster|inproceedings"
CONFERENCE_VENUES = r"\b(?:abstracts?|congress|meeting|conference|symposium|workshop)\b"


# a title held by records of this many different years, or of this many different issues of
# one journal, is a recurring title ("Editor's comments"), whatever its words
RECURRING_YEARS = 3
RECURRING_ISSUES = 3
# surnames that stand for no author
NO_AUTHOR = ("unknown", "anonymous", "anon", "et al", "na", "n a", "no authorship indicated")
ABSTRACT_HEAD = 300  # characters of the folded abstract compared when a title needs support


def _number(col: str) -> pl.Expr:
    """Volume/issue for comparison: its first number without leading zeros (``"Vol. 09"``,
    ``"drug discovery 9"`` → ``"9"``); null when it has no number (``"(Jul)"``, ``"Ph.D."``,
    ``"In press"``): a value without a number says nothing about identity."""
    folded = fold_expr(placeholder_expr(pl.col(col)))
    return folded.str.extract(r"(\d+)").str.replace(r"^0+(\d)", "$1")


# what the per-record keys are computed from: a record whose hash of these is unchanged keeps
# the keys an earlier run computed (the abstract is read only by :func:`corpus_keys`)
KEY_INPUTS = (
    "record_id",
    "search_date",
    "year",
    "title",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "publication_type",
    "authors",
)


def indexed(records: pl.DataFrame) -> pl.DataFrame:
    """The :data:`KEY_INPUTS` of the records in ``record_id`` order, with their position ``i``
    (the index every pair uses) and ``_row``, their row in ``records`` (the other columns,
    such as abstracts, are not copied)."""
    return records.select(KEY_INPUTS).with_row_index("_row").sort("record_id").with_row_index("i")


def input_hash(base: pl.DataFrame) -> pl.Series:
    """A 64-bit hash of each record's :data:`KEY_INPUTS` (polars' seeded row hash: stable for
    one polars version, which the dedupe state records; at 1M records 0.09 s, where the hash
    of a struct of the same columns took 0.73 s)."""
    return base.select(KEY_INPUTS).hash_rows(seed=0).alias("input_hash")


# the keys :func:`corpus_keys` adds (they depend on other records, or on the abstract, which
# :data:`KEY_INPUTS` leaves out); every other key is :func:`record_keys`', a function of them
CORPUS_KEYS = ("generic", "doi_shared", "ab")


def key_hash(input_hashes: pl.Series, keys: pl.DataFrame) -> pl.Series:
    """A 64-bit hash of everything a pair's score reads of each record (the scoring's pair
    fields): of its :func:`input_hash`, which fixes the keys that depend on the record alone,
    and of its :data:`CORPUS_KEYS`, rather than of every key (about 2 s at 1M records)."""
    return (
        keys.select(CORPUS_KEYS)
        .with_columns(input_hashes.alias("_input"))
        .select("_input", *CORPUS_KEYS)
        .hash_rows(seed=0)
        .alias("key_hash")
    )


def match_keys(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record (in ``record_id`` order, position ``i``) with its match keys."""
    base = indexed(records)
    return corpus_keys(record_keys(base), base, records)


def record_keys(base: pl.DataFrame) -> pl.DataFrame:
    """The keys of each record of ``base`` (records with their position ``i``) that depend on
    that record alone; :func:`corpus_keys` adds those that depend on other records."""
    keys = base.select(
        "i",
        "record_id",
        "search_date",
        "year",
        match_title_expr(placeholder_expr(pl.col("title"))).alias("t_full"),
        journal_expr(placeholder_expr(pl.col("journal"))).alias("j"),
        _number("volume").alias("vol"),
        _number("issue").alias("iss"),
        pages_expr(placeholder_expr(pl.col("pages"))).alias("pg"),
        match_doi_expr("doi").alias("doi"),
        pl.col("pmid").str.strip_chars().replace("", None).alias("pmid"),
        pl.col("publication_type").alias("ptype"),
        pl.col("volume").alias("_vol_raw"),
        pl.col("issue").alias("_iss_raw"),
        pl.col("journal").alias("_journal_raw"),
    ).with_columns(
        surnames_frame(base, "authors", MAX_AUTHORS)
        .list.eval(pl.element().filter(~pl.element().is_in(NO_AUTHOR)))
        .alias("_sur")
    )
    first_page = pl.col("pg").str.extract(r"^([^-,]+)")
    last_page = pl.col("pg").str.extract(r"^[^-,]+-([^-,]+)")
    keys = keys.with_columns(
        # pages compare by their numbers: "c37" and "37", "e8" and "8", "0123" and "123"
        first_page.str.replace(r"^[a-z]*0*(\d)", "$1").alias("sp"),
        last_page.str.replace(r"^[a-z]*0*(\d)", "$1").alias("ep"),
        first_page.str.contains(r"^s\d").fill_null(False).alias("_supplement_page"),
        # one page, or a page with a letter ("81A"): a meeting supplement prints many items there
        (last_page.is_null() | (last_page == first_page) | first_page.str.contains(r"\d[a-z]+$"))
        .fill_null(False)
        .alias("pg_single"),
        # a volume that is the year (Cochrane: volume 2020, issue 9) says nothing
        pl.when(pl.col("vol") == pl.col("year").cast(pl.String))
        .then(None)
        .otherwise(pl.col("vol"))
        .alias("vol"),
        notice_kind_expr("t_full").alias("notice"),
        strip_notice_expr("t_full").alias("t"),
        pl.col("_sur").list.join(" ").replace("", None).alias("au"),
        pl.col("_sur").list.first().str.replace_all(" ", "").alias("au1"),
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


def corpus_keys(keys: pl.DataFrame, base: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Add the keys that depend on other records (``keys`` from :func:`record_keys` for every
    record of ``base`` = :func:`indexed` ``records``, in ``i`` order): ``generic`` (a generic or
    recurring title), ``doi_shared`` and ``ab`` (the folded abstract head, for generic titles
    only)."""
    keys = keys.with_columns(
        (
            generic_title_expr("t_full")
            | generic_title_expr("t")
            | (
                pl.col("t").is_not_null()
                & (
                    (pl.col("year").drop_nulls().n_unique().over("t") >= RECURRING_YEARS)
                    | (
                        pl.concat_str("j", "vol", "iss", separator="|")
                        .drop_nulls()
                        .n_unique()
                        .over("t")
                        >= RECURRING_ISSUES
                    )
                )
            )
        )
        .fill_null(False)
        .alias("generic"),
    )
    keys = keys.with_columns(_shared_doi(keys).alias("doi_shared"))
    # abstracts are compared only where a generic title needs their support: fold those alone
    generic = base.join(keys.filter("generic").select("i"), on="i").select("i", "_row")
    generic = generic.with_columns(records["abstract"].gather(generic["_row"])).select(
        "i",
        fold_expr(pl.col("abstract").str.slice(0, 2 * ABSTRACT_HEAD))
        .str.slice(0, ABSTRACT_HEAD)
        .alias("ab"),
    )
    return keys.join(generic, on="i", how="left", maintain_order="left")


def titles_disagree(a: pl.Series, b: pl.Series) -> pl.Series:
    """True where two aligned title columns name different items (similarity under 70 and no
    title inside the other: token set under 90); false where either is null."""
    if a.len() == 0:
        return pl.Series(dtype=pl.Boolean)
    left, right = a.fill_null("").to_list(), b.fill_null("").to_list()
    ratio = process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float64)
    token_set = process.cpdist(left, right, scorer=fuzz.token_set_ratio, dtype=np.float64)
    disagree = pl.Series((ratio < 70) & (token_set < 90))
    return disagree & a.is_not_null() & b.is_not_null()


def _shared_doi(keys: pl.DataFrame) -> pl.Series:
    """True for a record whose DOI is shared by records whose titles disagree: a conference
    supplement's DOI on every abstract of the book, a DOI pasted onto the wrong record. Such a
    DOI names no single item, so it is no evidence of identity (nor of difference).

    Each record's title is compared with the title of its DOI's first record (by ``i``); a
    DOI is shared when any comparison disagrees."""
    held = (
        keys.select("i", "doi_base", "t")
        .filter(pl.col("doi_base").is_not_null() & (pl.len().over("doi_base") >= 2))
        .with_columns(pl.col("t").sort_by("i").first().over("doi_base").alias("_t0"))
        .filter(pl.col("t") != pl.col("_t0"))
    )
    disagree = held.with_columns(titles_disagree(held["t"], held["_t0"]).alias("_d"))
    shared = disagree.filter(pl.col("_d"))["doi_base"].unique()
    return keys["doi_base"].is_in(shared.implode()).fill_null(False)
