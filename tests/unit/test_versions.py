from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from scoping_review import ledger, schemas, update, versions
from scoping_review.report import Ledger
from scoping_review.report.changes import changes_view, rounds_view

V = versions.VersionInfo


def test_current_round_and_rounds() -> None:
    searches = [{"id": "a"}, {"id": "b", "round": 2}, {"id": "c", "round": 2}]
    assert versions.current_round(searches) == 2
    assert versions.rounds(searches) == {1: ["a"], 2: ["b", "c"]}
    assert versions.current_round([{"id": "a"}]) == 1


def test_previous_version_is_the_newest_of_an_earlier_round() -> None:
    frozen = [V(1, 1, "x"), V(2, 1, "y"), V(3, 2, "z")]
    assert versions.previous_version(frozen, 1) is None
    assert versions.previous_version(frozen, 2) == V(2, 1, "y")
    assert versions.previous_version(frozen, 3) == V(3, 2, "z")
    assert V(12, 1, "x").dirname == "v012"


@pytest.mark.parametrize(
    ("frozen", "sha", "pending", "action", "number"),
    [
        ([], "a", 0, "freeze", 1),
        ([V(1, 1, "a")], "a", 0, "unchanged", 1),
        ([V(1, 1, "a")], "b", 0, "freeze", 2),
        ([V(1, 1, "a")], "b", 3, "pending", 1),
        ([], "a", 1, "pending", 0),
    ],
)
def test_decide_freeze(
    frozen: list[versions.VersionInfo], sha: str, pending: int, action: str, number: int
) -> None:
    decision = versions.decide_freeze(frozen, sha, pending, 1)
    assert (decision.action, decision.number) == (action, number)


@pytest.mark.parametrize(
    ("pending", "sha", "said"),
    [
        (1, "b", "1 study awaits screening; no version frozen (round 2)"),
        (3, "b", "3 studies await screening; no version frozen (round 2)"),
        (0, "a", "nothing changed since version 1 was frozen"),
        (0, "b", "froze version 2 (round 2)"),
    ],
)
def test_decide_freeze_says_it_in_words(pending: int, sha: str, said: str) -> None:
    assert versions.decide_freeze([V(1, 1, "a")], sha, pending, 2).message == said


@pytest.mark.parametrize(
    ("pending", "full_text", "said"),
    [
        (2, 0, "2 studies await screening"),
        (1, 1, "1 study awaits full-text assessment"),
        (3, 3, "3 studies await full-text assessment"),
        (3, 2, "3 studies await screening: 1 at title and abstract, 2 in full-text assessment"),
    ],
)
def test_what_pending_studies_wait_for_is_said_by_stage(
    pending: int, full_text: int, said: str
) -> None:
    """Studies pending at full text are not said to await screening alone (exit 3 of update)."""
    decision = versions.decide_freeze([V(1, 1, "a")], "b", pending, 2, full_text)
    assert decision.action == "pending"
    assert decision.message == f"{said}; no version frozen (round 2)"


def _clusters(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema=["record_id", "study_id"], orient="row")


