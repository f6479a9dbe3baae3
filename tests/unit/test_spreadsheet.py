"""Formula-safe spreadsheets: neutralising cells, and the XLSX writer's text cells and dropdowns."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import storage
from scoping_review.spreadsheet import Worksheet, neutralise, safe_text


def test_formula_starts_are_prefixed() -> None:
    frame = pl.DataFrame({"title": ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "Plain", None]})
    out = neutralise(frame).get_column("title").to_list()
    assert out == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "Plain", None]


@given(st.text())
def test_safe_text_agrees_with_frame_version(value: str) -> None:
    assert neutralise(pl.DataFrame({"v": [value]})).item() == safe_text(value)
    assert not (safe_text(value) or "x").startswith(("=", "+", "-", "@"))


def test_xlsx_cells_are_text_and_have_dropdowns(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    frame = pl.DataFrame({"study_id": ["S-1"], "title": ["=1+1"], "decision": [None]})
    storage.write_xlsx(
        [Worksheet("pending", frame, dropdowns={"decision": ["include", "exclude"]})], path
    )
    back = storage.read_sheet(path)
    assert back.get_column("title").to_list() == ["'=1+1"]
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula cells
    assert 'type="list"' in sheet_xml and "include,exclude" in sheet_xml
    first = path.read_bytes()
    storage.write_xlsx(
        [Worksheet("pending", frame, dropdowns={"decision": ["include", "exclude"]})], path
    )
    assert path.read_bytes() == first  # deterministic bytes
