"""Issue 14, arrival side: distributions that vary by case, profiles per day type, shared
forecast error. Timelines with constant distributions, statistics against closed forms."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import numpy as np
import pytest
from conftest import BASE, run_timeline
from scipy import stats

from shiftsim.model.loading import parse_scenario, read_yaml
from shiftsim.model.names import PRIORITIES, weekday_group
from shiftsim.model.problems import ScenarioError
from shiftsim.model.scenario import Scenario
from shiftsim.sim.arrivals import Calendar, Contacts, expected_hourly, generate_contacts
from shiftsim.sim.records import Outcome
from shiftsim.sim.replication import clears_queue_at_close, engine_rules, run_replication

HOUR = 3600.0


def const(seconds: float) -> dict[str, str]:
    return {"dist": "constant", "value": f"{seconds:g}s"}


def scenario(**channel: Any) -> Scenario:
    """BASE's phone channel with keys replaced (``volume`` merged)."""
    data = copy.deepcopy(BASE)
    phone = data["channels"]["phone"]
    phone["volume"].update(channel.pop("volume", {}))
    phone.update(channel)
    return parse_scenario(data)


def contacts(sc: Scenario, replication: int = 0) -> Contacts:
    return generate_contacts(sc, replication, Calendar.of(sc))


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="f.yaml")
    return str(info.value)


# -- the default stays as it was -------------------------------------------------------

