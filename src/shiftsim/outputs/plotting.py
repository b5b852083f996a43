"""Charts a workforce planner reads, drawn from a :class:`~shiftsim.analysis.results.RunResult`.

Matplotlib lives here and nowhere else. Every function draws on ``ax`` and
returns it; with ``ax=None`` it creates a standalone
:class:`matplotlib.figure.Figure` (not registered with pyplot, so nothing is
shown, no GUI backend is touched and nothing needs closing; in a notebook show
it with ``ax.figure``). Fonts are large enough to read on a projector, titles
name the unit, and 95% confidence intervals across replications are shaded or
drawn as whiskers.

Long horizons stay readable: time-series charts switch from reporting
intervals to days when the horizon is longer than ``LONG_HORIZON_DAYS``, and
the day x hour heatmap grows with the number of days up to a fixed height.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from shiftsim.analysis.metrics import PERCENTILES
from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import DAY, HOUR, format_duration
from shiftsim.model.names import PRIORITIES

__all__ = [
    "LONG_HORIZON_DAYS",
    "THRESHOLDS",
    "arrivals_and_staff",
    "backlog_over_time",
    "meet_heatmap",
    "plan_comparison",
    "rag_colour",
    "save_charts",
    "service_level_over_time",
    "shift_occupancy",
    "sweep_chart",
    "target_probabilities",
    "wait_distribution",
]

LONG_HORIZON_DAYS = 21
"""Above this many days, time-series charts are drawn per day instead of per interval."""

THRESHOLDS: tuple[float, float] = (0.5, 0.9)
"""Default red/amber and amber/green limits for the probability of meeting a target."""

RED, AMBER, GREEN = "#c62828", "#f4a300", "#2e7d32"
GREY = "#9e9e9e"

# Sizes for a projector: a 1200-pixel-wide chart shown on a wall screen.
TITLE, LABEL, TICK, LEGEND, NOTE = 17, 14, 12.5, 12, 11.5

_PRIORITY_COLOURS = {
    "urgent": "#c62828",
    "important": "#ef6c00",
    "general": "#1565c0",
    "all": "#455a64",
}


# -- helpers -----------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new standalone figure of ``size`` inches."""
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.subplots()


