"""Who is on duty: rotation stagger, random absence, and how results report them."""

from __future__ import annotations

import copy
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from shiftsim.analysis.runner import run
from shiftsim.cli import main
from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.loading import parse_scenario
from shiftsim.model.problems import Problem, ScenarioError
from shiftsim.model.scenario import Scenario
from shiftsim.planning.check import agents_by_hour, check_result
from shiftsim.sim.arrivals import Calendar
from shiftsim.sim.replication import run_replication
from shiftsim.sim.roster import Roster, build_roster, rotation_offsets

HEADCOUNTS = range(1, 61)


def center(
    pools: dict[str, Any], days: int = 3, per_day: float = 10, handle: str = "5min", **top: Any
) -> Scenario:
    """A phone line (quiet by default) answered by the given pools."""
    data: dict[str, Any] = {
        "horizon": {"start": "2026-03-02", "days": days},
        "replications": 1,
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {"per_day": per_day},
                "handle_time": {"dist": "exponential", "mean": handle},
            }
        },
        "pools": pools,
    }
    data.update(top)
    return parse_scenario(copy.deepcopy(data))


def one_shift_per_headcount(rotation: dict[str, Any]) -> Scenario:
    """One pool, one 08:00-16:00 shift for each headcount 1..60."""
    shifts = {f"h{h}": {"start": "08:00", "end": "16:00", "headcount": h} for h in HEADCOUNTS}
    return center({"agents": {"channels": ["phone"], "rotation": rotation, "shifts": shifts}})


def cycle_of(rotation: dict[str, Any]) -> tuple[bool, ...]:
    if "pattern" in rotation:
        return tuple(c == "1" for c in rotation["pattern"])
    return (True,) * rotation["work"] + (False,) * rotation["rest"]


def on_duty_over_a_cycle(scenario: Scenario, period: int) -> np.ndarray:
    return build_roster(scenario, 0, period, period * DAY).rostered_by_day  # [day, shift]


# -- even stagger ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rotation", [{"work": 4, "rest": 2}, {"work": 5, "rest": 2}, {"pattern": "1111100"}]
)
def test_daily_coverage_varies_by_at_most_one_agent(rotation: dict[str, Any]) -> None:
    cycle = cycle_of(rotation)
    period, work = len(cycle), sum(cycle)
    per_day = on_duty_over_a_cycle(one_shift_per_headcount(rotation), period)
    spread = per_day.max(axis=0) - per_day.min(axis=0)
    bad = {h: per_day[:, j].tolist() for j, h in enumerate(HEADCOUNTS) if spread[j] > 1}
    assert not bad, f"on duty per day over the cycle: {bad}"
    # The mean over a cycle is exactly headcount x work / cycle.
    np.testing.assert_allclose(per_day.mean(axis=0), np.array(HEADCOUNTS) * work / period)


def test_the_defect_examples_are_now_even() -> None:
    per_day = on_duty_over_a_cycle(one_shift_per_headcount({"work": 4, "rest": 2}), 6)
    # Was 2,2,2,1,0,1 / 3,3,2,1,1,2 / 6,6,6,5,4,5 / 7,7,6,5,5,6 with offsets i mod 6.
    for h, values in ((2, [1, 2]), (3, [2]), (8, [5, 6]), (9, [6])):
        assert sorted(set(per_day[:, h - 1].tolist())) == values, h


def test_whole_crews_keep_offsets_i_mod_cycle() -> None:
    np.testing.assert_array_equal(rotation_offsets((True,) * 4 + (False,) * 2, 12),
                                  np.arange(12) % 6)  # fmt: skip
    # Left over agents spread evenly: floor(j * 6 / 3) = 0, 2, 4.
    np.testing.assert_array_equal(rotation_offsets((True,) * 4 + (False,) * 2, 9),
                                  [0, 1, 2, 3, 4, 5, 0, 2, 4])  # fmt: skip


