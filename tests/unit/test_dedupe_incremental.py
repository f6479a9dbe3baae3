"""Incremental dedupe equals dedupe from scratch: several rounds of a living review (new
records, records bridging two known studies, people's decisions made and changed, a record
removed and one edited), each run once with the previous run's state and once without; every
output table, the pair count and the next state must be equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import records
from scoping_review import dedupe
from scoping_review.dedupe import scoring
from scoping_review.dedupe.state import DedupeState, merge_sorted
from support import synthetic

# a small window makes the sorted neighbourhoods shift when records join a block
SETTINGS = dedupe.DedupeSettings(block_window=2)
META = dedupe.state_meta("test", SETTINGS)
TABLES = ("clusters", "studies", "review_queue", "relations")
PHASES = (
    "keys",
    "candidate pairs scored",
    "people's decisions",
    "clustering",
    "studies assembled",
)


def _rows(n: int, seed: int, db: str, date: str) -> list[dict[str, Any]]:
    frame = synthetic.records(n, seed)
    out = []
    for row in frame.iter_rows(named=True):
        keep = {k: row[k] for k in ("title", "abstract", "authors", "year", "journal", "volume",
                                    "issue", "pages", "doi", "pmid", "publication_type")}  # fmt: skip
        out.append({**keep, "record_id": f"{db}:{row['native_id']}", "search_date": date})
    return out


def _copy(row: dict[str, Any], db: str, date: str, **changes: Any) -> dict[str, Any]:
    native = row["record_id"].split(":", 1)[1]
    return {**row, "record_id": f"{db}:{native}", "search_date": date, **changes}


def _rounds() -> list[tuple[str, list[dict[str, Any]], pl.DataFrame | None]]:
    base = _rows(120, 3, "db1", "2024-01-01")
    # one crowded author-year block: its sorted neighbourhood shifts as records join it
    for row in base[:30]:
        row.update(authors=["Safran, J. D.", "Muran, J. C."], year=2020)
    x, y = base[40], base[41]
    y.update(year=x["year"], authors=x["authors"])
    x.update(pmid=None)
    dups = [_copy(r, "db2", "2024-02-01", title=r["title"].upper() + ".") for r in base[50:80]]
    dups += [_copy(r, "db2", "2024-02-01", doi=None, pmid=None) for r in base[:12]]
    round1 = base + dups

    new = _rows(30, 4, "db3", "2024-06-01")
    for row in new[:10]:
        row.update(authors=["Safran, J. D.", "Eubanks, C."], year=2020)
    more = [_copy(r, "db3", "2024-06-01", title=r["title"] + " ") for r in base[80:90]]
    more += [_copy(r, "db3", "2024-06-01", doi=None) for r in base[5:15]]
    round2 = round1 + new + more

    # a record with X's title and Y's PMID links to both studies; X and Y must stay apart
    bridge = {**x, "record_id": "db4:bridge", "search_date": "2024-09-01", "doi": None,
              "pmid": y["pmid"]}  # fmt: skip
    round3 = [*round2, bridge, _copy(y, "db4", "2024-09-01", doi=None, title=x["title"])]

    decisions = pl.DataFrame(
        {
            "record_id_a": ["db1:" + base[60]["record_id"][4:], base[100]["record_id"]],
            "record_id_b": ["db2:" + base[60]["record_id"][4:], base[101]["record_id"]],
            "decision": ["different", "same"],
        }
    )
    changed = decisions.with_columns(pl.Series("decision", ["same", "different"]))
    # round 5: one record withdrawn, one corrected in place, decisions changed
    round5 = [r for r in round3 if r["record_id"] != dups[3]["record_id"]]
    round5 = [
        {**r, "title": "Corrected: " + r["title"]} if r["record_id"] == base[7]["record_id"] else r
        for r in round5
    ]
    # round 6: two new records give a duplicated title a third year, so it turns generic (a
    # recurring title): the known pair's records keep their inputs but not their keys, and
    # the pair must be scored again
    recurring = base[55]
    round6 = [
        *round5,
        *(
            {**recurring, "record_id": f"db5:{k}", "search_date": "2025-01-01", "doi": None,
             "pmid": None, "authors": [f"Other, {k}."], "year": recurring["year"] + 7 * k}
            for k in (1, 2)
        ),
    ]  # fmt: skip
    return [
        ("first search", round1, None),
        ("new records", round2, None),
        ("bridging records", round3, None),
        ("decisions", round3, decisions),
        ("removed, edited, decisions changed", round5, changed),
        (GENERIC_ROUND, round6, changed),
    ]


GENERIC_ROUND = "a title turns generic"


def _same_state(a: DedupeState, b: DedupeState) -> None:
    for name in ("keys", "pairs", "kept"):
        assert getattr(a, name).equals(getattr(b, name)), name


def test_incremental_dedupe_equals_a_run_from_scratch_over_rounds() -> None:
    state: DedupeState | None = None
    scored_again = []
    for label, rows, decisions in _rounds():
        recs = records(rows)
        # the incremental run compares strings in two threads, the full run in one; its phases
        # are timed (the log's), which must not change what it computes
        laps: list[str] = []
        # as the adapter does: the state checked once, by the caller
        checked = state is not None and dedupe.stale_reason(state, META) is None
        inc, state_inc = dedupe.run_with_state(
            recs, SETTINGS, decisions, state, META, workers=2, lap=laps.append, checked=checked
        )
        assert laps == list(PHASES), label
        full, state_full = dedupe.run_with_state(recs, SETTINGS, decisions, None, META)
        for table in TABLES:
            got, want = getattr(inc, table), getattr(full, table)
            assert got.equals(want), f"{label}: {table} differs"
        assert inc.pairs_compared == full.pairs_compared, label
        _same_state(state_inc, state_full)
        counts = dedupe.dedupe_counts(inc.clusters, inc.review_queue, inc.relations)
        assert counts == dedupe.dedupe_counts(full.clusters, full.review_queue, full.relations)
        if state is not None:
            assert inc.pairs_scored < full.pairs_scored, f"{label}: nothing was reused"
            scored_again.append(inc.pairs_scored)
        if label == GENERIC_ROUND and state is not None:  # the round does what it says
            before = state.keys.select("record_id", "input_hash", "key_hash")
            now = state_inc.keys.select("record_id", "input_hash", "key_hash")
            same = before.join(now, on="record_id", suffix="_now")
            turned = same.filter(
                (pl.col("input_hash") == pl.col("input_hash_now"))
                & (pl.col("key_hash") != pl.col("key_hash_now"))
            )["record_id"].to_list()
            native = rows[55]["record_id"].split(":", 1)[1]
            assert {f"db1:{native}", f"db2:{native}"} <= set(turned)
        state = state_inc
    assert full.pairs_compared > 150
    # the rounds do what they say: duplicates merged, the bridge split off, decisions applied
    study = dict(zip(full.clusters["record_id"], full.clusters["study_id"], strict=True))
    assert full.studies.height < len(study)
    rows = _rounds()
    x, y = rows[0][1][40], rows[0][1][41]
    assert study[x["record_id"]] != study[y["record_id"]]
    base = rows[0][1]
    assert study[base[100]["record_id"]] != study[base[101]["record_id"]]  # "different" now
    assert study["db1:" + base[60]["record_id"][4:]] == study["db2:" + base[60]["record_id"][4:]]


def test_a_stale_state_is_not_reused() -> None:
    rows = _rounds()[1][1]
    recs = records(rows)
    _, state = dedupe.run_with_state(recs, SETTINGS, None, None, META)
    other = dedupe.DedupeSettings(block_window=3)
    meta = dedupe.state_meta("test", other)
    assert "settings differs" in (dedupe.stale_reason(state, meta) or "")
    assert "code_version" in (dedupe.stale_reason(state, dedupe.state_meta("v2", SETTINGS)) or "")
    again, _ = dedupe.run_with_state(recs, other, None, state, meta)
    scratch = dedupe.run(recs, other)
    assert again.pairs_scored == scratch.pairs_scored  # nothing reused
    for table in TABLES:
        assert getattr(again, table).equals(getattr(scratch, table))


def test_a_damaged_state_is_named_and_not_reused() -> None:
    recs = records(_rounds()[0][1])
    _, state = dedupe.run_with_state(recs, SETTINGS, None, None, META)
    broken = DedupeState(state.meta, state.keys.drop("key_hash"), state.pairs, state.kept)
    assert "keys columns" in (dedupe.stale_reason(broken, META) or "")
    lost = DedupeState(state.meta, state.keys.head(10), state.pairs, state.kept)
    assert dedupe.stale_reason(lost, META) == "pairs name records the state does not hold"
    result, _ = dedupe.run_with_state(recs, SETTINGS, None, lost, META)
    assert result.clusters.equals(dedupe.run(recs, SETTINGS).clusters)


@pytest.mark.parametrize("batch", [1, 7])
def test_scoring_in_batches_gives_the_same_pairs(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    recs = records(_rounds()[2][1])
    want = dedupe.run(recs, SETTINGS)
    monkeypatch.setattr(dedupe.pipeline, "SCORE_BATCH", batch)
    got = dedupe.run(recs, SETTINGS)
    for table in TABLES:
        assert getattr(got, table).equals(getattr(want, table))


def test_every_pair_scores_the_same_in_two_threads() -> None:
    recs = records(_rounds()[2][1])
    keys = dedupe.keys.match_keys(recs)
    pairs = dedupe.blocking.block_pairs(keys, SETTINGS.block_window)
    assert pairs.height > 150
    one, two = (
        scoring.verdicts(scoring.pair_features(keys, pairs, workers), SETTINGS).sort("i", "j")
        for workers in (1, 2)
    )
    assert one.height == pairs.height
    assert two.equals(one)
    assert one["ti"].drop_nulls().n_unique() > 10  # real similarities, not a constant
    assert one["au"].drop_nulls().n_unique() > 10


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.integers(0, 60)),
    st.sets(st.integers(0, 60)),
    st.integers(0, 2**16),
)
def test_merging_sorted_pair_keys_is_numpys_union_with_masks_ored(
    a: set[int], b: set[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = np.array(sorted(a), dtype=np.uint64)
    more = np.array(sorted(b), dtype=np.uint64)
    masks = rng.integers(1, 64, keys.size).astype(np.uint8)
    more_masks = rng.integers(1, 64, more.size).astype(np.uint8)
    before = masks.copy()
    got, got_masks = merge_sorted(keys, masks, more, more_masks)
    assert got.dtype == np.uint64 and got_masks.dtype == np.uint8
    assert np.array_equal(got, np.union1d(keys, more))
    want = dict(zip(keys.tolist(), masks.tolist(), strict=True))
    for k, m in zip(more.tolist(), more_masks.tolist(), strict=True):
        want[k] = want.get(k, 0) | m
    assert got_masks.tolist() == [want[k] for k in got.tolist()]
    assert np.array_equal(masks, before)  # the caller's masks are not changed
    # rows of masks (the update merges each pair's block keys and its seen flag so) are
    # OR-ed column by column, as each column alone would be
    flags = rng.integers(0, 2, keys.size).astype(np.uint8)
    more_flags = rng.integers(0, 2, more.size).astype(np.uint8)
    got2, rows = merge_sorted(
        keys, np.column_stack([masks, flags]), more, np.column_stack([more_masks, more_flags])
    )
    assert np.array_equal(got2, got) and rows.shape == (got.size, 2)
    assert np.array_equal(rows[:, 0], got_masks)
    assert np.array_equal(rows[:, 1], merge_sorted(keys, flags, more, more_flags)[1])


def test_a_decided_pair_is_counted_as_compared_once() -> None:
    """pairs_compared: the candidate pairs, plus the decided pairs that are not among them."""
    rows = _rounds()[0][1]
    recs = records(rows)
    plain, state = dedupe.run_with_state(recs, SETTINGS, None, None, META)
    linked = plain.clusters.filter(pl.col("linked_to").is_not_null()).row(0, named=True)
    # two records of one crowded author-year block that its sorted window does not pair
    far = (rows[0]["record_id"], rows[-1]["record_id"])
    order = state.keys["record_id"].to_list()  # row number = the pairs' i and j
    i, j = sorted(order.index(r) for r in far)
    assert state.pairs.filter((pl.col("i") == i) & (pl.col("j") == j)).is_empty()
    pairs = [(linked["record_id"], linked["linked_to"]), far]
    decisions = pl.DataFrame(
        {
            "record_id_a": [a for a, _ in pairs],
            "record_id_b": [b for _, b in pairs],
            "decision": ["same", "different"],
        }
    )
    decided = dedupe.run(recs, SETTINGS, decisions)
    assert decided.pairs_compared == plain.pairs_compared + 1


def test_the_key_hash_covers_every_field_a_pair_score_reads() -> None:
    """key_hash hashes the input hash and the corpus keys only: that covers the scoring's pair
    fields when every other pair field is a per-record key (a function of the key inputs)."""
    from scoping_review.dedupe import keys as keys_mod

    recs = records(_rounds()[0][1])
    base = keys_mod.indexed(recs)
    own = set(keys_mod.record_keys(base).columns)
    assert not own & set(keys_mod.CORPUS_KEYS)
    assert set(scoring.PAIR_FIELDS) - set(keys_mod.CORPUS_KEYS) <= own
    assert set(keys_mod.CORPUS_KEYS) <= set(scoring.PAIR_FIELDS)
    keys = keys_mod.match_keys(recs)
    hashes = keys_mod.input_hash(base)
    first = keys_mod.key_hash(hashes, keys)
    assert first.n_unique() == keys.height
    # a corpus key that changes (a title turned generic, an abstract head) changes the hash
    turned = keys.with_columns(
        pl.when(pl.col("i") == 3).then(~pl.col("generic")).otherwise("generic").alias("generic"),
        pl.when(pl.col("i") == 5).then(pl.lit("another abstract")).otherwise("ab").alias("ab"),
    )
    changed = (keys_mod.key_hash(hashes, turned) != first).to_list()
    assert [i for i, c in enumerate(changed) if c] == [3, 5]


def test_the_input_hash_changes_with_any_key_input() -> None:
    """input_hash decides which records keep their keys: an edit of any key input, including
    one that keeps an author list's joined text (["a", "b"] -> ["ab"]) or turns an empty value
    into a missing one, must change it; records left alone keep theirs."""
    from scoping_review.dedupe import keys as keys_mod

    recs = records(_rounds()[0][1]).head(8)
    base = keys_mod.indexed(recs)
    first = keys_mod.input_hash(base)
    assert first.n_unique() == base.height
    edits: dict[str, Any] = {
        "search_date": "2099-01-01",
        "year": 1901,
        "title": "another title",
        "journal": None,
        "volume": "",
        "issue": "99",
        "pages": "1-2",
        "doi": "10.1/x",
        "pmid": "1",
        "publication_type": "BOOK",
    }
    assert set(edits) | {"record_id", "authors"} == set(keys_mod.KEY_INPUTS)
    for column, value in edits.items():
        edited = base.with_columns(
            pl.when(pl.col("i") == 2)
            .then(pl.lit(value, dtype=base.schema[column]))
            .otherwise(column)
            .alias(column)
        )
        changed = (keys_mod.input_hash(edited) != first).to_list()
        assert [i for i, c in enumerate(changed) if c] == [2], column
    shapes = (["A", "b"], ["Ab"], ["A", "b", None], [None, "A", "b"], [], None)
    hashes = []
    for authors in shapes:
        edited = base.with_columns(
            pl.when(pl.col("i") == 4)
            .then(pl.lit(pl.Series([authors], dtype=pl.List(pl.String))))
            .otherwise("authors")
            .alias("authors")
        )
        now = keys_mod.input_hash(edited)
        assert (now != first).to_list()[:4] == [False] * 4
        hashes.append(now[4])
    assert len(set(hashes)) == len(shapes)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_repaired_blocks_give_the_pairs_of_blocking_from_scratch(data: st.DataObject) -> None:
    """Records enter, leave and change inside crowded blocks of a sorted neighbourhood (a few
    author-year values, titles that tie): the pairs an update keeps and pairs again are the
    pairs of a run from scratch."""
    window = data.draw(st.integers(1, 3), label="window")
    every = _rows(40, data.draw(st.integers(0, 3), label="seed"), "db1", "2024-01-01")
    for n, row in enumerate(every):
        row.update(authors=[["Safran, J. D."], ["Muran, J. C."]][n % 2], year=2020 + n % 3)
        if n % 5 == 0:
            row.update(title="Alliance ruptures")  # ties broken by record ID
    first = data.draw(st.sets(st.integers(0, 39), min_size=2), label="first round")
    second = data.draw(st.sets(st.integers(0, 39), min_size=2), label="second round")
    edited = data.draw(st.sets(st.sampled_from(sorted(first & second) or [0])), label="edited")
    local = dedupe.DedupeSettings(block_window=window)
    meta = dedupe.state_meta("test", local)
    _, state = dedupe.run_with_state(
        records([every[n] for n in sorted(first)]), local, None, None, meta
    )
    assert dedupe.stale_reason(state, meta) is None  # the update below reuses it
    rows = [
        {**every[n], "authors": ["Eubanks, C. F."], "title": "Changed " + every[n]["title"]}
        if n in edited
        else every[n]
        for n in sorted(second)
    ]
    inc, state_inc = dedupe.run_with_state(records(rows), local, None, state, meta)
    full, state_full = dedupe.run_with_state(records(rows), local, None, None, meta)
    _same_state(state_inc, state_full)
    assert inc.clusters.equals(full.clusters)
