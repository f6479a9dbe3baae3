"""Prioritised screening: rank studies by a text model trained on the team's decisions.

A TF-IDF representation of title, abstract and keywords (word uni- and bigrams, sublinear term
frequency) feeds a class-balanced logistic regression (scikit-learn). The model is trained on
every title/abstract decision made so far (include = 1, exclude = 0) and scores the studies
still to be screened; each score comes with the terms that pushed it up most. Everything is
computed within the review: no external data, no network. Same inputs and seed, same order
(ties are broken by ``study_id``).

Pure functions: frames and arrays in, frames and arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

if TYPE_CHECKING:  # scipy and scikit-learn load (seconds) only when a model is trained
    from scipy import sparse

TEXT_COLUMNS = ("title", "abstract", "keywords")
RANKING_COLUMNS = ("study_id", "rank", "score", "top_terms")


@dataclass(frozen=True)
class RankingSettings:
    """Model parameters (config ``screening.prioritisation``)."""

    seed: int = 0
    ngram_max: int = 2
    model: str = "logistic"  # or "svm" (linear SVM; score = logistic of its decision value)
    c: float = 10.0  # inverse regularisation strength (10 won on the labelled sets)
    top_terms: int = 5
    max_features: int | None = None

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> RankingSettings:
        cfg = cfg or {}
        return cls(
            seed=int(cfg.get("seed", 0)),
            ngram_max=int(cfg.get("ngram_max", 2)),
            model=str(cfg.get("model", "logistic")),
            c=float(cfg.get("c", 10.0)),
            top_terms=int(cfg.get("top_terms", 5)),
        )


DEFAULT = RankingSettings()


def record_text(frame: pl.DataFrame) -> list[str]:
    """Title, abstract and keywords of each row joined into one text (missing parts empty)."""
    parts: list[pl.Expr] = []
    for col in TEXT_COLUMNS:
        if col not in frame.columns:
            continue
        dtype = frame.schema[col]
        expr = pl.col(col).list.join(" ") if isinstance(dtype, pl.List) else pl.col(col)
        parts.append(expr.cast(pl.String).fill_null(""))
    if not parts:
        return [""] * frame.height
    return frame.select(pl.concat_str(parts, separator=" ").alias("t"))["t"].to_list()


@dataclass(frozen=True)
class Features:
    matrix: sparse.csr_matrix
    terms: npt.NDArray[np.str_]


def features(texts: Sequence[str], settings: RankingSettings = DEFAULT) -> Features:
    """TF-IDF matrix (rows in the order of ``texts``) and the term of each column."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, settings.ngram_max),
        sublinear_tf=True,
        strip_accents="unicode",
        min_df=1,
        max_df=0.95 if len(texts) > 20 else 1.0,
        max_features=settings.max_features,
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(texts)
    return Features(sparse.csr_matrix(matrix), vectorizer.get_feature_names_out())


class SharedFeatures:
    """The TF-IDF features of one study text frame, computed on first use and then shared by
    every model trained over that frame (the ranking of pending studies and each living
    round's evaluation fit their models on the same features: computing them once gives the
    same matrices as computing them per model)."""

    def __init__(self, studies: pl.DataFrame, settings: RankingSettings = DEFAULT) -> None:
        self.studies = studies.sort("study_id")
        self.settings = settings
        self._features: Features | None = None

    def serves(self, studies: pl.DataFrame, settings: RankingSettings) -> bool:
        """Whether these features are those of ``studies`` (sorted by study) and ``settings``."""
        return (
            (settings.ngram_max, settings.max_features)
            == (self.settings.ngram_max, self.settings.max_features)
        ) and self.studies.equals(studies)

    def get(self) -> Features:
        if self._features is None:
            self._features = features(record_text(self.studies), self.settings)
        return self._features


Model = Any  # a fitted LogisticRegression or LinearSVC (scikit-learn ships no type hints)
MODELS = ("logistic", "svm")


