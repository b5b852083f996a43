"""The engine uses SimPy through its public API only, and orders facts at one
instant by one rule (``sim/clock.py``): facts due at the same time are handled
in the order they were scheduled.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import simpy
from conftest import BASE, run_timeline, scenario_from
from hypothesis import given
from hypothesis import strategies as st

from shiftsim.sim.clock import Clock, Fact, exact_delay
from shiftsim.sim.duty import OFF, ON, duty_changes
from shiftsim.sim.roster import Roster

SRC = Path(__file__).resolve().parents[1] / "src"

# SimPy's private attributes (Environment, Event, Timeout, Process) and the
# ways the engine used to reach them.
PRIVATE_SIMPY = re.compile(
    r"\.(_queue|_eid|_now|_ok|_value|_delay|_defused|_active_proc|_target|_resume)\b"
    r"|object\.__new__|simpy\.core|simpy\._"
)


def test_no_source_file_reaches_into_simpy_internals() -> None:
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_SIMPY.search(line)
    ]
    assert found == []


def test_the_pattern_catches_what_the_old_engine_did() -> None:
    # The check above must be able to fail: these are lines of the old engine.
    for line in (
        "self.queue = self.env._queue",
        "self.eid = self.env._eid",
        "env._now = now = t",
        "fact = object.__new__(_Fact)",
        "from simpy.core import NORMAL",
        "i = ev._value",
    ):
        assert PRIVATE_SIMPY.search(line), line
    assert not PRIVATE_SIMPY.search("probs = self._queue_probs")


def test_facts_at_one_instant_are_handled_in_scheduling_order() -> None:
    clock = Clock()
    env = clock.env
    seen: list[tuple[str, int, float]] = []

    def handler(label: str):  # noqa: ANN202 - a callback factory
        def handle(ev: Fact) -> None:
            assert ev.due == env.now  # a fact's own time is SimPy's clock
            seen.append((label, ev.row, env.now))
            if label == "a" and ev.row == 1:
                # Scheduled while handling an instant: after what is already due then.
                clock.after(env.now, 0.0, b, 9)

        return clock.callbacks(handle)

    a, b = handler("a"), handler("b")
    clock.after(0.0, 5.0, a, 1)
    clock.at(0.0, 5.0, b, 2)
    env.timeout(5.0).callbacks.append(lambda _ev: seen.append(("timeout", 0, env.now)))
    clock.after(0.0, 5.0, a, 3)
    clock.after(0.0, 3.0, b, 4)
    env.run(until=5.0 + 1e-9)
    assert seen == [
        ("b", 4, 3.0),
        ("a", 1, 5.0),
        ("b", 2, 5.0),
        ("timeout", 0, 5.0),
        ("a", 3, 5.0),
        ("b", 9, 5.0),
    ]
    # Processed facts were recycled and reused rather than created anew.
    assert len(clock.spare) >= 1


def test_nothing_due_at_the_end_of_the_run_happens() -> None:
    clock = Clock()
    seen: list[int] = []
    cbs = clock.callbacks(lambda ev: seen.append(ev.row))
    clock.after(0.0, 10.0, cbs, 1)
    clock.after(0.0, 9.5, cbs, 0)
    clock.env.run(until=10.0)
    assert seen == [0]


def test_the_ordering_rule_in_the_engine() -> None:
    # A handle that ends at the instant of the next arrival was scheduled
    # before that arrival's fact, so it goes first: the agent of the first pool
    # is free again and answers, not the idle agent of the second pool.
    pools = {
        "first": BASE["pools"]["agents"],
        "second": {**BASE["pools"]["agents"], "senior": True},
    }
    log = run_timeline(scenario_from(pools=pools), [{"t": 10.0}, {"t": 1010.0}]).log
    np.testing.assert_array_equal(log.agent, [0, 0])
    # Three arrivals at one instant with one agent: the first is answered at
    # once, the others are queued in arrival order.
    log = run_timeline(scenario_from(), [{"t": 10.0}] * 3).log
    np.testing.assert_allclose(log.answered, [10.0, 1010.0, 2010.0])


@given(
    st.floats(0.0, 1e7, allow_nan=False, allow_infinity=False),
    st.floats(0.0, 1e7, allow_nan=False, allow_infinity=False),
)
def test_an_absolute_time_is_reached_exactly(a: float, b: float) -> None:
    now, time = min(a, b), max(a, b)
    delay = exact_delay(now, time)
    if delay is not None:
        assert now + delay == time
    else:
        assert now < time / 2  # Sterbenz: otherwise time - now is exact
    # Either way a fact scheduled for `time` is handled with SimPy's clock at `time`.
    clock = Clock()
    if now > 0:
        clock.env.run(until=now)
    seen: list[float] = []
    clock.at(clock.env.now, time, clock.callbacks(lambda ev: seen.append(clock.env.now)), 0)
    clock.env.run(until=time * 2 + 1)
    assert seen == [time]


def test_a_tie_no_delay_reaches_is_hopped() -> None:
    # Found in a holiday replication: from 63.58..., 208.68... cannot be reached in one step.
    now, time = 63.58392348029112, 208.68405815308418
    assert exact_delay(now, time) is None
    clock = Clock()
    clock.env.run(until=now)
    seen: list[float] = []
    clock.at(now, time, clock.callbacks(lambda ev: seen.append(clock.env.now)), 0)
    clock.env.run(until=1000.0)
    assert seen == [time]


def test_every_fact_is_handled_at_its_due_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine reads the time from the fact; it must be SimPy's clock.
    checked: list[int] = []
    original = Clock.callbacks

    def checking(self: Clock, handler):  # noqa: ANN001, ANN202
        def handle(ev: Fact) -> None:
            assert ev.due == self.env.now
            checked.append(1)
            handler(ev)

        return original(self, handle)

    monkeypatch.setattr(Clock, "callbacks", checking)
    channels = {
        "phone": {
            **BASE["channels"]["phone"],
            "patience": {"dist": "constant", "value": "50s"},
            "retry": {"share": 1.0, "delay": {"dist": "constant", "value": "10min"}},
            "escalation": {"department": "tech", "share": 0.5},
        }
    }
    departments = {"tech": {"delay": {"dist": "constant", "value": "10min"}}}
    sc = scenario_from(channels=channels, departments=departments)
    rows = [
        {"t": 0.3, "handle": 300.1, "department": 0, "dept_delay": 600.7, "closing": 120.2},
        {"t": 100.9, "patience": 50.0, "bot": True, "bot_session": 33.3},
        {"t": 7000.1},
    ]
    run_timeline(sc, rows)
    assert len(checked) >= 8


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
        duty_changes(roster)
    # Touching intervals are fine (off sorts before on at the same instant).
    touching = replace(roster, duty_start=np.array([0.0, 0.0, 5000.0]))
    changes = duty_changes(touching)
    assert [(t, kind, a) for t, kind, a, _ in changes if t == 5000.0] == [
        (5000.0, OFF, 0),
        (5000.0, ON, 0),
    ]


def test_simpy_is_the_installed_public_api() -> None:
    # What the engine relies on, by name: all public.
    env = simpy.Environment()
    for name in ("schedule", "run", "now", "peek", "timeout"):
        assert hasattr(env, name)
    assert issubclass(Fact, simpy.Timeout)
