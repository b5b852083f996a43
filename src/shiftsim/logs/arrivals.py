"""Fitting arrival volumes: day types, daily level, weekday factors, hourly profile, events.

Counts are of *first attempts* (retries are simulated from the retry fit).
A scenario channel has one hourly profile for every day, so weekdays whose
profiles differ (the Anonymous Bank closes at 14:00 on Fridays and opens in
the evening on Saturdays) become *day types*, each fitted on its own days.

Day-level uncertainty: with a Poisson-gamma day factor the variance of daily
totals is ``m + cv^2 m^2``; after the weekday effect, ``cv^2 = (s^2 - m) / m^2``
(in ratios to the expected total, averaged over days), floored at 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from shiftsim.model.durations import HOUR
from shiftsim.model.names import WEEKDAYS

__all__ = ["DayEvent", "VolumeFit", "find_day_types", "fit_volume", "hourly_counts"]

TYPE_DISTANCE = 0.2
"""Total-variation distance between hourly profiles above which weekdays are different day types."""

OUTLIER = 0.3
"""A day whose total is off its weekday's level by more than this share (and by more
than three robust standard deviations) is a dated event (a holiday, a campaign)."""


def hourly_counts(arrival: np.ndarray, n_days: int) -> np.ndarray:
    """Arrivals per ``[day, hour]``; ``arrival`` in seconds from midnight of day 0."""
    cell = np.clip((arrival // HOUR).astype(np.int64), 0, n_days * 24 - 1)
    return np.bincount(cell, minlength=n_days * 24).reshape(n_days, 24).astype(float)


def _profile(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts.sum(axis=0) / total if total > 0 else np.full(24, 1 / 24)


def find_day_types(
    counts: np.ndarray, weekday: np.ndarray, observed: np.ndarray, distance: float = TYPE_DISTANCE
) -> list[tuple[int, ...]]:
    """Group weekdays (0 = Monday) whose hourly profiles are alike.

    Weekdays are taken busiest first; each joins the first group whose pooled
    profile is within ``distance`` (total variation) of its own, or starts a
    group. Weekdays without data join the first group.
    """
    volume = {w: counts[observed & (weekday == w)].sum() for w in range(7)}
    order = sorted(range(7), key=lambda w: -volume[w])
    groups: list[list[int]] = []
    for w in order:
        if volume[w] == 0:
            continue
        mine = _profile(counts[observed & (weekday == w)])
        for g in groups:
            theirs = _profile(counts[observed & np.isin(weekday, g)])
            if 0.5 * np.abs(mine - theirs).sum() <= distance:
                g.append(w)
                break
        else:
            groups.append([w])
    if not groups:
        return [tuple(range(7))]
    groups[0].extend(w for w in range(7) if volume[w] == 0)
    return [tuple(sorted(g)) for g in groups]


@dataclass(frozen=True)
class DayEvent:
    """A day far from its weekday's level."""

    day: int
    date: dt.date
    count: float
    expected: float

    @property
    def factor(self) -> float:
        return self.count / self.expected if self.expected > 0 else 0.0


@dataclass(frozen=True)
class VolumeFit:
    """The fitted volume of one day type (a scenario channel).

    Attributes
    ----------
    weekdays
        Weekdays of the type (0 = Monday).
    days
        Day indices the level and profile were fitted on (observed, of the
        type, not events).
    per_day, per_day_sd
        Mean daily total over the type's weekdays, and the sd of daily totals
        around their weekday means.
    weekday_factors
        ``mon`` .. ``sun``: weekday mean / ``per_day``; 0 for other types' weekdays.
    weekday_days
        Days used per weekday.
    profile
        Shares of the day's contacts per hour (0 in closed hours).
    closed
        Hours with no agent at work (their contacts are left out).
    closed_per_day
        Contacts per day that arrived in closed hours.
    daily_cv, cv_low, cv_high
        Day-level uncertainty and its approximate 95% interval.
    events
        Days far below (holidays) or above their weekday's level.
    """

    weekdays: tuple[int, ...]
    days: np.ndarray
    per_day: float
    per_day_sd: float
    weekday_factors: dict[str, float]
    weekday_days: dict[str, int]
    profile: np.ndarray
    observed_profile: np.ndarray
    closed: np.ndarray
    closed_per_day: float
    daily_cv: float
    cv_low: float
    cv_high: float
    events: tuple[DayEvent, ...]
    dof: int = 0  # days left to estimate the spread with, after the weekday means

    @property
    def label(self) -> str:
        """``sun-thu``, ``fri``...: the weekdays of the type, in week order from Sunday."""
        return _weekday_label(self.weekdays)


