"""Every shipped scenario loads and runs (horizon shortened to 2 days)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shiftsim.analysis.runner import run
from shiftsim.model.loading import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def test_scenarios_are_shipped() -> None:
    assert {p.name for p in SCENARIOS} >= {"minimal.yaml", "baseline.yaml", "holiday.yaml"}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_runs(path: Path) -> None:
    scenario = load_scenario(path, overrides={"horizon.days": 2, "replications": 2})
    assert scenario.horizon.days == 2
    assert scenario.replications == 2

    progress: list[tuple[int, int]] = []
    result = run(scenario, progress=lambda done, total: progress.append((done, total)))
    assert progress == [(1, 2), (2, 2)]
    assert not result.interrupted
    assert result.replications == 2

    targets = scenario.resolved_targets
    df = result.targets()
    assert len(df) == len(targets)
    assert list(df["target"]) == [t.label for t in targets]
    assert list(df["goal"]) == [t.goal for t in targets]
    for col in ("service_level", "service_level_low", "service_level_high", "p_meet"):
        values = df[col].to_numpy(dtype=float)
        assert ((values >= 0) & (values <= 1)).all(), (col, values)  # NaN fails too
    assert (df["service_level_low"] <= df["service_level"] + 1e-12).all()
    assert (df["service_level"] <= df["service_level_high"] + 1e-12).all()
    # Two replications of two days: at most four days per target, and contacts in each.
    assert (df["days_evaluated"] <= 4).all()
    assert (df["contacts_per_rep"] > 0).all()

    channels = result.channels()
    assert list(channels["channel"]) == list(scenario.channels)
    assert (channels["offered_per_rep"] > 0).all()

    shifts = result.shifts()
    assert len(shifts) == sum(len(p.shifts) for p in scenario.pools.values())
    occupancy = shifts["occupancy"].to_numpy(dtype=float)
    assert ((occupancy >= 0) & (occupancy <= 1)).all(), occupancy


NO_VIPS = """\
name: no vips
horizon: {start: 2026-03-02, days: 2}
replications: 3
channels:
  phone:
    kind: voice
    volume: {per_day: 300}
    handle_time: {dist: exponential, mean: 5min}
pools:
  agents:
    channels: [phone]
    shifts: {day: {headcount: 6}, evening: {headcount: 4}, night: {headcount: 2}}
targets:
  - {channel: phone, within: 5min, goal: 0.8}
  - {channel: phone, within: 5min, goal: 0.8, vip: true}
"""


def run_no_vips(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "no_vips.yaml"
    path.write_text(NO_VIPS, encoding="utf-8")
    return run(load_scenario(path)).targets()


def test_target_without_contacts_has_no_service_level(tmp_path: Path) -> None:
    df = run_no_vips(tmp_path)
    assert df["contacts_per_rep"].tolist()[1] == 0
    assert 0 <= df["service_level"][0] <= 1
    assert np.isnan(df["service_level"][1])
    assert np.isnan(df["p_meet"][1])
    assert df["days_evaluated"][1] == 0


def test_target_without_contacts_does_not_warn(tmp_path: Path) -> None:
    df = run_no_vips(tmp_path)  # warnings are errors in this test suite
    assert np.isnan(df["p_meet"][1])
