"""The screening app's append-only sheet: latest line wins, undo clears, rows stay put."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.app import queue, sheet


def test_latest_line_wins_and_undo_clears(tmp_path: Path) -> None:
    path = tmp_path / "title_abstract" / "AB.csv"
    t = datetime(2025, 1, 1, tzinfo=UTC)
    row = {"reviewer": "AB"}
    sheet.append(path, {**row, "record_id": "db:1", "study": "S-1", "decision": "include"}, t)
    sheet.append(path, {**row, "record_id": "db:2", "study": "S-2", "decision": "exclude",
                        "reason": "x"}, t)  # fmt: skip
    sheet.append(path, {**row, "record_id": "db:1", "study": "S-1", "decision": "exclude",
                        "reason": "y"}, t)  # fmt: skip
    sheet.append(path, {**row, "record_id": "db:2", "study": "S-2"}, t)  # undo
    frame = sheet.read(path)
    assert frame.height == 4
    cur = sheet.current(frame)
    assert cur.height == 4  # rows keep their place (errors name the row a person sees)
    assert cur["record_id"].to_list() == [None, None, "db:1", None]
    assert sheet.latest(frame) == {
        "db:1": {
            "record_id": "db:1",
            "decision": "exclude",
            "reason": "y",
            "reviewer": "AB",
            "date": "2025-01-01",
            "note": None,
            "study": "S-1",
            "timestamp": "2025-01-01T00:00:00.000+00:00",
        }
    }
    # after a merge the record belongs to another study: the decision follows it
    assert set(sheet.by_study(frame, {"db:1": "S-0"})) == {"S-0"}
    assert set(sheet.by_study(frame, {})) == {"S-1"}


def test_formula_cells_are_neutralised_and_a_torn_last_line_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    sheet.append(path, {"record_id": "a:1", "decision": "include", "note": "=HYPERLINK(1)"})
    with open(path, "ab") as handle:
        handle.write(b"S-2,incl")  # killed mid-write
    note = sheet.repair(path)
    assert note is not None and "line 3 was cut short (2 of 8 cells" in note
    assert "s.csv.torn" in note
    frame = sheet.read(path)
    assert frame.height == 1
    assert frame["note"].to_list() == ["'=HYPERLINK(1)"]
    # the cut line is kept beside the sheet, never dropped unseen
    assert (tmp_path / "s.csv.torn").read_bytes() == b"S-2,incl\n"
    assert sheet.repair(path) is None  # nothing more to mend


def test_a_complete_last_line_without_a_line_end_is_kept(tmp_path: Path) -> None:
    """A row typed by hand and saved by an editor that writes no final line end is a
    decision: starting the app keeps it, and the app's next line does not run into it."""
    path = tmp_path / "AB.csv"
    sheet.append(path, {"record_id": "a:1", "decision": "include", "reviewer": "AB"})
    with open(path, "ab") as handle:
        handle.write(b"a:2,exclude,wrong_population,AB,2026-12-07,,,")
    note = sheet.repair(path)
    assert note is not None and "line 3 had no line end; it is kept" in note
    assert path.read_bytes().endswith(b"2026-12-07,,,\n")
    assert not (tmp_path / "AB.csv.torn").exists()
    assert sheet.latest(sheet.read(path))["a:2"]["decision"] == "exclude"


def test_a_cut_timestamp_a_cut_header_and_a_multi_line_note(tmp_path: Path) -> None:
    """Cells counted alone kept a line cut inside its timestamp, kept a header cut short (the
    next decisions went under the wrong columns), and split a quoted note's lines."""
    path = tmp_path / "AB.csv"
    sheet.append(path, {"record_id": "a:1", "decision": "include", "reviewer": "AB"})
    with open(path, "ab") as handle:  # the app's next line, killed inside its timestamp
        handle.write(sheet.line({"record_id": "a:2", "decision": "include"})[:-6].encode())
    note = sheet.repair(path)
    assert note is not None and "its timestamp is cut" in note
    assert sheet.read(path)["record_id"].to_list() == ["a:1"]
    assert (tmp_path / "AB.csv.torn").read_text().startswith("a:2,include")

    header = tmp_path / "CD.csv"
    header.write_bytes(b"record_id,decision,re")  # killed while the sheet was created
    assert "header line was cut short" in str(sheet.repair(header))
    sheet.append(header, {"record_id": "a:1", "decision": "include", "reviewer": "CD"})
    assert sheet.read(header).columns == list(sheet.COLUMNS)

    typed = tmp_path / "EF.csv"
    sheet.append(typed, {"record_id": "a:1", "decision": "include", "reviewer": "EF"})
    with open(typed, "a", encoding="utf-8") as handle:
        handle.write('a:2,exclude,wrong,EF,2026-12-07,"line one\nline two",,')
    assert "it is kept" in str(sheet.repair(typed))
    assert sheet.read(typed)["note"].to_list() == [None, "line one\nline two"]


def test_appending_after_a_hand_edit_without_a_line_end_starts_a_new_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "AB.csv"
    sheet.append(path, {"record_id": "a:1", "decision": "include", "reviewer": "AB"})
    with open(path, "ab") as handle:  # edited while the app runs
        handle.write(b"a:2,exclude,wrong_population,AB,2026-12-07,,,")
    sheet.append(path, {"record_id": "a:3", "decision": "include", "reviewer": "AB"})
    frame = sheet.read(path)
    assert frame["record_id"].to_list() == ["a:1", "a:2", "a:3"]
    assert frame.height == 3


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["S-1", "S-2", "S-3"]), st.sampled_from(["include", "exclude", ""])
        ),
        max_size=30,
    )
)
def test_current_is_the_last_decision_per_study(lines: list[tuple[str, str]]) -> None:
    frame = pl.DataFrame(
        {"record_id": [s for s, _ in lines], "decision": [d or None for _, d in lines]},
        schema={"record_id": pl.String, "decision": pl.String},
    )
    expected: dict[str, str] = {}
    for s, d in lines:
        if d:
            expected[s] = d
        else:
            expected.pop(s, None)
    got = sheet.current(frame).drop_nulls("record_id")
    assert dict(zip(got["record_id"], got["decision"], strict=True)) == expected
    assert sheet.current(frame).height == frame.height


def test_highlight_and_conflicts() -> None:
    assert queue.highlight("The Alliance and <b>alliance</b>", ["alliance"]) == [
        ("The ", False),
        ("Alliance", True),
        (" and <b>", False),
        ("alliance", True),
        ("</b>", False),
    ]
    independent = pl.DataFrame(
        {
            "study_id": ["S-1", "S-1", "S-2", "S-2", "S-3"],
            "reviewer": ["AB", "CD", "AB", "CD", "AB"],
            "decision": ["include", "exclude", "include", "include", "exclude"],
            "reason": [None, "x", None, None, "x"],
        }
    )
    table = queue.conflicts(independent, consensus=[])
    assert table.select("study_id", "decision_a", "decision_b").rows() == [
        ("S-1", "include", "exclude")
    ]
    assert queue.conflicts(independent, consensus=["S-1"]).height == 0
