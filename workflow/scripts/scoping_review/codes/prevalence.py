"""Segments resolved to studies and codes, and code prevalence (one row per code: studies and
segments).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .. import schemas
from ..former_ids import former_study_ids
from .model import CodingError, Threshold

# -- resolution and prevalence ---------------------------------------------------------------


def resolve_segments(
    segments: pl.DataFrame,
    documents: pl.DataFrame | None,
    clusters: pl.DataFrame,
    codebook: pl.DataFrame,
    included: Sequence[str],
) -> pl.DataFrame:
    """Attach study IDs through the document map and give every segment a status.

    A document missing from the map may itself be a record ID or a study ID (generic sheets).
    """
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    # a study ID that a merge or a new anchor retired names its anchor record's study now
    refs = [segments["document"].cast(pl.String)]
    if documents is not None:
        refs.append(documents["record_id"].cast(pl.String))
    record_to_study |= dict(former_study_ids(refs, clusters).iter_rows())
    study_ids = set(clusters["study_id"].to_list())
    doc_study: dict[str, str | None] = {}
    if documents is not None:
        for doc, ref in documents.select("document", "record_id").rows():
            key = (ref or "").strip()
            doc_study[str(doc).strip()] = record_to_study.get(
                key, key if key in study_ids or key.startswith("S-") else None
            )
    for doc in segments["document"].unique().to_list():
        if doc not in doc_study:
            doc_study[doc] = doc if doc in study_ids else record_to_study.get(doc)
    known_codes = set(codebook["code"].to_list())
    for col, dtype in (
        ("code_path", pl.List(pl.String)),
        ("page", pl.String),
        ("format", pl.String),
    ):
        if col not in segments.columns:
            segments = segments.with_columns(pl.lit(None, dtype).alias(col))
    frame = segments.with_columns(
        pl.col("document")
        .replace_strict(doc_study, default=None, return_dtype=pl.String)
        .alias("study_id")
    ).with_columns(
        pl.when(pl.col("study_id").is_null())
        .then(pl.lit("unknown_document"))
        .when(~pl.col("study_id").is_in(list(included)))
        .then(pl.lit("not_included"))
        .when(~pl.col("code").is_in(list(known_codes)))
        .then(pl.lit("unknown_code"))
        .otherwise(pl.lit("ok"))
        .alias("status")
    )
    return schemas.validate(
        frame.select(list(schemas.SEGMENTS.columns)).sort("source", "row", "segment_id"),
        schemas.SEGMENTS,
    )


def retired_id_notes(
    segments: pl.DataFrame, documents: pl.DataFrame | None, clusters: pl.DataFrame
) -> list[str]:
    """A note for each study ID the coding names that no study has now (merged into another,
    or its anchor record changed), which :func:`resolve_segments` reads as the study its anchor
    record is in: where it is named and what it is read as (charting says the same)."""
    refs = [segments["document"].cast(pl.String)]
    if documents is not None:
        refs.append(documents["record_id"].cast(pl.String))
    notes = []
    for old, new in former_study_ids(refs, clusters).sort("record_id").rows():
        named = segments.filter(pl.col("document").cast(pl.String).str.strip_chars() == old)
        where = (
            f"{named.height} coded segment(s) of {named['source'][0]} (first at row "
            f"{named['row'].cast(pl.Int64).min()!s})"
            if named.height
            else "the documents sheet"
        )
        notes.append(
            f"{where}: study ID {old} names no study now (merged into another, or its anchor "
            f"record changed); read as {new}"
        )
    return notes


def check_unknown(segments: pl.DataFrame, on_unknown: str) -> None:
    """With ``on_unknown == "error"``, segments for unknown documents or codes stop the run."""
    if on_unknown != "error":
        return
    bad = segments.filter(pl.col("status").is_in(["unknown_document", "unknown_code"]))
    if bad.height:
        lines = [
            f"{src}, row {row}: {status.replace('_', ' ')} "
            f"({'document ' + repr(doc) if status == 'unknown_document' else 'code ' + repr(code)})"
            for src, row, status, doc, code in bad.select(
                "source", "row", "status", "document", "code"
            ).rows()
        ]
        raise CodingError(
            f"{len(lines)} coded segment(s) for unknown documents or codes:\n  "
            + "\n  ".join(lines)
        )


def prevalence(
    segments: pl.DataFrame, codebook: pl.DataFrame, threshold: Threshold
) -> pl.DataFrame:
    ok = segments.filter(pl.col("status") == "ok")
    per_code = ok.group_by("code").agg(
        pl.col("study_id").unique().sort().alias("study_ids"),
        pl.len().cast(pl.Int64).alias("n_segments"),
    )
    frame = (
        codebook.select("code", "theme", "overarching_theme", "origin", "definition")
        .join(per_code, on="code", how="left", maintain_order="left")
        .with_columns(
            pl.col("study_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("n_segments").fill_null(0),
        )
        .with_columns(pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"))
    )
    metric = pl.col(threshold.metric)
    frame = frame.with_columns(
        (metric > threshold.drop_at_or_below).alias("kept"),
        pl.when(metric <= threshold.drop_at_or_below)
        .then(
            pl.format(
                "{} = {} is at or below the threshold {}",
                pl.lit(threshold.metric),
                metric,
                pl.lit(threshold.drop_at_or_below),
            )
        )
        .otherwise(None)
        .alias("drop_reason"),
    )
    return schemas.validate(frame.select(list(schemas.PREVALENCE.columns)), schemas.PREVALENCE)
