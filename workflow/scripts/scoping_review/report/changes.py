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
    listed = {
        spec.count_id: ledger.ids(spec.count_id)
        for spec in CHANGE_COUNTS
        if ledger.has(spec.count_id)
    }
    # titles of the listed IDs only (the lookup holds every record and study)
    wanted = sorted({i for ids in listed.values() for i in ids})
    known = lookup.filter(pl.col("id").is_in(wanted)) if wanted else lookup.clear()
    titles = dict(zip(known["id"], known["title"], strict=False))
    rows: list[dict[str, Any]] = [
        {
            "label": spec.label,
            "count_id": spec.count_id,
            "entries": [{"id": i, "title": _title(titles.get(i))} for i in listed[spec.count_id]],
        }
        for spec in CHANGE_COUNTS
        if spec.count_id in listed
    ]
    by_source = [
        {"source": cid.removeprefix("changes.records."), "count_id": cid}
        for cid in sorted(ledger.with_prefix("changes.records."))
    ]
    changed = []
    if ledger.has("changes.counts_changed"):
        for cid in ledger.ids("changes.counts_changed"):
            previous = f"changes.previous.{cid}"
            if ledger.has(previous):  # a count this version lacks: no longer counted
                now = ledger.has(cid)
                label = ledger.head(cid if now else previous).label
                if not now:
                    label = label.removesuffix(
                        f" (version {ledger.value('changes.previous_version')})"
                    )
                changed.append(
                    {
                        "count_id": cid if now else None,
                        "shown_id": cid,
                        "previous_id": previous,
                        "label": _title(label),
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
