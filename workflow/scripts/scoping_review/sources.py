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

A living review searches a database again in each round: a study found in round 1 and again in
round 2 is then found by two searches, and "only this search" says nothing about what the
database adds. Where a database has more than one search, the same counts are made per
database as well (``<d>``: :func:`database_key` of its name, all its searches together)::

    sources.database.records.<d>          records of the database's searches
    sources.database.studies.<d>          distinct studies with a record from it
    sources.database.only.<d>             studies found by it and by no other database
    sources.database.overlap.<d>.<e>      studies found by both databases
    sources.database.included.<d>         included studies found by it
"""

from __future__ import annotations

from itertools import combinations

import polars as pl

from .ledger import Count, CountSpec, Emitter
from .normalize import slug

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


DB_RECORDS = CountSpec(
    "sources.database.records.{database}",
    "Records identified from {name} (its searches of every round)",
    "records",
    "record",
)
DB_STUDIES = CountSpec(
    "sources.database.studies.{database}",
    "Distinct studies with a record from {name} (any of its searches)",
    "studies",
    "study",
)
DB_ONLY = CountSpec(
    "sources.database.only.{database}",
    "Studies found only by {name} (by no other database)",
    "studies",
    "study",
)
DB_INCLUDED = CountSpec(
    "sources.database.included.{database}",
    "Included studies with a record from {name} (any of its searches)",
    "studies",
    "study",
)
DB_OVERLAP = CountSpec(
    "sources.database.overlap.{a}.{b}",
    "Studies found by both {name_a} and {name_b}",
    "studies",
    "study",
)


def database_key(name: str) -> str:
    """A database's name as it stands in count ids (``APA PsycInfo`` -> ``apa_psycinfo``)."""
    return slug(name, empty="unnamed")


def source_counts(
    records: pl.DataFrame, clusters: pl.DataFrame, status: pl.DataFrame
) -> list[Count]:
    """Ledger counts of studies per search and per pair of searches, and per database where
    a database has more than one search.

    ``records`` needs ``record_id`` and ``source_id`` (and ``database`` for the counts per
    database); ``clusters`` ``record_id`` and ``study_id``; ``status`` ``study_id`` and
    ``final``.
    """
    counts = _counts(records, "source_id", clusters, status, (STUDIES, ONLY, INCLUDED, OVERLAP))
    if "database" not in records.columns:
        return counts
    searches = records.select(
        "source_id", pl.col("database").cast(pl.String).fill_null("")
    ).unique()
    key_of = {name: database_key(name) for name in searches["database"].unique().to_list()}
    keys = searches.select(
        "source_id", pl.col("database").replace_strict(key_of).alias("key")
    ).unique()  # a search whose records spell its database two ways is still one search
    if not keys["key"].is_duplicated().any():  # one search per database: the counts above
        return counts
    # each key's name: the first of its spellings in sort order
    name_of: dict[str, str] = {}
    for name in sorted(key_of):
        name_of.setdefault(key_of[name], name)
    keyed = records.with_columns(
        pl.col("database")
        .cast(pl.String)
        .fill_null("")
        .replace_strict(key_of, return_dtype=pl.String)
        .alias("database_key")
    )
    for key in sorted(name_of):
        ids = keyed.filter(pl.col("database_key") == key)["record_id"]
        counts.append(EMIT.of(DB_RECORDS, ids, database=key, name=name_of[key]))
    specs = (DB_STUDIES, DB_ONLY, DB_INCLUDED, DB_OVERLAP)
    return counts + _counts(keyed, "database_key", clusters, status, specs, name_of)


def _counts(
    records: pl.DataFrame,
    by: str,
    clusters: pl.DataFrame,
    status: pl.DataFrame,
    specs: tuple[CountSpec, CountSpec, CountSpec, CountSpec],
    names: dict[str, str] | None = None,
) -> list[Count]:
    """Studies, only, included and pairwise overlap counts of the sources in column ``by``."""
    studies_spec, only_spec, included_spec, overlap_spec = specs
    pairs = (
        records.select("record_id", pl.col(by).cast(pl.String).alias("source_id"))
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

    def fields(source: str) -> dict[str, str]:
        # search counts name the search; database counts the database (key and name)
        return {"source": source} if names is None else {"database": source, "name": names[source]}

    for source in sorted(by_source):
        frame = by_source[source]
        counts.append(EMIT.of(studies_spec, frame["study_id"], **fields(source)))
        only = frame.filter(pl.col("n_sources") == 1)["study_id"]
        counts.append(EMIT.of(only_spec, only, **fields(source)))
        counts.append(
            EMIT.of(included_spec, frame.filter("included")["study_id"], **fields(source))
        )
    for a, b in combinations(sorted(by_source), 2):
        both = by_source[a].filter(pl.col("study_id").is_in(by_source[b]["study_id"].implode()))
        named = {} if names is None else {"name_a": names[a], "name_b": names[b]}
        counts.append(EMIT.of(overlap_spec, both["study_id"], a=a, b=b, **named))
    return counts
