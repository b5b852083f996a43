"""Benchmark workloads, each run in a fresh process by ``benchmarks/run.py``.

Usage: ``python benchmarks/workloads.py NAME SIZE [AGENTS] [--first all] [--days N]``;
prints one JSON line with the seconds (CPU of this process), peak resident
memory and what the workload simulated. For the M/M/n workloads (``engine``,
``simulate``, ``heapq``, ``simpy``, ``ciw``) SIZE is the contacts and the line
holds the mean wait / P(wait <= 20 s), so that every variant can be checked
against Erlang C (M/M/n, load 0.9, mean handle 300 s). For ``search`` SIZE is
the replications of ``scenarios/holiday.yaml`` (see :func:`run_search`).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import resource
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

LOAD = 0.9
MEAN_HANDLE = 300.0
WARM_UP = 2_000
"""Contacts of an untimed first run of shiftsim's workloads, in the same process.

Timers measure the simulation, not a process's first calls: ``import ciw``
and building Ciw's network are outside its timer, so the modules shiftsim
imports on its first call (pandas, pyarrow and SciPy for the KPIs of
``simulate()``, about 0.4 s of CPU) are loaded by a small run of the same
queue before the timer starts, as ``run_search`` does. Peak memory still
counts every import.
"""


def rate(agents: int) -> float:
    return LOAD * agents / MEAN_HANDLE


def mmn_scenario(agents: int, contacts: int) -> dict:
    """The M/M/n workload as an ordinary shiftsim scenario.

    Arrivals come at the rate of load 0.9 around the clock for as many days as
    ``contacts`` needs. Less than half a day's worth (many agents: 10,000 take
    2.6 million a day) arrive in the first hours of one day, at the same rate.
    """
    lam = rate(agents)
    days = round(contacts / (lam * 86400))
    hours = 24
    if days < 1:
        days = 1
        hours = max(1, round(contacts / (lam * 3600)))
    return {
        "name": f"M/M/{agents} benchmark",
        "horizon": {"start": "2026-01-05", "days": days},
        "replications": 1,
        "seed": 1,
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {
                    "per_day": lam * 3600 * hours,
                    "hourly_profile": [1] * hours + [0] * (24 - hours),
                    "daily_cv": 0,
                },
                "handle_time": {"dist": "exponential", "mean": f"{MEAN_HANDLE}s"},
            }
        },
        "pools": {
            "agents": {
                "channels": ["phone"],
                "rotation": {"pattern": "1"},
                "shifts": {"all": {"start": "00:00", "end": "24:00", "headcount": agents}},
            }
        },
        "targets": [{"channel": "phone", "within": "20s", "goal": 0.8}],
    }


def run_engine(contacts: int, agents: int) -> dict:
    from shiftsim.model.loading import parse_scenario
    from shiftsim.sim.replication import run_replication

    sc = parse_scenario(mmn_scenario(agents, contacts))
    run_replication(parse_scenario(mmn_scenario(agents, WARM_UP)), 0)  # untimed, see WARM_UP
    t = time.process_time()
    rep = run_replication(sc, 0)
    seconds = time.process_time() - t
    log = rep.result.log
    wait = (log.answered - log.queued)[~np.isnan(log.answered)]
    # Offered load: agent time handed out per agent and second of arrivals
    # (0.9 by construction; every contact is served, so it is the occupancy).
    span = float(log.arrival.max() - log.arrival.min())
    busy = float(np.nansum(log.handled - log.answered))
    return {
        "contacts": len(log),
        "seconds": seconds,
        "mean_wait": float(wait.mean()),
        "p_wait_20": float((wait <= 20).mean()),
        "record_bytes": log.nbytes / len(log),
        "load": busy / (agents * span),
    }


def run_simulate(contacts: int, agents: int) -> dict:
    """The same scenario through ``simulate()``: arrivals, engine, records and every KPI."""
    from shiftsim.analysis.runner import simulate
    from shiftsim.model.loading import parse_scenario

    sc = parse_scenario(mmn_scenario(agents, contacts))
    simulate(parse_scenario(mmn_scenario(agents, WARM_UP)), workers=1, kpis="all").targets()
    t = time.process_time()
    result = simulate(sc, workers=1, kpis="all")
    seconds = time.process_time() - t
    # The figures a planner reads: ASA per channel and the service level of the
    # 20 s target (contacts answered within 20 s of arriving, over all of them).
    channel = result.channels().iloc[0]
    target = result.targets().iloc[0]
    return {
        "contacts": sum(m.n_contacts for m in result.metrics),
        "seconds": seconds,
        "mean_wait": float(channel["asa_s"]),
        "p_wait_20": float(target["service_level"]),
    }


def run_simpy(contacts: int, agents: int) -> dict:
    """Idiomatic SimPy: a generator process per contact and a Resource."""
    import simpy

    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=agents)
    rng = random.Random(1)
    lam = rate(agents)
    waits: list[float] = []

    def customer(env: simpy.Environment):
        arrive = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrive)
            yield env.timeout(rng.expovariate(1 / MEAN_HANDLE))

    def source(env: simpy.Environment):
        for _ in range(contacts):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    t = time.process_time()
    env.run()
    seconds = time.process_time() - t
    w = np.asarray(waits)
    return {"contacts": len(w), "seconds": seconds, "mean_wait": float(w.mean()),
            "p_wait_20": float((w <= 20).mean())}  # fmt: skip


def run_heapq(contacts: int, agents: int) -> dict:
    """A hand-written heapq event loop: the ceiling for a general Python engine."""
    rng = random.Random(1)
    lam = rate(agents)
    expo = rng.expovariate
    events: list[tuple[float, int, int]] = []  # (time, kind, customer); kind 0 arrival, 1 end
    queue: deque[int] = deque()
    arrival = [0.0] * contacts
    waits = [0.0] * contacts
    idle = agents
    t = 0.0
    nxt = 0
    heapq.heappush(events, (expo(lam), 0, 0))
    started = time.process_time()
    push, pop = heapq.heappush, heapq.heappop
    while events:
        now, kind, c = pop(events)
        if kind == 0:
            arrival[c] = now
            nxt = c + 1
            if nxt < contacts:
                push(events, (now + expo(lam), 0, nxt))
            if idle:
                idle -= 1
                push(events, (now + expo(1 / MEAN_HANDLE), 1, c))
            else:
                queue.append(c)
        else:
            if queue:
                q = queue.popleft()
                waits[q] = now - arrival[q]
                push(events, (now + expo(1 / MEAN_HANDLE), 1, q))
            else:
                idle += 1
    seconds = time.process_time() - started
    del t
    w = np.asarray(waits)
    return {"contacts": contacts, "seconds": seconds, "mean_wait": float(w.mean()),
            "p_wait_20": float((w <= 20).mean())}  # fmt: skip


def run_ciw(contacts: int, agents: int) -> dict:
    import ciw

    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate(agents))],
        service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_HANDLE)],
        number_of_servers=[agents],
    )
    ciw.seed(1)
    q = ciw.Simulation(net)
    t = time.process_time()
    q.simulate_until_max_customers(contacts, method="Finish")
    seconds = time.process_time() - t
    w = np.asarray([r.waiting_time for r in q.get_all_records()])
    return {"contacts": len(w), "seconds": seconds, "mean_wait": float(w.mean()),
            "p_wait_20": float((w <= 20).mean())}  # fmt: skip


def run_search(replications: int, first: str = "targets", days: int | None = None) -> dict:
    """What a staffing search pays per roster, against a full run of the same replications.

    ``scenarios/holiday.yaml`` with ``replications`` replications in this
    process, twice: as the search evaluates a roster (``kpis="targets"``, then
    :meth:`~shiftsim.analysis.results.RunResult.requirements`) and as a full
    run (``kpis="all"``, then ``targets()``, which judges the same
    requirements). ``first`` is the one timed first (``run.py`` alternates it
    between rounds); ``days`` shortens the horizon (for tests). Fails unless
    both give the same requirement table.
    """
    import pandas as pd

    from shiftsim.analysis.runner import simulate
    from shiftsim.model.loading import load_scenario

    path = Path(__file__).resolve().parents[1] / "scenarios" / "holiday.yaml"
    overrides: dict[str, Any] = {"replications": replications}
    if days is not None:
        overrides["horizon.days"] = days
    sc = load_scenario(path, overrides)
    # Untimed warm-up of both paths on one day, so that neither pays for the
    # first calls (lazy imports, caches) in the other's place.
    tiny = load_scenario(path, {"replications": 1, "horizon.days": 1})
    for kpis in ("targets", "all"):
        simulate(tiny, workers=1, kpis=kpis).targets()

    def evaluate(kpis: str) -> tuple[float, Any]:
        t = time.process_time()
        result = simulate(sc, workers=1, kpis=kpis)
        if kpis == "targets":
            result.requirements()
        else:
            result.targets()
        return time.process_time() - t, result

    order = [first, "all" if first == "targets" else "targets"]
    timed = {kpis: evaluate(kpis) for kpis in order}
    (search_s, search), (full_s, full) = timed["targets"], timed["all"]
    table, full_table = search.requirements(), full.requirements()
    pd.testing.assert_frame_equal(table, full_table, check_exact=True)
    if table.attrs["skipped"] != full_table.attrs["skipped"]:
        raise AssertionError("the two runs skipped different requirements")
    return {
        "replications": replications,
        "contacts": sum(m.n_contacts for m in full.metrics),
        "first": first,
        "search_seconds": search_s,
        "full_seconds": full_s,
        "seconds": search_s + full_s,
        "ratio": full_s / search_s,
        "requirements": len(table),
        "requirements_met": int(table["met"].sum()),
        "identical": True,
    }


WORKLOADS = {
    "engine": run_engine,
    "simulate": run_simulate,
    "simpy": run_simpy,
    "heapq": run_heapq,
    "ciw": run_ciw,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=[*WORKLOADS, "search"])
    ap.add_argument("size", type=int, help="contacts (replications for search)")
    ap.add_argument("agents", type=int, nargs="?", default=50)
    ap.add_argument("--first", choices=["targets", "all"], default="targets",
                    help="search: the path timed first")  # fmt: skip
    ap.add_argument("--days", type=int, default=None, help="search: days of the horizon")
    args = ap.parse_args()
    if args.name == "search":
        out = run_search(args.size, args.first, args.days)
    else:
        out = WORKLOADS[args.name](args.size, args.agents)
        out["agents"] = args.agents
    out["name"] = args.name
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
