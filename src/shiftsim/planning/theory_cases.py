"""The validation cases: scenarios that reduce to a closed form, and perturbed ones.

Each case of :data:`CASES` is a center whose queue has a closed form in
:mod:`shiftsim.planning.theory`: Poisson arrivals at a constant rate (flat hourly
profile, no forecast error), exponential handle times and one pool on duty
around the clock (Erlang C for 1 to 500 agents, Erlang A, Cobham's priority
waits, chat concurrency as more servers, a bot as thinned arrivals). The
machinery that runs a case and compares it with its closed form
(:func:`~shiftsim.planning.agreement.simulate`,
:func:`~shiftsim.planning.agreement.agrees`, the Markdown tables) is in
:mod:`shiftsim.planning.agreement` and re-exported here.

:data:`PERTURBED` holds the same kind of cases with one thing wrong that the
theory does not know about (handle time 10% off, patience ignored, priorities
not honoured). The same comparison must reject them, which shows that the
intervals are narrow enough to catch such an error.

``tests/test_validation.py`` and ``scripts/validation_table.py`` (which writes
the README's validation table) both use these definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shiftsim.model.durations import format_duration
from shiftsim.model.formats import percent
from shiftsim.model.names import PRIORITIES, Priority
from shiftsim.planning.agreement import (
    ABANDONMENT,
    ASA,
    CONTAINMENT,
    LEVEL,
    SERVICE_LEVEL,
    SHARES,
    WAIT,
    Agreement,
    Case,
    agrees,
    compare,
    markdown_tables,
    replace_between_markers,
    replication_sums,
    simulate,
)
from shiftsim.planning.theory import cobham_waits, erlang_a, erlang_c_asa, erlang_c_service_level

__all__ = [
    "ABANDONMENT",
    "ASA",
    "CASES",
    "CONTAINMENT",
    "LEVEL",
    "PERTURBED",
    "SERVICE_LEVEL",
    "WAIT",
    "Agreement",
    "Case",
    "agrees",
    "bot_case",
    "chat_case",
    "compare",
    "erlang_a_case",
    "erlang_c_case",
    "find_case",
    "markdown_tables",
    "priority_case",
    "replace_between_markers",
    "replication_sums",
    "simulate",
]

# Informative intervals (half-width at LEVEL): a share within +-3 points, a mean
# time within +-25% of the closed form. Cases may be stricter or, with a reason,
# looser.
_SHARE_HALF_WIDTH = 0.03
_TIME_RELATIVE_HALF_WIDTH = 0.25


def _center(
    *,
    agents: int,
    per_second: float,
    handle: float,
    within: float,
    days: int,
    replications: int,
    seed: int,
    kind: str = "voice",
    concurrency: int = 1,
    patience: float | None = None,
    priorities: Mapping[Priority, float] | None = None,
    bot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-channel, one-pool center staffed around the clock, as scenario data.

    Constant Poisson arrivals (flat profile, ``daily_cv: 0``), exponential
    handle times, every agent on duty every day (``pattern: '1'``, one
    00:00-24:00 shift, no shrinkage), one warm-up day so that queues start in
    their stationary regime.
    """
    channel: dict[str, Any] = {
        "kind": kind,
        "volume": {"per_day": per_second * 86400, "hourly_profile": [1] * 24, "daily_cv": 0},
        "handle_time": {"dist": "exponential", "mean": f"{handle:g}s"},
    }
    if concurrency != 1:
        channel["concurrency"] = concurrency
    if patience is not None:
        channel["patience"] = {"dist": "exponential", "mean": f"{patience:g}s"}
    if priorities is not None:
        channel["priorities"] = priorities
    if bot is not None:
        channel["bot"] = bot
    return {
        "name": "validation",
        "horizon": {"start": "2026-01-05", "days": days, "warmup": "1d"},
        "replications": replications,
        "seed": seed,
        "channels": {kind: channel},
        "pools": {
            "agents": {
                "channels": [kind],
                "rotation": {"pattern": "1"},
                "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": agents}},
            }
        },
        "targets": [{"channel": kind, "within": f"{within:g}s", "goal": 0.8}],
    }


