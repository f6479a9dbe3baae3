"""Simulated prioritised screening on a labelled set, and the metrics that judge it.

:func:`replay` screens a labelled set in ranked order: it starts from one random include and
one random exclude (drawn with ``seed``), trains the ranking model (:mod:`.ranking`) on what has
been screened, screens the highest-scoring records next and re-trains, until every include has
been found; the stopping rule (:mod:`.stopping`) is then located on that order followed by the
remaining records (all excludes). :func:`metrics` computes, from
the labels in screening order:

- ``wss_95`` = (N - k) / N - 0.05, where k is the number of records screened until
  ceil(0.95 x includes) have been found (Cohen et al. 2006);
- ``recall_at_10pct`` / ``recall_at_25pct``: includes in the first ceil(x x N) records over all
  includes;
- ``screened_fraction_for_95_recall`` / ``..._100_recall``: k / N for 95 % and 100 % recall.

All are fractions. Records never screened (the replay ends once the last include is found) are
excludes, so the metrics need only the screened prefix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from . import ranking, stopping

REQUIRED_COLUMNS = ("title", "abstract", "label_included")
# re-train after every batch of max(1, floor(BATCH_FRACTION x screened)) records: every record
# while fewer than 20 are screened, then batches growing with the screened set (few fits)
BATCH_FRACTION = 0.02


def _first_reaching(found: npt.NDArray[np.int64], target: int) -> int:
    """1-based position at which the cumulative include count first reaches ``target``."""
    hits = np.flatnonzero(found >= target)
    if not hits.size:
        raise ValueError(f"the screened sequence never reaches {target} includes")
    return int(hits[0]) + 1


def metrics(screened_labels: Sequence[int] | npt.NDArray[np.int64], n_total: int) -> dict[str, Any]:
    """Metrics of one ranked screening order (``screened_labels``: 1/0 in screening order;
    ``n_total`` - its length are unscreened excludes)."""
    y = np.asarray(screened_labels, dtype=np.int64)
    includes = int(y.sum())
    if includes == 0:
        raise ValueError("a labelled set needs at least one include")
    if y.shape[0] > n_total:
        raise ValueError("more screened records than records")
    found = np.cumsum(y)
    k95 = _first_reaching(found, math.ceil(0.95 * includes))
    k100 = _first_reaching(found, includes)

    def recall_at(x: float) -> float:
        cut = min(math.ceil(x * n_total), y.shape[0])
        return float(found[cut - 1]) / includes if cut > 0 else 0.0

    return {
        "records": n_total,
        "includes": includes,
        "wss_95": (n_total - k95) / n_total - 0.05,
        "recall_at_10pct": recall_at(0.10),
        "recall_at_25pct": recall_at(0.25),
        "recall_at_50pct": recall_at(0.50),
        "screened_fraction_for_95_recall": k95 / n_total,
        "screened_fraction_for_100_recall": k100 / n_total,
    }


@dataclass(frozen=True)
class Replay:
    order: npt.NDArray[np.int64]  # row indices in screening order (a prefix when ended early)
    labels: npt.NDArray[np.int64]  # their labels
    stop_at: int | None  # records screened when the stopping rule first said stop
    stop_p: float | None
    fits: int


def prior_rows(labels: npt.NDArray[np.int64], seed: int) -> tuple[int, int]:
    """The random include and exclude a replay starts from (row indices)."""
    rng = np.random.default_rng(seed)
    inc = int(rng.choice(np.flatnonzero(labels == 1)))
    exc = int(rng.choice(np.flatnonzero(labels == 0)))
    return inc, exc


def replay(
    matrix: Any,
    labels: npt.NDArray[np.int64],
    seed: int = 0,
    settings: ranking.RankingSettings = ranking.DEFAULT,
    rule: stopping.StoppingSettings = stopping.DEFAULT,
    batch_fraction: float = BATCH_FRACTION,
    prior: tuple[int, int] | None = None,
) -> Replay:
    """Screen in ranked order, re-training after every batch of ``max(1, floor(batch_fraction x
    screened))`` records, until the last include is found. Each re-training is the review's
    (:func:`.ranking.fit_rank_rows`: the decisions so far plus unscreened rows presumed excluded,
    chosen by a hash of the seed and the row). Ties in score go to the lower row index
    (deterministic).

    The records left after the last include are all excludes, so their order changes neither
    the metrics nor the stopping rule: the rule's first stop is found on the screened labels
    followed by those excludes (:func:`stopping.first_stop`), without training further models.
    """
    y = np.asarray(labels, dtype=np.int64)
    n = y.shape[0]
    if y.sum() == 0 or y.sum() == n:
        raise ValueError("a labelled set needs at least one include and one exclude")
    inc, exc = prior if prior is not None else prior_rows(y, seed)
    order: list[int] = [inc, exc]
    unscreened = np.ones(n, dtype=bool)
    unscreened[[inc, exc]] = False
    left = int(y.sum()) - 1  # includes not yet screened
    fits = 0
    # the presumed excludes are drawn as in a review, by a keyed hash of the seed and the row
    keys = ranking.presumed_keys(range(n), settings.seed + seed)
    while left > 0:
        rest = np.flatnonzero(unscreened)
        done = np.array(order)
        _, p = ranking.fit_rank_rows(
            matrix, done, y[done], rest, keys[rest], settings, train_keys=keys[done]
        )
        fits += 1
        batch = max(1, math.floor(batch_fraction * len(order)))
        pick = rest[np.lexsort((rest, -p))[:batch]]
        for row in pick.tolist():
            order.append(row)
            unscreened[row] = False
            left -= int(y[row])
            if left == 0:
                break
    arr = np.array(order, dtype=np.int64)
    screened = y[arr]
    whole = np.concatenate([screened, np.zeros(n - arr.shape[0], dtype=np.int64)])
    found = stopping.first_stop(whole, n, rule)
    stop_at = None if found is None else found[0]
    stop_p = None if found is None else found[1].p_value
    return Replay(arr, screened, stop_at, stop_p, fits)


def read_labelled(frame: pl.DataFrame, name: str = "labelled set") -> pl.DataFrame:
    """Check a labelled set's columns and labels; rows keep their order."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing} (found {frame.columns})")
    labels = frame["label_included"].cast(pl.String).str.strip_chars()
    bad = [i for i, v in enumerate(labels.to_list()) if v not in ("0", "1")]
    if bad:
        rows = ", ".join(str(i + 2) for i in bad[:10])
        raise ValueError(f"{name}: label_included must be 0 or 1 (file line(s) {rows})")
    return frame.with_columns(labels.cast(pl.Int64).alias("label_included"))


