"""Template view of the screening section: per-stage outcomes, reasons, pending and dual-review
counts from the ledger.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ...wording import stage_name
from ..checklist import prioritisation_text, text
from ..counts import Ledger
from .sections import _str

# pending studies listed on the page (the rest: worklists and the counts' ID lists)
PENDING_SHOWN = 100


def _round_name(label: str, rnd: str) -> str:
    """``round 2 (2024-10-02)`` out of a ``ranking.round.<n>.studies`` label."""
    found = re.search(r"round \S+ \([^)]*\)", label)
    return found.group(0).capitalize() if found else f"Round {rnd}"


def _round_key(count_id: str) -> tuple[int, str]:
    part = count_id.split(".")[2]
    return (int(part) if part.isdigit() else 0, count_id)


def screening_view(
    config: dict[str, Any],
    ledger: Ledger,
    status: pl.DataFrame | None = None,
    carryover: pl.DataFrame | None = None,
    lookup: pl.DataFrame | None = None,
    ranking: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Screening results: per-stage counts, reasons, automation rules, agreement, worklists,
    pending studies and inherited decisions to look at again. Numbers are count ids only; a
    count the ledger lacks becomes an empty id (shown as a dash)."""

    def cid(count_id: str) -> str:
        return count_id if ledger.has(count_id) else ""

    stage_rows = [
        {
            "stage": stage_name(stage),
            "lines": [{"label": label, "count_id": cid(c)} for label, c in lines],
        }
        for stage, lines in (
            (
                "title_abstract",
                (
                    ("Records screened", "records_screened"),
                    ("Records excluded", "records_excluded"),
                    ("Records awaiting screening", "records_pending"),
                    ("Conflicts between reviewers", "conflicts.title_abstract"),
                    ("Conflicts awaiting consensus", "conflicts.title_abstract.unresolved"),
                ),
            ),
            (
                "full_text",
                (
                    ("Reports sought", "dbr_sought_reports"),
                    ("Reports not retrieved", "dbr_notretrieved_reports"),
                    ("Reports assessed", "dbr_assessed"),
                    ("Reports excluded", "dbr_excluded"),
                    ("Reports awaiting assessment", "dbr_pending"),
                    ("Conflicts between reviewers", "conflicts.full_text"),
                    ("Conflicts awaiting consensus", "conflicts.full_text.unresolved"),
                ),
            ),
        )
    ]
    criteria = list(config.get("criteria") or [])
    ranked = sorted(enumerate(criteria), key=lambda t: (int(t[1].get("priority", t[0] + 1)), t[0]))
    reasons = [
        {
            "code": _str(c.get("code")),
            "label": text(c.get("label"), "criterion"),
            "title_abstract": cid(f"records_excluded.{c.get('code')}"),
            "full_text": cid(f"dbr_excluded.{c.get('code')}"),
            "not_retrieved": cid(f"dbr_notretrieved_reports.{c.get('code')}"),
        }
        for _, c in ranked
    ]
    screening = config.get("screening") or {}
    rules = [
        {
            "id": _str(r.get("id")),
            "kind": _str(r.get("kind")),
            "field": _str(r.get("field")),
            "test_values": ", ".join(_str(v) for v in r.get("values") or []),
            "reason": text(r.get("reason"), "rule reason"),
            "excluded_id": cid(f"excluded_automatic.{r.get('id')}"),
            "hits_id": cid(f"automation.{r.get('id')}.hits"),
        }
        for r in screening.get("automation") or []
    ]
    agreement = []
    for stage in ("title_abstract", "full_text"):
        compared = cid(f"agreement.{stage}.compared")
        if not compared or not ledger.positive(compared):
            continue
        agreement.append(
            {
                "stage": stage_name(stage),
                "compared_id": compared,
                "agreed_id": cid(f"agreement.{stage}.agreed"),
                "kappa_id": cid(f"agreement.{stage}.kappa"),
                "ac1_id": cid(f"agreement.{stage}.ac1"),
            }
        )
    worklists = [
        {"label": ledger.head(c).label, "count_id": c}
        for c in sorted(ledger.with_prefix("worklist."))
    ]
    # the page lists the first PENDING_SHOWN pending studies (its weight must not grow with
    # the corpus); the worklists and the pending counts hold all of them
    waiting = pl.DataFrame()
    terms: dict[str, str] = {}
    if status is not None and "pending_reason" in status.columns:
        waiting = status.filter(pl.col("pending"))
        if ranking is not None and ranking.height:
            # prioritised: title/abstract studies in rank order first, then the rest by id
            waiting = (
                waiting.join(ranking.select("study_id", "rank"), on="study_id", how="left")
                .sort(["rank", "study_id"], nulls_last=True)
                .drop("rank")
            )
            terms = {
                str(s): ", ".join(t or [])
                for s, t in ranking.select("study_id", "top_terms").rows()
            }
        else:
            waiting = waiting.sort("study_id")
    shown = waiting.head(PENDING_SHOWN)
    needed = set(shown["study_id"].cast(pl.String).to_list()) if shown.height else set()
    if carryover is not None and carryover.height:
        needed |= set(carryover.filter(pl.col("adds_abstract"))["study_id"].cast(pl.String))
    titles: dict[str, str] = {}
    if lookup is not None and lookup.height and needed:
        studies = lookup.filter((pl.col("kind") == "study") & pl.col("id").is_in(sorted(needed)))
        for r in studies.iter_rows(named=True):
            titles[str(r["id"])] = _str(r.get("title"))
    pending = []
    if shown.height:
        for r in shown.iter_rows(named=True):
            stage = "full_text" if r.get("title_abstract") == "include" else "title_abstract"
            pending.append(
                {
                    "study_id": _str(r["study_id"]),
                    "title": _str(titles.get(str(r["study_id"]))),
                    "stage": stage_name(stage),
                    "why": _str(r.get("pending_reason")),
                    "terms": terms.get(str(r["study_id"]), ""),
                }
            )
    rounds = []
    for cid_ in sorted(ledger.with_prefix("ranking.round."), key=_round_key):
        parts = cid_.split(".")
        if parts[3] != "studies":
            continue
        rnd = parts[2]
        rounds.append(
            {
                "round": rnd,
                "label": _round_name(ledger.head(cid_).label, rnd),
                "studies_id": cid_,
                "includes_id": cid(f"ranking.round.{rnd}.includes"),
                "found": [cid(f"ranking.round.{rnd}.found_{p}pct") for p in (10, 25, 50)],
            }
        )
    recheck = []
    if carryover is not None and carryover.height:
        for r in carryover.filter(pl.col("adds_abstract")).iter_rows(named=True):
            recheck.append(
                {
                    "record_id": _str(r["record_id"]),
                    "study_id": _str(r["study_id"]),
                    "title": _str(titles.get(str(r["study_id"]))),
                    "stage": stage_name(str(r["stage"])),
                    "screened_on": _str(r.get("screened_on")),
                    "search_date": _str(r.get("search_date")),
                }
            )
    return {
        "stages": stage_rows,
        "reasons": reasons,
        "rules": rules,
        "agreement": agreement,
        "worklists": worklists,
        "pending": pending,
        "pending_more": waiting.height > shown.height,
        "pending_ranked": bool(terms),
        "pending_shown": str(PENDING_SHOWN),
        "recheck": recheck,
        "carried_id": cid("screen.carried_over"),
        "recheck_id": cid("screen.recheck_abstract"),
        "prioritised": ledger.has("ranking.trained_on"),
        "prioritisation_text": prioritisation_text(ledger, config),
        "rounds": rounds,
    }
