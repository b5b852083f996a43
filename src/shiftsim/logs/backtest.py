"""The proof of a fit: simulate the fitted scenario on the log's days, compare with history.

For each month and each hour of the day, the measured abandonment, service
level (the answer-time target) and ASA are set against the simulated ones
(mean over replications and 95% interval) and against the stationary Erlang A
figure on the same fitted inputs. Two scores per month:

* **MAE** over open hours (hours in which the log shows at least one
  answered call per observed day: the center was answering): mean absolute
  difference between the simulated mean and the measured value, in points
  (target: within 5);
* **days in band**: share of observed days whose measured value lies inside
  the simulation's daily 95% band, the 2.5th to 97.5th percentile of that
  day's value across replications (target: at least 80%).

Both measured and simulated figures come from :func:`shiftsim.logs.measure.groups`
on the same KPI arrays: one definition.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import run
from shiftsim.analysis.statistics import mean_ci_axis
from shiftsim.logs.fit import STAFFING_STEP, FitResult
from shiftsim.logs.measure import ANSWER_WITHIN, groups
from shiftsim.planning.theory import erlang_a
from shiftsim.sim.arrivals import Calendar, expected_hourly

__all__ = ["BAND", "Backtest", "MonthSummary", "backtest"]

BAND = (2.5, 97.5)
"""Percentiles across replications of the simulated daily band."""

MAE_GOAL = 0.05
BAND_GOAL = 0.8
MIN_ANSWERED_PER_DAY = 1.0
"""An hour is open when the log shows at least this many answered calls per observed day;
callers who arrive after the last agent left (all abandon) do not make an hour open."""


@dataclass(frozen=True)
class MonthSummary:
    """The scores of one month (or other group of days) for one log channel."""

    label: str
    channel: str
    days: int
    open_hours: int
    mae_abandonment: float
    mae_service_level: float
    mae_asa_s: float
    in_band_abandonment: float
    in_band_service_level: float
    erlang_mae_abandonment: float
    erlang_mae_service_level: float

    @property
    def meets(self) -> bool:
        return (
            self.mae_abandonment <= MAE_GOAL
            and self.mae_service_level <= MAE_GOAL
            and self.in_band_abandonment >= BAND_GOAL
            and self.in_band_service_level >= BAND_GOAL
        )


@dataclass
class Backtest:
    """Simulated vs measured, per month, hour of the day and day.

    Attributes
    ----------
    fit
        The fit that was simulated.
    result
        The simulation of the fitted scenario.
    hours
        One row per (month, channel, hour): ``measured_*``, ``simulated_*``
        (mean over replications), ``simulated_*_low``/``_high`` (95% t
        interval) and ``erlang_a_*`` for abandonment, service level and ASA,
        with ``open`` (counted in the MAE) and ``queued_per_day``.
    days
        One row per observed day: measured value, simulated band and whether
        it is inside, for abandonment and service level.
    summaries
        The scores per month and channel.
    """

    fit: FitResult
    result: RunResult
    hours: pd.DataFrame
    days: pd.DataFrame
    summaries: list[MonthSummary]
    mae_goal: float = MAE_GOAL
    band_goal: float = BAND_GOAL

    def misses(self, s: MonthSummary) -> tuple[str, ...]:
        """The scores of ``s`` outside their targets, by field name (no value is a miss).

        ``mae_abandonment`` and ``mae_service_level`` above :attr:`mae_goal`,
        ``in_band_abandonment`` and ``in_band_service_level`` below :attr:`band_goal`.
        """
        out = [k for k in ("mae_abandonment", "mae_service_level")
               if not getattr(s, k) <= self.mae_goal]  # fmt: skip
        out += [k for k in ("in_band_abandonment", "in_band_service_level")
                if not getattr(s, k) >= self.band_goal]  # fmt: skip
        return tuple(out)


def _months(cal: Calendar, observed: np.ndarray) -> list[tuple[str, np.ndarray]]:
    dates = [cal.date(cal.warmup_days + i) for i in range(cal.days)]
    out: dict[str, np.ndarray] = {}
    for i, d in enumerate(dates):
        key = f"{d.year}-{d.month:02d}"
        out.setdefault(key, np.zeros(cal.days, dtype=bool))[i] = observed[i]
    return [(k, v) for k, v in out.items() if v.any()]


def backtest(
    fit: FitResult,
    executor: Executor | None = None,
    replications: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Simulate ``fit.scenario`` and score it against the measured history.

    Parameters
    ----------
    fit
        From :func:`~shiftsim.logs.fit.fit_logs`.
    executor
        Where replications run (see :func:`shiftsim.analysis.runner.executor_for`).
    replications
        Override the scenario's replications.
    """
    sc = fit.scenario
    if replications is not None:
        sc = sc.with_(replications=replications)
    result = run(sc, executor=executor, progress=progress)
    measured = fit.measurement
    msc = measured.scenario
    observed = measured.observed
    cal = Calendar.of(sc)
    sim_names = list(sc.channels)
    hour_rows: list[pd.DataFrame] = []
    day_rows: list[pd.DataFrame] = []
    summaries: list[MonthSummary] = []
    for j, lc in enumerate(msc.channels):
        kind = msc.channels[lc].kind
        within = ANSWER_WITHIN[kind]
        m_target = _answer_index(msc, [lc], within)
        sim_ch = [sim_names.index(c) for c in fit.sim_channels(lc)]
        s_target = _answer_index(sc, fit.sim_channels(lc), within)
        erlang = _erlang_a_days(fit, lc, within)
        m_day = groups([measured.metrics], msc, [j], m_target, per="day")
        s_day = groups(result.metrics, sc, sim_ch, s_target, per="day")
        for label, mask in _months(cal, observed):
            mh = groups([measured.metrics], msc, [j], m_target, per="hour", days=mask)
            sh = groups(result.metrics, sc, sim_ch, s_target, per="hour", days=mask)
            n_days = int(mask.sum())
            queued = (mh["answered"] + mh["abandoned"])[0]
            is_open = mh["answered"][0] >= MIN_ANSWERED_PER_DAY * n_days
            frame = pd.DataFrame({"month": label, "channel": lc, "hour": np.arange(24),
                                  "open": is_open, "queued_per_day": queued / n_days})  # fmt: skip
            errors = {}
            e_ab, e_sl, e_asa = _erlang_hours(erlang, mask)
            for key, e in (("abandonment", e_ab), ("service_level", e_sl), ("asa_s", e_asa)):
                m = mh[key][0]
                mean, lo, hi = mean_ci_axis(sh[key])
                frame[f"measured_{key}"] = m
                frame[f"simulated_{key}"] = mean
                frame[f"simulated_{key}_low"] = lo
                frame[f"simulated_{key}_high"] = hi
                frame[f"erlang_a_{key}"] = e
                errors[key] = _mae(mean, m, is_open)
                errors[f"erlang_{key}"] = _mae(e, m, is_open)
            hour_rows.append(frame)
            idx = np.flatnonzero(mask)
            dates = [cal.date(cal.warmup_days + int(i)) for i in idx]
            days = pd.DataFrame({"month": label, "channel": lc, "date": dates})
            inside = {}
            for key in ("abandonment", "service_level"):
                m = m_day[key][0, idx]
                sim = s_day[key][:, idx]
                with warnings.catch_warnings():
                    # A day no replication has a value for gives NaN bounds, said so.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    lo = np.nanpercentile(sim, BAND[0], axis=0)
                    hi = np.nanpercentile(sim, BAND[1], axis=0)
                    sim_mean = np.nanmean(sim, axis=0)
                ok = (m >= lo - 1e-12) & (m <= hi + 1e-12)
                days[f"measured_{key}"] = m
                days[f"simulated_{key}_mean"] = sim_mean
                days[f"band_{key}_low"] = lo
                days[f"band_{key}_high"] = hi
                days[f"inside_{key}"] = ok
                valid = ~np.isnan(m)
                inside[key] = float(ok[valid].mean()) if valid.any() else math.nan
            day_rows.append(days)
            summaries.append(MonthSummary(
                label=label, channel=lc, days=n_days, open_hours=int(is_open.sum()),
                mae_abandonment=errors["abandonment"], mae_service_level=errors["service_level"],
                mae_asa_s=errors["asa_s"], in_band_abandonment=inside["abandonment"],
                in_band_service_level=inside["service_level"],
                erlang_mae_abandonment=errors["erlang_abandonment"],
                erlang_mae_service_level=errors["erlang_service_level"],
            ))  # fmt: skip
    return Backtest(fit, result, pd.concat(hour_rows, ignore_index=True),
                    pd.concat(day_rows, ignore_index=True), summaries)  # fmt: skip