def set_features(
    frame: pl.DataFrame, settings: ranking.RankingSettings = ranking.DEFAULT
) -> ranking.Features:
    """TF-IDF of every record of a labelled set, fitted once without its labels (as a team's
    ranking is fitted on every record it holds): reuse it for every seed of the set."""
    return ranking.features(ranking.record_text(frame), settings)


def simulate(
    frame: pl.DataFrame,
    seed: int = 0,
    settings: ranking.RankingSettings = ranking.DEFAULT,
    rule: stopping.StoppingSettings = stopping.DEFAULT,
    prior: tuple[int, int] | None = None,
    batch_fraction: float = BATCH_FRACTION,
    feats: ranking.Features | None = None,
) -> dict[str, Any]:
    """The metrics JSON of ``scoping-review simulate`` for one labelled frame and seed
    (``feats``: the set's features from :func:`set_features`, fitted here when not given)."""
    started = time.perf_counter()
    frame = read_labelled(frame)
    y = frame["label_included"].to_numpy().astype(np.int64)
    if y.sum() == 0 or y.sum() == y.shape[0]:  # before the features: the cause, not a symptom
        raise ValueError("a labelled set needs at least one include and one exclude")
    if feats is None:
        feats = set_features(frame, settings)
    if feats.matrix.shape[0] != y.shape[0]:
        raise ValueError(f"features of {feats.matrix.shape[0]} records for {y.shape[0]} labels")
    run = replay(feats.matrix, y, seed, settings, rule, batch_fraction, prior=prior)
    out = metrics(run.labels, y.shape[0])
    includes = out["includes"]
    stop: dict[str, Any] = {
        "rule": stopping.RULE_NAME,
        "recall_target": rule.recall_target,
        "confidence": rule.confidence,
        "screened": run.stop_at,
        "screened_fraction": None if run.stop_at is None else run.stop_at / y.shape[0],
        "recall": None if run.stop_at is None else int(run.labels[: run.stop_at].sum()) / includes,
        "p_value": run.stop_p,
    }
    out.update(
        seed=seed,
        prior_rows=[int(run.order[0]), int(run.order[1])],
        model=settings.describe(),
        model_fits=run.fits,
        batch_fraction=batch_fraction,
        stopping=stop,
        seconds=time.perf_counter() - started,
    )
    return out
