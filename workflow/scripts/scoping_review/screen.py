"""03_screen: decisions from reviewers' sheets, validated, applied to studies stage by stage.

Sheets may name a study by ``study_id`` or by any member ``record_id`` (the tool resolves it),
so a team can screen from a database's own export. Problems are collected, not raised one by
one: :class:`ScreeningError` lists every bad row with its sheet and row number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from . import schemas
from .ledger import Count, Emitter

STAGES = ("title_abstract", "full_text")
DECISIONS: dict[str, tuple[str, ...]] = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "not_retrieved"),
}
NEEDS_REASON = {"exclude", "not_retrieved"}


class ScreeningError(ValueError):
    """Decision sheets that cannot be applied; the message lists every problem found."""


@dataclass(frozen=True)
class Sheet:
    """A decision sheet as read by the adapter: its name (path) and rows as strings."""

    name: str
    stage: str
    frame: pl.DataFrame  # columns: study_id or record_id, decision, reason, reviewer, date, note
    reviewer: str | None = None  # for sheets without a reviewer column
    header_rows: int = 1


@dataclass(frozen=True)
class AutomationRule:
    rule_id: str
    kind: str  # year_before | year_after | language_not_in | publication_type_in
    values: tuple[str, ...]
    reason: str


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


def read_decisions(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str = "reviewer",
) -> pl.DataFrame:
    """Validated decisions (one row per study, stage and reviewer)."""
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    reasons_by_stage = {
        stage: {c["code"] for c in criteria if stage in c.get("stages", STAGES)} for stage in STAGES
    }
    problems = _Problems()
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], tuple[str, str | None, str, int]] = {}
    for sheet in sheets:
        if sheet.stage not in STAGES:
            problems.add(sheet.name, 0, f"unknown stage {sheet.stage!r} (expected {STAGES})")
            continue
        cols = set(sheet.frame.columns)
        if not cols & {"study_id", "record_id"} or "decision" not in cols:
            problems.add(
                sheet.name,
                1,
                f"header must have study_id or record_id, and decision; found {sorted(cols)}",
            )
            continue
        for i, rec in enumerate(sheet.frame.iter_rows(named=True)):
            row_no = i + 1 + sheet.header_rows
            ref = _text(rec.get("study_id")) or _text(rec.get("record_id"))
            decision = (_text(rec.get("decision")) or "").lower().replace(" ", "_")
            reason = _text(rec.get("reason"))
            reviewer = _text(rec.get("reviewer")) or sheet.reviewer or default_reviewer
            if ref is None:
                if decision or reason:
                    problems.add(sheet.name, row_no, "no study_id or record_id")
                continue
            study = ref if ref in study_ids else record_to_study.get(ref)
            if study is None:
                problems.add(sheet.name, row_no, f"unknown study or record ID {ref!r}")
                continue
            if decision not in DECISIONS[sheet.stage]:
                problems.add(
                    sheet.name,
                    row_no,
                    f"decision {decision!r} is not one of {DECISIONS[sheet.stage]}",
                )
                continue
            if decision in NEEDS_REASON and reason is None:
                problems.add(sheet.name, row_no, f"{decision} without a reason code")
                continue
            if reason is not None and reason not in reasons_by_stage[sheet.stage]:
                problems.add(
                    sheet.name,
                    row_no,
                    f"reason {reason!r} is not a {sheet.stage} criterion code "
                    f"({sorted(reasons_by_stage[sheet.stage])})",
                )
                continue
            key = (sheet.stage, reviewer, study)
            if key in seen:
                prev_decision, prev_reason, prev_sheet, prev_row = seen[key]
                if (prev_decision, prev_reason) != (decision, reason):
                    problems.add(
                        sheet.name,
                        row_no,
                        f"{reviewer} decided {decision!r} for study {study} ({ref}) but "
                        f"{prev_decision!r} at {prev_sheet}, row {prev_row}",
                    )
                continue
            seen[key] = (decision, reason, sheet.name, row_no)
            rows.append(
                {
                    "study_id": study,
                    "stage": sheet.stage,
                    "reviewer": reviewer,
                    "decision": decision,
                    "reason": reason,
                    "date": _text(rec.get("date")),
                    "note": _text(rec.get("note")),
                    "sheet": sheet.name,
                    "row": row_no,
                    "referenced_as": ref,
                }
            )
    if problems.items:
        raise ScreeningError(
            f"{len(problems.items)} problem(s) in screening sheets:\n  "
            + "\n  ".join(problems.items)
        )
    frame = pl.DataFrame(rows, schema=schemas.DECISIONS.polars_schema)
    return schemas.validate(frame.sort("stage", "reviewer", "study_id"), schemas.DECISIONS)


def automatic_exclusions(studies: pl.DataFrame, rules: Sequence[AutomationRule]) -> pl.DataFrame:
    """study_id, rule_id, reason for each study an automation rule excludes (first rule wins)."""
    hits: list[pl.DataFrame] = []
    for rule in rules:
        if rule.kind == "year_before":
            cond = pl.col("year") < int(rule.values[0])
        elif rule.kind == "year_after":
            cond = pl.col("year") > int(rule.values[0])
        elif rule.kind == "language_not_in":
            cond = pl.col("language").is_not_null() & ~pl.col("language").is_in(list(rule.values))
        elif rule.kind == "publication_type_in":
            cond = pl.col("publication_type").is_in(list(rule.values))
        else:
            raise ValueError(f"automation rule {rule.rule_id!r}: unknown kind {rule.kind!r}")
        hits.append(
            studies.filter(cond.fill_null(False)).select(
                "study_id",
                pl.lit(rule.rule_id).alias("rule_id"),
                pl.lit(rule.reason).alias("reason"),
            )
        )
    if not hits:
        return pl.DataFrame(
            schema={"study_id": pl.String, "rule_id": pl.String, "reason": pl.String}
        )
    return pl.concat(hits).unique("study_id", keep="first", maintain_order=True).sort("study_id")


def _stage_outcome(decisions: pl.DataFrame, stage: str, reviewers_needed: int) -> pl.DataFrame:
    """study_id, outcome, reason for one stage; disagreement or missing reviewers → pending."""
    consensus = decisions.filter(pl.col("stage") == stage)
    return (
        consensus.group_by("study_id")
        .agg(
            pl.col("decision").n_unique().alias("_kinds"),
            pl.len().alias("_n"),
            pl.col("decision").first().alias("_decision"),
            pl.col("reason").sort().first().alias("_reason"),
            (pl.col("reviewer") == "consensus").any().alias("_consensus"),
            pl.col("decision").filter(pl.col("reviewer") == "consensus").first().alias("_cd"),
            pl.col("reason").filter(pl.col("reviewer") == "consensus").first().alias("_cr"),
        )
        .select(
            "study_id",
            pl.when(pl.col("_consensus"))
            .then(pl.col("_cd"))
            .when((pl.col("_kinds") == 1) & (pl.col("_n") >= reviewers_needed))
            .then(pl.col("_decision"))
            .otherwise(pl.lit("pending"))
            .alias("outcome"),
            pl.when(pl.col("_consensus"))
            .then(pl.col("_cr"))
            .when(pl.col("_kinds") == 1)
            .then(pl.col("_reason"))
            .otherwise(None)
            .alias("reason"),
        )
    )


def screening_status(
    studies: pl.DataFrame,
    decisions: pl.DataFrame,
    automatic: pl.DataFrame,
    reviewers_per_stage: int = 1,
) -> pl.DataFrame:
    """One row per study with its outcome at each stage and its final status."""
    auto = automatic.select("study_id", pl.col("reason").alias("auto_reason"))
    ta = _stage_outcome(decisions, "title_abstract", reviewers_per_stage).rename(
        {"outcome": "title_abstract", "reason": "title_abstract_reason"}
    )
    ft = _stage_outcome(decisions, "full_text", reviewers_per_stage).rename(
        {"outcome": "full_text", "reason": "full_text_reason"}
    )
    base = studies.select("study_id").join(auto, on="study_id", how="left")
    status = base.join(ta, on="study_id", how="left").join(ft, on="study_id", how="left")
    screened = pl.col("auto_reason").is_null()
    ta_col = (
        pl.when(~screened)
        .then(None)
        .when(pl.col("title_abstract").is_null() | (pl.col("title_abstract") == "maybe"))
        .then(pl.lit("pending"))
        .otherwise(pl.col("title_abstract"))
    )
    status = status.with_columns(ta_col.alias("title_abstract"))
    ft_col = (
        pl.when(pl.col("title_abstract") != "include")
        .then(None)
        .when(pl.col("full_text").is_null())
        .then(pl.lit("pending"))
        .otherwise(pl.col("full_text"))
    )
    status = status.with_columns(
        ft_col.alias("full_text"),
        pl.when(pl.col("title_abstract") == "include")
        .then(pl.col("full_text_reason"))
        .otherwise(None)
        .alias("full_text_reason"),
    )
    final = (
        pl.when(~screened)
        .then(pl.lit("excluded_automatic"))
        .when(pl.col("title_abstract") == "pending")
        .then(pl.lit("pending"))
        .when(pl.col("title_abstract") == "exclude")
        .then(pl.lit("excluded_title_abstract"))
        .when(pl.col("full_text") == "pending")
        .then(pl.lit("pending"))
        .when(pl.col("full_text") == "not_retrieved")
        .then(pl.lit("not_retrieved"))
        .when(pl.col("full_text") == "exclude")
        .then(pl.lit("excluded_full_text"))
        .otherwise(pl.lit("included"))
    )
    final_reason = (
        pl.when(~screened)
        .then(pl.col("auto_reason"))
        .when(pl.col("title_abstract") == "exclude")
        .then(pl.col("title_abstract_reason"))
        .when(pl.col("full_text").is_in(["exclude", "not_retrieved"]))
        .then(pl.col("full_text_reason"))
        .otherwise(None)
    )
    status = status.with_columns(final.alias("final"), final_reason.alias("final_reason"))
    status = status.with_columns((pl.col("final") == "pending").alias("pending")).select(
        list(schemas.STATUS.columns)
    )
    return schemas.validate(status.sort("study_id"), schemas.STATUS)


def check_full_text_scope(decisions: pl.DataFrame, status: pl.DataFrame) -> None:
    """Full-text decisions for studies that did not pass title/abstract are errors."""
    passed = status.filter(pl.col("title_abstract") == "include")["study_id"]
    stray = decisions.filter(
        (pl.col("stage") == "full_text") & ~pl.col("study_id").is_in(passed.to_list())
    )
    if stray.height:
        lines = [
            f"{s}, row {r}: full-text decision for {ref}, "
            "which did not pass title/abstract screening"
            for s, r, ref in stray.select("sheet", "row", "referenced_as").rows()
        ]
        raise ScreeningError("\n  ".join(["full-text decisions out of scope:", *lines]))


def screen_counts(
    status: pl.DataFrame,
    studies: pl.DataFrame,
    automatic: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    previous_study_ids: Sequence[str] = (),
) -> list[Count]:
    """PRISMA flow counts from the per-study status (records use representative record IDs)."""
    emit = Emitter("03_screen", "screen")
    rep = dict(zip(studies["study_id"], studies["representative_record_id"], strict=True))
    joined = status.with_columns(
        pl.col("study_id").replace_strict(rep, return_dtype=pl.String).alias("record_id")
    )

    def ids(cond: pl.Expr, col: str = "study_id") -> list[str]:
        return joined.filter(cond.fill_null(False))[col].to_list()

    def c(cid: str, values: list[str], unit: str, label: str, kind: str) -> Count:
        return emit.count(cid, values, unit=unit, label=label, id_kind=kind)

    screened = pl.col("title_abstract").is_not_null()
    ta_excl = pl.col("title_abstract") == "exclude"
    sought = pl.col("title_abstract") == "include"
    not_retrieved = pl.col("full_text") == "not_retrieved"
    assessed = sought & ~not_retrieved
    ft_excl = pl.col("full_text") == "exclude"
    included = pl.col("final") == "included"
    labels = {cr["code"]: cr["label"] for cr in criteria}
    included_ids = ids(included)
    counts = [
        c(
            "excluded_automatic",
            ids(pl.col("final") == "excluded_automatic", "record_id"),
            "records",
            "Records removed by automation rules",
            "record_id",
        ),
        c(
            "records_screened",
            ids(screened, "record_id"),
            "records",
            "Records screened",
            "record_id",
        ),
        c(
            "records_excluded",
            ids(ta_excl, "record_id"),
            "records",
            "Records excluded at title/abstract",
            "record_id",
        ),
        c(
            "records_pending",
            ids(pl.col("title_abstract") == "pending", "record_id"),
            "records",
            "Records awaiting title/abstract screening",
            "record_id",
        ),
        c("dbr_sought_reports", ids(sought), "reports", "Reports sought for retrieval", "study_id"),
        c(
            "dbr_notretrieved_reports",
            ids(not_retrieved),
            "reports",
            "Reports not retrieved",
            "study_id",
        ),
        c("dbr_assessed", ids(assessed), "reports", "Reports assessed for eligibility", "study_id"),
        c("dbr_excluded", ids(ft_excl), "reports", "Reports excluded at full text", "study_id"),
        c(
            "dbr_pending",
            ids(pl.col("full_text") == "pending"),
            "reports",
            "Reports awaiting full-text assessment",
            "study_id",
        ),
        c("new_reports", included_ids, "reports", "Reports of new included studies", "study_id"),
        c("new_studies", included_ids, "studies", "New studies included in review", "study_id"),
        c(
            "previous_studies",
            list(previous_study_ids),
            "studies",
            "Studies included in previous version of review",
            "study_id",
        ),
        c(
            "total_studies",
            [*included_ids, *previous_study_ids],
            "studies",
            "Total studies included in review",
            "study_id",
        ),
    ]
    for code in sorted({r for r in joined.filter(ta_excl)["title_abstract_reason"].to_list() if r}):
        counts.append(
            c(
                f"records_excluded.{code}",
                ids(ta_excl & (pl.col("title_abstract_reason") == code), "record_id"),
                "records",
                f"Excluded at title/abstract: {labels.get(code, code)}",
                "record_id",
            )
        )
    for prefix, cond in (("dbr_excluded", ft_excl), ("dbr_notretrieved_reports", not_retrieved)):
        for code in sorted({r for r in joined.filter(cond)["full_text_reason"].to_list() if r}):
            counts.append(
                c(
                    f"{prefix}.{code}",
                    ids(cond & (pl.col("full_text_reason") == code)),
                    "reports",
                    f"{labels.get(code, code)}",
                    "study_id",
                )
            )
    for rule_id in sorted(set(automatic["rule_id"].to_list())):
        auto_ids = automatic.filter(pl.col("rule_id") == rule_id)["study_id"].to_list()
        counts.append(
            c(
                f"excluded_automatic.{rule_id}",
                [rep[s] for s in auto_ids],
                "records",
                f"Removed by automation rule {rule_id}",
                "record_id",
            )
        )
    return counts