def _status(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    rows = [{c: None for c in schemas.STATUS.columns} | {"study_id": s, "final": f,
             "pending": f == "pending"} for s, f in pairs]  # fmt: skip
    return pl.DataFrame(rows, schema=schemas.STATUS.polars_schema)


def _ledger(values: dict[str, list[str]]) -> pl.DataFrame:
    counts = [
        ledger.count_of(k, ids, unit="studies", label=k, stage="s", rule="r", id_kind="study_id")
        for k, ids in values.items()
    ]
    return ledger.to_frame(counts, {})


PREVIOUS = versions.PreviousVersion(
    number=1,
    clusters=_clusters([("a:1", "S1"), ("a:2", "S2"), ("a:3", "S3"), ("a:4", "S4")]),
    status=_status(
        [
            ("S1", "included"),
            ("S2", "excluded_title_abstract"),
            ("S3", "included"),
            ("S4", "excluded_full_text"),
        ]
    ),
    ledger=_ledger({"new_studies": ["S1", "S3"], "dedupe.studies": ["S1", "S2", "S3", "S4"]}),
)


def _current() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    # round 2: b:1 duplicates included S1, b:2 duplicates excluded S2, b:3 is new (pending);
    # a:4 vanished from the exports (its study S4 with it); S3 was re-decided as excluded
    clusters = _clusters([("a:1", "S1"), ("a:2", "S2"), ("a:3", "S3"), ("b:1", "S1"),
                          ("b:2", "S2"), ("b:3", "S5")])  # fmt: skip
    records = clusters.select("record_id", pl.col("record_id").str.head(1).alias("source_id"))
    status = _status([("S1", "included"), ("S2", "excluded_title_abstract"),
                      ("S3", "excluded_full_text"), ("S5", "pending")])  # fmt: skip
    return records, clusters, status


def test_compute_changes_lists_each_kind() -> None:
    changes = versions.compute_changes(PREVIOUS, *_current())
    got = {
        kind: sorted(changes.filter(pl.col("change") == kind)["id"].to_list())
        for kind in changes["change"].unique().to_list()
    }
    assert got == {
        "new_record": ["b:1", "b:2", "b:3"],
        "duplicate_of_known": ["b:1", "b:2"],
        "duplicate_of_included": ["b:1"],
        "record_removed": ["a:4"],
        "new_study": ["S5"],
        "excluded": ["S3"],
        "pending": ["S5"],
        "status_changed": ["S3"],
        "study_removed": ["S4"],
    }
    changed = changes.filter(pl.col("change") == "status_changed").row(0, named=True)
    assert (changed["previous"], changed["current"]) == ("included", "excluded_full_text")


def test_a_study_split_off_a_known_one_is_not_a_new_study() -> None:
    """S6 is a study no version knew, made of a record known before (a:4, split off by a
    person's 'different'): it was counted as a new study of the update's searches (the
    summary's "brought N new studies"). It is a study split off, listed on its own."""
    clusters = _clusters([("a:1", "S1"), ("a:2", "S2"), ("a:3", "S3"), ("a:4", "S6"),
                          ("b:3", "S5")])  # fmt: skip
    records = clusters.select("record_id", pl.col("record_id").str.head(1).alias("source_id"))
    status = _status([("S1", "included"), ("S2", "excluded_title_abstract"),
                      ("S3", "included"), ("S5", "pending"), ("S6", "pending")])  # fmt: skip
    changes = versions.compute_changes(PREVIOUS, records, clusters, status)
    kinds = {
        k: sorted(changes.filter(pl.col("change") == k)["id"]) for k in ("new_study", "split_study")
    }
    assert kinds == {"new_study": ["S5"], "split_study": ["S6"]}


def test_change_counts_carry_ids_and_previous_values() -> None:
    changes = versions.compute_changes(PREVIOUS, *_current())
    current = _ledger({"new_studies": ["S1"], "dedupe.studies": ["S1", "S2", "S3", "S5"]})
    frame = ledger.to_frame(versions.change_counts(PREVIOUS, changes, current), {})
    ledger.check_contract(frame)
    rows = {r["count_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["changes.previous_version"]["value"] == 1
    assert rows["changes.records"]["ids"] == ["b:1", "b:2", "b:3"]
    assert rows["changes.records.b"]["value"] == 3
    assert rows["changes.included"]["value"] == 0
    assert rows["changes.counts_changed"]["ids"] == ["new_studies"]  # dedupe.studies: same value
    assert rows["changes.previous.new_studies"]["ids"] == ["S1", "S3"]

    view = changes_view(Ledger(pl.concat([frame, current])), pl.DataFrame(
        {"id": ["b:1"], "title": ["Rupture 2"]}))  # fmt: skip
    assert view is not None
    rows_by_id = {r["count_id"]: r for r in view["rows"]}
    assert [e["id"] for e in rows_by_id["changes.records"]["entries"]] == ["b:1", "b:2", "b:3"]
    assert 'data-literal="title">Rupture 2<' in str(
        rows_by_id["changes.records"]["entries"][0]["title"]
    )
    assert view["changed"][0]["previous_id"] == "changes.previous.new_studies"
    assert changes_view(Ledger(current), pl.DataFrame({"id": [], "title": []})) is None


def test_rounds_view_only_for_living_reviews() -> None:
    assert rounds_view({"searches": [{"id": "a", "date": "2024-01-01"}]}) == []
    view = rounds_view({"searches": [{"id": "a", "date": "2024-01-01"},
                                     {"id": "b", "date": "2025-01-01", "round": 2}]})  # fmt: skip
    assert [[s["id"] for s in r["searches"]] for r in view] == [["a"], ["b"]]


def test_included_studies_keeps_only_included() -> None:
    studies = pl.DataFrame(
        [{c: None for c in schemas.STUDIES.columns} | {"study_id": s, "representative_record_id":
          f"a:{s}", "record_ids": [f"a:{s}"], "n_records": 1} for s in ("S1", "S2")],
        schema=schemas.STUDIES.polars_schema,
    )  # fmt: skip
    included = versions.included_studies(_status([("S1", "included"), ("S2", "pending")]), studies)
    assert included["study_id"].to_list() == ["S1"]


def test_manifest_is_a_process_run_crate() -> None:
    crate = versions.manifest(
        number=2, round_=2, review_title="R", tool_version="0.1.0", config_path="config/c.yaml",
        config_sha256="c" * 64, inputs=[("in.ris", "a" * 64)], outputs=[("counts.parquet", "b" * 64)],
        packages={"polars": "2.1"}, start_time="t0", end_time="t1", command="snakemake",
        previous=1,
    )  # fmt: skip
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert crate["@context"] == "https://w3id.org/ro/crate/1.1/context"
    assert graph["ro-crate-metadata.json"]["about"] == {"@id": "./"}
    run = graph["#run"]
    assert run["object"] == [{"@id": "#config"}, {"@id": "#input/in.ris"}]
    assert run["result"] == [{"@id": "counts.parquet"}]
    assert (run["startTime"], run["endTime"]) == ("t0", "t1")
    assert graph["#input/in.ris"]["sha256"] == "a" * 64
    assert graph["#package/polars"]["version"] == "2.1"


def test_update_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with update.update_lock(tmp_path / "results") as path:
        assert path.read_text().split() == ["cli", str(os.getpid())]
        assert path == tmp_path / ".snakemake/scoping-review.lock"
        with (
            pytest.raises(
                update.LockBusy,
                match=r"another scoping-review run or update is writing .* \(pid \d+\)",
            ),
            update.update_lock(tmp_path / "results"),
        ):
            pass
    with update.update_lock(tmp_path / "results"):  # released on exit
        pass


def test_update_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    from scoping_review import cli

    with pytest.raises(SystemExit):
        cli.main(["update", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "3 studies await screening" in out
        and "4 another run or update is writing this review" in out
    )
    assert "1 workflow error" in out


def _flow(values: dict[str, list[str]]) -> pl.DataFrame:
    """A ledger of flow counts; record counts are those whose IDs look like records."""
    counts = [
        ledger.count_of(
            k,
            ids,
            unit="n",
            label=k,
            stage="s",
            rule="r",
            id_kind="study_id"
            if k.startswith(("dbr", "new_", "previous", "total", "pending.full"))
            else "record_id",
        )
        for k, ids in values.items()
    ]
    return ledger.to_frame(counts, {})


def test_update_counts_are_the_flow_of_the_new_records_only() -> None:
    # version 1: a:1 (S1 included), a:2 (S2 excluded at title/abstract), a:3 (S3 included)
    # and one unreadable export entry. Round 2: b:1 duplicates S1; b:2 joins S2 and becomes
    # its representative (adds an abstract; S2 is re-assessed and included); b:3 is new S5
    # (included); b:4 is new S6 (excluded, E1) with its duplicate b:5; b:6 is new S7, removed
    # by automation rule r1; one more unreadable entry.
    previous = versions.PreviousVersion(
        number=1,
        clusters=_clusters([("a:1", "S1"), ("a:2", "S2"), ("a:3", "S3")]),
        status=_status([("S1", "included"), ("S2", "excluded_title_abstract"), ("S3", "included")]),
        ledger=_flow(
            {
                "database_results": ["a:1", "a:2", "a:3", "reject:a:f:9"],
                "database_results.a": ["a:1", "a:2", "a:3", "reject:a:f:9"],
            }
        ),
    )
    rows = [("a:1", "S1", True), ("a:2", "S2", False), ("a:3", "S3", True), ("b:1", "S1", False),
            ("b:2", "S2", True), ("b:3", "S5", True), ("b:4", "S6", True), ("b:5", "S6", False),
            ("b:6", "S7", True)]  # fmt: skip
    clusters = pl.DataFrame(
        rows, schema=["record_id", "study_id", "is_representative"], orient="row"
    )
    a = ["a:1", "a:2", "a:3", "reject:a:f:9"]
    b = ["b:1", "b:2", "b:3", "b:4", "b:5", "b:6", "reject:b:f:3"]
    reports = ["S1", "S2", "S3", "S5"]
    current = _flow({
        "database_results": a + b, "database_results.a": a, "database_results.b": b,
        "excluded_other": ["reject:a:f:9", "reject:b:f:3"], "duplicates": ["a:2", "b:1", "b:5"],
        "excluded_automatic": ["b:6"], "excluded_automatic.r1": ["b:6"],
        "records_screened": ["a:1", "b:2", "a:3", "b:3", "b:4"],
        "records_excluded": ["b:4"], "records_excluded.E1": ["b:4"], "records_pending": [],
        "dbr_sought_reports": reports, "dbr_notretrieved_reports": [], "dbr_assessed": reports,
        "dbr_excluded": [], "dbr_pending": [], "new_reports": reports, "new_studies": reports,
        "previous_studies": ["S1", "S3"], "total_studies": reports,
        "pending.title_abstract.maybe": [], "pending.full_text.conflict": [],
        "dedupe.studies": ["S1", "S2", "S3", "S5", "S6", "S7"],
    })  # fmt: skip
    assert (
        ledger.check_identities(dict(zip(current["count_id"], current["value"], strict=True))) == []
    )
    update = ledger.to_frame(versions.update_counts(previous, clusters, current), {})
    ledger.check_contract(update)
    ids = {r["count_id"]: r["ids"] for r in update.iter_rows(named=True)}
    assert ids["update.database_results"] == sorted(b)
    assert ids["update.database_results.b"] == sorted(b)
    assert "update.database_results.a" not in ids  # no new records from search a
    assert ids["update.duplicates"] == ["b:1", "b:2", "b:5"]  # b:2 joined a known study
    assert ids["update.excluded_other"] == ["reject:b:f:3"]
    assert ids["update.excluded_automatic"] == ids["update.excluded_automatic.r1"] == ["b:6"]
    assert ids["update.records_screened"] == ["b:3", "b:4"]
    assert ids["update.records_excluded"] == ids["update.records_excluded.E1"] == ["b:4"]
    assert ids["update.dbr_assessed"] == ids["update.new_studies"] == ["S5"]
    assert ids["update.pending.title_abstract.maybe"] == []
    assert ids["update.reconsidered_studies"] == ["S2"]
    assert "update.dedupe.studies" not in ids
    both = pl.concat([current, update])
    values = dict(zip(both["count_id"], both["value"], strict=True))
    assert ledger.check_identities(values) == []
    assert ledger.check_sums(both) == []
    values["update.duplicates"] -= 1  # the update arm's identities are checked too
    assert any(m.startswith("update: records identified") for m in ledger.check_identities(values))


def _counts(**changed: object) -> pl.DataFrame:
    rows = [
        {"count_id": "a", "value": 2, "unit": "records", "label": "Records", "stage": "import",
         "rule": "import_merge", "id_kind": "record", "ids": ["r1", "r2"], "inputs": []},
        {"count_id": "b", "value": 1, "unit": "studies", "label": "Studies", "stage": "dedupe",
         "rule": "dedupe", "id_kind": "study", "ids": ["s1"],
         "inputs": [{"name": "records.parquet", "sha256": "ab"}]},
    ]  # fmt: skip
    rows[1].update(changed)
    return pl.DataFrame(rows, schema=schemas.LEDGER.polars_schema)


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({}, 0),
        ({"label": "Studies, worded anew"}, 1),
        ({"value": 2}, None),
        ({"ids": ["s2"]}, None),
        ({"stage": "screen"}, None),
        ({"inputs": [{"name": "records.parquet", "sha256": "cd"}]}, None),
    ],
)
def test_relabelled_counts_only_the_wording_of_the_same_evidence(
    changed: dict[str, object], expected: int | None
) -> None:
    """A tool release may word a count anew; a value, an ID list, a stage or an input's hash
    is evidence, and any change in it is a reason to freeze."""
    frozen = _counts()
    assert versions.relabelled(_counts(**changed), frozen) == expected
    # the order of the rows is not evidence
    assert versions.relabelled(_counts(**changed).reverse(), frozen) == expected


def test_relabelled_is_none_when_a_count_is_added_or_gone() -> None:
    assert versions.relabelled(_counts().head(1), _counts()) is None
    extra = _counts().tail(1).with_columns(count_id=pl.lit("c"))
    assert versions.relabelled(pl.concat([_counts(), extra]), _counts()) is None


def test_a_version_reworded_by_a_release_is_not_frozen_again() -> None:
    latest = [V(2, 2, "a")]
    kept = versions.decide_freeze(latest, "b", 0, 2, reworded=3)
    assert (kept.action, kept.number) == ("unchanged", 2)
    assert kept.message == (
        "nothing changed since version 2 was frozen (the labels of 3 counts are worded anew "
        "by this release of the tool; the version keeps its own report)"
    )
    assert versions.decide_freeze(latest, "b", 0, 2, reworded=None).action == "freeze"
    same = versions.decide_freeze(latest, "a", 0, 2, reworded=None)
    assert same.message == "nothing changed since version 2 was frozen"


def test_update_compares_the_ledgers_of_this_run_and_the_newest_version(tmp_path: Path) -> None:
    """update.reworded reads results/ledger/counts.parquet and the newest version's copy."""
    results = tmp_path / "results"
    (results / "ledger").mkdir(parents=True)
    (results / "versions/v002").mkdir(parents=True)
    _counts().write_parquet(results / "versions/v002/counts.parquet")
    known = [V(1, 1, "x"), V(2, 2, "frozen")]
    for changed, expected in (({"label": "Worded anew"}, 1), ({"value": 5}, None), ({}, 0)):
        _counts(**changed).write_parquet(results / "ledger/counts.parquet")
        assert update.reworded(results, known, "this run") == expected, changed
    assert update.reworded(results, known, "frozen") is None  # the same bytes: not compared
    (results / "versions/v002/counts.parquet").write_text("not parquet")
    assert update.reworded(results, known, "this run") is None  # unreadable: its hash decides


def _inputs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "sha256": sha} for name, sha in pairs]


