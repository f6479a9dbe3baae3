"""Template views of the synthesis additions: prevalence rule, overarching themes, co-
occurrence, evidence map.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...normalize import slug
from ..checklist import text
from ..counts import Ledger

# -- synthesis additions: prevalence rule, overarching themes, co-occurrence, evidence map ----


def prevalence_rule_view(prevalence: pl.DataFrame, ledger: Ledger) -> dict[str, Any]:
    """The prevalence rule as applied (metric from the ledger row, threshold as its count id)
    and the dropped codes with their reason and numbers."""
    if not ledger.has("prevalence.threshold"):
        return {"metric": "", "threshold_id": "", "dropped": []}
    metric = ledger.head("prevalence.threshold").unit
    words = {"n_studies": "number of studies", "n_segments": "number of coded segments"}
    dropped = []
    for rec in prevalence.filter(~pl.col("kept")).sort("code").iter_rows(named=True):
        code = str(rec["code"])
        ids = {m: f"code.{slug(code)}.{m}" for m in ("n_studies", "n_segments")}
        dropped.append(
            {
                "name": text(code, "code"),
                "theme": text(rec["theme"], "theme"),
                "reason": text(rec["drop_reason"] or "", "drop reason"),
                "n_studies_id": ids["n_studies"] if ledger.has(ids["n_studies"]) else "",
                "n_segments_id": ids["n_segments"] if ledger.has(ids["n_segments"]) else "",
            }
        )
    return {
        "metric": text(metric, "metric"),
        "metric_words": text(words.get(metric, metric), "metric"),
        "threshold_id": "prevalence.threshold",
        "dropped": dropped,
    }


def overarching_view(overarching: pl.DataFrame | None, ledger: Ledger) -> list[dict[str, Any]]:
    if overarching is None:
        return []
    out = []
    for name in overarching["overarching_theme"].to_list():
        ids = {k: f"overarching.{slug(str(name))}.{k}" for k in ("n_studies", "n_codes")}
        if not all(ledger.has(i) for i in ids.values()):
            continue
        out.append(
            {
                "name": text(name, "theme"),
                "n_studies_id": ids["n_studies"],
                "n_codes_id": ids["n_codes"],
            }
        )
    return out


def cooccurrence_view(
    cooccurrence: pl.DataFrame | None, ledger: Ledger, top: int = 15
) -> dict[str, Any]:
    """The most frequent code pairs (by studies, from the ledger), for the table."""
    if cooccurrence is None or not ledger.has("cooccurrence.pairs"):
        return {"pairs_id": "", "top": []}
    rows = [
        (ledger.value(cid), str(a), str(b), str(cid))
        for a, b, cid in cooccurrence.select("code_a", "code_b", "count_id").rows()
        if ledger.has(str(cid))
    ]
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    return {
        "pairs_id": "cooccurrence.pairs",
        "top": [
            {"a": text(a, "code"), "b": text(b, "code"), "count_id": cid}
            for _, a, b, cid in rows[:top]
        ],
    }


def evidence_view(
    evidence: pl.DataFrame | None,
    themes: pl.DataFrame,
    fields: list[dict[str, Any]],
    ledger: Ledger,
) -> list[dict[str, Any]]:
    """Per evidence-map field: themes (rows) × charted values (columns) of ledger count ids."""
    if evidence is None or not evidence.height:
        return []
    labels = {str(f["name"]): str(f.get("label") or f["name"]) for f in fields}
    theme_order = [str(t) for t in themes["theme"].to_list()]
    out = []
    for field in sorted(set(evidence["field"].to_list())):
        part = evidence.filter(pl.col("field") == field)
        totals: dict[str, int] = {}
        for value, cid in part.select("value", "count_id").rows():
            totals[str(value)] = totals.get(str(value), 0) + ledger.value(str(cid))
        values = sorted(totals, key=lambda v: (-totals[v], v))
        cell = {
            (str(t), str(v)): str(c) for t, v, c in part.select("theme", "value", "count_id").rows()
        }
        present = [t for t in theme_order if any((t, v) in cell for v in values)]
        out.append(
            {
                "field": text(labels.get(field, field), "field"),
                "values": [text(v, "charted value") for v in values],
                "rows": [
                    {
                        "theme": text(t, "theme"),
                        "cells": [cell.get((t, v), "") for v in values],
                    }
                    for t in present
                ],
            }
        )
    return out
