"""``measure`` on real records: hand-computed numbers, and the same definitions as a run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import scenario_from
from rich.console import Console

from shiftsim.analysis.metrics import measure as replication_kpis
from shiftsim.cli import main
from shiftsim.logs.history import link_retries, to_log
from shiftsim.logs.measure import measure_logs
from shiftsim.logs.reader import read_logs
from shiftsim.outputs.logconsole import _by_hour, print_measurement
from shiftsim.sim.replication import run_replication

BANK = Path("/work/shared/data/anonymous_bank")
BANK_MAPPING = Path(__file__).parent.parent / "examples" / "logs" / "anonymous_bank.yaml"

COLUMNS = "arrival,bot_end,queued,answered,handled,abandoned,outcome,priority,customer,agent"
D1, D2, D3 = "2026-03-02", "2026-03-03", "2026-03-04"
# Twelve calls over two days, in the documented schema (no mapping needed).
ROWS = [
    f"{D1} 09:00:00,,{D1} 09:00:00,{D1} 09:00:30,{D1} 09:05:30,,answered,general,c1,A1",
    f"{D1} 09:10:00,,{D1} 09:10:00,{D1} 09:12:00,{D1} 09:15:00,,answered,general,c2,A1",
    f"{D1} 09:20:00,,{D1} 09:20:00,,,{D1} 09:21:30,abandoned,general,c3,",
    f"{D1} 09:25:00,,{D1} 09:25:00,{D1} 09:25:00,{D1} 09:30:00,,answered,urgent,c4,A2",
    f"{D1} 09:40:00,{D1} 09:41:00,,,,,deflected,general,c5,",
    f"{D1} 10:00:00,,{D1} 10:00:00,{D1} 10:00:50,{D1} 10:10:00,,answered,general,c6,A2",
    f"{D1} 10:05:00,,{D1} 10:05:00,,,{D1} 10:06:00,abandoned,general,c3,",  # c3 retries
    f"{D1} 10:30:00,,{D1} 10:30:00,{D1} 10:31:30,{D1} 10:35:00,,answered,urgent,c7,A1",
    f"{D2} 09:00:00,,{D2} 09:00:00,{D2} 09:00:10,{D2} 09:02:00,,answered,general,c8,A1",
    f"{D2} 09:30:00,,{D2} 09:30:00,{D2} 09:30:20,{D2} 09:40:00,,answered,general,c9,A1",
    f"{D2} 23:59:00,,{D2} 23:59:00,{D3} 00:00:40,{D3} 00:05:00,,answered,general,c10,A2",
    f"{D2} 12:00:00,,{D2} 12:00:00,,,{D2} 12:00:05,abandoned,urgent,,",
]


@pytest.fixture
def hand_log(tmp_path: Path) -> Path:
    path = tmp_path / "calls.csv"
    path.write_text("\n".join([COLUMNS, *ROWS]) + "\n", encoding="utf-8")
    return path


def test_measure_by_hand(hand_log: Path) -> None:
    table = read_logs([hand_log])
    m = measure_logs(table)
    first, attempt, previous = link_retries(table, 3600.0)
    assert attempt.tolist().count(2) == 1  # c3 called again 43.5 min after hanging up
    tables = m.tables()
    assert (tables["targets"]["source"] == "measured").all()
    answer = tables["targets"].iloc[0]
    assert answer["target"] == "phone answered <= 1min"
    # Eligible: every call but the one that ended in the bot; met: answered within 60 s
    # of arrival (calls 1, 4, 6, 9, 10); the three abandons miss.
    assert answer["service_level"] == pytest.approx(5 / 11)
    assert answer["contacts_per_rep"] == 11
    assert answer["p_meet"] == 0.0  # day 1: 3 of 7, day 2: 2 of 4, both below 80%
    days = tables["target_days"]
    day = days[days["target"] == "phone answered <= 1min"]
    assert day["eligible"].tolist() == [7, 4]
    assert day["service_level"].tolist() == pytest.approx([3 / 7, 2 / 4])
    ch = tables["channels"].iloc[0]
    assert ch["offered_per_rep"] == 12
    assert ch["containment"] == 1.0  # the one call in the menu ended there
    assert ch["abandonment"] == pytest.approx(3 / 11)  # of the calls that reached the queue
    assert ch["asa_s"] == pytest.approx((30 + 120 + 0 + 50 + 90 + 10 + 20 + 100) / 8)
    hours = tables["hours"].set_index("hour")
    nine = hours.loc[9]  # both days pooled: calls 1-5, 9 and 10
    assert (nine["offered"], nine["answered"], nine["abandoned"]) == (7, 5, 1)
    assert nine["abandonment"] == pytest.approx(1 / 6)
    assert nine["service_level"] == pytest.approx(4 / 6)
    assert nine["asa_s"] == pytest.approx((30 + 120 + 0 + 10 + 20) / 5)
    assert hours.loc[23, "service_level"] == 0.0  # answered 100 s after arrival
    # Resolution per customer: c3 gave up twice and never came back: a miss.
    req = tables["targets"].set_index("target")
    assert req.loc["phone general resolved <= 2d", "service_level"] == pytest.approx(7 / 8)
    agents = tables["agents"]
    nine_day1 = agents[agents["start"] == "2026-03-02 09:00:00"].iloc[0]
    assert nine_day1["agents_seen"] == 2  # A1 and A2 served between 09:00 and 10:00
    busy = 300 + 180 + 300  # seconds of service inside 09:00-10:00
    assert nine_day1["busy"] == pytest.approx(busy / 3600)


def test_measure_cli_writes_marked_tables(hand_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "measured"
    result = CliRunner().invoke(main, ["measure", str(hand_log), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "MEASURED" in result.output and "45.5%" in result.output  # 5 of 11
    for name in ("targets", "channels", "hours", "days", "intervals", "agents", "read"):
        text = (out / f"{name}.csv").read_text()
        assert text.startswith("source,") and "\nmeasured," in text
    targets = (out / "targets.csv").read_text()
    assert "no CI" not in targets and "missed: " in targets  # measured: no interval to give


def test_same_definitions_as_a_run(tmp_path: Path) -> None:
    """A simulated replication written as a log and measured gives the run's own KPIs."""
    sc = scenario_from(
        horizon={"start": "2026-03-02", "days": 2},
        channels={"phone": {
            "kind": "voice", "volume": {"per_day": 400, "daily_cv": 0},
            "handle_time": {"dist": "exponential", "mean": "4min"},
            "patience": {"dist": "exponential", "mean": "3min"},
            "retry": {"share": 0.5, "delay": {"dist": "constant", "value": "5min"}},
            "priorities": {"urgent": 0.3, "general": 0.7},
            "bot": {"containment": 0.2, "session_time": {"dist": "constant", "value": "20s"}},
        }},
        pools={"agents": {"channels": ["phone"], "rotation": {"pattern": "1"},
                          "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": 1}}}},
    )  # fmt: skip
    rep = run_replication(sc, 0)
    path = tmp_path / "sim.csv"
    to_log(rep, sc).to_csv(path, index=False)
    m = measure_logs(read_logs([path]), sc)
    ran = replication_kpis(rep, sc)
    got = m.metrics
    for name in ("target_eligible", "target_met", "offered", "customers", "bot_offered",
                 "deflected", "queued", "answered", "abandoned", "iv_offered", "iv_answered",
                 "iv_abandoned", "iv_target_eligible", "iv_target_met"):  # fmt: skip
        np.testing.assert_array_equal(getattr(got, name), getattr(ran, name), err_msg=name)
    np.testing.assert_allclose(got.wait_sum, ran.wait_sum, rtol=1e-9)
    np.testing.assert_allclose(got.busy.sum(), ran.busy.sum(), rtol=1e-9)
    assert ran.abandoned.sum() > 20 and ran.target_met.sum() < ran.target_eligible.sum()


