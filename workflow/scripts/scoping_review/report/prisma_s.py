"""The search appendix of the report, after PRISMA-S (Rethlefsen et al. 2021).

One row per search as run: the database (item 1) and the interface it was reached through
(item 1), the date it ran, the full strategy as sent (item 8), limits and filters with the
date window of a living update (items 9, 13), the records it returned (a ledger count, item
16) and whether it ran automatically (an API search re-run by the tool) or by hand (an export
file a person saved). API searches name every request they made, without credentials.
"""

from __future__ import annotations

from typing import Any

from .checklist import text
from .counts import Ledger


def _filters(search: dict[str, Any]) -> list[str]:
    if not search.get("api"):
        return []
    window = search.get("api_window") or {}
    out = [f"{k}: {v}" for k, v in sorted((search.get("api_params") or {}).items())]
    start = window.get("from") or "the earliest record"
    previous = window.get("previous_run")
    reach = (
        f"reaching back {window.get('overlap_days')} days before the previous round ({previous})"
        if previous
        else "the first round of this search"
    )
    out.append(f"date window on {window.get('field')}: {start} to {window.get('to')}, {reach}")
    return out


def appendix_view(config: dict[str, Any], ledger: Ledger) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in config.get("searches") or []:
        cid = f"database_results.{s.get('id')}"
        automatic = bool(s.get("api"))
        rows.append(
            {
                "id": str(s.get("id")),
                "database": text(s.get("database"), "database"),
                "interface": text(s.get("platform") or "", "platform"),
                "round": str(s.get("round", 1)),
                "date": str(s.get("date") or ""),
                "run_at": str(s.get("api_run_at") or ""),
                "how": "automatic: API search re-run by the tool" if automatic else
                       "by hand: export file saved from the database",
                "query": str(s.get("api_query") if automatic else s.get("strategy") or ""),
                "filters": _filters(s),
                "requests": [str(u) for u in s.get("api_requests") or []],
                "manifest": str(s.get("api_manifest") or ""),
                "files": [str(f) for f in s.get("files") or []],
                "count_id": cid if ledger.has(cid) else "",
            }
        )  # fmt: skip
    return rows
