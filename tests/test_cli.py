"""``shiftsim run`` through click's CliRunner.

Every test runs in its own temporary working directory: ``shiftsim run`` writes a
results folder under ``results/`` unless told ``--no-save``. The report tests
use ``--no-save``; the results folder has a test of its own.
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from shiftsim.cli import main
from shiftsim.model.loading import load_scenario
from shiftsim.model.scenario import Scenario

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"

# A small center that is short of staff, so that service levels move with the seed.
STRAINED = """\
name: strained
horizon: {start: 2026-03-02, days: 2}
replications: 2
seed: 3
channels:
  phone:
    kind: voice
    volume: {per_day: 700, daily_cv: 0.3}
    handle_time: {dist: lognormal, mean: 6min, cv: 1.0}
    patience: {dist: exponential, mean: 4min}
    priorities: {urgent: 0.2, general: 0.8}
pools:
  agents:
    channels: [phone]
    shifts:
      day: {headcount: 5}
      evening: {headcount: 3}
      night: {headcount: 1}
"""


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def report(*args: str | Path) -> str:
    """``shiftsim run ARGS --no-save -q``: its output, after checking it succeeded."""
    return ok(invoke("run", *args, "--no-save", "-q"))


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)
    return result.output


def without_wall_time(output: str) -> str:
    """The header shows the seconds spent, which differ from run to run."""
    return re.sub(r"\(\d+\.\d s\)", "(… s)", output)


def service_levels(output: str, labels: list[str]) -> list[str]:
    """The 'service level' cell of each target's row in the report's period table."""
    out = []
    for label in labels:
        rows = [line for line in output.splitlines() if f" {label} " in line]
        assert len(rows) == 2, (label, rows)  # the targets table, then the period table
        first, cells = (re.split(r"\s{2,}", row.strip()) for row in rows)
        assert first[0] == cells[0] == label
        assert re.fullmatch(r"\d+\.\d%", first[1]), first  # goal
        assert re.match(r"\d+\.\d% ", cells[-1]), cells  # service level with its CI
        out.append(cells[-1])
    return out


def test_run_minimal_prints_every_target() -> None:
    scenario = load_scenario(MINIMAL)
    output = report(MINIMAL, "-r", "2", "--days", "2")
    assert "Traceback" not in output
    labels = [t.label for t in scenario.resolved_targets]
    assert labels  # the default tier table gives minimal.yaml its targets
    for label in labels:
        assert label in output
    assert len(service_levels(output, labels)) == len(labels)
    header = output.splitlines()[0]
    assert header.startswith(
        f"{scenario.name}: 2 days from {scenario.horizon.start}, 2 replication(s)"
    )
    for title in ("Response targets", "Channels", "Shifts"):
        assert title in output


@pytest.mark.slow  # a few seconds: in the full suite
def test_overrides_appear_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "strained.yaml"
    path.write_text(STRAINED, encoding="utf-8")
    header = report(path).splitlines()[0]
    # The file's own values when nothing is overridden...
    assert header.startswith("strained: 2 days from 2026-03-02, 2 replication(s), seed 3 (")
    # ...and the command line's when given.
    out = report(path, "--replications", "3", "--seed", "11", "--days", "1")
    assert out.splitlines()[0].startswith(
        "strained: 1 days from 2026-03-02, 3 replication(s), seed 11 ("
    )
    out = report(path, "-r", "4")
    assert ", 4 replication(s), seed 3 (" in out.splitlines()[0]


def test_same_seed_same_output_other_seed_other_numbers(tmp_path: Path) -> None:
    path = tmp_path / "strained.yaml"
    path.write_text(STRAINED, encoding="utf-8")
    labels = [t.label for t in load_scenario(path).resolved_targets]

    def with_seed(seed: int) -> str:
        return without_wall_time(report(path, "--seed", str(seed)))

    first, again, other = with_seed(7), with_seed(7), with_seed(8)
    assert "seed 7" in first.splitlines()[0]
    assert "seed 8" in other.splitlines()[0]
    assert first == again
    assert service_levels(first, labels) == service_levels(again, labels)
    assert service_levels(first, labels) != service_levels(other, labels)
    # The numbers really vary: not every target at 100% (the seed would not matter).
    assert any(not sl.startswith("100.0%") for sl in service_levels(first, labels))


def test_same_seed_same_output_for_minimal() -> None:
    args = (MINIMAL, "-r", "2", "--days", "2", "--seed", "5")
    first, again = report(*args), report(*args)
    assert without_wall_time(first) == without_wall_time(again)


def test_output_does_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    path = tmp_path / "strained.yaml"
    path.write_text(STRAINED, encoding="utf-8")
    serial = report(path, "-r", "3", "--workers", "1")
    parallel = report(path, "-r", "3", "--workers", "2")
    assert without_wall_time(serial) == without_wall_time(parallel)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (STRAINED.replace("headcount: 5", "headcount: -3"), "(got -3)"),
        (STRAINED.replace("mean: 6min", "mean: 6"), "(got 6)"),
        (STRAINED.replace("day: {", "day: {start: 8:30, "), "(got 8:30)"),
    ],
    ids=["negative", "no-unit", "unquoted-clock"],
)
def test_run_bad_file_exits_1_without_traceback(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("run", path, "-q")
    assert not (tmp_path / "results").exists()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith(f"{path}: ")
    assert expected in result.output
    assert "Response targets" not in result.output


def test_run_missing_file_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = invoke("run", path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"{path}: cannot read file" in result.output


@pytest.mark.parametrize("args", [["-r", "0"], ["--seed", "-1"], ["--days", "0"]])
def test_run_rejects_bad_overrides(args: list[str]) -> None:
    result = invoke("run", MINIMAL, *args, "-q")
    assert result.exit_code == 1  # bad input; 2 is kept for --fail-on-miss
    assert "Traceback" not in result.output
    assert "Invalid value" in result.output


def test_run_saves_a_results_folder(tmp_path: Path) -> None:
    scenario = load_scenario(MINIMAL)
    result = invoke("run", MINIMAL, "-r", "2", "--days", "2", "-q")
    gc.collect()  # any unclosed file is reported now, in this test
    output = ok(result)
    for label in (t.label for t in scenario.resolved_targets):
        assert label in output
    folders = list((tmp_path / "results").glob("minimal-*"))
    assert len(folders) == 1, folders
    meta = json.loads((folders[0] / "metadata.json").read_text(encoding="utf-8"))
    assert meta["status"] == "complete"
    assert sorted(meta["replications_finished"]) == [0, 1]
    assert (folders[0] / "targets.csv").is_file()
    assert not list(folders[0].rglob("*.tmp-*"))


# -- exit codes -----------------------------------------------------------------------


def test_usage_errors_are_bad_input_and_help_is_no_error() -> None:
    for args in (["run"], ["run", MINIMAL, "--no-such-option"], ["nope"]):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and "Usage:" in result.output
    for args in ([], ["--help"], ["run", "--help"], ["--version"]):
        assert invoke(*args).exit_code == 0, args


# -- what-ifs ---------------------------------------------------------------------------


def test_plans_are_parsed_from_one_line() -> None:
    from shiftsim.cli.compare import _plan

    assert _plan("night+4: pools.frontline.shifts.night.headcount=10") == (
        "night+4",
        ("pools.frontline.shifts.night.headcount=10",),
        (),
    )
    # Commas inside a value stay; volume items become --volume factors.
    name, sets, volumes = _plan("xmas: events.0.channels={phone: 2, chat: 3}, volume.chat=1.2")
    assert (name, sets, volumes) == ("xmas", ("events.0.channels={phone: 2, chat: 3}",),
                                     ("chat=1.2",))  # fmt: skip
    # No name: named by its changes; a clock time's colon is not a name.
    assert _plan("pools.a.shifts.day.start='07:00'")[0] == "pools.a.shifts.day.start='07:00'"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--plan", "nothing to set"], "expected 'NAME: path=value[, path=value...]'"),
        ([], "compare needs a second plan"),
        (["--plan", "x: pools.agents.shifts.day.headcount=-1"], "(got -1)"),
        (["--volume", "fax=2", "--plan", "x: volume=1.1"], "--volume: no channel 'fax'"),
        (["--plan", "x: volume=none"], "--volume: expected FACTOR or CHANNEL=FACTOR"),
    ],
    ids=["no-assignment", "one-plan", "bad-value", "unknown-channel", "bad-factor"],
)
def test_compare_rejects_bad_plans_before_running(args: list[str], expected: str) -> None:
    result = invoke("compare", MINIMAL, "-q", *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert expected in result.output
    assert "minus" not in result.output  # nothing was simulated


def test_volume_scales_per_day_of_every_channel_or_one() -> None:
    from shiftsim.cli._common import _scaled, _volume_factors

    sc = load_scenario(MINIMAL.parent / "holiday.yaml")
    both = _scaled(sc, _volume_factors(("1.5", "chat=0.5"), "x"), "x")

    def per_day(scenario: Scenario, name: str) -> float:
        return scenario.channels[name].volume.per_day

    assert per_day(both, "phone") == pytest.approx(1.5 * per_day(sc, "phone"))
    assert per_day(both, "chat") == pytest.approx(0.5 * per_day(sc, "chat"))  # its own wins
    assert per_day(both, "email") == pytest.approx(1.5 * per_day(sc, "email"))
    # Everything else is the file's.
    assert both.pools == sc.pools and both.events == sc.events


def test_run_volume_changes_what_is_offered(tmp_path: Path) -> None:
    path = tmp_path / "strained.yaml"
    path.write_text(STRAINED, encoding="utf-8")

    def offered(*extra: str) -> float:
        result = invoke("run", path, "--no-save", "-q", "-w", "1", "--json", *extra)
        assert result.exit_code == 0, result.output
        return float(json.loads(result.stdout)["targets"][0]["service_level"]["value"])

    # Twice the calls on the same agents: a lower service level, on the same seed.
    assert offered("--volume", "2") < offered() - 0.05


def test_list_items_are_set_by_index_either_way() -> None:
    holiday = MINIMAL.parent / "holiday.yaml"
    for path in ("events.0.factor", "events[0].factor"):
        sc = load_scenario(holiday, {path: 3.25, "events[1].channels": {"phone": 2.0}})
        assert sc.events[0].factor == 3.25
        assert sc.events[1].channels == {"phone": 2.0}


# -- results that do not pile up, tidy tables ------------------------------------------------


def test_contacts_are_kept_only_when_asked(tmp_path: Path) -> None:
    from shiftsim.analysis.contacts import contact_table

    args = ("run", MINIMAL, "-r", "2", "--days", "1", "-q", "-w", "1", "--format", "csv")
    ok(invoke(*args, "--out", tmp_path / "lean"))
    assert not (tmp_path / "lean" / "contacts").exists()
    ok(invoke(*args, "--out", tmp_path / "full", "--contacts"))
    files = sorted((tmp_path / "full" / "contacts").glob("rep-*.csv"))
    assert len(files) == 2
    # The stored codes and seconds, with names and clock times.
    sc = load_scenario(tmp_path / "full" / "scenario.yaml")
    raw = pd.read_csv(files[0])
    table = contact_table(raw, sc)
    assert len(table) == len(raw)
    assert list(table["channel"].cat.categories) == list(sc.channels)
    assert list(table["priority"].cat.categories) == ["urgent", "important", "general"]
    assert table["priority"].cat.ordered
    assert set(table["outcome"].astype(str)) <= {"open", "deflected", "answered", "abandoned"}
    first = pd.Timestamp(sc.horizon.start)
    assert (table.loc[table["reported"], "arrival"] >= first).all()
    assert table["arrival"].iloc[0] == first + pd.to_timedelta(raw["arrival"].iloc[0], unit="s")
    assert table["answered"].isna().sum() == raw["answered"].isna().sum()
    assert table["agent"].isna().sum() == (raw["agent"] < 0).sum()


def test_shift_and_channel_tables_are_tidy(tmp_path: Path) -> None:
    ok(invoke("run", MINIMAL, "-r", "2", "--days", "1", "-q", "-w", "1", "--out", tmp_path / "o"))
    shifts = pd.read_csv(tmp_path / "o" / "shifts.csv")
    channels = pd.read_csv(tmp_path / "o" / "channels.csv")
    for frame, name in ((shifts, "occupancy"), (shifts, "overtime_h_per_day"),
                        (channels, "abandonment"), (channels, "asa_s")):  # fmt: skip
        assert {name, f"{name}_low", f"{name}_high"} <= set(frame.columns)
        assert pd.api.types.is_float_dtype(frame[name])
        assert (frame[f"{name}_low"] <= frame[name] + 1e-12).all()


def test_priority_shares_rounded_to_three_decimals_are_accepted(tmp_path: Path) -> None:
    thirds = STRAINED.replace("{urgent: 0.2, general: 0.8}",
                              "{urgent: 0.333, important: 0.333, general: 0.333}")  # fmt: skip
    (tmp_path / "thirds.yaml").write_text(thirds, encoding="utf-8")
    sc = load_scenario(tmp_path / "thirds.yaml")
    assert sum(sc.channels["phone"].priorities.values()) == pytest.approx(1.0, abs=1e-12)
    assert sc.channels["phone"].priorities["urgent"] == pytest.approx(1 / 3)
    (tmp_path / "off.yaml").write_text(thirds.replace("general: 0.333", "general: 0.32"))
    result = invoke("validate", tmp_path / "off.yaml")
    assert result.exit_code == 1
    assert "priorities must add up to 1, within 0.005 (got 0.986)" in result.output


def test_python_dash_m_shiftsim_is_the_command() -> None:
    # `python -m shiftsim` said "No module named shiftsim.__main__" (a review).
    import subprocess
    import sys

    for module in ("shiftsim", "shiftsim.cli"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Usage:" in done.stdout and "staff" in done.stdout


def test_what_the_command_line_changed_is_recorded(tmp_path: Path) -> None:
    # After --set or --volume, the header, metadata.json and the report said only
    # "Source: scenarios/holiday.yaml" (a review): the run was not the file's.
    out = tmp_path / "out"
    minimal = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"
    result = invoke("run", minimal, "--days", "1", "-r", "2", "-w", "1",
                    "--volume", "1.3", "--set", "pools.agents.shifts.night.headcount=4",
                    "--out", out, "--no-contacts", "--report")  # fmt: skip
    assert result.exit_code == 0, result.output
    said = ["--set pools.agents.shifts.night.headcount=4", "--replications 2", "--days 1",
            "--volume 1.3"]  # fmt: skip
    assert f"Changed from the file: {', '.join(said)}" in result.output
    assert json.loads((out / "metadata.json").read_text())["changes"] == said
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"{minimal}, changed by {', '.join(said)}" in summary
    # Unchanged, nothing is said.
    plain = invoke("run", minimal, "--no-save", "-q", "-w", "1")
    assert plain.exit_code == 0 and "Changed from the file" not in plain.output
