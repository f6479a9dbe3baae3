"""build_report end to end on the synthetic review: sections, flow, figures, checklist."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoping_review.report import MissingCountError, ReportOutputs, build_report
from scoping_review.report.checklist import SECTIONS
from scoping_review.report.counts import Ledger
from scoping_review.report.flow import build_flow, flow_spec, note_lines
from scoping_review.report.guard import check_html
from support.report_sample import sample_inputs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")


def inputs(**changes: Any) -> Any:
    return replace(sample_inputs(TEMPLATES, PRISMA), **changes)


def set_count(ledger: pl.DataFrame, count_id: str, n: int) -> pl.DataFrame:
    """The ledger with ``count_id`` re-counted to ``n`` (ids fabricated to match)."""
    ids = [f"X{i:03d}" for i in range(n)]
    return ledger.with_columns(
        pl.when(pl.col("count_id") == count_id)
        .then(pl.lit(n, dtype=pl.Int64))
        .otherwise(pl.col("value"))
        .alias("value"),
        pl.when(pl.col("count_id") == count_id)
        .then(pl.lit(ids, dtype=pl.List(pl.String)))
        .otherwise(pl.col("ids"))
        .alias("ids"),
    )


def ledger_value(out_inputs: Any, count_id: str) -> int:
    return int(Ledger(out_inputs.ledger).value(count_id))


@pytest.fixture(scope="module")
def built() -> ReportOutputs:
    return build_report(sample_inputs(TEMPLATES, PRISMA))


def spec_texts(spec: dict[str, Any]) -> list[str]:
    """Every text string drawn in a Vega-Lite spec (inline data values)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "label") and isinstance(value, str):
                    out.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return out


def test_sections_have_stable_anchors(built: ReportOutputs) -> None:
    for anchor in SECTIONS:
        assert f'<section id="{anchor}"' in built.html
    for sub in ("methods-searches", "methods-criteria", "methods-screening", "charting-table"):
        assert f'id="{sub}"' in built.html


def test_report_passes_its_own_guard(built: ReportOutputs) -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    report = check_html(built.html, Ledger(inp.ledger).values())
    assert report.n_counts > 50


def test_build_is_deterministic(built: ReportOutputs) -> None:
    again = build_report(sample_inputs(TEMPLATES, PRISMA))
    assert again.html == built.html
    assert again.flow_svg == built.flow_svg
    assert again.flow_png == built.flow_png
    assert again.flow_vegalite == built.flow_vegalite
    assert again.figures == built.figures
    assert again.flow_pdf == built.flow_pdf
    assert again.checklist_csv == built.checklist_csv
    assert {n: f.png for n, f in again.figure_exports.items()} == {
        n: f.png for n, f in built.figure_exports.items()
    }


def test_no_timestamps_and_no_external_resources(built: ReportOutputs) -> None:
    html = built.html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html)
    assert "@import" not in html
    assert "<link" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"\d{2}:\d{2}:\d{2}", html)


def test_flow_spec_has_per_database_and_per_reason_numbers(built: ReportOutputs) -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    texts = " | ".join(spec_texts(json.loads(built.flow_vegalite))).replace("\u00a0", " ")
    expect = {
        "MEDLINE (Ovid)": "database_results.medline",
        "Embase (Elsevier)": "database_results.embase",
        "APA PsycInfo (EBSCOhost)": "database_results.psycinfo",
        "E1: Not about stroke survivors": "records_excluded.E1",
        "E3: Published before 2000": "dbr_excluded.E3",
        "No institutional access": "dbr_notretrieved_reports.no_access",
        "Duplicate records removed": "duplicates",
        "Records screened": "records_screened",
        "Reports assessed for eligibility": "dbr_assessed",
        "Studies included in review": "new_studies",  # new-review template: no "new"
        "Reports of included studies": "new_reports",
    }
    for label, cid in expect.items():
        assert f"{label} (n = {ledger_value(inp, cid)})" in texts
    assert "New studies" not in texts and "new included" not in texts
    assert "E2: Not primary research (n = 10)" in texts  # title/abstract
    assert "E2: Not primary research (n = 2)" in texts  # full text
    for phase in ("Identification", "Screening", "Included"):
        assert phase in texts
    assert "awaiting" not in texts  # pending lines hidden when zero
    assert built.flow_svg.startswith("<svg")
    assert built.flow_png.startswith(b"\x89PNG\r\n\x1a\n")


