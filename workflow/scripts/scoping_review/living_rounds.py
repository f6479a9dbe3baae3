"""Living rounds in the prioritised screening: each round's decided studies ranked by the model
of the earlier rounds' decisions, on the features of the studies known by that round, and the
includes found in the first 10 %, 25 % and 50 % of that list (:mod:`.prioritisation` counts
them in the ledger).

A study's round is the earliest round (config ``round``) of its records' searches
(:func:`study_rounds`). A round's order depends only on its inputs (:func:`round_key`: the
population's texts, the earlier decisions, the studies ranked, settings and libraries), so a
run given the orders an earlier run kept (``memo``) fits models only for rounds whose inputs
changed. Pure functions: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from . import ranking, schemas

FRACTIONS = ((10, 0.10), (25, 0.25), (50, 0.50))


def ta_labels(status: pl.DataFrame) -> pl.DataFrame:
    """study_id, label: every study with a title/abstract outcome (include 1, exclude 0)."""
    return status.filter(pl.col("title_abstract").is_in(["include", "exclude"])).select(
        "study_id", (pl.col("title_abstract") == "include").cast(pl.Int64).alias("label")
    )


def study_rounds(
    clusters: pl.DataFrame, records: pl.DataFrame, rounds: Mapping[str, int] | None = None
) -> pl.DataFrame:
    """study_id, search_date (earliest of its records), round: the earliest round of its
    records' searches, ``rounds`` mapping a record's ``source_id`` (its search) to the search's
    round in config (a search not in it: round 1); without ``rounds``, each distinct search date
    is a round (1 = earliest)."""
    members = clusters.select("record_id", "study_id").join(
        records.select("record_id", "source_id", "search_date")
        if rounds is not None
        else records.select("record_id", "search_date"),
        on="record_id",
        how="left",
    )
    if rounds is not None:
        return (
            members.with_columns(
                pl.col("source_id")
                .replace_strict(dict(rounds), default=1, return_dtype=pl.Int64)
                .alias("round")
            )
            .group_by("study_id")
            .agg(pl.col("search_date").min(), pl.col("round").min())
            .sort("study_id")
        )
    first = members.group_by("study_id").agg(pl.col("search_date").min())
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
    # each round's date: the earliest search date of its studies
    dates = dict(
        rounds_of.drop_nulls("round")
        .group_by("round")
        .agg(pl.col("search_date").min())
        .sort("round")
        .rows()
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
