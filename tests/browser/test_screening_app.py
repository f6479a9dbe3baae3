"""The screening app in a real browser against a real server on 127.0.0.1.

1. 20 studies screened with the keyboard, the server SIGKILLed half-way and started again
   (it resumes at the first undecided study), then the workflow run: the 20 decisions are in
   the PRISMA counts.
2. Blind dual screening (two servers, two reviewers, two sheets) and the consensus view.
3. A ``<script>`` title shows as text; a write without the CSRF token is refused.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoping_review.app import sheet

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "scoping-review"
WORDS = ["alliance", "rupture", "repair", "metacommunication", "empathy", "withdrawal",
         "confrontation", "supervision", "trainee", "adolescent", "couples", "depression",
         "anxiety", "dropout", "outcome", "process", "feedback", "attunement",
         "countertransference", "resolution", "marker", "session", "narrative", "interview"]  # fmt: skip


def extra_ris(n: int, titles: dict[int, str] | None = None) -> str:
    out: list[str] = []
    for i in range(n):
        a, b, c = WORDS[i % 24], WORDS[(i * 7 + 3) % 24], WORDS[(i * 5 + 11) % 24]
        title = (titles or {}).get(i, f"Study {i + 1} of {a} and {b} in {c} research")
        out += ["TY  - JOUR", f"TI  - {title}", f"AU  - Author{i}, A.", f"PY  - {2000 + i}",
                f"T2  - Journal of {c.title()}",
                f"AB  - An abstract about {a}, {b} and the therapeutic alliance ({i}).",
                f"AN  - extra{i + 1}", "ER  - ", ""]  # fmt: skip
    return "\n".join(out)


def make_review(workdir: Path, ris: str, screening_extra: str = "") -> Path:
    """tiny_review plus a search of made-up records nobody has screened yet."""
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    (workdir / "inputs/extra.ris").write_text(ris, encoding="utf-8")
    cfg = (workdir / "config/config.yaml").read_text(encoding="utf-8")
    search = '  - id: extra\n    database: PsycINFO\n    date: "2025-01-07"\n    files: [inputs/extra.ris]\n'
    cfg = cfg.replace("criteria:\n", search + "criteria:\n", 1)
    cfg = cfg.replace(
        "screening:\n", "screening:\n  highlight_terms: [alliance]\n" + screening_extra, 1
    )
    (workdir / "config/config.yaml").write_text(cfg, encoding="utf-8")
    return workdir


def run_workflow(workdir: Path) -> None:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def counts(workdir: Path) -> dict[str, int]:
    ledger = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    return dict(zip(ledger["count_id"], ledger["value"], strict=True))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``scoping-review screen`` as a child process (killable with SIGKILL)."""

    def __init__(self, workdir: Path, reviewer: str, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [str(CLI), "screen", "--directory", str(workdir), "--reviewer", reviewer,
               "--port", str(self.port), *extra]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read()!r}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()


def loaded(browser: Any, action: Any) -> None:
    """Do ``action`` (a key press or click that navigates) and wait for the new page."""
    browser.events = [e for e in browser.events if e["method"] != "Page.loadEventFired"]
    action()
    browser.wait_for("Page.loadEventFired")


def current_study(browser: Any) -> str:
    return str(browser.evaluate("document.getElementById('study').dataset.studyId"))


