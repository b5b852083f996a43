"""Pools staffed by interval: schema, roster, and the engine's rules at level changes."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from conftest import BASE, run_timeline, scenario_from
from hypothesis import given
from hypothesis import strategies as st
from test_invariants import (
    HYPOTHESIS,
    check_capacity,
    check_duty_and_skills,
    check_metrics,
    check_outcomes,
    check_timestamps,
    idle_while_waiting,
    scenarios,
)

from shiftsim.analysis.metrics import measure
from shiftsim.model.loading import parse_scenario
from shiftsim.model.problems import ScenarioError
from shiftsim.sim.arrivals import Calendar
from shiftsim.sim.replication import run_replication
from shiftsim.sim.roster import INTERVALS, build_roster

H = 3600.0
D = 86400.0


def staffed(levels: list[int], **pool: Any) -> dict[str, Any]:
    """The pools of BASE with one phone pool staffed hourly by ``levels``."""
    return {"agents": {"channels": ["phone"], "staffing": {"levels": levels}, **pool}}


def hourly(*spans: tuple[int, int, int]) -> list[int]:
    """24 hourly levels from ``(from_hour, to_hour, level)`` spans (0 elsewhere)."""
    out = [0] * 24
    for lo, hi, level in spans:
        out[lo:hi] = [level] * (hi - lo)
    return out


# -- schema --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pool", "path", "message"),
    [
        (
            {"staffing": {"levels": [1] * 23}},
            "pools.agents.staffing.levels",
            "needs 24 levels, one per 1h of the day (got 23)",
        ),
        (
            {"staffing": {"interval": "15min", "levels": [1] * 24}},
            "pools.agents.staffing.levels",
            "needs 96 levels, one per 15min of the day (got 24)",
        ),
        (
            {"staffing": {"interval": "7min", "levels": [1] * 24}},
            "pools.agents.staffing.interval",
            "must divide the day into whole intervals of at least a minute, such as "
            "15min, 30min or 1h (got 7min)",
        ),
        (
            {"staffing": {"levels": [1] * 24, "weekdays": {"fri": [2] * 23}}},
            "pools.agents.staffing.weekdays",
            "fri: needs 24 levels, one per 1h of the day (got 23)",
        ),
        (
            {"staffing": {"levels": [1] * 24}, "shifts": {"day": {"headcount": 2}}},
            "pools.agents",
            "a pool has either shifts or staffing by interval, not both "
            "(got shifts day and staffing)",
        ),
        ({}, "pools.agents", "a pool needs shifts, or staffing by interval (got neither)"),
        (
            {"staffing": {"levels": [1] * 24}, "rotation": {"pattern": "1"}},
            "pools.agents",
            "rotation applies to shifts; staffing levels are the agents on duty each day "
            "(got a rotation with staffing)",
        ),
        (
            {"staffing": {"levels": [1] * 24}, "absence": 0.05},
            "pools.agents",
            "absence applies to shifts; staffing levels count the agents present "
            "(got absence: 0.05 with staffing)",
        ),
    ],
)
def test_bad_staffing_is_reported_with_its_path(pool: dict, path: str, message: str) -> None:
    data = copy.deepcopy(BASE)
    data["pools"] = {"agents": {"channels": ["phone"], **pool}}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, source="center.yaml")
    assert f"center.yaml: {path}: {message}" in str(err.value).splitlines()


def test_staffing_round_trips_through_to_dict() -> None:
    sc = scenario_from(pools=staffed([2] * 24, staffing={"interval": "30min", "levels": [2] * 48}))
    again = parse_scenario(sc.to_dict())
    assert again.pools["agents"].staffing == sc.pools["agents"].staffing


# -- roster --------------------------------------------------------------------
def _roster(sc: Any) -> Any:
    cal = Calendar.of(sc)
    return build_roster(sc, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)


def _present(roster: Any, t: np.ndarray) -> np.ndarray:
    """Agents with nominal duty at each time of ``t``."""
    inside = (roster.duty_start[None, :] <= t[:, None]) & (t[:, None] < roster.duty_end[None, :])
    return inside.sum(axis=1)


def test_the_roster_gives_the_level_of_each_interval_weekdays_included() -> None:
    # 2026-03-02 is a Monday; Wednesday (day 2) has its own levels.
    levels = hourly((0, 8, 1), (8, 18, 4), (18, 24, 2))
    wed = hourly((8, 12, 6))
    sc = scenario_from(pools=staffed(levels, staffing={"levels": levels, "weekdays": {"wed": wed}}))
    roster = _roster(sc)
    assert roster.shift_names == (("agents", INTERVALS),)
    np.testing.assert_array_equal(roster.headcount(), [6])  # the highest level
    np.testing.assert_array_equal(roster.on_duty_by_day[:3, 0], [4, 4, 6])
    t = np.arange(0, 3 * D, 900.0) + 450.0
    expected = np.array([levels, levels, wed]).ravel().repeat(4)
    np.testing.assert_array_equal(_present(roster, t), expected)


def test_shrinkage_takes_its_share_of_every_interval_spread_over_it() -> None:
    # One agent at night with 25% shrinkage: away 15 min of every hour, not a
    # whole 2-hour block (which would leave the night without anyone).
    levels = hourly((0, 8, 1), (8, 24, 4))
    sc = scenario_from(pools=staffed(levels, shrinkage=0.25))
    roster = _roster(sc)
    t = np.arange(0, D, 10.0) + 5.0
    per_hour = _present(roster, t).reshape(24, -1).mean(axis=1)
    np.testing.assert_allclose(per_hour, np.array(levels) * 0.75, atol=1e-9)
    present = _present(roster, t).reshape(24, -1)
    assert present[8:].min() == 3 and present[8:].max() == 3  # 4 x 25% = 1 away at a time


# -- engine --------------------------------------------------------------------
def test_when_the_level_drops_idle_agents_leave_longest_idle_first() -> None:
    # Three agents from 00:00 (they come on in order: agent 0 has idled
    # longest); agent 0 takes a call 08:00-08:10, so at 09:00 agent 1 has idled
    # longest and leaves when the level drops to 2; the call at 09:30 goes to
    # agent 2, idle longer than agent 0.
    levels = hourly((0, 9, 3), (9, 24, 2))
    sc = scenario_from(pools=staffed(levels))
    res = run_timeline(sc, [{"t": 8 * H, "handle": 600.0}, {"t": 9.5 * H, "handle": 60.0}])
    np.testing.assert_array_equal(res.log.agent, [0, 2])
    w = res.worked
    assert w is not None
    first = w.duty_start == 0.0
    assert (
        dict(zip(w.duty_agent[first].tolist(), w.duty_end[first].tolist(), strict=True))[1] == 9 * H
    )


def test_idle_agents_leave_before_busy_ones() -> None:
    # At 10:00 the level drops from 3 to 1 while agent 0 is on a call until
    # 10:10: the two idle agents leave at once, the busy one stays, and the call
    # at 10:05 waits for it.
    levels = hourly((0, 10, 3), (10, 24, 1))
    sc = scenario_from(pools=staffed(levels))
    rows = [{"t": 9 * H + 50 * 60, "handle": 1200.0}, {"t": 10 * H + 5 * 60, "handle": 60.0}]
    res = run_timeline(sc, rows)
    np.testing.assert_array_equal(res.log.agent, [0, 0])
    assert res.log.answered[1] == 10 * H + 10 * 60


def _two_long_calls() -> list[dict[str, float]]:
    # Both agents busy from 09:40 / 09:45 to 11:10 / 11:15; a third call at 11:05.
    return [
        {"t": 9 * H + 40 * 60, "handle": 5400.0},
        {"t": 9 * H + 45 * 60, "handle": 5400.0},
        {"t": 11 * H + 5 * 60, "handle": 600.0},
    ]


def test_a_busy_agent_due_to_leave_is_recalled_not_replaced() -> None:
    # The level drops to 1 at 10:00 while both agents are busy: one of them owes
    # its departure. At 11:00 the level is 2 again: that agent stays (recalled)
    # and agent 2, off until 20:00, is not brought in. So the call at 11:05
    # waits for agent 0, free at 11:10.
    levels = hourly((0, 10, 2), (10, 11, 1), (11, 20, 2), (20, 24, 3))
    res = run_timeline(scenario_from(pools=staffed(levels)), _two_long_calls())
    assert res.log.agent[2] == 0 and res.log.answered[2] == 11 * H + 10 * 60
    _assert_one_recalled(res)


def _assert_one_recalled(res: Any) -> None:
    """Day 0 as worked: agents 0 and 1 from 00:00; one of them due to leave at
    10:00, recalled at 11:00 (10:00-11:00 is overtime, duty again from 11:00);
    agent 2 from 20:00 only."""
    w = res.worked
    assert w is not None
    day0 = w.duty_start < D
    duty = sorted(
        zip(
            w.duty_agent[day0].tolist(),
            w.duty_start[day0].tolist(),
            w.duty_end[day0].tolist(),
            res.duty_leave[day0].tolist(),
            strict=True,
        )
    )
    recalled = [d for d in duty if d[2] == 10 * H]
    assert len(recalled) == 1 and recalled[0][1:] == (0.0, 10 * H, 11 * H)
    a = recalled[0][0]
    assert [d[:2] for d in duty] == sorted([(0, 0.0), (1, 0.0), (a, 11 * H), (2, 20 * H)])


def test_a_busy_agent_due_to_leave_leaves_after_the_contact_in_hand() -> None:
    # Same calls, but the level stays at 1 from 10:00: the first agent to finish
    # (agent 0, at 11:10) leaves then, 70 min after its duty ended (overtime);
    # the call at 11:05 waits for agent 1 (11:15).
    levels = hourly((0, 10, 2), (10, 20, 1), (20, 24, 3))
    res = run_timeline(scenario_from(pools=staffed(levels)), _two_long_calls())
    assert res.log.agent[2] == 1 and res.log.answered[2] == 11 * H + 15 * 60
    w = res.worked
    assert w is not None
    i = int(np.flatnonzero((w.duty_agent == 0) & (w.duty_start == 0.0))[0])
    assert w.duty_end[i] == 10 * H
    assert res.duty_leave[i] == 11 * H + 10 * 60


CHAT = {
    "chat": {
        "kind": "chat",
        "concurrency": 2,
        "volume": {"per_day": 10},
        "handle_time": {"dist": "constant", "value": "100s"},
    }
}


def _chat_pool(levels: list[int]) -> dict[str, Any]:
    return {"agents": {"channels": ["chat"], "staffing": {"levels": levels}}}


def _chats(a_until: float, c_until: float) -> list[dict[str, float]]:
    # Chat A (09:50) and chat B (09:51-09:55) go to agent 0; chat C (09:52) to
    # agent 1. From 09:55 both agents hold one chat and have a free slot.
    return [
        {"t": 9 * H + 50 * 60, "handle": a_until - (9 * H + 50 * 60)},
        {"t": 9 * H + 51 * 60, "handle": 240.0},
        {"t": 9 * H + 52 * 60, "handle": c_until - (9 * H + 52 * 60)},
    ]


def test_an_agent_with_free_chat_slots_is_due_to_leave_and_takes_no_new_chat() -> None:
    # At 10:00 the level drops to 1 with no idle agent: agent 1, first in line
    # for chats, is due to leave; it finishes chat C (10:40, overtime) and takes
    # no new chat, so chat E at 10:05 goes to agent 0's free slot.
    levels = hourly((0, 10, 2), (10, 24, 1))
    sc = scenario_from(channels=CHAT, pools=_chat_pool(levels))
    rows = [*_chats(11 * H, 10 * H + 40 * 60), {"t": 10 * H + 5 * 60, "handle": 60.0}]
    res = run_timeline(sc, rows)
    np.testing.assert_array_equal(res.log.agent, [0, 0, 1, 0])
    assert res.log.answered[3] == 10 * H + 5 * 60
    w = res.worked
    assert w is not None
    i = int(np.flatnonzero((w.duty_agent == 1) & (w.duty_start == 0.0))[0])
    assert (w.duty_end[i], res.duty_leave[i]) == (10 * H, 10 * H + 40 * 60)


def test_an_agent_with_free_chat_slots_due_to_leave_is_recalled() -> None:
    # As above, but the level is 2 again at 11:00 while agent 1 still chats
    # (until 12:00): it stays, and agent 2 (off until 20:00) is not brought in.
    levels = hourly((0, 10, 2), (10, 11, 1), (11, 20, 2), (20, 24, 3))
    sc = scenario_from(channels=CHAT, pools=_chat_pool(levels))
    res = run_timeline(sc, _chats(12 * H, 12 * H))
    _assert_one_recalled(res)
    w = res.worked
    assert w is not None
    assert 1 in w.duty_agent[w.duty_start == 11 * H]  # agent 1 it is


def test_kpis_read_the_duty_as_worked() -> None:
    levels = hourly((0, 7, 1), (7, 19, 5), (19, 24, 2))
    data = copy.deepcopy(BASE)
    data["channels"]["phone"]["volume"] = {"per_day": 600, "daily_cv": 0}
    data["channels"]["phone"]["handle_time"] = {"dist": "exponential", "mean": "6min"}
    data["pools"] = staffed(levels, shrinkage=0.1)
    sc = parse_scenario(data)
    rep = run_replication(sc, 0)
    m = measure(rep, sc)
    days = sc.horizon.days
    nominal = sum(levels) * H * 0.9 * days
    # Available time: the levels after shrinkage, plus overtime.
    assert m.available[0] == pytest.approx(nominal + m.overtime[0], rel=1e-9)
    assert 0 < m.busy[0] <= m.available[0]


# -- invariants ----------------------------------------------------------------
@st.composite
def interval_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Random scenarios of tests/test_invariants.py with some pools staffed by interval."""
    data = draw(scenarios())
    pools = list(data["pools"].values())
    chosen = draw(st.lists(st.booleans(), min_size=len(pools), max_size=len(pools)))
    chosen[0] = True  # at least one
    for pool, by_interval in zip(pools, chosen, strict=True):
        if not by_interval:
            continue
        for key in ("shifts", "rotation", "absence"):
            pool.pop(key, None)
        per_day = draw(st.sampled_from([24, 48]))
        levels = draw(st.lists(st.integers(0, 4), min_size=per_day, max_size=per_day))
        staffing: dict[str, Any] = {"interval": "1h" if per_day == 24 else "30min",
                                    "levels": levels}  # fmt: skip
        if draw(st.booleans()):
            day = draw(st.sampled_from(["mon", "tue", "wed", "sat"]))
            staffing["weekdays"] = {
                day: draw(st.lists(st.integers(0, 6), min_size=per_day, max_size=per_day))
            }
        pool["staffing"] = staffing
    return data


