"""Worklists and conflict sheets: what each reviewer still has to decide, as sheets to fill in.

A worklist is itself a valid decision sheet: its ``study_id``, ``reviewer``, ``decision``,
``reason``, ``note`` and ``date`` columns are what :func:`scoping_review.screen.read_decisions`
reads, and rows left blank are skipped. Pure functions: frames in, frames and
:class:`~scoping_review.spreadsheet.Worksheet` objects out; the adapter writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .ledger import Count, CountSpec, Emitter
from .normalize import reviewer_key
from .screen import CONSENSUS, DECISIONS, STAGES, Settings
from .spreadsheet import Worksheet
from .wording import stage_name

INFO_COLUMNS = ("study_id", "title", "authors", "year", "journal", "doi_link", "abstract")
FILL_COLUMNS = ("reviewer", "decision", "reason", "note", "date")
PRIORITY_COLUMNS = ("priority", "score", "top_terms")  # with a ranking (prioritisation.py)
WIDTHS = {
    "study_id": 16,
    "title": 50,
    "authors": 30,
    "year": 6,
    "journal": 24,
    "doi_link": 30,
    "abstract": 80,
    "reviewer": 12,
    "decision": 14,
    "reason": 24,
    "note": 30,
    "date": 12,
    "priority": 8,
    "score": 8,
    "top_terms": 40,
}


def study_info(studies: pl.DataFrame) -> pl.DataFrame:
    """The columns a reviewer reads, as text (authors joined, DOI as a link)."""
    return studies.select(
        "study_id",
        "title",
        pl.col("authors").list.join("; ").alias("authors"),
        pl.col("year").cast(pl.String),
        "journal",
        pl.when(pl.col("doi").is_not_null())
        .then(pl.lit("https://doi.org/") + pl.col("doi"))
        .otherwise(None)
        .alias("doi_link"),
        "abstract",
    )


def stage_reviewers(decisions: pl.DataFrame, settings: Settings, stage: str) -> list[str]:
    """Who screens ``stage``: configured names, else reviewers seen at the stage, else at any
    stage, else placeholders (``reviewer`` or ``reviewer_1``/``reviewer_2``)."""
    cfg = settings.stages[stage]
    if cfg.names:
        return list(cfg.names)
    own = decisions.filter(pl.col("reviewer") != CONSENSUS)
    for frame in (own.filter(pl.col("stage") == stage), own):
        names = sorted(set(frame["reviewer"].to_list()))
        if names:
            return names
    return (
        ["reviewer"] if cfg.reviewers == 1 else [f"reviewer_{i + 1}" for i in range(cfg.reviewers)]
    )


def reason_codes(criteria: Sequence[Mapping[str, Any]], stage: str) -> list[str]:
    return [str(c["code"]) for c in criteria if stage in c.get("stages", STAGES)]


def worklists(
    studies: pl.DataFrame,
    status: pl.DataFrame,
    decisions: pl.DataFrame,
    settings: Settings,
    ranking: pl.DataFrame | None = None,
) -> dict[tuple[str, str], pl.DataFrame]:
    """(stage, reviewer) → studies still waiting for that reviewer's decision at that stage.

    A study waits for a reviewer when it has reached the stage, is undecided there, the
    reviewer has not decided it (or said maybe), and it has fewer independent decisions than
    the stage needs (a conflict goes to the consensus sheet, not to a third reviewer).

    With a ``ranking`` (study_id, rank, score, top_terms; see ``prioritisation``) the
    title/abstract worklists are in rank order (screen first what is most likely an include)
    and carry ``priority`` (the rank), ``score`` and ``top_terms`` after the fill-in columns.
    """
    info = study_info(studies)
    out: dict[tuple[str, str], pl.DataFrame] = {}
    for stage in STAGES:
        needed = settings.stages[stage].reviewers
        own = decisions.filter((pl.col("stage") == stage) & (pl.col("reviewer") != CONSENSUS))
        n_own = own.filter(pl.col("decision") != "maybe").group_by("study_id").len()
        waiting = (
            status.filter(pl.col(stage) == "pending")
            .select("study_id")
            .join(n_own, on="study_id", how="left")
            .filter(pl.col("len").fill_null(0) < needed)
        )
        for reviewer in stage_reviewers(decisions, settings, stage):
            # a maybe is not done: the study comes back to the reviewer, whose include or
            # exclude of it replaces the maybe (screen.sheets)
            mine = own.filter(pl.col("reviewer") == reviewer)
            done = mine.filter(pl.col("decision") != "maybe")["study_id"].to_list()
            # its note says so, with the sheet and row to change (a new row replaces it too)
            maybe = mine.filter(pl.col("decision") == "maybe").select(
                "study_id", note=pl.format("you marked it maybe ({}, row {})", "sheet", "row")
            )
            rows = (
                waiting.filter(~pl.col("study_id").is_in(done))
                .select("study_id")
                .join(info, on="study_id", how="left")
                .join(maybe, on="study_id", how="left")
                .sort("study_id")
                .with_columns(
                    pl.lit(reviewer).alias("reviewer"),
                    *(
                        pl.lit(None, dtype=pl.String).alias(c)
                        for c in FILL_COLUMNS[1:]
                        if c != "note"
                    ),
                )
            )
            rows = rows.select(*INFO_COLUMNS, *FILL_COLUMNS)
            if ranking is not None and stage == "title_abstract":
                rows = _prioritised(rows, ranking)
            out[(stage, reviewer)] = rows
    return out


def _prioritised(rows: pl.DataFrame, ranking: pl.DataFrame) -> pl.DataFrame:
    """Rows in rank order (unranked last, by study_id) with the ranking's columns."""
    ranked = ranking.select(
        "study_id",
        pl.col("rank").alias("priority"),
        pl.col("score").round(4).cast(pl.String).alias("score"),
        pl.col("top_terms").list.join("; ").alias("top_terms"),
    )
    return (
        rows.join(ranked, on="study_id", how="left")
        .sort(["priority", "study_id"], nulls_last=True)
        .with_columns(pl.col("priority").cast(pl.String))
        .select(*INFO_COLUMNS, *FILL_COLUMNS, *PRIORITY_COLUMNS)
    )


