"""The results folder: content, atomic writing, interruption and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest
import yaml
from click.testing import CliRunner, Result

from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import run
from shiftsim.cli import main
from shiftsim.model.loading import load_scenario, parse_scenario
from shiftsim.model.scenario import Scenario
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


@pytest.mark.slow  # a few seconds: in the full suite
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
    res = run(scenario, replications=[0], on_replication=folder.add, keep_logs=True)  # no finish()
    folder.close()  # a crashed process's lock dies with it
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


@pytest.mark.slow  # a few seconds: in the full suite
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


# -- nothing lost, nothing corrupted (issue 15) ----------------------------------------------

SMALL = """\
name: small
horizon: {start: 2026-03-02, days: 1}
replications: 3
channels:
  phone:
    kind: voice
    volume: {per_day: 300}
    handle_time: {dist: exponential, mean: 4min}
    patience: {dist: exponential, mean: 5min}
pools:
  agents:
    channels: [phone]
    shifts: {day: {headcount: 6}, evening: {headcount: 3}, night: {headcount: 2}}
"""


@pytest.fixture(scope="module")
def small_sc() -> Scenario:
    return parse_scenario(yaml.safe_load(SMALL))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def cli(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def cli_run(small: Path, out: Path, *extra: object) -> Result:
    return cli("run", small, "--out", out, "-q", "-w", "1", "--format", "csv", *extra)


def assert_clean(result: Result, starts: str) -> None:
    """Exit code 1 through sys.exit, one message starting with ``starts``, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith(starts), result.output


