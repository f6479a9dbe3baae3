"""Overarching themes, code co-occurrence (by study) and the evidence map."""

from __future__ import annotations

import polars as pl
import pytest

from scoping_review import schemas, themes

PREV = pl.DataFrame(
    {"code": ["Empathy", "Validation", "Steps", "Rare"],
     "theme": ["Relational", "Relational", "Guideline", "Guideline"],
     "overarching_theme": ["Repair"] * 4,
     "origin": ["inductive"] * 4, "definition": [None] * 4,
     "n_studies": [3, 2, 2, 1], "n_segments": [3, 2, 2, 1],
     "study_ids": [["S-1", "S-2", "S-3"], ["S-1", "S-2"], ["S-2", "S-4"], ["S-1"]],
     "kept": [True, True, True, False], "drop_reason": [None, None, None, "n_studies = 1"]},
    schema=schemas.PREVALENCE.polars_schema,
)  # fmt: skip


def segs() -> pl.DataFrame:
    rows = [(s, c) for c, ids in zip(PREV["code"], PREV["study_ids"], strict=True) for s in ids]
    return pl.DataFrame(
        {"study_id": [r[0] for r in rows], "code": [r[1] for r in rows],
         "status": ["ok"] * len(rows)}
    )  # fmt: skip


def test_overarching_counts_distinct_studies_of_kept_codes() -> None:
    over = themes.overarching(PREV).row(0, named=True)
    assert over["themes"] == ["Relational", "Guideline"]
    assert over["codes"] == ["Empathy", "Validation", "Steps"]
    assert over["study_ids"] == ["S-1", "S-2", "S-3", "S-4"] and over["n_studies"] == 4


def test_cooccurrence_by_study_leaves_out_dropped_codes() -> None:
    cooc = themes.cooccurrence(segs(), PREV)
    pairs = {(a, b): n for a, b, n in cooc.select("code_a", "code_b", "n_studies").rows()}
    assert pairs == {
        ("Empathy", "Validation"): 2,
        ("Empathy", "Steps"): 1,
        ("Steps", "Validation"): 1,
    }
    row = cooc.filter(pl.col("code_a") == "Empathy", pl.col("code_b") == "Validation").row(
        0, named=True
    )
    assert row["study_ids"] == ["S-1", "S-2"]
    assert row["count_id"] == "cooccurrence.empathy.validation"


def test_evidence_map_crosses_themes_and_a_charted_field() -> None:
    charting = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-3", "S-4"],
         "background": ["Psychoanalysis", "CBT", "Psychoanalysis", None]}
    )  # fmt: skip
    ev = themes.evidence_map(PREV, charting, ["background"])
    cells = {(t, v): ids for t, v, ids in ev.select("theme", "value", "study_ids").rows()}
    assert cells[("Relational", "Psychoanalysis")] == ["S-1", "S-3"]
    assert cells[("Guideline", "not charted")] == ["S-4"]
    # the dropped code's study S-1 does not put Guideline under Psychoanalysis
    assert ("Guideline", "Psychoanalysis") not in cells
    counts = {
        c.count_id: c.value
        for c in themes.synthesis_counts(
            themes.overarching(PREV), themes.cooccurrence(segs(), PREV), ev
        )
    }
    assert counts["overarching.repair.n_studies"] == 4
    assert counts["cooccurrence.pairs"] == 3
    assert counts["evidence.background.relational.psychoanalysis"] == 2
    with pytest.raises(ValueError, match="not a charting field"):
        themes.evidence_map(PREV, charting, ["country"])


def test_report_states_the_metric_and_threshold_and_draws_the_synthesis() -> None:
    """The report prints the prevalence metric and threshold (a ledger measure), the dropped
    codes, overarching themes, co-occurrence and evidence map, all numbers as ledger spans."""
    from dataclasses import replace
    from pathlib import Path

    from scoping_review import ledger as L
    from scoping_review.report import build_report
    from support.report_sample import sample_inputs

    root = Path(__file__).resolve().parents[2]
    base = sample_inputs(str(root / "workflow/templates"), str(root / "resources/prisma"))
    prev = base.prevalence
    threshold = L.measure(
        "prevalence.threshold", 3, unit="n_segments", label="t", stage="05_codes", rule="codes"
    )
    over = themes.overarching(prev)
    seg_rows = [
        (s, c) for c, ids, kept in prev.select("code", "study_ids", "kept").rows() for s in ids
    ]
    segments = pl.DataFrame(
        {"study_id": [r[0] for r in seg_rows], "code": [r[1] for r in seg_rows],
         "status": ["ok"] * len(seg_rows)}
    )  # fmt: skip
    cooc = themes.cooccurrence(segments, prev)
    charting = base.charting
    evidence = themes.evidence_map(prev, charting, ["country"])
    extra = L.to_frame([threshold, *themes.synthesis_counts(over, cooc, evidence)], {})
    inputs = replace(
        base,
        ledger=pl.concat([base.ledger, extra]).sort("count_id"),
        overarching=over,
        cooccurrence=cooc,
        evidence_map=evidence,
    )
    html = build_report(inputs).html
    rule = html.split('id="prevalence-rule"', 1)[1].split("</p>", 1)[0]
    assert "n_segments" in rule and "number of coded segments" in rule
    assert 'data-count-id="prevalence.threshold"' in rule and ">3</span>" in rule
    assert 'id="overarching-themes"' in html and 'id="cooccurrence"' in html
    assert 'id="figure-cooccurrence"' in html and 'id="figure-evidence-country"' in html
    assert 'data-count-id="evidence.country.' in html
