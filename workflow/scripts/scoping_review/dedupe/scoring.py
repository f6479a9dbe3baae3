"""Pair features (rapidfuzz, column-wise) and the three-way verdict with the rule that made it."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

PAIR_FIELDS = (
    "record_id",
    "search_date",
    "year",
    "t",
    "t_full",
    "n_words",
    "notice",
    "au",
    "au1",
    "j",
    "vol",
    "iss",
    "pg",
    "sp",
    "ep",
    "doi",
    "doi_base",
    "pmid",
    "preprint",
    "conference",
    "generic",
    "doi_shared",
    "ab",
    "pg_single",
)


# what the verdict, the evidence and the outputs read from a scored pair
FEATURES = (
    "i",
    "j",
    "ti",
    "ti_set",
    "ti_exact",
    "ti_prefix",
    "au",
    "au1",
    "jo",
    "yr",
    "doi",
    "pmid",
    "vol",
    "iss",
    "sp",
    "pg",
    "pages",
    "n_words_a",
    "n_words_b",
    "notice_a",
    "notice_b",
    "preprint_a",
    "preprint_b",
    "conference_a",
    "conference_b",
    "generic_a",
    "generic_b",
    "doi_shared",
    "ab",
    "pg_single_a",
    "pg_single_b",
)


def _similarity(a: pl.Series, b: pl.Series, scorer: Any, workers: int = 1) -> pl.Series:
    """0-100 similarity of aligned string columns; null where either side is null.
    ``workers``: threads rapidfuzz compares in (each pair's score is the same)."""
    missing = a.is_null() | b.is_null()
    if a.len() == 0:
        return pl.Series(dtype=pl.Float64)
    scores = process.cpdist(
        a.fill_null("").to_list(),
        b.fill_null("").to_list(),
        scorer=scorer,
        dtype=np.float64,
        workers=workers,
    )
    return pl.Series(scores).round(1).set(missing, None)


def _agree(col: str) -> pl.Expr:
    """1 when both sides have the same value, 0 when both have different values, else null."""
    a, b = pl.col(f"{col}_a"), pl.col(f"{col}_b")
    return pl.when(a.is_null() | b.is_null()).then(None).otherwise((a == b).cast(pl.Int8))


def pair_features(keys: pl.DataFrame, pairs: pl.DataFrame, workers: int = 1) -> pl.DataFrame:
    """Join both records' keys onto ``pairs`` (columns i, j) and compute the similarities.

    Cheap comparisons (identifiers, volume, pages, year) and the title similarity come first;
    the author, journal and title-containment similarities are computed only for pairs that
    some rule could still link (null, i.e. "no evidence", for the rest).
    """
    side = keys.select("i", *PAIR_FIELDS)
    frame = pairs.join(side.rename(lambda c: f"{c}_a"), left_on="i", right_on="i_a").join(
        side.rename(lambda c: f"{c}_b"), left_on="j", right_on="i_b"
    )
    short_a = pl.col("t_a").str.len_chars() <= pl.col("t_b").str.len_chars()
    frame = frame.with_columns(
        _similarity(frame["t_a"], frame["t_b"], fuzz.ratio, workers).alias("ti"),
        (pl.col("year_a") - pl.col("year_b")).abs().alias("yr"),
        (pl.col("au1_a") == pl.col("au1_b")).alias("au1"),
        (pl.col("t_full_a") == pl.col("t_full_b")).alias("ti_exact"),
        pl.when(short_a)
        .then(pl.col("t_b").str.starts_with(pl.col("t_a")) & (pl.col("n_words_a") >= 6))
        .otherwise(pl.col("t_a").str.starts_with(pl.col("t_b")) & (pl.col("n_words_b") >= 6))
        .alias("ti_prefix"),
        # a DOI shared by records whose titles disagree (a supplement's) says nothing either way
        pl.when(pl.col("doi_shared_a") | pl.col("doi_shared_b"))
        .then(None)
        .otherwise(_agree("doi_base"))
        .alias("doi"),
        ((pl.col("doi_base_a") == pl.col("doi_base_b")) & pl.col("doi_shared_a"))
        .fill_null(False)
        .alias("doi_shared"),
        _agree("pmid").alias("pmid"),
        _agree("vol").alias("vol"),
        _agree("iss").alias("iss"),
        _agree("sp").alias("sp"),
        _agree("pg").alias("pg"),
        # pages agree when the first or the last page agree (a letter and its reply, a typo)
        pl.when(pl.col("sp_a").is_null() | pl.col("sp_b").is_null())
        .then(None)
        .when(
            (pl.col("sp_a") == pl.col("sp_b"))
            | (pl.coalesce("ep_a", "sp_a") == pl.coalesce("ep_b", "sp_b"))
        )
        .then(pl.lit(1, pl.Int8))
        .otherwise(pl.lit(0, pl.Int8))
        .alias("pages"),
    )
    # every rule and the maybe verdict need a title similarity of 50, a shared DOI or PMID, the
    # same volume and pages, or one title inside the other
    worth = (
        (pl.col("ti") >= 50).fill_null(True)
        | (pl.col("doi") == 1).fill_null(False)
        | pl.col("doi_shared")
        | (pl.col("pmid") == 1).fill_null(False)
        | ((pl.col("vol") == 1) & (pl.col("pages") == 1)).fill_null(False)
        | pl.col("t_a").str.contains(pl.col("t_b"), literal=True).fill_null(False)
        | pl.col("t_b").str.contains(pl.col("t_a"), literal=True).fill_null(False)
    )
    frame = frame.with_columns(worth.alias("_worth"))
    rich = frame.filter(pl.col("_worth"))
    rich = rich.with_columns(
        _similarity(rich["t_a"], rich["t_b"], fuzz.token_set_ratio, workers).alias("ti_set"),
        _similarity(rich["au_a"], rich["au_b"], fuzz.token_set_ratio, workers).alias("au"),
        _similarity(rich["j_a"], rich["j_b"], fuzz.ratio, workers).alias("_jo"),
    )
    rich = rich.with_columns(
        pl.when(_journal_abbreviation(rich))
        .then(pl.lit(100.0))
        .otherwise(pl.col("_jo"))
        .alias("jo")
    ).drop("_jo")
    # abstracts are compared only where a generic title needs their support
    needs_abstract = (pl.col("generic_a") | pl.col("generic_b")) & pl.col("ab_a").is_not_null()
    with_ab = rich.filter(needs_abstract & pl.col("ab_b").is_not_null())
    rich = pl.concat(
        [
            with_ab.with_columns(
                _similarity(with_ab["ab_a"], with_ab["ab_b"], fuzz.ratio, workers).alias("ab")
            ),
            rich.filter(~(needs_abstract & pl.col("ab_b").is_not_null())).with_columns(
                pl.lit(None, dtype=pl.Float64).alias("ab")
            ),
        ]
    )
    poor = frame.filter(~pl.col("_worth")).with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c) for c in ("ti_set", "au", "jo", "ab")
    )
    return pl.concat([rich.select(FEATURES), poor.select(FEATURES)])


