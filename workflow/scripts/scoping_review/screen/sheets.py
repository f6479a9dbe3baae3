"""Reviewers' decision sheets read and validated into the decisions table (one row per sheet row:
study, stage, reviewer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from .. import schemas
from ..normalize import reviewer_match_key
from .former import former_study_ids
from .reasons import (
    _unknown_reasons,
    best_reason,
    reason_aliases,
    reason_rank,
    reasons_in,
)
from .settings import (
    CONSENSUS,
    DECISIONS,
    MAX_INDEPENDENT,
    NEEDS_REASON,
    REASON_SEPARATORS,
    STAGES,
    ScreeningError,
    Settings,
)


@dataclass(frozen=True)
class Sheet:
    """A decision sheet as read by the adapter: its name (path) and rows as strings."""

    name: str
    stage: str
    frame: pl.DataFrame  # columns: study_id or record_id, decision, reason, reviewer, date, note
    reviewer: str | None = None  # for sheets without a reviewer column
    header_rows: int = 1
    consensus: bool = False  # every row is a consensus decision (reviewer "consensus")


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, sheet: str, row: int, message: str) -> None:
        self.items.append(f"{sheet}, row {row}: {message}")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# -- decision sheets -------------------------------------------------------------------------


def read_decisions(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str = "reviewer",
) -> pl.DataFrame:
    """Validated decisions (one row per study, stage and reviewer).

    Rows with neither a decision nor a reason are skipped (a worklist row not yet filled in).
    Sheets are checked column-wise; when any row has a problem, :func:`read_decisions_rowwise`
    reads them again row by row to name every problem (sheet and row) in the error.
    """
    sheets = [tidy_sheet(s) for s in sheets]
    # a study ID that a merge retired names its anchor record's study now (:mod:`.former`)
    former = former_study_ids(
        (s.frame[c] for s in sheets for c in ("study_id", "record_id") if c in s.frame.columns),
        clusters,
    )
    if former.height:
        clusters = pl.concat([clusters.select("record_id", "study_id"), former])
    decisions = _read_vectorised(sheets, clusters, criteria, default_reviewer)
    if decisions is None:
        decisions = read_decisions_rowwise(sheets, clusters, criteria, default_reviewer)
    check_reviewer_names(decisions)
    return schemas.validate(decisions, schemas.DECISIONS)


_STUDY_ID_ANY_CASE = r"^[ \t]*[sS]-(?:[0-9a-fA-F]{10}){1,2}[ \t]*$"


def tidy_sheet(sheet: Sheet) -> Sheet:
    """``sheet`` with its column names as people may write them (``Study ID``, ``Decision``,
    ``record-id``) read as the reader's, and study IDs in any case (``s-3F2F2BEE97``) as the
    tool writes them; a name that would clash with one the sheet already has stays."""
    frame = sheet.frame
    names = set(frame.columns)
    renames = {}
    for column in frame.columns:
        plain = "_".join(re.findall(r"[a-z0-9]+", column.casefold()))
        if plain in _SHEET_COLUMNS and plain != column and plain not in names:
            renames[column] = plain
            names.add(plain)
    frame = frame.rename(renames)
    if "study_id" in frame.columns and frame["study_id"].dtype == pl.String:
        given = pl.col("study_id")
        written = pl.lit("S-") + given.str.strip_chars(" \t").str.slice(2).str.to_lowercase()
        frame = frame.with_columns(
            pl.when(given.str.contains(_STUDY_ID_ANY_CASE))
            .then(written)
            .otherwise(given)
            .alias("study_id")
        )
    return replace(sheet, frame=frame) if frame is not sheet.frame else sheet


def check_reviewer_names(decisions: pl.DataFrame) -> None:
    """Refuse two reviewers whose names differ only in case, accents, spaces or punctuation
    ("AB", "ab", "A.B.", "A B"; "José" and "Jose": :func:`..normalize.reviewer_match_key`):
    most likely one person written two ways, whose two decisions would count as two
    independent reviewers'; else their counts could share one ID and their worklists, on a
    file system that ignores case, one file. Each is named with a row it comes from."""
    first = decisions.sort("sheet", "row").unique("reviewer", keep="first", maintain_order=True)
    by_slug: dict[str, list[str]] = {}
    for name, sheet, row in first.select("reviewer", "sheet", "row").iter_rows():
        by_slug.setdefault(reviewer_match_key(name), []).append(f"{name!r} ({sheet}, row {row})")
    clashes = [names for names in by_slug.values() if len(names) > 1]
    if clashes:
        raise ScreeningError(
            "reviewer names that differ only in case, accents, spaces or punctuation: "
            + "; ".join(" and ".join(names) for names in clashes)
            + ". Write one reviewer's name one way (the reviewer column, or the sheet's name "
            "for an app sheet)"
        )


def check_configured_reviewers(decisions: pl.DataFrame, settings: Settings) -> None:
    """Refuse a reviewer not among a stage's configured ``names``, written exactly so (a
    stage without names takes any): a misspelt name ("CE" for "CD") counted as a third
    independent reviewer, with agreement still reported as two raters'; "cd" for "CD" kept
    the studies "cd" decided on CD's worklist. Each is named with a row it comes from, and a
    name that differs only in case or punctuation with the configured one."""
    problems: list[str] = []
    for stage, stage_settings in settings.stages.items():
        names = stage_settings.names
        if not names:
            continue
        unknown = (
            decisions.filter(
                (pl.col("stage") == stage)
                & (pl.col("reviewer") != CONSENSUS)
                & ~pl.col("reviewer").is_in(list(names))
            )
            .sort("sheet", "row")
            .unique("reviewer", keep="first", maintain_order=True)
        )
        by_key = {reviewer_match_key(n): n for n in names}
        for name, sheet, row in unknown.select("reviewer", "sheet", "row").iter_rows():
            meant = by_key.get(reviewer_match_key(name))
            hint = f" (write it {meant!r})" if meant else ""
            problems.append(
                f"{name!r} ({sheet}, row {row}) is not a {stage} reviewer{hint}: "
                f"screening.stages.{stage}.names lists {', '.join(names)}"
            )
    if problems:
        raise ScreeningError(
            "reviewers not in the config: "
            + "; ".join(problems)
            + ". Correct the reviewer column (or the app sheet's name), or add the name to the "
            "stage's names"
        )


def read_decisions_rowwise(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str = "reviewer",
) -> pl.DataFrame:
    """:func:`read_decisions` row by row: slow, but it names each problem's sheet and row."""
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    reasons_by_stage = {
        stage: {c["code"] for c in criteria if stage in c.get("stages", STAGES)} for stage in STAGES
    }
    aliases = {stage: reason_aliases(criteria, stage) for stage in STAGES}
    rank = reason_rank(criteria)
    problems = _Problems()
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], tuple[str, tuple[str, ...], str, int]] = {}
    independent: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for sheet in sheets:
        if sheet.stage not in STAGES:
            problems.add(sheet.name, 0, f"unknown stage {sheet.stage!r} (expected {STAGES})")
            continue
        cols = set(sheet.frame.columns)
        if not cols & {"study_id", "record_id"} or "decision" not in cols:
            problems.add(
                sheet.name,
                1,
                "header must have study_id or record_id, and decision; found "
                f"{sheet.frame.columns}",
            )
            continue
        for i, rec in enumerate(sheet.frame.iter_rows(named=True)):
            row_no = i + 1 + sheet.header_rows
            ref = _text(rec.get("study_id")) or _text(rec.get("record_id"))
            decision = (_text(rec.get("decision")) or "").lower().replace(" ", "_")
            reason_cell = _text(rec.get("reason"))
            reviewer = (
                CONSENSUS
                if sheet.consensus
                else _text(rec.get("reviewer")) or sheet.reviewer or default_reviewer
            )
            if reviewer == default_reviewer and sheet.reviewer and not sheet.consensus:
                reviewer = sheet.reviewer  # a worklist's placeholder: the sheet's reviewer
            if ref is None:
                if decision or reason_cell:
                    problems.add(sheet.name, row_no, "no study_id or record_id")
                continue
            study = ref if ref in study_ids else record_to_study.get(ref)
            if study is None:
                problems.add(sheet.name, row_no, f"unknown study or record ID {ref!r}")
                continue
            if not decision and not reason_cell:
                continue  # not decided yet
            if decision not in DECISIONS[sheet.stage]:
                problems.add(
                    sheet.name,
                    row_no,
                    f"decision {decision!r} is not one of {DECISIONS[sheet.stage]}",
                )
                continue
            codes = reasons_by_stage[sheet.stage]
            reasons = reasons_in(reason_cell, codes, aliases[sheet.stage])
            if decision in NEEDS_REASON and not reasons:
                problems.add(sheet.name, row_no, f"{decision} without a reason code")
                continue
            unknown = [r for r in reasons if r not in codes]
            if unknown:
                problems.add(sheet.name, row_no, _unknown_reasons(unknown, sheet.stage, criteria))
                continue
            key = (sheet.stage, reviewer, study)
            canonical = tuple(sorted(set(reasons)))
            if key in seen and seen[key][0] == "maybe" and decision != "maybe":
                # a reviewer's maybe is provisional: their later include or exclude replaces
                # it (a maybe after one is a contradiction, said below)
                rows = [r for r in rows if (r["stage"], r["reviewer"], r["study_id"]) != key]
                del seen[key]
                kept = independent.get((sheet.stage, study), [])
                independent[(sheet.stage, study)] = [k for k in kept if k[0] != reviewer]
            if key in seen:
                prev_decision, prev_reasons, prev_sheet, prev_row = seen[key]
                if (prev_decision, prev_reasons) != (decision, canonical):
                    problems.add(
                        sheet.name,
                        row_no,
                        f"{reviewer} decided {decision!r} for study {study} ({ref}) but "
                        f"{prev_decision!r} at {prev_sheet}, row {prev_row}",
                    )
                continue
            seen[key] = (decision, canonical, sheet.name, row_no)
            if reviewer != CONSENSUS:
                others = independent.setdefault((sheet.stage, study), [])
                others.append((reviewer, sheet.name, row_no))
                if len(others) > MAX_INDEPENDENT:
                    where = "; ".join(f"{r} at {s}, row {n}" for r, s, n in others[:-1])
                    problems.add(
                        sheet.name,
                        row_no,
                        f"study {study} ({ref}) already has {len(others) - 1} independent "
                        f"{sheet.stage} decisions ({where}); at most {MAX_INDEPENDENT} "
                        f"reviewers decide a study, a third opinion goes in a consensus sheet "
                        f"(listed with `consensus: true`, or reviewer 'consensus' in its rows)",
                    )
                    continue
            rows.append(
                {
                    "study_id": study,
                    "stage": sheet.stage,
                    "reviewer": reviewer,
                    "decision": decision,
                    "reason": best_reason(reasons, rank),
                    "date": _text(rec.get("date")),
                    "note": _text(rec.get("note")),
                    "sheet": sheet.name,
                    "row": row_no,
                    "referenced_as": ref,
                    "reasons": list(canonical),
                }
            )
    if problems.items:
        raise ScreeningError(
            f"{len(problems.items)} problem(s) in screening sheets:\n  "
            + "\n  ".join(problems.items)
        )
    frame = pl.DataFrame(rows, schema=schemas.DECISIONS.polars_schema)
    return schemas.validate(frame.sort("stage", "reviewer", "study_id"), schemas.DECISIONS)


