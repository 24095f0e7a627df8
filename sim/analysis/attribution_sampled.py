"""The sampled Shapley study of ``sim attribute``: which orders run in which replication,
and when to stop (see :mod:`sim.analysis.shapley_design` for the estimator).

* ``permutations`` given: exactly that many orders, spread as evenly as possible over
  replications ``0..R-1`` (at least one each), each replication's from its own Latin blocks.
  No rule.
* Otherwise two looks at the data, no more. **Pilot**: ``R`` replications with
  ``PILOT_BLOCKS`` groups of ``ceil(k/2)`` orders each (the first rows of independent
  blocks: two groups in a replication measure the permutations' share of the variance). If the first metric's ``rank`` largest contributions
  (in the direction of its total effect) are ranked by simultaneous intervals (all pairs,
  Bonferroni, error 0.005), stop. Otherwise the pilot's split of the variance into
  permutations (groups inside a replication) and replications decides how many orders a
  new replication gets (``o`` minimising variance x cost: an order costs about ``k - 3``
  runs and as many scenario builds, a replication ``2k + 2`` runs besides; both timed in
  the pilot; fewer than ``k`` orders are the first rows of a block, still uniformly random
  orders) and how many replications the relied-on
  differences need; the **second stage** adds them, capped by ``budget`` seconds (from the
  pilot's time per run; room kept for the interaction samples) and ``max_permutations``
  orders. The final test is the same simultaneous one at error 0.045: the two looks'
  errors add up to 0.05, so the "ranked" verdict keeps its 95 % over the stopping rule. The
  reported Shapley intervals are ordinary 95 % t intervals over replications. When the
  ranking needs more than the budget allows (close contributions), the study stops at the
  budget and says so (``ranked`` false, ``needed_replications`` the pilot's forecast).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from sim.analysis import shapley_design as sd
from sim.analysis.coalitions import Coalitions

__all__ = ["INTERACTION_RUNS", "PILOT_BLOCKS", "run_sampled"]

PILOT_BLOCKS = 2
MAX_BLOCKS = 4
INTERACTION_RUNS = 3 * 8 * 4     # 3 pairs x 8 drawn coalitions x 4 coalitions each, at most


def _even(total: int, R: int) -> list[int]:
    return [max(1, total // R + (1 if r < total % R else 0)) for r in range(R)]


def _run(co: Coalitions, design: list[list[np.ndarray]], first: int) -> None:
    n = len(co.players)
    full = (1 << n) - 1
    ends = [0, full] + [1 << i for i in range(n)] + [full & ~(1 << i) for i in range(n)]
    want = []
    for r in range(first, len(design)):
        need = set(ends)
        for block in design[r]:
            need |= sd.prefixes(block)
        want += [(m, r) for m in sorted(need)]
    co.points(want)


def _design(n: int, counts: list[int], seed: int, first: int = 0, rows: int | None = None
            ) -> list[list[np.ndarray]]:
    return [sd.block_orders(n, c, seed, first + r, rows) for r, c in enumerate(counts)]


def _diff_blocks(per_block, pairs, sign):
    return [np.stack([(b[:, a] - b[:, c]) * sign for a, c in pairs], axis=1) for b in per_block]


def _costs(n: int) -> tuple[int, int]:
    """Runs a replication costs besides its orders (the empty and full coalitions, the
    singletons and the leave-one-out sets) and runs an order adds (its prefixes of sizes
    2..k-2)."""
    return 2 * n + 2, max(1, n - 3)


def _plan(units, per_block, total, rank, n, g, run_s, build_s):
    """After the pilot: (orders a new replication gets, replications needed, the look).
    One group's (``g`` orders) variance splits into ``sp`` (permutations) and ``sr``
    (replications); with ``o`` orders a replication's variance is about ``sr + sp g / o``
    (as if the orders were independent, which a Latin block's rows beat) and costs
    ``(c0 + c1 o) run_s + c1 o build_s`` seconds (each new coalition's scenario is built
    here before it runs; the ends are built once for all replications); the ``o`` with the
    least variance x cost for the binding difference wins."""
    look = sd.ranking(units, total, rank, alpha=sd.PILOT_ALPHA)
    failed = [c for c in look["checks"] if not c["separated"]]
    pairs = [c["pair"] for c in failed]
    comp = sd.components(_diff_blocks(per_block, pairs, look["sign"])) if pairs else None
    if comp is None:
        return n, sd.needed_units(look["checks"], n), look
    sp, sr = comp
    best, best_cost, best_need = n, math.inf, math.inf
    for o in sorted({1, 2, 3, 4, 6, 8, n, 2 * n, MAX_BLOCKS * n}):
        checks = [dict(c, sd=math.sqrt(sr[j] + sp[j] * g / o)) for j, c in enumerate(failed)]
        need = sd.needed_units(checks, n)
        cost = need * _unit_seconds(n, o, run_s, build_s)
        if cost < best_cost or (not math.isfinite(best_cost) and o == n):
            best, best_cost, best_need = o, cost, need
    return best, best_need, look


def _unit_seconds(n: int, o: int, run_s: float, build_s: float) -> float:
    c0, c1 = _costs(n)
    return (c0 + c1 * o) * run_s + c1 * o * build_s


def run_sampled(co: Coalitions, name: str, *, seed: int, permutations: int | None, rank: int,
                max_permutations: int, budget: float, started: float, workers: int
                ) -> tuple[list[list[np.ndarray]], dict[str, Any]]:
    """Run the design on ``co`` (its ``R`` is the pilot's replications and grows to the
    final count); returns the design (per replication, its blocks) and what the rule did."""
    n, R0 = len(co.players), co.R
    full = (1 << n) - 1
    if permutations is not None:
        design = _design(n, _even(int(permutations), R0), seed)
        _run(co, design, 0)
        return design, {"design": "latin", "rule": "fixed", "looks": 1, "alpha": sd.ALPHA}
    g = (n + 1) // 2
    design = _design(n, [PILOT_BLOCKS * g] * R0, seed, rows=g)
    _run(co, design, 0)
    value = co.value_of(name)
    units, per_block = sd.unit_estimates(value, design, n)
    total = float(np.mean([value(full, r) - value(0, r) for r in range(R0)]))
    comp = sd.components(per_block)
    info: dict[str, Any] = {"design": "latin", "rule": "two looks", "pilot_replications": R0,
                            "pilot_groups": PILOT_BLOCKS, "pilot_group_orders": g, "looks": 1,
                            "alpha": sd.PILOT_ALPHA}
    if comp is not None:
        sp, sr = comp
        info["variance_one_group"] = {"permutations": [float(x) for x in sp],
                                      "replications": [float(x) for x in sr]}
    run_s = co.seconds_per_replication() * 1.15 / max(1, workers)   # wall, on the pool
    x = np.asarray(co.build_seconds, dtype=float)
    build_s = float(np.median(x)) if x.size else 0.0
    o, need, look = _plan(units, per_block, total, rank, n, g, run_s, build_s)
    info.update(orders_per_replication=o, needed_replications=need if math.isfinite(need)
                else None, pilot_ranked=look["ranked"], seconds_per_run=run_s,
                seconds_per_build=build_s)
    if look["ranked"]:
        return design, info
    left = budget - (time.perf_counter() - started) - INTERACTION_RUNS * (run_s + build_s)
    unit = _unit_seconds(n, o, run_s, build_s)
    by_time = int(left / unit) if unit > 0 and math.isfinite(unit) else 0
    by_orders = (max_permutations - PILOT_BLOCKS * g * R0) // o
    R1 = int(min(need if math.isfinite(need) else math.inf, R0 + max(0, by_time),
                 R0 + max(0, by_orders)))
    info.update(looks=2, alpha=sd.ALPHA - sd.PILOT_ALPHA, capped=bool(R1 < need))
    if R1 > R0:
        design += _design(n, [o] * (R1 - R0), seed, first=R0)
        co.R = R1
        _run(co, design, R0)
    return design, info
