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
from dataclasses import dataclass

import numpy as np
from rich.console import Console, JustifyMethod
from rich.table import Table

from shiftsim.analysis.metrics import check_target
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.statistics import Estimate, ratio_ci
from shiftsim.model.deadlines import in_hours
from shiftsim.model.durations import HOUR, format_duration
from shiftsim.model.formats import percent, percent_ci
from shiftsim.model.scenario import Channel, Scenario
from shiftsim.planning.theory import erlang_a, erlang_c_service_level
from shiftsim.sim.arrivals import Calendar, daily_factors, expected_hourly
from shiftsim.sim.roster import Roster, build_roster

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

MATERIAL = 0.05
"""A difference is material beyond the simulation's CI half-width plus this (5 points)."""

_TIME_VARYING = 0.25  # arrivals or staffing change by more than this vs a neighbouring hour
_HOURS = np.arange(24)


@dataclass(frozen=True)
class Reason:
    """Why a flagged hour differs, with the share of the gap it explains (measured).

    ``effect`` is how many points (as a share: 0.12 is 12 points) of the gap
    between the planner's figure and the simulation close when the planner's
    formula is given what the simulation saw: the simulated arrivals reaching
    agents (``arrivals``), the simulated agents present (``agents``), each
    day's own arrivals and agents instead of the mean day (``day to day``).
    What is left once all three are in is ``between hours``: queues carrying
    over from one hour to the next and the other dynamics no stationary
    formula has. ``simulating`` is true for the reasons that are the point of
    simulating (a per-hour formula cannot see them, whatever its inputs); the
    others are inputs a spreadsheet could correct.
    """

    label: str
    effect: float
    text: str
    simulating: bool


@dataclass(frozen=True)
class HourCheck:
    """One hour of the day of one channel: the planner's figure and the simulation's."""

    hour: int
    arrivals: float  # expected arrivals in the hour, mean over the horizon's days
    agents: float  # mean agents on duty skilled for the channel, after shrinkage
    servers: float  # agents x concurrency
    planner: float  # share answered within the target, stationary Erlang C / A (NaN: no arrivals)
    simulated: Estimate  # the same share in the simulation, 95% CI across replications
    ignored: tuple[str, ...]  # labels of what the planner ignores here (ChannelCheck.notes)
    reasons: tuple[
        Reason, ...
    ] = ()  # of a flagged hour: the dominant ones, measured, largest first

    @property
    def difference(self) -> float:
        """Simulated minus planner's figure."""
        return self.simulated.mean - self.planner

    @property
    def flagged(self) -> bool:
        """Whether the two differ by more than the CI half-width plus :data:`MATERIAL`."""
        if math.isnan(self.difference):
            return False
        half = 0.0 if math.isnan(self.simulated.half_width) else self.simulated.half_width
        return abs(self.difference) > half + MATERIAL


@dataclass(frozen=True)
class ChannelCheck:
    """The hour-by-hour comparison of one waiting channel."""

    channel: str
    within: float  # seconds of the tightest first-response target
    model: str  # "Erlang C" or "Erlang A"
    hours: tuple[HourCheck, ...]
    notes: dict[str, str]  # what each reason label means for this channel


# --------------------------------------------------------------------------- #
# The planner's figure
# --------------------------------------------------------------------------- #
def planner_service_level(
    arrivals_per_hour: float,
    servers: float,
    mean_handle: float,
    within: float,
    mean_patience: float | None = None,
) -> float:
    """Share answered within ``within`` in a stationary hour, as a spreadsheet computes it.

    Erlang C, or Erlang A with abandonment rate ``1 / mean_patience``. A
    fractional number of servers (an average over the horizon, after
    shrinkage) is interpolated linearly between the integers around it.

    Parameters
    ----------
    arrivals_per_hour
        Expected arrivals in the hour.
    servers
        Agents on duty times concurrency (may be fractional).
    mean_handle
        Mean handle time, seconds.
    within
        Target answer time, seconds.
    mean_patience
        Mean patience, seconds; ``None`` for customers who wait forever.

    Returns
    -------
    float
        ``P(answered and wait <= within)`` over all arrivals; NaN without arrivals.
    """
    if arrivals_per_hour <= 0:
        return math.nan
    lam, mu = arrivals_per_hour / HOUR, 1.0 / mean_handle

    def at(n: int) -> float:
        if n < 1:
            return 0.0
        if mean_patience is not None:
            try:
                return float(erlang_a(n, lam, mu, 1.0 / mean_patience).sl_all(within))
            except ValueError:  # patience so long next to the overload that A is C
                pass
        return float(erlang_c_service_level(n, lam, mu, within))

    low = math.floor(servers + 1e-9)
    frac = servers - low
    if frac <= 1e-9:
        return at(low)
    return (1.0 - frac) * at(low) + frac * at(low + 1)


