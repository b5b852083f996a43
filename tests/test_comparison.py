"""Common random numbers, compare() and sweep()."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

import shiftsim
from shiftsim.model.loading import load_scenario
from shiftsim.sim.arrivals import Calendar, Contacts, generate_contacts


@pytest.fixture(scope="module")
def plan():
    return load_scenario("scenarios/holiday.yaml", {"replications": 6, "horizon.days": 3,
                                                     "horizon.start": "2026-12-23"})  # fmt: skip


def test_public_api_is_deliberate() -> None:
    assert sorted(shiftsim.__all__) == [
        "Comparison", "RunResult", "Scenario", "ScenarioError", "StaffingResult", "compare",
        "load_results", "load_scenario", "parse_scenario", "plotting", "simulate", "staff",
        "sweep",
    ]  # fmt: skip
    for name in shiftsim.__all__:
        assert getattr(shiftsim, name) is not None
    with pytest.raises(AttributeError):
        _ = shiftsim.not_a_thing  # type: ignore[attr-defined]


def test_set_returns_a_changed_copy(plan) -> None:
    other = plan.set("pools.frontline.shifts.night.headcount", 9)
    assert other.pools["frontline"].shifts["night"].headcount == 9
    assert plan.pools["frontline"].shifts["night"].headcount == 6  # unchanged
    assert plan.with_() == plan  # the resolved dump loads back as the same scenario
    with pytest.raises(shiftsim.ScenarioError, match=r"headcount.*\(got -1\)"):
        plan.set("pools.frontline.shifts.night.headcount", -1)


def test_crn_same_customers_whatever_the_staffing_or_bot(plan) -> None:
    cal = Calendar.of(plan)
    a = generate_contacts(plan, 3, cal)
    staffed = generate_contacts(plan.set("pools.frontline.shifts.night.headcount", 2), 3, cal)
    for f in fields(Contacts):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(staffed, f.name), err_msg=f.name)
    # A better bot: the same customers and needs; only who the bot resolves changes,
    # and every chat the weaker bot resolved the stronger one resolves too.
    bot = generate_contacts(plan.set("channels.chat.bot.containment", 0.4), 3, cal)
    for name in ("arrival", "channel", "priority", "vip", "patience", "bot_session", "dept_delay"):
        np.testing.assert_array_equal(getattr(a, name), getattr(bot, name), err_msg=name)
    # Escalation needs are the same except for chats the stronger bot now resolves.
    np.testing.assert_array_equal(a.department[~bot.contained], bot.department[~bot.contained])
    assert (bot.contained >= a.contained).all() and bot.contained.sum() > a.contained.sum()
    # Another replication is other customers.
    assert not np.array_equal(generate_contacts(plan, 4, cal).arrival[:50], a.arrival[:50])


@pytest.mark.slow  # a few seconds: in the full suite
def test_paired_differences_are_narrower_than_independent(plan) -> None:
    # Two days (the 24th surges) and four replications: on seeds 1-8 the paired
    # interval was 5 to 25 times narrower than the independent one.
    now = plan.with_({"horizon.days": 2}, replications=4)
    more = now.set("pools.frontline.shifts.day.headcount", 76)
    comp = shiftsim.compare({"now": now, "more": more})
    d = comp.differences()
    assert list(d["plan"].unique()) == ["more"]
    row = d[d["target"] == "phone general answered <= 30min"].iloc[0]
    # More day agents cannot make general calls wait longer in this plan.
    assert row["service_level_diff"] > 0
    paired = (row["service_level_diff_high"] - row["service_level_diff_low"]) / 2
    assert row["service_level_half_width_independent"] > 2 * paired
    t = comp.targets()
    assert set(t["plan"]) == {"now", "more"}


def test_identical_plans_differ_by_exactly_zero(plan) -> None:
    one_day = plan.with_({"horizon.days": 1}, replications=2)
    d = shiftsim.compare({"a": one_day, "b": one_day.with_()}).differences()
    assert (d["service_level_diff"].fillna(0) == 0).all()


def test_compare_rejects_unlike_targets(plan) -> None:
    other = plan.with_(targets=[{"channel": "phone", "within": "1min", "goal": 0.5}])
    with pytest.raises(ValueError, match="other targets"):
        shiftsim.compare({"a": plan, "b": other})


@pytest.mark.slow  # a few seconds: in the full suite
def test_sweep_bot_containment(plan) -> None:
    small = plan.with_({"horizon.days": 1}, replications=3)
    frame = shiftsim.sweep(small, "channels.chat.bot.containment", [0.0, 0.5])
    assert set(frame["value"]) == {0.0, 0.5}
    chat = frame[frame["target"] == "chat general answered <= 2h"]
    assert len(chat) == 2
    assert (frame["service_level"].between(0, 1)).all()
    ax = shiftsim.outputs.plotting.sweep_chart(frame, targets=["chat general answered <= 2h"])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [0.0, 0.5])
    np.testing.assert_allclose(line.get_ydata(), chat["p_meet"])
    with pytest.raises(ValueError, match="no target"):
        shiftsim.outputs.plotting.sweep_chart(frame, targets=["nope"])


def test_compare_rejects_other_goals(plan) -> None:
    targets = plan.to_dict()["targets"]
    targets[0]["goal"] = 0.5
    targets[0]["within"] = "5min"
    with pytest.raises(ValueError, match="other targets"):
        shiftsim.compare({"a": plan, "b": plan.with_(targets=targets)})


@pytest.mark.slow  # a few seconds: in the full suite
def test_compare_on_worker_processes_equals_serial(plan) -> None:
    small = plan.with_({"horizon.days": 1}, replications=2)
    other = small.set("pools.frontline.shifts.night.headcount", 9)
    serial = shiftsim.compare({"a": small, "b": other}).differences()
    parallel = shiftsim.compare({"a": small, "b": other}, workers=2).differences()
    pd.testing.assert_frame_equal(serial, parallel)


def test_paired_day_interval_is_never_degenerate() -> None:
    from shiftsim.analysis.comparison import _paired_days_half

    has = np.ones((6, 4), dtype=bool)
    a = np.zeros((6, 4), dtype=bool)
    b = a.copy()
    b[:, :2] = True  # every replication: 2 more of 4 days met -> t interval of width 0
    half = _paired_days_half(b, has, a, has)
    # 12 discordant days of 24: var = (12 - 144/24) / 24^2 -> half-width 1.96 * sqrt(6) / 24
    assert half == pytest.approx(1.959964 * np.sqrt(6) / 24)
    assert _paired_days_half(a, has, a, has) == pytest.approx(3 / 24)  # rule of three
    assert np.isnan(_paired_days_half(a, ~has, a, has))


# -- pairing by replication index (interrupted compare) ---------------------------


@pytest.fixture(scope="module")
def small():
    sc = shiftsim.load_scenario("tests/data/small_center.yaml", {"replications": 4})
    return sc, sc.set("pools.agents.shifts.night.headcount", 4)


def _interrupt_after(n: int):
    """A progress callback that presses Ctrl-C once ``n`` replications have finished."""
    calls = [0]

    def progress(_: int, __: int) -> None:
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt

    return progress


def test_interrupted_compare_compares_the_replications_every_plan_finished(small) -> None:
    from rich.console import Console

    from shiftsim.outputs.console import print_comparison

    now, more = small
    plans = {"now": now, "more": more, "day 13": now.set("pools.agents.shifts.day.headcount", 13)}
    # Ctrl-C during the second plan, after its 2nd replication: 4 and 2 finished;
    # the third plan then runs only those 2 (no other could be paired).
    comp = shiftsim.compare(plans, progress=_interrupt_after(4 + 2))
    assert [r.replications for r in comp.results.values()] == [4, 2, 2]
    assert comp.replications == [0, 1]
    assert comp.note == "compared on 2 of 4 replications finished by every plan"
    # The same as a clean run of those replications.
    clean = shiftsim.compare(plans, replications=2)
    assert clean.note == ""
    pd.testing.assert_frame_equal(comp.differences(), clean.differences())
    pd.testing.assert_frame_equal(comp.targets(), clean.targets())
    console = Console(record=True, width=160)
    print_comparison(comp, console)
    text = console.export_text()
    assert "compared on 2 of 4 replications finished by every plan" in text
    assert "2 replication(s) per plan" in text


def test_plans_are_paired_by_replication_index_not_position(small) -> None:
    from shiftsim.analysis.comparison import Comparison
    from shiftsim.analysis.runner import run

    now, more = small
    a, b = run(now, replications=[0, 1, 2]), run(more, replications=[1, 2, 3])
    comp = Comparison({"now": a, "more": b}, baseline="now", requested=4)
    assert comp.replications == [1, 2]
    assert comp.note == "compared on 2 of 4 replications finished by every plan"

    def only(res, keep):
        kept = [m for m in res.metrics if m.index in keep]
        return shiftsim.RunResult.from_metrics(res.scenario, kept, len(keep))

    expected = Comparison({"now": only(a, {1, 2}), "more": only(b, {1, 2})}, baseline="now")
    pd.testing.assert_frame_equal(comp.differences(), expected.differences())
    assert np.isfinite(comp.differences()["service_level_diff"]).all()
    # Nothing in common: said plainly, not a numpy broadcasting error.
    none = Comparison({"now": run(now, replications=[0]), "more": run(more, replications=[3])},
                      baseline="now")  # fmt: skip
    with pytest.raises(ValueError, match="no replication was finished by every plan"):
        none.differences()


def test_differences_are_judged_on_the_period_the_target_is_judged_on(plan) -> None:
    # Four more night agents: compare showed only P(day), "+0.0 pts" for every
    # target, while the nights went from about a third to most (a review).
    now = plan.with_({"horizon.days": 4})
    more = now.set("pools.frontline.shifts.night.headcount", 10)
    d = shiftsim.compare({"now": now, "night+4": more}).differences()
    row = d[d["target"] == "phone general answered <= 30min"].iloc[0]
    assert row["period"] == "night"
    assert row["p_period_plan"] > row["p_period_baseline"]
    assert row["p_period_diff"] == pytest.approx(row["p_period_plan"] - row["p_period_baseline"])
    assert row["p_period_diff_low"] > 0  # surely better at night
    assert abs(row["p_meet_diff"]) < row["p_period_diff"]  # the whole day hid it
    for key in ("p_meet", "p_period"):  # differences of shares stay within [-1, 1]
        assert (d[f"{key}_diff_low"].dropna() >= -1).all()
        assert (d[f"{key}_diff_high"].dropna() <= 1).all()
