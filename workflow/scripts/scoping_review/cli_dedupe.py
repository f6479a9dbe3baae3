"""``scoping-review dedupe``: deduplicate one export file outside a review (one row per record:
its study, the rule that linked it and the evidence)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def dedupe_command(args: argparse.Namespace) -> int:
    import polars as pl

    from . import dedupe, storage

    path = Path(args.input)
    source_id = "in"
    try:
        records = storage.import_file(path, fmt=args.format, source_id=source_id).records
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
