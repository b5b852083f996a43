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

While a run is going on everything is written to ``DIR.partial``; each file is
written under a temporary name and renamed, so no file is ever half-written.
Only a finished (or cleanly interrupted) run is moved to ``DIR``. A folder whose
``metadata.json`` says ``interrupted`` holds the replications that finished;
running the same scenario with the same ``--out`` again runs only the missing
replications (results do not depend on which run computed a replication).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.model.loading import parse_scenario
from shiftsim.model.scenario import Scenario

__all__ = ["OutputError", "ResultsFolder", "load_results", "scenario_hash"]

FORMATS = ("parquet", "csv")


class OutputError(Exception):
    """The output folder cannot be used as asked (exists, belongs to another scenario...)."""


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the resolved scenario, without ``replications`` (so a run can be extended)."""
    data = scenario.to_dict()
    data.pop("replications", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("shiftsim", "numpy", "simpy", "pandas", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def _write_table(frame: pd.DataFrame, path_stem: Path, fmt: str) -> None:
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        _write_atomic(path, lambda p: frame.to_parquet(p, index=False, compression="zstd"))
    else:
        _write_atomic(path, lambda p: frame.to_csv(p, index=False))


def _read_table(path_stem: Path) -> pd.DataFrame:
    for fmt in FORMATS:
        p = path_stem.with_suffix(f".{fmt}")
        if p.exists():
            return pd.read_parquet(p) if fmt == "parquet" else pd.read_csv(p)
    raise FileNotFoundError(path_stem)


class ResultsFolder:
    """Writes one run's results; see the module docstring for the layout and guarantees."""

    def __init__(
        self,
        out: Path,
        scenario: Scenario,
        source: str,
        force: bool = False,
        fmt: str = "parquet",
        contacts: bool = True,
    ):
        if fmt not in FORMATS:
            raise OutputError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        self.final = Path(out)
        self.partial = self.final.with_name(self.final.name + ".partial")
        self.scenario = scenario
        self.source = source
        self.fmt = fmt
        self.contacts = contacts
        self.hash = scenario_hash(scenario)
        self.done: dict[int, ReplicationMetrics] = {}
        self.started = time.time()
        self._prepare(force)

    # -- set-up --------------------------------------------------------------
    def _prepare(self, force: bool) -> None:
        final_meta = _read_meta(self.final)
        if self.partial.exists():
            meta = _read_meta(self.partial)
            if meta.get("scenario_hash") == self.hash and not force:
                self._adopt(self.partial)  # a crashed run of the same scenario: resume it
                return
            if not force:
                raise OutputError(
                    f"{self.partial} holds an unfinished run of another scenario; "
                    "use --force to discard it"
                )
            shutil.rmtree(self.partial)
        if self.final.exists():
            if not final_meta:
                if any(self.final.iterdir()) and not force:
                    raise OutputError(
                        f"{self.final} exists and is not a shiftsim results folder; "
                        "choose another --out or use --force"
                    )
            elif final_meta.get("scenario_hash") != self.hash and not force:
                raise OutputError(
                    f"{self.final} holds results of another scenario (or other settings); "
                    "use --force to replace them"
                )
            elif final_meta.get("status") == "complete" and not force:
                raise OutputError(
                    f"{self.final} already holds a complete run; use --force to run it again"
                )
        (self.partial / "replications").mkdir(parents=True, exist_ok=True)
        # Metadata first: a crash from here on leaves a partial folder that the
        # next run recognises as this scenario's and resumes.
        self._write_meta("running")
        if self.contacts:
            (self.partial / "contacts").mkdir(exist_ok=True)
        resumable = (
            final_meta.get("scenario_hash") == self.hash and final_meta.get("status") != "complete"
        )
        if resumable and not force:
            # Interrupted earlier: carry over its finished replications that this run wants.
            for sub in ("replications", "contacts"):
                src = self.final / sub
                if src.is_dir() and (self.partial / sub).is_dir():
                    for f in src.iterdir():
                        if _rep_index(f) < self.scenario.replications:
                            shutil.copy2(f, self.partial / sub / f.name)
            self._adopt(self.partial)
            self._write_meta("running")
        _write_atomic(
            self.partial / "scenario.yaml",
            lambda p: p.write_text(yaml.safe_dump(self.scenario.to_dict(), sort_keys=False)),
        )

    def _adopt(self, folder: Path) -> None:
        for f in sorted((folder / "replications").glob("rep-*.npz")):
            m = _load_metrics(f)
            if m.index < self.scenario.replications:
                self.done[m.index] = m

    def missing(self) -> list[int]:
        """Replications still to run."""
        return [r for r in range(self.scenario.replications) if r not in self.done]

    # -- writing -------------------------------------------------------------
    def add(self, metrics: ReplicationMetrics, log: dict[str, np.ndarray] | None) -> None:
        """Store one finished replication (called as each one arrives)."""
        name = f"rep-{metrics.index:04d}"
        arrays = {f.name: np.asarray(getattr(metrics, f.name)) for f in fields(metrics)}

        def save(path: Path) -> None:
            with path.open("wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]

        _write_atomic(self.partial / "replications" / f"{name}.npz", save)
        if self.contacts and log is not None:
            frame = pd.DataFrame(log)
            frame.insert(0, "replication", np.int32(metrics.index))
            _write_table(frame, self.partial / "contacts" / name, self.fmt)
        self.done[metrics.index] = metrics

    def finish(self, wall_time: float) -> RunResult:
        """Write the summaries and metadata, then move the folder into place."""
        result = RunResult.from_metrics(
            self.scenario, list(self.done.values()), self.scenario.replications, wall_time
        )
        if result.metrics:
            write_tables(result, self.partial, self.fmt)
        status = "interrupted" if result.interrupted else "complete"
        self._write_meta(status, wall_time=wall_time)
        if self.final.exists():
            old = self.final.with_name(f"{self.final.name}.old-{os.getpid()}")
            os.replace(self.final, old)
            os.replace(self.partial, self.final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.partial, self.final)
        return result

    def _write_meta(self, status: str, wall_time: float | None = None) -> None:
        meta = {
            "status": status,
            "scenario": self.scenario.name,
            "source": self.source,
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
        _write_atomic(
            self.partial / "metadata.json", lambda p: p.write_text(json.dumps(meta, indent=2))
        )


def write_tables(result: RunResult, folder: Path, fmt: str) -> None:
    """Write the summary and per-interval tables of a result into ``folder``."""
    for name, frame in (("targets", result.targets()), ("requirements", result.requirements()),
                        ("channels", _flatten(result.channels())),
                        ("shifts", _flatten(result.shifts()))):  # fmt: skip
        _write_atomic(folder / f"{name}.csv", lambda p, f=frame: f.to_csv(p, index=False))
    _write_table(result.intervals(), folder / "intervals", fmt)
    _write_table(result.intervals("day"), folder / "days", fmt)
    _write_table(result.target_intervals(), folder / "target_intervals", fmt)
    _write_table(result.target_intervals("day"), folder / "target_days", fmt)
    _write_table(result.shift_intervals(), folder / "shift_intervals", fmt)
    _write_table(result.backlog(), folder / "backlog", fmt)


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


def _rep_index(path: Path) -> int:
    """Replication index of a ``rep-NNNN.*`` file (a large number for anything else)."""
    try:
        return int(path.name.split(".")[0].removeprefix("rep-"))
    except ValueError:
        return 1 << 30


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / "metadata.json").read_text()))
    except (OSError, ValueError):
        return {}


# Arrays that folders written before per-period targets lack: loaded as empty
# (no period), so those folders still load and judge targets per day.
_ADDED_LATER = ("period_eligible", "period_met")


def _load_metrics(path: Path) -> ReplicationMetrics:
    with np.load(path) as data:
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
    """Read a results folder back: the run's result and its metadata."""
    folder = Path(folder)
    meta = _read_meta(folder)
    if not meta:
        raise OutputError(f"{folder} is not a shiftsim results folder (no metadata.json)")
    data = yaml.safe_load((folder / "scenario.yaml").read_text())
    scenario = parse_scenario(data, source=str(folder / "scenario.yaml"))
    wanted = int(meta.get("replications_requested", 1 << 30))
    metrics = [
        _load_metrics(f)
        for f in sorted((folder / "replications").glob("rep-*.npz"))
        if _rep_index(f) < wanted
    ]
    result = RunResult.from_metrics(
        scenario,
        metrics,
        meta.get("replications_requested", len(metrics)),
        meta.get("wall_time_s") or 0.0,
    )
    return result, meta
