"""Decisions carried over to records that join an already-screened study (one row per carried
record).
"""

from __future__ import annotations

import polars as pl

from .. import schemas
from .settings import _ISO_DATE

# -- carry-over ------------------------------------------------------------------------------


def carry_over(
    clusters: pl.DataFrame, records: pl.DataFrame, decisions: pl.DataFrame
) -> pl.DataFrame:
    """Records that joined a study after it was screened and so inherit its decisions.

    A stage's decisions on a study were made on the records that existed then: those whose
    search date is on or before the earliest decision date (a sheet's ``date``; without one,
    the search date of the record the sheet names, else the study's earliest search). A member
    record searched later inherits the decisions; ``adds_abstract`` flags it for a second look
    when it has an abstract and none of the screened records had one.
    """
    members = clusters.select("record_id", "study_id").join(
        records.select(
            "record_id",
            "search_date",
            (pl.col("abstract").str.strip_chars().str.len_chars() > 0)
            .fill_null(False)
            .alias("_has_abstract"),
        ),
        on="record_id",
        how="left",
    )
    first_search = members.group_by("study_id").agg(pl.col("search_date").min().alias("_first"))
    ref_search = members.select(
        pl.col("record_id").alias("referenced_as"), pl.col("search_date").alias("_ref")
    )
    cut = (
        decisions.join(ref_search, on="referenced_as", how="left")
        .join(first_search, on="study_id", how="left")
        .with_columns(
            pl.when(pl.col("date").fill_null("").str.contains(_ISO_DATE.pattern))
            .then(pl.col("date").str.slice(0, 10))
            .otherwise(pl.coalesce("_ref", "_first"))
            .alias("_cut")
        )
        .group_by("study_id", "stage")
        .agg(pl.col("_cut").min().alias("screened_on"))
    )
    joined = cut.join(members, on="study_id", how="inner")
    earlier_abstract = (
        joined.filter(pl.col("search_date") <= pl.col("screened_on"))
        .group_by("study_id", "stage")
        .agg(pl.col("_has_abstract").any().alias("_had_abstract"))
    )
    later = (
        joined.filter(pl.col("search_date") > pl.col("screened_on"))
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
