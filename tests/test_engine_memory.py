"""A finished replication must not keep its engine alive.

Found while sizing the validation suite: a process that runs replications one
after another (the serial runner, each worker of a pool, the validation suite)
grows by the engine's per-contact state of every replication, about 70 MB per
120,000 contacts, until Python's full cyclic collection happens to run; 30
replications of the 500-agent validation case peaked at 2.2 GB.
"""

from __future__ import annotations

import gc

import pytest

from shiftsim.model.loading import parse_scenario
from shiftsim.sim.engine import _Engine
from shiftsim.sim.replication import run_replication

SMALL = {
    "horizon": {"start": "2026-03-02", "days": 1},
    "replications": 1,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {"per_day": 500, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "5min"},
            "patience": {"dist": "exponential", "mean": "5min"},
        }
    },
    "pools": {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"day": {"headcount": 3}, "evening": {"headcount": 2}},
        }
    },
}


def test_a_replication_frees_its_engine_without_the_cyclic_gc() -> None:
    scenario = parse_scenario(SMALL)
    gc.collect()
    gc.disable()
    try:
        rep = run_replication(scenario, 0)
        alive = [o for o in gc.get_objects() if isinstance(o, _Engine)]
    finally:
        gc.enable()
    assert len(rep.result.log) > 0
    assert alive == []


def test_the_cyclic_gc_is_paused_in_a_replication(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paused while the engine runs, then as it was (also when the engine fails)."""
    import shiftsim.sim.replication as replication

    seen: list[bool] = []
    real = replication.run_engine

    def engine(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(replication, "run_engine", engine)
    scenario = parse_scenario(SMALL)
    assert gc.isenabled()
    run_replication(scenario, 0)
    assert seen == [False]
    assert gc.isenabled()
    # Left as it was when it was off, and turned back on after a failure.
    gc.disable()
    try:
        run_replication(scenario, 0)
    finally:
        was_off = not gc.isenabled()
        gc.enable()
    assert was_off

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("engine failed")

    monkeypatch.setattr(replication, "run_engine", broken)
    with pytest.raises(RuntimeError, match="engine failed"):
        run_replication(scenario, 0)
    assert gc.isenabled()
