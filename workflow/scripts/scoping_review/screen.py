"""03_screen: decisions from reviewers' sheets, validated, applied to studies stage by stage.

Sheets may name a study by ``study_id`` or by any member ``record_id`` (the tool resolves it),
so a team can screen from a database's own export. Problems are collected, not raised one by
one: :class:`ScreeningError` lists every bad row with its sheet and row number.

A stage is screened by one reviewer or by two independent reviewers (config). With two, a
study is decided when both agree or a consensus row exists; otherwise it stays pending (the
run does not fail) and is listed as a conflict. Decisions are keyed by study, so a record that
joins an already-screened study in a later search inherits its decisions
(:func:`carry_over` flags it when it brings an abstract the screened records lacked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from . import agreement as agr
from . import schemas
from .ledger import Count, Emitter
from .normalize import strip_diacritics
from .wording import stage_name

STAGES = ("title_abstract", "full_text")
DECISIONS: dict[str, tuple[str, ...]] = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "not_retrieved"),
}
NEEDS_REASON = {"exclude", "not_retrieved"}
CONSENSUS = "consensus"
MAX_INDEPENDENT = 2
REASON_SEPARATORS = re.compile(r"[;|,]")
STAGE_COUNT_PREFIX = {"title_abstract": "records", "full_text": "dbr"}
PENDING_KINDS = ("not_screened", "awaiting_reviewer", "conflict", "maybe")
AUTOMATION_KINDS = (
    "year_before",
    "year_after",
    "language_not_in",
    "publication_type_in",
    "field_contains",
    "field_matches",
    "field_missing",
)
TEXT_FIELDS = ("title", "abstract", "journal", "publication_type", "language", "doi")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


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
    consensus: bool = False  # every row is a consensus decision (reviewer "consensus")


@dataclass(frozen=True)
class AutomationRule:
    rule_id: str
    kind: str  # one of AUTOMATION_KINDS
    values: tuple[str, ...]
    reason: str
    field: str | None = None  # for the field_* kinds

    @classmethod
    def from_config(cls, rule: Mapping[str, Any]) -> AutomationRule:
        return cls(
            str(rule["id"]),
            str(rule["kind"]),
            tuple(str(v) for v in rule.get("values") or ()),
            str(rule["reason"]),
            rule.get("field"),
        )


@dataclass(frozen=True)
class StageSettings:
    """How one stage is screened: independent reviewers needed, and who screens it."""

    reviewers: int = 1
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    stages: dict[str, StageSettings]
    rules: tuple[AutomationRule, ...] = ()

    @classmethod
    def from_config(cls, screening: Mapping[str, Any]) -> Settings:
        default = int(screening.get("reviewers_per_stage", 1))
        per_stage = screening.get("stages") or {}
        stages = {}
        for stage in STAGES:
            cfg = per_stage.get(stage) or {}
            stages[stage] = StageSettings(
                reviewers=int(cfg.get("reviewers", default)),
                names=tuple(str(n) for n in cfg.get("names") or ()),
            )
        rules = tuple(AutomationRule.from_config(r) for r in screening.get("automation") or ())
        return cls(stages=stages, rules=rules)

    def needed(self) -> dict[str, int]:
        return {stage: s.reviewers for stage, s in self.stages.items()}


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


def slug(text: str) -> str:
    """A reviewer name or rule as it appears inside a count id (``worklist.<stage>.<slug>``)."""
    return re.sub(r"[^a-z0-9]+", "_", strip_diacritics(text).lower()).strip("_") or "_"


def reason_rank(criteria: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Sort key per reason code: ``priority`` (default: 1-based position), then position.

    When several reasons apply to one study (several codes in one cell, or two reviewers who
    both exclude for different reasons), the reason with the smallest key is reported.
    """
    return {str(c["code"]): (int(c.get("priority", i + 1)), i) for i, c in enumerate(criteria)}


def best_reason(reasons: Iterable[str | None], rank: Mapping[str, tuple[int, int]]) -> str | None:
    known = sorted({r for r in reasons if r}, key=lambda r: (rank.get(r, (1 << 30, 1 << 30)), r))
    return known[0] if known else None


def split_reasons(cell: str | None) -> list[str]:
    """Reason codes in one cell: one code, or several separated by ``;``, ``|`` or ``,``."""
    if cell is None:
        return []
    return [part.strip() for part in REASON_SEPARATORS.split(cell) if part.strip()]


