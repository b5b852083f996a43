"""The engine pushes its facts on SimPy's event queue itself, in the layout of
``Environment.schedule``, and moves the clock when it handles a batch of
arrivals. These tests pin that contract to the installed SimPy: if a SimPy
release changes its queue, they fail here rather than as wrong timings.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from shiftsim.sim.engine import _duty_changes, _Engine, _Fact
from shiftsim.sim.roster import Roster


def test_a_fact_is_ordered_exactly_like_a_simpy_timeout() -> None:
    env = simpy.Environment()
    seen: list[tuple[str, float]] = []
    stub = SimpleNamespace(queue=env._queue, eid=env._eid)

    def fact(label: str, at: float) -> None:
        def callback(ev: _Fact) -> None:
            assert ev._value == 7
            seen.append((label, env.now))

        _Engine._at(stub, at, [callback], 7)  # type: ignore[arg-type]

    def timeout(label: str, delay: float) -> None:
        env.timeout(delay).callbacks.append(lambda _ev: seen.append((label, env.now)))

    timeout("timeout 1", 5.0)
    fact("fact at 5", 5.0)
    timeout("timeout 2", 5.0)
    fact("fact at 3", 3.0)
    env.run(until=10.0)
    # Earlier time first; at equal times, the order of scheduling.
    assert seen == [("fact at 3", 3.0), ("timeout 1", 5.0), ("fact at 5", 5.0), ("timeout 2", 5.0)]


def test_the_clock_moved_by_a_batch_of_arrivals_is_simpys_clock() -> None:
    env = simpy.Environment()
    env.run(until=1.0)
    env._now = 2.5  # what _arrivals does for an arrival due before any queued fact
    assert env.now == 2.5
    seen: list[float] = []
    env.timeout(1.0).callbacks.append(lambda _ev: seen.append(env.now))
    env.run(until=10.0)
    assert seen == [3.5]


def test_a_roster_with_overlapping_duty_intervals_is_refused() -> None:
    roster = Roster(
        agent_pool=np.array([0, 0], np.int16),
        agent_shift=np.array([0, 0], np.int16),
        shift_names=(("agents", "all"),),
        duty_agent=np.array([1, 0, 0], np.int32),
        duty_start=np.array([0.0, 0.0, 1000.0]),
        duty_end=np.array([9000.0, 5000.0, 6000.0]),
        on_duty_by_day=np.zeros((1, 1), np.int32),
    )
    with pytest.raises(ValueError, match=r"agent 0 overlap"):
        _duty_changes(roster)
    # Touching intervals are fine (off sorts before on at the same instant).
    touching = replace(roster, duty_start=np.array([0.0, 0.0, 5000.0]))
    changes = _duty_changes(touching)
    assert [(t, on, a) for t, on, a, _ in changes if t == 5000.0] == [
        (5000.0, False, 0),
        (5000.0, True, 0),
    ]