def _agents(n: int) -> str:
    return f"{n} agent" if n == 1 else f"{n} agents"


def _precision(
    theory: dict[str, float], overrides: dict[str, float] | None = None
) -> dict[str, float]:
    """Widest informative half-width per quantity.

    ``overrides`` replace the defaults: absolute for shares, relative to the
    closed form for times.
    """
    relative = {q: _TIME_RELATIVE_HALF_WIDTH for q in theory if q not in SHARES}
    absolute = {q: _SHARE_HALF_WIDTH for q in theory if q in SHARES}
    for q, v in (overrides or {}).items():
        (absolute if q in SHARES else relative)[q] = v
    return {q: absolute[q] if q in SHARES else relative[q] * v for q, v in theory.items()}


def _erlang_c_theory(servers: int, lam: float, handle: float, within: float) -> dict[str, float]:
    mu = 1.0 / handle
    return {
        SERVICE_LEVEL: float(erlang_c_service_level(servers, lam, mu, within)),
        ASA: erlang_c_asa(servers, lam, mu),
    }


def erlang_c_case(
    key: str,
    agents: int,
    load: float,
    handle: float,
    within: float,
    days: int,
    replications: int,
    seed: int,
    *,
    slow: bool = False,
    simulated_handle: float | None = None,
    precision: dict[str, float] | None = None,
    perturbation: str = "",
    must_reject: tuple[str, ...] = (),
) -> Case:
    """M/M/n: ``agents`` agents at ``load`` (offered Erlangs per agent).

    ``simulated_handle`` puts a different mean handle time in the scenario than
    the one the theory uses (a perturbed case); ``precision`` overrides the
    widest informative half-widths (absolute for shares, relative for times).
    """
    lam = load * agents / handle
    data = _center(
        agents=agents, per_second=lam, handle=simulated_handle or handle, within=within,
        days=days, replications=replications, seed=seed,
    )  # fmt: skip
    theory = _erlang_c_theory(agents, lam, handle, within)
    return Case(
        key=key,
        model="Erlang C",
        setup=f"{_agents(agents)}, load {load:.2f}, handle {format_duration(handle)}",
        data=data,
        theory=theory,
        max_half_width=_precision(theory, precision),
        perturbation=perturbation,
        must_reject=must_reject,
        slow=slow,
    )


def erlang_a_case(
    key: str,
    agents: int,
    load: float,
    handle: float,
    patience: float,
    within: float,
    days: int,
    replications: int,
    seed: int,
    *,
    slow: bool = False,
    simulate_patience: bool = True,
    perturbation: str = "",
    must_reject: tuple[str, ...] = (),
) -> Case:
    """M/M/n+M: exponential patience with mean ``patience``, no retries."""
    lam = load * agents / handle
    data = _center(
        agents=agents, per_second=lam, handle=handle, within=within, days=days,
        replications=replications, seed=seed,
        patience=patience if simulate_patience else None,
    )  # fmt: skip
    a = erlang_a(agents, lam, 1.0 / handle, 1.0 / patience)
    theory = {
        SERVICE_LEVEL: float(a.sl_all(within)),
        ABANDONMENT: a.p_abandon,
        ASA: a.mean_wait_served,
    }
    return Case(
        key=key,
        model="Erlang A",
        setup=(
            f"{agents} agents, load {load:.2f}, handle {format_duration(handle)}, "
            f"patience {format_duration(patience)}"
        ),
        data=data,
        theory=theory,
        max_half_width=_precision(theory, {ABANDONMENT: 0.01}),
        perturbation=perturbation,
        must_reject=must_reject,
        slow=slow,
    )


