"""Routing: who takes which work, over the pools' idle lists and the queues' heaps.

Routing rules
-------------
* Waiting customers are served by priority (urgent first), then VIP, then the
  time they joined the queue; on a channel with ``head_start`` by the time they
  joined less their bonus (priority's plus VIP's) instead: an urgent caller
  with 90 s of head start goes before those who joined up to 90 s earlier,
  not before all. The waiting channels of a pool use one rule or the other.
  Across the channels an agent is skilled for, the best such key wins;
  waiting customers (voice, chat) come before deferrable work (async
  messages and closing escalated cases), which is worked by deadline.
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

No scan over all agents: an agent is taken from the head of a deque and work
from the top of a heap, entries gone stale being dropped when reached, so the
cost per event does not grow with the size of the center.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.durations import HOUR
from shiftsim.sim.arrivals import Contacts
from shiftsim.sim.clock import Callbacks
from shiftsim.sim.rules import FULL, ChannelRules, PoolRules

if TYPE_CHECKING:
    from shiftsim.sim.duty import Duty

__all__ = ["CLOSABLE", "NOT_QUEUED", "WAITING", "Entry", "Heap", "PoolState", "Queue", "Routing"]

# What a row's queue entries need to know: whether an entry is still good. A
# row in a waiting heap or the backlog for its first response is WAITING (a
# patience timer may end it); one in the backlog to be closed is CLOSABLE;
# anything else (in the bot, being handled, escalated, done) is NOT_QUEUED.
NOT_QUEUED, WAITING, CLOSABLE = range(3)

# A queue entry: (priority or deadline, 0 for VIPs, joined or sequence, row);
# with a head start (0, 0, joined - bonus, row).
Entry = tuple[float, int, float, int]
Heap = list[Entry]
# A queue a pool's agents look at: its heap, the units one item takes, the
# pools that see it (their count of visible items moves with it), its channel.
Queue = tuple[Heap, int, list[int], int]


class PoolState:
    """The agents of one pool that can take work now, and its skills."""

    __slots__ = ("idle", "partial", "channels", "takes_vip", "senior")

    def __init__(self, rules: PoolRules):
        # Agents listed when they became free on duty, longest idle first. An
        # entry is good while its agent is on duty with no work and it is the
        # agent's latest entry (Routing.idle_entries counts them): an agent
        # back from a break is listed again at the end, and the entry it left
        # behind is dropped when reached. So a duty change never searches the
        # list: O(1) per event, always.
        self.idle: deque[int] = deque()
        self.partial: deque[int] = deque()  # agents chatting with a free slot (may be stale)
        self.channels = rules.channels
        self.takes_vip = rules.takes_vip
        self.senior = rules.senior


class Routing:
    """The routing half of the engine (a mixin of ``_Engine``, which owns the state below)."""

    # Set by the engine: per agent, per row (memoryviews over its columns), per pool.
    pools: list[PoolState]
    agent_pool: list[int]
    load: list[int]
    on_duty: list[bool]
    in_partial: list[bool]
    idle_entries: list[int]  # per agent: its entries in its pool's idle list
    owing: list[int]  # per pool: departures owed (pools staffed by interval)
    clears: list[bool]  # per pool: agents leaving clear a closed channel's queue
    closed: list[list[bool]]  # per channel, per hour of the run: no arrivals expected
    state: list[int]
    channel: list[int]
    weight: list[int]
    sync: list[bool]
    waiting: list[list[Heap]]  # [channel][0 VIP, 1 others]: waiting customers
    backlog: list[list[Heap]]  # [channel][0 VIP, 1 others]: deferrable work
    answered: memoryview[float]
    agent: memoryview
    closing_start: memoryview[float]
    closing_agent: memoryview
    handle: memoryview[float]
    closing: memoryview[float]
    wrap: memoryview[float]  # the after-call work a contact will need (0: none)
    wraps: bool  # any contact may need after-call work
    on_handled: Callbacks
    on_closed: Callbacks
    duty: Duty
    after: Callable[[float, float, Callbacks, int], None]  # the clock's Clock.after
    _handle_and_wrap: Callable[[int, float], None]  # the engine's: handle and wrap-up, one fact

    def _build_routes(self, contacts: Contacts, channels: list[ChannelRules]) -> None:
        """Which pools take a new contact, and which queues each pool's agents look at."""
        nch = len(channels)
        # Pools that can take a new contact of channel ch (non-VIP 0, VIP 1), best first.
        self.routes: list[list[list[PoolState]]] = []
        for ch in range(nch):
            per_vip = []
            for vip in (0, 1):
                cands = [p for p in self.pools if ch in p.channels and (p.takes_vip or not vip)]
                # Stable sort: VIPs go to senior pools first, others to non-senior ones.
                prefer_senior = bool(vip)
                cands.sort(key=lambda pool: pool.senior != prefer_senior)
                per_vip.append(cands)
            self.routes.append(per_vip)
        # Heaps an agent of each pool looks at: (heap, weight, viewers, channel).
        # Heap 0 of a channel holds VIPs; pools that take no VIPs only see heap 1.
        # Pools that see each queue, and per pool the number of queued items it
        # can see: a freed agent whose pool sees nothing is parked at once.
        self.waiting_viewers: list[list[list[int]]] = [[[], []] for _ in range(nch)]
        self.backlog_viewers: list[list[list[int]]] = [[[], []] for _ in range(nch)]
        self.pool_work = [0] * len(self.pools)
        self.pool_waiting: list[list[Queue]] = []
        self.pool_backlog: list[list[Queue]] = []
        # Channels without VIPs never fill their VIP queues: agents need not look there.
        has_vip = np.bincount(contacts.channel[contacts.vip], minlength=nch) > 0
        if contacts.repeats is not None:  # a VIP's repeat contact may come on another channel
            rp = contacts.repeats
            has_vip |= np.bincount(rp.channel[contacts.vip[rp.customer]], minlength=nch) > 0
        for pi, p in enumerate(self.pools):
            waiting, backlog = [], []
            for ch in p.channels:
                for h in (0, 1) if p.takes_vip and has_vip[ch] else (1,):
                    if channels[ch].sync:
                        viewers = self.waiting_viewers[ch][h]
                        waiting.append((self.waiting[ch][h], self.weight[ch], viewers, ch))
                        viewers.append(pi)
                    if not channels[ch].sync or channels[ch].escalates:
                        viewers = self.backlog_viewers[ch][h]
                        backlog.append((self.backlog[ch][h], self.weight[ch], viewers, ch))
                        viewers.append(pi)
            self.pool_waiting.append(waiting)
            self.pool_backlog.append(backlog)
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
            contacts.channel.astype(np.intp) * 2 + contacts.vip
        ].tolist()

    def _start(self, i: int, a: int, w: int, now: float) -> None:
        """Agent ``a`` answers contact ``i`` (first response), taking ``w`` units."""
        self.state[i] = NOT_QUEUED
        self.answered[i] = now
        self.agent[i] = a
        self.load[a] += w
        if self.wraps and self.wrap[i] > 0:
            self._handle_and_wrap(i, now)
        else:
            self.after(now, self.handle[i], self.on_handled, i)

    def _start_closing(self, i: int, a: int, w: int, now: float) -> None:
        """Agent ``a`` closes escalated case ``i`` (calls the customer back) from ``now``."""
        self.state[i] = NOT_QUEUED
        self.closing_start[i] = now
        self.closing_agent[i] = a
        self.load[a] += w
        self.after(now, self.closing[i], self.on_closed, i)

    def _take_agent(self, pool: PoolState, w: int) -> int:
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
        idle, entries = pool.idle, self.idle_entries
        while idle:
            a = idle.popleft()
            entries[a] -= 1
            if not entries[a] and on_duty[a] and not load[a]:
                return a
        return -1

    def _assigned(self, pool: PoolState, a: int) -> None:
        """After a chat assignment: an agent with free slots goes first in line for chats."""
        if 0 < self.load[a] < FULL and not self.in_partial[a]:
            pool.partial.appendleft(a)
            self.in_partial[a] = True

    def _agent_free(self, a: int, now: float) -> None:
        """Agent ``a`` has capacity again at ``now``: give it queued work while it
        has room and there is any it can see, then park it (idle, or with free
        chat slots). Off duty, it leaves once its hands are empty, after clearing
        the queue of a closed channel if its pool does (``sim/duty.py``)."""
        p = self.agent_pool[a]
        if not self.on_duty[a] or self.owing[p]:
            if self.on_duty[a]:
                self.duty.release(a)  # the first to free capacity pays the pool's debt
            if self.clears[p]:
                hour = int(now // HOUR)
                closed = [q for q in self.pool_waiting[p] if _closed(self.closed[q[3]], hour)]
                if closed:
                    self._work_queued(a, p, now, closed, [])
            if self.load[a] == 0:
                self.duty.left(a, now)
            return
        self._work_queued(a, p, now, self.pool_waiting[p], self.pool_backlog[p])
        pool = self.pools[p]
        load = self.load
        if load[a] == 0:
            pool.idle.append(a)
            self.idle_entries[a] += 1
        elif load[a] < FULL and not self.in_partial[a]:
            pool.partial.append(a)
            self.in_partial[a] = True

    def _work_queued(
        self, a: int, p: int, now: float, waiting: list[Queue], backlog: list[Queue]
    ) -> None:
        """Agent ``a`` of pool ``p`` takes the best queued work it has room for, from
        ``waiting`` (customers, first) then ``backlog`` (deferrable work), until
        full or none is left. Stale entries met on the way are dropped."""
        load = self.load
        state = self.state
        work = self.pool_work
        heappop = heapq.heappop
        while work[p] and load[a] < FULL:
            free = FULL - load[a]
            best = None
            best_heap: Heap = []
            viewers: list[int] = []
            for heap, w, seen_by, _ in waiting:
                if w > free:
                    continue
                while heap and state[heap[0][3]] != WAITING:
                    heappop(heap)
                if heap and (best is None or heap[0] < best):
                    best, best_heap, viewers = heap[0], heap, seen_by
            if best is None:
                for heap, w, seen_by, _ in backlog:
                    if w > free:
                        continue
                    while heap and state[heap[0][3]] == NOT_QUEUED:
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
            if state[i] == CLOSABLE:
                self._start_closing(i, a, w, now)
            else:
                self._start(i, a, w, now)


def _closed(hours: list[bool], hour: int) -> bool:
    """Whether a channel is closed in ``hour`` of the run: no arrivals expected (or past them)."""
    return hour >= len(hours) or hours[hour]
