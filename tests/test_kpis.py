"""KPI definitions that once disagreed with the README (regression tests)."""

from __future__ import annotations

import numpy as np
import pytest

from shiftsim.analysis.metrics import measure, target_outcomes
from shiftsim.analysis.runner import run
from shiftsim.model.loading import load_scenario
from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import Calendar, generate_contacts
from shiftsim.sim.replication import run_replication


@pytest.fixture(scope="module")
def holiday():
    return load_scenario("scenarios/holiday.yaml", {"replications": 2, "horizon.days": 2})


@pytest.fixture(scope="module")
def result(holiday):
    return run(holiday)


def test_messages_without_a_target_do_not_jump_the_backlog(holiday) -> None:
    # social has targets for urgent and important only: general messages have
    # no promise and must come after every message that has one.
    cal = Calendar.of(holiday)
    c = generate_contacts(holiday, 0, cal)
    social = c.channel == list(holiday.channels).index("social")
    general = social & (c.priority == PRIORITIES.index("general"))
    promised = social & ~general
    assert general.any() and promised.any()
    np.testing.assert_allclose(c.due[general] - c.arrival[general], cal.no_promise_delay)
    # Promised messages are due within their target (at most 2 h here), so a
    # general message is served after every promised one that arrived with it.
    assert (c.due[promised] - c.arrival[promised] <= 2 * 3600 + 1e-6).all()
    assert cal.no_promise_delay > 2 * 3600


def test_async_channels_have_no_asa(result) -> None:
    ch = result.channels().set_index("channel")
    assert np.isnan(ch.loc["email", "asa_s"])
    assert ch.loc["phone", "asa_s"] > 0


def test_interval_occupancy_never_exceeds_one(result) -> None:
    occ = result.shift_intervals()["occupancy"].dropna()
    assert len(occ) > 0
    assert (occ <= 1 + 1e-9).all()


def test_department_delay_is_a_finite_mean(result) -> None:
    ch = result.channels().set_index("channel")
    delay, lo, hi = ch.loc["phone", ["dept_delay_s", "dept_delay_s_low", "dept_delay_s_high"]]
    assert np.isfinite(delay) and 0 < delay < 4 * 3600


def test_default_periods_split_each_day_exactly(result) -> None:
    # Night, day and evening cover every minute of a day once: their contacts are the day's.
    for m in result.metrics:
        np.testing.assert_array_equal(m.period_eligible.sum(axis=2), m.target_eligible)
        np.testing.assert_array_equal(m.period_met.sum(axis=2), m.target_met)


def test_a_contact_counts_in_the_period_it_arrived(holiday) -> None:
    periods = {"late": ["20:00", "02:00"], "all": ["00:00", "24:00"]}
    sc = holiday.with_({"reporting.periods": periods})
    rep = run_replication(sc, 0)
    m = measure(rep, sc)
    t0 = rep.calendar.report_start
    for k, target in enumerate(sc.resolved_targets):
        arrival, ok, _ = target_outcomes(target, rep, sc)
        clock = np.mod(arrival, 86400.0)
        day = (arrival - t0) // 86400.0
        late = clock >= 20 * 3600  # 20:00-24:00 of the day the period opens...
        early = (clock < 2 * 3600) & (day >= 1)  # ...and 00:00-02:00 of the next day
        assert m.period_eligible[k, :, 0].sum() == late.sum() + early.sum()
        assert m.period_met[k, :, 0].sum() == (late & ok).sum() + (early & ok).sum()
        np.testing.assert_array_equal(m.period_eligible[k, :, 1], m.target_eligible[k])
