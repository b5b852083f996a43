"""Response targets: service level over time, P(meet) bars, plan comparison, heatmap, sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from shiftsim.analysis.metrics import meets
from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import DAY, HOUR, format_duration
from shiftsim.model.formats import percent
from shiftsim.outputs.plotting._style import (
    AMBER,
    GREEN,
    LABEL,
    RED,
    THRESHOLDS,
    TICK,
    axes_or_new,
    date_axis,
    finish,
    is_share,
    legend,
    no_data,
    path_label,
    rag_colour,
    resolve_per,
    shade_events,
    target_index,
    target_rows,
    times_of,
)

__all__ = [
    "meet_heatmap",
    "plan_comparison",
    "service_level_over_time",
    "sweep_chart",
    "target_probabilities",
]


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
    ax = axes_or_new(ax, (12, 5))
    sc = result.scenario
    k = target_index(result, target)
    t = sc.resolved_targets[k]
    per = resolve_per(result, per)
    daily = target_rows(result, result.target_intervals("day"), k)
    day_sl = daily["service_level"].to_numpy(dtype=float)
    day_x = times_of(daily)
    if per == "interval":
        step = sc.reporting.interval
        frame = target_rows(result, result.target_intervals(), k)
        x = times_of(frame) + np.timedelta64(int(step // 2), "s")  # centre of the interval
        _sl_band(ax, x, frame, 0.3, color="#42a5f5", lw=1.3, label=f"per {format_duration(step)}")
        edges = np.append(day_x, day_x[-1] + np.timedelta64(int(DAY), "s"))
        ax.stairs(day_sl, edges, color="#0d47a1", lw=3.2, label="per day", baseline=None)
    else:
        x = day_x + np.timedelta64(int(DAY // 2), "s")
        marker = "o" if len(x) <= 60 else None
        _sl_band(ax, x, daily, 0.35, color="#0d47a1", lw=2.6, marker=marker, ms=5, label="per day")
    ax.axhline(t.goal, color=RED, ls="--", lw=2.4, label=f"goal {percent(t.goal, 0)}")
    shade_events(ax, result)
    ax.set_ylim(0, 1.04)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    date_axis(ax)
    finish(ax, f"Service level: {t.label}", "", f"% within {format_duration(t.within)}")
    # Below the axes: a service level can fall anywhere from 0 to 100%.
    legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4)
    return ax


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
    ax = axes_or_new(ax, (12, 1.5 + 0.55 * max(n, 2)))
    if n == 0:
        no_data(ax, "no response targets in this scenario")
        finish(ax, "Probability that a day meets each target")
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
        text = percent(v, 0, missing="n/a")
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
    finish(ax, "Probability that a day meets each target", "P(day meets goal), 95% CI")
    legend(
        ax,
        handles=[
            Patch(color=GREEN, label=f"likely met (>= {percent(high, 0)})"),
            Patch(color=AMBER, label=f"at risk ({percent(low, 0)}-{percent(high, 0)})"),
            Patch(color=RED, label=f"likely missed (< {percent(low, 0)})"),
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
    ax = axes_or_new(ax, (12, 1.8 + 0.3 * n * max(m, 2)))
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
    finish(
        ax,
        "Plans side by side: probability that a day meets each target",
        "P(day meets goal), 95% CI",
    )
    legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.4 / max(n, 2)), ncol=min(m, 4))
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
        frame = target_rows(result, result.target_intervals(), k)
        p_meet: np.ndarray = frame["p_meet"].to_numpy(dtype=float).reshape(days, -1)
        return p_meet
    group = int(round(HOUR / step))
    elig = np.stack([m.iv_target_eligible[k] for m in result.metrics]).astype(float)
    met = np.stack([m.iv_target_met[k] for m in result.metrics]).astype(float)
    elig = elig.reshape(len(result.metrics), -1, group).sum(axis=2)
    met = met.reshape(len(result.metrics), -1, group).sum(axis=2)
    n = (elig > 0).sum(axis=0)
    ok = meets(met, elig, t.goal)
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
    ax = axes_or_new(ax, (12, min(3.0 + 0.3 * days, 16.0)))
    k = target_index(result, target)
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
    finish(
        ax,
        f"P(hour meets goal): {t.label} (goal {percent(t.goal, 0)})",
        "hour of day (grey: no contacts)",
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
    ax = axes_or_new(ax, (12, 6.5))
    if frame.empty:
        no_data(ax, "empty sweep")
        finish(ax, "Sweep")
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
    elif is_share(param):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    what = "P(day meets goal)" if metric == "p_meet" else "service level"
    name = path_label(param)
    finish(ax, f"{what} as {name} changes", name, f"{what}, 95% CI")
    # Beside the axes, not on the lines: a sweep's curves can cross anywhere.
    legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
