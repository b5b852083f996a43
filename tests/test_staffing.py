"""`shiftsim staff`: exact against Erlang where theory applies, least cost in an enumerated box."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from shiftsim.cli import main
from shiftsim.model.loading import load_scenario, parse_scenario
from shiftsim.planning.erlang_a import erlang_a
from shiftsim.planning.staffing import (
    FRESH_SEED_OFFSET,
    _Evaluator,
    analytic_start,
    knobs,
    plan_cost,
    staff,
)
from shiftsim.planning.theory import erlang_c_service_level
from shiftsim.planning.theory_cases import _center

MU = 1 / 300  # 5-minute mean handle time


def _erlang_center(load: float, within: float, patience: float | None = None) -> Any:
    data = _center(
        agents=3 * int(load) + 5, per_second=load * MU, handle=300, within=within, days=3,
        replications=6, seed=5, patience=patience,
    )  # fmt: skip
    data["targets"][0]["per"] = "horizon"
    return parse_scenario(data)


def _sl(n: int, load: float, within: float, patience: float | None) -> float:
    lam = load * MU
    if patience is None:
        return float(erlang_c_service_level(n, lam, MU, within))
    return float(erlang_a(n, lam, MU, 1 / patience).sl_all(within))


def _minimum(load: float, within: float, patience: float | None, goal: float = 0.8) -> int:
    return next(n for n in range(1, 500) if _sl(n, load, within, patience) >= goal)


@pytest.mark.parametrize(
    ("load", "within", "patience"),
    [
        (6.0, 20.0, None),  # Erlang C: 9 agents
        pytest.param(14.0, 30.0, None, marks=pytest.mark.slow),  # Erlang C: 18 agents
        pytest.param(62.0, 60.0, None, marks=pytest.mark.slow),  # Erlang C: 67 agents
        (7.0, 20.0, 600.0),  # Erlang A, 10-minute patience: 10 agents
    ],
)
def test_staff_returns_the_erlang_minimum(load: float, within: float, patience: float | None):
    n = _minimum(load, within, patience)
    # The cases are chosen so that simulation noise cannot decide them.
    assert _sl(n - 1, load, within, patience) <= 0.77
    assert _sl(n, load, within, patience) >= 0.83
    sc = _erlang_center(load, within, patience)
    result = staff(sc)
    assert result.recommended == {"agents.all": n}
    assert result.feasible
    assert result.verified["met"].all()
    # One agent fewer breaks the target, on the fresh seeds.
    assert result.one_fewer.loc[0, "headcount"] == n - 1
    assert result.one_fewer.loc[0, "broken"] == 1
    assert result.verify_seed == sc.seed + FRESH_SEED_OFFSET


def _three_shifts(night: int = 3, day: int = 8, evening: int = 6, **staffing: Any) -> Any:
    return parse_scenario(
        {
            "name": "three-shifts",
            "horizon": {"start": "2026-01-05", "days": 5, "warmup": "1d"},
            "replications": 4,
            "seed": 11,
            "channels": {
                "phone": {
                    "kind": "voice",
                    "volume": {
                        "per_day": 1200,
                        "daily_cv": 0.0,
                        "hourly_profile": [
                            1,
                            1,
                            1,
                            1,
                            1,
                            1,
                            2,
                            3,
                            5,
                            6,
                            6,
                            6,
                            6,
                            6,
                            6,
                            5,
                            5,
                            4,
                            4,
                            3,
                            3,
                            2,
                            2,
                            1,
                        ],
                    },  # fmt: skip
                    "handle_time": {"dist": "exponential", "mean": "8min"},
                    "patience": {"dist": "exponential", "mean": "5min"},
                }
            },
            "pools": {
                "agents": {
                    "channels": ["phone"],
                    "rotation": {"pattern": "1"},
                    "shifts": {
                        "night": {"start": "00:00", "end": "08:00", "headcount": night},
                        "day": {"start": "08:00", "end": "16:00", "headcount": day},
                        "evening": {"start": "16:00", "end": "24:00", "headcount": evening},
                    },
                }
            },
            "targets": [{"channel": "phone", "within": "60s", "goal": 0.8, "confidence": 0.75}],
            "staffing": {"cost": {"agents.night": 10}, **staffing},
        }
    )


@pytest.mark.slow
def test_staff_finds_the_least_cost_roster_of_an_enumerated_box():
    box = {"agents.night": (5, 8), "agents.day": (12, 15), "agents.evening": (8, 11)}
    sc = _three_shifts(bounds={k: list(v) for k, v in box.items()})
    result = staff(sc, screen_replications=4, verify_replications=4)
    # Every roster of the box on the same random numbers as the search's final stage.
    space = knobs(sc)
    ev = _Evaluator(sc, space, None)
    plans = list(itertools.product(*(range(lo, hi + 1) for lo, hi in box.values())))
    tables = ev.requirements(plans, 4, sc.seed)
    feasible = [p for p, t in zip(plans, tables, strict=True) if t["met"].all()]
    assert feasible, "the box must hold a roster that meets every requirement"
    best = min(plan_cost(space, p) for p in feasible)
    found = tuple(result.searched[k.name] for k in space)
    assert found in feasible
    assert plan_cost(space, found) == best
    # Verification changes the roster only on fresh seeds that a later set then verifies.
    if result.recommended != result.searched:
        assert result.verify_rounds >= 2
    assert result.feasible
    # The stationary start is not the answer: the simulation moved it.
    assert analytic_start(sc, space) != result.recommended


def test_unmeetable_requirement_says_which_and_how_close():
    sc = _three_shifts(bounds={"agents.night": [1, 2], "agents.day": [9, 9],
                               "agents.evening": [7, 7]})  # fmt: skip
    result = staff(sc, screen_replications=4, verify_replications=4)
    assert not result.feasible
    (unmet,) = [u for u in result.unmet if u.period == "night"]
    assert unmet.plan["agents.night"] == 2
    assert 0.0 <= unmet.best < unmet.required == 0.75
    assert "night" in str(unmet) and "best" in str(unmet)


def test_staffing_section_errors_name_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "horizon: {start: 2026-01-05, days: 2}\n"
        "channels: {phone: {kind: voice, handle_time: {dist: exponential, mean: 5min}}}\n"
        "pools: {agents: {channels: [phone], shifts: {day: {headcount: 3}}}}\n"
        "staffing: {change: [agents.nope], bounds: {agents.day: [5, 2]}, cost: {agents.day: -1}}\n"
    )
    out = CliRunner().invoke(main, ["staff", str(path)])
    assert out.exit_code == 1
    assert "unknown shift, write pool.shift (got 'agents.nope')" in out.output
    assert "bounds need 0 <= low <= high (got [5, 2])" in out.output
    assert "a cost must be a positive number (got -1" in out.output
    assert "Traceback" not in out.output


@pytest.mark.slow
def test_cli_staff_writes_a_plan_that_runs(tmp_path):
    sc = _erlang_center(6.0, 20.0)
    path = tmp_path / "center.yaml"
    import yaml

    path.write_text(yaml.safe_dump(sc.to_dict(), sort_keys=False))
    plan = tmp_path / "plan.yaml"
    folder = tmp_path / "staffing"
    args = ["staff", str(path), "-w", "1", "-q", "--write", str(plan), "--out", str(folder)]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "recommended" in out.output and "One agent fewer" in out.output
    written = load_scenario(plan)
    assert written.pools["agents"].shifts["all"].headcount == 9
    assert load_scenario(folder / "plan.yaml") == written
    roster = pd.read_csv(folder / "roster.csv")
    assert roster.loc[0, "recommended"] == 9 and roster.loc[0, "now"] == 23
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["feasible"] is True and summary["roster"][0]["recommended"] == 9
    page = (folder / "staffing.html").read_text()
    assert "Recommended against current headcount" in page and "data:image/png;base64," in page
    # A second run refuses the folder without --force, and --force never replaces
    # a folder that is not a staffing folder.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "use --force" in again.output
    other = tmp_path / "mine"
    other.mkdir()
    (other / "precious.txt").write_text("keep")
    forced = CliRunner().invoke(main, [*args[:-1], str(other), "--force"])
    assert forced.exit_code == 1 and "not a shiftsim staffing folder" in forced.output
    assert (other / "precious.txt").read_text() == "keep"
    ran = CliRunner().invoke(main, ["run", str(plan), "--no-save", "-q", "-w", "1", "-r", "2"])
    assert ran.exit_code == 0, ran.output


def test_the_written_plan_run_on_the_verifying_seed_gives_the_verified_figures(tmp_path):
    # A review ran `shiftsim run plan.yaml` after `staff` said "met" and read "at
    # risk": another seed, other replications. The output now says which seed
    # reproduces the verification, and it does, figure for figure.
    plan, folder = tmp_path / "plan.yaml", tmp_path / "staffing"
    args = ["staff", "scenarios/minimal.yaml", "-w", "1", "-q", "--write", str(plan)]
    out = CliRunner().invoke(main, [*args, "--out", str(folder)])
    assert out.exit_code == 0, out.output
    staffed = json.loads((folder / "summary.json").read_text())
    seed = staffed["verify_seed"]
    assert f"`shiftsim run {plan} --seed {seed}` reproduces the verified figures" in out.output
    assert f"`--seed {seed}` reproduces the" in plan.read_text().splitlines()[2]
    ran = CliRunner().invoke(
        main, ["run", str(plan), "--seed", str(seed), "--no-save", "-q", "-w", "1", "--json"]
    )
    assert ran.exit_code == 0, ran.output
    runs = {(t["target"], p["period"]): p["value"]["value"]
            for t in json.loads(ran.stdout)["targets"] for p in t["periods"]}  # fmt: skip
    verified = {(r["target"], r["period"]): r["value"] for r in staffed["requirements"]}
    assert verified and all(runs[k] == pytest.approx(v, abs=1e-9) for k, v in verified.items())


def test_staff_status_speaks_as_run_does() -> None:
    from shiftsim.outputs.staffing import _status

    rows = pd.DataFrame({"met": [True, True], "low": [0.91, 0.95], "required": [0.9, 0.9]})
    assert "likely met" in _status(rows)
    assert "met, at risk" in _status(rows.assign(low=[0.88, 0.95]))
    assert "missed" in _status(rows.assign(met=[True, False]))


def test_a_shift_capped_below_an_unmeetable_requirement_is_kept_at_its_cap():
    # A review capped the day shift at 2 agents: the day requirements are out of
    # reach, no longer constrain the search, and it cut the day shift to 0. The
    # shift that serves the day best now stays at the planner's cap, and says so.
    sc = load_scenario("scenarios/minimal.yaml").with_({"staffing.bounds": {"agents.day": [0, 2]}})
    result = staff(sc, screen_replications=4, verify_replications=4)
    assert not result.feasible
    assert result.recommended["agents.day"] == 2
    unmet = [u for u in result.unmet if u.period == "day"]
    assert unmet and all(u.plan["agents.day"] == 2 for u in unmet)
    assert "agents.day" not in set(result.one_fewer["pool"] + "." + result.one_fewer["shift"])
    # The other shifts are still sized for their own periods, not left at the start.
    assert result.recommended["agents.evening"] < 39 and result.recommended["agents.night"] < 33
