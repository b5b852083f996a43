"""Evaluating candidate rosters: each replication simulated once, batches identical to runs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from test_staffing import _three_shifts

from shiftsim.analysis.runner import executor_for, run
from shiftsim.planning.staffing import Simulations
from shiftsim.planning.staffing.sizing import _estimated


def _small() -> Any:
    return _three_shifts().with_({"horizon.days": 2})


def test_more_replications_reuse_the_ones_simulated():
    sc = _small()
    sims = Simulations(sc, None)
    night = {"pools.agents.shifts.night.headcount": 4}
    (two,) = sims.results([night], 2, sc.seed)
    assert sims.replications == 2
    (three,) = sims.results([night], 3, sc.seed)
    assert sims.replications == 3  # replications 0 and 1 were kept
    direct = run(sc.with_(night, replications=3, seed=sc.seed), kpis="targets")
    assert_frame_equal(three.requirements(), direct.requirements())
    # Another seed is another set of replications.
    sims.results([night], 2, sc.seed + 1)
    assert sims.replications == 5


@pytest.mark.slow
def test_a_batch_on_workers_equals_serial_runs():
    sc = _small()
    plans = [{"pools.agents.shifts.day.headcount": n} for n in (6, 8, 10)]
    serial = Simulations(sc, None).results(plans, 3, sc.seed)
    with executor_for(2) as executor:
        batched = Simulations(sc, executor).results(plans, 3, sc.seed)
    for a, b in zip(serial, batched, strict=True):
        assert_frame_equal(a.requirements(), b.requirements())


def test_one_fewer_estimate_moves_the_verified_value_by_the_measured_change():
    cols = ["target", "target_index", "period", "value", "low", "high", "required", "met"]
    verified = pd.DataFrame(
        [
            ["t", 0, "day", 0.95, 0.9, 0.99, 0.9, True],
            ["t", 0, "night", 0.92, 0.85, 0.97, 0.9, True],
        ],
        columns=cols,
    )
    base = verified.assign(value=[0.9, 0.95])
    fewer = base.assign(value=[0.8, 0.95])[:1]  # the night was not judged on the short run
    out = _estimated(verified, base, fewer)
    assert out.loc[0, "value"] == pytest.approx(0.85)  # 0.95 + (0.8 - 0.9)
    assert not out.loc[0, "met"]
    # Unknown: kept failing, at its threshold, so that it is simulated in full.
    assert not out.loc[1, "met"] and out.loc[1, "value"] == 0.9
