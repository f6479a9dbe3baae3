"""The studies table against its definition, whatever the clustering decided: one row per
study, its members' lists (record IDs, databases, DOIs lower-cased, PMIDs: distinct and
sorted), its representative's fields filled from other members only where it has none, and
its ID from its anchor. A study of one record and a merged study are built apart (the second
grouped, the first not): both must meet the same definition."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import records
from scoping_review import dedupe, storage
from scoping_review.dedupe.assemble import FILL_FIELDS, STUDY_FIELDS

TITLES = [
    "Alliance ruptures in cognitive-behavioral psychotherapy: a cognitive conceptualization",
    "Resolving therapeutic alliance ruptures: diversity and integration",
    "Repairing alliance ruptures in brief relational therapy with adolescents",
]

record = st.fixed_dictionaries(
    {
        "db": st.sampled_from(["a", "b", "pubmed"]),
        "title": st.sampled_from(TITLES),
        "year": st.sampled_from([2020, 2021, None]),
        "doi": st.sampled_from([None, "10.1/AB", "10.1/ab", "10.2/cd"]),
        "pmid": st.sampled_from([None, "11", "12"]),
        "database": st.sampled_from([None, "PubMed", "Scopus", "Hand search"]),
        "abstract": st.sampled_from([None, "An abstract.", "Another abstract."]),
        "journal": st.sampled_from([None, "Psychotherapy"]),
        "search_date": st.sampled_from(["2024-01-01", "2025-06-01"]),
    }
)


def _table(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return records(
        [
            {**{k: v for k, v in r.items() if k != "db"}, "record_id": f"{r['db']}:{k}"}
            for k, r in enumerate(rows)
        ]
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(record, min_size=1, max_size=12))
def test_each_study_row_meets_its_definition(rows: list[dict[str, Any]]) -> None:
    recs = _table(rows)
    result = dedupe.run(recs)
    by_id = {r["record_id"]: r for r in recs.iter_rows(named=True)}
    members: dict[str, list[str]] = {}
    for rid, sid in result.clusters.select("record_id", "study_id").iter_rows():
        members.setdefault(sid, []).append(rid)
    studies = result.studies
    assert studies["study_id"].to_list() == sorted(members)
    assert studies["study_id"].is_unique().all()
    reps = set(result.clusters.filter("is_representative")["record_id"])
    for study in studies.iter_rows(named=True):
        ids = sorted(members[study["study_id"]])
        mine = [by_id[i] for i in ids]
        assert study["record_ids"] == ids and study["n_records"] == len(ids)
        assert study["databases"] == sorted({m["database"] for m in mine} - {None})
        assert study["dois"] == sorted({m["doi"].lower() for m in mine if m["doi"]})
        assert study["pmids"] == sorted({m["pmid"] for m in mine} - {None})
        rep = by_id[study["representative_record_id"]]
        assert study["representative_record_id"] in ids and rep["record_id"] in reps
        for field in STUDY_FIELDS:
            given_values = [m[field] for m in mine if m[field] is not None]
            if rep[field] is not None or field not in FILL_FIELDS:
                assert study[field] == rep[field], field
            elif given_values:
                assert study[field] in given_values, field  # filled from a member
            else:
                assert study[field] is None, field
        anchor = min(mine, key=lambda m: (m["search_date"], m["record_id"]))
        assert study["study_id"] == dedupe.study_id_for(anchor["record_id"])


def test_a_table_read_back_is_in_one_piece(tmp_path: Any) -> None:
    """Stage tables are read with each column in one chunk (a Parquet file is read as one
    chunk per row group, and gathering rows from many chunks was the dedupe stage's slowest
    step at 1M records); the content is the same."""
    frame = _table([dict(db="a", title=t, year=2020) for t in TITLES * 50])
    path = tmp_path / "records.parquet"
    frame.write_parquet(path, row_group_size=16)
    assert max(pl.read_parquet(path).n_chunks("all")) > 1  # what polars gives as it is
    for read in (storage.read_table(path), storage.read_columns(path, frame.columns)):
        assert max(read.n_chunks("all")) == 1 and read.equals(frame)


def test_a_later_rounds_search_dated_earlier_does_not_rename_a_study() -> None:
    """A study's ID comes from its record of the earliest round, then the earliest date: a
    round-3 search dated before round 1's (a hand search, a mistyped year) that finds a known
    study must not give it a new ID (its charting row and coded segments name the old one)."""
    title = TITLES[0]
    recs = _table(
        [
            {"db": "zz_first", "title": title, "year": 2020, "doi": "10.1/ab",
             "search_date": "2026-09-01"},
            {"db": "aa_hand", "title": title, "year": 2020, "doi": "10.1/ab",
             "search_date": "2026-08-15"},
        ]
    )  # fmt: skip
    rounds = {"zz_first": 1, "aa_hand": 3}
    first = dedupe.run(recs.filter(pl.col("record_id").str.starts_with("zz_first")))
    (before,) = first.studies["study_id"].to_list()
    both = dedupe.run(dedupe.with_search_rounds(recs, rounds))
    assert both.studies["study_id"].to_list() == [before] == [dedupe.study_id_for("zz_first:0")]
    # without rounds (as before), the earliest date alone: the hand search's record
    assert dedupe.run(recs).studies["study_id"].to_list() == [dedupe.study_id_for("aa_hand:1")]
    # an undated record of round 1 still anchors before a dated record of a later round
    undated = recs.with_columns(
        pl.when(pl.col("record_id").str.starts_with("zz"))
        .then(None)
        .otherwise("search_date")
        .alias("search_date")
    )
    got = dedupe.run(dedupe.with_search_rounds(undated, rounds)).studies["study_id"].to_list()
    assert got == [before]
