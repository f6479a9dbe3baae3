"""One lock for every process that writes a review's ``results/``, and the Snakemake child.

An adapter like the CLI (it spawns processes and reads ``/proc``), shared by ``run`` and
``update``:

- :func:`hold` takes an exclusive ``flock`` on ``.snakemake/scoping-review.lock`` in the
  review directory and writes the holder's PID into it. A second writer is refused at once
  (:class:`LockBusy`, exit 4) with the PIDs.
- :func:`run_workflow` starts Snakemake with the locked descriptor inherited
  (``pass_fds``), so the lock stays held while either process lives, and with
  ``PR_SET_PDEATHSIG``: when the CLI dies, even by ``kill -9``, Snakemake is killed with it
  instead of going on as an orphan. Snakemake's output goes to
  ``.snakemake/log/scoping-review-run.log``; the terminal gets its progress lines and, on
  failure, one block per failed rule (what, where, what to do), written by the rule's
  adapter (:func:`storage.open_log` installs the hook that writes it).
- :func:`clear_stale_snakemake_lock` removes a lock Snakemake left in ``.snakemake/locks``
  only when no Snakemake process of an earlier run is alive in the directory.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_NAME = ".snakemake/scoping-review.lock"  # under the review directory
SNAKEMAKE_LOG = ".snakemake/log/scoping-review-run.log"  # the last run's Snakemake output
ERROR_SUFFIX = ".error"  # next to a rule's log: the one-block message of its failure
_PR_SET_PDEATHSIG = 1
# Snakemake lines worth showing on the terminal (all of them go to the log file)
_PROGRESS = re.compile(r"^(\d+ of \d+ steps \(.*\) done|Nothing to be done)")


INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C


class LockBusy(RuntimeError):
    """Another process writes this review's results: the message names its PID(s)."""


@dataclass
class RunLock:
    path: Path
    handle: IO[str]

    @property
    def fd(self) -> int:
        return self.handle.fileno()

    def add_pid(self, pid: int, what: str) -> None:
        """Record a process that shares the lock (named in a refusal message)."""
        self.handle.write(f"{what} {pid}\n")
        self.handle.flush()


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    lines = [line.split() for line in handle.read().splitlines() if line.strip()]
    parts = [f"{'pid' if what == 'cli' else what + ' pid'} {pid}" for what, pid, *_ in lines]
    return ", ".join(parts) or "pid unknown"


