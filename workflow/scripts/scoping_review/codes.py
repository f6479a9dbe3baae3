"""05_codes: coded segments (Taguette highlights or a generic CSV), codebook and prevalence.

Segments whose document maps to no study, to a study that is not included, or whose code is
not in the codebook are kept in ``segments.parquet`` with a status saying so, counted in the
ledger and reported; only ``status == "ok"`` segments count towards prevalence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from . import schemas
from .ledger import Count, Emitter
from .normalize import slug

METRICS = ("n_studies", "n_segments")
STATUSES = ("ok", "unknown_document", "not_included", "unknown_code")


class CodingError(ValueError):
    """Coding inputs that cannot be used; the message names file and row."""


@dataclass(frozen=True)
class Threshold:
    metric: str = "n_studies"
    drop_at_or_below: int = 0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise CodingError(f"prevalence metric {self.metric!r} must be one of {METRICS}")


def taguette_segments(
    highlights: pl.DataFrame, source: str, hierarchy_separator: str | None = None
) -> pl.DataFrame:
    """Taguette's ``id,document,tag,content`` export as segments (study and status unresolved)."""
    expected = {"id", "document", "tag", "content"}
    if not expected <= set(highlights.columns):
        raise CodingError(
            f"{source}: a Taguette highlights export needs columns {sorted(expected)}, "
            f"found {highlights.columns}"
        )
    frame = highlights.with_row_index("row", offset=2).select(
        pl.col("id").cast(pl.String).str.strip_chars().alias("segment_id"),
        pl.col("document").cast(pl.String).str.strip_chars(),
        pl.col("tag").cast(pl.String).str.strip_chars().alias("code"),
        pl.col("content").cast(pl.String).alias("text"),
        pl.lit(source).alias("source"),
        pl.col("row").cast(pl.Int64),
    )
    if hierarchy_separator:
        frame = frame.with_columns(
            pl.col("code").str.split(hierarchy_separator).list.last().str.strip_chars()
        )
    empty = frame.filter(pl.col("code").is_null() | pl.col("document").is_null())
    if empty.height:
        raise CodingError(f"{source}, row {empty['row'][0]}: highlight without document or tag")
    return frame


def resolve_segments(
    segments: pl.DataFrame,
    documents: pl.DataFrame,
    clusters: pl.DataFrame,
    codebook: pl.DataFrame,
    included: Sequence[str],
) -> pl.DataFrame:
    """Attach study IDs through the document map and give every segment a status."""
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    doc_study: dict[str, str | None] = {}
    for doc, ref in documents.select("document", "record_id").rows():
        key = (ref or "").strip()
        doc_study[str(doc).strip()] = record_to_study.get(
            key, key if key.startswith("S-") else None
        )
    known_codes = set(codebook["code"].to_list())
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
        frame.select(list(schemas.SEGMENTS.columns)).sort("source", "row"), schemas.SEGMENTS
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
        .join(per_code, on="code", how="left")
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


def code_counts(segments: pl.DataFrame, prev: pl.DataFrame, threshold: Threshold) -> list[Count]:
    emit = Emitter("05_codes", "codes")
    seg_key = pl.col("source") + "#" + pl.col("segment_id")
    keyed = segments.with_columns(seg_key.alias("_key"))
    counts: list[Count] = [
        emit.count(
            "segments.total",
            keyed["_key"].to_list(),
            unit="segments",
            label="Coded segments read",
            id_kind="segment_id",
        ),
        emit.count(
            "codes_found",
            prev.filter(pl.col("n_segments") > 0)["code"].to_list()
            + keyed.filter(pl.col("status") == "unknown_code")["code"].to_list(),
            unit="codes",
            label="Codes applied to included studies",
            id_kind="code",
        ),
        emit.count(
            "codes_kept",
            prev.filter(pl.col("kept"))["code"].to_list(),
            unit="codes",
            label="Codes kept after the prevalence threshold",
            id_kind="code",
        ),
        emit.count(
            "codes_dropped",
            prev.filter(~pl.col("kept"))["code"].to_list(),
            unit="codes",
            label="Codes dropped by the prevalence threshold",
            id_kind="code",
        ),
        emit.measure(
            "prevalence.threshold",
            threshold.drop_at_or_below,
            unit=threshold.metric,
            label=f"Codes with {threshold.metric} at or below this are dropped",
        ),
    ]
    for status in STATUSES:
        counts.append(
            emit.count(
                f"segments.{status}",
                keyed.filter(pl.col("status") == status)["_key"].to_list(),
                unit="segments",
                label=f"Coded segments with status {status}",
                id_kind="segment_id",
            )
        )
    ok = keyed.filter(pl.col("status") == "ok")
    for code, ids in prev.select("code", "study_ids").iter_rows():
        counts.append(
            emit.count(
                f"code.{slug(code)}.n_studies",
                ids,
                unit="studies",
                label=f"Studies coded '{code}'",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"code.{slug(code)}.n_segments",
                ok.filter(pl.col("code") == code)["_key"].to_list(),
                unit="segments",
                label=f"Segments coded '{code}'",
                id_kind="segment_id",
            )
        )
    return counts
