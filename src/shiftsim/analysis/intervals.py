"""The per-interval and per-day tables of a run's results (a mixin of ``RunResult``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.metrics import PERCENTILES, meets
from shiftsim.analysis.statistics import mean_ci_axis, wilson
from shiftsim.model.names import PRIORITIES
from shiftsim.model.scenario import Scenario

__all__ = ["IntervalTables"]


class IntervalTables:
    """Volumes, waits, targets, staff and backlog per interval (or day), for ``RunResult``."""

    # Set by RunResult, which owns them.
    scenario: Scenario
    shift_names: tuple[tuple[str, str], ...]
    _stack: Callable[[str], np.ndarray]  # RunResult's: a KPI stacked over replications

    def _times(self, n: int, step: float) -> pd.DatetimeIndex:
        start = pd.Timestamp(self.scenario.horizon.start)
        return start + pd.to_timedelta(np.arange(n) * step, unit="s")

    def intervals(self, per: str = "interval") -> pd.DataFrame:
        """Per interval (or ``per="day"``), channel and priority: volumes and waits.

        Columns: ``start``, ``channel``, ``priority``, then for each KPI its
        mean across replications and 95% CI (``_low``/``_high``): ``offered``,
        ``deflected``, ``answered`` (got a first response), ``abandoned``,
        ``asa_s`` (mean time to first response of those answered) and the wait
        percentiles ``wait_p50_s`` ... (means of the per-replication percentiles).
        Cells nobody arrived in have NaN waits.
        """
        step, group = self._grouping(per)
        cols: dict[str, np.ndarray] = {}
        counts = {k: self._regroup(self._stack(f"iv_{k}"), group)
                  for k in ("offered", "deflected", "answered", "abandoned",
                            "wait_sum")}  # fmt: skip
        for k in ("offered", "deflected", "answered", "abandoned"):
            cols[k], cols[f"{k}_low"], cols[f"{k}_high"] = _nonneg(mean_ci_axis(counts[k]))
        with np.errstate(invalid="ignore", divide="ignore"):
            asa = counts["wait_sum"] / counts["answered"]
        cols["asa_s"], cols["asa_s_low"], cols["asa_s_high"] = _nonneg(mean_ci_axis(asa))
        pct = self._stack("day_wait_pct" if per == "day" else "iv_wait_pct")
        for j, q in enumerate(PERCENTILES):
            name = f"wait_p{q:g}_s"
            cols[name], cols[f"{name}_low"], cols[f"{name}_high"] = _nonneg(
                mean_ci_axis(pct[..., j])
            )
        n = cols["offered"].shape[0]
        times = self._times(n, step)
        chans = list(self.scenario.channels)
        idx = pd.MultiIndex.from_product(
            [times, chans, PRIORITIES], names=["start", "channel", "priority"]
        )
        frame = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()}, index=idx).reset_index()
        # Leave out channel x priority cells that never have any contact.
        mix = {(c, p) for c, ch in self.scenario.channels.items() for p in PRIORITIES
               if ch.priorities.get(p, 0) > 0}  # fmt: skip
        keep = [(c, p) in mix for c, p in zip(frame["channel"], frame["priority"], strict=True)]
        return frame[keep].reset_index(drop=True)

    def target_intervals(self, per: str = "interval") -> pd.DataFrame:
        """Per interval (or day) and target: service level and P(goal met).

        ``service_level`` is the mean over replications of that interval's
        service level (with a t interval); ``p_meet`` is the share of
        replications in which the interval's service level reached the goal,
        with a Wilson interval (replications are independent). Intervals with
        no eligible contact in a replication do not count for it.
        """
        step, _ = self._grouping(per)
        if per == "day":
            elig, met = self._stack("target_eligible"), self._stack("target_met")
        else:
            elig, met = self._stack("iv_target_eligible"), self._stack("iv_target_met")
        rows: list[dict[str, Any]] = []
        times = self._times(elig.shape[2], step)
        for k, t in enumerate(self.scenario.resolved_targets):
            with np.errstate(invalid="ignore", divide="ignore"):
                sl = np.where(elig[:, k] > 0, met[:, k] / elig[:, k], np.nan)
            m, lo, hi = mean_ci_axis(sl)
            has = ~np.isnan(sl)
            ok = meets(met[:, k], elig[:, k], t.goal)
            p, plo, phi = wilson(ok.sum(axis=0), has.sum(axis=0))
            rows.append(pd.DataFrame({
                "start": times, "target": t.label, "channel": t.channel, "goal": t.goal,
                "eligible": elig[:, k].mean(axis=0),
                "service_level": m, "service_level_low": np.clip(lo, 0, 1),
                "service_level_high": np.clip(hi, 0, 1),
                "p_meet": p, "p_meet_low": plo, "p_meet_high": phi,
            }))  # fmt: skip
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def shift_intervals(self) -> pd.DataFrame:
        """Per interval and shift: agents present, agents busy and occupancy.

        Each is the mean over replications with its 95% t interval
        (``_low``/``_high``). ``on_duty`` is the time-average number of agents
        present in the interval: duty as rostered after the rotation, random
        absence and shrinkage, plus overtime spent finishing a contact.
        ``busy`` counts a chat as ``1/concurrency`` of an agent; ``occupancy``
        is busy / on duty, per replication.
        """
        step = self.scenario.reporting.interval
        busy = np.round(self._stack("iv_busy"), 6) / step  # agents busy on average
        duty = self._stack("iv_on_duty") / step
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = np.where(duty > 0, busy / duty, np.nan)
        times = self._times(busy.shape[1], step)
        rows: list[dict[str, Any]] = []
        for j, (pool, shift) in enumerate(self.shift_names):
            d, dlo, dhi = _nonneg(mean_ci_axis(duty[:, :, j]))
            b, blo, bhi = _nonneg(mean_ci_axis(busy[:, :, j]))
            o, olo, ohi = _nonneg(mean_ci_axis(occ[:, :, j]))
            rows.append(pd.DataFrame({
                "start": times, "pool": pool, "shift": shift,
                "on_duty": d, "on_duty_low": dlo, "on_duty_high": dhi,
                "busy": b, "busy_low": blo, "busy_high": bhi,
                "occupancy": o, "occupancy_low": olo, "occupancy_high": ohi,
            }))  # fmt: skip
        return pd.concat(rows, ignore_index=True)

    def backlog(self) -> pd.DataFrame:
        """Deferrable work (async messages, cases to close) waiting at each interval's end."""
        step = self.scenario.reporting.interval
        b = self._stack("iv_backlog")
        times = self._times(b.shape[1], step) + pd.Timedelta(seconds=step)
        rows: list[dict[str, Any]] = []
        for j, name in enumerate(self.scenario.channels):
            m, lo, hi = mean_ci_axis(b[:, :, j])
            rows.append(pd.DataFrame({"at": times, "channel": name, "backlog": m,
                                      "backlog_low": np.maximum(lo, 0),
                                      "backlog_high": hi}))  # fmt: skip
        return pd.concat(rows, ignore_index=True)

    def _grouping(self, per: str) -> tuple[float, int]:
        step = self.scenario.reporting.interval
        if per == "interval":
            return step, 1
        if per == "day":
            return 86400.0, int(round(86400.0 / step))
        raise ValueError(f"per must be 'interval' or 'day' (got {per!r})")

    @staticmethod
    def _regroup(a: np.ndarray, group: int) -> np.ndarray:
        """Sum consecutive intervals (axis 1) in groups of ``group``."""
        if group == 1:
            return a
        r, n = a.shape[0], a.shape[1]
        summed: np.ndarray = a.reshape(r, n // group, group, *a.shape[2:]).sum(axis=2)
        return summed


def _nonneg(
    est: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A t interval for a quantity that cannot be negative, cut at zero."""
    m, lo, hi = est
    return m, np.maximum(lo, 0.0), hi
