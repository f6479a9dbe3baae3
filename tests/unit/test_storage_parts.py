"""storage.link_table_parts: the per-search record tables, linked into one directory, read as
the union sorted by record ID (whatever the search IDs), and a part that could break that is
refused; storage.sha256_file of such a directory."""

from __future__ import annotations

import os
import string
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import records
from scoping_review import schemas, storage


def _write(folder: Path, sid: str, natives: list[str], name: str | None = None) -> Path:
    rows = [{"record_id": f"{sid}:{n}", "title": f"title of {n}", "year": 2020} for n in natives]
    frame = records(rows).sort("record_id")
    path = folder / (name or sid) / "records.parquet"
    storage.write_table(frame, path, schemas.RECORDS)
    return path


def test_the_union_reads_sorted_by_record_id_whatever_the_search_ids(tmp_path: Path) -> None:
    # search IDs whose own order differs from their record IDs' ('a-b:' < 'a:'; 'a:' < 'a2:'
    # though 'a.' > 'a2' would not hold for file names made of the IDs alone)
    parts = [
        ("z", _write(tmp_path, "z", ["1", "2"])),
        ("a", _write(tmp_path, "a", ["1", "2", "3"])),
        ("a2", _write(tmp_path, "a2", ["9"])),
        ("a-b", _write(tmp_path, "a-b", ["10", "2"])),
    ]
    out = tmp_path / "merged" / "records.parquet"
    storage.link_table_parts(parts, out, schemas.RECORDS, "record_id")
    union = storage.read_table(out, schemas.RECORDS)
    expected = pl.concat([pl.read_parquet(p) for _, p in parts]).sort("record_id")
    assert union.equals(expected)
    assert union["record_id"].to_list() == [
        "a-b:10", "a-b:2", "a2:9", "a:1", "a:2", "a:3", "z:1", "z:2"
    ]  # fmt: skip
    assert union["record_id"].is_sorted()
    # linked, not rewritten: the same file (inode) as the search's own table
    linked = sorted(out.iterdir())
    assert [p.name for p in linked] == [
        "0000-a-b.parquet", "0001-a2.parquet", "0002-a.parquet", "0003-z.parquet"
    ]  # fmt: skip
    assert os.stat(linked[2]).st_ino == os.stat(parts[1][1]).st_ino


# a small alphabet, so that one search ID often starts another ('a', 'a2', 'a-', 'a_2'): the
# case where the IDs' own order and their record IDs' order differ
search_ids = st.text("a2_-", min_size=1, max_size=3).filter(lambda s: s[0] not in "_-")
natives = st.lists(st.text(string.printable, min_size=1, max_size=5), max_size=4, unique=True)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(search_ids, natives, min_size=1, max_size=5))
def test_any_search_ids_read_back_sorted(tmp_path_factory: pytest.TempPathFactory, parts) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("parts")
    paths = [
        (sid, _write(folder, sid, ids, name=f"s{n}")) for n, (sid, ids) in enumerate(parts.items())
    ]
    out = folder / "records.parquet"
    storage.link_table_parts(paths, out, schemas.RECORDS, "record_id")
    union = pl.read_parquet(out)
    expected = sorted(f"{sid}:{n}" for sid, ids in parts.items() for n in ids)
    assert union["record_id"].to_list() == expected


@pytest.mark.parametrize(
    ("sid", "ids", "message"),
    [
        ("a", ["b:1"], "must start with 'a'"),  # a record ID without its search's prefix
        ("a", ["a:2", "a:1"], "sorted and unique"),
        ("a", ["a:1", "a:1"], "sorted and unique"),
    ],
)
def test_a_part_that_could_break_the_order_is_refused(
    tmp_path: Path, sid: str, ids: list[str], message: str
) -> None:
    frame = pl.concat([records([{"record_id": i}]) for i in ids])  # each row valid alone
    path = tmp_path / "part.parquet"
    frame.write_parquet(path)  # as written, without the checks of write_table
    with pytest.raises(schemas.SchemaError, match=message):
        storage.link_table_parts([(sid, path)], tmp_path / "out", schemas.RECORDS, "record_id")


def test_a_part_with_other_columns_or_a_search_twice_is_refused(tmp_path: Path) -> None:
    good = _write(tmp_path, "a", ["1"])
    bad = tmp_path / "bad.parquet"
    pl.read_parquet(good).drop("title").write_parquet(bad)
    with pytest.raises(schemas.SchemaError, match="columns"):
        storage.link_table_parts(
            [("a", good), ("b", bad)], tmp_path / "o1", schemas.RECORDS, "record_id"
        )
    with pytest.raises(schemas.SchemaError, match="given twice"):
        storage.link_table_parts(
            [("a", good), ("a", good)], tmp_path / "o2", schemas.RECORDS, "record_id"
        )


def test_no_parts_make_an_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "records.parquet"
    storage.link_table_parts([], out, schemas.RECORDS, "record_id")
    assert storage.read_table(out, schemas.RECORDS).height == 0


def test_a_directory_hashes_by_its_parts(tmp_path: Path) -> None:
    out = tmp_path / "records.parquet"
    part = _write(tmp_path, "a", ["1", "2"])
    storage.link_table_parts([("a", part)], out, schemas.RECORDS, "record_id")
    before = storage.sha256_file(out)
    assert before == storage.sha256_file(out)
    (out / ".snakemake_timestamp").write_text("")  # hidden: not a part, not hashed
    assert storage.sha256_file(out) == before
    assert storage.input_hashes([str(out)]) == {str(out): before}
    other = tmp_path / "other.parquet"
    storage.link_table_parts(
        [("a", _write(tmp_path, "a", ["1", "3"], name="a2"))], other, schemas.RECORDS, "record_id"
    )
    assert storage.sha256_file(other) != before
