"""``scoping-review``: run the workflow and inspect its results from the command line.

scoping-review init DIR [--title TITLE]
scoping-review run [--directory DIR] [--cores N] [-- extra snakemake args]
scoping-review update [--directory DIR] [--cores N | --profile P] [-- extra snakemake args]
scoping-review search [--directory DIR] [--search ID]
scoping-review import FILE [--format F] [--encoding E] [--out records.parquet] [--rejects r.parquet]
scoping-review dedupe INPUT --out clusters.csv [--decisions SHEET ...] [--review-queue FILE]
scoping-review explain COUNT_ID [--directory DIR | --ledger PATH] [--ids]
scoping-review counts [--directory DIR | --ledger PATH] [--prefix PREFIX]
scoping-review check-config [config/config.yaml]
scoping-review simulate LABELLED.csv [--seed N] [--out metrics.json]
scoping-review screen --reviewer NAME [--directory DIR] [--stage S] [--port P] [--host H --token T]
scoping-review export-pending --tool asreview|rayyan --out FILE [--directory DIR] [--stage S]
scoping-review import-decisions FILE --tool asreview|rayyan --out SHEET [--stage S] [--reviewer N]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

# what --help and argument errors need: the standard library and the vocabulary; each command
# imports the rest (polars, snakemake, scikit-learn, flask...) when it runs
from . import __version__, cli_notes, vocabulary
from .vocabulary import IMPORT_FORMATS, SCREEN_STAGES

REPO_DIR = Path(__file__).resolve().parents[3]
SNAKEFILE = REPO_DIR / "Snakefile"
CONFIG_SCHEMA = REPO_DIR / "workflow" / "schemas" / "config.schema.yaml"


def _snakemake_base(directory: Path, cores: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--cores",
        str(cores),
        "--directory",
        str(directory),
    ]


def config_problems(config_path: Path, review_dir: Path) -> list[str]:
    """``check-config``'s lines for a config (YAML, schema, listed files that do not exist)."""
    import yaml

    from . import configcheck

    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as err:
        return [f"{config_path}: cannot read ({err.strerror})"]
    schema = yaml.safe_load(CONFIG_SCHEMA.read_text(encoding="utf-8"))
    return configcheck.problems(
        text,
        schema,
        lambda p: (review_dir / p).is_file(),
        str(config_path),
        lambda p: (review_dir / p).is_dir(),
    )


def _print_config_problems(lines: list[str]) -> None:
    """``check-config``'s own lines, between a heading and what to do."""
    from . import configcheck

    print("error: the review's config is not valid; nothing was run:", file=sys.stderr)
    for line in lines:
        print(line, file=sys.stderr)
    print(f"what to do: {configcheck.what_to_do(lines)}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from . import runguard

    directory = Path(args.directory)
    base = _snakemake_base(directory, args.cores)
    extra = args.snakemake_args[1:] if args.snakemake_args[:1] == ["--"] else args.snakemake_args
    dry = args.dry_run or any(a in ("-n", "--dry-run", "--dryrun") for a in extra)
    cmd = [
        *base,
        # a run killed mid-way (SIGKILL, power loss) leaves half-written outputs: redo them
        "--rerun-incomplete",
        # a failed job stops only what needs its outputs: every broken export is said at once
        "--keep-going",
        *(["--dry-run"] if args.dry_run else []),
        *extra,
    ]
    if _not_a_review(directory, extra, "run"):
        return vocabulary.EXIT_ERROR
    problems = config_problems(directory / "config" / "config.yaml", directory)
    if problems:
        _print_config_problems(problems)
        return vocabulary.EXIT_ERROR
    if not dry and cli_notes.unfetched(directory):
        return vocabulary.EXIT_ERROR
    cli_notes.note_frozen_round_changes(directory)
    try:
        with runguard.hold(directory) as lock:
            runguard.clear_stale_snakemake_lock(directory, base)
            rc = runguard.run_workflow(cmd, directory, lock)
    except runguard.LockBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return vocabulary.EXIT_LOCKED
    if rc == 0 and not dry:  # a dry run wrote nothing to point at
        cli_notes.import_summary(directory)
        cli_notes.dedupe_queue(directory)
        cli_notes.quality_summary(directory)
        report = directory / "results" / "07_report" / "index.html"
        if report.is_file():
            print(f"report: {report}")
    if rc in (0, runguard.INTERRUPTED):
        return rc
    return vocabulary.EXIT_ERROR


def _not_a_review(directory: Path, extra: Sequence[str] = (), command: str = "run") -> bool:
    """Whether ``directory`` holds no review, said with what to do (:func:`.runguard.no_review`)."""
    from .runguard import no_review

    said = no_review(directory, extra, command)
    if said is not None:
        print(said, file=sys.stderr)
    return said is not None


def _update(args: argparse.Namespace) -> int:
    from . import update

    extra = args.snakemake_args
    directory = Path(args.directory)
    if _not_a_review(directory, extra, "update"):
        return vocabulary.EXIT_ERROR
    problems = config_problems(directory / "config" / "config.yaml", directory)
    if problems:
        _print_config_problems(problems)
        return vocabulary.EXIT_ERROR
    return update.run_update(
        SNAKEFILE,
        Path(args.directory).resolve(),
        cores=str(args.cores),
        profile=args.profile,
        extra=extra[1:] if extra[:1] == ["--"] else extra,
        freeze_version=not args.no_freeze,
        search=not args.no_search,
        reopen_rounds=args.reopen_rounds,
    )


def _search(args: argparse.Namespace) -> int:
    from . import storage, update
    from .connectors import fetch

    workdir = Path(args.directory).resolve()
    if _not_a_review(workdir, (), "search"):
        return 2
    # a misspelt `query:` read as no query fetched the whole database: check the searches
    # first, as run does (a charting sheet or an export not there yet is no reason not to)
    problems = [
        line
        for line in config_problems(workdir / "config" / "config.yaml", workdir)
        if (": searches" in line or ": api" in line or "not valid YAML" in line)
        and not re.search(r": searches/\d+/files/", line)
    ]
    if problems:
        _print_config_problems(problems)
        return vocabulary.EXIT_ERROR
    try:
        config = storage.read_yaml(workdir / "config" / "config.yaml")
    except storage.InputFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def say(outcome: fetch.Outcome) -> None:
        print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr, flush=True)

    try:  # the review's write lock (run, update): never two fetches of one round at a time
        with update.update_lock(workdir / "results"):
            outcomes = fetch.run_searches(workdir, config, only=args.search, report=say)
    except update.LockBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return vocabulary.EXIT_LOCKED
    except KeyboardInterrupt:
        print(f"interrupted; {update.AGAIN}", file=sys.stderr)
        return 130  # the shell's status for Ctrl-C
    if not outcomes:
        print("no API searches in the config (a search with `api:` and `query:`)")
    return 0 if all(o.ok for o in outcomes) else 1


