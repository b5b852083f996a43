"""Run replications of a scenario, serially, on local processes or on a Dask cluster.

Replication ``r`` is seeded from the scenario seed and ``r`` only, never from
the worker that runs it, so serial, process-pool and Dask runs of the same
scenario and seed give bit-identical results.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

import numpy as np

from shiftsim.analysis.metrics import KPIS, ReplicationMetrics, measure
from shiftsim.analysis.results import RunResult
from shiftsim.model.scenario import Scenario
from shiftsim.sim.replication import run_replication

__all__ = ["default_workers", "executor_for", "replicate", "run", "simulate"]

Progress = Callable[[int, int], None]


def replicate(
    scenario: Scenario, index: int, keep_log: bool = False, kpis: str = "all"
) -> tuple[ReplicationMetrics, dict[str, np.ndarray] | None]:
    """Simulate replication ``index``; return its KPIs and, if asked, its contact log columns.

    ``kpis`` as in :func:`shiftsim.analysis.metrics.measure`.
    """
    rep = run_replication(scenario, index)
    log = rep.result.log.as_dict() if keep_log else None
    return measure(rep, scenario, kpis), log


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@contextmanager
def executor_for(workers: int = 1, scheduler: str | None = None) -> Iterator[Executor | None]:
    """An executor for replications: ``None`` (serial), local processes, or Dask.

    Parameters
    ----------
    workers
        Local worker processes; 1 runs in this process.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        Needs the ``dask`` extra: ``pip install 'shiftsim[dask]'``.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "running on a Dask cluster needs the dask extra: pip install 'shiftsim[dask]'"
            ) from exc
        client = Client(scheduler)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
    elif workers > 1:
        # Workers ignore Ctrl-C: the parent cancels what is pending and lets
        # running replications finish, so the pool never breaks half-way.
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield None


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(
    scenario: Scenario,
    progress: Progress | None = None,
    executor: Executor | None = None,
    replications: list[int] | None = None,
    on_replication: Callable[[ReplicationMetrics, dict[str, np.ndarray] | None], None]
    | None = None,
    keep_logs: bool = False,
    kpis: str = "all",
) -> RunResult:
    """Run the scenario's replications and collect their KPIs.

    Parameters
    ----------
    scenario
        What to simulate; ``scenario.replications`` replications.
    progress
        Called as ``progress(done, total)`` after each replication.
    executor
        Where replications run (see :func:`executor_for`); ``None`` runs them
        one after another in this process.
    replications
        Indices to run (default ``range(scenario.replications)``).
    on_replication
        Called in this process with each finished replication's KPIs and, with
        ``keep_logs``, its contact-log columns (e.g. to write them to disk as
        they arrive).
    keep_logs
        Ship each replication's contact log back to ``on_replication``.
    kpis
        ``"all"`` (every table), or ``"targets"``: only the target counts per
        day and period that :meth:`RunResult.requirements` and
        :meth:`RunResult.targets` need (for searches that evaluate many plans);
        the other tables of such a result raise ``ValueError``.

    On Ctrl-C the replications already finished are kept, pending ones are
    cancelled, and the result is marked as interrupted.
    """
    if kpis not in KPIS:
        raise ValueError(f"kpis must be one of {', '.join(map(repr, KPIS))} (got {kpis!r})")
    indices = list(range(scenario.replications)) if replications is None else replications
    total = len(indices)
    started = time.perf_counter()
    done: dict[int, ReplicationMetrics] = {}

    def finished(metrics: ReplicationMetrics, log: dict[str, np.ndarray] | None) -> None:
        done[metrics.index] = metrics
        if on_replication is not None:
            on_replication(metrics, log)
        if progress is not None:
            progress(len(done), total)

    try:
        if executor is None:
            for r in indices:
                finished(*replicate(scenario, r, keep_logs, kpis))
        else:
            futures = [executor.submit(replicate, scenario, r, keep_logs, kpis) for r in indices]
            try:
                for fut in as_completed(futures):
                    finished(*fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    except KeyboardInterrupt:
        pass
    return RunResult.from_metrics(
        scenario, list(done.values()), requested=total, wall_time=time.perf_counter() - started
    )


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    kpis: str = "all",
) -> RunResult:
    """Simulate a scenario and return its results (the notebook entry point).

    Parameters
    ----------
    scenario
        From :func:`shiftsim.load_scenario`, possibly changed with ``.set()``.
    replications, seed
        Override the scenario's.
    workers
        Local worker processes (1: in this process). Results do not depend on it.
    scheduler
        Address of a Dask scheduler to run the replications on.
    kpis
        ``"all"`` (default), or ``"targets"`` to compute only what
        ``requirements()`` and ``targets()`` need (see :func:`run`).
    """
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = replications
    if seed is not None:
        changes["seed"] = seed
    if changes:
        scenario = scenario.with_(**changes)
    with executor_for(workers, scheduler) as executor:
        return run(scenario, progress=progress, executor=executor, kpis=kpis)
