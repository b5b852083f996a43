"""The simulator against Erlang C where Erlang C applies.

One voice channel, one always-staffed pool, exponential handle times, Poisson
arrivals at a constant rate, infinite patience: an M/M/n queue. The closed form
must lie inside the simulation's 99.9% confidence interval (seeded, so the test
cannot flake; the tolerance comes from the run, not from a hand-picked slack).
"""

from __future__ import annotations

import numpy as np
import pytest

from shiftsim.runner import run
from shiftsim.scenario import parse_scenario
from shiftsim.statistics import ratio_ci
from shiftsim.theory import erlang_c_asa, erlang_c_service_level


def mmn_scenario(n: int, load: float, mean_handle: float, days: int, reps: int, seed: int) -> dict:
    lam = load * n / mean_handle
    return {
        "name": f"M/M/{n}",
        "horizon": {"start": "2026-01-05", "days": days, "warmup": "1d"},
        "replications": reps,
        "seed": seed,
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {"per_day": lam * 86400, "hourly_profile": [1] * 24, "daily_cv": 0},
                "handle_time": {"dist": "exponential", "mean": f"{mean_handle}s"},
            }
        },
        "pools": {
            "agents": {
                "channels": ["phone"],
                "rotation": {"pattern": "1"},
                "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": n}},
            }
        },
        "targets": [{"channel": "phone", "within": "20s", "goal": 0.8}],
    }


@pytest.mark.parametrize(
    ("n", "load", "days", "reps"),
    [
        (1, 0.5, 30, 20),
        (10, 0.8, 6, 20),
        pytest.param(50, 0.9, 4, 30, marks=pytest.mark.slow),
    ],
)
def test_mmn_matches_erlang_c(n: int, load: float, days: int, reps: int) -> None:
    mean_handle = 300.0
    sc = parse_scenario(mmn_scenario(n, load, mean_handle, days=days, reps=reps, seed=11))
    res = run(sc)
    lam, mu = load * n / mean_handle, 1 / mean_handle

    met = np.array([m.target_met[0].sum() for m in res.metrics])
    elig = np.array([m.target_eligible[0].sum() for m in res.metrics])
    sl = ratio_ci(met, elig, level=0.999)
    expected_sl = float(erlang_c_service_level(n, lam, mu, 20.0))
    assert sl.low <= expected_sl <= sl.high, (sl, expected_sl)

    wait = np.array([m.wait_sum[0] for m in res.metrics])
    answered = np.array([m.answered[0] for m in res.metrics])
    asa = ratio_ci(wait, answered, level=0.999)
    expected_asa = erlang_c_asa(n, lam, mu)
    assert asa.low <= expected_asa <= asa.high, (asa, expected_asa)
    # The interval must be informative, not so wide that anything passes.
    assert sl.high - sl.low < 0.06, sl
