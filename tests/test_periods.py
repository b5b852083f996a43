"""Targets judged per period of the day (issue 12) and the targets-only KPI mode (issue 17)."""

from __future__ import annotations

import copy
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import BASE, contacts_at, run_timeline

from shiftsim.analysis.metrics import (
    TARGET_FIELDS,
    ReplicationMetrics,
    measure,
    meets,
    period_counts,
)
from shiftsim.analysis.results import RunResult, verdict
from shiftsim.analysis.runner import run, simulate
from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.loading import load_scenario, parse_scenario
from shiftsim.model.problems import ScenarioError
from shiftsim.outputs.store import ResultsFolder, load_results
from shiftsim.planning.theory import erlang_c_service_level
from shiftsim.sim.arrivals import Calendar
from shiftsim.sim.replication import Replication
from shiftsim.sim.roster import build_roster

# -- the one rule ------------------------------------------------------------------


def test_meets_is_met_over_eligible_reaching_the_goal() -> None:
    met = np.array([9, 8, 0, 10, 3])
    eligible = np.array([10, 10, 0, 10, 3])
    np.testing.assert_array_equal(meets(met, eligible, 0.9), [True, False, False, True, True])
    # Broadcasts over goals, and nothing eligible never meets a goal.
    assert meets(np.array([[1], [0]]), np.array([[2], [0]]), np.array([0.5, 0.6])).tolist() == [
        [True, False],
        [False, False],
    ]


def test_verdict_reads_the_interval() -> None:
    assert verdict(0.91, 0.99, 0.9) == "likely met"
    assert verdict(0.85, 0.95, 0.9) == "at risk"
    assert verdict(0.05, 0.21, 0.9) == "missed"
    assert verdict(np.nan, np.nan, 0.9) == "no CI"


# -- which period a contact belongs to ---------------------------------------------


def test_period_across_midnight_belongs_to_the_day_it_starts_on() -> None:
    windows = [(0.0, DAY), (22 * HOUR, 6 * HOUR), (8 * HOUR, 18 * HOUR)]
    arrival = np.array(
        [
            1 * HOUR,  # day 0, 01:00: its night opened before the horizon
            23 * HOUR,  # day 0, 23:00 -> night of day 0
            DAY + 1 * HOUR,  # day 1, 01:00 -> night of day 0 as well
            DAY + 5.9 * HOUR,  # day 1, 05:54 -> night of day 0
            DAY + 6 * HOUR,  # day 1, 06:00: no night any more, no period
            DAY + 12 * HOUR,  # day 1, noon -> day period of day 1
            DAY + 22 * HOUR,  # day 1, 22:00 -> night of day 1
        ]
    )
    ok = np.array([True, True, False, True, True, True, False])
    eligible, met = period_counts(arrival, ok, 0.0, 2, windows)
    np.testing.assert_array_equal(eligible, [[2, 3, 0], [5, 1, 1]])
    np.testing.assert_array_equal(met, [[2, 2, 0], [3, 0, 1]])


def test_period_counts_start_at_the_horizon_not_at_time_zero() -> None:
    # One warm-up day: the horizon starts at t = DAY; day 0 is the second simulated day.
    windows = [(0.0, DAY), (18 * HOUR, 24 * HOUR)]
    arrival = np.array([DAY + 19 * HOUR, 2 * DAY + 1 * HOUR, 2 * DAY + 20 * HOUR])
    eligible, met = period_counts(arrival, np.array([True, True, False]), DAY, 2, windows)
    np.testing.assert_array_equal(eligible, [[1, 1], [2, 1]])
    np.testing.assert_array_equal(met, [[1, 1], [1, 0]])


