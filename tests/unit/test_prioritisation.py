"""Prioritised screening: metrics, ranking determinism, the stopping rule's arithmetic and the
``simulate`` command on a real labelled set."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from helpers import require_shared
from scoping_review import cli, living_rounds, ranking, simulate, stopping

# -- metrics on a tiny hand-computed ranking -------------------------------------------------


def test_metrics_hand_computed_small() -> None:
    # 20 records, 3 includes, found at positions 1, 2 and 4; the other 16 are never screened
    m = simulate.metrics([1, 1, 0, 1], 20)
    # k = 4 records screened for ceil(0.95 * 3) = 3 includes: WSS@95 = (20 - 4) / 20 - 0.05
    assert m["wss_95"] == pytest.approx(0.75)
    assert m["recall_at_10pct"] == pytest.approx(2 / 3)  # first ceil(2.0) = 2 records
    assert m["recall_at_25pct"] == pytest.approx(1.0)  # first 5 records (4 screened + 1 exclude)
    assert m["screened_fraction_for_95_recall"] == pytest.approx(0.2)
    assert m["screened_fraction_for_100_recall"] == pytest.approx(0.2)
    assert (m["records"], m["includes"]) == (20, 3)


def test_metrics_95_and_100_recall_differ() -> None:
    # 40 records, 20 includes: 19 in the first 25 records, the last include at position 30
    order = [0] * 30
    for pos in [*range(0, 19), 29]:  # includes at 1-based positions 1..19 and 30
        order[pos] = 1
    order[20] = 0
    m = simulate.metrics(order, 40)
    # ceil(0.95 * 20) = 19 includes after 19 records; all 20 after 30
    assert m["screened_fraction_for_95_recall"] == pytest.approx(19 / 40)
    assert m["screened_fraction_for_100_recall"] == pytest.approx(30 / 40)
    assert m["wss_95"] == pytest.approx((40 - 19) / 40 - 0.05)
    assert m["recall_at_10pct"] == pytest.approx(4 / 20)  # ceil(4.0) = 4 records
    assert m["recall_at_25pct"] == pytest.approx(10 / 20)  # ceil(10.0) = 10 records
    assert m["recall_at_50pct"] == pytest.approx(19 / 20)  # ceil(20.0) = 20 records


def test_metrics_ceil_of_fractional_cut() -> None:
    # N = 7: the first ceil(0.7) = 1 record and the first ceil(1.75) = 2 records
    m = simulate.metrics([0, 1, 1, 0, 0, 0, 0], 7)
    assert m["recall_at_10pct"] == 0.0
    assert m["recall_at_25pct"] == pytest.approx(0.5)
    # ceil(0.95 * 2) = 2 includes after 3 records
    assert m["wss_95"] == pytest.approx((7 - 3) / 7 - 0.05)


def test_metrics_reject_sets_without_includes() -> None:
    with pytest.raises(ValueError, match="at least one include"):
        simulate.metrics([0, 0], 5)


# -- the stopping rule against worked examples -----------------------------------------------


def _p_zero(n_urn: int, k_urn: int, n: int) -> float:
    """P(no include in n draws from an urn of n_urn with k_urn includes), by counting."""
    return float(Fraction(math.comb(n_urn - k_urn, n), math.comb(n_urn, n)))


def test_stopping_rule_worked_example_does_not_stop() -> None:
    # 1000 records; 500 screened; 40 includes at positions 261-300, then 200 excludes.
    labels = [0] * 260 + [1] * 40 + [0] * 200
    result = stopping.test(labels, 1000, stopping.StoppingSettings(0.95, 0.95))
    # the sample of the last 200 (k = 0) gives the smallest p: r_before = 40,
    # K = floor(40 / 0.95 - 40 + 1) = floor(3.105) = 3 includes in an urn of 1000 - 300 = 700
    assert stopping.k_h0(40, 40, 0.95) == 3
    expected = _p_zero(700, 3, 200)
    assert expected == pytest.approx((500 * 499 * 498) / (700 * 699 * 698))
    assert result.sample_size == 200
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert not result.stop  # 0.364 is not below 1 - 0.95
    assert math.isnan(result.estimated_recall)


def test_stopping_rule_worked_example_stops() -> None:
    # 3000 records; 2500 screened; 100 includes at positions 401-500, then 2000 excludes.
    labels = [0] * 400 + [1] * 100 + [0] * 2000
    result = stopping.test(labels, 3000, stopping.StoppingSettings(0.95, 0.95))
    # K = floor(100 / 0.95 - 100 + 1) = 6 in an urn of 3000 - 500 = 2500; 2000 draws, none
    assert stopping.k_h0(100, 100, 0.95) == 6
    expected = _p_zero(2500, 6, 2000)
    assert expected == pytest.approx(np.prod([(500 - i) / (2500 - i) for i in range(6)]))
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.sample_size == 2000
    assert result.stop and result.estimated_recall == 0.95
    # a 99 % target: K = floor(100 / 0.99 - 100 + 1) = floor(2.0101) = 2, so
    # p = (500 * 499) / (2500 * 2499) = 0.0399: stop at 95 % confidence, not at 99 %
    assert stopping.k_h0(100, 100, 0.99) == 2
    p99 = (500 * 499) / (2500 * 2499)
    strict = stopping.test(labels, 3000, stopping.StoppingSettings(0.99, 0.95))
    assert strict.p_value == pytest.approx(p99, rel=1e-9) and strict.stop
    stricter = stopping.test(labels, 3000, stopping.StoppingSettings(0.99, 0.99))
    assert stricter.p_value == pytest.approx(p99, rel=1e-9) and not stricter.stop


def test_stopping_rule_everything_screened_stops() -> None:
    result = stopping.test([1, 0, 0], 3)
    assert result.stop


def test_stopping_settings_validated() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        stopping.StoppingSettings(recall_target=95, confidence=0.95)


# -- ranking: determinism and explanations ---------------------------------------------------

TEXTS = {
    "S-1": ("Mindfulness therapy for anxiety in adolescents", "A randomised trial of therapy."),
    "S-2": ("Soil nitrogen in maize fields", "Fertiliser and yield in agriculture."),
    "S-3": ("Therapy alliance rupture and repair", "Rupture repair in psychotherapy sessions."),
    "S-4": ("Crop rotation and soil carbon", "Agriculture trial on soil."),
    "S-5": ("Alliance ruptures in psychotherapy", "Therapist responses to rupture."),
    "S-6": ("Irrigation of wheat", "Water use in agriculture fields."),
    "S-7": ("Repair of alliance ruptures in therapy", None),
}


def _studies() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "study_id": list(TEXTS),
            "title": [t for t, _ in TEXTS.values()],
            "abstract": [a for _, a in TEXTS.values()],
            "keywords": [[] for _ in TEXTS],
        },
        schema={
            "study_id": pl.String,
            "title": pl.String,
            "abstract": pl.String,
            "keywords": pl.List(pl.String),
        },
    )


def test_rank_studies_orders_by_score_with_top_terms_and_is_deterministic() -> None:
    labels = pl.DataFrame({"study_id": ["S-3", "S-2", "S-4"], "label": [1, 0, 0]})
    first = ranking.rank_studies(_studies(), labels)
    again = ranking.rank_studies(_studies().reverse(), labels.reverse())
    assert first.equals(again)
    assert first["study_id"].to_list()[:2] == ["S-7", "S-5"] or first["study_id"].to_list()[:2] == [
        "S-5",
        "S-7",
    ]
    assert first["study_id"].to_list()[-1] in ("S-6",)
    assert first["rank"].to_list() == [1, 2, 3, 4]
    scores = first["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    top = dict(zip(first["study_id"], first["top_terms"], strict=True))
    assert any("rupture" in t for t in top["S-5"])


def test_rank_studies_without_both_classes_keeps_id_order() -> None:
    labels = pl.DataFrame({"study_id": ["S-3"], "label": [1]})
    out = ranking.rank_studies(_studies(), labels)
    assert out["study_id"].to_list() == ["S-1", "S-2", "S-4", "S-5", "S-6", "S-7"]
    assert out["score"].null_count() == out.height


def _labelled(n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(5)
    words_in = ["rupture", "repair", "alliance", "therapy", "session"]
    words_out = ["soil", "maize", "yield", "irrigation", "wheat", "nitrogen"]
    rows = []
    for i in range(n):
        inc = i % 6 == 0
        pool = words_in if inc else words_out
        mix = [*rng.choice(pool, 5), *rng.choice(words_in + words_out, 3)]
        rows.append(
            {"title": " ".join(mix[:4]), "abstract": " ".join(mix), "label_included": int(inc)}
        )
    return pl.DataFrame(rows)


def test_simulation_is_deterministic_per_seed() -> None:
    frame = _labelled()
    a = simulate.simulate(frame, seed=3)
    b = simulate.simulate(frame, seed=3)
    for key in ("wss_95", "recall_at_10pct", "prior_rows", "stopping"):
        assert a[key] == b[key]
    c = simulate.simulate(frame, seed=4)
    assert c["prior_rows"] != a["prior_rows"]
    # separable toy data: every include before most excludes
    assert a["screened_fraction_for_100_recall"] < 0.5


def test_replay_same_seed_same_order() -> None:
    frame = _labelled()
    feats = ranking.features(ranking.record_text(frame))
    y = frame["label_included"].to_numpy().astype(np.int64)
    one = simulate.replay(feats.matrix, y, seed=11)
    two = simulate.replay(feats.matrix, y, seed=11)
    assert one.order.tolist() == two.order.tolist()


# -- the command on a real labelled set ------------------------------------------------------


def test_simulate_command_on_real_labelled_set(tmp_path, capsys) -> None:
    path = require_shared("fixtures", "screening", "labelled", "Cohen_2006_UrinaryIncontinence.csv")
    out = tmp_path / "metrics.json"
    assert cli.main(["simulate", str(path), "--seed", "1", "--out", str(out)]) == 0
    m = json.loads(out.read_text())
    required = {
        "records", "includes", "wss_95", "recall_at_10pct", "recall_at_25pct",
        "screened_fraction_for_95_recall", "screened_fraction_for_100_recall", "seconds", "stopping",
    }  # fmt: skip
    assert required <= set(m)
    labels = pl.read_csv(path, infer_schema=False)["label_included"].cast(pl.Int64)
    assert (m["records"], m["includes"]) == (labels.len(), int(labels.sum()))
    assert 0.0 < m["wss_95"] < 0.95
    assert 0 < m["screened_fraction_for_95_recall"] <= m["screened_fraction_for_100_recall"] <= 1
    stop = m["stopping"]
    assert stop["screened"] is not None and 0 <= stop["recall"] <= 1
    assert "WSS@95" in capsys.readouterr().out


def test_simulate_command_names_bad_labels(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,label_included\na,b,1\nc,d,yes\n", encoding="utf-8")
    assert cli.main(["simulate", str(bad)]) == 2
    assert "line(s) 3" in capsys.readouterr().err


def test_a_mistyped_option_shows_the_subcommands_usage(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["simulate", "set.csv", "--sead", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: scoping-review simulate" in err and "--recall-target" in err
    assert "unrecognized arguments: --sead 1" in err


def test_simulate_command_says_what_is_wrong_before_the_replay(tmp_path, capsys) -> None:
    # a missing file, a folder, an --out whose folder is missing: named at once, exit 2,
    # before any replay; a set without includes names the file
    one = tmp_path / "one.csv"
    one.write_text("title,abstract,label_included\na,b,0\nc,d,0\n", encoding="utf-8")
    cases = [
        ([str(tmp_path / "nope.csv")], "nope.csv: labelled CSV not found"),
        ([str(tmp_path)], "labelled CSV is a directory"),
        ([str(one), "--out", str(tmp_path / "missing" / "m.json")], "its folder does not exist"),
        ([str(one)], f"{one}: a labelled set needs at least one include"),
    ]
    for argv, said in cases:
        assert cli.main(["simulate", *argv]) == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()


# -- the workflow's use: PRISMA identities with automation exclusions, worklist order --------

CRITERIA = [{"code": "off_topic", "label": "Off topic", "stages": ["title_abstract", "full_text"]}]
WORDS = [
    "alliance",
    "rupture",
    "repair",
    "therapy",
    "session",
    "client",
    "therapist",
    "outcome",
    "process",
    "trial",
    "model",
    "soil",
    "maize",
    "wheat",
    "yield",
    "nitrogen",
    "water",
    "carbon",
    "crop",
    "irrigation",
    "field",
    "farm",
    "climate",
]


def _review(n: int = 500) -> tuple[pl.DataFrame, pl.DataFrame]:
    from helpers import records
    from scoping_review import dedupe

    rng = np.random.default_rng(0)
    rows = [
        {
            "record_id": f"db:{i}",
            "title": f"{' '.join(rng.choice(WORDS, 6))} study {i} of series {i * 7919 % 1000}",
            "abstract": " ".join(rng.choice(WORDS, 30)),
            "year": 2000 + i % 20,
        }
        for i in range(n)
    ]
    clusters, studies = dedupe.deduplicate(records(rows))
    assert studies.height == n
    return clusters, studies


def _ta_sheet(decided: list[tuple[str, str]]):
    from scoping_review import screen

    frame = pl.DataFrame(
        {
            "record_id": [r for r, _ in decided],
            "decision": [d for _, d in decided],
            "reason": [None if d == "include" else "off_topic" for _, d in decided],
            "reviewer": ["R1"] * len(decided),
        }
    )
    return screen.Sheet("ta.csv", "title_abstract", frame)


def _screened_review(apply: bool):
    from scoping_review import prioritisation, screen

    clusters, studies = _review()
    # 20 includes among the first 40 screened, then 400 excludes; 60 records never screened
    decided = [(f"db:{i}", "include" if i % 2 == 0 else "exclude") for i in range(40)]
    decided += [(f"db:{i}", "exclude") for i in range(40, 440)]
    decisions = screen.read_decisions([_ta_sheet(decided)], clusters, CRITERIA)
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto)
    rule = stopping.StoppingSettings(0.95, 0.95, apply=apply)
    outcome = prioritisation.stopping_test(status, decisions, ["ta.csv"], rule)
    auto = prioritisation.with_stopping(auto, outcome)
    status = screen.screening_status(studies, decisions, auto)
    counts = [
        *screen.screen_counts(status, studies, auto, CRITERIA),
        *prioritisation.stopping_counts(outcome, studies),
    ]
    return studies, status, outcome, counts


def _ledger_checks(counts, n: int) -> dict[str, int]:
    from scoping_review import ledger

    values = {c.count_id: c.value for c in counts}
    values.update(database_results=n, duplicates=0, excluded_other=0)
    assert ledger.check_identities(values) == []
    assert ledger.check_sums(ledger.to_frame(counts, {})) == []
    return values


def test_applied_stopping_rule_is_an_automation_exclusion_in_prisma() -> None:
    _, status, outcome, counts = _screened_review(apply=True)
    # the last include is the 39th record: the last 401 hold none; K = floor(20 / 0.95 - 20
    # + 1) = 2 includes in an urn of 500 - 39 = 461, so p = (60 * 59) / (461 * 460)
    assert outcome.result.p_value == pytest.approx((60 * 59) / (461 * 460), rel=1e-9)
    assert outcome.result.stop and outcome.applied and len(outcome.set_aside) == 60
    values = _ledger_checks(counts, 500)
    assert values["excluded_automatic"] == 60
    assert values["excluded_automatic.stopping_rule"] == 60
    assert values["stopping.set_aside"] == 60
    assert values["records_screened"] == 440 and values["records_pending"] == 0
    assert values["stopping.recall_target"] == 950 and values["stopping.confidence"] == 950
    by_id = {c.count_id: c for c in counts}
    assert by_id["stopping.set_aside"].ids == by_id["excluded_automatic.stopping_rule"].ids
    finals = status.group_by("final").len().sort("final").rows()
    assert finals == [("excluded_automatic", 60), ("excluded_title_abstract", 420),
                      ("pending", 20)]  # fmt: skip
    reasons = set(status.filter(pl.col("final") == "excluded_automatic")["final_reason"])
    assert len(reasons) == 1 and "stopping rule" in reasons.pop()


def test_stopping_rule_without_the_switch_excludes_nothing() -> None:
    _, status, outcome, counts = _screened_review(apply=False)
    assert outcome.result.stop and not outcome.applied and outcome.set_aside == []
    values = _ledger_checks(counts, 500)
    assert values["excluded_automatic"] == 0 and values["stopping.set_aside"] == 0
    assert values["records_pending"] == 60
    assert "excluded_automatic.stopping_rule" not in values
    assert status.filter(pl.col("final") == "excluded_automatic").height == 0


def test_worklist_in_rank_order_with_score_and_terms() -> None:
    from scoping_review import prioritisation, screen, worklists

    clusters, studies = _review(60)
    decided = [(f"db:{i}", "include" if i % 3 == 0 else "exclude") for i in range(30)]
    decisions = screen.read_decisions([_ta_sheet(decided)], clusters, CRITERIA)
    status = screen.screening_status(studies, decisions, screen.automatic_exclusions(studies, []))
    texts = prioritisation.study_texts(studies)
    ranked = prioritisation.rank_pending(texts, status, ranking.RankingSettings())
    assert ranked.height == 30 and ranked["rank"].to_list() == list(range(1, 31))
    settings = screen.Settings.from_config({"stages": {"title_abstract": {"names": ["R1"]}}})
    lists = worklists.worklists(studies, status, decisions, settings, ranked)
    sheet = lists[("title_abstract", "R1")]
    assert sheet["study_id"].to_list() == ranked["study_id"].to_list()
    assert sheet["priority"].to_list() == [str(i) for i in range(1, 31)]
    assert sheet.columns[-3:] == ["priority", "score", "top_terms"]
    # a filled worklist is still a decision sheet
    again = screen.read_decisions(
        [screen.Sheet("w.csv", "title_abstract", sheet.head(2).with_columns(
            pl.lit("exclude").alias("decision"), pl.lit("off_topic").alias("reason")))],
        clusters, CRITERIA,
    )  # fmt: skip
    assert again.height == 2


def _topic_row(i: int, rng: np.random.Generator, search_date: str) -> dict[str, str]:
    """Record ``db:i``: every fourth in the topic's words (an include), the others not."""
    topic, other = WORDS[:11], WORDS[11:]
    words = [*rng.choice(topic if i % 4 == 0 else other, 8), *rng.choice(WORDS, 2)]
    return {
        "record_id": f"db:{i}",
        "title": f"{' '.join(words[:5])} report {i} in series {i * 7919 % 1000}",
        "abstract": " ".join(words),
        "search_date": search_date,
    }