@pytest.mark.parametrize(
    ("inputs", "note"),
    [
        (_inputs(("exports/a.ris", "aa"), ("results/x.parquet", "99")),
         "every count is the same as in version 2; inputs moved or renamed: "
         "searches/a.ris -> exports/a.ris"),
        (_inputs(("searches/a.ris", "a2"), ("results/x.parquet", "98")),
         "every count is the same as in version 2; inputs edited: searches/a.ris"),
        (_inputs(("searches/a.ris", "aa"), ("sheets/ta.csv", "cc")),
         "every count is the same as in version 2; inputs new: sheets/ta.csv"),
        (_inputs(("results/x.parquet", "97")),
         "every count is the same as in version 2; inputs no longer read: searches/a.ris"),
        (_inputs(("searches/a.ris", "aa"), ("results/x.parquet", "96")),
         "every count is the same as in version 2; no export or sheet changed (a setting or the "
         "tool's release did)"),
    ],
)  # fmt: skip
def test_a_version_frozen_with_the_same_counts_says_which_inputs_moved_or_changed(
    inputs: list[dict[str, str]], note: str
) -> None:
    frozen = _counts(inputs=_inputs(("searches/a.ris", "aa"), ("results/x.parquet", "00")))
    assert versions.same_counts_note(_counts(inputs=inputs), frozen, 2) == note
    for changed in ({"value": 2, "ids": ["s1", "s2"]}, {"ids": ["s2"]}):
        assert versions.same_counts_note(_counts(**changed, inputs=inputs), frozen, 2) is None
    # a count of files names them by path: its IDs change with a move, its value does not
    files = {"id_kind": "file", "ids": ["searches/a.ris"]}
    frozen = _counts(**files, inputs=_inputs(("searches/a.ris", "aa")))
    moved = _counts(id_kind="file", ids=["exports/a.ris"], inputs=_inputs(("exports/a.ris", "aa")))
    assert versions.same_counts_note(moved, frozen, 2) == (
        "every count is the same as in version 2; inputs moved or renamed: "
        "searches/a.ris -> exports/a.ris"
    )
    assert versions.same_counts_note(moved.with_columns(value=5), frozen, 2) is None


