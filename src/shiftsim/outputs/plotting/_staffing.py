"""The staffing search as a chart: each roster evaluated, its cost against its worst requirement."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from shiftsim.outputs.plotting._style import GREEN, GREY, RED, axes_or_new, finish, legend, no_data

__all__ = ["staffing_search"]


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
