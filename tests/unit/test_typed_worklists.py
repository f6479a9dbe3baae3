"""Decisions typed into a worklist the run rewrites are copied aside before the run, with a note.

Found by a new user: decisions typed into ``results/03_screen/worklists/title_abstract/AB.csv``
(not saved in ``sheets/``) vanished at the next run, which rewrote the worklist blank, with exit
0 and no word; ``results/`` is not under version control, so nothing could bring them back.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from scoping_review import storage
from scoping_review.spreadsheet import Worksheet
from scoping_review.typed_worklists import WRITTEN, keep_typed, record_written, typed_rows

HEADER = "study_id,title,reviewer,decision,reason,note\n"


def worklist(review: Path, name: str, rows: str) -> Path:
    path = review / "results/03_screen/worklists/title_abstract" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_typed_rows_counts_rows_with_a_decision_or_a_reason() -> None:
    frame = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-3", "S-4"], "decision": ["include", " ", None, None],
         "reason": [None, None, "off_topic", None]}
    )  # fmt: skip
    assert typed_rows(frame) == 2
    assert typed_rows(frame.drop("decision", "reason")) == 0


def test_a_worklist_with_typed_decisions_is_kept_in_recovered(tmp_path: Path) -> None:
    typed = worklist(
        tmp_path, "AB.csv", "S-1,A,AB,include,,\nS-2,B,AB,exclude,off_topic,\nS-3,C,AB,,,\n"
    )
    worklist(tmp_path, "CD.csv", "S-1,A,CD,,,\n")  # as the run wrote it: nothing to keep
    blank = pl.DataFrame(
        {"study_id": ["S-1"], "decision": [None]}, schema_overrides={"decision": pl.String}
    )
    storage.write_xlsx([Worksheet("title_abstract", blank)], typed.with_name("CD.xlsx"))
    (note,) = keep_typed(tmp_path)
    kept = tmp_path / "recovered/03_screen/worklists/title_abstract/AB.csv"
    assert kept.read_bytes() == typed.read_bytes()
    assert note.startswith(
        "note: results/03_screen/worklists/title_abstract/AB.csv holds 2 decision(s) typed into "
        "it, and runs rewrite that file: a copy is kept as "
        "recovered/03_screen/worklists/title_abstract/AB.csv."
    )
    assert "list it under `screening: sheets:`" in note
    assert keep_typed(tmp_path) == [note]  # the same file again: the same copy
    assert sorted(p.name for p in kept.parent.iterdir()) == ["AB.csv"]
    typed.write_text(HEADER + "S-1,A,AB,exclude,off_topic,\n", encoding="utf-8")
    (again,) = keep_typed(tmp_path)
    assert "a copy is kept as recovered/03_screen/worklists/title_abstract/AB.2.csv" in again
    assert kept.read_text(encoding="utf-8").count("include") == 1  # the first copy is kept


def test_the_conflicts_sheet_holds_decisions_made_and_is_not_kept(tmp_path: Path) -> None:
    """The conflicts sheet is written with the consensus decisions already made: no note."""
    conflicts = tmp_path / "results/03_screen/conflicts.csv"
    conflicts.parent.mkdir(parents=True)
    conflicts.write_text(HEADER + "S-1,A,consensus,include,,\n", encoding="utf-8")
    assert keep_typed(tmp_path) == []


def test_a_review_without_worklists_has_nothing_to_keep(tmp_path: Path) -> None:
    assert keep_typed(tmp_path) == []
    assert not (tmp_path / "recovered").exists()


def test_a_worklist_as_the_run_wrote_it_is_not_read(tmp_path: Path) -> None:
    """The rank rule records each worklist's SHA-256; an unchanged one is skipped unread (one
    recorded with a decision in it proves the skip: read, it would be kept)."""
    folder = tmp_path / "results/03_screen/worklists"
    typed = worklist(tmp_path, "AB.csv", "S-1,A,AB,include,,\n")
    worklist(tmp_path, "CD.csv", "S-1,A,CD,,,\n")
    record_written(folder)
    assert (folder / WRITTEN).read_text(encoding="utf-8").count("title_abstract/") == 2
    assert keep_typed(tmp_path) == []
    typed.write_text(HEADER + "S-1,A,AB,exclude,off_topic,\n", encoding="utf-8")
    (note,) = keep_typed(tmp_path)
    assert "AB.csv holds 1 decision(s) typed into it" in note
