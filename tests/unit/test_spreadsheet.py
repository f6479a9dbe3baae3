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


def _dated_workbook(path: Path) -> None:
    """A sheet as a person saves it from Excel: dates typed as date cells, a year as a number."""
    import datetime

    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["study_id", "decision", "decided_on", "year", "seen_at"])
    sheet.write_row(1, 0, ["S-1", "include"])
    sheet.write_datetime(1, 2, datetime.datetime(2026, 9, 16), day)
    sheet.write_number(1, 3, 2019)
    sheet.write_datetime(1, 4, datetime.datetime(2026, 9, 16, 13, 5), moment)
    sheet.write_row(2, 0, ["S-2", "exclude", "2026-09-17 00:00:00", "2020"])
    workbook.close()


def test_a_date_cell_reads_as_the_day_typed_in_every_workbook_reader(tmp_path: Path) -> None:
    from scoping_review import importing

    path = tmp_path / "sheet.xlsx"
    _dated_workbook(path)
    sheet = storage.read_sheet(path)
    assert sheet.get_column("decided_on").to_list() == ["2026-09-16", "2026-09-17"]
    assert sheet.get_column("year").to_list() == ["2019", "2020"]
    assert sheet.get_column("seen_at").to_list() == ["2026-09-16 13:05:00", None]  # a time stays
    meta = importing.SourceMeta("s", "S", "2026-01-01", "sheet.xlsx")
    raw = importing.import_export(path.read_bytes(), meta, fmt="xlsx")
    assert "00:00:00" not in str(raw.records.get_column("raw_values").to_list())


@given(st.text(max_size=30))
def test_whole_days_changes_only_a_midnight_timestamp(value: str) -> None:
    from scoping_review.spreadsheet import whole_days

    out = whole_days(pl.DataFrame({"v": [value]})).item()
    if out != value:
        assert value == f"{out} 00:00:00" and len(out) == 10
