"""``shiftsim check``: the planner's per-hour Erlang figure next to the simulation's."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from shiftsim.cli import main
from shiftsim.model.loading import load_scenario, parse_scenario
from shiftsim.planning.check import MATERIAL, agents_by_hour, check_scenario, planner_service_level
from shiftsim.planning.theory import erlang_a, erlang_c_service_level
from shiftsim.sim.arrivals import Calendar
from shiftsim.sim.roster import build_roster

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"
HOURS = [f"{h:02d}:00" for h in range(24)]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def hour_rows(output: str) -> dict[str, list[str]]:
    """Cells of each table row that starts with an hour of the day."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│|┃]", line) if c.strip()]
        if cells and re.fullmatch(r"\d\d:00", cells[0]):
            rows[cells[0]] = cells
    return rows


# A center that reduces to M/M/n in every hour: flat arrivals, one shift
# around the clock, exponential handle times, no forecast error.
STATIONARY: dict[str, Any] = {
    "name": "stationary",
    "horizon": {"start": "2026-03-02", "days": 4, "warmup": "1d"},
    "replications": 4,
    "seed": 5,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {"per_day": 1440, "hourly_profile": [1] * 24, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "4min"},
        }
    },
    "pools": {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 5}},
        }
    },
    "targets": [{"channel": "phone", "within": "1min", "goal": 0.8}],
}


# --------------------------------------------------------------------------- #
# The command
# --------------------------------------------------------------------------- #
def test_check_minimal_prints_every_hour() -> None:
    result = invoke("check", MINIMAL, "--replications", "2", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)
    out = result.output
    assert "Traceback" not in out
    scenario = load_scenario(MINIMAL)
    assert out.splitlines()[0].startswith(
        f"{scenario.name}: {scenario.horizon.days} days from {scenario.horizon.start}, "
        "2 replication(s), seed 3"
    )
    assert "phone: answered within 30min" in out
    assert "Erlang A" in out  # minimal.yaml's callers hang up
    rows = hour_rows(out)
    assert list(rows) == HOURS
    for cells in rows.values():
        assert re.fullmatch(r"\d+\.\d%", cells[4]), cells  # planner
        assert re.match(r"\d+\.\d%", cells[5]), cells  # simulated, with its CI
    assert "of 24 hours differ by more than the CI plus 5 points" in out


