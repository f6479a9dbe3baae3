"""The dedupe stage's ledger counts: duplicates removed, merges by rule, pairs for review."""

from __future__ import annotations

import polars as pl

from ..ledger import Count, Emitter
from .scoring import RULE_TEXT
from .settings import RULES


def dedupe_counts(
    clusters: pl.DataFrame,
    review_queue: pl.DataFrame | None = None,
    relations: pl.DataFrame | None = None,
) -> list[Count]:
    emit = Emitter("02_dedupe", "dedupe")
    dups = clusters.filter(~pl.col("is_representative"))
    counts = [
        emit.count(
            "duplicates",
            dups["record_id"].to_list(),
            unit="records",
            label="Duplicate records removed",
            id_kind="record_id",
        ),
        emit.count(
            "dedupe.studies",
            clusters["study_id"].to_list(),
            unit="studies",
            label="Unique studies after deduplication",
            id_kind="study_id",
        ),
    ]
    for match_rule in RULES:
        counts.append(
            emit.count(
                f"duplicates.{match_rule}",
                dups.filter(pl.col("rule") == match_rule)["record_id"].to_list(),
                unit="records",
                label=f"Duplicates linked by rule {match_rule}: {RULE_TEXT[match_rule]}",
                id_kind="record_id",
            )
        )
    if review_queue is not None:
        counts.append(
            emit.count(
                "dedupe.review_queue",
                (review_queue["record_id_a"] + "|" + review_queue["record_id_b"]).to_list(),
                unit="record pairs",
                label="Record pairs awaiting a person's same/different decision",
                id_kind="record_pair",
            )
        )
    if relations is not None:
        counts.append(
            emit.count(
                "dedupe.relations",
                (relations["record_id_a"] + "|" + relations["record_id_b"]).to_list(),
                unit="record pairs",
                label="Related but distinct records (erratum, retraction, preprint, abstract, "
                "shared DOI)",
                id_kind="record_pair",
            )
        )
    return counts
