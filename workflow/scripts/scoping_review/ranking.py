"""Prioritised screening: rank studies by a text model trained on the team's decisions.

A TF-IDF representation of title, abstract and keywords (word uni- and bigrams seen in at least
two texts, sublinear term frequency) feeds a linear SVM (scikit-learn) whose includes weigh 9.8
times the excludes in all, with C = 0.11 (ASReview LAB's ELAS u4 classifier parameters). The
model is trained on every title/abstract decision made so far (include = 1, exclude = 0; above
``max_excludes`` excludes, every include and a keyed sample of that many excludes:
:func:`training_rows`) plus a sample of the studies still to be screened *presumed excluded* (in
a screening set includes are rare, so a random unscreened study is almost always an exclude):
Cormack & Grossman's continuous active learning ("BMI", SIGIR 2015/2016) adds such presumed
non-relevant documents so that the model learns what the background of the search looks like,
not only the few excludes screened so far. Two models are fitted on disjoint samples
(:func:`fit_rank`) and each sampled study is scored by the model that did not train on it, so no
study is pushed down by its own presumed label. Compared in benchmarks/screening_models.md (mean
WSS@95 of the six labelled sets, 6 seeds): plain ELAS u4 settings 0.613, word pruning alone
0.614, presumed excludes alone 0.618, both 0.625 with at most 100 presumed excludes and 0.628
with at most 200 (shipped: the cap binds only above 1,000 unscreened studies), C = 0.3 0.631,
within the seeds' noise of it (ASReview LAB 0.579). An ensemble with a logistic regression
(model "lr+svm", C = 10) scores 0.633 but costs 2.8x the CPU per replay and, fitted on 150k
synthetic decisions, 26 s against the SVM's 2.2 s: too slow for a review's every run at scale,
so not the default.

Each score comes with the terms that pushed it up most. Everything is computed within the
review: no external data, no network. Same inputs and seed, same order (ties are broken by
``study_id``; the presumed sample is chosen by a keyed hash of seed and ``study_id``).

Pure functions: frames and arrays in, frames and arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from . import forked
from .term_counts import Features as Features
from .term_counts import SharedFeatures as SharedFeatures
from .term_counts import StudyTexts as StudyTexts
from .term_counts import features as features
from .term_counts import record_text as record_text
from .term_counts import true_before
from .training_sample import PRESUMED_FRACTION as PRESUMED_FRACTION
from .training_sample import capped as capped
from .training_sample import presumed_count as presumed_count
from .training_sample import presumed_keys as presumed_keys
from .training_sample import training_rows as training_rows

if TYPE_CHECKING:  # scipy and scikit-learn load when a ranking runs (a screen without one: never)
    from scipy import sparse

RANKING_COLUMNS = ("study_id", "rank", "score", "top_terms")


# the team's excludes a model learns at most (:func:`training_rows`); a default that no review
# of fewer than this many excluded studies notices (benchmarks/screening_models.md measures a
# cap that binds on every labelled set)
MAX_EXCLUDES = 50_000


@dataclass(frozen=True)
class RankingSettings:
    """Model parameters (config ``screening.prioritisation``)."""

    seed: int = 0
    ngram_max: int = 2
    # "svm" (linear SVM), "logistic", "nb" (complement naive Bayes), "ensemble" (logistic +
    # naive Bayes), "lr+svm"; benchmarks/screening_models.md compares them
    model: str = "svm"
    c: float = 0.11  # inverse regularisation strength (ASReview LAB's ELAS u4 SVM)
    top_terms: int = 5
    max_features: int | None = None
    balanced: bool = True  # weigh the classes by include_ratio (1: equally, "balanced")
    include_ratio: float = 9.8  # includes' total weight over the excludes' (ELAS u4's 9.8)
    min_df: int = 2  # terms in fewer texts are dropped (above 20 texts)
    # unscreened studies presumed excluded per model: PRESUMED_FRACTION of them, at most this
    # many (0: none, the model sees only the team's decisions)
    presumed_excludes: int = 200
    # the team's excludes a model learns: all of them up to this many, above it this many
    # chosen by a keyed hash of seed and study (:func:`training_rows`); every include is
    # learnt (0: no cap)
    max_excludes: int = MAX_EXCLUDES

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> RankingSettings:
        cfg = cfg or {}
        model = str(cfg.get("model", "svm"))
        # a config that names logistic regression keeps the parameters it had before the SVM
        c, ratio = LOGISTIC_DEFAULTS if model == "logistic" else (SVM_C, SVM_INCLUDE_RATIO)
        return cls(
            seed=int(cfg.get("seed", 0)),
            ngram_max=int(cfg.get("ngram_max", 2)),
            model=model,
            c=float(cfg.get("c", c)),
            top_terms=int(cfg.get("top_terms", 5)),
            include_ratio=float(cfg.get("include_ratio", ratio)),
            min_df=int(cfg.get("min_df", 2)),
            presumed_excludes=int(cfg.get("presumed_excludes", 200)),
            max_excludes=int(cfg.get("max_excludes", MAX_EXCLUDES)),
        )

    def describe(self) -> str:
        """One line naming the features and the model."""
        names = {
            "logistic": "logistic regression",
            "svm": "linear SVM",
            "nb": "complement naive Bayes",
            "ensemble": "mean rank of logistic regression and complement naive Bayes",
            "lr+svm": "mean rank of logistic regression and a linear SVM "
            f"(C={SVM_C}, includes x{SVM_INCLUDE_RATIO:g})",
        }
        weights = "unweighted"
        if self.balanced:
            weights = "balanced" if self.include_ratio == 1 else f"includes x{self.include_ratio:g}"
        presumed = ""
        if self.presumed_excludes > 0:
            presumed = (
                f", with {PRESUMED_FRACTION:.0%} of the unscreened (at most "
                f"{self.presumed_excludes}) presumed excluded, two cross-fitted models"
            )
        capped = ""
        if self.max_excludes > 0:
            capped = f", learning at most {self.max_excludes:,} of the team's excludes"
        return (
            f"tfidf(1-{self.ngram_max}gram, sublinear, min_df={self.min_df}) + "
            f"{names.get(self.model, self.model)} (C={self.c}, {weights}){presumed}{capped}"
        )


DEFAULT = RankingSettings()


Model = Any  # a fitted scikit-learn estimator or an Ensemble (scikit-learn ships no type hints)
MODELS = ("logistic", "svm", "nb", "ensemble", "lr+svm")
# the SVM of "lr+svm": ASReview LAB's ELAS u4 parameters (tuned on its own benchmark collection)
SVM_C = 0.11
SVM_INCLUDE_RATIO = 9.8
LOGISTIC_DEFAULTS = (10.0, 1.0)  # C and include_ratio of logistic regression (balanced classes)


@dataclass(frozen=True)
class Ensemble:
    """Logistic regression and complement naive Bayes, scored by their mean rank."""

    members: tuple[Model, Model]


@dataclass(frozen=True)
class CrossFitted:
    """Two models trained on the same decisions with disjoint samples of presumed excludes:
    their terms' weights are the mean of the two (:func:`weights`)."""

    members: tuple[Model, Model]


