"""The data-quality audit of one run: every check of `quality` applied to the stage tables, in
the report's order; one finding per row of the returned list (grain of the QUALITY table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from . import quality, quality_exports, quality_fields


def _located(frame: pl.DataFrame, label: str, source: str) -> pl.DataFrame:
    """study_id, label and a "where" ("sheet, row N") for each row of a stage table."""
    return frame.select(
        "study_id",
        pl.col(label).alias("label"),
        pl.format("{}, row {}", source, "row").alias("where"),
    )


def coded_documents(segments: pl.DataFrame) -> pl.DataFrame:
    """One row per coded document matched to a study: its first source and row."""
    docs = (
        segments.filter(pl.col("study_id").is_not_null())
        .group_by("document", "study_id")
        .agg(pl.col("source").first(), pl.col("row").min())
        .sort("document")
    )
    return _located(docs, "document", "source")


def audit(
    *,
    studies: pl.DataFrame,
    status: pl.DataFrame,
    files: pl.DataFrame,
    charting: pl.DataFrame,
    unmatched: pl.DataFrame,
    segments: pl.DataFrame,
    codebook: pl.DataFrame,
    prevalence: pl.DataFrame,
    parts: pl.DataFrame,
    settings: Mapping[str, Any],
    title_field: str | None,
    started: Mapping[str, bool],
    claims: Sequence[Mapping[str, Any]] | None = None,
    claims_file: str = "",
) -> list[dict[str, object]]:
    """All findings of the run; checks of a stage not started are not raised (the report says
    once that the stage has not started)."""
    findings: list[dict[str, object]] = []
    labels = _located(charting, "study_label", "sheet")
    docs = coded_documents(segments)
    findings += quality.label_years(labels, studies, "charting label")
    if settings.get("document_year_check", True):
        findings += quality.label_years(docs, studies, "coded document")
    if title_field:
        findings += quality.title_mismatches(charting, studies, title_field)
    findings += quality_exports.import_findings(files)
    findings += quality.segment_findings(segments, codebook["code"].to_list())
    findings += quality.threshold_findings(prevalence)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    if started["coding"]:
        findings += quality.uncoded_findings(included, segments)
    findings += quality.name_mismatches(labels, studies, "charting label")
    findings += quality.name_mismatches(docs, studies, "coded document")
    findings += quality.codebook_count_findings(codebook, segments)
    if started["charting"] and started["coding"]:
        findings += quality_fields.field_theme_findings(
            charting, segments, prevalence, settings.get("field_theme_checks") or []
        )
    if started["charting"]:
        missing = unmatched.filter(pl.col("problem") == "missing")["study_id"].to_list()
        stray = unmatched.filter(pl.col("problem") == "not_included").select(
            "study_id", "sheet", "row"
        )
        findings += quality.charting_findings(missing, stray)
    findings += quality.consensus_override_findings(parts)
    if claims is not None:
        findings += quality.claim_findings(claims, parts, claims_file)
    return findings
