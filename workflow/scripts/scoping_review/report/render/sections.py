"""Template views of the report's sections: review, searches, sources, criteria,
characteristics, charting, themes, quality, provenance.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...normalize import fold_expr, slug
from ...wording import stage_name
from ..checklist import text
from ..counts import Ledger, author_text
from ..labels import search_labels
from .environment import SEVERITIES

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
    searches = config.get("searches") or []
    labels = search_labels(searches)
    for s in searches:
        cid = f"database_results.{s.get('id')}"
        out.append(
            {
                "id": _str(s.get("id")),
                # the database, told apart from another search of it (round, date or id)
                "database": text(labels.get(str(s.get("id")), s.get("database")), "database"),
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
    from ..figures import search_ids

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


def database_sources_view(ledger: Ledger, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Per database with counts of its own (searched more than once): the count ids of its
    records, distinct studies, studies no other database found and included studies."""
    from ..figures import database_ids

    return [
        {
            "id": key,
            "name": text(name, "database"),
            **{
                part: f"sources.database.{part}.{key}"
                if ledger.has(f"sources.database.{part}.{key}")
                else ""
                for part in ("records", "studies", "only", "included")
            },
        }
        for key, name in database_ids(ledger, config)
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
    column = charting.get_column(field)
    if isinstance(column.dtype, pl.List):  # a list field: each value on its own
        column = column.explode()
    values = column.cast(pl.String).drop_nulls().unique().sort()
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


def _cell(value: Any) -> Any:
    """A charted value as shown: a list field's values joined with "; " (not Python's repr)."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v is not None) or None
    return value


def charting_table_view(charting: pl.DataFrame, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-study charting table: every included study with its (normalised) charted fields."""
    cols = [str(f["name"]) for f in fields if str(f["name"]) in charting.columns]
    header = [text(f.get("label") or f["name"], "field") for f in fields if f["name"] in cols]
    frame = charting.with_columns(
        pl.coalesce(pl.col("study_label"), pl.col("study_id")).alias("__label")
    ).with_columns(fold_expr("__label").alias("__key"))  # "Gülüm" before "Guzman"
    frame = frame.sort("__key", "__label", "study_id", nulls_last=True)
    rows = []
    for rec in frame.iter_rows(named=True):
        rows.append(
            {
                "study_id": _str(rec["study_id"]),
                "label": _str(rec["__label"]),
                "cells": [text(_cell(rec[c]), "charted text") for c in cols],
            }
        )
    return {"header": header, "rows": rows}


def themes_view(
    themes: pl.DataFrame, prevalence: pl.DataFrame, ledger: Ledger
) -> list[dict[str, Any]]:
    """Table 3 analogue: overarching theme → theme → codes, dropped codes with reason."""
    info = {str(r["code"]): r for r in prevalence.iter_rows(named=True)}
    order = {code: i for i, code in enumerate(info)}  # the codebook's order (Table 3's)

    def in_order(codes: set[str] | list[str]) -> list[str]:
        return sorted(codes, key=lambda c: (order.get(c, len(order)), c))

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
        codes = [code_entry(c, True) for c in in_order(kept_codes)]
        codes += [code_entry(c, False) for c in in_order(dropped - set(kept_codes))]
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


# findings listed per check on the page; the rest are in the check's listing (every finding,
# with its message and location: counts/quality.check.<check>.csv). A large review's checks
# can find tens of thousands (the report at 1M synthetic records listed 21,242 findings of one
# check: 11.7 of its 22.5 MB)
QUALITY_SHOWN = 50


def quality_view(
    issues: pl.DataFrame, ledger: Ledger, shown: int = QUALITY_SHOWN
) -> list[dict[str, Any]]:
    """Per severity, its checks (by name), each with its first ``shown`` findings in ID order.

    A check's ledger count is shown beside it where all its findings have this severity (it
    then counts exactly the findings under it); ``more``: findings not listed on the page, and
    ``listing``: the file that lists them all."""
    out: list[dict[str, Any]] = []
    severities_of = dict(
        issues.group_by("check").agg(pl.col("severity").n_unique().alias("n")).iter_rows()
    )
    for severity in SEVERITIES:
        part = issues.filter(pl.col("severity") == severity).sort("issue_id")
        cid = f"quality.{severity}"
        if part.height and not ledger.has(cid):
            ledger.head(cid, f"the {severity} findings of the data-quality checks")
        checks: list[dict[str, Any]] = []
        listed = 0
        for (check,), rows in sorted(part.partition_by("check", as_dict=True).items()):
            check_id = f"quality.check.{check}"
            whole = severities_of.get(check) == 1 and ledger.has(check_id)
            listed += min(rows.height, shown)
            checks.append(
                {
                    "check": _str(check),
                    "count_id": check_id if whole else "",
                    "listing": f"counts/{check_id}.csv" if whole else "",
                    "more": rows.height > shown,
                    "issues": [_issue(r) for r in rows.head(shown).iter_rows(named=True)],
                }
            )
        out.append(
            {
                "severity": severity,
                "count_id": cid if ledger.has(cid) else "",
                # open on the page when it lists few findings
                "open": listed <= 10,
                "checks": checks,
            }
        )
    return out


def _issue(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "issue_id": _str(r["issue_id"]),
        "check": _str(r["check"]),
        "subject": _str(r["subject"]),
        "message": _str(r["message"]),
        "where": _str(r["where"]),
        "ids": [_str(i) for i in (r["ids"] or [])][:20],
        "more_ids": len(r["ids"] or []) > 20,
    }


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
