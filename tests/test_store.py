"""The results folder: content, atomic writing, interruption and resume."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import run
from shiftsim.cli import main
from shiftsim.model.loading import load_scenario
from shiftsim.outputs.store import OutputError, ResultsFolder, load_results


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("scenarios/holiday.yaml", {"replications": 3, "horizon.days": 2,
                                                     "reporting.interval": "30min"})  # fmt: skip


def _run_into(folder: ResultsFolder, scenario, stop_after: int | None = None) -> RunResult:
    def progress(done: int, total: int) -> None:
        if stop_after is not None and done >= stop_after:
            raise KeyboardInterrupt

    res = run(scenario, replications=folder.missing(), on_replication=folder.add,
              keep_logs=folder.contacts, progress=progress)  # fmt: skip
    return folder.finish(res.wall_time)


@pytest.fixture(scope="module")
def complete(tmp_path_factory, scenario) -> tuple[Path, RunResult]:
    out = tmp_path_factory.mktemp("runs") / "complete"
    result = _run_into(ResultsFolder(out, scenario, "test", fmt="csv"), scenario)
    return out, result


def test_folder_content_adds_up(complete, scenario) -> None:
    out, result = complete
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["replications_finished"] == [0, 1, 2]
    assert meta["seed"] == scenario.seed and "numpy" in meta["versions"]
    assert not out.with_name("complete.partial").exists()
    contacts = pd.concat(pd.read_csv(f) for f in sorted((out / "contacts").glob("rep-*.csv")))
    intervals = pd.read_csv(out / "intervals.csv")
    # Offered per interval (mean over replications) x replications = contacts that
    # arrived in the horizon, per channel.
    names = list(scenario.channels)
    t0, t1 = 86400.0, 3 * 86400.0  # one warm-up day, two reported days
    in_h = contacts[(contacts.arrival >= t0) & (contacts.arrival < t1)]
    for j, name in enumerate(names):
        offered = intervals.loc[intervals.channel == name, "offered"].sum() * 3
        assert offered == pytest.approx((in_h.channel == j).sum())
    assert len(intervals["start"].unique()) == 2 * 48  # 30-minute intervals
    targets = pd.read_csv(out / "targets.csv")
    assert list(targets["target"]) == [t.label for t in scenario.resolved_targets]
    np.testing.assert_allclose(targets["p_meet"], result.targets()["p_meet"])
    loaded, _ = load_results(out)
    pd.testing.assert_frame_equal(loaded.targets(), result.targets())
    for name in ("days", "target_intervals", "target_days", "shift_intervals", "backlog"):
        assert len(pd.read_csv(out / f"{name}.csv")) > 0


def test_existing_complete_folder_is_not_overwritten(complete, scenario) -> None:
    out, _ = complete
    before = (out / "metadata.json").read_text()
    with pytest.raises(OutputError, match="already holds a complete run"):
        ResultsFolder(out, scenario, "test")
    with pytest.raises(OutputError, match="another scenario"):
        ResultsFolder(out, scenario.with_(seed=99), "test")
    assert (out / "metadata.json").read_text() == before


def test_interrupt_then_resume_loses_nothing(tmp_path, scenario, complete) -> None:
    out = tmp_path / "run"
    first = _run_into(ResultsFolder(out, scenario, "test", fmt="csv"), scenario, stop_after=1)
    meta = json.loads((out / "metadata.json").read_text())
    assert first.interrupted and meta["status"] == "interrupted"
    assert meta["replications_finished"] == [0]
    assert (out / "targets.csv").exists()  # summaries of what finished
    kept = (out / "replications" / "rep-0000.npz").read_bytes()
    # Same --out again: only the missing replications run.
    folder = ResultsFolder(out, scenario, "test", fmt="csv")
    assert folder.missing() == [1, 2]
    resumed = _run_into(folder, scenario)
    assert not resumed.interrupted
    assert (out / "replications" / "rep-0000.npz").read_bytes() == kept
    assert json.loads((out / "metadata.json").read_text())["status"] == "complete"
    # ... and the result equals an uninterrupted run of the same seed.
    pd.testing.assert_frame_equal(resumed.targets(), complete[1].targets())


def test_crashed_run_resumes_from_partial(tmp_path, scenario) -> None:
    out = tmp_path / "crash"
    folder = ResultsFolder(out, scenario, "test", fmt="csv")
    res = run(scenario, replications=[0], on_replication=folder.add)  # then "crash": no finish()
    assert res.replications == 1
    assert not out.exists() and out.with_name("crash.partial").exists()
    again = ResultsFolder(out, scenario, "test", fmt="csv")
    assert again.missing() == [1, 2]


def _metrics(index: int, eligible: list[int], met: list[int]) -> ReplicationMetrics:
    """KPIs of a fake replication with one target over len(eligible) days."""
    zeros: dict = {}
    for f in fields(ReplicationMetrics):
        zeros[f.name] = np.zeros((1, 1))
    zeros.update(index=index, n_contacts=0,
                 target_eligible=np.array([eligible]), target_met=np.array([met]))  # fmt: skip
    return ReplicationMetrics(**zeros)


def test_probability_of_meeting_target_by_hand() -> None:
    sc = load_scenario("scenarios/minimal.yaml").with_(
        targets=[{"channel": "phone", "within": "1min", "goal": 0.9}]
    )
    # Replication 0: day SLs 0.95, 0.85, (no contact), 0.90 -> 2 of 3 days meet.
    # Replication 1: day SLs 1.0, 0.5, 0.92, 0.80 -> 2 of 4 days meet.
    m0 = _metrics(0, [20, 20, 0, 10], [19, 17, 0, 9])
    m1 = _metrics(1, [10, 10, 25, 10], [10, 5, 23, 8])
    result = RunResult(scenario=sc, metrics=[m0, m1], requested=2)
    ((sl, p),) = result.target_estimates()
    assert p.mean == pytest.approx((2 / 3 + 2 / 4) / 2)
    assert sl.mean == pytest.approx((45 + 46) / (50 + 55))
    assert 0 <= p.low <= p.mean <= p.high <= 1


def test_cli_run_writes_folder_and_refuses_to_overwrite(tmp_path) -> None:
    out = tmp_path / "cli"
    args = ["run", "scenarios/minimal.yaml", "-r", "2", "--days", "2", "-q", "-w", "1",
            "--out", str(out), "--format", "csv", "--no-contacts"]  # fmt: skip
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert f"Results: {out}" in first.output
    assert not (out / "contacts").exists()
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 1 and "use --force" in second.output
    assert "Traceback" not in second.output
    third = CliRunner().invoke(main, [*args, "--force"])
    assert third.exit_code == 0, third.output


def test_resume_with_fewer_replications_keeps_only_those(tmp_path, scenario) -> None:
    out = tmp_path / "fewer"
    _run_into(ResultsFolder(out, scenario, "test", fmt="csv"), scenario, stop_after=2)
    smaller = scenario.with_(replications=1)
    folder = ResultsFolder(out, smaller, "test", fmt="csv")
    assert folder.missing() == []
    folder.finish(0.0)
    loaded, meta = load_results(out)
    assert loaded.replications == 1 and meta["replications_requested"] == 1
    assert sorted(p.name for p in (out / "replications").iterdir()) == ["rep-0000.npz"]
