"""What ``run`` says on the terminal before and after the workflow: saved searches not
fetched yet, frozen rounds the config changes, the import's rejects, the data-quality
findings; a review folder it cannot write; and the ``--cores`` value check. :mod:`.cli`
imports this module for ``--help`` too, so the heavy imports stay inside the functions."""

from __future__ import annotations

import argparse
import errno
import shlex
import sys
from pathlib import Path


def import_summary(directory: Path) -> None:
    """Say on the terminal what the import rejected or noted (the report details it)."""
    files = directory / "results" / "01_import" / "files.parquet"
    if not files.is_file():
        return
    import polars as pl

    from .importing.counts import import_summary as summary_of

    said = summary_of(pl.read_parquet(files, columns=["n_rejected", "notes"]))
    if said is not None:
        print(said, file=sys.stderr)


def unfetched(directory: Path) -> bool:
    """Say which saved (API) searches have no fetched round, which ``run`` cannot import;
    True when no search is left to import at all (nothing to run)."""
    from . import storage
    from .connectors import rounds

    config = storage.read_yaml(directory / "config" / "config.yaml")
    fetched = rounds.read_manifests(directory, config)
    missing = [str(s["id"]) for s in rounds.api_searches(config) if not fetched.get(str(s["id"]))]
    folder = shlex.quote(str(directory))
    for sid in missing:
        print(f"note: saved search {sid!r} has no fetched round yet; `scoping-review search "
              f"--directory {folder}` (or `update`) fetches it", file=sys.stderr)  # fmt: skip
    if missing and not rounds.effective_searches(config, directory):
        print("error: nothing to import: every search is a saved search not fetched yet",
              file=sys.stderr)  # fmt: skip
        return True
    return False


def note_frozen_round_changes(directory: Path) -> None:
    """``run`` freezes nothing and so refuses nothing, but says what ``update`` would refuse:
    a change to a round a frozen version holds (:mod:`.versions.closed`)."""
    if not any((directory / "results" / "versions").glob("v[0-9][0-9][0-9]/version.json")):
        return  # no version frozen: nothing to compare (and nothing imported to say so)
    from . import storage, update
    from .connectors import rounds

    config = storage.read_yaml(directory / "config" / "config.yaml")
    changed = update.closed_round_changes(directory, rounds.effective_searches(config, directory))
    for line in changed:
        print(f"note: {line} (`update` refuses this without --reopen-rounds)", file=sys.stderr)


def dedupe_queue(directory: Path, said_by: str = "dedupe") -> None:
    """Say how many record pairs await a same/different decision (the report says it too)."""
    ledger = directory / "results" / "ledger" / "counts.parquet"
    if not ledger.is_file():
        return
    import polars as pl

    row = pl.read_parquet(ledger, columns=["count_id", "value"]).filter(
        pl.col("count_id") == "dedupe.review_queue"
    )
    if row.height and row["value"][0]:
        queue = directory / "results" / "02_dedupe" / "review_queue.xlsx"
        print(
            f"{said_by}: {row['value'][0]} record pair(s) await a same/different decision (each "
            f"counts as two studies until then): {queue}",
            file=sys.stderr,
        )


def quality_summary(directory: Path) -> None:
    """Say how many data-quality findings need a look (errors and warnings, by check, most
    first): the terminal said nothing of an unknown code or a charting row for an excluded
    study, which the run keeps out of the counts."""
    issues = directory / "results" / "quality" / "issues.parquet"
    if not issues.is_file():
        return
    import polars as pl

    found = (
        pl.read_parquet(issues, columns=["check", "severity"])
        .filter(pl.col("severity").is_in(["error", "warning"]))
        .group_by("severity", "check")
        .len()
        .sort(["len", "check"], descending=[True, False])
    )
    if not found.height:
        return
    totals = found.group_by("severity").agg(pl.col("len").sum())
    n = dict(totals.iter_rows())
    parts = [f"{n[s]} {s}{'' if n[s] == 1 else 's'}" for s in ("error", "warning") if n.get(s)]
    checks = [f"{check} {k}" for _severity, check, k in found.head(4).iter_rows()]
    more = " ..." if found.height > 4 else ""
    print(
        f"data quality: {', '.join(parts)} ({', '.join(checks)}{more}); the report's data "
        f"quality section lists each with where it comes from: "
        f"{directory / 'results' / '07_report' / 'index.html'}#quality",
        file=sys.stderr,
    )


NOT_WRITABLE = (errno.EROFS, errno.ENOSPC)  # EACCES: a read as often as a write


def say_not_writable(err: OSError) -> None:
    print(f"error: cannot write {err.filename or 'the review folder'}: {err.strerror}",
          file=sys.stderr)  # fmt: skip
    print(
        "what to do: "
        + ("free disk space" if err.errno == errno.ENOSPC else "give yourself write access")
        + ", or work in a copy of the review you can write (the command writes results/ and "
        ".snakemake/ in the review folder)",
        file=sys.stderr,
    )


def cores(value: str) -> str:
    """``--cores``: a whole number of at least 1, or ``all`` (0 made Snakemake wait for ever,
    -3 ran jobs with -3 threads)."""
    if value == "all" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError(f"{value!r} is not a number of cores (1, 2, ... or 'all')")
