"""Prioritised screening's speed mechanisms give the same answers as the slow way: the stopping
rule located by bisection against a test after every decision, and a simulation that reuses
features fitted once against one that fits them itself."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping_review import ranking, simulate, stopping


def _every_decision(labels: list[int], n_total: int, rule: stopping.StoppingSettings) -> int | None:
    for t in range(1, len(labels) + 1):
        if stopping.test(labels[:t], n_total, rule).stop:
            return t
    return None


@pytest.mark.parametrize("seed", range(12))
def test_first_stop_equals_testing_after_every_decision(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(80, 300))
    # ranked-like: includes dense early, sparse later; sometimes the whole set is screened
    p = np.linspace(0.5, 0.0, n) ** 2
    labels = (rng.random(n) < p).astype(np.int64).tolist()
    labels[0] = 1
    screened = n if seed % 3 == 0 else int(rng.integers(n // 2, n))
    rule = stopping.StoppingSettings(
        recall_target=[0.8, 0.9, 0.95][seed % 3],
        confidence=[0.9, 0.95][seed % 2],
        min_screened=[0, 40][seed % 2],
    )
    want = _every_decision(labels[:screened], n, rule)
    got = stopping.first_stop(labels[:screened], n, rule)
    assert (None if got is None else got[0]) == want
    if got is not None:
        assert got[1] == stopping.test(labels[: got[0]], n, rule)


def test_first_stop_worked_example() -> None:
    # 40 includes first, then excludes: with 1000 records the rule needs a long run of excludes
    labels = [1] * 40 + [0] * 960
    t, result = stopping.first_stop(labels, 1000) or (0, None)
    assert result is not None and result.stop
    assert not stopping.test(labels[: t - 1], 1000).stop
    assert t == _every_decision(labels, 1000, stopping.DEFAULT)


@settings(max_examples=300, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=300),
    unscreened=st.one_of(st.integers(0, 5), st.integers(0, 3000)),
    recall_target=st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]),
    sorted_first=st.booleans(),
)
def test_smallest_p_equals_the_minimum_over_every_sample_size(
    labels: list[int], unscreened: int, recall_target: float, sorted_first: bool
) -> None:
    """The few CDFs :func:`stopping.smallest_p` evaluates find the value and the first sample
    size of the minimum over every sample size, bit for bit (includes first or anywhere; a
    small remainder, where K is capped at the urn's size, or a large one)."""
    y = sorted(labels, reverse=True) if sorted_first else labels
    n_total = len(y) + unscreened
    p = stopping.p_values(y, n_total, recall_target)
    assert stopping.smallest_p(y, n_total, recall_target) == (
        float(p.min()),
        int(np.argmin(p)) + 1,
    )


def test_smallest_p_with_nothing_screened() -> None:
    assert stopping.smallest_p([], 10, 0.95) == (1.0, 0)
    assert stopping.test([], 10).sample_size == 0


def _labelled(n: int = 90) -> pl.DataFrame:
    rng = np.random.default_rng(2)
    words_in = ["rupture", "repair", "alliance", "therapy", "session"]
    words_out = ["soil", "maize", "yield", "irrigation", "wheat", "nitrogen"]
    rows = []
    for i in range(n):
        inc = i % 7 == 0
        mix = [*rng.choice(words_in if inc else words_out, 4), *rng.choice(words_in + words_out, 4)]
        rows.append({"title": " ".join(mix[:3]), "abstract": " ".join(mix), "label_included": inc})
    return pl.DataFrame(rows).with_columns(pl.col("label_included").cast(pl.Int64))


def test_features_fitted_once_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _labelled()
    feats = simulate.set_features(frame)
    fresh = simulate.simulate(frame, seed=5)

    def refit(*args: object, **kwargs: object) -> ranking.Features:
        raise AssertionError("features fitted again")

    monkeypatch.setattr(ranking, "features", refit)
    reused = [simulate.simulate(frame, seed=s, feats=feats) for s in (5, 6)]
    for key in ("wss_95", "prior_rows", "stopping", "screened_fraction_for_100_recall"):
        assert fresh[key] == reused[0][key]
    assert reused[1]["prior_rows"] != reused[0]["prior_rows"]
    with pytest.raises(AssertionError, match="fitted again"):
        simulate.simulate(frame, seed=5)


def test_replay_ends_at_the_last_include_and_still_places_the_stop() -> None:
    frame = _labelled()
    y = frame["label_included"].to_numpy().astype(np.int64)
    feats = simulate.set_features(frame)
    run = simulate.replay(feats.matrix, y, seed=1)
    assert run.labels[-1] == 1 and int(run.labels.sum()) == int(y.sum())
    whole = np.concatenate([run.labels, np.zeros(y.shape[0] - run.labels.shape[0], np.int64)])
    assert run.stop_at == _every_decision(whole.tolist(), y.shape[0], stopping.DEFAULT)


def _top_terms_per_row(model: ranking.Model, feats: ranking.Features, k: int) -> list[list[str]]:
    """The slow reference: every row on its own, sorted by contribution then term, terms of
    stop words alone left out."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    coef = ranking.weights(model)
    dense = feats.matrix.toarray().astype(np.float64) * coef
    out = []
    for row in dense:
        pairs = sorted(
            (-v, str(feats.terms[j]))
            for j, v in enumerate(row)
            if v > 0 and not set(str(feats.terms[j]).split()) <= ENGLISH_STOP_WORDS
        )
        out.append([t for _, t in pairs[:k]])
    return out


@pytest.mark.parametrize("model", ["logistic", "nb", "ensemble"])
def test_vectorised_top_terms_equal_the_per_row_reference(model: str) -> None:
    frame = _labelled(120)
    settings = ranking.RankingSettings(model=model)
    feats = simulate.set_features(frame, settings)
    y = frame["label_included"].to_numpy().astype(np.int64)
    fitted = ranking.fit(feats.matrix[:80], y[:80], settings)
    for k in (1, 3):
        got = ranking.top_terms(fitted, feats.matrix[80:], feats.terms, k)
        assert got == _top_terms_per_row(
            fitted, ranking.Features(feats.matrix[80:], feats.terms), k
        )
    assert any(len(t) == 3 for t in got)


def test_top_terms_ties_go_to_the_earlier_term() -> None:
    from scipy import sparse

    matrix = sparse.csr_matrix(np.array([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [0.2, 0.0, 0.9]]))
    terms = np.array(["alpha", "beta", "gamma"])

    class Linear:
        coef_ = np.array([[1.0, 1.0, -1.0]])

    assert ranking.top_terms(Linear(), matrix, terms, 2) == [["alpha", "beta"], [], ["alpha"]]


def test_top_terms_leave_out_terms_of_function_words_alone() -> None:
    # "the" and "of the" weigh most, but a reader learns nothing from them; "the rupture"
    # holds a content word and is shown
    from scipy import sparse

    terms = np.array(["of the", "rupture", "the", "the rupture"])
    matrix = sparse.csr_matrix(np.array([[0.5, 0.4, 0.6, 0.3]]))

    class Linear:
        coef_ = np.array([[3.0, 1.0, 3.0, 1.0]])

    assert ranking.top_terms(Linear(), matrix, terms, 3) == [["rupture", "the rupture"]]
    assert ranking.function_terms(terms).tolist() == [True, False, True, False]


def test_class_weights_give_includes_their_ratio() -> None:
    y = np.array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0], dtype=np.int64)
    for ratio in (1.0, 9.8):
        w = ranking._class_weights(y, ratio)
        total_in, total_out = 2 * w[1], 8 * w[0]
        assert total_in == pytest.approx(ratio * total_out)
        assert total_in + total_out == pytest.approx(10.0)
    # ratio 1 is scikit-learn's "balanced": n / (2 n_class)
    assert ranking._class_weights(y, 1.0) == pytest.approx({0: 10 / 16, 1: 10 / 4})


@given(
    st.integers(0, 12),  # rows
    st.integers(1, 9),  # columns
    st.integers(0, 7),  # k
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_top_terms_equal_the_reference_on_random_matrices(
    n_rows: int, n_cols: int, k: int, seed: int
) -> None:
    """Ties (values drawn from a few levels), negative and zero weights, empty rows, k above
    a row's entries and k = 0: the segmented passes give the per-row reference's lists."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    dense = rng.choice([0.0, 0.0, 0.25, 0.5, 1.0], size=(n_rows, n_cols))
    coef = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0], size=n_cols)
    terms = np.array([f"t{j}" for j in range(n_cols)])

    class Linear:
        coef_ = coef[None, :]

    matrix = sparse.csr_matrix(dense)
    want = _top_terms_per_row(Linear(), ranking.Features(matrix, terms), k)
    assert ranking.top_terms(Linear(), matrix, terms, k) == want
