"""Counts of studies per source and of the overlap between sources, for the ledger.

Deduplication merges records from several database searches into one study; these counts say
how many distinct studies each search found, how many studies two searches share, how many
only one search found, and how many of the included studies each search found. They are
ledger counts (with the study IDs behind them) so the report's source-overlap figure and
table obey the same rule as every other number.

Count ids (``<a>``, ``<b>`` are search ids, ``<a>`` before ``<b>`` in sort order)::

    sources.studies.<a>       distinct studies with at least one record from search a
    sources.only.<a>          studies found by search a and by no other search
    sources.overlap.<a>.<b>   studies found by both a and b
    sources.included.<a>      included studies (status final == "included") found by a
"""

from __future__ import annotations

from itertools import combinations

import polars as pl

from .ledger import Count, CountSpec, Emitter

EMIT = Emitter(stage="07_report", rule="sources")
# id, label, unit, id kind (per search, and per pair of searches)
STUDIES = CountSpec(
    "sources.studies.{source}",
    "Distinct studies with a record from search {source}",
    "studies",
    "study",
)
ONLY = CountSpec(
    "sources.only.{source}", "Studies found only by search {source}", "studies", "study"
)
INCLUDED = CountSpec(
    "sources.included.{source}",
    "Included studies with a record from search {source}",
    "studies",
    "study",
)
OVERLAP = CountSpec("sources.overlap.{a}.{b}", "Studies found by both search {a} and search {b}",
                    "studies", "study")  # fmt: skip


def source_counts(
    records: pl.DataFrame, clusters: pl.DataFrame, status: pl.DataFrame
) -> list[Count]:
    """Ledger counts of studies per search and per pair of searches.

    ``records`` needs ``record_id`` and ``source_id``; ``clusters`` ``record_id`` and
    ``study_id``; ``status`` ``study_id`` and ``final``.
    """
    pairs = (
        records.select("record_id", pl.col("source_id").cast(pl.String))
        .join(clusters.select("record_id", "study_id"), on="record_id", how="inner")
        .select(pl.col("study_id").cast(pl.String), "source_id")
        .unique()
    )
    # how many searches found each study (1: found only by that search)
    pairs = pairs.with_columns(pl.len().over("study_id").alias("n_sources"))
    included = status.filter(pl.col("final") == "included").get_column("study_id").cast(pl.String)
    pairs = pairs.with_columns(pl.col("study_id").is_in(included.implode()).alias("included"))
    by_source = {
        str(key[0]): frame for key, frame in pairs.partition_by("source_id", as_dict=True).items()
    }
    counts: list[Count] = []
    for source in sorted(by_source):
        frame = by_source[source]
        counts.append(EMIT.of(STUDIES, frame["study_id"], source=source))
        counts.append(
            EMIT.of(ONLY, frame.filter(pl.col("n_sources") == 1)["study_id"], source=source)
        )
        counts.append(EMIT.of(INCLUDED, frame.filter("included")["study_id"], source=source))
    for a, b in combinations(sorted(by_source), 2):
        both = by_source[a].filter(pl.col("study_id").is_in(by_source[b]["study_id"].implode()))
        counts.append(EMIT.of(OVERLAP, both["study_id"], a=a, b=b))
    return counts