# -- decision sheets -------------------------------------------------------------------------


def read_decisions(
    sheets: Sequence[Sheet],
    clusters: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    default_reviewer: str = "reviewer",
) -> pl.DataFrame:
    """Validated decisions (one row per study, stage and reviewer).

    Rows with neither a decision nor a reason are skipped (a worklist row not yet filled in).
    """
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    reasons_by_stage = {
        stage: {c["code"] for c in criteria if stage in c.get("stages", STAGES)} for stage in STAGES
    }
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
                f"header must have study_id or record_id, and decision; found {sorted(cols)}",
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
            reasons = split_reasons(reason_cell)
            if decision in NEEDS_REASON and not reasons:
                problems.add(sheet.name, row_no, f"{decision} without a reason code")
                continue
            unknown = [r for r in reasons if r not in reasons_by_stage[sheet.stage]]
            if unknown:
                problems.add(
                    sheet.name,
                    row_no,
                    f"reason {', '.join(repr(r) for r in unknown)} is not a {sheet.stage} "
                    f"criterion code ({sorted(reasons_by_stage[sheet.stage])})",
                )
                continue
            key = (sheet.stage, reviewer, study)
            canonical = tuple(sorted(set(reasons)))
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
                        f"reviewers decide a study, a third opinion goes in a consensus sheet",
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


# -- automation ------------------------------------------------------------------------------


def _rule_condition(rule: AutomationRule, studies: pl.DataFrame) -> pl.Expr:
    if rule.kind in ("year_before", "year_after"):
        if len(rule.values) != 1 or not rule.values[0].lstrip("-").isdigit():
            raise ValueError(f"automation rule {rule.rule_id!r}: {rule.kind} needs one year")
        year = int(rule.values[0])
        return pl.col("year") < year if rule.kind == "year_before" else pl.col("year") > year
    if rule.kind == "language_not_in":
        wanted = [v.lower() for v in rule.values]
        lang = pl.col("language").str.to_lowercase()
        return lang.is_not_null() & ~lang.is_in(wanted)
    if rule.kind == "publication_type_in":
        wanted = [v.lower() for v in rule.values]
        return pl.col("publication_type").str.to_lowercase().is_in(wanted)
    if rule.kind in ("field_contains", "field_matches", "field_missing"):
        if rule.field not in TEXT_FIELDS or rule.field not in studies.columns:
            raise ValueError(
                f"automation rule {rule.rule_id!r}: {rule.kind} needs `field`, one of "
                f"{TEXT_FIELDS} (got {rule.field!r})"
            )
        col = pl.col(rule.field)
        if rule.kind == "field_missing":
            return col.is_null() | (col.str.strip_chars() == "")
        if not rule.values:
            raise ValueError(f"automation rule {rule.rule_id!r}: {rule.kind} needs values")
        if rule.kind == "field_contains":
            pattern = "(?i)(" + "|".join(re.escape(v) for v in rule.values) + ")"
        else:
            for v in rule.values:
                try:
                    re.compile(v)
                except re.error as err:
                    raise ValueError(
                        f"automation rule {rule.rule_id!r}: bad pattern {v!r}: {err}"
                    ) from err
            pattern = "(" + ")|(".join(rule.values) + ")"
        return col.str.contains(pattern)
    raise ValueError(
        f"automation rule {rule.rule_id!r}: unknown kind {rule.kind!r} (one of {AUTOMATION_KINDS})"
    )


def automatic_exclusions(studies: pl.DataFrame, rules: Sequence[AutomationRule]) -> pl.DataFrame:
    """study_id, rule_id, reason, rule_ids for each study an automation rule excludes.

    The first matching rule (config order) is the one the study is counted under
    (``excluded_automatic.<rule>``); ``rule_ids`` lists every rule that matched it.
    """
    ids = [r.rule_id for r in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"automation rule ids must be unique, got {ids}")
    hits: list[pl.DataFrame] = []
    for order, rule in enumerate(rules):
        cond = _rule_condition(rule, studies)
        hits.append(
            studies.filter(cond.fill_null(False)).select(
                "study_id",
                pl.lit(order).alias("_order"),
                pl.lit(rule.rule_id).alias("rule_id"),
                pl.lit(rule.reason).alias("reason"),
            )
        )
    empty = pl.DataFrame(
        schema={
            "study_id": pl.String,
            "rule_id": pl.String,
            "reason": pl.String,
            "rule_ids": pl.List(pl.String),
        }
    )
    if not hits:
        return empty
    every = pl.concat(hits).sort("study_id", "_order")
    return (
        every.group_by("study_id", maintain_order=True)
        .agg(
            pl.col("rule_id").first(),
            pl.col("reason").first(),
            pl.col("rule_id").alias("rule_ids"),
        )
        .sort("study_id")
        .select(empty.columns)
    )


