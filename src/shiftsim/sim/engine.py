"""One replication of the center, simulated contact by contact with SimPy.

SimPy is the clock: only future facts are scheduled (an arrival, the end of a
bot session, the end of a handle, a patience expiry, a department's answer, an
agent coming on or going off duty), each as a light event with one callback,
and ``Environment.run`` steps through them. Arrivals, known in advance, are
handled in a batch until another fact is due (see ``_arrivals``). Routing is
plain function calls over heaps and deques, never a scan over all agents, so
the cost per event does not grow with the size of the center. How this was
made fast, and measured, is in ``benchmarks/README.md``.

Routing rules
-------------
* Waiting customers are served by priority (urgent first), then VIP, then the
  time they joined the queue. Across the channels an agent is skilled for, the
  best such key wins; waiting customers (voice, chat) come before deferrable
  work (async messages and closing escalated cases), which is worked by
  deadline.
* A new contact goes to the longest-idle agent of the first pool, in order of
  preference, that can take it: VIPs prefer senior pools, others prefer
  non-senior pools; pools with ``takes_vip: false`` never take VIPs. A chat
  goes first to an agent already chatting with a free slot (keeping agents
  whole for calls), then to an idle one.
* An agent who goes off duty (shift end, break) finishes what is in hand and
  takes nothing new; the time past the end is recorded as overtime.
* A customer who waits longer than their patience leaves; with the channel's
  retry share they try again later as a new attempt of the same customer
  (straight to the human queue: the bot already failed them).
* An escalated contact is handed to its department when the agent finishes;
  when the department answers, closing the case (calling the customer back)
  becomes deferrable work for the front line of that channel.

The engine knows nothing about YAML, pandas or plotting; it returns raw facts.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from heapq import heappush
from typing import Any, cast

import numpy as np
import simpy
from simpy.core import NORMAL

from shiftsim.model.durations import DAY
from shiftsim.sim.arrivals import Contacts
from shiftsim.sim.records import ContactLog, Outcome
from shiftsim.sim.roster import Roster

__all__ = ["FULL", "ChannelRules", "DepartmentRules", "EngineResult", "PoolRules", "simulate"]

FULL = 2520
"""Capacity units of one agent: divisible by every chat concurrency 1..10."""

# Engine-internal states of a contact attempt.
_IN_BOT, _WAITING, _SERVING, _ESCALATED, _CLOSABLE, _CLOSING, _DONE = range(7)

Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class ChannelRules:
    """What the engine needs to know about a channel."""

    sync: bool  # a customer waits (voice, chat) rather than a message (async)
    weight: int  # capacity units one contact takes (FULL, or FULL // concurrency)
    retry_share: float = 0.0
    max_attempts: int = 1
    retry_delay: Sampler | None = None
    patience: Sampler | None = None  # for retry attempts
    resolution_due: tuple[float, float, float] = (math.inf, math.inf, math.inf)
    escalates: bool = False  # some contacts need a department (closing work follows)


@dataclass(frozen=True)
class PoolRules:
    """Skills of a pool of agents."""

    channels: tuple[int, ...]
    takes_vip: bool = True
    senior: bool = False


@dataclass(frozen=True)
class DepartmentRules:
    """When a department works its normal hours (``None``: always)."""

    hours: tuple[float, float] | None = None


@dataclass
class EngineResult:
    """Raw output of one replication."""

    log: ContactLog
    duty_leave: np.ndarray  # when the agent actually left each duty interval (>= its end)


def simulate(
    contacts: Contacts,
    channels: list[ChannelRules],
    pools: list[PoolRules],
    departments: list[DepartmentRules],
    roster: Roster,
    end: float,
    rng: np.random.Generator,
) -> EngineResult:
    """Simulate one replication until ``end`` (seconds) and return its raw facts.

    ``rng`` is used only for draws that depend on what happens during the run
    (retry decisions and delays, patience of retry attempts); everything a
    customer brings is already in ``contacts``.
    """
    return _Engine(contacts, channels, pools, departments, roster, end, rng).run()


class _Fact:
    """A future fact on SimPy's event queue: exactly what ``Environment.step``
    reads (``callbacks``, ``_ok``, ``_value``) and nothing more.

    Made without ``__init__`` (``_new(_Fact)`` and two stores) and pushed on
    the queue in ``Environment.schedule``'s own layout: at two events per
    contact, a ``Timeout`` and a ``schedule`` call would cost twice as much.
    """

    __slots__ = ("callbacks", "_value")
    callbacks: list[Callable[[_Fact], None]] | None
    _value: int
    _ok = True  # a fact never fails


_new = object.__new__
Callbacks = list[Callable[[_Fact], None]]
_CALLBACK_LISTS = (
    "on_arrivals", "on_bot_done", "on_handled", "on_patience_out",
    "on_retry", "on_dept_answer", "on_closed", "on_duty_change",
)  # fmt: skip


class _Pool:
    __slots__ = ("idle", "partial", "channels", "takes_vip", "senior")

    def __init__(self, rules: PoolRules):
        # Agents listed when they became free on duty, longest idle first. An
        # entry is good while its agent is on duty with no work; one that went
        # off duty (or was given work on coming back) is dropped when reached.
        # So a duty change never searches the list: O(1) per event, always. (An
        # agent back from a break before its entry was reached keeps its place.)
        self.idle: deque[int] = deque()
        self.partial: deque[int] = deque()  # agents chatting with a free slot (may be stale)
        self.channels = rules.channels
        self.takes_vip = rules.takes_vip
        self.senior = rules.senior


def _view(values: np.ndarray) -> memoryview[float]:
    """Fast scalar access to a float column, without a copy when it is float64 already."""
    return cast("memoryview[float]", np.ascontiguousarray(values, dtype=np.float64).data)


# Per-row columns: numpy arrays read and written through memoryviews (as fast
# as an ``array``, a third of a numpy scalar's cost), handed to the log without
# a copy. Outputs start as (dtype, fill); inputs are the customer's values
# (a retry row repeats them).
_OUTPUTS: dict[str, tuple[str, float]] = {
    "department": ("i1", -1), "bot_end": ("f8", math.nan), "queued": ("f8", math.nan),
    "answered": ("f8", math.nan), "handled": ("f8", math.nan), "abandoned": ("f8", math.nan),
    "dept_response": ("f8", math.nan), "closing_start": ("f8", math.nan),
    "resolved": ("f8", math.nan), "agent": ("i4", -1), "closing_agent": ("i4", -1),
}  # fmt: skip
_INPUTS = ("handle", "dept_delay", "dept_delay_off", "closing", "due")


class _Engine:
    """State of one run. Hot paths use Python lists and memoryviews over numpy
    columns: reading or writing a numpy scalar costs several times more."""

    # Memoryviews over the per-row columns in self.columns (see _OUTPUTS, _INPUTS).
    department: memoryview
    bot_end: memoryview[float]
    queued: memoryview[float]
    answered: memoryview[float]
    handled: memoryview[float]
    abandoned: memoryview[float]
    dept_response: memoryview[float]
    closing_start: memoryview[float]
    resolved: memoryview[float]
    agent: memoryview
    closing_agent: memoryview
    handle: memoryview[float]
    dept_delay: memoryview[float]
    dept_delay_off: memoryview[float]
    closing: memoryview[float]
    due: memoryview[float]

    def __init__(
        self,
        contacts: Contacts,
        channels: list[ChannelRules],
        pools: list[PoolRules],
        departments: list[DepartmentRules],
        roster: Roster,
        end: float,
        rng: np.random.Generator,
    ):
        self.env = simpy.Environment()
        self.contacts = contacts
        self.rules = channels
        self.dept_hours = [d.hours for d in departments]
        self.end = end
        self.rng = rng
        self.roster = roster
        n = len(contacts)
        self.n_first = n
        # Row i < n is customer i's first attempt; retries are appended after,
        # with their customer, attempt number and arrival kept aside.
        self.retry_origin: list[int] = []
        self.retry_attempt: list[int] = []
        self.retry_arrival: list[float] = []
        # What a first attempt brings: times as memoryviews over the arrivals'
        # own arrays (no copy; at most a read or two per contact, cheaper than
        # turning a million floats into a list); flags and small ints as lists
        # (cached objects, the fastest scalar access).
        c = contacts
        self.c_arrival = _view(c.arrival)
        self.c_bot: list[bool] = c.bot.tolist()
        self.c_contained: list[bool] = c.contained.tolist()
        self.c_patience = _view(c.patience)
        self.c_bot_session = _view(c.bot_session)
        self.needs: list[int] = c.department.tolist()  # department an answer needs, or -1
        self.channel: list[int] = c.channel.tolist()
        self.priority: list[int] = c.priority.tolist()
        self.vip: list[int] = c.vip.astype(np.int8).tolist()
        self.state: list[int] = [_IN_BOT] * n
        self.columns: dict[str, np.ndarray] = {
            name: np.full(n, fill, dtype) for name, (dtype, fill) in _OUTPUTS.items()
        }
        for name in _INPUTS:
            # The arrivals' own arrays, not copies: rows < n are only read, and
            # the first retry row moves every column to a larger copy (_grow).
            self.columns[name] = np.ascontiguousarray(getattr(c, name), dtype=np.float64)
        self._bind_columns()

        n_agents = roster.n_agents
        self.pools = [_Pool(p) for p in pools]
        self.agent_pool = roster.agent_pool.tolist()
        self.load = [0] * n_agents
        self.on_duty = [False] * n_agents
        self.in_partial = [False] * n_agents
        self.duty_of = [-1] * n_agents  # current (or last) duty interval of each agent
        self.duty_leave = roster.duty_end.copy()

        nch = len(channels)
        # Two heaps per channel (VIP, non-VIP) of waiting customers and of deferrable work.
        self.waiting: list[list[list[tuple]]] = [[[], []] for _ in range(nch)]
        self.backlog: list[list[list[tuple]]] = [[[], []] for _ in range(nch)]
        self.weight = [ch.weight for ch in channels]
        self.sync = [ch.sync for ch in channels]
        # Pools that can take a new contact of channel ch (non-VIP 0, VIP 1), best first.
        self.routes: list[list[list[_Pool]]] = []
        for ch in range(nch):
            per_vip = []
            for vip in (0, 1):
                cands = [p for p in self.pools if ch in p.channels and (p.takes_vip or not vip)]
                # Stable sort: VIPs go to senior pools first, others to non-senior ones.
                prefer_senior = bool(vip)
                cands.sort(key=lambda pool: pool.senior != prefer_senior)
                per_vip.append(cands)
            self.routes.append(per_vip)
        # Heaps an agent of each pool looks at: (heap, weight) pairs. Heap 0 of a
        # channel holds VIPs; pools that take no VIPs only see heap 1.
        # Pools that see each queue, and per pool the number of queued items it
        # can see: a freed agent whose pool sees nothing is parked at once.
        self.waiting_viewers: list[list[list[int]]] = [[[], []] for _ in range(nch)]
        self.backlog_viewers: list[list[list[int]]] = [[[], []] for _ in range(nch)]
        self.pool_work = [0] * len(pools)
        self.pool_waiting = []
        self.pool_backlog = []
        # Channels without VIPs never fill their VIP queues: agents need not look there.
        has_vip = np.bincount(contacts.channel[contacts.vip], minlength=nch) > 0
        for pi, p in enumerate(self.pools):

            def heaps(ch: int, p: _Pool = p) -> tuple[int, ...]:
                return (0, 1) if p.takes_vip and has_vip[ch] else (1,)

            waiting, backlog = [], []
            for ch in p.channels:
                for h in heaps(ch):
                    if channels[ch].sync:
                        waiting.append(
                            (self.waiting[ch][h], self.weight[ch], self.waiting_viewers[ch][h])
                        )
                        self.waiting_viewers[ch][h].append(pi)
                    if not channels[ch].sync or channels[ch].escalates:
                        backlog.append(
                            (self.backlog[ch][h], self.weight[ch], self.backlog_viewers[ch][h])
                        )
                        self.backlog_viewers[ch][h].append(pi)
            self.pool_waiting.append(waiting)
            self.pool_backlog.append(backlog)
        self.seq = 0
        self.agent_idle = [self.pools[p].idle for p in self.agent_pool]
        # The hottest path: a first attempt that goes straight to a human and
        # takes a whole agent looks only at the idle agents of its first pool.
        fast = [
            self.routes[ch][vip][0].idle if self.weight[ch] == FULL and self.routes[ch][vip] else ()
            for ch in range(nch)
            for vip in (0, 1)
        ]
        lanes = np.empty(len(fast), dtype=object)
        lanes[:] = fast
        self.first_idle: list[deque[int] | tuple[()]] = lanes[
            c.channel.astype(np.intp) * 2 + c.vip
        ].tolist()
        # SimPy's event queue, read and pushed directly in Environment.schedule's
        # layout (time, priority, event id, event); Environment.step pops it.
        self.queue: list[tuple[float, int, int, Any]] = self.env._queue  # type: ignore[assignment]
        self.eid = self.env._eid
        # Callback lists built once and shared by every fact of a kind (SimPy
        # only iterates them).
        self.on_arrivals: Callbacks = [self._arrivals]
        self.on_bot_done: Callbacks = [self._bot_done]
        self.on_handled: Callbacks = [self._handled]
        self.on_patience_out: Callbacks = [self._patience_out]
        self.on_retry: Callbacks = [self._retry]
        self.on_dept_answer: Callbacks = [self._dept_answer]
        self.on_closed: Callbacks = [self._closed]
        self.on_duty_change: Callbacks = [self._duty]

    # -- scheduling helpers --------------------------------------------------
    def _at(self, at: float, callbacks: Callbacks, value: int) -> None:
        """Schedule a fact at absolute time ``at`` (exactly ``Environment.schedule``)."""
        fact = _new(_Fact)
        fact.callbacks = callbacks
        fact._value = value
        heappush(self.queue, (at, NORMAL, next(self.eid), fact))

    def run(self) -> EngineResult:
        if self.n_first:
            self._at(self.c_arrival[0], self.on_arrivals, 0)
        r = self.roster
        if len(r.duty_agent):
            self._duty_changes = _duty_changes(r)
            self._at(self._duty_changes[0][0], self.on_duty_change, 0)
        self.env.run(until=self.end)
        # Agents still busy off duty at the end are counted as leaving at the end.
        for a, d in enumerate(self.duty_of):
            if d >= 0 and self.load[a] > 0 and not self.on_duty[a]:
                self.duty_leave[d] = self.end
        result = EngineResult(log=self._log(), duty_leave=self.duty_leave)
        # Break the reference cycles (bound methods kept on self; pending events
        # holding callbacks into self) so that a replication's memory is freed
        # at once, not at the next full garbage collection.
        # SimPy's Environment is itself cyclic (its bound event classes), so the
        # facts still queued past `end` must be dropped explicitly.
        for name in _CALLBACK_LISTS:
            delattr(self, name)
        del self.queue, self.eid
        self.env._queue.clear()
        self.env = None  # type: ignore[assignment]
        return result

    def _log(self) -> ContactLog:
        n, c, total = self.n_first, self.contacts, len(self.state)

        def col(name: str) -> np.ndarray:
            """A per-row column without its spare room (no copy when it has none)."""
            values = self.columns[name]
            return values if len(values) == total else values[:total].copy()

        def rows(first: np.ndarray, retries: list, dtype: str) -> np.ndarray:
            """First attempts from the arrivals, then the retry rows."""
            return np.concatenate([first.astype(dtype), np.asarray(retries, dtype=dtype)])

        answered, handled, resolved = col("answered"), col("handled"), col("resolved")
        department = col("department")
        simple = (department < 0) & ~np.isnan(handled)
        resolved[simple] = handled[simple]
        bot_end, abandoned, queued = col("bot_end"), col("abandoned"), col("queued")
        # Each attempt ends exactly one way; derived once here, not on the hot path.
        outcome = np.full(total, Outcome.OPEN, dtype=np.int8)
        outcome[~np.isnan(bot_end) & np.isnan(queued) & ~np.isnan(resolved)] = Outcome.DEFLECTED
        outcome[~np.isnan(answered)] = Outcome.ANSWERED
        outcome[~np.isnan(abandoned)] = Outcome.ABANDONED
        return ContactLog(
            customer=rows(np.arange(n), self.retry_origin, "i4"),
            attempt=rows(np.ones(n), self.retry_attempt, "i1"),
            channel=rows(c.channel, self.channel[n:], "i1"),
            priority=rows(c.priority, self.priority[n:], "i1"),
            vip=rows(c.vip, self.vip[n:], "?"),
            outcome=outcome,
            department=department,
            arrival=rows(c.arrival, self.retry_arrival, "f8"),
            bot_end=bot_end,
            queued=queued,
            answered=answered,
            handled=handled,
            abandoned=abandoned,
            dept_response=col("dept_response"),
            closing_start=col("closing_start"),
            resolved=resolved,
            agent=col("agent"),
            closing_agent=col("closing_agent"),
        )

    # -- arrivals ------------------------------------------------------------
    def _arrivals(self, ev: _Fact) -> None:
        """Arrivals from ``ev._value`` on, in time order, until another fact comes first.

        Arrivals are known in advance, so one fact stands for the next arrival:
        an arrival that comes before every fact on SimPy's queue is handled at
        once (the clock moved to it) instead of being scheduled and popped. At
        equal times the queued fact goes first, as it would have: the order of
        events is exactly that of one fact per arrival.
        """
        k: int = ev._value
        env = self.env
        queue = self.queue
        now = env._now
        arrival = self.c_arrival
        n = self.n_first
        bot = self.c_bot
        first_idle, on_duty = self.first_idle, self.on_duty
        queued, answered, agent, load = self.queued, self.answered, self.agent, self.load
        handle, on_handled, eid = self.handle, self.on_handled, self.eid
        while True:
            if bot[k]:
                bot_end = now + self.c_bot_session[k]
                self.bot_end[k] = bot_end
                if self.c_contained[k]:
                    self.resolved[k] = bot_end
                    self.state[k] = _DONE
                else:
                    self._at(bot_end, self.on_bot_done, k)
            else:
                idle = first_idle[k]
                if idle and on_duty[a := idle[0]] and not load[a]:
                    # _enqueue's first case inlined: the first pool has an idle agent.
                    idle.popleft()
                    queued[k] = answered[k] = now
                    agent[k] = a
                    load[a] = FULL
                    fact = _new(_Fact)
                    fact.callbacks = on_handled
                    fact._value = k
                    heappush(queue, (now + handle[k], NORMAL, next(eid), fact))
                else:
                    self._enqueue(k, self.c_patience[k])
            k += 1
            if k == n:
                return
            t = arrival[k]
            # A fact already queued for time t goes first, as it would before a
            # fact scheduled now for this arrival (even at the same instant: a
            # zero-length handle, say). SimPy's queue always holds the run's
            # `until` event, so it is never empty.
            if queue[0][0] <= t:
                break
            env._now = now = t
        fact = _new(_Fact)
        fact.callbacks = self.on_arrivals
        fact._value = k
        heappush(queue, (t, NORMAL, next(self.eid), fact))

    def _bot_done(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self._enqueue(i, self.c_patience[i])

    def _origin(self, i: int) -> int:
        """The customer of row ``i``."""
        return i if i < self.n_first else self.retry_origin[i - self.n_first]

    def _attempt(self, i: int) -> int:
        return 1 if i < self.n_first else self.retry_attempt[i - self.n_first]

    def _bind_columns(self) -> None:
        for name, values in self.columns.items():
            setattr(self, name, values.data)

    def _grow(self) -> None:
        """Room for more retry rows (by a quarter: appends stay amortised O(1))."""
        rows = len(self.state)
        more = max(1024, rows // 4)
        for name, values in self.columns.items():
            fill = _OUTPUTS[name][1] if name in _OUTPUTS else math.nan
            self.columns[name] = np.concatenate([values, np.full(more, fill, values.dtype)])
        self._bind_columns()

    def _retry(self, ev: _Fact) -> None:
        prev: int = ev._value  # type: ignore[attr-defined]
        i = len(self.state)
        if i == len(self.columns["queued"]):
            self._grow()
        self.retry_origin.append(self._origin(prev))
        self.retry_attempt.append(self._attempt(prev) + 1)
        self.retry_arrival.append(self.env._now)
        for row_list in (self.channel, self.priority, self.vip, self.needs):
            row_list.append(row_list[prev])
        self.state.append(_IN_BOT)
        for name in _INPUTS:
            view = getattr(self, name)
            view[i] = view[prev]
        sampler = self.rules[self.channel[i]].patience
        patience = float(sampler(self.rng, 1)[0]) if sampler is not None else math.inf
        self._enqueue(i, patience)

    def _enqueue(self, i: int, patience: float) -> None:
        """Contact ``i`` needs a human: give it to an agent now or queue it."""
        now = self.env._now
        self.queued[i] = now
        ch = self.channel[i]
        vip = self.vip[i]
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            if w == FULL:  # _take_agent inlined for whole-agent work
                idle, on_duty, load = pool.idle, self.on_duty, self.load
                while idle:
                    a = idle.popleft()
                    if on_duty[a] and not load[a]:
                        break
                else:
                    a = -1
            else:
                a = self._take_agent(pool, w)
            if a >= 0:
                # Inlined _start. The contact was never queued, so no stale queue
                # entry or timer can look at its state before _handled sets it.
                self.answered[i] = now
                self.agent[i] = a
                self.load[a] += w
                fact = _new(_Fact)
                fact.callbacks = self.on_handled
                fact._value = i
                heappush(self.queue, (now + self.handle[i], NORMAL, next(self.eid), fact))
                if w < FULL:
                    self._assigned(pool, a)
                return
        self.state[i] = _WAITING
        work = self.pool_work
        if self.sync[ch]:
            heapq.heappush(self.waiting[ch][1 - vip], (self.priority[i], 1 - vip, now, i))
            for p in self.waiting_viewers[ch][1 - vip]:
                work[p] += 1
            if patience < math.inf:
                self._at(now + patience, self.on_patience_out, i)
        else:
            self.seq += 1
            due = self.due[i]
            heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))
            for p in self.backlog_viewers[ch][1 - vip]:
                work[p] += 1

    def _patience_out(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        if self.state[i] != _WAITING:
            return
        now = self.env._now
        self.state[i] = _DONE
        self.abandoned[i] = now
        work = self.pool_work
        for p in self.waiting_viewers[self.channel[i]][1 - self.vip[i]]:
            work[p] -= 1  # its queue entry is now stale
        rules = self.rules[self.channel[i]]
        if (
            rules.retry_share > 0
            and self._attempt(i) < rules.max_attempts
            and rules.retry_delay is not None
            and self.rng.random() < rules.retry_share
        ):
            delay = float(rules.retry_delay(self.rng, 1)[0])
            if now + delay < self.end:
                self._at(now + delay, self.on_retry, i)

    # -- agents --------------------------------------------------------------
    def _take_agent(self, pool: _Pool, w: int) -> int:
        """An agent of ``pool`` with ``w`` free units, or -1. Skips stale entries."""
        load, on_duty = self.load, self.on_duty
        if w < FULL:
            partial, in_partial = pool.partial, self.in_partial
            skipped: list[int] = []
            found = -1
            while partial:
                a = partial.popleft()
                in_partial[a] = False
                if on_duty[a] and 0 < load[a] < FULL:
                    if load[a] <= FULL - w:
                        found = a
                        break
                    skipped.append(a)  # has a slot, but not for a chat this big
            for a in reversed(skipped):
                partial.appendleft(a)
                in_partial[a] = True
            if found >= 0:
                return found
        return self._pop_idle(pool.idle)

    def _pop_idle(self, idle: deque[int]) -> int:
        """The longest idle agent in ``idle`` (dropping entries gone stale), or -1."""
        on_duty, load = self.on_duty, self.load
        while idle:
            a = idle.popleft()
            if on_duty[a] and not load[a]:
                return a
        return -1

    def _assigned(self, pool: _Pool, a: int) -> None:
        """After a chat assignment: an agent with free slots goes first in line for chats."""
        if 0 < self.load[a] < FULL and not self.in_partial[a]:
            pool.partial.appendleft(a)
            self.in_partial[a] = True

    def _handled(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        now = self.env._now
        self.handled[i] = now
        a = self.agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        dept = self.needs[i]
        # Not escalated: resolved when handled (filled in by _log; nothing reads it here).
        if dept >= 0:
            self.state[i] = _ESCALATED
            self.department[i] = dept
            inside = _inside(now % DAY, self.dept_hours[dept])
            delay = self.dept_delay[i] if inside else self.dept_delay_off[i]
            self._at(now + delay, self.on_dept_answer, i)
        # _agent_free inlined for the common case: on duty, now idle, nothing queued.
        if self.load[a] or self.pool_work[self.agent_pool[a]] or not self.on_duty[a]:
            self._agent_free(a)
        else:
            self.agent_idle[a].append(a)

    def _dept_answer(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self.dept_response[i] = self.env._now
        self.state[i] = _CLOSABLE
        ch = self.channel[i]
        vip = self.vip[i]
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            a = self._take_agent(pool, w)
            if a >= 0:
                self._start_closing(i, a, w)
                if w < FULL:
                    self._assigned(pool, a)
                return
        # The customer's resolution clock started at the first attempt.
        due = self.c_arrival[self._origin(i)] + self.rules[ch].resolution_due[self.priority[i]]
        self.seq += 1
        heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))
        for p in self.backlog_viewers[ch][1 - vip]:
            self.pool_work[p] += 1

    def _start_closing(self, i: int, a: int, w: int) -> None:
        self.state[i] = _CLOSING
        self.closing_start[i] = self.env._now
        self.closing_agent[i] = a
        self.load[a] += w
        self._at(self.env._now + self.closing[i], self.on_closed, i)

    def _closed(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self.resolved[i] = self.env._now
        self.state[i] = _DONE
        a = self.closing_agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        self._agent_free(a)

    def _agent_free(self, a: int) -> None:
        """Agent ``a`` has capacity again: give it queued work while it has room
        and there is any it can see, then park it (idle, or with free chat slots)."""
        load = self.load
        now = self.env._now
        if not self.on_duty[a]:
            if load[a] == 0:
                self.duty_leave[self.duty_of[a]] = now
            return
        p = self.agent_pool[a]
        state = self.state
        work = self.pool_work
        heappop = heapq.heappop
        while work[p] and load[a] < FULL:
            free = FULL - load[a]
            best = None
            best_heap: list[tuple] = []
            viewers: list[int] = []
            for heap, w, seen_by in self.pool_waiting[p]:
                if w > free:
                    continue
                while heap and state[heap[0][3]] != _WAITING:
                    heappop(heap)
                if heap and (best is None or heap[0] < best):
                    best, best_heap, viewers = heap[0], heap, seen_by
            if best is None:
                for heap, w, seen_by in self.pool_backlog[p]:
                    if w > free:
                        continue
                    while heap and state[heap[0][3]] not in (_WAITING, _CLOSABLE):
                        heappop(heap)
                    if heap and (best is None or heap[0] < best):
                        best, best_heap, viewers = heap[0], heap, seen_by
            if best is None:
                break
            heappop(best_heap)
            for q in viewers:
                work[q] -= 1
            i = best[3]
            w = self.weight[self.channel[i]]
            if state[i] == _CLOSABLE:
                self._start_closing(i, a, w)
            else:
                # First response: agent a takes customer i.
                state[i] = _SERVING
                self.answered[i] = now
                self.agent[i] = a
                load[a] += w
                self._at(now + self.handle[i], self.on_handled, i)
        pool = self.pools[p]
        if load[a] == 0:
            pool.idle.append(a)
        elif load[a] < FULL and not self.in_partial[a]:
            pool.partial.append(a)
            self.in_partial[a] = True

    # -- duty ----------------------------------------------------------------
    def _duty(self, ev: _Fact) -> None:
        k: int = ev._value  # type: ignore[attr-defined]
        changes = self._duty_changes
        now = self.env._now
        n = len(changes)
        while k < n and changes[k][0] <= now:
            _, going_on, a, d = changes[k]
            if going_on:
                prev = self.duty_of[a]
                if prev >= 0 and self.load[a] > 0 and not self.on_duty[a]:
                    self.duty_leave[prev] = now  # worked on through to this interval
                self.on_duty[a] = True
                self.duty_of[a] = d
                self._agent_free(a)
            else:
                if self.load[a] == 0:
                    self.duty_leave[d] = now
                self.on_duty[a] = False  # an idle list entry of theirs is now stale
            k += 1
        if k < n:
            self._at(changes[k][0], self.on_duty_change, k)


def _inside(clock: float, hours: tuple[float, float] | None) -> bool:
    """Whether a time of day lies in ``[open, close)``, which may span midnight."""
    if hours is None:
        return True
    start, end = hours[0] % DAY, hours[1] % DAY
    if start == end:
        return True
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def _duty_changes(roster: Roster) -> list[tuple[float, bool, int, int]]:
    """Sorted (time, going_on, agent, interval) facts; at equal times, offs first.

    An agent's duty intervals may touch but not overlap (``build_roster`` never
    makes them overlap; a hand-built roster that does is refused).
    """
    order = np.lexsort((roster.duty_start, roster.duty_agent))
    agent, start, end = (x[order] for x in (roster.duty_agent, roster.duty_start, roster.duty_end))
    overlap = (agent[1:] == agent[:-1]) & (start[1:] < end[:-1])
    if overlap.any():
        j = int(np.flatnonzero(overlap)[0])
        raise ValueError(
            f"roster: duty intervals of agent {int(agent[j])} overlap "
            f"([{start[j]}, {end[j]}) and [{start[j + 1]}, {end[j + 1]}))"
        )
    out = []
    for d, (a, s, e) in enumerate(
        zip(
            roster.duty_agent.tolist(),
            roster.duty_start.tolist(),
            roster.duty_end.tolist(),
            strict=True,
        )
    ):
        out.append((s, True, a, d))
        out.append((e, False, a, d))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    return out
