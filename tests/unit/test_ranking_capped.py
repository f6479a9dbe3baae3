"""The ranking's cap on the team's excludes a model learns (``max_excludes``): every include is
learnt, the excludes above the cap are a keyed sample that depends on each study alone, and a
capped ranking is the ranking of exactly those decisions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping_review import ranking, simulate
from support.ranking_corpus import corpus


def _keys(n: int) -> np.ndarray:
    return ranking.presumed_keys([f"S{i:04d}" for i in range(n)], 0)


def test_below_the_cap_every_decision_is_learnt_without_keys() -> None:
    rows = np.arange(10)
    labels = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    s = replace(ranking.DEFAULT, max_excludes=8)
    got_rows, got_labels = ranking.training_rows(rows, labels, None, s)
    assert got_rows.tolist() == rows.tolist() and got_labels.tolist() == labels.tolist()
    assert not ranking.capped(labels, s)
    off = replace(ranking.DEFAULT, max_excludes=0)  # 0: no cap at all
    assert ranking.training_rows(rows, labels, None, off)[0].tolist() == rows.tolist()


def test_above_the_cap_every_include_and_the_smallest_keys_excludes() -> None:
    n = 40
    rows = np.arange(100, 100 + n)
    labels = np.array([1 if i % 8 == 0 else 0 for i in range(n)])
    keys = _keys(n)
    s = replace(ranking.DEFAULT, max_excludes=5)
    assert ranking.capped(labels, s)
    got_rows, got_labels = ranking.training_rows(rows, labels, keys, s)
    excludes = [i for i in range(n) if labels[i] == 0]
    smallest = sorted(excludes, key=lambda i: int(keys[i]))[:5]
    expected = sorted([i for i in range(n) if labels[i] == 1] + smallest)
    assert got_rows.tolist() == [100 + i for i in expected]  # in the rows' order
    assert got_labels.tolist() == [int(labels[i]) for i in expected]
    assert int((got_labels == 0).sum()) == 5 and int(got_labels.sum()) == int(labels.sum())


def test_above_the_cap_without_keys_is_an_error_not_a_silent_full_fit() -> None:
    labels = np.array([1] + [0] * 9)
    with pytest.raises(ValueError, match="max_excludes=3"):
        ranking.training_rows(np.arange(10), labels, None, replace(ranking.DEFAULT, max_excludes=3))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=60),
    more=st.integers(min_value=0, max_value=40),
    cap=st.integers(min_value=1, max_value=30),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_the_sample_changes_only_at_its_edge_as_decisions_are_added(
    n: int, more: int, cap: int, seed: int
) -> None:
    """A study learnt before and still among the cap smallest keys stays learnt: a later run
    with more decisions drops only excludes that new, smaller keys push past the cap."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:04d}" for i in range(n + more)]
    labels = (rng.random(n + more) < 0.2).astype(np.int64)
    keys = ranking.presumed_keys(ids, 0)
    s = replace(ranking.DEFAULT, max_excludes=cap)
    rows = np.arange(n + more)
    before = set(ranking.training_rows(rows[:n], labels[:n], keys[:n], s)[0].tolist())
    after = set(ranking.training_rows(rows, labels, keys, s)[0].tolist())
    # every include of the first run is learnt in the second
    assert {i for i in range(n) if labels[i] == 1} <= after
    # an exclude learnt before and not learnt now was displaced by a new exclude's smaller key
    dropped = {i for i in before - after if labels[i] == 0}
    new_learnt = {i for i in after if i >= n and labels[i] == 0}
    for i in dropped:
        assert any(int(keys[j]) < int(keys[i]) for j in new_learnt)
    assert len([i for i in after if labels[i] == 0]) == min(cap, int((labels == 0).sum()))


def test_a_capped_ranking_is_the_ranking_of_the_decisions_it_learnt() -> None:
    """rank_studies with the cap binding gives the same order and scores as the uncapped
    ranking given only the includes and the sampled excludes (the keyed hash of seed and
    study_id chooses them, whatever the frames' order)."""
    n = 200
    texts, y = corpus(n, seed=5)
    ids = [f"S{i:03d}" for i in range(n)]
    studies = pl.DataFrame({"study_id": ids, "title": texts, "abstract": [""] * n})
    decided = list(range(0, n, 2))
    labels = pl.DataFrame({"study_id": [ids[i] for i in decided], "label": y[decided].tolist()})
    cap = 20
    s = replace(ranking.DEFAULT, max_excludes=cap)
    got = ranking.rank_studies(studies, labels, settings=s)
    excludes = labels.filter(pl.col("label") == 0)["study_id"].to_list()
    assert len(excludes) > cap
    keys = ranking.presumed_keys(excludes, s.seed)
    kept = {excludes[i] for i in np.argsort(keys, kind="stable")[:cap].tolist()}
    learnt = labels.filter((pl.col("label") == 1) | pl.col("study_id").is_in(list(kept)))
    unlearnt = labels.filter(~pl.col("study_id").is_in(learnt["study_id"].implode()))
    # the decided studies left out are not candidates: rank the same candidates uncapped
    pending = [i for i in ids if i not in set(labels["study_id"].to_list())]
    plain = ranking.rank_studies(studies, learnt, pending, settings=replace(s, max_excludes=0))
    assert got.equals(plain)
    assert unlearnt.height == len(excludes) - cap
    # and the cap is not a no-op: learning every exclude gives other scores
    full = ranking.rank_studies(studies, labels, settings=replace(s, max_excludes=0))
    assert not full["score"].equals(got["score"])
    assert ranking.rank_studies(studies.reverse(), labels.reverse(), settings=s).equals(got)


def test_a_replay_with_a_binding_cap_finds_every_include() -> None:
    """The screening replay samples its training excludes the same way (keys per row)."""
    texts, y = corpus(120, seed=2)
    s = replace(ranking.DEFAULT, max_excludes=10, min_df=1)
    feats = ranking.features(texts, s)
    out = simulate.replay(feats.matrix, y, seed=0, settings=s)
    assert int(out.labels.sum()) == int(y.sum())  # screened until the last include


def test_settings_read_max_excludes_from_config_and_describe_it() -> None:
    assert ranking.RankingSettings.from_config({}).max_excludes == ranking.MAX_EXCLUDES
    s = ranking.RankingSettings.from_config({"max_excludes": 1000})
    assert s.max_excludes == 1000
    assert "at most 1,000 of the team's excludes" in s.describe()
    assert "team's excludes" not in replace(s, max_excludes=0).describe()
