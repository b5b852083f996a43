"""One replication of the center, simulated contact by contact with SimPy.

SimPy is the clock: only future facts are scheduled (an arrival, the end of a
bot session, the end of a handle, a patience expiry, a department's answer, an
agent coming on or going off duty), each as a ``Timeout`` with a callback.
Routing is plain function calls over heaps and deques, never a scan over all
agents, so the cost per event does not grow with the size of the center.

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
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.core import NORMAL

from .arrivals import Contacts
from .durations import DAY
from .records import ContactLog, Outcome
from .roster import Roster

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

    Scheduled with the public ``Environment.schedule``; a third cheaper to
    create than a ``Timeout``, which matters at two events per contact.
    """

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, callback: Callable[[_Fact], None], value: int):
        self.callbacks = [callback]
        self._ok = True
        self._value = value


class _Pool:
    __slots__ = ("idle", "partial", "channels", "takes_vip", "senior")

    def __init__(self, rules: PoolRules):
        self.idle: deque[int] = deque()  # agents with no work (entries may be stale)
        self.partial: deque[int] = deque()  # agents chatting with a free slot (may be stale)
        self.channels = rules.channels
        self.takes_vip = rules.takes_vip
        self.senior = rules.senior


def _column(code: str, fill: float, n: int) -> array:
    return array(code, [fill]) * n


