"""The screening app (Flask): one reviewer, one stage; plus the consensus view.

Files stay the source of truth: every decision is appended to the reviewer's sheet before the
page moves on (:mod:`.sheet`); the server keeps nothing else, so killing it loses nothing and
starting it again resumes at the first study the reviewer has not decided.

Safe by default: the CLI binds 127.0.0.1 and refuses another host without a token; with a
token every request needs it (``?token=`` once, then a cookie); every POST carries a CSRF token
(Flask-WTF); Jinja escapes every record field.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from flask import Flask, Response, abort, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from .. import schemas, screen, storage
from ..normalize import file_stem, reviewer_match_key
from . import queue as q
from . import sheet

RESULTS = Path("results")
RANKING = RESULTS / "03_screen" / "ranking.parquet"  # study_id, score (prioritised screening)
KEYS = "123456789"


class ReviewNotReady(RuntimeError):
    """The review has no results yet (run the workflow first) or a bad config."""


def _not_ready(directory: Path, missing: list[str]) -> str:
    """Why the tables the app reads are missing: a run under way, a run that failed, or none."""
    from .. import runguard

    tables = ", ".join(missing)
    if runguard.snakemake_processes(directory):
        return f"a run is under way in {directory} ({tables} not written yet): wait for it to end"
    failed = [
        p.relative_to(directory).as_posix() for p in runguard.error_files(directory / RESULTS)
    ]
    if failed:
        return (
            f"the last run stopped before screening was done ({tables} missing); what stopped "
            f"it is in {', '.join(f.removesuffix(runguard.ERROR_SUFFIX) for f in failed)}: "
            f"correct it and run `scoping-review run --directory {directory}` again"
        )
    return f"no results yet ({tables}): run `scoping-review run --directory {directory}` first"


@dataclass
class Review:
    """Everything the app reads from a review directory once, at start."""

    directory: Path
    criteria: list[dict[str, Any]]
    settings: screen.Settings
    app_dir: Path
    terms: list[str]
    studies: pl.DataFrame
    records: pl.DataFrame
    status: pl.DataFrame
    decisions: pl.DataFrame  # from the last run, app sheets left out (read live instead)
    scores: dict[str, float] = field(default_factory=dict)
    pairs: pl.DataFrame | None = None  # the dedupe review queue (maybe pairs)

    @property
    def record_to_study(self) -> pl.DataFrame:
        """record_id -> _study (see :func:`sheet.study_map`)."""
        return self.studies.select(
            pl.col("record_ids").alias("record_id"), pl.col("study_id").alias("_study")
        ).explode("record_id")

    @classmethod
    def load(cls, directory: Path) -> Review:
        cfg_path = directory / "config" / "config.yaml"
        if not cfg_path.exists():
            raise ReviewNotReady(f"{cfg_path}: no config (is {directory} a review directory?)")
        cfg = storage.read_yaml(cfg_path) or {}  # a YAML error: one line naming the file
        screening = cfg.get("screening") or {}
        res = directory / RESULTS
        needed = [
            res / "02_dedupe/studies.parquet",
            res / "01_import/records.parquet",
            res / "03_screen/status.parquet",
            res / "03_screen/decisions.parquet",
        ]
        missing = [str(p) for p in needed if not p.exists()]
        if missing:
            raise ReviewNotReady(_not_ready(directory, missing))
        app_dir_name = str(screening.get("app_directory") or "screening")
        decisions = storage.read_table(needed[3], schemas.DECISIONS)
        decisions = decisions.filter(~pl.col("sheet").str.starts_with(app_dir_name + "/"))
        records = pl.read_parquet(
            needed[1], columns=["record_id", "database", "source_id", "native_id", "title"]
        )
        scores: dict[str, float] = {}
        if (directory / RANKING).exists():
            # scores are null while the decisions hold no include or no exclude (no model yet)
            ranking = pl.read_parquet(directory / RANKING).drop_nulls("score")
            scores = dict(zip(ranking["study_id"], ranking["score"].cast(pl.Float64), strict=True))
        queue_path = res / "02_dedupe/review_queue.parquet"
        pairs = (
            storage.read_table(queue_path, schemas.REVIEW_QUEUE) if queue_path.exists() else None
        )
        return cls(
            pairs=pairs,
            directory=directory,
            criteria=list(cfg.get("criteria") or []),
            settings=screen.Settings.from_config(screening),
            app_dir=directory / app_dir_name,
            terms=[str(t) for t in screening.get("highlight_terms") or []],
            studies=storage.read_table(needed[0], schemas.STUDIES),
            records=records,
            status=storage.read_table(needed[2], schemas.STATUS),
            decisions=decisions,
            scores=scores,
        )

    def reasons(self, stage: str) -> list[dict[str, str]]:
        return [
            {"code": str(c["code"]), "label": str(c.get("label") or c["code"])}
            for c in self.criteria
            if stage in c.get("stages", screen.STAGES)
        ]

    def independent(self, stage: str) -> tuple[pl.DataFrame, set[str]]:
        """Every independent decision at ``stage`` (last run's sheets + live app sheets) and
        the studies a consensus has decided."""
        cols = list(q.DECISION_COLUMNS)
        at = self.decisions.filter(pl.col("stage") == stage)
        frames = [at.filter(pl.col("reviewer") != screen.CONSENSUS).select(cols)]
        done = set(at.filter(pl.col("reviewer") == screen.CONSENSUS)["study_id"].to_list())
        to_study = self.record_to_study
        for sheet_stage, path, consensus in sheet.sheets(self.app_dir, screen.STAGES):
            if sheet_stage != stage:
                continue
            cur = sheet.by_study(sheet.read(path), to_study)
            if consensus:
                done |= set(cur)
                continue
            frames.append(
                pl.DataFrame(
                    [
                        {
                            "study_id": s,
                            "reviewer": d.reviewer,
                            "decision": d.decision,
                            "reason": d.reason,
                        }
                        for s, d in cur.items()
                    ],
                    schema=q.DECISION_COLUMNS,
                    orient="row",
                )
            )
        return pl.concat(frames), done


def _check_token(expected: str | None) -> BaseResponse | None:
    if expected is None:
        return None
    given = request.args.get("token") or request.cookies.get("sr_token") or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403)
    if request.args.get("token") and request.method == "GET":
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "token"}
        resp = redirect(url_for(request.endpoint or "screen_page", **args))
        resp.set_cookie("sr_token", expected, httponly=True, samesite="Strict")
        return resp
    return None


def create_app(review: Review, reviewer: str, stage: str, token: str | None = None) -> Flask:
    if stage not in screen.STAGES:
        raise ValueError(f"unknown stage {stage!r} (one of {screen.STAGES})")
    if not reviewer.strip() or reviewer.strip().lower() == screen.CONSENSUS:
        raise ValueError(f"reviewer name {reviewer!r} is reserved or empty")
    _check_name(review, reviewer)
    names = review.settings.stages[stage].names
    if names and reviewer not in names:  # the run would refuse every decision saved so
        meant = {reviewer_match_key(n): n for n in names}.get(reviewer_match_key(reviewer))
        raise ValueError(
            f"reviewer {reviewer!r} is not a {stage} reviewer"
            + (f" (write it {meant!r})" if meant else "")
            + f": screening.stages.{stage}.names lists {', '.join(names)}; give --reviewer as "
            "one of them, or add the name there"
        )
    app = Flask(__name__, template_folder="templates")
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    CSRFProtect(app)
    own_path = sheet.path_for(review.app_dir, stage, reviewer)
    consensus_path = review.app_dir / stage / f"{sheet.CONSENSUS_STEM}.csv"
    dedupe_path = review.app_dir / sheet.DEDUPE_FOLDER / f"{file_stem(reviewer)}.csv"
    _check_writable(own_path)
    # what mending the sheets did, for the command to print before it serves
    sheets = ((own_path, sheet.COLUMNS), (consensus_path, sheet.COLUMNS),
              (dedupe_path, sheet.PAIR_COLUMNS))  # fmt: skip
    app.config["SHEET_REPAIRS"] = [
        note for path, columns in sheets if (note := sheet.repair(path, columns))
    ]
    reasons = review.reasons(stage)
    decisions = screen.DECISIONS[stage]
    by_id = {r["study_id"]: r for r in review.studies.iter_rows(named=True)}
    to_study = review.record_to_study
    order = q.Order(
        q.waiting(
            review.studies, review.status, review.decisions, review.settings, stage, reviewer
        ),
        by_id,
        review.scores,
    )
    record_info = {r["record_id"]: r for r in review.records.iter_rows(named=True)}

    @app.before_request
    def guard() -> BaseResponse | None:
        return _check_token(token)

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def state() -> tuple[list[str], dict[str, sheet.Decision]]:
        own = mine()
        return order(own), own

    cache: dict[str, Any] = {}

    def mine() -> dict[str, sheet.Decision]:
        """The reviewer's decisions, parsed again only when the sheet changed."""
        stat = own_path.stat() if own_path.exists() else None
        stamp = (stat.st_size, stat.st_mtime_ns) if stat else None
        if cache.get("stamp") != stamp or "own" not in cache:
            cache["own"] = sheet.by_study(sheet.read(own_path), to_study)
            cache["stamp"] = stamp
        return dict(cache["own"])

    def first_open(ids: list[str], own: Mapping[str, Any], start: int = 0) -> int:
        for i in list(range(start, len(ids))) + list(range(0, start)):
            if ids[i] not in own:
                return i
        return min(start, max(len(ids) - 1, 0))

    @app.get("/")
    def screen_page() -> str | BaseResponse:
        ids, own = state()
        study = request.args.get("study")
        pos = ids.index(study) if study in ids else first_open(ids, own)
        query = request.args.get("q", "")
        hits = q.search(review.studies, ids, query) if query else []
        current = by_id.get(ids[pos]) if ids else None
        members = []
        if current is not None:
            members = [record_info[r] for r in current["record_ids"] if r in record_info]
        prog = q.progress(ids, own)
        return render_template(
            "screen.html",
            reviewer=reviewer,
            stage=stage,
            ids=ids,
            pos=pos,
            study=current,
            members=members,
            mine=own.get(ids[pos]) if ids else None,
            progress=prog,
            unknown=sum(
                n for d, n in prog.by_decision.items() if d.strip().lower() not in decisions
            ),
            decisions=decisions,
            reasons=reasons,
            keys=KEYS,
            title_parts=q.highlight(current["title"] if current else None, review.terms),
            abstract_parts=q.highlight(current["abstract"] if current else None, review.terms),
            prev_id=ids[pos - 1] if ids and pos > 0 else None,
            next_id=ids[pos + 1] if ids and pos + 1 < len(ids) else None,
            query=query,
            hits=[by_id[h] for h in hits[:50]],
            sheet_name=own_path.relative_to(review.directory).as_posix(),
            asked=study if study and study not in ids else None,
        )

    def _decision_row(form: Mapping[str, str], who: str) -> dict[str, str | None]:
        study = form.get("study_id", "")
        decision = form.get("decision", "")
        reason = form.get("reason") or None
        if study not in by_id:
            abort(400, f"unknown study {study!r}")
        if decision not in decisions:
            abort(400, f"decision {decision!r} is not one of {decisions}")
        if decision in screen.NEEDS_REASON and reason not in {r["code"] for r in reasons}:
            abort(400, f"{decision} needs a reason code of this stage")
        if decision not in screen.NEEDS_REASON:
            reason = None
        note = (form.get("note") or "").strip() or None
        return {"study": study, "decision": decision, "reason": reason, "reviewer": who,
                "note": note}  # fmt: skip

    def _clear(path: Path, study: str, who: str, keep: str | None = None) -> None:
        """Undo lines for the study's records that hold a decision (after a merge a study
        may have one under another record), except ``keep``."""
        for record in sheet.records_with_decisions(sheet.read(path), study, to_study):
            if record != keep:
                sheet.append(path, {"record_id": record, "study": study, "reviewer": who})

    def _write(path: Path, row: dict[str, str | None]) -> None:
        study = str(row["study"])
        record = str(by_id[study]["representative_record_id"])
        _clear(path, study, str(row["reviewer"]), keep=record)
        sheet.append(path, {**row, "record_id": record})

    @app.post("/decide")
    def decide() -> BaseResponse:
        row = _decision_row(request.form, reviewer)
        _write(own_path, row)
        ids, own = state()
        pos = ids.index(str(row["study"])) if row["study"] in ids else 0
        nxt = first_open(ids, own, pos + 1) if ids else 0
        return redirect(url_for("screen_page", study=ids[nxt]) if ids else url_for("screen_page"))

    @app.post("/undo")
    def undo() -> BaseResponse:
        own = mine()
        if not own:
            return redirect(url_for("screen_page"))
        # the app's latest line (a row typed into the sheet by hand may have no timestamp)
        study = max(own, key=lambda s: own[s].timestamp or "")
        _clear(own_path, study, reviewer)
        return redirect(url_for("screen_page", study=study))

    @app.get("/consensus")
    def consensus_page() -> str:
        independent, done = review.independent(stage)
        table = q.conflicts(independent, done)
        rows = [{**r, "study": by_id.get(r["study_id"])} for r in table.iter_rows(named=True)]
        return render_template(
            "consensus.html",
            stage=stage,
            rows=rows,
            decisions=decisions,
            reasons=reasons,
            reviewer=reviewer,
        )

    pairs = [] if review.pairs is None else list(review.pairs.iter_rows(named=True))
    pair_keys = [(p["record_id_a"], p["record_id_b"]) for p in pairs]

    @app.get("/dedupe")
    def dedupe_page() -> str:
        mine = sheet.pair_decisions(sheet.read(dedupe_path, sheet.PAIR_COLUMNS))
        pos = request.args.get("pair", type=int)
        if pos is None or not 0 <= pos < len(pairs):
            pos = next((i for i, k in enumerate(pair_keys) if k not in mine), 0)
        fields = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi")
        return render_template(
            "dedupe.html",
            reviewer=reviewer,
            pair=pairs[pos] if pairs else None,
            pos=pos,
            n=len(pairs),
            decided=sum(1 for k in pair_keys if k in mine),
            mine=mine.get(pair_keys[pos]) if pairs else None,
            fields=fields,
            sheet_name=dedupe_path.relative_to(review.directory).as_posix(),
        )

    @app.post("/dedupe")
    def dedupe_decide() -> BaseResponse:
        key = (request.form.get("record_id_a", ""), request.form.get("record_id_b", ""))
        decision = request.form.get("decision", "")
        if key not in pair_keys:
            abort(400, "unknown record pair")
        if decision not in ("same", "different"):
            abort(400, "decision must be same or different")
        row = {"record_id_a": key[0], "record_id_b": key[1], "decision": decision,
               "reviewer": reviewer}  # fmt: skip
        sheet.append(dedupe_path, row, columns=sheet.PAIR_COLUMNS)
        mine = sheet.pair_decisions(sheet.read(dedupe_path, sheet.PAIR_COLUMNS))
        start = pair_keys.index(key) + 1
        order = list(range(start, len(pairs))) + list(range(0, start))
        nxt = next((i for i in order if pair_keys[i] not in mine), pair_keys.index(key))
        return redirect(url_for("dedupe_page", pair=nxt))

    @app.post("/consensus")
    def consensus_decide() -> BaseResponse:
        row = _decision_row(request.form, screen.CONSENSUS)
        _write(consensus_path, row)
        return redirect(url_for("consensus_page"))

    return app


def _check_writable(path: Path) -> None:
    """Refuse to serve when the reviewer's sheet cannot be written (a read-only folder): every
    decision would have failed with HTTP 500 and been lost."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create {folder} for your decisions: {err.strerror}") from err
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise ValueError(
            f"cannot write {target} (read-only?): your decisions could not be saved; screen "
            "in a copy of the review you can write, or give yourself write access"
        )


def _check_name(review: Review, reviewer: str) -> None:
    """Refuse a name that an existing app sheet writes another way ("ab" beside "AB.csv"):
    the run would count two reviewers, or refuse both."""
    stem = file_stem(reviewer)
    folders = [*screen.STAGES, sheet.DEDUPE_FOLDER]
    others = sorted(
        path.relative_to(review.directory).as_posix()
        for folder in folders
        for path in (review.app_dir / folder).glob("*.csv")
        if path.stem not in (stem, sheet.CONSENSUS_STEM)
        and reviewer_match_key(path.stem) == reviewer_match_key(stem)
    )
    if others:
        raise ValueError(
            f"reviewer {reviewer!r}: {', '.join(others)} is the sheet of a reviewer whose name "
            f"differs only in case, accents or punctuation; give --reviewer as that sheet's "
            f"name writes it, or a name of its own"
        )


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_host(host: str, token: str | None) -> None:
    """Another host than the loopback only together with a token (anyone who can reach the
    port could otherwise screen in the reviewer's name)."""
    if host not in LOOPBACK and not token:
        raise ValueError(
            f"--host {host} makes the app reachable from other machines: give --token too"
        )


def check_port(host: str, port: int) -> None:
    """Raise :class:`OSError` when ``port`` cannot be served on ``host`` (in use, or not
    ours), before werkzeug would print its own advice and exit."""
    import socket

    from werkzeug.serving import select_address_family

    # the family werkzeug's server will bind, not the resolver's first answer
    with socket.socket(select_address_family(host, port), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        probe.bind((host, port))


def serve(app: Flask, host: str, port: int) -> None:  # pragma: no cover - runs until killed
    from werkzeug.serving import make_server

    check_port(host, port)
    server = make_server(host, port, app, threaded=True)
    print(f"screening at http://{host}:{server.server_port}/  (Ctrl-C to stop)", flush=True)
    server.serve_forever()
