"""``shiftsim check``: the planner's Erlang figure per hour next to the simulation's.

A workforce planner's spreadsheet treats every hour of the day as a stationary
queue of its own: the expected arrivals of that hour, the agents on duty
skilled for the channel after shrinkage (times the concurrency for chat), and
Erlang C, or Erlang A when customers hang up (with their mean patience, whatever
its distribution). It
ignores the exact shift boundaries, the day-to-day variation of the rotation,
the bot, escalations and retries. This module computes that figure for each
hour of the day (averaged over the reported horizon) and each waiting channel,
puts the simulated figure next to it (the share of contacts answered within
the channel's tightest first-response target, by hour of arrival, with its 95%
confidence interval across replications), and flags the hours where they
differ materially, with the features of the scenario that likely explain it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from concurrent.futures import Executor

import numpy as np
from rich.console import Console, JustifyMethod
from rich.table import Table

from shiftsim.analysis.metrics import check_target
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.statistics import Estimate, ratio_ci
from shiftsim.model.durations import format_duration
from shiftsim.model.formats import percent, percent_ci, wide_when_piped
from shiftsim.model.scenario import Scenario
from shiftsim.planning.hourly import (
    _HOURS,
    MATERIAL,
    ChannelCheck,
    HourCheck,
    Reason,
    agents_by_hour,
    planner_service_level,
)
from shiftsim.planning.reasons import _measured, _Observed, _reasons
from shiftsim.sim.arrivals import Calendar, expected_hourly
from shiftsim.sim.roster import build_roster

__all__ = [
    "MATERIAL",
    "ChannelCheck",
    "HourCheck",
    "Reason",
    "agents_by_hour",
    "check_result",
    "check_scenario",
    "planner_service_level",
    "print_check",
    "reason_summary",
    "short_reasons",
]


def _arrivals_by_hour(name: str, scenario: Scenario, calendar: Calendar) -> np.ndarray:
    hourly = expected_hourly(name, scenario, calendar)
    first = calendar.warmup_days * 24
    by_day = hourly[first : first + calendar.days * 24].reshape(calendar.days, 24)
    mean: np.ndarray = by_day.mean(axis=0)
    return mean


# --------------------------------------------------------------------------- #
# The comparison
# --------------------------------------------------------------------------- #
def check_scenario(scenario: Scenario, executor: Executor | None = None) -> list[ChannelCheck]:
    """Simulate ``scenario.replications`` replications and compare them hour by hour.

    ``executor``: where replications run (see :func:`shiftsim.analysis.runner.executor_for`);
    ``None`` runs them here. Results do not depend on it.
    """
    from shiftsim.analysis.runner import run

    return check_result(run(scenario, executor=executor))


def check_result(result: RunResult) -> list[ChannelCheck]:
    """Planner's and simulated share answered within target, per hour and waiting channel.

    The simulated side comes from the run's replications (no new simulation),
    so a results folder can be checked after the fact. Asynchronous channels
    have no waiting customer and no Erlang figure; they are left out, as are
    channels without a first-response target.
    """
    scenario = result.scenario
    calendar = Calendar.of(scenario)
    n_days = calendar.arrival_days + calendar.drain_days
    roster = build_roster(scenario, -calendar.warmup_days, n_days, calendar.end)
    pool_list = list(scenario.pools.values())
    met = np.stack([m.check_met for m in result.metrics], axis=1)  # [channel, rep, hour]
    eligible = np.stack([m.check_eligible for m in result.metrics], axis=1)

    out = []
    for j, (name, ch) in enumerate(scenario.channels.items()):
        target = check_target(name, scenario)
        if target is None:
            continue
        pools = [i for i, p in enumerate(scenario.pools.values()) if name in p.channels]
        arrivals = _arrivals_by_hour(name, scenario, calendar)
        # The planner takes random absence off like shrinkage: its expected share.
        agents = np.zeros(24)
        for i in pools:
            agents += (1 - pool_list[i].absence) * agents_by_hour(roster, [i], calendar)
        patience = ch.patience.mean if ch.patience is not None else None
        handle = ch.handle_means()  # per clock hour (handle_time_by bands)
        reasons, notes = _reasons(name, scenario, arrivals, agents, roster, calendar)
        hours = tuple(
            HourCheck(
                hour=int(h),
                arrivals=float(arrivals[h]),
                agents=float(agents[h]),
                servers=float(agents[h] * ch.concurrency),
                planner=planner_service_level(
                    arrivals[h], agents[h] * ch.concurrency, handle[h],
                    target.within, patience,
                ),
                simulated=ratio_ci(met[j, :, h], eligible[j, :, h]),
                ignored=reasons[h],
            )
            for h in _HOURS
        )  # fmt: skip
        seen = _Observed(result, name, pools)
        measure = functools.partial(
            _measured, ch=ch, within=target.within, patience=patience, seen=seen, notes=notes
        )
        hours = tuple(
            dataclasses.replace(hc, reasons=measure(hc)) if hc.flagged else hc for hc in hours
        )
        model = "Erlang A" if patience is not None else "Erlang C"
        out.append(ChannelCheck(name, target.within, model, hours, notes))
    return out


# --------------------------------------------------------------------------- #
# The terminal table
# --------------------------------------------------------------------------- #
SIMULATING = (
    "Reasons are measured: the planner's formula is rerun with what the simulation saw. "
    "'arrivals', 'agents' and 'other work' are inputs a spreadsheet could correct (retries, "
    "the bot, overtime, shrinkage blocks, agents shared with other channels); 'day to day' "
    "and 'between hours' are the point of "
    "simulating: a stationary per-hour formula cannot see them, whatever its inputs."
)
"""What the reason labels mean, printed under the tables of ``shiftsim check``."""


def short_reasons(hc: HourCheck) -> str:
    """``arrivals (+12 pts), day to day (+4 pts)``: a flagged hour's dominant reasons."""
    return ", ".join(f"{r.label} ({100 * r.effect:.0f} pts)" for r in hc.reasons) or "unexplained"