class _Engine:
    """State of one run. Hot paths use Python lists and ``array`` columns:
    reading or writing a numpy scalar costs several times more."""

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
        # Customer attributes as lists (fast scalar access).
        c = contacts
        self.c_arrival: list[float] = c.arrival.tolist()
        self.c_bot: list[bool] = c.bot.tolist()
        # Rarely read attributes stay packed (8 bytes each, not a 32-byte float object).
        self.c_bot_session = array("d", c.bot_session.astype(float).tobytes())
        self.c_contained: list[bool] = c.contained.tolist()
        self.c_patience: list[float] = c.patience.tolist()
        self.c_handle: list[float] = c.handle.tolist()
        self.c_department: list[int] = c.department.tolist()
        self.c_dept_delay = array("d", c.dept_delay.astype(float).tobytes())
        self.c_dept_delay_off = array("d", c.dept_delay_off.astype(float).tobytes())
        self.c_closing = array("d", c.closing.astype(float).tobytes())
        self.c_due = array("d", c.due.astype(float).tobytes())
        # Row i < n is customer i's first attempt; retries are appended after.
        self.channel: list[int] = c.channel.tolist()
        self.priority: list[int] = c.priority.tolist()
        self.vip: list[int] = c.vip.astype(np.int8).tolist()
        self.origin: list[int] = list(range(n))
        self.attempt: list[int] = [1] * n
        self.arrival: list[float] = list(self.c_arrival)
        self.state: list[int] = [_IN_BOT] * n
        nan = math.nan
        self.department = _column("b", -1, n)
        self.bot_end = _column("d", nan, n)
        self.queued = _column("d", nan, n)
        self.answered = _column("d", nan, n)
        self.handled = _column("d", nan, n)
        self.abandoned = _column("d", nan, n)
        self.dept_response = _column("d", nan, n)
        self.closing_start = _column("d", nan, n)
        self.resolved = _column("d", nan, n)
        self.agent = _column("i", -1, n)
        self.closing_agent = _column("i", -1, n)

        n_agents = roster.n_agents
        self.pools = [_Pool(p) for p in pools]
        self.agent_pool = roster.agent_pool.tolist()
        self.load = [0] * n_agents
        self.on_duty = [False] * n_agents
        self.in_idle = [False] * n_agents
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
        # Bound once: looking a method up on every event costs a new bound-method object.
        self.on_handled = self._handled
        self.on_arrivals = self._arrivals
        self.schedule: Callable[[Any, int, float], None] = self.env.schedule  # type: ignore[assignment]

    # -- scheduling helpers --------------------------------------------------
    def _at(self, delay: float, callback: Callable[[_Fact], None], value: int) -> None:
        self.schedule(_Fact(callback, value), NORMAL, delay)

    def run(self) -> EngineResult:
        if self.n_first:
            self._at(self.c_arrival[0], self._arrivals, 0)
        r = self.roster
        if len(r.duty_agent):
            self._duty_changes = _duty_changes(r)
            self._at(self._duty_changes[0][0], self._duty, 0)
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
        del self.on_handled, self.on_arrivals, self.schedule
        self.env._queue.clear()
        self.env = None  # type: ignore[assignment]
        return result

    def _log(self) -> ContactLog:
        def col(values: array | list, dtype: str) -> np.ndarray:
            if isinstance(values, array):
                return np.frombuffer(values, dtype=values.typecode).astype(dtype)
            return np.asarray(values, dtype=dtype)

        answered = col(self.answered, "f8")
        handled = col(self.handled, "f8")
        resolved = col(self.resolved, "f8")
        department = col(self.department, "i1")
        simple = (department < 0) & ~np.isnan(handled)
        resolved[simple] = handled[simple]
        bot_end = col(self.bot_end, "f8")
        abandoned = col(self.abandoned, "f8")
        queued = col(self.queued, "f8")
        # Each attempt ends exactly one way; derived once here, not on the hot path.
        outcome = np.full(len(answered), Outcome.OPEN, dtype=np.int8)
        outcome[~np.isnan(bot_end) & np.isnan(queued) & ~np.isnan(resolved)] = Outcome.DEFLECTED
        outcome[~np.isnan(answered)] = Outcome.ANSWERED
        outcome[~np.isnan(abandoned)] = Outcome.ABANDONED
        return ContactLog(
            customer=col(self.origin, "i4"),
            attempt=col(self.attempt, "i1"),
            channel=col(self.channel, "i1"),
            priority=col(self.priority, "i1"),
            vip=col(self.vip, "?"),
            outcome=outcome,
            department=department,
            arrival=col(self.arrival, "f8"),
            bot_end=bot_end,
            queued=queued,
            answered=answered,
            handled=handled,
            abandoned=abandoned,
            dept_response=col(self.dept_response, "f8"),
            closing_start=col(self.closing_start, "f8"),
            resolved=resolved,
            agent=col(self.agent, "i4"),
            closing_agent=col(self.closing_agent, "i4"),
        )

    # -- arrivals ------------------------------------------------------------
    def _arrivals(self, ev: _Fact) -> None:
        k: int = ev._value  # type: ignore[attr-defined]
        env = self.env
        now = env._now
        arrival = self.c_arrival
        n = self.n_first
        bot = self.c_bot
        # Handle every arrival at this instant, then schedule the next one.
        while k < n and arrival[k] <= now:
            if bot[k]:
                bot_end = now + self.c_bot_session[k]
                self.bot_end[k] = bot_end
                if self.c_contained[k]:
                    self.resolved[k] = bot_end
                    self.state[k] = _DONE
                else:
                    self._at(bot_end - now, self._bot_done, k)
            else:
                self._enqueue(k, self.c_patience[k])
            k += 1
        if k < n:
            self.schedule(_Fact(self.on_arrivals, k), NORMAL, arrival[k] - now)

    def _bot_done(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self._enqueue(i, self.c_patience[i])

    def _retry(self, ev: _Fact) -> None:
        prev: int = ev._value  # type: ignore[attr-defined]
        i = len(self.state)
        for column, value in (
            (self.channel, self.channel[prev]), (self.priority, self.priority[prev]),
            (self.vip, self.vip[prev]), (self.origin, self.origin[prev]),
            (self.attempt, self.attempt[prev] + 1), (self.arrival, self.env._now),
            (self.state, _IN_BOT), (self.department, -1),
            (self.agent, -1), (self.closing_agent, -1),
        ):  # fmt: skip
            column.append(value)  # type: ignore[attr-defined, arg-type]
        for column in (
            self.bot_end, self.queued, self.answered, self.handled, self.abandoned,
            self.dept_response, self.closing_start, self.resolved,
        ):  # fmt: skip
            column.append(math.nan)
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
            if w == FULL:
                # Inlined _take_agent for whole-agent work: the hottest path.
                idle = pool.idle
                a = -1
                while idle:
                    a = idle.popleft()
                    self.in_idle[a] = False
                    if self.on_duty[a] and not self.load[a]:
                        break
                    a = -1
            else:
                a = self._take_agent(pool, w)
            if a >= 0:
                # Inlined _start. The contact was never queued, so no stale queue
                # entry or timer can look at its state before _handled sets it.
                self.answered[i] = now
                self.agent[i] = a
                self.load[a] += w
                self.schedule(_Fact(self.on_handled, i), NORMAL, self.c_handle[self.origin[i]])
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
                self._at(patience, self._patience_out, i)
        else:
            self.seq += 1
            due = self.c_due[self.origin[i]]
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
            and self.attempt[i] < rules.max_attempts
            and rules.retry_delay is not None
            and self.rng.random() < rules.retry_share
        ):
            delay = float(rules.retry_delay(self.rng, 1)[0])
            if now + delay < self.end:
                self._at(delay, self._retry, i)

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
        idle = pool.idle
        while idle:
            a = idle.popleft()
            self.in_idle[a] = False
            if on_duty[a] and not load[a]:
                return a
        return -1

    def _assigned(self, pool: _Pool, a: int) -> None:
        """After a chat assignment: an agent with free slots goes first in line for chats."""
        if 0 < self.load[a] < FULL and not self.in_partial[a]:
            pool.partial.appendleft(a)
            self.in_partial[a] = True

    def _start(self, i: int, a: int, w: int) -> None:
        """Agent ``a`` starts handling contact ``i`` (first response)."""
        self.state[i] = _SERVING
        self.answered[i] = self.env._now
        self.agent[i] = a
        self.load[a] += w
        self.schedule(_Fact(self.on_handled, i), NORMAL, self.c_handle[self.origin[i]])

    def _handled(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        now = self.env._now
        self.handled[i] = now
        a = self.agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        o = self.origin[i]
        dept = self.c_department[o]
        # Not escalated: resolved when handled (filled in by _log; nothing reads it here).
        if dept >= 0:
            self.state[i] = _ESCALATED
            self.department[i] = dept
            inside = _inside(now % DAY, self.dept_hours[dept])
            delay = self.c_dept_delay[o] if inside else self.c_dept_delay_off[o]
            self._at(delay, self._dept_answer, i)
        # Inlined _agent_free for the common case: on duty, now idle, nothing queued.
        p = self.agent_pool[a]
        if self.on_duty[a] and not self.pool_work[p] and not self.load[a]:
            if not self.in_idle[a]:
                self.pools[p].idle.append(a)
                self.in_idle[a] = True
        else:
            self._agent_free(a)

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
        due = self.c_arrival[self.origin[i]] + self.rules[ch].resolution_due[self.priority[i]]
        self.seq += 1
        heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))
        for p in self.backlog_viewers[ch][1 - vip]:
            self.pool_work[p] += 1

    def _start_closing(self, i: int, a: int, w: int) -> None:
        self.state[i] = _CLOSING
        self.closing_start[i] = self.env._now
        self.closing_agent[i] = a
        self.load[a] += w
        self._at(self.c_closing[self.origin[i]], self._closed, i)

    def _closed(self, ev: _Fact) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self.resolved[i] = self.env._now
        self.state[i] = _DONE
        a = self.closing_agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        self._agent_free(a)

    def _agent_free(self, a: int) -> None:
        """Agent ``a`` has capacity again: give it work, or park it."""
        load = self.load
        if not self.on_duty[a]:
            if load[a] == 0:
                self.duty_leave[self.duty_of[a]] = self.env._now
            return
        p = self.agent_pool[a]
        if self.pool_work[p]:
            self._find_work(a, p)
        pool = self.pools[p]
        if load[a] == 0:
            if not self.in_idle[a]:
                pool.idle.append(a)
                self.in_idle[a] = True
        elif load[a] < FULL and not self.in_partial[a]:
            pool.partial.append(a)
            self.in_partial[a] = True

    def _find_work(self, a: int, p: int) -> None:
        """Give agent ``a`` (pool ``p``) queued work while it has room and there is any."""
        load = self.load
        state = self.state
        work = self.pool_work
        heappop = heapq.heappop
        while work[p]:
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
                return
            heappop(best_heap)
            for q in viewers:
                work[q] -= 1
            i = best[3]
            if state[i] == _CLOSABLE:
                self._start_closing(i, a, self.weight[self.channel[i]])
            else:
                self._start(i, a, self.weight[self.channel[i]])

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
                self.on_duty[a] = False
                if self.load[a] == 0:
                    self.duty_leave[d] = now
            k += 1
        if k < n:
            self._at(changes[k][0] - now, self._duty, k)


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
    """Sorted (time, going_on, agent, interval) facts; at equal times, offs first."""
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
