"""What follows a contact's first handling: retries, repeats, wrap-up, escalation, closing.

A mixin of the engine (``sim/engine.py``), as :class:`~shiftsim.sim.routing.Routing`
is: the handlers of the facts that come after a first answer or a first
abandonment (a retry, a department's answer, the end of a wrap-up or of a
closing, a repeat contact), and the rows they add after the first attempts.
The engine owns the state declared below.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable

import numpy as np

from shiftsim.model.durations import DAY
from shiftsim.sim.arrivals import Contacts, inside
from shiftsim.sim.clock import Callbacks, Clock, Fact
from shiftsim.sim.columns import INPUTS as _INPUTS
from shiftsim.sim.routing import CLOSABLE, NOT_QUEUED, WAITING, Routing
from shiftsim.sim.rules import FULL, ChannelRules

__all__ = ["FollowUps"]


class FollowUps(Routing):
    """The follow-up half of the engine (a mixin of ``_Engine``, which owns the state below)."""

    # Set by the engine: the run, the rows past the first attempts, per-row columns.
    clock: Clock
    end: float
    rng: np.random.Generator
    rules: list[ChannelRules]
    n_first: int
    extra_customer: list[int]
    extra_attempt: list[int]
    extra_repeat: list[int]
    extra_arrival: list[float]
    needs: list[int]
    priority: list[int]
    vip: list[int]
    seq: int
    columns: dict[str, np.ndarray]
    c_arrival: memoryview[float]
    department: memoryview
    bot_end: memoryview[float]
    abandoned: memoryview[float]
    dept_response: memoryview[float]
    resolved: memoryview[float]
    wrap_up: memoryview[float]
    dept_delay: memoryview[float]
    dept_delay_off: memoryview[float]
    due: memoryview[float]
    wrap: memoryview[float]
    on_bot_done: Callbacks
    on_retry: Callbacks
    on_dept_answer: Callbacks
    on_wrapped: Callbacks
    on_repeat: Callbacks
    _grow: Callable[[], None]  # the engine's: room for more rows
    _enqueue: Callable[[int, float, float], None]  # the engine's: to an agent or a queue

    def _origin(self, i: int) -> int:
        """The customer of row ``i``."""
        return i if i < self.n_first else self.extra_customer[i - self.n_first]

    def _attempt(self, i: int) -> int:
        return 1 if i < self.n_first else self.extra_attempt[i - self.n_first]

    def _repeat_number(self, i: int) -> int:
        """0 for a customer's first contact, 1 for its first repeat contact..."""
        return 0 if i < self.n_first else self.extra_repeat[i - self.n_first]

    def _retry(self, ev: Fact) -> None:
        prev = ev.row
        i = len(self.state)
        if i == len(self.columns["queued"]):
            self._grow()
        self.extra_customer.append(self._origin(prev))
        self.extra_attempt.append(self._attempt(prev) + 1)
        self.extra_repeat.append(self._repeat_number(prev))
        if self.next_repeat is not None:
            self.next_repeat.append(self.next_repeat[prev])
        now = ev.due
        self.extra_arrival.append(now)
        for row_list in (self.channel, self.priority, self.vip, self.needs):
            row_list.append(row_list[prev])
        self.state.append(NOT_QUEUED)
        for name in _INPUTS:
            view = getattr(self, name)
            view[i] = view[prev]
        rules = self.rules[self.channel[i]]
        cases = rules.patience_cases
        draw = cases[2 * self.priority[i] + self.vip[i]] if cases else rules.patience
        patience = draw(self.rng) if draw is not None else math.inf
        self._enqueue(i, patience, now)

    def _patience_out(self, ev: Fact) -> None:
        i = ev.row
        if self.state[i] != WAITING:
            return
        now = ev.due
        self.state[i] = NOT_QUEUED
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
            delay = rules.retry_delay(self.rng)
            if now + delay < self.end:
                self.after(now, delay, self.on_retry, i)

    def _wrapped(self, ev: Fact) -> None:
        """The agent of row ``ev.row`` finished its after-call work (``_handle_and_wrap``)."""
        i = ev.row
        a = self.agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        self._agent_free(a, ev.due)

    def _dept_answer(self, ev: Fact) -> None:
        i = ev.row
        now = ev.due
        self.dept_response[i] = now
        self.state[i] = CLOSABLE
        ch = self.channel[i]
        vip = self.vip[i]
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            a = self._take_agent(pool, w)
            if a >= 0:
                self._start_closing(i, a, w, now)
                if w < FULL:
                    self._assigned(pool, a)
                return
        # The customer's resolution clock started at the first attempt.
        due = self.c_arrival[self._origin(i)] + self.rules[ch].resolution_due[self.priority[i]]
        self.seq += 1
        heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))
        for p in self.backlog_viewers[ch][1 - vip]:
            self.pool_work[p] += 1

    def _closed(self, ev: Fact) -> None:
        i = ev.row
        now = ev.due
        self.resolved[i] = now
        if self.next_repeat is not None:
            self._resolved(i, now)
        a = self.closing_agent[i]
        self.load[a] -= self.weight[self.channel[i]]
        self._agent_free(a, now)

    # -- repeat contacts (sim/work.py) ---------------------------------------
    def _repeats_of(self, contacts: Contacts, channels: list[ChannelRules]) -> None:
        """Which channels have work after handling (wrap-up, repeats), and the
        customers' potential repeat contacts, as lists (fast scalar access)."""
        nch = len(channels)
        follow = np.zeros(nch, dtype=bool)
        wrap = np.asarray(self.columns["wrap"][: self.n_first])
        follow[np.unique(contacts.channel[wrap > 0])] = True
        rp = contacts.repeats
        self.next_repeat: list[int] | None = None
        self.repeat_patience: dict[int, float] = {}  # repeat rows in the bot
        if rp is not None:
            self.next_repeat = rp.first.tolist()
            follow[np.unique(contacts.channel[rp.first >= 0])] = True
            follow[np.unique(rp.channel[(rp.next >= 0) | (rp.wrap_up > 0)])] = True
            self.rp_next: list[int] = rp.next.tolist()
            self.rp_customer: list[int] = rp.customer.tolist()
            self.rp_number: list[int] = rp.number.tolist()
            self.rp_channel: list[int] = rp.channel.tolist()
            self.rp_delay: list[float] = rp.delay.tolist()
            # What a repeat brings, read once per repeat that happens: memoryviews
            # (a numpy scalar costs several times more, a list would copy them all).
            self.rp_department: memoryview = _scalars(rp.department)
            self.rp_contained: memoryview = _scalars(rp.contained)
            self.rp_bot_session = _floats(rp.bot_session)
            self.rp_patience = _floats(rp.patience)
            self.rp_dept_delay = _floats(rp.dept_delay)
            self.rp_dept_delay_off = _floats(rp.dept_delay_off)
            self.rp_closing = _floats(rp.closing)
            self.rp_wrap_up = _floats(rp.wrap_up)
            self.rp_bands = rp.handle.shape[1]
            self.rp_handle = _floats(rp.handle.ravel())  # [r, band]
            self.rp_band_starts = rp.band_starts
        self.follow_up: list[bool] = follow.tolist()

    def _resolved(self, i: int, when: float) -> None:
        """Contact ``i`` is resolved at ``when``: its customer's next potential
        repeat, if any, comes back its delay later."""
        assert self.next_repeat is not None
        r = self.next_repeat[i]
        if r < 0:
            return
        back = when + self.rp_delay[r]
        if back < self.end:
            self.clock.at(back, self.on_repeat, r)
        else:
            # Back after the run: recorded (open) so the problem counts as unresolved.
            self._repeat_row(r, back)

    def _repeat(self, ev: Fact) -> None:
        """Potential repeat ``ev.row`` happens: a fresh contact of its customer."""
        r = ev.row
        now = ev.due
        i = self._repeat_row(r, now)
        rules = self.rules[self.channel[i]]
        if rules.bot and inside(now % DAY, rules.bot_hours):
            session = self.rp_bot_session[r]
            self.bot_end[i] = now + session
            if self.rp_contained[r]:
                self.resolved[i] = now + session
                self._resolved(i, now + session)
                return
            self.handle[i] *= rules.handover_factor
            self.repeat_patience[i] = self.rp_patience[r]
            self.after(now, session, self.on_bot_done, i)
        else:
            self._enqueue(i, self.rp_patience[r], now)

    def _repeat_row(self, r: int, at: float) -> int:
        """Append the row of potential repeat ``r`` arriving at ``at``; its index."""
        assert self.next_repeat is not None
        i = len(self.state)
        if i == len(self.columns["queued"]):
            self._grow()
        cust = self.rp_customer[r]
        ch = self.rp_channel[r]
        self.extra_customer.append(cust)
        self.extra_attempt.append(1)
        self.extra_repeat.append(self.rp_number[r])
        self.extra_arrival.append(at)
        self.channel.append(ch)
        self.priority.append(self.priority[cust])
        self.vip.append(self.vip[cust])
        self.needs.append(self.rp_department[r])
        self.state.append(NOT_QUEUED)
        self.next_repeat.append(self.rp_next[r])
        # The handle time drawn for the hour band it arrives in (Repeats.handle).
        band = bisect.bisect_right(self.rp_band_starts[ch], at % DAY) - 1
        self.handle[i] = self.rp_handle[r * self.rp_bands + band]
        self.dept_delay[i] = self.rp_dept_delay[r]
        self.dept_delay_off[i] = self.rp_dept_delay_off[r]
        self.closing[i] = self.rp_closing[r]
        self.wrap[i] = self.rp_wrap_up[r]
        due = self.rules[ch].response_due
        self.due[i] = due(at, self.priority[cust], bool(self.vip[cust])) if due else math.inf
        return i


def _scalars(values: np.ndarray) -> memoryview:
    """Fast scalar access to an array's items (no copy when it is contiguous)."""
    return np.ascontiguousarray(values).data


def _floats(values: np.ndarray) -> memoryview[float]:
    """Fast scalar access to a float array (no copy when it is contiguous float64)."""
    return np.ascontiguousarray(values, dtype=np.float64).data  # type: ignore[return-value]