def priority_case(
    key: str,
    agents: int,
    load: float,
    handle: float,
    shares: tuple[float, float, float],
    within: float,
    days: int,
    replications: int,
    seed: int,
    *,
    slow: bool = False,
    honoured: bool = True,
    perturbation: str = "",
    must_reject: tuple[str, ...] = (),
) -> Case:
    """Non-preemptive priorities, equal exponential service: Cobham's per-class waits.

    With ``honoured=False`` the scenario has no priorities (one FCFS queue) and
    each contact gets a class label drawn with ``shares`` after the fact.
    """
    lam = load * agents / handle
    mix = {p: s for p, s in zip(PRIORITIES, shares, strict=True) if s > 0}
    data = _center(
        agents=agents, per_second=lam, handle=handle, within=within, days=days,
        replications=replications, seed=seed, priorities=mix if honoured else None,
    )  # fmt: skip
    waits = cobham_waits(agents, [lam * s for s in shares], 1.0 / handle)
    theory = {WAIT[p]: float(w) for p, w, s in zip(PRIORITIES, waits, shares, strict=True) if s > 0}
    # Work conservation: the mean over all classes is the FCFS (Erlang C) mean.
    theory[ASA] = erlang_c_asa(agents, lam, 1.0 / handle)
    mix_text = "/".join(percent(s, 0) for s in shares)
    return Case(
        key=key,
        model="Cobham (priorities)",
        setup=(
            f"{agents} agents, load {load:.2f}, handle {format_duration(handle)}, "
            f"urgent/important/general {mix_text}"
        ),
        data=data,
        theory=theory,
        max_half_width=_precision(theory),
        relabel=None if honoured else shares,
        perturbation=perturbation,
        must_reject=must_reject,
        slow=slow,
    )


def chat_case(
    key: str,
    agents: int,
    concurrency: int,
    load: float,
    handle: float,
    within: float,
    days: int,
    replications: int,
    seed: int,
    *,
    slow: bool = False,
) -> Case:
    """Chat agents holding ``concurrency`` chats each, handle time not depending on it.

    Equivalent to ``agents * concurrency`` servers of an M/M/n queue.
    """
    servers = agents * concurrency
    lam = load * servers / handle
    data = _center(
        agents=agents, per_second=lam, handle=handle, within=within, days=days,
        replications=replications, seed=seed, kind="chat", concurrency=concurrency,
    )  # fmt: skip
    theory = _erlang_c_theory(servers, lam, handle, within)
    return Case(
        key=key,
        model=f"Erlang C, {servers} servers",
        setup=(
            f"chat, {agents} agents x concurrency {concurrency}, load {load:.2f} per slot, "
            f"handle {format_duration(handle)}"
        ),
        data=data,
        theory=theory,
        max_half_width=_precision(theory),
        slow=slow,
    )


def bot_case(
    key: str,
    agents: int,
    load: float,
    containment: float,
    session: float,
    handle: float,
    within: float,
    days: int,
    replications: int,
    seed: int,
    *,
    slow: bool = False,
) -> Case:
    """A 24/7 bot with constant session time in front of chat, containing a share.

    The contacts it hands over form a Poisson stream thinned by
    ``1 - containment`` and shifted by the constant session: an M/M/n queue at
    load ``(1 - containment) * a``. The target clock starts at arrival, so the
    queue may use ``within - session`` of it.
    """
    human_lam = load * agents / handle
    lam = human_lam / (1.0 - containment)
    bot = {
        "containment": containment,
        "session_time": {"dist": "constant", "value": f"{session:g}s"},
    }
    data = _center(
        agents=agents, per_second=lam, handle=handle, within=within, days=days,
        replications=replications, seed=seed, kind="chat", bot=bot,
    )  # fmt: skip
    theory = _erlang_c_theory(agents, human_lam, handle, within - session)
    theory[CONTAINMENT] = containment
    return Case(
        key=key,
        model=f"Erlang C, load x {1 - containment:.2f}",
        setup=(
            f"chat bot containing {percent(containment, 0)} ({format_duration(session)} sessions) "
            f"before {agents} agents, human load {load:.2f}, handle {format_duration(handle)}"
        ),
        data=data,
        theory=theory,
        max_half_width=_precision(theory, {CONTAINMENT: 0.01}),
        slow=slow,
    )


