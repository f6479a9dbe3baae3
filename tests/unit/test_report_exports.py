"""Flow templates, figure exports and click-through marks, checklist exports, source counts."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoping_review import ledger
from scoping_review.report import ReportOutputs, build_report
from scoping_review.report.counts import Ledger
from scoping_review.report.explain import counts_lines, explain_lines, lookup_frame
from scoping_review.report.guard import check_html
from scoping_review.sources import source_counts
from support.report_sample import sample_inputs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")


@pytest.fixture(scope="module")
def new() -> ReportOutputs:
    return build_report(sample_inputs(TEMPLATES, PRISMA))


@pytest.fixture(scope="module")
def updated() -> ReportOutputs:
    return build_report(sample_inputs(TEMPLATES, PRISMA, previous=7))


def texts(spec: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value.replace("\u00a0", " "))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return " | ".join(found)


# -- PRISMA templates --------------------------------------------------------------------------


def test_new_review_template_without_previous_studies(new: ReportOutputs) -> None:
    assert new.flow_template == "flow_boxes.yaml"
    assert 'class="flow"' in new.html and "flow updated" not in new.html
    assert "previous version" not in texts(json.loads(new.flow_vegalite))
    assert 'id="flow-previous"' not in new.html


def test_the_summary_of_an_update_says_it_is_one_and_what_the_round_added(
    new: ReportOutputs, updated: ReportOutputs
) -> None:
    summary = updated.html.split('id="summary"', 1)[1].split("</section>", 1)[0]
    living = summary.split('class="living-update"', 1)[1].split("</p>", 1)[0]
    for cid in ("changes.previous_version", "update.database_results", "changes.new_studies"):
        assert f'data-count-id="{cid}"' in living
    assert 'href="#changes"' in living and "every search round so far" in living
    assert re.search(r'data-count-id="update\.new_studies"[^>]*>\d+</span> are included', living)
    assert 'class="living-update"' not in new.html  # a first version is no update


def test_updated_review_template_draws_the_previous_studies_arm(updated: ReportOutputs) -> None:
    assert updated.flow_template == "flow_boxes_updated.yaml"
    drawn = texts(json.loads(updated.flow_vegalite))
    assert "Studies included in previous | version of review (n = 7)" in drawn  # wrapped
    assert "Total studies included in review (n = 17)" in drawn
    assert "Reports of total included studies (n = 17)" in drawn
    assert "New studies included in review (n = 10)" in drawn
    html = updated.html
    assert 'class="flow updated"' in html
    prev = html.split('id="flow-previous"', 1)[1].split("</div>", 1)[0]
    assert 'data-count-id="previous_studies"' in prev
    total = html.split('id="flow-total"', 1)[1].split("</div>", 1)[0]
    assert 'data-count-id="total_studies"' in total
    assert html.count('class="cell arm arm-elbow"') == 1
    assert html.count('class="cell arm arm-line"') == 4  # rows between the two boxes
    assert "updated review template" in html
    assert updated.flow_pdf.startswith(b"%PDF")


def test_flow_svg_lines_link_to_their_counts(new: ReportOutputs) -> None:
    assert 'xlink:href="index.html#count=records_screened"' in new.flow_svg
    assert "vega.github.io" not in new.flow_svg
    inline = new.html.split('<details class="static-figure">', 1)[1].split("</details>", 1)[0]
    assert 'data-count-ref="records_excluded.E1"' in inline


def test_pdf_export_is_deterministic(updated: ReportOutputs) -> None:
    """vl-convert orders embedded fonts at random with two weights; the PDF uses one."""
    from scoping_review.report.figures import to_pdf

    spec = json.loads(updated.flow_vegalite)
    assert len({to_pdf(spec) for _ in range(6)}) == 1


# -- figures -----------------------------------------------------------------------------------


def test_every_figure_is_exported_in_three_formats(new: ReportOutputs) -> None:
    expected = {
        "records_per_source",
        "source_overlap",
        "characteristics",
        "code_frequency",
        "code_studies",
        "themes",
    }
    assert set(new.figure_exports) == expected == set(new.figures)
    for name, fig in new.figure_exports.items():
        assert fig.png.startswith(b"\x89PNG"), name
        assert json.loads(fig.vegalite)["$schema"].startswith("https://vega.github.io/schema/")
        assert new.figures[name].startswith("<svg")
        assert "vega.github.io/vega-datasets" not in new.figures[name]
        assert f'id="figure-{name.replace("_", "-")}"' in new.html
        assert f'href="figures/{name}.png"' in new.html


def test_figure_numbers_are_ledger_counts_checked_by_the_guard(new: ReportOutputs) -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    values = Ledger(inp.ledger).values()
    fig = new.html.split('id="figure-records-per-source"', 1)[1].split("</figure>", 1)[0]
    label = re.search(
        r'<a href="#count=database_results.embase" class="mark-link" '
        r'data-count-id="database_results.embase"><text[^>]*>(\d+)</text></a>',
        fig,
    )
    assert label is not None and int(label.group(1)) == values["database_results.embase"] == 20
    assert 'data-count-ref="database_results.embase"' in fig  # the bar itself
    assert 'data-literal="figure axis"' in fig  # scale ticks are not counts
    # a figure label that disagrees with the ledger fails the build-time check
    tampered = new.html.replace(label.group(0), label.group(0).replace(">20<", ">21<"))
    with pytest.raises(ValueError, match=re.escape("database_results.embase")):
        check_html(tampered, values)
    # so does a bare number in a figure outside axes, legends and titles
    with pytest.raises(ValueError, match="number outside a ledger count"):
        check_html(fig.replace("</svg>", "<text>99</text></svg>", 1), values)


def test_overlap_figure_reads_source_counts(new: ReportOutputs) -> None:
    fig = new.html.split('id="figure-source-overlap"', 1)[1].split("</figure>", 1)[0]
    for cid in (
        "sources.studies.medline",
        "sources.overlap.medline.psycinfo",
        "sources.overlap.embase.medline",
    ):
        assert f'data-count-id="{cid}"' in fig
    table = new.html.split('id="methods-sources"', 1)[1].split("</table>", 1)[0]
    for cid in ("sources.only.embase", "sources.included.psycinfo", "database_results.medline"):
        assert f'data-count-id="{cid}"' in table
    # one row per search: its "only" is the studies no other search found (a database searched
    # in two rounds finds them twice), so the headers say search, not source
    header = table.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert ">Search</th>" in header and ">Only this search</th>" in header
    assert "source" not in header.lower()


def test_a_database_searched_twice_gets_its_table_and_the_overlap_is_per_database(
    new: ReportOutputs,
) -> None:
    """PsycInfo's search relabelled a second MEDLINE search (a round-2 re-run): the sources
    section adds a table per database, and the overlap figure is drawn per database."""
    inp = sample_inputs(TEMPLATES, PRISMA)
    searches = [dict(s) for s in inp.config["searches"]]
    searches[2]["database"] = "MEDLINE"
    records = pl.DataFrame(
        {
            "record_id": [f"r{i:03d}" for i in range(60)],
            "source_id": ["medline"] * 25 + ["embase"] * 20 + ["psycinfo"] * 15,
            "database": ["MEDLINE"] * 25 + ["Embase"] * 20 + ["MEDLINE"] * 15,
        }
    )
    clusters = pl.DataFrame(
        {
            "record_id": records["record_id"],
            "study_id": [f"S{i:03d}" for i in range(45)] + [f"S{i:03d}" for i in range(15)],
        }
    )
    status = pl.DataFrame({"study_id": [f"S{i:03d}" for i in range(45)], "final": ["x"] * 45})
    extra = [
        c
        for c in source_counts(records, clusters, status)
        if c.count_id.startswith("sources.database.")
    ]
    assert extra
    frame = pl.concat([inp.ledger, ledger.to_frame(extra, {"records": "ab" * 32})])
    out = build_report(replace(inp, ledger=frame, config=dict(inp.config, searches=searches)))
    section = out.html.split('id="methods-sources"', 1)[1].split("<h3", 1)[0]
    assert "Yield of each database, all its searches together" in section
    table = section.split("Yield of each database, all", 1)[1].split("</table>", 1)[0]
    for cid in ("sources.database.only.medline", "sources.database.records.embase"):
        assert f'data-count-id="{cid}"' in table
    assert table.count("<tr>") == 3  # the header, MEDLINE (both searches) and Embase
    fig = out.html.split('id="figure-source-overlap"', 1)[1].split("</figure>", 1)[0]
    assert 'data-count-id="sources.database.overlap.embase.medline"' in fig
    assert 'data-count-id="sources.overlap.' not in fig
    assert "Overlap between databases" in fig
    # one search per database (the sample as it is): no such table, the overlap per search
    assert "Yield of each database, all" not in new.html


def test_matrix_hook_draws_an_evidence_map() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    cells = pl.DataFrame(
        {
            "row": ["Organisational barriers", "Attitudes"],
            "column": ["Canada", "Canada"],
            "count_id": ["theme.organisational_barriers.n_studies", "theme.attitudes.n_studies"],
            "row_title": ["Theme", "Theme"],
            "column_title": ["Country", "Country"],
        }
    )
    out = build_report(replace(inp, matrices={"evidence_map": cells}))
    assert "evidence_map" in out.figure_exports
    fig = out.html.split('id="figure-evidence-map"', 1)[1].split("</figure>", 1)[0]
    assert 'data-count-id="theme.attitudes.n_studies"' in fig
    bad = cells.with_columns(pl.lit("no.such.count").alias("count_id"))
    with pytest.raises(LookupError, match=re.escape("no.such.count")):
        build_report(replace(inp, matrices={"evidence_map": bad}))


# -- checklist exports -------------------------------------------------------------------------


def test_checklist_markdown_links_resolve_to_report_sections(new: ReportOutputs) -> None:
    rows = [line for line in new.checklist_markdown.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(r.split("|")[1]) for r in rows] == list(range(1, 23))
    anchors = set(re.findall(r'\sid="([^"]+)"', new.html))
    links = re.findall(r"\]\(index\.html#([^)]+)\)", new.checklist_markdown)
    assert links and set(links) <= anchors
    assert "MISSING: not reported" in rows[11] and "(optional)" in rows[11]
    assert "filled from the data" in rows[13] and "43 records screened" in rows[13]


def test_checklist_csv_is_complete_and_formula_safe() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    checklist = dict(inp.config["checklist"], **{"20": '=HYPERLINK("http://x","y")'})
    out = build_report(replace(inp, config=dict(inp.config, checklist=checklist)))
    rows = list(csv.DictReader(io.StringIO(out.checklist_csv)))
    assert [r["item"] for r in rows] == [str(i) for i in range(1, 23)]
    assert {r["item"] for r in rows if r["optional"] == "yes"} == {"12", "16"}
    assert rows[19]["content"].startswith("'=HYPERLINK")
    assert rows[15]["status"] == "missing"
    for number in (7, 8, 9, 11, 14, 15, 17, 18):
        assert rows[number - 1]["status"].startswith("data"), number
    assert "MEDLINE via Ovid, searched 2024-03-01" in rows[6]["content"]


def test_checklist_item_7_names_no_platform_where_none_is_given() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    searches = [dict(s) for s in inp.config["searches"]]
    searches[0].pop("platform")
    out = build_report(replace(inp, config=dict(inp.config, searches=searches)))
    item7 = list(csv.DictReader(io.StringIO(out.checklist_csv)))[6]["content"]
    assert f"{searches[0]['database']}, searched {searches[0]['date']}" in item7
    assert "via —" not in item7 and "via" in item7  # the others keep theirs


@pytest.mark.parametrize(
    ("title", "named"),
    [
        ("Ruptures and repairs: a scoping review", True),
        ("Ruptures and repairs: A Scoping  Literature Review", True),
        ("Ruptures and repairs in psychotherapy", False),
    ],
)
def test_checklist_items_1_and_4_are_filled_from_the_review_block(title: str, named: bool) -> None:
    """A new review (no `checklist:` block) showed items 1 and 4 as not reported although its
    title said "scoping review" and `review.question` was set: they come from the config."""
    inp = sample_inputs(TEMPLATES, PRISMA)
    review = {"title": title, "question": "Why do ruptures occur?", "objectives": ""}
    config = dict(inp.config, review=review, checklist={})
    rows = list(
        csv.DictReader(io.StringIO(build_report(replace(inp, config=config)).checklist_csv))
    )
    item1, item4 = rows[0], rows[3]
    assert item1["status"] == item4["status"] == "data"
    assert " ".join(title.split()) in " ".join(item1["content"].split())
    assert ("does not name the report a scoping review" in item1["content"]) is not named
    assert item4["content"] == "Question: Why do ruptures occur?"  # no empty objectives line
    config = dict(config, review={"title": title})  # no question, no objectives: not reported
    rows = list(
        csv.DictReader(io.StringIO(build_report(replace(inp, config=config)).checklist_csv))
    )
    assert rows[3]["status"] == "missing"


# -- provenance --------------------------------------------------------------------------------


def test_run_time_is_shown_only_when_stamped() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    assert "not stamped" in build_report(inp).html
    stamped = dict(
        inp.provenance, run_time="2024-05-01T10:00:00Z", run_time_source="SOURCE_DATE_EPOCH"
    )
    html = build_report(replace(inp, provenance=stamped)).html
    assert '<span data-literal="run time">2024-05-01T10:00:00Z</span>' in html


# -- source counts -----------------------------------------------------------------------------


def test_source_counts() -> None:
    records = pl.DataFrame(
        {"record_id": ["a1", "a2", "b1", "b2", "c1"], "source_id": ["a", "a", "b", "b", "c"]}
    )
    clusters = pl.DataFrame(
        {"record_id": ["a1", "a2", "b1", "b2", "c1"], "study_id": ["S1", "S2", "S1", "S3", "S1"]}
    )
    status = pl.DataFrame(
        {"study_id": ["S1", "S2", "S3"], "final": ["included", "excluded_full_text", "included"]}
    )
    got = {c.count_id: c.ids for c in source_counts(records, clusters, status)}
    assert got["sources.studies.a"] == ("S1", "S2")
    assert got["sources.only.a"] == ("S2",)
    assert got["sources.only.c"] == ()
    assert got["sources.overlap.a.b"] == ("S1",)
    assert got["sources.overlap.b.c"] == ("S1",)
    assert got["sources.included.b"] == ("S1", "S3")
    assert "sources.overlap.b.a" not in got
    assert not any(cid.startswith("sources.database.") for cid in got)  # no "database" column
    # one search per database, however its records spell it: no counts per database
    spelled = records.with_columns(database=pl.Series(["A", "a", "B", "B", "C"]))
    got = {c.count_id for c in source_counts(spelled, clusters, status)}
    assert not any(cid.startswith("sources.database.") for cid in got)


def test_a_database_searched_in_two_rounds_gets_counts_of_its_own() -> None:
    """PubMed searched in rounds 1 and 2 finds S1 twice: per search nothing is "only" round
    1's, per database PubMed alone found S1 and S2 (Scopus found S3 and S2)."""
    records = pl.DataFrame(
        {
            "record_id": ["p1", "p2", "r1", "s1", "s2"],
            "source_id": ["pubmed", "pubmed", "pubmed-r2", "scopus", "scopus"],
            "database": ["PubMed", "PubMed", "Pubmed", "Scopus", "Scopus"],
        }
    )
    clusters = pl.DataFrame(
        {"record_id": ["p1", "p2", "r1", "s1", "s2"], "study_id": ["S1", "S2", "S1", "S3", "S2"]}
    )
    status = pl.DataFrame(
        {"study_id": ["S1", "S2", "S3"], "final": ["included", "included", "excluded_full_text"]}
    )
    counts = {c.count_id: c for c in source_counts(records, clusters, status)}
    got = {cid: c.ids for cid, c in counts.items()}
    assert got["sources.only.pubmed"] == ()  # the re-run found S1 too; S2 Scopus did
    assert got["sources.database.records.pubmed"] == ("p1", "p2", "r1")
    assert got["sources.database.studies.pubmed"] == ("S1", "S2")
    assert got["sources.database.only.pubmed"] == ("S1",)
    assert got["sources.database.only.scopus"] == ("S3",)
    assert got["sources.database.overlap.pubmed.scopus"] == ("S2",)
    assert got["sources.database.included.pubmed"] == ("S1", "S2")
    assert counts["sources.database.only.pubmed"].label == (
        "Studies found only by PubMed (by no other database)"  # one spelling, in sort order
    )
    assert counts["sources.database.overlap.pubmed.scopus"].label == (
        "Studies found by both PubMed and Scopus"
    )
    assert {c.rule for c in counts.values()} == {"sources"}