def abbreviates(short: str, full: str) -> bool:
    """True when the journal name ``short`` is an abbreviation of ``full`` word by word (both
    as :func:`~scoping_review.normalize.journal_expr` gives them): each word of the shorter
    name starts the corresponding word of the longer one, or is its first letter followed by
    some of its letters in order (``"natl"`` → ``"national"``, ``"j clin psychol"`` →
    ``"journal clinical psychology"``, never ``"journal clinical psychiatry"``)."""
    a, b = short.split(), full.split()
    if len(a) != len(b) or not a:
        return False
    for x, y in zip(a, b, strict=True):
        if len(x) > len(y):
            x, y = y, x
        if x[0] != y[0]:
            return False
        if y.startswith(x):
            continue
        rest = iter(y[1:])
        if not all(ch in rest for ch in x[1:]):
            return False
    return True


def _journal_abbreviation(rich: pl.DataFrame) -> pl.Series:
    """:func:`abbreviates` for each pair, computed once per distinct pair of journal names."""
    names = rich.select("j_a", "j_b")
    todo = names.filter(
        pl.col("j_a").is_not_null() & pl.col("j_b").is_not_null() & (pl.col("j_a") != pl.col("j_b"))
    ).unique()
    hits = todo.filter(
        pl.Series([abbreviates(a, b) for a, b in todo.iter_rows()], dtype=pl.Boolean)
    ).with_columns(pl.lit(True).alias("_abbr"))
    return (
        names.join(hits, on=["j_a", "j_b"], how="left", maintain_order="left")["_abbr"]
        .fill_null(False)
        .alias("_abbr")
    )


def _yes(col: str) -> pl.Expr:
    return (pl.col(col) == 1).fill_null(False)


def _no(col: str) -> pl.Expr:
    return (pl.col(col) == 0).fill_null(False)


def _ge(col: str, value: float) -> pl.Expr:
    return (pl.col(col) >= value).fill_null(False)


