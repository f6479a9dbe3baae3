"""The report's layout at 1,400 px in headless Chromium: nothing clipped, boxes sized to text.

A small review is run by Snakemake with two searches of one database whose names are long
(the heatmap once cut "Web of Science (Web of Science Core ..."); the page is screenshotted
and every figure label, flow-box line and table checked against its container's box.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoping_review.report import build_report
from support.report_sample import sample_inputs

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
WIDTH = 1400
DATABASE = "Web of Science"
PLATFORM = "Web of Science Core Collection"

# Problems the page shows at the current width, as strings (empty when the layout holds).
CLIPPED = """
(() => {
  const bad = [];
  const tol = 1;
  const inside = (r, c) => r.left >= c.left - tol && r.right <= c.right + tol
    && r.top >= c.top - tol && r.bottom <= c.bottom + tol;
  const shown = r => r.width > 0 && r.height > 0;
  const meets = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  for (const svg of document.querySelectorAll('main svg')) {
    const box = svg.getBoundingClientRect();
    if (!shown(box)) continue;  // in a closed <details>
    // axis titles and legend titles never sit on top of labels
    const labels = Array.from(svg.querySelectorAll('.role-axis-label text, .role-legend-label text'));
    for (const t of svg.querySelectorAll('.role-axis-title text, .role-legend-title text'))
      for (const l of labels)
        if (meets(t.getBoundingClientRect(), l.getBoundingClientRect()))
          bad.push('title on a label: ' + t.textContent + ' / ' + l.textContent);
    const wrap = svg.closest('.svg-wrap');
    if (wrap && wrap.scrollWidth > wrap.clientWidth + tol) bad.push('figure scrolls: ' + svg.id);
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (!shown(r)) continue;
      if (!inside(r, box)) bad.push('label outside its figure: ' + t.textContent);
      if (t.textContent.endsWith('\\u2026')) bad.push('label cut: ' + t.textContent);
    }
  }
  for (const b of document.querySelectorAll('.flow .box')) {
    const r = b.getBoundingClientRect();
    if (b.scrollHeight > b.clientHeight + tol || b.scrollWidth > b.clientWidth + tol)
      bad.push('flow box overflows: ' + b.id);
    for (const e of b.querySelectorAll('li, p'))
      if (!inside(e.getBoundingClientRect(), r)) bad.push('text outside box ' + b.id);
    const text = Array.from(b.children).reduce((h, c) => h + c.getBoundingClientRect().height, 0);
    if (r.height > text + 24) bad.push(`box ${b.id} ${Math.round(r.height)} px for ${Math.round(text)} px of text`);
  }
  for (const cell of document.querySelectorAll('main th, main td, .keyfigures > div')) {
    if (!shown(cell.getBoundingClientRect())) continue;
    if (cell.scrollWidth > cell.clientWidth + tol && getComputedStyle(cell).overflowX === 'hidden')
      bad.push('cell cut: ' + cell.textContent.trim().slice(0, 40));
  }
  return bad;
})()
"""


def screenshot(browser: Any, path: Path) -> bytes:
    """The whole page at WIDTH px as PNG (also written to ``path`` for a look by eye)."""
    height = browser.evaluate("document.documentElement.scrollHeight")
    shot = browser.call(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        },
    )
    data = base64.b64decode(shot["data"])
    path.write_bytes(data)
    return data


def open_at_width(browser: Any, url: str) -> None:
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.open(url)
    assert browser.evaluate("document.body.dataset.ready") == "1"


@pytest.fixture(scope="module")
def long_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny review with both its searches from one database with a long platform name."""
    workdir = tmp_path_factory.mktemp("layout")
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    path = workdir / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    for i, search in enumerate(config["searches"]):
        search.update(database=DATABASE, platform=PLATFORM, round=i + 1)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-6000:]
    return workdir / "results/07_report/index.html"


def test_nothing_clipped_at_1400_px(browser: Any, long_names: Path) -> None:
    open_at_width(browser, long_names.as_uri())
    png = screenshot(browser, long_names.parent / "screenshot-1400.png")
    assert png[:4] == b"\x89PNG" and len(png) > 10_000
    assert browser.evaluate(CLIPPED) == []
    labels = browser.evaluate(
        "Array.from(document.querySelectorAll('#figure-source-overlap svg text'))"
        ".map(t => t.textContent)"
    )
    full = f"{DATABASE} ({PLATFORM}), round 1, 2025-01-05"
    assert full in labels, labels  # the whole label, not "Web of Science (Web of Science Core ..."
    assert f"{DATABASE} ({PLATFORM}), round 2, 2025-01-06" in labels
    # the count panel still opens from a bar of the figure
    browser.click('#figure-records-per-source [data-count-ref="database_results.scopus"]')
    opened = browser.evaluate("document.getElementById('count-panel').dataset.countOpen")
    assert opened == "database_results.scopus"
    # its inputs come from the blob's shared input sets: names with their SHA-256
    hashes = browser.evaluate(
        "Array.from(document.querySelectorAll('#count-panel .hash')).map(h => h.textContent)"
    )
    assert hashes and all(len(h) == 64 for h in hashes), hashes


def test_flow_boxes_sized_to_text(browser: Any, tmp_path: Path) -> None:
    """The updated-review diagram (previous-studies column) and long reason lists beside short
    boxes: each box as tall as its text, nothing outside it."""
    inputs = sample_inputs(
        str(REPO / "workflow/templates"), str(REPO / "resources/prisma"), previous=4
    )
    out = build_report(replace(inputs, config={**inputs.config}))
    page = tmp_path / "index.html"
    page.write_text(out.html, encoding="utf-8")
    open_at_width(browser, page.as_uri())
    screenshot(browser, tmp_path / "screenshot-1400.png")
    assert browser.evaluate(CLIPPED) == []
    heights = browser.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('.flow .box'))"
        ".map(b => [b.id, b.getBoundingClientRect().height]))"
    )
    assert len(heights) >= 8
    # a one-line box beside a long list of reasons stays short
    assert min(heights.values()) < 80 < max(heights.values())
