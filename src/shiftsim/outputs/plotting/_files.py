"""The planning-meeting charts of a run saved as image files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes

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
)

__all__ = ["save_charts"]


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
