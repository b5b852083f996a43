"""The scenario as a planner checks it: volumes, events, agents, bot, escalation.

The "Key assumptions" section of the report: one row per channel, event,
shift, bot or escalation path, with durations and distributions written for
people (``6 min``, ``lognormal, mean 6 min, cv 0.8``), not as in the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from shiftsim.model.distributions import Distribution, Uniform
from shiftsim.model.formats import percent
from shiftsim.model.names import PRIORITIES, WEEKDAYS
from shiftsim.model.scenario import Scenario
from shiftsim.outputs.pages import Table, table

if TYPE_CHECKING:
    from shiftsim.analysis.results import RunResult

__all__ = ["Assumptions", "assumptions", "clock", "human_duration"]


@dataclass(frozen=True)
class Assumptions:
    """The tables of the section; None where the scenario has no such thing."""

    volumes: Table
    events: Table | None
    agents: Table
    bots: Table | None
    escalation: Table | None


def human_duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``6 min``, ``2.5 h``, ``3 d``."""
    for size, unit in ((86400.0, "d"), (3600.0, "h"), (60.0, "min")):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def clock(seconds: float) -> str:
    """Seconds after midnight as ``HH:MM`` (``24:00`` for the end of the day)."""
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h:02d}:{rem // 60:02d}"


def _hours(hours: tuple[float, float] | None, always: str = "24/7") -> str:
    return always if hours is None else f"{clock(hours[0])}–{clock(hours[1])}"


def _dist(d: Distribution | None) -> str:
    """``lognormal, mean 6 min, cv 0.7`` and the like."""
    if d is None:
        return "–"
    kind = getattr(d, "dist", type(d).__name__.lower())
    mean = human_duration(float(d.mean))
    if kind == "constant":
        return f"constant {mean}"
    if kind == "exponential":
        return f"exponential, mean {mean}"
    if kind in ("lognormal", "gamma"):
        return f"{kind}, mean {mean}, cv {d.cv:.2g}"
    if isinstance(d, Uniform):
        return f"uniform {human_duration(d.low)}–{human_duration(d.high)}"
    return f"{kind}, mean {mean}"


def _weekdays(factors: Mapping[Any, float]) -> str:
    shown = [f"{d} {factors[d]:g}" for d in WEEKDAYS if d in factors and factors[d] != 1.0]
    return ", ".join(shown) or "flat"


def _peak(profile: Sequence[float]) -> str:
    h = int(np.argmax(profile))
    share = profile[h] / sum(profile)
    return f"{h:02d}:00–{h + 1:02d}:00 ({percent(share, 0)} of the day)"


def _mix(priorities: Mapping[Any, float]) -> str:
    shown = [f"{p} {percent(priorities[p], 0)}" for p in PRIORITIES if priorities.get(p, 0) > 0]
    return ", ".join(shown)


def assumptions(sc: Scenario, result: RunResult | None = None) -> Assumptions:
    """The tables of a scenario; with a run's ``result``, also the agents on duty per day."""
    volumes = []
    for name, ch in sc.channels.items():
        v = ch.volume
        extra = []
        if ch.kind == "chat":
            extra.append(f"{ch.concurrency} chats per agent")
        if v.profiles:
            extra.append(f"own hourly profile on {', '.join(v.profiles)}")
        for what, cases in (("handle time", ch.handle_time_by), ("patience", ch.patience_by)):
            if cases is None:
                continue
            told = [f"from {clock(s)} {_dist(d)}" for s, d in cases.bands]
            told += [f"{p} {_dist(d)}" for p, d in cases.priority.items()]
            told += [f"VIP {_dist(cases.vip)}"] if cases.vip is not None else []
            extra.append(f"{what} by case: {', '.join(told)}")
        if ch.retry is not None:
            extra.append(
                f"{percent(ch.retry.share, 0)} of hang-ups retry after {_dist(ch.retry.delay)}, "
                f"up to {ch.retry.max_attempts} attempts"
            )
        volumes.append([
            name, ch.kind, f"{v.per_day:,.0f}", percent(v.daily_cv, 0),
            _weekdays(v.weekday_factors), _peak(v.hourly_profile), _dist(ch.handle_time),
            _dist(ch.patience) if ch.synchronous else "n/a (async)",
            _mix(ch.priorities), percent(ch.vip_share, 0), "; ".join(extra) or "–",
        ])  # fmt: skip

    events = []
    for ev in sc.events:
        dates = f"{ev.date:%a %d %b %Y}" + (f" – {ev.until:%a %d %b %Y}" if ev.until else "")
        per = ", ".join(f"{c} ×{f:g}" for c, f in ev.channels.items())
        events.append([ev.label or "–", dates, f"×{ev.factor:g}", per or "–"])

    on_duty = {}
    if result is not None and result.on_duty_by_day.size:
        on_duty = {
            name: float(result.on_duty_by_day[:, j].mean())
            for j, name in enumerate(result.shift_names)
        }
    agents = []
    for pname, pool in sc.pools.items():
        rot = pool.rotation
        cycle = f"pattern {rot.pattern}" if rot.pattern else f"{rot.work} on / {rot.rest} off"
        cycle += ", staggered" if rot.stagger else ", not staggered"
        role = ("senior; " if pool.senior else "") + ("takes VIPs" if pool.takes_vip else "no VIPs")
        for sname, s in pool.roster_shifts.items():
            od = on_duty.get((pname, sname))
            agents.append([
                pname, ", ".join(pool.channels), role, sname,
                f"{clock(s.start)}–{clock(s.end)}", str(s.headcount),
                "–" if od is None else f"{od:.1f}", percent(pool.shrinkage, 0), cycle,
            ])  # fmt: skip

    bots = [
        [name, _hours(ch.bot.hours), percent(ch.bot.containment, 0), _dist(ch.bot.session_time),
         "yes" if ch.bot.counts_as_first_response else "no",
         f"×{ch.bot.handover_handle_factor:g}"]
        for name, ch in sc.channels.items() if ch.bot is not None
    ]  # fmt: skip

    escalation = []
    for name, ch in sc.channels.items():
        e = ch.escalation
        if e is None:
            continue
        by = ", ".join(f"{p} {percent(s, 0)}" for p, s in e.by_priority.items())
        d = sc.departments[e.department]
        escalation.append([
            name, e.department, percent(e.share, 0) + (f" ({by})" if by else ""),
            human_duration(d.respond_within), _hours(d.hours, "always"), _dist(d.delay),
            _dist(d.off_hours_delay) if d.hours is not None else "–", _dist(e.closing_time),
        ])  # fmt: skip

    return Assumptions(
        volumes=table(
            ["channel", "kind", "contacts / day", "forecast error (cv)", "weekday factors",
             "peak hour", "handle time", "patience", "priorities", "VIP", "other"],
            volumes, [False, False, True, True] + [False] * 7,
        ),
        events=table(["event", "dates", "volume factor", "per channel"], events)
        if events else None,
        agents=table(
            ["pool", "channels", "role", "shift", "hours", "headcount", "on duty / day",
             "shrinkage", "rotation"],
            agents, [False] * 5 + [True, True, True, False],
        ),
        bots=table(
            ["channel", "hours", "containment", "session", "counts as first response",
             "handle time after hand-over"], bots, [False, False, True, False, False, True],
        ) if bots else None,
        escalation=table(
            ["channel", "department", "share escalated", "must respond within", "dept. hours",
             "dept. delay", "off-hours delay", "closing by front line"], escalation,
        ) if escalation else None,
    )  # fmt: skip
