"""The planner's charts: each returns an Axes that shows what it claims to show."""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import io
from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from shiftsim import plotting  # noqa: E402
from shiftsim.analysis.results import RunResult  # noqa: E402
from shiftsim.analysis.runner import run  # noqa: E402
from shiftsim.model.formats import percent  # noqa: E402
from shiftsim.model.loading import load_scenario  # noqa: E402
from shiftsim.model.scenario import Scenario  # noqa: E402

SMALL = Path(__file__).with_name("data") / "small_center.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SMALL)


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> RunResult:
    return run(scenario)


def same_colour(a: object, b: object) -> bool:
    return bool(np.allclose(mcolors.to_rgba(a), mcolors.to_rgba(b)))  # type: ignore[arg-type]


def lines_labelled(ax: Axes, prefix: str) -> list:
    return [ln for ln in ax.get_lines() if str(ln.get_label()).startswith(prefix)]


def test_the_public_package_keeps_every_chart() -> None:
    import shiftsim
    import shiftsim.outputs.plotting

    assert shiftsim.plotting is shiftsim.outputs.plotting is plotting
    assert set(plotting.__all__) == {
        "Figures", "LONG_HORIZON_DAYS", "THRESHOLDS", "arrivals_and_staff", "backlog_over_time",
        "meet_heatmap", "plan_comparison", "rag_colour", "save_charts",
        "service_level_over_time", "shift_occupancy", "skill_groups", "staffing_curve",
        "staffing_search",
        "sweep_chart", "target_probabilities", "wait_distribution",
    }  # fmt: skip
    charts = [n for n in plotting.__all__ if callable(getattr(plotting, n))]
    for name in charts:
        function = getattr(plotting, name)
        assert function.__module__.startswith("shiftsim.outputs.plotting._"), name
        assert function.__doc__, name
        ax = inspect.signature(function).parameters.get("ax")
        if name not in ("Figures", "rag_colour", "save_charts", "skill_groups"):
            assert ax is not None and ax.default is None, f"{name} takes ax=None"


def test_chart_labels_use_the_shared_percent_rule(result: RunResult) -> None:
    ax = plotting.target_probabilities(result)
    p = result.targets()["p_meet"].to_numpy(dtype=float)
    assert [t.get_text() for t in ax.texts] == [percent(v, 0, missing="n/a") for v in p]


def test_every_chart_returns_an_axes_on_a_standalone_figure(result: RunResult) -> None:
    charts = [
        plotting.arrivals_and_staff(result),
        plotting.service_level_over_time(result),
        plotting.wait_distribution(result),
        plotting.target_probabilities(result),
        plotting.backlog_over_time(result),
        plotting.shift_occupancy(result),
        plotting.meet_heatmap(result),
        plotting.plan_comparison({"A": result}),
    ]
    for ax in charts:
        assert isinstance(ax, Axes)
        assert isinstance(ax.figure, Figure)
        assert ax.get_title(loc="left"), "every chart has a title"


def test_a_given_axes_is_drawn_on_and_returned(result: RunResult) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plotting.target_probabilities(result, ax=right) is right
    assert plotting.shift_occupancy(result, ax=left) is left
    assert len(fig.axes) == 2


def test_target_probabilities_bars_values_and_colours(result: RunResult) -> None:
    targets = result.targets()
    ax = plotting.target_probabilities(result)
    bars = ax.patches
    assert len(bars) == len(targets)
    # Bars are drawn top to bottom in the scenario's order.
    bars = sorted(bars, key=lambda b: b.get_y())
    np.testing.assert_allclose([b.get_width() for b in bars], targets["p_meet"], atol=1e-12)
    for bar, p in zip(bars, targets["p_meet"], strict=True):
        expected = plotting.RED if p < 0.5 else plotting.AMBER if p < 0.9 else plotting.GREEN
        assert same_colour(bar.get_facecolor(), expected), p
    assert [t.get_text() for t in ax.get_yticklabels()] == list(targets["target"])
    # The fixture's targets span all three colours, so the thresholds are really exercised.
    assert {plotting.rag_colour(p) for p in targets["p_meet"]} == {
        plotting.RED,
        plotting.AMBER,
        plotting.GREEN,
    }


def test_target_probabilities_thresholds_are_configurable(result: RunResult) -> None:
    ax = plotting.target_probabilities(result, thresholds=(0.0, 0.0))
    assert all(same_colour(b.get_facecolor(), plotting.GREEN) for b in ax.patches)
    ax = plotting.target_probabilities(result, thresholds=(1.01, 1.01))
    assert all(same_colour(b.get_facecolor(), plotting.RED) for b in ax.patches)
    with pytest.raises(ValueError, match=r"low <= high \(got \(0.9, 0.5\)\)"):
        plotting.rag_colour(0.7, (0.9, 0.5))


