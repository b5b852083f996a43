"""Run replications of a scenario, serially, on local processes or on a Dask cluster.

Replication ``r`` is seeded from the scenario seed and ``r`` only, never from
the worker that runs it, so serial, process-pool and Dask runs of the same
scenario and seed give bit-identical results.

Ctrl-C (see :class:`~shiftsim.analysis.interrupts.Interrupts`): the first one
stops the run, killing the local workers, and keeps every replication already
stored; a second one stops at once. Local workers die with their parent
process, however it ends.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, as_completed
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from shiftsim.analysis.interrupts import Interrupts, LocalPool
from shiftsim.analysis.metrics import KPIS, ReplicationMetrics, measure
from shiftsim.model.scenario import Scenario
from shiftsim.sim.replication import run_replication

if TYPE_CHECKING:
    from shiftsim.analysis.results import RunResult

__all__ = [
    "MAX_CONTACTS",
    "ExecutorError",
    "Interrupts",
    "RunSize",
    "RunTooLarge",
    "check_size",
    "estimate_size",
    "memory_limit",
    "default_workers",
    "release_memory",
    "executor_for",
    "replicate",
    "run",
    "simulate",
]

Progress = Callable[[int, int], None]


class ExecutorError(RuntimeError):
    """Replications cannot run where asked (no Dask installed, scheduler unreachable)."""


class RunTooLarge(ValueError):
    """A run whose replications would not fit in memory (see :func:`check_size`)."""


# Peak memory of a replication, measured on the engine (tests/test_interrupts.py keeps
# these honest): about 340 bytes per contact attempt and 350-420 per agent and day of
# the roster. The figures below add the log shipped back to the parent and a margin.
_BYTES_PER_CONTACT = 600.0
_BYTES_PER_AGENT_DAY = 600.0
_BASE_BYTES = 350e6  # Python with numpy, pandas, SimPy and the scenario
MAX_CONTACTS = 2**31 - 1
"""Most contact attempts one replication can hold (the log numbers customers in 32 bits)."""


@dataclass(frozen=True)
class RunSize:
    """An up-front estimate of a run, from the scenario alone (nothing is simulated).

    ``contacts`` is the expected number of contact attempts of one replication,
    retries counted as if every customer hung up (an upper bound);
    ``worker_bytes`` the peak memory of a process simulating one replication,
    ``kept_bytes`` what the collecting process keeps per finished replication.
    """

    contacts: float
    agent_days: float
    worker_bytes: float
    kept_bytes: float
    replications: int

    def peak_bytes(self, workers: int) -> float:
        """Memory of the whole run with ``workers`` processes simulating at once."""
        collected = _BASE_BYTES + self.replications * self.kept_bytes * 2  # stacked once more
        if workers <= 1:
            return collected + self.worker_bytes - _BASE_BYTES
        return collected + workers * self.worker_bytes


def estimate_size(scenario: Scenario) -> RunSize:
    """The size of a run of ``scenario``, estimated from its volumes, roster and tables."""
    from shiftsim.sim.arrivals import Calendar, expected_hourly

    cal = Calendar.of(scenario)
    contacts = 0.0
    for name, ch in scenario.channels.items():
        share = ch.retry.share if ch.retry is not None else 0.0
        attempts = ch.retry.max_attempts if ch.retry is not None else 1
        # 1 + share + share**2 + ...: a retry per hang-up, as if everyone hung up.
        per_customer = sum(share**k for k in range(attempts))
        if ch.repeat is not None:  # and 1 + r + r**2 ... contacts per problem
            r = max([ch.repeat.share, *ch.repeat.by_priority.values()])
            per_customer *= sum(r**k for k in range(ch.repeat.max_contacts))
        contacts += float(expected_hourly(name, scenario, cal).sum()) * per_customer
    days = cal.arrival_days + cal.drain_days
    agents = sum(_headcount(pool) for pool in scenario.pools.values())
    agent_days = float(agents) * days
    kept = _metrics_bytes(scenario)
    worker = (
        _BASE_BYTES
        + _BYTES_PER_CONTACT * contacts
        + _BYTES_PER_AGENT_DAY * agent_days
        + 3 * kept  # computed, pickled and sent
    )
    return RunSize(contacts, agent_days, worker, kept, scenario.replications)


def _headcount(pool: Any) -> int:
    staffing = getattr(pool, "staffing", None)  # agents on duty per interval, if so staffed
    if staffing is not None:
        levels = [staffing.levels, *staffing.weekdays.values()]
        return max((max(lv, default=0) for lv in levels), default=0)
    return sum(shift.headcount for shift in pool.shifts.values())


def _metrics_bytes(scenario: Scenario) -> float:
    """Bytes of one replication's KPIs (:class:`ReplicationMetrics`, int64 and float64)."""
    from shiftsim.model.durations import DAY
    from shiftsim.model.names import PRIORITIES

    t = len(scenario.resolved_targets)
    d = scenario.horizon.days
    p = len(scenario.reporting.periods)
    c = len(scenario.channels) * len(PRIORITIES)
    n_iv = d * DAY / scenario.reporting.interval
    shifts = sum(max(len(pool.shifts), 1) for pool in scenario.pools.values())
    cells = 2 * t * d * (1 + p) + 2 * t * n_iv + 9 * n_iv * c + 4 * d * c + 2 * n_iv * shifts
    return 8.0 * cells


