"""The import stage's reconciliation line and ledger counts (records per database and file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from ..ledger import Count, Emitter
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


def import_counts(
    records: pl.DataFrame,
    rejects: pl.DataFrame,
    files: pl.DataFrame,
    searches: Sequence[Mapping[str, str]],
) -> list[Count]:
    """Ledger counts of 01_import."""
    emit = Emitter("01_import", "import_merge")
    reject_ids = [
        f"reject:{s}:{f}:{ln}" for s, f, ln in rejects.select("source_id", "file", "line").rows()
    ]
    counts = [
        emit.count(
            "database_results",
            records["record_id"].to_list() + reject_ids,
            unit="records",
            label="Records identified from databases",
            id_kind="record_id",
        ),
        emit.count(
            "excluded_other",
            reject_ids,
            unit="records",
            label="Records removed for other reasons (unreadable in the export)",
            id_kind="record_id",
        ),
        emit.count(
            "import.files",
            files["path"].to_list(),
            unit="files",
            label="Export files imported",
            id_kind="file",
        ),
        emit.count(
            "search_databases",
            # a database searched twice (a re-run in a later round) is one database
            list(dict.fromkeys(s["database"] for s in searches)),
            unit="databases",
            label="Databases searched",
            id_kind="database",
        ),
        emit.count(
            "searches",
            [s["id"] for s in searches],
            unit="searches",
            label="Searches run",
            id_kind="search",
        ),
    ]
    for search in searches:
        sid = search["id"]
        ids = records.filter(pl.col("source_id") == sid)["record_id"].to_list()
        ids += [r for r in reject_ids if r.startswith(f"reject:{sid}:")]
        counts.append(
            emit.count(
                f"database_results.{sid}",
                ids,
                unit="records",
                label=f"Records identified from {search['database']} (search {sid})",
                id_kind="record_id",
            )
        )
    return counts
