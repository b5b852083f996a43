"""The results folder of a run: written atomically, resumable after an interruption.

Layout of ``DIR``::

    metadata.json          status (complete / interrupted), seed, versions, hash, timing
    scenario.yaml          the scenario as run, every default filled in
    targets.csv            per target: service level, P(day meets goal), worst period, status
    requirements.csv       per judged target x period: P(period meets goal), CI, required, met
    channels.csv, shifts.csv
    intervals.{parquet,csv}        per interval x channel x priority (volumes, waits)
    days.{parquet,csv}             the same per day
    target_intervals.{...}, target_days.{...}   per target: service level, P(met)
    shift_intervals.{...}          agents on duty / busy, occupancy
    backlog.{...}                  deferrable work waiting at each interval's end
    contacts/rep-NNNN.{...}        per-contact records of each replication
    replications/rep-NNNN.npz      per-replication KPIs (to resume and re-report)

Guarantees:

* While a run is going on everything is written to ``DIR.partial``; each file
  is written under a temporary name, flushed to disk and renamed, so no file
  is ever half-written. Only a finished (or cleanly interrupted) run is moved
  to ``DIR``, after an ``fsync`` of every file and folder.
* A replication is stored as one unit: its per-contact records first, then
  ``replications/rep-NNNN.npz``, which marks it stored. Resuming adopts a
  replication only if its npz reads back whole and, when records are kept,
  its records have as many rows as it had contacts; anything else is run again.
* ``DIR.lock`` (an ``flock`` held for the whole run, holding the writer's pid)
  keeps two runs from writing the same ``DIR``; a lock left by a dead process
  is free again.
* ``force`` replaces only a shiftsim results folder (one with its
  ``metadata.json``), never a folder of other files.

A folder whose ``metadata.json`` says ``interrupted`` holds the replications
that finished; running the same scenario with the same ``--out`` again runs
only the missing replications (results do not depend on which run computed a
replication).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.model.scenario import Scenario
from shiftsim.outputs.folder import (
    FORMATS,
    FolderLock,
    OutputError,
    _fits,
    _is_results_folder,
    _load_metrics,
    _read_meta,
    _rep_index,
    load_results,
    scenario_hash,
    why,
)

__all__ = [
    "FolderLock",
    "OutputError",
    "ResultsFolder",
    "load_results",
    "missing_tables",
    "scenario_hash",
    "why",
    "write_tables",
]

TABLES = (
    "targets.csv", "requirements.csv", "channels.csv", "shifts.csv", "intervals", "days",
    "target_intervals", "target_days", "shift_intervals", "backlog",
)  # fmt: skip
"""The summary tables :func:`write_tables` writes (extension-less: in the run's format)."""


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("shiftsim", "numpy", "simpy", "pandas", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


# -- files that are whole or absent ----------------------------------------------------------


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's content to disk (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - folders on file systems that cannot sync them
        if path.is_file():
            raise
    finally:
        os.close(fd)


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def _write_table(frame: pd.DataFrame, path_stem: Path, fmt: str) -> None:
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        _write_atomic(path, lambda p: frame.to_parquet(p, index=False, compression="zstd"))
    else:
        _write_atomic(path, lambda p: frame.to_csv(p, index=False))


def _record_rows(path: Path) -> int:
    """Rows of a per-contact records file, or -1 if it is missing or not whole."""
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.read_metadata(path).num_rows)
        data = path.read_bytes()
        return data.count(b"\n") - 1 if data.endswith(b"\n") else -1
    except (OSError, ValueError):  # pyarrow's errors are OSError or ValueError
        return -1


# -- the folder being written ----------------------------------------------------------------


class ResultsFolder:
    """Writes one run's results; see the module docstring for the layout and guarantees.

    Raises
    ------
    OutputError
        ``DIR: problem`` when the folder cannot be used: in use by another run,
        not a shiftsim results folder, results of another scenario, or a file
        system error (no permission, not a folder, disk full...).
    """

    def __init__(
        self,
        out: Path | str,
        scenario: Scenario,
        source: str,
        force: bool = False,
        fmt: str = "parquet",
        contacts: bool = True,
        changes: Sequence[str] | None = None,
    ):
        if fmt not in FORMATS:
            raise OutputError(f"{out}: format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        self.final = Path(out)
        self.partial = self.final.with_name(self.final.name + ".partial")
        self.scenario = scenario
        self.source = source
        self.changes = list(changes or [])  # the command-line options that changed the file
        self.fmt = fmt
        self.contacts = contacts
        self.hash = scenario_hash(scenario)
        self.done: dict[int, ReplicationMetrics] = {}
        self.started = time.time()
        self.in_place = False  # DIR holds this run (finish() moved it there)
        self.lock = FolderLock(self.final)
        for parent in self.final.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(
                        f"{self.final}: cannot write the results ({parent} is a file, not a folder)"
                    )
                break
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.lock.acquire()
            self._prepare(force)
        except OSError as exc:
            self.lock.release()
            raise OutputError(f"{self.final}: cannot write the results ({why(exc)})") from None
        except BaseException:
            self.lock.release()
            raise

    # -- set-up --------------------------------------------------------------
    def _prepare(self, force: bool) -> None:
        final, partial = self.final, self.partial
        if partial.exists() or partial.is_symlink():
            if not _is_results_folder(partial):
                raise OutputError(
                    f"{partial}: exists and is not a shiftsim results folder (no metadata.json); "
                    "move it away or choose another --out"
                )
            if _read_meta(partial).get("scenario_hash") == self.hash and not force:
                # A crashed run of the same scenario: resume it.
                self._layout()
                self._adopt()
                self._write_scenario()
                self._write_meta("running")
                return
            if not force:
                raise OutputError(
                    f"{partial}: holds an unfinished run of another scenario (or other "
                    "settings); use --force to discard it"
                )
            shutil.rmtree(partial)
        final_meta: dict[str, Any] = {}
        if final.exists() or final.is_symlink():
            if not final.is_dir():
                raise OutputError(f"{final}: exists and is not a folder; choose another --out")
            final_meta = _read_meta(final)
            if not final_meta and any(final.iterdir()):
                raise OutputError(
                    f"{final}: exists and is not a shiftsim results folder (no metadata.json); "
                    "--force replaces only shiftsim results folders: choose another --out"
                )
            if final_meta and final_meta.get("scenario_hash") != self.hash and not force:
                raise OutputError(
                    f"{final}: holds results of another scenario (or other settings); "
                    "use --force to replace them"
                )
            if final_meta.get("status") == "complete" and not force:
                raise OutputError(
                    f"{final}: already holds a complete run; use --force to run it again"
                )
        self._layout()
        # Metadata first: a crash from here on leaves a partial folder that the
        # next run recognises as this scenario's and resumes.
        self._write_meta("running")
        resumable = (
            final_meta.get("scenario_hash") == self.hash and final_meta.get("status") != "complete"
        )
        if resumable and not force:
            # Interrupted earlier: carry over its replications (checked by _adopt).
            for sub in ("replications", "contacts"):
                src = final / sub
                if src.is_dir() and (partial / sub).is_dir():
                    for f in src.iterdir():
                        if _rep_index(f) < self.scenario.replications:
                            _link_or_copy(f, partial / sub / f.name)
        self._adopt()
        self._write_scenario()
        self._write_meta("running")

    def _layout(self) -> None:
        (self.partial / "replications").mkdir(parents=True, exist_ok=True)
        if self.contacts:
            (self.partial / "contacts").mkdir(exist_ok=True)

    def _write_scenario(self) -> None:
        text = yaml.safe_dump(self.scenario.to_dict(), sort_keys=False)
        _write_atomic(self.partial / "scenario.yaml", lambda p: p.write_text(text))

    def _adopt(self) -> None:
        """Take over the replications stored in ``DIR.partial`` that read back whole."""
        for sub in ("", "replications", "contacts"):
            folder = self.partial / sub
            for f in folder.iterdir() if folder.is_dir() else ():
                if f.name.startswith(".") and ".tmp-" in f.name:
                    f.unlink()  # left by a run stopped while writing
        for npz in sorted((self.partial / "replications").glob("rep-*.npz")):
            index = _rep_index(npz)
            metrics = self._stored(npz) if index < self.scenario.replications else None
            if metrics is None:
                self._forget(index)
            else:
                self.done[index] = metrics

    def _stored(self, npz: Path) -> ReplicationMetrics | None:
        """The KPIs an npz holds if the replication is whole; None to run it again."""
        try:
            metrics = _load_metrics(npz)  # reads every array: a cut file fails here
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, OutputError):
            return None
        if metrics.index != _rep_index(npz) or not _fits(metrics, self.scenario):
            return None
        if self.contacts:
            records = self.partial / "contacts" / f"rep-{metrics.index:04d}.{self.fmt}"
            if _record_rows(records) != metrics.n_contacts:
                return None
        return metrics

    def _forget(self, index: int) -> None:
        name = f"rep-{index:04d}"
        (self.partial / "replications" / f"{name}.npz").unlink(missing_ok=True)
        for fmt in FORMATS:
            (self.partial / "contacts" / f"{name}.{fmt}").unlink(missing_ok=True)

    def missing(self) -> list[int]:
        """Replications still to run."""
        return [r for r in range(self.scenario.replications) if r not in self.done]

    # -- writing -------------------------------------------------------------
    def add(self, metrics: ReplicationMetrics, log: dict[str, np.ndarray] | None) -> None:
        """Store one finished replication (called as each one arrives).

        Its records are written first and its npz last: the npz marks the
        replication stored, so a crash between the two leaves it to be run again.
        """
        name = f"rep-{metrics.index:04d}"
        arrays = {f.name: np.asarray(getattr(metrics, f.name)) for f in fields(metrics)}

        def save(path: Path) -> None:
            with path.open("wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]

        if self.contacts and log is not None:
            frame = pd.DataFrame(log)
            frame.insert(0, "replication", np.int32(metrics.index))
            _write_table(frame, self.partial / "contacts" / name, self.fmt)
        _write_atomic(self.partial / "replications" / f"{name}.npz", save)
        self.done[metrics.index] = metrics

    def finish(
        self,
        wall_time: float,
        atomic: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext,
    ) -> RunResult:
        """Write the summaries and metadata, then move the folder into place.

        ``atomic`` guards the final renames (see
        :meth:`shiftsim.analysis.runner.Interrupts.atomic`).
        """
        result = RunResult.from_metrics(
            self.scenario, list(self.done.values()), self.scenario.replications, wall_time
        )
        if result.metrics:
            write_tables(result, self.partial, self.fmt)
        status = "interrupted" if result.interrupted else "complete"
        self._write_meta(status, wall_time=wall_time)
        for sub in ("replications", "contacts", ""):
            if (self.partial / sub).is_dir():
                _fsync(self.partial / sub)
        with atomic():
            self.move_into_place()
        return result

    def move_into_place(self) -> None:
        """Rename ``DIR.partial`` to ``DIR`` (replacing an older run) and release the lock."""
        if self.final.exists():
            old = self.final.with_name(f"{self.final.name}.old-{os.getpid()}")
            os.replace(self.final, old)
            os.replace(self.partial, self.final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.partial, self.final)
        self.in_place = True
        _fsync(self.final.parent)
        self.lock.release()

    def discard(self) -> None:
        """Remove ``DIR.partial`` (nothing worth keeping in it) and release the lock."""
        if self.partial.exists() and _is_results_folder(self.partial):
            shutil.rmtree(self.partial, ignore_errors=True)
        self.lock.release()

    def close(self) -> None:
        """Release the lock, leaving ``DIR.partial`` for the next run to resume."""
        self.lock.release()

    def _write_meta(self, status: str, wall_time: float | None = None) -> None:
        meta = {
            "status": status,
            "scenario": self.scenario.name,
            "source": self.source,
            "changes": self.changes,
            "scenario_hash": self.hash,
            "seed": self.scenario.seed,
            "replications_requested": self.scenario.replications,
            "replications_finished": sorted(self.done),
            "interval_s": self.scenario.reporting.interval,
            "format": self.fmt,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "wall_time_s": wall_time,
            "versions": _versions(),
        }
        text = json.dumps(meta, indent=2)
        _write_atomic(self.partial / "metadata.json", lambda p: p.write_text(text))


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link when possible (files are never rewritten in place, only replaced)."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def write_tables(result: RunResult, folder: Path, fmt: str) -> None:
    """Write the summary and per-interval tables of a result into ``folder``."""
    for name, frame in (("targets", result.targets()), ("requirements", result.requirements()),
                        ("channels", _flatten(result.channels())),
                        ("shifts", _flatten(result.shifts()))):  # fmt: skip
        _write_atomic(folder / f"{name}.csv", _csv_writer(frame))
    _write_table(result.intervals(), folder / "intervals", fmt)
    _write_table(result.intervals("day"), folder / "days", fmt)
    _write_table(result.target_intervals(), folder / "target_intervals", fmt)
    _write_table(result.target_intervals("day"), folder / "target_days", fmt)
    _write_table(result.shift_intervals(), folder / "shift_intervals", fmt)
    _write_table(result.backlog(), folder / "backlog", fmt)


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame.to_csv(path, index=False)

    return write


def missing_tables(folder: str | Path, fmt: str) -> list[str]:
    """The summary tables :func:`write_tables` writes that ``folder`` lacks."""
    folder = Path(folder)
    names = [t if t.endswith(".csv") else f"{t}.{fmt}" for t in TABLES]
    return [n for n in names if not (folder / n).is_file()]


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Split (mean, low, high) tuple columns into three columns."""
    out = {}
    for col in frame.columns:
        first = frame[col].iloc[0] if len(frame) else None
        if isinstance(first, tuple) and len(first) == 3:
            out[col] = [v[0] for v in frame[col]]
            out[f"{col}_low"] = [v[1] for v in frame[col]]
            out[f"{col}_high"] = [v[2] for v in frame[col]]
        else:
            out[col] = frame[col].tolist()
    return pd.DataFrame(out)
