"""Exact timelines with deterministic inputs, checked by hand."""

from __future__ import annotations

import math

import numpy as np
from conftest import BASE, run_timeline, scenario_from

from shiftsim.sim.records import Outcome

H = 3600.0
D = 86400.0


def test_fcfs_single_agent_waits() -> None:
    sc = scenario_from()
    res = run_timeline(sc, [{"t": 0.0}, {"t": 500.0}, {"t": 600.0}])
    log = res.log
    np.testing.assert_allclose(log.answered, [0.0, 1000.0, 2000.0])
    np.testing.assert_allclose(log.handled, [1000.0, 2000.0, 3000.0])
    np.testing.assert_allclose(log.resolved, log.handled)
    assert (log.outcome == Outcome.ANSWERED).all()


def test_arrival_at_the_instant_a_handle_ends_finds_the_agent_free() -> None:
    # The handle end at 1010 was on the clock before the arrivals at 1010 were
    # due, so it goes first (SimPy orders equal times by scheduling order).
    # Arrivals handled in a batch must keep exactly this order. (At 10, not 0:
    # agents come on duty at 0, after the first arrival was scheduled.)
    sc = scenario_from()
    log = run_timeline(sc, [{"t": 10.0}, {"t": 1010.0}, {"t": 1010.0}, {"t": 1500.0}]).log
    np.testing.assert_allclose(log.answered, [10.0, 1010.0, 2010.0, 3010.0])
    np.testing.assert_allclose(log.queued, [10.0, 1010.0, 1010.0, 1500.0])
    # With a second (less preferred) pool, the order shows in who answers: the
    # freed agent of the first pool, not the idle one of the second.
    pools = {
        "first": BASE["pools"]["agents"],
        "second": {**BASE["pools"]["agents"], "senior": True},
    }
    sc = scenario_from(pools=pools)
    log = run_timeline(sc, [{"t": 10.0}, {"t": 1010.0}, {"t": 1010.0}]).log
    np.testing.assert_array_equal(log.agent, [0, 0, 1])
    np.testing.assert_allclose(log.answered, [10.0, 1010.0, 1010.0])


def test_a_zero_length_fact_goes_before_an_arrival_at_the_same_instant() -> None:
    # Arrival 0 at 10 takes 0 s, so its handle end is due at 10, before arrival 1
    # (also at 10) whose fact would be scheduled after it: the freed agent of
    # the first pool answers arrival 1, not the idle one of the second.
    pools = {
        "first": BASE["pools"]["agents"],
        "second": {**BASE["pools"]["agents"], "senior": True},
    }
    log = run_timeline(scenario_from(pools=pools), [{"t": 10.0, "handle": 0.0}, {"t": 10.0}]).log
    np.testing.assert_array_equal(log.agent, [0, 0])
    # Likewise a bot session of 0 s hands its customer over before the next arrival.
    rows = [{"t": 10.0, "bot": True, "bot_session": 0.0}, {"t": 10.0}]
    log = run_timeline(scenario_from(), rows).log
    np.testing.assert_allclose(log.answered, [10.0, 1010.0])


def test_shift_change_and_overtime() -> None:
    # One agent on 08:00-09:00 only. A call at 08:50 runs 400 s past the end of
    # duty (overtime); one at 08:55 waits over night until 08:00 next day.
    pools = {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"early": {"start": "08:00", "end": "09:00", "headcount": 1}},
        }
    }
    sc = scenario_from(pools=pools)
    t1, t2 = 8 * H + 50 * 60, 8 * H + 55 * 60
    res = run_timeline(sc, [{"t": t1}, {"t": t2}])
    log = res.log
    assert log.answered[0] == t1
    assert log.handled[0] == t1 + 1000  # 09:06:40, past the end of duty
    assert log.answered[1] == D + 8 * H  # next morning
    assert log.agent[1] == 0
    # The agent left its first duty interval when the call in hand ended.
    assert res.duty_leave[0] == t1 + 1000


def test_rotation_day_off() -> None:
    # Rotation '10': day 0 at work, day 1 at rest, day 2 at work.
    pools = {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "10"},
            "shifts": {"day": {"headcount": 1}},
        }
    }
    sc = scenario_from(pools=pools)
    arrive = D + 9 * H  # 09:00 on the rest day
    res = run_timeline(sc, [{"t": arrive}])
    assert res.log.answered[0] == 2 * D + 8 * H


def test_priority_then_vip_then_time() -> None:
    sc = scenario_from()
    rows = [
        {"t": 0.0},  # occupies the agent until 1000
        {"t": 10.0, "priority": "general"},
        {"t": 20.0, "priority": "important", "vip": False},
        {"t": 30.0, "priority": "important", "vip": True},
        {"t": 40.0, "priority": "urgent"},
    ]
    log = run_timeline(sc, rows).log
    order = np.argsort(log.answered)
    # urgent (40), important VIP (30), important (20), general (10)
    np.testing.assert_array_equal(log.arrival[order], [0.0, 40.0, 30.0, 20.0, 10.0])


def test_chat_concurrency() -> None:
    channels = {
        "chat": {
            "kind": "chat",
            "concurrency": 2,
            "volume": {"per_day": 10},
            "handle_time": {"dist": "constant", "value": "100s"},
        }
    }
    pools = {"agents": {**BASE["pools"]["agents"], "channels": ["chat"]}}
    sc = scenario_from(channels=channels, pools=pools)
    rows = [{"t": 0.0, "handle": 100.0}, {"t": 0.0, "handle": 100.0}, {"t": 0.0, "handle": 100.0}]
    log = run_timeline(sc, rows).log
    np.testing.assert_allclose(np.sort(log.answered), [0.0, 0.0, 100.0])


