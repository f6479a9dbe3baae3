"""The pending studies of a stage, for screening in ASReview LAB (CSV or RIS) or Rayyan (RIS).

Each study carries our ID so its decision comes back to the same study: the CSV's
``study_id`` column (ASReview keeps every imported column in its export), and in RIS the
``ID`` tag plus ``U1  - scoping-review study S-...`` (the readers look for both); DOI, PMID and
title are there too, which is what the readers fall back on when a tool drops our ID.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import rispy

from ..spreadsheet import neutralise

CSV_COLUMNS = ("study_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid")


def pending(studies: pl.DataFrame, status: pl.DataFrame, stage: str) -> pl.DataFrame:
    """Studies whose ``stage`` outcome is pending and that another screener can decide, in
    study ID order: not those whose two reviewers disagree (they await a consensus decision,
    and a third reviewer's decision would be refused), :func:`awaiting_consensus`."""
    waiting = status.filter(
        (pl.col(stage) == "pending") & (pl.col("pending_kind").fill_null("") != "conflict")
    ).select("study_id")
    return studies.join(waiting, on="study_id", how="semi").sort("study_id")


def awaiting_consensus(status: pl.DataFrame, stage: str) -> int:
    """Studies pending at ``stage`` because their two reviewers disagree."""
    return status.filter(
        (pl.col(stage) == "pending") & (pl.col("pending_kind") == "conflict")
    ).height


def asreview_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per study with the columns ASReview recognises; cells safe for spreadsheets."""
    out = frame.select(
        "study_id",
        "title",
        "abstract",
        pl.col("authors").list.join("; "),
        pl.col("year").cast(pl.String),
        "journal",
        "doi",
        "pmid",
    )
    return neutralise(out)


def _ris_entry(rec: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type_of_reference": "JOUR",
        "id": rec["study_id"],
        "unknown_tag": {"U1": [f"scoping-review study {rec['study_id']}"]},
        "title": rec["title"],
        "authors": list(rec["authors"] or []),
        "year": str(rec["year"]) if rec["year"] is not None else None,
        "secondary_title": rec["journal"],
        "volume": rec["volume"],
        "number": rec["issue"],
        "start_page": rec["pages"],
        "doi": rec["doi"],
        "abstract": rec["abstract"],
    }
    if rec.get("pmid"):
        entry["accession_number"] = rec["pmid"]
    return {k: v for k, v in entry.items() if v not in (None, "", [])}


class _Writer(rispy.writer.RisWriter):  # type: ignore[misc]
    """rispy's RIS writer without its ``1.`` counter line before each record."""

    def set_header(self, count: int) -> str:
        return ""


def ris(frame: pl.DataFrame) -> str:
    """An RIS file of the studies (Rayyan and ASReview both import RIS)."""
    entries = [_ris_entry(r) for r in frame.iter_rows(named=True)]
    return str(rispy.dumps(entries, implementation=_Writer))