# -- command-line text -------------------------------------------------------------------------


def test_explain_and_counts_text() -> None:
    inp = sample_inputs(TEMPLATES, PRISMA)
    row = inp.ledger.filter(pl.col("count_id") == "records_excluded.E2").row(0, named=True)
    lines = explain_lines(row, inp.lookup)
    assert lines[0] == "records_excluded.E2 = 10 studies: Excluded at title/abstract: E2"
    assert any(line.startswith("  input config  sha256 ") for line in lines)
    listed = [line for line in lines if line.startswith("    ")]
    assert len(listed) == 10
    kind = row["id_kind"]
    assert f"  {'studies' if kind == 'study' else kind + 's'} (10):" in lines  # not "studys"
    assert listed[0].split("\t") == ["    S033", "2021", "MEDLINE; Embase", "Study title S033"]
    assert explain_lines(row)[-1] == "    S042"
    table = counts_lines(inp.ledger)
    assert len(table) == inp.ledger.height
    assert counts_lines(inp.ledger, "dbr_excluded.")[0].startswith("dbr_excluded.E2 ")
    # one of a unit is singular ("1 records" was printed), and a very long ID pads no line
    one = inp.ledger.head(1).with_columns(value=pl.lit(1, dtype=pl.Int64), unit=pl.lit("records"))
    assert " 1 record  " in counts_lines(one)[0]
    long_id = one.with_columns(count_id=pl.lit("cooccurrence." + "x" * 100))
    both = pl.concat([long_id, inp.ledger.head(1)])
    short = [line for line in counts_lines(both) if not line.startswith("cooccurrence.")]
    assert short[0].index("  ") <= 48  # the short ID's column is not padded to 113


