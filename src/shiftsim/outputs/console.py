"""The terminal report of ``shiftsim run`` (rich tables)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from shiftsim.analysis.comparison import Comparison
from shiftsim.analysis.results import RunResult

__all__ = ["print_comparison", "print_report"]


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f}%"


def _pct_ci(m: float, lo: float, hi: float) -> str:
    if math.isnan(m):
        return "-"
    if math.isnan(lo):
        return f"{100 * m:.1f}% (no CI)"
    return f"{100 * m:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})"


def _num_ci(m: float, lo: float, hi: float, fmt: str = "{:.0f}") -> str:
    if math.isnan(m):
        return "-"
    if math.isnan(lo):
        return fmt.format(m) + " (no CI)"
    return f"{fmt.format(m)} ({fmt.format(lo)}-{fmt.format(hi)})"


def print_report(result: RunResult, console: Console | None = None) -> None:
    """Print the targets, channel and shift tables of a run."""
    console = console or Console()
    if not console.is_terminal:
        console.width = max(console.width, 150)
    sc = result.scenario
    h = sc.horizon
    console.print(
        f"[bold]{sc.name}[/bold]: {h.days} days from {h.start}"
        + (f" after {h.warmup_days} warm-up day(s)" if h.warmup_days else "")
        + f", {result.replications} replication(s), seed {sc.seed}"
        + f" ({result.wall_time:.1f} s)"
    )
    if result.interrupted:
        console.print(
            f"[yellow]Interrupted: {result.replications} of {result.requested} replications "
            "finished; figures below use those only.[/yellow]"
        )
    if result.replications < 2:
        console.print("[yellow]One replication: no confidence interval can be given.[/yellow]")

    t = Table(title="Response targets (95% confidence intervals across replications)")
    for col, just in (
        ("target", "left"), ("goal", "right"), ("service level", "right"),
        ("P(day meets goal)", "right"), ("contacts/rep", "right"),
    ):  # fmt: skip
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for _, row in result.targets().iterrows():
        p = row["p_meet"]
        style = "green" if p >= 0.9 else "yellow" if p >= 0.5 else "red"
        t.add_row(
            row["target"],
            _pct(row["goal"]),
            _pct_ci(row["service_level"], row["service_level_low"], row["service_level_high"]),
            f"[{style}]"
            + _pct_ci(row["p_meet"], row["p_meet_low"], row["p_meet_high"])
            + f"[/{style}]",
            f"{row['contacts_per_rep']:.0f}",
        )
    console.print(t)
    console.print(
        "P(day meets goal): share of a replication's days on which the day's service level "
        "reached the goal, averaged over replications.",
        style="dim",
    )

    c = Table(title="Channels")
    for col in ("channel", "offered/rep", "bot containment", "abandonment", "ASA (s)",
                "escalated", "dept. delay (min)", "dept. late"):  # fmt: skip
        c.add_column(col, justify="left" if col == "channel" else "right")
    for _, row in result.channels().iterrows():
        ch = sc.channels[row["channel"]]
        dd = tuple(x / 60 for x in row["dept_delay_s"])
        esc = ch.escalation is not None
        c.add_row(
            row["channel"],
            _num_ci(*row["offered_per_rep"]),
            _pct_ci(*row["containment"]) if ch.bot is not None else "no bot",
            _pct_ci(*row["abandonment"]) if ch.synchronous else "n/a (async)",
            _num_ci(row["asa_s"][0], row["asa_s"][1], row["asa_s"][2], fmt="{:.1f}")
            if ch.synchronous
            else "n/a (async)",
            _pct_ci(*row["escalation_share"]) if esc else "-",
            _num_ci(dd[0], dd[1], dd[2], fmt="{:.1f}") if esc else "-",
            _pct_ci(*row["dept_late_share"]) if esc else "-",
        )
    console.print(c)

    s = Table(title="Shifts")
    for col in ("pool", "shift", "headcount", "on duty/day", "occupancy", "overtime h/day"):
        s.add_column(col, justify="left" if col in ("pool", "shift") else "right")
    for _, row in result.shifts().iterrows():
        s.add_row(
            row["pool"],
            row["shift"],
            str(row["headcount"]),
            f"{row['on_duty_per_day']:.1f}",
            _pct_ci(*row["occupancy"]),
            _num_ci(*_triple(row["overtime_h_per_day"]), fmt="{:.2f}"),
        )
    console.print(s)


def print_comparison(comparison: Comparison, console: Console | None = None) -> None:
    """Print plans side by side and their paired differences with the baseline."""
    console = console or Console()
    if not console.is_terminal:
        console.width = max(console.width, 150)
    base = comparison.baseline
    first = comparison.results[base]
    sc = first.scenario
    console.print(
        f"Baseline [bold]{base}[/bold]; {first.replications} replication(s) per plan, "
        f"seed {sc.seed}, "
        "common random numbers (the same customers in every plan)."
    )
    targets = comparison.targets()
    diffs = comparison.differences()
    for plan in comparison.results:
        if plan == base:
            continue
        t = Table(title=f"{plan} minus {base} (95% confidence intervals of the paired differences)")
        for col in ("target", f"SL {base}", f"SL {plan}", "difference", f"P(day) {base}",
                    f"P(day) {plan}", "difference"):  # fmt: skip
            t.add_column(col, justify="left" if col == "target" else "right")
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
                _pct(a.loc[k, "p_meet"]),
                _pct(b.loc[k, "p_meet"]),
                _diff(
                    d.loc[k, "p_meet_diff"],
                    d.loc[k, "p_meet_diff_low"],
                    d.loc[k, "p_meet_diff_high"],
                ),
            )
        console.print(t)
        paired = (d["service_level_diff_high"] - d["service_level_diff_low"]) / 2
        indep = d["service_level_half_width_independent"]
        ratio = (indep / paired).replace([float("inf")], float("nan")).median()
        if ratio == ratio:  # not NaN
            console.print(
                f"Pairing on common random numbers made the service-level intervals {ratio:.1f}x "
                "narrower (median over targets) than independent runs would.",
                style="dim",
            )


def _triple(v: tuple[float, float, float]) -> tuple[float, float, float]:
    return (v[0], v[1], v[2])


def _diff(m: float, lo: float, hi: float) -> str:
    if math.isnan(m):
        return "-"
    sign = "+" if m >= 0 else ""
    if math.isnan(lo):
        return f"{sign}{100 * m:.1f} pts (no CI)"
    style = "green" if lo > 0 else "red" if hi < 0 else "dim"
    return f"[{style}]{sign}{100 * m:.1f} pts ({100 * lo:+.1f} to {100 * hi:+.1f})[/{style}]"
