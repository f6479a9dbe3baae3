"""storage.write_csv: CSVs the tool writes for people are formula-safe like its XLSX files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from scoping_review import storage


def test_write_csv_neutralises_text_cells_and_keeps_numbers(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"id": ["a", "b"], "title": ["=1+1", "-x"], "year": [-1, 2020]},
        schema={"id": pl.String, "title": pl.String, "year": pl.Int64},
    )
    path = tmp_path / "nested" / "out.csv"
    storage.write_csv(frame, path)
    back = pl.read_csv(path, infer_schema=False)
    assert back["title"].to_list() == ["'=1+1", "'-x"]
    assert back["year"].to_list() == ["-1", "2020"]  # numbers are not text cells
