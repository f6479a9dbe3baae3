"""Decisions applied to studies stage by stage: the screening status table (one row per study)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from .. import schemas
from .reasons import reason_rank
from .settings import CONSENSUS, ScreeningError

# -- stage outcomes --------------------------------------------------------------------------
# Vectorised with polars (one pass per stage, no per-study Python); tests/unit/
# test_screen_outcomes.py checks it against the per-study rules written as a plain loop.

_NO_RANK = 1 << 30  # a reason code that is not a criterion sorts after every criterion


@dataclass(frozen=True)
class _Outcome:
    decision: str  # include / exclude / not_retrieved / pending
    reason: str | None
    pending_kind: str | None
    pending_reason: str | None


OUTCOME_COLUMNS = ("study_id", "decision", "reason", "pending_kind", "pending_reason")


def _best_reasons(own: pl.DataFrame, rank: Mapping[str, tuple[int, int]]) -> pl.DataFrame:
    """study_id, reason: per study, the best of every reason its reviewers gave
    (:func:`best_reason`: smallest criterion rank, then code)."""
    codes = list(rank)
    every = (
        own.select(
            "study_id",
            pl.when(pl.col("reasons").list.len() > 0)
            .then(pl.col("reasons"))
            .otherwise(pl.concat_list(pl.col("reason")))
            .alias("code"),
        )
        .explode("code")
        .filter(pl.col("code").is_not_null() & (pl.col("code") != ""))
    )
    return (
        every.with_columns(
            pl.col("code")
            .replace_strict(codes, [rank[c][0] for c in codes], default=_NO_RANK)
            .cast(pl.Int64)
            .alias("_p"),
            pl.col("code")
            .replace_strict(codes, [rank[c][1] for c in codes], default=_NO_RANK)
            .cast(pl.Int64)
            .alias("_i"),
        )
        .sort("study_id", "_p", "_i", "code")
        .group_by("study_id", maintain_order=True)
        .agg(pl.col("code").first().alias("reason"))
    )


def stage_outcome_table(
    decisions: pl.DataFrame,
    stage: str,
    reviewers_needed: int,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> pl.DataFrame:
    """One row per study with a decision at ``stage`` (``OUTCOME_COLUMNS``, sorted by study):

    - a consensus row decides (a consensus ``maybe`` leaves the study pending);
    - otherwise a ``maybe`` is no decision yet; independent reviewers whose includes and
      excludes disagree leave it pending (``conflict``), fewer than ``reviewers_needed`` such
      decisions leave it ``maybe`` when a reviewer said maybe, else ``awaiting_reviewer``; an
      agreed decision stands, with the best of their reasons.
    """
    rank = reason_rank(criteria)
    rows = decisions.filter(pl.col("stage") == stage)
    if "reasons" not in rows.columns:
        rows = rows.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("reasons"))
    rows = rows.select(
        pl.col("study_id").cast(pl.String), "reviewer", "decision", "reason", "reasons"
    )
    consensus = (
        rows.filter(pl.col("reviewer") == CONSENSUS)
        .group_by("study_id", maintain_order=True)
        .first()
        .select(
            "study_id",
            pl.when(pl.col("decision") == "maybe")
            .then(pl.lit("pending"))
            .otherwise(pl.col("decision"))
            .alias("decision"),
            pl.when(pl.col("decision") == "maybe")
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.col("reason"))
            .alias("reason"),
            pl.when(pl.col("decision") == "maybe")
            .then(pl.lit("maybe"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("pending_kind"),
            pl.when(pl.col("decision") == "maybe")
            .then(pl.lit("consensus decision is maybe"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("pending_reason"),
        )
    )
    own = rows.filter(
        (pl.col("reviewer") != CONSENSUS)
        & ~pl.col("study_id").is_in(consensus["study_id"].implode())
    ).sort("study_id", "reviewer")
    # a maybe is no decision yet (the reviewer sees the study again): it neither counts
    # towards the reviewers needed nor makes a conflict with another reviewer's decision
    firm = pl.col("decision") != "maybe"
    grouped = own.group_by("study_id", maintain_order=True).agg(
        firm.sum().alias("n"),
        pl.col("decision").filter(firm).n_unique().alias("kinds"),
        pl.col("decision").filter(firm).first().alias("first"),
        pl.col("reviewer").filter(firm).str.join(", ").alias("who"),
        pl.col("reviewer").filter(~firm).str.join(", ").alias("unsure"),
        (pl.col("reviewer") + ": " + pl.col("decision")).filter(firm).str.join(", ").alias("said"),
    )
    grouped = grouped.join(_best_reasons(own.filter(firm), rank), on="study_id", how="left")
    conflict = pl.col("kinds") > 1
    awaiting = ~conflict & (pl.col("n") < reviewers_needed)
    maybe = awaiting & (pl.col("unsure") != "")
    decided = ~conflict & ~awaiting
    independent = grouped.select(
        "study_id",
        pl.when(decided).then(pl.col("first")).otherwise(pl.lit("pending")).alias("decision"),
        pl.when(decided).then(pl.col("reason")).alias("reason"),
        pl.when(conflict)
        .then(pl.lit("conflict"))
        .when(maybe)
        .then(pl.lit("maybe"))
        .when(awaiting)
        .then(pl.lit("awaiting_reviewer"))
        .alias("pending_kind"),
        pl.when(conflict)
        .then(pl.format("conflict ({}); awaiting consensus", pl.col("said")))
        .when(maybe & (pl.col("n") == 0))
        .then(pl.format("maybe ({})", pl.col("unsure")))
        .when(maybe)
        .then(pl.format("maybe ({}); decided by {}", pl.col("unsure"), pl.col("who")))
        .when(awaiting)
        .then(
            pl.format(
                "decided by {}; awaiting {} more independent reviewer(s)",
                pl.col("who"),
                pl.lit(reviewers_needed, dtype=pl.Int64) - pl.col("n").cast(pl.Int64),
            )
        )
        .alias("pending_reason"),
    )
    return pl.concat([consensus, independent], how="vertical_relaxed").sort("study_id")


def stage_outcomes(
    decisions: pl.DataFrame,
    stage: str,
    reviewers_needed: int,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> dict[str, _Outcome]:
    """study_id → outcome of one stage for every study with a decision at that stage."""
    table = stage_outcome_table(decisions, stage, reviewers_needed, criteria)
    return {row[0]: _Outcome(*row[1:]) for row in table.iter_rows()}


def _needed(reviewers_per_stage: int | Mapping[str, int], stage: str) -> int:
    if isinstance(reviewers_per_stage, int):
        return reviewers_per_stage
    return int(reviewers_per_stage.get(stage, 1))


def _prefixed(table: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return table.rename({c: f"{prefix}{c}" for c in OUTCOME_COLUMNS if c != "study_id"})


def _unscreened_or(prefix: str, column: str, unscreened: str) -> pl.Expr:
    """A stage's ``column``, or ``unscreened`` for a study without a decision at the stage."""
    no_decision = pl.col(f"{prefix}_decision").is_null()
    return pl.when(no_decision).then(pl.lit(unscreened)).otherwise(pl.col(f"{prefix}_{column}"))


