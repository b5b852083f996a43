"""Machine-readable summaries: what ``--json`` prints for ``run``, ``compare`` and ``check``.

Each summary is plain data (dicts, lists, strings, numbers, booleans and
``None``; never NaN, which JSON has no word for) whose first key, ``schema``,
names its layout and version: ``shiftsim.run/1``, ``shiftsim.compare/1``,
``shiftsim.check/1``. The README documents every key ("Machine-readable
output"); ``tests/test_json.py`` checks the output against that documentation.
A figure with a 95% interval is an *estimate*: ``{"value", "low", "high"}``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.comparison import Comparison
from shiftsim.analysis.findings import findings
from shiftsim.analysis.results import RunResult
from shiftsim.model.scenario import Scenario
from shiftsim.planning.check import MATERIAL, ChannelCheck

__all__ = ["all_met", "check_summary", "comparison_summary", "dumps", "run_summary"]


def dumps(data: Any) -> str:
    """``data`` as indented JSON; NaN and infinities become ``null``."""
    return json.dumps(_plain(data), indent=2, allow_nan=False)


def all_met(result: RunResult) -> bool:
    """Whether every judged requirement is met (``met`` of :meth:`RunResult.requirements`).

    False without any finished replication; True when no target is judged.
    """
    if not result.replications:
        return False
    return bool(result.requirements()["met"].all())


def run_summary(result: RunResult, folder: str | None = None) -> dict[str, Any]:
    """What ``shiftsim run --json`` prints (schema ``shiftsim.run/1``)."""
    sc = result.scenario
    has = result.replications > 0
    return {
        "schema": "shiftsim.run/1",
        "scenario": sc.name,
        "status": "interrupted" if result.interrupted else "complete",
        "replications": {"finished": result.replications, "requested": result.requested},
        "seed": sc.seed,
        "horizon": _horizon(sc),
        "all_met": all_met(result),
        "targets": _targets(result) if has else [],
        "findings": [f.as_dict() for f in findings(result)] if has else [],
        "results_folder": folder,
        "wall_time_s": result.wall_time,
    }


def comparison_summary(
    comparison: Comparison, changes: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What ``shiftsim compare --json`` prints (schema ``shiftsim.compare/1``).

    ``changes``: per plan, the settings it changes from the file (``--plan``).
    """
    changes = changes or {}
    base = comparison.baseline
    sc = comparison.results[base].scenario
    diffs = comparison.differences()
    plans = []
    for name in comparison.results:
        paired = comparison.paired(name)
        plans.append({
            "plan": name,
            "changes": changes.get(name, {}),
            "all_met": all_met(paired),
            "targets": _targets(paired, periods=False),
        })  # fmt: skip
    return {
        "schema": "shiftsim.compare/1",
        "baseline": base,
        "seed": sc.seed,
        "horizon": _horizon(sc),
        "replications": {
            "compared": len(comparison.replications),
            "requested": comparison.requested,
        },  # fmt: skip
        "note": comparison.note,
        "plans": plans,
        "differences": [
            {
                "plan": r["plan"],
                "target": r["target"],
                "service_level": _estimate(r, "service_level_diff"),
                "p_day": _estimate(r, "p_meet_diff"),
                "period": r["period"] or None,
                "p_period": _estimate(r, "p_period_diff"),
            }
            for _, r in diffs.iterrows()
        ],
    }


def check_summary(checks: list[ChannelCheck], scenario: Scenario) -> dict[str, Any]:
    """What ``shiftsim check --json`` prints (schema ``shiftsim.check/1``)."""
    return {
        "schema": "shiftsim.check/1",
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replications": scenario.replications,
        "horizon": _horizon(scenario),
        "material": MATERIAL,
        "channels": [
            {
                "channel": c.channel,
                "within_s": c.within,
                "model": c.model,
                "flagged_hours": sum(hc.flagged for hc in c.hours),
                "hours": [
                    {
                        "hour": hc.hour,
                        "arrivals": hc.arrivals,
                        "agents": hc.agents,
                        "servers": hc.servers,
                        "planner": hc.planner,
                        "simulated": {
                            "value": hc.simulated.mean,
                            "low": hc.simulated.low,
                            "high": hc.simulated.high,
                        },  # fmt: skip
                        "difference": hc.difference,
                        "flagged": hc.flagged,
                        "reasons": [
                            {
                                "label": r.label,
                                "effect": r.effect,
                                "simulating": r.simulating,
                                "text": r.text,
                            }  # fmt: skip
                            for r in hc.reasons
                        ],
                    }
                    for hc in c.hours
                ],
            }
            for c in checks
        ],
    }


# -- parts -------------------------------------------------------------------------------


def _horizon(sc: Scenario) -> dict[str, Any]:
    h = sc.horizon
    return {"start": h.start.isoformat(), "days": h.days, "warmup_days": h.warmup_days}


def _estimate(row: Any, name: str) -> dict[str, Any]:
    return {"value": row[name], "low": row[f"{name}_low"], "high": row[f"{name}_high"]}


def _targets(result: RunResult, periods: bool = True) -> list[dict[str, Any]]:
    """Per target: its judgement on its worst period, its figures, and each judged period."""
    req = result.requirements()
    out = []
    for k, (_, r) in enumerate(result.targets().iterrows()):
        mine = req[req["target_index"] == k]
        item: dict[str, Any] = {
            "target": r["target"],
            "channel": r["channel"],
            "priority": r["priority"],
            "kind": r["kind"],
            "within_s": r["within_s"],
            "goal": r["goal"],
            "per": r["per"],
            "verdict": r["verdict"],
            "status": r["status"],
            "met": bool(mine["met"].all()) if len(mine) else None,
            "worst_period": r["worst_period"] or None,
            "worst": {"value": r["worst_value"], "low": r["worst_low"], "high": r["worst_high"]},
            "required": r["required"],
            "service_level": _estimate(r, "service_level"),
            "p_day": _estimate(r, "p_meet"),
        }
        if periods:
            item["periods"] = [
                {
                    "period": p["period"],
                    "value": {"value": p["value"], "low": p["low"], "high": p["high"]},
                    "required": p["required"],
                    "met": bool(p["met"]),
                    "verdict": p["verdict"],
                    "service_level": _estimate(p, "service_level"),
                }
                for _, p in mine.iterrows()
            ]
        out.append(item)
    return out


def _plain(x: Any) -> Any:
    """Plain JSON types: numpy scalars unwrapped, NaN and infinities as None."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is pd.NA or x is pd.NaT:
        return None
    return x
