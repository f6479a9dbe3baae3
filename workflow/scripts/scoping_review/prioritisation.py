"""Prioritised screening inside the workflow: rank what awaits screening, living rounds, and
the opt-in stopping rule.

- :func:`rank_pending` trains the ranking model (:mod:`.ranking`) on every title/abstract
  outcome so far (include 1, exclude 0) and ranks the studies awaiting title/abstract screening.
- living rounds (:mod:`.living_rounds`): each round's decided studies ranked by the model of
  the earlier rounds' decisions; :func:`round_counts` counts what that found in the ledger.
- :func:`stopping_test` applies the hypergeometric rule (:mod:`.stopping`) to the title/abstract
  outcomes in the order they were decided (decision ``date``, then sheet order, then row); with
  ``apply`` on and the rule saying stop, :func:`stopping_exclusions` sets the never-screened
  remainder aside as an automation exclusion (rule ``stopping_rule``). Nothing is excluded
  without the switch, and studies a reviewer has seen (maybe, conflict, awaiting a second
  reviewer) are never set aside.

Pure functions: frames in, frames and ledger counts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from . import ranking, schemas, stopping
from .ledger import Count, CountSpec, Emitter
from .living_rounds import (
    FRACTIONS,
    RoundResult,
    ta_labels,
)
from .screen.counts import representative_records

STOPPING_RULE_ID = "stopping_rule"


@dataclass(frozen=True)
class Settings:
    """Config ``screening.prioritisation``."""

    enabled: bool = True
    ranking: ranking.RankingSettings = field(default_factory=ranking.RankingSettings)
    stopping: stopping.StoppingSettings | None = None  # None: the rule is not computed

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> Settings:
        cfg = cfg or {}
        rule = cfg.get("stopping")
        return cls(
            enabled=bool(cfg.get("enabled", True)),
            ranking=ranking.RankingSettings.from_config(cfg),
            stopping=None
            if not rule or not rule.get("enabled", True)
            else stopping.StoppingSettings.from_config(rule),
        )


def study_texts(studies: pl.DataFrame, records: pl.DataFrame | None = None) -> pl.DataFrame:
    """study_id, title, abstract and keywords (of the representative record, when given)."""
    out = studies.select("study_id", "title", "abstract", "representative_record_id")
    if records is not None and "keywords" in records.columns:
        kw = records.select(pl.col("record_id").alias("representative_record_id"), "keywords")
        out = out.join(kw, on="representative_record_id", how="left")
    return out.drop("representative_record_id")


def rank_pending(
    texts: pl.DataFrame,
    status: pl.DataFrame,
    settings: ranking.RankingSettings,
    shared: ranking.SharedFeatures | None = None,
    workers: int = 1,
) -> pl.DataFrame:
    """The ranking of every study awaiting title/abstract screening (schema RANKING).

    ``shared``: the features of ``texts``, computed once for this and :func:`rounds`; with
    it, ``texts`` may be ``study_id`` alone (the texts are let go once their features exist).
    ``workers``: processes a ranking's two models may be fitted in."""
    pending = status.filter(pl.col("title_abstract") == "pending")["study_id"].to_list()
    ranked = ranking.rank_studies(texts, ta_labels(status), pending, settings, shared, workers)
    return schemas.validate(ranked, schemas.RANKING)


def screening_order(decisions: pl.DataFrame, sheet_order: Sequence[str]) -> list[str]:
    """Studies in the order their title/abstract screening began: the earliest of their
    decision rows by ``date`` (undated rows after dated ones), then sheet order, then row."""
    rank = {name: i for i, name in enumerate(sheet_order)}
    ta = decisions.filter(pl.col("stage") == "title_abstract").with_columns(
        pl.col("sheet").replace_strict(rank, default=len(rank), return_dtype=pl.Int64).alias("_s"),
        pl.col("date").str.slice(0, 10).alias("_d"),
    )
    first = (
        ta.sort(["_d", "_s", "row", "study_id"], nulls_last=True)
        .group_by("study_id", maintain_order=True)
        .first()
    )
    return first["study_id"].to_list()


@dataclass(frozen=True)
class StoppingOutcome:
    result: stopping.StoppingResult
    settings: stopping.StoppingSettings
    screened: list[str]  # studies with a title/abstract outcome, in screening order
    set_aside: list[str]  # never-screened studies excluded (empty unless applied)

    @property
    def applied(self) -> bool:
        return self.settings.apply and self.result.stop and bool(self.set_aside)


def stopping_test(
    status: pl.DataFrame,
    decisions: pl.DataFrame,
    sheet_order: Sequence[str],
    settings: stopping.StoppingSettings,
) -> StoppingOutcome:
    """The rule on the title/abstract outcomes so far. N counts every study that entered
    title/abstract screening (decided or pending); the decided ones, in screening order, are
    the sequence tested."""
    # the decided studies in screening order, with their labels (a join, not a loop per study)
    ordered = pl.DataFrame(
        {"study_id": screening_order(decisions, sheet_order)}, schema={"study_id": pl.String}
    ).join(ta_labels(status), on="study_id", how="inner", maintain_order="left")
    order = ordered["study_id"].to_list()
    entered = status.filter(pl.col("title_abstract").is_not_null())
    result = stopping.test(ordered["label"].to_numpy(), entered.height, settings)
    never = entered.filter(
        (pl.col("title_abstract") == "pending") & (pl.col("pending_kind") == "not_screened")
    )["study_id"].to_list()
    set_aside = sorted(never) if settings.apply and result.stop else []
    return StoppingOutcome(result, settings, order, set_aside)