def _replication(data: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[Any, Replication]:
    """A scenario and one replication of it on hand-made arrivals."""
    sc = parse_scenario(data)
    cal = Calendar.of(sc)
    roster = build_roster(sc, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)
    result = run_timeline(sc, rows)  # the same roster, built the same way
    return sc, Replication(0, cal, contacts_at(sc, rows), roster, result)


# One agent around the clock; a call waits while the previous one (1000 s) is handled.
TIMELINE = [
    {"t": 1 * HOUR},  # day 0 night: answered at once (met)
    {"t": 1 * HOUR + 100},  # waits 900 s > 5 min (missed)
    {"t": 9 * HOUR},  # day 0 day: met
    {"t": DAY + 19 * HOUR},  # day 1 evening: met
    {"t": DAY + 19 * HOUR + 10},  # waits 990 s: missed
    {"t": DAY + 19 * HOUR + 20},  # waits 1980 s: missed
    {"t": 2 * DAY + 3 * HOUR},  # day 2 night: met
]


def test_hand_made_timeline_counts_each_period_exactly() -> None:
    data = copy.deepcopy(BASE)
    data["targets"] = [{"channel": "phone", "within": "5min", "goal": 0.5}]
    sc, rep = _replication(data, TIMELINE)
    m = measure(rep, sc)
    assert list(sc.reporting.periods) == ["night", "day", "evening"]
    np.testing.assert_array_equal(m.period_eligible[0], [[2, 1, 0], [0, 0, 3], [1, 0, 0]])
    np.testing.assert_array_equal(m.period_met[0], [[1, 1, 0], [0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(m.target_eligible[0], [3, 3, 1])
    np.testing.assert_array_equal(m.target_met[0], [2, 1, 1])

    req = RunResult.from_metrics(sc, [m], 1).requirements().set_index("period")
    # Nights: 1/2 and 1/1 both reach 50%; the one evening (1/3) does not; one day 1/1.
    assert req.loc["night", "value"] == 1.0 and req.loc["night", "judged"] == 2
    assert req.loc["evening", "value"] == 0.0 and not req.loc["evening", "met"]
    assert req.loc["day", "value"] == 1.0
    assert req.loc["evening", "service_level"] == pytest.approx(1 / 3)
    assert req.loc["night", "eligible"] == 3
    assert (req["required"] == 0.9).all()  # staffing.confidence by default
    assert (req["verdict"] == "no CI").all()  # one replication


def test_night_window_through_the_engine() -> None:
    data = copy.deepcopy(BASE)
    data["reporting"] = {"periods": {"late": ["22:00", "06:00"]}}
    data["targets"] = [{"channel": "phone", "within": "5min", "goal": 0.9}]
    rows = [{"t": 23 * HOUR}, {"t": DAY + 1 * HOUR}, {"t": DAY + 1 * HOUR + 10}]
    sc, rep = _replication(data, rows)
    m = measure(rep, sc)
    # 23:00 and 01:00 of the next day are both in the night that opened on day 0.
    np.testing.assert_array_equal(m.period_eligible[0, :, 0], [3, 0, 0])
    np.testing.assert_array_equal(m.period_met[0, :, 0], [2, 0, 0])


# -- the schema ----------------------------------------------------------------------


def _problems(**changes: Any) -> str:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, source="plan.yaml")
    return str(err.value)


PHONE = {"channel": "phone", "within": "5min", "goal": 0.9}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"targets": [{**PHONE, "periods": ["nigth"]}]},
            "plan.yaml: targets.0.periods: unknown period (got 'nigth'); "
            "reporting.periods has night, day, evening",
        ),
        (
            {"targets": [{**PHONE, "per": "week"}]},
            "plan.yaml: targets.0.per: input should be 'period', 'day' or 'horizon' (got 'week')",
        ),
        (
            {"targets": [{**PHONE, "confidence": 1.2}]},
            "plan.yaml: targets.0.confidence: input should be less than 1 (got 1.2)",
        ),
        (
            {"targets": [{**PHONE, "per": "horizon", "confidence": 0.8}]},
            "plan.yaml: targets.0: confidence applies to per: period or day",
        ),
        (
            {"targets": [{**PHONE, "per": "day", "periods": ["night"]}]},
            "plan.yaml: targets.0: periods applies to per: period only (got per: day)",
        ),
        (
            {"staffing": {"confidence": 0}},
            "plan.yaml: staffing.confidence: input should be greater than 0 (got 0)",
        ),
        (
            {"reporting": {"periods": {"late": ["22:00", "22:00"]}}},
            "plan.yaml: reporting.periods.late: a period cannot start and end at the same time",
        ),
        (
            {"reporting": {"periods": {"late": ["22:00"]}}},
            "plan.yaml: reporting.periods.late: a period is [start, end], such as "
            "['22:00', '06:00'] (got ['22:00'])",
        ),
        (
            {"reporting": {"periods": {"late": [1320, "06:00"]}}},
            "plan.yaml: reporting.periods.late.0: clock times must be quoted strings",
        ),
        (
            {"reporting": {"periods": {}}},
            "plan.yaml: reporting.periods: dictionary should have at least 1 item",
        ),
        (
            {
                "reporting": {"periods": {"late": ["22:00", "06:00"]}},
                "targets": [{**PHONE, "periods": ["night"]}],
            },  # fmt: skip
            "plan.yaml: targets.0.periods: unknown period (got 'night'); "
            "reporting.periods has late",
        ),
    ],
)
def test_bad_periods_and_targets_are_reported(changes: dict[str, Any], expected: str) -> None:
    assert expected in _problems(**changes)