def automation_hits(automatic: pl.DataFrame) -> dict[str, list[str]]:
    """rule_id → every study the rule matched (a study may match several rules)."""
    hits: dict[str, list[str]] = {}
    if "rule_ids" not in automatic.columns:
        for study, rule in automatic.select("study_id", "rule_id").rows():
            hits.setdefault(rule, []).append(study)
        return hits
    for study, rules in automatic.select("study_id", "rule_ids").rows():
        for rule in rules:
            hits.setdefault(rule, []).append(study)
    return hits


# -- stage outcomes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    decision: str  # include / exclude / not_retrieved / pending
    reason: str | None
    pending_kind: str | None
    pending_reason: str | None


def _decide(
    rows: Sequence[Mapping[str, Any]], needed: int, rank: Mapping[str, tuple[int, int]]
) -> _Outcome:
    consensus = [r for r in rows if r["reviewer"] == CONSENSUS]
    if consensus:
        c = consensus[0]
        if c["decision"] == "maybe":
            return _Outcome("pending", None, "maybe", "consensus decision is maybe")
        return _Outcome(str(c["decision"]), c["reason"], None, None)
    own = sorted(rows, key=lambda r: str(r["reviewer"]))
    kinds = {r["decision"] for r in own}
    if not own:
        return _Outcome("pending", None, "not_screened", "not yet screened")
    if len(kinds) > 1:
        said = ", ".join(f"{r['reviewer']}: {r['decision']}" for r in own)
        return _Outcome("pending", None, "conflict", f"conflict ({said}); awaiting consensus")
    if len(own) < needed:
        who = ", ".join(str(r["reviewer"]) for r in own)
        return _Outcome(
            "pending",
            None,
            "awaiting_reviewer",
            f"decided by {who}; awaiting {needed - len(own)} more independent reviewer(s)",
        )
    decision = str(own[0]["decision"])
    if decision == "maybe":
        who = ", ".join(str(r["reviewer"]) for r in own)
        return _Outcome("pending", None, "maybe", f"maybe ({who})")
    reasons = [x for r in own for x in (r.get("reasons") or [r["reason"]])]
    return _Outcome(decision, best_reason(reasons, rank), None, None)


