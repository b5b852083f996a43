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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import Timeout

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


class _Pool:
    __slots__ = ("idle", "partial", "channels", "takes_vip", "senior")

    def __init__(self, rules: PoolRules):
        self.idle: deque[int] = deque()  # agents with no work (maybe stale)
        self.partial: deque[int] = deque()  # agents chatting with a free slot (maybe stale)
        self.channels = rules.channels
        self.takes_vip = rules.takes_vip
        self.senior = rules.senior


class _Engine:
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
        self.c = contacts
        self.rules = channels
        self.dept_hours = [d.hours for d in departments]
        self.end = end
        self.rng = rng
        self.roster = roster
        n = len(contacts)
        self.n_first = n
        self.log = ContactLog.empty(max(16, int(n * 1.2) + 64))
        self.n = 0  # rows used in the log
        # Per-attempt engine state (Python lists: cheaper than numpy scalars here).
        self.state: list[int] = []
        self.origin: list[int] = []  # index into contacts of the customer's first attempt

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
        # Pools that can take a new contact of channel ch (vip 0/1), best first.
        self.routes: list[list[list[_Pool]]] = []
        for ch in range(nch):
            per_vip = []
            for vip in (0, 1):
                cands = [p for p in self.pools if ch in p.channels and (p.takes_vip or not vip)]
                cands.sort(key=lambda p, vip=vip: (p.senior != bool(vip)))
                per_vip.append(cands)
            self.routes.append(per_vip)
        # Heaps an agent of each pool looks at: (heap, channel) pairs.
        self.pool_waiting = []
        self.pool_backlog = []
        for p in self.pools:
            vips = (0, 1) if p.takes_vip else (1,)
            # index 0 of each pair is the VIP heap; non-VIP takers only see index 1
            self.pool_waiting.append(
                [(self.waiting[ch][v], ch) for ch in p.channels if channels[ch].sync for v in vips]
            )
            self.pool_backlog.append([(self.backlog[ch][v], ch) for ch in p.channels for v in vips])
        self.seq = 0

    # -- scheduling helpers --------------------------------------------------
    def _at(self, delay: float, callback: Callable[[Timeout], None], value: int) -> None:
        ev = Timeout(self.env, delay, value)
        ev.callbacks.append(callback)  # type: ignore[union-attr]

    def run(self) -> EngineResult:
        c = self.c
        if len(c):
            self._at(float(c.arrival[0]), self._arrivals, 0)
        r = self.roster
        if len(r.duty_agent):
            self._duty_changes = _duty_changes(r)
            self._at(float(self._duty_changes[0][0]), self._duty, 0)
        self.env.run(until=self.end)
        # Agents still busy off duty at the end are counted as leaving at the end.
        for a, d in enumerate(self.duty_of):
            if d >= 0 and self.load[a] > 0 and not self.on_duty[a]:
                self.duty_leave[d] = self.end
        return EngineResult(log=self.log.truncate(self.n), duty_leave=self.duty_leave)

    # -- records -------------------------------------------------------------
    def _new_attempt(self, origin: int, attempt: int) -> int:
        i = self.n
        if i >= len(self.log):
            self.log.grow(2 * len(self.log))
        self.n = i + 1
        log, c = self.log, self.c
        log.customer[i] = origin
        log.attempt[i] = attempt
        log.channel[i] = c.channel[origin]
        log.priority[i] = c.priority[origin]
        log.vip[i] = c.vip[origin]
        log.arrival[i] = self.env.now
        self.state.append(_IN_BOT)
        self.origin.append(origin)
        return i

    # -- arrivals ------------------------------------------------------------
    def _arrivals(self, ev: Timeout) -> None:
        k: int = ev._value  # type: ignore[attr-defined]
        c = self.c
        now = self.env.now
        arrival = c.arrival
        n = len(arrival)
        # Handle every arrival at this instant, then schedule the next one.
        while k < n and arrival[k] <= now:
            i = self._new_attempt(k, 1)
            if c.bot[k]:
                bot_end = now + float(c.bot_session[k])
                self.log.bot_end[i] = bot_end
                if c.contained[k]:
                    self.log.outcome[i] = Outcome.DEFLECTED
                    self.log.resolved[i] = bot_end
                    self.state[i] = _DONE
                else:
                    self._at(bot_end - now, self._bot_done, i)
            else:
                self._enqueue(i, float(c.patience[k]))
            k += 1
        if k < n:
            self._at(float(arrival[k]) - now, self._arrivals, k)

    def _bot_done(self, ev: Timeout) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        self._enqueue(i, float(self.c.patience[self.origin[i]]))

    def _retry(self, ev: Timeout) -> None:
        prev: int = ev._value  # type: ignore[attr-defined]
        ch = self.log.channel[prev]
        i = self._new_attempt(self.origin[prev], int(self.log.attempt[prev]) + 1)
        sampler = self.rules[ch].patience
        patience = float(sampler(self.rng, 1)[0]) if sampler is not None else math.inf
        self._enqueue(i, patience)

    def _enqueue(self, i: int, patience: float) -> None:
        """Contact ``i`` needs a human: give it to an agent now or queue it."""
        log = self.log
        now = self.env.now
        log.queued[i] = now
        ch = int(log.channel[i])
        vip = int(log.vip[i])
        self.state[i] = _WAITING
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            a = self._take_agent(pool, w)
            if a >= 0:
                self._start(i, a, w)
                self._assigned(pool, a)
                return
        prio = int(log.priority[i])
        self.seq += 1
        if self.sync[ch]:
            heapq.heappush(self.waiting[ch][1 - vip], (prio, 1 - vip, now, i))
            if patience < math.inf:
                self._at(patience, self._patience_out, i)
        else:
            due = float(self.c.due[self.origin[i]])
            heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))

    def _patience_out(self, ev: Timeout) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        if self.state[i] != _WAITING:
            return
        log = self.log
        now = self.env.now
        self.state[i] = _DONE
        log.abandoned[i] = now
        log.outcome[i] = Outcome.ABANDONED
        rules = self.rules[log.channel[i]]
        if (
            rules.retry_share > 0
            and log.attempt[i] < rules.max_attempts
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
            while partial:
                a = partial.popleft()
                in_partial[a] = False
                if on_duty[a] and 0 < load[a] <= FULL - w:
                    return a
        idle, in_idle = pool.idle, self.in_idle
        while idle:
            a = idle.popleft()
            in_idle[a] = False
            if on_duty[a] and load[a] == 0:
                return a
        return -1

    def _assigned(self, pool: _Pool, a: int) -> None:
        """After an assignment: an agent with free chat slots goes first in line for chats."""
        if 0 < self.load[a] < FULL and not self.in_partial[a]:
            pool.partial.appendleft(a)
            self.in_partial[a] = True

    def _start(self, i: int, a: int, w: int) -> None:
        """Agent ``a`` starts handling contact ``i`` (first response)."""
        now = self.env.now
        log = self.log
        self.state[i] = _SERVING
        log.answered[i] = now
        log.agent[i] = a
        log.outcome[i] = Outcome.ANSWERED
        self.load[a] += w
        self._at(float(self.c.handle[self.origin[i]]), self._handled, i)

    def _handled(self, ev: Timeout) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        log = self.log
        now = self.env.now
        log.handled[i] = now
        a = int(log.agent[i])
        ch = int(log.channel[i])
        self.load[a] -= self.weight[ch]
        o = self.origin[i]
        dept = int(self.c.department[o])
        if dept >= 0:
            self.state[i] = _ESCALATED
            log.department[i] = dept
            inside = _inside(now % DAY, self.dept_hours[dept])
            delay = float(self.c.dept_delay[o] if inside else self.c.dept_delay_off[o])
            self._at(delay, self._dept_answer, i)
        else:
            self.state[i] = _DONE
            log.resolved[i] = now
        self._agent_free(a)

    def _dept_answer(self, ev: Timeout) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        log = self.log
        now = self.env.now
        log.dept_response[i] = now
        self.state[i] = _CLOSABLE
        ch = int(log.channel[i])
        vip = int(log.vip[i])
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            a = self._take_agent(pool, w)
            if a >= 0:
                self._start_closing(i, a, w)
                self._assigned(pool, a)
                return
        due = float(log.arrival[i]) + self.rules[ch].resolution_due[int(log.priority[i])]
        self.seq += 1
        heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))

    def _start_closing(self, i: int, a: int, w: int) -> None:
        log = self.log
        self.state[i] = _CLOSING
        log.closing_start[i] = self.env.now
        log.closing_agent[i] = a
        self.load[a] += w
        self._at(float(self.c.closing[self.origin[i]]), self._closed, i)

    def _closed(self, ev: Timeout) -> None:
        i: int = ev._value  # type: ignore[attr-defined]
        log = self.log
        log.resolved[i] = self.env.now
        self.state[i] = _DONE
        a = int(log.closing_agent[i])
        self.load[a] -= self.weight[int(log.channel[i])]
        self._agent_free(a)

    def _agent_free(self, a: int) -> None:
        """Agent ``a`` has capacity again: give it work, or park it."""
        load = self.load
        if not self.on_duty[a]:
            if load[a] == 0:
                self.duty_leave[self.duty_of[a]] = self.env.now
            return
        p = self.agent_pool[a]
        state = self.state
        waiting = self.pool_waiting[p]
        backlog = self.pool_backlog[p]
        weight = self.weight
        while True:
            free = FULL - load[a]
            best = None
            best_heap = None
            for heap, ch in waiting:
                if weight[ch] > free:
                    continue
                while heap and state[heap[0][3]] != _WAITING:
                    heapq.heappop(heap)
                if heap and (best is None or heap[0] < best):
                    best, best_heap = heap[0], heap
            if best is not None:
                heapq.heappop(best_heap)  # type: ignore[arg-type]
                i = best[3]
                self._start(i, a, weight[int(self.log.channel[i])])
                continue
            for heap, ch in backlog:
                if weight[ch] > free:
                    continue
                while heap and state[heap[0][3]] not in (_WAITING, _CLOSABLE):
                    heapq.heappop(heap)
                if heap and (best is None or heap[0] < best):
                    best, best_heap = heap[0], heap
            if best is None:
                break
            heapq.heappop(best_heap)  # type: ignore[arg-type]
            i = best[3]
            w = weight[int(self.log.channel[i])]
            if state[i] == _CLOSABLE:
                self._start_closing(i, a, w)
            else:
                self._start(i, a, w)
        pool = self.pools[p]
        if load[a] == 0:
            if not self.in_idle[a]:
                pool.idle.append(a)
                self.in_idle[a] = True
        elif load[a] < FULL and not self.in_partial[a]:
            pool.partial.append(a)
            self.in_partial[a] = True

    # -- duty ----------------------------------------------------------------
    def _duty(self, ev: Timeout) -> None:
        k: int = ev._value  # type: ignore[attr-defined]
        changes = self._duty_changes
        now = self.env.now
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
        zip(roster.duty_agent.tolist(), roster.duty_start.tolist(), roster.duty_end.tolist(), strict=True)
    ):
        out.append((s, True, a, d))
        out.append((e, False, a, d))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    return out