def agents_by_hour(roster: Roster, pools: list[int], calendar: Calendar) -> np.ndarray:
    """Mean agents of ``pools`` on duty in each clock hour over the reported days.

    Duty intervals already exclude shrinkage, so this is the planner's "on
    duty after shrinkage"; the rotation is averaged over the days.
    """
    keep = np.isin(roster.agent_pool[roster.duty_agent], pools)
    start, end = roster.duty_start[keep], roster.duty_end[keep]
    if start.size == 0:
        return np.zeros(24)
    # Agents on duty integrated over time: piecewise linear between duty changes,
    # at strictly increasing times (many agents start at 08:00) for np.interp.
    times, where = np.unique(np.concatenate([start, end]), return_inverse=True)
    steps = np.bincount(where, weights=np.repeat([1.0, -1.0], start.size), minlength=times.size)
    on_duty = np.cumsum(steps)
    area = np.concatenate([[0.0], np.cumsum(on_duty[:-1] * np.diff(times))])
    edges = calendar.report_start + HOUR * np.arange(calendar.days * 24 + 1)
    integral = np.interp(edges, times, area)
    per_hour = np.diff(integral).reshape(calendar.days, 24) / HOUR
    mean: np.ndarray = per_hour.mean(axis=0)
    return mean


def _arrivals_by_hour(name: str, scenario: Scenario, calendar: Calendar) -> np.ndarray:
    hourly = expected_hourly(name, scenario, calendar)
    first = calendar.warmup_days * 24
    by_day = hourly[first : first + calendar.days * 24].reshape(calendar.days, 24)
    mean: np.ndarray = by_day.mean(axis=0)
    return mean


# --------------------------------------------------------------------------- #
# Why they may differ
# --------------------------------------------------------------------------- #
def _changes(values: np.ndarray) -> np.ndarray:
    """Largest relative change of each hour's value vs the neighbouring hours (cyclic)."""
    prev, nxt = np.roll(values, 1), np.roll(values, -1)
    base = np.maximum(values, 1e-12)
    change: np.ndarray = np.maximum(np.abs(values - prev), np.abs(nxt - values)) / base
    return change


