"""Decisions carried over to records that join an already-screened study (one row per carried
record).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from .. import schemas
from .settings import _ISO_DATE

# -- carry-over ------------------------------------------------------------------------------


def has_abstract(abstract: pl.Expr) -> pl.Expr:
    """Whether a record has an abstract: one that is not empty once stripped."""
    return (abstract.str.strip_chars().str.len_chars() > 0).fill_null(False)


def carry_over(
    clusters: pl.DataFrame,
    records: pl.DataFrame,
    decisions: pl.DataFrame,
    rounds: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Records that joined a study after it was screened and so inherit its decisions.

    Counted by membership, not by dates: a stage's decisions on a study were made in the
    round of the record the sheet names (named by ``study_id``: the study's first round); a
    member record of a later round joined the study after that and inherits the decisions,
    whatever the decision and search dates say (screening of round 1 often ends after the
    round-2 search was run). ``rounds`` maps a record's ``source_id`` (its search) to the
    search's round; without it a later search date is a later round. Within one round, a
    record searched after the earliest decision (``screened_on``: the earliest decision date,
    else the named record's search date) also joined later. ``adds_abstract`` flags a record
    for a second look when it has an abstract and none of the screened records had one.

    ``records`` has ``record_id``, ``source_id``, ``search_date`` and ``abstract``, or instead
    of the text the flag :func:`has_abstract` gives (``has_abstract``: what a caller keeps when
    it need not hold every abstract).
    """
    if rounds is not None:
        round_expr = pl.col("source_id").replace_strict(
            dict(rounds), default=1, return_dtype=pl.Int64
        )
    else:
        round_expr = pl.col("search_date").rank("dense").cast(pl.Int64)
    members = clusters.select("record_id", "study_id").join(
        records.select(
            "record_id",
            "search_date",
            round_expr.alias("_round"),
            (
                pl.col("has_abstract")
                if "has_abstract" in records.columns
                else has_abstract(pl.col("abstract"))
            ).alias("_has_abstract"),
        ),
        on="record_id",
        how="left",
    )
    first = members.group_by("study_id").agg(
        pl.col("search_date").min().alias("_first"), pl.col("_round").min().alias("_first_round")
    )
    ref = members.select(
        pl.col("record_id").alias("referenced_as"),
        pl.col("search_date").alias("_ref"),
        pl.col("_round").alias("_ref_round"),
    )
    cut = (
        decisions.join(ref, on="referenced_as", how="left")
        .join(first, on="study_id", how="left")
        .with_columns(
            pl.when(pl.col("date").fill_null("").str.contains(_ISO_DATE.pattern))
            .then(pl.col("date").str.slice(0, 10))
            .otherwise(pl.coalesce("_ref", "_first"))
            .alias("_cut"),
            pl.coalesce("_ref_round", "_first_round").alias("_decided_round"),
        )
        .group_by("study_id", "stage")
        .agg(
            pl.col("_cut").min().alias("screened_on"),
            pl.col("_decided_round").min().alias("_decided_round"),
        )
    )
    joined = cut.join(members, on="study_id", how="inner")
    later_round = pl.col("_round") > pl.col("_decided_round")
    same_round_later = (pl.col("_round") == pl.col("_decided_round")) & (
        pl.col("search_date") > pl.col("screened_on")
    )
    joined = joined.with_columns((later_round | same_round_later).fill_null(False).alias("_late"))
    earlier_abstract = (
        joined.filter(~pl.col("_late"))
        .group_by("study_id", "stage")
        .agg(pl.col("_has_abstract").any().alias("_had_abstract"))
    )
    later = (
        joined.filter(pl.col("_late"))
        .join(earlier_abstract, on=["study_id", "stage"], how="left")
        .with_columns(
            (pl.col("_has_abstract") & ~pl.col("_had_abstract").fill_null(False)).alias(
                "adds_abstract"
            )
        )
    )
    return schemas.validate(
        later.select(list(schemas.CARRYOVER.columns)).sort("stage", "study_id", "record_id"),
        schemas.CARRYOVER,
    )