@pytest.mark.slow
def test_invariants_hold_with_pools_staffed_by_interval() -> None:
    seen = dict.fromkeys(["owed", "waiting", "chats"], False)

    @HYPOTHESIS
    @given(interval_scenarios())
    def check(data: dict[str, Any]) -> None:
        scenario = parse_scenario(data, source="<random>")
        rep = run_replication(scenario, 0)
        check_outcomes(rep)
        check_timestamps(rep)
        check_capacity(rep, scenario)
        check_duty_and_skills(rep, scenario)
        check_metrics(rep, scenario)
        assert idle_while_waiting(rep, scenario) == []
        r = rep.roster
        # The duty as worked never overlaps for one agent, and never exceeds the level.
        order = np.lexsort((r.duty_start, r.duty_agent))
        a, s, e = r.duty_agent[order], r.duty_start[order], r.duty_end[order]
        assert not ((a[1:] == a[:-1]) & (s[1:] < e[:-1] - 1e-9)).any()
        seen["owed"] |= bool((rep.result.duty_leave > r.duty_end + 1).any())
        seen["waiting"] |= bool((rep.result.log.answered - rep.result.log.queued > 60).any())
        seen["chats"] |= any(c.kind == "chat" for c in scenario.channels.values())

    check()
    assert all(seen.values()), seen
