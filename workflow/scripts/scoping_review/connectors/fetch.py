"""``scoping-review search``: fetch one round of each API search (an adapter: does the I/O).

The round fetched is the one after the newest frozen version (with no version yet: the
config's newest round). A search that already has that round is left alone: a stored round is
immutable. The window runs from the previous round's run date minus ``api.overlap_days``
(databases index late; the overlap's duplicates are merged by dedupe) to today (UTC); the
previous round's run date is this search's previous fetch, else the newest date of the file
searches of earlier rounds, else the search's ``since`` (else no start).

Pages are written as they arrive into ``round-NNN.partial/``; only a complete round whose
retrieved records equal the total the API reported gets its ``manifest.json`` and is renamed
to ``round-NNN/``. A failure leaves the partial folder for inspection; the next run starts
that round over.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, versions
from . import apis, rounds
from .apis import ApiError, Window
from .client import Answer, Client, TransportError


@dataclass(frozen=True)
class Settings:
    store: str = rounds.DEFAULT_STORE
    overlap_days: int = 7
    timeout_s: float = 30.0
    max_retries: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    base_urls: Mapping[str, str] = field(default_factory=dict)


def settings_of(config: Mapping[str, Any]) -> Settings:
    api = dict(config.get("api") or {})
    return Settings(
        store=rounds.store_of(config),
        overlap_days=int(api.get("overlap_days", 7)),
        timeout_s=float(api.get("timeout_s", 30.0)),
        max_retries=int(api.get("max_retries", 5)),
        backoff_s=float(api.get("backoff_s", 1.0)),
        backoff_max_s=float(api.get("backoff_max_s", 60.0)),
        base_urls={k: str(v) for k, v in (api.get("base_urls") or {}).items() if v},
    )


def target_round(searches: Sequence[Mapping[str, Any]], frozen_max_round: int | None) -> int:
    """The round a fetch belongs to: after the newest frozen version, else the config's newest."""
    static = max((int(s.get("round", 1)) for s in searches if not s.get("api")), default=1)
    return static if frozen_max_round is None else max(static, frozen_max_round + 1)


def window_for(
    search: Mapping[str, Any],
    round_: int,
    earlier: Sequence[Mapping[str, Any]],
    searches: Sequence[Mapping[str, Any]],
    today: datetime.date,
    overlap_days: int,
) -> tuple[Window, str | None]:
    """The round's date window and the previous run date it starts from (pure)."""
    previous: str | None = None
    fetched = [m for m in earlier if int(m["round"]) < round_]
    if fetched:
        previous = str(fetched[-1]["run_date"])
    else:
        dates = [
            str(s["date"])
            for s in searches
            if not s.get("api") and s.get("date") and int(s.get("round", 1)) < round_
        ]
        previous = max(dates) if dates else None
    if previous:
        start = datetime.date.fromisoformat(previous) - datetime.timedelta(days=overlap_days)
    elif search.get("since"):
        start = datetime.date.fromisoformat(str(search["since"]))
    else:
        start = None
    return Window(start, today), previous


def same_day_round(
    search: Mapping[str, Any],
    round_: int,
    earlier: Sequence[Mapping[str, Any]],
    today: datetime.date,
) -> Outcome | None:
    """An outcome that skips ``round_`` when an earlier round of ``search`` was fetched today
    (else None): windows are whole days, so a second round on one day brings back only what
    the first found, and each re-run of ``update`` would freeze one more empty version."""
    fetched = [m for m in earlier if int(m["round"]) < round_]
    if not fetched or str(fetched[-1]["run_date"])[:10] != today.isoformat():
        return None
    sid, last = str(search["id"]), int(fetched[-1]["round"])
    return Outcome(
        sid,
        True,
        f"search {sid!r} ({search['api']}): round {round_} not fetched: round {last} was "
        f"fetched today, and a round's window is whole days (the next can run tomorrow)",
    )


