"""The simulator against queueing theory: validation cases and the one comparison.

Each :class:`Case` is an ordinary scenario, written as the plain data a YAML
file would give, whose center reduces to a queue with a closed form in
:mod:`shiftsim.planning.theory`: Poisson arrivals at a constant rate (flat hourly
profile, no forecast error), exponential handle times and one pool on duty
around the clock. :func:`simulate` runs its replications and estimates the
quantities the theory predicts, each with a :data:`LEVEL` (99.99%) confidence
interval across replications; :func:`agrees` is the single comparison used everywhere: the
closed form must lie inside that interval. The tolerance therefore comes from
the run, not from a hand-picked slack; each case also states how narrow its
intervals must be to be informative (:attr:`Agreement.informative`).

:data:`PERTURBED` holds the same kind of cases with one thing wrong that the
theory does not know about (handle time 10% off, patience ignored, priorities
not honoured). The same comparison must reject them, which shows that the
intervals are narrow enough to catch such an error.

``tests/test_validation.py`` and ``scripts/validation_table.py`` (which writes
the README's validation table) both use these definitions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shiftsim.analysis.metrics import measure
from shiftsim.analysis.statistics import Estimate, ratio_ci
from shiftsim.model.durations import format_duration
from shiftsim.model.loading import parse_scenario
from shiftsim.model.names import PRIORITIES
from shiftsim.model.scenario import Scenario
from shiftsim.planning.theory import cobham_waits, erlang_a, erlang_c_asa, erlang_c_service_level
from shiftsim.sim.randomness import Source, stream
from shiftsim.sim.replication import run_replication

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

LEVEL = 0.9999
"""Confidence level of the intervals the closed forms must fall in.

Higher than the 0.999 one might use for a single check because the suite makes
about 30 comparisons: at 0.999 a harmless change to the random streams would
fail one of them by chance about once in 30 reseedings (it happened while the
cases were sized: ``cobham-10``'s general-class wait, seed 301, fell just
outside while 150 replications showed no bias); at 0.9999 about once in 300.
The intervals are only ~23% wider, and :data:`PERTURBED` shows they still
reject a 10% error in handle time."""

SERVICE_LEVEL = "service level"
ASA = "ASA"
ABANDONMENT = "abandonment"
CONTAINMENT = "containment"
WAIT = {p: f"mean wait {p}" for p in PRIORITIES}
"""Quantity names: shares (service level, abandonment, containment) and times (s)."""

SHARES = frozenset({SERVICE_LEVEL, ABANDONMENT, CONTAINMENT})

# Informative intervals (half-width at LEVEL): a share within +-3 points, a mean
# time within +-25% of the closed form. Cases may be stricter or, with a reason,
# looser.
_SHARE_HALF_WIDTH = 0.03
_TIME_RELATIVE_HALF_WIDTH = 0.25


@dataclass(frozen=True)
class Case:
    """A scenario that reduces to a closed form, and the closed form's values.

    Attributes
    ----------
    key
        Short identifier (test id, table row).
    model
        The closed form (``"Erlang C"``, ``"Erlang A"``, ...).
    setup
        The center in words, for the table.
    data
        The scenario, as plain YAML-like data.
    theory
        Quantity name -> closed-form value (shares in [0, 1], times in seconds).
    max_half_width
        Quantity name -> widest acceptable half-width of the simulated interval.
    relabel
        For a run without priorities: give each contact a class drawn with
        these (urgent, important, general) shares, independent of how it was
        served, and measure per-class waits by that label.
    perturbation
        For a perturbed case: what is wrong with the scenario.
    must_reject
        For a perturbed case: quantities whose comparison must fail.
    slow
        Whether the test of this case is marked slow.
    """

    key: str
    model: str
    setup: str
    data: dict[str, Any] = field(compare=False, repr=False)
    theory: dict[str, float] = field(compare=False)
    max_half_width: dict[str, float] = field(compare=False, repr=False)
    relabel: tuple[float, float, float] | None = None
    perturbation: str = ""
    must_reject: tuple[str, ...] = ()
    slow: bool = False

    @functools.cached_property
    def scenario(self) -> Scenario:
        """The validated scenario."""
        return parse_scenario(self.data, source=f"validation case {self.key}")

    @property
    def within(self) -> float:
        """Seconds of the service-level target."""
        return self.scenario.resolved_targets[0].within

    @property
    def contacts(self) -> float:
        """Expected first attempts over all replications (warm-up included): the run's cost."""
        sc = self.scenario
        days = sc.horizon.days + sc.horizon.warmup_days
        return sum(ch.volume.per_day for ch in sc.channels.values()) * days * sc.replications


