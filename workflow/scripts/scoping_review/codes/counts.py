"""The coding stage's ledger counts: codes kept by the threshold, segments by status."""

from __future__ import annotations

import polars as pl

from ..ledger import Count, CountSpec, Emitter
from ..normalize import slug
from .model import STATUSES, Threshold


def _codes(frame: pl.DataFrame, cond: pl.Expr) -> pl.Series:
    return frame.filter(cond)["code"]


# id, label, unit, id kind, selector; over (segments keyed by source#segment_id, prevalence)
_UNKNOWN = pl.col("status") == "unknown_code"
COUNTS = (
    CountSpec("segments.total", "Coded segments read", "segments", "segment_id",
              lambda s: s[0]["_key"]),
    CountSpec("codes_found", "Codes applied to included studies", "codes", "code",
              lambda s: [*_codes(s[1], pl.col("n_segments") > 0), *_codes(s[0], _UNKNOWN)]),
    CountSpec("codes_kept", "Codes kept after the prevalence threshold", "codes", "code",
              lambda s: _codes(s[1], pl.col("kept"))),
    CountSpec("codes_dropped", "Codes dropped by the prevalence threshold", "codes", "code",
              lambda s: _codes(s[1], ~pl.col("kept"))),
)  # fmt: skip
CODEBOOK_COUNTS = (
    CountSpec("codes_codebook", "Codes in the codebook", "codes", "code", lambda s: s[1]["code"]),
    CountSpec("codes_deductive", "Kept codes of deductive origin", "codes", "code",
              lambda s: _codes(s[1], pl.col("kept") & (pl.col("origin") == "deductive"))),
    CountSpec("codes_unknown", "Codes applied to included studies but missing from the codebook",
              "codes", "code", lambda s: _codes(s[0], _UNKNOWN)),
    CountSpec("coded_studies", "Included studies with at least one counted coded segment",
              "studies", "study_id", lambda s: s[0].filter(pl.col("status") == "ok")["study_id"]),
)  # fmt: skip
BY_STATUS = CountSpec(
    "segments.{status}", "Coded segments with status {status}", "segments", "segment_id"
)
CODE_STUDIES = CountSpec("code.{slug}.n_studies", "Studies coded '{code}'", "studies", "study_id")
CODE_SEGMENTS = CountSpec(
    "code.{slug}.n_segments", "Segments coded '{code}'", "segments", "segment_id"
)


def code_counts(segments: pl.DataFrame, prev: pl.DataFrame, threshold: Threshold) -> list[Count]:
    emit = Emitter("05_codes", "codes")
    seg_key = pl.col("source") + "#" + pl.col("segment_id")
    keyed = segments.with_columns(seg_key.alias("_key"))
    counts = emit.table(COUNTS, (keyed, prev))
    counts.append(
        emit.measure(
            "prevalence.threshold",
            threshold.drop_at_or_below,
            unit=threshold.metric,
            label=f"Codes with {threshold.metric} at or below this are dropped",
        )
    )
    counts += emit.table(CODEBOOK_COUNTS, (keyed, prev))
    for status in STATUSES:
        ids = keyed.filter(pl.col("status") == status)["_key"]
        counts.append(emit.of(BY_STATUS, ids, status=status))
    ok = keyed.filter(pl.col("status") == "ok")
    for code, ids in prev.select("code", "study_ids").iter_rows():
        counts.append(emit.of(CODE_STUDIES, ids, slug=slug(code), code=code))
        segs = ok.filter(pl.col("code") == code)["_key"]
        counts.append(emit.of(CODE_SEGMENTS, segs, slug=slug(code), code=code))
    return counts