# Duplicate rules, strongest first; a pair takes the name of the first rule it meets.
DUPLICATE_RULES = (
    "doi",
    "pmid",
    "title_year",
    "same_issue_pages",
    "same_issue",
    "bibliographic",
    "title_contained",
    "fuzzy",
)
RULE_TEXT = {
    "doi": "same DOI, and titles agree (or first author and year do)",
    "pmid": "same PMID, and titles agree (or first author and year do)",
    "title_year": "same normalised title and year; long title or same first author; no conflict",
    "same_issue_pages": "near-identical title in the same journal, volume and pages",
    "same_issue": "identical title and authors in the same journal, volume and issue",
    "bibliographic": "same journal, volume, pages, authors and year; titles overlap",
    "title_contained": "one title contains the other; same authors, journal and year",
    "fuzzy": "near-identical title, compatible authors and year, corroborated by venue",
    "override": "a person decided these records are the same study",
}
RELATION_TEXT = {
    "erratum": "an erratum/correction notice of the other record",
    "retraction": "a retraction notice of the other record",
    "expression_of_concern": "an expression of concern about the other record",
    "preprint": "a preprint of the other (published) record",
    "conference_abstract": "a conference abstract of the other (later or journal) record",
    "shared_doi": "shares its DOI with the other record, but titles and authors differ (one DOI "
    "for a whole supplement or abstract book, or a DOI on the wrong record)",
}


def verdicts(features: pl.DataFrame, settings: Any) -> pl.DataFrame:
    """Add ``relation``, ``verdict`` (duplicate / maybe / distinct), ``rule`` and ``evidence``.

    ``settings`` is a :class:`DedupeSettings`. A pair flagged as a relation (one record is an
    erratum, retraction notice, preprint or conference abstract of the other) is never a
    duplicate.
    """
    s = settings
    conflict = _no("doi") | _no("vol") | _no("pages") | _no("pmid")
    authors_ok = pl.col("au").is_null() | _ge("au", s.min_author_similarity)
    same_year = (pl.col("yr") == 0).fill_null(False)
    near_year = (pl.col("yr") <= 1).fill_null(True)
    title_ok = _ge("ti", s.min_title_similarity)
    fuzzy = s.fuzzy_title_similarity
    venue = _ge("jo", s.min_journal_similarity)
    short_title = pl.min_horizontal("n_words_a", "n_words_b") < s.min_title_words
    # a meeting supplement prints many abstracts on one page ("81A"): such a page is weak evidence
    weak_pages = (pl.col("conference_a") | pl.col("conference_b")) & (
        pl.col("pg_single_a") | pl.col("pg_single_b")
    )
    strong_pages = _yes("pages") & ~weak_pages
    # online first, then in print a year later: same DOI and title; the online-first record's
    # pages (article numbering, "1-17") and volume differ from the print record's
    online_first = (
        _yes("doi") & _ge("ti", fuzzy) & (pl.col("yr") == 1).fill_null(False) & authors_ok
    )
    conditions = {
        "doi": _yes("doi")
        & (title_ok | pl.col("ti").is_null() | (_ge("au", 90) & same_year))
        & ((~_no("pages") & ~_no("vol")) | online_first),
        "pmid": _yes("pmid") & (title_ok | pl.col("ti").is_null() | (_ge("au", 90) & same_year)),
        "title_year": pl.col("ti_exact").fill_null(False)
        & same_year
        & ~conflict
        & authors_ok
        & ~(pl.col("jo") < 80).fill_null(False)
        & (~short_title | pl.col("au1"))
        # a short title in another issue is another item (a column, a reply)
        & ~(short_title & _no("iss")),
        "same_issue_pages": _ge("ti", fuzzy)
        & venue
        & _yes("vol")
        & _yes("pages")
        & same_year
        & ~_no("doi")
        & ~_no("iss"),
        "same_issue": _ge("ti", 98)
        & _ge("au", 95)
        & venue
        & _yes("vol")
        & _yes("iss")
        & same_year
        & ~_no("doi"),
        "bibliographic": venue
        & _yes("vol")
        & _yes("pages")
        & _ge("au", 90)
        & near_year
        & ~_no("doi")
        & ~_no("iss")
        & ((_ge("ti", 50) | _ge("ti_set", 90)) & ~weak_pages | title_ok),
        "title_contained": _ge("ti_set", 95)
        & _ge("au", 90)
        & venue
        & same_year
        & ~conflict
        & (_yes("vol") | strong_pages),
        "fuzzy": _ge("ti", fuzzy)
        & authors_ok
        & near_year
        & ~conflict
        & (
            _ge("jo", 80)
            | _yes("vol")
            | _yes("pages")
            | (same_year & _ge("au", 95) & _ge("ti", 98))
        ),
    }
    # a generic or recurring title ("Editor's comments", "Book review") with the same authors,
    # journal, year and volume can still be another item: a rule links such a pair only with
    # support from the DOI, PMID, pages (in no other issue) or abstract; else a person decides
    generic = pl.col("generic_a") | pl.col("generic_b")
    corroborated = (
        _yes("doi")
        | _yes("pmid")
        | (strong_pages & ~_no("iss"))
        | _ge("ab", s.min_title_similarity)
    )
    vetoed = generic & ~corroborated
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for name in reversed(DUPLICATE_RULES):
        rule = pl.when(conditions[name]).then(pl.lit(name)).otherwise(rule)

    close_title = _ge("ti", 90) & (pl.col("au").is_null() | _ge("au", 70))
    unrelated_titles = (pl.col("ti") < 70).fill_null(False) & (pl.col("ti_set") < 90).fill_null(
        True
    )
    same_people = _ge("au", 90) & near_year
    one_notice = pl.col("notice_a").is_null() != pl.col("notice_b").is_null()
    relation = (
        # one DOI on records with other titles and other authors: different items of one book
        pl.when(pl.col("doi_shared") & unrelated_titles & ~same_people)
        .then(pl.lit("shared_doi"))
        # a notice and its article never share their pages; records that do are one item
        .when(one_notice & _ge("ti", 90) & ~_yes("pages"))
        .then(pl.coalesce("notice_a", "notice_b"))
        .when((pl.col("preprint_a") != pl.col("preprint_b")) & close_title & ~_yes("doi"))
        .then(pl.lit("preprint"))
        .when(
            (pl.col("conference_a") != pl.col("conference_b"))
            & close_title
            & ~_yes("doi")
            & ~_yes("pages")
            # the same journal volume (a supplement) in the same year is one meeting item
            & ~_yes("vol")
            & ~(_ge("jo", 80) & same_year)
        )
        .then(pl.lit("conference_abstract"))
        .otherwise(None)
    )
    maybe = (
        (_ge("ti", s.maybe_title_similarity) & (pl.col("au").is_null() | _ge("au", 60)) & near_year)
        | (_ge("ti_set", 95) & _ge("au", 90) & near_year)
        | _yes("doi")
        | _yes("pmid")
        | (pl.col("doi_shared") & same_people)
    )
    out = features.with_columns(
        relation.alias("relation"),
        pl.when(vetoed).then(None).otherwise(rule).alias("_rule"),
        (rule.is_not_null() & vetoed).alias("_vetoed"),
    )
    out = out.with_columns(
        pl.when(pl.col("relation").is_not_null())
        .then(pl.lit("distinct"))
        .when(pl.col("_rule").is_not_null())
        .then(pl.lit("duplicate"))
        .when(maybe | pl.col("_vetoed"))
        .then(pl.lit("maybe"))
        .otherwise(pl.lit("distinct"))
        .alias("verdict"),
    )
    out = out.with_columns(
        pl.when(pl.col("verdict") == "duplicate")
        .then(pl.col("_rule"))
        .otherwise(None)
        .alias("rule"),
    ).drop("_rule", "_vetoed")
    # evidence is written out only for pairs someone will read (links, maybes, relations)
    shown = (pl.col("verdict") != "distinct") | pl.col("relation").is_not_null()
    told = out.filter(shown).with_columns(evidence_expr().alias("evidence"))
    rest = out.filter(~shown).with_columns(pl.lit(None, dtype=pl.String).alias("evidence"))
    return pl.concat([told, rest])