@dataclass(frozen=True)
class Agreement:
    """One quantity of one case: closed form against the simulated interval."""

    case: Case
    quantity: str
    expected: float
    estimate: Estimate
    max_half_width: float

    @property
    def agrees(self) -> bool:
        """Whether the closed form lies in the simulated interval (see :func:`agrees`)."""
        return agrees(self.estimate, self.expected)

    @property
    def informative(self) -> bool:
        """Whether the interval is narrow enough for agreement to mean something."""
        return bool(self.estimate.half_width <= self.max_half_width)

    @property
    def label(self) -> str:
        if self.quantity == SERVICE_LEVEL:
            return f"P(wait <= {format_duration(self.case.within)})"
        return self.quantity


def agrees(estimate: Estimate, expected: float) -> bool:
    """Whether ``expected`` lies inside the confidence interval of ``estimate``.

    The one comparison of the validation suite, used by the cases that must
    agree and by the perturbed ones that must not. An estimate without an
    interval (NaN bounds, fewer than two replications) never agrees.

    Parameters
    ----------
    estimate
        Simulated value with its interval (e.g. ``ratio_ci(..., level=LEVEL)``).
    expected
        Closed-form value.
    """
    return bool(estimate.low <= expected <= estimate.high)


# --------------------------------------------------------------------------- #
# Running a case
# --------------------------------------------------------------------------- #
def replication_sums(case: Case, index: int) -> dict[str, tuple[float, float]]:
    """Numerator and denominator of each of the case's quantities in replication ``index``.

    Shares and mean waits are ratios pooled over the contacts of the reported
    horizon, so that :func:`~shiftsim.analysis.statistics.ratio_ci` gives their interval
    across replications. Service level, ASA, abandonment and containment are
    the KPIs a user reads (:func:`shiftsim.analysis.metrics.measure`); per-class waits
    come from the contact log.
    """
    sc = case.scenario
    rep = run_replication(sc, index)
    m = measure(rep, sc)
    out: dict[str, tuple[float, float]] = {
        SERVICE_LEVEL: (float(m.target_met[0].sum()), float(m.target_eligible[0].sum())),
        ASA: (float(m.wait_sum[0]), float(m.answered[0])),
        ABANDONMENT: (float(m.abandoned[0]), float(m.queued[0])),
        CONTAINMENT: (float(m.deflected[0]), float(m.bot_offered[0])),
    }
    if any(WAIT[p] in case.theory for p in PRIORITIES):
        log, cal = rep.result.log, rep.calendar
        sel = (log.arrival >= cal.report_start) & (log.arrival < cal.report_end)
        sel &= ~np.isnan(log.answered)
        wait = (log.answered - log.queued)[sel]
        if case.relabel is None:
            label = log.priority[sel]
        else:
            rng = stream(sc.seed, index, Source.PRIORITY, "validation relabel")
            label = rng.choice(len(PRIORITIES), size=wait.size, p=np.asarray(case.relabel))
        for k, p in enumerate(PRIORITIES):
            out[WAIT[p]] = (float(wait[label == k].sum()), float((label == k).sum()))
    return {q: out[q] for q in case.theory}


def simulate(case: Case, executor: Executor | None = None) -> dict[str, Estimate]:
    """Run the case's replications; each quantity's estimate with its ``LEVEL`` interval.

    Parameters
    ----------
    case
        What to run.
    executor
        Where replications run; ``None`` runs them one after another here.
        Results do not depend on it (replication ``r`` is seeded by ``r``).
    """
    indices = range(case.scenario.replications)
    if executor is None:
        sums = [replication_sums(case, r) for r in indices]
    else:
        sums = list(executor.map(replication_sums, [case] * len(indices), indices))
    out = {}
    for q in case.theory:
        num = np.array([s[q][0] for s in sums])
        den = np.array([s[q][1] for s in sums])
        out[q] = ratio_ci(num, den, level=LEVEL)
    return out


