"""Load and capacity: arrivals against agents on duty, backlog, occupancy by shift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import DAY, HOUR, format_duration
from shiftsim.model.formats import percent
from shiftsim.outputs.plotting._style import (
    GREY,
    LABEL,
    LEGEND,
    RED,
    TICK,
    axes_or_new,
    channel_colours,
    date_axis,
    finish,
    legend,
    no_data,
    resolve_per,
    shade_events,
    times_of,
)

__all__ = ["arrivals_and_staff", "backlog_over_time", "shift_occupancy", "skill_groups"]


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


def _rostered_by_hour(result: RunResult, day: int | None, pools: set[str]) -> np.ndarray:
    """Agents of ``pools`` rostered on duty (after the rotation, before absence and shrinkage).

    In each clock hour of one reported ``day`` (index), or the mean over the
    horizon. A shift that crosses midnight counts on the day it starts, as in
    ``shifts()``.
    """
    sc = result.scenario
    on_duty = result.rostered_by_day  # [day, shift]
    hours = np.arange(48) * HOUR
    out = np.zeros(24)
    for j, (pool, shift) in enumerate(result.shift_names):
        if pool not in pools:
            continue
        s = sc.pools[pool].roster_shifts[shift]
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
    channels: Sequence[str] | None = None,
) -> Axes:
    """Contacts offered per hour of day, by channel, against the agents who can take them.

    Bars: mean contacts offered (arrivals and retries, before the bot) per
    clock hour, stacked by channel. Lines, on the right-hand axis, summed over
    the pools skilled for at least one of the channels drawn: agents rostered
    on duty (after the rotation, before absence), agents available (present,
    after shrinkage) and, if ``show_busy``, agents busy (mean over
    replications; a chat agent holding one of three chats counts as a third;
    busy with any of their channels).

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
    channels
        The channels to draw (default: all); only agents skilled for them are counted.
        :func:`skill_groups` gives the channels served by the same pools.

    Returns
    -------
    Axes
        The left-hand (contacts) axis; the agents axis is its ``twinx``.
    """
    ax = axes_or_new(ax, (12, 5.8))
    sc = result.scenario
    step = sc.reporting.interval
    drawn = list(sc.channels) if channels is None else list(channels)
    unknown = [c for c in drawn if c not in sc.channels]
    if unknown or not drawn:
        raise ValueError(
            f"channels must be some of {', '.join(sc.channels)} (got {', '.join(drawn) or 'none'})"
        )
    pools = {name for name, p in sc.pools.items() if set(p.channels) & set(drawn)}
    iv = result.intervals()
    iv = iv[iv["channel"].isin(drawn)]
    offered = iv.groupby(["start", "channel"], sort=False)["offered"].sum().reset_index()
    si = result.shift_intervals()
    si = si[si["pool"].isin(pools)]
    duty = si.groupby("start")[["on_duty", "busy"]].sum().reset_index()

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
    colours = channel_colours(list(sc.channels))
    bottom = np.zeros(24)
    for name in drawn:
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
    rostered = _rostered_by_hour(result, day_index, pools)
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
    twin.set_ylabel("agents" if channels is None else f"agents for {', '.join(drawn)}",
                    fontsize=LABEL)  # fmt: skip
    twin.tick_params(labelsize=TICK)
    twin.spines[["top"]].set_visible(False)

    if channels is not None:
        what = f"{', '.join(drawn)}, {what}"
    finish(
        ax,
        f"Arrivals vs agents on duty by hour: {what}",
        "hour of day",
        "contacts offered per hour",
    )
    bars = ax.get_legend_handles_labels()[0]
    ax.legend(handles=[*bars, *lines], fontsize=LEGEND, frameon=False, loc="upper left", ncol=2)
    return ax


def skill_groups(result: RunResult) -> list[list[str]]:
    """Channels grouped by the pools skilled for them, in the scenario's order.

    Channels served by the same set of pools share a group: their arrivals are
    charted against the same agents (see :func:`arrivals_and_staff`).
    """
    sc = result.scenario
    groups: dict[frozenset[str], list[str]] = {}
    for name in sc.channels:
        pools = frozenset(p for p, pool in sc.pools.items() if name in pool.channels)
        groups.setdefault(pools, []).append(name)
    return list(groups.values())


# -- backlog and occupancy -----------------------------------------------------------


def backlog_over_time(result: RunResult, per: str = "auto", ax: Axes | None = None) -> Axes:
    """Deferrable work waiting over the horizon, per channel, with its 95% CI.

    Async messages not yet picked up plus escalated cases the department has
    answered and the front line has not yet closed, at the end of each
    reporting interval. With ``per="day"`` (or ``"auto"`` on a long horizon)
    each day shows the mean of its intervals. Channels that never have
    deferrable work are left out.
    """
    ax = axes_or_new(ax, (12, 5))
    per = resolve_per(result, per)
    frame = result.backlog()
    colours = channel_colours(list(result.scenario.channels))
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
            x = times_of(rows, "at")
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
        no_data(ax, "no deferrable work in this scenario")
    else:
        shade_events(ax, result)
        date_axis(ax)
        ax.set_ylim(bottom=0)
    subtitle = (
        "daily mean"
        if per == "day"
        else f"at the end of each {format_duration(result.scenario.reporting.interval)}"
    )
    finish(
        ax,
        "Backlog of deferrable work (async messages, escalated cases to close)",
        "",
        f"items waiting ({subtitle})",
    )
    if drawn:
        handles = ax.get_legend_handles_labels()[0] + [
            Patch(color=GREY, alpha=0.35, label="95% CI")
        ]
        legend(ax, handles=handles, loc="upper right")
    return ax


def shift_occupancy(result: RunResult, high: float | None = 0.85, ax: Axes | None = None) -> Axes:
    """Agent occupancy per pool and shift, as bars with 95% CI whiskers.

    Occupancy is busy time over time on duty (chats weighted by
    1/concurrency), over the whole horizon. ``high`` draws a reference line
    (sustained occupancy above about 85% is hard on agents); None omits it.
    """
    shifts = result.shifts()
    n = len(shifts)
    ax = axes_or_new(ax, (max(8.0, 1.2 * n + 3), 5.2))
    occ = shifts["occupancy"].to_numpy(dtype=float)
    lo = shifts["occupancy_low"].to_numpy(dtype=float)
    hi = shifts["occupancy_high"].to_numpy(dtype=float)
    pools = list(dict.fromkeys(shifts["pool"]))
    colours = channel_colours(pools)
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
            percent(v, 0, missing="n/a"),
            ha="center",
            va="bottom",
            fontsize=TICK,
            fontweight="bold",
        )
    handles: list[Artist] = [Patch(color=colours[p], label=p) for p in pools]
    if high is not None:
        ax.axhline(high, color=RED, ls="--", lw=1.8)
        handles.append(
            Line2D([], [], color=RED, ls="--", lw=1.8, label=f"high ({percent(high, 0)})")
        )
    labels = [
        f"{p}\n{s}\n{d:.0f} on duty"
        for p, s, d in zip(shifts["pool"], shifts["shift"], shifts["on_duty_per_day"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    finish(ax, "Occupancy by shift", "", "busy time / time on duty")
    legend(ax, handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