def _import(args: argparse.Namespace) -> int:
    from . import importing, schemas, storage

    try:
        result = storage.import_file(
            args.file,
            args.format,
            args.source_id,
            args.database,
            encoding=args.encoding,
        )
    except (importing.ImportError_, storage.InputFileError) as err:
        from .importing.pipeline import set_format

        # the advice is worded for the config; here the format is an option
        option = "declare its format (--format FORMAT)"
        print(f"error: {str(err).replace(set_format(args.source_id), option)}", file=sys.stderr)
        return 2
    print(importing.reconciliation(result))
    if args.out:
        storage.write_table(result.records, args.out, schemas.RECORDS)
        print(f"records written to {args.out}")
    if args.rejects:
        storage.write_table(result.rejects, args.rejects, schemas.REJECTS)
        print(f"rejects written to {args.rejects}")
    return 0


def _check_config(args: argparse.Namespace) -> int:
    config_path = Path(args.config)
    # paths in a config are relative to the review directory: the folder holding config/
    parent = config_path.resolve().parent
    review_dir = parent.parent if parent.name == "config" else parent
    problems = config_problems(config_path, review_dir)
    for line in problems:
        print(line, file=sys.stderr)
    if any("does not exist" in line for line in problems) and parent.name != "config":
        print(
            f"note: paths in the config are read from {review_dir} (the folder holding the "
            "config); a review's config lives in <review>/config/config.yaml, and its paths are "
            "read from <review>",
            file=sys.stderr,
        )
    if not problems:
        print(f"{args.config}: valid")
    return 1 if problems else 0


