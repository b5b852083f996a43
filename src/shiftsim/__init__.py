"""shiftsim: size the staff of a 24-hour customer-service center by simulating it.

The public API, for scripts and notebooks::

    import shiftsim
    plan = shiftsim.load_scenario("scenarios/holiday.yaml")
    result = shiftsim.simulate(plan, replications=30)
    result.targets()                     # pandas: service level, P(day meets goal), CIs
    night6 = plan.set("pools.frontline.shifts.night.headcount", 6)
    shiftsim.compare({"now": plan, "night 6": night6}).differences()
    shiftsim.sweep(plan, "channels.chat.bot.containment", [0.1, 0.2, 0.3])
    shiftsim.staff(plan).roster()        # least-cost headcount per shift meeting every target
    shiftsim.plotting.target_probabilities(result)   # charts take ax=, return the Axes

Everything not listed in ``__all__`` is internal and may change.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shiftsim.analysis.comparison import Comparison, compare, sweep
    from shiftsim.analysis.results import RunResult
    from shiftsim.analysis.runner import simulate
    from shiftsim.model.loading import load_scenario, parse_scenario
    from shiftsim.model.problems import ScenarioError
    from shiftsim.model.scenario import Scenario
    from shiftsim.outputs.store import load_results
    from shiftsim.planning.staffing import StaffingResult, staff

# Imported on first use, so that `shiftsim --help` does not pay for pandas and SciPy.
_HOME = {
    "Comparison": "analysis.comparison", "compare": "analysis.comparison",
    "sweep": "analysis.comparison", "RunResult": "analysis.results",
    "simulate": "analysis.runner", "load_results": "outputs.store",
    "Scenario": "model.scenario", "ScenarioError": "model.problems",
    "load_scenario": "model.loading", "parse_scenario": "model.loading",
    "staff": "planning.staffing", "StaffingResult": "planning.staffing",
}  # fmt: skip
_MODULES = {"plotting": "outputs.plotting"}  # public submodules, imported on first use

__all__ = [
    "Comparison",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StaffingResult",
    "compare",
    "load_results",
    "load_scenario",
    "parse_scenario",
    "plotting",
    "simulate",
    "staff",
    "sweep",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    raise AttributeError(f"module 'shiftsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
