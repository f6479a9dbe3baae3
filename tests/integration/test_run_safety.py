"""A run never goes wrong quietly (issue 17), with real Snakemake runs of the tiny review:

1. inputs are what the config says, also after a successful run (missing, renamed, unlisted
   export files and sheets; the same file under two searches; a future search date);
2. one lock for the whole run: run during update, update during run, ``kill -9`` of the CLI;
3. one block per error on stderr, no traceback (sheet, charting, config key, YAML);
4. an interim report says what is done and what is pending;
5. carry-over by round membership when decisions are dated after the update search.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "scoping_review.cli", *args]


def run_cli(workdir: Path, command: str = "run") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(command, "--directory", str(workdir), "--cores", "2"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def config(workdir: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((workdir / "config/config.yaml").read_text())


def write_config(workdir: Path, cfg: dict) -> None:  # type: ignore[type-arg]
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


# dedupe's state is a cache, not an output: a rerun that reuses it writes equal frames whose
# Arrow bytes depend on how they were assembled (tests/unit/test_dedupe_incremental.py compares
# the frames)
DEDUPE_STATE = Path("results/02_dedupe/state")


def outputs(workdir: Path) -> list[Path]:
    files = sorted(p.relative_to(workdir) for p in (workdir / "results").rglob("*") if p.is_file())
    return [p for p in files if "logs" not in p.parts and not p.is_relative_to(DEDUPE_STATE)]


def ledger(workdir: Path) -> dict[str, int]:
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    return dict(zip(frame["count_id"], frame["value"], strict=True))


def one_block(stderr: str) -> None:
    """The user-facing error: no traceback, no Snakemake chatter, a few plain lines."""
    assert "Traceback" not in stderr
    assert 'File "' not in stderr
    assert "snakemake" not in stderr.lower() or "details:" in stderr
    assert len(stderr.strip().splitlines()) <= 8, stderr


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny review after one successful run (results and Snakemake's metadata)."""
    workdir = tmp_path_factory.mktemp("base")
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    ok(run_cli(workdir))
    return workdir


def clone(base: Path, tmp_path: Path) -> Path:
    """A copy of the review that has run before (mtimes kept: nothing is out of date)."""
    workdir = tmp_path / "review"
    shutil.copytree(base, workdir, symlinks=True)
    return workdir


def fresh(tmp_path: Path) -> Path:
    workdir = tmp_path / "fresh"
    shutil.copytree(REPO / "tests/data/tiny_review", workdir)
    return workdir


# -- 1. inputs are what the config says ------------------------------------------------------


