"""Schemas of the living-update tables: changes (one row per change and ID) and a version's
included studies.
"""

from __future__ import annotations

from .base import Int, Str, StrList, TableSchema

# --- living updates (versions.py) ------------------------------------------------------------

CHANGES = TableSchema(
    name="changes",
    path="08_changes/changes.parquet",
    grain="one row per item that changed since the previous version",
    key=("change", "id"),
    columns={
        "change": Str,
        "id": Str,
        "id_kind": Str,
        "source_id": Str,
        "study_id": Str,
        "previous": Str,
        "current": Str,
    },
    required=("change", "id", "id_kind"),
    description="change: new_record, duplicate_of_known, duplicate_of_included, new_study, "
    "split_study (not known before, all its records known), "
    "included, excluded, pending, status_changed, record_removed, study_removed; previous/"
    "current hold the final screening status where it changed; empty without a previous version",
)

VERSION_INCLUDED = TableSchema(
    name="included",
    path="versions/vNNN/included.parquet",
    grain="one row per study included in a frozen version",
    key=("study_id",),
    columns={
        "study_id": Str,
        "representative_record_id": Str,
        "record_ids": StrList,
        "title": Str,
        "year": Int,
        "doi": Str,
    },
    required=("study_id", "representative_record_id", "record_ids"),
)