def test_periods_survive_the_round_trip_through_a_file() -> None:
    data = copy.deepcopy(BASE)
    data["reporting"] = {"periods": {"late": ["22:00", "06:00"], "all": ["00:00", "24:00"]}}
    data["staffing"] = {"confidence": 0.8}
    data["targets"] = [{**PHONE, "periods": ["late"], "confidence": 0.95}]
    sc = parse_scenario(data)
    assert sc.reporting.periods == {"late": (22 * HOUR, 6 * HOUR), "all": (0.0, DAY)}
    dumped = sc.to_dict()
    assert dumped["reporting"]["periods"] == {"late": ["22:00", "06:00"], "all": ["00:00", "24:00"]}
    assert parse_scenario(dumped) == sc


# -- judging on simulated runs -------------------------------------------------------


def _erlang_c_center(
    agents: int, lam: float, handle: float, within: float, days: int, reps: int
) -> dict[str, Any]:
    """M/M/n around the clock: flat Poisson arrivals, exponential handling, one warm-up day."""
    return {
        "horizon": {"start": "2026-01-05", "days": days, "warmup": "1d"},
        "replications": reps,
        "seed": 11,
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {"per_day": lam * DAY, "hourly_profile": [1] * 24, "daily_cv": 0},
                "handle_time": {"dist": "exponential", "mean": f"{handle:g}s"},
            }
        },
        "pools": {
            "agents": {
                "channels": ["phone"],
                "rotation": {"pattern": "1"},
                "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": agents}},
            }
        },
        "targets": [
            {"channel": "phone", "within": f"{within:g}s", "goal": 0.8, "per": "horizon"},
            {"channel": "phone", "within": f"{within:g}s", "goal": 0.8, "per": "day"},
        ],
    }


@pytest.mark.slow
def test_horizon_service_level_agrees_with_erlang_c() -> None:
    agents, handle, within = 10, 120.0, 20.0
    lam = 0.8 * agents / handle
    sc = parse_scenario(_erlang_c_center(agents, lam, handle, within, days=1, reps=10))
    req = run(sc).requirements()
    horizon = req[req["per"] == "horizon"].iloc[0]
    theory = float(erlang_c_service_level(agents, lam, 1 / handle, within))
    assert horizon["period"] == "horizon" and horizon["required"] == 0.8
    assert horizon["low"] <= theory <= horizon["high"], (theory, horizon.to_dict())
    assert horizon["high"] - horizon["low"] < 0.06  # informative, not just wide
    assert horizon["met"] == (horizon["value"] >= 0.8)
    assert horizon["value"] == horizon["service_level"]
    day = req[req["per"] == "day"].iloc[0]
    assert day["period"] == "day" and day["judged"] == 10
    assert day["required"] == sc.staffing.confidence


