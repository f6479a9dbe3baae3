"""API search rounds: where they are stored, which are complete, what the import sees.

A round of an API search lives in ``<store>/<search id>/round-NNN/`` (``store`` is config
``api.store``, default ``api_searches``): ``manifest.json`` and the pages as the API sent them.
A round being fetched is written to ``round-NNN.partial/`` and renamed when it is complete
and reconciled, so a half-fetched round is never imported.

Each complete round becomes one import search (:func:`expand`), ``<id>-rNNN``, with the round,
the run date as search date, its pages as files and the API's importer as format, so the rest
of the workflow (dedupe, screening, ledger, PRISMA flow) treats it like any database export.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .apis import SPECS

DEFAULT_STORE = "api_searches"
MANIFEST = "manifest.json"


def round_dirname(round_: int) -> str:
    return f"round-{round_:03d}"


def derived_id(search_id: str, round_: int) -> str:
    return f"{search_id}-r{round_:03d}"


def store_of(config: Mapping[str, Any]) -> str:
    return str((config.get("api") or {}).get("store") or DEFAULT_STORE)


def api_searches(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in config.get("searches") or [] if s.get("api")]


def read_manifests(workdir: Path, config: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The manifests of the complete rounds of each API search, oldest round first."""
    store = workdir / store_of(config)
    out: dict[str, list[dict[str, Any]]] = {}
    for search in api_searches(config):
        sid = str(search["id"])
        found = []
        for path in sorted((store / sid).glob("round-[0-9][0-9][0-9]/" + MANIFEST)):
            found.append(json.loads(path.read_text(encoding="utf-8")))
        out[sid] = sorted(found, key=lambda m: int(m["round"]))
    return out


def strategy_text(manifest: Mapping[str, Any]) -> str:
    """The full strategy as sent: the query, the filters and the date window, then each request."""
    window = manifest["window"]
    lines = [f"query: {manifest['query']}"]
    lines += [f"{k}: {v}" for k, v in sorted((manifest.get("params") or {}).items())]
    lines.append(
        f"window ({window['field']}): {window['from'] or 'start'} to {window['to']}"
        f" (overlap {window['overlap_days']} days)"
    )
    lines += [f"{r['method']} {r['url']}" for r in manifest["requests"]]
    return "\n".join(lines)


def expand(
    searches: Sequence[Mapping[str, Any]],
    manifests: Mapping[str, Sequence[Mapping[str, Any]]],
    store: str,
) -> list[dict[str, Any]]:
    """The searches the workflow imports: file searches as they are, each API search replaced
    by one search per complete round (none before its first round is fetched)."""
    out: list[dict[str, Any]] = []
    for search in searches:
        if not search.get("api"):
            out.append(dict(search))
            continue
        sid = str(search["id"])
        spec = SPECS[str(search["api"])]
        for manifest in manifests.get(sid, ()):
            round_ = int(manifest["round"])
            folder = f"{store}/{sid}/{round_dirname(round_)}"
            pages = [r["file"] for r in manifest["requests"] if r.get("role") == "page"]
            out.append(
                {
                    "id": derived_id(sid, round_),
                    "database": str(search.get("database") or spec.database),
                    "platform": spec.interface,
                    "date": str(manifest["run_date"]),
                    "round": round_,
                    "strategy": strategy_text(manifest),
                    "files": [f"{folder}/{name}" for name in pages],
                    "format": str(manifest.get("format") or spec.fmt),
                    "encoding": None,
                    "columns": None,
                    "api": spec.name,
                    "api_search": sid,
                    "api_manifest": f"{folder}/{MANIFEST}",
                    "api_run_at": str(manifest["run_at"]),
                    "api_window": dict(manifest["window"]),
                    "api_query": str(manifest["query"]),
                    "api_params": dict(manifest.get("params") or {}),
                    "api_requests": [str(r["url"]) for r in manifest["requests"]],
                }
            )
    return out


def effective_searches(config: Mapping[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """``config['searches']`` with API searches expanded into their fetched rounds."""
    searches = list(config.get("searches") or [])
    if not any(s.get("api") for s in searches):
        return [dict(s) for s in searches]
    return expand(searches, read_manifests(workdir, config), store_of(config))


def reconcile(
    search_id: str, manifest: Mapping[str, Any], files: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Problems between a round's manifest and its import (empty: they agree).

    Each page's records (parsed + rejected) must be the records the fetch counted on it, their
    sum the records retrieved, and that the total the API reported; each page's SHA-256 must
    be the one recorded when it was fetched (the stored round is immutable).
    """
    problems: list[str] = []
    pages = {r["file"]: r for r in manifest["requests"] if r.get("role") == "page"}
    seen = 0
    for row in files:
        name = Path(str(row["path"])).name
        page = pages.get(name)
        if page is None:
            problems.append(f"{row['path']}: not a page of the manifest")
            continue
        n = int(row["n_parsed"]) + int(row["n_rejected"])
        seen += n
        if row["sha256"] != page["sha256"]:
            problems.append(f"{row['path']}: SHA-256 differs from the manifest (page changed)")
        if n != int(page["records"]):
            problems.append(
                f"{row['path']}: {n} records imported (parsed + rejected) but the fetch "
                f"counted {page['records']}"
            )
    retrieved, reported = int(manifest["retrieved"]), manifest.get("reported_total")
    if seen != retrieved:
        problems.append(f"{seen} records imported but {retrieved} retrieved")
    if reported is not None and retrieved != int(reported):
        problems.append(
            f"{retrieved} records retrieved but the API reported {reported} "
            f"(gap {int(reported) - retrieved})"
        )
    return [f"search {search_id!r}: {p}" for p in problems]
