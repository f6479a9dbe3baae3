"""Dual review: independent reviewer pairs, agreement per stage and the conflicts table (one row
per study and stage in conflict).
"""

from __future__ import annotations

import polars as pl

from .. import agreement as agr
from .. import schemas
from .settings import CONSENSUS, STAGES, Settings

# -- dual screening: pairs, agreement, conflicts ---------------------------------------------


def independent_pairs(decisions: pl.DataFrame, stage: str) -> pl.DataFrame:
    """Studies decided by two independent reviewers at ``stage``: reviewer a sorts first. A
    ``maybe`` is no decision yet (the reviewer sees the study again): it is not compared."""
    own = decisions.filter(
        (pl.col("stage") == stage)
        & (pl.col("reviewer") != CONSENSUS)
        & (pl.col("decision") != "maybe")
    )
    cols = ("reviewer", "decision", "reason", "note")
    grouped = (
        own.sort("study_id", "reviewer")
        .group_by("study_id", maintain_order=True)
        .agg(*(pl.col(c) for c in cols))
        .filter(pl.col("reviewer").list.len() == 2)
    )
    return grouped.select(
        "study_id",
        *(pl.col(c).list.get(0).alias(f"{c}_a") for c in cols),
        *(pl.col(c).list.get(1).alias(f"{c}_b") for c in cols),
    ).sort("study_id")


def agreement_table(decisions: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """One row per stage: percent agreement, Cohen's kappa and Gwet's AC1 on the decisions of
    studies that two independent reviewers both decided (``n_compared``)."""
    rows = []
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage)
        stats = agr.agreement(list(pairs.select("decision_a", "decision_b").iter_rows()))
        reviewers = sorted(set(pairs["reviewer_a"].to_list()) | set(pairs["reviewer_b"]))
        rows.append(
            {
                "stage": stage,
                "reviewers_configured": settings.stages[stage].reviewers,
                "reviewers": reviewers,
                "n_compared": stats.n_compared,
                "n_agreed": stats.n_agreed,
                "n_disagreed": stats.n_compared - stats.n_agreed,
                "categories": list(stats.categories),
                "percent_agreement": agr.as_float(
                    None if stats.percent is None else stats.percent * 100
                ),
                "kappa": agr.as_float(stats.kappa),
                "ac1": agr.as_float(stats.ac1),
            }
        )
    frame = pl.DataFrame(rows, schema=schemas.AGREEMENT.polars_schema)
    return schemas.validate(frame, schemas.AGREEMENT)


def conflicts_table(decisions: pl.DataFrame) -> pl.DataFrame:
    """Studies whose two independent reviewers disagree, with the consensus if one exists."""
    parts = []
    consensus = decisions.filter(pl.col("reviewer") == CONSENSUS).select(
        "study_id",
        "stage",
        pl.col("decision").alias("consensus_decision"),
        pl.col("reason").alias("consensus_reason"),
    )
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage).filter(
            pl.col("decision_a") != pl.col("decision_b")
        )
        parts.append(pairs.with_columns(pl.lit(stage).alias("stage")))
    frame = pl.concat(parts) if parts else pl.DataFrame()
    frame = frame.join(consensus, on=["study_id", "stage"], how="left").with_columns(
        (
            pl.col("consensus_decision").is_not_null() & (pl.col("consensus_decision") != "maybe")
        ).alias("resolved")
    )
    return schemas.validate(
        frame.select(list(schemas.CONFLICTS.columns)).sort("stage", "study_id"),
        schemas.CONFLICTS,
    )
