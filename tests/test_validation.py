"""The simulator against queueing theory, and proof that the check can fail.

Every case of :mod:`shiftsim.planning.theory_cases` is an ordinary scenario that reduces to
a closed form (Erlang C for 1 to 500 agents, Erlang A, Cobham's priority
waits, chat concurrency as more servers, a bot as thinned arrivals). The
closed form must lie inside the simulation's confidence interval across
replications (:func:`shiftsim.planning.theory_cases.agrees`), and the interval must be
narrow enough to mean something. The perturbed cases change the model in one
way the formula does not know; the same comparison must reject them.

Runs are seeded, so these tests cannot flake. The whole file takes about two
minutes on two cores; only the smallest case runs without ``-m slow``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path

import numpy as np
import pytest

from shiftsim.analysis.statistics import Estimate, ratio_ci
from shiftsim.model.loading import parse_scenario
from shiftsim.planning.theory import erlang_c_asa, erlang_c_service_level
from shiftsim.planning.theory_cases import (
    ASA,
    CASES,
    LEVEL,
    PERTURBED,
    SERVICE_LEVEL,
    Agreement,
    Case,
    agrees,
    compare,
    find_case,
    markdown_tables,
    replace_between_markers,
    simulate,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def params(cases: tuple[Case, ...]) -> list[object]:
    return [pytest.param(c, id=c.key, marks=[pytest.mark.slow] if c.slow else []) for c in cases]


@functools.cache
def simulated(key: str) -> dict[str, Estimate]:
    """Each case is simulated once per session, whichever tests use it."""
    return simulate(find_case(key))


def describe(c: Agreement) -> str:
    e = c.estimate
    return (
        f"{c.case.key} {c.quantity}: theory {c.expected:.4g}, simulation {e.mean:.4g} "
        f"[{e.low:.4g}, {e.high:.4g}] (half-width {e.half_width:.3g}, "
        f"at most {c.max_half_width:.3g})"
    )


# --------------------------------------------------------------------------- #
# The comparison itself
# --------------------------------------------------------------------------- #
def test_agrees_is_inside_the_interval() -> None:
    e = Estimate(mean=0.5, low=0.48, high=0.52, n=30)
    assert agrees(e, 0.5)
    assert agrees(e, 0.48)
    assert agrees(e, 0.52)
    assert not agrees(e, 0.479)
    assert not agrees(e, 0.521)


def test_agrees_never_without_an_interval() -> None:
    assert not agrees(Estimate(0.5, math.nan, math.nan, 1), 0.5)
    assert not agrees(Estimate(math.nan, math.nan, math.nan, 0), 0.5)
    assert not agrees(Estimate(0.5, 0.4, 0.6, 30), math.nan)


def test_a_degenerate_interval_rejects_any_other_value() -> None:
    # An infinite-patience run abandons nobody, in every replication: [0, 0].
    zero = ratio_ci(np.zeros(30), np.full(30, 1000.0), level=LEVEL)
    assert (zero.low, zero.high) == (0.0, 0.0)
    assert agrees(zero, 0.0)
    assert not agrees(zero, 0.05)


def test_cases_are_ordinary_scenarios_with_distinct_seeds() -> None:
    for c in CASES + PERTURBED:
        sc = c.scenario  # validates the data as a YAML file would be
        assert sc.replications >= 20, c.key
        assert sc.horizon.warmup_days >= 1, c.key
        assert set(c.theory) == set(c.max_half_width), c.key
        assert set(c.must_reject) <= set(c.theory), c.key
        assert bool(c.perturbation) == bool(c.must_reject), c.key
    seeds = [c.scenario.seed for c in CASES]
    assert len(set(seeds)) == len(seeds)
    keys = [c.key for c in CASES + PERTURBED]
    assert len(set(keys)) == len(keys)
    # Sizes 1 to 500 agents and loads 0.5 to 0.95 for Erlang C.
    erlang_c = [c for c in CASES if c.model == "Erlang C"]
    agents = {c.scenario.pools["agents"].shifts["all"].headcount for c in erlang_c}
    assert min(agents) == 1
    assert max(agents) == 500
    # Each perturbed case has the size and seed of the case it perturbs.
    for c in PERTURBED:
        base = find_case(c.perturbation.split()[0])
        assert c.scenario.seed == base.scenario.seed
        assert c.scenario.replications == base.scenario.replications
        assert c.scenario.horizon == base.scenario.horizon
        assert c.theory == base.theory


# --------------------------------------------------------------------------- #
# The simulator reproduces the closed forms
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("case", params(CASES))
def test_simulation_reproduces_theory(case: Case) -> None:
    comparisons = compare(case, simulated(case.key))
    assert {c.quantity for c in comparisons} == set(case.theory)
    for c in comparisons:
        assert c.informative, "interval too wide to be informative: " + describe(c)
    for c in comparisons:
        assert c.agrees, "closed form outside the simulated interval: " + describe(c)


# --------------------------------------------------------------------------- #
# ... and the same check rejects a model that is wrong
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("case", params(PERTURBED))
def test_perturbed_model_is_rejected(case: Case) -> None:
    comparisons = {c.quantity: c for c in compare(case, simulated(case.key))}
    for quantity in case.must_reject:
        c = comparisons[quantity]
        assert not c.agrees, f"{case.perturbation}: not rejected: " + describe(c)


def test_mis_specified_formula_is_rejected_on_the_same_run() -> None:
    """The quick loop's version: the formula's handle time 10% off, on erlang-c-1's run."""
    right = find_case("erlang-c-1")
    est = simulated(right.key)
    assert all(c.agrees for c in compare(right, est))
    lam, mu = 0.5 / 300.0, 1 / 330.0
    wrong = dataclasses.replace(
        right,
        theory={
            SERVICE_LEVEL: float(erlang_c_service_level(1, lam, mu, right.within)),
            ASA: erlang_c_asa(1, lam, mu),
        },
    )
    for c in compare(wrong, est):
        assert not c.agrees, describe(c)


