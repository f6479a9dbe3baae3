"""Work split between forked processes gives what one process gives: the term counts (in
test_term_counts.py) and a ranking's two cross-fitted models, fitted side by side."""

from __future__ import annotations

import os
import sys
import threading
import warnings

import numpy as np
import pytest

from scoping_review import forked, ranking

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked workers run on Linux")


def _pid(_: int) -> int:
    return os.getpid()


def _square(x: int) -> int:
    if x == 13:
        raise ValueError("thirteen")
    return x * x


def test_started_runs_in_another_process_and_returns_its_result() -> None:
    assert forked.started(os.getpid, fork=True)() != os.getpid()
    assert forked.started(os.getpid, fork=False)() == os.getpid()
    assert forked.started(lambda: {"a": [1, 2]}, fork=True)() == {"a": [1, 2]}


def test_forking_beside_threads_warns_of_nothing_but_other_warnings_still_show() -> None:
    """Python 3.12+ warns at a fork of a process with threads (the rule's process has the
    polars pool): that warning is not shown; others still are."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            assert forked.started(os.getpid, fork=True)() != os.getpid()
            assert list(forked.ordered_map(_square, [2, 3], 2)) == [4, 9]
            with forked._threads_known():
                warnings.warn("other", DeprecationWarning, stacklevel=1)
    finally:
        stop.set()
        thread.join()
    assert [str(w.message) for w in shown] == ["other"]


def test_started_raises_what_the_child_raised_and_names_a_child_that_died() -> None:
    def boom() -> int:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        forked.started(boom, fork=True)()
    with pytest.raises(RuntimeError, match="ended with status 3"):
        forked.started(lambda: os._exit(3), fork=True)()


def test_ordered_map_keeps_the_order_of_the_tasks_and_uses_the_workers() -> None:
    assert list(forked.ordered_map(_square, range(12), 2)) == [x * x for x in range(12)]
    assert list(forked.ordered_map(_square, iter([]), 2)) == []
    pids = set(forked.ordered_map(_pid, range(8), 2))
    assert os.getpid() not in pids
    assert set(forked.ordered_map(_pid, range(3), 1)) == {os.getpid()}
    with pytest.raises(ValueError, match="thirteen"):
        list(forked.ordered_map(_square, range(20), 2))


@pytest.mark.parametrize("model", ["svm", "logistic", "lr+svm"])
@pytest.mark.parametrize("shape", [(60, 400), (400, 30)])  # dual and primal liblinear
def test_two_models_fitted_side_by_side_are_the_models_fitted_one_by_one(
    model: str, shape: tuple[int, int]
) -> None:
    from scipy import sparse

    rows, cols = shape
    rng = np.random.default_rng(7)
    matrix = sparse.random(rows, cols, density=0.1, format="csr", random_state=rng)
    matrix = matrix.astype(np.float32)
    train = np.arange(0, rows, 2)
    labels = (rng.random(train.size) < 0.3).astype(np.int64)
    labels[:2] = [0, 1]
    candidates = np.arange(1, rows, 2)
    keys = ranking.presumed_keys([f"S-{i}" for i in candidates], 0)
    settings = ranking.RankingSettings.from_config({"model": model, "presumed_excludes": 5})
    alone = ranking.fit_rank_rows(matrix, train, labels, candidates, keys, settings, workers=1)
    both = ranking.fit_rank_rows(matrix, train, labels, candidates, keys, settings, workers=2)
    assert isinstance(both[0], ranking.CrossFitted)
    assert np.array_equal(alone[1], both[1])


MEMINFO = "MemTotal:       24617000 kB\nMemFree:  1000 kB\nMemAvailable:   20000000 kB\n"


def test_the_memory_available_is_the_kernels_or_the_cgroups_if_smaller() -> None:
    machine = 20_000_000 * 1024
    assert forked.available_bytes(MEMINFO) == machine
    # a SLURM job or container limited to 8 GB that uses 5 GB has 3 GB left
    assert forked.available_bytes(MEMINFO, "8000000000\n", "5000000000\n") == 3_000_000_000
    assert forked.available_bytes(MEMINFO, "max\n", "5000000000\n") == machine  # v2: no limit
    # v1's "no limit" is a huge number: the machine's figure stands
    assert forked.available_bytes(MEMINFO, "9223372036854771712", "4122066944") == machine
    assert forked.available_bytes(MEMINFO, "1000", "2000") == 0  # over its limit: no room
    assert forked.available_bytes("MemTotal: 1 kB\n") is None
    assert forked.available_bytes("", "8000000000", "1000000000") == 7_000_000_000


def test_two_fits_run_side_by_side_only_with_room_for_both_twice_over() -> None:
    gb = 1_000_000_000
    # fits of 0.9 GB each: side by side on an idle machine, one by one in a job with 3 GB left
    assert forked.room_for_two(gb * 9 // 10, 18 * gb)
    assert not forked.room_for_two(gb * 9 // 10, 3 * gb)
    assert forked.room_for_two(gb, 4 * gb)  # 2 GB together, half of 4
    assert forked.room_for_two(gb, None)  # unknown: the caller's cap alone decides


def test_a_ranking_in_a_job_without_room_fits_its_models_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the decision is taken from the memory left: with none, no child is forked (the same
    # scores either way: the test above), and with room, one is
    from scipy import sparse

    rng = np.random.default_rng(3)
    matrix = sparse.random(60, 40, density=0.2, format="csr", random_state=rng).astype(np.float32)
    train, candidates = np.arange(0, 60, 2), np.arange(1, 60, 2)
    labels = (rng.random(train.size) < 0.3).astype(np.int64)
    labels[:2] = [0, 1]
    keys = ranking.presumed_keys([f"S-{i}" for i in candidates], 0)
    settings = ranking.RankingSettings.from_config({"presumed_excludes": 5})
    forks: list[bool] = []
    real = forked.started

    def spy(fn, fork):  # type: ignore[no-untyped-def]
        forks.append(fork)
        return real(fn, fork)

    monkeypatch.setattr(forked, "started", spy)
    monkeypatch.setattr(forked, "memory_room", lambda: 0)
    ranking.fit_rank_rows(matrix, train, labels, candidates, keys, settings, workers=2)
    monkeypatch.setattr(forked, "memory_room", lambda: 1 << 40)
    ranking.fit_rank_rows(matrix, train, labels, candidates, keys, settings, workers=2)
    assert forks == [False, True]


def test_this_machines_memory_room_is_read() -> None:
    room = forked.memory_room()
    assert room is not None and room > 0