def stage_outcomes(
    decisions: pl.DataFrame,
    stage: str,
    reviewers_needed: int,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> dict[str, _Outcome]:
    """study_id → outcome of one stage for every study with a decision at that stage."""
    rank = reason_rank(criteria)
    by_study: dict[str, list[dict[str, Any]]] = {}
    # only the columns _decide reads: fewer per-row dicts to build on large reviews
    used = [c for c in ("study_id", "reviewer", "decision", "reason", "reasons") if c in decisions]
    stage_rows = decisions.filter(pl.col("stage") == stage).select(used)
    for rec in stage_rows.iter_rows(named=True):
        by_study.setdefault(str(rec["study_id"]), []).append(rec)
    return {s: _decide(rows, reviewers_needed, rank) for s, rows in sorted(by_study.items())}


def _needed(reviewers_per_stage: int | Mapping[str, int], stage: str) -> int:
    if isinstance(reviewers_per_stage, int):
        return reviewers_per_stage
    return int(reviewers_per_stage.get(stage, 1))


def screening_status(
    studies: pl.DataFrame,
    decisions: pl.DataFrame,
    automatic: pl.DataFrame,
    reviewers_per_stage: int | Mapping[str, int] = 1,
    criteria: Sequence[Mapping[str, Any]] = (),
) -> pl.DataFrame:
    """One row per study with its outcome at each stage, its final status and, when pending,
    why (not screened, awaiting a reviewer, a conflict awaiting consensus, or maybe)."""
    auto = dict(zip(automatic["study_id"], automatic["reason"], strict=True))
    ta = stage_outcomes(
        decisions, "title_abstract", _needed(reviewers_per_stage, "title_abstract"), criteria
    )
    ft = stage_outcomes(decisions, "full_text", _needed(reviewers_per_stage, "full_text"), criteria)
    unscreened = _Outcome("pending", None, "not_screened", "not yet screened")
    rows: list[dict[str, object]] = []
    for study in sorted(studies["study_id"].to_list()):
        row: dict[str, object] = {c: None for c in schemas.STATUS.columns}
        row["study_id"] = study
        if study in auto:
            row.update(final="excluded_automatic", final_reason=auto[study], pending=False)
            rows.append(row)
            continue
        t = ta.get(study, unscreened)
        row.update(title_abstract=t.decision, title_abstract_reason=t.reason)
        final, final_reason, pending = t.decision, t.reason, t
        if t.decision == "exclude":
            final = "excluded_title_abstract"
        elif t.decision == "include":
            f = ft.get(study, unscreened)
            row.update(full_text=f.decision, full_text_reason=f.reason)
            final, final_reason, pending = f.decision, f.reason, f
            final = {"exclude": "excluded_full_text", "include": "included"}.get(final, final)
        row.update(
            final=final,
            final_reason=final_reason,
            pending=final == "pending",
            pending_kind=pending.pending_kind if final == "pending" else None,
            pending_reason=pending.pending_reason if final == "pending" else None,
        )
        rows.append(row)
    status = pl.DataFrame(rows, schema=schemas.STATUS.polars_schema)
    return schemas.validate(status, schemas.STATUS)


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


# -- dual screening: pairs, agreement, conflicts ---------------------------------------------


def independent_pairs(decisions: pl.DataFrame, stage: str) -> pl.DataFrame:
    """Studies decided by two independent reviewers at ``stage``: reviewer a sorts first."""
    own = decisions.filter((pl.col("stage") == stage) & (pl.col("reviewer") != CONSENSUS))
    cols = ("reviewer", "decision", "reason", "note")
    grouped = (
        own.sort("study_id", "reviewer")
        .group_by("study_id", maintain_order=True)
        .agg(*(pl.col(c) for c in cols))
        .filter(pl.col("reviewer").list.len() == 2)
    )
    return grouped.select(
        "study_id",
        *(pl.col(c).list.get(0).alias(f"{c}_a") for c in cols),
        *(pl.col(c).list.get(1).alias(f"{c}_b") for c in cols),
    ).sort("study_id")


def agreement_table(decisions: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """One row per stage: percent agreement, Cohen's kappa and Gwet's AC1 on the decisions of
    studies that two independent reviewers both decided (``n_compared``)."""
    rows = []
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage)
        stats = agr.agreement(list(pairs.select("decision_a", "decision_b").iter_rows()))
        reviewers = sorted(set(pairs["reviewer_a"].to_list()) | set(pairs["reviewer_b"]))
        rows.append(
            {
                "stage": stage,
                "reviewers_configured": settings.stages[stage].reviewers,
                "reviewers": reviewers,
                "n_compared": stats.n_compared,
                "n_agreed": stats.n_agreed,
                "n_disagreed": stats.n_compared - stats.n_agreed,
                "categories": list(stats.categories),
                "percent_agreement": agr.as_float(
                    None if stats.percent is None else stats.percent * 100
                ),
                "kappa": agr.as_float(stats.kappa),
                "ac1": agr.as_float(stats.ac1),
            }
        )
    frame = pl.DataFrame(rows, schema=schemas.AGREEMENT.polars_schema)
    return schemas.validate(frame, schemas.AGREEMENT)


def conflicts_table(decisions: pl.DataFrame) -> pl.DataFrame:
    """Studies whose two independent reviewers disagree, with the consensus if one exists."""
    parts = []
    consensus = decisions.filter(pl.col("reviewer") == CONSENSUS).select(
        "study_id",
        "stage",
        pl.col("decision").alias("consensus_decision"),
        pl.col("reason").alias("consensus_reason"),
    )
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage).filter(
            pl.col("decision_a") != pl.col("decision_b")
        )
        parts.append(pairs.with_columns(pl.lit(stage).alias("stage")))
    frame = pl.concat(parts) if parts else pl.DataFrame()
    frame = frame.join(consensus, on=["study_id", "stage"], how="left").with_columns(
        (
            pl.col("consensus_decision").is_not_null() & (pl.col("consensus_decision") != "maybe")
        ).alias("resolved")
    )
    return schemas.validate(
        frame.select(list(schemas.CONFLICTS.columns)).sort("stage", "study_id"),
        schemas.CONFLICTS,
    )