def _reasons(
    name: str, scenario: Scenario, arrivals: np.ndarray, agents: np.ndarray, roster: Roster,
    calendar: Calendar,
) -> tuple[list[tuple[str, ...]], dict[str, str]]:  # fmt: skip
    """What the planner's figure ignores: short labels per hour, and what each label means.

    Hour-specific labels come first, then the channel's, roughly by how much
    they usually matter.
    """
    ch = scenario.channels[name]
    pools = {pname: p for pname, p in scenario.pools.items() if name in p.channels}
    notes: dict[str, str] = {
        "time-varying load": (
            f"arrivals change by more than {percent(_TIME_VARYING, 0)} from a neighbouring hour: "
            "queues lag behind a stationary formula"
        ),
        "staffing change": (
            f"agents on duty change by more than {percent(_TIME_VARYING, 0)} from a neighbouring "
            "hour (shift boundaries): queues carry over"
        ),
    }
    common: list[str] = []
    shared = {pname: p for pname, p in pools.items() if len(p.channels) > 1}
    if shared:
        others = sorted({c for p in shared.values() for c in p.channels} - {name})
        common.append("shared pool")
        notes["shared pool"] = (
            f"pool{'s' if len(shared) > 1 else ''} {', '.join(shared)} also serve "
            f"{', '.join(others)}; the planner counts these agents in full for each channel"
        )
    days = slice(calendar.warmup_days, calendar.warmup_days + calendar.days)
    factors = daily_factors(ch, name, scenario, calendar)[days]
    if factors.max() > 1.1 * factors.min():
        common.append("daily load")
        mean = factors.mean()
        notes["daily load"] = (
            f"arrivals vary by day (weekday factors, events: x{factors.min() / mean:.2f} to "
            f"x{factors.max() / mean:.2f} of the mean day); the planner uses the mean day"
        )
    if ch.bot is not None:
        bot_on = in_hours(_HOURS * HOUR + HOUR / 2, ch.bot.hours)
        notes["bot"] = (
            f"the bot resolves {percent(ch.bot.containment, 0)} of contacts in its hours (the "
            "planner counts them all) and delays the rest by its session"
        )
    else:
        bot_on = np.zeros(24, dtype=bool)
    if ch.concurrency > 1:
        label = f"concurrency {ch.concurrency}"
        common.append(label)
        notes[label] = (
            f"the planner counts {ch.concurrency} servers per agent; exact only if handle "
            "time does not depend on concurrency and chatting agents take nothing else"
        )
    if ch.escalation is not None:
        common.append("escalation")
        notes["escalation"] = "closing escalated cases takes agent time the planner does not count"
    if ch.retry is not None and ch.retry.share > 0:
        common.append("retries")
        notes["retries"] = (
            f"{percent(ch.retry.share, 0)} of those who hang up try again: load the planner does "
            "not count, and each attempt is a contact of its own"
        )
    shrinkage = {pname: p.shrinkage for pname, p in pools.items() if p.shrinkage > 0}
    if shrinkage:
        common.append("shrinkage")
        notes["shrinkage"] = (
            f"shrinkage ({', '.join(f'{k} {percent(v, 0)}' for k, v in shrinkage.items())}) is "
            "taken in blocks; the hourly average hides who is away when"
        )
    absence = {pname: p.absence for pname, p in pools.items() if p.absence > 0}
    if absence:
        common.append("absence")
        notes["absence"] = (
            f"absence ({', '.join(f'{k} {percent(v, 0)}' for k, v in absence.items())}) is drawn "
            "agent by agent and day; the planner takes off its expected share every hour"
        )
    shifts = [i for i, (pname, _) in enumerate(roster.shift_names) if pname in pools]
    on_duty = roster.on_duty_by_day[days][:, shifts].sum(axis=1)
    if shifts and on_duty.max() > on_duty.min():
        common.append("rotation")
        notes["rotation"] = (
            f"the rotation puts {on_duty.min()} to {on_duty.max()} of these agents on duty "
            "per day; the planner uses the mean"
        )
    if abs(ch.handle_time.cv - 1.0) > 0.2:
        common.append("handle time cv")
        notes["handle time cv"] = (
            f"handle times have cv {ch.handle_time.cv:.2f}; Erlang assumes exponential (cv 1)"
        )
    if ch.patience is not None and abs(ch.patience.cv - 1.0) > 0.2:
        common.append("patience cv")
        notes["patience cv"] = (
            f"patience has cv {ch.patience.cv:.2f}; Erlang A assumes exponential (cv 1)"
        )
    if ch.volume.daily_cv > 0:
        common.append("forecast error")
        notes["forecast error"] = (
            f"the daily volume is uncertain (cv {ch.volume.daily_cv:g}); the service level "
            "of the mean day is not the mean service level"
        )
    load_change, staff_change = _changes(arrivals), _changes(agents)
    out = []
    for h in _HOURS:
        reasons = []
        if load_change[h] > _TIME_VARYING:
            reasons.append("time-varying load")
        if staff_change[h] > _TIME_VARYING:
            reasons.append("staffing change")
        if bot_on[h]:
            reasons.append("bot")
        out.append(tuple(reasons + common))
    return out, notes