def screening_status(
    studies: pl.DataFrame,
    decisions: pl.DataFrame,
    automatic: pl.DataFrame,
    reviewers_per_stage: int | Mapping[str, int] = 1,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> pl.DataFrame:
    """One row per study with its outcome at each stage, its final status and, when pending,
    why (not screened, awaiting a reviewer, a conflict awaiting consensus, or maybe)."""
    ta = stage_outcome_table(
        decisions, "title_abstract", _needed(reviewers_per_stage, "title_abstract"), criteria
    )
    ft = stage_outcome_table(
        decisions, "full_text", _needed(reviewers_per_stage, "full_text"), criteria
    )
    auto = automatic.select(
        pl.col("study_id").cast(pl.String), pl.col("reason").alias("auto_reason")
    ).with_columns(pl.lit(True).alias("auto"))
    frame = (
        studies.select(pl.col("study_id").cast(pl.String))
        .sort("study_id")
        .join(auto, on="study_id", how="left")
        .join(_prefixed(ta, "ta_"), on="study_id", how="left")
        .join(_prefixed(ft, "ft_"), on="study_id", how="left")
    )
    null = pl.lit(None, dtype=pl.String)
    is_auto = pl.col("auto").fill_null(False)
    # a study without a decision at a stage it reached is not yet screened
    t_decision = pl.col("ta_decision").fill_null("pending")
    t_kind = _unscreened_or("ta", "pending_kind", "not_screened")
    t_why = _unscreened_or("ta", "pending_reason", "not yet screened")
    reached_ft = ~is_auto & (t_decision == "include")
    f_decision = pl.col("ft_decision").fill_null("pending")
    f_kind = _unscreened_or("ft", "pending_kind", "not_screened")
    f_why = _unscreened_or("ft", "pending_reason", "not yet screened")
    final = (
        pl.when(is_auto)
        .then(pl.lit("excluded_automatic"))
        .when(t_decision == "exclude")
        .then(pl.lit("excluded_title_abstract"))
        .when(t_decision == "include")
        .then(f_decision.replace({"exclude": "excluded_full_text", "include": "included"}))
        .otherwise(t_decision)
    )
    status = frame.select(
        "study_id",
        pl.when(is_auto).then(null).otherwise(t_decision).alias("title_abstract"),
        pl.when(is_auto).then(null).otherwise(pl.col("ta_reason")).alias("title_abstract_reason"),
        pl.when(reached_ft).then(f_decision).otherwise(null).alias("full_text"),
        pl.when(reached_ft).then(pl.col("ft_reason")).otherwise(null).alias("full_text_reason"),
        final.alias("final"),
        pl.when(is_auto)
        .then(pl.col("auto_reason"))
        .when(reached_ft)
        .then(pl.col("ft_reason"))
        .otherwise(pl.col("ta_reason"))
        .alias("final_reason"),
        pl.when(final == "pending")
        .then(pl.when(reached_ft).then(f_kind).otherwise(t_kind))
        .otherwise(null)
        .alias("pending_kind"),
        pl.when(final == "pending")
        .then(pl.when(reached_ft).then(f_why).otherwise(t_why))
        .otherwise(null)
        .alias("pending_reason"),
    ).with_columns((pl.col("final") == "pending").alias("pending"))
    return schemas.validate(status.select(list(schemas.STATUS.columns)), schemas.STATUS)


def check_full_text_scope(decisions: pl.DataFrame, status: pl.DataFrame) -> None:
    """Full-text decisions for studies that did not pass title/abstract are errors."""
    passed = status.filter(pl.col("title_abstract") == "include")["study_id"]
    stray = decisions.filter(
        (pl.col("stage") == "full_text") & ~pl.col("study_id").is_in(passed.to_list())
    )
    if stray.height:
        lines = [
            f"{s}, row {r}: full-text decision for {ref}, "
            "which did not pass title/abstract screening"
            for s, r, ref in stray.select("sheet", "row", "referenced_as").rows()
        ]
        raise ScreeningError("\n  ".join(["full-text decisions out of scope:", *lines]))
