"""Schemas of the charting, coding and theme tables (stages 04 to 06)."""

from __future__ import annotations

import polars as pl

from .base import Bool, Int, Str, StrList, TableSchema

CHARTING = TableSchema(
    name="charting",
    path="04_extract/charting.parquet",
    grain="one row per included study",
    key=("study_id",),
    columns={"study_id": Str, "study_label": Str, "sheet": Str, "row": Int},
    required=("study_id", "sheet", "row"),
    open_columns=True,
    description="one column per charting-form field (normalised) plus <field>__raw as typed",
)

SEGMENTS = TableSchema(
    name="segments",
    path="05_codes/segments.parquet",
    grain="one row per coded segment",
    key=("source", "segment_id"),
    columns={
        "segment_id": Str,
        "study_id": Str,
        "document": Str,
        "code": Str,
        "text": Str,
        "source": Str,
        "row": Int,
        "status": Str,
        "code_path": StrList,
        "page": Str,
        "format": Str,
    },
    required=("segment_id", "document", "code", "source", "row", "status"),
    description="status: ok, unknown_document, not_included, unknown_code; code is the last "
    "part of the tag as written, code_path the whole hierarchy (e.g. ['Repair', 'Empathy']); "
    "row is the sheet row (CSV) or the coding's position in the project (.qdpx); format is "
    "taguette, generic or qdpx",
)

PREVALENCE = TableSchema(
    name="prevalence",
    path="05_codes/prevalence.parquet",
    grain="one row per codebook code",
    key=("code",),
    columns={
        "code": Str,
        "theme": Str,
        "overarching_theme": Str,
        "origin": Str,
        "definition": Str,
        "n_studies": Int,
        "n_segments": Int,
        "study_ids": StrList,
        "kept": Bool,
        "drop_reason": Str,
    },
    required=("code", "theme", "overarching_theme", "origin", "n_studies", "n_segments", "kept"),
)

CODEBOOK = TableSchema(
    name="codebook",
    path="05_codes/codebook.parquet",
    grain="one row per codebook code",
    key=("code",),
    columns={
        "code": Str,
        "theme": Str,
        "overarching_theme": Str,
        "origin": Str,
        "definition": Str,
        "parent": Str,
        "n_segments_reported": Int,
        "n_documents_reported": Int,
    },
    required=("code", "theme", "overarching_theme", "origin"),
    description="the codebook as read (table, Taguette codebook export or .qdpx): parent is the "
    "code a hierarchical code sits under (null at the top); n_*_reported are the counts the "
    "coding tool's own codebook export states (Taguette), null when it states none",
)

THEMES = TableSchema(
    name="themes",
    path="06_themes/themes.parquet",
    grain="one row per theme",
    key=("theme",),
    columns={
        "theme": Str,
        "overarching_theme": Str,
        "codes": StrList,
        "codes_dropped": StrList,
        "n_codes": Int,
        "study_ids": StrList,
        "n_studies": Int,
    },
    required=("theme", "overarching_theme", "codes", "n_codes", "n_studies"),
)

CHARACTERISTICS = TableSchema(
    name="characteristics",
    path="04_extract/characteristics.parquet",
    grain="one row per counted charting field and value",
    key=("field", "value"),
    columns={
        "field": Str,
        "field_label": Str,
        "value": Str,
        "count_id": Str,
        "n_studies": Int,
        "n_included": Int,
        "pct": pl.Float64(),
        "study_ids": StrList,
    },
    required=("field", "value", "count_id", "n_studies", "n_included", "study_ids"),
    description="value 'not charted' holds the included studies with an empty cell (fields "
    "without empty_value); pct = 100 * n_studies / n_included; a list field's study counts "
    "once per value it lists",
    checks=(
        ("n_studies == len(study_ids)", pl.col("n_studies") == pl.col("study_ids").list.len()),
    ),
)

OVERARCHING = TableSchema(
    name="overarching",
    path="06_themes/overarching.parquet",
    grain="one row per overarching theme",
    key=("overarching_theme",),
    columns={
        "overarching_theme": Str,
        "themes": StrList,
        "codes": StrList,
        "n_themes": Int,
        "n_codes": Int,
        "study_ids": StrList,
        "n_studies": Int,
    },
    required=("overarching_theme", "themes", "codes", "n_themes", "n_codes", "n_studies"),
    description="kept codes only; study_ids: distinct studies coded with any of them",
)

COOCCURRENCE = TableSchema(
    name="cooccurrence",
    path="06_themes/cooccurrence.parquet",
    grain="one row per unordered pair of kept codes found together in at least one study",
    key=("code_a", "code_b"),
    columns={
        "code_a": Str,
        "code_b": Str,
        "theme_a": Str,
        "theme_b": Str,
        "count_id": Str,
        "n_studies": Int,
        "study_ids": StrList,
    },
    required=("code_a", "code_b", "count_id", "n_studies", "study_ids"),
    description="code_a < code_b; counted by study (a study coded with both codes), from "
    "segments with status ok",
    checks=(("code_a < code_b", pl.col("code_a") < pl.col("code_b")),),
)

EVIDENCE_MAP = TableSchema(
    name="evidence_map",
    path="06_themes/evidence_map.parquet",
    grain="one row per charted field, theme and charted value with at least one study",
    key=("field", "theme", "value"),
    columns={
        "field": Str,
        "theme": Str,
        "overarching_theme": Str,
        "value": Str,
        "count_id": Str,
        "n_studies": Int,
        "study_ids": StrList,
    },
    required=("field", "theme", "overarching_theme", "value", "count_id", "n_studies"),
    description="studies contributing to a theme (kept codes) whose charted field has the value",
)