def _class_weights(labels: npt.NDArray[np.int_], ratio: float) -> dict[int, float]:
    """Per-class row weights: the includes' total is ``ratio`` times the excludes', the total
    is the number of rows (ratio 1 is scikit-learn's "balanced")."""
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    n = float(labels.shape[0])
    return {0: n / (1.0 + ratio) / counts[0], 1: n * ratio / (1.0 + ratio) / counts[1]}


def _balance(labels: npt.NDArray[np.int_], ratio: float) -> npt.NDArray[np.float64]:
    """Per-row weights of :func:`_class_weights`."""
    w = _class_weights(labels, ratio)
    return np.where(labels == 1, w[1], w[0]).astype(np.float64)


def fit(
    matrix: sparse.csr_matrix, labels: npt.NDArray[np.int_], settings: RankingSettings
) -> Model:
    """A linear model on the labelled rows (needs an include and an exclude)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    if len(set(labels.tolist())) < 2:
        raise ValueError("the model needs at least one include and one exclude")
    weight = _class_weights(labels, settings.include_ratio) if settings.balanced else None
    model: Model
    if settings.model == "logistic":
        # the dual liblinear solver: fast when terms outnumber labelled records
        model = LogisticRegression(
            C=settings.c,
            class_weight=weight,
            solver="liblinear",
            dual=True,
            random_state=settings.seed,
            max_iter=1000,
        )
    elif settings.model == "svm":
        model = LinearSVC(C=settings.c, class_weight=weight, random_state=settings.seed)
    elif settings.model == "nb":
        nb = ComplementNB()
        nb.fit(
            matrix,
            labels,
            sample_weight=_balance(labels, settings.include_ratio) if settings.balanced else None,
        )
        return nb
    elif settings.model == "ensemble":
        logistic = fit(matrix, labels, replace(settings, model="logistic"))
        return Ensemble((logistic, fit(matrix, labels, replace(settings, model="nb"))))
    elif settings.model == "lr+svm":
        logistic = fit(matrix, labels, replace(settings, model="logistic", include_ratio=1.0))
        svm = replace(settings, model="svm", c=SVM_C, include_ratio=SVM_INCLUDE_RATIO)
        return Ensemble((logistic, fit(matrix, labels, svm)))
    else:
        raise ValueError(f"unknown ranking model {settings.model!r} (one of {MODELS})")
    model.fit(matrix, labels)
    return model


def _rank01(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each value's rank among ``values`` scaled to [0, 1] (ties share their mean rank)."""
    from scipy.stats import rankdata

    if values.shape[0] < 2:
        return np.ones_like(values)
    return np.asarray((rankdata(values) - 1.0) / (values.shape[0] - 1.0), dtype=np.float64)


