"""Work done in forked processes, on Linux, with the same result as done in this process.

The screen rule runs with two threads (``threads: 2``); its two CPU-bound steps, the term counts
of new texts and the two cross-fitted models of a ranking, are split between processes forked
from the rule's process: a fork inherits the data (no copy is sent) and the numbers computed
in a child are the numbers this process would compute. A child of a process with threads (the
polars pool) is safe for code that uses no thread pool and takes no lock another thread may
hold: the functions given here touch no polars, only numpy, scipy and scikit-learn's
liblinear. Elsewhere than Linux, or with one worker, everything runs here, in order.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available(workers: int) -> bool:
    """Whether ``workers`` > 1 processes would be used (Linux with fork)."""
    return workers > 1 and sys.platform == "linux" and hasattr(os, "fork")


@contextlib.contextmanager
def _threads_known() -> Iterator[None]:
    """Python 3.12+ warns (DeprecationWarning) at every fork of a process with threads; the
    threads here are the polars pool's, which the children never touch (the module's
    docstring), so that warning alone is not shown. Any other warning still is."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"This process .* is multi-threaded, use of fork\(\)", DeprecationWarning
        )
        yield


def ordered_map(fn: Callable[[T], R], tasks: Iterable[T], workers: int) -> Iterator[R]:
    """``fn`` of each task, in the tasks' order; in ``workers`` forked processes when
    :func:`available`, with at most two tasks per worker in flight (the tasks are made as
    they are needed: a large input is not held all at once). ``fn`` must be a module-level
    function and tasks and results picklable."""
    if not available(workers):
        yield from map(fn, tasks)
        return
    import multiprocessing

    with _threads_known():  # the pool forks its workers when it starts
        pool = multiprocessing.get_context("fork").Pool(workers)
    with pool:
        flight: deque[Any] = deque()
        for task in tasks:
            flight.append(pool.apply_async(fn, (task,)))
            if len(flight) >= 2 * workers:
                yield flight.popleft().get()
        while flight:
            yield flight.popleft().get()


def started(fn: Callable[[], R], fork: bool) -> Callable[[], R]:
    """``fn()`` started in a forked child (when ``fork`` and :func:`available` for two
    workers); the function returned waits for it and returns its result, or raises what it
    raised. Without a fork ``fn`` runs when its result is asked for."""
    if not (fork and available(2)):
        return fn
    read, write = os.pipe()
    with _threads_known():
        pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's exit code
        status = 0
        try:
            os.close(read)
            try:
                payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # sent to the parent, which raises it
                payload = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write)

    def result() -> R:
        try:
            with os.fdopen(read, "rb") as stream:
                data = stream.read()
        finally:
            _, status = os.waitpid(pid, 0)
        if not data:
            code = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"a forked worker (pid {pid}) ended with status {code}")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    return result


def available_bytes(
    meminfo: str, cgroup_max: str | None = None, cgroup_current: str | None = None
) -> int | None:
    """The memory a new allocation can take: the kernel's ``MemAvailable`` (``meminfo``: the
    text of ``/proc/meminfo``) or, inside a memory-limited cgroup (a SLURM job, a container:
    the text of its ``memory.max`` and ``memory.current``, v1's ``memory.limit_in_bytes`` and
    ``memory.usage_in_bytes``), the limit less what the group uses, whichever is smaller; None
    when neither can be read."""
    room: int | None = None
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                room = int(fields[1]) * 1024  # kB
            break
    limit = (cgroup_max or "").strip()
    used = (cgroup_current or "").strip()
    if limit.isdigit() and used.isdigit():  # "max": no limit
        left = max(int(limit) - int(used), 0)
        room = left if room is None else min(room, left)
    return room


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def memory_room() -> int | None:
    """:func:`available_bytes` of this machine and of this process's memory cgroup (v2, or
    v1's memory controller), or None (not Linux, or nothing readable)."""
    meminfo = _read("/proc/meminfo")
    if meminfo is None:
        return None
    for line in (_read("/proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)  # hierarchy id, controllers, the group's path
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # v2: the unified hierarchy
            root, files = "/sys/fs/cgroup", ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            root, files = (
                "/sys/fs/cgroup/memory",
                ("memory.limit_in_bytes", "memory.usage_in_bytes"),
            )
        else:
            continue
        # the group's own folder or, inside a container's namespace, the mount's root
        for folder in (root + path.strip(), root):
            limit, used = (_read(f"{folder}/{name}") for name in files)
            if limit is not None and used is not None:
                return available_bytes(meminfo, limit, used)
    return available_bytes(meminfo)


def room_for_two(each: int, room: int | None) -> bool:
    """Whether two computations of ``each`` bytes may run side by side: together at most half
    of ``room`` (:func:`memory_room`; half: a margin for an estimate of ``each``); true when
    ``room`` is unknown (the caller's own cap decides)."""
    return room is None or 2 * each <= room // 2
