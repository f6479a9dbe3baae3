"""``scoping-review``: run the workflow and inspect its results from the command line.

scoping-review run [--directory DIR] [--cores N] [-- extra snakemake args]
scoping-review import FILE [--format ris|medline|wos|bibtex] [--out records.parquet]
scoping-review dedupe INPUT --out clusters.csv [--decisions SHEET ...] [--review-queue FILE]
scoping-review explain COUNT_ID [--ledger results/ledger/counts.parquet]
scoping-review check-config [config/config.yaml]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import jsonschema
import polars as pl

from . import __version__, importing, schemas, storage

REPO_DIR = Path(__file__).resolve().parents[3]
SNAKEFILE = REPO_DIR / "Snakefile"
CONFIG_SCHEMA = REPO_DIR / "workflow" / "schemas" / "config.schema.yaml"


def _run(args: argparse.Namespace) -> int:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--cores",
        str(args.cores),
        "--directory",
        str(args.directory),
        *(args.snakemake_args[1:] if args.snakemake_args[:1] == ["--"] else args.snakemake_args),
    ]
    return subprocess.call(cmd)


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    meta = importing.SourceMeta(args.source_id, args.database or args.source_id, "", str(path))
    try:
        result = importing.import_export(storage.read_bytes(path), meta, fmt=args.format)
    except (importing.ImportError_, storage.InputFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    row = result.file_row
    print(
        f"{path}: format {row['format']}, encoding {row['encoding']} ({row['encoding_note']})\n"
        f"  record starts in the raw text: {row['n_raw']}\n"
        f"  parsed: {row['n_parsed']}\n  rejected: {row['n_rejected']}"
    )
    for line, reason in result.rejects.select("line", "reason").rows():
        print(f"  reject at line {line}: {reason}")
    for note in result.notes:
        print(f"  note: {note}")
    if args.out:
        storage.write_table(result.records, args.out, schemas.RECORDS)
        print(f"records written to {args.out}")
    return 0


def _records_for_dedupe(path: Path, fmt: str, source_id: str) -> pl.DataFrame:
    """Any importable file as a records table. Uses ``storage.import_file`` where the importer
    provides it; otherwise a CSV in the labelled-sets layout (``ID,title,...``) or an export
    the importer reads."""
    import_file = getattr(storage, "import_file", None)
    if import_file is not None:
        imported = import_file(path, fmt=fmt, source_id=source_id)
        records: pl.DataFrame = imported.records
        return records
    if path.suffix.lower() in (".csv", ".tsv"):  # fallback until the importer has a CSV preset
        from .dedupe.layout import records_from_layout

        return records_from_layout(storage.read_sheet(path), source_id, str(path))
    meta = importing.SourceMeta(source_id, source_id, "", str(path))
    return importing.import_export(storage.read_bytes(path), meta, fmt=fmt).records


def _dedupe(args: argparse.Namespace) -> int:
    from . import dedupe

    path = Path(args.input)
    source_id = "in"
    try:
        records = _records_for_dedupe(path, args.format, source_id)
        sheets = [
            dedupe.decisions_from_sheet(storage.read_sheet(sheet), sheet)
            for sheet in args.decisions
        ]
        # decisions name records by the input's own IDs, as OUT does
        decisions = dedupe.combine_decisions(sheets)
        if decisions is not None:
            decisions = decisions.with_columns(
                (pl.lit(source_id + ":") + pl.col(c)).alias(c)
                for c in ("record_id_a", "record_id_b")
            )
        result = dedupe.run(records, decisions=decisions)
    except (ValueError, storage.InputFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    prefix = source_id + ":"
    unprefix = [pl.col(c).str.strip_prefix(prefix) for c in ("record_id", "linked_to")]
    out = result.clusters.with_columns(unprefix).select(
        "record_id", "study_id", "is_representative", "rule", "linked_to", "score", "evidence"
    )
    out.write_csv(args.out)
    if args.review_queue:
        queue = result.review_queue.with_columns(
            pl.col(c).str.strip_prefix(prefix) for c in ("record_id_a", "record_id_b")
        )
        if args.review_queue.lower().endswith(".xlsx"):
            storage.write_xlsx([dedupe.review_worksheet(queue)], args.review_queue)
        else:
            queue.write_csv(args.review_queue)
    print(
        f"{path}: {records.height} records -> {result.studies.height} studies "
        f"({records.height - result.studies.height} duplicates); "
        f"{result.review_queue.height} pairs to review, {result.relations.height} relations; "
        f"written {args.out}"
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    ledger = pl.read_parquet(args.ledger)
    hit = ledger.filter(pl.col("count_id") == args.count_id)
    if hit.is_empty():
        close = ledger.filter(pl.col("count_id").str.contains(args.count_id, literal=True))
        print(f"no count {args.count_id!r} in {args.ledger}", file=sys.stderr)
        if close.height:
            hints = ", ".join(close["count_id"].head(10).to_list())
            print(f"did you mean: {hints}", file=sys.stderr)
        return 1
    row = hit.row(0, named=True)
    print(f"{row['count_id']} = {row['value']} {row['unit']}: {row['label']}")
    print(f"  stage {row['stage']}, rule {row['rule']}")
    for item in row["inputs"]:
        print(f"  input {item['name']}  sha256 {item['sha256']}")
    if row["id_kind"] != "none":
        print(f"  {row['id_kind']}s ({len(row['ids'])}):")
        for i in row["ids"]:
            print(f"    {i}")
    return 0


def _check_config(args: argparse.Namespace) -> int:
    config = storage.read_yaml(args.config)
    schema = storage.read_yaml(CONFIG_SCHEMA)
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path)
    )
    for err in errors:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        print(f"{args.config}: {where}: {err.message}", file=sys.stderr)
    if not errors:
        print(f"{args.config}: valid")
    return 1 if errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoping-review", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the workflow on a review directory")
    run.add_argument("--directory", default=".", help="review directory holding config/config.yaml")
    run.add_argument("--cores", default="2")
    run.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="passed on to snakemake")
    run.set_defaults(func=_run)

    imp = sub.add_parser("import", help="parse one export file and account for every record")
    imp.add_argument("file")
    imp.add_argument("--format", default="auto", choices=["auto", *importing.FORMATS])
    imp.add_argument("--source-id", default="file")
    imp.add_argument("--database", default=None)
    imp.add_argument("--out", default=None, help="write the records to this Parquet file")
    imp.set_defaults(func=_import)

    ded = sub.add_parser("dedupe", help="deduplicate one file; one output row per input record")
    ded.add_argument("input", help="an export file or a CSV with ID,title,year,author,... columns")
    ded.add_argument("--out", required=True, help="CSV with record_id (the input's ID), study_id")
    ded.add_argument("--format", default="auto", choices=["auto", *importing.FORMATS])
    ded.add_argument("--decisions", action="append", default=[], help="same/different sheet")
    ded.add_argument("--review-queue", default=None, help="write maybe pairs (.csv or .xlsx)")
    ded.set_defaults(func=_dedupe)

    exp = sub.add_parser("explain", help="show a ledger count with its rule, inputs and IDs")
    exp.add_argument("count_id")
    exp.add_argument("--ledger", default="results/ledger/counts.parquet")
    exp.set_defaults(func=_explain)

    chk = sub.add_parser("check-config", help="validate a review config against its schema")
    chk.add_argument("config", nargs="?", default="config/config.yaml")
    chk.set_defaults(func=_check_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
