"""Charts of a fit and its back-test (matplotlib; each takes ``ax=None`` and returns the Axes).

Fitted against observed: hourly profiles, daily volumes with the events found,
a handle-time QQ plot, the patience survival curve (Kaplan-Meier against the
fitted exponential), the agents available (estimate against agents seen and
busy), and the back-test by hour of the day and by day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from shiftsim.model.names import WEEKDAYS

if TYPE_CHECKING:
    from shiftsim.logs.backtest import Backtest
    from shiftsim.logs.fit import FitResult

__all__ = [
    "backtest_days",
    "backtest_hours",
    "daily_volume",
    "handle_by_hour",
    "handle_qq",
    "patience_survival",
    "staffing_estimate",
    "volume_profiles",
]

MEASURED, SIMULATED, THEORY, OTHER = "#1f2328", "#1565c0", "#c62828", "#9e9e9e"
TITLE, LABEL, TICK, LEGEND = 15, 12.5, 11, 10.5


def _axes(ax: Axes | None, size: tuple[float, float] = (10.0, 4.2)) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


def _finish(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    ax.set_title(title, loc="left", fontsize=TITLE)
    ax.set_xlabel(xlabel, fontsize=LABEL)
    ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=LEGEND, frameon=False)
    return ax


def _hours_axis(ax: Axes) -> None:
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlim(-0.5, 23.5)


def volume_profiles(fit: FitResult, ax: Axes | None = None) -> Axes:
    """Contacts per hour of the day, observed (dots) and fitted (line), per day type."""
    ax = _axes(ax)
    colours = ["#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#ad1457", "#00838f", "#5d4037"]
    for i, c in enumerate(fit.channels):
        v = c.volume
        colour = colours[i % len(colours)]
        used = [v.weekday_factors[k] for k, n in v.weekday_days.items() if n > 0]
        mean_day = v.per_day * float(np.mean(used or [1.0]))
        observed = v.observed_profile * (mean_day + v.closed_per_day)
        ax.plot(range(24), observed, "o", color=colour, ms=4, alpha=0.7)
        ax.step(range(24), v.profile * mean_day, where="mid", color=colour,
                label=f"{c.name} ({v.label}): fitted")  # fmt: skip
    _hours_axis(ax)
    return _finish(ax, "Arrivals by hour: observed (dots) and fitted", "hour of the day",
                   "first attempts per hour")  # fmt: skip


def daily_volume(fit: FitResult, ax: Axes | None = None) -> Axes:
    """First attempts per day against the fitted level, with the dated events found."""
    ax = _axes(ax)
    m = fit.measurement
    cal = m.replication.calendar
    days = [cal.date(i) for i in range(cal.days)]
    dates = np.array(days, dtype="datetime64[D]")
    log = m.replication.result.log
    first = log.attempt == 1
    day = np.clip((log.arrival[first] // 86400).astype(np.int64), 0, cal.days - 1)
    counts = np.bincount(day, minlength=cal.days).astype(float)
    counts[~m.observed] = np.nan
    ax.plot(dates, counts, "o-", color=MEASURED, ms=4, lw=1, label="observed")
    expected = np.zeros(cal.days)
    for c in fit.channels:
        f = np.array([c.volume.weekday_factors[WEEKDAYS[d.weekday()]] for d in days])
        expected += c.volume.per_day * f + c.volume.closed_per_day * (f > 0)
    ax.plot(dates, expected, color=SIMULATED, lw=1.5, label="fitted level x weekday factor")
    for c in fit.channels:
        for e in c.volume.events:
            at = (dates[e.day], counts[e.day])
            ax.annotate(f"{e.factor:.2f}", at, textcoords="offset points", xytext=(0, -14),
                        ha="center", color=THEORY, fontsize=LEGEND)  # fmt: skip
    ax.tick_params(axis="x", rotation=30)
    return _finish(ax, "Contacts per day (events: factor shown)", "", "first attempts per day")


def handle_qq(fit: FitResult, channel: str, ax: Axes | None = None) -> Axes:
    """Quantiles of the observed handle times against the fitted distribution (log scales)."""
    ax = _axes(ax, (6.0, 5.0))
    h = fit.handle[channel]
    probs = np.linspace(0.005, 0.995, 199)
    sample, fitted = h.quantiles(probs)
    keep = (sample > 0) & (fitted > 0)
    ax.loglog(fitted[keep], sample[keep], "o", ms=3, color=SIMULATED, label=h.method)
    lo = max(min(fitted[keep].min(), sample[keep].min()), 0.5)
    hi = max(fitted[keep].max(), sample[keep].max())
    ax.plot([lo, hi], [lo, hi], color=OTHER, lw=1, label="equal quantiles")
    return _finish(ax, f"{channel} handle time: QQ plot (KS {h.ks:.3f})", "fitted quantile (s)",
                   "observed quantile (s)")  # fmt: skip


def handle_by_hour(fit: FitResult, channel: str, ax: Axes | None = None) -> Axes:
    """Mean handle time by hour of arrival against the fitted means (its hour bands, if any)."""
    ax = _axes(ax, (7.0, 4.0))
    log = fit.measurement.replication.result.log
    j = list(fit.measurement.scenario.channels).index(channel)
    ok = (log.channel == j) & ~np.isnan(log.answered) & ~np.isnan(log.handled)
    hour = ((log.arrival[ok] % 86400) // 3600).astype(np.int64)
    secs = log.handled[ok] - log.answered[ok]
    n = np.bincount(hour, minlength=24)
    mean = np.bincount(hour, weights=secs, minlength=24) / np.maximum(n, 1)
    shown = n >= 30
    ax.bar(np.arange(24)[shown], mean[shown], color=SIMULATED, alpha=0.6, label="observed mean")
    bands = fit.handle_bands.get(channel, [])
    if bands:
        edges = [b.start for b in bands] + [bands[-1].end]
        ax.stairs([b.mean for b in bands], np.array(edges) - 0.5, color=THEORY, lw=1.5,
                  label="fitted (hour bands)")  # fmt: skip
    else:
        ax.axhline(fit.handle[channel].mean, color=THEORY, lw=1.5, label="fitted (every hour)")
    _hours_axis(ax)
    return _finish(ax, f"{channel} handle time by hour (hours with 30+ calls)", "hour of the day",
                   "mean handle time (s)")  # fmt: skip


def patience_survival(fit: FitResult, channel: str, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier survival of patience with its 95% band, and the fitted exponential."""
    ax = _axes(ax, (7.0, 5.0))
    p = fit.patience[channel]
    c = p.curve
    end = float(np.quantile(c.times, 0.99)) if len(c.times) else 1.0
    keep = c.times <= end
    t = np.concatenate([[0.0], c.times[keep]])
    ax.step(t, np.concatenate([[1.0], c.survival[keep]]), where="post", color=MEASURED,
            label="Kaplan-Meier (abandons: events, answered: censored)")  # fmt: skip
    ax.fill_between(t, np.concatenate([[1.0], c.low[keep]]), np.concatenate([[1.0], c.high[keep]]),
                    step="post", color=MEASURED, alpha=0.15)  # fmt: skip
    grid = np.linspace(0, end, 200)
    ax.plot(grid, np.exp(-grid / p.mean_s), color=THEORY, lw=1.5,
            label=f"exponential, mean {p.mean_s:.0f} s")  # fmt: skip
    ax.set_ylim(0, 1.02)
    return _finish(ax, f"{channel} patience: P(still waiting willingly after t)", "wait t (s)",
                   "survival")  # fmt: skip


