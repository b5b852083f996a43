"""Comparing staffing plans on common random numbers, and one-parameter sweeps.

Every plan is simulated with the same seed and the same replication indices.
Customers, their needs, patience and bot outcomes are drawn from streams keyed
by seed, replication and channel only (see :mod:`shiftsim.sim.randomness`), so
replication ``r`` of plan A and of plan B serve the same customers. The
difference between two plans is then estimated from the *paired* per-
replication differences, whose variance is far smaller than that of two
independent runs: the difference measured is the plans', not noise.

Plans are paired by replication index, never by position: after an interrupted
run (Ctrl-C) the plans may hold different replications, and only those every
plan finished are compared (:attr:`Comparison.replications`, said in
:attr:`Comparison.note`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from shiftsim.analysis.metrics import meets
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import Progress, executor_for, run
from shiftsim.analysis.statistics import mean_ci
from shiftsim.model.scenario import Scenario

__all__ = ["Comparison", "compare", "sweep"]


def _per_replication(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per replication and target: service level and share of days meeting the goal.

    Also returns the per-day flags ``ok`` (the day met the goal) and ``has``
    (the day had an eligible contact), shaped ``[replication, target, day]``.
    """
    elig = np.stack([m.target_eligible for m in result.metrics])  # [rep, target, day]
    met = np.stack([m.target_met for m in result.metrics])
    goals = np.array([t.goal for t in result.scenario.resolved_targets])
    with np.errstate(invalid="ignore", divide="ignore"):
        sl = met.sum(axis=2) / elig.sum(axis=2)
        has = elig > 0
        ok = meets(met, elig, goals[None, :, None])
        p = ok.sum(axis=2) / has.sum(axis=2)  # NaN where no day had an eligible contact
    return sl, p, ok, has


