"""Closed-form queueing results used to validate the contact-center simulator.

All rates are per second and all times are in seconds:

* ``lam`` -- arrival rate (calls per second),
* ``mu`` -- service rate of one agent (``1 / mean handle time``),
* ``theta`` -- abandonment rate of one waiting caller (``1 / mean patience``),
* ``n`` -- number of agents (a positive integer),
* ``a = lam / mu`` -- offered load in Erlangs.

Every model here has Poisson arrivals, exponential handle times and a single
first-come-first-served queue (except :func:`cobham_waits`, which has static
non-preemptive priorities).  The *wait* ``W`` of a caller is always the time it
spends in the queue before reaching an agent (or, in Erlang A, before reaching
an agent or hanging up); handle time is never included.

Functions
---------
erlang_b
    Blocking probability of the M/M/n/n loss system.
erlang_c
    Probability of waiting in the M/M/n delay system.
erlang_c_service_level
    ``P(W <= t)`` in M/M/n.
erlang_c_asa
    Mean wait (average speed of answer) in M/M/n.
erlang_c_mean_wait_waiting
    Mean wait of the callers that do wait, in M/M/n.
erlang_a
    Steady-state performance of M/M/n+M (Erlang A, exponential patience).
cobham_waits
    Mean wait per class in the non-preemptive priority M/M/n queue.
sqrt_staffing
    Square-root staffing rule.
min_agents_for_service_level
    Smallest Erlang C staffing meeting a service-level goal.

This module is the public face of the closed forms; they are implemented in
:mod:`~shiftsim.planning.erlang` (Erlang B/C, staffing rules),
:mod:`~shiftsim.planning.erlang_a` and :mod:`~shiftsim.planning.priority`
(Cobham), on the argument checks of :mod:`~shiftsim.planning.parameters`.
"""

from __future__ import annotations

from shiftsim.planning.erlang import (
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_mean_wait_waiting,
    erlang_c_service_level,
    min_agents_for_service_level,
    sqrt_staffing,
)
from shiftsim.planning.erlang_a import ErlangA, erlang_a
from shiftsim.planning.priority import cobham_waits

__all__ = [
    "ErlangA",
    "cobham_waits",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_mean_wait_waiting",
    "erlang_c_service_level",
    "min_agents_for_service_level",
    "sqrt_staffing",
]
