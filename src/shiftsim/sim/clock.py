"""SimPy as the clock: how the engine schedules facts, and their order at one instant.

The engine puts on SimPy's queue only *future facts* (the end of a handle or
of a closing, a patience expiry, a retry, a repeat contact and the end of its
bot session, a department's answer, a duty change), each a :class:`Fact` with
one handler, through SimPy's public API: ``Environment.schedule(event,
priority, delay)``, and the ``Timeout`` constructor for a new fact.
:meth:`Clock.run` steps through them with ``Environment.peek`` and
``Environment.step``; first attempts, whose times are known up front, are not
facts: they are handled between two steps by plain calls, as is everything
else (routing, queues). A fact per arrival cost 27% more instructions per
contact on M/M/50 (15% on the holiday scenario). A first attempt's handover
from the bot (its arrival plus its bot session, also known up front) is an
arrival here: the engine merges them into the arrivals it passes.

A fact is a ``Timeout`` reused once processed. SimPy processes an event by
taking its ``callbacks`` list and calling each with the event; the last
callback of every fact list is the free list's ``append``, so a processed fact
goes back to :attr:`Clock.spare` by itself (a C call, no Python frame), and
:meth:`Clock.after` schedules it again with new ``callbacks``, ``row`` and
``due``. Pending facts are never touched. A new ``Timeout`` per fact costs 9%
more instructions per contact (``benchmarks/README.md``).

A fact knows when it is due (``due``, computed as SimPy computes its own time:
its clock plus the delay, so the two are the same float), and a handler reads
the time there rather than through the ``Environment.now`` property; callers
pass the current time in for the same reason. ``tests/test_engine_internals.py``
checks that ``due`` is SimPy's clock whenever a fact is handled.

Facts at the same instant
-------------------------
The one rule, from which every same-instant order follows:

    **Facts due at the same time are handled in the order they were scheduled;
    an arrival comes after every fact due at its time.**

SimPy orders its queue by (time, priority, insertion counter), and every fact
has ``NORMAL`` priority; :meth:`Clock.run` handles an arrival only when the
next fact is due later than it. What this means for each kind of fact:

* A fact scheduled with a zero delay (a handle of 0 s, a repeat contact's
  bot session of 0 s) comes after every fact already due at that instant,
  and before any fact scheduled later for the same instant, or any arrival
  still to come then.
* A first attempt's handover from the bot comes, like an arrival, after every
  fact due at its time; among arrivals and handovers at one instant, in
  customer order, a customer's handover right after its own arrival (a bot
  session of 0 s).
* Arrivals: a handle that ends exactly when the next customer arrives goes
  first, whenever it was scheduled: the agent is free for that customer.
  Customers arriving together are handled one after another, in their order
  in ``Contacts`` (each after the facts the one before scheduled for then).
* Duty changes: every change at one instant is handled by one fact, scheduled
  when the previous instant's changes were handled, in the order given in
  ``sim/duty.py``. An arrival at a shift start finds the shift's agents on
  duty, and one at a shift end finds them gone (at time 0 too).
* The end of the run: :meth:`Clock.run` stops at the first fact or arrival
  due at ``until`` or later: nothing due at ``end`` happens.

Times: SimPy adds the delay to its clock, so a fact at ``now + x`` is scheduled
with delay ``x`` (exactly ``now + x``) from a fact's handler. An arrival is
handled ahead of SimPy's clock (:attr:`Clock.now`, the time of the last fact
stepped), so from there, and for a fact at an absolute time (a duty change, a
repeat contact), :meth:`Clock.at` picks the delay whose sum with SimPy's clock
is exactly that time (``now + (t - now)`` can differ from ``t`` by a rounding).
In the rare case no delay reaches ``t`` exactly from ``now`` (``now < t / 2``
and a rounding tie, see :func:`exact_delay`; about once in 100,000 facts at
absolute times, never with whole seconds) the fact hops: a plain ``Timeout``
at a time reachable exactly on the way schedules it from there. A fact
scheduled in between for exactly ``t`` then goes before it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

import simpy
from simpy.events import NORMAL

__all__ = ["Callbacks", "Clock", "Fact", "exact_delay"]


class Fact(simpy.Timeout):
    """A future fact about ``row`` (a contact row, an agent, a change index), due at ``due``."""

    __slots__ = ("row", "due")
    row: int
    due: float


Callbacks = list[Callable[[Fact], None]]


def _no_handler(k: int, time: float) -> None:
    raise TypeError("Clock.run: arrivals given without a handler (arrive)")


class Clock:
    """SimPy's environment, the free list of processed facts, and the run loop.

    :meth:`run` steps SimPy itself and keeps its clock in :attr:`now` (reading
    ``Environment.now`` is a property call): the time of the fact last stepped.
    Between two steps arrivals are handled by plain calls at their own times,
    ahead of SimPy's clock; :meth:`after` and :meth:`at` schedule from it, so
    that a fact is due exactly at the time asked for either way. They also
    lower :attr:`next`, the time the next fact is due, which :meth:`run` reads
    before each arrival instead of peeking at SimPy's queue again (-3% of
    instructions per contact): while arrivals are handled, facts are
    scheduled through them only.
    """

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.now = self.env.now
        self.next = math.inf  # when the next fact is due (run() peeks, after() lowers it)
        self.spare: list[Fact] = []
        self._schedule = self.env.schedule

    def callbacks(self, handler: Callable[[Fact], None]) -> Callbacks:
        """The callback list shared by every fact of one kind: its handler, then recycling."""
        return [handler, self.spare.append]

    def run(
        self,
        until: float,
        arrivals: Sequence[float] = (),
        arrive: Callable[[int, float], None] = _no_handler,
    ) -> None:
        """Handle every fact due before ``until``, and arrival ``k`` at ``arrivals[k]``
        (sorted, known up front) by the plain call ``arrive(k, arrivals[k])``.

        An arrival is handled once every fact due at or before its time has been
        (see *Facts at the same instant*); SimPy steps only for facts.
        """
        peek, step = self.env.peek, self.env.step
        # Arrivals are sorted: those before `until`, found once (not a test per arrival).
        n, k = bisect.bisect_left(arrivals, until), 0
        self.next = peek()
        while True:
            # An arrival may schedule a fact before the next: after() lowers self.next.
            while k < n and (a := arrivals[k]) < self.next:
                arrive(k, a)
                k += 1
            if (t := self.next) >= until:
                return
            self.now = t
            step()
            self.next = peek()

    def after(self, now: float, delay: float, callbacks: Callbacks, row: int) -> None:
        """Schedule a fact ``delay >= 0`` seconds after ``now`` (the time being handled)."""
        due = now + delay
        if due < self.next:
            self.next = due
        base = self.now
        if now != base:
            # Handling an arrival, ahead of SimPy's clock: the delay from there.
            delay = due - base
            if base + delay != due:
                self.at(due, callbacks, row)
                return
        try:
            fact = self.spare.pop()
        except IndexError:  # none to reuse (as many as are ever pending at once)
            fact = Fact(self.env, delay)
            fact.callbacks = callbacks
            fact.row = row
            fact.due = due
            return
        fact.callbacks = callbacks
        fact.row = row
        fact.due = due  # exactly SimPy's time for it: its clock plus the delay
        self._schedule(fact, NORMAL, delay)

    def at(self, time: float, callbacks: Callbacks, row: int) -> None:
        """Schedule a fact at exactly ``time`` (not before the time being handled)."""
        now = self.now
        delay = time - now
        if now + delay != time:
            exact = exact_delay(now, time)
            if exact is None:
                self._hop_towards(now, time, callbacks, row)
                return
            delay = exact
        self.after(now, delay, callbacks, row)

    def _hop_towards(self, now: float, time: float, callbacks: Callbacks, row: int) -> None:
        # No delay lands exactly on `time` from `now`: hop to a time that one
        # does (`time` halved until reachable, above now), and go on from there.
        hop = time / 2
        while (delay := exact_delay(now, hop)) is None:
            hop /= 2
        hop_fact = simpy.Timeout(self.env, delay, (time, callbacks, row))
        self.next = min(self.next, hop)
        hop_fact.callbacks.append(self._hop)

    def _hop(self, ev: simpy.Event) -> None:
        time, callbacks, row = ev.value  # type: ignore[misc]
        self.at(time, callbacks, row)


def exact_delay(now: float, time: float) -> float | None:
    """The delay ``d`` with ``now + d == time`` in floating point, or ``None`` (``now <= time``).

    ``time - now`` is exact when ``now >= time / 2`` (Sterbenz's lemma) or when
    both are whole numbers of seconds; otherwise it may be rounded so that
    adding it back misses ``time`` by one unit in the last place, and a
    neighbouring delay hits it. When ``now``'s bits below that unit are exactly
    half of it, every sum is a tie rounded to even and an odd ``time`` is out of
    reach: ``None``.
    """
    delay = time - now
    for _ in range(3):
        total = now + delay
        if total == time:
            return delay
        delay = math.nextafter(delay, math.inf if total < time else -math.inf)
    return None
