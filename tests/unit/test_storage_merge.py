"""storage.merge_sorted_tables: the per-search record tables merged streaming equal the
in-memory concatenation sorted by record ID, and the union is checked like a written table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from helpers import records
from scoping_review import schemas, storage


def _write(tmp_path: Path, name: str, ids: list[str]) -> Path:
    rows = [{"record_id": i, "title": f"title of {i}", "year": 2020} for i in ids]
    frame = records(rows).with_columns(pl.lit(name).alias("source_id"))
    path = tmp_path / f"{name}.parquet"
    storage.write_table(frame, path, schemas.RECORDS)
    return path


def test_merged_tables_equal_the_sorted_concatenation(tmp_path: Path) -> None:
    # unsorted inputs, and search ids whose order differs from their record IDs' ('a-b:' < 'a:')
    paths = [
        _write(tmp_path, "a", ["a:3", "a:1", "a:2"]),
        _write(tmp_path, "a-b", ["a-b:2", "a-b:10"]),
        _write(tmp_path, "z", ["z:1", "z:2"]),  # already in order: merged as it is
    ]
    out = tmp_path / "merged" / "records.parquet"
    storage.merge_sorted_tables(paths, out, schemas.RECORDS, "record_id")
    merged = storage.read_table(out, schemas.RECORDS)
    expected = pl.concat([pl.read_parquet(p) for p in paths]).sort("record_id")
    assert merged.equals(expected)
    assert merged["record_id"].to_list() == ["a-b:10", "a-b:2", "a:1", "a:2", "a:3", "z:1", "z:2"]


def test_a_record_id_in_two_inputs_fails(tmp_path: Path) -> None:
    paths = [_write(tmp_path, "a", ["x:1", "x:2"]), _write(tmp_path, "b", ["x:2"])]
    with pytest.raises(schemas.SchemaError, match="not unique"):
        storage.merge_sorted_tables(paths, tmp_path / "out.parquet", schemas.RECORDS, "record_id")


def test_an_input_with_other_columns_fails(tmp_path: Path) -> None:
    good = _write(tmp_path, "a", ["a:1"])
    bad = tmp_path / "bad.parquet"
    pl.read_parquet(good).drop("title").write_parquet(bad)
    with pytest.raises(schemas.SchemaError, match="records"):
        storage.merge_sorted_tables(
            [good, bad], tmp_path / "out.parquet", schemas.RECORDS, "record_id"
        )


def test_no_inputs_write_an_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    storage.merge_sorted_tables([], out, schemas.RECORDS, "record_id")
    assert storage.read_table(out, schemas.RECORDS).height == 0
