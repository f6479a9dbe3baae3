"""Charting, coding, themes and quality checks on small hand-made tables."""

from __future__ import annotations

import polars as pl
import pytest

from helpers import records
from scoping_review import codes, dedupe, extract, quality, themes
from scoping_review.ledger import count_of, to_frame


@pytest.fixture
def clusters() -> pl.DataFrame:
    recs = records(
        [
            {"record_id": "db:1", "title": "The first included study about ruptures", "year": 2016},
            {"record_id": "db:2", "title": "The second included study about repair", "year": 2020},
            {"record_id": "db:3", "title": "An excluded study about tendon repair", "year": 2019},
        ]
    )
    return dedupe.deduplicate(recs)[0]


def sid(clusters: pl.DataFrame, record: str) -> str:
    return str(clusters.filter(pl.col("record_id") == record)["study_id"].item())


FIELDS = [
    extract.Field("design", "Study design", "category", count=True,
                  vocabulary={"Mixed methods": ["Mixed methods study", "Mixed Methods Research"]}),
    extract.Field("background", "Background", "category", count=True, empty_value="Not stated"),
]  # fmt: skip


def test_charting_normalises_vocabulary_and_reports_strays(clusters: pl.DataFrame) -> None:
    sheet = pl.DataFrame(
        {"record_id": ["db:1", "db:2", "db:3"], "study_label": ["A (2016)", "B (2020)", "C"],
         "design": ["mixed  methods STUDY", "Mixed Methods Research", "x"],
         "background": ["Psychoanalysis", "", "y"]}
    )  # fmt: skip
    included = [sid(clusters, "db:1"), sid(clusters, "db:2")]
    charted = extract.chart(sheet, "c.csv", FIELDS, clusters, included)
    assert charted.charting["design"].to_list() == ["Mixed methods", "Mixed methods"]
    assert sorted(charted.charting["design__raw"].to_list()) == [
        "Mixed Methods Research",
        "mixed  methods STUDY",
    ]
    assert sorted(charted.charting["background"].to_list()) == ["Not stated", "Psychoanalysis"]
    assert charted.not_included.rows() == [(sid(clusters, "db:3"), "c.csv", 4)]
    counts = {c.count_id: c for c in extract.charting_counts(charted, FIELDS)}
    assert counts["chart.design.mixed_methods"].value == 2
    assert counts["chart.background.not_stated"].ids == (sid(clusters, "db:2"),)


def test_a_row_with_a_study_and_nothing_charted_is_not_charted(clusters: pl.DataFrame) -> None:
    """Teams list their included studies before charting them: such a row is no charting (it
    used to count the study as charted, hiding the missing-charting error), and a row of empty
    cells (a spreadsheet's trailing rows) is no row at all (it was 'empty record_id')."""
    required = [extract.Field("design", "Design", "category", required=True), FIELDS[1]]
    sheet = pl.DataFrame(
        {"record_id": ["db:1", "db:2", "  ", ""], "study_label": ["A (2016)", "B (2020)", "", " "],
         "design": ["Case report", " ", None, ""], "background": ["x", "", " ", None]}
    )  # fmt: skip
    included = [sid(clusters, "db:1"), sid(clusters, "db:2")]
    charted = extract.chart(sheet, "c.csv", required, clusters, included)
    assert charted.charting["study_id"].to_list() == [sid(clusters, "db:1")]
    assert charted.missing == [sid(clusters, "db:2")]
    assert charted.notes[0] == "c.csv, row 3: db:2 has no charted value yet; counted as not charted"
    counts = {c.count_id: c for c in extract.charting_counts(charted, required)}
    assert counts["chart.rows"].value == 1 and counts["chart.missing"].value == 1


def test_values_spelt_two_ways_are_one_value_as_most_rows_write_it(
    clusters: pl.DataFrame,
) -> None:
    """'Germany' and 'germany' gave one count ID to two values and stopped the run, one field
    at a time, naming no row; they are one value, counted once, and a note names the rows."""
    fields = [
        extract.Field("country", "Country", "category", count=True),
        extract.Field("setting", "Setting", "list", count=True),
    ]
    sheet = pl.DataFrame(
        {"record_id": ["db:1", "db:2", "db:3"], "country": ["Germany", "germany", "Germany"],
         "setting": ["São Paulo; clinic", "Sao Paulo", "Clinic; sao  paulo"]}
    )  # fmt: skip
    ids = [sid(clusters, r) for r in ("db:1", "db:2", "db:3")]
    charted = extract.chart(sheet, "c.csv", fields, clusters, ids, label_column=None)
    assert charted.charting["country"].to_list() == ["Germany"] * 3
    by_study = dict(zip(charted.charting["study_id"], charted.charting["setting"], strict=True))
    assert sorted(sorted(v) for v in by_study.values()) == [
        ["Clinic", "Sao Paulo"],
        ["Clinic", "Sao Paulo"],
        ["Sao Paulo"],
    ]
    assert "c.csv: country 'germany' (row(s) 3) read as 'Germany', as row(s) 2, 4 write it" in (
        " ".join(charted.notes)
    )
    counts = {c.count_id: c for c in extract.charting_counts(charted, fields)}
    assert counts["chart.country.germany"].value == 3
    assert counts["chart.setting.sao_paulo"].value == 3


