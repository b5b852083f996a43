"""Shared look of the charts: colours, font sizes, axes helpers, target lookup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import HOUR

__all__ = [
    "AMBER",
    "GREEN",
    "GREY",
    "LABEL",
    "LEGEND",
    "LONG_HORIZON_DAYS",
    "NOTE",
    "PRIORITY_COLOURS",
    "RED",
    "THRESHOLDS",
    "TICK",
    "TITLE",
    "axes_or_new",
    "channel_colours",
    "date_axis",
    "finish",
    "is_share",
    "legend",
    "minutes_or_hours",
    "no_data",
    "path_label",
    "rag_colour",
    "resolve_per",
    "shade_events",
    "target_index",
    "target_rows",
    "times_of",
]


LONG_HORIZON_DAYS = 21
"""Above this many days, time-series charts are drawn per day instead of per interval."""

THRESHOLDS: tuple[float, float] = (0.5, 0.9)
"""Default red/amber and amber/green limits for the probability of meeting a target."""

RED, AMBER, GREEN = "#c62828", "#f4a300", "#2e7d32"
GREY = "#9e9e9e"

# Sizes for a projector: a 1200-pixel-wide chart shown on a wall screen.
TITLE, LABEL, TICK, LEGEND, NOTE = 17, 14, 12.5, 12, 11.5

PRIORITY_COLOURS = {
    "urgent": "#c62828",
    "important": "#ef6c00",
    "general": "#1565c0",
    "all": "#455a64",
}


# -- helpers -----------------------------------------------------------------


def axes_or_new(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new standalone figure of ``size`` inches."""
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.subplots()


def finish(ax: Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(title, fontsize=TITLE, loc="left", fontweight="bold")
    ax.set_xlabel(xlabel, fontsize=LABEL)
    ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    ax.spines[["top", "right"]].set_visible(False)


def channel_colours(names: Sequence[str]) -> dict[str, str]:
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


def target_index(result: RunResult, target: int | str) -> int:
    """Index of a target given by position or label, with a helpful error."""
    labels = [t.label for t in result.scenario.resolved_targets]
    if isinstance(target, str):
        if target in labels:
            return labels.index(target)
        raise ValueError(f"unknown target {target!r}; targets are: {', '.join(labels)}")
    if not -len(labels) <= target < len(labels):
        raise ValueError(f"target index out of range (got {target}, {len(labels)} target(s))")
    return target % len(labels)


def target_rows(result: RunResult, frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """Rows of target ``k`` in a ``target_intervals`` frame.

    By label; two targets with the same label are told apart by position
    (the frame holds one block per target, in the scenario's order).
    """
    labels = [t.label for t in result.scenario.resolved_targets]
    if labels.count(labels[k]) == 1:
        return frame[frame["target"] == labels[k]]
    n = len(frame) // len(labels)
    return frame.iloc[k * n : (k + 1) * n]


def resolve_per(result: RunResult, per: str) -> str:
    if per == "auto":
        return "day" if result.scenario.horizon.days > LONG_HORIZON_DAYS else "interval"
    if per not in ("interval", "day"):
        raise ValueError(f"per must be 'auto', 'interval' or 'day' (got {per!r})")
    return per


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def shade_events(ax: Axes, result: RunResult) -> None:
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


def times_of(frame: pd.DataFrame, column: str = "start") -> np.ndarray:
    times: np.ndarray = frame[column].to_numpy(dtype="datetime64[s]")
    return times


def legend(ax: Axes, handles: Sequence[Artist] | None = None, **kwargs: Any) -> None:
    shown = list(handles) if handles is not None else ax.get_legend_handles_labels()[0]
    if shown:
        ax.legend(handles=shown, fontsize=LEGEND, frameon=False, **kwargs)


def no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", fontsize=LABEL, color=GREY)


def minutes_or_hours(seconds: float) -> tuple[float, str]:
    """A divisor and unit name that keep the numbers of a duration axis readable."""
    return (HOUR, "hours") if seconds > 3 * HOUR else (60.0, "minutes")


# Words for the last key of a scenario path (`channels.chat.bot.containment`).
_LEAVES = {
    "per_day": "contacts per day", "headcount": "headcount", "containment": "bot containment",
    "concurrency": "chats per agent", "factor": "volume factor", "shrinkage": "shrinkage",
    "absence": "absence", "vip_share": "VIP share", "share": "share", "daily_cv": "forecast error",
    "session_time": "bot session", "goal": "goal", "within": "target time",
}  # fmt: skip
_SHARES = {"containment", "shrinkage", "absence", "vip_share", "share", "goal", "daily_cv"}
# Keys that only say where a value lives in the file.
_CONTAINERS = {"channels", "pools", "shifts", "volume", "bot", "targets", "departments",
               "escalation", "retry", "staffing", "reporting"}  # fmt: skip


def path_label(path: str) -> str:
    """A person's name for a scenario path: ``chat bot containment``, ``frontline night headcount``.

    ``channels.chat.bot.containment`` becomes ``chat bot containment``,
    ``pools.frontline.shifts.night.headcount`` ``frontline night headcount``,
    ``events.0.factor`` ``event 1 volume factor``.
    """
    keys = path.replace("[", ".").replace("]", "").split(".")
    leaf = keys[-1]
    words: list[str] = []
    for i, key in enumerate(keys[:-1]):
        if key.isdigit():
            words.append(f"{'event' if keys[i - 1] == 'events' else 'item'} {int(key) + 1}")
        elif key == "bot" and leaf == "containment":
            continue  # "bot containment" says it
        elif key not in _CONTAINERS and key != "events":
            words.append(key.replace("_", " "))
    if keys[0] == "events" and len(keys) > 2 and keys[-2] == "channels":
        words.append(f"{leaf} volume factor")  # events.0.channels.phone: a channel's factor
    else:
        words.append(_LEAVES.get(leaf, leaf.replace("_", " ")))
    return " ".join(words)


def is_share(path: str) -> bool:
    """Whether the value at ``path`` is a share (drawn as a percentage)."""
    return path.rsplit(".", 1)[-1] in _SHARES