def frozen_max_round(workdir: Path) -> int | None:
    found = [
        versions.parse_version_info(json.loads(p.read_text(encoding="utf-8"))).max_round
        for p in (workdir / versions.VERSIONS_DIR).glob("v*/version.json")
    ]
    return max(found) if found else None


def secrets_for(api: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Credentials and contact for one API, from the environment only."""
    email = environ.get(apis.ENV_EMAIL, "")
    out: dict[str, str] = {}
    if api == "pubmed":
        if environ.get(apis.ENV_NCBI_KEY):
            out["api_key"] = environ[apis.ENV_NCBI_KEY]
        if email:
            out["email"] = email
    elif api == "openalex":
        if environ.get(apis.ENV_OPENALEX_KEY):
            out["api_key"] = environ[apis.ENV_OPENALEX_KEY]
        if email:
            out["mailto"] = email
    elif api == "crossref" and email:
        out["mailto"] = email
    return out


class _Round:
    """The pages of one round as they are written into its partial folder."""

    def __init__(self, folder: Path, ext: str) -> None:
        self.folder, self.ext = folder, ext
        self.requests: list[dict[str, Any]] = []
        self.retrieved = 0

    def keep(self, answer: Answer, role: str, records: int, name: str | None = None) -> None:
        number = len(self.requests) + 1
        if name is None:
            pages = sum(1 for r in self.requests if r["role"] == "page")
            name = f"page-{pages + 1:04d}.{self.ext}"
        (self.folder / name).write_bytes(answer.body)
        self.requests.append(
            {
                "n": number,
                "method": "GET",
                "url": answer.url,
                "status": answer.status,
                "retries": answer.retries,
                "role": role,
                "file": name,
                "bytes": len(answer.body),
                "sha256": hashlib.sha256(answer.body).hexdigest(),
                "records": records,
            }
        )
        if role == "page":
            self.retrieved += records


def _checked(answer: Answer, api: str) -> Answer:
    if answer.status != 200:
        message = apis.error_message(api, answer.status, answer.body)
        raise ApiError(f"HTTP {answer.status} for {answer.url}: {message}")
    return answer


def _page_info(api: str, answer: Answer, where: str) -> apis.PageInfo:
    return apis.page_info(api, answer.body, f"{where} ({answer.url})")


def _fetch_pubmed(
    client: Client, base: str, params: dict[str, str], page_size: int, out: _Round, fmt: str
) -> tuple[int, str]:
    answer = _checked(client.get(base + apis.path_of("pubmed", True), params), "pubmed")
    try:
        count, web_env, key, translation = apis.pubmed_esearch(answer.body)
    finally:
        out.keep(answer, "search", 0, "esearch.xml")
    if count > apis.PUBMED_MAX:
        raise ApiError(
            f"{count} records in the window, but PubMed serves at most {apis.PUBMED_MAX} of one "
            "search: narrow the query or shorten the interval between updates"
        )
    retstart = 0
    while retstart < count:
        fetch = {"db": "pubmed", "query_key": key, "WebEnv": web_env}
        fetch |= (
            {"rettype": "medline", "retmode": "text"} if fmt == "medline" else {"retmode": "xml"}
        )
        fetch |= {"retstart": str(retstart), "retmax": str(page_size)}
        fetch["tool"] = params.get("tool", "scoping-review")
        answer = _checked(client.get(base + apis.path_of("pubmed", False), fetch), "pubmed")
        where = f"efetch page {retstart // page_size + 1} ({answer.url})"
        if fmt == "medline":
            info = apis.medline_page_info(answer.body, where)
        else:
            info = apis.page_info("pubmed", answer.body, where)
        out.keep(answer, "page", info.n_items)
        if info.n_items == 0:
            break
        retstart += page_size
    return count, translation


def _fetch_cursor(
    api: str, client: Client, base: str, params: dict[str, str], out: _Round
) -> int | None:
    cursor_param = {"openalex": "cursor", "europepmc": "cursorMark", "crossref": "cursor"}[api]
    total: int | None = None
    seen_cursors: set[str] = set()
    while True:
        answer = _checked(client.get(base + apis.path_of(api, True), params), api)
        number = sum(1 for r in out.requests if r["role"] == "page") + 1
        info = _page_info(api, answer, f"page {number}")
        out.keep(answer, "page", info.n_items)
        total = info.total if total is None else total  # the total reported at the start
        if info.n_items == 0 or not info.cursor:
            break
        if total is not None and out.retrieved > total:
            break  # more than reported: never page on forever (the mismatch is reported)
        if api != "openalex" and total is not None and out.retrieved >= total:
            break  # OpenAlex: followed until next_cursor is null (its documented end)
        if api == "europepmc" and info.cursor in seen_cursors:
            break
        seen_cursors.add(info.cursor)
        params = {**params, cursor_param: info.cursor}
    return total


@dataclass(frozen=True)
class Outcome:
    search_id: str
    ok: bool
    message: str
    folder: Path | None = None


def fetch_search(
    search: Mapping[str, Any],
    *,
    workdir: Path,
    settings: Settings,
    round_: int,
    window: Window,
    previous_run: str | None,
    environ: Mapping[str, str],
    now: datetime.datetime,
) -> Outcome:
    """Fetch one round of one API search into ``<store>/<id>/round-NNN/``."""
    sid, api = str(search["id"]), str(search["api"])
    spec = apis.SPECS[api]
    label = f"search {sid!r} ({api})"
    final = workdir / settings.store / sid / rounds.round_dirname(round_)
    if (final / rounds.MANIFEST).exists():
        return Outcome(sid, True, f"{label}: round {round_} already fetched (stored rounds are "
                                  f"immutable): {final}", final)  # fmt: skip
    fmt, ext = spec.fmt, spec.ext
    asked = str(search.get("format") or "auto")
    if api == "pubmed" and asked == "medline":
        fmt, ext = "medline", "txt"  # efetch rettype=medline instead of PubMed XML
    elif asked not in ("auto", spec.fmt):
        return Outcome(sid, False, f"{label}: format {asked!r} is not one this API sends "
                                   f"(auto{', medline' if api == 'pubmed' else ''})")  # fmt: skip
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # an interrupted fetch starts over
    partial.mkdir(parents=True)
    secrets = secrets_for(api, environ)
    page_size = int(search.get("page_size") or spec.page_size)
    query = str(search.get("query") or "")
    extra = {str(k): str(v) for k, v in (search.get("params") or {}).items()}
    if set(extra) & apis.SECRET_PARAMS:
        names = ", ".join(sorted(apis.SECRET_PARAMS))
        message = f"{label}: credentials ({names}) come from environment variables, not config"
        return Outcome(sid, False, message)
    params = apis.first_params(api, query, extra, window, page_size)
    client = Client(
        interval_s=spec.interval_key_s if secrets else spec.interval_s,
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
        backoff_s=settings.backoff_s,
        backoff_max_s=settings.backoff_max_s,
        secrets=secrets,
        user_agent=f"scoping-review/{__version__}",
    )
    base = settings.base_urls.get(api, spec.base_url).rstrip("/")
    out = _Round(partial, ext)
    translation = ""
    try:
        if api == "pubmed":
            reported, translation = _fetch_pubmed(client, base, params, page_size, out, fmt)
        else:
            total = _fetch_cursor(api, client, base, params, out)
            reported = total if total is not None else out.retrieved
    except (ApiError, TransportError) as err:
        return Outcome(sid, False, f"{label}: {err}; round {round_} not stored", partial)
    finally:
        client.close()
    if out.retrieved != reported:
        return Outcome(
            sid,
            False,
            f"{label}: retrieved {out.retrieved} records but the API reported {reported} "
            f"(gap {reported - out.retrieved}); round {round_} not stored",
            partial,
        )
    manifest = {
        "search_id": sid,
        "api": api,
        "database": str(search.get("database") or spec.database),
        "interface": spec.interface,
        "round": round_,
        "run_at": now.replace(microsecond=0).isoformat(),
        "run_date": now.date().isoformat(),
        "window": {
            "field": spec.window_field,
            "from": window.start.isoformat() if window.start else None,
            "to": window.end.isoformat(),
            "overlap_days": settings.overlap_days,
            "previous_run": previous_run,
        },
        "query": query,
        "params": extra,
        "query_translation": translation,
        "format": fmt,
        "page_size": page_size,
        "reported_total": reported,
        "retrieved": out.retrieved,
        "requests": out.requests,
        "credentials": sorted(secrets),  # names of the parameters sent from the environment
        "tool_version": __version__,
        "complete": True,
    }
    (partial / rounds.MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    partial.rename(final)
    pages = sum(1 for r in out.requests if r["role"] == "page")
    start = window.start.isoformat() if window.start else "the earliest record"
    return Outcome(
        sid,
        True,
        f"{label}: round {round_}: {out.retrieved} records of {reported} reported in {pages} "
        f"page(s), window {start} to {window.end.isoformat()}: {final}",
        final,
    )


def run_searches(
    workdir: Path,
    config: Mapping[str, Any],
    *,
    only: str | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime.datetime | None = None,
    report: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Fetch the current round of every API search in ``config`` (or only ``only``);
    ``report`` hears each search's outcome as soon as it is known (a run stopped midway has
    said what it stored)."""
    environ = os.environ if environ is None else environ
    now = now or datetime.datetime.now(datetime.UTC)
    settings = settings_of(config)
    searches = list(config.get("searches") or [])
    targets = [s for s in rounds.api_searches(config) if only is None or s["id"] == only]
    if only is not None and not targets:
        known = ", ".join(str(s["id"]) for s in rounds.api_searches(config)) or "none"
        missing = Outcome(only, False, f"no API search {only!r} in config (API searches: {known})")
        if report is not None:
            report(missing)
        return [missing]
    round_ = target_round(searches, frozen_max_round(workdir))
    manifests = rounds.read_manifests(workdir, config)
    outcomes = []
    for search in targets:
        earlier = manifests.get(str(search["id"]), [])
        changed = query_change(search, round_, earlier)
        # a round skipped today, or one fetched now (not one stored before), says a change
        outcome = same_day_round(search, round_, earlier, now.date())
        fresh = outcome is not None
        if outcome is None:
            window, previous = window_for(
                search, round_, earlier, searches, now.date(), settings.overlap_days
            )
            folder = workdir / settings.store / str(search["id"]) / rounds.round_dirname(round_)
            stored = (folder / rounds.MANIFEST).exists()
            outcome = fetch_search(
                search,
                workdir=workdir,
                settings=settings,
                round_=round_,
                window=window,
                previous_run=previous,
                environ=environ,
                now=now,
            )
            fresh = outcome.ok and not stored
        if changed and fresh:
            outcome = dataclasses.replace(outcome, message=f"{outcome.message}\n  note: {changed}")
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return outcomes


def query_change(
    search: Mapping[str, Any], round_: int, earlier: Sequence[Mapping[str, Any]]
) -> str | None:
    """What to say when ``search``'s query is not the one its last round ran (else None): a
    new round searches only its own window, so what the new query finds from before is never
    fetched."""
    fetched = [m for m in earlier if int(m["round"]) < round_]
    query = str(search.get("query") or "")
    if not fetched or str(fetched[-1].get("query") or "") == query:
        return None
    last = fetched[-1]
    return (
        f"the query is not round {last['round']}'s ({str(last.get('query'))!r}); this round ran "
        f"the new one over its own window only, so what it finds from before is not fetched: "
        f"for that, give the new query a search of its own (a new id), whose first round "
        f"searches from `since`"
    )
