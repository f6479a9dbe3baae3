"""read_decisions (column-wise) gives exactly what the row-by-row reader gives."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoping_review import screen
from scoping_review.screen.sheets import _read_vectorised, read_decisions_rowwise

CRITERIA: list[dict[str, Any]] = [
    {"code": "off_topic", "stages": ["title_abstract", "full_text"]},
    {"code": "wrong_design", "stages": ["title_abstract", "full_text"], "priority": 0},
    {"code": "no_full_text", "stages": ["full_text"]},
    {"code": "too_old"},
]
CLUSTERS = pl.DataFrame(
    {
        "record_id": [f"db:{i}" for i in range(40)],
        "study_id": [f"S{i // 2:03d}" for i in range(40)],  # two records per study
    }
)
DECISIONS = {
    "title_abstract": ["include", " Include ", "EXCLUDE", "maybe", "exclude"],
    "full_text": ["include", "exclude", "Not Retrieved", "not_retrieved"],
}
REASONS = {
    "title_abstract": ["off_topic", " wrong_design ", "off_topic; too_old", "too_old|off_topic,"],
    "full_text": ["no_full_text", "off_topic ,no_full_text", "wrong_design;;off_topic"],
}


def _ref(rng: random.Random, n: int) -> str:
    """Study ``n`` by its study ID or one of its records, with stray whitespace."""
    return rng.choice([f"S{n:03d}", f"db:{2 * n}", f" db:{2 * n + 1}\t"])


def _sheet(rng: random.Random, number: int, stage: str) -> screen.Sheet:
    """A sheet of distinct studies (one reviewer per row, the sheet's own or a column's)."""
    rows = []
    for n in rng.sample(range(20), rng.randint(0, 15)):
        decision = rng.choice(DECISIONS[stage])
        needs = decision.strip().lower().replace(" ", "_") in {"exclude", "not_retrieved"}
        reason = rng.choice(REASONS[stage]) if needs else rng.choice([None, "", "  "])
        rows.append(
            {
                "study_id" if number % 2 else "record_id": _ref(rng, n),
                "decision": decision,
                "reason": reason,
                "date": rng.choice([None, "2024-01-02", " 2024-01-03 "]),
                "note": rng.choice([None, "", "a note", "\u00a0spaced\u00a0"]),
            }
        )
    rows.append({"record_id" if number % 2 == 0 else "study_id": "  ", "decision": ""})
    rows.append({"record_id" if number % 2 == 0 else "study_id": "db:3", "decision": " "})
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    if number % 3 == 0:
        return screen.Sheet(f"s{number}.csv", stage, frame, reviewer=f"R{number}")
    if number % 3 == 1:
        return screen.Sheet(f"s{number}.csv", stage, frame, consensus=True, header_rows=2)
    return screen.Sheet(f"s{number}.csv", stage, frame.with_columns(reviewer=pl.lit(f"C{number}")))


@pytest.mark.parametrize("seed", range(12))
def test_columnwise_equals_rowwise(seed: int) -> None:
    rng = random.Random(seed)
    stages = list(screen.STAGES)
    sheets = [_sheet(rng, n, stages[n % 4 // 2]) for n in range(rng.randint(0, 4))]
    fast = _read_vectorised(sheets, CLUSTERS, CRITERIA, "reviewer")
    assert fast is not None  # the column-wise path, not the fallback
    slow = read_decisions_rowwise(sheets, CLUSTERS, CRITERIA)
    assert_frame_equal(fast, slow)
    assert_frame_equal(screen.read_decisions(sheets, CLUSTERS, CRITERIA), slow)


def test_same_decision_twice_is_kept_once_and_multi_reasons_ranked() -> None:
    frame = pl.DataFrame(
        {
            "record_id": ["db:0", "db:1", "db:2"],
            "decision": ["exclude", "exclude", "include"],
            "reason": ["off_topic;wrong_design", "wrong_design | off_topic", None],
            "reviewer": ["R1", "R1", "R1"],
        }
    )
    sheets = [screen.Sheet("a.csv", "title_abstract", frame)]
    fast = _read_vectorised(sheets, CLUSTERS, CRITERIA, "reviewer")
    assert fast is not None
    assert_frame_equal(fast, read_decisions_rowwise(sheets, CLUSTERS, CRITERIA))
    s000 = fast.filter(pl.col("study_id") == "S000").row(0, named=True)
    assert (s000["row"], s000["referenced_as"], s000["reason"]) == (2, "db:0", "wrong_design")
    assert s000["reasons"] == ["off_topic", "wrong_design"]
    assert fast.height == 2


def test_python_whitespace_is_stripped() -> None:
    """str.strip() strips \\x1c-\\x1f too (not Unicode White_Space; polars' default keeps them)."""
    frame = pl.DataFrame(
        {"study_id": ["\x1fS001\u3000"], "decision": ["exclude"], "reason": ["\x1coff_topic\x1d"]}
    )
    sheets = [screen.Sheet("a.csv", "title_abstract", frame)]
    fast = screen.read_decisions(sheets, CLUSTERS, CRITERIA)
    assert fast.select("study_id", "reason").row(0) == ("S001", "off_topic")
    assert_frame_equal(fast, read_decisions_rowwise(sheets, CLUSTERS, CRITERIA))


def test_non_text_columns_read_as_str() -> None:
    frame = pl.DataFrame({"study_id": ["S001"], "decision": ["include"], "date": [20240102]})
    sheets = [screen.Sheet("a.csv", "title_abstract", frame)]
    fast = screen.read_decisions(sheets, CLUSTERS, CRITERIA)
    assert fast["date"].to_list() == ["20240102"]
    assert_frame_equal(fast, read_decisions_rowwise(sheets, CLUSTERS, CRITERIA))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("R1", "db:0", "include", None), ("R1", "db:1", "exclude", "off_topic")],
         "s.csv, row 3: R1 decided 'exclude' for study S000 (db:1) but 'include' at s.csv, row 2"),
        ([("R1", "db:0", "include", None), ("R2", "db:1", "include", None),
          ("R3", "S000", "include", None)],
         "s.csv, row 4: study S000 (S000) already has 2 independent title_abstract decisions "
         "(R1 at s.csv, row 2; R2 at s.csv, row 3); at most 2 reviewers decide a study, a third "
         "opinion goes in a consensus sheet (listed with `consensus: true`, or reviewer "
         "'consensus' in its rows)"),
        ([("R1", "db:0", "maybe", "x ; off_topic")],
         "s.csv, row 2: reason 'x' is not a title_abstract criterion"),
    ],
)  # fmt: skip
def test_problems_are_named_row_by_row(
    rows: list[tuple[str, str, str, str | None]], message: str
) -> None:
    frame = pl.DataFrame(rows, schema=["reviewer", "record_id", "decision", "reason"], orient="row")
    with pytest.raises(
        screen.ScreeningError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        screen.read_decisions([screen.Sheet("s.csv", "title_abstract", frame)], CLUSTERS, CRITERIA)


def test_the_written_out_whitespace_is_what_str_strip_strips() -> None:
    import sys

    from scoping_review.screen import sheets

    computed = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert computed == sheets._WHITESPACE
