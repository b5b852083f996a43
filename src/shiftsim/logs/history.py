"""History as a replication: a log table turned into the simulator's contact log, and back.

:func:`as_replication` builds from real records the same
:class:`~shiftsim.sim.replication.Replication` a simulation produces (contact
log, customers, calendar, and a roster of the agents seen at work), so that
:func:`shiftsim.analysis.metrics.measure` computes measured and simulated KPIs
with one code path. :func:`to_log` writes a simulated run's contacts in the
documented log schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shiftsim.analysis.contacts import clock_times
from shiftsim.logs.reader import LogError, LogTable
from shiftsim.logs.schema import LOG_COLUMNS
from shiftsim.model.durations import DAY
from shiftsim.model.names import PRIORITIES
from shiftsim.sim.arrivals import Calendar, Contacts
from shiftsim.sim.engine import EngineResult
from shiftsim.sim.records import ContactLog, Outcome
from shiftsim.sim.replication import Replication
from shiftsim.sim.roster import Roster

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = ["SEEN_SHIFT", "as_replication", "link_retries", "to_log"]

SEEN_SHIFT = ("agents", "seen")
"""The one "shift" of a measured roster: every agent seen at work."""

_OUTCOME_CODES = {
    "open": Outcome.OPEN,
    "deflected": Outcome.DEFLECTED,
    "answered": Outcome.ANSWERED,
    "abandoned": Outcome.ABANDONED,
}


def link_retries(table: LogTable, window: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Link a customer's attempts: an attempt after an abandon within ``window`` is a retry.

    Attempts are linked within a channel, by customer id, in order of arrival.

    Returns
    -------
    first, attempt, previous
        Per row, the row of the customer's first attempt, the attempt number
        (1 for a first attempt), and the row of the abandoned attempt it
        retries (-1 for a first attempt). Rows without a customer id are
        first attempts of their own.
    """
    f = table.frame
    n = len(f)
    first = np.arange(n)
    attempt = np.ones(n, dtype=np.int64)
    previous = np.full(n, -1, dtype=np.int64)
    known = f["customer"].notna().to_numpy()
    if not known.any():
        return first, attempt, previous
    rows = np.flatnonzero(known)
    key = pd.factorize(f["channel"].astype(str) + "\x00" + f["customer"].astype(str))[0][rows]
    arrival = table.seconds("arrival")[rows]
    order = np.lexsort((arrival, key))
    rows, key, arrival = rows[order], key[order], arrival[order]
    abandoned = table.seconds("abandoned")[rows]
    gone = f["outcome"].to_numpy()[rows] == "abandoned"
    gap = np.full(len(rows), np.inf)
    gap[1:] = arrival[1:] - abandoned[:-1]
    retry = np.zeros(len(rows), dtype=bool)
    retry[1:] = (key[1:] == key[:-1]) & gone[:-1] & (gap[1:] >= 0) & (gap[1:] <= window)
    chain = np.cumsum(~retry) - 1
    starts = np.flatnonzero(~retry)
    first[rows] = rows[starts[chain]]
    attempt[rows] = np.arange(len(rows)) - starts[chain] + 1
    previous[rows[1:][retry[1:]]] = rows[:-1][retry[1:]]
    return first, attempt, previous


def as_replication(table: LogTable, scenario: Scenario, retry_window: float) -> Replication:
    """The log as one replication of ``scenario`` (whose horizon must be the log's days).

    Times become seconds from midnight of the first day. The roster has one
    agent per agent id, on duty in every reporting interval in which the agent
    handled a contact: "agents seen", an upper bound on the agents available.

    Raises
    ------
    LogError
        If a channel of the log is not a channel of the scenario.
    """
    cal = Calendar.of(scenario)
    if cal.first_day != table.first_day or cal.days != table.n_days:
        raise ValueError(
            f"scenario horizon {cal.first_day} + {cal.days} days is not the log's "
            f"{table.first_day} + {table.n_days} days"
        )
    f = table.frame
    n = len(f)
    names = list(scenario.channels)
    unknown = sorted(set(f["channel"]) - set(names))
    if unknown:
        raise LogError(
            "<scenario>", "channels",
            f"the log has channels the scenario lacks (got {', '.join(map(repr, unknown))}; "
            f"the scenario has {', '.join(names)})",
        )  # fmt: skip
    first_row, attempt, _ = link_retries(table, retry_window)
    is_first = attempt == 1
    contact_of_row = np.cumsum(is_first) - 1
    customer = contact_of_row[first_row]

    sec = {name: table.seconds(name, cal.first_day) for name in
           ("arrival", "bot_end", "queued", "answered", "handled", "abandoned", "dept_response",
            "resolved")}  # fmt: skip
    channel = np.array([names.index(c) for c in f["channel"]], dtype=np.int8)
    prio_codes = {p: i for i, p in enumerate(PRIORITIES)}
    priority = f["priority"].map(prio_codes).to_numpy(dtype=np.int8)
    vip = f["vip"].to_numpy(dtype=bool)
    outcome = f["outcome"].map(_OUTCOME_CODES).to_numpy(dtype=np.int8)
    depts = list(scenario.departments)
    department = f["department"].map({d: i for i, d in enumerate(depts)})
    department = department.fillna(-1).to_numpy(dtype=np.int8)
    agent_codes, agent_names = pd.factorize(f["agent"], use_na_sentinel=True)
    agent = agent_codes.astype(np.int32)

    log = ContactLog(
        customer=customer.astype(np.int32), attempt=np.minimum(attempt, 127).astype(np.int8),
        channel=channel, priority=priority, vip=vip, outcome=outcome, department=department,
        arrival=sec["arrival"], bot_end=sec["bot_end"], queued=sec["queued"],
        answered=sec["answered"], handled=sec["handled"], abandoned=sec["abandoned"],
        dept_response=sec["dept_response"], closing_start=np.full(n, np.nan),
        resolved=sec["resolved"], agent=agent, closing_agent=np.full(n, -1, dtype=np.int32),
    )  # fmt: skip
    idx = np.flatnonzero(is_first)
    handle = np.nan_to_num(sec["handled"] - sec["answered"])
    contacts = Contacts(
        channel=channel[idx], arrival=sec["arrival"][idx], priority=priority[idx], vip=vip[idx],
        handle=handle[idx], patience=np.full(len(idx), np.inf),
        bot=~np.isnan(sec["bot_end"][idx]),
        bot_session=np.nan_to_num(sec["bot_end"] - sec["arrival"])[idx],
        contained=outcome[idx] == Outcome.DEFLECTED, department=department[idx],
        dept_delay=np.zeros(len(idx)), dept_delay_off=np.zeros(len(idx)),
        closing=np.zeros(len(idx)), due=np.full(len(idx), np.inf),
    )  # fmt: skip
    roster = _agents_seen(log, len(agent_names), scenario.reporting.interval, cal)
    result = EngineResult(log=log, duty_leave=roster.duty_end.copy())
    return Replication(index=0, calendar=cal, contacts=contacts, roster=roster, result=result)


