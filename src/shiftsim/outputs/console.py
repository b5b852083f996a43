"""The terminal report of ``shiftsim run`` (rich tables)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shiftsim.analysis.comparison import Comparison
from shiftsim.analysis.findings import Finding, findings
from shiftsim.analysis.results import RunResult
from shiftsim.model.formats import percent, percent_ci, wide_when_piped

__all__ = ["print_comparison", "print_report"]


def _pct(x: float) -> str:
    # The shared rule, in plain ASCII for any terminal.
    return percent(x, missing="-")


def _pct_ci(m: float, lo: float, hi: float) -> str:
    return percent_ci(m, lo, hi, missing="-", dash="-")


def _num_ci(m: float, lo: float, hi: float, fmt: str = "{:.0f}") -> str:
    if math.isnan(m):
        return "-"
    if math.isnan(lo):
        return fmt.format(m) + " (no CI)"
    return f"{fmt.format(m)} ({fmt.format(lo)}-{fmt.format(hi)})"


def _whole_words(table: Table, console: Console) -> Table:
    """``table`` with no word or number split across lines, wherever it fits.

    Rich narrows the widest columns until a table fits the console, and a cell
    folds wherever its column ends: ``(87.1-100`` / ``.8)``, ``first-contac`` /
    ``t res.``. Each column's minimum is set to its longest word (header and
    cells), so that rich wraps between words; when even those minimums are
    wider than the console, nothing is set and folding stays the last resort
    (a table wider than the terminal would be wrapped by it, line by line).
    """
    longest = []
    for column in table.columns:
        texts = [str(column.header), *(str(c) for c in column.cells)]
        words = (w for t in texts for w in Text.from_markup(t).plain.split())
        longest.append(max((len(w) for w in words), default=1))
    _, right, _, left = table.padding
    n = len(table.columns)
    # Column separators between columns, and the two edges when drawn (as rich counts them).
    borders = 0 if table.box is None else n - 1 + (2 if table.show_edge else 0)
    if sum(longest) + n * (left + right) + borders <= console.width:
        for column, width in zip(table.columns, longest, strict=True):
            column.min_width = max(column.min_width or 0, width)
    return table


def print_report(
    result: RunResult, console: Console | None = None, changes: Sequence[str] = ()
) -> None:
    """Print the targets, channel and shift tables of a run.

    ``changes``: the command-line options that changed the scenario file's
    values (``--days 4``, ``--set PATH=VALUE``, ``--volume 1.3``), said under the heading.
    """
    console = console or Console()
    wide_when_piped(console)
    sc = result.scenario
    h = sc.horizon
    console.print(
        f"[bold]{sc.name}[/bold]: {h.days} days from {h.start}"
        + (f" after {h.warmup_days} warm-up day(s)" if h.warmup_days else "")
        + f", {result.replications} replication(s), seed {sc.seed}"
        + f" ({result.wall_time:.1f} s)"
    )
    if changes:
        console.print(f"Changed from the file: {', '.join(changes)}", highlight=False)
    if result.interrupted:
        console.print(
            f"[yellow]Interrupted: {result.replications} of {result.requested} replications "
            "finished; figures below use those only.[/yellow]"
        )
    if result.replications < 2:
        console.print("[yellow]One replication: no confidence interval can be given.[/yellow]")

    _print_findings(findings(result), console, judged=result.replications >= 2)
    _print_targets(result, console)

    c = Table(title="Channels")
    # Repeat contacts (channels.NAME.repeat) add two columns, only when a channel has them.
    repeats = any(ch.repeat is not None for ch in sc.channels.values())
    for col in ("channel", "offered/rep", "bot containment", "abandonment", "ASA (s)",
                "escalated", "dept. delay (min)", "dept. late",
                *(("repeat share", "first-contact res.") if repeats else ())):  # fmt: skip
        c.add_column(col, justify="left" if col == "channel" else "right", overflow="fold")
    for _, row in result.channels().iterrows():
        ch = sc.channels[row["channel"]]
        esc = ch.escalation is not None
        extra = (
            (_pct_ci(*_triple(row, "repeat_share")),
             _pct_ci(*_triple(row, "first_contact_resolution")) if ch.repeat else "-")
            if repeats else ()
        )  # fmt: skip
        c.add_row(
            row["channel"],
            _num_ci(*_triple(row, "offered_per_rep")),
            _pct_ci(*_triple(row, "containment")) if ch.bot is not None else "no bot",
            _pct_ci(*_triple(row, "abandonment")) if ch.synchronous else "n/a (async)",
            _num_ci(*_triple(row, "asa_s"), fmt="{:.1f}") if ch.synchronous else "n/a (async)",
            _pct_ci(*_triple(row, "escalation_share")) if esc else "-",
            _num_ci(*_triple(row, "dept_delay_s", 1 / 60), fmt="{:.1f}") if esc else "-",
            _pct_ci(*_triple(row, "dept_late_share")) if esc else "-",
            *extra,
        )
    console.print(_whole_words(c, console))

    s = Table(title="Shifts")
    for col in ("pool", "shift", "headcount", "on duty/day", "occupancy", "overtime h/day"):
        s.add_column(col, justify="left" if col in ("pool", "shift") else "right", overflow="fold")
    for _, row in result.shifts().iterrows():
        s.add_row(
            row["pool"],
            row["shift"],
            str(row["headcount"]),
            f"{row['on_duty_per_day']:.1f}",
            _pct_ci(*_triple(row, "occupancy")),
            _num_ci(*_triple(row, "overtime_h_per_day"), fmt="{:.2f}"),
        )
    console.print(_whole_words(s, console))


_VERDICT_STYLE = {"likely met": "green", "at risk": "yellow", "missed": "red"}
_VERDICT_MARK = {"likely met": "✓", "at risk": "?", "missed": "✗"}


def _styled(text: str, verdict: str) -> str:
    style = _VERDICT_STYLE.get(verdict, "dim")
    return f"[{style}]{text}[/{style}]"


def _cell(text: str, verdict: str | None) -> str:
    """A period-table cell: marked and coloured when the target is judged on it."""
    if verdict is None:
        return f"[dim]{text}[/dim]"
    return _styled(f"{text} {_VERDICT_MARK.get(verdict, ' ')}", verdict)


def _interval(lo: float, hi: float) -> str:
    """The 95% interval of a share alone, compact: ``0-44%``."""
    if math.isnan(lo) or math.isnan(hi):
        return "no CI"
    return f"{100 * lo:.0f}-{100 * hi:.0f}%"


def _print_findings(found: list[Finding], console: Console, judged: bool = True) -> None:
    """What the run found, in words, before any table.

    ``judged``: the run has an interval for each estimate (two replications or
    more); with one, no target is called likely met, and the findings are the
    targets whose estimate is below what is required.
    """
    if not found and judged:
        console.print("[green]Findings: every target is likely met wherever it is judged.[/green]")
        return
    if not found:
        console.print(
            "[yellow]Findings: every estimate reaches what its target requires on this one "
            "replication, but with no interval none can be called likely met: run 2 or "
            "more replications.[/yellow]"
        )
        return
    what = "missed or at risk" if judged else "below what is required (one replication)"
    console.print(f"[bold]Findings[/bold]: {len(found)} target(s) {what}")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for f in found:
        cause = f.cause.text if f.cause else "none of the usual causes stands out"
        grid.add_row(
            _styled(_VERDICT_MARK.get(f.verdict, "?"), f.verdict),
            f"[bold]{f.target}[/bold]: {_styled(f.verdict_words, f.verdict)}, {f.how_badly}. "
            f"{f.when}. Likely cause: {cause}.",
        )
    console.print(grid, highlight=False)


def _print_targets(result: RunResult, console: Console) -> None:
    """Each target's status on its worst period, then P(period meets goal) per period."""
    targets = result.targets()
    req = result.requirements()
    compact = {"box": box.SIMPLE_HEAD, "show_edge": False}
    t = Table(title="Response targets, each judged on its worst period", **compact)  # type: ignore[arg-type]
    for col in ("target", "goal", "status (worst period)", "95% CI"):
        t.add_column(col, justify="right" if col in ("goal", "95% CI") else "left", overflow="fold")
    for _, row in targets.iterrows():
        t.add_row(
            row["target"],
            _pct(row["goal"]),
            _styled(row["status"], row["verdict"]),
            _interval(row["worst_low"], row["worst_high"]),
        )
    console.print(_whole_words(t, console))

    periods = list(result.scenario.reporting.periods)
    p = Table(title="P(period meets goal) per target and period", **compact)  # type: ignore[arg-type]
    p.add_column("target", justify="left", overflow="fold")
    for col in (*periods, "whole day", "service level"):
        p.add_column(col, justify="right", overflow="fold")
    for k, row in targets.iterrows():
        judged = {(r.per, r.period): r for r in req[req["target_index"] == k].itertuples()}
        cells = []
        for name in periods:
            r = judged.get(("period", name))
            cells.append(_cell(percent(r.value, 0) if r else "-", r.verdict if r else None))
        r = judged.get(("day", "day"))
        cells.append(_cell(percent(row["p_meet"], 0, missing="-"), r.verdict if r else None))
        sl = _pct_ci(row["service_level"], row["service_level_low"], row["service_level_high"])
        r = judged.get(("horizon", "horizon"))
        cells.append(_cell(sl, r.verdict if r else None))
        p.add_row(row["target"], *cells)
    console.print(_whole_words(p, console))
    confidence = percent(result.scenario.staffing.confidence, 0)
    console.print(
        "P(period meets goal): share of simulated days on which the contacts arriving in that "
        "period reached the goal (mean over replications). Targets are judged per period "
        "(default), per day or on the horizon's service level, against their confidence "
        f"(default staffing.confidence, {confidence}); a mark shows what is judged: "
        "✓ likely met (the 95% CI clears it), ? at risk (the CI straddles it), "
        "✗ missed (the CI lies below).",
        style="dim",
    )
    for label, period, reason in req.attrs.get("skipped", []):
        console.print(f"Not judged: {label}, {period}: {reason}.", style="yellow")