def test_a_study_excluded_on_re_assessment_leaves_the_total() -> None:
    """Version 1 included S1 and S3; a changed decision excludes S3 at full text. The total is
    the studies included now (1), and the update arm says which previous study left it, so
    previous − withdrawn + new + reconsidered = total holds with the true total."""
    previous = versions.PreviousVersion(
        number=1,
        clusters=_clusters([("a:1", "S1"), ("a:3", "S3")]),
        status=_status([("S1", "included"), ("S3", "included")]),
        ledger=_flow({"database_results": ["a:1", "a:3"], "database_results.a": ["a:1", "a:3"]}),
    )
    clusters = pl.DataFrame(
        [("a:1", "S1", True), ("a:3", "S3", True)],
        schema=["record_id", "study_id", "is_representative"],
        orient="row",
    )
    current = _flow({
        "database_results": ["a:1", "a:3"], "database_results.a": ["a:1", "a:3"],
        "database_results.c": [],  # a search first run in this update, which found nothing
        "excluded_other": [], "duplicates": [],
        "excluded_automatic": [], "records_screened": ["a:1", "a:3"], "records_excluded": [],
        "records_pending": [], "dbr_sought_reports": ["S1", "S3"],
        "dbr_notretrieved_reports": [], "dbr_assessed": ["S1", "S3"], "dbr_excluded": ["S3"],
        "dbr_excluded.E2": ["S3"], "dbr_pending": [], "new_reports": ["S1"],
        "new_studies": ["S1"], "previous_studies": ["S1", "S3"], "total_studies": ["S1"],
    })  # fmt: skip
    update = ledger.to_frame(versions.update_counts(previous, clusters, current), {})
    ids = {r["count_id"]: r["ids"] for r in update.iter_rows(named=True)}
    assert ids["update.withdrawn_studies"] == ["S3"]
    assert ids["update.database_results.c"] == []  # searched in this update: listed with 0
    assert "update.database_results.a" not in ids  # searched before, nothing new
    assert ids["update.reconsidered_studies"] == []
    both = pl.concat([current, update])
    values = dict(zip(both["count_id"], both["value"], strict=True))
    assert ledger.check_identities(values) == []
    values["total_studies"] += 1  # the old total (included now and before) breaks it
    assert any("total studies" in m for m in ledger.check_identities(values))