# --------------------------------------------------------------------------- #
# Which reasons matter: measured
# --------------------------------------------------------------------------- #
_DOMINANT = 0.25  # a reason worth naming explains at least this share of the gap...
_SHOWN = 2  # ...and at most this many are named per hour
# What is left after the measured inputs: the labels of ChannelCheck.notes that a
# per-hour formula cannot take in, whatever its inputs.
_DYNAMICS = ("time-varying load", "staffing change", "bot", "concurrency", "handle time cv",
             "patience cv")  # fmt: skip


class _Observed:
    """What the simulation saw per reported day and clock hour, mean over replications.

    ``arrivals``: contacts reaching agents (offered, retries included, less those
    the bot resolved); ``agents``: agents of the channel's pools present
    (after the rotation, absence and shrinkage, overtime included); ``other``:
    the agents of those pools that the other waiting channels keep busy (each
    such channel's load shared out over its pools by agents present), which a
    planner counting shared agents in full for every channel ignores.
    Deferrable work (email, closing cases) is not counted: it waits for idle
    agents instead of taking them.
    """

    def __init__(self, result: RunResult, channel: str, pools: list[int]) -> None:
        sc = result.scenario
        per_hour = max(1, int(round(HOUR / sc.reporting.interval)))
        days = sc.horizon.days

        def hourly(x: np.ndarray, per: float = 1.0) -> np.ndarray:
            out: np.ndarray = x.mean(axis=0).reshape(days, 24, per_hour).sum(axis=2) / per
            return out

        pool_names = list(sc.pools)
        present = {  # agents of each pool present, per [day, hour]
            name: hourly(np.stack([m.iv_on_duty[:, [k for k, (p, _) in
                                                    enumerate(result.shift_names) if p == name]]
                                   .sum(axis=1) for m in result.metrics]), HOUR)
            for name in pool_names
        }  # fmt: skip
        mine = {pool_names[i] for i in pools}

        def reach(c: str) -> np.ndarray:
            j = list(sc.channels).index(c)
            offered = np.stack([m.iv_offered[:, j].sum(axis=1) for m in result.metrics])
            deflected = np.stack([m.iv_deflected[:, j].sum(axis=1) for m in result.metrics])
            return hourly(offered - deflected)

        self.arrivals: np.ndarray = reach(channel)
        self.agents: np.ndarray = sum((present[p] for p in mine), np.zeros((days, 24)))
        self.other: np.ndarray = np.zeros((days, 24))
        for c, ch in sc.channels.items():
            theirs = {p for p, pool in sc.pools.items() if c in pool.channels}
            if c == channel or not ch.synchronous or not theirs & mine:
                continue
            total = sum((present[p] for p in theirs), np.zeros((days, 24)))
            shared = sum((present[p] for p in theirs & mine), np.zeros((days, 24)))
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, shared / np.maximum(total, 1e-12), 0.0)
            load = reach(c) * ch.handle_time.mean / ch.concurrency / HOUR  # agents kept busy
            self.other += share * load
        self.free: np.ndarray = np.maximum(self.agents - self.other, 0.0)


