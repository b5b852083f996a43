"""``shiftsim staff``: the least-cost headcount per shift that meets every requirement.

A *requirement* is one target judged in one period of the day (or over the day,
or the horizon; see :meth:`RunResult.requirements`): P(period meets goal) must
reach the target's confidence. For pools with shifts the search has three
stages; for pools staffed by interval, :mod:`.curve` gives the requirement
curve (agents per interval) with the iterative staffing algorithm.

1. **Analytic start** (:mod:`.start`). Per clock hour and channel, the Erlang C
   (or Erlang A, with patience) minimum agents for each first-response target
   at the expected load of a busy day, async work as its offered load; divided
   by the rotation's on-duty share and by (1 - shrinkage); covered with shift
   headcounts by a small integer program (:func:`scipy.optimize.milp`).
2. **Simulation on common random numbers** (:mod:`.search`, :mod:`.evaluation`).
   Every candidate roster is simulated with the same seed, so a one-agent
   difference is measured rather than drowned in noise (Cezik and L'Ecuyer
   2008; Avramidis, Chan and L'Ecuyer 2009). While a requirement fails, agents
   go where they remove the most shortfall per unit of cost (the local search
   of Atlason, Epelman and Henderson 2004, with the subgradient estimated by
   finite differences); when all hold, agents are removed while every
   requirement still holds, and a last look at cheaper rosters nearby catches
   exchanges between shifts. This runs on few replications (screening); on the
   full count, from its answer, agents are only added where a requirement
   falls short (removal is the verification's one-fewer check). Each
   replication is simulated once: the screening replications are the first of
   the full set (replication ``r`` depends on the seed and ``r`` only), and
   candidates are simulated in batches that keep every worker busy.
   Requirements that fail with every shift at twice its analytic start are
   found first, reported, and not chased.
3. **Verification on fresh seeds** (:mod:`.sizing`). The answer is simulated
   again with seeds the search never saw, because the search selected on its
   own estimates and flatters them. Where a requirement misses there, agents
   are added on those seeds and a new set verifies again. Where the roster
   holds, the "one fewer" check runs on those seeds: for each changed shift,
   which requirement breaks with one agent less (the change one agent makes,
   measured on the first screening-count of fresh replications on common
   random numbers, added to the verified value; simulated on all of them where
   the change's own 95% interval reaches across the threshold, the only error
   that can turn the verdict). The shifts whose agent is spare there lose it
   together, as far as their measured changes add up to no break, and a new
   set verifies the cheaper roster; if it misses, the costliest single removal
   is verified instead, and if that misses too the roster that held stands,
   reported with its own set. Up to ``verify_rounds`` sets; the probabilities
   reported are those of the set that verified the answer, and so is its
   "one fewer" check.

References
----------
* J. Atlason, M. A. Epelman and S. G. Henderson (2004), Call center staffing with
  simulation and cutting plane methods, Annals of Operations Research 127.
* A. N. Avramidis, W. Chan and P. L'Ecuyer (2009), Staffing multi-skill call
  centers via search methods and a performance approximation, IIE Transactions 41.
* T. Cezik and P. L'Ecuyer (2008), Staffing multiskill call centers via linear
  programming and simulation, Management Science 54.
* Z. Feldman, A. Mandelbaum, W. A. Massey and W. Whitt (2008), Staffing of
  time-varying queues to achieve time-stable performance, Management Science 54
  (the iterative staffing algorithm, for pools staffed by interval: :mod:`.curve`).
"""

from __future__ import annotations

from shiftsim.planning.staffing.curve import staff_curve
from shiftsim.planning.staffing.evaluation import Evaluator, Simulations, Unmet
from shiftsim.planning.staffing.intervals import curve_pools, interval_start
from shiftsim.planning.staffing.result import FRESH_SEED_OFFSET, StaffingResult
from shiftsim.planning.staffing.sizing import staff
from shiftsim.planning.staffing.space import Knob, knobs, plan_cost
from shiftsim.planning.staffing.start import analytic_start, hourly_requirement

_Evaluator = Evaluator  # the name tests and notebooks of earlier versions import

__all__ = [
    "FRESH_SEED_OFFSET",
    "Knob",
    "Simulations",
    "StaffingResult",
    "Unmet",
    "analytic_start",
    "curve_pools",
    "hourly_requirement",
    "interval_start",
    "knobs",
    "plan_cost",
    "staff",
    "staff_curve",
]