def test_abandon_and_retry() -> None:
    channels = {
        "phone": {
            **BASE["channels"]["phone"],
            "patience": {"dist": "constant", "value": "50s"},
            "retry": {"share": 1.0, "delay": {"dist": "constant", "value": "10min"},
                      "max_attempts": 2},
        }
    }  # fmt: skip
    sc = scenario_from(channels=channels)
    rows = [{"t": 0.0}, {"t": 100.0, "patience": 50.0}]
    log = run_timeline(sc, rows).log
    assert len(log) == 3
    assert log.outcome[1] == Outcome.ABANDONED and log.abandoned[1] == 150.0
    # The retry comes back 10 min after hanging up.
    assert log.attempt[2] == 2 and log.customer[2] == log.customer[1]
    assert log.arrival[2] == 750.0
    # Patience of the retry (constant 50 s) would expire at 800 < 1000: it
    # abandons again and, being at max_attempts, does not come back.
    assert log.outcome[2] == Outcome.ABANDONED and log.abandoned[2] == 800.0


def test_bot_contains_or_hands_over() -> None:
    sc = scenario_from()
    rows = [
        {"t": 0.0, "bot": True, "bot_session": 120.0, "contained": True},
        {"t": 10.0, "bot": True, "bot_session": 120.0, "contained": False, "handle": 300.0},
    ]
    log = run_timeline(sc, rows).log
    assert log.outcome[0] == Outcome.DEFLECTED and log.resolved[0] == 120.0
    assert math.isnan(log.queued[0]) and log.agent[0] == -1
    assert log.queued[1] == 130.0 and log.answered[1] == 130.0 and log.resolved[1] == 430.0


def test_escalation_holds_case_until_department_answers() -> None:
    channels = {
        "phone": {
            **BASE["channels"]["phone"],
            "escalation": {"department": "tech", "share": 0.5},
        }
    }
    departments = {"tech": {"delay": {"dist": "constant", "value": "10min"}}}
    sc = scenario_from(channels=channels, departments=departments)
    rows = [
        {"t": 0.0, "handle": 300.0, "department": 0, "dept_delay": 600.0, "closing": 120.0},
        {"t": 100.0, "handle": 1000.0},
    ]
    log = run_timeline(sc, rows).log
    assert log.handled[0] == 300.0 and log.department[0] == 0
    assert log.dept_response[0] == 900.0
    # The only agent is on the second call until 1300; closing starts then.
    assert log.closing_start[0] == 1300.0 and log.resolved[0] == 1420.0
    assert log.closing_agent[0] == 0


def test_department_off_hours_delay() -> None:
    channels = {
        "phone": {**BASE["channels"]["phone"], "escalation": {"department": "tech", "share": 1}}
    }
    departments = {
        "tech": {
            "hours": ["08:00", "18:00"],
            "delay": {"dist": "constant", "value": "10min"},
            "off_hours_delay": {"dist": "constant", "value": "2h"},
        }
    }
    sc = scenario_from(channels=channels, departments=departments)
    rows = [
        {
            "t": 9 * H,
            "handle": 60.0,
            "department": 0,
            "dept_delay": 600.0,
            "dept_delay_off": 7200.0,
        },
        {
            "t": 20 * H,
            "handle": 60.0,
            "department": 0,
            "dept_delay": 600.0,
            "dept_delay_off": 7200.0,
        },
    ]
    log = run_timeline(sc, rows).log
    assert log.dept_response[0] - log.handled[0] == 600.0
    assert log.dept_response[1] - log.handled[1] == 7200.0


def test_waiting_customers_before_async_backlog() -> None:
    channels = {
        "phone": BASE["channels"]["phone"],
        "email": {
            "kind": "async",
            "volume": {"per_day": 10},
            "handle_time": {"dist": "constant", "value": "100s"},
        },
    }
    pools = {"agents": {**BASE["pools"]["agents"], "channels": ["phone", "email"]}}
    sc = scenario_from(channels=channels, pools=pools)
    rows = [
        {"t": 0.0},  # call until 1000
        {"t": 10.0, "channel": "email", "handle": 100.0, "due": 20.0},
        {"t": 20.0, "channel": "phone"},
    ]
    log = run_timeline(sc, rows).log
    assert log.answered[2] == 1000.0  # the waiting caller first
    assert log.answered[1] == 2000.0 and log.handled[1] == 2100.0


def test_vip_prefers_senior_pool_and_non_vip_pool_skips_vips() -> None:
    pools = {
        "juniors": {**BASE["pools"]["agents"], "takes_vip": False},
        "seniors": {**BASE["pools"]["agents"], "senior": True},
    }
    sc = scenario_from(pools=pools)
    rows = [{"t": 0.0, "vip": True}, {"t": 1.0, "vip": False}, {"t": 2.0, "vip": True}]
    log = run_timeline(sc, rows).log
    assert log.agent[0] == 1  # VIP to the senior
    assert log.agent[1] == 0  # the other to the junior
    # Second VIP waits for the senior although the junior frees up at the same time.
    assert log.agent[2] == 1 and log.answered[2] == 1000.0