@contextmanager
def hold(directory: Path) -> Iterator[RunLock]:
    """The review's write lock, for the length of the ``with`` block (:class:`LockBusy`)."""
    results = directory / "results"
    path = directory / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(
                f"another scoping-review run or update is writing {results} "
                f"({_holder(handle)}); wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        lock = RunLock(path, handle)
        lock.add_pid(os.getpid(), "cli")
        yield lock
    finally:
        handle.close()


def _cmdline(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _alive(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has finished; only its exit status is left


def snakemake_processes(directory: Path) -> list[int]:
    """Live Snakemake processes (and their jobs) working in ``directory``, other than us."""
    target = directory.resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = (entry / "cwd").resolve(strict=True)
        except OSError:
            continue
        if cwd == target and "snakemake" in _cmdline(entry.name) and _alive(entry.name):
            found.append(int(entry.name))
    return sorted(found)


def clear_stale_snakemake_lock(directory: Path, snakemake_base: Sequence[str]) -> None:
    """Holding :func:`hold`, remove Snakemake's own lock if no earlier run is alive.

    Raises :class:`LockBusy` naming the PID of a live Snakemake process of an earlier run
    (started without this lock, e.g. plain ``snakemake``): its lock is not stale.
    """
    if not any((directory / ".snakemake" / "locks").glob("*")):
        return
    alive = snakemake_processes(directory)
    if alive:
        pids = ", ".join(str(p) for p in alive)
        raise LockBusy(
            f"a Snakemake process of an earlier run is still working in {directory} "
            f"(pid {pids}); wait for it to finish or stop it, then run again"
        )
    print(
        "note: removing the lock left by an interrupted run; its unfinished outputs are redone",
        file=sys.stderr,
    )
    subprocess.call([*snakemake_base, "--unlock"], stdout=subprocess.DEVNULL)


def _die_with_parent(parent: int) -> None:
    """In the child before exec: SIGKILL when the parent dies (and now, if it already has).

    SIGKILL, not SIGTERM: Snakemake's SIGTERM handler can hang when a second SIGTERM arrives
    (the whole process group terminated, then the parent's death), and a hung Snakemake would
    hold the lock for ever. Jobs it had started finish on their own; until they have, the next
    run sees them working in the directory and is refused (exit 4).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def error_files(results: Path) -> list[Path]:
    return sorted((results / "logs").rglob(f"*{ERROR_SUFFIX}"))


def no_review(directory: Path, extra: Sequence[str] = (), command: str = "run") -> str | None:
    """What to tell a user whose ``directory`` holds no review (no config/config.yaml).

    ``extra``: the arguments after the command, which go to Snakemake (its targets); a review
    folder among them was meant for ``--directory`` (``scoping-review run myreview``), also
    when ``directory`` is a review itself (the run would have started on the wrong one)."""
    meant = [
        arg
        for arg in extra
        if not arg.startswith("-")
        and (Path(arg) / "config" / "config.yaml").is_file()
        and Path(arg).resolve() != directory.resolve()
    ]
    if (directory / "config" / "config.yaml").is_file():
        if not meant:
            return None
        here = "the current folder" if str(directory) in ("", ".") else str(directory)
        return (
            f"error: {meant[0]} is a review folder, but the words after `{command}` go to "
            f"Snakemake as its targets: this would have run the review in {here}.\n"
            f"what to do: scoping-review {command} --directory {shlex.quote(str(meant[0]))}"
        )
    what = "does not exist" if not directory.exists() else "has no config/config.yaml"
    if meant:
        return (
            f"error: {directory} is not a review folder: it {what}. {meant[0]} is one, but "
            f"the words after `{command}` go to Snakemake as its targets.\n"
            f"what to do: scoping-review {command} --directory {shlex.quote(str(meant[0]))}"
        )
    return (
        f"error: {directory} is not a review folder: it {what}.\n"
        f"what to do: give --directory the folder that holds config/config.yaml, or start a "
        f"review there with `scoping-review init {directory}`"
    )


def failed_run_note(ledger_path: Path) -> str | None:
    """A note when a rule of a run after this ledger was written failed (its error file is
    newer): the counts are then those of the run before it, not of the inputs as they are."""
    results = ledger_path.resolve().parent.parent
    try:
        written = ledger_path.stat().st_mtime
    except OSError:
        return None
    failed = [p for p in error_files(results) if p.stat().st_mtime >= written]
    if not failed:
        return None
    names = ", ".join(str(p.relative_to(results.parent)) for p in failed[:3])
    return (
        f"note: the last run failed ({names}); these counts are from the run before it, "
        "not from the inputs as they are now"
    )


# Snakemake options that ask for a listing rather than a run: their output is the point
_LISTING = frozenset(
    {"-n", "--dry-run", "--dryrun", "-S", "--summary", "-D", "--detailed-summary",
     "--list-rules", "--list", "-l", "--dag", "--rulegraph", "--filegraph", "--lint"}
)  # fmt: skip


SLURM_PLUGIN = "snakemake_executor_plugin_slurm"


def slurm_pause_note(timeout: float = 2.0, plugin: str | None = None) -> str | None:
    """A note for the user when Snakemake's start will stall on SLURM, else ``None``.

    Where SLURM's executor plugin is installed and ``scontrol`` is on ``PATH`` but no
    controller answers, the plugin runs ``scontrol show config`` as Snakemake loads it and
    waits for its 10 s time-out, printing nothing (measured: a run with nothing to do took
    10.9 s against 1.8 s). ``scontrol ping`` says so at once (9 ms on such a machine).
    ``plugin``: the module whose presence means Snakemake will load the plugin (default
    :data:`SLURM_PLUGIN`)."""
    import importlib.util
    import shutil

    if shutil.which("scontrol") is None or importlib.util.find_spec(plugin or SLURM_PLUGIN) is None:
        return None
    try:
        done = subprocess.run(
            ["scontrol", "ping"], capture_output=True, text=True, timeout=timeout, check=False
        )
        said = next(iter((done.stdout or done.stderr).strip().splitlines()), "")
    except subprocess.TimeoutExpired:
        said = f"no answer in {timeout:g} s"
    except OSError:
        return None
    # a client that fails at once (a stand-in, a broken install) makes the plugin fail at once
    if " is DOWN" not in said and not said.startswith("no answer"):
        return None
    return (
        f"note: SLURM's client is installed but its controller does not answer "
        f"(scontrol ping: {said}); the SLURM executor plugin waits about 10 s for it at every "
        "start. See README.md, 'Running on a SLURM cluster'."
    )


def run_workflow(cmd: Sequence[str], directory: Path, lock: RunLock) -> int:
    """Run Snakemake under ``lock``; returns its exit status, having printed any failure.

    The terminal gets Snakemake's progress lines (all of its output when the command asks
    for a listing such as ``--dry-run``); the whole output is in ``SNAKEMAKE_LOG``. A
    :func:`slurm_pause_note` heads that log where one applies, and the terminal's output when
    it is one (a scheduled run's mail or a test's captured output keep their lines).
    """
    note = slurm_pause_note()
    if note is not None and sys.stderr.isatty():
        print(note, file=sys.stderr, flush=True)
    echo_all = any(arg in _LISTING for arg in cmd)
    results = directory / "results"
    for stale in error_files(results):
        stale.unlink()
    # a sheet changed after a job read it (the screening app, during the last run) is made
    # newer than the job's outputs, or no run would read it again (:mod:`.seen`)
    from .seen import broken_linked_table, refresh

    if not echo_all:  # a dry run or a listing runs nothing, so changes nothing
        from .typed_worklists import keep_typed

        for kept in keep_typed(directory):
            print(kept, file=sys.stderr)
        refresh(directory)
        rebuilt = broken_linked_table(directory)
        if rebuilt is not None:
            print(rebuilt, file=sys.stderr)
    log_path = directory / SNAKEMAKE_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    parent = os.getpid()
    # Snakemake writes to the log file itself, not to a pipe: a pipe with no reader (the CLI
    # killed) makes its shutdown on SIGTERM hang; the CLI follows the file for progress lines.
    with (
        open(log_path, "w", encoding="utf-8") as log,
        open(log_path, encoding="utf-8", errors="replace") as follow,
    ):
        if note is not None:
            log.write(note + "\n")
            log.flush()
            follow.readline()  # said above, not a progress line to echo
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(lock.fd,),
            preexec_fn=lambda: _die_with_parent(parent),  # the CLI runs no threads
        )
        lock.add_pid(proc.pid, "snakemake")
        rc = None
        previous = signal.signal(signal.SIGTERM, _say_terminated)
        try:
            while rc is None:
                rc = proc.poll()
                _show_progress(follow, echo_all)
                if rc is None:
                    time.sleep(0.1)
        except KeyboardInterrupt:  # Ctrl-C reached Snakemake too: let it stop its jobs
            # a second Ctrl-C while it stops them is the same request, not a traceback
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                proc.wait()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            print(
                "error: interrupted; run the same command again to finish (unfinished outputs "
                "are redone)",
                file=sys.stderr,
            )
            return INTERRUPTED
        finally:
            signal.signal(signal.SIGTERM, previous)
        _show_progress(follow, echo_all)
    if rc != 0:
        print_failure(results, log_path, rc)
    return rc


def _say_terminated(signum: int, frame: object) -> None:
    """SIGTERM during a run (a scheduler's time limit, ``kill``): say what to do, then die of
    it as before (exit 143; Snakemake, tied to this process, is killed with it)."""
    print(
        "error: terminated (SIGTERM); run the same command again to finish (unfinished "
        "outputs are redone)",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _show_progress(follow: IO[str], echo_all: bool) -> None:
    """Print the progress lines (or all lines) Snakemake wrote since the last call."""
    while True:
        start = follow.tell()
        line = follow.readline()
        if not line.endswith("\n"):  # nothing new, or a line still being written
            follow.seek(start)
            return
        if echo_all or _PROGRESS.match(line):
            print(line.rstrip(), flush=True)


def _snakemake_error(log_text: str) -> list[str]:
    """Snakemake's own error message (a parse or DAG error, or the exception that stopped it
    before any job: a plugin's, named with its module), without its traceback."""
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^(?:[A-Za-z_]\w*\.)*\w*(?:Error|Exception)\b", line) or line.startswith(
            "Error in"
        ):
            body = [ln.strip() for ln in lines[i : i + 6] if ln.strip()]
            return [ln for ln in body if not ln.startswith(("File ", "Traceback"))][:4]
    return []


def print_failure(results: Path, log_path: Path, rc: int) -> None:
    """One block per failed rule on stderr; else Snakemake's own message in one block."""
    blocks = [p.read_text(encoding="utf-8").rstrip() for p in error_files(results)]
    if blocks:
        for block in blocks:
            print(block, file=sys.stderr)
        return
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    detail = _snakemake_error(text)
    print(f"error: the workflow stopped (snakemake exit {rc})", file=sys.stderr)
    for line in detail:
        print(f"  {line}", file=sys.stderr)
    print(f"  details: {log_path}", file=sys.stderr)
