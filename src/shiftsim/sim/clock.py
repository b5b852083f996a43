"""SimPy as the clock: how the engine schedules facts, and their order at one instant.

The engine puts on SimPy's queue only *future facts* (an arrival, the end of a
bot session, of a handle or of a closing, a patience expiry, a retry, a
department's answer, a duty change), each a :class:`Fact` with one handler,
through SimPy's public API: ``Environment.schedule(event, priority, delay)``,
and the ``Timeout`` constructor for a new fact. ``Environment.run`` steps
through them; everything else (routing, queues) is plain function calls.

A fact is a ``Timeout`` reused once processed. SimPy processes an event by
taking its ``callbacks`` list and calling each with the event; the last
callback of every fact list is the free list's ``append``, so a processed fact
goes back to :attr:`Clock.spare` by itself (a C call, no Python frame), and
:meth:`Clock.after` schedules it again with new ``callbacks``, ``row`` and
``due``. Pending facts are never touched. A new ``Timeout`` per fact costs 9%
more instructions per contact (``benchmarks/README.md``).

A fact knows when it is due (``due``, computed as SimPy computes its own time:
the clock plus the delay, so the two are the same float), and a handler reads
the time there rather than through the ``Environment.now`` property; callers
pass the current time in for the same reason. ``tests/test_engine_internals.py``
checks that ``due`` is SimPy's clock whenever a fact is handled.

Facts at the same instant
-------------------------
The one rule, from which every same-instant order follows:

    **Facts due at the same time are handled in the order they were scheduled.**

SimPy orders its queue by (time, priority, insertion counter), and every fact
has ``NORMAL`` priority. What this means for each kind of fact:

* A fact scheduled with a zero delay (a handle of 0 s, a bot session of 0 s)
  comes after every fact already due at that instant, and before any fact
  scheduled later for the same instant.
* Arrivals: one fact stands for the next arrival; it is scheduled when the
  previous arrival has been handled. So a fact scheduled before then for the
  same instant (a handle that ends exactly when the next customer arrives)
  goes first: the agent is free for that customer.
* Duty changes: every change at one instant is handled by one fact, scheduled
  when the previous instant's changes were handled, in the order given in
  ``sim/duty.py``. The first duty fact is scheduled after the first arrival's,
  so an arrival at time 0 comes before the agents who start at 0.
* The end of the run: SimPy's ``until`` event is ``URGENT``, so at ``end``
  it comes before any fact due then: nothing due at ``end`` happens.

Times: SimPy adds the delay to its clock, so a fact at ``now + x`` is scheduled
with delay ``x`` (exactly ``now + x``), and a fact at an absolute time (an
arrival, a duty change) with :meth:`Clock.at`, which picks the delay whose sum
is exactly that time (``now + (t - now)`` can differ from ``t`` by a rounding).
In the rare case no delay reaches ``t`` exactly from ``now`` (``now < t / 2``
and a rounding tie, see :func:`exact_delay`; once in the 108,000 arrivals of a
holiday replication, never with whole seconds) the fact hops: a plain
``Timeout`` at a time reachable exactly on the way schedules it from there. A
fact scheduled in between for exactly ``t`` then goes before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy
from simpy.events import NORMAL

__all__ = ["Callbacks", "Clock", "Fact", "exact_delay"]


class Fact(simpy.Timeout):
    """A future fact about ``row`` (a contact row, an agent, a change index), due at ``due``."""

    __slots__ = ("row", "due")
    row: int
    due: float


Callbacks = list[Callable[[Fact], None]]


class Clock:
    """SimPy's environment and the free list of processed facts."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.spare: list[Fact] = []
        self._schedule = self.env.schedule

    def callbacks(self, handler: Callable[[Fact], None]) -> Callbacks:
        """The callback list shared by every fact of one kind: its handler, then recycling."""
        return [handler, self.spare.append]

    def after(self, now: float, delay: float, callbacks: Callbacks, row: int) -> None:
        """Schedule a fact ``delay >= 0`` seconds after ``now`` (SimPy's clock)."""
        spare = self.spare
        if spare:
            fact = spare.pop()
            fact.callbacks = callbacks
            fact.row = row
            fact.due = now + delay  # exactly SimPy's time for it: its clock plus the delay
            self._schedule(fact, NORMAL, delay)
        else:
            fact = Fact(self.env, delay)
            fact.callbacks = callbacks
            fact.row = row
            fact.due = now + delay

    def at(self, now: float, time: float, callbacks: Callbacks, row: int) -> None:
        """Schedule a fact at exactly ``time``, from ``now`` (SimPy's clock, not after it)."""
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
        hop_fact.callbacks.append(self._hop)

    def _hop(self, ev: simpy.Event) -> None:
        time, callbacks, row = ev.value  # type: ignore[misc]
        self.at(self.env.now, time, callbacks, row)


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