def _weekday_label(days: Sequence[int]) -> str:
    week = [6, 0, 1, 2, 3, 4, 5]  # Sunday first: the Israeli week of the bank's data
    ranks = sorted(week.index(d) for d in days)
    if len(ranks) > 2 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{WEEKDAYS[week[ranks[0]]]}-{WEEKDAYS[week[ranks[-1]]]}"
    return "+".join(WEEKDAYS[week[r]] for r in ranks)


def fit_volume(
    counts: np.ndarray,
    weekday: np.ndarray,
    observed: np.ndarray,
    dates: Sequence[dt.date],
    weekdays: Sequence[int],
    closed: np.ndarray,
) -> VolumeFit:
    """Fit one day type's volume from ``[day, hour]`` counts of first attempts.

    Parameters
    ----------
    counts
        First attempts per day and hour of the log.
    weekday, observed, dates
        Per day: weekday (0 = Monday), whether the log has data that day, date.
    weekdays
        The type's weekdays.
    closed
        Hours (24 booleans) with no agent at work: left out of the volume.
    """
    mine = observed & np.isin(weekday, weekdays)
    open_counts = np.where(closed[None, :], 0.0, counts)
    totals = open_counts.sum(axis=1)
    # Robust first pass: ratio to the weekday's median, spread by the MAD.
    med = {w: np.median(totals[mine & (weekday == w)]) for w in weekdays
           if (mine & (weekday == w)).any()}  # fmt: skip
    ratio = np.full(len(totals), np.nan)
    for w, m in med.items():
        sel = mine & (weekday == w)
        ratio[sel] = totals[sel] / m if m > 0 else np.nan
    r = ratio[mine]
    spread = 1.4826 * np.nanmedian(np.abs(r - np.nanmedian(r))) if len(r) else 0.0
    outlier = mine & (np.abs(ratio - 1) > max(OUTLIER, 3 * spread))
    regular = mine & ~outlier
    means = {w: float(totals[regular & (weekday == w)].mean()) for w in weekdays
             if (regular & (weekday == w)).any()}  # fmt: skip
    per_day = float(np.mean(list(means.values()))) if means else 0.0
    factors: dict[str, float] = {
        WEEKDAYS[w]: (means.get(w, per_day) / per_day if per_day > 0 else 0.0) for w in weekdays
    }
    for w in range(7):
        factors.setdefault(WEEKDAYS[w], 0.0)
    factors = {d: factors[d] for d in WEEKDAYS}
    expected = np.array([per_day * factors[WEEKDAYS[w]] for w in weekday])
    events = tuple(
        DayEvent(int(i), dates[int(i)], float(totals[i]), float(expected[i]))
        for i in np.flatnonzero(outlier)
    )
    # Overdispersion after the weekday effect: Var(N/E) = 1/E + cv^2.
    idx = np.flatnonzero(regular)
    dof = len(idx) - len(means)
    cv, lo, hi, sd = 0.0, 0.0, 0.0, 0.0
    if dof >= 1:
        rr = totals[idx] / expected[idx]
        s2 = float(np.sum((rr - 1) ** 2) / dof)
        poisson = float(np.mean(1 / expected[idx]))
        cv = float(np.sqrt(max(s2 - poisson, 0.0)))
        # Chi-square interval on s^2 (normal days), then the same correction.
        s2_lo = s2 * dof / stats.chi2.ppf(0.975, dof)
        s2_hi = s2 * dof / stats.chi2.ppf(0.025, dof)
        lo = float(np.sqrt(max(s2_lo - poisson, 0.0)))
        hi = float(np.sqrt(max(s2_hi - poisson, 0.0)))
        sd = float(np.sqrt(np.sum((totals[idx] - expected[idx]) ** 2) / dof))
    observed_profile = _profile(counts[regular])
    profile = _profile(open_counts[regular])
    n_regular = max(int(regular.sum()), 1)
    return VolumeFit(
        weekdays=tuple(sorted(weekdays)), days=idx, per_day=per_day, per_day_sd=sd,
        weekday_factors=factors,
        weekday_days={WEEKDAYS[w]: int((regular & (weekday == w)).sum()) for w in weekdays},
        profile=profile, observed_profile=observed_profile, closed=np.asarray(closed, bool),
        closed_per_day=float(counts[regular][:, closed].sum() / n_regular),
        daily_cv=cv, cv_low=lo, cv_high=hi, events=events, dof=max(dof, 0),
    )  # fmt: skip
