"""The import stage's reconciliation line and ledger counts (records per database and file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from ..ledger import Count, CountSpec, Emitter
from ..vocabulary import REJECT_ID
from .model import Imported


def reconciliation(result: Imported) -> str:
    """A human-readable account of one file: starts counted, parsed, rejected, notes."""
    row = result.file_row
    lines = [
        f"{row['path']}: format {row['format']}, encoding {row['encoding']} "
        f"({row['encoding_note']})",
        f"  record starts in the raw text: {row['n_raw']}",
        f"  parsed: {row['n_parsed']}",
        f"  rejected: {row['n_rejected']}",
        f"  parsed + rejected = {int(row['n_parsed']) + int(row['n_rejected'])}"  # type: ignore[call-overload]
        f" {'==' if row['n_raw'] == int(row['n_parsed']) + int(row['n_rejected']) else '!='}"  # type: ignore[call-overload]
        f" record starts",
    ]
    lines += [
        f"  reject at line {line}: {reason}"
        for line, reason in result.rejects.select("line", "reason").rows()
    ]
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Sources:
    records: pl.DataFrame
    reject_ids: pl.Series
    files: pl.DataFrame
    searches: Sequence[Mapping[str, str]]


# id, label, unit, id kind, selector (over the import's tables); the last one is per search
COUNTS = (
    CountSpec("database_results", "Records identified from databases", "records", "record_id",
              # IDs as series, not Python lists: 1M record IDs sorted in Python took 1.4 s
              lambda s: pl.concat([s.records["record_id"], s.reject_ids])),
    CountSpec("excluded_other", "Records removed for other reasons (unreadable in the export)",
              "records", "record_id", lambda s: s.reject_ids),
    CountSpec("import.files", "Export files imported", "files", "file", lambda s: s.files["path"]),
    CountSpec("search_databases", "Databases searched", "databases", "database",
              # a database searched twice (a re-run in a later round) is one database
              lambda s: list(dict.fromkeys(search["database"] for search in s.searches))),
    CountSpec("searches", "Searches run", "searches", "search",
              lambda s: [search["id"] for search in s.searches]),
)  # fmt: skip
PER_SEARCH = CountSpec(
    "database_results.{search}",
    "Records identified from {database} (search {search})",
    "records",
    "record_id",
)


def import_summary(files: pl.DataFrame) -> str | None:
    """One line for the terminal after a run: records rejected and exports with notes (a
    record whose start line was lost, a file cut short, stray text), which the report's data
    quality section details; None when every export read cleanly. ``files``: the import's
    files table (``n_rejected``, ``notes``)."""
    rejected = int(files["n_rejected"].sum()) if files.height else 0
    noted = int((files["notes"].list.len() > 0).sum()) if files.height else 0
    if not rejected and not noted:
        return None
    parts = []
    if rejected:
        parts.append(
            f"{rejected} record{'' if rejected == 1 else 's'} rejected "
            "(results/01_import/rejects.parquet)"
        )
    if noted:
        parts.append(f"notes on {noted} of {files.height} export files")
    return "import: " + "; ".join(parts) + "; the report's data quality section lists them"


def import_counts(
    records: pl.DataFrame,
    rejects: pl.DataFrame,
    files: pl.DataFrame,
    searches: Sequence[Mapping[str, str]],
) -> list[Count]:
    """Ledger counts of 01_import."""
    emit = Emitter("01_import", "import_merge")
    rejected = rejects.select(
        "source_id",
        pl.format(REJECT_ID, "source_id", "file", "line").alias("record_id"),
    )
    reject_ids = rejected["record_id"]
    counts = emit.table(COUNTS, _Sources(records, reject_ids, files, searches))
    for search in searches:
        sid = search["id"]
        ids = pl.concat(
            [
                records.filter(pl.col("source_id") == sid)["record_id"],
                rejected.filter(pl.col("source_id") == sid)["record_id"],
            ]
        )
        count = emit.of(PER_SEARCH, ids, search=sid, database=search["database"])
        # traced to the search's own exports, not to every search's
        own = files.filter(pl.col("source_id") == sid).select("path", "sha256").rows()
        counts.append(replace(count, inputs=tuple(sorted(own))) if own else count)
    return counts