def compare(case: Case, estimates: dict[str, Estimate]) -> list[Agreement]:
    """Pair each closed-form value of ``case`` with its simulated estimate."""
    return [
        Agreement(case, q, expected, estimates[q], case.max_half_width[q])
        for q, expected in case.theory.items()
    ]


# --------------------------------------------------------------------------- #
# The cases
# --------------------------------------------------------------------------- #
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
    priorities: dict[str, float] | None = None,
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
    mix_text = "/".join(f"{s:.0%}" for s in shares)
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
            f"chat bot containing {containment:.0%} ({format_duration(session)} sessions) "
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


# --------------------------------------------------------------------------- #
# The README table
# --------------------------------------------------------------------------- #
def _value(quantity: str, x: float) -> str:
    if math.isnan(x):
        return "-"
    if quantity in SHARES:
        return f"{100 * x:.1f}%"
    return f"{x:.1f} s"


def _interval(quantity: str, e: Estimate) -> str:
    if math.isnan(e.low):
        return f"{_value(quantity, e.mean)} (no interval)"
    if quantity in SHARES:
        return f"{100 * e.mean:.1f}% ({100 * e.low:.1f} to {100 * e.high:.1f})"
    return f"{e.mean:.1f} s ({e.low:.1f} to {e.high:.1f})"


def markdown_tables(results: Iterable[Agreement], perturbed: Iterable[Agreement] = ()) -> str:
    """The validation tables, in Markdown: cases that must agree, then perturbed ones.

    A case's model and center are written on its first row only.
    """
    ci = f"simulation ({100 * LEVEL:g}% CI)"
    lines = [
        f"| case | model | center | quantity | theory | {ci} | agrees |",
        "|---|---|---|---|---|---|---|",
    ]
    seen: set[str] = set()
    contacts = 0.0
    for c in results:
        first = c.case.key not in seen
        if first:
            seen.add(c.case.key)
            contacts += c.case.contacts
        verdict = "yes" if c.agrees else "**NO**"
        if not c.informative:
            verdict += " (**interval too wide**)"
        model, setup = (c.case.model, c.case.setup) if first else ("", "")
        lines.append(
            f"| {c.case.key} | {model} | {setup} | {c.label} | "
            f"{_value(c.quantity, c.expected)} | {_interval(c.quantity, c.estimate)} | {verdict} |"
        )
    rows = [c for c in perturbed if c.quantity in c.case.must_reject]
    if rows:
        lines += [
            "",
            "Perturbed models: the same comparison must reject them.",
            "",
            f"| case | what is wrong | quantity | theory | {ci} | rejected |",
            "|---|---|---|---|---|---|",
        ]
        for c in rows:
            first = c.case.key not in seen
            if first:
                seen.add(c.case.key)
                contacts += c.case.contacts
            what = c.case.perturbation if first else ""
            lines.append(
                f"| {c.case.key} | {what} | {c.label} | {_value(c.quantity, c.expected)} | "
                f"{_interval(c.quantity, c.estimate)} | {'**NO**' if c.agrees else 'yes'} |"
            )
    lines += [
        "",
        f"{len(seen)} runs, {contacts / 1e6:.1f} million simulated customers. "
        "Written by `scripts/validation_table.py`; do not edit by hand.",
    ]
    return "\n".join(lines)


def replace_between_markers(
    text: str, block: str, start: str = "<!-- validation:start -->",
    end: str = "<!-- validation:end -->",
) -> str:  # fmt: skip
    """Replace what lies between the ``start`` and ``end`` marker lines of ``text``.

    Raises
    ------
    ValueError
        If the markers are missing, repeated or out of order.
    """
    i, j = text.find(start), text.find(end)
    if i < 0 or j < 0 or j < i or text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one {start!r} followed by one {end!r} (found {i=}, {j=})")
    return f"{text[: i + len(start)]}\n{block.strip()}\n{text[j:]}"


def find_case(key: str) -> Case:
    """A case of :data:`CASES` or :data:`PERTURBED`, by key."""
    everything = (*CASES, *PERTURBED)
    for c in everything:
        if c.key == key:
            return c
    raise KeyError(f"no validation case {key!r} (known: {', '.join(c.key for c in everything)})")