def test_force_never_deletes_a_folder_of_other_files(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("years of work")
    assert_clean(cli_run(small, out, "--force"), f"{out}: exists and is not a shiftsim results")
    assert (out / "precious.txt").read_text() == "years of work"
    partial = tmp_path / "also.partial"
    partial.mkdir()
    (partial / "precious.txt").write_text("more work")
    assert_clean(cli_run(small, tmp_path / "also", "--force"), f"{partial}: exists and is not")
    assert (partial / "precious.txt").read_text() == "more work"


@pytest.mark.slow
def test_force_replaces_a_results_folder_and_an_empty_one(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert cli_run(small, out, "-r", "1").exit_code == 0
    assert cli_run(small, out, "-r", "1", "--force", "--seed", "5").exit_code == 0
    assert json.loads((out / "metadata.json").read_text())["seed"] == 5


def test_records_are_stored_before_the_replication_is_marked_stored(
    tmp_path: Path, small_sc, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shiftsim.outputs.store as store

    folder = ResultsFolder(tmp_path / "run", small_sc, "test", fmt="csv")
    real = store._write_table

    def crash_on_rep_1(frame, stem, fmt):
        if stem.name == "rep-0001":
            raise OSError(28, "No space left on device")
        real(frame, stem, fmt)

    monkeypatch.setattr(store, "_write_table", crash_on_rep_1)
    with pytest.raises(OSError):
        run(small_sc, replications=[0, 1], on_replication=folder.add, keep_logs=True)
    folder.close()
    reps = folder.partial / "replications"
    assert (reps / "rep-0000.npz").exists()
    assert not (reps / "rep-0001.npz").exists()  # no KPIs without their records
    monkeypatch.setattr(store, "_write_table", real)
    assert ResultsFolder(tmp_path / "run", small_sc, "test", fmt="csv").missing() == [1, 2]


def _stored_partial(tmp_path: Path, scenario, reps: list[int]) -> ResultsFolder:
    folder = ResultsFolder(tmp_path / "run", scenario, "test", fmt="csv")
    run(scenario, replications=reps, on_replication=folder.add, keep_logs=True)
    folder.close()  # then "crash"
    return folder


def test_resume_runs_again_a_replication_whose_records_are_missing(tmp_path, small_sc) -> None:
    folder = _stored_partial(tmp_path, small_sc, [0, 1])
    (folder.partial / "contacts" / "rep-0001.csv").unlink()  # as a crash left it before
    again = ResultsFolder(tmp_path / "run", small_sc, "test", fmt="csv")
    assert again.missing() == [1, 2]
    assert not (folder.partial / "replications" / "rep-0001.npz").exists()
    again.close()
    # Records cut short (fewer rows than the replication's contacts) are not adopted either.
    csv = folder.partial / "contacts" / "rep-0000.csv"
    lines = csv.read_text().splitlines(keepends=True)
    csv.write_text("".join(lines[: len(lines) // 2]))
    assert ResultsFolder(tmp_path / "run", small_sc, "test", fmt="csv").missing() == [0, 1, 2]


def test_a_truncated_npz_is_run_again_not_adopted(tmp_path, small_sc) -> None:
    folder = _stored_partial(tmp_path, small_sc, [0, 1])
    npz = folder.partial / "replications" / "rep-0001.npz"
    npz.write_bytes(npz.read_bytes()[:300])
    (folder.partial / "replications" / ".rep-0002.npz.tmp-123").write_bytes(b"half")
    again = ResultsFolder(tmp_path / "run", small_sc, "test", fmt="csv")
    assert again.missing() == [1, 2]
    assert not (folder.partial / "replications" / ".rep-0002.npz.tmp-123").exists()


@pytest.mark.slow
def test_cli_resumes_a_partial_with_a_truncated_npz(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut"
    sc = load_scenario(small)
    folder = ResultsFolder(out, sc, str(small), fmt="csv")
    run(sc, replications=[0, 1], on_replication=folder.add, keep_logs=True)
    folder.close()
    npz = folder.partial / "replications" / "rep-0000.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    result = cli_run(small, out)
    assert result.exit_code == 0, result.output
    assert "1 replication(s) already finished, 2 to run" in " ".join(result.output.split())
    assert json.loads((out / "metadata.json").read_text())["replications_finished"] == [0, 1, 2]


def _hold_lock(folder: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time; from pathlib import Path; from shiftsim.outputs.store import FolderLock;"
        f"FolderLock(Path({str(folder)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


@pytest.mark.slow
def test_two_runs_cannot_write_the_same_folder(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    holder = _hold_lock(out)
    try:
        result = cli_run(small, out)
        assert_clean(result, f"{out} is in use by shiftsim (pid {holder.pid})")
        assert not out.exists() and not out.with_name("busy.partial").exists()
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    # The holder died without releasing its lock: the next run takes it over.
    assert out.with_name("busy.lock").read_text().strip() == str(holder.pid)
    assert cli_run(small, out, "-r", "1").exit_code == 0
    assert not out.with_name("busy.lock").exists()


def test_out_under_a_regular_file(small: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "run"
    result = cli_run(small, out)
    assert_clean(result, f"{out}: cannot write the results ({tmp_path / 'file'} is a file, not")


def test_out_in_a_read_only_folder(small: Path, tmp_path: Path, monkeypatch) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    real = Path.mkdir

    def read_only(self: Path, *args, **kwargs) -> None:
        if locked in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)  # root ignores chmod: say it as the OS would
    out = locked / "run"
    assert_clean(cli_run(small, out), f"{out}: cannot write the results (Permission denied")


@pytest.mark.slow
def test_disk_full_during_a_run_keeps_what_was_stored(small: Path, tmp_path, monkeypatch) -> None:
    import shiftsim.outputs.store as store

    out = tmp_path / "full"
    real = store._write_atomic
    calls = {"npz": 0}

    def fill_up(path: Path, write) -> None:
        if path.suffix == ".npz":
            calls["npz"] += 1
            if calls["npz"] == 2:
                raise OSError(28, "No space left on device", str(path))
        real(path, write)

    monkeypatch.setattr(store, "_write_atomic", fill_up)
    result = cli_run(small, out)
    assert_clean(result, f"{out}: cannot write the results (No space left on device")
    assert "keeps the 1 replication(s) stored" in result.output
    monkeypatch.setattr(store, "_write_atomic", real)  # space freed: resume
    again = cli_run(small, out)
    assert again.exit_code == 0
    assert "1 replication(s) already finished" in " ".join(again.output.split())
    reference = cli_run(small, tmp_path / "reference")
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "targets.csv"), pd.read_csv(tmp_path / "reference" / "targets.csv")
    )
    assert reference.exit_code == 0


def test_everything_is_synced_before_the_final_rename(tmp_path, small_sc, monkeypatch) -> None:
    import shiftsim.outputs.store as store

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = store._fsync, os.replace
    monkeypatch.setattr(store, "_fsync", lambda p: (events.append(("fsync", str(p))),
                                                   real_fsync(p))[1])  # fmt: skip
    monkeypatch.setattr(store.os, "replace", lambda a, b: (events.append(("rename", str(b))),
                                                         real_replace(a, b))[1])  # fmt: skip
    folder = ResultsFolder(tmp_path / "synced", small_sc.with_(replications=1), "test", fmt="csv")
    res = run(folder.scenario, on_replication=folder.add, keep_logs=True)
    events.clear()
    folder.finish(res.wall_time)
    final = events.index(("rename", str(tmp_path / "synced")))
    synced = {p for op, p in events[:final] if op == "fsync"}
    assert str(folder.partial) in synced
    written = {Path(p).name.split(".tmp-")[0].lstrip(".") for op, p in events if op == "fsync"}
    assert {"metadata.json", "targets.csv", "intervals.csv"} <= written


# -- shiftsim report on folders that are not what they seem ----------------------------------


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("small")
    (base / "small.yaml").write_text(SMALL)
    out = base / "run"
    assert cli_run(base / "small.yaml", out, "-r", "2", "--no-contacts").exit_code == 0
    return out


def _copy(folder: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(folder, out)
    return out


@pytest.mark.parametrize(
    ("meta", "says"),
    [
        ("[1, 2]", "metadata.json is not one shiftsim writes: not a JSON object"),
        ('{"status": "complete"', "metadata.json is not one shiftsim writes: not a JSON object"),
        ({"replications_requested": "abc"}, "replications_requested is 'abc'"),
        ({"replications_finished": "all"}, "replications_finished is 'all'"),
        ({"wall_time_s": "long"}, "wall_time_s is 'long'"),
        ({"versions": []}, "versions is []"),
        ({"format": "xlsx"}, "format is 'xlsx'"),
    ],
    ids=["list", "cut", "requested", "finished", "wall", "versions", "format"],
)
def test_report_on_odd_metadata(small_folder: Path, tmp_path: Path, meta, says: str) -> None:
    out = _copy(small_folder, tmp_path)
    if isinstance(meta, dict):
        meta = json.dumps(json.loads((out / "metadata.json").read_text()) | meta)
    (out / "metadata.json").write_text(meta)
    result = cli("report", out)
    prefix = (
        "" if says.startswith("metadata.json") else "metadata.json is not one shiftsim writes: "
    )
    assert_clean(result, f"{out}: cannot read the results ({prefix}{says}")
    assert not (out / "report.html").exists()


def test_report_on_a_scenario_from_another_run(small_folder: Path, tmp_path: Path) -> None:
    out = _copy(small_folder, tmp_path)
    text = (out / "scenario.yaml").read_text().replace("headcount: 6", "headcount: 7")
    (out / "scenario.yaml").write_text(text)
    assert_clean(cli("report", out), f"{out}: cannot read the results (scenario.yaml is not the")


@pytest.mark.parametrize("damage", ["damaged", "missing"])
def test_report_on_damaged_replications(small_folder: Path, tmp_path: Path, damage: str) -> None:
    out = _copy(small_folder, tmp_path)
    npz = out / "replications" / "rep-0001.npz"
    if damage == "missing":
        npz.unlink()
    else:
        npz.write_bytes(npz.read_bytes()[:200])
    result = cli("report", out)
    assert_clean(result, f"{out}: cannot read the results (replications/rep-0001.npz is {damage}")


@pytest.mark.slow
def test_report_on_a_read_only_folder(small_folder: Path, tmp_path: Path, monkeypatch) -> None:
    out = _copy(small_folder, tmp_path)
    real = Path.mkdir

    def read_only(self: Path, *args, **kwargs) -> None:
        if out in self.parents:
            raise OSError(30, "Read-only file system", str(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)  # the charts folder is the first write
    assert_clean(cli("report", out), f"{out}: cannot write the report (Read-only file system")


@pytest.mark.slow
def test_report_rebuilds_deleted_tables_and_says_so(small_folder: Path, tmp_path: Path) -> None:
    out = _copy(small_folder, tmp_path)
    before = pd.read_csv(out / "targets.csv")
    (out / "targets.csv").unlink()
    (out / "intervals.csv").unlink()
    result = cli("report", out)
    assert result.exit_code == 0, result.output
    assert f"{out}: targets.csv, intervals.csv missing: rebuilt from the KPIs of the 2" in (
        result.output
    )
    pd.testing.assert_frame_equal(pd.read_csv(out / "targets.csv"), before)
    assert (out / "intervals.csv").exists() and (out / "report.html").exists()


def test_the_scenario_hash_ignores_keys_left_at_their_defaults() -> None:
    """A key a later version adds, at a default that simulates as before, keeps old folders
    readable and resumable; any value that changes the run changes the hash."""
    from shiftsim.outputs.store import scenario_hash

    base = {
        "horizon": {"start": "2026-03-02", "days": 2},
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {"per_day": 100},
                "handle_time": {"dist": "exponential", "mean": "5min"},
            }
        },
        "pools": {"agents": {"channels": ["phone"], "shifts": {"day": {"headcount": 3}}}},
    }
    plain = scenario_hash(parse_scenario(base))
    spelled = json.loads(json.dumps(base))
    spelled["channels"]["phone"]["concurrency"] = 1  # its default, written out
    spelled["pools"]["agents"]["shrinkage"] = 0.0
    assert scenario_hash(parse_scenario(spelled)) == plain
    assert scenario_hash(parse_scenario(base | {"replications": 7})) == plain  # extendable
    # A later version's schema: one more key, at a default.
    later = pydantic.create_model("Later", __base__=Scenario, later_key=(int, 0))
    assert scenario_hash(later.model_validate(base)) == plain
    other = json.loads(json.dumps(base))
    other["pools"]["agents"]["shifts"]["day"]["headcount"] = 4
    assert scenario_hash(parse_scenario(other)) != plain