def staffing_estimate(fit: FitResult, ax: Axes | None = None) -> Axes:
    """Agents available by hour (the fitted staffing) against agents seen and busy, per day type."""
    ax = _axes(ax)
    cap = fit.capacity
    m = fit.measurement
    cal = m.replication.calendar
    weekday = np.array([cal.date(i).weekday() for i in range(cal.days)])
    colours = ["#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32"]
    done: set[str] = set()
    for c in fit.channels:
        label = c.volume.label
        if label in done:
            continue
        done.add(label)
        days = m.observed & np.isin(weekday, c.volume.weekdays)
        colour = colours[(len(done) - 1) % len(colours)]
        ax.plot(range(24), c.staffing, color=colour, lw=2, label=f"{label}: available (fitted)")
        ax.plot(range(24), cap.seen[days].mean(axis=0), "--", color=colour, lw=1,
                label=f"{label}: names seen")  # fmt: skip
        ax.plot(range(24), cap.busy[days].mean(axis=0), ":", color=colour, lw=1,
                label=f"{label}: busy on average")  # fmt: skip
    _hours_axis(ax)
    return _finish(ax, "Agents by hour: available (work conservation), seen, busy",
                   "hour of the day", "agents")  # fmt: skip


_KEYS = {
    "abandonment": ("abandonment", 100.0, "%"),
    "service_level": ("service level", 100.0, "%"),
    "asa_s": ("ASA", 1.0, "s"),
}


def backtest_hours(
    bt: Backtest, month: str, channel: str, key: str = "abandonment", ax: Axes | None = None
) -> Axes:
    """One month by hour of the day: measured, simulated (95% CI) and Erlang A."""
    ax = _axes(ax, (7.5, 4.2))
    name, scale, unit = _KEYS[key]
    h = bt.hours[(bt.hours["month"] == month) & (bt.hours["channel"] == channel)]
    h = h[h["open"]]
    x = h["hour"].to_numpy()
    ax.fill_between(x, scale * h[f"simulated_{key}_low"], scale * h[f"simulated_{key}_high"],
                    color=SIMULATED, alpha=0.2, lw=0)  # fmt: skip
    ax.plot(x, scale * h[f"simulated_{key}"], color=SIMULATED, lw=2, label="simulated (95% CI)")
    ax.plot(x, scale * h[f"erlang_a_{key}"], "--", color=THEORY, lw=1.2, label="Erlang A")
    ax.plot(x, scale * h[f"measured_{key}"], "o", color=MEASURED, ms=5, label="measured")
    _hours_axis(ax)
    return _finish(ax, f"{month} {channel}: {name} by hour", "hour of the day", f"{name} ({unit})")


def backtest_days(
    bt: Backtest, channel: str, key: str = "abandonment", ax: Axes | None = None
) -> Axes:
    """Each observed day: measured value against the simulated daily 95% band."""
    ax = _axes(ax, (11.0, 4.0))
    name, scale, unit = _KEYS[key]
    d = bt.days[bt.days["channel"] == channel]
    x = np.asarray(d["date"].tolist())
    ax.fill_between(x, scale * d[f"band_{key}_low"], scale * d[f"band_{key}_high"],
                    color=SIMULATED, alpha=0.2, lw=0, label="simulated daily 95% band")  # fmt: skip
    inside = d[f"inside_{key}"].to_numpy(bool)
    ax.plot(x[inside], scale * d[f"measured_{key}"][inside], "o", color=MEASURED, ms=4,
            label="measured, inside")  # fmt: skip
    ax.plot(x[~inside], scale * d[f"measured_{key}"][~inside], "x", color=THEORY, ms=6, mew=2,
            label="measured, outside")  # fmt: skip
    ax.tick_params(axis="x", rotation=30)
    return _finish(ax, f"{channel}: daily {name}, measured against the simulated band", "",
                   f"{name} ({unit})")  # fmt: skip