def test_service_level_goal_line_band_and_daily_line(result: RunResult, scenario: Scenario) -> None:
    for k, t in enumerate(scenario.resolved_targets):
        ax = plotting.service_level_over_time(result, k)
        (goal,) = lines_labelled(ax, "goal")
        assert np.allclose(goal.get_ydata(), t.goal)
        assert t.label in ax.get_title(loc="left")
        assert ax.collections, "the 95% CI is shaded"
    # By label, too; per day draws one point per day.
    label = scenario.resolved_targets[1].label
    ax = plotting.service_level_over_time(result, label, per="day")
    (daily,) = lines_labelled(ax, "per day")
    frame = result.target_intervals("day")
    expected = frame[frame["target"] == label]["service_level"].to_numpy()
    np.testing.assert_allclose(daily.get_ydata(), expected)


def test_service_level_rejects_unknown_targets(result: RunResult) -> None:
    with pytest.raises(ValueError, match="unknown target 'nope'; targets are: phone urgent"):
        plotting.service_level_over_time(result, "nope")
    with pytest.raises(ValueError, match=r"out of range \(got 99, 4 target\(s\)\)"):
        plotting.service_level_over_time(result, 99)
    with pytest.raises(ValueError, match=r"per must be .* \(got 'week'\)"):
        plotting.service_level_over_time(result, per="week")


def test_long_horizons_are_drawn_per_day(scenario: Scenario) -> None:
    days = plotting.LONG_HORIZON_DAYS + 1
    long = run(scenario.with_({"horizon.days": days}, replications=2))
    ax = plotting.service_level_over_time(long)
    assert not lines_labelled(ax, "per 1h")
    (daily,) = lines_labelled(ax, "per day")
    assert len(daily.get_xdata()) == days
    ax = plotting.backlog_over_time(long)
    (email,) = lines_labelled(ax, "email")
    assert len(email.get_xdata()) == days


def test_arrivals_and_staff(result: RunResult, scenario: Scenario) -> None:
    ax = plotting.arrivals_and_staff(result)
    n_channels = len(scenario.channels)
    assert len(ax.patches) == 24 * n_channels
    # Stacked bars per channel add up to the mean contacts offered per day.
    per_day = result.intervals("day").groupby("channel")["offered"].sum() / scenario.horizon.days
    for j, name in enumerate(scenario.channels):
        bars = ax.patches[24 * j : 24 * (j + 1)]
        assert sum(b.get_height() for b in bars) == pytest.approx(per_day[name])
    (twin,) = [a for a in ax.figure.axes if a is not ax]
    (available,) = lines_labelled(twin, "agents available")
    duty = result.shift_intervals().groupby("start")["on_duty"].sum()
    by_hour = duty.groupby(duty.index.hour).mean().to_numpy()
    np.testing.assert_allclose(available.get_ydata()[:24], by_hour)
    (rostered,) = lines_labelled(twin, "agents rostered")
    # Shrinkage removes 20% of on-duty time; rostered agents are never fewer than available.
    assert np.all(rostered.get_ydata() >= available.get_ydata() - 1e-9)
    assert rostered.get_ydata()[12] == pytest.approx(result.shifts()["on_duty_per_day"][0])


def test_arrivals_for_one_day(result: RunResult, scenario: Scenario) -> None:
    day = scenario.horizon.start + dt.timedelta(days=1)
    ax = plotting.arrivals_and_staff(result, day=day)
    assert day.strftime("%d %b %Y") in ax.get_title(loc="left")
    frame = result.intervals("day")
    offered = frame[frame["start"] == str(day)]["offered"].sum()
    assert sum(b.get_height() for b in ax.patches) == pytest.approx(offered)
    with pytest.raises(ValueError, match=r"inside the horizon .* \(got 2027-01-30\)"):
        plotting.arrivals_and_staff(result, day="2027-01-30")


def test_wait_distribution_marks_each_first_response_target(
    result: RunResult, scenario: Scenario
) -> None:
    ax = plotting.wait_distribution(result, "phone")
    targets = [t for t in scenario.resolved_targets if t.channel == "phone"]
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == len(targets)
    for star, t in zip(stars, targets, strict=True):
        assert star.get_xdata()[0] == pytest.approx(t.within / 60)  # minutes
        assert star.get_ydata()[0] == pytest.approx(t.goal)
    # One percentile curve per priority (errorbar containers carry the label).
    curves = {c.get_label(): c.lines[0] for c in ax.containers}
    assert [label.split(":")[0] for label in curves] == ["urgent", "general"]
    for curve in curves.values():
        assert len(curve.get_xdata()) == 4  # p50, p80, p90, p95
        y = np.asarray(curve.get_ydata())
        assert np.all(np.diff(y) > 0) and y.max() <= 0.95 + 1e-12
    assert "minutes" in ax.get_xlabel()
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        plotting.wait_distribution(result, "fax")


def test_backlog_draws_channels_with_deferrable_work(result: RunResult) -> None:
    ax = plotting.backlog_over_time(result, per="interval")
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "email" in labels and "chat" not in labels  # chat has no escalation and is not async
    frame = result.backlog()
    (email,) = lines_labelled(ax, "email")
    np.testing.assert_allclose(email.get_ydata(), frame[frame["channel"] == "email"]["backlog"])


