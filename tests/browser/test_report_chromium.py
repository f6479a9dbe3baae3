"""The report in a real browser: sections, diagram, figures, checklist, click-through."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from scoping_review.report import build_report
from scoping_review.report.checklist import SECTIONS
from scoping_review.report.counts import Ledger
from scoping_review.report.guard import check_html
from support.report_sample import sample_inputs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")

Runner = Callable[..., CompletedProcess[str]]


class Dom(HTMLParser):
    """Just enough of the dumped DOM: elements by id, classes, and a few attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str]] = {}
        self.stack: list[str] = []
        self.svg_in: dict[str, int] = {}
        self.checklist_rows = 0
        self.flow_boxes = 0
        self.body: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "body":
            self.body = a
        if tag == "tr" and "checklist-item" in a.get("class", "").split():
            self.checklist_rows += 1
        if tag == "div" and "box" in a.get("class", "").split():
            self.flow_boxes += 1
        if tag == "svg":
            for owner in self.stack:
                self.svg_in[owner] = self.svg_in.get(owner, 0) + 1
        if tag not in ("meta", "br", "img", "input", "link", "hr", "path", "rect", "line"):
            self.stack.append(a.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in ("meta", "br", "img", "input", "link", "hr"):
            self.stack.pop()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = build_report(sample_inputs(TEMPLATES, PRISMA, embed_ids_max=20))
    folder = tmp_path_factory.mktemp("report")
    (folder / "index.html").write_text(out.html, encoding="utf-8")
    return folder


def dump(run_chromium: Runner, url: str) -> str:
    result = run_chromium("--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout


def test_dom_has_sections_diagram_figures_checklist(run_chromium: Runner, report_dir: Path) -> None:
    html = dump(run_chromium, (report_dir / "index.html").as_uri())
    dom = Dom()
    dom.feed(html)
    assert dom.body.get("data-ready") == "1", dom.body  # click-through JS ran
    assert "data-missing-counts" not in dom.body
    assert int(dom.body["data-count-spans"]) > 50
    for section in SECTIONS:
        assert section in dom.ids, section
    assert dom.flow_boxes == 9
    assert dom.svg_in.get("prisma", 0) >= 1
    assert dom.svg_in.get("figure-code-frequency", 0) >= 1
    assert dom.svg_in.get("figure-code-studies", 0) >= 1
    assert dom.checklist_rows == 22
    assert "hidden" in dom.ids["count-panel"]
    # the live DOM, after the script ran, still passes the guard
    check_html(html, Ledger(sample_inputs(TEMPLATES, PRISMA).ledger).values())


def test_click_through_panel_lists_ids(run_chromium: Runner, report_dir: Path) -> None:
    url = (report_dir / "index.html").as_uri() + "#count=records_excluded.E1"
    html = dump(run_chromium, url)
    panel = html.split('id="count-panel"', 1)[1].split("</aside>", 1)[0]
    assert 'data-count-open="records_excluded.E1"' in html
    assert "Excluded at title/abstract: E1" in panel
    assert "Copy IDs" in panel
    for sid in ("S018", "S032"):
        assert f">{sid}<" in panel
    assert "Study title S018" in panel
    assert "screen" in panel
    # a count above embed_ids_max points at its CSV listing instead
    url = (report_dir / "index.html").as_uri() + "#count=database_results"
    panel = dump(run_chromium, url).split('id="count-panel"', 1)[1].split("</aside>", 1)[0]
    assert 'href="counts/database_results.csv"' in panel


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_screenshot_is_not_blank(run_chromium: Runner, report_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = run_chromium(
        f"--screenshot={shot}", "--window-size=1280,2400", (report_dir / "index.html").as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    width, height, pixels = png_size_and_pixels(data)
    assert (width, height) == (1280, 2400)
    assert len(data) > 50_000
    assert len(set(pixels)) > 32  # many distinct byte values: text, boxes, colours


# -- real clicks over the DevTools protocol ---------------------------------------------------

HOSTILE = "<script>document.body.dataset.pwned = '1'</script><img src=x onerror=\"document.body.dataset.pwned = '2'\"> Ruptures"

PANEL_IDS = (
    "Array.from(document.querySelectorAll('#count-panel .ids tbody tr'))"
    ".map(tr => tr.children[0].textContent)"
)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ledger]:
    """The sample report with a record title that is an XSS attempt, every ID embedded."""
    import polars as pl

    inputs = sample_inputs(TEMPLATES, PRISMA, embed_ids_max=500)
    lookup = inputs.lookup.with_columns(
        pl.when(pl.col("id") == "S020")
        .then(pl.lit(HOSTILE))
        .otherwise(pl.col("title"))
        .alias("title")
    )
    from dataclasses import replace

    out = build_report(replace(inputs, lookup=lookup))
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "index.html").write_text(out.html, encoding="utf-8")
    return folder / "index.html", Ledger(inputs.ledger)


def test_clicking_a_flow_count_lists_the_ledger_ids(browser: Any, hostile_report: Any) -> None:
    page, ledger = hostile_report
    url = page.as_uri()
    browser.open(url)
    assert browser.evaluate("document.body.dataset.ready") == "1"
    assert browser.evaluate("document.getElementById('count-panel').hidden") is True
    browser.click('#flow-records_excluded [data-count-id="records_excluded"]')
    assert browser.evaluate("document.getElementById('count-panel').hidden") is False
    opened = browser.evaluate("document.getElementById('count-panel').dataset.countOpen")
    assert opened == "records_excluded"
    listed = browser.evaluate(PANEL_IDS)
    assert listed == list(ledger.row("records_excluded").ids)
    assert len(listed) == ledger.value("records_excluded") == 25
    # the copyable ID list holds the same IDs
    assert browser.evaluate("document.querySelector('#count-panel button.copy') !== null")
    # the hostile title is shown as text: no script ran, no element was created from it
    row = browser.evaluate(
        "Array.from(document.querySelectorAll('#count-panel .ids tbody tr'))"
        ".filter(tr => tr.children[0].textContent === 'S020')"
        ".map(tr => tr.children[1].textContent)[0]"
    )
    assert row == HOSTILE
    assert browser.evaluate("document.body.dataset.pwned === undefined") is True
    assert (
        browser.evaluate(
            "document.querySelectorAll('#count-panel script, #count-panel img').length"
        )
        == 0
    )
    # Escape closes the panel
    browser.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape", "code": "Escape"})
    assert browser.evaluate("document.getElementById('count-panel').hidden") is True
    # clicking a bar of a figure opens its count too
    browser.click('#figure-records-per-source [data-count-ref="database_results.embase"]')
    assert browser.evaluate("document.getElementById('count-panel').dataset.countOpen") == (
        "database_results.embase"
    )
    assert browser.evaluate(PANEL_IDS) == list(ledger.row("database_results.embase").ids)
    # hovering a figure mark shows a tooltip whose number is the ledger value
    tip = browser.evaluate(
        "(() => { const e = document.querySelector('#figure-themes [data-count-ref]');"
        " e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 5, clientY: 5}));"
        " const t = document.getElementById('count-tooltip');"
        " return [t.hidden, t.dataset.countTip, t.textContent]; })()"
    )
    assert tip[0] is False
    assert tip[2].endswith(f": {ledger.value(tip[1])} studies")
    # nothing but the report file itself was requested: no network request was attempted
    assert browser.requests() == [url]


def test_the_network_monitor_sees_requests(browser: Any, report_dir: Path) -> None:
    """The no-request assertion above can fail: a page that fetches is caught."""
    url = (report_dir / "index.html").as_uri()
    browser.open(url)
    browser.evaluate("new Image().src = 'http://192.0.2.1/pixel.png'; 1")
    browser.evaluate("new Promise(r => setTimeout(r, 200))")
    assert "http://192.0.2.1/pixel.png" in browser.requests()
