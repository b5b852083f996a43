"""One replication: scenario -> arrivals + roster -> engine -> raw facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import Calendar, Contacts, expected_hourly, generate_contacts
from shiftsim.sim.engine import EngineResult, run_engine
from shiftsim.sim.randomness import Source, stream
from shiftsim.sim.roster import Roster, build_roster
from shiftsim.sim.rules import FULL, ChannelRules, DepartmentRules, PoolRules

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = ["Replication", "clears_queue_at_close", "engine_rules", "run_replication"]


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


def engine_rules(
    scenario: Scenario,
) -> tuple[list[ChannelRules], list[PoolRules], list[DepartmentRules]]:
    """Translate the scenario into the engine's plain rules."""
    names = list(scenario.channels)
    targets = scenario.resolved_targets
    calendar = Calendar.of(scenario)
    channels = []
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
                retry_delay=retry.delay.sample if retry else None,
                patience=ch.patience.sample if ch.patience is not None else None,
                resolution_due=(due[0], due[1], due[2]),
                escalates=ch.escalation is not None,
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


def clears_queue_at_close(scenario: Scenario, pool: str) -> bool:
    """Whether the agents of ``pool`` clear a closed channel's queue before they leave.

    ``clear_queue_at_close`` when the file sets it; otherwise whether a channel
    the pool serves has closed hours (a zero in its hourly profile).
    """
    p = scenario.pools[pool]
    if p.clear_queue_at_close is not None:
        return p.clear_queue_at_close
    return any(0 in scenario.channels[c].volume.hourly_profile for c in p.channels)


def run_replication(scenario: Scenario, index: int) -> Replication:
    """Simulate replication ``index`` of ``scenario``, seeded by its seed and ``index`` only."""
    calendar = Calendar.of(scenario)
    contacts = generate_contacts(scenario, index, calendar)
    n_days = calendar.arrival_days + calendar.drain_days
    roster = build_roster(scenario, -calendar.warmup_days, n_days, calendar.end, index)
    channels, pools, departments = engine_rules(scenario)
    rng = stream(scenario.seed, index, Source.RETRY)
    result = run_engine(contacts, channels, pools, departments, roster, calendar.end, rng)
    worked = roster if result.worked is None else result.worked  # pools staffed by interval
    return Replication(index, calendar, contacts, worked, result)