def stopping_reason(outcome: StoppingOutcome) -> str:
    s = outcome.settings
    return (
        f"Set aside by the {stopping.RULE_NAME}: recall ≥ {s.recall_target:g} at "
        f"{s.confidence:g} confidence"
    )


def stopping_exclusions(outcome: StoppingOutcome) -> pl.DataFrame:
    """Rows for ``screen.automatic_exclusions``' frame (study_id, rule_id, reason, rule_ids)."""
    reason = stopping_reason(outcome)
    return pl.DataFrame(
        {
            "study_id": outcome.set_aside,
            "rule_id": [STOPPING_RULE_ID] * len(outcome.set_aside),
            "reason": [reason] * len(outcome.set_aside),
            "rule_ids": [[STOPPING_RULE_ID] for _ in outcome.set_aside],
        },
        schema={
            "study_id": pl.String,
            "rule_id": pl.String,
            "reason": pl.String,
            "rule_ids": pl.List(pl.String),
        },
    )


def with_stopping(automatic: pl.DataFrame, outcome: StoppingOutcome | None) -> pl.DataFrame:
    """The automation exclusions plus the studies the applied stopping rule set aside."""
    if outcome is None or not outcome.set_aside:
        return automatic
    extra = stopping_exclusions(outcome).filter(
        ~pl.col("study_id").is_in(automatic["study_id"].to_list())
    )
    return pl.concat([automatic, extra.select(automatic.columns)]).sort("study_id")


def stopping_table(outcome: StoppingOutcome) -> pl.DataFrame:
    r = outcome.result
    row = {
        "rule": stopping.RULE_NAME,
        "recall_target": r.recall_target,
        "confidence": r.confidence,
        "n_total": r.n_total,
        "n_screened": r.n_screened,
        "includes_found": r.includes_found,
        "p_value": r.p_value,
        "sample_size": r.sample_size,
        "stop": r.stop,
        "applied": outcome.applied,
        "set_aside": len(outcome.set_aside),
    }
    return schemas.validate(
        pl.DataFrame([row], schema=schemas.STOPPING.polars_schema), schemas.STOPPING
    )


# -- ledger ----------------------------------------------------------------------------------


# id, label, unit, id kind, selector (over the ranked pending studies and the status)
RANKING_COUNTS = (
    CountSpec("ranking.trained_on",
              "Title and abstract decisions the ranking model was trained on",
              "studies", "study_id", lambda s: ta_labels(s[1])["study_id"]),
    CountSpec("ranking.ranked",
              "Studies awaiting title and abstract screening, ranked by the model",
              "studies", "study_id", lambda s: s[0]["study_id"]),
)  # fmt: skip
# per living round ({where}: "round 2 (2025-01-01)"), then per fraction of the ranking
ROUND_COUNTS = (
    CountSpec("ranking.round.{round}.studies",
              "Studies first found in {where} and decided at title and abstract", "studies",
              "study_id", lambda r: r.studies),
    CountSpec("ranking.round.{round}.includes", "Title/abstract includes of {where}", "studies",
              "study_id", lambda r: r.includes),
)  # fmt: skip
ROUND_FOUND = CountSpec(
    "ranking.round.{round}.found_{pct}pct",
    "Includes of {where} in the first {pct} % of its ranking by the model of earlier rounds",
    "studies",
    "study_id",
)
STOPPING_SCREENED = CountSpec(
    "stopping.screened", "Studies with a title and abstract decision tested by the stopping rule",
    "studies", "study_id",
)  # fmt: skip
STOPPING_SET_ASIDE = CountSpec(
    "stopping.set_aside", "Records marked as ineligible by the stopping rule (automation tool)",
    "records", "record_id",
)  # fmt: skip


def ranking_counts(ranked: pl.DataFrame, status: pl.DataFrame) -> list[Count]:
    return Emitter("03_screen", "rank").table(RANKING_COUNTS, (ranked, status))


def round_counts(results: Sequence[RoundResult]) -> list[Count]:
    emit = Emitter("03_screen", "rank")
    counts: list[Count] = []
    for r in results:
        where = f"round {r.round} ({r.search_date})"
        counts += emit.table(ROUND_COUNTS, r, round=r.round, where=where)
        if r.found is None:
            continue
        for pct, _ in FRACTIONS:
            counts.append(emit.of(ROUND_FOUND, r.found[pct], round=r.round, where=where, pct=pct))
    return counts


def stopping_counts(outcome: StoppingOutcome, studies: pl.DataFrame) -> list[Count]:
    """The rule's inputs and outcome; parameters and p-value in thousandths."""
    emit = Emitter("03_screen", "screen")
    r = outcome.result
    measures = (  # id, value, unit, label
        ("stopping.recall_target", round(r.recall_target * 1000), "thousandths",
         "Stopping rule: recall target"),
        ("stopping.confidence", round(r.confidence * 1000), "thousandths",
         "Stopping rule: confidence"),
        ("stopping.p_value", round(r.p_value * 1000), "thousandths",
         "Stopping rule: p-value of 'recall below target'"),
        ("stopping.stop", int(r.stop), "flag",
         "Stopping rule says the unscreened remainder may be set aside (1 yes, 0 no)"),
    )  # fmt: skip
    return [
        emit.of(STOPPING_SCREENED, outcome.screened),
        *(emit.measure(cid, value, unit=unit, label=label) for cid, value, unit, label in measures),
        emit.of(STOPPING_SET_ASIDE, representative_records(studies, outcome.set_aside)),
    ]
