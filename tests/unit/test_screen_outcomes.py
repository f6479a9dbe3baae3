"""The vectorised screening status equals the per-study rules (tests/support/screen_reference.py)
on generated decisions: consensus, conflicts, missing reviewers, maybes, several reasons,
unknown reason codes and automation exclusions."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping_review import schemas, screen
from support import screen_reference

CRITERIA = [
    {"code": "off_topic", "label": "Off topic"},
    {"code": "wrong_design", "label": "Wrong design", "priority": 0},
    {"code": "no_full_text", "label": "No full text", "stages": ["full_text"]},
]
CODES = ["off_topic", "wrong_design", "no_full_text", "zz_not_a_criterion", ""]
REVIEWERS = ["R1", "R2", "R3", screen.CONSENSUS]
STUDIES = [f"S-{i:03d}" for i in range(12)]

row = st.tuples(
    st.sampled_from(STUDIES),
    st.sampled_from(["title_abstract", "full_text"]),
    st.sampled_from(REVIEWERS),
    st.sampled_from(["include", "exclude", "maybe", "not_retrieved"]),
    st.lists(st.sampled_from(CODES), max_size=3),
    st.one_of(st.none(), st.sampled_from(CODES)),
)


def _decisions(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    unique = {(r[1], r[2], r[0]): r for r in rows}  # one row per stage, reviewer and study
    picked = [unique[k] for k in sorted(unique)]
    return pl.DataFrame(
        {
            "study_id": [r[0] for r in picked],
            "stage": [r[1] for r in picked],
            "reviewer": [r[2] for r in picked],
            "decision": [r[3] for r in picked],
            "reasons": [r[4] for r in picked],
            "reason": [r[5] for r in picked],
        },
        schema={
            "study_id": pl.String,
            "stage": pl.String,
            "reviewer": pl.String,
            "decision": pl.String,
            "reasons": pl.List(pl.String),
            "reason": pl.String,
        },
    )


def _automatic(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"study_id": ids, "reason": [f"rule for {i}" for i in ids]},
        schema={"study_id": pl.String, "reason": pl.String},
    )


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(row, max_size=40),
    auto=st.lists(st.sampled_from(STUDIES), max_size=3, unique=True),
    needed=st.sampled_from([1, 2, {"title_abstract": 2, "full_text": 1}, {"full_text": 2}]),
)
def test_status_equals_the_per_study_rules(
    rows: list[tuple[Any, ...]], auto: list[str], needed: int | dict[str, int]
) -> None:
    studies = pl.DataFrame({"study_id": list(reversed(STUDIES))})
    decisions, automatic = _decisions(rows), _automatic(auto)
    got = screen.screening_status(studies, decisions, automatic, needed, CRITERIA)
    want = screen_reference.screening_status(studies, decisions, automatic, needed, CRITERIA)
    assert got.equals(want), (got, want)
    for stage in screen.STAGES:
        n = needed if isinstance(needed, int) else needed.get(stage, 1)
        assert screen.stage_outcomes(decisions, stage, n, CRITERIA) == {
            k: screen.outcomes._Outcome(*v.__dict__.values())
            for k, v in screen_reference.stage_outcomes(decisions, stage, n, CRITERIA).items()
        }


def test_no_decisions_leaves_every_study_not_screened() -> None:
    studies = pl.DataFrame({"study_id": ["S-2", "S-1"]})
    empty = _decisions([])
    status = screen.screening_status(studies, empty, _automatic(["S-2"]))
    assert status.rows() == [
        ("S-1", "pending", None, None, None, "pending", None, True, "not_screened",
         "not yet screened"),
        ("S-2", None, None, None, None, "excluded_automatic", "rule for S-2", False, None, None),
    ]  # fmt: skip
    assert status.columns == list(schemas.STATUS.columns)


def test_a_conflict_names_each_reviewer_and_the_best_reason_wins() -> None:
    studies = pl.DataFrame({"study_id": ["S-1", "S-2"]})
    decisions = _decisions(
        [
            ("S-1", "title_abstract", "R2", "exclude", ["off_topic"], "off_topic"),
            ("S-1", "title_abstract", "R1", "include", [], None),
            ("S-2", "title_abstract", "R1", "exclude", ["off_topic"], "off_topic"),
            ("S-2", "title_abstract", "R2", "exclude", ["wrong_design"], "wrong_design"),
        ]
    )
    status = screen.screening_status(studies, decisions, _automatic([]), 2, CRITERIA)
    first, second = status.rows(named=True)
    assert first["pending_reason"] == "conflict (R1: include, R2: exclude); awaiting consensus"
    # wrong_design's priority 0 comes before off_topic's (1, its position)
    assert (second["final"], second["final_reason"]) == ("excluded_title_abstract", "wrong_design")
