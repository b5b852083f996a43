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


@pytest.mark.notebooks
@pytest.mark.slow
def test_chatbot_effect(jupyter_home: Path) -> None:
    nb = execute("chatbot_effect")
    assert stderr(nb) == []
    out = conclusions(nb)
    assert out["high_containment"] > out["today_containment"]
    moved, on_shift = out["agents_moved"], out["headcount_today"]
    assert 0 <= moved <= on_shift
    # The search stopped at the first move that lowered a chat target, and only there.
    search = {int(k): v for k, v in out["search"].items()}
    assert all(search[k] for k in range(1, moved + 1))
    assert moved == on_shift or search[moved + 1] is False
    # ... and the move it chose keeps every chat target at least as likely to be met as today.
    today, after = out["chat_p_meet_today"], out["chat_p_meet_after"]
    assert set(today) == set(after) and today
    assert all(after[t] >= today[t] - 1e-9 for t in today)
    assert f"{moved} of the {on_shift}" in out["conclusion"]
    assert set(out["occupancy_after"]) >= {f"{out['pool']} {out['shift']}"}
    assert len(out["sweep_findings"]) >= 1 and len(out["target_findings"]) >= 1
    assert images(nb) >= 3  # sweep charts, plan comparison, occupancy


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
