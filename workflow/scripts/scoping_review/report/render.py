"""Jinja rendering of the report: the context holds strings and ledger accessors, never numbers.

:func:`build_context` turns the stage tables into template-ready structures whose numeric
content is always a count id (printed by ``n()`` / ``pct()``); :func:`check_context` refuses a
context that carries a raw int or float; :func:`render_html` renders with autoescaping and
:class:`jinja2.StrictUndefined`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jinja2
import polars as pl

from .checklist import ANCHORS, prioritisation_text, stage_name, text
from .counts import Ledger, author_text, format_count, literal, slug

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


# -- sections --------------------------------------------------------------------------------


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def review_view(config: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    review = config.get("review") or {}
    return {
        "title": _str(review.get("title")),
        "short_title": _str(review.get("short_title") or review.get("title")),
        "authors": [_str(a) for a in review.get("authors") or []],
        "question": author_text(_str(review.get("question")), ledger),
        "objectives": author_text(_str(review.get("objectives")), ledger),
        "design_note": author_text(_str(review.get("design_note")), ledger),
    }


def searches_view(config: dict[str, Any], ledger: Ledger) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in config.get("searches") or []:
        cid = f"database_results.{s.get('id')}"
        out.append(
            {
                "id": _str(s.get("id")),
                "database": text(s.get("database"), "database"),
                "platform": text(s.get("platform"), "platform"),
                "date": _str(s.get("date")),
                "strategy": _str(s.get("strategy")),
                "files": [_str(f) for f in s.get("files") or []],
                "count_id": cid if ledger.has(cid) else "",
            }
        )
    return out


def sources_view(ledger: Ledger, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Per database search: the count ids of its records, distinct studies, studies only it
    found, and included studies it found ("" where the ledger has no such count)."""
    from .figures import search_ids

    def cid(count_id: str) -> str:
        return count_id if ledger.has(count_id) else ""

    return [
        {
            "id": sid,
            "name": text(name, "database"),
            "records": cid(f"database_results.{sid}"),
            "studies": cid(f"sources.studies.{sid}"),
            "only": cid(f"sources.only.{sid}"),
            "included": cid(f"sources.included.{sid}"),
        }
        for sid, name in search_ids(ledger, config)
    ]


def criteria_view(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "code": _str(c.get("code")),
            "label": text(c.get("label"), "criterion"),
            "stages": ", ".join(stage_name(str(s)) for s in c.get("stages") or []),
        }
        for c in config.get("criteria") or []
    ]


def _value_labels(charting: pl.DataFrame, field: str) -> dict[str, str]:
    """slug → display text for the values charted in ``field`` (whole and ;-separated parts)."""
    labels: dict[str, str] = {}
    if field not in charting.columns:
        return labels
    values = charting.get_column(field).cast(pl.String).drop_nulls().unique().sort()
    for value in values.to_list():
        parts = [value, *[p.strip() for p in value.replace("|", ";").split(";")]]
        for part in parts:
            if part:
                for key in (slug(part), slug(part.lower())):
                    labels.setdefault(key, part)
    return labels


def characteristics_view(
    charting: pl.DataFrame, fields: list[dict[str, Any]], ledger: Ledger
) -> list[dict[str, Any]]:
    """Table 2 analogue: per counted field, each value's ledger count and % of new studies."""
    out: list[dict[str, Any]] = []
    for f in fields:
        if not f.get("count"):
            continue
        name = str(f["name"])
        prefix = f"chart.{name}."
        labels = _value_labels(charting, name)
        rows = []
        for cid in ledger.with_prefix(prefix):
            key = cid[len(prefix) :]
            if "." in key:
                continue
            label = labels.get(key) or key.replace("_", " ")
            rows.append(
                {"label": text(label, "charted value"), "plain_label": label, "count_id": cid}
            )
        out.append(
            {
                "name": name,
                "label": text(f.get("label") or name, "field"),
                "plain_label": str(f.get("label") or name),
                "rows": rows,
            }
        )
    return out


