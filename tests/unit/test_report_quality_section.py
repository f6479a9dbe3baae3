"""The report's data-quality section: findings grouped by severity and check, each check's
first findings listed on the page and every one in the check's listing (with its message)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import polars as pl

from scoping_review import ledger as L
from scoping_review import quality, schemas
from scoping_review.report import build_report
from scoping_review.report.counts import Ledger
from scoping_review.report.explain import lookup_frame
from scoping_review.report.listings import count_listings
from scoping_review.report.render import quality_view
from support.report_sample import sample_inputs, sample_ledger

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")


def findings() -> pl.DataFrame:
    """120 warnings of one check, 2 of another, and a check with a warning and a note."""
    rows = [("missing_doi", "warning", f"w{i:03d}") for i in range(120)]
    rows += [("encoding", "warning", "e0"), ("encoding", "warning", "e1")]
    rows += [("mixed", "warning", "m0"), ("mixed", "info", "m1")]
    # in no particular order: the section lists a check's findings in ID order
    rows = rows[60:] + rows[:60]
    return pl.DataFrame(
        {
            "issue_id": [f"{check}:{subject}" for check, _, subject in rows],
            "check": [check for check, _, _ in rows],
            "severity": [severity for _, severity, _ in rows],
            "subject": [subject for _, _, subject in rows],
            "message": [f"Finding {subject} of {check}" for check, _, subject in rows],
            "where": [f"file.ris line {i + 1}" for i in range(len(rows))],
            "ids": [[f"r-{subject}"] for _, _, subject in rows],
        },
        schema=schemas.QUALITY.polars_schema,
    )


def ledger_with(issues: pl.DataFrame) -> pl.DataFrame:
    """The sample ledger with its quality counts replaced by those of ``issues``."""
    rest = sample_ledger().filter(~pl.col("count_id").str.starts_with("quality."))
    part = L.to_frame(quality.quality_counts(issues), {"issues": "0" * 64})
    return L.assemble([rest, part.select(rest.columns)])


def test_view_lists_each_checks_first_findings_in_id_order() -> None:
    issues = findings()
    view = {g["severity"]: g for g in quality_view(issues, Ledger(ledger_with(issues)), shown=50)}
    warning = {c["check"]: c for c in view["warning"]["checks"]}
    assert list(warning) == ["encoding", "missing_doi", "mixed"]
    doi = warning["missing_doi"]
    assert [i["issue_id"] for i in doi["issues"]] == [f"missing_doi:w{i:03d}" for i in range(50)]
    assert doi["more"] is True
    assert doi["count_id"] == "quality.check.missing_doi"
    assert doi["listing"] == "counts/quality.check.missing_doi.csv"
    assert warning["encoding"]["more"] is False and len(warning["encoding"]["issues"]) == 2
    # a check with findings of two severities: its count is not that of either group
    assert warning["mixed"]["count_id"] == "" and warning["mixed"]["listing"] == ""
    assert [c["check"] for c in view["info"]["checks"]] == ["mixed"]
    assert view["error"]["checks"] == []
    assert view["warning"]["open"] is False and view["info"]["open"] is True


def test_report_shows_the_first_findings_and_links_every_one() -> None:
    issues = findings()
    inputs = replace(sample_inputs(TEMPLATES, PRISMA), issues=issues, ledger=ledger_with(issues))
    html = build_report(inputs).html  # the build checks the page with the ledger guard
    section = html.split('id="quality"', 1)[1].split('id="checklist"')[0]
    listed = re.findall(r'<li id="issue-([^"]+)"', section)
    # 50 of missing_doi (the page's limit), both of encoding, mixed once under each severity
    assert len(listed) == 50 + 2 + 2
    assert "missing_doi:w049" in listed and "missing_doi:w050" not in listed
    assert 'data-count-id="quality.check.missing_doi"' in section
    assert 'href="counts/quality.check.missing_doi.csv"' in section
    assert 'data-count-id="quality.check.mixed"' not in section
    assert section.count("Only this check's first findings") == 1


def test_check_listing_says_what_each_finding_is() -> None:
    issues = findings()
    records = pl.DataFrame(
        {"record_id": ["r1"], "title": ["A record"], "year": [2020], "database": ["PubMed"]}
    )
    studies = pl.DataFrame(
        {"study_id": ["S1"], "title": ["A study"], "year": [2020], "databases": [["PubMed"]]}
    )
    lookup = lookup_frame(records, studies, issues)
    listings = dict(count_listings(ledger_with(issues), lookup))
    doi = listings["quality.check.missing_doi"]
    assert doi.height == 120
    first = doi.row(0, named=True)
    assert first["id"] == "missing_doi:w000"
    assert first["kind"] == "finding"
    assert first["title"] == "Finding w000 of missing_doi"
    assert first["source"] == issues.filter(pl.col("issue_id") == first["id"])["where"].item()
    # records and studies are looked up as before
    assert lookup.filter(pl.col("kind") != "finding")["id"].to_list() == ["r1", "S1"]
