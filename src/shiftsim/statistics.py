"""Estimates across replications, each with a 95% confidence interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Estimate", "mean_ci", "ratio_ci"]


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
