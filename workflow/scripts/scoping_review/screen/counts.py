"""The screening stage's ledger counts: screened, excluded with reasons, pending, dual review,
carry-over, automation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from .. import agreement as agr
from ..ledger import Count, CountSpec, Emitter
from ..wording import stage_name
from .automation import automation_hits
from .dual import independent_pairs
from .settings import CONSENSUS, PENDING_KINDS, STAGES

# -- ledger ----------------------------------------------------------------------------------


def _where(cond: pl.Expr, col: str = "study_id") -> Callable[[pl.DataFrame], pl.Series]:
    """Selector: ``col`` of the status rows (with ``record_id``, the representative) where
    ``cond`` holds (null counts as false)."""
    return lambda joined: joined.filter(cond.fill_null(False))[col]


# done, not waiting: a pending study is counted as pending, never as screened or assessed
_SCREENED = pl.col("title_abstract").is_in(["include", "exclude"])
_TA_EXCLUDED = pl.col("title_abstract") == "exclude"
_SOUGHT = pl.col("title_abstract") == "include"
_NOT_RETRIEVED = pl.col("full_text") == "not_retrieved"
_FT_EXCLUDED = pl.col("full_text") == "exclude"
_INCLUDED = pl.col("final") == "included"
_REC, _STUDY = "record_id", "study_id"

# id, label, unit, id kind, selector (over the per-study status with representative record IDs)
FLOW_COUNTS = (
    CountSpec("excluded_automatic", "Records removed by automation rules", "records", _REC,
              _where(pl.col("final") == "excluded_automatic", _REC)),
    CountSpec("records_screened", "Records screened by title and abstract", "records", _REC,
              _where(_SCREENED, _REC)),
    CountSpec("records_excluded", "Records excluded at title and abstract", "records", _REC,
              _where(_TA_EXCLUDED, _REC)),
    CountSpec("records_pending", "Records awaiting title and abstract screening", "records", _REC,
              _where(pl.col("title_abstract") == "pending", _REC)),
    CountSpec("dbr_sought_reports", "Reports sought for retrieval", "reports", _STUDY,
              _where(_SOUGHT)),
    CountSpec("dbr_notretrieved_reports", "Reports not retrieved", "reports", _STUDY,
              _where(_NOT_RETRIEVED)),
    CountSpec("dbr_assessed", "Reports assessed for eligibility", "reports", _STUDY,
              _where(_SOUGHT & pl.col("full_text").is_in(["include", "exclude"]))),
    CountSpec("dbr_excluded", "Reports excluded at full text", "reports", _STUDY,
              _where(_FT_EXCLUDED)),
    CountSpec("dbr_pending", "Reports awaiting full-text assessment", "reports", _STUDY,
              _where(pl.col("full_text") == "pending")),
    CountSpec("new_reports", "Reports of new included studies", "reports", _STUDY,
              _where(_INCLUDED)),
    CountSpec("new_studies", "New studies included in review", "studies", _STUDY,
              _where(_INCLUDED)),
)  # fmt: skip
PREVIOUS_STUDIES = CountSpec(
    "previous_studies", "Studies included in previous version of review", "studies", _STUDY
)
TOTAL_STUDIES = CountSpec("total_studies", "Total studies included in review", "studies", _STUDY)
TA_REASON = CountSpec(
    "records_excluded.{code}", "Excluded at title and abstract: {label}", "records", _REC
)
FT_REASON = CountSpec("{prefix}.{code}", "{label}", "reports", _STUDY)
AUTOMATIC = CountSpec(
    "excluded_automatic.{rule}", "Removed by automation rule {rule}", "records", _REC
)


def representative_records(
    studies: pl.DataFrame, study_ids: Sequence[str] | pl.Series
) -> pl.Series:
    """Each study's representative record ID (the PRISMA flow counts records up to full text),
    looked up in polars (no dict of every study); a study the table lacks is an error."""
    return pl.Series(study_ids, dtype=pl.String).replace_strict(
        studies["study_id"], studies["representative_record_id"], return_dtype=pl.String
    )


def screen_counts(
    status: pl.DataFrame,
    studies: pl.DataFrame,
    automatic: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    previous_study_ids: Sequence[str] = (),
) -> list[Count]:
    """PRISMA flow counts from the per-study status (records use representative record IDs)."""
    emit = Emitter("03_screen", "screen")
    joined = status.with_columns(
        representative_records(studies, status["study_id"]).alias("record_id")
    )
    labels = {cr["code"]: cr["label"] for cr in criteria}
    included_ids = _where(_INCLUDED)(joined).to_list()
    counts = emit.table(FLOW_COUNTS, joined)
    counts.append(emit.of(PREVIOUS_STUDIES, previous_study_ids))
    # the studies included now: a study of the previous version excluded on re-assessment
    # (or merged into another) is not among them (``update.withdrawn_studies`` counts it)
    counts.append(emit.of(TOTAL_STUDIES, included_ids))
    for code in sorted({r for r in joined.filter(_TA_EXCLUDED)["title_abstract_reason"] if r}):
        ids = _where(_TA_EXCLUDED & (pl.col("title_abstract_reason") == code), _REC)(joined)
        counts.append(emit.of(TA_REASON, ids, code=code, label=labels.get(code, code)))
    for prefix, cond in (
        ("dbr_excluded", _FT_EXCLUDED),
        ("dbr_notretrieved_reports", _NOT_RETRIEVED),
    ):
        for code in sorted({r for r in joined.filter(cond)["full_text_reason"] if r}):
            ids = _where(cond & (pl.col("full_text_reason") == code))(joined)
            counts.append(
                emit.of(FT_REASON, ids, prefix=prefix, code=code, label=labels.get(code, code))
            )
    for rule_id in sorted(set(automatic["rule_id"].to_list())):
        auto_ids = automatic.filter(pl.col("rule_id") == rule_id)["study_id"]
        counts.append(emit.of(AUTOMATIC, representative_records(studies, auto_ids), rule=rule_id))
    # why work is pending, per stage (title/abstract in records, full text in reports)
    for stage, col, unit in (("title_abstract", _REC, "records"), ("full_text", _STUDY, "reports")):
        for pk in PENDING_KINDS:
            if pk == "maybe" and stage == "full_text":
                continue
            cond = (pl.col(stage) == "pending") & (pl.col("pending_kind") == pk)
            names = {"stage_name": stage_name(stage), "kind_name": pk.replace("_", " ")}
            spec = PENDING_UNIT[unit]
            counts.append(emit.of(spec, _where(cond, col)(joined), stage=stage, kind=pk, **names))
    return counts


PENDING_UNIT = {
    "records": CountSpec("pending.{stage}.{kind}", "Awaiting {stage_name} screening: {kind_name}",
                         "records", _REC),
    "reports": CountSpec("pending.{stage}.{kind}", "Awaiting {stage_name} screening: {kind_name}",
                         "reports", _STUDY),
}  # fmt: skip
# the dual-review counts per stage ({where}: "at title/abstract")
DUAL_COUNTS = (
    CountSpec("agreement.{stage}.compared",
              "Studies decided by two independent reviewers {where}", "studies", _STUDY),
    CountSpec("agreement.{stage}.agreed",
              "Studies on which both reviewers made the same decision {where}", "studies", _STUDY),
    CountSpec("conflicts.{stage}", "Conflicts between reviewers {where}", "studies", _STUDY),
    CountSpec("conflicts.{stage}.unresolved", "Conflicts {where} awaiting a consensus decision",
              "studies", _STUDY),
)  # fmt: skip
OVERRIDES = CountSpec(
    "consensus.{stage}.overrides_agreement",
    "Studies {where} whose consensus decision differs from the one both reviewers agreed on",
    "studies",
    _STUDY,
)
STATISTICS = (("percent", "Percent agreement"), ("kappa", "Cohen's kappa"), ("ac1", "Gwet's AC1"))


def dual_counts(conflicts: pl.DataFrame, decisions: pl.DataFrame) -> list[Count]:
    """Agreement counts and measures per stage (statistics stored in thousandths)."""
    emit = Emitter("03_screen", "screen")
    counts: list[Count] = []
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage)
        same = pairs.filter(pl.col("decision_a") == pl.col("decision_b"))
        where = f"at {stage_name(stage)}"
        mine = conflicts.filter(pl.col("stage") == stage)
        unresolved = mine.filter(~pl.col("resolved"))
        for spec, frame in zip(DUAL_COUNTS, (pairs, same, mine, unresolved), strict=True):
            counts.append(emit.of(spec, frame["study_id"], stage=stage, where=where))
        consensus = decisions.filter(
            (pl.col("stage") == stage) & (pl.col("reviewer") == CONSENSUS)
        ).select("study_id", pl.col("decision").alias("consensus"))
        overrides = same.join(consensus, on="study_id").filter(
            pl.col("consensus") != pl.col("decision_a")
        )
        if overrides.height:  # a consensus row for a study without a conflict, deciding otherwise
            counts.append(emit.of(OVERRIDES, overrides["study_id"], stage=stage, where=where))
        stats = agr.agreement(list(pairs.select("decision_a", "decision_b").iter_rows()))
        for stat, name in STATISTICS:
            value = agr.thousandths(getattr(stats, stat))
            if value is None:
                continue
            counts.append(
                emit.measure(
                    f"agreement.{stage}.{stat}",
                    value,
                    unit="thousandths",
                    label=f"{name} {where} (see agreement.{stage}.compared)",
                )
            )
    return counts


CARRY_OVER_COUNTS = (
    CountSpec("screen.carried_over",
              "Records that joined an already-screened study and inherit its decisions",
              "records", _REC, lambda c: c["record_id"]),
    CountSpec("screen.recheck_abstract",
              "Inherited decisions to look at again: the new record adds an abstract",
              "records", _REC, lambda c: c.filter(pl.col("adds_abstract"))["record_id"]),
)  # fmt: skip
AUTOMATION_HITS = CountSpec(
    "automation.{rule}.hits", "Records matched by automation rule {rule}", "records", _REC
)


def carry_over_counts(carried: pl.DataFrame) -> list[Count]:
    return Emitter("03_screen", "screen").table(CARRY_OVER_COUNTS, carried)


def automation_counts(automatic: pl.DataFrame, studies: pl.DataFrame) -> list[Count]:
    """Every rule's hits (a study matched by two rules is a hit of both)."""
    emit = Emitter("03_screen", "screen")
    return [
        emit.of(AUTOMATION_HITS, representative_records(studies, hit), rule=rule)
        for rule, hit in sorted(automation_hits(automatic).items())
    ]