def test_flow_numbers_follow_the_ledger() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    changed = set_count(inp.ledger, "database_results.embase", 77)
    ledger = Ledger(changed)
    vocab = __import__("yaml").safe_load((ROOT / "resources/prisma/flow_boxes.yaml").read_text())
    texts = " ".join(spec_texts(flow_spec(build_flow(vocab, ledger, inp.config), ledger)))
    assert "Embase (Elsevier) (n\u00a0=\u00a077)" in texts


def test_pending_lines_appear_when_positive() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    ledger = Ledger(set_count(inp.ledger, "records_pending", 3))
    vocab = __import__("yaml").safe_load((ROOT / "resources/prisma/flow_boxes.yaml").read_text())
    flow = build_flow(vocab, ledger, inp.config)
    assert "records_pending" in flow.count_ids()
    assert "dbr_pending" not in flow.count_ids()


def test_html_flow_diagram_uses_count_spans(built: ReportOutputs) -> None:
    flow = built.html.split('<div class="flow"', 1)[1].split('<details class="static-figure">')[0]
    for cid in (
        "database_results",
        "database_results.medline",
        "duplicates",
        "excluded_automatic",
        "excluded_other",
        "records_screened",
        "records_excluded",
        "records_excluded.E1",
        "dbr_sought_reports",
        "dbr_notretrieved_reports",
        "dbr_assessed",
        "dbr_excluded.E3",
        "new_studies",
        "new_reports",
    ):
        assert f'data-count-id="{cid}"' in flow
    assert 'data-literal="figure drawn from ledger counts"' in built.html


def test_figures_read_values_from_the_ledger() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    base = build_report(inp).figures
    assert set(base) >= {"code_frequency", "code_studies"}
    assert all(svg.startswith("<svg") for svg in base.values())
    # changing the prevalence table's numbers changes nothing ...
    prev = inp.prevalence.with_columns(
        pl.lit(999).alias("n_segments"), pl.lit(999).alias("n_studies")
    )
    assert build_report(replace(inp, prevalence=prev)).figures == base
    # ... changing the ledger count changes the figure
    ledger = set_count(inp.ledger, "code.time_pressure.n_segments", 23)
    changed = build_report(replace(inp, ledger=ledger)).figures
    assert changed["code_frequency"] != base["code_frequency"]
    assert ">23</text>" in changed["code_frequency"]
    assert changed["code_studies"] == base["code_studies"]


def test_inline_figures_do_not_share_element_ids(built: ReportOutputs) -> None:
    ids = re.findall(r'\sid="([^"]+)"', built.html)
    assert len(ids) == len(set(ids))


def test_characteristics_table_counts_and_percentages(built: ReportOutputs) -> None:
    html = built.html.split('id="characteristics"', 1)[1].split('id="charting-table"')[0]
    assert 'data-count-id="chart.country.canada"' in html
    assert (
        'data-count-id="chart.country.canada" data-denominator-id="new_studies" '
        'tabindex="0" role="button">40%</span>'
    ) in html
    assert "United Kingdom" in html and "Mixed methods" in html
    assert "Population" not in html  # count: false fields are not tabulated


def test_per_study_table_lists_each_study(built: ReportOutputs) -> None:
    html = built.html.split('id="charting-table"', 1)[1].split('id="synthesis"')[0]
    assert html.count('data-literal="study label"') == 10
    assert '<span data-literal="study label">Author0 2010</span>' in html
    assert "adults after stroke" in html


def test_themes_table_shows_dropped_codes(built: ReportOutputs) -> None:
    html = built.html.split('id="synthesis"', 1)[1].split('id="quality"')[0]
    assert 'data-count-id="code.time_pressure.n_studies"' in html
    assert 'data-count-id="theme.organisational_barriers.n_studies"' in html
    assert re.search(r"<del>.*Stigma.*</del>", html)
    assert "found in fewer than" in html
    assert html.index("Barriers") < html.index("Facilitators")


