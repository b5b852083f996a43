"""Reading logs through a mapping file: times, drops, bad rows by reason, clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from shiftsim.cli import main
from shiftsim.logs.mapping import MappingError, load_mapping, parse_mapping
from shiftsim.logs.reader import LogError, read_logs

BANK = Path("/work/shared/data/anonymous_bank")
BANK_MAPPING = Path(__file__).parent.parent / "examples" / "logs" / "anonymous_bank.yaml"

HEADER = "id\tdate\tentry\texit\tq_start\tq_exit\toutcome\tser_start\tser_time\tprio\tcust\tagent"
# A bank-like layout: clock times without a date, 0:00:00 for none.
ROWS = [
    # served after waiting; the service crosses midnight
    "1\t990301\t23:58:00\t23:58:10\t23:58:10\t23:59:40\tAGENT\t23:59:40\t100\t2\t77\tANNA",
    # served at once (no queue time)
    "2\t990301\t10:00:00\t10:00:09\t0:00:00\t0:00:00\tAGENT\t10:00:09\t60\t0\t0\tBEN",
    # hung up in the queue
    "3\t990301\t10:05:00\t10:05:06\t10:05:06\t10:06:06\tHANG\t0:00:00\t0\t1\t55\tNO_SERVER",
    # hung up in the voice menu (never queued): ended in the bot
    "4\t990301\t10:07:00\t10:07:30\t0:00:00\t0:00:00\tHANG\t0:00:00\t0\t0\t0\tNO_SERVER",
    # a virtual call, dropped on purpose
    "5\t990301\t10:08:00\t10:08:05\t0:00:00\t0:00:00\tPHANTOM\t0:00:00\t0\t0\t0\tNO_SERVER",
    # the queue starts after midnight: next day
    "6\t990301\t23:59:50\t23:59:58\t0:00:02\t0:01:02\tAGENT\t0:01:02\t30\t2\t99\tANNA",
]
MAPPING = {
    "date": {"column": "date", "format": "%y%m%d"},
    "tolerance": "5s",
    "drop": [{"column": "outcome", "equals": "PHANTOM", "reason": "phantom call"}],
    "fields": {
        "arrival": {"column": "entry", "format": "clock"},
        "bot_end": {"column": "exit", "format": "clock", "none": ["0:00:00"]},
        "queued": {"column": "q_start", "format": "clock", "none": ["0:00:00"],
                   "otherwise": "answered"},
        "answered": {"column": "ser_start", "format": "clock", "none": ["0:00:00"],
                     "when": {"outcome": "AGENT"}},
        "handled": {"from": "answered", "seconds": "ser_time"},
        "abandoned": {"column": "q_exit", "format": "clock", "none": ["0:00:00"],
                      "when": {"outcome": "HANG"}},
        "outcome": {"column": "outcome", "values": {"AGENT": "answered", "HANG": "abandoned"}},
        "priority": {"column": "prio", "values": {"0": "general", "1": "general", "2": "urgent"}},
        "customer": {"column": "cust", "none": ["0"]},
        "agent": {"column": "agent", "none": ["NO_SERVER"]},
    },
}  # fmt: skip


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _mapping(tmp_path: Path, data: dict | None = None) -> Path:
    import yaml

    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data or MAPPING), encoding="utf-8")
    return path


def test_clock_times_dates_midnight_and_outcomes(tmp_path: Path) -> None:
    log = _write(tmp_path / "calls.tsv", ROWS)
    table = read_logs([log], parse_mapping(MAPPING))
    f = table.frame.set_index(table.frame["line"])
    ts = pd.Timestamp
    # Row 1 (line 2): service from 23:59:40 for 100 s ends the next day.
    assert f.loc[2, "handled"] == ts("1999-03-02 00:01:20")
    assert f.loc[2, "queued"] == ts("1999-03-01 23:58:10")
    # Row 2: no queue time: joined the queue when answered (no wait).
    assert f.loc[3, "queued"] == f.loc[3, "answered"] == ts("1999-03-01 10:00:09")
    assert f.loc[3, "customer"] is None and f.loc[3, "priority"] == "general"
    # Row 3: abandoned in the queue after 60 s.
    assert f.loc[4, "outcome"] == "abandoned"
    assert f.loc[4, "abandoned"] - f.loc[4, "queued"] == pd.Timedelta(seconds=60)
    assert pd.isna(f.loc[4, "answered"]) and pd.isna(f.loc[4, "agent"])
    # Row 4: hung up in the menu: ended in the bot, resolved there.
    assert f.loc[5, "outcome"] == "deflected" and pd.isna(f.loc[5, "queued"])
    assert f.loc[5, "resolved"] == ts("1999-03-01 10:07:30")
    # Row 6 (line 7): queue entry after midnight is on the next day.
    assert f.loc[7, "queued"] == ts("1999-03-02 00:00:02")
    assert f.loc[7, "priority"] == "urgent" and f.loc[7, "agent"] == "ANNA"
    assert table.report.dropped == {"phantom call": 1}
    assert sum(table.report.bad.values()) == 0
    assert table.report.rows_read == 6 and table.report.rows_kept == 5
    assert list(table.frame["arrival"]) == sorted(table.frame["arrival"])


def test_bad_rows_are_counted_by_reason(tmp_path: Path) -> None:
    bad = [
        "7\t990301\t25:99:00\t10:00:09\t0:00:00\t0:00:00\tAGENT\t10:00:09\t60\t0\t0\tBEN",
        "8\t990301\t10:00:00\t10:00:09\t0:00:00\t0:00:00\tAGENT\t10:00:09\t-5\t0\t0\tBEN",
        "9\t990301\t10:00:00\t9:58:00\t0:00:00\t0:00:00\tAGENT\t10:00:09\t60\t0\t0\tBEN",
        "10\t990301\t10:00:00\t10:00:09\t0:00:00\t0:00:00\tTRANSFER\t10:00:09\t60\t0\t0\tBEN",
        "11\t990301\t10:00:00\t10:00:09\t0:00:00\t0:00:00\tAGENT\t10:00:09\t60\t7\t0\tBEN",
        # 3 s out of order: within the tolerance, set equal and counted as adjusted
        "12\t990301\t10:00:00\t10:00:09\t10:00:09\t10:00:30\tAGENT\t10:00:06\t60\t0\t0\tBEN",
    ]
    table = read_logs([_write(tmp_path / "calls.tsv", ROWS + bad)], parse_mapping(MAPPING))
    r = table.report
    assert r.bad == {
        "unparseable arrival time (entry)": 1,
        "negative duration (ser_time)": 1,
        "bot_end before arrival": 1,
        "unknown outcome value (outcome)": 1,
        "unknown priority value (prio)": 1,
    }
    assert "(got '25:99:00')" in r.examples["unparseable arrival time (entry)"][0]
    assert r.examples["bot_end before arrival"][0].endswith(":10 (got -120s)")
    assert sum(r.adjusted.values()) == 1
    assert r.rows_kept == 6
    assert "bad 1: negative duration (ser_time)" in "\n".join(r.lines())


def test_csv_gzip_and_parquet_read_alike(tmp_path: Path) -> None:
    mapping = parse_mapping({**MAPPING, "file": {"delimiter": "\t"}})
    plain = _write(tmp_path / "calls.txt", ROWS)
    packed = tmp_path / "calls.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    frame = pd.read_csv(plain, sep="\t", dtype=str, keep_default_na=False)
    parquet = tmp_path / "calls.parquet"
    frame.to_parquet(parquet)
    a = read_logs([plain], mapping).frame.drop(columns=["file", "line"])
    b = read_logs([packed], mapping).frame.drop(columns=["file", "line"])
    c = read_logs([parquet], mapping).frame.drop(columns=["file", "line"])
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    header = HEADER.replace("ser_start", "start_of_service")
    log = _write(tmp_path / "calls.tsv", ROWS[:1], header=header)
    with pytest.raises(LogError) as err:
        read_logs([log], parse_mapping(MAPPING))
    assert str(err.value).startswith(
        f"{log}: fields.answered.column: no such column in the file (got 'ser_start';"
    )
    result = CliRunner().invoke(main, ["measure", str(log), "-m", str(_mapping(tmp_path))])
    assert result.exit_code == 1
    assert "no such column in the file (got 'ser_start'" in result.output
    assert "Traceback" not in result.output


def test_mapping_errors_in_the_scenario_style(tmp_path: Path) -> None:
    data = {**MAPPING, "colums": {}, "fields": {**MAPPING["fields"], "priority": {
        "column": "prio", "values": {"2": "urgnet"}}}}  # fmt: skip
    with pytest.raises(MappingError) as err:
        parse_mapping(data, "m.yaml")
    text = str(err.value)
    assert "m.yaml: colums: unknown key (got 'colums')" in text
    assert (
        "m.yaml: fields: priority values must be urgent, important, general (got 'urgnet')" in text
    )
    log = _write(tmp_path / "calls.tsv", ROWS)
    result = CliRunner().invoke(main, ["measure", str(log), "-m", str(_mapping(tmp_path, data))])
    assert result.exit_code == 1
    assert "colums: unknown key (got 'colums')" in result.output
    assert "Traceback" not in result.output


def test_clock_times_need_a_date() -> None:
    data = {k: v for k, v in MAPPING.items() if k != "date"}
    with pytest.raises(MappingError, match="format: clock needs a 'date' column"):
        parse_mapping(data)


def test_not_a_gzip_file(tmp_path: Path) -> None:
    fake = _write(tmp_path / "calls.txt.gz", ROWS)  # plain text with a .gz name
    result = CliRunner().invoke(main, ["measure", str(fake), "-m", str(_mapping(tmp_path))])
    assert result.exit_code == 1
    assert f"{fake}: not a gzip file although its name ends in .gz" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_mapping_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["measure", str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "none.csv: no such file" in result.output
    log = _write(tmp_path / "calls.tsv", ROWS)
    result = CliRunner().invoke(main, ["measure", str(log), "-m", str(tmp_path / "no.yaml")])
    assert result.exit_code == 1 and "no.yaml: cannot read file" in result.output


def test_bank_mapping_validates() -> None:
    mapping = load_mapping(BANK_MAPPING)
    assert mapping.fields.priority is not None
    assert mapping.fields.priority.values == {"0": "general", "1": "general", "2": "urgent"}
    assert mapping.tolerance == 15.0 and "Technion" in mapping.source


@pytest.mark.slow
@pytest.mark.skipif(not BANK.exists(), reason="Anonymous Bank data not available")
def test_bank_january_counts() -> None:
    table = read_logs([BANK / "01_January.txt.gz"], load_mapping(BANK_MAPPING))
    r = table.report
    assert r.rows_read == 31_599
    assert r.dropped == {"PHANTOM: a virtual call, to be ignored (bank documentation)": 240}
    assert r.rows_kept == len(table.frame) == r.rows_read - 240 - sum(r.bad.values())
    assert r.bad["answered without an answer time"] == 42  # AGENT rows with ser_start 0:00:00
    assert r.missing_days == [pd.Timestamp("1999-01-11").date(), pd.Timestamp("1999-01-12").date()]
    f = table.frame
    assert (f["outcome"] == "deflected").sum() > 1000  # hung up in the voice menu
    waits = (f["answered"] - f["queued"]).dt.total_seconds().dropna()
    assert (waits >= 0).all()
    assert np.isclose((f["handled"] - f["answered"]).dt.total_seconds().mean(), 183.3, atol=0.1)


def test_public_api() -> None:
    import shiftsim.logs as logs

    for name in logs.__all__:
        assert callable(getattr(logs, name)), name
    with pytest.raises(AttributeError):
        _ = logs.nothing_here
