"""The ranking's presumed excludes: how many, which studies, and that no study is scored by a
model that took it as an exclude (two cross-fitted models)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping_review import ranking
from support.ranking_corpus import corpus


@pytest.mark.parametrize(
    ("unscreened", "cap", "expected"),
    [
        (0, 100, 0),
        (1, 100, 0),  # ceil(0.1) = 1, but two samples of 1 need 2 studies
        (2, 100, 1),
        (10, 100, 1),
        (11, 100, 2),  # ceil(1.1)
        (999, 100, 100),
        (1001, 100, 100),  # capped
        (5000, 100, 100),
        (5000, 0, 0),  # switched off
        (5000, 30, 30),
    ],
)
def test_presumed_count(unscreened: int, cap: int, expected: int) -> None:
    s = replace(ranking.DEFAULT, presumed_excludes=cap)
    assert ranking.presumed_count(unscreened, s) == expected


@given(
    st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40, unique=True),
    st.integers(0, 3),
)
@settings(max_examples=60, deadline=None)
def test_presumed_keys_belong_to_the_study_alone(ids: list[str], seed: int) -> None:
    keys = ranking.presumed_keys(ids, seed)
    assert keys.dtype == np.uint64 and keys.shape == (len(ids),)
    # a study's key does not depend on the other studies or on their order
    alone = {i: int(ranking.presumed_keys([i], seed)[0]) for i in ids}
    assert [int(k) for k in keys] == [alone[i] for i in ids]
    rev = ranking.presumed_keys(ids[::-1], seed)
    assert [int(k) for k in rev] == [alone[i] for i in ids[::-1]]


def test_presumed_keys_change_with_the_seed() -> None:
    ids = [f"S{i}" for i in range(50)]
    a, b = ranking.presumed_keys(ids, 0), ranking.presumed_keys(ids, 1)
    assert not np.array_equal(np.argsort(a), np.argsort(b))


def test_each_sampled_study_is_scored_by_the_model_that_did_not_train_on_it() -> None:
    texts, y = corpus(120)
    feats = ranking.features(texts)
    train = np.arange(0, 120, 4)  # every fourth study is screened
    rest = np.setdiff1d(np.arange(120), train)
    keys = ranking.presumed_keys(rest.tolist(), 0)
    model, got = ranking.fit_rank(feats.matrix[train], y[train], feats.matrix[rest], keys)
    k = ranking.presumed_count(rest.size, ranking.DEFAULT)
    assert k == 9  # ceil(0.1 x 90)
    assert isinstance(model, ranking.CrossFitted)
    order = np.argsort(keys, kind="stable")
    a, b = order[:k], order[k : 2 * k]

    def alone(sample: np.ndarray) -> np.ndarray:
        from scipy import sparse

        m = ranking.fit(
            sparse.vstack([feats.matrix[train], feats.matrix[rest][sample]], format="csr"),
            np.concatenate([y[train], np.zeros(k, dtype=np.int64)]),
            ranking.DEFAULT,
        )
        return ranking.scores(m, feats.matrix[rest])

    by_a, by_b = alone(a), alone(b)
    np.testing.assert_allclose(got[a], by_b[a])  # A's studies: the model that trained on B
    np.testing.assert_allclose(got[b], by_a[b])
    others = np.setdiff1d(np.arange(rest.size), order[: 2 * k])
    np.testing.assert_allclose(got[others], (by_a[others] + by_b[others]) / 2)
    # the terms' weights are the two models' mean
    np.testing.assert_allclose(
        ranking.weights(model),
        (ranking.weights(model.members[0]) + ranking.weights(model.members[1])) / 2,
    )
    # and the includes still come first
    top = rest[np.argsort(-got)[: int(y[rest].sum())]]
    assert y[top].mean() > 0.9


def test_without_presumed_excludes_the_model_is_the_plain_fit() -> None:
    texts, y = corpus(60)
    feats = ranking.features(texts)
    off = replace(ranking.DEFAULT, presumed_excludes=0)
    train, rest = np.arange(0, 60, 3), np.setdiff1d(np.arange(60), np.arange(0, 60, 3))
    keys = ranking.presumed_keys(rest.tolist(), 0)
    model, got = ranking.fit_rank(feats.matrix[train], y[train], feats.matrix[rest], keys, off)
    plain = ranking.fit(feats.matrix[train], y[train], off)
    np.testing.assert_array_equal(got, ranking.scores(plain, feats.matrix[rest]))
    assert not isinstance(model, ranking.CrossFitted)
    assert "presumed" not in off.describe()
    assert "presumed excluded" in ranking.DEFAULT.describe()


def test_rank_studies_is_deterministic_and_independent_of_row_order() -> None:
    texts, y = corpus(80, seed=3)
    ids = [f"S{i:03d}" for i in range(80)]
    studies = pl.DataFrame({"study_id": ids, "title": texts, "abstract": [""] * 80})
    decided = list(range(0, 80, 5))
    labels = pl.DataFrame({"study_id": [ids[i] for i in decided], "label": y[decided].tolist()})
    first = ranking.rank_studies(studies, labels)
    again = ranking.rank_studies(studies.reverse(), labels.reverse())
    assert first.equals(again)
    assert first.height == 80 - len(decided)
    assert first["rank"].to_list() == list(range(1, first.height + 1))
    # another seed samples other presumed excludes (the includes still lead)
    other = ranking.rank_studies(studies, labels, settings=replace(ranking.DEFAULT, seed=1))
    assert not other["score"].equals(first["score"])
    n_inc = int(y.sum()) - int(y[decided].sum())
    lead = set(first["study_id"].head(n_inc).to_list())
    assert sum(y[ids.index(s)] for s in lead) >= math.floor(0.9 * n_inc)


def test_settings_read_from_config() -> None:
    s = ranking.RankingSettings.from_config({"presumed_excludes": 0, "min_df": 1})
    assert (s.presumed_excludes, s.min_df) == (0, 1)
    d = ranking.RankingSettings.from_config({})
    assert (d.presumed_excludes, d.min_df) == (200, 2)
