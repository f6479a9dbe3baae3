"""Prioritised screening inside the workflow: rank what awaits screening, living rounds, and
the opt-in stopping rule.

- :func:`rank_pending` trains the ranking model (:mod:`.ranking`) on every title/abstract
  outcome so far (include 1, exclude 0) and ranks the studies awaiting title/abstract screening.
- :func:`rounds_table`: a study's round is the earliest search date of its records. For every
  round after the first, the model of the earlier rounds' decisions ranks the round's decided
  studies on the features of the studies known by then, and the includes found in the first
  10 %, 25 % and 50 % of that list are counted. A round's order depends only on its inputs
  (:func:`round_key`), so an update reuses the orders of rounds whose inputs did not change.
- :func:`stopping_test` applies the hypergeometric rule (:mod:`.stopping`) to the title/abstract
  outcomes in the order they were decided (decision ``date``, then sheet order, then row); with
  ``apply`` on and the rule saying stop, :func:`stopping_exclusions` sets the never-screened
  remainder aside as an automation exclusion (rule ``stopping_rule``). Nothing is excluded
  without the switch, and studies a reviewer has seen (maybe, conflict, awaiting a second
  reviewer) are never set aside.

Pure functions: frames in, frames and ledger counts out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from . import ranking, schemas, stopping
from .ledger import Count, CountSpec, Emitter

STOPPING_RULE_ID = "stopping_rule"
FRACTIONS = ((10, 0.10), (25, 0.25), (50, 0.50))


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


def ta_labels(status: pl.DataFrame) -> pl.DataFrame:
    """study_id, label: every study with a title/abstract outcome (include 1, exclude 0)."""
    return status.filter(pl.col("title_abstract").is_in(["include", "exclude"])).select(
        "study_id", (pl.col("title_abstract") == "include").cast(pl.Int64).alias("label")
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


def study_rounds(clusters: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """study_id, search_date (earliest of its records), round (1 = earliest search date)."""
    first = (
        clusters.select("record_id", "study_id")
        .join(records.select("record_id", "search_date"), on="record_id", how="left")
        .group_by("study_id")
        .agg(pl.col("search_date").min())
    )
    dates = sorted(d for d in first["search_date"].unique().to_list() if d is not None)
    index = {d: i + 1 for i, d in enumerate(dates)}
    return first.with_columns(
        pl.col("search_date")
        .replace_strict(index, default=None, return_dtype=pl.Int64)
        .alias("round")
    ).sort("study_id")


def _found(ranked_ids: Sequence[str], includes: set[str], share: float) -> list[str]:
    cut = math.ceil(share * len(ranked_ids))
    return [s for s in ranked_ids[:cut] if s in includes]


@dataclass(frozen=True)
class RoundResult:
    round: int
    search_date: str
    studies: list[str]
    includes: list[str]
    trained_on: int
    found: dict[int, list[str]] | None  # percent -> includes found in that share; None: no model
    key: str | None = None  # :func:`round_key` of the evaluation (None: no model)
    order: tuple[str, ...] | None = None  # the round's studies in ranked order
    reused: bool = False  # the order came from ``memo`` (no model was fitted)


# the ranked order of a round's studies by the key of everything it depends on
RoundMemo = Mapping[str, Sequence[str]]
# the features of the studies given (sorted ids), for a round whose population is not all
SubsetFeatures = Callable[[list[str]], ranking.Features]


def round_key(
    settings: ranking.RankingSettings,
    ids: Sequence[str],
    hashes: npt.NDArray[np.uint64],
    codes: npt.NDArray[np.uint8],
) -> str:
    """A digest of what one round's evaluation depends on: the settings and libraries, and
    per study of its population (``ids``, sorted) the hash of its text and its part (0 text
    only, 1 earlier exclude, 2 earlier include, 3 ranked). Equal keys, equal orders."""
    import hashlib
    import json
    from dataclasses import asdict

    from .term_counts import cache_meta

    digest = hashlib.blake2b(digest_size=16)
    head = {"v": 1, "meta": cache_meta(settings), "settings": asdict(settings)}
    digest.update(json.dumps(head, sort_keys=True).encode())
    digest.update("\x1f".join(ids).encode())
    digest.update(np.ascontiguousarray(hashes, dtype="<u8").tobytes())
    digest.update(np.ascontiguousarray(codes, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def rounds(
    texts: pl.DataFrame,
    status: pl.DataFrame,
    rounds_of: pl.DataFrame,
    settings: ranking.RankingSettings,
    shared: ranking.SharedFeatures | None = None,
    workers: int = 1,
    memo: RoundMemo | None = None,
    subset: SubsetFeatures | None = None,
) -> list[RoundResult]:
    """Per round after the first: its decided studies ranked by the model of earlier rounds'
    decisions, on the TF-IDF of the studies known by then (the population: studies of that
    round and earlier ones, and those without a search date). What a team screening that round
    would have got: later rounds change neither the features nor the order.

    ``shared``: the features of ``texts`` (as for :func:`rank_pending`), used for a round
    whose population is every study. ``memo`` (with ``shared`` or text columns in ``texts``):
    orders of earlier runs by :func:`round_key`; a round whose key is there is not fitted
    again (an update re-evaluates only rounds whose inputs changed). ``subset``: features of
    a population that is not every study (default: computed from ``texts``)."""
    labels = ta_labels(status).join(rounds_of.select("study_id", "round"), on="study_id")
    dates = dict(
        rounds_of.select("round", "search_date").unique().drop_nulls().sort("round").rows()
    )
    later = sorted(r for r in dates if r > 1)
    if not later:
        return []
    served = shared is not None and shared.serves(texts, settings)
    all_ids = shared.ids if served and shared is not None else texts["study_id"].sort()
    known = (
        all_ids.to_frame("study_id")
        .join(
            rounds_of.select("study_id", "round"), on="study_id", how="left", maintain_order="left"
        )
        .join(labels.select("study_id", "label"), on="study_id", how="left", maintain_order="left")
    )
    hashes: npt.NDArray[np.uint64] | None = None
    out: list[RoundResult] = []
    for rnd in later:
        earlier = labels.filter(pl.col("round") < rnd).select("study_id", "label")
        mine = labels.filter(pl.col("round") == rnd)
        ids = mine["study_id"].to_list()
        includes = set(mine.filter(pl.col("label") == 1)["study_id"].to_list())
        found: dict[int, list[str]] | None = None
        key: str | None = None
        ranked: list[str] | None = None
        reused = False
        if ids and earlier["label"].n_unique() == 2:
            in_pop = pl.col("round").is_null() | (pl.col("round") <= rnd)
            pop_mask = known.select(in_pop.alias("p"))["p"].to_numpy()
            pop = known.filter(pl.Series(pop_mask))
            pop_ids = pop["study_id"]
            if memo is not None:
                if hashes is None:
                    hashes = _text_hashes(texts, shared if served else None)
                codes = pop.select(
                    pl.when(pl.col("round") == rnd)
                    .then(pl.when(pl.col("label").is_not_null()).then(3).otherwise(0))
                    .when(pl.col("round") < rnd)
                    .then(pl.col("label").fill_null(-1) + 1)
                    .otherwise(0)
                    .cast(pl.UInt8)
                    .alias("c")
                )["c"].to_numpy()
                key = round_key(settings, pop_ids.to_list(), hashes[pop_mask], codes)
                kept = list(memo[key]) if key in memo else None
                if kept is not None and len(kept) == len(ids) and set(kept) == set(ids):
                    ranked, reused = kept, True
            if ranked is None:
                ranked = _rank_round(
                    texts, earlier, ids, pop_ids, settings, shared, served, subset, workers
                )
            found = {pct: _found(ranked, includes, share) for pct, share in FRACTIONS}
        out.append(
            RoundResult(
                rnd,
                str(dates[rnd]),
                sorted(ids),
                sorted(includes),
                earlier.height,
                found,
                key,
                None if ranked is None else tuple(ranked),
                reused,
            )
        )
    return out


def _text_hashes(
    texts: pl.DataFrame, shared: ranking.SharedFeatures | None
) -> npt.NDArray[np.uint64]:
    """The stable hash of every study's text, in study_id order."""
    from .term_counts import StudyTexts, text_hashes

    if shared is not None:
        shared.get()
        assert shared.text_hashes is not None
        return shared.text_hashes
    if texts.columns == ["study_id"]:
        raise ValueError("rounds: a memo with a frame of study_id alone needs shared features")
    return text_hashes(StudyTexts(texts.sort("study_id")))


