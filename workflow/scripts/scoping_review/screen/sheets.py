"""Reviewers' decision sheets read and validated into the decisions table (one row per sheet row:
study, stage, reviewer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .. import schemas
from .settings import (
    CONSENSUS,
    DECISIONS,
    MAX_INDEPENDENT,
    NEEDS_REASON,
    REASON_SEPARATORS,
    STAGES,
    ScreeningError,
)


@dataclass(frozen=True)
class Sheet:
    """A decision sheet as read by the adapter: its name (path) and rows as strings."""

    name: str
    stage: str
    frame: pl.DataFrame  # columns: study_id or record_id, decision, reason, reviewer, date, note
    reviewer: str | None = None  # for sheets without a reviewer column
    header_rows: int = 1
    consensus: bool = False  # every row is a consensus decision (reviewer "consensus")


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, sheet: str, row: int, message: str) -> None:
        self.items.append(f"{sheet}, row {row}: {message}")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def reason_rank(criteria: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Sort key per reason code: ``priority`` (default: 1-based position), then position.

    When several reasons apply to one study (several codes in one cell, or two reviewers who
    both exclude for different reasons), the reason with the smallest key is reported.
    """
    return {str(c["code"]): (int(c.get("priority", i + 1)), i) for i, c in enumerate(criteria)}


def best_reason(reasons: Iterable[str | None], rank: Mapping[str, tuple[int, int]]) -> str | None:
    known = {r for r in reasons if r}
    if len(known) <= 1:  # one reason (most rows): nothing to rank
        return next(iter(known), None)
    return min(known, key=lambda r: (rank.get(r, (1 << 30, 1 << 30)), r))


def split_reasons(cell: str | None) -> list[str]:
    """Reason codes in one cell: one code, or several separated by ``;``, ``|`` or ``,``."""
    if cell is None:
        return []
    return [part.strip() for part in REASON_SEPARATORS.split(cell) if part.strip()]


# -- decision sheets -------------------------------------------------------------------------


def read_decisions(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str = "reviewer",
) -> pl.DataFrame:
    """Validated decisions (one row per study, stage and reviewer).

    Rows with neither a decision nor a reason are skipped (a worklist row not yet filled in).
    """
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    reasons_by_stage = {
        stage: {c["code"] for c in criteria if stage in c.get("stages", STAGES)} for stage in STAGES
    }
    rank = reason_rank(criteria)
    problems = _Problems()
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], tuple[str, tuple[str, ...], str, int]] = {}
    independent: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for sheet in sheets:
        if sheet.stage not in STAGES:
            problems.add(sheet.name, 0, f"unknown stage {sheet.stage!r} (expected {STAGES})")
            continue
        cols = set(sheet.frame.columns)
        if not cols & {"study_id", "record_id"} or "decision" not in cols:
            problems.add(
                sheet.name,
                1,
                f"header must have study_id or record_id, and decision; found {sorted(cols)}",
            )
            continue
        for i, rec in enumerate(sheet.frame.iter_rows(named=True)):
            row_no = i + 1 + sheet.header_rows
            ref = _text(rec.get("study_id")) or _text(rec.get("record_id"))
            decision = (_text(rec.get("decision")) or "").lower().replace(" ", "_")
            reason_cell = _text(rec.get("reason"))
            reviewer = (
                CONSENSUS
                if sheet.consensus
                else _text(rec.get("reviewer")) or sheet.reviewer or default_reviewer
            )
            if ref is None:
                if decision or reason_cell:
                    problems.add(sheet.name, row_no, "no study_id or record_id")
                continue
            study = ref if ref in study_ids else record_to_study.get(ref)
            if study is None:
                problems.add(sheet.name, row_no, f"unknown study or record ID {ref!r}")
                continue
            if not decision and not reason_cell:
                continue  # not decided yet
            if decision not in DECISIONS[sheet.stage]:
                problems.add(
                    sheet.name,
                    row_no,
                    f"decision {decision!r} is not one of {DECISIONS[sheet.stage]}",
                )
                continue
            reasons = split_reasons(reason_cell)
            if decision in NEEDS_REASON and not reasons:
                problems.add(sheet.name, row_no, f"{decision} without a reason code")
                continue
            unknown = [r for r in reasons if r not in reasons_by_stage[sheet.stage]]
            if unknown:
                problems.add(
                    sheet.name,
                    row_no,
                    f"reason {', '.join(repr(r) for r in unknown)} is not a {sheet.stage} "
                    f"criterion code ({sorted(reasons_by_stage[sheet.stage])})",
                )
                continue
            key = (sheet.stage, reviewer, study)
            canonical = tuple(sorted(set(reasons)))
            if key in seen:
                prev_decision, prev_reasons, prev_sheet, prev_row = seen[key]
                if (prev_decision, prev_reasons) != (decision, canonical):
                    problems.add(
                        sheet.name,
                        row_no,
                        f"{reviewer} decided {decision!r} for study {study} ({ref}) but "
                        f"{prev_decision!r} at {prev_sheet}, row {prev_row}",
                    )
                continue
            seen[key] = (decision, canonical, sheet.name, row_no)
            if reviewer != CONSENSUS:
                others = independent.setdefault((sheet.stage, study), [])
                others.append((reviewer, sheet.name, row_no))
                if len(others) > MAX_INDEPENDENT:
                    where = "; ".join(f"{r} at {s}, row {n}" for r, s, n in others[:-1])
                    problems.add(
                        sheet.name,
                        row_no,
                        f"study {study} ({ref}) already has {len(others) - 1} independent "
                        f"{sheet.stage} decisions ({where}); at most {MAX_INDEPENDENT} "
                        f"reviewers decide a study, a third opinion goes in a consensus sheet",
                    )
                    continue
            rows.append(
                {
                    "study_id": study,
                    "stage": sheet.stage,
                    "reviewer": reviewer,
                    "decision": decision,
                    "reason": best_reason(reasons, rank),
                    "date": _text(rec.get("date")),
                    "note": _text(rec.get("note")),
                    "sheet": sheet.name,
                    "row": row_no,
                    "referenced_as": ref,
                    "reasons": list(canonical),
                }
            )
    if problems.items:
        raise ScreeningError(
            f"{len(problems.items)} problem(s) in screening sheets:\n  "
            + "\n  ".join(problems.items)
        )
    frame = pl.DataFrame(rows, schema=schemas.DECISIONS.polars_schema)
    return schemas.validate(frame.sort("stage", "reviewer", "study_id"), schemas.DECISIONS)