def evidence_expr() -> pl.Expr:
    """A short, readable account of a pair's scores (``title 98 · authors 100 · ...``)."""

    def num(label: str, col: str) -> pl.Expr:
        return (
            pl.when(pl.col(col).is_null())
            .then(None)
            .otherwise(pl.lit(label + " ") + pl.col(col).round(0).cast(pl.Int64).cast(pl.String))
        )

    def agree(label: str, col: str) -> pl.Expr:
        return (
            pl.when(pl.col(col) == 1)
            .then(pl.lit(f"{label} same"))
            .when(pl.col(col) == 0)
            .then(pl.lit(f"{label} differ"))
            .otherwise(None)
        )

    year = (
        pl.when(pl.col("yr").is_null())
        .then(None)
        .when(pl.col("yr") == 0)
        .then(pl.lit("year same"))
        .otherwise(pl.lit("years ") + pl.col("yr").cast(pl.String) + pl.lit(" apart"))
    )
    parts = [
        num("title", "ti"),
        num("authors", "au"),
        num("journal", "jo"),
        year,
        agree("DOI", "doi"),
        agree("PMID", "pmid"),
        agree("volume", "vol"),
        agree("issue", "iss"),
        agree("pages", "pages"),
        num("abstract", "ab"),
        pl.when(pl.col("doi_shared")).then(pl.lit("DOI shared by records with other titles")),
        pl.when(pl.col("generic_a") | pl.col("generic_b")).then(pl.lit("generic title")),
    ]
    return pl.concat_list(parts).list.drop_nulls().list.join(" · ")
