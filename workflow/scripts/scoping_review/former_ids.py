"""Study IDs a sheet names that no study has any more: merged into another study, or renamed.

A study's ID is the hash of its anchor record (:func:`..study_ids.study_id_for`). When a
dedupe decision (or a new record that bridges two studies) merges two studies, one ID goes on
and the other stops naming a study, though its anchor record is still in the review, now in the
merged study. A worklist or spreadsheet row written before the merge names the old ID: its
decision follows the anchor record to the study it belongs to now, as a decision the screening
app writes (keyed by record) does; two different decisions for the merged study are then the
contradiction the reader reports with both rows. The same holds for a study whose anchor
moved to another of its records (a search of a later round dated before the first round's):
its old ID names the study its old anchor record is in. Screening, charting and coding sheets
all resolve such IDs.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .study_ids import LONG_DIGITS, study_id_for

# a study ID as :func:`..study_ids.study_id_for` writes it: 10 hex digits, or 20
_STUDY_ID = r"^S-[0-9a-f]{10}(?:[0-9a-f]{10})?$"


def former_study_ids(refs: Iterable[pl.Series], clusters: pl.DataFrame) -> pl.DataFrame:
    """``record_id`` (a former study ID), ``study_id`` (the study its anchor record is in
    now): a row for each study ID among ``refs`` that no study has now and whose anchor
    record is in ``clusters``; empty when there is none (the usual case: nothing is hashed)."""
    empty = pl.DataFrame(schema={"record_id": pl.String, "study_id": pl.String})
    named = [s.cast(pl.String) for s in refs if s.len()]
    if not named:
        return empty
    candidates = (
        pl.concat(named)
        .drop_nulls()
        .str.strip_chars()
        .unique()
        .to_frame("ref")
        .filter(pl.col("ref").str.contains(_STUDY_ID))
        .filter(~pl.col("ref").is_in(clusters["study_id"].implode()))
    )
    if candidates.height == 0:
        return empty
    # each record's study ID as it would be if it were its study's anchor (short, and long
    # where the short one was taken)
    records = clusters["record_id"].to_list()
    hashed = pl.DataFrame(
        {
            "short": [study_id_for(r) for r in records],
            "long": [study_id_for(r, LONG_DIGITS) for r in records],
            "study_id": clusters["study_id"],
        },
        schema={"short": pl.String, "long": pl.String, "study_id": pl.String},
    )
    found = [
        candidates.join(hashed.select(pl.col(col).alias("ref"), "study_id"), on="ref")
        for col in ("short", "long")
    ]
    return (
        pl.concat(found)
        .unique("ref", keep="first", maintain_order=True)
        .select(pl.col("ref").alias("record_id"), "study_id")
        .sort("record_id")
    )
