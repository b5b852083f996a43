"""The back-test: a fit of a center's own log, simulated, reproduces the measured service."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import scenario_from

from shiftsim.cli import main
from shiftsim.logs.backtest import backtest
from shiftsim.logs.fit import fit_logs
from shiftsim.logs.history import to_log
from shiftsim.logs.reader import read_logs
from shiftsim.model.scenario import Pool
from shiftsim.outputs.logreport import fit_report_html
from shiftsim.sim.replication import run_replication

needs_interval_staffing = pytest.mark.skipif(
    "staffing" not in Pool.model_fields,
    reason="the fitted scenario needs pools staffed by interval (Pool.staffing)",
)

PROFILE = [0.0] * 7 + [150.0] * 8 + [100.0] * 8 + [0.0]


def _log(tmp_path: Path, days: int, per_day: float) -> Path:
    sc = scenario_from(
        horizon={"start": "2026-03-01", "days": days},
        channels={"phone": {
            "kind": "voice",
            "volume": {"per_day": per_day, "hourly_profile": PROFILE, "daily_cv": 0.05},
            "handle_time": {"dist": "lognormal", "mean": "5min", "cv": 1.2},
            "patience": {"dist": "exponential", "mean": "4min"},
            "retry": {"share": 0.3, "delay": {"dist": "exponential", "mean": "10min"}},
            "bot": {"containment": 0.05, "session_time": {"dist": "constant", "value": "10s"}},
        }},
        pools={"agents": {"channels": ["phone"], "rotation": {"pattern": "1"}, "shifts": {
            "day": {"start": "07:00", "end": "15:00", "headcount": round(per_day / 170)},
            "evening": {"start": "15:00", "end": "23:00", "headcount": round(per_day / 250)},
        }}},
    )  # fmt: skip
    path = tmp_path / "log.csv"
    to_log(run_replication(sc, 7), sc).to_csv(path, index=False)
    return path


@pytest.mark.slow
@needs_interval_staffing
def test_backtest_of_a_known_center(tmp_path: Path) -> None:
    fit = fit_logs(read_logs([_log(tmp_path, 14, 2000)]), replications=20)
    bt = backtest(fit)
    (s,) = bt.summaries
    assert 16 <= s.open_hours <= 17  # 07-23, and retries arriving just after closing
    # A perfect model: the measured history is one more draw of it. Hours of one day
    # share their queues, so an hour's value over 14 days carries a few points of noise;
    # the brief's target (5 points) must hold with room to spare for abandonment.
    assert s.mae_abandonment < 0.03 and s.mae_service_level < 0.05
    # With 20 replications a new draw falls inside their 2.5-97.5% band 90% of the time;
    # 10 of 14 days leaves room for chance (P > 0.98) and still fails a wrong model.
    assert s.in_band_abandonment >= 0.7 and s.in_band_service_level >= 0.7
    h = bt.hours[bt.hours["open"]]
    inside = (h["measured_abandonment"] >= h["simulated_abandonment_low"] - 0.02) & (
        h["measured_abandonment"] <= h["simulated_abandonment_high"] + 0.02
    )
    assert inside.mean() >= 0.75
    assert np.isfinite(h["erlang_a_abandonment"]).all()
    html = fit_report_html(fit, bt)
    assert "Back-test" in html and "in band: abandon." in html
    assert not re.search(r"(src|href)=\"https?:", html)  # self-contained


@pytest.mark.slow
@needs_interval_staffing
def test_fit_cli_with_report_and_backtest(tmp_path: Path) -> None:
    log = _log(tmp_path, 7, 600)
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    args = ["fit", str(log), "-o", str(out), "--report", str(report), "--backtest", "-r", "4",
            "-w", "1"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Back-test" in result.output and "MAE" in result.output
    text = report.read_text()
    assert '<img src="data:image/png;base64,' in text
    assert "What the model cannot express" in text
    again = CliRunner().invoke(main, ["fit", str(log), "-o", str(out)])
    assert again.exit_code == 1 and "exists; pass --force" in again.output
    # Loadable by `shiftsim run` as it is.
    run = CliRunner().invoke(main, ["run", str(out), "-r", "2", "--no-save", "-q", "-w", "1"])
    assert run.exit_code == 0, run.output
    assert "phone answered <= 1min" in run.output
