"""Findings in words: constructed centers whose failure has one known cause, said back."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any

import pytest

from shiftsim.analysis.findings import Finding, findings
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import run
from shiftsim.model.loading import parse_scenario

# Quiet nights (6 calls an hour, 2 agents), then 60 calls an hour from 07:00 while
# the day shift only starts at 08:00: 07:00-08:00 is swamped, every other hour is fine.
RAMP_PROFILE = [6] * 7 + [60] * 17
RAMP: dict[str, Any] = {
    "name": "ramp",
    "horizon": {"start": "2026-03-02", "days": 7},
    "replications": 6,
    "seed": 1,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {
                "per_day": sum(RAMP_PROFILE),
                "hourly_profile": RAMP_PROFILE,
                "daily_cv": 0,
            },  # fmt: skip
            "handle_time": {"dist": "exponential", "mean": "5min"},
            "patience": {"dist": "exponential", "mean": "5min"},
        }
    },
    "pools": {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {
                "night": {"start": "00:00", "end": "08:00", "headcount": 2},
                "day": {"start": "08:00", "end": "16:00", "headcount": 10},
                "evening": {"start": "16:00", "end": "24:00", "headcount": 10},
            },
        }
    },
    "targets": [{"channel": "phone", "within": "1min", "goal": 0.8}],
}

# Email at 80% load on ordinary days; a campaign quadruples it on the second day and
# the one agent never catches up: the backlog is still there at the end.
BACKLOG: dict[str, Any] = {
    "name": "backlog",
    "horizon": {"start": "2026-03-02", "days": 6},
    "replications": 3,
    "seed": 2,
    "channels": {
        "email": {
            "kind": "async",
            "volume": {"per_day": 200, "hourly_profile": [1] * 24, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "6min"},
        }
    },
    "events": [{"date": "2026-03-03", "factor": 4, "label": "mailing"}],
    "pools": {
        "desk": {
            "channels": ["email"],
            "rotation": {"pattern": "1"},
            "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 1}},
        }
    },
    "targets": [{"channel": "email", "within": "2h", "goal": 0.8}],
}

# Calls staffed for an ordinary day, and a one-day surge of three times the volume.
SURGE: dict[str, Any] = {
    "name": "surge",
    "horizon": {"start": "2026-03-02", "days": 7},
    "replications": 6,
    "seed": 3,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {"per_day": 480, "hourly_profile": [1] * 24, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "5min"},
            "patience": {"dist": "exponential", "mean": "3min"},
        }
    },
    "events": [{"date": "2026-03-05", "factor": 3, "label": "outage"}],
    "pools": {
        "agents": {
            "channels": ["phone"],
            "rotation": {"pattern": "1"},
            "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 5}},
        }
    },
    "targets": [{"channel": "phone", "within": "1min", "goal": 0.8, "per": "day"}],
}


def simulate(data: dict[str, Any], **changes: Any) -> RunResult:
    data = copy.deepcopy(data)
    data.update(changes)
    return run(parse_scenario(data))


@pytest.fixture(scope="module")
def ramp() -> RunResult:
    return simulate(RAMP)


@pytest.fixture(scope="module")
def backlog() -> RunResult:
    return simulate(BACKLOG)


@pytest.fixture(scope="module")
def surge() -> RunResult:
    return simulate(SURGE)


def only(result: RunResult) -> Finding:
    (finding,) = findings(result)
    return finding


def test_a_ramp_before_the_day_shift_is_named(ramp: RunResult) -> None:
    f = only(ramp)
    assert f.verdict == "missed" and f.worst_period == "night"
    assert f.cause is not None and f.cause.kind == "ramp"
    assert f.hours == (7,)  # the swamped hour, and no other
    assert "a ramp before a shift starts: the worst hour at night is 07:00-08:00" in f.text
    assert "just before the day shift (agents) starts at 08:00, whose first hour meets" in f.text
    assert "Fails at night (00:00-08:00) on every day" in f.text
    # How badly: the worst period's figures, as in requirements().
    req = ramp.requirements()
    night = req[req["period"] == "night"].iloc[0]
    assert f.value == pytest.approx(night["value"]) and f.value < 0.5
    assert f"{100 * night['value']:.0f}% of nights reach 80% within 1min (needs 90%)" in f.text
    assert f"service level at night {100 * night['service_level']:.1f}%" in f.text


def test_a_backlog_that_never_recovers_is_named(backlog: RunResult) -> None:
    f = only(backlog)
    assert f.verdict == "missed"
    assert f.cause is not None and f.cause.kind == "backlog"
    level = backlog.backlog()
    end = float(level["backlog"].iloc[-1])
    assert end > 200  # the mailing's messages are still there
    said = re.search(r"about ([\d,]+) email messages are still waiting", f.text)
    assert said is not None, f.text
    assert abs(int(said.group(1).replace(",", "")) - end) <= 0.05 * end
    assert "builds up from Tue 3 Mar on" in f.text  # the mailing's day
    # Every day from the mailing on fails, to the end of the horizon.
    assert f.days == tuple(dt.date(2026, 3, d) for d in range(3, 8))
    assert "on every day from Tue 3 Mar to the end of the horizon" in f.text


def test_a_surge_day_is_named(surge: RunResult) -> None:
    f = only(surge)
    assert f.days == (dt.date(2026, 3, 5),)  # the outage, and only it
    assert f.cause is not None and f.cause.kind == "surge"
    assert "a volume surge: the failing day is an event day (outage x3)" in f.text
    assert f.worst_period == "day" and "of days reach 80% within 1min" in f.text


def test_a_night_short_of_agents_throughout_is_named_thin() -> None:
    # Half the night agents: every night hour misses, the hour before 08:00 the most.
    data = copy.deepcopy(RAMP)
    data["channels"]["phone"]["volume"]["hourly_profile"] = [24] * 7 + [60] * 17
    data["channels"]["phone"]["volume"]["per_day"] = 24 * 7 + 60 * 17
    f = only(simulate(data, replications=3))
    assert f.cause is not None and f.cause.kind == "thin", f.causes
    assert re.search(r"too few agents at night: \d of its 8 hours miss the goal, the worst "
                     r"07:00-08:00 \(\d+\.\d%\) just before the day shift", f.text)  # fmt: skip


def test_at_risk_for_want_of_days_says_so() -> None:
    # Every night meets, but 2 replications x 7 days cannot show 90% surely.
    data = copy.deepcopy(RAMP)
    data["pools"]["agents"]["shifts"]["night"]["headcount"] = 12
    f = only(simulate(data, replications=2))
    assert f.verdict == "at risk" and f.value >= f.required
    assert f.cause is not None and f.cause.kind == "uncertain"
    assert "more replications would settle it" in f.text


def test_a_shift_without_slack_is_named() -> None:
    # Flat arrivals at 97% of one round-the-clock shift: every hour misses, no ramp.
    data = copy.deepcopy(SURGE)
    data["events"] = []
    data["channels"]["phone"]["patience"] = None
    data["channels"]["phone"]["volume"]["per_day"] = 1397
    data["horizon"]["days"] = 3
    data["replications"] = 3
    f = only(simulate(data))
    assert f.cause is not None and f.cause.kind == "occupancy"
    assert re.search(r"no slack: the agents all shift is 9\d% busy \(95% CI 9\d-\d+%\), above 90%",
                     f.text)  # fmt: skip


def test_no_slack_is_not_claimed_from_an_uncertain_occupancy(monkeypatch) -> None:
    # Two replications said "no slack: the seniors night shift is 92% busy" while
    # that occupancy's 95% interval was 23-100% (a review): no ground for a cause.
    from shiftsim.analysis import findings as F

    data = copy.deepcopy(SURGE)
    data["events"] = []
    data["channels"]["phone"]["patience"] = None
    data["channels"]["phone"]["volume"]["per_day"] = 1397
    data["horizon"]["days"] = 3
    result = simulate(data, replications=3)
    sure = result.shifts()
    wide = sure.assign(occupancy=0.92, occupancy_low=0.23, occupancy_high=1.0)
    monkeypatch.setattr(F._Context, "shifts", property(lambda self: wide))
    f = only(result)
    assert f.cause is None or f.cause.kind != "occupancy"
    monkeypatch.setattr(F._Context, "shifts", property(lambda self: sure))
    assert only(result).cause.kind == "occupancy"


def test_no_findings_when_every_target_is_likely_met() -> None:
    data = copy.deepcopy(RAMP)
    data["pools"]["agents"]["shifts"]["night"]["headcount"] = 12
    result = simulate(data)
    assert set(result.targets()["verdict"]) == {"likely met"}
    assert findings(result) == []


def test_findings_without_interval_tables(ramp: RunResult) -> None:
    # kpis="targets" keeps the judgement, not the hours: the words still come.
    lean = run(ramp.scenario, kpis="targets")
    f = only(lean)
    assert f.hours == () and f.verdict == "missed" and f.worst_period == "night"
    assert "Fails at night (00:00-08:00) on every day" in f.text


def test_findings_are_plain_data(backlog: RunResult) -> None:
    data = json.loads(json.dumps(only(backlog).as_dict()))
    assert data["target"] == "email answered <= 2h"
    assert data["causes"][0]["kind"] == "backlog"
    assert data["days"][0] == "2026-03-03"
    assert data["text"].startswith("email answered <= 2h: missed, ")


def _console_text(result: RunResult) -> str:
    import io

    from rich.console import Console

    from shiftsim.outputs.console import print_report

    buf = io.StringIO()
    print_report(result, Console(file=buf, width=200, color_system=None))
    return buf.getvalue()


def test_one_replication_below_its_requirement_is_a_finding(ramp: RunResult) -> None:
    # No interval with one replication, so no verdict; an estimate below what is
    # required is still said, never passed over as "likely met" (it was).
    one = simulate(RAMP, replications=1)
    assert set(one.targets()["verdict"]) == {"no CI"}
    f = only(one)
    assert f.verdict == "no CI" and f.value < f.required and f.worst_period == "night"
    assert f.text.startswith("phone answered <= 1min: below its requirement, no interval, ")
    assert "Below at night (00:00-08:00)" in f.text
    assert f.cause is not None and f.cause.kind == "ramp"  # the cause is still found
    printed = _console_text(one)
    assert "Findings: 1 target(s) below what is required (one replication)" in printed
    assert "likely met wherever" not in printed


def test_one_replication_meeting_everything_is_not_called_likely_met() -> None:
    data = copy.deepcopy(RAMP)
    data["pools"]["agents"]["shifts"]["night"]["headcount"] = 12
    one = simulate(data, replications=1)
    assert findings(one) == []
    printed = _console_text(one)
    assert "none can be called likely met: run 2 or more replications" in printed
    assert "every target is likely met" not in printed