def _agents_seen(log: ContactLog, n_agents: int, step: float, cal: Calendar) -> Roster:
    """One duty interval per (agent, reporting interval) in which the agent was busy."""
    served = (log.agent >= 0) & ~np.isnan(log.answered)
    start = log.answered[served]
    end = np.where(np.isnan(log.handled[served]), start, log.handled[served])
    agent = log.agent[served].astype(np.int64)
    first_bin = np.floor(start / step).astype(np.int64)
    # A contact of zero length still shows its agent at work in that interval.
    last_bin = np.maximum(np.ceil(end / step).astype(np.int64) - 1, first_bin)
    span = last_bin - first_bin + 1
    bins = np.repeat(first_bin, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span,
                                                                           span))  # fmt: skip
    who = np.repeat(agent, span)
    pairs = np.unique(np.stack([bins, who], axis=1), axis=0) if len(bins) else np.zeros((0, 2))
    b, a = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int32)
    duty_start, duty_end = b * step, (b + 1) * step
    n_days = cal.arrival_days + cal.drain_days
    day = np.clip((duty_start // DAY).astype(np.int64), 0, n_days - 1)
    per_day = np.zeros(n_days, dtype=np.int32)
    if len(a):
        seen = np.unique(np.stack([day, a.astype(np.int64)], axis=1), axis=0)
        per_day = np.bincount(seen[:, 0], minlength=n_days).astype(np.int32)
    return Roster(
        agent_pool=np.zeros(n_agents, dtype=np.int16),
        agent_shift=np.zeros(n_agents, dtype=np.int16),
        shift_names=(SEEN_SHIFT,),
        duty_agent=a,
        duty_start=duty_start.astype(float),
        duty_end=duty_end.astype(float),
        on_duty_by_day=per_day[:, None],
    )


def to_log(rep: Replication, scenario: Scenario) -> pd.DataFrame:
    """A replication's contacts in the documented log schema (one row per attempt).

    Times are dates and times of day (the calendar's first simulated day at
    midnight is time 0); customer and agent ids are ``C<n>`` and ``A<n>``.
    Write it with ``frame.to_csv(path, index=False)`` and read it back with
    :func:`shiftsim.logs.reader.read_logs` without a mapping.
    """
    log = rep.result.log
    origin = pd.Timestamp(rep.calendar.first_day)

    def stamp(t: np.ndarray) -> pd.DatetimeIndex:
        return clock_times(origin, t)

    names = np.array(list(scenario.channels), dtype=object)
    depts = np.array([*scenario.departments, None], dtype=object)
    outcome = {int(v): k for k, v in _OUTCOME_CODES.items()}
    frame = pd.DataFrame({
        "arrival": stamp(log.arrival),
        "channel": names[log.channel],
        "priority": np.array(PRIORITIES, dtype=object)[log.priority],
        "vip": log.vip.astype(bool),
        "customer": np.char.add("C", log.customer.astype(str)),
        "bot_end": stamp(log.bot_end),
        "queued": stamp(log.queued),
        "answered": stamp(log.answered),
        "handled": stamp(log.handled),
        "abandoned": stamp(log.abandoned),
        "outcome": [outcome[int(o)] for o in log.outcome],
        "department": depts[log.department],
        "dept_response": stamp(log.dept_response),
        "resolved": stamp(log.resolved),
        "agent": np.where(log.agent >= 0, np.char.add("A", log.agent.astype(str)), ""),
    })  # fmt: skip
    assert list(frame.columns) == list(LOG_COLUMNS)
    return frame.sort_values("arrival", kind="stable").reset_index(drop=True)
