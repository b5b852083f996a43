"""A results folder as found on disk: recognised, locked and read back.

:mod:`shiftsim.outputs.store` writes the folder (its docstring gives the
layout and the guarantees); this module holds what reading it needs: the
metadata and replication checks behind :func:`load_results`, the scenario
hash that ties a folder to its scenario, and the ``DIR.lock`` of the one
process writing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import zipfile
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np

from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.model.loading import parse_scenario, read_yaml
from shiftsim.model.problems import ScenarioError
from shiftsim.model.scenario import Scenario

__all__ = ["FORMATS", "FolderLock", "OutputError", "load_results", "scenario_hash", "why"]

FORMATS = ("parquet", "csv")


class OutputError(Exception):
    """The output folder cannot be used as asked; the message starts with the folder."""


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the resolved scenario, without ``replications`` (so a run can be extended).

    Values left at their defaults are not hashed, so a later version of shiftsim that
    adds a key (at a default that simulates as before) still recognises the folder.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["targets"] = [
        t.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        for t in scenario.resolved_targets
    ]
    data.pop("replications", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def why(exc: OSError) -> str:
    """An OSError as a short reason naming the file: ``No space left on device: DIR/x.npz``."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


class FolderLock:
    """``DIR.lock``: taken by the one process writing ``DIR``, with its pid inside.

    An ``flock`` on the file does the locking, so a lock whose holder died
    (crash, ``kill -9``) is free again at once; the pid is there for the message.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder.with_name(folder.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`OutputError` naming the process that holds it."""
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputError(f"{self.folder} is in use by shiftsim (pid {pid})") from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # released and removed between our open and flock: try again
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return

    def release(self) -> None:
        """Give the lock up (and remove its file); harmless if not held."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def _rep_index(path: Path) -> int:
    """Replication index of a ``rep-NNNN.*`` file (a large number for anything else)."""
    try:
        return int(path.name.split(".")[0].removeprefix("rep-"))
    except ValueError:
        return 1 << 30


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _is_results_folder(folder: Path) -> bool:
    """A folder shiftsim wrote: its metadata.json, or only the empty frame a run starts with."""
    if not folder.is_dir():
        return False
    if _read_meta(folder):
        return True
    for f in folder.iterdir():
        if f.name in ("replications", "contacts") and f.is_dir() and not any(f.iterdir()):
            continue
        if f.name.startswith(".") and ".tmp-" in f.name:
            continue
        return False
    return True


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """What in a metadata.json is not what shiftsim writes, or None."""

    def count(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if meta.get("status") not in ("complete", "interrupted", "running"):
        return f"status is {meta.get('status')!r:.40}"
    if not isinstance(meta.get("scenario_hash"), str):
        return f"scenario_hash is {meta.get('scenario_hash')!r:.40}"
    requested = meta.get("replications_requested")
    if not count(requested) or requested == 0:
        return f"replications_requested is {requested!r:.40}"
    finished = meta.get("replications_finished")
    if not (isinstance(finished, list) and all(count(i) for i in finished)):
        return f"replications_finished is {finished!r:.60}"
    wall = meta.get("wall_time_s")
    if wall is not None and not (
        isinstance(wall, int | float) and not isinstance(wall, bool) and math.isfinite(wall)
    ):
        return f"wall_time_s is {wall!r:.40}"
    versions = meta.get("versions", {})
    if not isinstance(versions, dict):
        return f"versions is {versions!r:.40}"
    if meta.get("format", "parquet") not in FORMATS:
        return f"format is {meta.get('format')!r:.40}"
    return None


def _fits(metrics: ReplicationMetrics, scenario: Scenario) -> bool:
    """Whether a replication's KPIs have the shape of this scenario's (targets x days)."""
    shape = (len(scenario.resolved_targets), scenario.horizon.days)
    return tuple(np.shape(metrics.target_eligible)) == shape


# Arrays that folders written before per-period targets lack: loaded as empty
# (no period), so those folders still load and judge targets per day.
_ADDED_LATER = ("period_eligible", "period_met")


def _load_metrics(path: Path) -> ReplicationMetrics:
    # The file is opened here so that it is closed even when it is not a valid npz.
    with path.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        kwargs: dict[str, Any] = {}
        missing = []
        for f in fields(ReplicationMetrics):
            if f.name in data:
                v = data[f.name]
                kwargs[f.name] = v.item() if v.ndim == 0 else v
            elif f.name in _ADDED_LATER and "target_eligible" in data:
                kwargs[f.name] = np.zeros((*data["target_eligible"].shape, 0), dtype=np.int64)
            elif f.default is MISSING:
                missing.append(f.name)
    if missing:
        raise OutputError(
            f"{path}: written by another version of shiftsim, without {', '.join(missing)}; "
            "run the scenario again into a new folder"
        )
    return ReplicationMetrics(**kwargs)


def load_results(folder: str | Path) -> tuple[RunResult, dict[str, Any]]:
    """Read a results folder back: the run's result and its metadata.

    Everything the result is built from is checked first: ``metadata.json`` is
    one shiftsim wrote, ``scenario.yaml`` is the scenario of that run (same
    hash) and every replication it lists reads back whole.

    Raises
    ------
    OutputError
        ``DIR: cannot read the results (what is wrong)``.
    """
    folder = Path(folder)
    if not (folder / "metadata.json").is_file():
        raise OutputError(f"{folder} is not a shiftsim results folder (no metadata.json)")

    def unreadable(reason: str) -> OutputError:
        return OutputError(f"{folder}: cannot read the results ({reason})")

    meta = _read_meta(folder)
    problem = _meta_problem(meta) if meta else "not a JSON object"
    if problem:
        raise unreadable(f"metadata.json is not one shiftsim writes: {problem}")
    source = folder / "scenario.yaml"
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = why(exc) if isinstance(exc, OSError) else "not UTF-8 text"
        raise unreadable(f"scenario.yaml: {reason}") from None
    try:
        scenario = parse_scenario(read_yaml(text, str(source)), source=str(source))
    except ScenarioError as exc:
        raise unreadable(f"scenario.yaml is not a valid scenario: {exc.problems[0]}") from None
    if scenario_hash(scenario) != meta["scenario_hash"]:
        raise unreadable(
            "scenario.yaml is not the scenario this run simulated (its hash differs from "
            "metadata.json's): was it copied from another run?"
        )
    wanted = meta["replications_requested"]
    metrics = []
    for index in sorted({i for i in meta["replications_finished"] if i < wanted}):
        path = folder / "replications" / f"rep-{index:04d}.npz"
        try:
            m = _load_metrics(path)
        except FileNotFoundError:
            raise unreadable(f"replications/{path.name} is missing") from None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise unreadable(f"replications/{path.name} is damaged: {exc}") from None
        if m.index != index or not _fits(m, scenario):
            raise unreadable(f"replications/{path.name} is not a replication of this scenario")
        metrics.append(m)
    result = RunResult.from_metrics(scenario, metrics, wanted, meta.get("wall_time_s") or 0.0)
    return result, meta