def _command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command ``name`` of the package's module ``module`` (:mod:`.cli_screening`,
    :mod:`.cli_ledger`, :mod:`.cli_dedupe`, :mod:`.cli_init`), imported when it runs:
    ``--help`` loads none."""

    def command(args: argparse.Namespace) -> int:
        import importlib

        run: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f".{module}", __package__), name
        )
        return run(args)

    return command


def _input_errors() -> tuple[type[BaseException], ...]:
    """What a command reports as one block without a traceback: a missing or unreadable file,
    a bad value, or polars failing to read a file (polars is only loaded by the commands)."""
    polars = sys.modules.get("polars")
    if polars is None:
        return (OSError, ValueError)
    return (OSError, ValueError, polars.exceptions.PolarsError)


CORES_HELP = "CPU cores Snakemake's jobs may use at once (default 2; 'all': every core)"


LEDGER_HELP = "the counts ledger (default: results/ledger/counts.parquet in --directory)"
DIRECTORY_HELP = "the review folder (default: the current folder)"
STAGE_HELP = "the screening stage (default: title_abstract)"


def port(text: str) -> int:
    """A TCP port number (1 to 65535) for ``--port``."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoping-review", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    ini = sub.add_parser("init", help="start a new review folder (config, searches/, sheets/)")
    ini.add_argument("directory", help="the new review's folder (created; must be empty)")
    ini.add_argument("--title", default="My scoping review", help="the review's title")
    ini.set_defaults(func=_command("cli_init", "init_command"))

    run = sub.add_parser(
        "run",
        help="run the workflow on a review directory",
        description="Exit status: 0 done, 1 bad config, bad input or failed job (one block on "
        "stderr), 2 usage error, 4 another run or update is writing this review, 130 "
        "interrupted (Ctrl-C), 143 terminated (SIGTERM, e.g. a scheduler's time limit; run the "
        "same command again to finish). Snakemake's output: "
        ".snakemake/log/scoping-review-run.log.",
    )
    run.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    run.add_argument("--cores", default="2", type=cli_notes.cores, help=CORES_HELP)
    run.add_argument(
        "-n", "--dry-run", action="store_true", help="show the jobs that would run; run none"
    )
    run.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="passed on to snakemake")
    run.set_defaults(func=_run)

    upd = sub.add_parser(
        "update",
        help="living update: run under a lock, stop if screening is pending, else freeze a version",
        description=f"Exit status: {vocabulary.EXIT_OK} done (version frozen or nothing changed), "
        f"{vocabulary.EXIT_ERROR} workflow error, {vocabulary.EXIT_USAGE} usage error, "
        f"{vocabulary.EXIT_PENDING} studies await screening (report written, no version), "
        f"{vocabulary.EXIT_LOCKED} another run or update is writing this review, 130 "
        "interrupted (Ctrl-C), 143 terminated (SIGTERM; run the same command again to finish).",
    )
    upd.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    upd.add_argument("--cores", default="2", type=cli_notes.cores, help=CORES_HELP)
    upd.add_argument("--profile", default=None, help="Snakemake profile, e.g. profiles/slurm")
    upd.add_argument("--no-freeze", action="store_true", help="never freeze a version")
    upd.add_argument("--no-search", action="store_true", help="do not fetch API searches first")
    upd.add_argument(
        "--reopen-rounds",
        action="store_true",
        help="run although the config adds, moves, changes or removes a search of a round "
        "the newest frozen version holds (refused otherwise, exit 1)",
    )
    upd.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="passed on to snakemake")
    upd.set_defaults(func=_update)

    sea = sub.add_parser(
        "search",
        help="fetch this round of the config's API searches (PubMed, OpenAlex, Europe PMC, "
        "Crossref) into the review folder",
        description="Exit status: 0 every search fetched (or already fetched this round), "
        "1 a search failed (one line each, naming it), 2 bad command line or config, "
        f"{vocabulary.EXIT_LOCKED} an update or another search of the review is running.",
    )
    sea.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    sea.add_argument("--search", default=None, help="only this API search (its id)")
    sea.set_defaults(func=_search)

    imp = sub.add_parser("import", help="parse one export file and account for every record")
    imp.add_argument("file", help="the export file (any format below)")
    imp.add_argument(
        "--format",
        default="auto",
        choices=["auto", *IMPORT_FORMATS],
        metavar="FORMAT",
        help="the file's format, one of " + ", ".join(IMPORT_FORMATS) + " (default: auto, "
        "told from the content)",
    )
    imp.add_argument(
        "--source-id",
        default="file",
        help="the search's ID: the prefix of every record ID, ID:native-ID (default: file)",
    )
    imp.add_argument("--encoding", default=None, help="declared text encoding (default: detect)")
    imp.add_argument("--rejects", default=None, help="write the rejects to this Parquet file")
    imp.add_argument(
        "--database",
        default=None,
        help="the database searched, recorded on every record (default: the --source-id)",
    )
    imp.add_argument("--out", default=None, help="write the records to this Parquet file")
    imp.set_defaults(func=_import)

    ded = sub.add_parser("dedupe", help="deduplicate one file; one output row per input record")
    ded.add_argument("input", help="an export file or a CSV with ID,title,year,author,... columns")
    ded.add_argument("--out", required=True, help="CSV with record_id (the input's ID), study_id")
    ded.add_argument(
        "--format",
        default="auto",
        choices=["auto", *IMPORT_FORMATS],
        metavar="FORMAT",
        help="the input's format, as for import (default: auto)",
    )
    ded.add_argument("--decisions", action="append", default=[], help="same/different sheet")
    ded.add_argument("--review-queue", default=None, help="write maybe pairs (.csv or .xlsx)")
    ded.set_defaults(func=_command("cli_dedupe", "dedupe_command"))

    exp = sub.add_parser("explain", help="show a ledger count with its rule, inputs and IDs")
    exp.add_argument("count_id", help="a count's ID, as `counts` lists them (e.g. dedupe.studies)")
    exp.add_argument("--directory", default=".", help=DIRECTORY_HELP)
    exp.add_argument("--ledger", default=None, help=LEDGER_HELP)
    exp.add_argument("--ids", action="store_true", help="print only the IDs, one per line")
    exp.set_defaults(func=_command("cli_ledger", "explain_command"))

    cnt = sub.add_parser("counts", help="list every count in the ledger")
    cnt.add_argument("--directory", default=".", help=DIRECTORY_HELP)
    cnt.add_argument("--ledger", default=None, help=LEDGER_HELP)
    cnt.add_argument("--prefix", default="", help="only counts whose id starts with this")
    cnt.set_defaults(func=_command("cli_ledger", "counts_command"))

    chk = sub.add_parser("check-config", help="validate a review config against its schema")
    chk.add_argument(
        "config", nargs="?", default="config/config.yaml", help="default: config/config.yaml"
    )
    chk.set_defaults(func=_check_config)

    sim = sub.add_parser(
        "simulate",
        help="replay prioritised screening on a labelled CSV (title, abstract, label_included)",
    )
    sim.add_argument("labelled", help="CSV with title, abstract and label_included (0/1)")
    sim.add_argument("--seed", type=int, default=0, help="picks the starting include/exclude")
    sim.add_argument("--out", default=None, help="write the metrics JSON here (default: stdout)")
    sim.add_argument("--recall-target", type=float, default=0.95, help="stopping rule target")
    sim.add_argument("--confidence", type=float, default=0.95, help="stopping rule confidence")
    sim.set_defaults(func=_command("cli_screening", "simulate_command"))

    scr = sub.add_parser("screen", help="screen in the browser (a local web app)")
    scr.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    scr.add_argument("--reviewer", required=True, help="your name (your sheet's name)")
    scr.add_argument(
        "--stage", default="title_abstract", choices=list(SCREEN_STAGES), help=STAGE_HELP
    )
    scr.add_argument("--port", type=port, default=8765, help="the port to serve on (default 8765)")
    scr.add_argument("--host", default="127.0.0.1", help="other than 127.0.0.1 needs --token")
    scr.add_argument("--token", default=None, help="required on every request when given")
    scr.set_defaults(func=_command("cli_screening", "screen_command"))

    exq = sub.add_parser("export-pending", help="pending studies of a stage for ASReview/Rayyan")
    exq.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    exq.add_argument(
        "--stage", default="title_abstract", choices=list(SCREEN_STAGES), help=STAGE_HELP
    )
    exq.add_argument(
        "--tool", required=True, choices=["asreview", "rayyan"], help="the tool to screen in"
    )
    exq.add_argument("--out", required=True, help=".csv (ASReview) or .ris (both tools)")
    exq.set_defaults(func=_command("cli_screening", "export_pending_command"))

    imd = sub.add_parser(
        "import-decisions", help="a Rayyan or ASReview export back as a decision sheet"
    )
    imd.add_argument("file", help="Rayyan .csv/.ris; ASReview .csv/.tsv/.xlsx/.ris/.asreview")
    imd.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    imd.add_argument(
        "--tool", required=True, choices=["asreview", "rayyan"], help="the tool that wrote FILE"
    )
    imd.add_argument(
        "--stage", default="title_abstract", choices=list(SCREEN_STAGES), help=STAGE_HELP
    )
    imd.add_argument("--reviewer", default="asreview", help="ASReview: name for the decisions")
    imd.add_argument(
        "--exclude-reason",
        default=None,
        help="criterion code for exclusions the tool gives no reason for (ASReview has none)",
    )
    imd.add_argument("--out", required=True, help="the decision sheet (CSV) to write")
    imd.set_defaults(func=_command("cli_screening", "import_decisions_command"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # argparse would name the unknown option under the top-level usage (every command);
        # the subcommand's own usage shows the options the user meant to type
        subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subcommands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        code: int = args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except _input_errors() as err:
        if isinstance(err, OSError) and err.errno in cli_notes.NOT_WRITABLE:
            cli_notes.say_not_writable(err)  # no hint about a value to correct
            return vocabulary.EXIT_ERROR
        # a missing or unreadable file, a bad value: one block, no traceback
        print(f"error: {err}", file=sys.stderr)
        print(
            "what to do: check the file or value named above (see `scoping-review "
            f"{args.command} --help`), then run the command again",
            file=sys.stderr,
        )
        return vocabulary.EXIT_ERROR
    return code


if __name__ == "__main__":
    raise SystemExit(main())
