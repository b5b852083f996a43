"""Estimates across replications, each with a confidence interval (95% unless told).

Replications are independent, so a KPI's values across them are an i.i.d.
sample: means get Student's t interval, pooled ratios (service level, ASA) a
t interval on their delta-method residuals, and shares of replications (the
probability that a day meets its goal) the Wilson score interval.

The quantiles come from :mod:`scipy.special` (``stdtrit``, ``ndtri``: what
``scipy.stats.t.ppf`` and ``norm.ppf`` compute, bit for bit, without the 50 MB
that importing :mod:`scipy.stats` costs); the intervals are written out
here because callers pass whole arrays (one interval per 30-minute slot of the
horizon) and the per-sample SciPy functions would loop over them. They give
the same numbers as ``scipy.stats.ttest_1samp(...).confidence_interval`` and
``scipy.stats.binomtest(...).proportion_ci(method="wilson")`` (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["Estimate", "mean_ci", "mean_ci_axis", "ratio_ci", "wilson"]


@dataclass(frozen=True)
class Estimate:
    """A mean over replications and its confidence interval (NaN bounds when n < 2).

    Attributes
    ----------
    mean
        The estimate (NaN when there is no value).
    low, high
        Bounds of the confidence interval.
    n
        Number of replications that had a value.
    """

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the width of the interval (NaN without an interval)."""
        return (self.high - self.low) / 2


def _check_level(level: object) -> float:
    """Return ``level`` as a float, or raise ValueError unless it is in (0, 1)."""
    if isinstance(level, Real | np.floating) and not isinstance(level, bool | np.bool_):
        value = float(level)
        if 0.0 < value < 1.0:
            return value
    raise ValueError(f"level must be a number in (0, 1) (got {level!r})")


def _t_half_width(se: ArrayLike, n: ArrayLike, level: float) -> NDArray[np.float64]:
    """``t_{n-1} quantile * se``, the half-width of a two-sided t interval; NaN where n < 2.

    The same quantile as ``scipy.stats.t.interval(level, n - 1)``, taken
    directly so that a zero standard error gives a zero-width interval
    (``t.interval`` rejects ``scale=0``) and ``n`` may be an array.
    """
    n = np.asarray(n)
    q = special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
    return np.where(n >= 2, q * np.asarray(se, dtype=float), np.nan)


def mean_ci(values: ArrayLike, level: float = 0.95) -> Estimate:
    """Student-t interval for the mean of independent replication values.

    Parameters
    ----------
    values
        One value per replication; NaNs (replications without a value) are dropped.
    level
        Confidence level, in (0, 1).

    Returns
    -------
    Estimate
        The mean and its interval; NaN bounds with fewer than two values, and
        an all-NaN estimate with none. Equal values give a zero-width interval.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1).
    """
    level = _check_level(level)
    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    m = float(v.mean())
    se = float(v.std(ddof=1)) / math.sqrt(n) if n >= 2 else math.nan
    h = float(_t_half_width(se, n, level))
    return Estimate(m, m - h, m + h, n)


def ratio_ci(num: ArrayLike, den: ArrayLike, level: float = 0.95) -> Estimate:
    """Interval for ``sum(num) / sum(den)`` over replications (delta method).

    Pooled ratios such as a service level weight each replication by its
    volume. The estimate is the t interval of the linearised values
    ``r + (num_i - r den_i) / mean(den)``, whose mean is ``r``: the variance
    comes from the replication-level residuals.

    Parameters
    ----------
    num, den
        Numerator and denominator of each replication (e.g. contacts answered
        in time and contacts eligible). Replications whose denominator is not
        positive (zero, or NaN) are dropped; a NaN numerator makes the
        estimate NaN.
    level
        Confidence level, in (0, 1).

    Returns
    -------
    Estimate
        The pooled ratio and its interval; NaN bounds with fewer than two
        replications kept, and an all-NaN estimate with none.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1).
    """
    level = _check_level(level)
    num = np.asarray(num, dtype=float).reshape(-1)
    den = np.asarray(den, dtype=float).reshape(-1)
    keep = den > 0
    num, den = num[keep], den[keep]
    n = den.size
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    r = float(num.sum() / den.sum())
    if n >= 2:
        resid = (num - r * den) / den.mean()
        se = float(resid.std(ddof=1)) / math.sqrt(n)
    else:
        se = math.nan
    h = float(_t_half_width(se, n, level))
    return Estimate(r, r - h, r + h, n)


def mean_ci_axis(
    values: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised :func:`mean_ci` over axis 0 (replications), NaNs ignored.

    Parameters
    ----------
    values
        Replications along axis 0 (e.g. ``[replication, slot]``).
    level
        Confidence level, in (0, 1).

    Returns
    -------
    mean, low, high : numpy.ndarray
        Each shaped like ``values[0]``; the bounds are NaN where fewer than
        two replications have a value, and the mean too where none has.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1).
    """
    level = _check_level(level)
    v = np.asarray(values, dtype=float)
    missing = np.isnan(v)
    n = np.sum(~missing, axis=0)
    # np.nanmean/np.nanstd would warn on slots without values; divide by hand.
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(missing, 0.0, v).sum(axis=0) / n
        dev = np.where(missing, 0.0, v - mean)
        se = np.sqrt(np.sum(dev**2, axis=0) / (n - 1) / n)
        half = _t_half_width(se, n, level)
    mean = np.where(n > 0, mean, np.nan)
    return mean, mean - half, mean + half


def wilson(
    successes: ArrayLike, trials: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Share of successes and its Wilson score interval (independent trials), elementwise.

    Used for the probability of meeting a target in one interval or day, where
    the trials are independent replications. Written as Newcombe (1998) gives
    it, as SciPy does: the same numbers as
    ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``,
    bounds exactly 0 with no success and 1 with no failure.

    Parameters
    ----------
    successes, trials
        Counts (broadcast together), ``0 <= successes <= trials``.
    level
        Confidence level, in (0, 1).

    Returns
    -------
    share, low, high : numpy.ndarray
        ``successes / trials`` and the interval, shaped like the broadcast
        inputs (NumPy scalars for scalar input); NaN where there are no trials.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1).
    """
    level = _check_level(level)
    k, n = np.broadcast_arrays(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float))
    z = float(special.ndtri(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 2 * (n + z**2)
        centre = (2 * n * p + z**2) / denom
        half = z / denom * np.sqrt(4 * n * p * (1 - p) + z**2)
    low = np.where(k == 0, 0.0, centre - half)
    high = np.where(k == n, 1.0, centre + half)
    nan = ~(n > 0)
    # [()] turns 0-d results into NumPy scalars, as k / n gives for scalar input.
    p, low, high = (np.where(nan, np.nan, x)[()] for x in (p, low, high))
    return p, low, high
