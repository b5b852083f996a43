"""Estimates across replications, each with a 95% confidence interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Estimate", "mean_ci", "mean_ci_axis", "ratio_ci", "wilson"]


@dataclass(frozen=True)
class Estimate:
    """A mean over replications and its confidence interval (NaN when n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_ci(values: np.ndarray, level: float = 0.95) -> Estimate:
    """Student-t interval for the mean of independent replication values (NaNs dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    m = float(v.mean())
    if n < 2:
        return Estimate(m, np.nan, np.nan, n)
    sd = float(v.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    return Estimate(m, m - h, m + h, n)


def ratio_ci(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> Estimate:
    """Interval for sum(num)/sum(den) over replications (delta method).

    Pooled ratios such as a service level weight each replication by its
    volume; the variance comes from the replication-level residuals.
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    keep = den > 0
    num, den = num[keep], den[keep]
    n = len(den)
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    r = float(num.sum() / den.sum())
    if n < 2:
        return Estimate(r, np.nan, np.nan, n)
    resid = (num - r * den) / den.mean()
    se = float(resid.std(ddof=1)) / np.sqrt(n)
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return Estimate(r, r - h, r + h, n)


def mean_ci_axis(
    values: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`mean_ci` over axis 0 (replications), NaNs ignored.

    Returns ``(mean, low, high)``, each shaped like ``values[0]``; the bounds
    are NaN where fewer than two replications have a value.
    """
    v = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(v), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(v, axis=0) / n
        dev = np.where(np.isnan(v), 0.0, v - mean)
        sd = np.sqrt(np.sum(dev**2, axis=0) / (n - 1))
        t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t * sd / np.sqrt(n), np.nan)
    mean = np.where(n > 0, mean, np.nan)
    return mean, mean - half, mean + half


def wilson(
    successes: np.ndarray, trials: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of successes and its Wilson score interval (independent trials).

    Used for the probability of meeting a target in one interval or day, where
    the trials are independent replications. NaN where there are no trials.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return p, centre - half, centre + half
