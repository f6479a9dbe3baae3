"""The screening status rules written as a plain per-study loop (the implementation before it
was vectorised): the reference ``scoping_review.screen.screening_status`` must equal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from scoping_review import schemas
from scoping_review.screen.reasons import best_reason, reason_rank
from scoping_review.screen.settings import CONSENSUS


@dataclass(frozen=True)
class _Outcome:
    decision: str  # include / exclude / not_retrieved / pending
    reason: str | None
    pending_kind: str | None
    pending_reason: str | None


def _decide(
    rows: Sequence[Mapping[str, Any]], needed: int, rank: Mapping[str, tuple[int, int]]
) -> _Outcome:
    consensus = [r for r in rows if r["reviewer"] == CONSENSUS]
    if consensus:
        c = consensus[0]
        if c["decision"] == "maybe":
            return _Outcome("pending", None, "maybe", "consensus decision is maybe")
        return _Outcome(str(c["decision"]), c["reason"], None, None)
    every = sorted(rows, key=lambda r: str(r["reviewer"]))
    if not every:
        return _Outcome("pending", None, "not_screened", "not yet screened")
    # a maybe is no decision yet: it counts towards no reviewer and makes no conflict
    own = [r for r in every if r["decision"] != "maybe"]
    unsure = ", ".join(str(r["reviewer"]) for r in every if r["decision"] == "maybe")
    kinds = {r["decision"] for r in own}
    if len(kinds) > 1:
        said = ", ".join(f"{r['reviewer']}: {r['decision']}" for r in own)
        return _Outcome("pending", None, "conflict", f"conflict ({said}); awaiting consensus")
    if len(own) < needed:
        who = ", ".join(str(r["reviewer"]) for r in own)
        if unsure and not own:
            return _Outcome("pending", None, "maybe", f"maybe ({unsure})")
        if unsure:
            return _Outcome("pending", None, "maybe", f"maybe ({unsure}); decided by {who}")
        return _Outcome(
            "pending",
            None,
            "awaiting_reviewer",
            f"decided by {who}; awaiting {needed - len(own)} more independent reviewer(s)",
        )
    decision = str(own[0]["decision"])
    reasons = [x for r in own for x in (r.get("reasons") or [r["reason"]])]
    return _Outcome(decision, best_reason(reasons, rank), None, None)


def stage_outcomes(
    decisions: pl.DataFrame,
    stage: str,
    reviewers_needed: int,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> dict[str, _Outcome]:
    """study_id → outcome of one stage for every study with a decision at that stage."""
    rank = reason_rank(criteria)
    by_study: dict[str, list[dict[str, Any]]] = {}
    # only the columns _decide reads: fewer per-row dicts to build on large reviews
    used = [c for c in ("study_id", "reviewer", "decision", "reason", "reasons") if c in decisions]
    stage_rows = decisions.filter(pl.col("stage") == stage).select(used)
    for rec in stage_rows.iter_rows(named=True):
        by_study.setdefault(str(rec["study_id"]), []).append(rec)
    return {s: _decide(rows, reviewers_needed, rank) for s, rows in sorted(by_study.items())}


def _needed(reviewers_per_stage: int | Mapping[str, int], stage: str) -> int:
    if isinstance(reviewers_per_stage, int):
        return reviewers_per_stage
    return int(reviewers_per_stage.get(stage, 1))


def screening_status(
    studies: pl.DataFrame,
    decisions: pl.DataFrame,
    automatic: pl.DataFrame,
    reviewers_per_stage: int | Mapping[str, int] = 1,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> pl.DataFrame:
    """One row per study with its outcome at each stage, its final status and, when pending,
    why (not screened, awaiting a reviewer, a conflict awaiting consensus, or maybe)."""
    auto = dict(zip(automatic["study_id"], automatic["reason"], strict=True))
    ta = stage_outcomes(
        decisions, "title_abstract", _needed(reviewers_per_stage, "title_abstract"), criteria
    )
    ft = stage_outcomes(decisions, "full_text", _needed(reviewers_per_stage, "full_text"), criteria)
    unscreened = _Outcome("pending", None, "not_screened", "not yet screened")
    rows: list[dict[str, object]] = []
    for study in sorted(studies["study_id"].to_list()):
        row: dict[str, object] = {c: None for c in schemas.STATUS.columns}
        row["study_id"] = study
        if study in auto:
            row.update(final="excluded_automatic", final_reason=auto[study], pending=False)
            rows.append(row)
            continue
        t = ta.get(study, unscreened)
        row.update(title_abstract=t.decision, title_abstract_reason=t.reason)
        final, final_reason, pending = t.decision, t.reason, t
        if t.decision == "exclude":
            final = "excluded_title_abstract"
        elif t.decision == "include":
            f = ft.get(study, unscreened)
            row.update(full_text=f.decision, full_text_reason=f.reason)
            final, final_reason, pending = f.decision, f.reason, f
            final = {"exclude": "excluded_full_text", "include": "included"}.get(final, final)
        row.update(
            final=final,
            final_reason=final_reason,
            pending=final == "pending",
            pending_kind=pending.pending_kind if final == "pending" else None,
            pending_reason=pending.pending_reason if final == "pending" else None,
        )
        rows.append(row)
    status = pl.DataFrame(rows, schema=schemas.STATUS.polars_schema)
    return schemas.validate(status, schemas.STATUS)
