"""KPIs of one replication, computed from the contact log after the run.

Definitions (also in the README):

* A contact is counted on the day, and only if, it *arrived* in the reported
  horizon (after the warm-up). Retry attempts are contacts of their own.
* **First response** is when an agent picks up a call or chat, or when an
  agent's reply to an async message is sent (end of handling). If the bot's
  reply counts as first response, contacts that went through the bot are
  answered on arrival. Otherwise contacts the bot resolved are left out of
  first-response targets (no human was needed).
* A contact that abandons, or is still unanswered when the simulation stops,
  misses its first-response target.
* **Resolution** is per customer: the clock starts at the first attempt and
  stops when the bot resolves it, the agent finishes (not escalated), or the
  front line closes the escalated case. A customer who gave up and never came
  back misses. ``simple`` cases need no escalation, ``complex`` ones do.
* The **service level** of a target on a day is met / eligible contacts of that
  day; a day *meets* the target when its service level reaches the goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .durations import DAY
from .records import Outcome
from .replication import Replication
from .scenario import PRIORITIES, Scenario, Target
from .targets import deadlines

__all__ = ["ReplicationMetrics", "measure", "target_outcomes"]


@dataclass(frozen=True)
class ReplicationMetrics:
    """Compact, picklable KPIs of one replication (arrays indexed as named)."""

    index: int
    target_eligible: np.ndarray  # [target, day]
    target_met: np.ndarray  # [target, day]
    offered: np.ndarray  # [channel] attempts arriving in the horizon
    customers: np.ndarray  # [channel] first attempts
    bot_offered: np.ndarray  # [channel]
    deflected: np.ndarray  # [channel]
    queued: np.ndarray  # [channel] reached a human queue
    answered: np.ndarray  # [channel]
    abandoned: np.ndarray  # [channel]
    wait_sum: np.ndarray  # [channel] total wait of answered contacts (ASA numerator)
    escalated: np.ndarray  # [channel]
    dept_late: np.ndarray  # [channel] department answered later than respond_within
    dept_delay_sum: np.ndarray  # [channel]
    busy: np.ndarray  # [shift] agent-seconds busy in the horizon
    available: np.ndarray  # [shift] agent-seconds on duty (incl. overtime) in the horizon
    overtime: np.ndarray  # [shift] agent-seconds worked past the end of duty
    n_contacts: int  # rows in the log (whole run, incl. warm-up and drain)


def target_outcomes(
    target: Target, rep: Replication, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which contacts a target covers, whether each met it, and its arrival day.

    Returns ``(day, met)`` for the eligible contacts only, plus the deadline.
    """
    log, cal = rep.result.log, rep.calendar
    ch = list(scenario.channels).index(target.channel)
    channel = scenario.channels[target.channel]
    if target.kind == "first_response":
        arrival = log.arrival
        sel = log.channel == ch
        sel &= _priority_vip(target, log.priority, log.vip)
        bot_used = ~np.isnan(log.bot_end)
        counts_bot = channel.bot is not None and channel.bot.counts_as_first_response
        response = log.answered if channel.synchronous else log.handled
        if counts_bot:
            response = np.where(bot_used, arrival, response)
        else:
            sel &= log.outcome != Outcome.DEFLECTED
    else:
        c = rep.contacts
        arrival = c.arrival
        sel = c.channel == ch
        sel &= _priority_vip(target, c.priority, c.vip)
        if target.cases == "simple":
            sel &= c.department < 0
        elif target.cases == "complex":
            sel &= c.department >= 0
        response = np.full(len(c), np.inf)
        resolved = np.where(np.isnan(log.resolved), np.inf, log.resolved)
        np.minimum.at(response, log.customer, resolved)
    sel &= (arrival >= cal.report_start) & (arrival < cal.report_end)
    idx = np.flatnonzero(sel)
    due = deadlines(target, arrival[idx])
    resp = np.where(np.isnan(response[idx]), np.inf, response[idx])
    met = resp <= due
    day = ((arrival[idx] - cal.report_start) // DAY).astype(np.int64)
    return day, met, due


def _priority_vip(target: Target, priority: np.ndarray, vip: np.ndarray) -> np.ndarray:
    sel = np.ones(len(priority), dtype=bool)
    if target.priority != "all":
        sel &= priority == PRIORITIES.index(target.priority)
    if target.vip is not None:
        sel &= vip == target.vip
    return sel


def measure(rep: Replication, scenario: Scenario) -> ReplicationMetrics:
    """Compute every KPI of one replication from its raw records."""
    log, cal, roster = rep.result.log, rep.calendar, rep.roster
    days = cal.days
    targets = scenario.resolved_targets
    eligible = np.zeros((len(targets), days), dtype=np.int64)
    met = np.zeros((len(targets), days), dtype=np.int64)
    for k, t in enumerate(targets):
        day, ok, _ = target_outcomes(t, rep, scenario)
        eligible[k] = np.bincount(day, minlength=days)[:days]
        met[k] = np.bincount(day[ok], minlength=days)[:days]

    nch = len(scenario.channels)
    inside = (log.arrival >= cal.report_start) & (log.arrival < cal.report_end)
    ch = log.channel.astype(np.int64)

    def per_channel(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        m = mask & inside
        w = None if weights is None else np.where(m, weights, 0.0)[m]
        return np.bincount(ch[m], weights=w, minlength=nch)

    answered = ~np.isnan(log.answered)
    sync = np.array([c.synchronous for c in scenario.channels.values()])[ch]
    escalated = log.department >= 0
    dept_delay = log.dept_response - log.handled
    respond_within = np.array([d.respond_within for d in scenario.departments.values()] + [np.inf])
    late = escalated & ~(dept_delay <= respond_within[log.department])

    # Agent time: handling and closing, weighted by the share of an agent a contact takes.
    weight = np.array([1.0 / c.concurrency for c in scenario.channels.values()])
    n_shifts = len(roster.shift_names)
    busy = np.zeros(n_shifts)
    for start, stop, agent in (
        (log.answered, log.handled, log.agent),
        (log.closing_start, log.resolved, log.closing_agent),
    ):
        m = agent >= 0
        s = np.clip(start[m], cal.report_start, cal.report_end)
        e = np.clip(np.where(np.isnan(stop[m]), cal.end, stop[m]), cal.report_start, cal.report_end)
        busy += np.bincount(
            roster.agent_shift[agent[m]], weights=(e - s) * weight[ch[m]], minlength=n_shifts
        )
    leave = np.maximum(rep.result.duty_leave, roster.duty_end)
    shift_of = roster.agent_shift[roster.duty_agent]
    on = np.clip(roster.duty_start, cal.report_start, cal.report_end)
    off = np.clip(leave, cal.report_start, cal.report_end)
    available = np.bincount(shift_of, weights=off - on, minlength=n_shifts)
    end_in = np.clip(roster.duty_end, cal.report_start, cal.report_end)
    overtime = np.bincount(shift_of, weights=off - np.minimum(end_in, off), minlength=n_shifts)

    first = log.attempt == 1
    bot_used = ~np.isnan(log.bot_end)
    return ReplicationMetrics(
        index=rep.index,
        target_eligible=eligible,
        target_met=met,
        offered=per_channel(np.ones(len(log), bool)),
        customers=per_channel(first),
        bot_offered=per_channel(bot_used),
        deflected=per_channel(log.outcome == Outcome.DEFLECTED),
        queued=per_channel(~np.isnan(log.queued)),
        answered=per_channel(answered),
        abandoned=per_channel(log.outcome == Outcome.ABANDONED),
        wait_sum=per_channel(answered & sync, log.answered - log.queued),
        escalated=per_channel(escalated),
        dept_late=per_channel(late),
        dept_delay_sum=per_channel(escalated, dept_delay),
        busy=busy,
        available=available,
        overtime=overtime,
        n_contacts=len(log),
    )