MINUTE = 60.0

# Sizes: the cost of a run is its number of contacts (about 100k per second),
# and the precision of a stationary estimate grows with the number of mean
# handle times simulated, so large centers get long handle times (fewer
# contacts per day) and more days. Each case has its own seed: cases sharing
# random streams would not be independent checks.
CASES: tuple[Case, ...] = (
    erlang_c_case("erlang-c-1", 1, 0.50, 5 * MINUTE, 20, days=30, replications=30, seed=101),
    erlang_c_case("erlang-c-10", 10, 0.80, 5 * MINUTE, 20, days=8, replications=30, seed=102,
                  slow=True),
    erlang_c_case("erlang-c-50", 50, 0.90, 10 * MINUTE, 20, days=6, replications=30, seed=103,
                  slow=True),
    # 500 agents at 0.95: ASA (about 50 s) is small next to the queue's slow
    # fluctuations; the service level carries the check, ASA may be +-35%.
    erlang_c_case("erlang-c-500", 500, 0.95, 2 * 60 * MINUTE, 40, days=20, replications=30,
                  seed=104, slow=True, precision={ASA: 0.35}),
    erlang_a_case("erlang-a-20", 20, 0.95, 5 * MINUTE, 10 * MINUTE, 20, days=5, replications=30,
                  seed=201, slow=True),
    erlang_a_case("erlang-a-50-overload", 50, 1.10, 10 * MINUTE, 5 * MINUTE, 20, days=3,
                  replications=30, seed=202, slow=True),
    priority_case("cobham-10", 10, 0.85, 5 * MINUTE, (0.2, 0.3, 0.5), 20, days=10,
                  replications=30, seed=301, slow=True),
    chat_case("chat-8x3", 8, 3, 0.85, 10 * MINUTE, 60, days=8, replications=30, seed=401,
              slow=True),
    bot_case("bot-30", 10, 0.80, 0.30, 10, 5 * MINUTE, 30, days=8, replications=30, seed=501,
             slow=True),
)  # fmt: skip
"""Cases the simulator must reproduce."""

# Each perturbed case is a case of CASES (same size and seed) with one change.
PERTURBED: tuple[Case, ...] = (
    erlang_c_case(
        "handle-10pct-off", 10, 0.80, 5 * MINUTE, 20, days=8, replications=30, seed=102,
        simulated_handle=5.5 * MINUTE, slow=True,
        perturbation="erlang-c-10 with mean handle 5.5min in the scenario, 5min in the formula",
        must_reject=(SERVICE_LEVEL, ASA),
    ),
    erlang_a_case(
        "patience-ignored", 20, 0.95, 5 * MINUTE, 10 * MINUTE, 20, days=5, replications=30,
        seed=201, simulate_patience=False, slow=True,
        perturbation="erlang-a-20 with patience removed from the scenario (customers wait forever)",
        must_reject=(SERVICE_LEVEL, ABANDONMENT, ASA),
    ),
    priority_case(
        "priorities-ignored", 10, 0.85, 5 * MINUTE, (0.2, 0.3, 0.5), 20, days=10,
        replications=30, seed=301, honoured=False, slow=True,
        perturbation="cobham-10 served first come, first served (classes labelled at random)",
        must_reject=(WAIT["urgent"], WAIT["general"]),
    ),
)  # fmt: skip
"""Cases with one thing wrong that the theory does not know; the comparison must reject them."""


def find_case(key: str) -> Case:
    """A case of :data:`CASES` or :data:`PERTURBED`, by key."""
    everything = (*CASES, *PERTURBED)
    for c in everything:
        if c.key == key:
            return c
    raise KeyError(f"no validation case {key!r} (known: {', '.join(c.key for c in everything)})")