def test_living_rounds_ranked_by_the_earlier_rounds_model() -> None:
    from helpers import records
    from scoping_review import dedupe, prioritisation, screen

    rng = np.random.default_rng(1)
    rows = [_topic_row(i, rng, "2024-01-01" if i < 50 else "2024-06-01") for i in range(80)]
    recs = records(rows)
    clusters, studies = dedupe.deduplicate(recs)
    assert studies.height == 80
    decided = [(f"db:{i}", "include" if i % 4 == 0 else "exclude") for i in range(80)]
    decisions = screen.read_decisions([_ta_sheet(decided)], clusters, CRITERIA)
    status = screen.screening_status(studies, decisions, screen.automatic_exclusions(studies, []))
    rounds_of = living_rounds.study_rounds(clusters, recs)
    assert rounds_of.group_by("round").len().sort("round").rows() == [(1, 50), (2, 30)]
    results = living_rounds.rounds(
        prioritisation.study_texts(studies, recs), status, rounds_of, ranking.RankingSettings()
    )
    assert [r.round for r in results] == [2]
    (r2,) = results
    assert (len(r2.studies), len(r2.includes), r2.trained_on) == (30, 7, 50)
    assert r2.found is not None
    # the topic words separate includes: the model of round 1 puts round 2's includes first
    assert len(r2.found[10]) == 3  # ceil(0.1 * 30) = 3 records, all includes
    assert len(r2.found[25]) == 7 and len(r2.found[50]) == 7  # ceil(7.5) = 8 records
    table = living_rounds.rounds_table(results)
    assert table.row(0, named=True)["found_25pct"] == 7
    counts = {c.count_id: c.value for c in prioritisation.round_counts(results)}
    assert counts["ranking.round.2.includes"] == 7 and counts["ranking.round.2.found_10pct"] == 3