def scores(model: Model, matrix: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    """Score per row in [0, 1]: the probability of inclusion (logistic regression, naive
    Bayes), the logistic function of the SVM's decision value, or the ensemble's mean rank
    (scaled to [0, 1] among the rows scored)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB

    if isinstance(model, Ensemble):
        # naive Bayes probabilities saturate at 0 and 1: its log-odds keep the order
        parts = [_rank01(_decision(m, matrix)) for m in model.members]
        return np.asarray(np.mean(parts, axis=0), dtype=np.float64)
    if isinstance(model, LogisticRegression | ComplementNB):
        return np.asarray(model.predict_proba(matrix)[:, 1], dtype=np.float64)
    value = _decision(model, matrix)
    return np.asarray(1.0 / (1.0 + np.exp(-value)), dtype=np.float64)


def _decision(model: Model, matrix: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    """The model's log-odds-like value per row (larger: more likely an include)."""
    from sklearn.naive_bayes import ComplementNB

    if isinstance(model, ComplementNB):
        jll = matrix @ model.feature_log_prob_.T
        return np.asarray(jll[:, 1] - jll[:, 0], dtype=np.float64).ravel()
    return np.asarray(model.decision_function(matrix), dtype=np.float64)


def weights(model: Model) -> npt.NDArray[np.float64]:
    """Per term, how much it pushes a record towards include (the linear model's weights)."""
    from sklearn.naive_bayes import ComplementNB

    if isinstance(model, CrossFitted):
        return np.asarray(np.mean([weights(m) for m in model.members], axis=0), dtype=np.float64)
    if isinstance(model, Ensemble):
        return weights(model.members[0])
    if isinstance(model, ComplementNB):
        flp = model.feature_log_prob_
        return np.asarray(flp[1] - flp[0], dtype=np.float64)
    return np.asarray(model.coef_[0], dtype=np.float64)


def fit_rank(
    train: sparse.csr_matrix,
    labels: npt.NDArray[np.int_],
    candidates: sparse.csr_matrix,
    keys: npt.NDArray[np.uint64],
    settings: RankingSettings = DEFAULT,
    train_keys: npt.NDArray[np.uint64] | None = None,
) -> tuple[Model, npt.NDArray[np.float64]]:
    """Fit the ranking model on the decisions (``train``, ``labels``; ``train_keys``: their
    :func:`presumed_keys`, for :func:`training_rows`) and score the ``candidates`` (the
    unscreened studies; ``keys``: their :func:`presumed_keys`).

    With presumed excludes (:func:`presumed_count` k > 0) the candidates with the 2k smallest
    keys are split in two samples A and B; one model is fitted with A as excludes, one with B.
    A study of A is scored by the B model, one of B by the A model, any other by the mean of
    the two scores. Returns the model (a :class:`CrossFitted` pair, or the single model) and
    the scores in [0, 1]. :func:`fit_rank_rows` does the same on rows of one matrix."""
    from scipy import sparse as sp

    both = sp.vstack([train, candidates], format="csr")
    n = train.shape[0]
    rows = np.arange(n, n + candidates.shape[0])
    return fit_rank_rows(both, np.arange(n), labels, rows, keys, settings, train_keys=train_keys)


FIT_BYTES_PER_ENTRY = 28  # float64 rows for scikit-learn (12 B) and liblinear's copy (16 B)
# above this a ranking's two models are fitted one by one, whatever memory is left: the rank
# rule's memory stays bounded. Measured at 1M records (about 2 GB a fit, benchmarks/runs/
# 2026-12-05-1m-forked-fits): side by side, the update took 130 s instead of 154 s, but the
# rule's processes held 8.7 GiB together (its largest process 6.06 GiB) instead of 4.8 GiB
FORKED_FIT_MAX_BYTES = 1 << 30


def fit_rank_rows(
    matrix: sparse.csr_matrix,
    train_rows: npt.NDArray[np.int_],
    labels: npt.NDArray[np.int_],
    candidate_rows: npt.NDArray[np.int_],
    keys: npt.NDArray[np.uint64],
    settings: RankingSettings = DEFAULT,
    workers: int = 1,
    train_keys: npt.NDArray[np.uint64] | None = None,
) -> tuple[Model, npt.NDArray[np.float64]]:
    """:func:`fit_rank` with the decisions and the candidates given as rows of ``matrix``;
    ``train_keys``: the decided studies' :func:`presumed_keys`, needed when they hold more
    excludes than ``settings.max_excludes`` (:func:`training_rows`).

    Each model's training rows are taken from ``matrix`` once, as the float64 matrix the
    solver reads (scikit-learn would otherwise copy the rows again to convert them): no copy
    of all the decisions is held beside them."""
    train_rows, labels = training_rows(train_rows, labels, train_keys, settings)
    k = presumed_count(candidate_rows.shape[0], settings)
    if k == 0:
        model = fit(_rows64(matrix, train_rows), labels, settings)
        return model, scores(model, matrix[candidate_rows])
    chosen = np.argsort(keys, kind="stable")[: 2 * k]
    samples = (chosen[:k], chosen[k:])
    zeros = np.zeros(k, dtype=labels.dtype)

    def member(rows: npt.NDArray[np.int_]) -> Model:
        train = _rows64(matrix, np.concatenate([train_rows, candidate_rows[rows]]))
        return fit(train, np.concatenate([labels, zeros]), settings)

    # with two workers the second model is fitted in a forked process meanwhile (the same
    # model: its solver's random generator is the child's own, seeded as here), when a fit's
    # memory (its rows twice, ~28 B an entry) is at most FORKED_FIT_MAX_BYTES and the two
    # fits together take at most half of what the machine, or the job's cgroup, has left
    each = int(np.diff(matrix.indptr)[train_rows].sum()) * FIT_BYTES_PER_ENTRY
    fork = (
        forked.available(workers)
        and each <= FORKED_FIT_MAX_BYTES
        and forked.room_for_two(each, forked.memory_room())
    )
    other = forked.started(lambda: member(samples[1]), fork)
    members = (member(samples[0]), other())
    candidates = matrix[candidate_rows]
    first, second = (scores(m, candidates) for m in members)
    out = (first + second) / 2.0
    out[samples[0]] = second[samples[0]]
    out[samples[1]] = first[samples[1]]
    return CrossFitted((members[0], members[1])), out


def _rows64(matrix: sparse.csr_matrix, rows: npt.NDArray[np.int_]) -> sparse.csr_matrix:
    """``matrix[rows]`` with float64 values (what the solvers are given: the same numbers)."""
    out = matrix[rows]
    return out if out.dtype == np.float64 else out.astype(np.float64)


def top_terms(
    model: Model,
    matrix: sparse.csr_matrix,
    terms: npt.NDArray[np.str_],
    k: int,
) -> list[list[str]]:
    """Per row, the ``k`` terms with the largest positive contribution (weight x tf-idf);
    equal contributions by term (the vectorizer's columns are in term order). Terms made only
    of English function words ("the", "of the": scikit-learn's stop-word list) are not shown:
    the model keeps them, but they tell a reader nothing about why a study ranks high.

    Vectorised over the stored entries, without sorting them: ``k`` passes, each taking every
    row's largest remaining contribution (the smallest column among equals) by a segmented
    maximum over the row's entries. At 50k rows and k = 5: 0.6-0.8 s against 3.0 s for one
    sort of all entries by (row, contribution, column), with the same result."""
    from scipy import sparse

    csr = sparse.csr_matrix(matrix)
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    n_rows = csr.shape[0]
    coef = np.where(function_terms(terms), 0.0, weights(model))
    vals = csr.data.astype(np.float64, copy=False) * coef[csr.indices]
    keep = vals > 0
    cols, vals = csr.indices[keep].astype(np.int64), vals[keep]
    kept = true_before(keep)
    counts = kept[csr.indptr[1:]] - kept[csr.indptr[:-1]]  # positive entries per row
    filled = np.flatnonzero(counts)  # rows with a positive entry: the segments of ``vals``
    starts = (np.cumsum(counts) - counts)[filled]
    chosen = np.full((n_rows, max(k, 0)), -1, dtype=np.int64)
    no_col = np.iinfo(np.int64).max
    for j in range(min(k, int(counts.max(initial=0)))):
        best = np.maximum.reduceat(vals, starts)
        at_best = vals == np.repeat(best, counts[filled])
        at_best &= vals > -np.inf  # a row whose entries are all taken has -inf as its best
        col = np.minimum.reduceat(np.where(at_best, cols, no_col), starts)
        found = col != no_col
        chosen[filled[found], j] = col[found]
        taken = at_best & (cols == np.repeat(col, counts[filled]))
        vals = np.where(taken, -np.inf, vals)
    mask = chosen >= 0
    flat = terms[chosen[mask]].tolist()
    ends = np.cumsum(mask.sum(axis=1)).tolist()
    firsts = [0, *ends[:-1]][: len(ends)]
    return [flat[a:b] for a, b in zip(firsts, ends, strict=True)]


def function_terms(terms: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Per term, whether every word of it is an English stop word (scikit-learn's list)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return np.fromiter(
        (all(w in ENGLISH_STOP_WORDS for w in str(t).split()) for t in terms),
        dtype=bool,
        count=len(terms),
    )


def rank_studies(
    studies: pl.DataFrame,
    labels: pl.DataFrame,
    candidates: Sequence[str] | None = None,
    settings: RankingSettings = DEFAULT,
    shared: SharedFeatures | None = None,
    workers: int = 1,
) -> pl.DataFrame:
    """Rank ``candidates`` (default: studies without a label) by a model trained on ``labels``.

    ``studies`` has ``study_id`` and text columns (title, abstract, keywords); ``labels`` has
    ``study_id`` and ``label`` (1 include, 0 exclude). Returns ``study_id``, ``rank`` (1 =
    screen first), ``score`` (probability of inclusion) and ``top_terms``. With no include or
    no exclude yet there is no model: candidates keep ``study_id`` order with null scores.
    ``shared`` holds features computed once for several rankings over the same ``studies``;
    with it, ``studies`` may be ``study_id`` alone (:class:`SharedFeatures`). ``workers``:
    processes the two cross-fitted models may be fitted in (:func:`fit_rank_rows`).
    """
    # rows and labels by polars columns, not Python dicts of every study (at 1M studies those
    # are a few hundred megabytes held while the models are fitted); the texts are not sorted
    # (copied) unless features are computed here
    served = shared is not None and shared.serves(studies, settings)
    ids = shared.ids if served and shared is not None else studies["study_id"].sort()
    label_of = labels.select("study_id", pl.col("label").cast(pl.Int64)).unique(
        "study_id", keep="last", maintain_order=True
    )
    frame = (
        ids.to_frame("study_id")
        .with_row_index("row")
        .join(label_of, on="study_id", how="left", maintain_order="left")
    )
    labelled = frame.filter(pl.col("label").is_not_null())
    if candidates is None:
        chosen = frame.filter(pl.col("label").is_null())
    else:
        wanted_ids = pl.Series("c", list(candidates), dtype=pl.String)
        chosen = frame.filter(pl.col("study_id").is_in(wanted_ids.implode()))
    wanted = chosen["study_id"].to_list()
    schema: dict[str, pl.DataType] = {
        "study_id": pl.String(),
        "rank": pl.Int64(),
        "score": pl.Float64(),
        "top_terms": pl.List(pl.String()),
    }
    y_all = labelled["label"].to_numpy().astype(np.int64)
    if np.unique(y_all).size < 2 or not wanted:
        return pl.DataFrame(
            {
                "study_id": wanted,
                "rank": list(range(1, len(wanted) + 1)),
                "score": [None] * len(wanted),
                "top_terms": [[] for _ in wanted],
            },
            schema=schema,
        )
    if served and shared is not None:
        feats = shared.get()
    elif studies.columns == ["study_id"]:
        raise ValueError("rank_studies: a frame of study_id alone needs shared features of it")
    else:
        feats = features(record_text(studies.sort("study_id")), settings)
    train_rows = labelled["row"].to_numpy().astype(np.int64)
    rows = chosen["row"].to_numpy().astype(np.int64)
    keys = presumed_keys(wanted, settings.seed)
    # the decided studies' keys only when their excludes are sampled (hashing every decision
    # takes about a second at 700k)
    train_keys = (
        presumed_keys(labelled["study_id"].to_list(), settings.seed)
        if capped(y_all, settings)
        else None
    )
    model, p = fit_rank_rows(
        feats.matrix, train_rows, y_all, rows, keys, settings, workers, train_keys
    )
    terms = top_terms(model, feats.matrix[rows], feats.terms, settings.top_terms)
    frame = pl.DataFrame(
        {"study_id": wanted, "score": p, "top_terms": terms},
        schema={k: v for k, v in schema.items() if k != "rank"},
    )
    frame = frame.sort(["score", "study_id"], descending=[True, False]).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("rank")
    )
    return frame.select(RANKING_COLUMNS)
