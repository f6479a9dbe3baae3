"""The dedupe stage's ledger counts: duplicates removed, merges by rule, pairs for review.

Grain: one count per row of :data:`COUNTS` (``duplicates.{rule}`` once per match rule).
"""

from __future__ import annotations

import polars as pl

from ..ledger import Count, CountSpec, Emitter
from .scoring import RULE_TEXT
from .settings import RULES


def _pairs(frame: pl.DataFrame) -> list[str]:
    return (frame["record_id_a"] + "|" + frame["record_id_b"]).to_list()


def _duplicates(clusters: pl.DataFrame) -> pl.DataFrame:
    return clusters.filter(~pl.col("is_representative"))


# id, label, unit, id kind, selector (over the clusters table)
COUNTS = (
    CountSpec("duplicates", "Duplicate records removed", "records", "record_id",
              lambda c: _duplicates(c)["record_id"]),
    CountSpec("dedupe.studies", "Unique studies after deduplication", "studies", "study_id",
              lambda c: c["study_id"]),
)  # fmt: skip
BY_RULE = CountSpec(
    "duplicates.{rule}", "Duplicates linked by rule {rule}: {text}", "records", "record_id"
)
# over the review queue and the relations tables (one ID per record pair)
REVIEW_QUEUE, RELATIONS = (
    CountSpec("dedupe.review_queue", "Record pairs awaiting a person's same/different decision",
              "record pairs", "record_pair", _pairs),
    CountSpec("dedupe.relations",
              "Related but distinct records (erratum, retraction, preprint, abstract, shared DOI)",
              "record pairs", "record_pair", _pairs),
)  # fmt: skip


def dedupe_counts(
    clusters: pl.DataFrame,
    review_queue: pl.DataFrame | None = None,
    relations: pl.DataFrame | None = None,
) -> list[Count]:
    emit = Emitter("02_dedupe", "dedupe")
    dups = _duplicates(clusters)
    counts = emit.table(COUNTS, clusters)
    for rule in RULES:
        ids = dups.filter(pl.col("rule") == rule)["record_id"]
        counts.append(emit.of(BY_RULE, ids, rule=rule, text=RULE_TEXT[rule]))
    if review_queue is not None:
        counts.extend(emit.table([REVIEW_QUEUE], review_queue))
    if relations is not None:
        counts.extend(emit.table([RELATIONS], relations))
    return counts
