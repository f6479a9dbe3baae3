"""The Jinja environment, the context check, the click-through ledger JSON and the page render."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jinja2
import polars as pl

from ..checklist import ANCHORS
from ..counts import Ledger, format_count, literal

SEVERITIES = ("error", "warning", "info")


def make_environment(templates_dir: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def check_context(value: Any, path: str = "context") -> None:
    """Raise :class:`TypeError` if a raw number hides anywhere in the template context."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        raise TypeError(
            f"{path} is the number {value!r}: numbers reach the report only through the "
            "ledger (n()/pct())"
        )
    if isinstance(value, Mapping):
        for k, v in value.items():
            check_context(v, f"{path}[{k!r}]")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_context(v, f"{path}[{i}]")
    elif callable(value):
        return
    else:
        raise TypeError(f"{path} has unexpected type {type(value).__name__}")


# -- click-through data ----------------------------------------------------------------------


def ledger_json(ledger: Ledger, lookup: pl.DataFrame, embed_ids_max: int) -> str:
    """The JSON blob behind the click-through panel, safe inside ``<script>``.

    Counts with at most ``embed_ids_max`` IDs carry them (and their titles from ``lookup``);
    larger ones point at ``counts/<count_id>.csv``. A rule's inputs (name and SHA-256) are
    stored once in ``input_sets`` and each count names its set by position: the blob grows
    with the counts shown, not with counts times inputs.
    """
    counts: dict[str, Any] = {}
    wanted: set[str] = set()
    input_sets: list[list[list[str]]] = []
    set_index: dict[tuple[tuple[str, ...], ...], int] = {}
    for row in ledger:
        key = tuple(tuple(str(x) for x in i) for i in row.inputs)
        if key not in set_index:
            set_index[key] = len(input_sets)
            input_sets.append([list(i) for i in key])
        embed = row.id_kind != "none" and row.n_ids <= embed_ids_max
        ids = ledger.ids(row.count_id) if embed else ()
        wanted.update(ids)
        counts[row.count_id] = {
            "label": row.label,
            "stage": row.stage,
            "rule": row.rule,
            "unit": row.unit,
            "id_kind": row.id_kind,
            "value": row.value,
            "display": format_count(row.value, row.unit),
            "n_ids": row.n_ids,
            "inputs": set_index[key],
            "ids": list(ids) if embed else None,
            "csv": None if embed or row.id_kind == "none" else f"counts/{row.count_id}.csv",
        }
    titles: dict[str, Any] = {}
    if lookup.height and wanted:
        sub = lookup.filter(pl.col("id").is_in(sorted(wanted))).unique("id", keep="first")
        for r in sub.sort("id").iter_rows(named=True):
            titles[str(r["id"])] = {
                "kind": r.get("kind"),
                "title": r.get("title"),
                "year": r.get("year"),
                "source": r.get("source"),
            }
    blob = json.dumps(
        {"counts": counts, "lookup": titles, "input_sets": input_sets},
        sort_keys=True,
        ensure_ascii=False,
        indent=None,
    )
    # nothing in the blob can close the script element or open a comment
    return blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(env: jinja2.Environment, context: dict[str, Any], ledger: Ledger) -> str:
    check_context(context)
    template = env.get_template("report.html.j2")
    return template.render(
        **context,
        n=ledger.n,
        num=ledger.n,
        pct=ledger.pct,
        has=ledger.has,
        positive=ledger.positive,
        # "is"/"are" agreeing with a count: the number itself is printed with n()
        one=lambda count_id: ledger.has(count_id) and ledger.value(count_id) == 1,
        literal=literal,
        anchors=ANCHORS,
    )
