"""The planning-meeting charts of a run saved as image files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes

from shiftsim.analysis.findings import failing_targets
from shiftsim.analysis.results import RunResult
from shiftsim.outputs.plotting._targets import (
    meet_heatmap,
    service_level_over_time,
    target_probabilities,
)
from shiftsim.outputs.plotting._waits import wait_distribution
from shiftsim.outputs.plotting._workload import (
    arrivals_and_staff,
    backlog_over_time,
    shift_occupancy,
    skill_groups,
)

__all__ = ["MAX_TARGET_CHARTS", "save_charts"]

MAX_TARGET_CHARTS = 6
"""Targets whose service level and day x hour map are saved: the surest failures first.

Each chart takes a second or two to write as PNG and SVG; a scenario failing
a dozen targets would otherwise spend a minute on slides nobody shows.
"""


def save_charts(
    result: RunResult, folder: str | Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Save the planning-meeting charts of a run as image files (PNG and SVG by default).

    Arrivals against the agents who can take them (one chart per group of
    channels served by the same pools), backlog, occupancy, P(meet) of every
    target, and the service level and day x hour map of the targets judged
    missed or at risk (at most :data:`MAX_TARGET_CHARTS`, missed first, then by
    their worst value; the first target when none is), named after the
    target. Writes into ``folder`` (created if needed), each file under a
    temporary name first and then renamed, so no chart file is ever
    half-written. Returns the paths written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    groups = skill_groups(result)
    charts: list[tuple[str, Axes]] = [
        ("arrivals_and_staff" + (f"_{_file_name('-'.join(g))}" if len(groups) > 1 else ""),
         arrivals_and_staff(result, channels=g if len(groups) > 1 else None))
        for g in groups
    ]  # fmt: skip
    charts += [
        ("backlog", backlog_over_time(result)),
        ("occupancy_by_shift", shift_occupancy(result)),
    ]
    if len(result.scenario.resolved_targets):
        charts.append(("target_probabilities", target_probabilities(result)))
        for k in failing_targets(result)[:MAX_TARGET_CHARTS] or [0]:
            name = _file_name(result.scenario.resolved_targets[k].label)
            charts += [
                (f"service_level_{name}", service_level_over_time(result, k)),
                (f"meet_heatmap_{name}", meet_heatmap(result, k)),
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
    """``phone-urgent-answered-5min`` for ``phone urgent answered <= 5min``."""
    words = "".join(c if c.isalnum() or c in "-_" else " " for c in text.replace("<=", " "))
    return "-".join(words.split())
