"""The planning-meeting charts of a run saved as image files, each figure drawn once."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import LayoutEngine
from matplotlib.transforms import Bbox

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

__all__ = ["DPI", "MAX_TARGET_CHARTS", "Figures", "save_charts"]

DPI = 150
"""Resolution of the PNG chart files."""

MAX_TARGET_CHARTS = 6
"""Targets whose service level and day x hour map are saved: the surest failures first.

Each chart takes about half a second to write as PNG and SVG; a scenario
failing a dozen targets would otherwise spend long seconds on slides nobody
shows.
"""


@dataclass
class _Layout:
    """A figure's layout engine, taken off it, and where its axes stood before any layout."""

    engine: LayoutEngine
    start: list[tuple[Axes, Bbox, Bbox, bool]]
    dpi: float | None = None
    """The resolution the figure is laid out for now."""


class Figures:
    """The charts of one run, each drawn once and laid out once per resolution.

    ``figures(meet_heatmap, 2)`` is ``meet_heatmap(result, 2)`` the first
    time and the same Axes after, so the chart files and the report's page
    share one figure per chart.

    ``figures.lay_out(ax, dpi)`` lays its figure out (constrained layout) for
    saving at ``dpi``, unless it already is, and takes the layout engine off,
    so that each save is one drawing (savefig with an engine draws twice and
    lays out again). ``figures.at(dpi)(meet_heatmap, 2)`` draws and lays out.
    Text measures slightly differently at each resolution (font hinting: a
    layout made for 100 dpi can push a long label a few pixels off a 150-dpi
    image), so each resolution gets its own layout, made from where the axes
    stood before any: the image is, bit for bit, that of the chart drawn alone
    and saved at that resolution. A figure never laid out keeps its engine,
    and savefig lays it out as usual.

    Parameters
    ----------
    result
        The run charted.
    """

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self._drawn: dict[Hashable, Axes] = {}
        self._layouts: dict[Figure, _Layout] = {}

    def __call__(self, draw: Callable[..., Axes], *args: Any, **kwargs: Any) -> Axes:
        """``draw(result, *args, **kwargs)``, the first time; the same Axes after.

        The same chart however its arguments are spelt: by position or name,
        defaults left out or given, a list of channels or a tuple.
        """
        bound = inspect.signature(draw).bind(self.result, *args, **kwargs)
        bound.apply_defaults()
        given = list(bound.arguments.items())[1:]  # the result is the same for all
        key = (draw, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in given))
        if key not in self._drawn:
            self._drawn[key] = draw(self.result, *args, **kwargs)
        return self._drawn[key]

    def at(self, dpi: float) -> Callable[..., Axes]:
        """``figures.at(dpi)(draw, *args, **kwargs)``: the chart, laid out for saving at ``dpi``."""

        def laid_out(draw: Callable[..., Axes], *args: Any, **kwargs: Any) -> Axes:
            return self.lay_out(self(draw, *args, **kwargs), dpi)

        return laid_out

    def lay_out(self, ax: Axes, dpi: float) -> Axes:
        """Lay out the figure of ``ax`` for saving at ``dpi`` (PNG or SVG); returns ``ax``."""
        fig = ax.get_figure(root=True)
        assert isinstance(fig, Figure)
        layout = self._layouts.get(fig)
        if layout is None:
            engine = fig.get_layout_engine()
            if engine is None:
                return ax  # nothing to lay out
            start = [(a, a.get_position(original=True).frozen(),
                      a.get_position(original=False).frozen(), a.get_in_layout())
                     for a in fig.axes]  # fmt: skip
            # None, not "none": savefig draws twice for any engine, even a
            # placeholder. The rc settings would put one back.
            with matplotlib.rc_context(
                {"figure.autolayout": False, "figure.constrained_layout.use": False}
            ):
                fig.set_layout_engine(None)
            layout = self._layouts[fig] = _Layout(engine, start)
        if layout.dpi != dpi:
            # From the starting positions: the layout depends on where it starts
            # (tick locators count on the axes' length).
            for a, original, active, in_layout in layout.start:
                a.set_position(original, which="original")
                a.set_position(active, which="active")
                a.set_in_layout(in_layout)  # set_position takes it out
            fig.set_dpi(dpi)
            layout.engine.execute(fig)
            layout.dpi = dpi
        return ax


def save_charts(
    result: RunResult,
    folder: str | Path,
    formats: Sequence[str] = ("png", "svg"),
    figures: Figures | None = None,
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

    ``figures`` (of ``result``) shares the figures with other users of them,
    such as the report's page.
    """
    if figures is not None and figures.result is not result:
        raise ValueError("figures must be those of the result saved (got another run's)")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    # The SVG takes the PNG's layout: a vector image of the same chart.
    fig_of = (Figures(result) if figures is None else figures).at(DPI)
    groups = skill_groups(result)
    charts: list[tuple[str, Axes]] = [
        ("arrivals_and_staff" + (f"_{_file_name('-'.join(g))}" if len(groups) > 1 else ""),
         fig_of(arrivals_and_staff, channels=g if len(groups) > 1 else None))
        for g in groups
    ]  # fmt: skip
    charts += [
        ("backlog", fig_of(backlog_over_time)),
        ("occupancy_by_shift", fig_of(shift_occupancy)),
    ]
    if len(result.scenario.resolved_targets):
        charts.append(("target_probabilities", fig_of(target_probabilities)))
        for k in failing_targets(result)[:MAX_TARGET_CHARTS] or [0]:
            name = _file_name(result.scenario.resolved_targets[k].label)
            charts += [
                (f"service_level_{name}", fig_of(service_level_over_time, k)),
                (f"meet_heatmap_{name}", fig_of(meet_heatmap, k)),
            ]
    charts += [(f"waits_{_file_name(name)}", fig_of(wait_distribution, name))
               for name in result.scenario.channels]  # fmt: skip
    written = []
    for name, ax in charts:
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.{fmt}.tmp-{os.getpid()}"
            meta = {"Software": None} if fmt == "png" else {"Creator": None}
            fig = ax.get_figure(root=True)
            assert fig is not None
            fig.savefig(tmp, format=fmt, dpi=DPI, facecolor="white", metadata=meta)
            os.replace(tmp, path)
            written.append(path)
    return written


def _file_name(text: str) -> str:
    """``phone-urgent-answered-5min`` for ``phone urgent answered <= 5min``."""
    words = "".join(c if c.isalnum() or c in "-_" else " " for c in text.replace("<=", " "))
    return "-".join(words.split())