@pytest.mark.parametrize(
    "values",
    [["<18", "<18", ">18"], ["Россия", "Россия", "Україна"], ["Case-study", "Case study", "x"]],
)
def test_values_that_differ_otherwise_stay_apart_and_a_shared_count_id_is_refused(
    clusters: pl.DataFrame, values: list[str]
) -> None:
    """Only case, accents and spacing make one value; '<18' and '>18' (one count ID) stop the
    run with both named, as before, rather than being counted as one."""
    fields = [extract.Field("age", "Age", "category", count=True)]
    sheet = pl.DataFrame({"record_id": ["db:1", "db:2", "db:3"], "age": values})
    ids = [sid(clusters, r) for r in ("db:1", "db:2", "db:3")]
    charted = extract.chart(sheet, "c.csv", fields, clusters, ids, label_column=None)
    assert sorted(charted.charting["age"].to_list()) == sorted(values)
    with pytest.raises(extract.ChartingError, match="give the same count id"):
        extract.charting_counts(charted, fields)


def test_charting_errors_name_sheet_and_row(clusters: pl.DataFrame) -> None:
    closed = [
        extract.Field("design", "Design", "category", vocabulary={"Case report": []}, closed=True)
    ]
    sheet = pl.DataFrame({"record_id": ["db:1", "db:1"], "design": ["Essay", "Case report"]})
    with pytest.raises(extract.ChartingError) as err:
        extract.chart(sheet, "c.csv", closed, clusters, [sid(clusters, "db:1")], label_column=None)
    assert "c.csv, row 2: design value 'Essay' is not in the vocabulary" in str(err.value)
    assert "c.csv, row 3: second charting row" in str(err.value)


def test_taguette_segments_prevalence_and_themes(clusters: pl.DataFrame) -> None:
    highlights = pl.DataFrame(
        {"id": ["1", "2", "3", "4", "5"],
         "document": ["Doc A", "Doc B", "Doc B", "Ghost (2021)", "Doc C"],
         "tag": ["repair\\Empathy", "repair\\Empathy", "repair\\Metacommunication",
                 "repair\\Empathy", "repair\\Empathy"],
         "content": ["a", "b", "c", "d", "e"]}
    )  # fmt: skip
    documents = pl.DataFrame(
        {"document": ["Doc A", "Doc B", "Ghost (2021)", "Doc C"],
         "record_id": ["db:1", "db:2", None, "db:3"]}
    )  # fmt: skip
    codebook = pl.DataFrame(
        {"code": ["Empathy", "Metacommunication"], "theme": ["Relational", "Actions"],
         "overarching_theme": ["Repair", "Repair"], "origin": ["inductive", "deductive"],
         "definition": ["", ""]}
    )  # fmt: skip
    raw = codes.taguette_segments(highlights, "h.csv", hierarchy_separator="\\")
    included = [sid(clusters, "db:1"), sid(clusters, "db:2")]
    segments = codes.resolve_segments(raw, documents, clusters, codebook, included)
    assert segments["status"].to_list() == ["ok", "ok", "ok", "unknown_document", "not_included"]
    prev = codes.prevalence(segments, codebook, codes.Threshold("n_studies", 1))
    row = {r["code"]: r for r in prev.iter_rows(named=True)}
    assert row["Empathy"]["n_studies"] == 2 and row["Empathy"]["kept"]
    assert not row["Metacommunication"]["kept"]
    assert row["Metacommunication"]["drop_reason"] == "n_studies = 1 is at or below the threshold 1"
    frame = themes.themes(prev)
    assert frame.filter(pl.col("theme") == "Actions")["codes_dropped"].item().to_list() == [
        "Metacommunication"
    ]
    counts = {c.count_id: c.value for c in codes.code_counts(segments, prev, codes.Threshold())}
    assert counts["segments.unknown_document"] == 1 and counts["segments.not_included"] == 1
    findings = quality.segment_findings(segments)
    assert {f["check"] for f in findings} == {"unknown_document", "not_included"}
    dropped = quality.threshold_findings(prev)
    assert [f["subject"] for f in dropped] == ["code Metacommunication"]
    assert "n_studies = 1 is at or below the threshold 1" in str(dropped[0]["message"])


