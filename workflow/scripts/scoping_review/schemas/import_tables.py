"""Schemas of the import stage's tables: files (one row per export file), records (one row per
record), rejects (one row per rejected record).
"""

from __future__ import annotations

import polars as pl

from .base import Int, Str, StrList, TableSchema

FILES = TableSchema(
    name="files",
    path="01_import/files.parquet",
    grain="one row per input file",
    key=("source_id", "path"),
    columns={
        "source_id": Str,
        "database": Str,
        "path": Str,
        "sha256": Str,
        "format": Str,
        "encoding": Str,
        "encoding_note": Str,
        "n_raw": Int,
        "n_parsed": Int,
        "n_rejected": Int,
        "notes": StrList,
    },
    required=("source_id", "path", "sha256", "format", "n_raw", "n_parsed", "n_rejected"),
    description="notes: what the reader noticed and kept going (a record without its end tag, "
    "text outside any record, repeated native IDs), each with its line",
    checks=(
        (
            "n_raw == n_parsed + n_rejected",
            pl.col("n_raw") == pl.col("n_parsed") + pl.col("n_rejected"),
        ),
    ),
)

RECORDS = TableSchema(
    name="records",
    path="01_import/records.parquet",
    grain="one row per parsed record",
    key=("record_id",),
    columns={
        "record_id": Str,
        "source_id": Str,
        "database": Str,
        "search_date": Str,
        "source_file": Str,
        "source_line": Int,
        "native_id": Str,
        "title": Str,
        "abstract": Str,
        "authors": StrList,
        "year": Int,
        "journal": Str,
        "volume": Str,
        "issue": Str,
        "pages": Str,
        "doi": Str,
        "pmid": Str,
        "accession": Str,
        "language": Str,
        "publication_type": Str,
        "keywords": StrList,
        "url": Str,
        "raw_tags": StrList,
        "raw_values": StrList,
        "issn": StrList,
        "isbn": StrList,
        "source_sha256": Str,
    },
    required=("record_id", "source_id", "source_file", "source_line"),
    description="raw_tags/raw_values keep every tag the export carried, in file order",
)

REJECTS = TableSchema(
    name="rejects",
    path="01_import/rejects.parquet",
    grain="one row per rejected raw record",
    key=("file", "line"),
    columns={"source_id": Str, "file": Str, "line": Int, "reason": Str, "raw": Str},
    required=("source_id", "file", "line", "reason"),
)
