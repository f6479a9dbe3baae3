"""What every benchmark result is stamped with: machine, load, commit, versions and command."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GIB = 1024**3


def git_commit() -> str:
    """The commit the benchmark ran at (``+dirty`` when tracked files had changes)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def cpu_model() -> str:
    """The processor's name (ratios to a pure-Python peer differ between processors)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) * 1024 / GIB, 1)
    except OSError:
        pass
    return 0.0


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def python_speed(loops: int = 5_000_000, repeat: int = 3) -> float:
    """Seconds (best of ``repeat``) of a fixed pure-Python loop: the same code runs 2-3x
    slower on some machines, so absolute times are read against this."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for i in range(loops):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _version(module: str) -> str:
    try:
        mod = __import__(module)
    except ImportError:
        return "not installed"
    return str(getattr(mod, "__version__", "unknown"))


# the SLURM client commands the executor plugin calls when Snakemake starts
SLURM_CLIENT = ("scontrol", "sinfo")


def quiet_idle_slurm(scratch: Path) -> str:
    """Where a SLURM client is installed but no controller answers (as after the cluster
    test's teardown), the executor plugin's ``scontrol show config`` waits for its time-out at
    every Snakemake start: idle wall time in every measurement. Then put stand-ins that fail at
    once (as on a machine without SLURM) in front of PATH for this process and its children, and
    say so; the installed commands are not touched. Returns what was found, for the stamp."""
    if shutil.which("scontrol") is None:
        return "no SLURM client"
    try:
        ping = subprocess.run(
            ["scontrol", "ping"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except subprocess.TimeoutExpired:
        ping = ""
    if "is UP" in ping:
        return "a SLURM controller answers"
    stubs = scratch / "no-slurm-bin"
    stubs.mkdir(parents=True, exist_ok=True)
    for name in SLURM_CLIENT:
        stub = stubs / name
        stub.write_text("#!/bin/sh\nexit 1\n")
        stub.chmod(0o755)
    os.environ["PATH"] = f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"
    return (
        "a SLURM client without a controller: "
        + " and ".join(SLURM_CLIENT)
        + " were replaced on PATH by commands that fail at once, for this run only"
    )


def stamp(command: list[str]) -> dict[str, Any]:
    """The stamp of a run that starts now: machine, CPU count, load average at the start, the
    commit (``+dirty`` when the tree had changes), versions and the exact command. Call
    :func:`finish` on it when the run ends (load average at the end, end time)."""
    commit = git_commit()
    return {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": platform.node(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "os": platform.platform(),
        "loadavg_start": loadavg(),
        "python_loop_s": python_speed(),
        "commit": commit,
        "dirty": commit.endswith("+dirty"),
        "python": platform.python_version(),
        "polars": _version("polars"),
        "snakemake": _version("snakemake"),
        "command": " ".join(command),
        "argv": [sys.executable, *sys.argv],
    }


def finish(st: dict[str, Any]) -> dict[str, Any]:
    """``st`` with the load average at the end and the end time."""
    st["loadavg_end"] = loadavg()
    st["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return st