def _mae(model: np.ndarray, measured: np.ndarray, hours: np.ndarray) -> float:
    """Mean absolute difference over ``hours`` where both have a value (NaN if none)."""
    diff = np.abs(np.asarray(model, float) - np.asarray(measured, float))[hours]
    diff = diff[~np.isnan(diff)]
    return float(diff.mean()) if len(diff) else math.nan


def _answer_index(scenario: object, channels: list[str], within: float) -> list[int]:
    """The answer-time targets (all priorities, ``within``) of these channels."""
    targets = scenario.resolved_targets  # type: ignore[attr-defined]
    return [
        k for k, t in enumerate(targets)
        if t.channel in channels and t.kind == "first_response" and t.priority == "all"
        and t.vip is None and t.within == within and t.business_hours is None
    ]  # fmt: skip


def _erlang_a_days(fit: FitResult, lc: str, within: float) -> dict[str, np.ndarray]:
    """Stationary Erlang A per (day, hour) on the fitted inputs, weighted by arrivals.

    Per 15-minute staffing interval: arrivals to the agents (the fitted volume
    after the bot's containment, plus retries: the first-attempt rate divided by
    ``1 - share x abandonment``, solved by a few fixed-point steps), the fitted
    handle mean of the hour (its band) and abandonment rate (over the priority
    mix), and the interval's agents. The target time is
    shortened by the mean bot session (its clock starts at arrival).
    """
    sc = fit.scenario
    cal = Calendar.of(sc)
    n_days = cal.days
    names = fit.sim_channels(lc)
    lam = np.zeros((n_days, 24))
    for name in names:
        lam += expected_hourly(name, sc, cal).reshape(-1, 24)[cal.warmup_days :][:n_days]
    first = sc.channels[names[0]]
    bot = first.bot
    if bot is not None:
        lam = lam * (1 - bot.containment)
    session = bot.session_time.mean if bot is not None else 0.0
    mu_by_hour = 1.0 / np.asarray(first.handle_means())  # handle_time_by's bands
    theta = _abandon_rate(first)
    share = first.retry.share if first.retry is not None else 0.0
    t = max(within - session, 0.0)
    per_hour = int(3600 / STAFFING_STEP)
    by_day: dict[int, np.ndarray] = {}
    for c in fit.channels:
        if c.log_channel == lc:
            for w in c.volume.weekdays:
                by_day[w] = fit.levels[c.volume.label].reshape(24, per_hour)
    out = {k: np.full((n_days, 24), np.nan) for k in ("abandonment", "service_level", "asa_s")}
    out["weight"] = lam.copy()
    cache: dict[tuple[int, float, float], tuple[float, float, float]] = {}
    for d in range(n_days):
        day: dt.date = cal.date(cal.warmup_days + d)
        lv = by_day[day.weekday()]
        for h in range(24):
            rate = lam[d, h] / 3600.0
            if rate <= 0:
                continue
            mu = float(mu_by_hour[h])
            vals = [_erlang(int(n), rate, mu, theta, share, t, cache) for n in lv[h]]
            out["abandonment"][d, h] = float(np.mean([v[0] for v in vals]))
            out["service_level"][d, h] = float(np.mean([v[1] for v in vals]))
            # ASA is the wait of answered calls: quarters without an agent answer none
            # and have no ASA, and are left out of the hour's (NaN only if every one is).
            asa = [v[2] for v in vals if not math.isnan(v[2])]
            out["asa_s"][d, h] = float(np.mean(asa)) if asa else math.nan
    return out