def charting_table_view(charting: pl.DataFrame, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-study charting table: every included study with its (normalised) charted fields."""
    cols = [str(f["name"]) for f in fields if str(f["name"]) in charting.columns]
    header = [text(f.get("label") or f["name"], "field") for f in fields if f["name"] in cols]
    frame = charting.with_columns(
        pl.coalesce(pl.col("study_label"), pl.col("study_id")).alias("__label")
    ).sort("__label", "study_id")
    rows = []
    for rec in frame.iter_rows(named=True):
        rows.append(
            {
                "study_id": _str(rec["study_id"]),
                "label": _str(rec["__label"]),
                "cells": [text(rec[c], "charted text") for c in cols],
            }
        )
    return {"header": header, "rows": rows}


def themes_view(
    themes: pl.DataFrame, prevalence: pl.DataFrame, ledger: Ledger
) -> list[dict[str, Any]]:
    """Table 3 analogue: overarching theme → theme → codes, dropped codes with reason."""
    info = {str(r["code"]): r for r in prevalence.iter_rows(named=True)}

    def code_entry(code: str, kept: bool) -> dict[str, Any]:
        cid = f"code.{slug(code)}.n_studies"
        reason = info.get(code, {}).get("drop_reason")
        return {
            "name": text(code, "code"),
            "count_id": cid if (kept or ledger.has(cid)) else "",
            "kept": kept,
            "drop_reason": text(reason or "dropped", "drop reason"),
        }

    rows = list(themes.iter_rows(named=True))
    known = {str(r["theme"]) for r in rows}
    # themes that only exist in the codebook (e.g. every code dropped) still get a row
    for rec in prevalence.iter_rows(named=True):
        theme = str(rec["theme"])
        if theme not in known:
            known.add(theme)
            rows.append(
                {
                    "theme": theme,
                    "overarching_theme": rec["overarching_theme"],
                    "codes": [],
                    "codes_dropped": [],
                }
            )
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        theme = str(r["theme"])
        kept_codes = sorted(str(c) for c in r.get("codes") or [])
        dropped = set(str(c) for c in r.get("codes_dropped") or [])
        dropped |= {c for c, p in info.items() if p["theme"] == theme and not p["kept"]}
        for c, p in info.items():
            if p["theme"] == theme and p["kept"] and c not in kept_codes:
                kept_codes.append(c)
        codes = [code_entry(c, True) for c in sorted(kept_codes)]
        codes += [code_entry(c, False) for c in sorted(dropped - set(kept_codes))]
        ts, tc = f"theme.{slug(theme)}.n_studies", f"theme.{slug(theme)}.n_codes"
        groups.setdefault(_str(r["overarching_theme"]), []).append(
            {
                "name": text(theme, "theme"),
                "plain_name": theme,
                "n_studies_id": ts if (kept_codes or ledger.has(ts)) else "",
                "n_codes_id": tc if (kept_codes or ledger.has(tc)) else "",
                "codes": codes,
            }
        )
    return [
        {"name": text(name, "theme"), "plain_name": name, "themes": theme_rows}
        for name, theme_rows in groups.items()
    ]


def quality_view(issues: pl.DataFrame, ledger: Ledger) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for severity in SEVERITIES:
        part = issues.filter(pl.col("severity") == severity).sort("issue_id")
        cid = f"quality.{severity}"
        if part.height and not ledger.has(cid):
            ledger.row(cid, f"the {severity} findings of the data-quality checks")
        items = [
            {
                "issue_id": _str(r["issue_id"]),
                "check": _str(r["check"]),
                "subject": _str(r["subject"]),
                "message": _str(r["message"]),
                "where": _str(r["where"]),
                "ids": [_str(i) for i in (r["ids"] or [])][:20],
                "more_ids": len(r["ids"] or []) > 20,
            }
            for r in part.iter_rows(named=True)
        ]
        out.append(
            {"severity": severity, "count_id": cid if ledger.has(cid) else "", "issues": items}
        )
    return out


def provenance_view(files: pl.DataFrame, provenance: dict[str, Any]) -> dict[str, Any]:
    return {
        "files": [
            {
                "source_id": _str(r["source_id"]),
                "database": _str(r["database"]),
                "path": _str(r["path"]),
                "sha256": _str(r["sha256"]),
                "format": _str(r["format"]),
                "encoding": _str(r["encoding"]),
                "encoding_note": _str(r["encoding_note"]),
            }
            for r in files.sort("source_id", "path").iter_rows(named=True)
        ],
        "tool_version": _str(provenance.get("tool_version")),
        "python_version": _str(provenance.get("python_version")),
        "run_time": _str(provenance.get("run_time")),
        "run_time_source": _str(provenance.get("run_time_source")),
        "config_sha256": _str(provenance.get("config_sha256")),
        "packages": [
            {"name": str(k), "version": _str(v)}
            for k, v in sorted((provenance.get("packages") or {}).items())
        ],
        "inputs": [
            {"name": _str(i.get("name")), "sha256": _str(i.get("sha256"))}
            for i in sorted(provenance.get("inputs") or [], key=lambda i: str(i.get("name")))
        ],
    }


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
        {"label": ledger.row(c).label, "count_id": c}
        for c in sorted(ledger.with_prefix("worklist."))
    ]
    titles: dict[str, str] = {}
    if lookup is not None and lookup.height:
        for r in lookup.filter(pl.col("kind") == "study").iter_rows(named=True):
            titles[str(r["id"])] = _str(r.get("title"))
    pending = []
    if status is not None and "pending_reason" in status.columns:
        waiting = status.filter(pl.col("pending"))
        terms: dict[str, str] = {}
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
        for r in waiting.iter_rows(named=True):
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
                "label": _round_name(ledger.row(cid_).label, rnd),
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
        "recheck": recheck,
        "carried_id": cid("screen.carried_over"),
        "recheck_id": cid("screen.recheck_abstract"),
        "prioritised": ledger.has("ranking.trained_on"),
        "prioritisation_text": prioritisation_text(ledger),
        "rounds": rounds,
    }


# -- click-through data ----------------------------------------------------------------------


def ledger_json(ledger: Ledger, lookup: pl.DataFrame, embed_ids_max: int) -> str:
    """The JSON blob behind the click-through panel, safe inside ``<script>``.

    Counts with at most ``embed_ids_max`` IDs carry them (and their titles from ``lookup``);
    larger ones point at ``counts/<count_id>.csv``.
    """
    counts: dict[str, Any] = {}
    wanted: set[str] = set()
    for row in ledger:
        embed = row.id_kind != "none" and len(row.ids) <= embed_ids_max
        if embed:
            wanted.update(row.ids)
        counts[row.count_id] = {
            "label": row.label,
            "stage": row.stage,
            "rule": row.rule,
            "unit": row.unit,
            "id_kind": row.id_kind,
            "value": row.value,
            "display": format_count(row.value, row.unit),
            "n_ids": len(row.ids),
            "inputs": [list(i) for i in row.inputs],
            "ids": list(row.ids) if embed else None,
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
        {"counts": counts, "lookup": titles}, sort_keys=True, ensure_ascii=False, indent=None
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
        literal=literal,
        anchors=ANCHORS,
    )


# -- synthesis additions: prevalence rule, overarching themes, co-occurrence, evidence map ----


def prevalence_rule_view(prevalence: pl.DataFrame, ledger: Ledger) -> dict[str, Any]:
    """The prevalence rule as applied (metric from the ledger row, threshold as its count id)
    and the dropped codes with their reason and numbers."""
    if not ledger.has("prevalence.threshold"):
        return {"metric": "", "threshold_id": "", "dropped": []}
    metric = ledger.row("prevalence.threshold").unit
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
