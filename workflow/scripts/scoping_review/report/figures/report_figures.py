"""The report's figures from ledger counts: records per source, source overlap,
characteristics, themes, matrix.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...sources import database_key
from ..counts import Ledger
from ..labels import search_labels
from .charts import Bar, Cell, bar_chart, heatmap_chart

# -- the report's figures, from ledger counts ------------------------------------------------


def search_ids(ledger: Ledger, config: dict[str, Any]) -> list[tuple[str, str]]:
    """(search id, display name) for every search with a ledger count, in config order."""
    out: list[tuple[str, str]] = []
    names = search_labels(config.get("searches") or [])
    for sid, name in names.items():
        if ledger.has(f"database_results.{sid}"):
            out.append((sid, name))
    known = {sid for sid, _ in out}
    for cid in sorted(ledger.with_prefix("database_results.")):
        sid = cid[len("database_results.") :]
        if sid not in known:
            out.append((sid, ledger.head(cid).label or sid))
    return out


def database_ids(ledger: Ledger, config: dict[str, Any]) -> list[tuple[str, str]]:
    """(database key, name) of every database with counts of its own (``sources.database.*``,
    made where a database has more than one search), in the order of its first search in the
    config; a database's name is the first of its spellings in sort order, as in the counts."""
    searches = config.get("searches") or []
    names: dict[str, str] = {}
    for name in sorted(str(s.get("database") or "") for s in searches):
        names.setdefault(database_key(name), name)
    keys = [database_key(str(s.get("database") or "")) for s in searches]
    keys += sorted(c.removeprefix("sources.database.studies.")
                   for c in ledger.with_prefix("sources.database.studies."))  # fmt: skip
    out: list[tuple[str, str]] = []
    for key in dict.fromkeys(keys):
        if ledger.has(f"sources.database.studies.{key}"):
            out.append((key, names.get(key, key)))
    return out


def records_per_source(ledger: Ledger, config: dict[str, Any]) -> dict[str, Any] | None:
    """Records identified per database search (``database_results.<search id>``)."""
    sources = search_ids(ledger, config)
    if not sources:
        return None
    return bar_chart(
        [Bar(label=name, count_id=f"database_results.{sid}") for sid, name in sources],
        ledger,
        axis_title="Records identified",
        item_title="Source",
    )


def overlap_key(a: str, b: str, prefix: str = "sources.") -> str:
    """The count of studies two sources share (``prefix``: ``sources.database.`` for two
    databases), its names in sort order."""
    first, second = sorted((a, b))
    return f"{prefix}overlap.{first}.{second}"


def source_overlap(ledger: Ledger, config: dict[str, Any]) -> dict[str, Any] | None:
    """Sources × sources: distinct studies found by each (diagonal) and by both (off it).

    The sources are the databases (all searches of each together) where the ledger has
    counts per database (a database searched more than once, e.g. in two rounds), else the
    searches. Needs the ``sources.*`` counts (:mod:`.sources`); ``None`` when the ledger lacks
    them.
    """
    databases = database_ids(ledger, config)
    if len(databases) >= 2:
        prefix = "sources.database."
        sources = databases
    else:
        prefix = "sources."
        sources = [
            (sid, name)
            for sid, name in search_ids(ledger, config)
            if ledger.has(f"sources.studies.{sid}")
        ]
    if len(sources) < 2:
        return None
    cells: list[Cell] = []
    for a, name_a in sources:
        for b, name_b in sources:
            cid = f"{prefix}studies.{a}" if a == b else overlap_key(a, b, prefix)
            if ledger.has(cid):
                cells.append(Cell(row=name_a, column=name_b, count_id=cid))
    names = [name for _, name in sources]
    # rows and columns are the same searches, named in full: no axis titles beside them
    return heatmap_chart(
        cells,
        ledger,
        row_title="Source",
        column_title="Source",
        rows=names,
        columns=names,
        axis_titles=False,
    )


def characteristics_chart(
    groups: list[tuple[str, list[tuple[str, str]]]], ledger: Ledger
) -> dict[str, Any] | None:
    """Studies per charted value, one colour per charting field.

    ``groups``: (field label, [(value label, count id), ...]) in display order.
    """
    bars = [
        Bar(label=f"{field}: {label}", count_id=cid, group=field)
        for field, rows in groups
        for label, cid in rows
    ]
    if not bars:
        return None
    return bar_chart(
        bars,
        ledger,
        axis_title="Included studies",
        group_title="Characteristic",
        item_title="Charted value",
    )


def themes_chart(themes: list[tuple[str, str, str]], ledger: Ledger) -> dict[str, Any] | None:
    """Studies per theme (``theme.<slug>.n_studies``), coloured by overarching theme.

    ``themes``: (overarching theme, theme, count id) in display order.
    """
    bars = [Bar(label=theme, count_id=cid, group=over) for over, theme, cid in themes]
    if not bars:
        return None
    return bar_chart(
        bars,
        ledger,
        axis_title="Studies",
        group_title="Overarching theme",
        item_title="Theme",
    )


def matrix_chart(frame: pl.DataFrame, ledger: Ledger) -> dict[str, Any] | None:
    """A heatmap from a frame of ``row``, ``column``, ``count_id`` (plus optional
    ``row_title``/``column_title`` columns): the hook for the evidence map and the code
    co-occurrence matrix, whose count ids other stages put in the ledger."""
    if frame.is_empty():
        return None
    cells = [
        Cell(row=str(r["row"]), column=str(r["column"]), count_id=str(r["count_id"]))
        for r in frame.iter_rows(named=True)
    ]
    first = frame.row(0, named=True)
    return heatmap_chart(
        cells,
        ledger,
        row_title=str(first.get("row_title") or ""),
        column_title=str(first.get("column_title") or ""),
    )
