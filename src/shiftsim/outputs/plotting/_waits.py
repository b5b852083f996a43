"""Waits before first response: percentile curves per priority against the targets."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from shiftsim.analysis.metrics import PERCENTILES
from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import format_duration
from shiftsim.model.formats import percent
from shiftsim.model.names import PRIORITIES, Priority
from shiftsim.outputs.plotting._style import (
    PRIORITY_COLOURS,
    axes_or_new,
    finish,
    legend,
    minutes_or_hours,
    no_data,
)

__all__ = ["wait_distribution"]


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
    ax = axes_or_new(ax, (12, 5.5))
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

    curves: dict[Priority, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
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
    div, unit = minutes_or_hours(longest)
    top = longest / div * 1.1
    ax.set_xscale("function", functions=(_sqrt, np.square))
    for prio, (m, lo, hi, share) in curves.items():
        colour = PRIORITY_COLOURS[prio]
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
            label=f"{prio}: {percent(share, 0)} answered",
        )
        if np.isfinite(m[-1]):
            # Past the p95 wait at least that share is answered: carry it to the edge.
            ax.hlines(levels[-1] * share, m[-1] / div, top, colors=colour, linestyles=":", lw=2)
    for t in targets:
        colour = PRIORITY_COLOURS.get(t.priority, PRIORITY_COLOURS["all"])
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
            label=f"{scope}: {format_duration(t.within)} for {percent(t.goal, 0)}{hours}",
        )
    if not curves:
        no_data(ax, "no answered contacts")
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
    finish(
        ax,
        f"Wait before first response: {channel}",
        f"wait ({unit}, square-root scale)",
        "share answered within the wait",
    )
    legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _sqrt(x: np.ndarray) -> np.ndarray:
    root: np.ndarray = np.sqrt(np.clip(x, 0, None))
    return root


_NICE_TICKS = {
    "minutes": (0, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180),
    "hours": (0, 0.5, 1, 2, 4, 8, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336),
}
