"""The back-test: a fit of a center's own log, simulated, reproduces the measured service."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import scenario_from
from rich.console import Console

from shiftsim.cli import main
from shiftsim.logs.backtest import Backtest, MonthSummary, _erlang_a_days, backtest
from shiftsim.logs.fit import fit_logs
from shiftsim.logs.history import to_log
from shiftsim.logs.reader import read_logs
from shiftsim.model.scenario import Pool
from shiftsim.outputs.logconsole import print_backtest
from shiftsim.outputs.logreport import _summary_table, fit_report_html
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


def _scores(label: str, mae_ab: float, mae_sl: float, band_ab: float) -> MonthSummary:
    return MonthSummary(label=label, channel="phone", days=28, open_hours=16,
                        mae_abandonment=mae_ab, mae_service_level=mae_sl, mae_asa_s=9.0,
                        in_band_abandonment=band_ab, in_band_service_level=0.9,
                        erlang_mae_abandonment=0.015, erlang_mae_service_level=0.041)  # fmt: skip


# Scores only: the tables of the back-test's summaries need no simulation.
SCORES = Backtest(fit=None, result=None, hours=pd.DataFrame(), days=pd.DataFrame(),
                  summaries=[_scores("1999-01", 0.043, 0.035, 0.93),
                             _scores("1999-03", 0.064, 0.082, 0.75)])  # fmt: skip


def test_backtest_marks_scores_outside_their_targets() -> None:
    assert SCORES.misses(SCORES.summaries[0]) == ()
    assert SCORES.misses(SCORES.summaries[1]) == (
        "mae_abandonment",
        "mae_service_level",
        "in_band_abandonment",
    )
    assert SCORES.misses(_scores("x", math.nan, 0.01, 0.9)) == ("mae_abandonment",)
    console = Console(record=True, width=250)
    print_backtest(SCORES, console)
    lines = console.export_text().splitlines()
    head = next(ln for ln in lines if "open hours" in ln).split("  ")
    names = [h.strip() for h in head if h.strip()]
    assert names[-3:] == ["Erlang A MAE abandon.", "Erlang A MAE service level",
                          "within targets"]  # fmt: skip
    jan = next(ln for ln in lines if ln.strip().startswith("1999-01"))
    mar = next(ln for ln in lines if ln.strip().startswith("1999-03"))
    assert "✗" not in jan and jan.split()[-5:] == ["1.5", "pts", "4.1", "pts", "yes"]
    assert "6.4 pts ✗" in mar and "8.2 pts ✗" in mar and "75.0% ✗" in mar
    assert "90.0% ✗" not in mar and mar.split()[-2:] == ["no", "✗"]
    summary = _summary_table(SCORES)
    assert [c.text for c in summary.head][-3:] == [
        "Erlang A MAE abandon.", "Erlang A MAE service level", "within targets"]  # fmt: skip
    jan_cells, mar_cells = ([c.text for c in row] for row in summary.rows)
    assert "✗" not in " ".join(jan_cells) and jan_cells[-3:] == ["1.5 pts", "4.1 pts", "yes"]
    assert mar_cells[4:6] == ["6.4 pts ✗", "8.2 pts ✗"] and mar_cells[-1] == "no ✗"
    assert summary.rows[1][4].status == "bad" and summary.rows[0][4].status == "good"


@needs_interval_staffing
def test_erlang_a_asa_of_an_hour_leaves_out_quarters_without_agents(tmp_path: Path) -> None:
    fit = fit_logs(read_logs([_log(tmp_path, 2, 600)]))
    label = fit.channels[0].volume.label
    levels = fit.levels[label].copy()
    levels[36:40] = [3, 3, 3, 3]  # 09:00-10:00 by quarter
    full = _erlang_a_days(dataclasses.replace(fit, levels={label: levels}), "phone", 60.0)
    levels[36] = 0  # no agent in the first quarter: nobody answered then, no ASA
    gap = _erlang_a_days(dataclasses.replace(fit, levels={label: levels}), "phone", 60.0)
    assert np.isfinite(gap["asa_s"][:, 9]).all()
    np.testing.assert_allclose(gap["asa_s"][:, 9], full["asa_s"][:, 9], rtol=1e-12)
    assert (gap["abandonment"][:, 9] > full["abandonment"][:, 9]).all()
