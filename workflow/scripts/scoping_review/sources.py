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

from ..ledger import Count, CountSpec, Emitter

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
    for source in sorted(by_source):
        studies = by_source[source]
        only = (s for s in studies if sources_of[s] == {source})
        counts.append(EMIT.of(STUDIES, studies, source=source))
        counts.append(EMIT.of(ONLY, only, source=source))
        counts.append(EMIT.of(INCLUDED, studies & included, source=source))
    for a, b in combinations(sorted(by_source), 2):
        counts.append(EMIT.of(OVERLAP, by_source[a] & by_source[b], a=a, b=b))
    return counts