# -- carry-over ------------------------------------------------------------------------------


def carry_over(
    clusters: pl.DataFrame,
    records: pl.DataFrame,
    decisions: pl.DataFrame,
    rounds: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Records that joined a study after it was screened and so inherit its decisions.

    Counted by membership, not by dates: a stage's decisions on a study were made in the
    round of the record the sheet names (named by ``study_id``: the study's first round); a
    member record of a later round joined the study after that and inherits the decisions,
    whatever the decision and search dates say (screening of round 1 often ends after the
    round-2 search was run). ``rounds`` maps a record's ``source_id`` (its search) to the
    search's round; without it a later search date is a later round. Within one round, a
    record searched after the earliest decision (``screened_on``: the earliest decision date,
    else the named record's search date) also joined later. ``adds_abstract`` flags a record
    for a second look when it has an abstract and none of the screened records had one.
    """
    if rounds is not None:
        round_expr = pl.col("source_id").replace_strict(
            dict(rounds), default=1, return_dtype=pl.Int64
        )
    else:
        round_expr = pl.col("search_date").rank("dense").cast(pl.Int64)
    members = clusters.select("record_id", "study_id").join(
        records.select(
            "record_id",
            "search_date",
            round_expr.alias("_round"),
            (pl.col("abstract").str.strip_chars().str.len_chars() > 0)
            .fill_null(False)
            .alias("_has_abstract"),
        ),
        on="record_id",
        how="left",
    )
    first = members.group_by("study_id").agg(
        pl.col("search_date").min().alias("_first"), pl.col("_round").min().alias("_first_round")
    )
    ref = members.select(
        pl.col("record_id").alias("referenced_as"),
        pl.col("search_date").alias("_ref"),
        pl.col("_round").alias("_ref_round"),
    )
    cut = (
        decisions.join(ref, on="referenced_as", how="left")
        .join(first, on="study_id", how="left")
        .with_columns(
            pl.when(pl.col("date").fill_null("").str.contains(_ISO_DATE.pattern))
            .then(pl.col("date").str.slice(0, 10))
            .otherwise(pl.coalesce("_ref", "_first"))
            .alias("_cut"),
            pl.coalesce("_ref_round", "_first_round").alias("_decided_round"),
        )
        .group_by("study_id", "stage")
        .agg(
            pl.col("_cut").min().alias("screened_on"),
            pl.col("_decided_round").min().alias("_decided_round"),
        )
    )
    joined = cut.join(members, on="study_id", how="inner")
    later_round = pl.col("_round") > pl.col("_decided_round")
    same_round_later = (pl.col("_round") == pl.col("_decided_round")) & (
        pl.col("search_date") > pl.col("screened_on")
    )
    joined = joined.with_columns((later_round | same_round_later).fill_null(False).alias("_late"))
    earlier_abstract = (
        joined.filter(~pl.col("_late"))
        .group_by("study_id", "stage")
        .agg(pl.col("_has_abstract").any().alias("_had_abstract"))
    )
    later = (
        joined.filter(pl.col("_late"))
        .join(earlier_abstract, on=["study_id", "stage"], how="left")
        .with_columns(
            (pl.col("_has_abstract") & ~pl.col("_had_abstract").fill_null(False)).alias(
                "adds_abstract"
            )
        )
    )
    return schemas.validate(
        later.select(list(schemas.CARRYOVER.columns)).sort("stage", "study_id", "record_id"),
        schemas.CARRYOVER,
    )


# -- ledger ----------------------------------------------------------------------------------


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

    # done, not waiting: a pending study is counted as pending, never as screened or assessed
    screened = pl.col("title_abstract").is_in(["include", "exclude"])
    ta_excl = pl.col("title_abstract") == "exclude"
    sought = pl.col("title_abstract") == "include"
    not_retrieved = pl.col("full_text") == "not_retrieved"
    assessed = sought & pl.col("full_text").is_in(["include", "exclude"])
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
            "Records screened by title and abstract",
            "record_id",
        ),
        c(
            "records_excluded",
            ids(ta_excl, "record_id"),
            "records",
            "Records excluded at title and abstract",
            "record_id",
        ),
        c(
            "records_pending",
            ids(pl.col("title_abstract") == "pending", "record_id"),
            "records",
            "Records awaiting title and abstract screening",
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
                f"Excluded at title and abstract: {labels.get(code, code)}",
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
    # why work is pending, per stage (title/abstract in records, full text in reports)
    for stage, col, kind, unit in (
        ("title_abstract", "record_id", "record_id", "records"),
        ("full_text", "study_id", "study_id", "reports"),
    ):
        for pk in PENDING_KINDS:
            cond = (pl.col(stage) == "pending") & (pl.col("pending_kind") == pk)
            if pk == "maybe" and stage == "full_text":
                continue
            counts.append(
                c(
                    f"pending.{stage}.{pk}",
                    ids(cond, col),
                    unit,
                    f"Awaiting {stage_name(stage)} screening: {pk.replace('_', ' ')}",
                    kind,
                )
            )
    return counts


def dual_counts(conflicts: pl.DataFrame, decisions: pl.DataFrame) -> list[Count]:
    """Agreement counts and measures per stage (statistics stored in thousandths)."""
    emit = Emitter("03_screen", "screen")
    counts: list[Count] = []
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage)
        same = pairs.filter(pl.col("decision_a") == pl.col("decision_b"))
        where = f"at {stage_name(stage)}"
        counts.append(
            emit.count(
                f"agreement.{stage}.compared",
                pairs["study_id"].to_list(),
                unit="studies",
                label=f"Studies decided by two independent reviewers {where}",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"agreement.{stage}.agreed",
                same["study_id"].to_list(),
                unit="studies",
                label=f"Studies on which both reviewers made the same decision {where}",
                id_kind="study_id",
            )
        )
        mine = conflicts.filter(pl.col("stage") == stage)
        counts.append(
            emit.count(
                f"conflicts.{stage}",
                mine["study_id"].to_list(),
                unit="studies",
                label=f"Conflicts between reviewers {where}",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"conflicts.{stage}.unresolved",
                mine.filter(~pl.col("resolved"))["study_id"].to_list(),
                unit="studies",
                label=f"Conflicts {where} awaiting a consensus decision",
                id_kind="study_id",
            )
        )
        stats = agr.agreement(list(pairs.select("decision_a", "decision_b").iter_rows()))
        for stat, name in (
            ("percent", "Percent agreement"),
            ("kappa", "Cohen's kappa"),
            ("ac1", "Gwet's AC1"),
        ):
            value = agr.thousandths(getattr(stats, stat))
            if value is None:
                continue
            counts.append(
                emit.measure(
                    f"agreement.{stage}.{stat}",
                    value,
                    unit="thousandths",
                    label=f"{name} {where}, in thousandths (see agreement.{stage}.compared)",
                )
            )
    return counts


def carry_over_counts(carried: pl.DataFrame) -> list[Count]:
    emit = Emitter("03_screen", "screen")
    return [
        emit.count(
            "screen.carried_over",
            carried["record_id"].to_list(),
            unit="records",
            label="Records that joined an already-screened study and inherit its decisions",
            id_kind="record_id",
        ),
        emit.count(
            "screen.recheck_abstract",
            carried.filter(pl.col("adds_abstract"))["record_id"].to_list(),
            unit="records",
            label="Inherited decisions to look at again: the new record adds an abstract",
            id_kind="record_id",
        ),
    ]


def automation_counts(automatic: pl.DataFrame, studies: pl.DataFrame) -> list[Count]:
    """Every rule's hits (a study matched by two rules is a hit of both)."""
    emit = Emitter("03_screen", "screen")
    rep = dict(zip(studies["study_id"], studies["representative_record_id"], strict=True))
    return [
        emit.count(
            f"automation.{rule}.hits",
            [rep[s] for s in hit],
            unit="records",
            label=f"Records matched by automation rule {rule}",
            id_kind="record_id",
        )
        for rule, hit in sorted(automation_hits(automatic).items())
    ]
