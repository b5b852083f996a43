"""``fit``: recover a known center from its own simulated log, then the bank's January."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import scenario_from
from rich.console import Console

from shiftsim.cli import main
from shiftsim.logs.annotated import annotated_yaml
from shiftsim.logs.capacity import dither
from shiftsim.logs.fit import FitResult, fit_logs
from shiftsim.logs.history import to_log
from shiftsim.logs.patience import fit_patience, kaplan_meier
from shiftsim.logs.reader import read_logs
from shiftsim.logs.service import fit_duration
from shiftsim.model.formats import percent
from shiftsim.model.loading import load_scenario
from shiftsim.model.scenario import Pool, Target
from shiftsim.outputs.logconsole import print_fit
from shiftsim.outputs.logreport import _bot_text, _fitted_rows, _target_text, fit_report_html
from shiftsim.sim.replication import run_replication

needs_interval_staffing = pytest.mark.skipif(
    "staffing" not in Pool.model_fields,
    reason="the fitted scenario needs pools staffed by interval (Pool.staffing)",
)

BANK = Path("/work/shared/data/anonymous_bank")
BANK_MAPPING = Path(__file__).parent.parent / "examples" / "logs" / "anonymous_bank.yaml"

# Open 07:00-23:00: 150 calls an hour by day, 100 in the evening (2,000 a day).
PROFILE = [0.0] * 7 + [150.0] * 8 + [100.0] * 8 + [0.0]
DAY_AGENTS, EVENING_AGENTS = 12, 8


def _known_center(days: int = 14) -> dict:
    return dict(
        horizon={"start": "2026-03-01", "days": days},
        channels={"phone": {
            "kind": "voice",
            "volume": {"per_day": 2000, "hourly_profile": PROFILE, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "5min"},
            "patience": {"dist": "exponential", "mean": "3min"},
            "retry": {"share": 0.4, "delay": {"dist": "exponential", "mean": "10min"},
                      "max_attempts": 3},
        }},
        pools={"agents": {"channels": ["phone"], "rotation": {"pattern": "1"}, "shifts": {
            "day": {"start": "07:00", "end": "15:00", "headcount": DAY_AGENTS},
            "evening": {"start": "15:00", "end": "23:00", "headcount": EVENING_AGENTS},
        }}},
    )  # fmt: skip


@pytest.mark.slow
@needs_interval_staffing
def test_fit_recovers_a_known_center(tmp_path: Path) -> None:
    sc = scenario_from(**_known_center())
    rep = run_replication(sc, 0)
    path = tmp_path / "log.csv"
    to_log(rep, sc).to_csv(path, index=False)
    fit = fit_logs(read_logs([path]))
    (c,) = fit.channels
    v = c.volume
    # Volume: first attempts per day, within 3 standard errors of the day mean.
    se_day = v.per_day_sd / np.sqrt(len(v.days))
    assert abs(v.per_day - 2000) < 3 * max(se_day, np.sqrt(2000 / len(v.days)))
    assert v.cv_low == 0.0  # no day-level noise was simulated
    # Profile: each open hour's share within 4 binomial standard errors.
    true = np.array(PROFILE) / sum(PROFILE)
    n = v.per_day * len(v.days)
    sd = np.sqrt(true * (1 - true) / n)
    assert np.all(np.abs(v.profile - true) <= 4 * sd + 1e-12)
    # Closed at night; 23h shows agents finishing calls (overtime), so it may count as open.
    assert v.closed[:7].all() and not v.closed[7:23].any()
    # Handle time: the fitted mean is the sample mean, and 5 min lies in its interval.
    h = fit.handle["phone"]
    assert h.mean_low < 300 < h.mean_high
    assert fit.scenario.channels["phone"].handle_time.mean == pytest.approx(h.mean, abs=1e-3)
    # Patience (exponential, censored by service): 3 min inside the 95% interval.
    p = fit.patience["phone"]
    assert p.mean_low < 180 < p.mean_high
    # Retries: 40% of abandons call again (window 1 h cuts e^-6 of the delays).
    r = fit.retries["phone"]
    assert r is not None and r.share_low < 0.4 < r.share_high
    assert r.delay_mean_s == pytest.approx(600, rel=0.1)
    # Staffing as it was: the agents on duty, inside the shifts (not at their edges).
    day_hours, evening_hours = slice(8, 14), slice(16, 22)
    assert np.all(np.abs(c.staffing[day_hours] - DAY_AGENTS) < 3 * c.staffing_se[day_hours] + 0.3)
    assert np.all(
        np.abs(c.staffing[evening_hours] - EVENING_AGENTS) < 3 * c.staffing_se[evening_hours] + 0.3
    )
    # The file loads as a scenario and says where each number comes from.
    out = fit.write(tmp_path / "fitted.yaml")
    again = load_scenario(out)
    assert again.channels["phone"].volume.per_day == pytest.approx(v.per_day, abs=0.05)
    text = out.read_text()
    assert "first attempts/day" in text and "by work conservation" in text


# Fridays close at 15:00; handle time is longer by day than in the evening; urgent
# callers are twice as patient as the others.
FRIDAY = [0.0] * 7 + [150.0] * 8 + [0.0] * 9
LEVELS = [0] * 7 + [DAY_AGENTS] * 8 + [EVENING_AGENTS] * 8 + [0]


def _varying_center() -> dict:
    exp = {"dist": "exponential"}
    return dict(
        horizon={"start": "2026-03-02", "days": 21},
        channels={"phone": {
            "kind": "voice",
            "volume": {"per_day": 2000, "hourly_profile": PROFILE, "profiles": {"fri": FRIDAY},
                       "weekday_factors": {"fri": 0.6}, "daily_cv": 0},
            "handle_time": {**exp, "mean": "5min"},
            "handle_time_by": {"hour": {"07:00": {**exp, "mean": "6min"},
                                        "15:00": {**exp, "mean": "3min"}}},
            "patience": {**exp, "mean": "2min"},
            "patience_by": {"priority": {"urgent": {**exp, "mean": "4min"}}},
            "priorities": {"urgent": 0.4, "general": 0.6},
        }},
        pools={"agents": {"channels": ["phone"], "staffing": {
            "levels": LEVELS, "weekdays": {"fri": LEVELS[:15] + [0] * 9}}}},
    )  # fmt: skip


@pytest.mark.slow
@needs_interval_staffing
def test_fit_recovers_day_types_handle_bands_and_patience_by_priority(tmp_path: Path) -> None:
    sc = scenario_from(**_varying_center())
    path = tmp_path / "log.csv"
    to_log(run_replication(sc, 3), sc).to_csv(path, index=False)
    fit = fit_logs(read_logs([path]))
    # One channel; Friday's shape as a profile of its own, its level as a weekday factor.
    phone = fit.scenario.channels["phone"]
    assert list(fit.scenario.channels) == ["phone"] and list(phone.volume.profiles) == ["fri"]
    fri = np.array(phone.volume.profiles["fri"])
    assert fri[15:].sum() == 0 and fri[7:15].min() > 0
    assert phone.volume.weekday_factors["fri"] == pytest.approx(0.6, abs=0.05)
    # Handle time: bands that never straddle 15:00, each holding its true mean.
    bands = fit.handle_bands["phone"]
    assert 2 <= len(bands) <= 6
    for b in bands:
        busy = [h for h in range(b.start, b.end) if 7 <= h < 23]
        truth = {h < 15 for h in busy}
        assert len(truth) == 1, (b.start, b.end)
        mean = 360.0 if truth.pop() else 180.0
        half = (b.mean_high - b.mean_low) / 2
        assert abs(b.mean - mean) < 1.6 * half  # 3 standard errors
    means = phone.handle_means()
    assert means[10] == pytest.approx(360, rel=0.06) and means[20] == pytest.approx(180, rel=0.06)
    # Patience per priority: each 95% interval holds its true mean.
    by = fit.patience_by["phone"]
    assert by["urgent"].mean_low < 240 < by["urgent"].mean_high
    assert by["general"].mean_low < 120 < by["general"].mean_high
    assert phone.patience_by is not None
    assert set(phone.patience_by.priority) == {"urgent", "general"}
    # The written file loads back as the same scenario.
    again = load_scenario(fit.write(tmp_path / "fitted.yaml"))
    assert again.channels == fit.scenario.channels
    text = (tmp_path / "fitted.yaml").read_text()
    assert "handle_time_by:\n      hour:\n        '00:00': {dist: " in text  # clock keys quoted


def test_handle_bands_only_where_the_hours_differ() -> None:
    from shiftsim.logs.behaviour import handle_bands

    rng = np.random.default_rng(3)
    hour = rng.integers(8, 20, 30_000)
    flat = rng.exponential(200.0, hour.size)
    assert handle_bands(hour, flat, fit_duration(flat)) == []
    stepped = flat * np.where(hour < 14, 1.3, 0.8)
    bands = handle_bands(hour, stepped, fit_duration(stepped))
    assert [(b.start, b.end) for b in bands] == [(0, 14), (14, 24)]
    assert bands[0].mean_low < 260 < bands[0].mean_high
    assert bands[1].mean_low < 160 < bands[1].mean_high
    # Each band keeps the channel's shape, at its own sample mean.
    assert bands[1].spec["dist"] == fit_duration(stepped).spec["dist"]


def test_annotated_yaml_round_trips() -> None:
    import datetime as dt

    data = {
        "name": "x",
        "horizon": {"start": dt.date(2026, 3, 1), "days": 2, "warmup": "0d"},
        "channels": {"phone": {"kind": "voice", "volume": {"per_day": 10.5,
                                                            "hourly_profile": [1.0] * 24}}},
        "pools": {"agents": {"channels": ["phone"], "staffing": {"interval": "15min",
                                                                 "levels": list(range(96))}}},
        "events": [{"date": dt.date(2026, 3, 2), "factor": 0.5}],
    }  # fmt: skip
    comments = {"channels.phone.volume.per_day": "a short note", "events.0": "x " * 50,
                "pools.agents.staffing.levels": "levels"}  # fmt: skip
    text = annotated_yaml(data, comments, header="line one\nline two")
    assert yaml.safe_load(text) == data
    assert "per_day: 10.5  # a short note" in text
    assert text.startswith("# line one\n# line two\n")


def test_dither_keeps_the_hourly_mean() -> None:
    hourly = np.array([0.2, 3.4, 5.0, 2.5] + [0.0] * 20)
    q = dither(hourly, 4).reshape(24, 4)
    assert q[0].sum() == 0  # under half an agent: closed
    assert q[2].tolist() == [5, 5, 5, 5]
    assert abs(q[1].mean() - 3.4) <= 0.25 and set(q[1]) <= {3, 4}
    assert abs(q[1:4].mean(axis=1).sum() - hourly[1:4].sum()) <= 0.25


def test_duration_fit_keeps_the_sample_mean() -> None:
    # Like bank service times: a lognormal body and a tenth of calls over in seconds.
    rng = np.random.default_rng(5)
    heavy = np.round(np.concatenate([rng.lognormal(5.0, 0.8, 18_000), rng.uniform(1, 5, 2_000)]))
    f = fit_duration(heavy)
    assert f.mean == pytest.approx(heavy.mean())
    from shiftsim.model.distributions import Empirical, Lognormal

    model = Lognormal if f.spec["dist"] == "lognormal" else Empirical
    dist = model.model_validate(f.spec)
    assert dist.mean == pytest.approx(heavy.mean(), rel=1e-6)
    # A lognormal fitted by maximum likelihood overstates this mean.
    mle_mean = np.exp(np.log(heavy[heavy > 0]).mean() + np.log(heavy[heavy > 0]).var() / 2)
    assert mle_mean > 1.1 * heavy.mean()


def test_kaplan_meier_by_hand() -> None:
    # Events at 1, 2 and 3; censored at 2 (served then) and 4.
    km = kaplan_meier(np.array([1.0, 2, 2, 3, 4]), np.array([1, 0, 1, 1, 0], dtype=bool))
    assert km.times.tolist() == [1.0, 2.0, 3.0]
    assert km.survival == pytest.approx([4 / 5, 4 / 5 * 3 / 4, 4 / 5 * 3 / 4 * 1 / 2])
    assert km.at_risk.tolist() == [5, 4, 2]
    assert km.at(0.5) == 1.0 and km.at(2.5) == pytest.approx(0.6)
    fit = fit_patience(np.array([1.0, 2, 2, 3, 4]), np.array([1, 0, 1, 1, 0], dtype=bool))
    assert fit.mean_s == pytest.approx(12 / 3)  # 12 s waited, 3 abandons


@pytest.mark.slow  # importing lifelines takes seconds
def test_kaplan_meier_matches_lifelines() -> None:
    import lifelines  # in the test extra: the check runs wherever the suite does

    rng = np.random.default_rng(3)
    patience = rng.exponential(120, 2000)
    service = rng.exponential(60, 2000)
    wait = np.round(np.minimum(patience, service))
    gone = patience < service
    km = kaplan_meier(wait, gone)
    ref = lifelines.KaplanMeierFitter().fit(wait, gone)
    np.testing.assert_allclose(km.at(km.times), ref.survival_function_at_times(km.times).values)
    ci = ref.confidence_interval_survival_function_
    lo = np.interp(km.times, ci.index.values, ci.iloc[:, 0].values)
    np.testing.assert_allclose(km.low, lo, atol=1e-6)
    fit = fit_patience(wait, gone)
    assert fit.mean_low < 120 < fit.mean_high


@pytest.mark.slow
@needs_interval_staffing
@pytest.mark.skipif(not BANK.exists(), reason="Anonymous Bank data not available")
def test_bank_january_fit(tmp_path: Path) -> None:
    out = tmp_path / "bank-jan.yaml"
    result = CliRunner().invoke(main, [
        "fit", str(BANK / "01_January.txt.gz"), "-m", str(BANK_MAPPING), "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    sc = load_scenario(out)
    assert set(sc.channels) == {"phone"}
    phone = sc.channels["phone"]
    assert set(phone.volume.profiles) == {"fri", "sat"}  # day types: early close, evening only
    assert phone.volume.profiles["fri"][16] == 0 and phone.volume.profiles["sat"][10] == 0
    assert phone.handle_time.mean == pytest.approx(183.3, abs=0.1)  # the sample mean
    means = phone.handle_means()  # by hour band: about 200 s by day, 150 s at 16-17 h
    assert max(means[9:16]) > 190 and min(means[16:18]) < 165
    assert phone.patience_by is not None  # priority callers wait about twice as long
    by = phone.patience_by.priority
    assert by["urgent"].mean > 1.8 * by["general"].mean
    assert 0.01 < phone.bot.containment < 0.1
    text = out.read_text()
    assert "Technion" in text and "PHANTOM" in text


def test_agents_available_by_hand() -> None:
    from shiftsim.logs.capacity import available_agents
    from shiftsim.sim.records import ContactLog

    h = 3600.0
    # 09:00-10:00: two agents busy, a caller waits 09:10-09:30 for the first of them.
    # 10:00-11:00: agent 0 busy 10:00-10:10, agent 1 busy 10:30-10:40, nobody waits.
    rows = [  # queued, answered, handled, agent
        (9 * h, 9 * h, 9.5 * h, 0),
        (9 * h, 9 * h, 9 * h + 2400, 1),
        (9 * h + 600, 9.5 * h, 10 * h, 0),
        (10 * h, 10 * h, 10 * h + 600, 0),
        (10.5 * h, 10.5 * h, 10.5 * h + 600, 1),
    ]
    n = len(rows)
    q, a, e, who = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    nan = np.full(n, np.nan)
    log = ContactLog(
        customer=np.arange(n, dtype=np.int32), attempt=np.ones(n, np.int8),
        channel=np.zeros(n, np.int8), priority=np.full(n, 2, np.int8), vip=np.zeros(n, bool),
        outcome=np.full(n, 2, np.int8), department=np.full(n, -1, np.int8), arrival=q,
        bot_end=nan, queued=q, answered=a, handled=e, abandoned=nan, dept_response=nan,
        closing_start=nan, resolved=e, agent=who.astype(np.int32),
        closing_agent=np.full(n, -1, np.int32),
    )  # fmt: skip
    cap = available_agents(log, np.ones(1), 1)
    assert cap.estimate[0, 9] == pytest.approx(2.0)
    assert cap.by_waiting[0, 9] and cap.waiting_s[0, 9] == pytest.approx(1200)
    assert cap.estimate[0, 10] == pytest.approx(1.0)  # the most busy at once in a quiet hour
    assert cap.seen[0, 10] == 2  # names seen: twice the agents available
    assert cap.busy[0, 10] == pytest.approx(1200 / 3600)
    waiting = available_agents(log, np.ones(1), 1, method="waiting")
    assert waiting.estimate[0, 9] == pytest.approx(2.0) and waiting.estimate[0, 10] == 1.0


@pytest.fixture(scope="module")
def small_fit(tmp_path_factory: pytest.TempPathFactory) -> FitResult:
    """Two weeks of a small center with a voice menu, fitted (fast)."""
    sc = scenario_from(
        horizon={"start": "2026-03-01", "days": 14},
        channels={"phone": {
            "kind": "voice",
            "volume": {"per_day": 400, "hourly_profile": PROFILE, "daily_cv": 0.1},
            "handle_time": {"dist": "exponential", "mean": "4min"},
            "patience": {"dist": "exponential", "mean": "3min"},
            "bot": {"containment": 0.1, "session_time": {"dist": "constant", "value": "20s"}},
        }},
        pools={"agents": {"channels": ["phone"], "rotation": {"pattern": "1"}, "shifts": {
            "day": {"start": "07:00", "end": "15:00", "headcount": 3},
            "evening": {"start": "15:00", "end": "23:00", "headcount": 2},
        }}},
    )  # fmt: skip
    path = tmp_path_factory.mktemp("small") / "log.csv"
    to_log(run_replication(sc, 3), sc).to_csv(path, index=False)
    return fit_logs(read_logs([path]))


@needs_interval_staffing
def test_fit_report_writes_targets_and_bot_in_words(small_fit: FitResult) -> None:
    rows = {r[0]: r[1] for r in _fitted_rows(small_fit)}
    targets = rows["targets"]
    assert targets.startswith("phone: answered within 1 min, goal 80%; ")
    assert targets.endswith("; phone general: resolved within 2 d, goal 80%")
    bot = rows["channels.phone.bot"]
    assert bot.startswith(f"{percent(small_fit.scenario.channels['phone'].bot.containment)} of ")
    assert "at all hours" in bot and "session time" in bot
    html = fit_report_html(small_fit)
    # Not the file's data as Python reprs: no dicts, None, False or truncated values.
    for raw in ("{'", "None", "counts_as_first_response", "F..."):
        assert raw not in html
    assert "phone: answered within 1 min, goal 80%" in html


@needs_interval_staffing
def test_fit_console_gives_volume_and_peak_agents_with_uncertainty(small_fit: FitResult) -> None:
    console = Console(record=True, width=200)
    print_fit(small_fit, "fitted.yaml", console)
    text = console.export_text()
    for c in small_fit.channels:
        v, peak = c.volume, int(np.argmax(c.staffing))
        assert v.per_day_sd > 0  # two of each weekday
        assert f"{v.per_day:,.0f} (sd {v.per_day_sd:,.0f}, {len(v.days)} days)" in text
        se = c.staffing_se[peak]
        assert f"{c.staffing[peak]:.1f} at {peak:02d}:00 (se {se:.2f})" in text
    assert "sd of the daily totals" in text and "standard error" in text


def test_target_text_for_planners() -> None:
    t = Target.model_validate({
        "channel": "email", "priority": "urgent", "vip": True, "within": "4h", "goal": 0.9,
        "business_hours": ["08:00", "18:00"], "off_hours_by": "10:00", "per": "day",
        "confidence": 0.8,
    })  # fmt: skip
    assert _target_text(t) == (
        "email urgent VIP: answered within 4 h in business hours 08:00–18:00 (else by the "
        "next 10:00), goal 90%, judged per day, with 80% confidence"
    )
    named = Target.model_validate({"name": "fast", "channel": "chat", "within": "20s",
                                   "goal": 0.8, "periods": ["day"]})  # fmt: skip
    expected = "fast (chat: answered within 20 s, goal 80%, judged in period day)"
    assert _target_text(named) == expected
    assert _bot_text(None) == "none"