def test_check_same_seed_same_table() -> None:
    args = ("check", MINIMAL, "-r", "2", "--seed", "9")
    first, again = invoke(*args), invoke(*args)
    assert first.exit_code == again.exit_code == 0
    assert first.output == again.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("horizon: {start: 2026-03-02, days: 0}\n", "horizon.days"),
        ("name: [unclosed\n", "invalid YAML"),
    ],
    ids=["invalid-value", "invalid-yaml"],
)
def test_check_bad_file_exits_1_without_traceback(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("check", path)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith(f"{path}: ")
    assert expected in result.output


def test_check_missing_file_exits_1(tmp_path: Path) -> None:
    result = invoke("check", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert "cannot read file" in result.output
    assert "Traceback" not in result.output


def test_check_rejects_bad_options() -> None:
    result = invoke("check", MINIMAL, "-r", "0")
    assert result.exit_code == 1  # bad input (click's usage error, made 1)
    assert "Invalid value" in result.output


# --------------------------------------------------------------------------- #
# The planner's figure
# --------------------------------------------------------------------------- #
def test_planner_is_erlang_c_or_a() -> None:
    lam_h, handle, t = 60.0, 240.0, 60.0
    expected = erlang_c_service_level(5, lam_h / 3600, 1 / handle, t)
    assert planner_service_level(lam_h, 5, handle, t) == pytest.approx(expected)
    abandon = erlang_a(5, lam_h / 3600, 1 / handle, 1 / 300).sl_all(t)
    assert planner_service_level(lam_h, 5, handle, t, mean_patience=300) == pytest.approx(abandon)
    # A fractional average staffing lies between its neighbours.
    low, high = (
        planner_service_level(lam_h, 5, handle, t),
        planner_service_level(lam_h, 6, handle, t),
    )
    assert planner_service_level(lam_h, 5.25, handle, t) == pytest.approx(0.75 * low + 0.25 * high)
    assert planner_service_level(lam_h, 0.0, handle, t) == 0.0
    assert planner_service_level(lam_h, 3, handle, t) == 0.0  # overloaded, nobody leaves
    assert math.isnan(planner_service_level(0.0, 5, handle, t))
    # Patience so long next to the overload that Erlang A cannot be solved: Erlang C.
    assert planner_service_level(7200, 1, 3600, t, mean_patience=1e12) == 0.0


def test_agents_by_hour_is_the_mean_rostered_on_duty() -> None:
    scenario = load_scenario(MINIMAL)
    cal = Calendar.of(scenario)
    roster = build_roster(scenario, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)
    agents = agents_by_hour(roster, [0], cal)
    per_day = roster.on_duty_by_day[: cal.days].mean(axis=0)  # day, evening, night
    shift = {name: i for i, (_, name) in enumerate(roster.shift_names)}
    assert agents[8:18] == pytest.approx(np.full(10, per_day[shift["day"]]))
    assert agents[18:24] == pytest.approx(np.full(6, per_day[shift["evening"]]))
    assert agents[0:8] == pytest.approx(np.full(8, per_day[shift["night"]]))


def test_shrinkage_is_taken_off_the_agents() -> None:
    data = copy.deepcopy(STATIONARY)
    data["pools"]["agents"]["shrinkage"] = 0.2
    data["pools"]["agents"]["shifts"]["all"]["headcount"] = 10
    scenario = parse_scenario(data)
    cal = Calendar.of(scenario)
    roster = build_roster(scenario, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)
    assert agents_by_hour(roster, [0], cal).mean() == pytest.approx(8.0)


# --------------------------------------------------------------------------- #
# The comparison
# --------------------------------------------------------------------------- #
def test_stationary_center_matches_the_planner() -> None:
    scenario = parse_scenario(STATIONARY)
    [phone] = check_scenario(scenario)
    assert phone.channel == "phone"
    assert phone.model == "Erlang C"
    assert phone.within == 60.0
    expected = erlang_c_service_level(5, 60 / 3600, 1 / 240, 60.0)
    for hc in phone.hours:
        assert hc.arrivals == pytest.approx(60.0)
        assert hc.servers == pytest.approx(5.0)
        assert hc.planner == pytest.approx(expected)
        assert not hc.flagged, hc
        assert hc.reasons == ()
    # Pooled over the day, the simulation is close to Erlang C.
    assert np.mean([hc.simulated.mean for hc in phone.hours]) == pytest.approx(expected, abs=0.03)


def test_a_bot_the_planner_ignores_is_flagged_with_its_reason() -> None:
    data = copy.deepcopy(STATIONARY)
    # Twice the calls 5 agents can handle (150 an hour, 4 min each), but the
    # bot resolves 60% of them: the humans' load is 0.8.
    data["channels"]["phone"]["volume"]["per_day"] = 150 * 24
    data["channels"]["phone"]["bot"] = {
        "containment": 0.6,
        "session_time": {"dist": "constant", "value": "5s"},
    }
    [phone] = check_scenario(parse_scenario(data))
    for hc in phone.hours:
        assert hc.planner == 0.0  # load twice the agents, nobody hangs up
        assert hc.simulated.mean > MATERIAL + hc.simulated.half_width
        assert hc.flagged
        assert "bot" in hc.ignored
        # Measured: rerun with the calls that reach agents, Erlang closes the gap.
        top = hc.reasons[0]
        assert top.label == "arrivals" and not top.simulating
        assert top.effect > 0.6 * hc.difference  # most of it: the rest is noise and the session
        assert "(the bot resolves some)" in top.text
        assert len(hc.reasons) <= 2


def test_one_busy_day_is_named_day_to_day() -> None:
    # Four days, one with three times the calls: the mean day is fine, the busy day is not.
    data = copy.deepcopy(STATIONARY)
    data["events"] = [{"date": "2026-03-04", "factor": 3.0}]
    data["channels"]["phone"]["patience"] = {"dist": "exponential", "mean": "2min"}
    data["pools"]["agents"]["shifts"]["all"]["headcount"] = 7
    [phone] = check_scenario(parse_scenario(data))
    flagged = [hc for hc in phone.hours if hc.flagged]
    assert len(flagged) >= 12, [hc.difference for hc in phone.hours]
    for hc in flagged:
        assert hc.difference < 0  # the planner's mean day looks better than the days are
        labels = [r.label for r in hc.reasons]
        assert labels[0] in ("day to day", "between hours"), hc.reasons
        assert "day to day" in labels, hc.reasons
        day = next(r for r in hc.reasons if r.label == "day to day")
        assert day.simulating and day.effect > 0.25 * abs(hc.difference)


def test_agents_busy_with_another_channel_are_named_other_work() -> None:
    # The planner counts the shared agents in full for calls; chats keep 4 of them busy.
    data = copy.deepcopy(STATIONARY)
    data["channels"]["chat"] = copy.deepcopy(data["channels"]["phone"]) | {"kind": "chat"}
    data["pools"]["agents"]["channels"] = ["phone", "chat"]
    data["pools"]["agents"]["shifts"]["all"]["headcount"] = 10
    checks = {c.channel: c for c in check_scenario(parse_scenario(data))}
    flagged = [hc for hc in checks["phone"].hours if hc.flagged]
    assert len(flagged) >= 8
    firsts = 0
    for hc in flagged:
        (other,) = [r for r in hc.reasons if r.label == "other work"]
        kept = re.search(r"other waiting channels keep (\d+\.\d) of the", other.text)
        assert kept is not None and 3.5 < float(kept.group(1)) < 4.5, other.text  # 4 erlangs
        assert not other.simulating
        assert other.effect > 0.25 * abs(hc.difference)
        firsts += hc.reasons[0] is other
    assert firsts >= 0.75 * len(flagged)  # usually the largest; queues carry over too


def test_check_prints_the_dominant_reasons_only(tmp_path: Path) -> None:
    data = copy.deepcopy(STATIONARY)
    data["events"] = [{"date": "2026-03-04", "factor": 3.0}]
    data["channels"]["phone"]["patience"] = {"dist": "exponential", "mean": "2min"}
    data["channels"]["phone"]["retry"] = {
        "share": 0.5, "delay": {"dist": "constant", "value": "10min"},
    }  # fmt: skip
    data["pools"]["agents"]["shifts"]["all"]["headcount"] = 7
    path = tmp_path / "busy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = invoke("check", path, "-w", "1")
    assert result.exit_code == 0, result.output
    rows = hour_rows(result.output)
    flagged = [cells for cells in rows.values() if "DIFFERS" in cells[-1]]
    assert len(flagged) >= 12
    for cells in flagged:
        # One or two measured reasons, each with the points it explains.
        reasons = re.findall(r"([a-z ]+) \((\d+) pts\)", cells[-1].split(":", 1)[1])
        assert 1 <= len(reasons) <= 2, cells[-1]
        assert {r.strip() for r, _ in reasons} <= {
            "arrivals", "agents", "other work", "day to day", "between hours",
        }  # fmt: skip
    assert "'day to day' and 'between hours' are the point of simulating" in " ".join(
        result.output.split()
    )


@pytest.mark.slow  # a few seconds: in the full suite
def test_ignored_names_what_the_planner_ignores() -> None:
    holiday = MINIMAL.parent / "holiday.yaml"
    scenario = load_scenario(holiday, {"replications": 1, "horizon.days": 7})
    checks = {c.channel: c for c in check_scenario(scenario)}
    assert set(checks) == {"phone", "chat"}  # email and social are asynchronous
    chat = checks["chat"]
    for label in ("bot", "concurrency 3", "shared pool", "daily load", "escalation", "shrinkage"):
        assert label in chat.hours[12].ignored, (label, chat.hours[12].ignored)
        assert chat.notes[label]
    assert "also serve email, phone, social" in chat.notes["shared pool"]
    assert "x2." in chat.notes["daily load"]  # chat triples on 24-26 December
    phone = checks["phone"]
    assert "retries" in phone.hours[12].ignored
    assert "40% of those who hang up" in phone.notes["retries"]
    assert "bot" not in phone.hours[12].ignored
    # Arrivals jump between 06:00 and 09:00 (typical profile): time-varying load;
    # the day shift starts at 08:00: staffing change.
    assert "time-varying load" in phone.hours[7].ignored
    assert "time-varying load" not in phone.hours[3].ignored
    assert "staffing change" in phone.hours[8].ignored
    assert "staffing change" not in phone.hours[12].ignored


def test_results_do_not_depend_on_workers() -> None:
    args = ("check", MINIMAL, "-r", "3", "--seed", "4")
    serial, parallel = invoke(*args, "--workers", "1"), invoke(*args, "--workers", "2")
    assert serial.exit_code == parallel.exit_code == 0, serial.output + parallel.output
    assert serial.output == parallel.output