def _three_rounds(n: int = 120, later: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Texts, status and rounds of ``n`` decided studies over three search dates (a third
    each), plus ``later`` undecided studies of a fourth search written in the topic's words
    (they move those terms' document frequencies when they join the population)."""
    from helpers import records
    from scoping_review import dedupe, prioritisation, screen

    rng = np.random.default_rng(3)
    topic = WORDS[:11]
    dates = ["2024-01-01", "2024-06-01", "2024-12-01"]
    rows = [_topic_row(i, rng, dates[min(i * 3 // n, 2)]) for i in range(n)]
    for j in range(later):
        rows.append(
            {
                "record_id": f"db:new{j}",
                "title": f"{' '.join(rng.choice(topic, 6))} novel cohort {j}",
                "abstract": " ".join(rng.choice(topic, 12)),
                "search_date": "2025-06-01",
            }
        )
    recs = records(rows)
    clusters, studies = dedupe.deduplicate(recs)
    decided = [(f"db:{i}", "include" if i % 4 == 0 else "exclude") for i in range(n)]
    decisions = screen.read_decisions([_ta_sheet(decided)], clusters, CRITERIA)
    status = screen.screening_status(studies, decisions, screen.automatic_exclusions(studies, []))
    texts = prioritisation.study_texts(studies, recs)
    return texts, status, living_rounds.study_rounds(clusters, recs)


def _no_subset(ids: list[str]) -> ranking.Features:
    raise AssertionError(f"features of {len(ids)} studies asked for; the memo should serve")


def test_a_rounds_evaluation_uses_what_was_known_then() -> None:
    # round 2's order is that of a team screening round 2: studies of round 3 and of a later
    # search (which change the topic terms' document frequencies) do not move it; ranked on
    # the features of every study, as before, the later search's studies do move it

    texts, status, rounds_of = _three_rounds()
    settings = ranking.RankingSettings()
    full = living_rounds.rounds(texts, status, rounds_of, settings)
    assert [r.round for r in full] == [2, 3]
    early = rounds_of.filter(pl.col("round") <= 2)
    only = living_rounds.rounds(
        texts.join(early, on="study_id", how="semi"),
        status.join(early, on="study_id", how="semi"),
        early,
        settings,
    )
    assert only[0].order == full[0].order and only[0].found == full[0].found
    texts4, status4, rounds4 = _three_rounds(later=30)
    grown = living_rounds.rounds(texts4, status4, rounds4, settings)
    assert [r.round for r in grown] == [2, 3, 4]
    assert [(r.order, r.found) for r in grown[:2]] == [(r.order, r.found) for r in full]
    assert grown[2].found is None  # round 4 has no decision yet: nothing to evaluate


def test_living_rounds_reuse_the_orders_of_unchanged_rounds() -> None:

    texts, status, rounds_of = _three_rounds()
    settings = ranking.RankingSettings()
    first = living_rounds.rounds(texts, status, rounds_of, settings, memo={})
    assert all(r.key and r.order and not r.reused for r in first)
    memo = {r.key: list(r.order or ()) for r in first if r.key}
    # the same inputs: every order from the memo, no features computed, the same results
    again = living_rounds.rounds(texts, status, rounds_of, settings, memo=memo, subset=_no_subset)
    assert all(r.reused for r in again)
    assert [(r.order, r.found, r.trained_on) for r in again] == [
        (r.order, r.found, r.trained_on) for r in first
    ]
    # a new search: rounds 2 and 3 are reused, and equal a run without the memo
    texts4, status4, rounds4 = _three_rounds(later=30)
    grown = living_rounds.rounds(texts4, status4, rounds4, settings, memo=memo, subset=_no_subset)
    scratch = living_rounds.rounds(texts4, status4, rounds4, settings)
    assert [r.reused for r in grown] == [True, True, False]
    assert [(r.order, r.found) for r in grown] == [(r.order, r.found) for r in scratch]
    # a changed round-1 decision changes both later rounds' keys: both are fitted again
    r1 = rounds_of.filter(pl.col("round") == 1)["study_id"].sort()[1]  # an exclude
    assert status.filter(pl.col("study_id") == r1)["title_abstract"][0] == "exclude"
    flipped = status.with_columns(
        pl.when(pl.col("study_id") == r1)
        .then(pl.lit("include"))
        .otherwise(pl.col("title_abstract"))
        .alias("title_abstract")
    )
    redo = living_rounds.rounds(texts, flipped, rounds_of, settings, memo=memo)
    assert [r.reused for r in redo] == [False, False]
    assert [(r.order, r.found) for r in redo] == [
        (r.order, r.found) for r in living_rounds.rounds(texts, flipped, rounds_of, settings)
    ]
    # a round-3 decision changed: no model learns it, so both orders are reused, and round 3
    # counts its includes anew
    r3 = rounds_of.filter(pl.col("round") == 3)["study_id"].sort()[1]
    late = status.with_columns(
        pl.when(pl.col("study_id") == r3)
        .then(pl.lit("include"))
        .otherwise(pl.col("title_abstract"))
        .alias("title_abstract")
    )
    kept = living_rounds.rounds(texts, late, rounds_of, settings, memo=memo, subset=_no_subset)
    assert [r.reused for r in kept] == [True, True]
    assert len(kept[1].includes) == len(first[1].includes) + 1
    assert [(r.order, r.found) for r in kept] == [
        (r.order, r.found) for r in living_rounds.rounds(texts, late, rounds_of, settings)
    ]
    # a round-2 study's text edited: round 2 and 3 change (round 3's model learns from it)
    sid = rounds_of.filter(pl.col("round") == 2)["study_id"].sort()[0]
    edited = texts.with_columns(
        pl.when(pl.col("study_id") == sid)
        .then(pl.col("abstract") + " amended")
        .otherwise(pl.col("abstract"))
        .alias("abstract")
    )
    keys = [r.key for r in living_rounds.rounds(edited, status, rounds_of, settings, memo={})]
    assert all(k not in memo for k in keys)


def test_a_memo_entry_of_other_studies_is_not_used() -> None:
    # a kept order that does not hold exactly the round's studies is refitted, not trusted

    texts, status, rounds_of = _three_rounds()
    settings = ranking.RankingSettings()
    first = living_rounds.rounds(texts, status, rounds_of, settings, memo={})
    memo = {r.key: list(r.order or ())[:-1] for r in first if r.key}
    again = living_rounds.rounds(texts, status, rounds_of, settings, memo=memo)
    assert [r.reused for r in again] == [False, False]
    assert [r.order for r in again] == [r.order for r in first]


def test_a_living_round_is_the_config_round_of_a_studys_searches() -> None:
    # three searches of round 1 on different dates and one of round 2: two rounds, not four;
    # a study found in rounds 1 and 2 belongs to round 1, one found only in round 2 to round 2

    clusters = pl.DataFrame(
        {
            "record_id": ["a:1", "b:1", "c:1", "d:1", "d:2", "e:1"],
            "study_id": ["S1", "S2", "S3", "S4", "S4", "S5"],
        }
    )
    records = pl.DataFrame(
        {
            "record_id": ["a:1", "b:1", "c:1", "d:1", "d:2", "e:1"],
            "source_id": ["a", "b", "c", "c", "d", "d"],
            "search_date": [
                "2024-01-05", "2024-02-01", "2024-03-01", "2024-03-01", "2024-09-01", "2024-09-01",
            ],
        }
    )  # fmt: skip
    rounds = {"a": 1, "b": 1, "c": 1, "d": 2}
    got = living_rounds.study_rounds(clusters, records, rounds)
    assert got.select("study_id", "round").rows() == [
        ("S1", 1), ("S2", 1), ("S3", 1), ("S4", 1), ("S5", 2),
    ]  # fmt: skip
    # by dates alone (no config rounds) the same searches would make four rounds
    assert living_rounds.study_rounds(clusters, records)["round"].max() == 4
    # the round's date in the report: the earliest search date of its studies
    status = pl.DataFrame(
        {"study_id": ["S1", "S2", "S3", "S4", "S5"], "title_abstract": ["include", "exclude",
         "exclude", "include", "exclude"]}
    )  # fmt: skip
    texts = pl.DataFrame(
        {
            "study_id": ["S1", "S2", "S3", "S4", "S5"],
            "title": ["alliance rupture", "diet trial", "sleep", "rupture repair", "rupture"],
            "abstract": ["therapy alliance", "food", "night", "alliance therapy", "repair"],
        }
    )
    (r2,) = living_rounds.rounds(texts, status, got, ranking.RankingSettings())
    assert (r2.round, r2.search_date, r2.studies, r2.trained_on) == (2, "2024-09-01", ["S5"], 4)
