"""Why a flagged hour of ``shiftsim check`` differs from the planner's figure.

Two steps: :func:`_reasons` lists, hour by hour, what the planner's stationary
formula ignores in the scenario (short labels, and what each means for the
channel); :func:`_measured` ranks the one or two that matter in a flagged hour
by rerunning the hour's Erlang figure with what the simulation saw
(:class:`_Observed`), and names what is left "between hours".
"""

from __future__ import annotations

import functools
import math

import numpy as np

from shiftsim.analysis.results import RunResult
from shiftsim.model.deadlines import in_hours
from shiftsim.model.durations import HOUR
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Channel, Scenario
from shiftsim.planning.hourly import _HOURS, HourCheck, Reason, planner_service_level
from shiftsim.sim.arrivals import Calendar, daily_factors
from shiftsim.sim.roster import Roster

_TIME_VARYING = 0.25  # arrivals or staffing change by more than this vs a neighbouring hour


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
            handle = np.asarray(ch.handle_means())  # per clock hour
            load = reach(c) * handle / ch.concurrency / HOUR  # agents kept busy
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
    handle = ch.handle_means()[h]

    @functools.cache
    def erlang(arrivals: float, agents: float) -> float:
        return planner_service_level(arrivals, agents * k, handle, within, patience)

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
