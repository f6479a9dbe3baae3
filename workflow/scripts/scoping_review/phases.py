"""Wall seconds of a job's phases, for its log (what a benchmark quotes where a target is missed).

A pure function takes the clock's :meth:`PhaseClock.lap` as an optional callback, so timing never
changes what it computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Lap = Callable[[str], None]


def no_lap(name: str) -> None:
    """The callback when nobody times the phases."""


class PhaseClock:
    """Wall seconds between laps, summed by name (a name lapped twice adds up)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.last
        self.last = now

    def summary(self) -> str:
        return ", ".join(f"{name} {s:.2f}" for name, s in self.seconds.items())