def print_comparison(comparison: Comparison, console: Console | None = None) -> None:
    """Print plans side by side and their paired differences with the baseline."""
    console = console or Console()
    wide_when_piped(console)
    base = comparison.baseline
    first = comparison.results[base]
    sc = first.scenario
    console.print(
        f"Baseline [bold]{base}[/bold]; {len(comparison.replications)} replication(s) per plan, "
        f"seed {sc.seed}, "
        "common random numbers (the same customers in every plan)."
    )
    if comparison.note:
        console.print(f"[yellow]Interrupted: {comparison.note}.[/yellow]")
    targets = comparison.targets()
    diffs = comparison.differences()
    _print_plan_status(targets, list(comparison.results), console)
    for plan in comparison.results:
        if plan == base:
            continue
        t = Table(title=f"{plan} minus {base} (95% confidence intervals of the paired differences)",
                  caption="P(period): share of days on which the period the target is judged "
                          "on (its worst in the baseline) meets the goal")  # fmt: skip
        for col in ("target", f"SL {base}", f"SL {plan}", "difference", "period",
                    f"P(period) {base}", f"P(period) {plan}", "difference"):  # fmt: skip
            left = col in ("target", "period")
            t.add_column(col, justify="left" if left else "right", overflow="fold")
        d = diffs[diffs["plan"] == plan].reset_index(drop=True)
        a = targets[targets["plan"] == base].reset_index(drop=True)
        b = targets[targets["plan"] == plan].reset_index(drop=True)
        for k in range(len(d)):
            t.add_row(
                d.loc[k, "target"],
                _pct(a.loc[k, "service_level"]),
                _pct(b.loc[k, "service_level"]),
                _diff(
                    d.loc[k, "service_level_diff"],
                    d.loc[k, "service_level_diff_low"],
                    d.loc[k, "service_level_diff_high"],
                ),  # fmt: skip
                str(d.loc[k, "period"]) or "-",
                _pct(d.loc[k, "p_period_baseline"]),
                _pct(d.loc[k, "p_period_plan"]),
                _diff(
                    d.loc[k, "p_period_diff"],
                    d.loc[k, "p_period_diff_low"],
                    d.loc[k, "p_period_diff_high"],
                ),
            )
        console.print(_whole_words(t, console))
        paired = (d["service_level_diff_high"] - d["service_level_diff_low"]) / 2
        indep = d["service_level_half_width_independent"]
        ratio = (indep / paired).replace([float("inf")], float("nan")).median()
        if ratio == ratio:  # not NaN
            console.print(
                f"Pairing on common random numbers made the service-level intervals {ratio:.1f}x "
                "narrower (median over targets) than independent runs would.",
                style="dim",
            )


