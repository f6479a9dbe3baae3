"""Schemas of the screening stage's tables: decisions, status, agreement, conflicts, carry-over."""

from __future__ import annotations

import polars as pl

from .base import Bool, Int, Str, StrList, TableSchema

DECISIONS = TableSchema(
    name="decisions",
    path="03_screen/decisions.parquet",
    grain="one row per screening decision",
    key=("stage", "reviewer", "study_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "reviewer": Str,
        "decision": Str,
        "reason": Str,
        "date": Str,
        "note": Str,
        "sheet": Str,
        "row": Int,
        "referenced_as": Str,
        "reasons": StrList,
    },
    required=("study_id", "stage", "reviewer", "decision", "sheet", "row"),
    description="reviewer 'consensus' marks a consensus decision; reasons lists every code the "
    "row gave, reason is the one reported (criteria priority)",
)

STATUS = TableSchema(
    name="status",
    path="03_screen/status.parquet",
    grain="one row per study",
    key=("study_id",),
    columns={
        "study_id": Str,
        "title_abstract": Str,
        "title_abstract_reason": Str,
        "full_text": Str,
        "full_text_reason": Str,
        "final": Str,
        "final_reason": Str,
        "pending": Bool,
        "pending_kind": Str,
        "pending_reason": Str,
    },
    required=("study_id", "final", "pending"),
    description="stage columns hold include/exclude/not_retrieved/pending or null when the study "
    "never reached the stage; final is included/excluded_title_abstract/excluded_full_text/"
    "not_retrieved/excluded_automatic/pending; pending_kind (not_screened, awaiting_reviewer, "
    "conflict, maybe) and pending_reason say why a pending study waits",
    checks=(
        (
            "pending_kind set exactly when pending",
            pl.col("pending_kind").is_null() != pl.col("pending"),
        ),
    ),
)

AGREEMENT = TableSchema(
    name="agreement",
    path="03_screen/agreement.parquet",
    grain="one row per screening stage",
    key=("stage",),
    columns={
        "stage": Str,
        "reviewers_configured": Int,
        "reviewers": StrList,
        "n_compared": Int,
        "n_agreed": Int,
        "n_disagreed": Int,
        "categories": StrList,
        "percent_agreement": pl.Float64(),
        "kappa": pl.Float64(),
        "ac1": pl.Float64(),
    },
    required=("stage", "reviewers_configured", "n_compared", "n_agreed", "n_disagreed"),
    description="agreement of two independent reviewers on the studies both decided "
    "(n_compared); statistics are null when undefined (nothing compared, or kappa when chance "
    "agreement is certain)",
    checks=(
        (
            "n_compared == n_agreed + n_disagreed",
            pl.col("n_compared") == pl.col("n_agreed") + pl.col("n_disagreed"),
        ),
    ),
)

CONFLICTS = TableSchema(
    name="conflicts",
    path="03_screen/conflicts.parquet",
    grain="one row per study and stage where two independent reviewers disagree",
    key=("stage", "study_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "reviewer_a": Str,
        "decision_a": Str,
        "reason_a": Str,
        "note_a": Str,
        "reviewer_b": Str,
        "decision_b": Str,
        "reason_b": Str,
        "note_b": Str,
        "consensus_decision": Str,
        "consensus_reason": Str,
        "resolved": Bool,
    },
    required=(
        "study_id",
        "stage",
        "reviewer_a",
        "decision_a",
        "reviewer_b",
        "decision_b",
        "resolved",
    ),
    description="resolved when a consensus row decides the study (03_screen/conflicts.xlsx is "
    "the same list as a sheet to fill in)",
)

CARRYOVER = TableSchema(
    name="carryover",
    path="03_screen/carryover.parquet",
    grain="one row per stage and record that joined an already-screened study",
    key=("stage", "study_id", "record_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "record_id": Str,
        "search_date": Str,
        "screened_on": Str,
        "adds_abstract": Bool,
    },
    required=("study_id", "stage", "record_id", "adds_abstract"),
    description="records searched after the study's first decision at the stage; they inherit "
    "its decisions; adds_abstract flags them for a second look",
)