# -- the same, column-wise ----------------------------------------------------------------------

# what Python's str.strip() strips (polars' default strips Unicode White_Space, which lacks a few):
# every character whose str.isspace() is true (written out: computing it scans 1.1M code points at
# import; tests/unit/test_screen_read_vectorised.py checks the list against the computed one)
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# a run of characters between REASON_SEPARATORS ("[;|,]")
_REASON_PART = "[^" + REASON_SEPARATORS.pattern.removeprefix("[")[:-1] + "]+"
_SHEET_COLUMNS = ("study_id", "record_id", "decision", "reason", "reviewer", "date", "note")


def _text_column(frame: pl.DataFrame, name: str) -> pl.Series:
    """:func:`_text` of every cell of column ``name`` (all nulls when the sheet lacks it)."""
    if name not in frame.columns:
        return pl.Series(name, [None] * frame.height, dtype=pl.String)
    column = frame[name]
    if column.dtype != pl.String:  # sheets are read as text; other frames as str() would
        column = pl.Series(
            name, [None if v is None else str(v) for v in column.to_list()], dtype=pl.String
        )
    stripped = column.str.strip_chars(_WHITESPACE)
    return stripped.set(stripped == "", None)


def _sheet_rows(sheet: Sheet, number: int, default_reviewer: str) -> pl.DataFrame:
    """One sheet's rows as text, with where they came from (``order``: sheet, then row)."""
    frame = sheet.frame
    text = pl.DataFrame([_text_column(frame, name) for name in _SHEET_COLUMNS])
    reviewer = (
        pl.lit(CONSENSUS)
        if sheet.consensus
        else pl.col("reviewer").fill_null(sheet.reviewer or default_reviewer)
    )
    if sheet.reviewer and not sheet.consensus:
        # the placeholder a worklist for an unnamed reviewer carries gives way to the reviewer
        # the sheet is listed under (`reviewer: AB` in config)
        reviewer = pl.when(reviewer == default_reviewer).then(pl.lit(sheet.reviewer))
        reviewer = reviewer.otherwise(pl.col("reviewer").fill_null(sheet.reviewer))
    return text.with_row_index("index").select(
        pl.lit(number, dtype=pl.UInt32).alias("sheet_no"),
        pl.col("index").cast(pl.UInt32),
        pl.coalesce("study_id", "record_id").alias("ref"),
        pl.col("decision").fill_null("").str.to_lowercase().str.replace_all(" ", "_", literal=True),
        pl.col("reason").alias("reason_cell"),
        reviewer.cast(pl.String).alias("reviewer"),
        "date",
        "note",
        pl.lit(sheet.name, dtype=pl.String).alias("sheet"),
        pl.lit(sheet.stage, dtype=pl.String).alias("stage"),
        (pl.col("index").cast(pl.Int64) + 1 + sheet.header_rows).alias("row"),
    )


