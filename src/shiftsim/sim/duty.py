"""Who is on duty during a run: the engine's side of the roster.

The roster (``sim/roster.py``) says when duty starts and ends. Here that
becomes facts on the clock: every change at one instant is handled by one
fact, agents of shifts going off duty first, then pools staffed by interval,
then agents of shifts coming on (an agent whose intervals touch goes off and
straight back on).

Shifts
    An agent going off duty takes nothing new and finishes what is in hand;
    the time it actually leaves is recorded per duty interval (``duty_leave``,
    at least the interval's end: the difference is overtime). An agent coming
    on duty takes queued work at once, then waits idle; its idle time counts
    from then (who has been idle longest is served first). Intervals of one
    agent that touch (a 24-hour shift across midnight) are one stretch of duty:
    an idle agent keeps its place among the idle.

Pools staffed by interval
    The roster gives the pool's level (agents on duty, after breaks) as a count
    over time; who is on duty is decided here, when the level changes:

    * when it drops, idle agents leave first, those idle longest first (they
      have waited longest for work that is not coming); then agents with free
      chat slots, who take no new chat and leave when their chats end; if that
      is not enough, the pool owes the rest, and the next agents to free
      capacity leave after the contact in hand (as at a shift end: overtime);
    * when it rises, owed departures are cancelled first (an agent still
      finishing a contact who was due to leave stays: recalled, not replaced;
      the time since it was due is overtime), then agents who left come back,
      the last to leave first.

    The duty each agent actually worked is returned as a roster
    (:meth:`Duty.finish`), so KPIs read it like any other.

Closing time
    In a pool with ``clear_at_close``, an agent whose duty has ended and who
    would leave while callers of a closed channel it serves (no arrivals
    expected in the current hour) are waiting, serves them first, one after
    another, until none is left (overtime).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.sim.clock import Fact
from shiftsim.sim.roster import Roster
from shiftsim.sim.rules import FULL

if TYPE_CHECKING:
    from shiftsim.sim.engine import _Engine

__all__ = ["LEVEL", "OFF", "ON", "Duty", "duty_changes"]

# Kinds of duty change, in the order they are handled at one instant.
OFF, LEVEL, ON = 0, 1, 2


class Duty:
    """Duty changes of one run and the duty each agent actually worked."""

    def __init__(self, engine: _Engine, roster: Roster, by_level: list[bool]):
        self.engine = engine
        self.roster = roster
        self.on_duty = engine.on_duty
        self.load = engine.load
        n = roster.n_agents
        self.duty_of = [-1] * n  # current (or last) duty interval of each agent (shifts)
        self.duty_leave = roster.duty_end.copy()
        self.off_at = [-1.0] * n  # when each agent last went off duty (shifts)
        self.by_level = by_level
        self.level_agent = [by_level[p] for p in roster.agent_pool.tolist()]
        self.changes = duty_changes(roster, by_level)
        self.on_change = engine.clock.callbacks(self._change)
        # Pools staffed by interval: the level asked for, the departures owed
        # (when each came due), the agents due to leave (recallable while still
        # busy; entries of agents gone since are skipped), the agents off duty
        # and the agents on duty (in the order they came).
        n_pools = len(by_level)
        self.level = [0] * n_pools
        self.owed: list[deque[float]] = [deque() for _ in range(n_pools)]
        self.owing = engine.owing  # len(owed[p]), read by the engine's hot path
        self.leaving: list[list[int]] = [[] for _ in range(n_pools)]
        self.off: list[list[int]] = [[] for _ in range(n_pools)]
        self.members: list[dict[int, None]] = [{} for _ in range(n_pools)]
        for a in range(n - 1, -1, -1):  # agent 0 of a pool comes on first
            if self.level_agent[a]:
                self.off[engine.agent_pool[a]].append(a)
        self.came = [math.nan] * n  # start of the duty an agent is working
        self.due_off = [math.nan] * n  # when a busy agent's departure came due
        self.worked: list[tuple[int, float, float, float]] = []  # agent, start, end, left

    def start(self) -> None:
        """Schedule the first duty change (before any arrival at its instant: ``sim/clock.py``)."""
        if self.changes:
            self.engine.clock.at(self.changes[0][0], self.on_change, 0)

    def left(self, a: int, now: float) -> None:
        """Agent ``a``, off duty, has finished its last piece of work at ``now``."""
        if self.level_agent[a]:
            self.worked.append((a, self.came[a], self.due_off[a], now))
            self.off[self.engine.agent_pool[a]].append(a)
        else:
            self.duty_leave[self.duty_of[a]] = now

    def release(self, a: int) -> None:
        """Agent ``a`` of a pool staffed by interval frees capacity while the pool owes
        a departure: it pays the oldest (it leaves when its hands are empty)."""
        p = self.engine.agent_pool[a]
        self.owing[p] -= 1
        self._due_to_leave(a, p, self.owed[p].popleft())

    def _due_to_leave(self, a: int, p: int, since: float) -> None:
        """Agent ``a`` of pool ``p`` takes nothing new and leaves when its hands are empty
        (after clearing a closed channel's queue, if the pool does: it may have a
        caller in hand again by the time the level rises, and be recalled)."""
        self.on_duty[a] = False
        del self.members[p][a]
        self.due_off[a] = since
        self.leaving[p].append(a)

    def finish(self) -> tuple[np.ndarray, Roster | None]:
        """At the end of the run: ``duty_leave`` per duty interval, and the roster as
        worked when pools are staffed by interval (``None`` otherwise; ``duty_leave``
        then follows its intervals). Agents still busy off duty leave at the end."""
        end = self.engine.end
        for a, d in enumerate(self.duty_of):
            if d >= 0 and self.load[a] > 0 and not self.on_duty[a]:
                self.duty_leave[d] = end
        if not any(self.by_level):
            return self.duty_leave, None
        for a, level in enumerate(self.level_agent):
            if level and not math.isnan(self.came[a]):
                if self.on_duty[a]:
                    self.worked.append((a, self.came[a], end, end))
                elif self.load[a]:
                    self.worked.append((a, self.came[a], self.due_off[a], end))
        r = self.roster
        keep = ~np.asarray(self.level_agent, dtype=bool)[r.duty_agent]
        w = np.asarray(self.worked, dtype=float).reshape(-1, 4)
        agent = np.concatenate([r.duty_agent[keep], w[:, 0].astype(np.int32)])
        start = np.concatenate([r.duty_start[keep], w[:, 1]])
        stop = np.concatenate([r.duty_end[keep], w[:, 2]])
        leave = np.concatenate([self.duty_leave[keep], w[:, 3]])
        order = np.lexsort((agent, start))
        worked = replace(r, duty_agent=agent[order], duty_start=start[order], duty_end=stop[order])
        return leave[order], worked

    def close(self) -> None:
        """Drop the references to the engine (see ``_Engine.run``)."""
        self.on_change.clear()
        del self.engine

    def _change(self, ev: Fact) -> None:
        k = ev.row
        changes = self.changes
        engine = self.engine
        now = ev.due
        on_duty, load, duty_of = self.on_duty, self.load, self.duty_of
        n = len(changes)
        while k < n and changes[k][0] <= now:
            _, kind, a, d = changes[k]
            if kind == ON:
                prev = duty_of[a]
                if prev >= 0 and load[a] > 0 and not on_duty[a]:
                    self.duty_leave[prev] = now  # worked on through to this interval
                on_duty[a] = True
                duty_of[a] = d
                if self.off_at[a] != now or load[a]:
                    engine._agent_free(a, now)
                # else: intervals that touch are one stretch of duty; an idle
                # agent keeps its place in the idle list (its entry is good again).
            elif kind == OFF:
                if load[a] == 0:
                    self.duty_leave[d] = now
                on_duty[a] = False  # its idle list entry is not good while it is away
                self.off_at[a] = now
            else:
                self._new_level(a, self.level[a] + d, now)
            k += 1
        if k < n:
            engine.clock.at(changes[k][0], self.on_change, k)

    def _new_level(self, p: int, level: int, now: float) -> None:
        """Pool ``p`` (staffed by interval) is to have ``level`` agents on duty from ``now``."""
        self.level[p] = level
        engine = self.engine
        on_duty, load = self.on_duty, self.load
        owed = self.owed[p]
        more = level - (len(self.members[p]) - len(owed))
        if more < 0:
            idle, entries = engine.pools[p].idle, engine.idle_entries
            while more and idle:
                a = idle.popleft()
                entries[a] -= 1
                if entries[a] or not on_duty[a] or load[a]:
                    continue  # a stale entry
                on_duty[a] = False
                del self.members[p][a]
                self.worked.append((a, self.came[a], now, now))
                self.off[p].append(a)
                more += 1
            # Then agents with free chat slots: they take no new chat and leave
            # when their chats end (the others keep their free slots working).
            partial, in_partial = engine.pools[p].partial, engine.in_partial
            while more and partial:
                a = partial.popleft()
                in_partial[a] = False
                if on_duty[a] and 0 < load[a] < FULL:
                    self._due_to_leave(a, p, now)
                    more += 1
            owed.extend([now] * -more)
            self.owing[p] = len(owed)
            return
        if more and owed:
            # Recalled: agents due to leave stay. Every agent on duty has been
            # busy since the departures came due (none is free while the pool
            # owes), so any of them stands for one: its time since then is
            # overtime, and its duty starts again now.
            members = iter(list(self.members[p]))
            while more and owed:
                self._back(next(members), owed.pop(), now)
                more -= 1
            self.owing[p] = len(owed)
        leaving = self.leaving[p]
        while more and leaving:
            a = leaving.pop()
            if on_duty[a] or not load[a]:
                continue  # came back already, or gone
            on_duty[a] = True
            self.members[p][a] = None
            self._back(a, self.due_off[a], now)
            more -= 1
            engine._agent_free(a, now)
        off = self.off[p]
        for _ in range(more):
            a = off.pop()
            on_duty[a] = True
            self.members[p][a] = None
            self.came[a] = now
            engine._agent_free(a, now)

    def _back(self, a: int, due: float, now: float) -> None:
        """Agent ``a``, due to leave since ``due`` and still busy, is on duty again from ``now``."""
        self.worked.append((a, self.came[a], due, now))
        self.came[a] = now


def duty_changes(
    roster: Roster, by_level: list[bool] | None = None
) -> list[tuple[float, int, int, int]]:
    """Duty changes in the order they are handled: ``(time, kind, who, what)``.

    ``kind`` is :data:`OFF` or :data:`ON` for an agent of a shift (``who``
    the agent, ``what`` its duty interval) and :data:`LEVEL` for a pool staffed
    by interval (``who`` the pool, ``what`` the change of its level: the duty
    intervals the roster gives its agents are only counted). At equal times,
    offs first, then levels, then ons.

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
    n_pools = int(roster.agent_pool.max(initial=-1)) + 1
    level_pool = np.asarray(by_level if by_level is not None else [False] * n_pools, dtype=bool)
    pool = roster.agent_pool[roster.duty_agent].astype(np.int64)
    counted = level_pool[pool] if len(pool) else np.zeros(0, dtype=bool)
    # Built as arrays and sorted once (O(intervals) Python work: 0.2 s for
    # 10,000 agents over 9 days as a loop), in the order (time, kind, who).
    ids = np.flatnonzero(~counted)
    n_ids = len(ids)
    # Per duty interval its on, then its off (the order a stable sort keeps at ties).
    time = np.stack([roster.duty_start[ids], roster.duty_end[ids]], axis=1).ravel()
    kind = np.tile(np.array([ON, OFF], np.int64), n_ids)
    who = np.repeat(roster.duty_agent[ids].astype(np.int64), 2)
    what = np.repeat(ids.astype(np.int64), 2)
    # Pools by level: net change per pool and instant.
    times = np.concatenate([roster.duty_start[counted], roster.duty_end[counted]])
    pools = np.concatenate([pool[counted], pool[counted]])
    steps = np.concatenate([np.ones(counted.sum(), np.int64), -np.ones(counted.sum(), np.int64)])
    if len(times):
        key = np.lexsort((pools, times))
        times, pools, steps = times[key], pools[key], steps[key]
        first = np.ones(len(times), dtype=bool)
        first[1:] = (times[1:] != times[:-1]) | (pools[1:] != pools[:-1])
        net = np.add.reduceat(steps, np.flatnonzero(first))
        change = net != 0
        time = np.concatenate([time, times[first][change]])
        kind = np.concatenate([kind, np.full(int(change.sum()), LEVEL, np.int64)])
        who = np.concatenate([who, pools[first][change]])
        what = np.concatenate([what, net[change]])
    order = np.lexsort((who, kind, time))  # stable, as was the sort of a list
    return list(
        zip(
            time[order].tolist(),
            kind[order].tolist(),
            who[order].tolist(),
            what[order].tolist(),
            strict=True,
        )
    )
