"""What simulate() keeps in memory (issue 17): imports, the replication, the KPI arrays.

The figures themselves (peak MB at 1M contacts) are a benchmark matter; these
tests pin the mechanisms: what is imported when, which columns the KPIs are
computed beside, and that the lean computations give the numbers of the plain
ones.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest

from shiftsim.analysis.metrics import PERCENTILES, _percentiles, _time_in_bins, measure
from shiftsim.analysis.runner import release_memory, replicate
from shiftsim.model.loading import load_scenario
from shiftsim.sim.replication import KPI_COLUMNS, run_replication

SMALL = "scenarios/minimal.yaml"
HEAVY = ("pandas", "scipy.stats", "matplotlib", "pyarrow")


def _loaded_after(code: str) -> set[str]:
    """The heavy packages loaded once ``code`` ran in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(filter(None, done.stdout.strip().split(",")))


def test_replications_run_without_pandas_or_scipy() -> None:
    # A worker (or the serial loop) replicating loads neither: their ~130 MB
    # would sit beside the contact log.
    code = (
        "import shiftsim\n"
        "from shiftsim.analysis.runner import replicate\n"
        f"replicate(shiftsim.load_scenario({SMALL!r}, {{'horizon.days': 1}}), 0)\n"
    )
    assert _loaded_after(code) == set()


@pytest.mark.slow  # imports pandas in a fresh interpreter: about 2 s
def test_results_need_pandas_but_not_scipy_stats() -> None:
    # scipy.stats would cost 50 MB more for two quantile functions.
    code = (
        "import shiftsim\n"
        f"sc = shiftsim.load_scenario({SMALL!r}, {{'horizon.days': 1, 'replications': 2}})\n"
        "shiftsim.simulate(sc, workers=1).targets()\n"
    )
    loaded = _loaded_after(code)
    assert "pandas" in loaded
    assert not loaded & {"scipy.stats", "matplotlib"}


@pytest.fixture(scope="module")
def holiday():
    return load_scenario("scenarios/holiday.yaml", {"horizon.days": 1})


def test_kpis_of_the_lean_replication_are_those_of_the_full_one(holiday) -> None:
    rep = run_replication(holiday, 0)
    lean = rep.for_kpis()
    for f in fields(lean.contacts):
        value = getattr(lean.contacts, f.name)
        if f.name in KPI_COLUMNS:
            assert value is getattr(rep.contacts, f.name)  # kept, not copied
        elif isinstance(value, np.ndarray):
            assert value.size == 0, f.name
    assert lean.contacts.repeats is None and len(lean.contacts) == len(rep.contacts)
    assert lean.result is rep.result and lean.roster is rep.roster
    for kpis in ("all", "targets"):
        a, b = measure(rep, holiday, kpis), measure(lean, holiday, kpis)
        for f in fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, np.ndarray):
                np.testing.assert_array_equal(x, y, err_msg=f.name)
            else:
                assert x == y, f.name
    # replicate() measures the lean one, and gives the log only when asked.
    metrics, log = replicate(holiday, 0)
    assert log is None
    np.testing.assert_array_equal(metrics.iv_busy, measure(rep, holiday).iv_busy)
    metrics, log = replicate(holiday, 0, keep_log=True)
    assert log is not None and len(log["arrival"]) == len(rep.result.log)
    release_memory()  # harmless called again (and a no-op off glibc)


def test_time_in_bins_integrates_the_load() -> None:
    # Three jobs on [0, 10) bins: the busy time in each bin, weighted, by hand.
    start = np.array([0.0, 1.5, 4.0])
    end = np.array([2.5, 3.0, 12.0])  # the last runs past the edges
    weight = np.array([1.0, 0.5, 2.0])
    edges = np.array([0.0, 2.0, 4.0, 6.0, 10.0])
    got = _time_in_bins(np.concatenate([start, end]), weight, edges)
    expected = [2.0 + 0.5 * 0.5, 0.5 + 0.5 * 1.0, 2.0 * 2.0, 2.0 * 4.0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert _time_in_bins(np.zeros(0), np.zeros(0), edges).tolist() == [0.0] * 4


def test_time_in_bins_is_the_overlap_of_each_interval_with_each_bin() -> None:
    # Random intervals (some empty, some beyond either edge) on even and uneven
    # bins, against the overlaps summed one by one.
    rng = np.random.default_rng(7)
    for trial in range(200):
        n, m = int(rng.integers(0, 30)), int(rng.integers(1, 8))
        uneven = np.sort(rng.uniform(0.0, 100.0, m + 1))
        edges = uneven if trial % 2 else np.arange(m + 1) * 10.0
        start = rng.uniform(-20.0, 120.0, n)
        end = start + rng.exponential(20.0, n) * (rng.random(n) > 0.1)
        weight = rng.uniform(0.1, 2.0, n)
        got = _time_in_bins(np.concatenate([start, end]), weight, edges)
        jobs = list(zip(start, end, weight, strict=True))
        expected = [
            sum(w * max(0.0, min(e, hi) - max(s, lo)) for s, e, w in jobs)
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_wait_percentiles_are_numpys_per_cell() -> None:
    rng = np.random.default_rng(3)
    shape = (4, 2, 3)
    flat = rng.integers(0, 20, 500)  # cells 20..23 stay empty
    values = rng.exponential(60.0, 500).round(0)  # ties, as waits of 0 s are
    out = _percentiles(flat, values, shape).reshape(-1, len(PERCENTILES))
    for cell in range(24):
        if (flat == cell).any():
            np.testing.assert_allclose(out[cell], np.percentile(values[flat == cell], PERCENTILES))
        else:
            assert np.isnan(out[cell]).all()
    # The caller's sort by value (shared by the interval and day tables) gives the same.
    shared = _percentiles(flat, values, shape, np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(shared.reshape(out.shape), out)
