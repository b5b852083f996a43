"""From real logs to the simulator's contact log: reading, measuring and fitting.

``read_logs`` turns log files into the documented schema through a mapping
file; ``measure_logs`` computes the service actually given with the same KPI
code as a simulation; ``fit_logs`` writes a scenario that reproduces history;
``backtest`` simulates that scenario and compares it hour by hour with the
measured service; ``to_log`` writes a simulated run in the log schema::

    from shiftsim.logs import fit_logs, load_mapping, read_logs
    from shiftsim.logs.backtest import backtest
    table = read_logs(["01_January.txt.gz"], load_mapping("anonymous_bank.yaml"))
    fit = fit_logs(table)
    fit.write("bank-jan.yaml")
    backtest(fit).summaries
"""

from __future__ import annotations

import importlib
from typing import Any

# ``backtest`` is not re-exported: the name is its module's.
__all__ = ["fit_logs", "load_mapping", "measure_logs", "read_logs", "to_log"]

_HOME = {
    "fit_logs": "fit",
    "load_mapping": "mapping",
    "measure_logs": "measure",
    "read_logs": "reader",
    "to_log": "history",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: reading a log does not need the simulator's runner.
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module 'shiftsim.logs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