def test_quality_grouped_by_severity(built: ReportOutputs) -> None:
    html = built.html.split('id="quality"', 1)[1].split('id="checklist"')[0]
    assert (
        html.index("severity-error") < html.index("severity-warning") < html.index("severity-info")
    )
    assert 'data-count-id="quality.warning"' in html
    assert "Record r012 has no DOI" in html and "medline.ris line 120" in html


def test_checklist_has_22_items_with_12_and_16_optional(built: ReportOutputs) -> None:
    rows = re.findall(r'<tr class="checklist-item[^"]*" id="checklist-item-(\d+)"', built.html)
    assert rows == [str(i) for i in range(1, 23)]
    for number in range(1, 23):
        row = built.html.split(f'id="checklist-item-{number}"', 1)[1].split("</tr>", 1)[0]
        assert ('<span class="optional">optional</span>' in row) == (number in (12, 16))
        assert '<a href="#' in row
    item14 = built.html.split('id="checklist-item-14"', 1)[1].split("</tr>", 1)[0]
    for cid in ("records_screened", "dbr_assessed", "new_studies"):
        assert f'data-count-id="{cid}"' in item14
    assert 'href="#prisma"' in item14
    item7 = built.html.split('id="checklist-item-7"', 1)[1].split("</tr>", 1)[0]
    assert "MEDLINE" in item7 and "2024-03-04" in item7
    for missing in (12, 16, 20):
        row = built.html.split(f'id="checklist-item-{missing}"', 1)[1].split("</tr>", 1)[0]
        assert "not reported" in row
    item5 = built.html.split('id="checklist-item-5"', 1)[1].split("</tr>", 1)[0]
    assert '<span data-literal="author text">Protocol registered' in item5


def test_checklist_resource_is_paraphrased_and_complete() -> None:
    import yaml

    items = yaml.safe_load((ROOT / "resources/prisma/checklist.yaml").read_text())["items"]
    assert [i["number"] for i in items] == list(range(1, 23))
    assert {i["number"] for i in items if i["optional"]} == {12, 16}
    anchors = set(re.findall(r'<section id="([^"]+)"', build_report(inputs()).html))
    anchors |= {"methods-searches", "methods-criteria", "methods-screening", "charting-table"}
    for item in items:
        assert set(item["reported_in"]) <= anchors


def test_screening_text_follows_config() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    single = dict(inp.config, screening={"reviewers_per_stage": 1})
    html = build_report(replace(inp, config=single)).html
    assert "Single-reviewer screening" in html
    assert "Dual screening" in build_report(inp).html
    # per-stage reviewers (screening.stages.<stage>.reviewers) win over reviewers_per_stage
    mixed = dict(inp.config, screening={"reviewers_per_stage": 1,
                                         "stages": {"full_text": {"reviewers": 2}}})  # fmt: skip
    item9 = build_report(replace(inp, config=mixed)).html.split('id="checklist-item-9"', 1)[1]
    item9 = item9.split("</tr>", 1)[0]
    assert "Title and abstract: single-reviewer screening (one reviewer)" in item9
    assert "Full text: dual screening, independently by two reviewers" in item9
    only_stages = dict(inp.config, screening={"stages": {"title_abstract": {"reviewers": 1},
                                                         "full_text": {"reviewers": 1}}})  # fmt: skip
    assert "Single-reviewer screening" in build_report(replace(inp, config=only_stages)).html
    assert 'href="#screening"' in item9  # item 9 points at the screening section too


def test_ledger_blob_embeds_small_counts_and_links_large_ones() -> None:
    out = build_report(
        replace(inputs(), config=dict(inputs().config, report={"embed_ids_max": 12}))
    )
    blob = out.html.split('<script type="application/json" id="ledger-data">', 1)[1]
    blob = blob.split("</script>", 1)[0]
    assert "</" not in blob
    data = json.loads(blob)
    assert data["counts"]["new_studies"]["ids"] == [f"S{i:03d}" for i in range(10)]
    assert data["counts"]["database_results"]["ids"] is None
    assert data["counts"]["database_results"]["csv"] == "counts/database_results.csv"
    assert data["lookup"]["S001"]["title"] == "Study title S001"
    inputs_of = data["input_sets"][data["counts"]["new_studies"]["inputs"]]
    assert inputs_of[0][0] == "config"
    assert len(data["input_sets"]) < len(data["counts"])  # each rule's inputs stored once