def _abandon_rate(channel: Any) -> float:
    """Erlang A's one abandonment rate: the priority mix's mean rate (``patience_by``)."""
    by = channel.patience_by
    rates = {}
    for p, share in channel.priorities.items():
        dist = by.priority.get(p, channel.patience) if by is not None else channel.patience
        rates[p] = share * (1.0 / dist.mean if dist is not None else 0.0)
    return float(sum(rates.values()) / max(sum(channel.priorities.values()), 1e-12))


def _erlang(
    n: int, rate: float, mu: float, theta: float, share: float, t: float,
    cache: dict[tuple[int, float, float], tuple[float, float, float]],
) -> tuple[float, float, float]:  # fmt: skip
    key = (n, round(rate, 9), mu)
    if key in cache:
        return cache[key]
    if n <= 0:
        value = (1.0, 0.0, math.nan)  # no agent: everyone who waits hangs up
    else:
        lam = rate
        for _ in range(4):
            e = erlang_a(n, lam, mu, theta)
            lam = rate / max(1e-9, 1 - share * e.p_abandon)
        e = erlang_a(n, lam, mu, theta)
        value = (float(e.p_abandon), float(e.sl_all(t)), float(e.mean_wait_served))
    cache[key] = value
    return value


def _erlang_hours(
    erlang: dict[str, np.ndarray], mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hour of the day, arrival-weighted means over the days in ``mask``."""
    w = erlang["weight"][mask]
    out = []
    for key in ("abandonment", "service_level", "asa_s"):
        v = erlang[key][mask]
        ok = ~np.isnan(v) & (w > 0)
        num = np.where(ok, v * w, 0.0).sum(axis=0)
        den = np.where(ok, w, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(den > 0, num / den, np.nan))
    return out[0], out[1], out[2]
