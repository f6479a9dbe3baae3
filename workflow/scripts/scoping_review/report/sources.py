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

from ..ledger import Count, Emitter

EMIT = Emitter(stage="07_report", rule="sources")


def source_counts(
    records: pl.DataFrame, clusters: pl.DataFrame, status: pl.DataFrame
) -> list[Count]:
    """Ledger counts of studies per search and per pair of searches.

    ``records`` needs ``record_id`` and ``source_id``; ``clusters`` ``record_id`` and
    ``study_id``; ``status`` ``study_id`` and ``final``.
    """
    pairs = (
        records.select("record_id", "source_id")
        .join(clusters.select("record_id", "study_id"), on="record_id", how="inner")
        .select("study_id", "source_id")
        .unique()
    )
    by_source: dict[str, set[str]] = {}
    for study_id, source_id in pairs.iter_rows():
        by_source.setdefault(str(source_id), set()).add(str(study_id))
    sources_of: dict[str, set[str]] = {}
    for source_id, studies in by_source.items():
        for study_id in studies:
            sources_of.setdefault(study_id, set()).add(source_id)
    included = set(
        status.filter(pl.col("final") == "included").get_column("study_id").cast(pl.String)
    )
    counts: list[Count] = []
    for source_id in sorted(by_source):
        studies = by_source[source_id]
        counts.append(
            EMIT.count(
                f"sources.studies.{source_id}",
                studies,
                unit="studies",
                label=f"Distinct studies with a record from search {source_id}",
                id_kind="study",
            )
        )
        counts.append(
            EMIT.count(
                f"sources.only.{source_id}",
                (s for s in studies if sources_of[s] == {source_id}),
                unit="studies",
                label=f"Studies found only by search {source_id}",
                id_kind="study",
            )
        )
        counts.append(
            EMIT.count(
                f"sources.included.{source_id}",
                studies & included,
                unit="studies",
                label=f"Included studies with a record from search {source_id}",
                id_kind="study",
            )
        )
    for a, b in combinations(sorted(by_source), 2):
        counts.append(
            EMIT.count(
                f"sources.overlap.{a}.{b}",
                by_source[a] & by_source[b],
                unit="studies",
                label=f"Studies found by both search {a} and search {b}",
                id_kind="study",
            )
        )
    return counts
