"""Ctrl-C during a run, and the local worker processes it stops (standard library only).

Kept free of numpy and pandas so that the command line can take over Ctrl-C
before it imports them.
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
from concurrent.futures import Executor, Future, InvalidStateError, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

__all__ = ["Interrupts", "LocalPool", "stop_workers"]


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
        self._previous_alarm: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._previous_alarm = signal.signal(signal.SIGALRM, self._on_alarm)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._installed:
            return
        self._installed = False
        if self.hard_exit and self.requested:
            # The command line is ending: the handler stays, so that another Ctrl-C
            # while Python shuts down exits at once instead of raising there.
            return
        if signal.getsignal(signal.SIGINT) == self._on_sigint:  # not one left by a nested run
            signal.signal(signal.SIGINT, self._previous)
            signal.signal(signal.SIGALRM, self._previous_alarm)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self._count == 1:
            self.requested = True
            self._interrupt(frame)
            return
        if self._atomic:
            self._exit_held = True
            return
        self._second()

    def _interrupt(self, frame: FrameType | None) -> None:
        """Raise KeyboardInterrupt here, unless that would lose it or cut a protected block."""
        if self._protected:
            self._held = True
            return
        if _swallows_exceptions(frame):
            # Python prints and drops an exception raised in a weakref callback (the
            # import system's) or a __del__: try again in a moment.
            self._held = True
            signal.setitimer(signal.ITIMER_REAL, 0.02)
            return
        self._held = False
        raise KeyboardInterrupt

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._held and not self._protected:
            self._interrupt(frame)

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


def _swallows_exceptions(frame: FrameType | None) -> bool:
    """Whether an exception raised in ``frame`` would be printed and dropped by Python."""
    return frame is not None and (
        frame.f_code.co_filename.startswith("<frozen importlib")
        or frame.f_code.co_name in ("__del__", "_remove", "callback")
    )


_POOLS: weakref.WeakSet[LocalPool] = weakref.WeakSet()


def _quiet_cancelled_failure(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook`` less one known CPython 3.11 race (gh-107219).

    When :meth:`LocalPool.stop_workers` kills the workers after the caller
    cancelled the queued futures, the pool's manager thread fails every
    future it still holds with ``BrokenProcessPool``, and ``set_exception``
    on one cancelled in between raises ``InvalidStateError`` in that thread
    (Python 3.12 ignores it there). The futures are unwanted and the workers
    dead, so that thread's end is printed nowhere; any other exception goes
    to the hook that was there before.
    """
    thread = args.thread
    if args.exc_type is InvalidStateError and type(thread).__name__ == "_ExecutorManagerThread":
        return
    _previous_excepthook(args)


_previous_excepthook = threading.excepthook
if sys.version_info < (3, 12):
    threading.excepthook = _quiet_cancelled_failure


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
        results = getattr(pool, "_result_queue", None)  # shutdown() drops it
        for child in multiprocessing.active_children():
            if child.pid not in self._before:
                child.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        _close_writer(results)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _close_writer(results: object) -> None:
    """Close this process's writing end of the pipe the killed workers sent results on.

    A worker killed while it sends a result leaves part of a message in that
    pipe. The pool's manager thread then waits in ``recv`` for the rest, and
    since this process holds a writing end too (CPython 3.11), it waits
    forever; Python's exit joins that thread, so the run hung after its
    Ctrl-C. With this end closed, the read fails with ``EOFError`` once the
    killed workers are gone, and the manager thread marks the pool broken
    and ends. Nothing else writes there: the pool is not used again.
    """
    writer = getattr(results, "_writer", None)
    if writer is not None:
        with suppress(OSError):
            writer.close()


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
