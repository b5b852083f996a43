"""Run replications of a scenario, serially, on local processes or on a Dask cluster.

Replication ``r`` is seeded from the scenario seed and ``r`` only, never from
the worker that runs it, so serial, process-pool and Dask runs of the same
scenario and seed give bit-identical results.

Ctrl-C (see :class:`Interrupts`): the first one stops the run, killing the
local workers, and keeps every replication already stored; a second one
stops at once. Local workers die with their parent process, however it ends.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from types import FrameType
from typing import Any

import numpy as np

from shiftsim.analysis.metrics import KPIS, ReplicationMetrics, measure
from shiftsim.analysis.results import RunResult
from shiftsim.model.scenario import Scenario
from shiftsim.sim.replication import run_replication

__all__ = [
    "ExecutorError",
    "Interrupts",
    "default_workers",
    "executor_for",
    "replicate",
    "run",
    "simulate",
]

Progress = Callable[[int, int], None]


class ExecutorError(RuntimeError):
    """Replications cannot run where asked (no Dask installed, scheduler unreachable)."""


class Interrupts:
    """What Ctrl-C (SIGINT) does during a run: the first stops it cleanly, a second at once.

    Used as a context manager around a run (it installs its handler in the
    main thread only). The first Ctrl-C raises ``KeyboardInterrupt`` where the
    run waits or computes, but never inside a :meth:`protected` block (storing
    a replication, writing the results folder): there it takes effect when the
    block ends. A second Ctrl-C kills the local workers and, with
    ``hard_exit``, prints ``farewell()`` and exits the process with status 130
    at once (the command line); otherwise it raises ``KeyboardInterrupt`` at
    once (a notebook keeps its kernel). Only an :meth:`atomic` block (renames
    that must happen together) holds even the second one back.
    """

    def __init__(self, hard_exit: bool = False, farewell: Callable[[], str] | None = None):
        self.hard_exit = hard_exit
        self.farewell = farewell
        self.requested = False  # a Ctrl-C came: the run is to stop
        self._count = 0
        self._protected = 0
        self._atomic = 0
        self._held = False
        self._exit_held = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self._count == 1:
            self.requested = True
            if self._protected:
                self._held = True
                return
            raise KeyboardInterrupt
        if self._atomic:
            self._exit_held = True
            return
        self._second()

    def _second(self) -> None:
        stop_workers()
        if not self.hard_exit:
            raise KeyboardInterrupt
        message = self.farewell() if self.farewell is not None else ""
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):  # the main thread may be writing to it right now
                stream.flush()
        # Written straight to the file descriptor: the stream may be mid-write.
        show_cursor = "\x1b[?25h" if sys.stderr.isatty() else ""  # a progress bar hid it
        os.write(2, f"{show_cursor}\n{message}\n".encode())
        os._exit(130)

    @contextmanager
    def protected(self, raise_after: bool = True) -> Iterator[None]:
        """A block the first Ctrl-C does not cut short.

        A Ctrl-C that came during the block raises ``KeyboardInterrupt`` when
        it ends, or, with ``raise_after=False``, is only noted in :attr:`requested`.
        """
        self._protected += 1
        try:
            yield
        finally:
            self._protected -= 1
        if self._held and not self._protected:
            self._held = False
            if raise_after:
                raise KeyboardInterrupt

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A block not even a second Ctrl-C cuts short (say, renames that go together)."""
        self._atomic += 1
        try:
            yield
        finally:
            self._atomic -= 1
        if self._exit_held and not self._atomic:
            self._exit_held = False
            self._second()


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

    Raises
    ------
    ExecutorError
        ``ADDRESS: problem`` without the dask extra or when the scheduler is unusable.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(
                f"{scheduler}: running on a Dask cluster needs the dask extra: "
                "pip install 'shiftsim[dask]'"
            ) from None
        try:
            client = Client(scheduler)
        except (OSError, ValueError, TypeError) as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise ExecutorError(
                f"{scheduler}: cannot use this Dask scheduler ({message})"
            ) from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
    elif workers > 1:
        pool = LocalPool(workers)
        try:
            yield pool
        except BaseException:
            pool.stop_workers()  # nothing they compute now would be kept
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield None