def worklist_sheet(
    frame: pl.DataFrame, stage: str, criteria: Sequence[Mapping[str, Any]]
) -> Worksheet:
    """The XLSX form of a worklist: dropdowns for decision and reason."""
    return Worksheet(
        name=stage,
        frame=frame,
        dropdowns={"decision": list(DECISIONS[stage]), "reason": reason_codes(criteria, stage)},
        widths={c: WIDTHS.get(c, 18) for c in frame.columns},
    )


def conflict_sheets(
    conflicts: pl.DataFrame,
    studies: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
) -> list[Worksheet]:
    """One worksheet per stage listing its conflicts, with both reviewers' decisions and
    consensus columns (prefilled when resolved). A filled worksheet is a consensus sheet:
    list it under ``screening.sheets`` with ``consensus: true`` (and ``worksheet: <stage>``)."""
    info = study_info(studies).select("study_id", "title", "year", "authors", "doi_link")
    sheets = []
    for stage in STAGES:
        frame = (
            conflicts.filter(pl.col("stage") == stage)
            .join(info, on="study_id", how="left")
            .sort("study_id")
            .select(
                "study_id",
                "title",
                "year",
                "authors",
                "doi_link",
                "reviewer_a",
                "decision_a",
                "reason_a",
                "note_a",
                "reviewer_b",
                "decision_b",
                "reason_b",
                "note_b",
                pl.lit(CONSENSUS).alias("reviewer"),
                pl.col("consensus_decision").alias("decision"),
                pl.col("consensus_reason").alias("reason"),
                pl.lit(None, dtype=pl.String).alias("note"),
                pl.lit(None, dtype=pl.String).alias("date"),
            )
        )
        sheets.append(worklist_sheet(frame, stage, criteria))
    return sheets


WORKLIST = CountSpec(
    "worklist.{stage}.{reviewer_slug}",
    "Studies on the {stage_name} worklist of {reviewer}",
    "studies",
    "study_id",
)


def worklist_counts(lists: Mapping[tuple[str, str], pl.DataFrame]) -> list[Count]:
    """``worklist.<stage>.<reviewer>``: the studies on each reviewer's worklist."""
    emit = Emitter("03_screen", "rank")
    return [
        emit.of(
            WORKLIST,
            frame["study_id"],
            stage=stage,
            stage_name=stage_name(stage),
            reviewer=reviewer,
            reviewer_slug=reviewer_key(reviewer),
        )
        for (stage, reviewer), frame in sorted(lists.items())
    ]
