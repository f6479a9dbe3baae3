from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import ledger

FLOW = {
    "database_results": ["r1", "r2", "r3", "r4", "r5"],
    "duplicates": ["r2"],
    "excluded_automatic": [],
    "excluded_other": ["r5"],
    "records_screened": ["r1", "r3", "r4"],
    "records_excluded": ["r3"],
    "records_pending": [],
    "dbr_sought_reports": ["s1", "s4"],
    "dbr_notretrieved_reports": ["s4"],
    "dbr_assessed": ["s1"],
    "dbr_excluded": [],
    "dbr_pending": [],
    "new_reports": ["s1"],
}


def frame(overrides: dict[str, list[str]] | None = None):  # type: ignore[no-untyped-def]
    flow = {**FLOW, **(overrides or {})}
    counts = [
        ledger.count_of(k, v, unit="records", label=k, stage="t", rule="t", id_kind="record_id")
        for k, v in flow.items()
    ]
    return ledger.to_frame(counts, {"input.csv": "0" * 64})


def test_count_of_deduplicates_and_sorts() -> None:
    c = ledger.count_of(
        "x", ["b", "a", "b", None], unit="u", label="l", stage="s", rule="r", id_kind="k"
    )
    assert c.value == 2 and c.ids == ("a", "b")


def test_assemble_accepts_consistent_flow_and_stamps_inputs() -> None:
    assembled = ledger.assemble([frame()])
    assert assembled["count_id"].to_list() == sorted(FLOW)
    assert assembled["inputs"][0].to_list() == [{"name": "input.csv", "sha256": "0" * 64}]


def test_broken_identity_fails_with_the_numbers() -> None:
    with pytest.raises(
        ledger.LedgerError, match=r"records screened.*gives 3, but records_screened=2"
    ):
        ledger.assemble([frame({"records_screened": ["r1", "r3"]})])


def test_breakdown_must_sum_to_total() -> None:
    part = ledger.to_frame(
        [ledger.count_of("records_excluded.off_topic", [], unit="r", label="l", stage="s", rule="r",
                         id_kind="record_id")],
        {},
    )  # fmt: skip
    with pytest.raises(ledger.LedgerError, match="records_excluded=1 but its parts sum to 0"):
        ledger.assemble([frame(), part])


def test_duplicate_count_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="key"):
        ledger.assemble([frame(), frame()])


def test_count_specs_make_counts_from_a_table() -> None:
    import polars as pl

    issues = pl.DataFrame(
        {"issue_id": ["a", "b", "c", "d"], "severity": ["error", "info", "error", None]}
    )
    table = (
        ledger.CountSpec(
            "issues", "All findings", "findings", "issue_id", lambda f: f["issue_id"]
        ),
        ledger.CountSpec(
            "issues.shown", "Shown {what}", "findings", "issue_id",
            lambda f: f.filter(pl.col("severity") != "info")["issue_id"],
        ),
    )  # fmt: skip
    emit = ledger.Emitter("quality", "quality")
    made = emit.table(table, issues, what="findings")
    assert [(c.count_id, c.value, c.ids, c.label) for c in made] == [
        ("issues", 4, ("a", "b", "c", "d"), "All findings"),
        ("issues.shown", 2, ("a", "c"), "Shown findings"),
    ]
    assert all((c.stage, c.rule, c.unit) == ("quality", "quality", "findings") for c in made)
    per = ledger.CountSpec("issues.{severity}", "Findings: {severity}", "findings", "issue_id")
    groups = emit.groups(per, issues, "severity", ("info", "error", "warning"), "issue_id")
    assert [(c.count_id, c.ids, c.label) for c in groups] == [
        ("issues.info", ("b",), "Findings: info"),
        ("issues.error", ("a", "c"), "Findings: error"),
        ("issues.warning", (), "Findings: warning"),
    ]
    # a name holding braces is a value, never a template
    odd = emit.of(per, ["x", "x", None], severity="{odd}")
    assert (odd.count_id, odd.value, odd.ids) == ("issues.{odd}", 1, ("x",))
    with pytest.raises(ValueError, match="no selector"):
        emit.table([per], issues)


def test_the_report_reads_the_stages_count_type() -> None:
    from scoping_review.report.counts import CountRow

    assert CountRow is ledger.Count


def test_count_of_a_series_sorts_numbers_as_numbers() -> None:
    import polars as pl

    count = ledger.count_of(
        "x", pl.Series([10, 9, None, 10]), unit="records", label="x", stage="s", rule="r",
        id_kind="record",
    )  # fmt: skip
    assert count.ids == ("9", "10")
    assert count.value == 2


def _python_count_ids(values: list[object]) -> tuple[str, ...]:
    """What a count's IDs were before they were kept as a series: sorted() of the distinct
    non-null values, each then as str()."""
    return tuple(str(v) for v in sorted({v for v in values if v is not None}))  # type: ignore[type-var]


_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))


@given(
    values=st.one_of(
        st.lists(st.one_of(st.none(), st.text(max_size=4))),
        st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40))),
        st.lists(st.one_of(st.none(), _DATES)),
        st.lists(st.one_of(st.none(), st.datetimes(dt.datetime(1900, 1, 1)))),
    )
)
def test_a_series_count_has_the_ids_and_value_of_its_python_values(values: list[object]) -> None:
    """Any IDs (text with any code points, numbers, dates, date-times, nulls, repeats): a
    count of the series holds what sorted() and str() of its values give, and its ledger row
    lists them in that order."""
    import polars as pl

    want = _python_count_ids(values)
    for ids in (pl.Series(values), values):
        count = ledger.count_of("x", ids, unit="records", label="x", stage="s", rule="r",
                                id_kind="record")  # type: ignore[arg-type]  # fmt: skip
        assert count.ids == want
        assert count.value == len(want)
        row = ledger.to_frame([count], {}).row(0, named=True)
        assert tuple(row["ids"]) == want and row["value"] == len(want)


def test_counts_compare_by_their_ids() -> None:
    make = lambda ids: ledger.count_of(  # noqa: E731
        "x", ids, unit="records", label="x", stage="s", rule="r", id_kind="record"
    )
    assert make(["a", "b"]) == make(["b", "a", "a"])
    assert make(["a", "b"]) != make(["a"])
    assert len({make(["a"]), make(["a"]), make(["b"])}) == 2
