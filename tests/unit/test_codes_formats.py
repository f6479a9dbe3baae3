"""Coded segments and codebooks from Taguette (both codebook variants, `\\` and `.` tags, CRLF),
a generic CSV and prevalence under either threshold metric."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import records
from scoping_review import codes, dedupe, storage

DATA = Path(__file__).resolve().parents[2] / "tests/data/coding"


@pytest.fixture
def clusters() -> pl.DataFrame:
    recs = records(
        [
            {"record_id": "db:1", "title": "The first included study about ruptures", "year": 2016},
            {"record_id": "db:2", "title": "The second included study about repair", "year": 2020},
        ]
    )
    return dedupe.deduplicate(recs)[0]


def included(clusters: pl.DataFrame) -> list[str]:
    return sorted(clusters["study_id"].unique().to_list())


@pytest.mark.parametrize(
    ("highlights", "book", "sep"),
    [
        ("taguette_highlights_backslash.csv", "taguette_codebook_v4.csv", "\\"),
        ("taguette_highlights_dot.csv", "taguette_codebook_v3.csv", "."),
    ],
)
def test_taguette_exports_both_variants(
    clusters: pl.DataFrame, highlights: str, book: str, sep: str
) -> None:
    sheet = storage.read_sheet(DATA / highlights)
    assert codes.detect_format(sheet.columns) == "taguette"
    raw = codes.taguette_segments(sheet, highlights, sep)
    # CRLF line ends are not part of the values; a CRLF inside a quoted cell is kept
    assert raw["code"].to_list()[:4] == ["Empathy", "Empathy", "Empathy", "Empathic attunement"]
    assert raw["text"][0] == 'the therapist said\r\n"I hear you"'
    assert raw["code_path"][3].to_list() == [
        "Ways to repair ruptures",
        "Personal relationship repair",
        "Empathy",
        "Empathic attunement",
    ]
    cb_sheet = storage.read_sheet(DATA / book)
    assert codes.detect_codebook(cb_sheet.columns) == "taguette"
    codebook = codes.taguette_codebook(cb_sheet, book, sep)
    row = {r["code"]: r for r in codebook.iter_rows(named=True)}
    assert row["Empathic attunement"]["parent"] == "Empathy"
    assert row["General steps for rupture resolution"]["origin"] == "deductive"
    assert row["Empathy"]["theme"] == "Personal relationship repair"
    assert row["Empathy"]["n_segments_reported"] == 3
    # only the newer export states the number of documents
    assert row["Empathy"]["n_documents_reported"] == (2 if book.endswith("v4.csv") else None)
    documents = storage.read_sheet(DATA / "documents.csv")
    segments = codes.resolve_segments(raw, documents, clusters, codebook, included(clusters))
    assert segments["status"].to_list() == [
        "ok", "ok", "ok", "ok", "ok", "unknown_document", "unknown_code"
    ]  # fmt: skip
    prev = codes.prevalence(segments, codebook, codes.Threshold("n_studies", 0))
    n = dict(zip(prev["code"], prev["n_studies"], strict=True))
    assert n == {
        "Empathy": 2,
        "Empathic attunement": 1,
        "General steps for rupture resolution": 1,
        "Rupture analysis": 0,
    }
    with pytest.raises(codes.CodingError) as err:
        codes.check_unknown(segments, "error")
    assert f"{highlights}, row 8: unknown code (code 'Humour')" in str(err.value)
    assert f"{highlights}, row 7: unknown document (document 'Ghost (2021)')" in str(err.value)
    codes.check_unknown(segments, "warn")


def test_generic_csv_maps_documents_record_and_study_ids(clusters: pl.DataFrame) -> None:
    sheet = storage.read_sheet(DATA / "generic.csv")
    assert codes.detect_format(sheet.columns) == "generic"
    raw = codes.generic_segments(sheet, "generic.csv")
    assert raw["page"].to_list() == ["12", "3", None, "1"]
    codebook = codes.codebook_table(
        pl.DataFrame(
            {"code": ["Empathy", "Rupture analysis"], "theme": ["T", "T"],
             "overarching_theme": ["O", "O"], "origin": ["", ""], "definition": ["", ""]}
        ),
        "book.csv",
    )  # fmt: skip
    documents = storage.read_sheet(DATA / "documents.csv")
    segments = codes.resolve_segments(raw, documents, clusters, codebook, included(clusters))
    assert segments["status"].to_list() == ["ok", "ok", "ok", "unknown_document"]
    # 'Doc A' through the map, 'db:2' as a record ID
    assert segments["study_id"].null_count() == 1
    assert segments.filter(pl.col("status") == "ok")["study_id"].n_unique() == 2


def test_generic_csv_errors_name_file_and_row() -> None:
    with pytest.raises(codes.CodingError, match=r"g.csv: a generic coding sheet needs columns"):
        codes.generic_segments(pl.DataFrame({"study": ["a"], "code": ["b"]}), "g.csv")
    bad = pl.DataFrame(
        {"study": ["a", "b"], "code": ["x", None], "quote": ["", ""], "page": ["", ""]}
    )
    with pytest.raises(codes.CodingError, match=r"g.csv, row 3: coded segment without"):
        codes.generic_segments(bad, "g.csv")


def test_codebook_table_errors_name_file_and_row() -> None:
    sheet = pl.DataFrame(
        {"code": ["A", "A", "B (deductive)", "C"], "theme": ["T"] * 4,
         "overarching_theme": ["O"] * 4, "origin": ["", "", "", "abductive"],
         "parent": [None, None, "Z", None]}
    )  # fmt: skip
    with pytest.raises(codes.CodingError) as err:
        codes.codebook_table(sheet, "cb.csv")
    msg = str(err.value)
    assert "cb.csv, row 5: origin 'abductive'" in msg
    sheet = sheet.with_columns(pl.lit("").alias("origin"))
    with pytest.raises(codes.CodingError) as err:
        codes.codebook_table(sheet, "cb.csv")
    assert "cb.csv, row 3: code 'A' repeats row 2" in str(err.value)
    assert "cb.csv, row 4: parent 'Z' of code 'B' is not a code" in str(err.value)


def test_threshold_metric_changes_which_codes_survive(clusters: pl.DataFrame) -> None:
    """Empathy: 2 studies, 3 segments; Attunement: 1 study, 3 segments; Steps: 2 studies,
    2 segments. Dropping at or below 2 by studies keeps none of the 2-study codes; by segments
    it keeps the many-segment ones."""
    a, b = included(clusters)
    segments = pl.DataFrame(
        {"segment_id": [str(i) for i in range(8)],
         "study_id": [a, a, b, a, a, a, a, b],
         "document": ["d"] * 8,
         "code": ["Empathy"] * 3 + ["Attunement"] * 3 + ["Steps"] * 2,
         "text": [""] * 8, "source": ["s"] * 8, "row": list(range(2, 10)),
         "status": ["ok"] * 8},
        schema_overrides={"row": pl.Int64},
    )  # fmt: skip
    codebook = pl.DataFrame(
        {"code": ["Empathy", "Attunement", "Steps"], "theme": ["T"] * 3,
         "overarching_theme": ["O"] * 3, "origin": ["inductive"] * 3, "definition": [""] * 3}
    )  # fmt: skip
    by_studies = codes.prevalence(segments, codebook, codes.Threshold("n_studies", 1))
    by_segments = codes.prevalence(segments, codebook, codes.Threshold("n_segments", 2))
    kept_s = by_studies.filter(pl.col("kept"))["code"].sort().to_list()
    kept_g = by_segments.filter(pl.col("kept"))["code"].sort().to_list()
    assert kept_s == ["Empathy", "Steps"]
    assert kept_g == ["Attunement", "Empathy"]
    reason = by_segments.filter(pl.col("code") == "Steps")["drop_reason"].item()
    assert reason == "n_segments = 2 is at or below the threshold 2"
    counts = {
        c.count_id: c
        for c in codes.code_counts(segments, by_segments, codes.Threshold("n_segments", 2))
    }
    assert counts["prevalence.threshold"].unit == "n_segments"
    assert counts["prevalence.threshold"].value == 2
    assert counts["codes_dropped"].ids == ("Steps",)
    with pytest.raises(codes.CodingError, match="must be one of"):
        codes.Threshold("n_documents", 1)


@given(st.lists(st.text(alphabet="ab .\\", min_size=1, max_size=12), min_size=1, max_size=4))
def test_split_tag_never_returns_empty_parts(parts: list[str]) -> None:
    for sep in ("\\", "."):
        tag = sep.join(parts)
        split = codes.split_tag(tag, sep)
        assert all(p and p == p.strip() for p in split)
        assert sep not in "".join(split)
