"""The report's per-study charting table and Table 3 analogue keep the order a reader expects:
studies by label with accents folded (the thesis lists Gülüm before Guzman), codes in the
codebook's order (Table 3's), not by code point."""

from __future__ import annotations

import re

import polars as pl

from scoping_review.report.counts import Ledger
from scoping_review.report.render.sections import charting_table_view, themes_view


def test_charting_rows_sort_by_label_with_accents_folded() -> None:
    charting = pl.DataFrame(
        {
            "study_id": ["S1", "S2", "S3", "S4"],
            "study_label": ["Guzman et al. (2016)", "Gülüm et al. (2018)", None, "Ábel (2020)"],
            "country": ["Italy", "Turkey", "Chile", "Hungary"],
        }
    )
    view = charting_table_view(charting, [{"name": "country"}])
    labels = [row["label"] for row in view["rows"]]
    assert labels == ["Ábel (2020)", "Gülüm et al. (2018)", "Guzman et al. (2016)", "S3"]


def test_codes_keep_the_codebook_order() -> None:
    codes = ["Zeal", "Misunderstanding", "Angst", "Difference"]
    prevalence = pl.DataFrame(
        {
            "code": codes,
            "theme": ["T"] * 4,
            "overarching_theme": ["O"] * 4,
            "kept": [True, True, True, False],
            "drop_reason": [None, None, None, "prevalence 2 <= 2"],
        }
    )
    themes = pl.DataFrame(
        {
            "theme": ["T"],
            "overarching_theme": ["O"],
            "codes": [["Angst", "Misunderstanding", "Zeal"]],
            "codes_dropped": [["Difference"]],
        }
    )
    ledger = Ledger(
        pl.DataFrame(
            schema={
                "count_id": pl.String,
                "value": pl.Int64,
                "unit": pl.String,
                "label": pl.String,
                "stage": pl.String,
                "rule": pl.String,
                "id_kind": pl.String,
                "ids": pl.List(pl.String),
                "inputs": pl.List(pl.Struct({"name": pl.String, "sha256": pl.String})),
            }
        )
    )
    view = themes_view(themes, prevalence, ledger)
    shown = [re.sub(r"<[^>]+>", "", str(c["name"])) for c in view[0]["themes"][0]["codes"]]
    assert shown == ["Zeal", "Misunderstanding", "Angst", "Difference"]


def test_list_fields_read_as_their_values() -> None:
    """A `type: list` field (counted or not) is a list column: its values label the counts
    (the report stopped with "cannot cast List type") and its cell reads "a; b", not "['a', 'b']"."""
    from scoping_review.report.render.sections import _value_labels

    charting = pl.DataFrame(
        {
            "study_id": ["S1", "S2"],
            "study_label": ["A (2020)", "B (2021)"],
            "topics": [["Body image", "diet"], None],
        }
    )
    labels = _value_labels(charting, "topics")
    assert labels["body_image"] == "Body image" and labels["diet"] == "diet"
    cells = [r["cells"][0] for r in charting_table_view(charting, [{"name": "topics"}])["rows"]]
    assert [str(c) for c in cells] == ["Body image; diet", ""]


def test_checklist_item_11_names_each_fields_kind() -> None:
    from scoping_review.report.checklist import FILLERS

    fields = [
        {"name": "topics", "label": "Topics", "type": "list", "count": True},
        {"name": "n", "label": "Sample size", "type": "integer"},
        {"name": "design", "type": "category", "count": True},
        {"name": "notes"},
    ]
    said = re.sub(r"<[^>]+>", " ", str(FILLERS[11](None, {}, fields)))  # type: ignore[arg-type]
    said = " ".join(said.split())
    assert "Topics (a list of values; studies counted per value)" in said
    assert "Sample size (a whole number)" in said
    assert "design (a category; studies counted per value)" in said
    assert "notes (free text)" in said


def test_checklist_item_6_sets_reasons_for_reports_not_retrieved_apart() -> None:
    """A code given only to reports not retrieved ("full text could not be obtained") was
    listed among the eligibility criteria; a code also used to exclude stays a criterion."""
    from scoping_review.report.checklist import FILLERS

    template = {"unit": "studies", "label": "l", "stage": "s", "rule": "r", "id_kind": "study"}
    rows = [
        {**template, "count_id": cid, "value": n, "ids": ["S"] * n, "inputs": []}
        for cid, n in [
            ("dbr_notretrieved_reports.no_full_text", 3),
            ("records_excluded.off_topic", 7),
            ("dbr_notretrieved_reports.paywall", 1),
            ("dbr_excluded.paywall", 1),
        ]
    ]
    inputs_type = pl.List(pl.Struct({"name": pl.String, "sha256": pl.String}))
    ledger = Ledger(pl.DataFrame(rows).with_columns(pl.col("inputs").cast(inputs_type)))
    criteria = [
        {"code": "off_topic", "label": "Off topic", "stages": ["title_abstract"]},
        {"code": "paywall", "label": "Paywalled", "stages": ["full_text"]},
        {
            "code": "no_full_text",
            "label": "Full text could not be obtained",
            "stages": ["full_text"],
        },
    ]
    said = " ".join(
        re.sub(r"<[^>]+>", " ", str(FILLERS[6](ledger, {"criteria": criteria}, []))).split()
    )
    criteria_part, _, retrieval_part = said.partition("Reasons given for reports not retrieved")
    assert "off_topic" in criteria_part and "paywall" in criteria_part
    assert "no_full_text" not in criteria_part and "no_full_text" in retrieval_part
