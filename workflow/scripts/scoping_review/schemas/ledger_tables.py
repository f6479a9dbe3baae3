"""Schemas of the quality issues table (one row per issue) and the counts ledger (one row per
count).
"""

from __future__ import annotations

import polars as pl

from .base import InputHash, Int, Str, StrList, TableSchema

QUALITY = TableSchema(
    name="quality",
    path="quality/issues.parquet",
    grain="one row per data-quality finding",
    key=("issue_id",),
    columns={
        "issue_id": Str,
        "check": Str,
        "severity": Str,
        "subject": Str,
        "message": Str,
        "where": Str,
        "ids": StrList,
    },
    required=("issue_id", "check", "severity", "message"),
    description="severity: error, warning, info; ids are the record/study ids concerned",
)

LEDGER = TableSchema(
    name="counts",
    path="ledger/counts.parquet",
    grain="one row per reported count",
    key=("count_id",),
    columns={
        "count_id": Str,
        "value": Int,
        "unit": Str,
        "label": Str,
        "stage": Str,
        "rule": Str,
        "id_kind": Str,
        "ids": StrList,
        "inputs": pl.List(InputHash),
    },
    required=("count_id", "value", "unit", "label", "stage", "rule", "id_kind", "ids"),
    description="for counts of things (id_kind != 'none') len(ids) == value",
)
