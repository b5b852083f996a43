"""KPI definitions that once disagreed with the README (regression tests)."""

from __future__ import annotations

import numpy as np
import pytest

from shiftsim.analysis.runner import run
from shiftsim.model.loading import load_scenario
from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import Calendar, generate_contacts


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
    assert np.isnan(ch.loc["email", "asa_s"][0])
    assert ch.loc["phone", "asa_s"][0] > 0


def test_interval_occupancy_never_exceeds_one(result) -> None:
    occ = result.shift_intervals()["occupancy"].dropna()
    assert len(occ) > 0
    assert (occ <= 1 + 1e-9).all()


def test_department_delay_is_a_finite_mean(result) -> None:
    ch = result.channels().set_index("channel")
    delay, lo, hi = ch.loc["phone", "dept_delay_s"]
    assert np.isfinite(delay) and 0 < delay < 4 * 3600