def _read_vectorised(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str,
) -> pl.DataFrame | None:
    """The decisions table column by column, or None when any row has a problem (then the row
    by row reader names them)."""
    for sheet in sheets:
        cols = set(sheet.frame.columns)
        if sheet.stage not in STAGES or not cols & {"study_id", "record_id"}:
            return None
        if "decision" not in cols:
            return None
    schema = schemas.DECISIONS.polars_schema
    if not sheets:
        return pl.DataFrame(schema=schema)
    rows = pl.concat([_sheet_rows(s, n, default_reviewer) for n, s in enumerate(sheets)])
    decided = (pl.col("decision") != "") | pl.col("reason_cell").is_not_null()
    if rows.select((pl.col("ref").is_null() & decided).any()).item():
        return None  # decided rows without an ID
    rows = rows.filter(pl.col("ref").is_not_null())
    studies = clusters.select(pl.col("study_id").unique().alias("ref"), pl.lit(True).alias("own"))
    by_record = clusters.select(pl.col("record_id").alias("ref"), pl.col("study_id").alias("rec"))
    rows = (
        rows.join(studies, on="ref", how="left")
        .join(by_record, on="ref", how="left")
        .with_columns(
            pl.when(pl.col("own")).then(pl.col("ref")).otherwise(pl.col("rec")).alias("study_id")
        )
    )
    if rows["study_id"].null_count():
        return None  # unknown IDs (checked before "not decided yet", as row by row)
    allowed = pl.DataFrame(
        [(stage, d) for stage in STAGES for d in DECISIONS[stage]],
        schema={"stage": pl.String, "decision": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("allowed"))
    rows = rows.filter(decided).join(allowed, on=["stage", "decision"], how="left")
    if rows["allowed"].null_count():
        return None  # a decision the stage does not have
    rows = rows.with_columns(
        pl.col("reason_cell")
        .str.extract_all(_REASON_PART)
        .list.eval(pl.element().str.strip_chars(_WHITESPACE))
        .list.eval(pl.element().filter(pl.element() != ""))
        .fill_null([])
        .alias("given")
    )
    if rows.select(
        (pl.col("decision").is_in(sorted(NEEDS_REASON)) & (pl.col("given").list.len() == 0)).any()
    ).item():
        return None  # exclusions without a reason
    codes = pl.DataFrame(
        [
            (stage, c["code"])
            for c in criteria
            for stage in STAGES
            if stage in c.get("stages", STAGES) and isinstance(c["code"], str)
        ],
        schema={"stage": pl.String, "code": pl.String},
        orient="row",
    )
    given = rows.select("stage", pl.col("given").alias("code")).explode("code").drop_nulls()
    if given.join(codes, on=["stage", "code"], how="anti").height:
        return None  # codes that are not this stage's criteria
    # (list.sort is slow in polars 1.3x-2.x: ~1.4 s for 70k short lists; eval sorts fast)
    canonical = pl.element().sort().unique(maintain_order=True)
    rows = rows.with_columns(pl.col("given").list.eval(canonical).alias("reasons"))
    key = ["stage", "reviewer", "study_id"]
    rows = rows.sort("sheet_no", "index")
    # a reviewer's maybe is provisional: their later include or exclude of the study (in
    # sheet order, then row order) replaces it; a maybe after one is a contradiction (below)
    definite = pl.col("decision") != "maybe"
    at = pl.int_range(pl.len()).over(key)
    last_definite = pl.when(definite).then(at).max().over(key)
    rows = rows.filter(definite | last_definite.is_null() | (at > last_definite))
    conflicts = rows.select(pl.struct("decision", "reasons").n_unique().over(key).max()).item()
    if (conflicts or 0) > 1:
        return None  # one reviewer, two different decisions for a study
    rows = rows.unique(key, keep="first", maintain_order=True)
    independent = rows.filter(pl.col("reviewer") != CONSENSUS).group_by("stage", "study_id").len()
    if independent.height and independent["len"].max() > MAX_INDEPENDENT:  # type: ignore[operator]
        return None  # more independent reviewers than a study may have
    rank = pl.DataFrame(
        [(code, p, i) for code, (p, i) in reason_rank(criteria).items()],
        schema={"reason": pl.String, "priority": pl.Int64, "position": pl.Int64},
        orient="row",
    )
    best = (
        rows.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("n"), pl.col("reasons"))
        .explode("reasons")
        .drop_nulls("reasons")
        .rename({"reasons": "reason"})
        .join(rank, on="reason", how="left")
        .sort("n", "priority", "position", "reason", nulls_last=True)
        .unique("n", keep="first")
    )
    rows = rows.with_row_index("n").join(best.select("n", "reason"), on="n", how="left")
    return rows.select(
        pl.col("ref" if name == "referenced_as" else name).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ).sort("stage", "reviewer", "study_id")