def _per_period(result: RunResult, periods: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per replication and target: P(period meets goal) of the target's period ``periods[k]``.

    Also the per-day flags ``ok`` and ``has`` of that period, shaped
    ``[replication, target, day]``. A target judged on the whole day (``per:
    day``) has the day's; one judged over the horizon (``per: horizon``) or
    without a judged period, NaN and no day.
    """
    names = list(result.scenario.reporting.periods)
    elig = np.stack([m.period_eligible for m in result.metrics])  # [rep, target, day, window]
    met = np.stack([m.period_met for m in result.metrics])
    day_e = np.stack([m.target_eligible for m in result.metrics])
    day_m = np.stack([m.target_met for m in result.metrics])
    goals = np.array([t.goal for t in result.scenario.resolved_targets])
    ok = np.zeros(day_e.shape, dtype=bool)
    has = np.zeros(day_e.shape, dtype=bool)
    for k, period in enumerate(periods):
        if period in names:
            e, m = elig[:, k, :, names.index(period)], met[:, k, :, names.index(period)]
        elif period == "day":
            e, m = day_e[:, k], day_m[:, k]
        else:
            continue
        has[:, k], ok[:, k] = e > 0, meets(m, e, goals[k])
    with np.errstate(invalid="ignore", divide="ignore"):
        p = ok.sum(axis=2) / has.sum(axis=2)
    return p, ok, has


def _mean(values: np.ndarray) -> float:
    """The mean over replications (of a value or a paired difference), NaN where none has one."""
    return float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan")


def _paired_days_half(
    ok_a: np.ndarray, has_a: np.ndarray, ok_b: np.ndarray, has_b: np.ndarray
) -> float:
    """Half-width floor for a difference of P(day meets goal), from the paired days.

    McNemar-style: only days met in one plan and not the other (discordant)
    carry information. With none, the discordance rate is below 3/n at 95%
    ("rule of three"), so the difference is known to within 3/n, not exactly.
    """
    both = has_a & has_b
    n = int(both.sum())
    if n == 0:
        return float("nan")
    b = int((ok_a & ~ok_b & both).sum())
    c = int((~ok_a & ok_b & both).sum())
    if b + c == 0:
        return 3.0 / n
    var = (b + c - (b - c) ** 2 / n) / n**2
    # ndtri is norm.ppf without importing scipy.stats (see analysis.statistics).
    return float(special.ndtri(0.975) * np.sqrt(max(var, 0.0)))  # 95%, as the rule of three


@dataclass
class Comparison:
    """Results of several plans run on common random numbers.

    Attributes
    ----------
    results
        One :class:`RunResult` per plan, by plan name, with every replication
        it finished.
    baseline
        The plan differences are measured against.
    requested
        Replications asked of every plan (default: the most any plan was asked).
    """

    results: dict[str, RunResult]
    baseline: str
    requested: int | None = None

    @property
    def replications(self) -> list[int]:
        """Indices of the replications every plan finished: the only ones compared."""
        sets = [{m.index for m in res.metrics} for res in self.results.values()]
        return sorted(set.intersection(*sets)) if sets else []

    @property
    def note(self) -> str:
        """``""``, or how many replications are compared when some plan did not finish all."""
        asked = self.requested
        if asked is None:
            asked = max((res.requested for res in self.results.values()), default=0)
        n = len(self.replications)
        if n >= asked:
            return ""
        return f"compared on {n} of {asked} replications finished by every plan"

    def paired(self, name: str) -> RunResult:
        """Plan ``name``'s result on :attr:`replications` only (in index order)."""
        res = self.results[name]
        keep = set(self.replications)
        if not keep:
            raise ValueError("no replication was finished by every plan: nothing to compare")
        if all(m.index in keep for m in res.metrics):
            return res
        kept = [m for m in res.metrics if m.index in keep]
        return RunResult.from_metrics(res.scenario, kept, res.requested, res.wall_time)

    def targets(self) -> pd.DataFrame:
        """Per plan and target: service level and P(day meets goal), with 95% CIs.

        On the replications every plan finished, like :meth:`differences`.
        """
        frames = []
        for name in self.results:
            f = self.paired(name).targets()
            f.insert(0, "plan", name)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def differences(self) -> pd.DataFrame:
        """Per plan (other than the baseline) and target: plan minus baseline.

        ``*_diff`` is the mean paired difference with its 95% interval
        (``_low``/``_high``) from the per-replication differences;
        ``*_half_width_independent`` is the half-width the same runs would give
        if they were treated as independent (no common random numbers), for
        comparison: their ratio shows how much the pairing sharpens the answer.
        The interval of a P(day meets goal) difference is never narrower than a
        McNemar-style interval from the paired days, so replications that all
        move by the same number of days do not give false certainty.

        ``p_period_diff`` is the same for P(period meets goal) in ``period``,
        the period each target is judged on in the baseline (its worst; the
        day for ``per: day``, NaN for ``per: horizon``), with each plan's
        value (``p_period_baseline``, ``p_period_plan``): the figure the
        targets are judged on, which the whole day's can hide (a night).

        Replication ``r`` of a plan is paired with replication ``r`` of the
        baseline; replications some plan did not finish are left out (see
        :attr:`note`).
        """
        base = self.paired(self.baseline)
        b_sl, b_p, b_ok, b_has = _per_replication(base)
        # P(period meets goal) where each target is judged: the baseline's worst period.
        periods = [str(w) for w in base.targets()["worst_period"]]
        b_pp, b_pok, b_phas = _per_period(base, periods)
        rows = []
        labels = [t.label for t in base.scenario.resolved_targets]
        for name in self.results:
            if name == self.baseline:
                continue
            plan = self.paired(name)
            sl, p, ok, has = _per_replication(plan)
            pp, pok, phas = _per_period(plan, periods)
            for k, label in enumerate(labels):
                row: dict[str, Any] = {"plan": name, "baseline": self.baseline, "target": label,
                                       "period": periods[k]}  # fmt: skip
                for key, a, b, days in (
                    ("service_level", sl[:, k], b_sl[:, k], None),
                    ("p_meet", p[:, k], b_p[:, k], (ok, has, b_ok, b_has)),
                    ("p_period", pp[:, k], b_pp[:, k], (pok, phas, b_pok, b_phas)),
                ):
                    d = a - b
                    mean = _mean(d)
                    h = mean_ci(d).half_width
                    if days is not None:
                        floor = _paired_days_half(*(x[:, k] for x in days))
                        h = floor if np.isnan(h) else max(h, floor)
                    if key == "p_period":
                        row["p_period_baseline"] = _mean(b)
                        row["p_period_plan"] = _mean(a)
                    row[f"{key}_diff"] = mean
                    # A difference of two shares lies in [-1, 1]: so does its interval.
                    low, high = np.clip([mean - h, mean + h], -1.0, 1.0)  # NaN stays NaN
                    row[f"{key}_diff_low"], row[f"{key}_diff_high"] = float(low), float(high)
                    independent = np.hypot(mean_ci(a).half_width, mean_ci(b).half_width)
                    row[f"{key}_half_width_independent"] = float(independent)
                rows.append(row)
        return pd.DataFrame(rows)


def compare(
    plans: Mapping[str, Scenario],
    baseline: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Comparison:
    """Run every plan on common random numbers and compare them with the baseline.

    Parameters
    ----------
    plans
        Plan name to scenario. Plans should describe the same center and demand
        (same channels and horizon) and differ in staffing, bot or routing
        settings; their targets must be the same to be compared.
    baseline
        Name of the plan the others are compared with (default: the first).
    replications, seed
        Used for every plan (default: the baseline scenario's).
    executor, workers
        Where replications run: an executor (see :func:`shiftsim.analysis.runner.executor_for`),
        or else ``workers`` local processes (1: in this process). Results do not
        depend on either.

    If a plan's run is interrupted (Ctrl-C), the plans after it run only the
    replications every plan so far finished, since no other can be paired.

    Raises
    ------
    ValueError
        Without plans, with an unknown baseline, with plans whose targets
        differ, or when no replication was finished by every plan.
    """
    if executor is None and workers > 1:
        with executor_for(workers) as pool:
            return compare(plans, baseline, replications, seed, pool, progress)
    if not plans:
        raise ValueError("compare needs at least one plan (got none)")
    names = list(plans)
    baseline = baseline or names[0]
    if baseline not in plans:
        raise ValueError(f"baseline must be one of the plans {names} (got {baseline!r})")
    base = plans[baseline]
    reps = replications or base.replications
    seed = base.seed if seed is None else seed
    labels = [(t.label, t.goal) for t in base.resolved_targets]
    scenarios = {}
    for name in names:
        sc = plans[name].with_(replications=reps, seed=seed)
        if [(t.label, t.goal) for t in sc.resolved_targets] != labels:
            raise ValueError(
                f"plan {name!r} has other targets than {baseline!r}: compare like with like"
            )
        scenarios[name] = sc
    results: dict[str, RunResult] = {}
    indices = list(range(reps))
    for name, sc in scenarios.items():
        res = run(sc, progress=progress, executor=executor, replications=indices)
        results[name] = res
        finished = {m.index for m in res.metrics}
        indices = [r for r in indices if r in finished]
    comparison = Comparison(results=results, baseline=baseline, requested=reps)
    if not comparison.replications:
        raise ValueError("interrupted before every plan finished a replication: nothing to compare")
    return comparison


def sweep(
    scenario: Scenario,
    param: str,
    values: Iterable[Any],
    replications: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run ``scenario`` with ``param`` (a dotted path) set to each value, on common random numbers.

    Returns one row per value and target with the service level and the
    probability of a day meeting the goal, each with its 95% interval, on the
    replications every value finished; see
    :func:`shiftsim.outputs.plotting.sweep_chart` for the chart.
    """
    values = list(values)
    plans = {str(v): scenario.set(param, v) for v in values}
    comp = compare(plans, replications=replications, executor=executor, progress=progress,
                   workers=workers)  # fmt: skip
    frames = []
    for v, name in zip(values, comp.results, strict=True):
        f = comp.paired(name).targets()
        f.insert(0, "value", v)
        f.insert(0, "param", param)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
