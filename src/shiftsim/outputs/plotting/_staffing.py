"""The staffing search as a chart: each roster evaluated, its cost against its worst requirement."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from shiftsim.outputs.plotting._style import GREEN, GREY, RED, axes_or_new, finish, legend, no_data

__all__ = ["staffing_curve", "staffing_search"]


def staffing_search(
    trail: pd.DataFrame, recommended_cost: float | None = None, ax: Axes | None = None
) -> Axes:
    """Cost of every roster the search evaluated against its worst requirement's margin.

    ``trail`` is :attr:`shiftsim.StaffingResult.trail`: one row per evaluation
    with ``cost``, ``worst_margin`` (lowest P(period meets goal) minus the
    required probability, over every requirement) and ``fresh_seeds``. Rosters
    right of zero meet every requirement; the cheapest of them on fresh seeds
    is the answer (``recommended_cost``, a vertical line).
    """
    ax = axes_or_new(ax, (11, 6))
    if trail.empty:
        no_data(ax, "no evaluation")
        finish(ax, "Staffing search")
        return ax
    for fresh, marker, label in ((False, "o", "search seeds"), (True, "D", "fresh seeds")):
        rows = trail[trail["fresh_seeds"] == fresh]
        if rows.empty:
            continue
        colours = [GREEN if m >= 0 else RED for m in rows["worst_margin"]]
        ax.scatter(rows["worst_margin"], rows["cost"], c=colours, marker=marker, s=46,
                   alpha=0.8, edgecolors="black" if fresh else "none", label=label)  # fmt: skip
    ax.axvline(0.0, color=GREY, lw=1.5, ls="--")
    if recommended_cost is not None:
        ax.axhline(recommended_cost, color="black", lw=1.2, label="recommended roster")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    finish(ax, "Staffing search: cost against the worst requirement",
           "worst requirement: P(period meets goal) - required (right of 0: all met)",
           "cost (agent-hours per day of the pattern)")  # fmt: skip
    legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def staffing_curve(curve: pd.DataFrame, days: str = "all", ax: Axes | None = None) -> Axes:
    """Agents per interval of one day type: today's levels, the Erlang start, the recommended.

    ``curve`` is :attr:`shiftsim.StaffingResult.curve` (one row per pool, day
    type and interval); every pool of it is drawn, ``days`` picks the day type
    (``all``, or a weekday with levels of its own). A dot per interval: green
    where its requirements are met on the fresh seeds, red where not.
    """
    ax = axes_or_new(ax, (11, 6))
    rows = curve[curve["days"] == days] if len(curve) else curve
    if rows.empty:
        no_data(ax, f"no interval levels for {days}")
        finish(ax, "Requirement curve")
        return ax
    several = rows["pool"].nunique() > 1
    for pool, mine in rows.groupby("pool", sort=False):
        x = mine["interval"].to_numpy()
        edges = np.append(x, x[-1] + 1)
        prefix = f"{pool}: " if several else ""
        ax.stairs(mine["now"], edges, color=GREY, lw=1.5, label=f"{prefix}today")
        ax.stairs(mine["erlang"], edges, color=GREY, lw=1.5, ls="--",
                  label=f"{prefix}Erlang start")  # fmt: skip
        ax.stairs(mine["recommended"], edges, color="black", lw=2.2,
                  label=f"{prefix}recommended")  # fmt: skip
        colours = [GREEN if m else RED for m in mine["met"]]
        ax.scatter(x + 0.5, mine["recommended"], c=colours, s=30, zorder=3)
    labels = rows.drop_duplicates("interval")
    step = max(1, len(labels) // 12)
    ax.set_xticks(labels["interval"].to_numpy()[::step])
    ax.set_xticklabels(labels["start"].to_numpy()[::step])
    finish(ax, f"Requirement curve ({days} days): agents on duty per interval",
           "interval of the day (start)", "agents on duty")  # fmt: skip
    legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