def test_script_closing_text_in_data_is_escaped() -> None:
    inp = inputs()
    lookup = inp.lookup.with_columns(
        pl.when(pl.col("id") == "S001")
        .then(pl.lit("</script><script>alert(1)</script>"))
        .otherwise(pl.col("title"))
        .alias("title")
    )
    html = build_report(replace(inp, lookup=lookup)).html
    assert "alert(1)</script>" not in html
    assert "\\u003c/script\\u003e" in html


def test_missing_count_fails_the_build_naming_it() -> None:
    inp = inputs()
    ledger = inp.ledger.filter(pl.col("count_id") != "dbr_assessed")
    with pytest.raises(MissingCountError, match="'dbr_assessed'"):
        build_report(replace(inp, ledger=ledger))
    ledger = inp.ledger.filter(pl.col("count_id") != "code.peer_support.n_segments")
    with pytest.raises(MissingCountError, match=re.escape("code.peer_support.n_segments")):
        build_report(replace(inp, ledger=ledger))


def test_text_with_digits_from_config_is_marked_literal() -> None:
    inp = inputs()
    review = dict(inp.config["review"], question="Which of 3 things?")
    html = build_report(replace(inp, config=dict(inp.config, review=review))).html
    assert '<span data-literal="author text">Which of 3 things?</span>' in html


def test_autoescape_is_on() -> None:
    inp = inputs()
    review = dict(inp.config["review"], title="<script>x</script> review")
    html = build_report(replace(inp, config=dict(inp.config, review=review))).html
    assert "&lt;script&gt;x&lt;/script&gt; review" in html


def test_builds_before_any_coding_or_findings() -> None:
    """A living review early on: no codes, themes, issues, files or lookup rows yet."""
    from scoping_review import schemas

    inp = inputs()
    empty_lookup = inp.lookup.clear()
    out = build_report(
        replace(
            inp,
            prevalence=schemas.PREVALENCE.empty(),
            themes=schemas.THEMES.empty(),
            issues=schemas.QUALITY.empty(),
            files=schemas.FILES.empty(),
            lookup=empty_lookup,
        )
    )
    assert out.figures["code_frequency"].startswith("<svg")
    assert '<section id="synthesis"' in out.html


@pytest.mark.parametrize("debug", [True, False])
def test_specs_do_not_depend_on_altair_debug_mode_which_the_build_restores(
    built: ReportOutputs, debug: bool
) -> None:
    from altair.utils import schemapi

    with schemapi.debug_mode(debug):
        again = build_report(sample_inputs(TEMPLATES, PRISMA))
        assert schemapi.DEBUG_MODE is debug
    assert again.flow_vegalite == built.flow_vegalite
    assert {n: f.vegalite for n, f in again.figure_exports.items()} == {
        n: f.vegalite for n, f in built.figure_exports.items()
    }
    assert again.html == built.html


def test_pairs_awaiting_a_dedupe_decision_are_said_in_the_summary(built: ReportOutputs) -> None:
    """Versions froze with two copies of one paper included while the pair waited in the
    review queue, and the report never said so."""
    assert 'id="dedupe-queue-note"' not in built.html  # an empty queue: nothing said
    base = sample_inputs(TEMPLATES, PRISMA)
    row = base.ledger.filter(pl.col("count_id") == "duplicates").head(1)
    queue = row.with_columns(
        count_id=pl.lit("dedupe.review_queue"),
        label=pl.lit("Record pairs awaiting a person's same/different decision"),
        value=pl.lit(2, dtype=pl.Int64),
        ids=pl.lit(["a:1|a:2", "b:1|b:2"], dtype=pl.List(pl.String)),
        id_kind=pl.lit("none"),
    )
    out = build_report(replace(base, ledger=pl.concat([base.ledger, queue])))
    note = out.html.split('id="dedupe-queue-note"', 1)[1].split("</p>", 1)[0]
    assert 'data-count-id="dedupe.review_queue"' in note and ">2<" in note
    assert "review_queue.xlsx" in note


