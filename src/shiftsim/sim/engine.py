"""One replication of the center, simulated contact by contact with SimPy.

SimPy is the clock (``sim/clock.py``): only future facts are scheduled (the
end of a handle, or of its wrap-up where there is one, or of a closing, a
patience expiry, a retry, a repeat contact and the end of its bot session, a
department's answer, a duty change), each a reused ``Timeout`` with one
handler, and ``Clock.run`` steps through them; first attempts and their
handovers from the bot, known up front, are handled between the steps by
plain calls.
This module follows each contact through its life
(arrival, bot, queue, handle); what follows a first handling (wrap-up,
escalation, closing, abandonment, retry, and the repeat contact a resolved
problem may bring; what a customer would need then is drawn up front,
``sim/work.py``) is in ``sim/followups.py``; who takes which work is
in ``sim/routing.py`` (plain function calls over heaps and deques, never a
scan over all agents), who is on duty when in ``sim/duty.py``. How this was
made fast, and measured, is in ``benchmarks/README.md``.

The engine knows nothing about YAML, pandas or plotting; it returns raw facts.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shiftsim.model.durations import DAY
from shiftsim.sim.arrivals import Contacts, inside
from shiftsim.sim.clock import Clock, Fact
from shiftsim.sim.columns import INPUTS as _INPUTS
from shiftsim.sim.columns import OUTPUTS as _OUTPUTS
from shiftsim.sim.duty import Duty
from shiftsim.sim.followups import FollowUps
from shiftsim.sim.records import ContactLog, Outcome
from shiftsim.sim.roster import Roster
from shiftsim.sim.routing import NOT_QUEUED, WAITING, Heap, PoolState
from shiftsim.sim.rules import FULL, ChannelRules, DepartmentRules, PoolRules

__all__ = ["FULL", "ChannelRules", "DepartmentRules", "EngineResult", "PoolRules", "run_engine"]


@dataclass
class EngineResult:
    """Raw output of one replication."""

    log: ContactLog
    duty_leave: np.ndarray  # when the agent actually left each duty interval (>= its end)
    # The roster as worked, when pools are staffed by interval (who is on duty
    # is decided during the run); duty_leave then follows its intervals.
    worked: Roster | None = None


def run_engine(
    contacts: Contacts,
    channels: list[ChannelRules],
    pools: list[PoolRules],
    departments: list[DepartmentRules],
    roster: Roster,
    end: float,
    rng: np.random.Generator,
) -> EngineResult:
    """Serve ``contacts`` with ``roster`` until ``end`` (seconds) and return the raw facts.

    ``rng`` is used only for draws that depend on what happens during the run
    (retry decisions and delays, patience of retry attempts); everything a
    customer brings is already in ``contacts``.
    """
    return _Engine(contacts, channels, pools, departments, roster, end, rng).run()


def _view(values: np.ndarray) -> memoryview[float]:
    """Fast scalar access to a float column, without a copy when it is float64 already."""
    return np.ascontiguousarray(values, dtype=np.float64).data  # type: ignore[return-value]


_HANDLERS = ("on_bot_done", "on_handled", "on_patience_out", "on_retry",
             "on_dept_answer", "on_closed", "on_wrapped", "on_repeat")  # fmt: skip


_ROW_LISTS = ("c_bot", "c_contained", "needs", "channel", "priority", "vip", "state",
              "first_idle")  # fmt: skip
"""The engine's per-row Python lists, dropped once the run is over."""