def memory_limit() -> tuple[float, str]:
    """The memory a run may use here, and where that figure comes from.

    The smallest of this machine's physical memory, the process's address-space
    limit (``ulimit -v``) and its control group's limit.
    """
    import resource
    from pathlib import Path

    limits: list[tuple[float, str]] = []
    with suppress(ValueError, OSError, AttributeError):  # not POSIX
        limits.append(
            (os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "this machine has")
        )
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append((soft, "this process may use (ulimit -v)"))
    with suppress(OSError):
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text.isdigit():
            limits.append((int(text), "this container may use"))
    return min(limits, default=(float("inf"), "no limit known"))


def check_size(scenario: Scenario, workers: int, memory: bool = True) -> RunSize:
    """Refuse a run that cannot be simulated, or would not fit in memory here.

    Parameters
    ----------
    scenario
        What would run.
    workers
        Local processes that would simulate at once.
    memory
        Compare the estimate with :func:`memory_limit` (``--no-size-check``
        turns this off; the hard limit of :data:`MAX_CONTACTS` always holds).

    Raises
    ------
    RunTooLarge
        Saying the estimate and the limit.
    """
    size = estimate_size(scenario)
    if size.contacts > MAX_CONTACTS:
        raise RunTooLarge(
            f"about {size.contacts:,.0f} contact attempts per replication, more than the "
            f"{MAX_CONTACTS:,} one replication can hold: lower the volumes or the days"
        )
    if memory:
        limit, where = memory_limit()
        # Each process must fit the per-process limit, all of them the machine.
        need = size.peak_bytes(workers)
        per_process = max(size.worker_bytes, _BASE_BYTES + 2 * size.replications * size.kept_bytes)
        if need > 0.9 * limit or ("ulimit" in where and per_process > 0.9 * limit):
            raise RunTooLarge(
                f"this run needs about {_gib(need)} of memory (about {size.contacts:,.0f} "
                f"contact attempts per replication, {size.replications} replication(s), "
                f"{workers} worker(s)), and {where} {_gib(limit)}: use fewer days, "
                "replications or workers, or pass --no-size-check to run it anyway"
            )
    return size


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def replicate(
    scenario: Scenario, index: int, keep_log: bool = False, kpis: str = "all"
) -> tuple[ReplicationMetrics, dict[str, np.ndarray] | None]:
    """Simulate replication ``index``; return its KPIs and, if asked, its contact log columns.

    ``kpis`` as in :func:`shiftsim.analysis.metrics.measure`.
    """
    # Only the columns the KPIs read are kept while they are computed (memory).
    rep = run_replication(scenario, index).for_kpis()
    release_memory()  # what the engine freed, before the KPIs' temporaries
    log = rep.result.log.as_dict() if keep_log else None
    metrics = measure(rep, scenario, kpis)
    del rep
    release_memory()
    return metrics, log


def release_memory() -> None:
    """Give the memory this process freed back to the system, where the allocator keeps it.

    glibc's malloc keeps freed heap pages for reuse; after a replication the
    process would stay at its peak, and the KPIs' arrays, the next import
    (pandas for the results) or the next replication would come on top of
    it, not in its place. ``malloc_trim(0)`` returns every whole free page
    (about 10 ms for the 170 MB a 1M-contact replication frees); elsewhere it does nothing.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


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
                f"{scheduler}: running on a Dask cluster (--scheduler or DASK_SCHEDULER) "
                "needs the dask extra: pip install 'shiftsim[dask]'"
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
    # Imported here, not above: the results bring pandas and SciPy (about 100 MB),
    # which neither the replications (nor workers that only replicate) need, so
    # they are loaded after the contact logs are freed, not on top of them.
    from shiftsim.analysis.results import RunResult

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

    Raises
    ------
    RunTooLarge
        When one replication would hold more than :data:`MAX_CONTACTS` contacts.
    """
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = replications
    if seed is not None:
        changes["seed"] = seed
    if changes:
        scenario = scenario.with_(**changes)
    n_workers = max(1, min(workers or default_workers(), scenario.replications))
    check_size(scenario, n_workers, memory=False)  # a clear error, not numpy's, if it cannot run
    with executor_for(n_workers, scheduler) as executor:
        return run(scenario, progress=progress, executor=executor, kpis=kpis)
