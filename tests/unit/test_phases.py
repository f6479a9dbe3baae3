"""The phase clock a job's log quotes: laps summed by name, in the order first lapped."""

from __future__ import annotations

import time

from scoping_review import phases


def test_a_name_lapped_twice_adds_up_and_keeps_its_first_place() -> None:
    clock = phases.PhaseClock()
    time.sleep(0.01)
    clock.lap("read")
    clock.lap("work")
    time.sleep(0.01)
    clock.lap("read")
    assert list(clock.seconds) == ["read", "work"]
    assert clock.seconds["read"] >= 0.02
    assert clock.seconds["work"] < clock.seconds["read"]
    assert clock.summary().startswith("read 0.0")
    assert ", work " in clock.summary()


def test_no_lap_is_a_callback_that_does_nothing() -> None:
    assert phases.no_lap("anything") is None
