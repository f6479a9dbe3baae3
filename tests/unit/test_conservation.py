"""Conservation checks: a record lost, double-counted or invented at any boundary is caught."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import records as make_records
from scoping_review import conservation, dedupe, importing, ledger, schemas, screen

SEARCHES = ["a", "b"]


def _files(parsed: dict[str, int], rejected: dict[str, int]) -> pl.DataFrame:
    rows = [
        {
            "source_id": s,
            "database": s.upper(),
            "path": f"{s}.ris",
            "sha256": "0" * 64,
            "format": "ris",
            "encoding": "utf-8",
            "encoding_note": "",
            "n_raw": parsed[s] + rejected[s],
            "n_parsed": parsed[s],
            "n_rejected": rejected[s],
            "notes": [],
        }
        for s in SEARCHES
    ]
    return pl.DataFrame(rows, schema=schemas.FILES.polars_schema)


def _rejects(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_id": ["b"] * n,
            "file": ["b.ris"] * n,
            "line": list(range(1, n + 1)),
            "reason": ["record has no fields"] * n,
            "raw": ["TY  - JOUR"] * n,
        },
        schema=schemas.REJECTS.polars_schema,
    )


@pytest.fixture
def pipeline() -> tuple[pl.DataFrame, conservation.StageTables]:
    """A small review run through the real stage functions: import counts, dedupe, screen."""
    recs = make_records(
        [
            {
                "record_id": "a:1",
                "title": "Alliance ruptures in therapy",
                "doi": "10.1/x",
                "year": 2014,
            },
            {
                "record_id": "b:1",
                "title": "Alliance ruptures in therapy",
                "doi": "10.1/x",
                "year": 2014,
            },
            {"record_id": "a:2", "title": "Repair processes in psychotherapy", "year": 2019},
            {"record_id": "b:2", "title": "An unrelated paper about ants", "year": 2001},
            {"record_id": "b:3", "title": "Metacommunication about ruptures", "year": 2020},
        ]
    )
    rejects = _rejects(1)
    files = _files({"a": 2, "b": 3}, {"a": 0, "b": 1})
    searches = [{"id": s, "database": s.upper()} for s in SEARCHES]
    counts = importing.import_counts(recs, rejects, files, searches)
    clusters, studies = dedupe.deduplicate(recs, dedupe.DedupeSettings())
    counts += dedupe.dedupe_counts(clusters)
    rep = dict(zip(studies["representative_record_id"], studies["study_id"], strict=True))
    sheet = screen.Sheet(
        "ta.csv",
        "title_abstract",
        pl.DataFrame(
            {
                "record_id": ["a:1", "a:2", "b:2"],
                "decision": ["include", "include", "exclude"],
                "reason": [None, None, "off_topic"],
            }
        ),
    )
    ft = screen.Sheet(
        "ft.csv",
        "full_text",
        pl.DataFrame({"study_id": [rep["a:1"]], "decision": ["include"], "reason": [None]}),
    )
    criteria = [{"code": "off_topic", "label": "Off topic"}]
    decisions = screen.read_decisions([sheet, ft], clusters, criteria)
    automatic = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, automatic)
    counts += screen.screen_counts(status, studies, automatic, criteria)
    frame = ledger.to_frame(counts, {})
    tables = conservation.StageTables(files, recs, rejects, clusters, studies, status)
    return frame, tables


def stage_problems(frame: pl.DataFrame, tables: conservation.StageTables) -> list[str]:
    ids = conservation.ledger_ids(frame)
    r2s = dict(zip(tables.clusters["record_id"], tables.clusters["study_id"], strict=True))
    return [
        *conservation.check_import(ids, tables.files, tables.records, tables.rejects, SEARCHES),
        *conservation.check_dedupe(ids, tables.records, tables.clusters, tables.studies),
        *conservation.check_screen(ids, tables.studies, tables.status, r2s),
        *conservation.check_partitions(ids, r2s, conservation.PARTITIONS[:3]),
    ]


def test_a_consistent_pipeline_conserves_every_record(pipeline) -> None:
    frame, tables = pipeline
    assert stage_problems(frame, tables) == []


def test_a_record_lost_after_import_is_caught(pipeline) -> None:
    frame, tables = pipeline
    lost = tables.records.filter(pl.col("record_id") != "b:3")
    problems = stage_problems(frame, conservation.StageTables(**{**vars(tables), "records": lost}))
    assert any("01_import" in p and "b:3" in p for p in problems)
    assert any("02_dedupe" in p for p in problems)


def test_a_file_that_does_not_reconcile_is_named(pipeline) -> None:
    frame, tables = pipeline
    files = tables.files.with_columns(
        pl.when(pl.col("source_id") == "b").then(5).otherwise(pl.col("n_raw")).alias("n_raw")
    )
    problems = stage_problems(frame, conservation.StageTables(**{**vars(tables), "files": files}))
    assert "01_import: b.ris: 5 record starts but 3 parsed + 1 rejected" in problems


def test_offsetting_errors_do_not_cancel(pipeline) -> None:
    """Same number of screened records, but one is counted twice and another is missing."""
    frame, tables = pipeline
    ids = conservation.ledger_ids(frame)
    screened = sorted(ids["records_screened"])
    tampered = [screened[0], *screened[:-1]]
    frame = frame.with_columns(
        pl.when(pl.col("count_id") == "records_screened")
        .then(pl.lit(pl.Series([tampered])))
        .otherwise(pl.col("ids"))
        .alias("ids")
    )
    problems = stage_problems(frame, tables)
    assert any("counted more than once" in p for p in problems)
    assert any("in no part" in p for p in problems)


def test_a_study_without_a_final_status_is_caught(pipeline) -> None:
    frame, tables = pipeline
    status = tables.status.with_columns(pl.lit("lost").alias("final"))
    problems = stage_problems(frame, conservation.StageTables(**{**vars(tables), "status": status}))
    assert any("without a known final status" in p for p in problems)


def test_check_raises_naming_the_boundary(pipeline) -> None:
    frame, tables = pipeline
    frame = frame.filter(pl.col("count_id") != "duplicates")
    with pytest.raises(
        conservation.ConservationError, match="02_dedupe: ledger lacks 'duplicates'"
    ):
        conservation.check(frame, tables, SEARCHES)


def test_missing_ledger_counts_are_reported_not_ignored() -> None:
    problems = conservation.check_partitions({"chart.rows": []}, {})
    assert any("ledger lacks" in p and "new_studies" in p for p in problems)


def test_kept_codes_must_each_sit_in_one_theme() -> None:
    ok = {"codes_kept": ["x", "y"], "theme.t1.n_codes": ["x"], "theme.t2.n_codes": ["y"]}
    assert conservation.check_themes(ok) == []
    twice = {**ok, "theme.t2.n_codes": ["x", "y"]}
    assert any("more than once" in p for p in conservation.check_themes(twice))
    orphan = {**ok, "theme.t2.n_codes": []}
    assert any("in no part" in p and "'y'" in p for p in conservation.check_themes(orphan))


@given(
    whole=st.sets(st.text(min_size=1, max_size=3), max_size=12),
    cuts=st.lists(st.integers(0, 2), max_size=12),
)
def test_partition_problems_is_empty_exactly_for_partitions(
    whole: set[str], cuts: list[int]
) -> None:
    items = sorted(whole)
    parts: dict[str, list[str]] = {"p0": [], "p1": [], "p2": []}
    for i, item in enumerate(items):
        parts[f"p{cuts[i] if i < len(cuts) else 0}"].append(item)
    assert conservation.partition_problems("s", "w", items, parts) == []
    if items:
        dropped = {k: [i for i in v if i != items[0]] for k, v in parts.items()}
        assert conservation.partition_problems("s", "w", items, dropped) != []
        doubled = {**parts, "p3": [items[0]]}
        assert conservation.partition_problems("s", "w", items, doubled) != []


def test_stages_not_started_are_skipped_and_the_rest_still_checked(pipeline) -> None:
    frame, tables = pipeline
    # no charting or coding counts in this ledger: with those stages started, it is a problem
    started = conservation.conservation_problems(frame, tables, SEARCHES)
    assert any(p.startswith("04_extract") for p in started)
    assert any(p.startswith(("05_codes", "06_themes")) for p in started)
    skip = conservation.skipped_boundaries({"screening": False, "charting": False, "coding": False})
    assert skip == ("04_extract", "05_codes", "06_themes")
    assert conservation.conservation_problems(frame, tables, SEARCHES, skip) == []
    # skipping a stage never hides a record lost before it
    lost = conservation.StageTables(
        **{**vars(tables), "records": tables.records.filter(pl.col("record_id") != "b:3")}
    )
    problems = conservation.conservation_problems(frame, lost, SEARCHES, skip)
    assert any("01_import" in p and "b:3" in p for p in problems)
    assert conservation.skipped_boundaries({"charting": True, "coding": False}) == (
        "05_codes",
        "06_themes",
    )


def _reference_partition_problems(
    boundary: str, whole_name: str, whole: list[str], parts: dict[str, list[str]]
) -> list[str]:
    """The checks' definition over Python sets (what the polars version must say exactly)."""
    problems: list[str] = []
    where = f"{boundary}: {whole_name} = {' + '.join(parts)}"
    members = [i for ids in parts.values() for i in ids]
    seen: set[str] = set()
    repeated: set[str] = set()
    for i in members:
        (repeated if i in seen else seen).add(i)
    dup = sorted(repeated)

    def sample(ids: set[str], n: int = 5) -> str:
        items = sorted(ids)
        return f"{items[:n]}" + (f" and {len(items) - n} more" if len(items) > n else "")

    if dup:
        owners = {i: [name for name, ids in parts.items() if i in set(ids)] for i in dup[:3]}
        problems.append(f"{where}: {len(dup)} IDs counted more than once, e.g. {owners}")
    whole_set, union = set(whole), set(members)
    if lost := whole_set - union:
        problems.append(f"{where}: {len(lost)} IDs in {whole_name} are in no part: {sample(lost)}")
    if extra := union - whole_set:
        problems.append(
            f"{where}: {len(extra)} IDs in the parts are not in {whole_name}: {sample(extra)}"
        )
    return problems


