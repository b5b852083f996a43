"""Tests for shiftsim.analysis.statistics: exact values against SciPy, coverage by simulation.

Exact tests compare every interval with SciPy's own per-sample functions
(``ttest_1samp(...).confidence_interval``, ``t.interval``,
``binomtest(...).proportion_ci(method="wilson")``). Coverage tests draw many
seeded samples from a model whose true value is known and count how often the
95% interval covers it: the count must lie in the central 99.9% of the
Binomial(samples, 0.95) law, which a z interval at n = 5, a Wald interval or
an unweighted mean of ratios all miss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from shiftsim.analysis.statistics import Estimate, mean_ci, mean_ci_axis, ratio_ci, wilson

LEVELS = (0.8, 0.95, 0.9999)  # 0.9999: the validation suite's level
RTOL = 1e-12  # the same formulas evaluated in a different order
COVERAGE_SAMPLES = 2000


def coverage_band(samples: int, coverage: float = 0.95) -> tuple[int, int]:
    """Central 99.9% range of the number of intervals covering the truth."""
    lo, hi = stats.binom.interval(0.999, samples, coverage)
    return int(lo), int(hi)


def assert_estimate(e: Estimate, mean: float, low: float, high: float, n: int) -> None:
    assert e.n == n
    np.testing.assert_allclose([e.mean, e.low, e.high], [mean, low, high], rtol=RTOL, atol=0)


# --------------------------------------------------------------------------- #
# Estimate
# --------------------------------------------------------------------------- #
def test_half_width_is_half_the_interval() -> None:
    assert Estimate(10.0, 8.0, 13.0, 5).half_width == 2.5
    assert math.isnan(Estimate(10.0, math.nan, math.nan, 1).half_width)


# --------------------------------------------------------------------------- #
# mean_ci
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("n", [2, 3, 30, 500])
def test_mean_ci_is_scipys_t_interval(n: int, level: float) -> None:
    v = np.random.default_rng(n).gamma(2.0, 50.0, size=n)
    e = mean_ci(v, level)
    ci = stats.ttest_1samp(v, popmean=0.0).confidence_interval(confidence_level=level)
    assert_estimate(e, float(np.mean(v)), ci.low, ci.high, n)
    low, high = stats.t.interval(level, n - 1, loc=np.mean(v), scale=stats.sem(v))
    np.testing.assert_allclose([e.low, e.high], [low, high], rtol=RTOL)


def test_mean_ci_drops_nans() -> None:
    v = np.array([1.0, np.nan, 4.0, 2.0, np.nan, 7.0])
    e = mean_ci(v)
    ci = stats.ttest_1samp([1.0, 4.0, 2.0, 7.0], 0.0).confidence_interval(0.95)
    assert_estimate(e, 3.5, ci.low, ci.high, 4)


def test_mean_ci_of_one_value_has_no_interval() -> None:
    e = mean_ci(np.array([np.nan, 3.0]))
    assert (e.mean, e.n) == (3.0, 1)
    assert math.isnan(e.low) and math.isnan(e.high)


@pytest.mark.parametrize("values", [[], [np.nan, np.nan]])
def test_mean_ci_without_values_is_nan(values: list[float]) -> None:
    e = mean_ci(np.array(values))
    assert e.n == 0
    assert all(math.isnan(x) for x in (e.mean, e.low, e.high))


def test_mean_ci_of_equal_values_has_zero_width() -> None:
    assert mean_ci(np.full(12, 0.25)) == Estimate(0.25, 0.25, 0.25, 12)


@pytest.mark.parametrize("level", [0.0, 1.0, 95, -0.5, math.nan, "0.95", True])
def test_level_outside_zero_one_is_refused(level: object) -> None:
    v = np.arange(5.0)
    for call in (
        lambda: mean_ci(v, level),  # type: ignore[arg-type]
        lambda: ratio_ci(v, v + 1, level),  # type: ignore[arg-type]
        lambda: mean_ci_axis(v, level),  # type: ignore[arg-type]
        lambda: wilson(v, v + 1, level),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match=r"level must be a number in \(0, 1\) \(got "):
            call()


def test_t_interval_covers_the_normal_mean() -> None:
    # n = 5: a normal (z) quantile would cover about 88%, a ddof=0 sd about 93%.
    rng = np.random.default_rng(20260105)
    mu, n = 3.0, 5
    samples = rng.normal(mu, 2.0, size=(COVERAGE_SAMPLES, n))
    covered = 0
    for v in samples:
        e = mean_ci(v)
        covered += e.low <= mu <= e.high
    lo, hi = coverage_band(COVERAGE_SAMPLES)
    assert lo <= covered <= hi, f"{covered} of {COVERAGE_SAMPLES} (expected {lo} to {hi})"


# --------------------------------------------------------------------------- #
# mean_ci_axis
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("level", LEVELS)
def test_mean_ci_axis_is_mean_ci_per_column(level: float) -> None:
    rng = np.random.default_rng(7)
    v = rng.normal(100.0, 15.0, size=(30, 4, 50))
    v[rng.random(v.shape) < 0.3] = np.nan
    v[:, 0, 0] = np.nan  # no value
    v[1:, 0, 1] = np.nan  # one value
    v[:, 0, 2] = 42.0  # all equal
    v[:, 0, 3] = np.nan
    v[:2, 0, 3] = [1.0, 2.0]  # two values
    mean, low, high = mean_ci_axis(v, level)
    assert mean.shape == low.shape == high.shape == (4, 50)
    for idx in np.ndindex(4, 50):
        e = mean_ci(v[(slice(None), *idx)], level)
        got = [mean[idx], low[idx], high[idx]]
        np.testing.assert_allclose(got, [e.mean, e.low, e.high], rtol=RTOL, atol=1e-12)
    assert np.isnan([mean[0, 0], low[0, 0], high[0, 0]]).all()
    assert not np.isnan(mean[0, 1]) and np.isnan([low[0, 1], high[0, 1]]).all()
    assert low[0, 2] == mean[0, 2] == high[0, 2] == 42.0


def test_mean_ci_axis_warns_about_nothing() -> None:
    # pytest turns warnings into errors: an all-NaN column must pass silently.
    mean, low, high = mean_ci_axis(np.full((3, 2), np.nan))
    assert np.isnan(mean).all() and np.isnan(low).all() and np.isnan(high).all()


def test_mean_ci_axis_coverage_matches_the_scalar_intervals() -> None:
    rng = np.random.default_rng(20260106)
    mu = 3.0
    samples = rng.normal(mu, 2.0, size=(5, 20 * COVERAGE_SAMPLES))
    _, low, high = mean_ci_axis(samples)
    covered = int(np.sum((low <= mu) & (mu <= high)))
    lo, hi = coverage_band(samples.shape[1])
    assert lo <= covered <= hi, f"{covered} of {samples.shape[1]} (expected {lo} to {hi})"


# --------------------------------------------------------------------------- #
# ratio_ci
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("level", LEVELS)
def test_ratio_ci_is_the_t_interval_of_the_linearised_values(level: float) -> None:
    rng = np.random.default_rng(11)
    den = rng.poisson(300, size=30).astype(float)
    num = rng.binomial(den.astype(int), 0.8).astype(float)
    r = num.sum() / den.sum()
    linear = r + (num - r * den) / den.mean()
    ci = stats.ttest_1samp(linear, 0.0).confidence_interval(confidence_level=level)
    assert_estimate(ratio_ci(num, den, level), r, ci.low, ci.high, 30)


def test_ratio_ci_is_unit_free() -> None:
    rng = np.random.default_rng(12)
    den = rng.poisson(50, size=20).astype(float) + 1
    num = rng.exponential(20.0, size=20) * den
    a, b = ratio_ci(num, den), ratio_ci(3600 * num, 60 * den)
    np.testing.assert_allclose([60 * a.mean, 60 * a.low, 60 * a.high], [b.mean, b.low, b.high])


def test_ratio_ci_drops_replications_without_denominator() -> None:
    num = np.array([8.0, 5.0, 1.0, 9.0, 2.0])
    den = np.array([10.0, 0.0, np.nan, 12.0, 3.0])
    assert ratio_ci(num, den) == ratio_ci(num[[0, 3, 4]], den[[0, 3, 4]])
    assert ratio_ci(num, den).n == 3


def test_ratio_ci_with_a_nan_numerator_is_nan() -> None:
    e = ratio_ci(np.array([1.0, np.nan, 3.0]), np.array([2.0, 2.0, 4.0]))
    assert e.n == 3
    assert all(math.isnan(x) for x in (e.mean, e.low, e.high))


def test_ratio_ci_edge_cases() -> None:
    none = ratio_ci(np.array([1.0, 2.0]), np.zeros(2))
    assert none.n == 0 and all(math.isnan(x) for x in (none.mean, none.low, none.high))
    one = ratio_ci(np.array([3.0, 7.0]), np.array([0.0, 10.0]))
    assert (one.mean, one.n) == (0.7, 1) and math.isnan(one.low) and math.isnan(one.high)
    assert ratio_ci(np.zeros(30), np.full(30, 1000.0)) == Estimate(0.0, 0.0, 0.0, 30)
    den = np.array([10.0, 20.0, 40.0])
    assert ratio_ci(0.25 * den, den) == Estimate(0.25, 0.25, 0.25, 3)


def test_ratio_interval_covers_the_pooled_ratio() -> None:
    # Busy replications (600 contacts expected) meet the target less often (60%)
    # than quiet ones (200 contacts, 90%): the pooled ratio E[num] / E[den] is
    # 0.675 while the mean of the per-replication ratios is 0.75, so an
    # unweighted interval would almost never cover it.
    rng = np.random.default_rng(20260107)
    reps = 30
    busy = rng.random((COVERAGE_SAMPLES, reps)) < 0.5
    den = rng.poisson(np.where(busy, 600, 200))
    num = rng.binomial(den, np.where(busy, 0.6, 0.9))
    truth = (0.5 * 600 * 0.6 + 0.5 * 200 * 0.9) / (0.5 * 600 + 0.5 * 200)
    covered = 0
    for k, n in zip(num, den, strict=True):
        e = ratio_ci(k, n)
        covered += e.low <= truth <= e.high
    lo, hi = coverage_band(COVERAGE_SAMPLES)
    assert lo <= covered <= hi, f"{covered} of {COVERAGE_SAMPLES} (expected {lo} to {hi})"


# --------------------------------------------------------------------------- #
# wilson
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("trials", [1, 2, 14, 30, 1000])
def test_wilson_is_scipys_wilson_interval(trials: int, level: float) -> None:
    k = np.arange(trials + 1)
    if k.size > 60:  # every count is cheap, but binomtest is called once per value
        k = np.unique(np.r_[0, 1, 2, np.linspace(0, trials, 40).astype(int), trials - 1, trials])
    p, low, high = wilson(k, np.full(k.size, trials), level)
    np.testing.assert_array_equal(p, k / trials)
    expected = [stats.binomtest(int(x), trials).proportion_ci(level, "wilson") for x in k]
    np.testing.assert_allclose(low, [ci.low for ci in expected], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(high, [ci.high for ci in expected], rtol=RTOL, atol=0)


def test_wilson_bounds_at_zero_and_all_successes() -> None:
    _, low, high = wilson(np.array([0, 0, 25]), np.array([1, 25, 25]))
    assert low[0] == low[1] == 0.0
    assert high[2] == 1.0
    assert np.all((low >= 0) & (high <= 1)) and high[1] > 0 and low[2] < 1


def test_wilson_without_trials_is_nan() -> None:
    p, low, high = wilson(np.array([0, 3]), np.array([0, 10]))
    assert np.isnan([p[0], low[0], high[0]]).all()
    assert not np.isnan([p[1], low[1], high[1]]).any()


def test_wilson_scalars_and_broadcasting() -> None:
    p, low, high = wilson(3, 10)
    assert all(isinstance(x, np.float64) for x in (p, low, high))
    ci = stats.binomtest(3, 10).proportion_ci(0.95, "wilson")
    np.testing.assert_allclose([p, low, high], [0.3, ci.low, ci.high], rtol=RTOL)
    grid = wilson(np.array([[0], [5]]), np.array([5, 10, 20]))
    assert all(x.shape == (2, 3) for x in grid)
    np.testing.assert_allclose(grid[1][1], wilson(np.array([5, 5, 5]), np.array([5, 10, 20]))[1])


def mean_wilson_coverage(trials: int, a: float, b: float) -> float:
    """Exact coverage of :func:`wilson` at 95%, averaged over ``p ~ U(a, b)``.

    Given ``k`` successes the interval covers ``p`` on ``[low_k, high_k]``, and
    ``integral of C(n, k) p^k (1 - p)^(n - k) dp = I_p(k + 1, n - k + 1) / (n + 1)``.
    """
    k = np.arange(trials + 1)
    _, low, high = wilson(k, np.full(k.size, trials))
    lo, hi = np.clip(low, a, b), np.clip(high, a, b)
    mass = stats.beta.cdf(hi, k + 1, trials - k + 1) - stats.beta.cdf(lo, k + 1, trials - k + 1)
    return float(mass.sum() / (trials + 1) / (b - a))


def test_wilson_interval_covers_the_success_probability() -> None:
    # Coverage of a binomial interval swings with p (the counts are discrete),
    # so p is drawn from U(0.05, 0.95): Wilson's mean coverage at 30 trials is
    # then within half a point of 95% (a Wald interval's is 91.8%), and the
    # simulated count must agree with that exact mean.
    a, b, trials = 0.05, 0.95, 30
    exact = mean_wilson_coverage(trials, a, b)
    assert abs(exact - 0.95) < 0.005, exact
    rng = np.random.default_rng(20260108)
    samples = 4 * COVERAGE_SAMPLES
    p = rng.uniform(a, b, size=samples)
    k = rng.binomial(trials, p)
    _, low, high = wilson(k, np.full(samples, trials))
    covered = int(np.sum((low <= p) & (p <= high)))
    lo, hi = coverage_band(samples, exact)
    assert lo <= covered <= hi, f"{covered} of {samples} (expected {lo} to {hi})"
