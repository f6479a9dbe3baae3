"""Display labels of database searches: each search keeps its own, however many share a database.

A search is named by its database (and platform). Two searches of one database (a re-run in a
later round, or the same database searched twice) get what tells them apart appended: the
round when their rounds differ, the date when their dates differ, else the search id. Every
table, figure and flow-diagram line names a search with :func:`search_labels`, so two such
searches are two rows, two bars and two heatmap rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any


def _base(search: Mapping[str, Any]) -> str:
    name = str(search.get("database") or search.get("id"))
    platform = str(search.get("platform") or "").strip()
    # a database searched on its own site (Scopus on Scopus) is not named twice
    if not platform or platform.casefold() == name.strip().casefold():
        return name
    return f"{name} ({platform})"


def search_labels(searches: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{search id: label}``, every label distinct (config order kept)."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in searches:
        groups[_base(s)].append(s)
    labels: dict[str, str] = {}
    for base, members in groups.items():
        if len(members) == 1:
            labels[str(members[0].get("id"))] = base
            continue
        rounds = {int(m.get("round") or 1) for m in members}
        dates = {str(m.get("date") or "") for m in members}
        for m in members:
            parts = []
            if len(rounds) > 1:
                parts.append(f"round {int(m.get('round') or 1)}")
            if len(dates) > 1 and m.get("date"):
                parts.append(str(m["date"]))
            labels[str(m.get("id"))] = f"{base}, {', '.join(parts)}" if parts else base
    # still equal (same database, round and date): the search id tells them apart
    seen: dict[str, int] = defaultdict(int)
    for label in labels.values():
        seen[label] += 1
    ordered = [str(s.get("id")) for s in searches]
    return {
        sid: (f"{labels[sid]} [{sid}]" if seen[labels[sid]] > 1 else labels[sid]) for sid in ordered
    }