# --------------------------------------------------------------------------- #
# The README table
# --------------------------------------------------------------------------- #
def fake(case: Case, quantity: str, mean: float, hw: float) -> Agreement:
    e = Estimate(mean, mean - hw, mean + hw, 30)
    return Agreement(case, quantity, case.theory[quantity], e, case.max_half_width[quantity])


def test_markdown_tables() -> None:
    c = find_case("erlang-c-10")
    sl = c.theory[SERVICE_LEVEL]
    good = fake(c, SERVICE_LEVEL, sl + 0.001, 0.01)
    bad = fake(c, ASA, c.theory[ASA] * 2, 1.0)
    wide = fake(find_case("erlang-c-1"), SERVICE_LEVEL, 0.5, 0.2)
    p = PERTURBED[0]
    rejected = fake(p, SERVICE_LEVEL, sl - 0.2, 0.01)
    not_rejected = fake(p, ASA, p.theory[ASA], 1.0)
    text = markdown_tables([good, bad, wide], [rejected, not_rejected])
    lines = text.splitlines()
    assert lines[0].startswith(
        "| case | model | center | quantity | theory | simulation (99.99% CI)"
    )
    assert lines[2].startswith("| erlang-c-10 | Erlang C | 10 agents, load 0.80, handle 5min |")
    assert "| P(wait <= 20s) |" in lines[2]
    assert f"| {100 * sl:.1f}% |" in lines[2]
    assert lines[2].endswith("| yes |")
    assert lines[3].startswith("| erlang-c-10 |  |  | ASA |")  # same case: model and center once
    assert lines[3].endswith("| **NO** |")
    assert lines[4].startswith("| erlang-c-1 | Erlang C | 1 agent, load 0.50,")
    assert lines[4].endswith("| yes (**interval too wide**) |")
    perturbed = [line for line in lines if line.startswith(f"| {p.key} |")]
    assert len(perturbed) == 2
    assert perturbed[0].endswith("| yes |")
    assert perturbed[1].endswith("| **NO** |")
    assert lines[-1].startswith("3 runs, ")


def test_replace_between_markers() -> None:
    text = "intro\n<!-- validation:start -->\nold\ntable\n<!-- validation:end -->\nafter\n"
    out = replace_between_markers(text, "new table\n")
    assert out == "intro\n<!-- validation:start -->\nnew table\n<!-- validation:end -->\nafter\n"
    assert replace_between_markers(out, "new table") == out  # idempotent
    for broken in ("no markers", "<!-- validation:end -->\n<!-- validation:start -->"):
        with pytest.raises(ValueError, match="validation:start"):
            replace_between_markers(broken, "x")


def test_readme_table_lists_every_case() -> None:
    """Adding a case without running ``scripts/validation_table.py`` fails here."""
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- validation:start -->", "<!-- validation:end -->"
    assert text.count(start) == 1
    assert text.count(end) == 1
    block = text[text.index(start) : text.index(end)]
    for c in CASES:
        rows = [line for line in block.splitlines() if line.startswith(f"| {c.key} |")]
        assert len(rows) == len(c.theory), (c.key, rows)
    for c in PERTURBED:
        assert f"| {c.key} |" in block, c.key
    assert "**NO**" not in block
    assert "too wide" not in block


def test_bot_case_uses_the_queue_time_left_by_the_session() -> None:
    """The target clock starts at arrival; a constant session leaves ``within - session``."""
    c = find_case("bot-30")
    sc = parse_scenario(c.data)
    bot = sc.channels["chat"].bot
    assert bot is not None
    session = bot.session_time.mean
    lam = sc.channels["chat"].volume.per_day / 86400 * (1 - bot.containment)
    expected = erlang_c_service_level(10, lam, 1 / 300, c.within - session)
    assert c.theory[SERVICE_LEVEL] == pytest.approx(expected)