def reason_summary(c: ChannelCheck) -> list[tuple[str, str]]:
    """Per reason: (``label (N hours)``, its largest case in words), largest first."""
    out = []
    labels = dict.fromkeys(r.label for hc in c.hours for r in hc.reasons)
    for label in labels:
        cases = [(r.effect, hc.hour, r) for hc in c.hours for r in hc.reasons if r.label == label]
        effect, hour, top = max(cases, key=lambda x: x[0])
        out.append((
            f"{label} ({len(cases)} hour(s))",
            f"largest at {hour:02d}:00, {100 * effect:.0f} points: {top.text}",
        ))  # fmt: skip
    return out


def _share_ci(e: Estimate) -> str:
    # A t interval on a share can leave [0, 1]; the table shows the possible part
    # (max and min keep a NaN end, which percent_ci writes as "no CI").
    return percent_ci(e.mean, max(e.low, 0.0), min(e.high, 1.0), missing="-", dash="-")


def print_check(
    checks: list[ChannelCheck], scenario: Scenario, console: Console | None = None
) -> None:
    """Print one table per waiting channel, hours of the day as rows."""
    console = console or Console()
    wide_when_piped(console)
    h = scenario.horizon
    console.print(
        f"[bold]{scenario.name}[/bold]: {h.days} days from {h.start}, "
        f"{scenario.replications} replication(s), seed {scenario.seed}: "
        "planner's stationary Erlang figure per hour vs simulation"
    )
    if scenario.replications < 2:
        console.print("[yellow]One replication: no confidence interval can be given.[/yellow]")
    async_channels = [n for n, c in scenario.channels.items() if not c.synchronous]
    for c in checks:
        t = Table(
            title=(
                f"{c.channel}: answered within {format_duration(c.within)} "
                f"(planner: {c.model} per hour; simulation: 95% CI)"
            )
        )
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("hour", "left"), ("arrivals/h", "right"), ("agents", "right"),
            ("servers", "right"), ("planner", "right"), ("simulated", "right"),
            ("difference", "right"), ("flag: dominant reasons (points explained)", "left"),
        )  # fmt: skip
        for col, just in columns:
            t.add_column(col, justify=just, overflow="fold")
        for hc in c.hours:
            flag = ""
            if hc.flagged:
                flag = "[red]DIFFERS[/red]: " + short_reasons(hc)
            diff = "-" if math.isnan(hc.difference) else f"{100 * hc.difference:+.1f} pts"
            t.add_row(
                f"{hc.hour:02d}:00",
                f"{hc.arrivals:.1f}",
                f"{hc.agents:.1f}",
                f"{hc.servers:.1f}",
                percent(hc.planner, missing="-"),
                _share_ci(hc.simulated),
                diff,
                flag,
            )
        console.print(t)
        flagged = [hc for hc in c.hours if hc.flagged]
        console.print(
            f"{c.channel}: {len(flagged)} of 24 hours differ by more than the CI plus "
            f"{100 * MATERIAL:.0f} points.",
            style="dim",
        )
        for label, text in reason_summary(c):
            console.print(f"  [bold]{label}[/bold]: {text}", highlight=False)
    if any(hc.flagged for c in checks for hc in c.hours):
        console.print(SIMULATING, style="dim")
    if async_channels:
        console.print(
            f"No Erlang figure for asynchronous channels: {', '.join(async_channels)}.",
            style="dim",
        )