def _finish(ax: Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(title, fontsize=TITLE, loc="left", fontweight="bold")
    ax.set_xlabel(xlabel, fontsize=LABEL)
    ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    ax.spines[["top", "right"]].set_visible(False)


def _channel_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour of the tab10 cycle per name, in order."""
    return {n: f"C{i % 10}" for i, n in enumerate(names)}


def rag_colour(p: float, thresholds: tuple[float, float] = THRESHOLDS) -> str:
    """Red below ``thresholds[0]``, amber below ``thresholds[1]``, else green; grey for NaN."""
    low, high = thresholds
    if not low <= high:
        raise ValueError(f"thresholds must be (low, high) with low <= high (got {thresholds})")
    if np.isnan(p):
        return GREY
    return RED if p < low else AMBER if p < high else GREEN


def _target_index(result: RunResult, target: int | str) -> int:
    """Index of a target given by position or label, with a helpful error."""
    labels = [t.label for t in result.scenario.resolved_targets]
    if isinstance(target, str):
        if target in labels:
            return labels.index(target)
        raise ValueError(f"unknown target {target!r}; targets are: {', '.join(labels)}")
    if not -len(labels) <= target < len(labels):
        raise ValueError(f"target index out of range (got {target}, {len(labels)} target(s))")
    return target % len(labels)


def _target_rows(result: RunResult, frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """Rows of target ``k`` in a ``target_intervals`` frame.

    By label; two targets with the same label are told apart by position
    (the frame holds one block per target, in the scenario's order).
    """
    labels = [t.label for t in result.scenario.resolved_targets]
    if labels.count(labels[k]) == 1:
        return frame[frame["target"] == labels[k]]
    n = len(frame) // len(labels)
    return frame.iloc[k * n : (k + 1) * n]


def _per(result: RunResult, per: str) -> str:
    if per == "auto":
        return "day" if result.scenario.horizon.days > LONG_HORIZON_DAYS else "interval"
    if per not in ("interval", "day"):
        raise ValueError(f"per must be 'auto', 'interval' or 'day' (got {per!r})")
    return per


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _shade_events(ax: Axes, result: RunResult) -> None:
    """Shade the dated events (holidays, campaigns) that fall in the horizon."""
    h = result.scenario.horizon
    first, last = h.start, h.start + dt.timedelta(days=h.days)
    for ev in result.scenario.events:
        start = max(ev.date, first)
        end = min((ev.until or ev.date) + dt.timedelta(days=1), last)
        if start >= end:
            continue
        x0, x1 = (float(mdates.date2num(np.datetime64(d, "s"))) for d in (start, end))
        ax.axvspan(x0, x1, color="#ffe082", alpha=0.35, lw=0, zorder=0)
        if ev.label:
            ax.annotate(
                ev.label,
                xy=(x0, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                ha="left",
                fontsize=NOTE,
                color="#6d4c00",
            )


def _times(frame: pd.DataFrame, column: str = "start") -> np.ndarray:
    return frame[column].to_numpy(dtype="datetime64[s]")


def _legend(ax: Axes, handles: Sequence[Artist] | None = None, **kwargs: Any) -> None:
    shown = list(handles) if handles is not None else ax.get_legend_handles_labels()[0]
    if shown:
        ax.legend(handles=shown, fontsize=LEGEND, frameon=False, **kwargs)


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", fontsize=LABEL, color=GREY)


def _minutes_or_hours(seconds: float) -> tuple[float, str]:
    """A divisor and unit name that keep the numbers of a duration axis readable."""
    return (HOUR, "hours") if seconds > 3 * HOUR else (60.0, "minutes")


# -- arrivals vs staff -----------------------------------------------------------


def _hourly(frame: pd.DataFrame, value: str, step: float, how: str) -> pd.DataFrame:
    """Per date and hour of day: ``value`` summed (``how="sum"``) or averaged over the hour.

    Intervals longer than an hour are spread evenly over their hours.
    """
    start = frame["start"]
    out = pd.DataFrame({"date": start.dt.normalize(), "hour": start.dt.hour, "v": frame[value]})
    if step > HOUR:
        span = int(round(step / HOUR))
        if how == "sum":
            out["v"] = out["v"] / span
        out = pd.concat([out.assign(hour=out["hour"] + i) for i in range(span)], ignore_index=True)
    agg = out.groupby(["date", "hour"])["v"]
    return (agg.sum() if how == "sum" else agg.mean()).reset_index()


def _rostered_by_hour(result: RunResult, day: int | None) -> np.ndarray:
    """Agents rostered on duty (after the rotation, before shrinkage) in each clock hour.

    For one reported ``day`` (index), or the mean over the horizon. A shift
    that crosses midnight counts on the day it starts, as in ``shifts()``.
    """
    sc = result.scenario
    on_duty = result.on_duty_by_day  # [day, shift]
    hours = np.arange(48) * HOUR
    out = np.zeros(24)
    for j, (pool, shift) in enumerate(result.shift_names):
        s = sc.pools[pool].shifts[shift]
        # Share of each hour (today and tomorrow) covered by the shift starting today.
        cover = (
            np.clip(
                np.minimum(hours + HOUR, s.start + s.length) - np.maximum(hours, s.start), 0, HOUR
            )
            / HOUR
        )
        if day is None:
            out += on_duty[:, j].mean() * (cover[:24] + cover[24:])
        else:
            out += on_duty[day, j] * cover[:24]
            if day > 0:
                out += on_duty[day - 1, j] * cover[24:]
            else:  # the day before the horizon: same weekday pattern is unknown, use the mean
                out += on_duty[:, j].mean() * cover[24:]
    return out


def arrivals_and_staff(
    result: RunResult,
    day: dt.date | str | None = None,
    ax: Axes | None = None,
    show_busy: bool = True,
) -> Axes:
    """Contacts offered per hour of day, by channel, against the agents on duty.

    Bars: mean contacts offered (arrivals and retries, before the bot) per
    clock hour, stacked by channel. Lines, on the right-hand axis, summed over
    all pools and shifts: agents rostered on duty (after the rotation),
    agents available (after shrinkage) and, if ``show_busy``, agents busy
    (mean over replications; a chat agent holding one of three chats counts
    as a third).

    Parameters
    ----------
    result
        A run.
    day
        A date of the horizon (``date`` or ``"YYYY-MM-DD"``); default: the
        mean over all days of the horizon.
    ax
        Where to draw; a new figure if None.
    show_busy
        Also draw the busy agents.

    Returns
    -------
    Axes
        The left-hand (contacts) axis; the agents axis is its ``twinx``.
    """
    ax = _axes(ax, (12, 5.8))
    sc = result.scenario
    step = sc.reporting.interval
    iv = result.intervals()
    offered = iv.groupby(["start", "channel"], sort=False)["offered"].sum().reset_index()
    duty = result.shift_intervals().groupby("start")[["on_duty", "busy"]].sum().reset_index()

    day_index: int | None = None
    if day is not None:
        when = pd.Timestamp(day).normalize()
        day_index = (when - pd.Timestamp(sc.horizon.start)).days
        if not 0 <= day_index < sc.horizon.days:
            raise ValueError(
                f"day must be inside the horizon {sc.horizon.start} + {sc.horizon.days} days "
                f"(got {when.date()})"
            )
        offered = offered[offered["start"].dt.normalize() == when]
        duty = duty[duty["start"].dt.normalize() == when]
        what = when.strftime("%a %d %b %Y")
    else:
        what = f"average day of {sc.horizon.days}"

    hours = np.arange(24)
    colours = _channel_colours(list(sc.channels))
    bottom = np.zeros(24)
    for name in sc.channels:
        per_hour = _hourly(offered[offered["channel"] == name], "offered", step, "sum")
        v = per_hour.groupby("hour")["v"].mean().reindex(hours, fill_value=0.0).to_numpy()
        ax.bar(
            hours + 0.5, v, width=0.86, bottom=bottom, color=colours[name], label=name, alpha=0.85
        )
        bottom += v
    ax.set_xlim(0, 24)
    ax.set_ylim(0, max(bottom.max(), 1.0) * 1.18)
    ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])

    twin = ax.twinx()
    edges = np.arange(25)
    rostered = _rostered_by_hour(result, day_index)
    available = _hourly(duty, "on_duty", step, "mean").groupby("hour")["v"].mean()
    available = available.reindex(hours, fill_value=0.0).to_numpy()
    lines = [
        twin.step(
            edges,
            np.r_[rostered, rostered[-1]],
            where="post",
            color="#212121",
            lw=2.2,
            ls="--",
            label="agents rostered on duty",
        )[0],
        twin.step(
            edges,
            np.r_[available, available[-1]],
            where="post",
            color="#212121",
            lw=3,
            label="agents available (after shrinkage)",
        )[0],
    ]
    if show_busy:
        busy = _hourly(duty, "busy", step, "mean").groupby("hour")["v"].mean()
        busy = busy.reindex(hours, fill_value=0.0).to_numpy()
        lines.append(
            twin.step(
                edges,
                np.r_[busy, busy[-1]],
                where="post",
                color="#7b1fa2",
                lw=2.2,
                ls=":",
                label="agents busy (mean)",
            )[0]
        )
    twin.set_ylim(0, max(rostered.max(), available.max(), 1.0) * 1.18)
    twin.set_ylabel("agents", fontsize=LABEL)
    twin.tick_params(labelsize=TICK)
    twin.spines[["top"]].set_visible(False)

    _finish(
        ax,
        f"Arrivals vs agents on duty by hour: {what}",
        "hour of day",
        "contacts offered per hour",
    )
    bars = ax.get_legend_handles_labels()[0]
    ax.legend(handles=[*bars, *lines], fontsize=LEGEND, frameon=False, loc="upper left", ncol=2)
    return ax


# -- service level over time ----------------------------------------------------


def _sl_band(ax: Axes, x: Any, frame: pd.DataFrame, alpha: float, **line: Any) -> None:
    """A service-level line with its shaded 95% confidence band."""
    ax.fill_between(
        x,
        frame["service_level_low"].to_numpy(dtype=float),
        frame["service_level_high"].to_numpy(dtype=float),
        color="#64b5f6",
        alpha=alpha,
        lw=0,
        label="95% CI",
    )
    ax.plot(x, frame["service_level"].to_numpy(dtype=float), **line)


def service_level_over_time(
    result: RunResult, target: int | str = 0, per: str = "auto", ax: Axes | None = None
) -> Axes:
    """Service level of one target over the horizon, against its goal.

    With ``per="interval"`` a thin line shows each reporting interval's
    service level (mean over replications, 95% confidence interval shaded)
    and a bold step line each day's; with ``per="day"`` only the days are
    drawn, with their interval. ``"auto"`` (the default) uses days when the
    horizon is longer than ``LONG_HORIZON_DAYS``. The dashed line is the
    goal; dated events are shaded. Intervals without contacts are gaps.

    Parameters
    ----------
    result
        A run.
    target
        The target, by position in the scenario's targets or by label
        (default: the first).
    per
        ``"interval"``, ``"day"`` or ``"auto"``.
    ax
        Where to draw; a new figure if None.
    """
    ax = _axes(ax, (12, 5))
    sc = result.scenario
    k = _target_index(result, target)
    t = sc.resolved_targets[k]
    per = _per(result, per)
    daily = _target_rows(result, result.target_intervals("day"), k)
    day_sl = daily["service_level"].to_numpy(dtype=float)
    day_x = _times(daily)
    if per == "interval":
        step = sc.reporting.interval
        frame = _target_rows(result, result.target_intervals(), k)
        x = _times(frame) + np.timedelta64(int(step // 2), "s")  # centre of the interval
        _sl_band(ax, x, frame, 0.3, color="#42a5f5", lw=1.3, label=f"per {format_duration(step)}")
        edges = np.append(day_x, day_x[-1] + np.timedelta64(int(DAY), "s"))
        ax.stairs(day_sl, edges, color="#0d47a1", lw=3.2, label="per day", baseline=None)
    else:
        x = day_x + np.timedelta64(int(DAY // 2), "s")
        marker = "o" if len(x) <= 60 else None
        _sl_band(ax, x, daily, 0.35, color="#0d47a1", lw=2.6, marker=marker, ms=5, label="per day")
    ax.axhline(t.goal, color=RED, ls="--", lw=2.4, label=f"goal {t.goal:.0%}")
    _shade_events(ax, result)
    ax.set_ylim(0, 1.04)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _date_axis(ax)
    _finish(ax, f"Service level: {t.label}", "", f"% within {format_duration(t.within)}")
    # Below the axes: a service level can fall anywhere from 0 to 100%.
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4)
    return ax


# -- waits --------------------------------------------------------------------------


def wait_distribution(
    result: RunResult, channel: str | None = None, ax: Axes | None = None
) -> Axes:
    """Wait before the first response, as a percentile curve per priority, with the targets.

    Built from the per-day wait percentiles of ``result.intervals("day")``
    (always available; per-contact records are optional in a results folder).
    For each priority, the p50/p80/p90/p95 waits of answered contacts are
    averaged over days, weighted by the contacts answered that day; the
    whiskers average the per-day 95% intervals (a conservative interval).

    Contacts that hung up (or were never answered) miss their target, so the
    curve is scaled by the share answered: the point for p90 sits at height
    0.9 x (answered / contacts that needed an agent). A priority whose curve
    passes above its target's star (wait ``within``, share ``goal``) meets it
    on average; past the p95 wait the curve is carried on, dotted, at its
    p95 height (at least that share is answered by then). Waits count from
    joining the human queue (after any bot) to pick-up (voice, chat) or to the
    reply being sent (async). The time axis is a square-root scale so that
    both short and long waits can be read.

    Parameters
    ----------
    result
        A run.
    channel
        Channel name; default the first channel.
    ax
        Where to draw; a new figure if None.
    """
    ax = _axes(ax, (12, 5.5))
    sc = result.scenario
    channel = channel if channel is not None else next(iter(sc.channels))
    if channel not in sc.channels:
        raise ValueError(f"unknown channel {channel!r}; channels are: {', '.join(sc.channels)}")
    days = result.intervals("day")
    days = days[days["channel"] == channel]
    targets = [
        t for t in sc.resolved_targets if t.channel == channel and t.kind == "first_response"
    ]
    levels = np.asarray(PERCENTILES) / 100.0

    curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
    for prio in PRIORITIES:
        rows = days[days["priority"] == prio]
        answered = float(rows["answered"].sum())
        if rows.empty or answered <= 0:
            continue
        needed = float(rows["offered"].sum() - rows["deflected"].sum())
        share = min(1.0, answered / needed) if needed > 0 else 1.0
        w = rows["answered"].to_numpy(dtype=float)
        est = []
        for suffix in ("", "_low", "_high"):
            values = []
            for q in PERCENTILES:
                v = rows[f"wait_p{q:g}_s{suffix}"].to_numpy(dtype=float)
                ok = ~np.isnan(v) & (w > 0)
                values.append(float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan)
            est.append(np.array(values))
        curves[prio] = (est[0], est[1], est[2], share)

    longest = max(
        [float(np.nanmax(c[2])) if np.isfinite(c[2]).any() else 0.0 for c in curves.values()]
        + [float(np.nanmax(c[0])) if np.isfinite(c[0]).any() else 0.0 for c in curves.values()]
        + [t.within for t in targets]
        + [60.0]
    )
    div, unit = _minutes_or_hours(longest)
    top = longest / div * 1.1
    ax.set_xscale("function", functions=(_sqrt, np.square))
    for prio, (m, lo, hi, share) in curves.items():
        colour = _PRIORITY_COLOURS[prio]
        err = np.clip(np.vstack([m - lo, hi - m]), 0, None) / div
        ax.errorbar(
            m / div,
            levels * share,
            xerr=np.nan_to_num(err),
            color=colour,
            lw=2.6,
            marker="o",
            ms=8,
            capsize=5,
            elinewidth=1.6,
            label=f"{prio}: {share:.0%} answered",
        )
        if np.isfinite(m[-1]):
            # Past the p95 wait at least that share is answered: carry it to the edge.
            ax.hlines(levels[-1] * share, m[-1] / div, top, colors=colour, linestyles=":", lw=2)
    for t in targets:
        colour = _PRIORITY_COLOURS.get(t.priority, _PRIORITY_COLOURS["all"])
        ax.axvline(t.within / div, color=colour, ls="--", lw=1.8, alpha=0.9)
        scope = f"{t.priority} target" if t.priority != "all" else "target"
        hours = " (business hours)" if t.business_hours is not None else ""
        ax.plot(
            [t.within / div],
            [t.goal],
            marker="*",
            ms=20,
            color=colour,
            mec="black",
            mew=0.8,
            ls="none",
            label=f"{scope}: {format_duration(t.within)} for {t.goal:.0%}{hours}",
        )
    if not curves:
        _no_data(ax, "no answered contacts")
    ticks: list[float] = []
    for v in _NICE_TICKS[unit]:
        # Keep ticks apart on the square-root axis, or their labels overlap.
        if v <= top and (not ticks or np.sqrt(v) - np.sqrt(ticks[-1]) >= 0.05 * np.sqrt(top)):
            ticks.append(v)
    ax.set_xlim(0, top)
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.set_ylim(0, 1.02)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(alpha=0.3)
    _finish(
        ax,
        f"Wait before first response: {channel}",
        f"wait ({unit}, square-root scale)",
        "share answered within the wait",
    )
    _legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(x, 0, None))


_NICE_TICKS = {
    "minutes": (0, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180),
    "hours": (0, 0.5, 1, 2, 4, 8, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336),
}


# -- probabilities of meeting targets ----------------------------------------------


def target_probabilities(
    result: RunResult, thresholds: tuple[float, float] = THRESHOLDS, ax: Axes | None = None
) -> Axes:
    """P(a day meets the goal) for every target, as horizontal bars with 95% CI whiskers.

    Bars are red below ``thresholds[0]``, amber below ``thresholds[1]`` and
    green above; the thresholds are drawn as dotted lines.
    """
    targets = result.targets()
    n = len(targets)
    ax = _axes(ax, (12, 1.5 + 0.55 * max(n, 2)))
    if n == 0:
        _no_data(ax, "no response targets in this scenario")
        _finish(ax, "Probability that a day meets each target")
        return ax
    p = targets["p_meet"].to_numpy(dtype=float)
    lo = targets["p_meet_low"].to_numpy(dtype=float)
    hi = targets["p_meet_high"].to_numpy(dtype=float)
    y = np.arange(n)
    colours = [rag_colour(v, thresholds) for v in p]
    ax.barh(y, np.nan_to_num(p), color=colours, height=0.7)
    has_ci = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(p)
    if has_ci.any():
        err = np.vstack([p - lo, hi - p])[:, has_ci]
        ax.errorbar(
            p[has_ci],
            y[has_ci],
            xerr=np.clip(err, 0, None),
            fmt="none",
            ecolor="black",
            elinewidth=1.8,
            capsize=5,
        )
    for yi, v, h in zip(y, p, hi, strict=True):
        text = "n/a" if np.isnan(v) else f"{v:.0%}"
        right = v if np.isnan(h) else h
        ax.text(
            float(np.nan_to_num(right)) + 0.012,
            float(yi),
            text,
            va="center",
            fontsize=TICK,
            fontweight="bold",
        )
    for th in thresholds:
        ax.axvline(th, color="#424242", ls=":", lw=1.5)
    ax.set_yticks(y, targets["target"].tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    low, high = thresholds
    _finish(ax, "Probability that a day meets each target", "P(day meets goal), 95% CI")
    _legend(
        ax,
        handles=[
            Patch(color=GREEN, label=f"likely met (>= {high:.0%})"),
            Patch(color=AMBER, label=f"at risk ({low:.0%}-{high:.0%})"),
            Patch(color=RED, label=f"likely missed (< {low:.0%})"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 - 0.5 / max(n, 2)),
        ncol=3,
    )
    return ax


def plan_comparison(
    results: Mapping[str, RunResult],
    ax: Axes | None = None,
    thresholds: tuple[float, float] = THRESHOLDS,
) -> Axes:
    """P(a day meets the goal) per target for several plans, as grouped bars with 95% CI.

    Targets are matched by label; a target missing from a plan leaves a gap.
    Run the plans with the same seed so that they serve the same customers
    (common random numbers) and differences are not noise.

    Parameters
    ----------
    results
        Plan name -> its run, in the order to draw.
    ax
        Where to draw; a new figure if None.
    thresholds
        Drawn as dotted reference lines (see :func:`target_probabilities`).
    """
    if not results:
        raise ValueError("plan_comparison needs at least one plan (got none)")
    frames = {
        name: r.targets()
        .reindex(columns=["target", "p_meet", "p_meet_low", "p_meet_high"])
        .drop_duplicates("target")
        .set_index("target")
        for name, r in results.items()
    }
    labels: list[str] = []
    for f in frames.values():
        labels += [lab for lab in f.index if lab not in labels]
    n, m = len(labels), len(frames)
    ax = _axes(ax, (12, 1.8 + 0.3 * n * max(m, 2)))
    height = 0.8 / m
    cmap = colormaps["tab10"]
    for i, (name, f) in enumerate(frames.items()):
        f = f.reindex(labels)
        p = f["p_meet"].to_numpy(dtype=float)
        lo = f["p_meet_low"].to_numpy(dtype=float)
        hi = f["p_meet_high"].to_numpy(dtype=float)
        y = np.arange(n) - 0.4 + height * (i + 0.5)
        ax.barh(y, np.nan_to_num(p), height=height * 0.92, color=cmap(i % 10), label=name)
        ok = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(p)
        if ok.any():
            err = np.clip(np.vstack([p - lo, hi - p])[:, ok], 0, None)
            ax.errorbar(
                p[ok], y[ok], xerr=err, fmt="none", ecolor="black", elinewidth=1.3, capsize=3
            )
    for th in thresholds:
        ax.axvline(th, color="#424242", ls=":", lw=1.5)
    ax.set_yticks(np.arange(n), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _finish(
        ax,
        "Plans side by side: probability that a day meets each target",
        "P(day meets goal), 95% CI",
    )
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.4 / max(n, 2)), ncol=min(m, 4))
    return ax


# -- backlog and occupancy -----------------------------------------------------------


def backlog_over_time(result: RunResult, per: str = "auto", ax: Axes | None = None) -> Axes:
    """Deferrable work waiting over the horizon, per channel, with its 95% CI.

    Async messages not yet picked up plus escalated cases the department has
    answered and the front line has not yet closed, at the end of each
    reporting interval. With ``per="day"`` (or ``"auto"`` on a long horizon)
    each day shows the mean of its intervals. Channels that never have
    deferrable work are left out.
    """
    ax = _axes(ax, (12, 5))
    per = _per(result, per)
    frame = result.backlog()
    colours = _channel_colours(list(result.scenario.channels))
    drawn = 0
    for name in result.scenario.channels:
        rows = frame[frame["channel"] == name]
        if rows["backlog_high"].fillna(0).max() <= 0 and rows["backlog"].max() <= 0:
            continue
        if per == "day":
            # Value at the end of an interval belongs to the interval's day.
            day = (rows["at"] - pd.Timedelta(seconds=1)).dt.normalize()
            rows = rows.groupby(day)[["backlog", "backlog_low", "backlog_high"]].mean()
            x = rows.index.to_numpy(dtype="datetime64[s]") + np.timedelta64(int(DAY // 2), "s")
        else:
            x = _times(rows, "at")
        ax.fill_between(
            x,
            rows["backlog_low"].to_numpy(dtype=float),
            rows["backlog_high"].to_numpy(dtype=float),
            color=colours[name],
            alpha=0.2,
            lw=0,
        )
        ax.plot(x, rows["backlog"].to_numpy(dtype=float), color=colours[name], lw=2.4, label=name)
        drawn += 1
    if drawn == 0:
        _no_data(ax, "no deferrable work in this scenario")
    else:
        _shade_events(ax, result)
        _date_axis(ax)
        ax.set_ylim(bottom=0)
    subtitle = (
        "daily mean"
        if per == "day"
        else f"at the end of each {format_duration(result.scenario.reporting.interval)}"
    )
    _finish(
        ax,
        "Backlog of deferrable work (async messages, escalated cases to close)",
        "",
        f"items waiting ({subtitle})",
    )
    if drawn:
        handles = ax.get_legend_handles_labels()[0] + [
            Patch(color=GREY, alpha=0.35, label="95% CI")
        ]
        _legend(ax, handles=handles, loc="upper right")
    return ax


def shift_occupancy(result: RunResult, high: float | None = 0.85, ax: Axes | None = None) -> Axes:
    """Agent occupancy per pool and shift, as bars with 95% CI whiskers.

    Occupancy is busy time over time on duty (chats weighted by
    1/concurrency), over the whole horizon. ``high`` draws a reference line
    (sustained occupancy above about 85% is hard on agents); None omits it.
    """
    shifts = result.shifts()
    n = len(shifts)
    ax = _axes(ax, (max(8.0, 1.2 * n + 3), 5.2))
    occ = np.array([v[0] for v in shifts["occupancy"]], dtype=float)
    lo = np.array([v[1] for v in shifts["occupancy"]], dtype=float)
    hi = np.array([v[2] for v in shifts["occupancy"]], dtype=float)
    pools = list(dict.fromkeys(shifts["pool"]))
    colours = _channel_colours(pools)
    x = np.arange(n)
    ax.bar(x, np.nan_to_num(occ), color=[colours[p] for p in shifts["pool"]], width=0.7)
    ok = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(occ)
    if ok.any():
        err = np.clip(np.vstack([occ - lo, hi - occ])[:, ok], 0, None)
        ax.errorbar(x[ok], occ[ok], yerr=err, fmt="none", ecolor="black", elinewidth=1.8, capsize=6)
    for xi, v, h in zip(x, occ, hi, strict=True):
        top = v if np.isnan(h) else h
        ax.text(
            float(xi),
            float(np.nan_to_num(top)) + 0.015,
            "n/a" if np.isnan(v) else f"{v:.0%}",
            ha="center",
            va="bottom",
            fontsize=TICK,
            fontweight="bold",
        )
    handles: list[Artist] = [Patch(color=colours[p], label=p) for p in pools]
    if high is not None:
        ax.axhline(high, color=RED, ls="--", lw=1.8)
        handles.append(Line2D([], [], color=RED, ls="--", lw=1.8, label=f"high ({high:.0%})"))
    labels = [
        f"{p}\n{s}\n{d:.0f} on duty"
        for p, s, d in zip(shifts["pool"], shifts["shift"], shifts["on_duty_per_day"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _finish(ax, "Occupancy by shift", "", "busy time / time on duty")
    _legend(ax, handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


# -- day x hour heatmap --------------------------------------------------------------


def _hourly_p_meet(result: RunResult, k: int) -> np.ndarray:
    """P(service level of the hour reaches the goal), per [day, slot] for target ``k``.

    Slots are the reporting intervals when they are an hour or longer. Shorter
    intervals are pooled into hours from the per-replication counts (the mean
    of quarter-hour probabilities is not the probability for the hour).
    """
    sc = result.scenario
    step = sc.reporting.interval
    days = sc.horizon.days
    t = sc.resolved_targets[k]
    if step >= HOUR:
        frame = _target_rows(result, result.target_intervals(), k)
        return frame["p_meet"].to_numpy(dtype=float).reshape(days, -1)
    group = int(round(HOUR / step))
    elig = np.stack([m.iv_target_eligible[k] for m in result.metrics]).astype(float)
    met = np.stack([m.iv_target_met[k] for m in result.metrics]).astype(float)
    elig = elig.reshape(len(result.metrics), -1, group).sum(axis=2)
    met = met.reshape(len(result.metrics), -1, group).sum(axis=2)
    has = elig > 0
    ok = has & (met >= (t.goal - 1e-12) * elig)
    n = has.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, ok.sum(axis=0) / n, np.nan)
    return p.reshape(days, 24)


def meet_heatmap(
    result: RunResult, target: int | str = 0, ax: Axes | None = None, colorbar: bool = True
) -> Axes:
    """Day x hour map of the probability that the hour meets a target's goal.

    Each cell is the share of replications in which that hour's service level
    reached the goal (intervals shorter than an hour are pooled into hours).
    Grey cells had no contact for the target. Dated events are marked after
    the day's label.

    Parameters
    ----------
    result
        A run.
    target
        By position or label (default: the first target).
    ax
        Where to draw; a new figure (taller for long horizons) if None.
    colorbar
        Draw a colour bar next to the map.
    """
    sc = result.scenario
    days = sc.horizon.days
    ax = _axes(ax, (12, min(3.0 + 0.3 * days, 16.0)))
    k = _target_index(result, target)
    t = sc.resolved_targets[k]
    p = _hourly_p_meet(result, k)
    cmap = colormaps["RdYlGn"].with_extremes(bad="#d9d9d9")
    im = ax.imshow(
        np.ma.masked_invalid(p),
        cmap=cmap,
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
        extent=(0, 24, days, 0),
    )
    ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
    every = max(1, int(np.ceil(days / 31)))
    if every > 1:
        every = 7 * int(np.ceil(every / 7))  # whole weeks keep the weekday fixed
    rows = range(0, days, every)
    labels = []
    for i in rows:
        d = sc.horizon.start + dt.timedelta(days=i)
        marks = [ev.label or "event" for ev in sc.events if ev.covers(d)]
        labels.append(d.strftime("%a %d %b") + (f"  [{marks[0]}]" if marks else ""))
    ax.set_yticks([i + 0.5 for i in rows], labels)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cb.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        cb.ax.tick_params(labelsize=TICK)
        cb.set_label("P(hour meets goal)", fontsize=LABEL)
    _finish(
        ax, f"P(hour meets goal): {t.label} (goal {t.goal:.0%})", "hour of day (grey: no contacts)"
    )
    ax.spines[["top", "right"]].set_visible(True)
    return ax


def sweep_chart(
    frame: pd.DataFrame,
    metric: str = "p_meet",
    targets: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per target against the swept parameter, from :func:`shiftsim.sweep`'s frame.

    ``metric`` is ``"p_meet"`` (probability that a day meets the goal, the
    default) or ``"service_level"``; the 95% interval is shaded. ``targets``
    picks target labels (default: all).
    """
    if metric not in ("p_meet", "service_level"):
        raise ValueError(f"metric must be 'p_meet' or 'service_level' (got {metric!r})")
    ax = _axes(ax, (12, 6.5))
    if frame.empty:
        _no_data(ax, "empty sweep")
        _finish(ax, "Sweep")
        return ax
    param = str(frame["param"].iloc[0])
    labels = list(dict.fromkeys(frame["target"])) if targets is None else list(targets)
    x_is_num = pd.api.types.is_numeric_dtype(frame["value"])
    for label in labels:
        rows = frame[frame["target"] == label]
        if rows.empty:
            raise ValueError(
                f"no target {label!r} in the sweep (have {sorted(set(frame['target']))})"
            )
        x = rows["value"].to_numpy() if x_is_num else np.arange(len(rows))
        (line,) = ax.plot(x, rows[metric], marker="o", lw=2.5, label=label)
        ax.fill_between(
            x, rows[f"{metric}_low"].astype(float), rows[f"{metric}_high"].astype(float),
            color=line.get_color(), alpha=0.15, lw=0,
        )  # fmt: skip
    if not x_is_num:
        first = frame[frame["target"] == labels[0]]
        ax.set_xticks(np.arange(len(first)), [str(v) for v in first["value"]])
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    what = "P(day meets goal)" if metric == "p_meet" else "service level"
    _finish(ax, f"{what} as {param} changes", param, f"{what}, 95% CI")
    _legend(ax, loc="best")
    return ax


def save_charts(
    result: RunResult, folder: str | Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Save the planning-meeting charts of a run as image files (PNG and SVG by default).

    Writes into ``folder`` (created if needed), each file under a temporary
    name first and then renamed, so no chart file is ever half-written.
    Returns the paths written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    charts: list[tuple[str, Axes]] = [
        ("arrivals_and_staff", arrivals_and_staff(result)),
        ("backlog", backlog_over_time(result)),
        ("occupancy_by_shift", shift_occupancy(result)),
    ]
    if len(result.scenario.resolved_targets):
        charts += [
            ("target_probabilities", target_probabilities(result)),
            ("service_level_first_target", service_level_over_time(result, 0)),
            ("meet_heatmap_first_target", meet_heatmap(result, 0)),
        ]
    charts += [(f"waits_{_file_name(name)}", wait_distribution(result, name))
               for name in result.scenario.channels]  # fmt: skip
    written = []
    for name, ax in charts:
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.{fmt}.tmp-{os.getpid()}"
            meta = {"Software": None} if fmt == "png" else {"Creator": None}
            fig = ax.get_figure(root=True)
            assert fig is not None
            fig.savefig(tmp, format=fmt, dpi=150, facecolor="white", metadata=meta)
            os.replace(tmp, path)
            written.append(path)
    return written


def _file_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)
