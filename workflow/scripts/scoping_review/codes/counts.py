"""The coding stage's ledger counts: codes kept by the threshold, segments by status."""

from __future__ import annotations

import polars as pl

from ..ledger import Count, Emitter
from ..normalize import slug
from .model import STATUSES, Threshold


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
        emit.count(
            "codes_codebook",
            prev["code"].to_list(),
            unit="codes",
            label="Codes in the codebook",
            id_kind="code",
        ),
        emit.count(
            "codes_deductive",
            prev.filter(pl.col("kept") & (pl.col("origin") == "deductive"))["code"].to_list(),
            unit="codes",
            label="Kept codes of deductive origin",
            id_kind="code",
        ),
        emit.count(
            "codes_unknown",
            keyed.filter(pl.col("status") == "unknown_code")["code"].to_list(),
            unit="codes",
            label="Codes applied to included studies but missing from the codebook",
            id_kind="code",
        ),
        emit.count(
            "coded_studies",
            keyed.filter(pl.col("status") == "ok")["study_id"].to_list(),
            unit="studies",
            label="Included studies with at least one counted coded segment",
            id_kind="study_id",
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