@pytest.fixture(scope="module")
def review20(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = make_review(tmp_path_factory.mktemp("screen20"), extra_ris(20))
    run_workflow(workdir)
    return workdir


def test_keyboard_screening_survives_a_kill_and_reaches_prisma(
    browser: Any, review20: Path
) -> None:
    before = counts(review20)
    assert before["records_pending"] == 20
    sheet_path = review20 / "screening/title_abstract/AB.csv"
    server = Server(review20, "AB")
    decided: dict[str, str] = {}
    try:
        browser.open(server.url + "/")
        assert browser.evaluate("document.getElementById('n-total').textContent") == "20"
        for i in range(10):
            study = current_study(browser)
            if i % 3 == 2:  # exclude: e, then the first reason's key
                browser.press("e")
                assert browser.evaluate("document.getElementById('reasons').hidden") is False
                loaded(browser, lambda: browser.press("1"))
                decided[study] = "exclude"
            else:
                loaded(browser, lambda: browser.press("i"))
                decided[study] = "include"
            assert current_study(browser) != study
        # undo the last decision (the study comes back), decide it again
        last = list(decided)[-1]
        loaded(browser, lambda: browser.press("u"))
        assert current_study(browser) == last
        assert browser.evaluate("document.getElementById('mine').textContent") == "not decided"
        loaded(browser, lambda: browser.press("i"))
        decided[last] = "include"
        assert browser.evaluate("document.getElementById('n-decided').textContent") == "10"
    finally:
        server.kill()  # SIGKILL: no shutdown code runs
    assert len(sheet.latest(sheet.read(sheet_path))) == 10

    server = Server(review20, "AB")
    try:
        browser.open(server.url + "/")
        assert browser.evaluate("document.getElementById('n-decided').textContent") == "10"
        first = current_study(browser)
        assert first not in decided  # resumes at an undecided study
        # previous/next walk the queue; search finds a study by a title word
        loaded(browser, lambda: browser.press("p"))
        assert current_study(browser) != first
        loaded(browser, lambda: browser.press("n"))
        assert current_study(browser) == first
        while len(decided) < 20:
            study = current_study(browser)
            assert study not in decided
            if len(decided) % 3 == 2:
                browser.press("e")
                loaded(browser, lambda: browser.press("2"))
                decided[study] = "exclude"
            else:
                loaded(browser, lambda: browser.press("i"))
                decided[study] = "include"
        assert browser.evaluate("document.getElementById('n-pending').textContent") == "0"
        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        (review20 / "screen.png").write_bytes(__import__("base64").b64decode(shot["data"]))
    finally:
        server.kill()

    own = sheet.latest(sheet.read(sheet_path))  # keyed by each study's representative record
    assert {r["study"]: r["decision"] for r in own.values()} == decided
    run_workflow(review20)
    after = counts(review20)
    n_excluded = sum(1 for d in decided.values() if d == "exclude")
    assert after["records_pending"] == 0
    assert after["records_excluded"] == before["records_excluded"] + n_excluded
    assert (
        after["records_excluded.not_rupture_repair"] + after["records_excluded.group_or_couples"]
        == before["records_excluded"] + n_excluded
    )
    decisions = pl.read_parquet(review20 / "results/03_screen/decisions.parquet")
    app_rows = decisions.filter(pl.col("sheet").str.starts_with("screening/"))
    assert dict(zip(app_rows["study_id"], app_rows["decision"], strict=True)) == decided


MAYBE_PAIR = "\n".join(
    [
        *("TY  - JOUR", "TI  - Alliance rupture markers in brief relational therapy"),
        *("AU  - Eubanks, C.", "PY  - 2020", "AN  - pair1", "ER  - ", ""),
        *("TY  - JOUR", "TI  - Alliance rupture markers in brief relational psychotherapy"),
        *("AU  - Eubanks, C.", "PY  - 2020", "AN  - pair2", "ER  - ", ""),
    ]
)
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> Alliance study'


@pytest.fixture(scope="module")
def dual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = make_review(
        tmp_path_factory.mktemp("dual"),
        extra_ris(4, titles={0: HOSTILE}) + "\n" + MAYBE_PAIR,
        "  stages:\n    title_abstract: {reviewers: 2, names: [AB, CD]}\n",
    )
    # with two reviewers nothing has passed title/abstract yet: no full-text decisions
    (workdir / "inputs/full_text.csv").write_text("record_id,decision,reason,reviewer,date,note\n")
    run_workflow(workdir)
    return workdir


def study_titled(workdir: Path, text: str) -> str:
    studies = pl.read_parquet(workdir / "results/02_dedupe/studies.parquet")
    return str(studies.filter(pl.col("title").str.contains(text, literal=True))["study_id"][0])


def post(url: str, data: dict[str, str]) -> int:
    body = urllib.parse.urlencode(data).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_markup_is_text_and_writes_need_the_csrf_token(browser: Any, dual: Path) -> None:
    hostile = study_titled(dual, "<script>")
    server = Server(dual, "AB")
    try:
        browser.open(f"{server.url}/?study={hostile}")
        assert current_study(browser) == hostile
        assert browser.evaluate("document.getElementById('title').textContent") == HOSTILE
        assert (
            browser.evaluate("document.querySelectorAll('#study script, #study img').length") == 0
        )
        assert browser.evaluate("typeof window.pwned") == "undefined"
        # a write without the CSRF token is refused and nothing reaches the sheet
        status = post(f"{server.url}/decide", {"study_id": hostile, "decision": "include"})
        assert status == 400
        assert post(f"{server.url}/undo", {}) == 400
        assert not (dual / "screening/title_abstract/AB.csv").exists()
    finally:
        server.kill()
    # another host only with a token; with one, every request needs it
    refused = subprocess.run(
        [str(CLI), "screen", "--directory", str(dual), "--reviewer", "AB", "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--token" in refused.stderr
    server = Server(dual, "AB", "--token", "s3cret")
    try:
        try:
            urllib.request.urlopen(server.url + "/", timeout=30)
            raise AssertionError("served without the token")
        except urllib.error.HTTPError as err:
            assert err.code == 403
        browser.open(server.url + "/?token=s3cret")
        assert browser.evaluate("document.getElementById('reviewer').textContent") == "AB"
    finally:
        server.kill()


def test_dual_screening_is_blind_until_both_decided_then_consensus(
    browser: Any, dual: Path
) -> None:
    target = study_titled(dual, "Study 2 of")
    ab, cd = Server(dual, "AB"), Server(dual, "CD")
    try:
        browser.open(f"{ab.url}/?study={target}")
        loaded(browser, lambda: browser.press("i"))
        # CD sees the study undecided, nothing of AB's decision, and no conflict yet
        browser.open(f"{cd.url}/?study={target}")
        assert current_study(browser) == target
        assert browser.evaluate("document.getElementById('mine').textContent") == "not decided"
        assert "include" not in browser.evaluate("document.getElementById('study').innerText")
        browser.open(f"{cd.url}/consensus")
        assert browser.evaluate("document.getElementById('n-conflicts').textContent") == "0"
        browser.open(f"{cd.url}/?study={target}")
        browser.press("e")
        loaded(browser, lambda: browser.press("1"))
        # both decided, differently: the consensus view shows them side by side
        browser.open(f"{ab.url}/consensus")
        assert browser.evaluate("document.getElementById('n-conflicts').textContent") == "1"
        sides = browser.evaluate(
            "[...document.querySelectorAll('.conflict td')].map(e => e.textContent.trim())"
        )
        assert sides == ["include", "exclude (not_rupture_repair)"]
        loaded(
            browser,
            lambda: browser.click(
                f'.conflict[data-study-id="{target}"] button[data-decision="include"]'
            ),
        )
        assert browser.evaluate("document.getElementById('n-conflicts').textContent") == "0"
    finally:
        ab.kill()
        cd.kill()
    assert (dual / "screening/title_abstract/AB.csv").exists()
    assert (dual / "screening/title_abstract/CD.csv").exists()
    consensus = sheet.latest(sheet.read(dual / "screening/title_abstract/consensus.csv"))
    assert {r["study"]: r["decision"] for r in consensus.values()} == {target: "include"}
    run_workflow(dual)
    after = counts(dual)
    assert after["conflicts.title_abstract"] == 1
    assert after["conflicts.title_abstract.unresolved"] == 0
    status = pl.read_parquet(dual / "results/03_screen/status.parquet")
    assert status.filter(pl.col("study_id") == target)["title_abstract"].to_list() == ["include"]


def test_dedupe_maybe_pairs_are_decided_in_the_app(browser: Any, dual: Path) -> None:
    queue = pl.read_parquet(dual / "results/02_dedupe/review_queue.parquet")
    assert queue.height == 1
    pair = queue.row(0, named=True)
    clusters = pl.read_parquet(dual / "results/02_dedupe/clusters.parquet")
    study_b = clusters.filter(pl.col("record_id") == pair["record_id_b"])["study_id"][0]
    server = Server(dual, "AB")
    try:
        # screened before the merge: the decision must follow the record into the merged study
        browser.open(f"{server.url}/?study={study_b}")
        loaded(browser, lambda: browser.press("i"))
        browser.open(server.url + "/dedupe")
        assert browser.evaluate("document.getElementById('pair').dataset.a") == pair["record_id_a"]
        texts = browser.evaluate("document.getElementById('pair').innerText")
        assert "brief relational therapy" in texts and "brief relational psychotherapy" in texts
        loaded(browser, lambda: browser.press("s"))
        assert browser.evaluate("document.getElementById('n-decided').textContent") == "1"
    finally:
        server.kill()
    written = sheet.pair_decisions(sheet.read(dual / "screening/dedupe/AB.csv", sheet.PAIR_COLUMNS))
    assert written == {(pair["record_id_a"], pair["record_id_b"]): "same"}
    run_workflow(dual)
    clusters = pl.read_parquet(dual / "results/02_dedupe/clusters.parquet")
    ids = clusters.filter(pl.col("record_id").is_in([pair["record_id_a"], pair["record_id_b"]]))
    assert ids["study_id"].n_unique() == 1
    merged = ids["study_id"][0]
    decisions = pl.read_parquet(dual / "results/03_screen/decisions.parquet")
    ab = decisions.filter((pl.col("reviewer") == "AB") & (pl.col("study_id") == merged))
    assert ab.filter(pl.col("stage") == "title_abstract")["decision"].to_list() == ["include"]
    assert pl.read_parquet(dual / "results/02_dedupe/review_queue.parquet").height == 0