def test_a_count_that_fell_to_nothing_is_a_changed_count() -> None:
    """A charted value no included study has any more (the one study from Spain excluded at
    full text) leaves the ledger: the update's changed counts listed it nowhere, and 'Spain'
    left the report without a word. It is changed, shown as no longer counted."""
    previous = versions.PreviousVersion(
        number=2,
        clusters=PREVIOUS.clusters,
        status=PREVIOUS.status,
        ledger=_ledger({"new_studies": ["S1", "S3"], "chart.country.spain": ["S3"]}),
    )
    changes = versions.compute_changes(previous, *_current())
    current = _ledger({"new_studies": ["S1", "S3"]})
    frame = ledger.to_frame(versions.change_counts(previous, changes, current), {})
    ledger.check_contract(frame)
    rows = {r["count_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["changes.counts_changed"]["ids"] == ["chart.country.spain"]
    assert rows["changes.previous.chart.country.spain"]["ids"] == ["S3"]
    view = changes_view(Ledger(pl.concat([frame, current])), pl.DataFrame(
        {"id": [], "title": []}, schema={"id": pl.String, "title": pl.String}))  # fmt: skip
    assert view is not None
    (row,) = view["changed"]
    assert (row["count_id"], row["shown_id"]) == (None, "chart.country.spain")
    assert str(row["label"]) == "chart.country.spain"  # the count's label, not '(version 2)'
