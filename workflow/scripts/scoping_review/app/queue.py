"""What a reviewer screens next, and what the consensus view shows (pure functions).

A reviewer's queue at a stage is the studies waiting for that reviewer (the worklist rule of
:func:`scoping_review.worklists.worklists`, computed from the last run's status and decisions)
plus every study already in the reviewer's app sheet (so decisions made since the last run
stay reachable with next/previous). Order: a ranking score when the review has one (highest
first), else study ID. Another reviewer's decisions are never part of it: dual screening stays
blind until both have decided, and then the study shows up only in the consensus view.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from ..screen import CONSENSUS, Settings, StageSettings
from ..worklists import worklists

DECISION_COLUMNS = {
    "study_id": pl.String,
    "reviewer": pl.String,
    "decision": pl.String,
    "reason": pl.String,
}


def waiting(
    studies: pl.DataFrame,
    status: pl.DataFrame,
    decisions: pl.DataFrame,
    settings: Settings,
    stage: str,
    reviewer: str,
) -> list[str]:
    """Studies waiting for ``reviewer`` at ``stage`` after the last run (its worklist)."""
    mine = replace(settings.stages[stage], names=(reviewer,))
    one = Settings(stages={**settings.stages, stage: StageSettings(mine.reviewers, mine.names)})
    return list(worklists(studies, status, decisions, one)[(stage, reviewer)]["study_id"])


class Order:
    """The queue's order, computed once per server: the last run's waiting studies, sorted;
    studies decided in the app since then are merged in per request (usually none are new)."""

    def __init__(
        self, base: Iterable[str], known: Iterable[str], scores: Mapping[str, float] | None
    ) -> None:
        self.scores = dict(scores or {})
        self.known = set(known)
        self.base = self._sorted(set(base))
        self.base_set = set(self.base)

    def _sorted(self, ids: Iterable[str]) -> list[str]:
        if self.scores:
            return sorted(ids, key=lambda s: (-self.scores.get(s, float("-inf")), s))
        return sorted(ids)

    def __call__(self, own: Iterable[str]) -> list[str]:
        extra = (set(own) & self.known) - self.base_set
        return self._sorted(self.base_set | extra) if extra else self.base


def queue(
    studies: pl.DataFrame,
    status: pl.DataFrame,
    decisions: pl.DataFrame,
    settings: Settings,
    stage: str,
    reviewer: str,
    own: Iterable[str],
    scores: Mapping[str, float] | None = None,
) -> list[str]:
    """Study IDs the reviewer screens at ``stage``, in priority order."""
    base = waiting(studies, status, decisions, settings, stage, reviewer)
    return Order(base, studies["study_id"].to_list(), scores)(own)


@dataclass(frozen=True)
class Progress:
    total: int
    decided: int
    by_decision: dict[str, int]

    @property
    def pending(self) -> int:
        return self.total - self.decided


def progress(ids: list[str], own: Mapping[str, Any]) -> Progress:
    """Decisions per kind among the queue's studies (``own``: study -> its decision)."""
    in_queue = set(ids)
    counts = Counter(str(d.decision) for s, d in own.items() if s in in_queue)
    return Progress(len(ids), sum(counts.values()), dict(sorted(counts.items())))


def conflicts(independent: pl.DataFrame, consensus: Iterable[str]) -> pl.DataFrame:
    """Studies two reviewers decided differently and no consensus decided yet:
    study_id, reviewer_a, decision_a, reason_a, reviewer_b, decision_b, reason_b."""
    done = set(consensus)
    rows = []
    frame = independent.filter(pl.col("reviewer") != CONSENSUS).sort("study_id", "reviewer")
    for (study,), group in frame.group_by("study_id", maintain_order=True):
        if study in done or group.height < 2:
            continue
        a, b = group.row(0, named=True), group.row(1, named=True)
        if a["decision"] == b["decision"]:
            continue
        rows.append(
            {
                "study_id": study,
                **{f"{k}_a": a[k] for k in ("reviewer", "decision", "reason")},
                **{f"{k}_b": b[k] for k in ("reviewer", "decision", "reason")},
            }
        )
    cols = ["study_id"] + [f"{k}_{s}" for s in "ab" for k in ("reviewer", "decision", "reason")]
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String()), orient="row")


def highlight(text: str | None, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_term) parts; the template escapes every piece."""
    if not text:
        return []
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return [(text, False)]
    pattern = re.compile("(" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            parts.append((text[pos : m.start()], False))
        parts.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


def search(studies: pl.DataFrame, ids: list[str], query: str) -> list[str]:
    """IDs of the queue whose study ID, title, authors or DOI contain ``query`` (any case)."""
    q = query.strip().lower()
    if not q:
        return []
    sub = studies.filter(pl.col("study_id").is_in(ids)).select(
        "study_id",
        pl.concat_str(
            [
                pl.col("study_id"),
                pl.col("title").fill_null(""),
                pl.col("authors").list.join(" ").fill_null(""),
                pl.col("doi").fill_null(""),
            ],
            separator=" ",
        )
        .str.to_lowercase()
        .alias("_text"),
    )
    hits = set(sub.filter(pl.col("_text").str.contains(q, literal=True))["study_id"].to_list())
    return [s for s in ids if s in hits]
