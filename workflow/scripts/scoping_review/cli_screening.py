"""The screening subcommands of ``scoping-review``: ``simulate``, ``screen`` (the app),
``export-pending`` and ``import-decisions`` (ASReview LAB and Rayyan round trips)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

import polars as pl

from . import schemas, spreadsheet, storage


def simulate_command(args: argparse.Namespace) -> int:
    import json

    from . import simulate, stopping

    labelled = Path(args.labelled)
    # what can be checked before the replay is checked first: a wrong path costs no waiting
    if not labelled.is_file():
        what = "is a directory" if labelled.is_dir() else "not found"
        print(f"error: {args.labelled}: labelled CSV {what}", file=sys.stderr)
        return 2
    if args.out and not Path(args.out).resolve().parent.is_dir():
        print(f"error: --out {args.out}: its folder does not exist", file=sys.stderr)
        return 2
    try:
        frame = storage.read_sheet(args.labelled)
        rule = stopping.StoppingSettings(
            recall_target=args.recall_target, confidence=args.confidence
        )
        result = simulate.simulate(
            simulate.read_labelled(frame, args.labelled), seed=args.seed, rule=rule
        )
    except (ValueError, OSError, pl.exceptions.PolarsError) as err:
        message = str(err)
        if not message.startswith(str(args.labelled)):
            message = f"{args.labelled}: {message}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.out:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as err:
            print(f"error: --out {args.out}: {err.strerror or err}", file=sys.stderr)
            return 2
        print(
            f"{args.labelled}: {result['records']} records, {result['includes']} includes; "
            f"WSS@95 {result['wss_95']:.3f}, recall@10% {result['recall_at_10pct']:.3f}, "
            f"recall@25% {result['recall_at_25pct']:.3f}; written {args.out}"
        )
    else:
        print(text)
    return 0


def screen_command(args: argparse.Namespace) -> int:
    from .app import server

    try:
        server.check_host(args.host, args.token)
        review = server.Review.load(Path(args.directory))
        app = server.create_app(review, args.reviewer, args.stage, token=args.token)
    except (ValueError, server.ReviewNotReady, storage.InputFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for note in app.config["SHEET_REPAIRS"]:
        print(f"note: {note}", file=sys.stderr)
    try:
        server.serve(app, args.host, args.port)
    except OSError as err:  # the port is taken, or not ours to open
        print(
            f"error: cannot serve on {args.host}:{args.port}: {err.strerror or err}\n"
            f"what to do: stop the program using the port (perhaps a screening app started "
            f"earlier), or give another with --port",
            file=sys.stderr,
        )
        return 2
    return 0


class NotReady(Exception):
    """The review folder cannot answer yet: no config, a config that is no YAML, no run."""


def review_tables(directory: Path) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """The config, studies and screening statuses of a review that has run, or
    :class:`NotReady` saying what is missing and what to do."""
    config = directory / "config" / "config.yaml"
    if not config.is_file():
        raise NotReady(
            f"{directory} is not a review folder (no config/config.yaml); give --directory "
            "the folder that `scoping-review init` made"
        )
    try:
        cfg = storage.read_yaml(config) or {}
    except storage.InputFileError as err:
        raise NotReady(str(err)) from err
    res = directory / "results"
    needed = (res / "02_dedupe/studies.parquet", res / "03_screen/status.parquet")
    if not all(p.exists() for p in needed):
        raise NotReady(
            f"{directory} has no screening results yet: run "
            f"`scoping-review run --directory {shlex.quote(str(directory))}` first"
        )
    studies = storage.read_table(needed[0], schemas.STUDIES)
    status = storage.read_table(needed[1], schemas.STATUS)
    return cfg, studies, status


def export_pending_command(args: argparse.Namespace) -> int:
    from .interop import export

    try:
        _cfg, studies, status = review_tables(Path(args.directory))
    except (NotReady, OSError, storage.InputFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    frame = export.pending(studies, status, args.stage)
    out = Path(args.out)
    if args.tool == "asreview" and out.suffix.lower() == ".csv":
        export.asreview_csv(frame).write_csv(out)
    else:
        out.write_text(export.ris(frame), encoding="utf-8")
    print(f"{frame.height} pending {args.stage} studies written to {out}")
    conflicts = export.awaiting_consensus(status, args.stage)
    if conflicts:
        print(
            f"{conflicts} studies whose two reviewers disagree are left out: they await a "
            f"consensus decision (the screening app's consensus view, or a consensus sheet)"
        )
    return 0


def import_decisions_command(args: argparse.Namespace) -> int:
    from .interop import InteropError, asreview, rayyan, to_sheet

    path = Path(args.file)
    try:
        data = path.read_bytes()  # first: a wrong file name is the more likely slip
    except OSError as err:
        print(f"error: {path}: cannot read ({err.strerror or err})", file=sys.stderr)
        return 2
    try:
        cfg, studies, _status = review_tables(Path(args.directory))
    except (NotReady, OSError, storage.InputFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    suffix = path.suffix.lower()
    name = str(path)
    try:
        if args.tool == "rayyan":
            rows = rayyan.read_ris(data, name) if suffix == ".ris" else rayyan.read_csv(data, name)
        elif suffix == ".asreview":
            rows = asreview.read_project(data, name, args.reviewer)
        elif suffix == ".ris":
            rows = asreview.read_ris(data, name, args.reviewer)
        elif suffix in (".xlsx", ".xls"):
            rows = asreview.read_xlsx(data, name, args.reviewer)
        else:
            sep = "\t" if suffix in (".tsv", ".tab") else ","
            rows = asreview.read_csv(data, name, args.reviewer, separator=sep)
        sheet = to_sheet(
            rows,
            studies,
            cfg.get("criteria") or [],
            name=name,
            stage=args.stage,
            aliases=(cfg.get("screening") or {}).get("reason_aliases") or {},
            exclude_reason=args.exclude_reason,
        )
    except InteropError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    spreadsheet.neutralise(sheet).write_csv(args.out)
    undecided = rows.filter(pl.col("decision").is_null()).height
    print(
        f"{sheet.height} decisions written to {args.out} ({undecided} record(s) undecided in "
        f"{args.tool}); list it under screening.sheets with stage: {args.stage}"
    )
    return 0
