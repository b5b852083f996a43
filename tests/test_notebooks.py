"""The notebooks in notebooks/ use only the public API, are committed clean, and run.

Each notebook is executed top to bottom in a fresh Jupyter kernel (nbclient) running this
interpreter, with the repository root as working directory. Its last cell prints the
conclusions it computed as JSON, which the tests read back and check for the expected kind.
The kernel is a separate process: pytest's ``filterwarnings = error`` does not reach it, so
warnings the notebooks print (on stderr) are checked here instead.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

import shiftsim

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["compare_staffing_plans", "chatbot_effect", "planning_meeting_charts"]
HOLIDAY = ROOT / "scenarios" / "holiday.yaml"


def read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture
def jupyter_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Kernel specs, connection files and IPython's history in tmp_path, not in the home folder.

    No user-level kernel spec can then shadow the "python3" one of this environment, which
    jupyter_client starts with ``sys.executable``.
    """
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter" / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    return tmp_path


def execute(name: str, inject: str = "") -> Any:
    """Run a notebook in a new kernel; ``inject`` is code run right after its parameters cell."""
    nb = read(name)
    if inject:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(inject))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(ROOT)}},  # the kernel's working directory
    )
    client.execute()
    return nb


def conclusions(nb: Any) -> dict[str, Any]:
    """The JSON the last cell printed."""
    last = code_cells(nb)[-1]
    text = "".join(o.text for o in last.outputs if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text)


def images(nb: Any) -> int:
    return sum("image/png" in o.get("data", {}) for c in code_cells(nb) for o in c.outputs)


def stderr(nb: Any) -> list[str]:
    return [
        o.text for c in code_cells(nb) for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr"
    ]  # fmt: skip


# -- cheap checks on the files as committed --------------------------------------------


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in code_cells(nb):
        assert cell.outputs == [], f"{name}: clear the outputs before committing"
        assert cell.execution_count is None, f"{name}: clear the execution counts"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", "one cell tagged 'parameters'"


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_notebook_uses_only_the_public_api(name: str) -> None:
    source = "\n".join(c.source for c in code_cells(read(name)))
    used = set(re.findall(r"\bshiftsim\.(\w+)", source))
    for names in re.findall(r"from shiftsim import ([\w, ]+)", source):
        used |= {n.strip() for n in names.split(",")}
    assert used <= set(shiftsim.__all__), f"not public: {sorted(used - set(shiftsim.__all__))}"
    assert not re.search(r"from shiftsim\.\w+ import|import shiftsim\.", source)
    used_plotting = set(re.findall(r"\bplotting\.(\w+)", source))
    assert used_plotting <= set(shiftsim.plotting.__all__)


# -- running them ------------------------------------------------------------------------


def holiday_headcount() -> int:
    sc = shiftsim.load_scenario(HOLIDAY)
    return sum(s.headcount for pool in sc.pools.values() for s in pool.shifts.values())


@pytest.mark.notebooks
@pytest.mark.slow
def test_compare_staffing_plans(jupyter_home: Path) -> None:
    nb = execute("compare_staffing_plans")
    assert stderr(nb) == []
    out = conclusions(nb)
    plans = out["plans"]
    assert list(plans)[0] == "current" and len(plans) >= 3
    assert plans["current"]["headcount"] == holiday_headcount()
    headcounts = [p["headcount"] for p in plans.values()]
    assert headcounts == sorted(headcounts) and len(set(headcounts)) == len(headcounts)
    for p in plans.values():
        assert 0 <= p["targets_met"] <= p["targets"] == 12
    # The recommendation is either the cheapest plan meeting every target, or "none" + closest.
    cheapest = out["cheapest_meeting_all"]
    if cheapest is None:
        assert all(p["targets_met"] < p["targets"] for p in plans.values())
        assert out["closest"] in plans and out["recommendation"].startswith("No plan meets all")
    else:
        assert plans[cheapest]["targets_met"] == 12
        assert all(p["headcount"] >= plans[cheapest]["headcount"]
                   for p in plans.values() if p["targets_met"] == 12)  # fmt: skip
        assert out["recommendation"].startswith("Cheapest plan meeting all")
    # Sentences built from the paired differences: "... from a% to b% (+d points, 95% CI ...)".
    pattern = r"(raises|lowers|does not clearly change) .* from \d+% to \d+% \([+-]\d+ points"
    assert out["findings"] and all(re.search(pattern, s) for s in out["findings"])
    assert images(nb) >= 2  # plan_comparison and the headcount chart