# A scenario touching every attribute generate_contacts draws; the digest of its
# contacts was taken with the code before issue 14 (numpy 2.4): a file that uses none
# of the new keys must draw exactly the same customers.
RICH: dict[str, Any] = {
    "horizon": {"start": "2026-03-02", "days": 9, "warmup": "1d"},
    "seed": 11,
    "channels": {
        "phone": {
            "kind": "voice",
            "volume": {"per_day": 900, "weekday_factors": {"sat": 0.5, "sun": 0.0},
                       "daily_cv": 0.15},
            "handle_time": {"dist": "lognormal", "mean": "4min", "cv": 1.1},
            "patience": {"dist": "exponential", "mean": "3min"},
            "priorities": {"urgent": 0.2, "general": 0.8},
            "vip_share": 0.1,
            "bot": {"containment": 0.2, "hours": ["06:00", "22:00"]},
        },
        "email": {
            "kind": "async",
            "volume": {"per_day": 300, "hourly_profile": [0] * 8 + [1] * 10 + [0] * 6},
            "handle_time": {"dist": "gamma", "mean": "6min", "cv": 0.8},
            "escalation": {"department": "back", "share": 0.1},
        },
    },
    "departments": {"back": {"delay": {"dist": "exponential", "mean": "2h"}}},
    "events": [{"date": "2026-03-05", "factor": 1.4}],
    "pools": {"agents": {"channels": ["phone", "email"], "rotation": {"pattern": "1"},
                         "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 9}}}},
}  # fmt: skip
RICH_DIGEST = "d213720ce639d348193977482ab4a147d910df2492127c12a16657b62bc55e3b"
FIELDS = ("channel", "arrival", "priority", "vip", "handle", "patience", "bot", "bot_session",
          "contained", "department", "dept_delay", "dept_delay_off", "closing", "due")  # fmt: skip


def _digest(c: Contacts) -> str:
    h = hashlib.sha256()
    for k in FIELDS:
        h.update(getattr(c, k).tobytes())
    return h.hexdigest()


@pytest.mark.skipif(not np.__version__.startswith("2.4."), reason="digest taken with numpy 2.4")
def test_without_the_new_keys_customers_are_drawn_as_before() -> None:
    sc = parse_scenario(RICH)
    assert len(contacts(sc, 2)) == 9971
    assert _digest(contacts(sc, 2)) == RICH_DIGEST
    # Spelling the defaults out changes nothing either.
    data = copy.deepcopy(RICH)
    data["forecast"] = {"shared_cv": 0}
    phone = data["channels"]["phone"]["volume"]
    phone["profiles"] = {"mon-sun": list(parse_scenario(RICH).channels["phone"].volume
                                         .hourly_profile)}  # fmt: skip
    assert _digest(contacts(parse_scenario(data), 2)) == RICH_DIGEST


def test_same_profile_written_per_day_type_gives_identical_records() -> None:
    sc = parse_scenario(RICH)
    data = copy.deepcopy(RICH)
    profile = [0] * 8 + [1] * 10 + [0] * 6
    data["channels"]["email"]["volume"]["profiles"] = {"sat-sun": profile, "mon,wed": profile}
    data["events"].append({"date": "2026-03-07", "hourly_profile": profile,
                           "channels": {"email": 1.0}})  # fmt: skip
    a, b = run_replication(sc, 1).result.log, run_replication(parse_scenario(data), 1).result.log
    for key, col in a.as_dict().items():
        np.testing.assert_array_equal(col, b.as_dict()[key], err_msg=key)


# -- handle time and patience by case -------------------------------------------------


def test_handle_time_by_hour_band_priority_and_vip() -> None:
    sc = scenario(
        volume={"per_day": 2400, "hourly_profile": [1] * 24, "daily_cv": 0},
        handle_time=const(100),
        handle_time_by={"hour": {"08:00": const(200), "18:30": const(300)},
                        "priority": {"urgent": const(400)}, "vip": const(500)},
        priorities={"urgent": 0.25, "general": 0.75}, vip_share=0.1,
    )  # fmt: skip
    c = contacts(sc)
    clock = np.mod(c.arrival, 86400)
    expected = np.select([clock < 8 * HOUR, clock < 18.5 * HOUR], [100.0, 200.0], 300.0)
    expected = np.where(c.priority == PRIORITIES.index("urgent"), 400.0, expected)
    expected = np.where(c.vip, 500.0, expected)  # most specific first: VIP, priority, hour
    assert len(c) > 5000 and set(np.unique(c.handle)) == {100.0, 200.0, 300.0, 400.0, 500.0}
    np.testing.assert_array_equal(c.handle, expected)
    # The per-hour mean the analytic figures use: the 18h hour is half 200 s, half 300 s.
    means = sc.channels["phone"].handle_means()
    regular = {7: 100.0, 8: 200.0, 18: 250.0, 23: 300.0}
    for h, m in regular.items():
        assert means[h] == pytest.approx(0.1 * 500 + 0.9 * (0.25 * 400 + 0.75 * m))


def test_patience_by_priority_and_vip_on_first_attempts_and_retries() -> None:
    data = copy.deepcopy(BASE)
    data["pools"]["agents"]["shifts"]["all"]["headcount"] = 0  # nobody answers: all abandon
    data["channels"]["phone"].update(
        patience=const(10), patience_by={"priority": {"urgent": const(50)}, "vip": const(70)},
        retry={"share": 1.0, "delay": const(100), "max_attempts": 2},
        priorities={"urgent": 0.5, "general": 0.5}, vip_share=0.2,
    )  # fmt: skip
    sc = parse_scenario(data)
    c = contacts(sc)
    want = np.where(c.vip, 70.0, np.where(c.priority == 0, 50.0, 10.0))
    np.testing.assert_array_equal(c.patience, want)
    # A retry draws its patience by the same rule (sim.arrivals.patience_cases).
    rows = [{"t": 0.0, "priority": "urgent", "patience": 50.0},
            {"t": 1000.0, "patience": 10.0},
            {"t": 2000.0, "vip": True, "patience": 70.0}]  # fmt: skip
    log = run_timeline(sc, rows).log
    order = np.lexsort((log.attempt, log.customer))
    gone = log.abandoned[order]
    assert (log.outcome == Outcome.ABANDONED).all()
    np.testing.assert_array_equal(gone, [50, 200, 1010, 1120, 2070, 2240])


def test_a_case_with_no_patience_waits_for_ever() -> None:
    sc = scenario(patience_by={"priority": {"urgent": const(30)}},
                  priorities={"urgent": 0.5, "general": 0.5})  # fmt: skip
    c = contacts(sc)
    assert np.isinf(c.patience[c.priority == 2]).all() and (c.patience[c.priority == 0] == 30).all()


def test_varying_durations_keep_their_means_and_common_random_numbers() -> None:
    lognormal = {"dist": "lognormal", "mean": "250s", "cv": 1.2}
    evening = {"dist": "gamma", "mean": "180s", "cv": 0.9}
    sc = scenario(volume={"per_day": 20000, "daily_cv": 0}, handle_time=const(1),
                  handle_time_by={"hour": {"00:00": lognormal, "18:00": evening}})  # fmt: skip
    c = contacts(sc)
    late = np.mod(c.arrival, 86400) >= 18 * HOUR
    for sel, mean, cv in ((~late, 250.0, 1.2), (late, 180.0, 0.9)):
        x = c.handle[sel]
        half = stats.norm.ppf(0.9995) * mean * cv / np.sqrt(len(x))  # 99.9% CI of the mean
        assert abs(x.mean() - mean) < half
    # Another evening distribution: the daytime customers keep their handle times.
    other = scenario(volume={"per_day": 20000, "daily_cv": 0}, handle_time=const(1),
                     handle_time_by={"hour": {"00:00": lognormal, "18:00": const(60)}})  # fmt: skip
    d = contacts(other)
    np.testing.assert_array_equal(c.arrival, d.arrival)
    np.testing.assert_array_equal(c.handle[~late], d.handle[~late])
    assert (d.handle[late] == 60).all()


def test_case_keys_are_validated() -> None:
    data = copy.deepcopy(BASE)
    ch = data["channels"]["phone"]
    ch["handle_time_by"] = {"hour": {"08:00": const(1), "8:00": const(2)}}
    ch["patience_by"] = {}
    text = problems(data)
    assert "f.yaml: channels.phone.handle_time_by.hour: two bands start at the same time " \
           "(got '08:00' and '8:00')" in text  # fmt: skip
    assert "f.yaml: channels.phone.patience_by: give at least one of priority, vip (got {})" in text
    ch["handle_time_by"] = {"hour": {"24:00": const(1)}, "priority": {"urgnt": const(1)}}
    ch["patience_by"] = {"hour": {"08:00": const(1)}}
    text = problems(data)
    assert "handle_time_by.hour: a band starts before '24:00' (got '24:00')" in text
    assert "handle_time_by.priority.urgnt.[key]: input should be 'urgent'" in text
    assert "channels.phone.patience_by.hour: unknown key" in text
    # Unquoted clock keys, read from YAML, are refused with the usual hint.
    yaml = read_yaml("hour: {8:30: {dist: constant, value: 1s}}", "f.yaml")
    ch["handle_time_by"], ch["patience_by"] = yaml, {"vip": const(1)}
    assert "clock times must be quoted strings" in problems(data)
    email = {"kind": "async", "volume": {"per_day": 5}, "handle_time": const(1),
             "patience_by": {"vip": const(1)}}  # fmt: skip
    data = copy.deepcopy(BASE)
    data["channels"]["email"] = email
    data["pools"]["agents"]["channels"].append("email")
    assert "channels.email: async channels have no waiting customer: remove patience_by" in (
        problems(data)
    )


def test_varying_keys_round_trip_through_to_dict() -> None:
    sc = scenario(handle_time_by={"hour": {"09:30": const(5)}, "vip": const(7)},
                  patience=const(3), patience_by={"priority": {"general": const(4)}})  # fmt: skip
    again = parse_scenario(sc.to_dict())
    assert again.channels == sc.channels
    by = again.channels["phone"].handle_time_by
    assert by is not None and [(s, d.mean) for s, d in by.bands] == [(9.5 * HOUR, 5.0)]


def test_weekday_groups() -> None:
    assert weekday_group("fri") == ("fri",)
    assert weekday_group("sun-thu") == ("sun", "mon", "tue", "wed", "thu")
    assert weekday_group("sat-sun") == ("sat", "sun")
    assert weekday_group("mon, wed") == ("mon", "wed")
    for bad in ("xmas", "mon-tue-wed", "mon,mon", "fri-"):
        with pytest.raises(ValueError, match="day type"):
            weekday_group(bad)


# -- profiles per day type ------------------------------------------------------------

WEEKDAY = [0.0] * 8 + [1.0] * 10 + [0.0] * 6  # 08-18
FRIDAY = [0.0] * 8 + [2.0] * 6 + [0.0] * 10  # 08-14, same total weight shape
WEEKEND = [1.0] * 24


def test_profiles_per_day_type_shape_arrivals_and_closed_hours() -> None:
    # 2026-03-02 is a Monday: 14 days, two Fridays, two weekends.
    data = copy.deepcopy(BASE)
    data["horizon"] = {"start": "2026-03-02", "days": 14}
    data["channels"]["phone"]["volume"] = {
        "per_day": 960, "daily_cv": 0, "hourly_profile": WEEKDAY,
        "profiles": {"fri": FRIDAY, "sat-sun": WEEKEND}, "weekday_factors": {"sun": 0.5},
    }  # fmt: skip
    data["events"] = [{"date": "2026-03-10", "hourly_profile": FRIDAY, "label": "early close"}]
    sc = parse_scenario(data)
    cal = Calendar.of(sc)
    lam = expected_hourly("phone", sc, cal).reshape(-1, 24)
    weekday = [cal.date(i).strftime("%a").lower() for i in range(cal.arrival_days)]
    for i, day in enumerate(weekday):
        profile = {"fri": FRIDAY, "sat": WEEKEND, "sun": WEEKEND}.get(day, WEEKDAY)
        if cal.date(i).isoformat() == "2026-03-10":
            profile = FRIDAY  # the event's profile replaces the Tuesday's
        total = 960 * (0.5 if day == "sun" else 1.0)
        np.testing.assert_allclose(lam[i], total * np.array(profile) / sum(profile))
    # The engine's closed hours follow the day's profile, and a run has no arrival in them.
    closed = np.array(engine_rules(sc)[0][0].closed[: cal.arrival_days * 24]).reshape(-1, 24)
    np.testing.assert_array_equal(closed, lam == 0)
    assert closed[4, 14] and not closed[3, 14] and not closed[5, 3]  # fri 14h, thu 14h, sat 3h
    log = run_replication(sc, 0).result.log
    assert not closed.ravel()[(log.arrival // HOUR).astype(int)].any()
    # Arrivals: none in a closed hour, and each hour's count is Poisson around its rate.
    counts = np.zeros_like(lam)
    for r in range(20):
        c = contacts(sc, r)
        counts += np.bincount((c.arrival // HOUR).astype(int), minlength=lam.size).reshape(
            lam.shape
        )
    assert (counts[lam == 0] == 0).all()
    z = (counts.sum(axis=0) - 20 * lam.sum(axis=0)) / np.sqrt(20 * lam.sum(axis=0) + 1e-300)
    assert np.abs(z[lam.sum(axis=0) > 0]).max() < 4


def test_an_event_profile_applies_to_its_channels_and_the_last_one_wins() -> None:
    data = copy.deepcopy(RICH)
    data["events"] = [
        {"date": "2026-03-04", "hourly_profile": WEEKEND},
        {"date": "2026-03-04", "hourly_profile": FRIDAY, "channels": {"email": 0.5}},
    ]
    sc = parse_scenario(data)
    cal = Calendar.of(sc)
    day = [cal.date(i).isoformat() for i in range(cal.arrival_days)].index("2026-03-04")
    phone = expected_hourly("phone", sc, cal).reshape(-1, 24)[day]
    email = expected_hourly("email", sc, cal).reshape(-1, 24)[day]
    np.testing.assert_allclose(phone, phone.sum() / 24)  # the first event: every channel
    np.testing.assert_allclose(email, email.sum() * np.array(FRIDAY) / sum(FRIDAY))
    assert email.sum() == pytest.approx(300 * 0.5)


def test_closed_hours_of_a_day_type_make_agents_clear_the_queue() -> None:
    flat = scenario(volume={"hourly_profile": WEEKEND})
    assert not clears_queue_at_close(flat, "agents")
    friday = scenario(volume={"hourly_profile": WEEKEND, "profiles": {"fri": FRIDAY}})
    assert clears_queue_at_close(friday, "agents")
    data = copy.deepcopy(BASE)
    data["channels"]["phone"]["volume"]["hourly_profile"] = WEEKEND
    data["events"] = [{"date": "2026-03-03", "hourly_profile": FRIDAY}]
    assert clears_queue_at_close(parse_scenario(data), "agents")


def test_profiles_are_validated() -> None:
    data = copy.deepcopy(BASE)
    vol = data["channels"]["phone"]["volume"]
    vol["profiles"] = {"fri": WEEKDAY, "thu-sat": WEEKDAY}
    assert "f.yaml: channels.phone.volume.profiles: fri has two profiles ('fri' and 'thu-sat')" in (
        problems(data)
    )
    vol["profiles"] = {"xmas": WEEKDAY}
    assert "channels.phone.volume.profiles: a day type is a weekday (mon ... sun)" in problems(data)
    vol["profiles"] = {"sat": [1] * 23}
    assert "channels.phone.volume.profiles.sat: needs exactly 24 hourly values (got 23)" in (
        problems(data)
    )
    data["events"] = [{"date": "2026-03-03", "hourly_profile": [0] * 24}]
    assert "events.0.hourly_profile: values must be >= 0 with a positive sum" in problems(data)


# -- forecast error shared by the channels ----------------------------------------------


def _daily_counts(sc: Scenario, replications: int) -> np.ndarray:
    """First attempts per [replication x day, channel]."""
    cal = Calendar.of(sc)
    out = []
    for r in range(replications):
        c = contacts(sc, r)
        cell = (c.arrival // 86400).astype(int) * len(sc.channels) + c.channel
        counts = np.bincount(cell, minlength=cal.arrival_days * len(sc.channels))
        out.append(counts.reshape(cal.arrival_days, len(sc.channels)))
    return np.concatenate(out).astype(float)


def _two_channels(shared: float | None, cv: tuple[float, float]) -> Scenario:
    data = copy.deepcopy(BASE)
    data["horizon"] = {"start": "2026-03-02", "days": 400}
    phone = data["channels"]["phone"]
    phone["volume"] = {"per_day": 400, "hourly_profile": [1] * 24, "daily_cv": cv[0]}
    data["channels"]["chat"] = {**copy.deepcopy(phone), "kind": "chat",
                                "volume": {"per_day": 200, "daily_cv": cv[1]}}  # fmt: skip
    data["pools"]["agents"]["channels"] = ["phone", "chat"]
    if shared is not None:
        data["forecast"] = {"shared_cv": shared}
    return parse_scenario(data)


def _variance_z(x: np.ndarray, variance: float) -> float:
    """How many standard errors the sample variance of ``x`` is from ``variance``."""
    n = len(x)
    s2 = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    se = np.sqrt(max(m4 - s2**2 * (n - 3) / (n - 1), 1e-12) / n)
    return float((s2 - variance) / se)


@pytest.mark.parametrize(("shared", "cv"), [(0.15, (0.1, 0.2)), (None, (0.1, 0.2)), (0.1, (0, 0))])
def test_variance_of_the_daily_total_over_channels(
    shared: float | None, cv: tuple[float, float]
) -> None:
    sc = _two_channels(shared, cv)
    n = _daily_counts(sc, 4)  # 1,600 days
    lam = np.array([400.0, 200.0])
    c = np.array(cv)
    s2 = (shared or 0.0) ** 2
    # N_c = Poisson(lam_c S X_c), S and X_c gamma with mean 1: Var(sum) = sum lam
    # + (1 + s^2) E[(sum lam_c X_c)^2] - (sum lam)^2.
    second = (lam**2 * (1 + c**2)).sum() + 2 * lam[0] * lam[1]
    total_var = lam.sum() + (1 + s2) * second - lam.sum() ** 2
    assert abs(_variance_z(n.sum(axis=1), total_var)) < 4
    # Each channel alone: cv^2 = (1 + s^2)(1 + daily_cv^2) - 1; covariance lam1 lam2 s^2.
    for k in range(2):
        own = lam[k] + lam[k] ** 2 * ((1 + s2) * (1 + c[k] ** 2) - 1)
        assert abs(_variance_z(n[:, k], own)) < 4
    cov = np.cov(n[:, 0], n[:, 1])[0, 1]
    se = np.sqrt(n[:, 0].var() * n[:, 1].var() / len(n))  # under independence, a bound
    assert abs(cov - lam[0] * lam[1] * s2) < 4 * se * (1 + 3 * s2)


def test_shared_busyness_keeps_each_channels_own_draws() -> None:
    # The shared factor has a stream of its own: without it the channels draw as before,
    # with it every channel's day is scaled by the same factor.
    a, b = (
        _daily_counts(_two_channels(None, (0.1, 0.1)), 1),
        _daily_counts(_two_channels(0.3, (0.1, 0.1)), 1),
    )
    ratio = (b[:, 0] / a[:, 0]) / (b[:, 1] / a[:, 1])
    assert np.median(np.abs(np.log(ratio))) < 0.1  # the same factor on both channels
    assert np.corrcoef(b[:, 0], b[:, 1])[0, 1] > 0.5 > abs(np.corrcoef(a[:, 0], a[:, 1])[0, 1])


# -- what planners read: the spreadsheet check and the report's assumptions ---------------------


def _banded() -> Scenario:
    data = copy.deepcopy(BASE)
    phone = data["channels"]["phone"]
    phone["handle_time"] = {"dist": "constant", "value": "100s"}
    phone["handle_time_by"] = {"hour": {"12:00": {"dist": "constant", "value": "300s"}}}
    phone["volume"]["profiles"] = {"sat-sun": [1.0] * 24}
    return parse_scenario(data)


def test_the_spreadsheet_check_uses_each_hours_handle_time() -> None:
    from shiftsim.planning.check import check_scenario, planner_service_level

    (channel,) = check_scenario(_banded())
    by_hour = {h.hour: h for h in channel.hours}
    # The planner's Erlang figure of each hour is that of the hour's own handle time.
    for hour, handle in ((11, 100.0), (12, 300.0)):
        hc = by_hour[hour]
        expected = planner_service_level(hc.arrivals, hc.servers, handle, channel.within, None)
        assert hc.planner == pytest.approx(expected)


def test_the_assumptions_name_the_cases_and_day_types() -> None:
    from shiftsim.outputs.assumptions import assumptions

    (row,) = assumptions(_banded()).volumes.rows
    other = row[-1].text
    assert "own hourly profile on sat-sun" in other
    assert "handle time by case: from 12:00 constant 5 min" in other