_POOLS: weakref.WeakSet[LocalPool] = weakref.WeakSet()


class LocalPool(Executor):
    """Worker processes on this machine that can be stopped at once and started again.

    Workers ignore Ctrl-C (the parent decides what it means) and exit when
    their parent process is gone, however it ended (a watchdog thread checks
    ``os.getppid()``). :meth:`stop_workers` kills them; the next
    :meth:`submit` starts fresh ones, so a plan compared after an interrupted
    one still runs.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._before: set[int | None] = set()
        _POOLS.add(self)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._pool is None:
            self._before = {p.pid for p in multiprocessing.active_children()}
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=_worker_start, initargs=(os.getpid(),)
            )
        return self._pool.submit(fn, *args, **kwargs)

    def stop_workers(self) -> None:
        """Kill the workers (what they compute is lost) and cancel what is queued."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for child in multiprocessing.active_children():
            if child.pid not in self._before:
                child.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def stop_workers() -> None:
    """Kill the workers of every local pool of this process."""
    for pool in list(_POOLS):
        pool.stop_workers()


def _worker_start(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    # A worker whose parent died would otherwise run on, or block on a full pipe.
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def run(
    scenario: Scenario,
    progress: Progress | None = None,
    executor: Executor | None = None,
    replications: list[int] | None = None,
    on_replication: Callable[[ReplicationMetrics, dict[str, np.ndarray] | None], None]
    | None = None,
    keep_logs: bool = False,
    kpis: str = "all",
    interrupts: Interrupts | None = None,
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

    interrupts
        How Ctrl-C is handled (the command line passes its own, see
        :class:`Interrupts`); by default one for this run: the first Ctrl-C stops
        it, a second raises ``KeyboardInterrupt`` at once.

    On Ctrl-C the replications already finished are kept (``on_replication``
    is never cut short), pending ones are cancelled, local workers are
    stopped, and the result is marked as interrupted.
    """
    if kpis not in KPIS:
        raise ValueError(f"kpis must be one of {', '.join(map(repr, KPIS))} (got {kpis!r})")
    indices = list(range(scenario.replications)) if replications is None else replications
    total = len(indices)
    started = time.perf_counter()
    done: dict[int, ReplicationMetrics] = {}

    stop = interrupts if interrupts is not None else Interrupts()

    def finished(metrics: ReplicationMetrics, log: dict[str, np.ndarray] | None) -> None:
        with stop.protected():
            if on_replication is not None:
                on_replication(metrics, log)
            done[metrics.index] = metrics
            if progress is not None:
                progress(len(done), total)

    scope: AbstractContextManager[Any] = nullcontext() if interrupts is not None else stop
    with scope:
        try:
            if executor is None:
                for r in indices:
                    finished(*replicate(scenario, r, keep_logs, kpis))
            else:
                # Only pending futures are referenced: a finished one's log is freed at once.
                pending = {
                    executor.submit(replicate, scenario, r, keep_logs, kpis) for r in indices
                }
                try:
                    for fut in as_completed(list(pending)):
                        pending.discard(fut)
                        finished(*fut.result())
                except BaseException:
                    for fut in pending:
                        fut.cancel()
                    raise
        except KeyboardInterrupt:
            stop.requested = True
            if isinstance(executor, LocalPool):
                executor.stop_workers()
    return RunResult.from_metrics(
        scenario, list(done.values()), requested=total, wall_time=time.perf_counter() - started
    )


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
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
        Local worker processes (default: all cores, as the command line; 1: in this
        process). Results do not depend on it.
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
    n_workers = max(1, min(workers or default_workers(), scenario.replications))
    with executor_for(n_workers, scheduler) as executor:
        return run(scenario, progress=progress, executor=executor, kpis=kpis)