def test_claims_are_confirmed_or_flagged() -> None:
    counts = [
        count_of("chart.country.usa", ["a", "b", "c"], unit="s", label="l", stage="s", rule="r",
                 id_kind="study_id"),
        count_of("search_databases", ["PubMed", "Web of Science"], unit="d", label="l", stage="s",
                 rule="r", id_kind="database"),
    ]  # fmt: skip
    ledger = to_frame(counts, {})
    claims = [
        {"id": "usa", "text": "n=2", "location": "Results", "count_ids": ["chart.country.usa"], "value": 2},
        {"id": "usa_ok", "text": "n=3", "count_ids": ["chart.country.usa"], "value": 3},
        {"id": "absent", "text": "none from Mars", "count_ids": ["chart.country.mars"], "value": 0},
        {"id": "dbs", "text": "PubMed and Scopus", "count_ids": ["search_databases"],
         "ids_claimed": ["PubMed", "Scopus"], "note": "the abstract is wrong"},
        {"id": "usa_note", "text": "n=2", "count_ids": ["chart.country.usa"], "value": 2,
         "note": " one study was charted twice "},
    ]  # fmt: skip
    found = {f["subject"]: f for f in quality.claim_findings(claims, ledger, "thesis")}
    assert found["usa"]["check"] == "claim_mismatch"
    assert "states 2, but the ledger (chart.country.usa) counts 3" in str(found["usa"]["message"])
    assert found["usa_ok"]["check"] == "claim_confirmed"
    assert found["absent"]["check"] == "claim_confirmed"
    assert "only in the manuscript: Scopus; only in the data: Web of Science" in str(
        found["dbs"]["message"]
    )
    # a claim's note (the team's explanation of a known difference) ends its finding
    assert str(found["dbs"]["message"]).endswith(") (note: the abstract is wrong)")
    assert str(found["usa_note"]["message"]).endswith(
        "counts 3 (note: one study was charted twice)"
    )
    assert "note" not in str(found["usa"]["message"])


def test_label_years_flag_disagreements(clusters: pl.DataFrame) -> None:
    _, studies = dedupe.deduplicate(
        records(
            [
                {
                    "record_id": "db:1",
                    "title": "The first included study about ruptures",
                    "year": 2017,
                }
            ]
        )
    )
    labels = pl.DataFrame(
        {"study_id": studies["study_id"].to_list() * 2, "label": ["Bartholomew (2016)", "B (2017)"],
         "where": ["c.csv, row 2", "c.csv, row 3"]}
    )  # fmt: skip
    found = quality.label_years(labels, studies, "charting label")
    assert len(found) == 1
    assert found[0]["message"] == (
        "charting label 'Bartholomew (2016)' gives 2016; the bibliographic record says 2017"
    )


def test_charting_and_coding_follow_a_study_id_that_a_new_anchor_retired(
    clusters: pl.DataFrame,
) -> None:
    """A study's ID changes when another of its records becomes its anchor (a merge, or an
    earlier-dated search joining it): a charting row or a coded document that names the old ID
    still reaches the study, as screening rows do, instead of 'unknown study' and segments
    counted as not included."""
    old = dedupe.study_id_for("db:1")
    renamed = clusters.with_columns(
        pl.when(pl.col("record_id") == "db:1").then(pl.lit("S-0000000001"))
        .otherwise("study_id").alias("study_id")
    )  # fmt: skip
    sheet = pl.DataFrame({"study_id": [old], "design": ["Case report"], "background": ["x"]})
    charted = extract.chart(
        sheet, "c.csv", FIELDS, renamed, ["S-0000000001"], key_column="study_id", label_column=None
    )
    assert charted.charting["study_id"].to_list() == ["S-0000000001"]
    assert any(f"study ID {old} names no study now" in n for n in charted.notes)
    highlights = pl.DataFrame(
        {"id": ["1"], "document": [old], "tag": ["Empathy"], "content": ["a"]}
    )
    codebook = pl.DataFrame(
        {"code": ["Empathy"], "theme": ["T"], "overarching_theme": ["O"], "origin": ["inductive"],
         "definition": [""]}
    )  # fmt: skip
    raw = codes.taguette_segments(highlights, "h.csv", hierarchy_separator="\\")
    segments = codes.resolve_segments(raw, None, renamed, codebook, ["S-0000000001"])
    assert segments.select("study_id", "status").rows() == [("S-0000000001", "ok")]
    (note,) = codes.retired_id_notes(raw, None, renamed)
    assert note.startswith("1 coded segment(s) of h.csv (first at row 2)")
    assert f"study ID {old} names no study now" in note and note.endswith("read as S-0000000001")
    documents = pl.DataFrame({"document": ["interview.txt"], "record_id": [old]})
    by_name = raw.with_columns(pl.lit("interview.txt").alias("document"))
    (note,) = codes.retired_id_notes(by_name, documents, renamed)
    assert note.startswith(f"the documents sheet: study ID {old}")
