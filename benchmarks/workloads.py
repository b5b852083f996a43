"""Benchmark workloads, each run in a fresh process by ``benchmarks/run.py``.

Usage: ``python benchmarks/workloads.py NAME CONTACTS [AGENTS]``; prints one
JSON line with the contacts simulated, seconds, peak resident memory and the
mean wait / P(wait <= 20 s) so that every variant can be checked against
Erlang C (M/M/n, load 0.9, mean handle 300 s).
"""

from __future__ import annotations

import heapq
import json
import random
import resource
import sys
import time
from collections import deque

import numpy as np

LOAD = 0.9
MEAN_HANDLE = 300.0


def rate(agents: int) -> float:
    return LOAD * agents / MEAN_HANDLE


def mmn_scenario(agents: int, contacts: int) -> dict:
    """The M/M/n workload as an ordinary shiftsim scenario."""
    lam = rate(agents)
    days = max(1, round(contacts / (lam * 86400)))
    return {
        "name": f"M/M/{agents} benchmark",
        "horizon": {"start": "2026-01-05", "days": days},
        "replications": 1,
        "seed": 1,
        "channels": {
            "phone": {
                "kind": "voice",
                "volume": {"per_day": lam * 86400, "hourly_profile": [1] * 24, "daily_cv": 0},
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
    t = time.process_time()
    rep = run_replication(sc, 0)
    seconds = time.process_time() - t
    log = rep.result.log
    wait = (log.answered - log.queued)[~np.isnan(log.answered)]
    return {
        "contacts": len(log),
        "seconds": seconds,
        "mean_wait": float(wait.mean()),
        "p_wait_20": float((wait <= 20).mean()),
        "record_bytes": log.nbytes / len(log),
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


WORKLOADS = {"engine": run_engine, "simpy": run_simpy, "heapq": run_heapq, "ciw": run_ciw}


def main() -> None:
    name, contacts = sys.argv[1], int(sys.argv[2])
    agents = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    out = WORKLOADS[name](contacts, agents)
    out["name"] = name
    out["agents"] = agents
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
