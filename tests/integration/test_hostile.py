"""Hostile content through the whole workflow: markup in titles, abstracts, notes, charting
values, code and theme names and the config is shown as text in the report (also in a real
browser, which would run it otherwise); formula-like cells are neutralised in every
spreadsheet the run writes; nothing is written outside results/ (and Snakemake's .snakemake/),
even with inputs read from outside the review directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from helpers import skip_unless_required
from scoping_review import storage

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


# Each payload marks the page if it ever runs: <body data-pwned="...">.
def pwn(where: str) -> str:
    return f"document.body.setAttribute('data-pwned','{where}')"


TITLE = f"<script>{pwn('title')}</script>Alliance ruptures in online therapy: a pilot study"
ABSTRACT = f'</script><img src=x onerror="{pwn("abstract")}"> An abstract.'
NOTE = f'<b onmouseover="{pwn("note")}">note</b>'
COUNTRY = f'<img src=x onerror="{pwn("chart")}">Chile'
DEFINITION = f'<iframe src="javascript:{pwn("codebook")}"></iframe>'
CODE = f"Empathy<script>{pwn('code')}</script>"
THEME = f"<svg/onload={pwn('theme')}>Relational repair"
QUESTION = f'<img src=x onerror="{pwn("config")}">Does markup stay text?'
FORMULAS = {
    "r2": '=HYPERLINK("http://evil.invalid","x") Repairing alliance ruptures with metacommunication',
    "r3": "@SUM(1+1) Tendon rupture repair outcomes in athletes",
    "r4": "+1-1 Ruptures and repair in group therapy sessions",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def q(value: str) -> str:
    """``value`` as one quoted CSV field."""
    return '"' + value.replace('"', '""') + '"'


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, tuple[int, int]]]:
    root = tmp_path_factory.mktemp("hostile")
    review, elsewhere = root / "review", root / "elsewhere"
    shutil.copytree(REPO / "tests/data/tiny_review", review)
    inputs = review / "inputs"
    ris = inputs / "scopus.ris"
    _replace(ris, "TI  - Alliance ruptures in online therapy: a pilot study",
             f"TI  - {TITLE}\nAB  - {ABSTRACT}")  # fmt: skip
    _replace(
        ris, "TI  - Repairing alliance ruptures with metacommunication", f"TI  - {FORMULAS['r2']}"
    )
    _replace(ris, "TI  - Tendon rupture repair outcomes in athletes", f"TI  - {FORMULAS['r3']}")
    _replace(ris, "TI  - Ruptures and repair in group therapy sessions", f"TI  - {FORMULAS['r4']}")
    _replace(inputs / "title_abstract.csv", "scopus:r1,include,,AB,2025-01-10,",
             f"scopus:r1,include,,AB,2025-01-10,{q(NOTE)}")  # fmt: skip
    _replace(inputs / "charting.csv", "scopus:r1,Rivera & Okafor (2021),Chile",
             f"scopus:r1,Rivera & Okafor (2021),{q(COUNTRY)}")  # fmt: skip
    _replace(inputs / "charting.csv", "Case report", "-2+3 case report")
    for sheet in ("codebook.csv", "highlights.csv"):
        _replace(inputs / sheet, "Empathy,", f"{q(CODE)},")
    _replace(inputs / "codebook.csv", "Relational repair", q(THEME))
    _replace(inputs / "codebook.csv", "The therapist shows empathy.", q(DEFINITION))
    # an input read from outside the review directory (allowed: inputs are only read)
    elsewhere.mkdir()
    shutil.move(inputs / "extra.bib", elsewhere / "extra.bib")
    config_path = review / "config/config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["searches"][1]["files"] = [str(elsewhere / "extra.bib")]
    config["review"]["question"] = QUESTION
    config["checklist"] = {"1": f"<script>{pwn('checklist')}</script>"}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    before = snapshot(root)
    result = subprocess.run(
        [sys.executable, "-m", "scoping_review.cli", "run", "--directory", str(review), "--cores", "2"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return review, before


def snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    out: dict[Path, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st = path.lstat()
            # files by content stamp; directories by existence (their mtime changes when
            # results/ is created inside the review directory, which is allowed)
            out[path] = (st.st_mtime_ns, st.st_size) if path.is_file() else (0, 0)
    return out


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_text.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text[-1] += data


def test_markup_in_the_data_is_text_in_the_report(hostile: tuple[Path, dict]) -> None:
    html = (hostile[0] / "results/07_report/index.html").read_text()
    parser = Elements()
    parser.feed(html)
    handlers = [(t, a) for t, a in parser.tags for k in a if k.lower().startswith("on")]
    assert handlers == []
    assert not [t for t, _ in parser.tags if t in ("iframe", "img", "object", "embed")]
    scripts = [a for t, a in parser.tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "ledger-data"}, {}]
    blob, code = parser.script_text
    assert "data-pwned" in blob and "data-pwned" not in code  # data only in the JSON blob
    # and the hostile text did reach the report, escaped (so this test is not vacuous)
    for shown in ("&lt;img src=x onerror=", "Does markup stay text?", "Chile", "Empathy"):
        assert shown in html
    assert "<\\/script>" in html or "\\u003c/script" in html.lower()


def test_markup_never_runs_in_a_browser(
    hostile: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory
) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        skip_unless_required("chromium is not installed", "SCOPING_REVIEW_REQUIRE_BROWSER")
    profile = tmp_path_factory.mktemp("chromium-profile")
    url = (hostile[0] / "results/07_report/index.html").as_uri()
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "<body" in result.stdout, result.stderr[-2000:]
    assert 'data-pwned="' not in result.stdout
    assert "data-pwned" in result.stdout  # the payloads are there, as inert text


def _cells(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        frame = storage.read_sheet(path)
        with zipfile.ZipFile(path) as z:
            assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.endswith(".xml"))
    else:
        frame = storage.read_sheet(path)
    values = [c for col in frame.columns for c in frame[col].to_list() if c is not None]
    return [*frame.columns, *values]


def test_every_spreadsheet_written_is_formula_safe(hostile: tuple[Path, dict]) -> None:
    results = hostile[0] / "results"
    sheets = [p for p in results.rglob("*") if p.suffix in (".csv", ".tsv", ".xlsx")]
    assert len(sheets) > 20
    unsafe = {
        str(p.relative_to(results)): [c for c in _cells(p) if c.startswith(FORMULA_STARTS)]
        for p in sheets
    }
    assert {k: v for k, v in unsafe.items() if v} == {}
    every = [c for p in sheets for c in _cells(p)]
    assert any(c.startswith("'=HYPERLINK(") for c in every)  # the hostile titles are there
    assert any(c.startswith("'@SUM(") for c in every)


def test_nothing_is_written_outside_results(hostile: tuple[Path, dict]) -> None:
    review, before = hostile
    after = snapshot(review.parent)
    changed = [p for p, sig in after.items() if before.get(p) != sig]
    allowed = (review / "results", review / ".snakemake")
    outside = [str(p) for p in changed if not any(p == a or a in p.parents for a in allowed)]
    assert outside == []
    assert (review / "results/07_report/index.html").exists()