def _measured(
    hc: HourCheck,
    ch: Channel,
    within: float,
    patience: float | None,
    seen: _Observed,
    notes: dict[str, str],
) -> tuple[Reason, ...]:
    """The one or two dominant reasons of a flagged hour, by how much of the gap each closes."""
    h, sim = hc.hour, hc.simulated.mean
    k = ch.concurrency

    @functools.cache
    def erlang(arrivals: float, agents: float) -> float:
        return planner_service_level(arrivals, agents * k, ch.handle_time.mean, within, patience)

    def key(x: float) -> float:
        return round(float(x), 2)

    arr, agents, free = seen.arrivals[:, h], seen.agents[:, h], seen.free[:, h]
    a_mean, n_mean, f_mean = float(arr.mean()), float(agents.mean()), float(free.mean())
    other = float(seen.other[:, h].mean())
    shared = other >= 0.5  # half an agent or more busy with other channels
    with_arrivals = erlang(key(a_mean), key(hc.agents))
    with_agents = erlang(key(hc.arrivals), key(n_mean))
    with_free = erlang(key(hc.arrivals), key(f_mean))
    staff = free if shared else agents
    with_both = erlang(key(a_mean), key(float(staff.mean())))
    # Each day's own figure, weighted by its arrivals (the hour's contacts pooled).
    daily = [erlang(key(a), key(n)) for a, n in zip(arr, staff, strict=True)]
    weights = np.where(np.isnan(daily), 0.0, arr)
    by_day = (
        float(np.average(np.nan_to_num(daily), weights=weights)) if weights.sum() > 0 else math.nan
    )
    gap = abs(sim - hc.planner)
    bot = ch.bot is not None and bool(in_hours(np.array([h * HOUR + HOUR / 2]), ch.bot.hours)[0])
    why_arrivals = _join_words(
        (["the bot resolves some"] if bot else [])
        + (["retries add some"] if ch.retry is not None and ch.retry.share > 0 else [])
    )
    found = [
        Reason(
            "arrivals", gap - abs(sim - with_arrivals),
            f"{a_mean:.1f} contacts an hour reach agents, not the {hc.arrivals:.1f} expected"
            + (f" ({why_arrivals})" if why_arrivals else "")
            + f"; with them Erlang gives {percent(with_arrivals)}",
            simulating=False,
        ),
        Reason(
            "agents", gap - abs(sim - with_agents),
            f"{n_mean:.1f} agents are present, not {hc.agents:.1f} (overtime, shrinkage blocks, "
            f"absence); with them Erlang gives {percent(with_agents)}",
            simulating=False,
        ),
        Reason(
            "day to day", abs(sim - with_both) - abs(sim - by_day),
            f"the days differ ({_range(arr, 'contacts', '.0f')}"
            f"{', ' + _range(staff, 'agents free', '.1f') if np.ptp(staff) >= 0.5 else ''}); "
            f"the mean of each day's Erlang figure is {percent(by_day)}, not that of the mean day",
            simulating=True,
        ),
    ]  # fmt: skip
    if shared:
        found.append(Reason(
            "other work", gap - abs(sim - with_free),
            f"other waiting channels keep {other:.1f} of the {n_mean:.1f} agents present busy "
            f"(the planner counts them in full for each channel); with the {f_mean:.1f} left "
            f"Erlang gives {percent(with_free)}",
            simulating=False,
        ))  # fmt: skip
    shown = sorted((r for r in found if r.effect >= _DOMINANT * gap), key=lambda r: -r.effect)
    left = abs(sim - by_day) if not math.isnan(by_day) else gap
    if not shown or left >= _DOMINANT * gap:
        dynamics = [label for label in hc.ignored if label.startswith(_DYNAMICS) and label in notes]
        what = _join_words(dynamics) if dynamics else "queues carrying over between hours"
        shown.append(Reason(
            "between hours", left,
            f"{100 * left:.0f} points remain with the day's own arrivals and agents: what a "
            f"per-hour formula cannot see ({what})",
            simulating=True,
        ))  # fmt: skip
        shown.sort(key=lambda r: -r.effect)
    return tuple(shown[:_SHOWN])


def _range(values: np.ndarray, what: str, fmt: str) -> str:
    low, high = float(np.min(values)), float(np.max(values))
    return f"{low:{fmt}} to {high:{fmt}} {what}"


def _join_words(parts: list[str]) -> str:
    return (
        ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    )


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
        reasons, notes = _reasons(name, scenario, arrivals, agents, roster, calendar)
        hours = tuple(
            HourCheck(
                hour=int(h),
                arrivals=float(arrivals[h]),
                agents=float(agents[h]),
                servers=float(agents[h] * ch.concurrency),
                planner=planner_service_level(
                    arrivals[h], agents[h] * ch.concurrency, ch.handle_time.mean,
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
    if not console.is_terminal:
        console.width = max(console.width, 150)
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
            t.add_column(col, justify=just)
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