@pytest.mark.parametrize("pattern", ["0111100", "1000111", "11001110011000", "1101100"])
def test_rotated_and_split_patterns_stay_within_one(pattern: str) -> None:
    # A block that wraps round the cycle, and patterns with several work blocks
    # (the Panama 2-2-3 rota) for which a spread of one exists.
    cycle = tuple(c == "1" for c in pattern)
    period = len(cycle)
    for h in HEADCOUNTS:
        offsets = rotation_offsets(cycle, h)
        per_day = [sum(cycle[(d + o) % period] for o in offsets) for d in range(period)]
        assert max(per_day) - min(per_day) <= 1, (pattern, h, per_day)


def test_a_spread_of_one_is_not_always_possible() -> None:
    # '101000' with 3 agents: the even days and the odd days are two 3-cycles,
    # each with 0..3 agents whose coverage is {0}, {0,1}, {1,2} or {2}: no split
    # of 3 agents gives a spread below two. The search finds that best spread.
    cycle = tuple(c == "1" for c in "101000")
    offsets = rotation_offsets(cycle, 3)
    per_day = [sum(cycle[(d + o) % 6] for o in offsets) for d in range(6)]
    assert max(per_day) - min(per_day) == 2


def test_no_stagger_puts_everyone_on_the_same_days() -> None:
    sc = center({"agents": {"channels": ["phone"], "rotation": {"stagger": False},
                            "shifts": {"day": {"headcount": 5}}}})  # fmt: skip
    np.testing.assert_array_equal(on_duty_over_a_cycle(sc, 6)[:, 0], [5, 5, 5, 5, 0, 0])


# -- random absence ---------------------------------------------------------------


def absent_center(absence: float, night: int = 4, other: int = 7) -> Scenario:
    return center({
        "agents": {
            "channels": ["phone"], "absence": absence,
            "shifts": {"day": {"start": "08:00", "end": "16:00", "headcount": 20},
                       "night": {"start": "16:00", "end": "24:00", "headcount": night}},
        },
        "others": {
            "channels": ["phone"], "absence": absence, "shrinkage": 0.25,
            "shifts": {"late": {"start": "10:00", "end": "18:00", "headcount": other}},
        },
    }, days=12)  # fmt: skip


def roster_of(scenario: Scenario, replication: int | None) -> Roster:
    cal = Calendar.of(scenario)
    n_days = cal.arrival_days + cal.drain_days
    return build_roster(scenario, -cal.warmup_days, n_days, cal.end, replication)


