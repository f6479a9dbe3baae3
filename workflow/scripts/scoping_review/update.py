"""``scoping-review update``: one unattended living-review update (an adapter, like the CLI).

1. take the review's write lock (``.snakemake/scoping-review.lock``, shared with
   ``scoping-review run``; a second writer exits 4 at once); with API searches in the config,
   fetch their round first (``scoping-review search``, :mod:`.connectors.fetch`); a search
   that fails stops the update (exit 1) before the workflow;
2. run the workflow (Snakemake re-runs only what new exports or sheets affect);
3. if studies await human screening, stop cleanly: the report with its worklists is written,
   no version is frozen, exit 3;
4. otherwise freeze the run as the next numbered version under ``results/versions/vNNN/``
   (ledger, included studies, record-to-study map, screening status and decisions, report and
   a Workflow Run RO-Crate manifest), unless nothing changed since the newest version; exit 0.

A failed workflow run exits 1. The exit statuses are constants in :mod:`.versions`.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from . import __version__, cli_notes, runguard, schemas, storage, versions
from .connectors import fetch as api_fetch
from .connectors import rounds as api_rounds
from .versions import closed

LOCK_NAME = runguard.LOCK_NAME
PACKAGES = (
    "snakemake",
    "polars",
    "pyarrow",
    "bibtexparser",
    "jinja2",
    "altair",
    "vl-convert-python",
    "rapidfuzz",
    "snakemake-executor-plugin-slurm",
)
# results files a version keeps (source under results/ -> name in the version folder)
FROZEN = {
    "ledger/counts.parquet": "counts.parquet",
    "01_import/files.parquet": "files.parquet",
    "02_dedupe/clusters.parquet": "clusters.parquet",
    "02_dedupe/studies.parquet": "studies.parquet",
    "03_screen/decisions.parquet": "decisions.parquet",
    "03_screen/status.parquet": "status.parquet",
    "08_changes/changes.parquet": "changes.parquet",
}


LockBusy = runguard.LockBusy


@contextmanager
def update_lock(results: Path) -> Iterator[Path]:
    """The review's one write lock (:func:`runguard.hold`), shared with ``scoping-review run``."""
    with runguard.hold(results.parent) as lock:
        yield lock.path


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def read_versions(results: Path) -> list[versions.VersionInfo]:
    return [
        versions.parse_version_info(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((results / "versions").glob("v*/version.json"))
    ]


def reworded(results: Path, known: Sequence[versions.VersionInfo], ledger_sha: str) -> int | None:
    """How many counts of this run's ledger differ from the newest version's in their wording
    alone (:func:`.versions.relabelled`); None when more differs, when the ledgers are the same
    file content, or when the version's copy cannot be read (then its hash decides)."""
    latest = versions.latest_version(known)
    if latest is None or latest.ledger_sha256 == ledger_sha:
        return None
    paths = (
        results / "ledger/counts.parquet",
        results / "versions" / latest.dirname / "counts.parquet",
    )
    try:
        # the small columns first: in an update that changed the evidence a value differs, and
        # the ID lists (large in a large review) are never read
        light = [c for c in schemas.LEDGER.columns if c not in ("ids", "inputs")]
        if versions.relabelled(*(pl.read_parquet(p, columns=light) for p in paths)) is None:
            return None
        return versions.relabelled(*(pl.read_parquet(p) for p in paths))
    except (OSError, pl.exceptions.PolarsError):
        return None


def same_counts(results: Path, known: Sequence[versions.VersionInfo]) -> str | None:
    """:func:`.versions.same_counts_note` for this run's ledger and the newest version's: why
    a version whose counts are all the newest's is frozen; None when a count differs."""
    latest = versions.latest_version(known)
    if latest is None:
        return None
    paths = (
        results / "ledger/counts.parquet",
        results / "versions" / latest.dirname / "counts.parquet",
    )
    try:
        now, then = (
            pl.read_parquet(p, columns=["count_id", "value"]).sort("count_id") for p in paths
        )
        if not now.equals(then):
            return None  # a value differs (the ID lists, large in a large review, are not read)
        columns = ["count_id", "value", "id_kind", "ids", "inputs"]
        current, frozen = (pl.read_parquet(p, columns=columns) for p in paths)
    except (OSError, pl.exceptions.PolarsError):
        return None
    return versions.same_counts_note(current, frozen, latest.number)


def closed_round_changes(
    workdir: Path, searches: Sequence[dict[str, object]], advice: bool = True
) -> list[str]:
    """What the config changed in the rounds the newest frozen version holds
    (:mod:`.versions.closed`; ``advice``: with what to do instead); none without a version, or
    with one that did not record them."""
    results = workdir / "results"
    found = sorted((results / "versions").glob("v[0-9][0-9][0-9]/version.json"))
    if not found:
        return []
    info = json.loads(found[-1].read_text(encoding="utf-8"))
    if not isinstance(info.get("rounds"), dict):  # written before versions kept their rounds
        return []
    files_path = found[-1].with_name("files.parquet")
    try:
        files = pl.read_parquet(files_path, columns=FROZEN_FILE_COLUMNS)
    except (OSError, pl.exceptions.PolarsError) as err:
        return [
            f"{files_path.relative_to(workdir)}: cannot be read ({type(err).__name__}), so the "
            "exports of the frozen rounds cannot be compared with it; restore the version "
            "folder from a backup"
        ]
    frozen = closed.frozen_rounds(info, files)
    if frozen is None:
        return []
    paths = [p for p in closed.listed(searches, frozen) if (workdir / p).is_file()]
    stored = _stored_rounds(workdir, frozen.rounds)
    return closed.problems(searches, frozen, file_hashes(workdir, paths), stored, advice)


def _stored_rounds(workdir: Path, rounds: Iterable[int]) -> dict[str, str]:
    """The folder of each of ``rounds`` of the config's saved (API) searches, by the search
    ID its import has (``<id>-rNNN``), for naming a frozen round whose folder is gone."""
    try:
        config = storage.read_yaml(workdir / "config" / "config.yaml")
    except storage.InputFileError:
        return {}
    store = api_rounds.store_of(config)
    out = {}
    for search in api_rounds.api_searches(config):
        sid = str(search["id"])
        for r in rounds:
            out[api_rounds.derived_id(sid, r)] = f"{store}/{sid}/{api_rounds.round_dirname(r)}"
    return out


FROZEN_FILE_COLUMNS = ["source_id", "path", "sha256"]
# the SHA-256 of each export an update compared, with the size and modification time it had
HASH_STAMPS = Path(".snakemake/scoping-review-hashes.json")


def file_hashes(workdir: Path, paths: Sequence[str]) -> dict[str, str]:
    """SHA-256 of each file (paths relative to ``workdir``), read again only where its size,
    modification or change time changed since the last update hashed it: a monthly update of a large
    review reads only its new exports, not every frozen one (the stamps are a cache; a missing
    or unreadable one means hashing every file)."""
    stamps_file = workdir / HASH_STAMPS
    try:
        stamps = json.loads(stamps_file.read_text(encoding="utf-8"))
        if not isinstance(stamps, dict):
            stamps = {}
    except (OSError, ValueError):
        stamps = {}
    out: dict[str, str] = {}
    kept: dict[str, list[object]] = {}
    for path in paths:
        info = (workdir / path).stat()
        # the change time too: any write sets it, and no one can set it back (as git's index)
        stamp = [info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        known = stamps.get(path)
        if isinstance(known, list) and len(known) == 4 and known[:3] == stamp:
            out[path] = str(known[3])
        else:
            out[path] = storage.sha256_file(workdir / path)
        kept[path] = [*stamp, out[path]]
    if kept != stamps:
        stamps_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamps_file.with_name(stamps_file.name + ".tmp")
        tmp.write_text(json.dumps(kept, sort_keys=True), encoding="utf-8")
        tmp.replace(stamps_file)
    return out


def freeze(
    workdir: Path,
    number: int,
    *,
    config_path: Path,
    start_time: str,
    workflow_seconds: float,
    command: str,
) -> Path:
    """Copy this run's results into ``results/versions/vNNN`` and write its manifest."""
    results = workdir / "results"
    config = storage.read_yaml(config_path)
    searches = api_rounds.effective_searches(config, workdir)
    round_ = versions.current_round(searches)
    prev = versions.previous_version(read_versions(results), round_)
    final = results / "versions" / versions.version_dirname(number)
    tmp = final.with_name(final.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for source, name in FROZEN.items():
        shutil.copy2(results / source, tmp / name)
    status = storage.read_table(results / "03_screen/status.parquet", schemas.STATUS)
    studies = storage.read_table(results / "02_dedupe/studies.parquet", schemas.STUDIES)
    included = versions.included_studies(status, studies)
    storage.write_table(included, tmp / "included.parquet", schemas.VERSION_INCLUDED)
    shutil.copytree(results / "07_report", tmp / "report")
    ledger_sha = storage.sha256_file(results / "ledger/counts.parquet")
    ledger = pl.read_parquet(results / "ledger/counts.parquet", columns=["inputs"])
    inputs = sorted({(i["name"], i["sha256"]) for row in ledger["inputs"].to_list() for i in row})
    end_time = _now()
    info = {
        "number": number,
        "max_round": round_,
        "rounds": {str(r): ids for r, ids in versions.rounds(searches).items()},
        "search_dates": {str(s["id"]): str(s["date"]) for s in searches},
        "previous": prev.number if prev else None,
        "ledger_sha256": ledger_sha,
        "included_studies": included.height,
        "start_time": start_time,
        "end_time": end_time,
        "workflow_seconds": round(workflow_seconds, 1),
        "tool_version": __version__,
    }
    storage.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", tmp / "version.json")
    outputs = sorted(
        (str(p.relative_to(tmp)), storage.sha256_file(p)) for p in tmp.rglob("*") if p.is_file()
    )
    crate = versions.manifest(
        number=number,
        round_=round_,
        review_title=str((config.get("review") or {}).get("title", "")),
        tool_version=__version__,
        config_path=str(config_path.relative_to(workdir)),
        config_sha256=storage.sha256_file(config_path),
        inputs=inputs,
        outputs=outputs,
        packages={name: _version(name) for name in PACKAGES},
        start_time=start_time,
        end_time=end_time,
        command=command,
        previous=prev.number if prev else None,
    )
    storage.write_text(json.dumps(crate, indent=2) + "\n", tmp / "ro-crate-metadata.json")
    tmp.rename(final)
    return final


def _ledger_values(path: Path) -> dict[str, int]:
    """count ID -> value of the counts ledger (its change counts say what an update did)."""
    frame = pl.read_parquet(path, columns=["count_id", "value"])
    return {str(k): int(v) for k, v in zip(frame["count_id"], frame["value"], strict=True)}


def snakemake_command(
    snakefile: Path, workdir: Path, cores: str, profile: str | None, extra: Sequence[str]
) -> list[str]:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile)]
    cmd += ["--directory", str(workdir)]
    if profile:
        cmd += ["--profile", profile]
    else:
        cmd += ["--cores", cores]
    return [*cmd, *extra]


def unfetched_rounds(workdir: Path, config: Mapping[str, Any]) -> list[str]:
    """The saved (API) searches without a stored round for the round an update fetches."""
    searches = list(config.get("searches") or [])
    round_ = api_fetch.target_round(searches, api_fetch.frozen_max_round(workdir))
    stored = api_rounds.read_manifests(workdir, config)
    return [
        str(s["id"])
        for s in api_rounds.api_searches(config)
        if not any(int(m["round"]) == round_ for m in stored.get(str(s["id"]), []))
    ]


def _refuse_closed(changed: Sequence[str]) -> bool:
    """Say why a config that changes frozen rounds is refused; False when nothing changed."""
    if not changed:
        return False
    print("update: the config changes rounds a frozen version holds; nothing was run:",
          file=sys.stderr)  # fmt: skip
    for line in changed:
        print(f"  {line}", file=sys.stderr)
    print(f"what to do: {closed.WHAT_TO_DO}", file=sys.stderr)
    return True


def fetch_rounds(workdir: Path, config: dict[str, object]) -> int | None:
    """Fetch the API searches' round, saying each search's outcome as it comes; an exit
    status when the update stops here (a failed search, Ctrl-C), else None. Stopped by
    Ctrl-C or SIGTERM, it says so in one line: a round not yet stored is fetched again by the
    next run (its pages wait in a ``.partial`` folder that the next fetch starts over)."""
    import signal

    def say(outcome: api_fetch.Outcome) -> None:
        stream = sys.stdout if outcome.ok else sys.stderr
        print(f"update: {outcome.message}", file=stream, flush=True)

    def terminated(signum: int, frame: object) -> None:
        print(f"update: terminated (SIGTERM) while fetching; {AGAIN}", file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        outcomes = api_fetch.run_searches(workdir, config, report=say)
    except KeyboardInterrupt:
        print(f"update: interrupted while fetching; {AGAIN}", file=sys.stderr, flush=True)
        return runguard.INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not all(o.ok for o in outcomes):
        print(
            "update: an API search failed; the workflow was not run\n"
            "what to do: run the same command again later (searches already stored are not "
            "fetched again); if the message above names the query or a key, mend it in "
            "config/config.yaml first; `update --no-search` runs the workflow on what is stored",
            file=sys.stderr,
        )
        return versions.EXIT_ERROR
    return None


AGAIN = (
    "searches said stored above are kept; run the same command again to fetch the others "
    "(a round not stored is fetched again)"
)


def run_update(
    snakefile: Path,
    workdir: Path,
    *,
    cores: str = "2",
    profile: str | None = None,
    extra: Sequence[str] = (),
    freeze_version: bool = True,
    search: bool = True,
    reopen_rounds: bool = False,
) -> int:
    """The whole update; returns one of the ``versions.EXIT_*`` statuses."""
    results = workdir / "results"
    config_path = workdir / "config" / "config.yaml"
    try:
        with runguard.hold(workdir) as lock:
            start_time = _now()
            base = snakemake_command(snakefile, workdir, cores, profile, ())
            runguard.clear_stale_snakemake_lock(workdir, base)
            config = storage.read_yaml(config_path)
            # a config that changes a frozen round is refused before anything is fetched (a
            # fetched round is stored for good, dated by the attempt)
            searches = api_rounds.effective_searches(config, workdir)
            if not reopen_rounds and _refuse_closed(closed_round_changes(workdir, searches)):
                return versions.EXIT_ERROR
            if search and api_rounds.api_searches(config):
                fetched = fetch_rounds(workdir, config)
                if fetched is not None:
                    return fetched
                searches = api_rounds.effective_searches(storage.read_yaml(config_path), workdir)
            elif api_rounds.api_searches(config):
                for sid in unfetched_rounds(workdir, config):
                    print(f"update: --no-search: saved search {sid!r} has no round fetched for "
                          f"this update; it runs without it", file=sys.stderr)  # fmt: skip
            changed = closed_round_changes(workdir, searches)
            if changed and not reopen_rounds and _refuse_closed(changed):
                return versions.EXIT_ERROR
            if changed:  # reopened on purpose: said (what changed, not what to do), and run
                for line in closed_round_changes(workdir, searches, advice=False):
                    print(f"update: reopened: {line}")
            # holding the lock with no earlier run alive, half-written outputs are redone
            cmd = snakemake_command(
                snakefile, workdir, cores, profile, ["--rerun-incomplete", "--keep-going", *extra]
            )
            t0 = time.monotonic()
            rc = runguard.run_workflow(cmd, workdir, lock)
            seconds = time.monotonic() - t0
            if rc == runguard.INTERRUPTED:  # Ctrl-C: said so; the shell's status, as `run`
                return rc
            if rc != 0:
                return versions.EXIT_ERROR
            round_ = versions.current_round(searches)
            summary = versions.change_summary(
                _ledger_values(results / "ledger/counts.parquet"), round_
            )
            if summary is not None:
                print(f"update: {summary}")
            cli_notes.dedupe_queue(workdir, "update")
            from .importing.counts import import_summary

            said = import_summary(
                pl.read_parquet(
                    results / "01_import/files.parquet", columns=["n_rejected", "notes"]
                )
            )
            if said is not None:
                print(f"update: {said}", file=sys.stderr)
            cli_notes.quality_summary(workdir)
            status = storage.read_table(results / "03_screen/status.parquet", schemas.STATUS)
            pending = int(status["pending"].sum())
            full_text = int((status["pending"] & (status["full_text"] == "pending")).sum())
            ledger_sha = storage.sha256_file(results / "ledger/counts.parquet")
            known = read_versions(results)
            wording = None if pending else reworded(results, known, ledger_sha)
            decision = versions.decide_freeze(
                known, ledger_sha, pending, round_, full_text, wording
            )
            if decision.action == "pending":
                print(
                    f"update: {decision.message}; the report lists them: "
                    f"{results / '07_report/index.html'}",
                    file=sys.stderr,
                )
                return versions.EXIT_PENDING
            if decision.action == "freeze" and freeze_version:
                where = freeze(
                    workdir,
                    decision.number,
                    config_path=config_path,
                    start_time=start_time,
                    workflow_seconds=seconds,
                    command=" ".join(cmd),
                )
                print(f"update: {decision.message}: {where}")
                note = same_counts(results, known)
                if note is not None:
                    print(f"update: {note}")
            elif decision.action == "freeze":
                print("update: complete; not frozen (--no-freeze)")
            else:
                print(f"update: {decision.message}")
            return versions.EXIT_OK
    except LockBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return versions.EXIT_LOCKED
    except storage.InputFileError as err:
        print(f"update: {err}", file=sys.stderr)
        return versions.EXIT_ERROR
