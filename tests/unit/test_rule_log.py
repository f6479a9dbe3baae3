"""storage.open_log in a Snakemake job: the log's last line is the process's exact peak memory
(getrusage), written once, by the job's process alone, and only to the log file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from scoping_review import storage

SCRIPTS = Path(__file__).resolve().parents[2] / "workflow" / "scripts"
LINE = re.compile(r"INFO peak RSS: this process (\d+) MiB; its largest child (\d+) MiB")


def test_the_peak_line_gives_mib_from_kib() -> None:
    line = storage.peak_memory_line(2048.0 * 1024, 300.0 * 1024)
    assert line == f"{storage.PEAK_MARK} this process 2048 MiB; its largest child 300 MiB"


def test_a_process_peak_is_its_own_high_water_mark() -> None:
    status = "Name:\tpython\nVmPeak:\t 900000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n"
    assert storage.own_peak_kib(status) == 123456.0
    assert storage.own_peak_kib() > 0  # this process's, from /proc or getrusage


def _job(tmp_path: Path, body: str, in_snakemake: bool = True) -> tuple[list[str], str]:
    log = tmp_path / "rule.log"
    script = "\n".join(
        [
            "import os, sys",
            f"sys.path.insert(0, {str(SCRIPTS)!r})",
            "import __main__",
            f"if {in_snakemake}: __main__.snakemake = object()",
            "from scoping_review import storage",
            f"log = storage.open_log({str(log)!r}, 'rule')",
            "log.info('work done')",
            body,
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return log.read_text(encoding="utf-8").splitlines(), done.stderr


def test_a_jobs_log_ends_with_its_peak_and_its_childs(tmp_path: Path) -> None:
    # a child that grows by 400 MiB and leaves through sys.exit (running atexit handlers):
    # its peak is counted in the parent's line, and it writes no line of its own; the
    # parent's own peak is its own address space's, not that of the process that started it
    # (pytest, here: getrusage would report it)
    body = "\n".join(
        [
            "pid = os.fork()",
            "if pid == 0:",
            "    block = bytearray(400 * 1024 * 1024)",
            "    sys.exit(0)",
            "os.waitpid(pid, 0)",
        ]
    )
    lines, stderr = _job(tmp_path, body)
    assert lines[0] == "INFO work done"
    peaks = [ln for ln in lines if storage.PEAK_MARK in ln]
    assert len(peaks) == 1 and peaks[0] == lines[-1], lines
    found = LINE.fullmatch(lines[-1])
    assert found, lines[-1]
    assert int(found[2]) >= 400 > int(found[1]), lines[-1]
    assert "work done" in stderr and storage.PEAK_MARK not in stderr


def test_outside_a_snakemake_job_no_peak_line_is_written(tmp_path: Path) -> None:
    lines, _ = _job(tmp_path, "", in_snakemake=False)
    assert lines == ["INFO work done"]