def duty_days(scenario: Scenario, roster: Roster) -> dict[tuple[str, str], set[tuple[int, int]]]:
    """Per shift: the (agent of the shift, day) pairs with any duty that day."""
    first = np.concatenate([[0], np.cumsum(roster.headcount())])  # agents go shift by shift
    out: dict[tuple[str, str], set[tuple[int, int]]] = {n: set() for n in roster.shift_names}
    for a, s in zip(roster.duty_agent, roster.duty_start, strict=True):
        j = int(roster.agent_shift[a])
        pool, shift = roster.shift_names[j]
        start = scenario.pools[pool].shifts[shift].start
        out[(pool, shift)].add((int(a - first[j]), int((s - start) // DAY)))
    return out


def test_absence_zero_is_the_planned_roster_exactly() -> None:
    sc = absent_center(0.0)
    planned = roster_of(sc, None)
    for r in (0, 5):
        drawn = roster_of(sc, r)
        for f in fields(Roster):
            np.testing.assert_array_equal(getattr(drawn, f.name), getattr(planned, f.name),
                                          err_msg=f.name)  # fmt: skip
    np.testing.assert_array_equal(planned.on_duty_by_day, planned.rostered_by_day)
    # Without a replication, nobody is drawn absent whatever the absence.
    unseen = roster_of(absent_center(0.3), None)
    for f in fields(Roster):
        np.testing.assert_array_equal(getattr(unseen, f.name), getattr(planned, f.name))


def test_mean_on_duty_matches_headcount_work_share_and_absence() -> None:
    absence = 0.1
    sc = absent_center(absence)
    reps = 20
    rosters = [roster_of(sc, r) for r in range(reps)]
    # Whole cycles of 6 days (days 0..11), where the rotation's mean is exact.
    present = np.stack([r.on_duty_by_day[:12] for r in rosters])  # [rep, day, shift]
    rostered = rosters[0].rostered_by_day[:12]
    headcount = rosters[0].headcount()
    np.testing.assert_allclose(rostered.mean(axis=0), headcount * 4 / 6)
    n = reps * rostered.sum()  # rostered agent-days, each present with probability 0.9
    share = present.sum() / n
    sd = np.sqrt(absence * (1 - absence) / n)
    assert abs(share - (1 - absence)) < 2.576 * sd  # 99% interval, seeded
    expected = headcount * 4 / 6 * (1 - absence)
    per_shift = present.mean(axis=(0, 1))
    sd_shift = np.sqrt(absence * (1 - absence) * headcount * 4 / 6 / (reps * 12))
    assert (np.abs(per_shift - expected) < 2.576 * sd_shift).all(), (per_shift, expected)
    # Nobody is present who is not rostered; replications lose different agents.
    assert (present <= rostered[None]).all()
    assert not np.array_equal(present[0], present[1])


def test_absent_agents_lose_the_whole_day_and_shrinkage_spreads_over_the_present() -> None:
    sc = absent_center(0.2)
    roster = roster_of(sc, 3)
    j = roster.shift_names.index(("others", "late"))
    agents = np.flatnonzero(roster.agent_shift == j)
    length = 8 * HOUR
    on = {(a, d): 0.0 for a in agents for d in range(12)}
    for a, s, e in zip(roster.duty_agent, roster.duty_start, roster.duty_end, strict=True):
        day = int((s - 10 * HOUR) // DAY)
        if roster.agent_shift[a] == j and day < 12:  # not the drain days
            on[(int(a), day)] += e - s
    for d in range(12):
        worked = [on[(a, d)] for a in agents if on[(a, d)] > 0]
        # Every agent present works the shift less one 25% block; the absent nothing.
        np.testing.assert_allclose(worked, 0.75 * length)
        assert len(worked) == roster.on_duty_by_day[d, j]
    assert (roster.on_duty_by_day[:12, j] < roster.rostered_by_day[:12, j]).any()


def test_plans_differing_elsewhere_lose_the_same_agents() -> None:
    sc = absent_center(0.15)
    night_more = absent_center(0.15, night=9)  # another shift of the same pool
    others_more = absent_center(0.15, other=11)  # another pool
    for r in (0, 4):
        base = duty_days(sc, roster_of(sc, r))
        planned = duty_days(sc, roster_of(sc, None))
        assert base[("agents", "day")] != planned[("agents", "day")]  # some are absent
        a = duty_days(night_more, roster_of(night_more, r))
        b = duty_days(others_more, roster_of(others_more, r))
        assert a[("agents", "day")] == base[("agents", "day")]
        assert a[("others", "late")] == base[("others", "late")]
        assert b[("agents", "day")] == base[("agents", "day")]
        assert b[("agents", "night")] == base[("agents", "night")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1, "input should be less than 1 (got 1)"),
        (-0.1, "input should be greater than or equal to 0 (got -0.1)"),
        ("lots", "input should be a valid number, unable to parse string as a number (got 'lots')"),
    ],
)
def test_absence_is_validated(tmp_path: Path, value: Any, message: str) -> None:
    pools = {"agents": {"channels": ["phone"], "absence": value,
                        "shifts": {"day": {"headcount": 3}}}}  # fmt: skip
    with pytest.raises(ScenarioError) as info:
        center(pools)
    assert info.value.problems == [Problem(path="pools.agents.absence", message=message)]
    path = tmp_path / "bad.yaml"
    text = f"""\
horizon: {{start: 2026-03-02, days: 2}}
channels:
  phone: {{kind: voice, volume: {{per_day: 10}}, handle_time: {{dist: exponential, mean: 5min}}}}
pools:
  agents: {{channels: [phone], absence: {value!r}, shifts: {{day: {{headcount: 3}}}}}}
"""
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"{path}: pools.agents.absence: {message}" in result.output
    assert "Traceback" not in result.output


# -- what the results say ------------------------------------------------------------


@pytest.fixture(scope="module")
def absent_run():
    sc = center(
        {"agents": {"channels": ["phone"], "absence": 0.2, "shrinkage": 0.1,
                    "shifts": {"day": {"start": "08:00", "end": "20:00", "headcount": 9},
                               "night": {"start": "20:00", "end": "08:00", "headcount": 4}}}},
        days=6, per_day=400, handle="10min", replications=4, reporting={"interval": "1h"},
    )  # fmt: skip
    return sc, run(sc)


def test_replications_run_with_their_own_absences(absent_run) -> None:
    sc, result = absent_run
    cal = Calendar.of(sc)
    t0, t1 = cal.report_start, cal.report_end
    for m in result.metrics[:2]:
        roster = roster_of(sc, m.index)
        assert run_replication(sc, m.index).roster.duty_start.tolist() == roster.duty_start.tolist()
        duty = np.clip(roster.duty_end, t0, t1) - np.clip(roster.duty_start, t0, t1)
        per_shift = np.bincount(roster.agent_shift[roster.duty_agent], weights=duty, minlength=2)
        # Time present = the drawn roster's duty time, plus overtime.
        np.testing.assert_allclose(m.available - m.overtime, per_shift)


def test_shifts_table_says_rostered_and_present(absent_run) -> None:
    sc, result = absent_run
    shifts = result.shifts()
    cal = Calendar.of(sc)
    horizon = slice(cal.warmup_days, cal.warmup_days + cal.days)
    present = np.mean([roster_of(sc, m.index).on_duty_by_day[horizon] for m in result.metrics],
                      axis=0)  # fmt: skip
    rostered = roster_of(sc, None).rostered_by_day[horizon]
    np.testing.assert_allclose(shifts["rostered_per_day"], rostered.mean(axis=0))
    np.testing.assert_allclose(shifts["on_duty_per_day"], present.mean(axis=0))
    assert (shifts["on_duty_per_day"] < shifts["rostered_per_day"]).all()
    np.testing.assert_allclose(result.on_duty_by_day, present)


def test_shift_intervals_on_duty_is_the_mean_over_replications(absent_run) -> None:
    sc, result = absent_run
    frame = result.shift_intervals()
    assert {"on_duty", "on_duty_low", "on_duty_high"} <= set(frame.columns)
    step = sc.reporting.interval
    duty = np.stack([m.iv_on_duty for m in result.metrics]) / step  # [rep, interval, shift]
    for j, (_, shift) in enumerate(result.shift_names):
        rows = frame[frame["shift"] == shift]
        np.testing.assert_allclose(rows["on_duty"], duty[:, :, j].mean(axis=0))
        assert (rows["on_duty_low"] <= rows["on_duty"] + 1e-12).all()
        assert (rows["on_duty"] <= rows["on_duty_high"] + 1e-12).all()
    # Replications differ (absence), so replication 0 alone is not the figure.
    assert not np.allclose(frame["on_duty"], duty[0].T.reshape(-1))
    assert (frame["on_duty_high"] > frame["on_duty_low"]).any()


def test_check_takes_absence_off_the_planner_agents(absent_run) -> None:
    sc, result = absent_run
    cal = Calendar.of(sc)
    planned = roster_of(sc, None)
    (phone,) = check_result(result)
    expected = 0.8 * agents_by_hour(planned, [0], cal)
    np.testing.assert_allclose([h.agents for h in phone.hours], expected)
    # The planner's figure already takes the expected absence off, so absence is not
    # named as a reason the figures differ (check names measured, dominant reasons).
    assert all(r.label != "absence" for h in phone.hours for r in h.reasons)