@pytest.fixture(scope="module")
def holiday() -> RunResult:
    sc = load_scenario("scenarios/holiday.yaml", {"replications": 3, "horizon.days": 4})
    return run(sc)


URGENT_PHONE = "phone urgent answered <= 5min"


def test_holiday_nights_hide_behind_the_day(holiday: RunResult) -> None:
    req = holiday.requirements()
    urgent = req[req["target"] == URGENT_PHONE].set_index("period")
    assert list(urgent.index) == ["night", "day", "evening"]
    row = holiday.targets().set_index("target").loc[URGENT_PHONE]
    # Judged on whole days the target looks fine; its nights are much worse.
    assert urgent.loc["night", "value"] < row["p_meet"] - 0.3
    assert urgent.loc["night", "service_level"] < urgent.loc["day", "service_level"]
    assert row["worst_period"] == "night"
    assert row["worst_value"] == urgent.loc["night", "value"]
    assert row["status"].startswith(f"{row['verdict']}: ")
    assert row["status"].endswith(" of nights, needs 90%")
    assert row["verdict"] in ("missed", "at risk")


def test_status_is_honest_about_the_interval(holiday: RunResult) -> None:
    t = holiday.targets()
    for _, row in t.iterrows():
        lo, hi, need = row["worst_low"], row["worst_high"], row["required"]
        expected = "likely met" if lo >= need else "missed" if hi < need else "at risk"
        assert row["verdict"] == expected, row.to_dict()
        assert row["status"].startswith(expected)


def test_requirements_table_is_consistent(holiday: RunResult) -> None:
    req = holiday.requirements()
    n_targets = len(holiday.scenario.resolved_targets)
    assert len(req) == 3 * n_targets
    assert req.attrs["skipped"] == []
    assert (req["low"] <= req["value"]).all() and (req["value"] <= req["high"]).all()
    assert (req["met"] == (req["value"] >= req["required"])).all()
    # Period contacts add up to the day's: the default periods cover the day once.
    by_target = req.groupby("target_index")["eligible"].sum().to_numpy()
    np.testing.assert_allclose(by_target, holiday.targets()["contacts_per_rep"])


def _fake(index: int, eligible: np.ndarray, met: np.ndarray) -> ReplicationMetrics:
    """KPIs of a made-up replication: one target, counts per [day, period]."""
    arrays: dict[str, Any] = {f.name: np.zeros(0) for f in fields(ReplicationMetrics)}
    arrays.update(index=index, n_contacts=0, kpis="targets",
                  period_eligible=eligible[None], period_met=met[None],
                  target_eligible=eligible.sum(axis=1)[None],
                  target_met=met.sum(axis=1)[None])  # fmt: skip
    return ReplicationMetrics(**arrays)


def test_status_names_a_missed_period_before_a_lower_one_at_risk() -> None:
    data = copy.deepcopy(BASE)
    data["horizon"]["days"] = 20
    sc = parse_scenario({**data, "targets": [{**PHONE, "goal": 0.5}]})
    metrics = []
    for r in range(20):
        e = np.zeros((20, 3), dtype=np.int64)
        m = np.zeros((20, 3), dtype=np.int64)
        e[:, 0], m[:17, 0] = 10, 10  # night: 17 of 20 nights meet, in every replication
        e[:, 1], m[:, 1] = 10, 10  # day: always met
        e[0, 2], m[0, 2] = 10, 10 * (r < 16)  # evening: one judged day; 16 of 20 meet
        metrics.append(_fake(r, e, m))
    result = RunResult(scenario=sc, metrics=metrics, requested=20)
    req = result.requirements().set_index("period")
    assert req.loc["night", "value"] == pytest.approx(0.85)
    assert req.loc["night", "verdict"] == "missed"  # tight: 340 of 400 nights
    assert req.loc["evening", "value"] == pytest.approx(0.8)
    assert req.loc["evening", "verdict"] == "at risk"  # 20 evenings only
    assert req.loc["day", "verdict"] == "likely met"
    row = result.targets().iloc[0]
    assert row["worst_period"] == "night"
    assert row["status"] == "missed: 85% of nights, needs 90%"