class _Engine(FollowUps):
    """State of one run. Hot paths use Python lists and memoryviews over numpy
    columns: reading or writing a numpy scalar costs several times more."""

    # Memoryviews over the per-row columns in self.columns (see sim/columns.py).
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
    wrap_up: memoryview[float]  # float32: the after-call work done, NaN where none
    handle: memoryview[float]
    dept_delay: memoryview[float]
    dept_delay_off: memoryview[float]
    closing: memoryview[float]
    due: memoryview[float]
    wrap: memoryview[float]  # the after-call work a contact will need (0: none)

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
        self.clock = Clock()
        self.env = self.clock.env
        self.after = self.clock.after
        self.contacts = contacts
        self.rules = channels
        self.dept_hours = [d.hours for d in departments]
        self.end = end
        self.rng = rng
        n = len(contacts)
        self.n_first = n
        # Row i < n is customer i's first attempt; retries and repeat contacts
        # are appended after, with their customer, attempt number, repeat
        # number and arrival kept aside.
        self.extra_customer: list[int] = []
        self.extra_attempt: list[int] = []
        self.extra_repeat: list[int] = []
        self.extra_arrival: list[float] = []
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
        self.state: list[int] = [NOT_QUEUED] * n
        self.columns: dict[str, np.ndarray] = {
            name: np.full(n, fill, dtype) for name, (dtype, fill) in _OUTPUTS.items()
        }
        wrap = c.wrap_up if c.wrap_up is not None else np.zeros(n)
        for name in _INPUTS:
            # The arrivals' own arrays, not copies: rows < n are only read, and
            # the first retry row moves every column to a larger copy (_grow).
            values = wrap if name == "wrap" else getattr(c, name)
            self.columns[name] = np.ascontiguousarray(values, dtype=np.float64)
        self._bind_columns()

        n_agents = roster.n_agents
        self.pools = [PoolState(p) for p in pools]
        self.owing = [0] * len(pools)  # departures a pool staffed by interval owes
        self.clears = [p.clear_at_close for p in pools]
        self.closed = [list(ch.closed) for ch in channels]
        self.agent_pool = roster.agent_pool.tolist()
        self.load = [0] * n_agents
        self.on_duty = [False] * n_agents
        self.in_partial = [False] * n_agents
        self.idle_entries = [0] * n_agents

        nch = len(channels)
        # Two heaps per channel (VIP, non-VIP) of waiting customers and of deferrable work.
        self.waiting: list[list[Heap]] = [[[], []] for _ in range(nch)]
        self.backlog: list[list[Heap]] = [[[], []] for _ in range(nch)]
        self.weight = [ch.weight for ch in channels]
        self.sync = [ch.sync for ch in channels]
        self.head_start = [ch.head_start for ch in channels]
        self._build_routes(contacts, channels)
        self.seq = 0
        self._repeats_of(contacts, channels)

        # Callback lists built once and shared by every fact of a kind.
        self.on_bot_done = self.clock.callbacks(self._bot_done)
        self.on_handled = self.clock.callbacks(self._handled)
        self.on_patience_out = self.clock.callbacks(self._patience_out)
        self.on_retry = self.clock.callbacks(self._retry)
        self.on_dept_answer = self.clock.callbacks(self._dept_answer)
        self.on_closed = self.clock.callbacks(self._closed)
        self.on_wrapped = self.clock.callbacks(self._wrapped)
        self.on_repeat = self.clock.callbacks(self._repeat)
        self.duty = Duty(self, roster, [p.by_interval for p in pools])
        self.wraps = any(self.follow_up)  # else no contact needs after-call work

    def run(self) -> EngineResult:
        self.duty.start()
        # First attempts are known up front: handled by plain calls between
        # SimPy's steps, not as facts of their own (a fact each cost 27% more
        # instructions per contact on M/M/50, 15% on the holiday scenario).
        # So are their handovers from the bot.
        handovers = self._handovers()
        if handovers is None:
            self.clock.run(self.end, self.c_arrival, self._arrival)
        else:
            times, self.codes = handovers
            self.clock.run(self.end, times, self._arrival_or_handover)
            del self.codes
        duty_leave, worked = self.duty.finish()
        result = EngineResult(log=self._log(), duty_leave=duty_leave, worked=worked)
        # Break the reference cycles (handlers are bound methods of self, and
        # facts still queued past `end` hold their callback lists) so that a
        # replication's memory is freed at once, not at the next full garbage
        # collection.
        for name in _HANDLERS:
            getattr(self, name).clear()
            delattr(self, name)
        self.duty.close()
        del self.duty, self.after, self.env, self.clock
        return result

    def _log(self) -> ContactLog:
        n, c, total = self.n_first, self.contacts, len(self.state)
        # The rows' Python lists (8 bytes a row each, about 60 MB at a million
        # contacts) are done with: freed before the log's arrays are built.
        channel, priority, vip = self.channel[n:], self.priority[n:], self.vip[n:]
        for name in _ROW_LISTS:
            delattr(self, name)

        def col(name: str) -> np.ndarray:
            """A per-row column without its spare room (no copy when it has none)."""
            values = self.columns[name]
            return values if len(values) == total else values[:total].copy()

        def rows(first: np.ndarray, retries: Sequence[float], dtype: str) -> np.ndarray:
            """First attempts from the arrivals, then the retry rows."""
            return np.concatenate(
                [first.astype(dtype, copy=False), np.asarray(retries, dtype=dtype)]
            )

        answered, handled, resolved = col("answered"), col("handled"), col("resolved")
        department = col("department")
        simple = (department < 0) & ~np.isnan(handled)
        resolved[simple] = handled[simple]
        bot_end, abandoned, queued = col("bot_end"), col("abandoned"), col("queued")
        # A first attempt without the bot joins the queue as it arrives (the
        # arrival's fast path leaves it to here): every one handled, before end.
        direct = np.flatnonzero(~c.bot & (c.arrival < self.end))
        queued[direct] = c.arrival[direct]
        # Each attempt ends exactly one way; derived once here, not on the hot path.
        outcome = np.full(total, Outcome.OPEN, dtype=np.int8)
        outcome[~np.isnan(bot_end) & np.isnan(queued) & ~np.isnan(resolved)] = Outcome.DEFLECTED
        outcome[~np.isnan(answered)] = Outcome.ANSWERED
        outcome[~np.isnan(abandoned)] = Outcome.ABANDONED
        return ContactLog(
            customer=rows(np.arange(n, dtype=np.int32), self.extra_customer, "i4"),
            attempt=rows(np.ones(n, dtype=np.int8), self.extra_attempt, "i1"),
            repeat=rows(np.zeros(n, dtype=np.int8), self.extra_repeat, "i1"),
            channel=rows(c.channel, channel, "i1"),
            priority=rows(c.priority, priority, "i1"),
            vip=rows(c.vip, vip, "?"),
            outcome=outcome,
            department=department,
            arrival=rows(c.arrival, self.extra_arrival, "f8"),
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
            wrap_up=col("wrap_up"),
        )

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

    # -- contacts ------------------------------------------------------------
    def _handovers(self) -> tuple[memoryview[float], list[int]] | None:
        """First attempts and their handovers from the bot, in the order they happen.

        A first attempt the bot does not contain needs a human at its arrival
        plus its bot session: known up front, so it comes between SimPy's
        steps as arrivals do, not as a fact (-4% of instructions on the
        holiday scenario). Returns the times and, for each, the customer ``k``
        arriving (``k >= 0``) or handed over (``~k``); ties go by customer, a
        handover after its own arrival. ``None`` when there is no handover.
        """
        c = self.contacts
        rows = np.flatnonzero(c.bot & ~c.contained & (c.arrival < self.end))
        if not len(rows):
            return None
        # The same sum as an arrival's ``now + session``: the handover's exact time.
        times = np.concatenate([c.arrival, c.arrival[rows] + c.bot_session[rows]])
        codes = np.concatenate([np.arange(len(c)), ~rows])
        order = np.lexsort((codes < 0, np.where(codes >= 0, codes, ~codes), times))
        return _view(times[order]), codes[order].tolist()

    def _arrival_or_handover(self, k: int, now: float) -> None:
        """Entry ``k`` of :meth:`_handovers`: a customer arrives, or the bot hands one over."""
        c = self.codes[k]
        if c >= 0:
            self._arrival(c, now)
        else:
            self._enqueue(~c, self.c_patience[~c], now)

    def _arrival(self, k: int, now: float) -> None:
        """Customer ``k`` arrives at ``now`` (``Clock.run``: every fact due by then is handled)."""
        if self.c_bot[k]:
            session = self.c_bot_session[k]
            self.bot_end[k] = now + session
            if self.c_contained[k]:
                self.resolved[k] = now + session
                if self.next_repeat is not None:
                    self._resolved(k, now + session)
            # Otherwise the bot hands it over at now + session (_handovers).
        else:
            idle = self.first_idle[k]
            if (
                idle
                and self.idle_entries[a := idle[0]] == 1
                and self.on_duty[a]
                and not self.load[a]
            ):
                # _enqueue's first case and _start, without loop or calls: the
                # first pool has an idle agent, who takes the whole contact.
                # (queued: its arrival, filled in by _log.)
                idle.popleft()
                self.idle_entries[a] = 0
                self.answered[k] = now
                self.agent[k] = a
                self.load[a] = FULL
                if self.wraps and self.wrap[k] > 0:
                    self._handle_and_wrap(k, now)
                else:
                    self.after(now, self.handle[k], self.on_handled, k)
            else:
                self._enqueue(k, self.c_patience[k], now)

    def _bot_done(self, ev: Fact) -> None:
        """A repeat contact's handover from the bot (a first attempt's is in _handovers)."""
        i = ev.row
        self._enqueue(i, self.repeat_patience.pop(i), ev.due)

    def _enqueue(self, i: int, patience: float, now: float) -> None:
        """Contact ``i`` needs a human at ``now``: give it to an agent or queue it."""
        self.queued[i] = now
        ch = self.channel[i]
        vip = self.vip[i]
        w = self.weight[ch]
        for pool in self.routes[ch][vip]:
            # No call when nobody can be there (no idle agent, a whole agent wanted).
            if (pool.idle or w < FULL) and (a := self._take_agent(pool, w)) >= 0:
                self._start(i, a, w, now)
                if w < FULL:
                    self._assigned(pool, a)
                return
        self.state[i] = WAITING
        work = self.pool_work
        if self.sync[ch]:
            if bonus := self.head_start[ch]:
                # Head start: one order by joined time less the customer's bonus.
                entry = (0, 0, now - bonus[2 * self.priority[i] + vip], i)
            else:
                entry = (self.priority[i], 1 - vip, now, i)
            heapq.heappush(self.waiting[ch][1 - vip], entry)
            for p in self.waiting_viewers[ch][1 - vip]:
                work[p] += 1
            if patience < math.inf:
                self.after(now, patience, self.on_patience_out, i)
        else:
            self.seq += 1
            due = self.due[i]
            heapq.heappush(self.backlog[ch][1 - vip], (due, 1 - vip, self.seq, i))
            for p in self.backlog_viewers[ch][1 - vip]:
                work[p] += 1

    def _handle_and_wrap(self, i: int, now: float) -> None:
        """Contact ``i``, answered at ``now``, needs after-call work: one fact for both.

        Nothing happens at the end of its handle that is not known now: the
        agent stays busy until the wrap-up ends, and what the end brings (the
        handled time, the department's answer, the customer's next contact)
        is recorded or scheduled now at its own time. A fact fewer for 4 in 10
        contacts of the holiday scenario: -10% of instructions there, with
        the same results (only the rows of repeat contacts past the end of
        the run come in another order). A handle that does not end in the run
        is scheduled as any other (it never ends).
        """
        done = now + self.handle[i]
        if done >= self.end:
            self.after(now, self.handle[i], self.on_handled, i)
            return
        self.handled[i] = done
        dept = self.needs[i]
        if dept >= 0:
            self._escalated(i, dept, done)
        elif self.next_repeat is not None:
            self._resolved(i, done)
        wrap = self.wrap[i]
        self.wrap_up[i] = wrap
        self.after(done, wrap, self.on_wrapped, i)  # from ahead of SimPy's clock: exact

    def _escalated(self, i: int, dept: int, now: float) -> None:
        """Contact ``i``, handled at ``now``, waits for department ``dept``'s answer."""
        self.department[i] = dept
        in_hours = inside(now % DAY, self.dept_hours[dept])
        delay = self.dept_delay[i] if in_hours else self.dept_delay_off[i]
        self.after(now, delay, self.on_dept_answer, i)

    def _handled(self, ev: Fact) -> None:
        i = ev.row
        now = ev.due
        self.handled[i] = now
        dept = self.needs[i]
        # Not escalated: resolved when handled (filled in by _log; nothing reads it here).
        if dept >= 0:
            self._escalated(i, dept, now)
        ch = self.channel[i]
        if self.follow_up[ch] and dept < 0 and self.next_repeat is not None:
            self._resolved(i, now)  # its customer may come back
        a = self.agent[i]
        self.load[a] -= self.weight[ch]
        # _agent_free's common case first: on duty, now idle, nothing queued.
        p = self.agent_pool[a]
        if self.load[a] or self.pool_work[p] or self.owing[p] or not self.on_duty[a]:
            self._agent_free(a, now)
        else:
            self.agent_idle[a].append(a)
            self.idle_entries[a] += 1