def _rank_round(
    texts: pl.DataFrame,
    earlier: pl.DataFrame,
    ids: list[str],
    pop_ids: pl.Series,
    settings: ranking.RankingSettings,
    shared: ranking.SharedFeatures | None,
    served: bool,
    subset: SubsetFeatures | None,
    workers: int,
) -> list[str]:
    """The round's studies ``ids`` ranked by a model of ``earlier``, on the features of the
    population ``pop_ids``: ``shared``'s (or computed from ``texts``) when that is every study."""
    everyone = pop_ids.len() == (
        shared.ids.len() if served and shared is not None else texts.height
    )
    if everyone:
        order = ranking.rank_studies(texts, earlier, ids, settings, shared, workers)
    else:
        if subset is not None:
            feats = subset(pop_ids.to_list())
        else:
            wanted = texts.filter(pl.col("study_id").is_in(pop_ids.implode())).sort("study_id")
            feats = ranking.features(ranking.record_text(wanted), settings)
        own = ranking.SharedFeatures.of(pop_ids, feats, settings)
        order = ranking.rank_studies(
            pop_ids.to_frame("study_id"), earlier, ids, settings, own, workers
        )
    return order["study_id"].to_list()


def rounds_table(results: Sequence[RoundResult]) -> pl.DataFrame:
    rows = [
        {
            "round": r.round,
            "search_date": r.search_date,
            "studies": len(r.studies),
            "includes": len(r.includes),
            "trained_on": r.trained_on,
            **{f"found_{p}pct": None if r.found is None else len(r.found[p]) for p, _ in FRACTIONS},
        }
        for r in results
    ]
    return schemas.validate(pl.DataFrame(rows, schema=schemas.ROUNDS.polars_schema), schemas.ROUNDS)


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
    labels = dict(ta_labels(status).rows())
    order = [s for s in screening_order(decisions, sheet_order) if s in labels]
    entered = status.filter(pl.col("title_abstract").is_not_null())
    result = stopping.test([labels[s] for s in order], entered.height, settings)
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
    return Emitter("03_screen", "screen").table(RANKING_COUNTS, (ranked, status))


def round_counts(results: Sequence[RoundResult]) -> list[Count]:
    emit = Emitter("03_screen", "screen")
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
    rep = dict(zip(studies["study_id"], studies["representative_record_id"], strict=True))
    r = outcome.result
    measures = (  # id, value, unit, label
        ("stopping.recall_target", round(r.recall_target * 1000), "thousandths",
         "Stopping rule: recall target, in thousandths"),
        ("stopping.confidence", round(r.confidence * 1000), "thousandths",
         "Stopping rule: confidence, in thousandths"),
        ("stopping.p_value", round(r.p_value * 1000), "thousandths",
         "Stopping rule: p-value of 'recall below target', in thousandths"),
        ("stopping.stop", int(r.stop), "flag",
         "Stopping rule says the unscreened remainder may be set aside (1 yes, 0 no)"),
    )  # fmt: skip
    return [
        emit.of(STOPPING_SCREENED, outcome.screened),
        *(emit.measure(cid, value, unit=unit, label=label) for cid, value, unit, label in measures),
        emit.of(STOPPING_SET_ASIDE, [rep[s] for s in outcome.set_aside]),
    ]
