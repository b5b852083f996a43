"""What the engine does to be fast must not change a number: the scalar paths
give what the vectorised rules give (``benchmarks/README.md``, issue 17)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import BASE, scenario_from
from pydantic import TypeAdapter

from shiftsim.model.deadlines import in_hours
from shiftsim.model.distributions import Distribution
from shiftsim.model.durations import DAY
from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import Calendar, inside, response_due, response_due_of_one

# Overlapping first-response promises: by priority, by VIP, with business hours
# spanning midnight or not, and a channel with none (deadline: no promise).
CHANNELS = {
    "phone": BASE["channels"]["phone"],
    "mail": {"kind": "async", "volume": {"per_day": 50},
             "handle_time": {"dist": "constant", "value": "5min"}},
    "letters": {"kind": "async", "volume": {"per_day": 5},
                "handle_time": {"dist": "constant", "value": "5min"}},
}  # fmt: skip
TARGETS = [
    {"channel": "mail", "within": "8h", "goal": 0.8},
    {"channel": "mail", "priority": "urgent", "within": "1h", "goal": 0.9,
     "business_hours": ["08:00", "18:00"], "off_hours_by": "09:00"},
    {"channel": "mail", "vip": True, "within": "2h", "goal": 0.9,
     "business_hours": ["20:00", "06:00"], "off_hours_by": "21:30"},
    {"channel": "mail", "priority": "important", "vip": False, "within": "30min", "goal": 0.5},
    {"channel": "mail", "kind": "resolution", "within": "10min", "goal": 0.5},
    {"channel": "phone", "within": "20s", "goal": 0.8},
]  # fmt: skip


@pytest.mark.parametrize("name", ["mail", "phone", "letters"])
def test_the_scalar_deadline_is_the_vectorised_one(name: str) -> None:
    pools = {"agents": {**BASE["pools"]["agents"], "channels": list(CHANNELS)}}
    sc = scenario_from(channels=CHANNELS, targets=TARGETS, pools=pools)
    cal = Calendar.of(sc)
    rng = np.random.default_rng(17)
    n = 4000
    # Any time of the run, whole hours and the edges of business hours included.
    arrival = np.concatenate([
        rng.uniform(0.0, cal.end, n // 2),
        rng.integers(0, cal.end // 1800, n // 2) * 1800.0,
        [0.0, 8 * 3600.0, 18 * 3600.0, 20 * 3600.0, 6 * 3600.0, DAY - 1e-9],
    ])  # fmt: skip
    priority = rng.integers(0, len(PRIORITIES), len(arrival)).astype(np.int8)
    vip = rng.random(len(arrival)) < 0.3
    expected = response_due(sc, name, cal, arrival, priority, vip)
    one = response_due_of_one(sc, name, cal)
    got = [
        one(a, p, v)
        for a, p, v in zip(arrival.tolist(), priority.tolist(), vip.tolist(), strict=True)
    ]
    np.testing.assert_array_equal(got, expected)  # the same floats, not close ones
    if name == "letters":  # no promise: after everything that has one
        np.testing.assert_array_equal(got, arrival + cal.no_promise_delay)
    if name == "mail":  # the cases differ: the test sees every target
        assert len(np.unique(np.asarray(got) - arrival)) > 4


@pytest.mark.parametrize("hours", [None, (8 * 3600.0, 18 * 3600.0), (20 * 3600.0, 6 * 3600.0),
                                   (9 * 3600.0, 9 * 3600.0), (0.0, DAY)])  # fmt: skip
def test_inside_is_in_hours_for_one_time(hours: tuple[float, float] | None) -> None:
    clock = np.concatenate(
        [np.arange(0.0, DAY, 900.0), np.random.default_rng(1).uniform(0, DAY, 500)]
    )
    np.testing.assert_array_equal(
        [inside(c, hours) for c in clock.tolist()], in_hours(clock, hours)
    )


# Every kind, and gamma on both sides of shape 1 (numpy draws it by two methods).
DISTRIBUTIONS = [
    {"dist": "exponential", "mean": "20min"},
    {"dist": "constant", "value": "4min"},
    {"dist": "lognormal", "mean": "5min", "cv": 0.7},
    {"dist": "gamma", "mean": "10min", "cv": 0.7},
    {"dist": "gamma", "mean": "10min", "cv": 2.5},
    {"dist": "uniform", "low": "1min", "high": "9min"},
    {"dist": "empirical", "values": ["1d", "2d", "3d"], "weights": [0.6, 0.3, 0.1]},
    {"dist": "empirical", "values": ["2min", "6min", "7min"]},
]


@pytest.mark.parametrize("spec", DISTRIBUTIONS, ids=lambda d: str(d["dist"]))
def test_a_scalar_draw_is_the_vectorised_one(spec: dict[str, Any]) -> None:
    """``draw`` (retries' delay and patience, during the run) gives what ``sample``
    gives from the same generator state, and leaves the generator as it does."""
    dist = TypeAdapter(Distribution).validate_python(spec)
    one, arrays = np.random.default_rng(2026), np.random.default_rng(2026)
    drawn = []
    for _ in range(500):
        value = dist.draw(one)
        assert type(value) is float  # a plain float, not a numpy scalar
        assert value == dist.sample(arrays, 1)[0]
        drawn.append(value)
        assert one.bit_generator.state == arrays.bit_generator.state
        one.random(), arrays.random()  # other draws in between, as in a run
    assert len(set(drawn)) > 1 or spec["dist"] == "constant"
    # Drawn one after another: the array of the same size.
    in_turn = [dist.draw(one) for _ in range(500)]
    np.testing.assert_array_equal(in_turn, dist.sample(arrays, 500))
