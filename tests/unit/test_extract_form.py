"""The charting form: list and integer fields, allowed values, characteristics with percentages."""

from __future__ import annotations

import polars as pl
import pytest

from helpers import records
from scoping_review import dedupe, extract


@pytest.fixture
def clusters() -> pl.DataFrame:
    recs = records(
        [
            {
                "record_id": f"db:{i}",
                "title": f"Included study number {w} on ruptures",
                "year": 2020,
            }
            for i, w in enumerate(["one", "two", "three"], start=1)
        ]
    )
    return dedupe.deduplicate(recs)[0]


FORM = [
    extract.Field("country", "Country", "list", count=True, separator=";",
                  vocabulary={"United States of America": ["USA", "US"]}),
    extract.Field("design", "Design", "category", count=True,
                  allowed=["Case report", "Systematic review"]),
    extract.Field("n", "Participants", "integer"),
    extract.Field("therapy", "Therapy", "category", count=True),
]  # fmt: skip


def sheet(**overrides: list[str]) -> pl.DataFrame:
    cols = {
        "record_id": ["db:1", "db:2", "db:3"],
        "country": ["USA; Canada", "Canada", "us"],
        "design": ["case report", "Systematic review", "Case Report"],
        "n": ["12", "", "3"],
        "therapy": ["CBT", "", "CBT"],
    }
    cols.update(overrides)
    return pl.DataFrame(cols)


def test_list_fields_allowed_values_and_characteristics(clusters: pl.DataFrame) -> None:
    included = sorted(clusters["study_id"].to_list())
    charted = extract.chart(sheet(), "c.csv", FORM, clusters, included, label_column=None)
    frame = charted.charting.sort("row")
    assert frame["country"].to_list() == [
        ["United States of America", "Canada"],
        ["Canada"],
        ["United States of America"],
    ]
    assert frame["design"].to_list() == ["Case report", "Systematic review", "Case report"]
    table = extract.characteristics(charted, FORM, len(included))
    rows = {(r["field"], r["value"]): r for r in table.iter_rows(named=True)}
    assert rows[("country", "Canada")]["n_studies"] == 2
    assert rows[("country", "United States of America")]["pct"] == pytest.approx(66.7)
    # the empty therapy cell is accounted for, not lost
    assert rows[("therapy", "not charted")]["n_studies"] == 1
    assert rows[("therapy", "CBT")]["count_id"] == "chart.therapy.cbt"
    counts = {c.count_id: c.value for c in extract.charting_counts(charted, FORM)}
    assert counts["chart.country.canada"] == 2 and counts["chart.therapy.not_charted"] == 1
    assert "chart.n.12" not in counts  # integer fields are not counted unless asked


def test_an_included_study_without_a_charting_row_counts_as_not_charted(
    clusters: pl.DataFrame,
) -> None:
    """Each counted field's values sum to the included studies, as the shares ("of the 3
    included studies") say: a study whose row is missing was in no value at all."""
    included = sorted(clusters["study_id"].to_list())
    two = pl.DataFrame({k: v[:2] for k, v in sheet().to_dict(as_series=False).items()})
    charted = extract.chart(two, "c.csv", FORM, clusters, included, label_column=None)
    assert len(charted.missing) == 1
    table = extract.characteristics(charted, FORM, len(included))
    for field in ("design", "therapy"):
        rows = table.filter(pl.col("field") == field)
        assert sorted({i for ids in rows["study_ids"] for i in ids}) == included
    missing = charted.missing[0]
    design = {
        r["value"]: r["study_ids"] for r in table.iter_rows(named=True) if r["field"] == "design"
    }
    assert design["not charted"] == [missing]
    counts = {c.count_id: c for c in extract.charting_counts(charted, FORM)}
    assert counts["chart.design.not_charted"].value == 1


def test_form_errors_name_sheet_and_row(clusters: pl.DataFrame) -> None:
    included = sorted(clusters["study_id"].to_list())
    bad = sheet(design=["Essay", "Case report", "Case report"], n=["12", "twelve", ""])
    with pytest.raises(extract.ChartingError) as err:
        extract.chart(bad, "c.csv", FORM, clusters, included, label_column=None)
    msg = str(err.value)
    assert "c.csv, row 2: design value 'Essay' is not in the vocabulary" in msg
    assert "c.csv, row 3: n value 'twelve' is not a whole number" in msg


def test_values_with_the_same_count_id_are_an_error(clusters: pl.DataFrame) -> None:
    """Values that differ only in case or spacing are one value (as most rows write it);
    values that differ otherwise but share a count ID stop the run naming both."""
    included = sorted(clusters["study_id"].to_list())
    form = [extract.Field("therapy", "Therapy", "category", count=True)]
    charted = extract.chart(
        sheet(therapy=["CBT", "cbt ", "CBT"]), "c.csv", form, clusters, included,
        label_column=None,
    )  # fmt: skip
    assert sorted(charted.charting["therapy"].to_list()) == ["CBT", "CBT", "CBT"]
    charted = extract.chart(
        sheet(therapy=["CBT", "CBT+", "CBT"]), "c.csv", form, clusters, included,
        label_column=None,
    )  # fmt: skip
    assert sorted(charted.charting["therapy"].to_list()) == ["CBT", "CBT", "CBT+"]
    with pytest.raises(extract.ChartingError, match=r"give the same count id chart\.therapy"):
        extract.characteristics(charted, form, 3)


def test_a_sheet_keyed_by_study_id_names_the_key_column_to_set(clusters: pl.DataFrame) -> None:
    included = sorted(clusters["study_id"].to_list())
    by_study = sheet().rename({"record_id": "study_id"})
    with pytest.raises(extract.ChartingError, match=r"set charting\.key_column: study_id$"):
        extract.chart(by_study, "c.csv", FORM, clusters, included, label_column=None)


def test_a_value_written_not_charted_shares_the_not_charted_count(clusters: pl.DataFrame) -> None:
    """A charted "Not charted" and the studies without a row are one count ID, not two."""
    included = sorted(clusters["study_id"].to_list())
    rows = sheet(therapy=["Not charted", "CBT", "CBT"])
    two = pl.DataFrame({k: v[:2] for k, v in rows.to_dict(as_series=False).items()})
    charted = extract.chart(two, "c.csv", FORM, clusters, included, label_column=None)
    ids = [c.count_id for c in extract.charting_counts(charted, FORM)]
    assert ids.count("chart.therapy.not_charted") == 1
    counts = {c.count_id: c.value for c in extract.charting_counts(charted, FORM)}
    assert counts["chart.therapy.not_charted"] == 2  # db:1's value and db:3's missing row
