"""Records from a table in the layout of the labelled dedupe sets (pure; no file access).

Columns ``ID,title,year,author,pages,volume,number,ENTRYTYPE,journal`` and optionally
``abstract,doi`` and others: the importer's ``colrev_csv`` preset reads them, so the benchmark
and the tests see exactly what ``scoping-review dedupe`` and the workflow see.
"""

from __future__ import annotations

import polars as pl

from scoping_review import importing


def records_from_layout(
    frame: pl.DataFrame, source_id: str, source_file: str, database: str | None = None
) -> pl.DataFrame:
    """A records table (``record_id`` = ``<source_id>:<ID>``) from the layout's rows (all text)."""
    meta = importing.SourceMeta(source_id, database or source_id, "", source_file)
    data = frame.write_csv().encode("utf-8")
    return importing.import_export(data, meta, fmt="colrev_csv").records
