"""Terminal output of ``shiftsim measure`` and ``shiftsim fit`` (rich tables)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from shiftsim.model.formats import percent, wide_when_piped

if TYPE_CHECKING:
    from shiftsim.logs.backtest import Backtest
    from shiftsim.logs.fit import FitResult
    from shiftsim.logs.measure import Measurement
    from shiftsim.logs.reader import ReadReport

__all__ = ["print_backtest", "print_fit", "print_measurement", "print_read_report"]


def _pct(x: float) -> str:
    return percent(x, missing="-")


def _num(x: float, fmt: str = "{:,.0f}") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def print_read_report(report: ReadReport, console: Console) -> None:
    """Rows read, dropped on purpose, bad by reason, adjusted."""
    for line in report.lines():
        style = "yellow" if line.strip().startswith("bad") else ""
        console.print(f"[{style}]{line}[/{style}]" if style else line, highlight=False)


def print_measurement(m: Measurement, console: Console | None = None) -> None:
    """The service a log shows: targets, channels and the day hour by hour (all MEASURED)."""
    console = console or Console()
    wide_when_piped(console)
    t = m.table
    observed = int(m.observed.sum())
    console.print(
        f"[bold]MEASURED[/bold] from logs: {t.first_day} to {t.last_day}, "
        f"{observed} day(s) with records"
    )
    if t.mapping.source.strip():
        console.print(f"Data: {t.mapping.source.strip()}", highlight=False)
    print_read_report(t.report, console)
    tables = m.tables()
    targets = tables["targets"]
    tt = Table(title="Targets (measured)", box=box.SIMPLE_HEAD)
    for col in ("target", "goal", "service level", "P(day meets goal)", "worst period"):
        tt.add_column(col, justify="left" if col == "target" else "right", overflow="fold")
    for _, row in targets.iterrows():
        worst = ""
        if "worst_period" in row and isinstance(row["worst_period"], str):
            worst = f"{row['worst_period']}: {_pct(row['worst_value'])}"
        tt.add_row(row["target"], _pct(row["goal"]), _pct(row["service_level"]),
                   _pct(row["p_meet"]), worst)  # fmt: skip
    console.print(tt)
    ch = tables["channels"]
    ct = Table(title="Channels (measured)", box=box.SIMPLE_HEAD)
    for col in ("channel", "offered", "bot containment", "abandonment", "ASA (s)"):
        ct.add_column(col, justify="left" if col == "channel" else "right", overflow="fold")
    for _, row in ch.iterrows():
        ct.add_row(row["channel"], _num(row["offered_per_rep"]), _pct(row["containment"]),
                   _pct(row["abandonment"]), _num(row["asa_s"], "{:.1f}"))  # fmt: skip
    console.print(ct)
    hours = tables["hours"]
    agents = tables["agents"]
    seen = _by_hour(agents, "agents_seen", m.observed)
    busy = _by_hour(agents, "busy", m.observed)
    for name, frame in hours.groupby("channel", sort=False):
        ht = Table(title=f"{name} by hour of the day (measured, {observed} days pooled)",
                   box=box.SIMPLE_HEAD)  # fmt: skip
        for col in ("hour", "offered/day", "answered", "abandonment", "service level", "ASA (s)",
                    "agents seen", "busy agents"):  # fmt: skip
            ht.add_column(col, justify="right", overflow="fold")
        for _, row in frame.iterrows():
            h = int(row["hour"])
            if row["offered"] == 0:
                continue
            ht.add_row(f"{h:02d}", _num(row["offered"] / max(observed, 1), "{:.1f}"),
                       _num(row["answered"]), _pct(row["abandonment"]),
                       _pct(row["service_level"]), _num(row["asa_s"], "{:.1f}"),
                       _num(seen[h], "{:.1f}"), _num(busy[h], "{:.1f}"))  # fmt: skip
        console.print(ht)


def _by_hour(agents: object, column: str, observed: np.ndarray) -> np.ndarray:
    """Mean of a per-interval column by hour of the day, over the observed days.

    Intervals without a value (NaN) are left out of their hour's mean, so one
    missing interval does not blank the hour; NaN only where no day has a value.
    """
    import pandas as pd

    frame = agents if isinstance(agents, pd.DataFrame) else pd.DataFrame()
    if frame.empty:
        return np.full(24, np.nan)
    start = pd.to_datetime(frame["start"])
    day = (start - start.min().normalize()).dt.days.to_numpy()
    keep = np.asarray(observed)[np.clip(day, 0, len(observed) - 1)]
    hours = start.dt.hour.to_numpy()
    values = frame[column].to_numpy(dtype=float)
    out = np.full(24, np.nan)
    for h in range(24):
        sel = keep & (hours == h) & ~np.isnan(values)
        if sel.any():
            out[h] = values[sel].mean()
    return out


def print_fit(fit: FitResult, path: str, console: Console | None = None) -> None:
    """What was fitted, in a few lines, and where the scenario was written."""
    console = console or Console()
    wide_when_piped(console)
    t = fit.table
    console.print(
        f"[bold]Fitted[/bold] {t.first_day} to {t.last_day} ({t.report.rows_kept:,} rows) "
        f"in {fit.seconds:.1f} s"
    )
    print_read_report(t.report, console)
    table = Table(
        title="Fitted channels", box=box.SIMPLE_HEAD,
        caption="per day: mean first attempts over the day type's days fitted, sd of the "
                "daily totals; peak agents: agents available in the busiest hour (work "
                "conservation), standard error of its mean over the days",
    )  # fmt: skip
    for col in ("channel", "days", "per day", "daily cv", "events", "peak agents"):
        table.add_column(
            col, justify="left" if col in ("channel", "days") else "right", overflow="fold"
        )
    for c in fit.channels:
        v = c.volume
        peak = int(np.argmax(c.staffing))
        table.add_row(c.name, v.label,
                      f"{_num(v.per_day)} (sd {_num(v.per_day_sd)}, {len(v.days)} days)",
                      f"{v.daily_cv:.2f}", str(len(v.events)),
                      f"{c.staffing[peak]:.1f} at {peak:02d}:00 "
                      f"(se {_num(c.staffing_se[peak], '{:.2f}')})")  # fmt: skip
    console.print(table)
    for lc, h in fit.handle.items():
        console.print(f"{lc} handle time: {h.note('answered contacts')}", highlight=False)
        if lc in fit.patience:
            console.print(f"{lc} patience: {fit.patience[lc].note}", highlight=False)
        r = fit.retries.get(lc)
        if r is not None:
            console.print(f"{lc} retries: {r.note}", highlight=False)
    console.print(f"Scenario: {path} (shiftsim run {path})")


def print_backtest(bt: Backtest, console: Console | None = None) -> None:
    """The back-test per month: MAE over open hours and the share of days inside the band.

    A score outside its target is marked ✗ (in red) and the last column says
    whether the month meets all four; the Erlang A MAE is shown for comparison.
    """
    console = console or Console()
    wide_when_piped(console)
    table = Table(title="Back-test: simulated fitted scenario vs measured history",
                  box=box.SIMPLE_HEAD)  # fmt: skip
    for col in ("month", "days", "open hours", "MAE abandon.", "MAE service level",
                "in band: abandon.", "in band: service level", "Erlang A MAE abandon.",
                "Erlang A MAE service level", "within targets"):  # fmt: skip
        table.add_column(col, justify="left" if col == "month" else "right", overflow="fold")
    for s in bt.summaries:
        missed = bt.misses(s)
        scores = [
            _mark(_pts(s.mae_abandonment), "mae_abandonment" in missed),
            _mark(_pts(s.mae_service_level), "mae_service_level" in missed),
            _mark(_pct(s.in_band_abandonment), "in_band_abandonment" in missed),
            _mark(_pct(s.in_band_service_level), "in_band_service_level" in missed),
        ]
        erlang = [_pts(s.erlang_mae_abandonment), _pts(s.erlang_mae_service_level)]
        table.add_row(s.label, str(s.days), str(s.open_hours), *scores, *erlang,
                      _mark("no", True) if missed else "yes")  # fmt: skip
    console.print(table)
    console.print(
        f"Targets: MAE within {100 * bt.mae_goal:.0f} points, at least "
        f"{bt.band_goal:.0%} of days inside the simulated daily 95% band (✗: missed). "
        "Erlang A MAE: the stationary formula's, on the same hours, for comparison (no target).",
        highlight=False,
    )


def _pts(x: float) -> str:
    """A share as percentage points: ``4.3 pts``."""
    return "-" if math.isnan(x) else f"{100 * x:.1f} pts"


def _mark(text: str, missed: bool) -> str:
    """A score as printed: in red with ✗ when it misses its target."""
    return f"[red]{text} ✗[/red]" if missed else text
