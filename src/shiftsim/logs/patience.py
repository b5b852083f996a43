"""How long callers wait before hanging up, and how often they call back.

Patience is *censored*: a caller who was answered after 40 s would have
waited longer, by an unknown amount. Abandons are events, answered callers are
censored at their wait. The Kaplan-Meier curve estimates the survival
function without assuming a shape; the exponential rate is the maximum
likelihood estimate under censoring, (number abandoned) / (total time all
queued callers waited).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from shiftsim.analysis.statistics import wilson

__all__ = [
    "PatienceFit",
    "RetryFit",
    "SurvivalCurve",
    "fit_patience",
    "fit_retries",
    "kaplan_meier",
]


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier estimate: ``survival[i]`` is P(patience > ``times[i]``).

    ``low``/``high`` are pointwise 95% bounds (Greenwood's variance on the
    log-log scale, as lifelines computes them); ``at_risk`` callers were
    still waiting just before each time.
    """

    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    at_risk: np.ndarray

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """The step function at times ``t`` (1 before the first event)."""
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.survival[np.maximum(idx, 0)], 1.0)


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> SurvivalCurve:
    """Kaplan-Meier survival curve of right-censored durations (vectorised).

    Parameters
    ----------
    durations
        Time to the event or to censoring, >= 0.
    observed
        True where the event happened (an abandon), False where censored.
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if d.shape != e.shape or np.any(d < 0) or np.any(np.isnan(d)):
        raise ValueError("durations must be >= 0 and match observed in length")
    times, inverse = np.unique(d, return_inverse=True)
    deaths = np.bincount(inverse, weights=e.astype(float), minlength=len(times))
    leaving = np.bincount(inverse, minlength=len(times)).astype(float)
    at_risk = len(d) - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    keep = deaths > 0
    times, deaths, at_risk = times[keep], deaths[keep], at_risk[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - deaths / at_risk)
        greenwood = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        log_s = np.log(survival)
        se = np.sqrt(greenwood) / np.abs(log_s)
        z = stats.norm.ppf(0.975)
        low = np.exp(-np.exp(np.log(-log_s) + z * se))
        high = np.exp(-np.exp(np.log(-log_s) - z * se))
    low = np.where(np.isfinite(low), low, 0.0)
    high = np.where(np.isfinite(high), high, 1.0)
    return SurvivalCurve(times, survival, low, high, at_risk)


@dataclass(frozen=True)
class PatienceFit:
    """Exponential patience fitted to censored waits, with the Kaplan-Meier curve."""

    queued: int  # callers who joined the queue (abandoned or answered)
    abandoned: int
    waited_s: float  # total time all of them waited
    mean_s: float  # 1 / rate
    mean_low: float
    mean_high: float
    curve: SurvivalCurve

    @property
    def rate(self) -> float:
        return 1.0 / self.mean_s

    @property
    def note(self) -> str:
        return (
            f"{self.abandoned:,} abandons over {self.waited_s / 3600:,.1f} h waited by "
            f"{self.queued:,} queued callers (Kaplan-Meier in the fit report): mean "
            f"{self.mean_s:,.0f} s, 95% CI {self.mean_low:,.0f}-{self.mean_high:,.0f}"
        )


def fit_patience(wait: np.ndarray, abandoned: np.ndarray) -> PatienceFit:
    """Fit exponential patience to waits of queued callers; ``abandoned`` marks the events.

    The rate estimate is abandons / total waiting time. Its interval treats the
    number of abandons as Poisson given the total exposure (the exact
    chi-square interval of a Poisson rate).
    """
    w = np.asarray(wait, dtype=float)
    ab = np.asarray(abandoned, dtype=bool)
    total = float(w.sum())
    n_ab = int(ab.sum())
    if n_ab == 0 or total <= 0:
        raise ValueError(f"no abandon to fit patience to (got {n_ab} abandons)")
    mean = total / n_ab
    low = 2 * total / stats.chi2.ppf(0.975, 2 * n_ab + 2)
    high = 2 * total / stats.chi2.ppf(0.025, 2 * n_ab)
    return PatienceFit(len(w), n_ab, total, mean, low, high, kaplan_meier(w, ab))


@dataclass(frozen=True)
class RetryFit:
    """Customers who hung up and called again within the window."""

    abandons: int  # abandons by identified customers that could be followed
    retries: int  # of them, followed by another attempt within the window
    share: float
    share_low: float
    share_high: float
    delay_mean_s: float  # mean time from hanging up to calling again
    max_attempts: int
    window_s: float
    identified: float  # share of attempts with a customer id

    @property
    def note(self) -> str:
        return (
            f"{self.retries:,} of {self.abandons:,} abandons by identified customers called "
            f"again within {self.window_s / 60:g} min (share 95% CI {self.share_low:.3f}-"
            f"{self.share_high:.3f}), after {self.delay_mean_s / 60:.1f} min on average; "
            f"{self.identified:.0%} of attempts carry a customer id"
        )


def fit_retries(
    arrival: np.ndarray,
    abandoned_at: np.ndarray,
    is_abandon: np.ndarray,
    known: np.ndarray,
    previous: np.ndarray,
    attempt: np.ndarray,
    window: float,
    end: float,
) -> RetryFit | None:
    """Share and delay of retries from linked attempts (see ``history.link_retries``).

    Parameters
    ----------
    arrival, abandoned_at
        Per attempt, seconds.
    is_abandon, known
        The attempt was abandoned; it has a customer id.
    previous
        Per attempt, the row of the attempt it retries (-1 for a first attempt).
    attempt
        Attempt number (1 = first).
    window
        Longest gap from abandon to the next attempt that counts as a retry.
    end
        End of the log: abandons later than ``end - window`` cannot be followed
        for the whole window and are left out.

    Returns ``None`` when no abandon by an identified customer can be followed.
    """
    followed = np.zeros(len(arrival), dtype=bool)
    retry_rows = np.flatnonzero(previous >= 0)
    followed[previous[retry_rows]] = True
    eligible = is_abandon & known & (abandoned_at <= end - window)
    n = int(eligible.sum())
    if n == 0:
        return None
    k = int((followed & eligible).sum())
    _, lo, hi = wilson(np.array(k), np.array(n))
    delays = arrival[retry_rows] - abandoned_at[previous[retry_rows]]
    delay = float(delays.mean()) if len(delays) else window / 2
    return RetryFit(
        abandons=n, retries=k, share=k / n, share_low=float(lo), share_high=float(hi),
        delay_mean_s=max(delay, 1.0), max_attempts=int(np.clip(attempt.max(), 2, 20)),
        window_s=window, identified=float(known.mean()),
    )  # fmt: skip