def test_missing_export_after_a_successful_run_fails_naming_search_and_path(
    base: Path, tmp_path: Path
) -> None:
    workdir = clone(base, tmp_path)
    cfg = config(workdir)
    cfg["searches"][1]["files"] = ["inputs/extra_typo.bib"]
    write_config(workdir, cfg)
    before = (workdir / "results/01_import/files.parquet").read_bytes()
    result = run_cli(workdir)
    assert result.returncode == 1
    line = "searches/1/files/0: search 'bib' lists inputs/extra_typo.bib, which does not exist"
    assert line in result.stderr
    one_block(result.stderr)
    assert (workdir / "results/01_import/files.parquet").read_bytes() == before
    # check-config says the same, and so does plain snakemake (the Snakefile checks too)
    check = subprocess.run(
        cli("check-config", str(workdir / "config/config.yaml")),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 1 and line in check.stderr
    plain = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--cores", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert plain.returncode != 0 and line in plain.stdout + plain.stderr


def test_missing_sheet_after_a_successful_run_fails_naming_sheet_and_path(
    base: Path, tmp_path: Path
) -> None:
    workdir = clone(base, tmp_path)
    cfg = config(workdir)
    cfg["screening"]["sheets"][1]["path"] = "inputs/ft_moved.csv"
    write_config(workdir, cfg)
    result = run_cli(workdir, "update")
    assert result.returncode == 1
    assert (
        "screening/sheets/1/path: full_text screening sheet lists inputs/ft_moved.csv, "
        "which does not exist" in result.stderr
    )
    one_block(result.stderr)


def test_renamed_sheet_reruns_screening_from_the_new_file(base: Path, tmp_path: Path) -> None:
    workdir = clone(base, tmp_path)
    (workdir / "inputs/full_text.csv").rename(workdir / "inputs/ft_renamed.csv")
    cfg = config(workdir)
    cfg["screening"]["sheets"][1]["path"] = "inputs/ft_renamed.csv"
    write_config(workdir, cfg)
    ok(run_cli(workdir))
    sheets = set(pl.read_parquet(workdir / "results/03_screen/decisions.parquet")["sheet"])
    assert sheets == {"inputs/title_abstract.csv", "inputs/ft_renamed.csv"}


def test_a_sheet_changed_while_its_job_ran_is_read_by_the_next_run(
    base: Path, tmp_path: Path
) -> None:
    """The screening app saved a decision after the screen job had read the sheet and before
    it wrote its outputs: the sheet was older than the outputs and no later run read it. The
    change is made here with the sheet's time set back before the outputs' (the race's
    outcome); the next run reads it."""
    workdir = clone(base, tmp_path)
    sheet = workdir / "inputs/title_abstract.csv"
    outputs_time = (workdir / "results/03_screen/status.parquet").stat().st_mtime_ns
    text = sheet.read_text()
    sheet.write_text(text.replace("2025-01-10,tendon", "2025-01-10,tendon (saved mid-run)"))
    early = outputs_time - 60 * 10**9
    os.utime(sheet, ns=(early, early))
    ok(run_cli(workdir))
    notes = pl.read_parquet(workdir / "results/03_screen/decisions.parquet")["note"].to_list()
    assert "tendon (saved mid-run)" in notes


def test_a_part_deleted_from_the_linked_records_table_is_rebuilt(
    base: Path, tmp_path: Path
) -> None:
    """A file deleted inside results/01_import/records.parquet (a directory of per-search
    parts): Snakemake saw the directory, dedupe read fewer records, and screening failed with
    "unknown study or record ID" for each lost record, blaming the sheets."""
    workdir = clone(base, tmp_path)
    parts = sorted((workdir / "results/01_import/records.parquet").glob("*.parquet"))
    parts[0].unlink()
    result = ok(run_cli(workdir))
    assert "lacked the records of search(es) bib" in result.stderr
    assert ledger(workdir) == ledger(base)


def test_renamed_added_and_unlisted_exports_follow_the_config(base: Path, tmp_path: Path) -> None:
    workdir = clone(base, tmp_path)
    (workdir / "inputs/extra.bib").rename(workdir / "inputs/renamed.bib")
    more = "TY  - JOUR\nTI  - A record only in the added file\nPY  - 2022\nAN  - m1\nER  - \n"
    (workdir / "inputs/more.ris").write_text(more)
    cfg = config(workdir)
    cfg["searches"][1]["files"] = ["inputs/renamed.bib"]
    cfg["searches"][0]["files"] = ["inputs/scopus.ris", "inputs/more.ris"]
    # the same file under a second search, dated in the future: two data-quality warnings
    cfg["searches"].append(
        {"id": "again", "database": "Scopus", "date": "2999-01-01", "files": ["inputs/more.ris"]}
    )
    write_config(workdir, cfg)
    ok(run_cli(workdir))
    files = pl.read_parquet(workdir / "results/01_import/files.parquet")
    assert sorted(files["path"]) == [
        "inputs/more.ris", "inputs/more.ris", "inputs/renamed.bib", "inputs/scopus.ris"
    ]  # fmt: skip
    issues = pl.read_parquet(workdir / "results/quality/issues.parquet")
    checks = dict(zip(issues["check"], issues["message"], strict=False))
    assert "searches again, scopus" in checks["same_file_in_two_searches"]
    assert "'again' is dated 2999-01-01" in checks["search_date_future"]
    html = (workdir / "results/07_report/index.html").read_text()
    assert "the same export file is listed under searches" in html
    # unlisted again: the file no longer contributes records, files or warnings
    cfg["searches"] = cfg["searches"][:2]
    cfg["searches"][0]["files"] = ["inputs/scopus.ris"]
    write_config(workdir, cfg)
    ok(run_cli(workdir))
    files = pl.read_parquet(workdir / "results/01_import/files.parquet")
    assert sorted(files["path"]) == ["inputs/renamed.bib", "inputs/scopus.ris"]
    records = pl.read_parquet(workdir / "results/01_import/records.parquet")
    assert not records.filter(pl.col("source_file") == "inputs/more.ris").height
    issues = pl.read_parquet(workdir / "results/quality/issues.parquet")
    assert not set(issues["check"]) & {"same_file_in_two_searches", "search_date_future"}


# -- 2. one lock for the whole run -----------------------------------------------------------


def lock_holders(workdir: Path, timeout: float = 120) -> dict[str, int]:
    """Wait until the CLI has started its Snakemake child; the PIDs in the lock file."""
    path = workdir / ".snakemake/scoping-review.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            pids = dict(line.split() for line in path.read_text().splitlines() if line.strip())
            if "snakemake" in pids:
                return {k: int(v) for k, v in pids.items()}
        time.sleep(0.05)
    raise AssertionError("the run never took the lock")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(("first", "second"), [("update", "run"), ("run", "update")])
def test_a_second_writer_is_refused_while_the_first_runs(
    tmp_path: Path, first: str, second: str
) -> None:
    workdir = fresh(tmp_path)
    proc = subprocess.Popen(
        cli(first, "--directory", str(workdir), "--cores", "2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    pids = lock_holders(workdir)
    assert pids["cli"] == proc.pid
    refused = run_cli(workdir, second)
    out, err = proc.communicate(timeout=600)
    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.strip().count("\n") == 0  # one line
    assert f"pid {proc.pid}, snakemake pid {pids['snakemake']}" in refused.stderr
    assert "removing the lock" not in refused.stderr
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert (workdir / "results/07_report/index.html").exists()


def test_kill_9_of_the_cli_alone_takes_snakemake_with_it(base: Path, tmp_path: Path) -> None:
    workdir = fresh(tmp_path)
    proc = subprocess.Popen(
        cli("run", "--directory", str(workdir), "--cores", "2"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pids = lock_holders(workdir)
    marker = workdir / "results/02_dedupe/clusters.parquet"
    deadline = time.monotonic() + 300
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # the CLI alone, not its process group
    proc.wait()
    # while the orphan shuts down it still holds the lock: a new run is refused, never let in
    early = run_cli(workdir)
    assert early.returncode in (0, 4), early.stderr
    if early.returncode == 4:
        # refused by the orphan's lock, or (once Snakemake is gone) by a job it had started
        # that is still finishing, e.g. dedupe writing its state after its outputs
        assert (
            f"snakemake pid {pids['snakemake']}" in early.stderr
            or "a Snakemake process of an earlier run is still working" in early.stderr
        ), early.stderr
    deadline = time.monotonic() + 60
    while alive(pids["snakemake"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pids["snakemake"]), "Snakemake outlived the CLI"
    # a job Snakemake had started finishes on its own; until then a new run is refused
    from scoping_review import runguard

    while runguard.snakemake_processes(workdir) and time.monotonic() < deadline + 120:
        time.sleep(0.1)
    ok(run_cli(workdir))
    expected = outputs(base)
    assert outputs(workdir) == expected
    differing = [str(p) for p in expected if (base / p).read_bytes() != (workdir / p).read_bytes()]
    assert differing == []


def test_snakemake_lock_of_a_live_plain_snakemake_run_is_not_cleared(tmp_path: Path) -> None:
    """A Snakemake run started without the CLI holds only Snakemake's own lock: the CLI sees
    the live process working in the directory and refuses instead of unlocking it."""
    workdir = fresh(tmp_path)
    plain = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--cores", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    locks = workdir / ".snakemake/locks"
    deadline = time.monotonic() + 120
    while not any(locks.glob("*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(locks.glob("*")), "the plain run never locked"
    refused = run_cli(workdir)
    plain.wait(timeout=600)
    assert refused.returncode == 4, refused.stderr
    assert f"a Snakemake process of an earlier run is still working in {workdir}" in refused.stderr
    assert str(plain.pid) in refused.stderr
    assert "removing the lock" not in refused.stderr
    assert plain.returncode == 0


# -- 3. one clear block per error ------------------------------------------------------------


def test_sheet_error_is_one_block_and_the_traceback_goes_to_the_rule_log(
    base: Path, tmp_path: Path
) -> None:
    workdir = clone(base, tmp_path)
    sheet = workdir / "inputs/full_text.csv"
    text = sheet.read_text()
    sheet.write_text(text.replace("b4,exclude,not_rupture_repair", "b4,exclude,no_outcomes"))
    result = run_cli(workdir)
    assert result.returncode == 1
    assert "error in rule screen:" in result.stderr
    assert (
        "inputs/full_text.csv, row 5: reason 'no_outcomes' is not a full_text criterion code"
        in result.stderr
    )
    assert "what to do:" in result.stderr
    one_block(result.stderr)
    log = (workdir / "results/logs/screen.log").read_text()
    assert "Traceback" in log and "ScreeningError" in log


def test_charting_error_under_update_is_one_block(base: Path, tmp_path: Path) -> None:
    workdir = clone(base, tmp_path)
    sheet = workdir / "inputs/charting.csv"
    first = sheet.read_text().splitlines()[1]
    sheet.write_text(sheet.read_text() + first.replace("Chile", "Peru") + "\n")
    result = run_cli(workdir, "update")
    assert result.returncode == 1
    assert "error in rule extract:" in result.stderr
    assert "inputs/charting.csv" in result.stderr and "row" in result.stderr
    one_block(result.stderr)
    assert "Traceback" in (workdir / "results/logs/extract.log").read_text()


def test_unexpected_config_key_prints_check_configs_lines(tmp_path: Path) -> None:
    workdir = fresh(tmp_path)
    text = (workdir / "config/config.yaml").read_text()
    (workdir / "config/config.yaml").write_text(text + "serches_extra: 1\n")
    check = subprocess.run(
        cli("check-config", str(workdir / "config/config.yaml")),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 1
    assert "serches_extra: unknown key; the keys here are " in check.stderr  # searches given
    for command in ("run", "update"):
        result = run_cli(workdir, command)
        assert result.returncode == 1
        for line in check.stderr.splitlines():
            assert line in result.stderr.splitlines()
        assert "$schema" not in result.stderr and "description" not in result.stderr
        one_block(result.stderr)
    assert not (workdir / "results").exists()


def test_a_search_id_used_twice_is_named_before_anything_runs(tmp_path: Path) -> None:
    """A copied search block keeps its id: check-config, run and Snakemake itself name it."""
    workdir = fresh(tmp_path)
    cfg = config(workdir)
    first = cfg["searches"][0]
    cfg["searches"].append({**first, "files": list(first["files"])})
    write_config(workdir, cfg)
    n = len(cfg["searches"]) - 1
    expected = (
        f"config/config.yaml: searches/{n}/id (search {first['id']!r}): the id of searches/0 "
        "too; each search needs its own id (it names the search's records, counts and files)"
    )
    check = subprocess.run(
        cli("check-config", str(workdir / "config/config.yaml")),
        capture_output=True, text=True, check=False, cwd=workdir,
    )  # fmt: skip
    assert check.returncode == 1
    assert expected.replace("config/config.yaml", str(workdir / "config/config.yaml")) in (
        check.stderr
    )
    result = run_cli(workdir, "update")
    assert result.returncode == 1
    assert "searches/0 too; each search needs its own id" in result.stderr
    one_block(result.stderr)
    plain = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "-n"],
        capture_output=True, text=True, check=False, cwd=workdir,
    )  # fmt: skip
    assert plain.returncode == 1
    assert expected in plain.stdout + plain.stderr
    assert not (workdir / "results").exists()


def test_yaml_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    workdir = fresh(tmp_path)
    path = workdir / "config/config.yaml"
    lines = path.read_text().splitlines()
    lines[7] = lines[7] + ": : ["
    path.write_text("\n".join(lines) + "\n")
    check = subprocess.run(
        cli("check-config", str(path)), capture_output=True, text=True, check=False
    )
    assert check.returncode == 1
    assert re.search(r"config\.yaml, line \d+, column \d+: not valid YAML", check.stderr)
    one_block(check.stderr)
    result = run_cli(workdir)
    assert result.returncode == 1
    assert check.stderr.strip() in result.stderr
    assert "Snakefile" not in result.stderr
    one_block(result.stderr)


# -- 4. the interim report says what happened ------------------------------------------------


def page_text(workdir: Path) -> str:
    html = (workdir / "results/07_report/index.html").read_text()
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def flow_texts(workdir: Path) -> str:
    spec = (workdir / "results/07_report/prisma_flow.vl.json").read_text()
    return spec.replace("\\u00a0", " ").replace("\u00a0", " ")


def test_interim_report_with_no_decisions(base: Path, tmp_path: Path) -> None:
    workdir = clone(base, tmp_path)
    for name in ("title_abstract.csv", "full_text.csv", "charting.csv"):
        sheet = workdir / "inputs" / name
        sheet.write_text(sheet.read_text().splitlines()[0] + "\n")
    result = run_cli(workdir, "update")
    assert result.returncode == 3, result.stderr  # studies await screening
    counts = ledger(workdir)
    assert counts["records_screened"] == 0 and counts["records_pending"] > 0
    pending = counts["records_pending"]
    texts = flow_texts(workdir)
    assert "Records screened (n = 0)" in texts
    assert f"Awaiting screening (n = {pending})" in texts
    html = (workdir / "results/07_report/index.html").read_text()
    summary = re.sub(r"<[^>]+>", "", html.split('id="summary"')[1].split("</section>")[0])
    summary = " ".join(summary.split())
    assert "In progress." in summary
    assert "0 records have been screened by title and abstract so far" in summary
    assert f"({pending} await screening)" in summary
    assert "records were screened" not in summary
    # the banner agrees with the screening section ("not started"), not "in progress"
    assert f"Screening has not started: {pending} records await screening" in summary
    assert "Screening is in progress" not in html
    methods = re.sub(r"<[^>]+>", "", html.split('id="methods-screening"')[1].split("</p>")[0])
    assert "every record is screened by one reviewer" in " ".join(methods.split())
    assert "every record was screened" not in html


def test_interim_report_with_some_decisions(base: Path, tmp_path: Path) -> None:
    workdir = clone(base, tmp_path)
    for name in ("full_text.csv", "charting.csv"):
        sheet = workdir / "inputs" / name
        sheet.write_text(sheet.read_text().splitlines()[0] + "\n")
    result = run_cli(workdir, "update")
    assert result.returncode == 3, result.stderr
    counts = ledger(workdir)
    sought = counts["dbr_sought_reports"]
    assert sought > 0 and counts["dbr_assessed"] == 0 and counts["dbr_pending"] == sought
    texts = flow_texts(workdir)
    assert "Reports assessed for eligibility (n = 0)" in texts
    assert f"Awaiting assessment (n = {sought})" in texts
    assert f"Records screened (n = {counts['records_screened']})" in texts
    html = page_text(workdir)
    assert "In progress." in html
    assert f"0 have been assessed in full text ({sought} await assessment)" in html
    assert "full/text" not in html and "title/abstract" not in html


# -- 5. carry-over by membership -------------------------------------------------------------


def test_carry_over_with_decisions_dated_after_the_update_search(
    base: Path, tmp_path: Path
) -> None:
    """Round-1 decisions are dated 2025-01-10/11; the round-2 search ran on 2025-01-08, before
    them. Its record of an already-screened study inherits the decisions all the same."""
    workdir = clone(base, tmp_path)
    scopus = (workdir / "inputs/scopus.ris").read_text()
    first = scopus.split("ER  - ")[0].replace("AN  - r1", "AN  - u1") + "ER  - \n"
    (workdir / "inputs/update.ris").write_text(first)
    cfg = config(workdir)
    cfg["searches"].append(
        {"id": "update", "database": "Scopus", "date": "2025-01-08", "round": 2,
         "files": ["inputs/update.ris"]}
    )  # fmt: skip
    write_config(workdir, cfg)
    ok(run_cli(workdir))
    carried = pl.read_parquet(workdir / "results/03_screen/carryover.parquet")
    assert set(carried["record_id"]) == {"update:u1"}
    assert ledger(workdir)["screen.carried_over"] == 1
    html = page_text(workdir)
    assert "1 records joined an already-screened study" in html