def test_target_restricted_to_some_periods_and_empty_periods_are_skipped() -> None:
    data = copy.deepcopy(BASE)
    data["channels"]["phone"]["volume"]["hourly_profile"] = [0] * 8 + [1] * 16  # no night calls
    data["replications"] = 2
    data["targets"] = [
        {**PHONE, "periods": ["evening"], "confidence": 0.5},
        PHONE,
    ]
    result = run(parse_scenario(data))
    req = result.requirements()
    assert req[req["target_index"] == 0]["period"].tolist() == ["evening"]
    assert req[req["target_index"] == 0]["required"].tolist() == [0.5]
    assert req[req["target_index"] == 1]["period"].tolist() == ["day", "evening"]
    label = result.scenario.resolved_targets[1].label
    assert req.attrs["skipped"] == [(label, "night", "no eligible contact")]


# -- targets-only KPIs ------------------------------------------------------------------


def test_targets_mode_gives_the_same_judgement() -> None:
    sc = load_scenario("scenarios/holiday.yaml", {"replications": 2, "horizon.days": 1})
    full = simulate(sc)
    lean = simulate(sc, kpis="targets")
    assert lean.kpis == "targets" and full.kpis == "all"
    pd.testing.assert_frame_equal(lean.requirements(), full.requirements())
    pd.testing.assert_frame_equal(lean.targets(), full.targets())
    for a, b in zip(full.metrics, lean.metrics, strict=True):
        for name in TARGET_FIELDS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert b.iv_wait_pct.size == 0 and b.iv_backlog.size == 0
    with pytest.raises(ValueError, match="kpis='all'"):
        lean.intervals()
    with pytest.raises(ValueError, match="kpis must be one of"):
        simulate(sc, kpis="some")


# -- the results folder ----------------------------------------------------------------


def test_requirements_are_saved_and_loaded_back(tmp_path: Path) -> None:
    sc = load_scenario("scenarios/minimal.yaml", {"replications": 2, "horizon.days": 2})
    folder = ResultsFolder(tmp_path / "run", sc, "test", fmt="csv", contacts=False)
    res = run(sc, on_replication=folder.add)
    result = folder.finish(res.wall_time)
    saved = pd.read_csv(tmp_path / "run" / "requirements.csv")
    expected = result.requirements()
    assert saved["target"].tolist() == expected["target"].tolist()
    np.testing.assert_allclose(saved["value"], expected["value"])
    loaded, _ = load_results(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.requirements(), expected)
    pd.testing.assert_frame_equal(loaded.targets(), result.targets())

    # A folder written before periods existed: its npz files lack the period arrays.
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "run", old)
    for f in (old / "replications").glob("rep-*.npz"):
        with np.load(f) as data:
            kept = {k: data[k] for k in data.files if not k.startswith("period_")}
        with f.open("wb") as fh:
            np.savez(fh, **kept)  # type: ignore[arg-type]
    legacy, _ = load_results(old)
    req = legacy.requirements()
    assert len(req) == 0 and len(req.attrs["skipped"]) == 3 * len(sc.resolved_targets)
    assert "older shiftsim" in req.attrs["skipped"][0][2]
    t = legacy.targets()
    np.testing.assert_allclose(t["p_meet"], result.targets()["p_meet"])  # days still judged
    assert set(t["verdict"]) == {"not judged"}