@pytest.mark.slow
@pytest.mark.skipif(not BANK.exists(), reason="Anonymous Bank data not available")
def test_bank_january_measured() -> None:
    from shiftsim.logs.mapping import load_mapping

    table = read_logs([BANK / "01_January.txt.gz"], load_mapping(BANK_MAPPING))
    m = measure_logs(table)
    tables = m.tables()
    ch = tables["channels"].iloc[0]
    kept = table.report.rows_kept
    assert ch["offered_per_rep"] == kept == 31_281
    # Abandonment on calls that reached the queue (hanging up in the menu is not one).
    f = table.frame
    reached = (f["outcome"] != "deflected").sum()
    assert ch["abandonment"] == pytest.approx((f["outcome"] == "abandoned").sum() / reached)
    assert 0.05 < ch["abandonment"] < 0.15
    hours = tables["hours"]
    assert hours.loc[hours["hour"].between(2, 3), "answered"].sum() == 0  # closed at night
    seen = tables["agents"]["agents_seen"].sum()
    busy = tables["agents"]["busy"].sum()
    assert seen > 1.5 * busy  # names seen overstate the agents at work


def test_measure_with_a_scenario(hand_log: Path, tmp_path: Path) -> None:
    import yaml
    from conftest import BASE

    scenario = tmp_path / "s.yaml"
    data = {**BASE, "targets": [{"channel": "phone", "within": "2min", "goal": 0.5}]}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["measure", str(hand_log), "-s", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "phone answered <= 2min" in result.output
    assert "72.7%" in result.output  # 8 of 11 within 2 min (calls 1-2, 4, 6, 8-11)
    other = {**BASE, "channels": {"chat": {**BASE["channels"]["phone"], "kind": "chat"}},
             "pools": {"agents": {**BASE["pools"]["agents"], "channels": ["chat"]}}}  # fmt: skip
    scenario.write_text(yaml.safe_dump(other), encoding="utf-8")
    result = CliRunner().invoke(main, ["measure", str(hand_log), "-s", str(scenario)])
    assert result.exit_code == 1
    assert "the log has channels the scenario lacks (got 'phone'" in result.output
    assert "Traceback" not in result.output


def test_schema_log_round_trips_through_parquet(hand_log: Path, tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(hand_log)
    for col in ("arrival", "bot_end", "queued", "answered", "handled", "abandoned"):
        frame[col] = pd.to_datetime(frame[col])  # typed columns, as Parquet keeps them
    parquet = tmp_path / "calls.parquet"
    frame.to_parquet(parquet)
    a = read_logs([hand_log]).frame.drop(columns=["file", "line"])
    b = read_logs([parquet]).frame.drop(columns=["file", "line"])
    pd.testing.assert_frame_equal(a, b)


def test_hour_table_means_leave_out_missing_intervals(tmp_path: Path) -> None:
    """An interval without a value (the last hour's busy, on the bank's January) is left out
    of its hour's mean instead of blanking the hour."""
    rows = [
        f"{D1} 23:10:00,,{D1} 23:10:00,{D1} 23:10:00,{D1} 23:40:00,,answered,general,c1,A1",
        f"{D2} 23:10:00,,{D2} 23:10:00,{D2} 23:10:00,{D2} 23:40:00,,answered,general,c2,A1",
        # An agent on a call that was never answered: the last interval's busy time is
        # missing (NaN) in the agents table, as on the bank's 31 January, 23:00.
        f"{D2} 22:00:00,,{D2} 22:00:00,,,{D2} 22:01:00,abandoned,general,c3,A1",
    ]
    path = tmp_path / "calls.csv"
    path.write_text("\n".join([COLUMNS, *rows]) + "\n", encoding="utf-8")
    console = Console(record=True, width=200)
    print_measurement(measure_logs(read_logs([path])), console)
    (line,) = [ln.split() for ln in console.export_text().splitlines()
               if ln.split()[:1] == ["23"]]  # fmt: skip
    assert line[-2:] == ["1.0", "0.5"]  # agents seen, busy agents (30 of 60 min)

    # Day 2 has no value at 23h: the mean is day 1's; an hour without any value stays NaN.
    agents = pd.DataFrame({
        "start": pd.to_datetime([f"{D1} 22:00", f"{D1} 23:00", f"{D2} 22:00", f"{D2} 23:00"]),
        "busy": [np.nan, 2.0, np.nan, np.nan],
    })  # fmt: skip
    busy = _by_hour(agents, "busy", np.array([True, True]))
    assert busy[23] == 2.0 and np.isnan(busy[22]) and np.isnan(busy[9])
