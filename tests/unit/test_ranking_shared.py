"""Features computed once and shared by several rankings give the same rankings as features
computed per ranking (the screen rule shares them between the pending ranking and the living
rounds' evaluations)."""

from __future__ import annotations

import polars as pl
import pytest

from scoping_review import ranking

TEXTS = {
    "S-1": "alliance rupture repair psychotherapy session",
    "S-2": "soil nitrogen maize fertiliser yield",
    "S-3": "therapy alliance rupture repair",
    "S-4": "crop rotation soil carbon agriculture",
    "S-5": "alliance ruptures psychotherapy therapist",
    "S-6": "irrigation wheat water agriculture",
    "S-7": "repair alliance ruptures therapy",
}


def _studies() -> pl.DataFrame:
    return pl.DataFrame({"study_id": list(TEXTS), "title": list(TEXTS.values())})


def test_shared_features_rank_as_features_per_ranking() -> None:
    studies = _studies().reverse()  # any order: the features are those of the sorted frame
    settings = ranking.RankingSettings()
    shared = ranking.SharedFeatures(studies, settings)
    first = pl.DataFrame({"study_id": ["S-1", "S-2"], "label": [1, 0]})
    second = pl.DataFrame({"study_id": ["S-1", "S-2", "S-3", "S-4"], "label": [1, 0, 1, 0]})
    for labels, wanted in ((first, ["S-3", "S-4", "S-5"]), (second, ["S-5", "S-6", "S-7"])):
        alone = ranking.rank_studies(studies, labels, wanted, settings)
        together = ranking.rank_studies(studies, labels, wanted, settings, shared)
        assert together.equals(alone)
    assert shared.serves(studies.sort("study_id"), settings)


def test_shared_features_of_other_texts_or_settings_are_not_used() -> None:
    settings = ranking.RankingSettings()
    shared = ranking.SharedFeatures(_studies(), settings)
    changed = _studies().with_columns(
        pl.when(pl.col("study_id") == "S-6")
        .then(pl.lit("alliance rupture repair"))
        .otherwise(pl.col("title"))
        .alias("title")
    )
    assert not shared.serves(changed.sort("study_id"), settings)
    assert not shared.serves(_studies().sort("study_id"), ranking.RankingSettings(ngram_max=1))
    labels = pl.DataFrame({"study_id": ["S-1", "S-2"], "label": [1, 0]})
    got = ranking.rank_studies(changed, labels, ["S-5", "S-6"], settings, shared)
    assert got.equals(ranking.rank_studies(changed, labels, ["S-5", "S-6"], settings))


def test_a_config_naming_logistic_regression_keeps_its_earlier_parameters() -> None:
    logistic = ranking.RankingSettings.from_config({"model": "logistic"})
    assert (logistic.c, logistic.include_ratio) == (10.0, 1.0)
    svm = ranking.RankingSettings.from_config({})
    assert (svm.model, svm.c, svm.include_ratio) == ("svm", 0.11, 9.8)
    chosen = ranking.RankingSettings.from_config({"model": "logistic", "c": 2, "include_ratio": 3})
    assert (chosen.c, chosen.include_ratio) == (2.0, 3.0)


def test_shared_features_rank_a_frame_of_study_ids_once_the_texts_are_let_go() -> None:
    studies = _studies().reverse()
    settings = ranking.RankingSettings()
    shared = ranking.SharedFeatures(studies, settings)
    ids = studies.select("study_id")
    labels = pl.DataFrame({"study_id": ["S-1", "S-2", "S-3"], "label": [1, 0, 1]})
    wanted = ["S-4", "S-5", "S-6", "S-7"]
    got = ranking.rank_studies(ids, labels, wanted, settings, shared)
    assert got.equals(ranking.rank_studies(studies, labels, wanted, settings))
    assert shared._texts is None  # computed and let go: only ids and hashes are kept
    # the texts are known again by their hashes: an edited text is not served
    assert shared.serves(studies, settings)
    assert not shared.serves(studies.with_columns(pl.lit("soil").alias("title")), settings)
    assert not shared.serves(ids.head(6), settings)


def test_a_frame_of_study_ids_without_shared_features_of_it_is_refused() -> None:
    settings = ranking.RankingSettings()
    labels = pl.DataFrame({"study_id": ["S-1", "S-2"], "label": [1, 0]})
    ids = _studies().select("study_id")
    with pytest.raises(ValueError, match="study_id alone"):
        ranking.rank_studies(ids, labels, ["S-3"], settings)
    other = ranking.SharedFeatures(_studies().head(5), settings)
    with pytest.raises(ValueError, match="study_id alone"):
        ranking.rank_studies(ids, labels, ["S-3"], settings, other)
    # no model yet (no include): nothing to compute, so the ids alone are enough
    none = ranking.rank_studies(ids, labels.head(1), ["S-3", "S-4"], settings)
    assert none["score"].null_count() == 2
