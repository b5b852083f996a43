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

The charts live in private modules by subject (``_workload``: arrivals,
staff, backlog, occupancy; ``_targets``: service levels and probabilities of
meeting targets; ``_waits``: waits before first response; ``_files``: images
for slides, and :class:`Figures`, which draws each chart of a run once for
every file and page that shows it; ``_style``: the shared look); this package
is their public face.
"""

from __future__ import annotations

from shiftsim.outputs.plotting._files import Figures, save_charts
from shiftsim.outputs.plotting._staffing import staffing_curve, staffing_search

# Colours and font sizes, for charts drawn to match (kept out of __all__).
from shiftsim.outputs.plotting._style import AMBER as AMBER
from shiftsim.outputs.plotting._style import GREEN as GREEN
from shiftsim.outputs.plotting._style import GREY as GREY
from shiftsim.outputs.plotting._style import LABEL as LABEL
from shiftsim.outputs.plotting._style import LEGEND as LEGEND
from shiftsim.outputs.plotting._style import LONG_HORIZON_DAYS, THRESHOLDS, rag_colour
from shiftsim.outputs.plotting._style import NOTE as NOTE
from shiftsim.outputs.plotting._style import RED as RED
from shiftsim.outputs.plotting._style import TICK as TICK
from shiftsim.outputs.plotting._style import TITLE as TITLE
from shiftsim.outputs.plotting._targets import (
    meet_heatmap,
    plan_comparison,
    service_level_over_time,
    sweep_chart,
    target_probabilities,
)
from shiftsim.outputs.plotting._waits import wait_distribution
from shiftsim.outputs.plotting._workload import (
    arrivals_and_staff,
    backlog_over_time,
    shift_occupancy,
    skill_groups,
)

__all__ = [
    "Figures",
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
    "skill_groups",
    "staffing_curve",
    "staffing_search",
    "sweep_chart",
    "target_probabilities",
    "wait_distribution",
]
