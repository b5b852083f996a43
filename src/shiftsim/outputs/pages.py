"""Building blocks of the HTML pages: the Jinja2 templates and the data they lay out.

Templates live in ``shiftsim/outputs/templates`` (package data).
``page.html.j2`` is the frame of a self-contained page (inline style sheet, no
script, no network reference) that a report extends; ``macros.html.j2`` draws
a :class:`Table` of :class:`Cell` and embeds a :class:`Chart`. Python hands
the templates plain data (strings in cells, charts as base64 PNG) and the
templates escape every string, so no HTML is written in Python.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from matplotlib.axes import Axes  # matplotlib itself is used by plotting only

__all__ = ["DPI", "Cell", "Chart", "Table", "chart", "environment", "render", "table"]

DPI = 100
"""Resolution of the charts embedded in a page."""


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and how to show it."""

    text: str
    numeric: bool = False
    """Right-aligned, tabular figures."""
    status: str = ""
    """``good``, ``risk`` or ``bad``: the cell's colour."""
    note: str = ""
    """A second, smaller line."""
    strong: bool = False
    below: bool = False
    """A figure below its goal, in red."""

    @property
    def css(self) -> str:
        """The cell's ``class`` attribute."""
        return " ".join(c for c in ("num" if self.numeric else "", self.status) if c)


@dataclass(frozen=True)
class Table:
    """A header row and body rows of cells."""

    head: list[Cell]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Chart:
    """A chart as base64 PNG, with its pixel size, alternative text and caption."""

    data: str
    width: int
    height: int
    alt: str
    caption: str


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str | Cell]], numeric: Sequence[bool] = ()
) -> Table:
    """A :class:`Table`; plain strings become cells, ``numeric`` marks right-aligned columns."""
    flags = list(numeric) or [False] * len(headers)

    def cells(row: Sequence[str | Cell]) -> list[Cell]:
        return [
            dataclasses.replace(c, numeric=n) if isinstance(c, Cell) else Cell(c, numeric=n)
            for c, n in zip(row, flags, strict=True)
        ]

    return Table(cells(headers), [cells(r) for r in rows])


def chart(ax: Axes, caption: str) -> Chart:
    """The figure of ``ax`` as a :class:`Chart`; its title is the alternative text."""
    fig = ax.get_figure(root=True)
    assert fig is not None
    buf = io.BytesIO()
    # No Software tag: keeps the file free of any web address.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    width, height = (int(round(v * DPI)) for v in fig.get_size_inches())
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return Chart(data, width, height, ax.get_title(loc="left") or caption, caption)


def render(template: str, context: Mapping[str, Any]) -> str:
    """``template`` (a file name in ``templates/``) rendered with ``context``."""
    return environment().get_template(template).render(context)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of ``shiftsim/outputs/templates``, HTML-escaped, strict about names."""
    # Every template is escaped unless it says otherwise (summary.md.j2 does).
    # StrictUndefined: a misspelt name fails the tests instead of leaving a blank
    # in a planner's report.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("shiftsim.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