def chatbot_shifts(sc: Any) -> tuple[list[str], dict[str, float], dict[str, float]]:
    """The shifts of the pools that answer chat, their paid hours and weekly on-duty hours."""
    names, paid, weekly = [], {}, {}
    for pname, pool in sc.pools.items():
        if "chat" not in pool.channels:
            continue
        share = sum(pool.rotation.cycle) / len(pool.rotation.cycle) * (1 - pool.absence)
        for sname, shift in pool.shifts.items():
            name = f"{pname}.{sname}"
            names.append(name)
            paid[name] = shift.length / 3600
            weekly[name] = share * paid[name] * 7
    return names, paid, weekly


@pytest.mark.notebooks
@pytest.mark.slow
def test_chatbot_effect(jupyter_home: Path) -> None:
    import numpy as np
    from scipy import stats

    # Two seeds per containment (the notebook's default is 3): four searches instead of
    # six keep the suite under ten minutes, and every check below holds for any k >= 2.
    nb = execute("chatbot_effect", "K = 2")
    assert stderr(nb) == []
    out = conclusions(nb)
    assert set(out) >= {
        "containments", "seeds", "level", "shifts", "weekly_hours_per_agent", "searches",
        "saved_per_seed", "saving", "saving_by_time_of_day", "costlier_with_better_bot",
        "targets", "conclusion", "findings", "target_findings",
    }  # fmt: skip
    low, high = out["containments"]
    assert 0 <= low < high < 1
    seeds, level = out["seeds"], out["level"]
    k = len(seeds)
    assert k >= 2 and seeds == list(range(seeds[0], seeds[0] + k))  # SEED, SEED + 1, ...
    # The search changed the shifts of the pools that answer chat; hours as in the file.
    sc = shiftsim.load_scenario(HOLIDAY)
    shifts, paid, weekly = chatbot_shifts(sc)
    assert out["shifts"] == shifts
    assert out["weekly_hours_per_agent"] == pytest.approx(weekly)
    # One search per seed and containment, the two containments of a seed on the same seed.
    searches = {(s["seed"], s["containment"]): s for s in out["searches"]}
    assert len(searches) == len(out["searches"]) == 2 * k
    assert set(searches) == {(seed, c) for seed in seeds for c in (low, high)}
    for s in searches.values():
        assert set(s["headcount"]) == set(shifts)
        assert all(isinstance(n, int) and n >= 0 for n in s["headcount"].values())
        # No staffing.cost in the file: an agent costs the shift's paid hours.
        assert s["cost"] == pytest.approx(sum(n * paid[name] for name, n in s["headcount"].items()))
        assert 0 <= s["requirements_met"] <= s["requirements"] <= 18  # 6 targets x 3 periods
        # Feasible: every requirement met on the last fresh seeds and none out of reach.
        all_met = s["requirements_met"] == s["requirements"]
        assert s["feasible"] == (all_met and not s["unmet"])
    # Agent-hours saved per week: (headcount at low - at high) x on-duty share x hours x 7.
    per_seed = out["saved_per_seed"]
    assert list(per_seed) == [*shifts, "total"]
    for name in shifts:
        expected = [
            (searches[(seed, low)]["headcount"][name] - searches[(seed, high)]["headcount"][name])
            * weekly[name]
            for seed in seeds
        ]
        assert per_seed[name] == pytest.approx(expected)
    assert per_seed["total"] == pytest.approx(np.sum([per_seed[n] for n in shifts], axis=0))
    by_time = {
        when: np.sum([per_seed[n] for n in shifts if n.endswith(f".{when}")], axis=0)
        for when in dict.fromkeys(n.split(".")[1] for n in shifts)
    }
    assert list(out["saving_by_time_of_day"]) == list(by_time)
    # ... with the t interval of the mean over the K paired differences.
    quantile = stats.t.ppf((1 + level) / 2, k - 1)
    for summary, values in [
        *((out["saving"][name], per_seed[name]) for name in per_seed),
        *((out["saving_by_time_of_day"][when], by_time[when]) for when in by_time),
    ]:
        x = np.asarray(values, dtype=float)
        half = quantile * x.std(ddof=1) / np.sqrt(k)
        assert summary["mean"] == pytest.approx(x.mean())
        assert summary["low"] == pytest.approx(x.mean() - half, abs=1e-9)
        assert summary["high"] == pytest.approx(x.mean() + half, abs=1e-9)
    conclusion = out["conclusion"]
    total = out["saving"]["total"]
    ci = f"{total['mean']:+.0f} agent-hours a week ({level:.0%} CI {total['low']:+.0f} to "
    assert ci in conclusion and f"over {k} seeds" in conclusion
    # A better bot never needs more agents, up to the search's noise: said when it happens.
    costlier = [s for s in seeds if searches[(s, high)]["cost"] > searches[(s, low)]["cost"] + 1e-9]
    assert out["costlier_with_better_bot"] == costlier
    if costlier:
        assert "roster costs more than" in conclusion
        assert all(str(s) in conclusion.split("costs more")[0] for s in costlier)
    else:
        no_more = f"On every seed the {high:.0%} roster costs no more than the {low:.0%} one."
        assert no_more in conclusion
    # Rosters that missed on fresh seeds, or requirements the search could not meet: said.
    missed = [s for s in out["searches"] if s["requirements_met"] < s["requirements"]]
    assert ("Not every requirement held on fresh seeds" in conclusion) == bool(missed)
    reported = [s for s in out["searches"] if s["unmet"]]
    assert ("reported requirements it could not meet" in conclusion) == bool(reported)
    assert len(out["findings"]) == len(by_time)
    # The targets at both rosters: each phone and chat target's worst verified period.
    labels = [
        t.label for t in sc.resolved_targets
        if t.channel in ("phone", "chat") and t.kind == "first_response"
    ]  # fmt: skip
    assert set(out["targets"]) == {str(low), str(high)}
    for table in out["targets"].values():
        assert list(table) == labels
        for row in table.values():
            assert row["period"] in sc.reporting.periods
            assert 0 <= row["low"] <= row["value"] <= row["high"] <= 1
            assert row["required"] == sc.staffing.confidence
            assert row["met"] == (row["value"] >= row["required"] - 1e-12)
    assert len(out["target_findings"]) == len(labels)


@pytest.mark.notebooks
@pytest.mark.slow
def test_planning_meeting_charts(jupyter_home: Path) -> None:
    charts = jupyter_home / "charts"
    nb = execute("planning_meeting_charts", f"OUTPUT_DIR = {str(charts)!r}")
    assert stderr(nb) == []
    out = conclusions(nb)
    assert Path(out["output_dir"]) == charts
    assert len(out["charts"]) >= 8
    for name in out["charts"]:
        data = (charts / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000, name
    assert sorted(p.name for p in charts.iterdir()) == sorted(out["charts"])
    assert 0 <= out["targets_likely_met"] <= out["targets"]
    assert images(nb) >= 8


@pytest.mark.notebooks
def test_kernel_runs_this_interpreter(jupyter_home: Path) -> None:
    """The kernel nbclient starts is this interpreter, which has shiftsim installed."""
    km = KernelManager(kernel_name="python3")
    assert km.format_kernel_cmd()[0] == sys.executable
