"""Faults during a run: SIGKILL mid-run then re-run gives the uninterrupted results; records
that go missing between stages stop the run at the ledger."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def cli_run(workdir: Path) -> list[str]:
    """The user's command: ``scoping-review run --directory DIR``."""
    return [sys.executable, "-m", "scoping_review.cli", "run", "--directory", str(workdir),
            "--cores", "2"]  # fmt: skip


def fresh_copy(tmp: Path) -> Path:
    shutil.copytree(REPO / "tests/data/tiny_review", tmp, dirs_exist_ok=True)
    return tmp


def run_to_end(workdir: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cli_run(workdir), capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return result


def outputs(workdir: Path) -> list[Path]:
    files = sorted(p.relative_to(workdir) for p in (workdir / "results").rglob("*") if p.is_file())
    # dedupe's state is a cache, not an output: reused by a rerun, its frames are equal but their
    # Arrow bytes depend on how they were assembled (tests/unit/test_dedupe_incremental.py)
    # the same for the caches under results/cache (the ranking's term counts, the report's
    # figure renderings): reused, not outputs
    state, caches = Path("results/02_dedupe/state"), Path("results/cache")
    return [
        p
        for p in files
        if "logs" not in p.parts and not p.is_relative_to(state) and not p.is_relative_to(caches)
    ]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = fresh_copy(tmp_path_factory.mktemp("uninterrupted"))
    run_to_end(workdir)
    return workdir


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], str]:
    """A run SIGKILLed (with every process it started) once screening has written its tables,
    then re-run with the same command. Returns the directory, what existed at the kill, and
    the second run's stderr."""
    workdir = fresh_copy(tmp_path_factory.mktemp("interrupted"))
    proc = subprocess.Popen(
        cli_run(workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes Snakemake and its jobs
    )
    marker = workdir / "results/03_screen/status.parquet"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    at_kill = outputs(workdir)
    second = run_to_end(workdir)
    return workdir, at_kill, second.stderr


def test_sigkill_mid_run_then_rerun_matches_an_uninterrupted_run(
    uninterrupted: Path, interrupted: tuple[Path, list[Path], str]
) -> None:
    workdir, at_kill, stderr = interrupted
    # the kill landed mid-run: some stage tables were written, the report was not
    assert Path("results/02_dedupe/clusters.parquet") in at_kill
    assert Path("results/07_report/index.html") not in at_kill
    # the re-run needed no manual clean-up (stale lock, incomplete files)
    assert "removing the lock left by an interrupted run" in stderr
    expected = outputs(uninterrupted)
    assert len(expected) > 20
    assert outputs(workdir) == expected
    differing = [
        str(p) for p in expected if (uninterrupted / p).read_bytes() != (workdir / p).read_bytes()
    ]
    assert differing == []


def test_a_second_concurrent_run_is_refused(uninterrupted: Path) -> None:
    """The OS run lock: while one run holds the directory, another is refused clearly."""
    from scoping_review import runguard

    with runguard.hold(uninterrupted):
        result = subprocess.run(
            cli_run(uninterrupted), capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 4
    assert "another scoping-review run or update is writing" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr


def test_records_lost_between_stages_fail_the_run(
    interrupted: tuple[Path, list[Path], str],
) -> None:
    """Conservation at run time: a study dropped from the screening status (as a buggy stage
    would) stops the run at the ledger, naming the boundary and the study."""
    workdir = interrupted[0]
    status_path = workdir / "results/03_screen/status.parquet"
    status = pl.read_parquet(status_path)
    lost = status.filter(pl.col("final") == "excluded_title_abstract")["study_id"][0]
    status.filter(pl.col("study_id") != lost).write_parquet(status_path)
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--cores", "2", "results/ledger/counts.parquet"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    log = (workdir / "results/logs/ledger.log").read_text()
    assert "records not conserved across stage boundaries" in log
    assert "03_screen: studies = status rows" in log and lost in log


def test_sigterm_to_the_command_says_what_to_do_and_a_rerun_finishes(tmp_path: Path) -> None:
    """A scheduler's time limit or ``kill PID``: SIGTERM to the command alone. It says what to
    do and exits 143; Snakemake goes with it, and the same command then finishes the run."""
    workdir = fresh_copy(tmp_path)
    proc = subprocess.Popen(
        cli_run(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    marker = workdir / "results/01_import/records.parquet"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGTERM, stderr[-3000:]
    assert "error: terminated (SIGTERM); run the same command again to finish" in stderr
    second = run_to_end(workdir)
    assert (workdir / "results/07_report/index.html").is_file(), second.stderr[-3000:]


@pytest.mark.parametrize("command", ["run", "update"])
def test_ctrl_c_says_what_to_do_and_exits_130(tmp_path: Path, command: str) -> None:
    """Ctrl-C in a terminal: SIGINT to the command's process group (Snakemake's too). Both
    `run` and `update` say what to do and exit 130, as their help says; `update` freezes no
    version."""
    workdir = fresh_copy(tmp_path)
    argv = [*cli_run(workdir)[:3], command, *cli_run(workdir)[4:]]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    marker = workdir / "results/01_import/records.parquet"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-3000:]
    assert "error: interrupted; run the same command again to finish" in stderr
    assert not (workdir / "results/versions").exists()


def test_ctrl_c_twice_while_jobs_stop_is_still_one_message(tmp_path: Path) -> None:
    """A second Ctrl-C while Snakemake stops its jobs (people press it twice) is the same
    request: no Python traceback, the same message and exit status (it used to print the
    CLI's traceback: a KeyboardInterrupt while it waited for Snakemake)."""
    workdir = fresh_copy(tmp_path)
    proc = subprocess.Popen(
        cli_run(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    marker = workdir / "results/01_import/records.parquet"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "error: interrupted; run the same command again to finish" in stderr