def _print_plan_status(targets: Any, plans: list[str], console: Console) -> None:
    """Each plan's status per target, judged on its worst period: what meets, what misses."""
    compact = {"box": box.SIMPLE_HEAD, "show_edge": False}
    t = Table(title="Status per plan: P(worst period meets goal) (95% CI)", **compact)  # type: ignore[arg-type]
    t.add_column("target", justify="left", overflow="fold")
    for plan in plans:
        t.add_column(plan, justify="right", overflow="fold")
    by_plan = {plan: targets[targets["plan"] == plan].reset_index(drop=True) for plan in plans}
    first = by_plan[plans[0]]
    for k in range(len(first)):
        cells = []
        for plan in plans:
            row = by_plan[plan].loc[k]
            where = f" {row['worst_period']}" if row["per"] == "period" else ""
            ci = _interval(float(row["worst_low"]), float(row["worst_high"]))
            text = f"{percent(row['worst_value'], 0, missing='-')} ({ci}){where}"
            cells.append(_cell(text, str(row["verdict"])))
        t.add_row(first.loc[k, "target"], *cells)
    console.print(_whole_words(t, console))
    met = [p for p in plans if (by_plan[p]["verdict"] == "likely met").all()]
    console.print(
        f"Every target likely met: {', '.join(met)}." if met else
        "No plan has every target likely met.", style="dim",
    )  # fmt: skip


def _triple(row: Any, name: str, scale: float = 1.0) -> tuple[float, float, float]:
    """``name``, ``name_low``, ``name_high`` of a tidy table's row, times ``scale``."""
    return (
        scale * float(row[name]),
        scale * float(row[f"{name}_low"]),
        scale * float(row[f"{name}_high"]),
    )


def _diff(m: float, lo: float, hi: float) -> str:
    """A paired difference of shares in points, signed, with its interval (never ``-0.0``)."""
    if math.isnan(m):
        return "-"

    def pts(x: float) -> str:
        return f"{round(100 * x, 1) + 0.0:+.1f}"  # + 0.0: a rounded -0.0 reads +0.0

    if math.isnan(lo):
        return f"{pts(m)} pts (no CI)"
    style = "green" if lo > 0 else "red" if hi < 0 else "dim"
    return f"[{style}]{pts(m)} pts ({pts(lo)} to {pts(hi)})[/{style}]"
