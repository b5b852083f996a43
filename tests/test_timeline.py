"""Exact timelines with deterministic inputs, checked by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from conftest import BASE, run_timeline, scenario_from

from shiftsim.model.scenario import Scenario
from shiftsim.sim.records import Outcome
from shiftsim.sim.replication import clears_queue_at_close

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
    # The handle end at 1010 was scheduled before the fact of the arrivals at
    # 1010, so it goes first (equal times: scheduling order, sim/clock.py).
    # (At 10, not 0: agents come on duty at 0, after the first arrival was
    # scheduled.)
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


def _break_pool() -> dict:
    # Two agents on 09:00-11:00 with 25% shrinkage: agent j of 2 takes its
    # 30-min block at j/2 of the shift, so agent 0 is away 09:00-09:30 and
    # agent 1 is away 10:00-10:30.
    return {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shrinkage": 0.25,
            "shifts": {"late": {"start": "09:00", "end": "11:00", "headcount": 2}},
        }
    }


def test_longest_idle_first_after_a_break() -> None:
    # Agent 1 idles from 09:00 and leaves on its break at 10:00; agent 0 idles
    # from 09:30. Back at 10:30, agent 1 has been idle one minute when a call
    # comes at 10:31, agent 0 sixty-one minutes: agent 0 takes it. (Before the
    # fix, agent 1's entry from 09:00 became good again on its return and it
    # took the call.)
    sc = scenario_from(pools=_break_pool())
    res = run_timeline(sc, [{"t": 10 * H + 31 * 60, "handle": 60.0}])
    assert res.log.agent[0] == 0
    # And the other way round: a call at 10:15, while agent 1 is away, goes to
    # agent 0; agent 1, back at 10:30, takes the next call (agent 0 busy).
    rows = [{"t": 10 * H + 15 * 60, "handle": 3000.0}, {"t": 10 * H + 40 * 60, "handle": 60.0}]
    log = run_timeline(sc, rows).log
    np.testing.assert_array_equal(log.agent, [0, 1])


def test_touching_duty_intervals_keep_the_agents_idle_place() -> None:
    # Agent 0 works 00:00-24:00 every day: its intervals touch at midnight, so
    # it never leaves and stays the longest idle; agent 1 (night shift,
    # 22:00-06:00) came at 22:00. The call at 00:01 goes to agent 0.
    pools = {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {
                "all": {"start": "00:00", "end": "24:00", "headcount": 1},
                "night": {"start": "22:00", "end": "06:00", "headcount": 1},
            },
        }
    }
    res = run_timeline(scenario_from(pools=pools), [{"t": D + 60.0, "handle": 60.0}])
    assert res.log.agent[0] == 0


# Phone open 06:00-22:00: no calls expected at night.
OPEN_6_22 = [0] * 6 + [1] * 16 + [0] * 2


def _phone(profile: list[int]) -> dict[str, Any]:
    volume = {"per_day": 100, "hourly_profile": profile}
    return {"phone": {**BASE["channels"]["phone"], "volume": volume}}


def _closing_center(profile: list[int], **pool: Any) -> Scenario:
    pools = {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"day": {"start": "06:00", "end": "22:00", "headcount": 1}},
            **pool,
        }
    }
    return scenario_from(channels=_phone(profile), pools=pools)


CLOSING_CALLS = [
    {"t": 21 * H + 50 * 60, "handle": 600.0},  # in hand when duty ends at 22:00
    {"t": 21 * H + 55 * 60, "handle": 600.0},
    {"t": 21 * H + 58 * 60, "handle": 600.0},
]


def test_the_last_agent_clears_the_queue_when_the_channel_closes() -> None:
    # Duty ends at 22:00 with two callers waiting and no calls expected after
    # 22:00: the agent answers them (22:00, 22:10) and leaves at 22:20.
    res = run_timeline(_closing_center(OPEN_6_22), CLOSING_CALLS)
    np.testing.assert_allclose(res.log.answered, [21 * H + 50 * 60, 22 * H, 22 * H + 600])
    np.testing.assert_array_equal(res.log.agent, [0, 0, 0])
    assert res.duty_leave[0] == 22 * H + 1200  # 20 min of overtime on day 0


def test_without_clearing_callers_wait_for_the_morning() -> None:
    sc = _closing_center(OPEN_6_22, clear_queue_at_close=False)
    res = run_timeline(sc, CLOSING_CALLS)
    np.testing.assert_allclose(res.log.answered[1:], [D + 6 * H, D + 6 * H + 600])
    assert res.duty_leave[0] == 22 * H


def test_an_open_channel_is_not_cleared() -> None:
    # Calls are expected at 22:00-24:00 (closed only at night): the agent leaves
    # at 22:00 after the call in hand, the others wait (the default still
    # clears, because the profile has closed hours).
    open_6_24 = [0] * 6 + [1] * 18
    res = run_timeline(_closing_center(open_6_24), CLOSING_CALLS)
    np.testing.assert_allclose(res.log.answered[1:], [D + 6 * H, D + 6 * H + 600])
    assert res.duty_leave[0] == 22 * H


def test_a_pool_staffed_by_interval_clears_the_queue_at_closing() -> None:
    pools = {"agents": {"channels": ["phone"], "staffing": {"levels": OPEN_6_22}}}
    sc = scenario_from(channels=_phone(OPEN_6_22), pools=pools)
    res = run_timeline(sc, CLOSING_CALLS)
    np.testing.assert_allclose(res.log.answered, [21 * H + 50 * 60, 22 * H, 22 * H + 600])
    w = res.worked
    assert w is not None
    k = int(np.flatnonzero(w.duty_start == 6 * H)[0])
    assert (w.duty_end[k], res.duty_leave[k]) == (22 * H, 22 * H + 1200)


def test_clearing_is_on_by_default_only_where_a_channel_has_closed_hours() -> None:
    assert clears_queue_at_close(_closing_center(OPEN_6_22), "agents")
    assert not clears_queue_at_close(_closing_center([1] * 24), "agents")
    assert clears_queue_at_close(_closing_center([1] * 24, clear_queue_at_close=True), "agents")
