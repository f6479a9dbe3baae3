"""Starting a review: ``scoping-review init``, real exports, and stages that switch on as their
inputs arrive (searches only, then screening; no charting or coding inputs)."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from helpers import skip_unless_required
from scoping_review import cli

pytestmark = pytest.mark.integration
SHARED = Path(__file__).resolve().parents[3] / "shared"


def require_shared(*parts: str) -> Path:
    """A fixture file under ../shared (skips with the reason when the clone lacks it)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        skip_unless_required(
            f"shared fixture {path} is not present (clone lacks ../shared)",
            "SCOPING_REVIEW_REQUIRE_SHARED",
        )
    return path


PUBMED = ("exports", "synthesisr", "PubMed_example.txt")  # 3 PubMed MEDLINE records
SCOPUS = ("exports", "synthesisr", "Scopus_ris_example.ris")  # 3 Scopus RIS records
ROUND1 = ("exports", "asreview-datatools", "dataset_1.ris")  # 6 records
ROUND2 = ("exports", "asreview-datatools", "dataset_2.ris")  # 8 records, 3 shared with round 1


def run(workdir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scoping_review.cli", "run", "--directory", str(workdir)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


def ledger(workdir: Path) -> dict[str, dict[str, Any]]:
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    return {row["count_id"]: row for row in frame.iter_rows(named=True)}


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def section(page: str, anchor: str) -> str:
    return page.split(f'<section id="{anchor}"', 1)[1].split("</section>", 1)[0]


def figure_values(workdir: Path, name: str) -> list[dict[str, Any]]:
    spec = json.loads((workdir / f"results/07_report/figures/{name}.vl.json").read_text())
    datasets = spec.get("datasets") or {}
    if datasets:
        return [row for rows in datasets.values() for row in rows]
    return list(spec["data"]["values"])


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pubmed, scopus = require_shared("fixtures", *PUBMED), require_shared("fixtures", *SCOPUS)
    workdir = tmp_path_factory.mktemp("review") / "my-review"
    assert cli.main(["init", str(workdir), "--title", "Alliance ruptures: a scoping review"]) == 0
    shutil.copy(pubmed, workdir / "searches/pubmed.txt")
    shutil.copy(scopus, workdir / "searches/scopus.ris")
    path = workdir / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    config["searches"] = [
        {**config["searches"][0], "date": "2025-03-01", "files": ["searches/pubmed.txt"]},
        {"id": "scopus", "database": "Scopus", "date": "2025-03-02",
         "files": ["searches/scopus.ris"]},
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    first = run(workdir)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-4000:]
    # the user is told where the report is
    assert f"report: {workdir / 'results/07_report/index.html'}" in first.stdout.splitlines()
    searches_only = {
        "page": (workdir / "results/07_report/index.html").read_text(),
        "ledger": ledger(workdir),
        "issues": pl.read_parquet(workdir / "results/quality/issues.parquet"),
    }
    # screening starts: two PubMed records included at both stages, one Scopus record excluded
    records = pl.read_parquet(workdir / "results/01_import/records.parquet")
    pubmed_ids = records.filter(pl.col("source_id") == "pubmed")["record_id"].sort().to_list()
    scopus_ids = records.filter(pl.col("source_id") == "scopus")["record_id"].sort().to_list()
    (workdir / "sheets/title_abstract.csv").write_text(
        "record_id,decision,reason\n"
        f"{pubmed_ids[0]},include,\n{pubmed_ids[1]},include,\n{scopus_ids[0]},exclude,wrong_concept\n"
    )
    (workdir / "sheets/full_text.csv").write_text(
        f"record_id,decision,reason\n{pubmed_ids[0]},include,\n{pubmed_ids[1]},include,\n"
    )
    config["screening"] = {
        "sheets": [
            {"path": "sheets/title_abstract.csv", "stage": "title_abstract"},
            {"path": "sheets/full_text.csv", "stage": "full_text"},
        ]
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    second = run(workdir)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-4000:]
    return {
        "workdir": workdir,
        "searches_only": searches_only,
        "page": (workdir / "results/07_report/index.html").read_text(),
        "ledger": ledger(workdir),
        "issues": pl.read_parquet(workdir / "results/quality/issues.parquet"),
    }


def test_init_writes_a_review_folder_and_refuses_a_non_empty_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "review"
    assert cli.main(["init", str(target), "--title", "Rupture & repair"]) == 0
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        ".gitignore", "README.md", "config/config.yaml", "searches/.gitkeep", "sheets/.gitkeep",
    ]  # fmt: skip
    config = yaml.safe_load((target / "config/config.yaml").read_text())
    assert config["review"]["title"] == "Rupture & repair"
    assert set(config) == {"review", "searches", "criteria"}  # nothing else needed to start
    # the schema is satisfied; the one problem left is the export the user has yet to drop in,
    # named with its search and path (issue 17: a listed file that does not exist is an error)
    capsys.readouterr()
    assert cli.main(["check-config", str(target / "config/config.yaml")]) == 1
    problems = capsys.readouterr()
    said = problems.out + problems.err
    assert "search 'pubmed' lists searches/pubmed.nbib, which does not exist" in said
    assert said.count("does not exist") == 1
    (target / "searches/pubmed.nbib").write_text("PMID- 1\nTI  - A title\n", encoding="utf-8")
    assert cli.main(["check-config", str(target / "config/config.yaml")]) == 0
    # the command as this process was started (here `python -m scoping_review.cli`)
    assert "scoping_review.cli run --directory ." in (target / "README.md").read_text()
    before = (target / "config/config.yaml").read_bytes()
    capsys.readouterr()
    assert cli.main(["init", str(target)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (target / "config/config.yaml").read_bytes() == before
    (tmp_path / "file.txt").write_text("x")
    assert cli.main(["init", str(tmp_path / "file.txt")]) == 2


def test_searches_only_is_a_complete_report(started: dict[str, Any]) -> None:
    first = started["searches_only"]
    counts = first["ledger"]
    assert counts["database_results"]["value"] == 6
    assert counts["new_studies"]["value"] == 0
    assert not any(c.startswith(("chart.", "codes_", "theme.")) for c in counts)
    page = first["page"]
    assert "Screening not started" in text_of(section(page, "screening"))
    assert "Charting not started" in text_of(section(page, "characteristics"))
    assert "Coding not started" in text_of(section(page, "synthesis"))
    summary = text_of(section(page, "summary"))
    assert "codes in" not in summary and "codebook codes" not in summary
    checks = set(first["issues"]["check"].to_list())
    assert not checks & {"included_not_coded", "charting_missing"}


def test_screening_without_charting_or_coding(started: dict[str, Any]) -> None:
    counts = started["ledger"]
    assert counts["new_studies"]["value"] == 2
    assert counts["records_excluded"]["value"] == 1
    page = started["page"]
    assert "Screening not started" not in page
    assert "Charting not started" in text_of(section(page, "characteristics"))
    assert "Coding not started" in text_of(section(page, "synthesis"))
    summary = text_of(section(page, "summary"))
    assert "codes in" not in summary  # no zero-code card
    issues = started["issues"]
    assert issues.filter(
        pl.col("check").is_in(["included_not_coded", "charting_missing"])
    ).is_empty()
    assert "included but not coded" not in page and "has no coded segment" not in page
    checklist = section(page, "checklist")
    for item in ("15", "17", "18"):
        row = checklist.split(f'id="checklist-item-{item}"', 1)[1].split("</tr>", 1)[0]
        assert "not started" in text_of(row), item


def test_two_searches_of_one_database_stay_distinct(tmp_path: Path) -> None:
    one, two = require_shared("fixtures", *ROUND1), require_shared("fixtures", *ROUND2)
    workdir = tmp_path / "review"
    assert cli.main(["init", str(workdir)]) == 0
    shutil.copy(one, workdir / "searches/scopus_2024-01.ris")
    shutil.copy(two, workdir / "searches/scopus_2024-06.ris")
    path = workdir / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    config["searches"] = [
        {"id": "scopus_r1", "database": "Scopus", "date": "2024-01-10", "round": 1,
         "files": ["searches/scopus_2024-01.ris"]},
        {"id": "scopus_r2", "database": "Scopus", "date": "2024-06-10", "round": 2,
         "files": ["searches/scopus_2024-06.ris"]},
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = run(workdir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    counts = ledger(workdir)
    r1, r2 = counts["database_results.scopus_r1"], counts["database_results.scopus_r2"]
    assert (r1["value"], r2["value"]) == (6, 8)
    assert r1["label"] != r2["label"]
    assert counts["search_databases"]["value"] == 1  # one database, searched twice
    labels = {
        "scopus_r1": "Scopus, round 1, 2024-01-10",
        "scopus_r2": "Scopus, round 2, 2024-06-10",
    }
    page = (workdir / "results/07_report/index.html").read_text()

    # yield table: one row per search, each with its own ledger count
    table = page.split('<table class="sources">', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) == 2
    for row, sid in zip(rows, ("scopus_r1", "scopus_r2"), strict=True):
        assert labels[sid] in text_of(row)
        cells = re.findall(r'data-count-id="([^"]+)"[^>]*>([^<]+)<', row)
        assert (f"database_results.{sid}", str(counts[f"database_results.{sid}"]["value"])) in cells
        assert (f"sources.studies.{sid}", str(counts[f"sources.studies.{sid}"]["value"])) in cells

    # records-per-source figure: two bars, two labels, the two ledger values
    bars = figure_values(workdir, "records_per_source")
    assert sorted((b["label"], b["count_id"], b["value"]) for b in bars) == [
        (labels["scopus_r1"], "database_results.scopus_r1", 6),
        (labels["scopus_r2"], "database_results.scopus_r2", 8),
    ]

    # overlap heatmap: two rows (and columns); diagonal = each search's studies
    cells = figure_values(workdir, "source_overlap")
    assert sorted({c["row"] for c in cells}) == sorted(labels.values())
    diagonal = {c["row"]: c["value"] for c in cells if c["row"] == c["column"]}
    assert diagonal == {
        labels[sid]: counts[f"sources.studies.{sid}"]["value"] for sid in ("scopus_r1", "scopus_r2")
    }
    both = {c["value"] for c in cells if c["row"] != c["column"]}
    assert both == {counts["sources.overlap.scopus_r1.scopus_r2"]["value"]}
    assert counts["sources.overlap.scopus_r1.scopus_r2"]["value"] == 3

    # the flow diagram's identification lines name each search
    prisma = text_of(section(page, "prisma"))
    assert labels["scopus_r1"] in prisma and labels["scopus_r2"] in prisma
