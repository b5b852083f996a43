"""The engine pushes its facts on SimPy's event queue itself, in the layout of
``Environment.schedule``, and moves the clock when it handles a batch of
arrivals. These tests pin that contract to the installed SimPy: if a SimPy
release changes its queue, they fail here rather than as wrong timings.
"""

from __future__ import annotations

from types import SimpleNamespace

import simpy

from shiftsim.engine import _Engine, _Fact


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