def test_lookup_frame_joins_records_and_studies() -> None:
    records = pl.DataFrame(
        {"record_id": ["r1"], "title": ["T"], "year": [2020], "database": ["PubMed"]}
    )
    studies = pl.DataFrame(
        {"study_id": ["S1"], "title": ["U"], "year": [None], "databases": [["PubMed", "WoS"]]},
        schema_overrides={"year": pl.Int64},
    )
    frame = lookup_frame(records, studies)
    assert frame.rows() == [
        ("r1", "record", "T", 2020, "PubMed"),
        ("S1", "study", "U", None, "PubMed, WoS"),
    ]


def test_explain_prints_thousandths_as_decimals() -> None:
    kappa = ledger.measure("agreement.title_abstract.kappa", 417, unit="thousandths",
                           label="Cohen's kappa", stage="03_screen", rule="screen")  # fmt: skip
    frame = ledger.to_frame([kappa], {})
    row = frame.row(0, named=True)
    assert explain_lines(row)[0] == (
        "agreement.title_abstract.kappa = 0.417 (417 thousandths): Cohen's kappa"
    )
    assert "0.417 (417 thousandths)" in counts_lines(frame)[0]
    assert Ledger(frame).n("agreement.title_abstract.kappa").endswith(">0.417</span>")


def test_a_count_no_longer_counted_is_a_row_of_the_changed_counts() -> None:
    """A count of the previous version that this one lacks (a charted value no study has
    now) is a row whose value this version reads 'no longer counted', and the guard passes."""
    inputs = sample_inputs(TEMPLATES, PRISMA, previous=7)
    gone = ledger.count_of("changes.previous.chart.country.spain", ["P000"], unit="studies",
                           label="Studies charted: Spain (version 1)", stage="08_changes",
                           rule="changes", id_kind="study_id")  # fmt: skip
    listed = ledger.count_of("changes.counts_changed", ["chart.country.spain"], unit="counts",
                             label="Ledger counts whose value changed", stage="08_changes",
                             rule="changes", id_kind="count_id")  # fmt: skip
    extra = ledger.to_frame([gone, listed], {})
    built = build_report(replace(inputs, ledger=pl.concat([inputs.ledger, extra], how="diagonal")))
    row = re.search(r"<tr><th scope=\"row\">Studies charted: Spain <span[^>]*>chart\.country\.spain"
                    r"</span></th>.*?</tr>", built.html)  # fmt: skip
    assert row is not None and "no longer counted" in row.group(0)
    assert 'data-count-id="changes.previous.chart.country.spain"' in row.group(0)
