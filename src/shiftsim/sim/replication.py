"""One replication: scenario -> arrivals + roster -> engine -> raw facts."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import (
    Calendar,
    Contacts,
    expected_hourly,
    generate_contacts,
    patience_cases,
)
from shiftsim.sim.engine import EngineResult, run_engine
from shiftsim.sim.randomness import Source, stream
from shiftsim.sim.roster import Roster, build_roster
from shiftsim.sim.rules import FULL, ChannelRules, DepartmentRules, PoolRules
from shiftsim.sim.work import response_due

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = [
    "KPI_COLUMNS",
    "Replication",
    "clears_queue_at_close",
    "cycles_uncollected",
    "engine_rules",
    "head_start",
    "run_replication",
]

KPI_COLUMNS: tuple[str, ...] = ("channel", "arrival", "priority", "vip", "department")
"""The columns of :class:`Contacts` that KPIs read; the others are the engine's inputs."""


@dataclass(frozen=True)
class Replication:
    """Everything one replication produced, before any KPI is computed.

    ``roster`` is the roster as worked: for a pool staffed by interval, the
    duty its agents actually did (decided during the run, ``sim/duty.py``);
    ``result.duty_leave`` follows its intervals.
    """

    index: int
    calendar: Calendar
    contacts: Contacts
    roster: Roster
    result: EngineResult

    def for_kpis(self) -> Replication:
        """This replication with only the :data:`KPI_COLUMNS` of its contacts.

        The other columns (handle times, patience, deadlines...: what the
        engine read, about three quarters of the contacts' memory) are left
        empty, as a ``kpis="targets"`` measurement leaves what it does not
        compute, so that the KPIs are computed beside the log, not beside the
        engine's inputs as well (memory, issue 17).
        """
        c = self.contacts
        dropped = {
            f.name: np.zeros(0, getattr(c, f.name).dtype)
            for f in fields(c)
            if f.name not in KPI_COLUMNS and isinstance(getattr(c, f.name), np.ndarray)
        }
        return replace(self, contacts=replace(c, **dropped, repeats=None))


def engine_rules(
    scenario: Scenario,
) -> tuple[list[ChannelRules], list[PoolRules], list[DepartmentRules]]:
    """Translate the scenario into the engine's plain rules."""
    names = list(scenario.channels)
    targets = scenario.resolved_targets
    calendar = Calendar.of(scenario)
    channels = []
    repeats = any(ch.repeat is not None for ch in scenario.channels.values())
    for name, ch in scenario.channels.items():
        due = []
        for prio in PRIORITIES:
            # Closing an escalated case: its complex-case resolution target.
            within = [
                t.within
                for t in targets
                if t.channel == name
                and t.kind == "resolution"
                and t.priority in ("all", prio)
                and t.cases in ("all", "complex")
            ]
            due.append(min(within, default=calendar.no_promise_delay))
        retry = ch.retry
        channels.append(
            ChannelRules(
                sync=ch.synchronous,
                weight=FULL // ch.concurrency,
                retry_share=retry.share if retry else 0.0,
                max_attempts=retry.max_attempts if retry else 1,
                retry_delay=retry.delay.draw if retry else None,
                patience=ch.patience.draw if ch.patience is not None else None,
                patience_cases=patience_cases(ch),
                resolution_due=(due[0], due[1], due[2]),
                escalates=ch.escalation is not None,
                head_start=head_start(ch.head_start),
                bot=ch.bot is not None,
                bot_hours=ch.bot.hours if ch.bot is not None else None,
                handover_factor=ch.bot.handover_handle_factor if ch.bot is not None else 1.0,
                response_due=response_due(scenario, name, calendar) if repeats else None,
                closed=tuple((expected_hourly(name, scenario, calendar) == 0).tolist()),
            )
        )
    pools = [
        PoolRules(
            channels=tuple(names.index(c) for c in p.channels),
            takes_vip=p.takes_vip,
            senior=p.senior,
            by_interval=p.staffing is not None,
            clear_at_close=clears_queue_at_close(scenario, pname),
        )
        for pname, p in scenario.pools.items()
    ]
    departments = [DepartmentRules(hours=d.hours) for d in scenario.departments.values()]
    return channels, pools, departments


def head_start(bonus: Mapping[Any, float] | None) -> tuple[float, ...]:
    """A channel's queue bonus per priority x 2 + VIP: the priority's plus the VIP's.

    Empty without ``head_start`` (strict priority).
    """
    if bonus is None:
        return ()
    vip = bonus.get("vip", 0.0)
    return tuple(bonus.get(p, 0.0) + vip * v for p in PRIORITIES for v in (0, 1))


def clears_queue_at_close(scenario: Scenario, pool: str) -> bool:
    """Whether the agents of ``pool`` clear a closed channel's queue before they leave.

    ``clear_queue_at_close`` when the file sets it; otherwise whether a channel
    the pool serves has closed hours (a zero in its hourly profile).
    """
    p = scenario.pools[pool]
    if p.clear_queue_at_close is not None:
        return p.clear_queue_at_close
    return any(
        scenario.channels[c].volume.has_closed_hours
        or any(0 in (e.profile_for(c) or ()) for e in scenario.events)
        for c in p.channels
    )


@contextmanager
def cycles_uncollected() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, as it was after it.

    A replication allocates a tuple per fact on SimPy's queue and lists by
    the thousand, so the collector would run every few hundred allocations
    and walk the pending facts and the engine's rows each time, to find
    nothing: the engine leaves no cycles (``tests/test_engine_memory.py``;
    about ten cyclic objects per holiday replication, collected at the next
    run of the collector). Paused, a holiday replication takes about 1.5% less
    CPU, and a contact costs 2.5% less at 1,000 agents, 6% less at 10,000
    (``benchmarks/README.md``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_replication(scenario: Scenario, index: int) -> Replication:
    """Simulate replication ``index`` of ``scenario``, seeded by its seed and ``index`` only."""
    with cycles_uncollected():
        return _run_replication(scenario, index)


def _run_replication(scenario: Scenario, index: int) -> Replication:
    calendar = Calendar.of(scenario)
    contacts = generate_contacts(scenario, index, calendar)
    n_days = calendar.arrival_days + calendar.drain_days
    roster = build_roster(scenario, -calendar.warmup_days, n_days, calendar.end, index)
    channels, pools, departments = engine_rules(scenario)
    rng = stream(scenario.seed, index, Source.RETRY)
    result = run_engine(contacts, channels, pools, departments, roster, calendar.end, rng)
    worked = roster if result.worked is None else result.worked  # pools staffed by interval
    return Replication(index, calendar, contacts, worked, result)
