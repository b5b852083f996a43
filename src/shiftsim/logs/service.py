"""Fitting a duration distribution (handle time, bot session) that keeps the sample mean.

Handle times are heavy-tailed; a lognormal is usual (Brown et al. 2005), but a
lognormal fitted by maximum likelihood puts its mean at exp(mu + sigma^2/2),
which on a heavy tail overstates the mean, the load, by as much as a fifth.
Load is what sizes staff, so the fitted distribution always has the sample
mean: ``{dist: lognormal, mean: <sample mean>, cv}``, with ``cv`` either from
the moments or from the spread of the logarithms (robust to the tail),
or a gamma with the moments' cv, whichever fits the sample best
(Kolmogorov-Smirnov distance), or the empirical distribution when none fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from shiftsim.model.durations import format_duration

__all__ = ["KS_LIMIT", "DurationFit", "fit_duration"]

KS_LIMIT = 0.08
"""Largest KS distance accepted for a lognormal; beyond it the empirical distribution is used."""

_EMPIRICAL_POINTS = 200


@dataclass(frozen=True)
class DurationFit:
    """A fitted duration distribution and how well it fits.

    Attributes
    ----------
    sample
        The observed durations (seconds), sorted.
    mean, mean_low, mean_high
        Sample mean and its 95% interval.
    cv_moments, cv_logs
        Coefficient of variation from the sample moments, and the lognormal
        one implied by the standard deviation of log durations.
    method
        ``lognormal (cv from moments)``, ``lognormal (cv from logs)``,
        ``gamma (cv from moments)`` or ``empirical``.
    ks
        Kolmogorov-Smirnov distance between the sample and the chosen distribution.
    spec
        The scenario distribution (YAML-ready).
    """

    sample: np.ndarray
    mean: float
    mean_low: float
    mean_high: float
    cv_moments: float
    cv_logs: float
    method: str
    cv: float
    ks: float
    ks_other: float
    spec: dict[str, Any]

    @property
    def n(self) -> int:
        return len(self.sample)

    def note(self, what: str) -> str:
        return (
            f"{self.n:,} {what}: mean {self.mean:,.1f} s (95% CI {self.mean_low:,.1f}-"
            f"{self.mean_high:,.1f}), cv {self.cv_moments:.2f} from moments, {self.cv_logs:.2f} "
            f"from log-sd; {self.method}, KS distance {self.ks:.3f}"
        )

    def quantiles(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample and fitted quantiles at ``probs`` (for a QQ plot)."""
        sample = np.quantile(self.sample, probs)
        if self.method == "constant":
            return sample, np.full(len(probs), self.mean)
        if self.method == "empirical":
            values = np.asarray(_values_seconds(self.spec), dtype=float)
            cum = np.cumsum(self.spec["weights"]) / np.sum(self.spec["weights"])
            idx = np.minimum(np.searchsorted(cum, probs, side="left"), len(values) - 1)
            return sample, values[idx]
        return sample, _frozen(self.method, self.mean, self.cv).ppf(probs)


def _frozen(method: str, mean: float, cv: float) -> Any:
    """The scipy distribution of a fitted ``method`` with this mean and cv."""
    if method.startswith("gamma"):
        shape = 1.0 / cv**2
        return stats.gamma(shape, scale=mean / shape)
    sigma2 = math.log1p(cv**2)
    return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))


def _values_seconds(spec: dict[str, Any]) -> list[float]:
    from shiftsim.model.durations import parse_duration

    return [parse_duration(v) for v in spec["values"]]


def _ks(sample: np.ndarray, cdf: Any) -> float:
    """Kolmogorov-Smirnov distance; whole-second data are compared as rounded values.

    Most logs record whole seconds: a recorded ``v`` stands for ``[v - 0.5,
    v + 0.5)``, so the empirical steps are compared with the fitted CDF at the
    cell edges instead of counting the rounding as misfit.
    """
    values, counts = np.unique(sample, return_counts=True)
    above = np.cumsum(counts) / len(sample)  # ECDF at each value
    below = above - counts / len(sample)  # just before it
    half = 0.5 if np.all(values == np.round(values)) else 0.0
    hi = cdf(values + half)
    lo = cdf(values - half)
    return float(max(np.max(np.abs(above - hi)), np.max(np.abs(below - lo))))


def fit_duration(
    durations: np.ndarray, ks_limit: float = KS_LIMIT, points: int = _EMPIRICAL_POINTS
) -> DurationFit:
    """Fit a duration distribution with the sample mean (see the module docstring).

    Raises
    ------
    ValueError
        With no duration, or a mean of zero.
    """
    x = np.sort(np.asarray(durations, dtype=float))
    x = x[np.isfinite(x)]
    if len(x) == 0 or x.mean() <= 0:
        raise ValueError(f"no positive duration to fit (got {len(x)} values)")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    se = sd / math.sqrt(len(x)) if len(x) > 1 else 0.0
    cv_m = sd / mean
    positive = x[x > 0]
    log_sd = float(np.log(positive).std(ddof=1)) if len(positive) > 1 else 0.0
    cv_l = math.sqrt(math.expm1(log_sd**2))
    if cv_m < 1e-3:  # every duration the same (a fixed menu, a test log)
        spec: dict[str, Any] = {"dist": "constant", "value": format_duration(round(mean, 3))}
        return DurationFit(
            sample=x, mean=mean, mean_low=mean - 1.96 * se, mean_high=mean + 1.96 * se,
            cv_moments=cv_m, cv_logs=cv_l, method="constant", cv=0.0, ks=0.0, ks_other=math.nan,
            spec=spec,
        )  # fmt: skip
    fits = []
    for label, cv in (("lognormal (cv from moments)", cv_m), ("lognormal (cv from logs)", cv_l),
                      ("gamma (cv from moments)", cv_m)):  # fmt: skip
        if cv > 0:
            fits.append((_ks(x, _frozen(label, mean, cv).cdf), label, cv))
    fits.sort()
    if fits and fits[0][0] <= ks_limit:
        ks, method, cv = fits[0]
        other = fits[1][0] if len(fits) > 1 else math.nan
        spec = {"dist": method.split()[0], "mean": format_duration(round(mean, 3)),
                "cv": max(round(cv, 3), 0.001)}  # fmt: skip
    else:
        # The sample itself: its distinct values with their counts, or, when
        # there are many, the means of ``points`` equal-count cells (the sample mean,
        # hence the load, is kept exactly, tail included).
        distinct, counts = np.unique(x, return_counts=True)
        if len(distinct) <= points:
            values, weights = distinct, counts
        else:
            cells = np.array_split(x, points)
            values = np.array([c.mean() for c in cells])
            weights = np.array([len(c) for c in cells])
        spec = {"dist": "empirical",
                "values": [format_duration(round(float(v), 3)) for v in values],
                "weights": [int(w) for w in weights]}  # fmt: skip
        grid, cum = values, np.cumsum(weights) / weights.sum()
        method, cv = "empirical", cv_m
        ks = _ks(x, lambda t: np.concatenate([[0.0], cum])[np.searchsorted(grid, t, side="right")])
        other = fits[0][0] if fits else math.nan
    return DurationFit(
        sample=x, mean=mean, mean_low=mean - 1.96 * se, mean_high=mean + 1.96 * se,
        cv_moments=cv_m, cv_logs=cv_l, method=method, cv=float(cv), ks=float(ks),
        ks_other=float(other), spec=spec,
    )  # fmt: skip