def test_shift_occupancy_bars(result: RunResult) -> None:
    shifts = result.shifts()
    ax = plotting.shift_occupancy(result)
    assert len(ax.patches) == len(shifts)
    np.testing.assert_allclose([b.get_height() for b in ax.patches],
                               shifts["occupancy"])  # fmt: skip
    (high,) = [ln for ln in ax.get_lines() if np.allclose(ln.get_ydata(), 0.85)]
    assert high.get_linestyle() == "--"


def test_heatmap_is_days_by_hours_of_p_meet(result: RunResult, scenario: Scenario) -> None:
    ax = plotting.meet_heatmap(result, 2)
    (image,) = ax.get_images()
    data = image.get_array()
    assert data.shape == (scenario.horizon.days, 24)
    frame = result.target_intervals()
    label = scenario.resolved_targets[2].label
    expected = frame[frame["target"] == label]["p_meet"].to_numpy().reshape(-1, 24)
    np.testing.assert_allclose(np.ma.filled(data, np.nan), expected)
    assert "Christmas Eve" in " ".join(t.get_text() for t in ax.get_yticklabels())


def test_heatmap_pools_short_intervals_into_hours(result: RunResult, scenario: Scenario) -> None:
    # The reporting interval changes no simulated contact (same seed, same
    # streams), so half-hour counts pooled into hours must give the hourly map.
    half = run(scenario.with_({"reporting.interval": "30min"}))
    for k in range(len(scenario.resolved_targets)):
        hourly = plotting.meet_heatmap(result, k).get_images()[0].get_array()
        pooled = plotting.meet_heatmap(half, k).get_images()[0].get_array()
        np.testing.assert_array_equal(np.ma.filled(pooled, -1), np.ma.filled(hourly, -1))


def test_plan_comparison_groups_bars_by_target(result: RunResult, scenario: Scenario) -> None:
    fewer = scenario.with_({"pools.agents.shifts.day.headcount": 9})
    plans = {"plan A": result, "plan B (fewer day agents)": run(fewer)}
    ax = plotting.plan_comparison(plans)
    n = len(scenario.resolved_targets)
    assert len(ax.patches) == 2 * n
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == list(plans)
    for i, r in enumerate(plans.values()):
        widths = [b.get_width() for b in ax.patches[i * n : (i + 1) * n]]
        np.testing.assert_allclose(widths, r.targets()["p_meet"])
    with pytest.raises(ValueError, match="at least one plan"):
        plotting.plan_comparison({})


def test_a_scenario_without_targets_still_charts(result: RunResult, scenario: Scenario) -> None:
    bare = run(scenario.with_(targets=[], replications=2))
    ax = plotting.target_probabilities(bare)
    assert not ax.patches
    assert "no response targets" in ax.texts[0].get_text()
    ax = plotting.plan_comparison({"without targets": bare, "with": result})
    assert len(ax.patches) == 2 * len(scenario.resolved_targets)
    with pytest.raises(ValueError, match=r"out of range \(got 0, 0 target\(s\)\)"):
        plotting.meet_heatmap(bare)


def png(ax: Axes, dpi: float) -> bytes:
    out, fig = io.BytesIO(), ax.get_figure(root=True)
    assert fig is not None
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def test_figures_draws_each_chart_once(result: RunResult, tmp_path: Path) -> None:
    figures = plotting.Figures(result)
    phone = figures(plotting.wait_distribution, "phone")
    assert figures(plotting.wait_distribution, channel="phone", ax=None) is phone
    assert figures(plotting.wait_distribution, "chat") is not phone
    arrivals = figures(plotting.arrivals_and_staff)
    assert figures(plotting.arrivals_and_staff, channels=None) is arrivals
    assert figures(plotting.arrivals_and_staff, channels=["phone"]) is figures(
        plotting.arrivals_and_staff, channels=("phone",)
    )
    assert figures(plotting.arrivals_and_staff, channels=["phone"]) is not arrivals
    # Not laid out yet: the figure keeps its engine, a plain savefig works as usual.
    assert phone.figure.get_layout_engine() is not None
    other = plotting.Figures(copy.copy(result))
    with pytest.raises(ValueError, match="figures must be those of the result saved"):
        plotting.save_charts(result, tmp_path, figures=other)
    assert not list(tmp_path.iterdir())


def test_figures_lays_out_once_per_resolution_as_if_drawn_alone(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = {dpi: png(plotting.wait_distribution(result, "phone"), dpi) for dpi in (100, 150)}
    draws: Counter[int] = Counter()
    draw = Figure.draw

    def counted(fig: Figure, renderer: Any) -> None:
        draws[id(fig)] += 1
        draw(fig, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    figures = plotting.Figures(result)
    ax = figures.at(150)(plotting.wait_distribution, "phone")
    assert ax.figure.get_layout_engine() is None
    assert png(ax, 150) == alone[150]
    assert png(ax, 150) == alone[150]
    # Laid out again for 100 dpi from where the axes started (the layout of a
    # figure laid out at 150 first differs: its ticks were chosen for that length).
    assert png(figures.lay_out(ax, 100), 100) == alone[100]
    assert draws[id(ax.figure)] == 3  # one drawing per image, none to lay out
