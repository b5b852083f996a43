"""The benchmark workloads still run and still measure the same queue.

Speeds are never asserted here (they belong to ``benchmarks/run.py``, as
ratios within one run); this only keeps the workloads from rotting: each one
simulates the M/M/50 queue it claims to, and the record size stays in budget.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def workload(name: str, contacts: int, agents: int = 50) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "workloads.py"),
            name,
            str(contacts),
            str(agents),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["engine", "heapq", "simpy"])
def test_workload_reports_a_plausible_mm50(name: str) -> None:
    # Two days of the M/M/50 workload (load 0.9): about 26,000 contacts.
    r = workload(name, 26_000)
    assert r["name"] == name and r["agents"] == 50
    assert 20_000 < r["contacts"] < 32_000
    assert r["seconds"] > 0
    # Erlang C: mean wait 21.8 s, P(W <= 20 s) 0.739. Two days of one run at
    # load 0.9 scatter widely (long busy periods), so this only catches a
    # workload that no longer queues (wait ~0) or no longer serves (wait huge).
    assert 2.0 < r["mean_wait"] < 200.0
    assert 0.4 < r["p_wait_20"] < 0.98
    assert math.isfinite(r["peak_rss_mb"])


def test_engine_records_stay_within_100_bytes_per_contact() -> None:
    r = workload("engine", 13_000)
    assert r["record_bytes"] <= 100