def _with_counts(ledger: pl.DataFrame, counts: dict[str, int]) -> pl.DataFrame:
    template = ledger.row(0, named=True)
    rows = [
        {**template, "count_id": cid, "value": n, "ids": [f"S{i:03d}" for i in range(n)]}
        for cid, n in counts.items()
    ]
    return pl.concat([ledger, pl.DataFrame(rows, schema=ledger.schema)])


@pytest.mark.parametrize("ranked", [0, 12])
def test_prioritised_screening_is_claimed_only_when_something_is_ranked(ranked: int) -> None:
    """A review screened in full (the bundled example: 0 studies ranked) did not prioritise
    its screening: the text says the model is set up and ranks nothing now, and gives no
    stopping-rule p-value for an empty remainder."""
    from scoping_review.report.checklist import prioritisation_text

    counts = {"ranking.trained_on": 40, "ranking.ranked": ranked, "stopping.recall_target": 95}
    counts |= {"stopping.confidence": 95, "stopping.p_value": 0, "stopping.stop": 0}
    ledger = Ledger(_with_counts(sample_inputs(TEMPLATES, PRISMA).ledger, counts))
    said = re.sub(r"<[^>]+>", "", str(prioritisation_text(ledger, {})))
    assert ("screening is prioritised" in said) is (ranked > 0)
    assert ("None awaits it now, so none is ranked" in said) is (ranked == 0)
    assert ("stopping rule" in said) is (ranked > 0)
    # the stopping rule applied: the set-aside studies are automatic exclusions, nothing is
    # ranked, and the text still says the rule set them aside
    applied = counts | {"ranking.ranked": 0, "stopping.stop": 1, "stopping.set_aside": 300}
    ledger = Ledger(_with_counts(sample_inputs(TEMPLATES, PRISMA).ledger, applied))
    said = re.sub(r"<[^>]+>", "", str(prioritisation_text(ledger, {})))
    assert "300 records not screened were marked as ineligible" in said


def test_design_note_stands_where_made_up_numbers_are_read(built: ReportOutputs) -> None:
    """The design note (the bundled example: what is made up) is in the summary, the searches,
    the flow diagram and the checklist sections, and above the exported checklist, which a
    reader may open without the report."""
    note = "Synthetic example data, version"
    sections = re.split(r'<section id="', built.html)
    holding = {s.split('"', 1)[0] for s in sections if note in s}
    assert {"summary", "methods", "prisma", "checklist"} <= holding
    assert built.checklist_markdown.count(note) == 1


def test_the_flow_diagram_images_carry_the_design_note(built: ReportOutputs) -> None:
    """A PNG, SVG or PDF of the flow diagram is shared without the report: the made-up data
    label goes with it, as a caption under the boxes, and its digits are marked literal in the
    report's inlined copy (a figure title, not a count)."""
    note = "Synthetic example data, version"
    caption = " ".join(json.loads(built.flow_vegalite)["title"]["text"])
    assert caption.startswith("Design note. ") and note in caption
    assert note.split(",")[0] in built.flow_svg
    title = r'<g data-literal="figure title" class="mark-group role-title">(?:(?!</svg>).)*?'
    assert re.search(title + r">Design note\. Synthetic", built.html, re.DOTALL)


def test_no_design_note_no_caption() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    ledger = Ledger(inp.ledger)
    vocab = __import__("yaml").safe_load((ROOT / "resources/prisma/flow_boxes.yaml").read_text())
    diagram = build_flow(vocab, ledger, inp.config)
    assert "title" not in flow_spec(diagram, ledger, "")
    assert "title" not in flow_spec(diagram, ledger, " \n ")
    spec = flow_spec(diagram, ledger, "word " * 200)
    lines = spec["title"]["text"]
    assert lines == note_lines("word " * 200, spec["width"])
    assert len(lines) > 3 and lines[0].startswith("Design note. word")
    # wrapped to the diagram's width: ~140 characters of the 10 px caption in 780 px
    assert {len(line) for line in lines[:-1]} <= set(range(130, 141)), lines