def fit(
    matrix: sparse.csr_matrix, labels: npt.NDArray[np.int_], settings: RankingSettings
) -> Model:
    """A class-balanced linear model on the labelled rows (needs an include and an exclude)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if len(set(labels.tolist())) < 2:
        raise ValueError("the model needs at least one include and one exclude")
    model: Model
    if settings.model == "logistic":
        # the dual liblinear solver: fast when terms outnumber labelled records
        model = LogisticRegression(
            C=settings.c,
            class_weight="balanced",
            solver="liblinear",
            dual=True,
            random_state=settings.seed,
            max_iter=1000,
        )
    elif settings.model == "svm":
        model = LinearSVC(C=settings.c, class_weight="balanced", random_state=settings.seed)
    else:
        raise ValueError(f"unknown ranking model {settings.model!r} (one of {MODELS})")
    model.fit(matrix, labels)
    return model


def scores(model: Model, matrix: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    """Score per row in [0, 1]: the probability of inclusion (logistic regression), or the
    logistic function of the SVM's decision value."""
    from sklearn.linear_model import LogisticRegression

    if isinstance(model, LogisticRegression):
        return np.asarray(model.predict_proba(matrix)[:, 1], dtype=np.float64)
    value = np.asarray(model.decision_function(matrix), dtype=np.float64)
    return np.asarray(1.0 / (1.0 + np.exp(-value)), dtype=np.float64)


def top_terms(
    model: Model,
    matrix: sparse.csr_matrix,
    terms: npt.NDArray[np.str_],
    k: int,
) -> list[list[str]]:
    """Per row, the ``k`` terms with the largest positive contribution (weight x tf-idf)."""
    from scipy import sparse

    coef = np.asarray(model.coef_[0], dtype=np.float64)
    contrib = sparse.csr_matrix(matrix.multiply(coef.reshape(1, -1)))
    out: list[list[str]] = []
    indptr, indices, data = contrib.indptr, contrib.indices, contrib.data
    for i in range(contrib.shape[0]):
        lo, hi = indptr[i], indptr[i + 1]
        vals = data[lo:hi]
        cols = indices[lo:hi]
        keep = vals > 0
        vals, cols = vals[keep], cols[keep]
        if not len(vals):
            out.append([])
            continue
        # largest contribution first; equal contributions by term (deterministic)
        order = np.lexsort((terms[cols], -vals))[:k]
        out.append([str(t) for t in terms[cols[order]]])
    return out


def rank_studies(
    studies: pl.DataFrame,
    labels: pl.DataFrame,
    candidates: Sequence[str] | None = None,
    settings: RankingSettings = DEFAULT,
    shared: SharedFeatures | None = None,
) -> pl.DataFrame:
    """Rank ``candidates`` (default: studies without a label) by a model trained on ``labels``.

    ``studies`` has ``study_id`` and text columns (title, abstract, keywords); ``labels`` has
    ``study_id`` and ``label`` (1 include, 0 exclude). Returns ``study_id``, ``rank`` (1 =
    screen first), ``score`` (probability of inclusion) and ``top_terms``. With no include or
    no exclude yet there is no model: candidates keep ``study_id`` order with null scores.
    ``shared`` holds features computed once for several rankings over the same ``studies``.
    """
    studies = studies.sort("study_id")
    labelled = dict(zip(labels["study_id"].to_list(), labels["label"].to_list(), strict=True))
    ids = studies["study_id"].to_list()
    if candidates is None:
        wanted = [s for s in ids if s not in labelled]
    else:
        chosen = set(candidates)
        wanted = [s for s in ids if s in chosen]
    schema: dict[str, pl.DataType] = {
        "study_id": pl.String(),
        "rank": pl.Int64(),
        "score": pl.Float64(),
        "top_terms": pl.List(pl.String()),
    }
    y_all = [int(labelled[s]) for s in ids if s in labelled]
    if len(set(y_all)) < 2 or not wanted:
        return pl.DataFrame(
            {
                "study_id": wanted,
                "rank": list(range(1, len(wanted) + 1)),
                "score": [None] * len(wanted),
                "top_terms": [[] for _ in wanted],
            },
            schema=schema,
        )
    if shared is not None and shared.serves(studies, settings):
        feats = shared.get()
    else:
        feats = features(record_text(studies), settings)
    pos = {s: i for i, s in enumerate(ids)}
    train_rows = np.array([pos[s] for s in ids if s in labelled], dtype=np.int64)
    model = fit(feats.matrix[train_rows], np.array(y_all, dtype=np.int64), settings)
    rows = np.array([pos[s] for s in wanted], dtype=np.int64)
    sub = feats.matrix[rows]
    p = scores(model, sub)
    terms = top_terms(model, sub, feats.terms, settings.top_terms)
    frame = pl.DataFrame(
        {"study_id": wanted, "score": p, "top_terms": terms},
        schema={k: v for k, v in schema.items() if k != "rank"},
    )
    frame = frame.sort(["score", "study_id"], descending=[True, False]).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("rank")
    )
    return frame.select(RANKING_COLUMNS)