_ID = st.text(alphabet="ab:é1", min_size=1, max_size=3)


@given(
    whole=st.lists(_ID, max_size=15),
    parts=st.dictionaries(st.sampled_from(["p", "q", "r"]), st.lists(_ID, max_size=10)),
    as_series=st.booleans(),
)
def test_partition_problems_says_what_the_set_definition_says(
    whole: list[str], parts: dict[str, list[str]], as_series: bool
) -> None:
    """Any whole and parts (repeats, losses, extras, non-ASCII IDs, empty parts), given as lists
    or as series (as the ledger rule gives them): the same messages, word for word."""
    want = _reference_partition_problems("s", "w", whole, parts)
    if as_series:
        got = conservation.partition_problems(
            "s", "w", pl.Series(whole, dtype=pl.String),
            {k: pl.Series(v, dtype=pl.String) for k, v in parts.items()},
        )  # fmt: skip
    else:
        got = conservation.partition_problems("s", "w", whole, parts)
    assert got == want


def test_record_ids_without_a_study_are_named_in_study_terms() -> None:
    """A record ID the clusters do not know maps to ``<unknown record ID>``, so the study-level
    partition fails naming it, whether the map is a dict or the clusters frame."""
    ids = {
        "records_screened": ["r1", "r2", "ghost"],
        "records_excluded": ["r1"],
        "dbr_sought_reports": ["S2"],
    }
    as_dict = {"r1": "S1", "r2": "S2"}
    frame = pl.DataFrame({"record_id": ["r1", "r2"], "study_id": ["S1", "S2"]})
    for mapping in (as_dict, frame):
        problems = conservation.check_partitions(ids, mapping, conservation.PARTITIONS[:1])
        [message] = problems
        assert "1 IDs in records_screened are in no part: ['<unknown record ghost>']" in message
