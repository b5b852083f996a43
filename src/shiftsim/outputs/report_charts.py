"""The charts of the report: which, in what order, under which section, with what caption.

Long horizons keep the report the same size: service level is charted for
the first target and the failing others only (``MAX_SERVICE_LEVEL_CHARTS``),
the day x hour map for the first and the worst target, and the arrivals for
the average day and the busiest one, for each group of channels that the
same pools serve (against the agents who can take them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from shiftsim.analysis.findings import failing_targets
from shiftsim.analysis.results import RunResult
from shiftsim.model.formats import percent
from shiftsim.outputs import plotting
from shiftsim.outputs.pages import DPI, Chart, chart

if TYPE_CHECKING:
    from matplotlib.axes import Axes  # matplotlib itself is used by plotting only

__all__ = ["MAX_SERVICE_LEVEL_CHARTS", "ChartSection", "chart_sections"]

MAX_SERVICE_LEVEL_CHARTS = 6
"""Service-level charts in the report: the first target and the failing others."""


@dataclass(frozen=True)
class ChartSection:
    """A section of charts: its title, a note above them, the charts."""

    title: str
    charts: list[Chart]
    note: str = ""


def _key_targets(result: RunResult) -> list[int]:
    """The first target and the failing others (missed, then at risk, worst first)."""
    if not result.scenario.resolved_targets:
        return []
    picked = [0] + [k for k in failing_targets(result) if k != 0]
    return picked[:MAX_SERVICE_LEVEL_CHARTS]


def chart_sections(
    result: RunResult, targets: pd.DataFrame, figures: plotting.Figures | None = None
) -> list[ChartSection]:
    """Every chart, by section, in reading order.

    ``figures`` (of ``result``) shares the figures with the chart files
    (:func:`~shiftsim.outputs.plotting.save_charts`), so each is drawn once.
    """
    sc = result.scenario
    fig_of = (plotting.Figures(result) if figures is None else figures).at(DPI)
    low, high = (percent(t, 0) for t in plotting.THRESHOLDS)
    out: list[ChartSection] = []
    if not targets.empty:
        out.append(ChartSection("Probability of meeting each target", [chart(
            fig_of(plotting.target_probabilities),
            "Share of simulated days on which the day's service level reached the goal, over all "
            "replications; whiskers: 95% confidence interval across replications. Green ≥ "
            f"{high}, amber ≥ {low}, red below.",
        )]))  # fmt: skip

    busiest = _busiest_day(result)
    groups = plotting.skill_groups(result)
    load = []
    for group in groups:
        which = None if len(groups) == 1 else group
        skilled = "" if which is None else f" skilled for {', '.join(group)}"
        load.append(chart(
            fig_of(plotting.arrivals_and_staff, channels=which),
            "Bars: contacts offered per clock hour (arrivals and retries, before any bot), "
            f"averaged over the horizon. Lines (right axis): agents{skilled} rostered on duty "
            "(before absence), available (present, after shrinkage) and busy (with any of "
            "their channels).",
        ))  # fmt: skip
        if busiest is not None and sc.horizon.days > 1:
            load.append(chart(fig_of(plotting.arrivals_and_staff, day=busiest, channels=which),
                              f"The busiest day of the horizon ({busiest:%A %d %B %Y}), by "
                              "contacts offered."))  # fmt: skip
    out.append(ChartSection("Arrivals and agents on duty", load))
    if not targets.empty:
        out += _target_charts(result, targets, fig_of)

    waits = [
        chart(fig_of(plotting.wait_distribution, name),
              "Wait percentiles (p50, p80, p90, p95) of answered contacts, averaged over days, "
              "scaled by the share answered (hang-ups never are); dotted: at least that share "
              "is answered by then. Stars: each target's wait limit and goal; a curve passing "
              "above its star meets the target on average.")
        for name in sc.channels
    ]  # fmt: skip
    out.append(ChartSection("Waits before first response", waits))
    out.append(ChartSection("Backlog of deferrable work", [chart(
        fig_of(plotting.backlog_over_time),
        "Async messages not yet picked up plus escalated cases answered by the department and "
        "not yet closed by the front line; mean of replications with 95% CI.",
    )]))  # fmt: skip
    out.append(ChartSection("Occupancy by shift", [chart(
        fig_of(plotting.shift_occupancy),
        "Busy time over time on duty (chats weighted by 1/concurrency) over the horizon, with "
        "95% CI; the labels give the agents rostered on duty per day.",
    )]))  # fmt: skip
    return out


def _target_charts(
    result: RunResult, targets: pd.DataFrame, fig_of: Callable[..., Axes]
) -> list[ChartSection]:
    """Service level over the horizon for the key targets, and their day x hour maps."""
    days = result.scenario.horizon.days
    per = "per day" if days > plotting.LONG_HORIZON_DAYS else "per interval and per day"
    keys = _key_targets(result)
    sl = [
        chart(fig_of(plotting.service_level_over_time, k),
              f"Service level {per} (mean of replications, 95% CI shaded) against the goal "
              "(dashed). Shaded in yellow: dated events.")
        for k in keys
    ]  # fmt: skip
    note = ""
    if len(targets) > len(keys):
        weak = f" and the {len(keys) - 1} worst failing" if len(keys) > 1 else ""
        note = f"Charted: the first target{weak}; the others are in the tables above."

    # The first target, and the surest failure.
    heat_keys = keys[:1] + [k for k in failing_targets(result)[:1] if k != keys[0]]
    heat = [
        chart(fig_of(plotting.meet_heatmap, k),
              "Share of replications in which that hour's service level reached the goal. "
              "Grey: no contact for this target in that hour.")
        for k in heat_keys
    ]  # fmt: skip
    return [
        ChartSection("Service level over the horizon", sl, note),
        ChartSection("When are targets missed? Day × hour", heat),
    ]


def _busiest_day(result: RunResult) -> dt.date | None:
    days = result.intervals("day")
    if days.empty:
        return None
    total = days.groupby("start")["offered"].sum()
    busiest: dt.date = pd.Timestamp(total.idxmax()).date()
    return busiest
