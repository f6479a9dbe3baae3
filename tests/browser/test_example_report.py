"""The bundled example's report in headless Chromium: a real click on a flow-diagram count."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoping_review.report.counts import Ledger
from scoping_review.report.guard import check_html

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
PANEL_IDS = (
    "Array.from(document.querySelectorAll('#count-panel .ids tbody tr'))"
    ".map(tr => tr.children[0].textContent)"
)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example review run from scratch by Snakemake in a temporary directory."""
    workdir = tmp_path_factory.mktemp("example-report")
    shutil.copytree(REPO / "config", workdir / "config")
    shutil.copytree(REPO / "resources/example", workdir / "resources/example")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-6000:]
    return workdir


def test_example_flow_click_lists_the_ledger_studies(browser: Any, example: Path) -> None:
    report = example / "results/07_report/index.html"
    ledger = Ledger(pl.read_parquet(example / "results/ledger/counts.parquet"))
    html = report.read_text(encoding="utf-8")
    assert check_html(html, ledger.values(), ledger.units()).n_counts > 100
    url = report.as_uri()
    browser.open(url)
    assert browser.evaluate("document.body.dataset.ready") == "1"
    browser.click('#flow-included [data-count-id="new_studies"]')
    assert browser.evaluate("document.getElementById('count-panel').dataset.countOpen") == (
        "new_studies"
    )
    listed = browser.evaluate(PANEL_IDS)
    assert listed == list(ledger.row("new_studies").ids)
    assert len(listed) == 36
    titles = browser.evaluate(
        "Array.from(document.querySelectorAll('#count-panel .ids tbody tr'))"
        ".map(tr => tr.children[1].textContent)"
    )
    assert all(titles), "every included study shows its title"
    assert browser.requests() == [url]


def test_example_exports(example: Path) -> None:
    out = example / "results/07_report"
    assert (out / "prisma_flow.pdf").read_bytes().startswith(b"%PDF")
    for name in ("records_per_source", "source_overlap", "characteristics_study_design", "themes"):
        assert (out / "figures" / f"{name}.svg").read_text().startswith("<svg")
        assert (out / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert (out / "figures" / f"{name}.vl.json").read_text().lstrip().startswith("{")
    md = (out / "prisma_scr_checklist.md").read_text()
    items = [line.split(" | ")[0] for line in md.splitlines() if line[:3].strip("| ").isdigit()]
    assert items == [f"| {i}" for i in range(1, 23)]
