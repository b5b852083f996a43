"""`shiftsim staff` on a pool staffed by interval: the requirement curve, against Erlang C."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from shiftsim.model.loading import parse_scenario
from shiftsim.planning.staffing import curve_pools, interval_start, staff, staff_curve
from shiftsim.planning.theory import erlang_c_service_level

MU = 1 / 300  # 5-minute mean handle time
GOAL = 0.8
WITHIN = 30.0


def _center(profile: list[float], per_day: float, interval: str, days: int, reps: int,
            **volume: Any) -> Any:  # fmt: skip
    """One voice line, exponential handling, one pool staffed by interval, a horizon target."""
    n = {"1h": 24, "2h": 12, "4h": 6}[interval]
    return parse_scenario(
        {
            "name": "by-interval",
            "horizon": {"start": "2026-01-05", "days": days, "warmup": "1d"},
            "replications": reps,
            "seed": 7,
            "channels": {
                "phone": {
                    "kind": "voice",
                    "volume": {
                        "per_day": per_day,
                        "hourly_profile": profile,
                        "daily_cv": 0,
                        **volume,
                    },  # fmt: skip
                    "handle_time": {"dist": "exponential", "mean": "300s"},
                }
            },
            "pools": {
                "agents": {
                    "channels": ["phone"],
                    "staffing": {"interval": interval, "levels": [20] * n},
                }
            },
            "targets": [
                {"channel": "phone", "within": f"{WITHIN:g}s", "goal": GOAL, "per": "horizon"}
            ],  # fmt: skip
        }
    )


def _erlang(per_hour: float) -> int:
    """The Erlang C minimum for the goal at ``per_hour`` calls an hour."""
    lam = per_hour / 3600
    return next(n for n in range(1, 500) if erlang_c_service_level(n, lam, MU, WITHIN) >= GOAL)


@pytest.mark.parametrize(
    ("interval", "days", "reps"),
    [
        pytest.param("4h", 6, 4, marks=pytest.mark.slow),
        pytest.param("1h", 10, 8, marks=pytest.mark.slow),
    ],  # fmt: skip
)
def test_a_stationary_center_gets_the_erlang_c_number_in_every_interval(
    interval: str, days: int, reps: int
):
    # 72 calls an hour, load 6: Erlang C gives 9 agents, and the case is clear-cut
    # (service level 70.8% at 8, 85.5% at 9). An interval's service level is
    # noisy (a busy spell spans many calls): 24 interval-days of 4 hours, or 80
    # of one hour, keep the noise of each interval under a third of that gap.
    lam = 72 / 3600
    assert erlang_c_service_level(8, lam, MU, WITHIN) <= GOAL - 0.05
    assert erlang_c_service_level(9, lam, MU, WITHIN) >= GOAL + 0.05
    sc = _center([1] * 24, 72 * 24, interval, days=days, reps=reps)
    result = staff(sc, screen_replications=4)
    curve = result.curve
    n = 24 if interval == "1h" else 6
    assert curve is not None and len(curve) == n
    assert (curve["erlang"] == 9).all()
    assert (curve["recommended"] == 9).all(), curve[["start", "recommended", "value"]]
    assert result.feasible and curve["met"].all()
    # Every interval breaks with one agent fewer (on the fresh seeds).
    assert (curve["one_fewer_breaks"] == "phone answered <= 30s").all()
    plan = result.plan()
    assert plan.pools["agents"].staffing is not None
    assert plan.pools["agents"].staffing.levels == (9,) * n
    assert result.levels == {"agents": {"all": (9,) * n}}


@pytest.mark.slow
def test_the_search_moves_a_wrong_start_to_the_erlang_number():
    # The start is what the simulation corrects: from 4 and from 14 agents an
    # interval, the iterations reach the same 9 everywhere.
    sc = _center([1] * 24, 72 * 24, "4h", days=4, reps=4)
    (cp,) = curve_pools(sc)
    for level in (4, 14):
        start = {"agents": np.full(cp.now.shape, level)}
        result = staff_curve(sc, screen_replications=4, start=start)
        assert result.curve is not None
        assert (result.curve["recommended"] == 9).all(), result.curve
        assert result.feasible
        assert result.evaluations >= 4  # it had to iterate


@pytest.mark.slow
def test_a_time_varying_curve_follows_the_load_and_meets_every_interval():
    profile = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 7, 6, 6, 5, 4, 3, 3, 2, 2, 1]
    per_day = 1800.0
    sc = _center(profile, per_day, "1h", days=14, reps=6)
    result = staff(sc)
    curve = result.curve
    assert curve is not None and len(curve) == 24
    hourly = np.array(profile) / sum(profile) * per_day
    erlang = np.array([_erlang(h) for h in hourly])
    assert (curve["erlang"].to_numpy() == erlang).all()
    # Erlang per interval within one agent: 5-minute calls and hourly steps make
    # the stationary answer nearly right; where it is off, the interval's Erlang
    # service level lies close to the goal or the load rises into the hour.
    gap = curve["recommended"].to_numpy() - erlang
    assert np.abs(gap).max() <= 1, curve[["start", "erlang", "recommended", "value"]]
    assert np.corrcoef(curve["recommended"], hourly)[0, 1] > 0.98
    # Verified on fresh seeds: every interval meets its target.
    assert result.feasible
    cells = result.interval_requirements
    assert cells is not None and cells["met"].all() and len(cells) == 24
    assert result.verify_seed != sc.seed


@pytest.mark.slow
def test_weekday_levels_get_their_own_curve():
    # Saturdays have levels of their own and half the volume: 36 calls an hour
    # need 5 agents by Erlang C where 72 need 9.
    sc = _center([1] * 24, 72 * 24, "4h", days=14, reps=4, weekday_factors={"sat": 0.5})
    sc = sc.with_({"pools.agents.staffing.weekdays": {"sat": [20] * 6}})
    assert _erlang(36) == 5 and _erlang(72) == 9
    result = staff(sc, screen_replications=4)
    curve = result.curve
    assert curve is not None and set(curve["days"]) == {"all", "sat"}
    sat = curve[curve["days"] == "sat"]
    assert (sat["erlang"] == 5).all()
    assert (np.abs(sat["recommended"] - 5) <= 1).all(), sat
    assert (curve.loc[curve["days"] == "all", "recommended"] == 9).all()
    plan = result.plan().pools["agents"].staffing
    assert plan is not None and plan.weekdays["sat"] == tuple(sat["recommended"])


def test_interval_start_is_erlang_per_interval_after_shrinkage():
    sc = _center([1] * 24, 72 * 24, "1h", days=2, reps=1)
    sc = sc.with_({"pools.agents.shrinkage": 0.25})
    (cp,) = curve_pools(sc)
    start = interval_start(sc, [cp])["agents"]
    assert start.shape == (1, 24)
    assert (start == 12).all()  # 9 working agents need 9 / 0.75 = 12 on duty


@pytest.mark.slow
def test_cli_staff_writes_the_curve_and_a_plan_that_runs(tmp_path):
    import yaml
    from click.testing import CliRunner

    from shiftsim.cli import main
    from shiftsim.model.loading import load_scenario

    sc = _center([1] * 24, 72 * 24, "4h", days=6, reps=4)
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(sc.to_dict(), sort_keys=False))
    plan, folder = tmp_path / "plan.yaml", tmp_path / "staffing"
    args = ["staff", str(path), "-w", "1", "-q", "--write", str(plan), "--out", str(folder)]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "requirement curve" in out.output and "Agents on duty per interval" in out.output
    written = load_scenario(plan).pools["agents"].staffing
    assert written is not None and written.levels == (9,) * 6
    curve = pd.read_csv(folder / "curve.csv")
    assert list(curve["recommended"]) == [9] * 6 and list(curve["erlang"]) == [9] * 6
    cells = pd.read_csv(folder / "interval_requirements.csv")
    assert len(cells) == 6 and cells["met"].all()
    page = (folder / "staffing.html").read_text()
    assert "Requirement curve" in page and "data:image/png;base64," in page
    ran = CliRunner().invoke(main, ["run", str(plan), "--no-save", "-q", "-w", "1", "-r", "2"])
    assert ran.exit_code == 0, ran.output


def test_bounds_of_a_pool_staffed_by_interval_hold_its_levels():
    # Erlang's 12 on duty per hour (after shrinkage) against bounds [0, 10] and [14, 40].
    sc = _center([1] * 24, 72 * 24, "1h", days=2, reps=1).with_({"pools.agents.shrinkage": 0.25})
    (cp,) = curve_pools(sc.with_({"staffing.bounds": {"agents": [0, 10]}}))
    assert (cp.low == 0).all() and (cp.high == 10).all()
    assert (interval_start(sc.with_({"staffing.bounds": {"agents": [0, 10]}}), [cp])["agents"]
            == 10).all()  # fmt: skip
    (cp,) = curve_pools(sc.with_({"staffing.bounds": {"agents": [14, 40]}}))
    assert (interval_start(sc, [cp])["agents"] == 14).all()
    # Without bounds: three times today's peak (20), at least the peak + 30.
    (cp,) = curve_pools(sc)
    assert (cp.low == 0).all() and (cp.high == 60).all()


def test_staffing_bounds_may_name_a_pool_staffed_by_interval_only():
    from shiftsim.model.problems import ScenarioError

    sc = _center([1] * 24, 72 * 24, "4h", days=2, reps=1)
    data = {"staffing": {"bounds": {"agents": [0, 10]}}}
    assert sc.with_({"staffing.bounds": data["staffing"]["bounds"]}).staffing.bounds == {
        "agents": (0, 10)
    }
    with pytest.raises(ScenarioError, match=r"staffing.bounds.*pool staffed by interval.*'nobody'"):
        sc.with_({"staffing.bounds": {"nobody": [0, 10]}})


@pytest.mark.slow
def test_an_upper_bound_below_the_erlang_number_is_reported_not_exceeded():
    # Erlang C needs 9 agents an interval; the bound allows 7: every interval
    # stops there and the output names what cannot be met and at what level.
    sc = _center([1] * 24, 72 * 24, "4h", days=4, reps=4)
    sc = sc.with_({"staffing.bounds": {"agents": [0, 7]}})
    result = staff(sc, screen_replications=4)
    assert result.curve is not None
    assert (result.curve["recommended"] <= 7).all()
    assert not result.feasible
    assert result.unmet and all("phone answered" in str(u) for u in result.unmet)
