"""The report's "changes since version N" section (living updates), from ``changes.*`` counts.

Shown only when the ledger has ``changes.previous_version`` (a previous frozen version
exists). Every number is a ledger count; the items listed under each change are that count's
IDs, with the title from the report's lookup table.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from markupsafe import Markup

from ..versions import CHANGE_COUNTS, rounds
from .counts import Ledger, literal


def _title(value: Any) -> Markup:
    s = "" if value is None else str(value)
    return literal(s, "title") if any(ch.isdigit() for ch in s) else Markup.escape(s)


def changes_view(ledger: Ledger, lookup: pl.DataFrame) -> dict[str, Any] | None:
    """Rows (label, count id, items) for the section, or None without a previous version."""
    if not ledger.has("changes.previous_version"):
        return None
    titles = dict(zip(lookup["id"], lookup["title"], strict=False))
    rows: list[dict[str, Any]] = []
    for spec in CHANGE_COUNTS:
        if not ledger.has(spec.count_id):
            continue
        row = ledger.row(spec.count_id)
        rows.append(
            {
                "label": spec.label,
                "count_id": spec.count_id,
                "entries": [{"id": i, "title": _title(titles.get(i))} for i in row.ids],
            }
        )
    by_source = [
        {"source": cid.removeprefix("changes.records."), "count_id": cid}
        for cid in sorted(ledger.with_prefix("changes.records."))
    ]
    changed = []
    if ledger.has("changes.counts_changed"):
        for cid in ledger.row("changes.counts_changed").ids:
            previous = f"changes.previous.{cid}"
            if ledger.has(cid) and ledger.has(previous):
                changed.append(
                    {
                        "count_id": cid,
                        "previous_id": previous,
                        "label": _title(ledger.row(cid).label),
                    }
                )
    return {
        "version_id": "changes.previous_version",
        "rows": rows,
        "by_source": by_source,
        "changed": changed,
    }


def rounds_view(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Search rounds (round, search IDs, dates) when the review has more than one round."""
    searches = config.get("searches") or []
    dates = {str(s.get("id")): str(s.get("date")) for s in searches}
    by_round = rounds(searches)
    if len(by_round) < 2:
        return []
    return [
        {
            "round": literal(r, "search round"),
            "searches": [{"id": i, "date": literal(dates[i], "search date")} for i in ids],
        }
        for r, ids in by_round.items()
    ]
