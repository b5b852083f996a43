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
  back misses. ``simple`` cases need no escalation, ``complex`` ones do (by
  the customer's first contact). With repeat contacts the clock runs to the
  resolution of the customer's *last* contact: a problem that came back was
  not resolved by the first one (and one that comes back after the end of the
  run is unresolved).
* **Repeat contacts** (``channels.NAME.repeat``): a contact is a customer's
  first attempt or a repeat contact (attempt 1 of a later contact; retries are
  attempts, not contacts). *Repeat share*: repeat contacts / contacts arriving
  on the channel. *First-contact resolution*: of the customers whose first
  contact arrived on the channel in the horizon and was resolved, the share
  who never came back.
* The **service level** of a target on a day is met / eligible contacts of that
  day; a day *meets* the target when its service level reaches the goal
  (:func:`meets`, the one place that rule is written).
* **Periods** (``reporting.periods``) are clock windows of the day; a contact
  belongs to the period in which it arrived, and a period across midnight
  (``['22:00', '06:00']``) to the day it starts on. The same rule judges a
  (day, period) pair on the period's contacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from shiftsim.model.deadlines import deadlines
from shiftsim.model.durations import DAY
from shiftsim.model.names import PRIORITIES
from shiftsim.model.scenario import Scenario, Target
from shiftsim.sim.records import ContactLog, Outcome
from shiftsim.sim.replication import Replication

__all__ = [
    "KPIS",
    "PERCENTILES",
    "TARGET_FIELDS",
    "ReplicationMetrics",
    "check_target",
    "measure",
    "meets",
    "period_counts",
    "target_outcomes",
]


PERCENTILES: tuple[float, ...] = (50.0, 80.0, 90.0, 95.0)
"""Wait percentiles reported per interval and per day."""

KPIS: tuple[str, ...] = ("all", "targets")
"""What :func:`measure` computes: everything, or only the target counts a search needs."""

TARGET_FIELDS: tuple[str, ...] = ("target_eligible", "target_met", "period_eligible", "period_met")
"""The arrays a ``kpis="targets"`` measurement fills; every other array is left empty."""

GOAL_TOLERANCE = 1e-12
"""Slack on the goal, so that 9 met of 10 eligible reaches a goal of 0.9 despite rounding."""


@dataclass(frozen=True)
class ReplicationMetrics:
    """Compact, picklable KPIs of one replication (arrays indexed as named).

    ``iv`` arrays are per reporting interval of the horizon
    (``scenario.reporting.interval``); ``[.., channel, priority]`` axes follow
    the scenario's channel order and ``PRIORITIES``; ``period`` axes follow
    ``scenario.reporting.periods``. With ``kpis="targets"`` only
    :data:`TARGET_FIELDS` are filled, every other array is empty.
    """

    index: int
    target_eligible: np.ndarray  # [target, day]
    target_met: np.ndarray  # [target, day]
    period_eligible: np.ndarray  # [target, day, period] by the day the period starts on
    period_met: np.ndarray  # [target, day, period]
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
    dept_delay_sum: np.ndarray  # [channel] over escalations the department answered
    dept_answered: np.ndarray  # [channel] escalations the department answered by the end
    busy: np.ndarray  # [shift] agent-seconds busy in the horizon
    available: np.ndarray  # [shift] agent-seconds on duty (incl. overtime) in the horizon
    overtime: np.ndarray  # [shift] agent-seconds worked past the end of duty
    n_contacts: int  # rows in the log (whole run, incl. warm-up and drain)
    # -- per interval ---------------------------------------------------------
    iv_target_eligible: np.ndarray  # [target, interval]
    iv_target_met: np.ndarray  # [target, interval]
    iv_offered: np.ndarray  # [interval, channel, priority]
    iv_deflected: np.ndarray  # [interval, channel, priority]
    iv_answered: np.ndarray  # [interval, channel, priority]
    iv_abandoned: np.ndarray  # [interval, channel, priority]
    iv_wait_sum: np.ndarray  # [interval, channel, priority] seconds, answered contacts
    iv_wait_pct: np.ndarray  # [interval, channel, priority, PERCENTILES] NaN if none answered
    day_wait_pct: np.ndarray  # [day, channel, priority, PERCENTILES]
    iv_busy: np.ndarray  # [interval, shift] agent-seconds
    iv_on_duty: np.ndarray  # [interval, shift] agent-seconds present, overtime included
    iv_backlog: np.ndarray  # [interval, channel] deferrable items waiting at the interval's end
    # -- for `shiftsim check`: each waiting channel against its tightest target ---
    check_eligible: np.ndarray  # [channel, hour of day]
    check_met: np.ndarray  # [channel, hour of day]
    kpis: str = "all"  # what was computed (see KPIS)
    # [4, channel]: contacts (first attempts and repeat contacts), repeat
    # contacts, customers whose first contact was resolved, of them those who
    # never came back. None in results written before repeat contacts.
    repeat_counts: np.ndarray | None = None


def target_outcomes(
    target: Target, rep: Replication, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The contacts a target covers: their arrival time, whether each met it, and its deadline.

    Only contacts that arrived in the reported horizon are returned; abandons
    shorter than ``reporting.short_abandon`` are left out of first-response
    targets.
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
        short = scenario.reporting.short_abandon
        if short > 0:
            sel &= ~(log.abandoned - log.queued < short)
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
        rows = slice(None)
        if log.repeat.any():  # the problem is resolved when the last contact is
            last = np.zeros(len(c), dtype=np.int8)
            np.maximum.at(last, log.customer, log.repeat)
            rows = log.repeat == last[log.customer]
        np.minimum.at(response, log.customer[rows], resolved[rows])
    sel &= (arrival >= cal.report_start) & (arrival < cal.report_end)
    idx = np.flatnonzero(sel)
    due = deadlines(target, arrival[idx])
    resp = np.where(np.isnan(response[idx]), np.inf, response[idx])
    met = resp <= due
    return arrival[idx], met, due


def check_target(name: str, scenario: Scenario) -> Target | None:
    """The target ``shiftsim check`` compares a waiting channel against.

    The channel's tightest first-response target, applied to every contact of
    the channel (all priorities, VIPs or not, no business hours), as a
    spreadsheet planner would. ``None`` for async channels and channels
    without a first-response target.
    """
    if not scenario.channels[name].synchronous:
        return None
    targets = [
        t for t in scenario.resolved_targets if t.channel == name and t.kind == "first_response"
    ]
    if not targets:
        return None
    tightest = min(targets, key=lambda t: t.within)
    return tightest.model_copy(
        update={"name": "", "priority": "all", "vip": None, "business_hours": None,
                "off_hours_by": None}
    )  # fmt: skip


def meets(met: ArrayLike, eligible: ArrayLike, goal: ArrayLike) -> np.ndarray:
    """Whether a service level ``met / eligible`` reaches ``goal`` (the one rule for it).

    Element-wise on counts of a day, a period, an interval or the whole
    horizon; ``False`` where nothing is eligible (there is nothing to judge).
    """
    m = np.asarray(met, dtype=float)
    e = np.asarray(eligible, dtype=float)
    ok: np.ndarray = (e > 0) & (m >= (np.asarray(goal, dtype=float) - GOAL_TOLERANCE) * e)
    return ok


def period_counts(
    arrival: np.ndarray,
    ok: np.ndarray,
    start: float,
    days: int,
    windows: Sequence[tuple[float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible and met contacts per ``[day, window]`` of a horizon of ``days`` days.

    Parameters
    ----------
    arrival, ok
        Each contact's arrival (simulation seconds; time 0 is a midnight) and
        whether it met the target.
    start
        The horizon's first midnight.
    windows
        Clock windows ``(start, end)`` in seconds after midnight; ``(0, DAY)``
        is the whole day. A contact belongs to a window in which it arrived;
        a window across midnight (start > end) belongs to the day it starts
        on, so a contact at 01:00 counts for the window that opened the
        evening before, and windows that opened before the horizon are left
        out. Overlapping windows each count the contact.
    """
    rel = np.asarray(arrival, dtype=float) - start
    day = np.floor(rel / DAY).astype(np.int64)
    clock = rel - day * DAY
    del rel
    ok = np.asarray(ok, dtype=bool)
    eligible = np.zeros((days, len(windows)), dtype=np.int64)
    met = np.zeros((days, len(windows)), dtype=np.int64)
    # One window at a time: its counts, not every window's cells at once (memory).
    for w, (lo, hi) in enumerate(windows):
        if lo < hi:
            inside = (clock >= lo) & (clock < hi)
            opened = day
        else:
            early = clock < hi
            inside = early | (clock >= lo)
            opened = day - early
        inside &= (opened >= 0) & (opened < days)
        on = opened[inside]
        eligible[:, w] = np.bincount(on, minlength=days)
        met[:, w] = np.bincount(on[ok[inside]], minlength=days)
    return eligible, met


def _priority_vip(target: Target, priority: np.ndarray, vip: np.ndarray) -> np.ndarray:
    sel = np.ones(len(priority), dtype=bool)
    if target.priority != "all":
        sel &= priority == PRIORITIES.index(target.priority)
    if target.vip is not None:
        sel &= vip == target.vip
    return sel


def measure(rep: Replication, scenario: Scenario, kpis: str = "all") -> ReplicationMetrics:
    """Compute the KPIs of one replication from its raw records.

    ``kpis="targets"`` computes only the target counts per day and period
    (:data:`TARGET_FIELDS`: what judging targets and a staffing search need)
    and skips intervals, percentiles, agent time and backlog.

    Each group of KPIs is computed by a function of its own, over the rows it
    needs: its full-length temporaries are freed before the next group starts,
    so the memory beyond the log is one group's working arrays (issue 17).
    """
    if kpis not in KPIS:
        raise ValueError(f"kpis must be one of {', '.join(map(repr, KPIS))} (got {kpis!r})")
    log, cal = rep.result.log, rep.calendar
    step = scenario.reporting.interval
    n_iv = int(round(cal.days * DAY / step))
    eligible, met, period_eligible, period_met, iv_eligible, iv_met = _target_counts(
        rep, scenario, n_iv if kpis == "all" else 0
    )
    if kpis == "targets":
        only: dict[str, Any] = {f.name: np.zeros(0) for f in fields(ReplicationMetrics)}
        only.update(index=rep.index, n_contacts=len(log), kpis=kpis, target_eligible=eligible,
                    target_met=met, period_eligible=period_eligible,
                    period_met=period_met)  # fmt: skip
        return ReplicationMetrics(**only)

    nch = len(scenario.channels)
    t0, t1 = cal.report_start, cal.report_end
    inside = (log.arrival >= t0) & (log.arrival < t1)
    sync = np.array([c.synchronous for c in scenario.channels.values()])[log.channel]
    # Time to first response from joining the queue: pick-up for calls and
    # chats, the reply being sent for async messages.
    responded = np.where(sync, ~np.isnan(log.answered), ~np.isnan(log.handled))
    edges = t0 + step * np.arange(n_iv + 1)
    busy, iv_busy = _agent_time(rep, scenario, edges)
    available, overtime, iv_on_duty = _duty_time(rep, edges)
    check_eligible, check_met = _check_counts(rep, scenario)
    return ReplicationMetrics(
        index=rep.index,
        target_eligible=eligible,
        target_met=met,
        period_eligible=period_eligible,
        period_met=period_met,
        **_channel_counts(rep, scenario, inside, sync, responded),
        busy=busy,
        available=available,
        overtime=overtime,
        n_contacts=len(log),
        iv_target_eligible=iv_eligible,
        iv_target_met=iv_met,
        **_cell_counts(log, inside, sync, responded, t0, step, (n_iv, nch, cal.days)),
        iv_busy=iv_busy,
        iv_on_duty=iv_on_duty,
        iv_backlog=_backlog(log, sync, nch, edges),
        check_eligible=check_eligible,
        check_met=check_met,
    )


def _target_counts(rep: Replication, scenario: Scenario, n_iv: int) -> tuple[np.ndarray, ...]:
    """Eligible and met contacts of each target per day, per [day, period] and per interval.

    ``n_iv`` reporting intervals (0: no counts per interval, for ``kpis="targets"``).
    """
    cal = rep.calendar
    targets = scenario.resolved_targets
    # The whole day is window 0, so day and period counts come from one function.
    windows = [(0.0, DAY), *scenario.reporting.periods.values()]
    counts = np.zeros((2, len(targets), cal.days, len(windows)), dtype=np.int64)
    iv_eligible = np.zeros((len(targets), n_iv), dtype=np.int64)
    iv_met = np.zeros((len(targets), n_iv), dtype=np.int64)
    for k, t in enumerate(targets):
        arrival, ok, _ = target_outcomes(t, rep, scenario)
        counts[0, k], counts[1, k] = period_counts(arrival, ok, cal.report_start, cal.days, windows)
        if n_iv:
            iv = _bins(arrival, cal.report_start, scenario.reporting.interval, n_iv)
            iv_eligible[k] = np.bincount(iv, minlength=n_iv)
            iv_met[k] = np.bincount(iv[ok], minlength=n_iv)
    eligible, met = (np.ascontiguousarray(c[:, :, 0]) for c in counts)
    period_eligible, period_met = (np.ascontiguousarray(c[:, :, 1:]) for c in counts)
    return eligible, met, period_eligible, period_met, iv_eligible, iv_met


def _bins(t: np.ndarray, t0: float, size: float, n: int) -> np.ndarray:
    """The bin of width ``size`` from ``t0`` of each time, the last bin taking what is beyond."""
    rel = t - t0
    np.floor_divide(rel, size, out=rel)
    out = rel.astype(np.int64)
    np.minimum(out, n - 1, out=out)
    return out


def _channel_counts(
    rep: Replication, scenario: Scenario, inside: np.ndarray, sync: np.ndarray,
    responded: np.ndarray,
) -> dict[str, Any]:  # fmt: skip
    """The per-channel totals of :class:`ReplicationMetrics` (contacts arrived in the horizon)."""
    log, nch = rep.result.log, len(scenario.channels)

    def per_channel(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Count (or sum ``weights``, given for the rows of ``mask``) per channel."""
        return np.bincount(log.channel[mask], weights=weights, minlength=nch)

    answered = inside & sync & ~np.isnan(log.answered)
    contact = inside & (log.attempt == 1)
    # Escalations: answered by the department, and late if answered after
    # respond_within or still unanswered that long after escalation.
    esc = np.flatnonzero(inside & (log.department >= 0))
    esc_channel = log.channel[esc]
    esc_handled = log.handled[esc]
    delay = log.dept_response[esc] - esc_handled
    dept_answered = ~np.isnan(delay)
    respond_within = np.array([d.respond_within for d in scenario.departments.values()])
    waited = np.where(dept_answered, delay, rep.calendar.end - esc_handled)
    late = waited > respond_within[log.department[esc]]
    return {
        "offered": per_channel(inside),
        "customers": per_channel(contact & (log.repeat == 0)),
        "bot_offered": per_channel(inside & ~np.isnan(log.bot_end)),
        "deflected": per_channel(inside & (log.outcome == Outcome.DEFLECTED)),
        "queued": per_channel(inside & ~np.isnan(log.queued)),
        "answered": per_channel(inside & responded),
        "abandoned": per_channel(inside & (log.outcome == Outcome.ABANDONED)),
        "wait_sum": per_channel(answered, log.answered[answered] - log.queued[answered]),
        "escalated": np.bincount(esc_channel, minlength=nch),
        "dept_late": np.bincount(esc_channel[late], minlength=nch),
        "dept_delay_sum": np.bincount(
            esc_channel[dept_answered], weights=delay[dept_answered], minlength=nch
        ),
        "dept_answered": np.bincount(esc_channel[dept_answered], minlength=nch),
        "repeat_counts": np.stack(
            [
                per_channel(contact),
                per_channel(contact & (log.repeat > 0)),
                *_first_contact_resolution(rep, nch),
            ]
        ),  # fmt: skip
    }


def _cell_counts(
    log: ContactLog, inside: np.ndarray, sync: np.ndarray, responded: np.ndarray, t0: float,
    step: float, sizes: tuple[int, int, int],
) -> dict[str, Any]:  # fmt: skip
    """Counts, waits and wait percentiles per [interval, channel, priority] (and per day)."""
    n_iv, nch, days = sizes
    npr = len(PRIORITIES)
    shape = (n_iv, nch, npr)
    cell = _bins(log.arrival, t0, step, n_iv)  # flat [interval, channel, priority]
    cell *= nch
    cell += log.channel
    cell *= npr
    cell += log.priority

    def per_cell(rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Count (or sum ``weights``) the cells ``rows`` of the contacts chosen."""
        return np.bincount(rows, weights=weights, minlength=n_iv * nch * npr).reshape(shape)

    waited = inside & responded
    flat = cell[waited]
    wait = np.where(sync[waited], log.answered[waited], log.handled[waited])
    wait -= log.queued[waited]
    counts = {
        "iv_offered": per_cell(cell[inside]),
        "iv_deflected": per_cell(cell[inside & (log.outcome == Outcome.DEFLECTED)]),
        "iv_answered": per_cell(flat),
        "iv_abandoned": per_cell(cell[inside & (log.outcome == Outcome.ABANDONED)]),
        "iv_wait_sum": per_cell(flat, wait),
    }
    del cell
    # Both tables sort the same waits: by value once, then (stably) by cell each.
    by_wait = np.argsort(wait, kind="stable")
    counts["iv_wait_pct"] = _percentiles(flat, wait, shape, by_wait)
    flat = _bins(log.arrival[waited], t0, DAY, days)  # flat [day, channel, priority]
    flat *= nch
    flat += log.channel[waited]
    flat *= npr
    flat += log.priority[waited]
    counts["day_wait_pct"] = _percentiles(flat, wait, (days, nch, npr), by_wait)
    return counts


def _agent_time(
    rep: Replication, scenario: Scenario, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Agent-seconds busy per shift in the horizon, and per [interval, shift].

    Handling (with its after-call work) and closing, weighted by the share of
    an agent a contact takes; work still going on at the end runs to the end.
    """
    log, roster, cal = rep.result.log, rep.roster, rep.calendar
    t0, t1 = cal.report_start, cal.report_end
    weight = np.array([1.0 / c.concurrency for c in scenario.channels.values()])
    n_shifts = len(roster.shift_names)
    busy = np.zeros(n_shifts)
    iv_busy = np.zeros((len(edges) - 1, n_shifts))
    for start, stop, after, agent in (
        (log.answered, log.handled, log.wrap_up, log.agent),
        (log.closing_start, log.resolved, None, log.closing_agent),
    ):
        m = agent >= 0
        k = int(np.count_nonzero(m))
        # Starts, then ends, in the one buffer _time_in_bins sorts (memory).
        times = np.empty(2 * k)
        np.compress(m, start, out=times[:k])
        end = times[k:]
        np.compress(m, stop, out=end)
        if after is not None:
            end += np.nan_to_num(after[m].astype(np.float64))
        end[np.isnan(end)] = cal.end
        w = weight[log.channel[m]]
        shift_of = roster.agent_shift[agent[m]]
        del m
        held = np.clip(end, t0, t1)
        held -= np.clip(times[:k], t0, t1)
        held *= w
        busy += np.bincount(shift_of, weights=held, minlength=n_shifts)
        del held
        pairs = times.reshape(2, k)
        for j in range(n_shifts):
            # A pool with one shift takes every row: a view, not a copy.
            rows = shift_of == j if n_shifts > 1 else slice(None)
            iv_busy[:, j] += _time_in_bins(pairs[:, rows].reshape(-1), w[rows], edges)
    return busy, iv_busy


def _duty_time(rep: Replication, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agent-seconds on duty per shift in the horizon, their overtime, and on duty per interval."""
    roster, cal = rep.roster, rep.calendar
    t0, t1 = cal.report_start, cal.report_end
    n_shifts = len(roster.shift_names)
    leave = np.maximum(rep.result.duty_leave, roster.duty_end)
    duty_shift = roster.agent_shift[roster.duty_agent]
    on = np.clip(roster.duty_start, t0, t1)
    off = np.clip(leave, t0, t1)
    available = np.bincount(duty_shift, weights=off - on, minlength=n_shifts)
    end_in = np.clip(roster.duty_end, t0, t1)
    overtime = np.bincount(duty_shift, weights=off - np.minimum(end_in, off), minlength=n_shifts)
    iv_on_duty = np.zeros((len(edges) - 1, n_shifts))
    for j in range(n_shifts):
        sel = duty_shift == j
        # Present: duty of agents not absent, after shrinkage, plus overtime (finishing a contact).
        iv_on_duty[:, j] = _time_in_bins(
            np.concatenate([roster.duty_start[sel], leave[sel]]), np.ones(sel.sum()), edges
        )
    return available, overtime, iv_on_duty


def _backlog(log: ContactLog, sync: np.ndarray, nch: int, edges: np.ndarray) -> np.ndarray:
    """Deferrable work waiting at each interval's end, per [interval, channel].

    Async messages not yet picked up, and escalated cases answered by the
    department but not closed.
    """
    backlog = np.zeros((len(edges) - 1, nch))
    for j in range(nch):
        on = log.channel == j
        for came, went, rows in (
            (log.queued, log.answered, on & ~sync),
            (log.dept_response, log.closing_start, on),
        ):
            came = came[rows & ~np.isnan(came)]
            went = went[rows & ~np.isnan(went)]
            came.sort()
            went.sort()
            backlog[:, j] += np.searchsorted(came, edges[1:], side="right")
            backlog[:, j] -= np.searchsorted(went, edges[1:], side="right")
    return backlog


def _check_counts(rep: Replication, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Eligible and met contacts per [channel, hour of day] of each channel's check target."""
    nch = len(scenario.channels)
    eligible = np.zeros((nch, 24), dtype=np.int64)
    met = np.zeros((nch, 24), dtype=np.int64)
    for j, name in enumerate(scenario.channels):
        tgt = check_target(name, scenario)
        if tgt is not None:
            arrival, ok, _ = target_outcomes(tgt, rep, scenario)
            hour = (np.mod(arrival, DAY) // 3600.0).astype(np.int64)
            eligible[j] = np.bincount(hour, minlength=24)
            met[j] = np.bincount(hour[ok], minlength=24)
    return eligible, met


def _first_contact_resolution(rep: Replication, nch: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel of the first contact, customers (arrived in the horizon) whose
    first contact was resolved, and of them those who never came back."""
    log, c, cal = rep.result.log, rep.contacts, rep.calendar
    first = log.repeat == 0
    resolved = np.zeros(len(c), dtype=bool)
    resolved[log.customer[first & ~np.isnan(log.resolved)]] = True
    back = np.zeros(len(c), dtype=bool)
    back[log.customer[~first]] = True
    resolved &= (c.arrival >= cal.report_start) & (c.arrival < cal.report_end)
    ch = c.channel.astype(np.int64)
    return (np.bincount(ch[resolved], minlength=nch).astype(float),
            np.bincount(ch[resolved & ~back], minlength=nch).astype(float))  # fmt: skip


def _time_in_bins(times: np.ndarray, weight: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Weighted time each interval spends in each bin of ``edges``.

    ``times`` holds the intervals' starts, then their ends (``2 * len(weight)``
    values); interval ``i`` is ``[times[i], times[n + i])``, counted only
    between the first and last edge. Without sorting: the time an interval
    from the first edge to ``t`` spends in bin ``j`` is the bin's width if
    ``t`` lies beyond it, ``t`` less the bin's start if ``t`` lies in it, and
    0 before it, so an interval's share is that of its end less that of its
    start, and a bin's total is a weighted count of the ends and starts
    beyond it (a suffix sum) plus their offsets in it (a weighted
    ``bincount``): linear in the intervals, where a sort of their times was
    most of the KPIs' cost (issue 17).
    """
    n_bins = len(edges) - 1
    if len(weight) == 0:
        return np.zeros(n_bins)
    t = np.clip(times, edges[0], edges[-1])
    k = np.searchsorted(edges, t, side="right")
    k -= 1
    np.minimum(k, n_bins - 1, out=k)  # the last edge itself: the end of the last bin
    t -= edges[k]  # the offset in its bin
    signed = np.concatenate([-weight, weight])  # a start takes away, an end adds
    beyond = np.bincount(k, weights=signed, minlength=n_bins)
    t *= signed
    inside = np.bincount(k, weights=t, minlength=n_bins)
    del t, k, signed
    # Weights of the times in bins after j: the suffix sums from bin j + 1 on.
    after = np.zeros(n_bins)
    after[:-1] = np.cumsum(beyond[:0:-1])[::-1]
    out: np.ndarray = after * np.diff(edges) + inside
    return out


def _percentiles(
    flat: np.ndarray, values: np.ndarray, shape: tuple[int, int, int],
    by_value: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """Percentiles of ``values`` per cell (``flat`` index into ``shape``); NaN for empty cells.

    ``by_value``: ``np.argsort(values, kind="stable")``, when the caller has it.
    Sorting by value, then stably by cell, is the order of
    ``np.lexsort((values, flat))`` (the same permutation), in a third of the
    time: the cells are small integers, which numpy sorts stably by radix.
    """
    out = np.full((*shape, len(PERCENTILES)), np.nan)
    if len(flat) == 0:
        return out
    if by_value is None:
        by_value = np.argsort(values, kind="stable")
    cells_by_value = flat[by_value]
    if int(np.prod(shape)) <= np.iinfo(np.uint16).max:
        cells_by_value = cells_by_value.astype(np.uint16)
    order = by_value[np.argsort(cells_by_value, kind="stable")]
    del cells_by_value
    flat, vals = flat[order], values[order]
    del order
    # Cells are runs of the sorted index: their first position and length.
    starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
    counts = np.diff(np.append(starts, len(flat)))
    cells = flat[starts]
    q = np.asarray(PERCENTILES) / 100.0
    # Linear interpolation between order statistics (numpy's default method).
    pos = q[None, :] * (counts[:, None] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, counts[:, None] - 1)
    frac = pos - lo
    base = starts[:, None]
    res = vals[base + lo] * (1 - frac) + vals[base + hi] * frac
    out.reshape(-1, len(PERCENTILES))[cells] = res
    return out
