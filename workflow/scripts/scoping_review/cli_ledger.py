"""The ledger subcommands of ``scoping-review``: ``explain`` (a count's IDs, inputs and
records) and ``counts`` (every count of a ledger)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import polars as pl

LEDGER = Path("results/ledger/counts.parquet")


def ledger_path(args: argparse.Namespace) -> Path | None:
    """The ledger the command reads (``--ledger``, else the review folder's), or None with
    what to do said on stderr when it is not there."""
    path = Path(args.ledger) if args.ledger else Path(args.directory) / LEDGER
    if path.is_file():
        return path
    print(f"error: no counts ledger at {path}", file=sys.stderr)
    if args.ledger:
        todo = f"give the path of a ledger a run wrote ({LEDGER} in the review folder)"
    else:
        folder = shlex.quote(str(args.directory))
        todo = (
            f"run the workflow first (scoping-review run --directory {folder}), or "
            "name the review folder with --directory"
        )
    print(f"what to do: {todo}", file=sys.stderr)
    return None


def explain_command(args: argparse.Namespace) -> int:
    from .report import explain

    path = ledger_path(args)
    if path is None:
        return 1
    args.ledger = str(path)
    ledger = pl.read_parquet(args.ledger)
    note_a_failed_run(Path(args.ledger))
    hit = ledger.filter(pl.col("count_id") == args.count_id)
    if hit.is_empty():
        import difflib

        ids = ledger["count_id"].to_list()
        close = [i for i in ids if args.count_id in i][:10]  # a part of an ID
        close += [i for i in difflib.get_close_matches(args.count_id, ids, n=5) if i not in close]
        print(f"no count {args.count_id!r} in {args.ledger}", file=sys.stderr)
        if close:  # a part of an ID, or a misspelt one ("records_exluded")
            print(f"did you mean: {', '.join(close)}", file=sys.stderr)
        else:
            print("`scoping-review counts` lists every count ID", file=sys.stderr)
        return 1
    row = hit.row(0, named=True)
    if args.ids:  # the bare ID list, one per line, for copying or piping
        for i in row["ids"] or []:
            print(i)
        return 0
    for line in explain.explain_lines(row, lookup(Path(args.ledger))):
        print(line)
    return 0


def note_a_failed_run(ledger_path: Path) -> None:
    """A note on stderr when the last run failed after this ledger was written."""
    from .runguard import failed_run_note

    note = failed_run_note(ledger_path)
    if note is not None:
        print(note, file=sys.stderr)
    note = running_note(ledger_path)
    if note is not None:
        print(note, file=sys.stderr)


def running_note(ledger_path: Path) -> str | None:
    """A note when a run or update of the ledger's review is under way: the counts are the
    last finished run's and may change when it ends."""
    from .runguard import snakemake_processes

    review = ledger_path.resolve().parent.parent.parent  # <review>/results/ledger/counts
    if ledger_path.resolve().parent.parent.name != "results" or not snakemake_processes(review):
        return None
    return (
        "note: a run of this review is under way; these are the counts of the last finished "
        "run and may change when it ends"
    )


def lookup(ledger_path: Path) -> pl.DataFrame | None:
    """Titles, years and sources of records and studies (and the data-quality findings' messages
    and locations, once that stage has run) from the run the ledger belongs to."""
    from . import schemas
    from .report import explain

    results = ledger_path.resolve().parent.parent
    records = results / schemas.RECORDS.path
    studies = results / schemas.STUDIES.path
    issues = results / schemas.QUALITY.path
    if not (records.exists() and studies.exists()):
        return None
    return explain.lookup_frame(
        pl.read_parquet(records, columns=["record_id", "title", "year", "database"]),
        pl.read_parquet(studies, columns=["study_id", "title", "year", "databases"]),
        pl.read_parquet(issues, columns=["issue_id", "message", "where"])
        if issues.exists()
        else None,
    )


def counts_command(args: argparse.Namespace) -> int:
    from .report import explain

    path = ledger_path(args)
    if path is None:
        return 1
    args.ledger = str(path)
    lines = explain.counts_lines(pl.read_parquet(args.ledger), args.prefix)
    note_a_failed_run(Path(args.ledger))
    for line in lines:
        print(line)
    if not lines:
        print(f"no counts{' starting with ' + repr(args.prefix) if args.prefix else ''} in "
              f"{args.ledger}", file=sys.stderr)  # fmt: skip
        return 1
    return 0
