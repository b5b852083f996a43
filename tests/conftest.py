"""Shared test helpers: scenarios from dicts and hand-made arrivals."""

from __future__ import annotations

import copy
import os
from typing import Any

# One BLAS thread, set before numpy loads (worker processes inherit it): the
# matrices here are small, and on a busy 2-core machine OpenBLAS threads
# contending for the cores made a 125-state Erlang A reference chain 50x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from shiftsim.model.loading import parse_scenario  # noqa: E402
from shiftsim.model.names import PRIORITIES  # noqa: E402
from shiftsim.model.scenario import Scenario  # noqa: E402
from shiftsim.sim.arrivals import Calendar, Contacts  # noqa: E402
from shiftsim.sim.engine import EngineResult, run_engine  # noqa: E402
from shiftsim.sim.randomness import Source, stream  # noqa: E402
from shiftsim.sim.replication import engine_rules  # noqa: E402
from shiftsim.sim.roster import build_roster  # noqa: E402

# The longest test files, longest first: handed out first so that the two
# workers of `pytest -n auto --dist loadfile` (pyproject.toml) finish together
# instead of one starting the notebooks when the other is done.
LONGEST_FIRST = ("test_notebooks.py", "test_readme.py", "test_interrupts.py", "test_fuzz.py",
                 "test_validation.py", "test_staffing.py", "test_htmlreport.py")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept


BASE: dict[str, Any] = {
    "horizon": {"start": "2026-03-02", "days": 3},
    "replications": 1,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {"per_day": 100},
            "handle_time": {"dist": "constant", "value": "1000s"},
        }
    },
    "pools": {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 1}},
        }
    },
}


def scenario_from(**changes: Any) -> Scenario:
    """BASE with top-level keys replaced (deep-copied)."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return parse_scenario(data)


def contacts_at(scenario: Scenario, rows: list[dict[str, Any]]) -> Contacts:
    """Contacts with given arrival times; unspecified attributes are neutral.

    Each row: ``t`` (arrival, s) and optionally ``channel`` (name), ``priority``
    (name), ``vip``, ``handle``, ``patience``, ``bot``, ``bot_session``,
    ``contained``, ``department`` (index), ``dept_delay``, ``dept_delay_off``,
    ``closing``, ``due``.
    """
    names = list(scenario.channels)
    rows = sorted(rows, key=lambda r: r["t"])
    n = len(rows)

    def col(key: str, default: Any, dtype: Any) -> np.ndarray:
        return np.array([r.get(key, default) for r in rows], dtype=dtype).reshape(n)

    arrival = col("t", 0.0, float)
    return Contacts(
        channel=np.array([names.index(r.get("channel", names[0])) for r in rows], dtype=np.int8),
        arrival=arrival,
        priority=np.array([PRIORITIES.index(r.get("priority", "general")) for r in rows], np.int8),
        vip=col("vip", False, bool),
        handle=col("handle", 1000.0, float),
        patience=col("patience", np.inf, float),
        bot=col("bot", False, bool),
        bot_session=col("bot_session", 0.0, float),
        contained=col("contained", False, bool),
        department=col("department", -1, np.int8),
        dept_delay=col("dept_delay", 0.0, float),
        dept_delay_off=col("dept_delay_off", 0.0, float),
        closing=col("closing", 0.0, float),
        due=np.array([r.get("due", r["t"]) for r in rows], dtype=float),
    )


def run_timeline(scenario: Scenario, rows: list[dict[str, Any]]) -> EngineResult:
    """Run the engine on hand-made arrivals with the scenario's roster and rules."""
    cal = Calendar.of(scenario)
    roster = build_roster(scenario, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)
    channels, pools, departments = engine_rules(scenario)
    rng = stream(scenario.seed, 0, Source.RETRY)
    contacts = contacts_at(scenario, rows)
    return run_engine(contacts, channels, pools, departments, roster, cal.end, rng)


@pytest.fixture
def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)
