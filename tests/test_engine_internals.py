"""The engine uses SimPy through its public API only, and orders facts at one
instant by one rule (``sim/clock.py``): facts due at the same time are handled
in the order they were scheduled.
"""

from __future__ import annotations

import math
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
    clock.at(5.0, b, 2)
    env.timeout(5.0).callbacks.append(lambda _ev: seen.append(("timeout", 0, env.now)))
    clock.after(0.0, 5.0, a, 3)
    clock.after(0.0, 3.0, b, 4)
    clock.run(5.0 + 1e-9)
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
    clock.run(10.0)
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


def test_an_arrival_comes_after_every_other_fact_due_at_its_time() -> None:
    # Agent 0 (preferred pool) takes C from the queue at 100; C's handle end,
    # scheduled then, is due when D arrives at 1000, as agent 1 (free since
    # 550) waits: the end goes first, so D goes to the preferred agent 0.
    pools = {
        "first": BASE["pools"]["agents"],
        "second": {**BASE["pools"]["agents"], "senior": True},
    }
    rows = [
        {"t": 0.0, "handle": 100.0},
        {"t": 50.0, "handle": 500.0},
        {"t": 60.0, "handle": 900.0},
        {"t": 1000.0, "handle": 100.0},
    ]
    log = run_timeline(scenario_from(pools=pools), rows).log
    np.testing.assert_array_equal(log.agent, [0, 1, 0, 0])
    np.testing.assert_allclose(log.answered, [0.0, 50.0, 100.0, 1000.0])


def test_a_handover_from_the_bot_comes_after_every_fact_due_at_its_time() -> None:
    # B leaves the bot at 100 (50 + 50 s), when A's handle (60 + 40 s), scheduled
    # after B's handover was known, ends: as for an arrival, the end goes first, so
    # the preferred agent 0 is free for B (a fact for the handover, scheduled at
    # B's arrival, went first and sent B to agent 1).
    pools = {
        "first": BASE["pools"]["agents"],
        "second": {**BASE["pools"]["agents"], "senior": True},
    }
    rows = [
        {"t": 50.0, "bot": True, "bot_session": 50.0, "handle": 100.0},
        {"t": 60.0, "handle": 40.0},
    ]
    log = run_timeline(scenario_from(pools=pools), rows).log
    np.testing.assert_array_equal(log.agent, [0, 0])
    np.testing.assert_allclose(log.queued, [100.0, 60.0])
    np.testing.assert_allclose(log.answered, [100.0, 60.0])
    # A bot session of 0 s: the handover right after its own arrival, before the
    # next customer arriving then (who finds the only idle agent taken).
    rows = [{"t": 10.0, "bot": True, "bot_session": 0.0}, {"t": 10.0}]
    log = run_timeline(scenario_from(), rows).log
    np.testing.assert_allclose(log.answered, [10.0, 1010.0])


def test_an_arrival_at_a_shift_start_finds_its_agents_on_duty() -> None:
    # Both agents start at 0, when the first customer arrives: it goes to its
    # preferred (non-senior) pool at once, not to whoever comes on duty first.
    pools = {
        "seniors": {**BASE["pools"]["agents"], "senior": True},
        "juniors": BASE["pools"]["agents"],
    }
    log = run_timeline(scenario_from(pools=pools), [{"t": 0.0}, {"t": 0.0}]).log
    np.testing.assert_array_equal(log.agent, [1, 0])
    np.testing.assert_array_equal(log.answered, [0.0, 0.0])


def test_arrivals_and_facts_at_one_instant_in_the_clock() -> None:
    clock = Clock()
    env = clock.env
    seen: list[tuple[str, int, float]] = []

    def on_fact(ev: Fact) -> None:
        assert ev.due == env.now == clock.now
        seen.append(("fact", ev.row, ev.due))

    fact = clock.callbacks(on_fact)

    def arrive(k: int, now: float) -> None:
        seen.append(("arrival", k, now))
        if k == 1:
            # Ahead of SimPy's clock (5.0); due exactly at 6.0 and 7.5 all the same.
            clock.after(now, 0.0, fact, 9)  # before arrival 2, at the same instant
            clock.after(now, 1.5, fact, 8)  # after fact 1, scheduled before it for 7.5

    clock.after(0.0, 5.0, fact, 0)
    clock.after(0.0, 7.5, fact, 1)
    clock.run(100.0, [6.0, 6.0, 6.0, 7.5, 100.0], arrive)
    assert seen == [
        ("fact", 0, 5.0),
        ("arrival", 0, 6.0),
        ("arrival", 1, 6.0),
        ("fact", 9, 6.0),
        ("arrival", 2, 6.0),
        ("fact", 1, 7.5),
        ("fact", 8, 7.5),
        ("arrival", 3, 7.5),
    ]  # and nothing at the end of the run, 100.0


def test_arrivals_from_the_end_of_the_run_on_never_come() -> None:
    """Clock.run finds the arrivals before ``until`` once (bisection, as the engine
    hands them: a memoryview of sorted floats); a fact past the end does not let
    the later ones in."""
    clock = Clock()
    seen: list[tuple[int, float]] = []
    clock.after(0.0, 50.0, clock.callbacks(lambda ev: seen.append((-1, ev.due))), 0)
    arrivals = np.array([1.0, 9.0, 10.0, 10.0, 11.0]).data
    clock.run(10.0, arrivals, lambda k, now: seen.append((k, now)))
    assert seen == [(0, 1.0), (1, 9.0)]


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
        clock.at(now, clock.callbacks(lambda ev: None), 0)
        clock.run(math.nextafter(now, math.inf))
        assert clock.now == clock.env.now == now
    seen: list[float] = []
    clock.at(time, clock.callbacks(lambda ev: seen.append(clock.env.now)), 0)
    clock.run(time * 2 + 1)
    assert seen == [time]


@given(
    st.floats(0.0, 1e7, allow_nan=False, allow_infinity=False),
    st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
)
def test_a_fact_scheduled_by_an_arrival_is_due_at_its_time(
    stepped: float, gap: float, delay: float
) -> None:
    # SimPy's clock is at `stepped` while an arrival is handled at `arrival`.
    arrival = stepped + gap
    clock = Clock()
    seen: list[float] = []
    clock.at(stepped, clock.callbacks(lambda ev: None), 0)
    cbs = clock.callbacks(lambda ev: seen.append(clock.env.now))
    clock.run(math.inf, [arrival], lambda k, now: clock.after(now, delay, cbs, 1))
    assert seen == [arrival + delay]


def test_a_tie_no_delay_reaches_is_hopped() -> None:
    # Found in a holiday replication: from 63.58..., 208.68... cannot be reached in one step.
    now, time = 63.58392348029112, 208.68405815308418
    assert exact_delay(now, time) is None
    clock = Clock()
    clock.at(now, clock.callbacks(lambda ev: None), 0)
    clock.run(math.nextafter(now, math.inf))
    seen: list[float] = []
    clock.at(time, clock.callbacks(lambda ev: seen.append(clock.env.now)), 0)
    clock.run(1000.0)
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
