"""Attribution benchmark: sampled Shapley over the 12 Bozhou levers on 2 worker processes.

Times ``sim.analysis.attribution.attribute(bozhou_before, bozhou_after, method="sampled")``
with its automatic rule, on the processes executor with 2 workers (pool start-up included):

* design: every replication gets its own Latin-square blocks of lever orders (each lever
  once in every position per block), read in that replication only; a replication's mean
  marginal contributions are one independent, unbiased and efficient estimate, and the
  Shapley intervals are t intervals over replications;
* rule (two looks): a pilot of ``--replications`` replications with 2 groups of 6 orders
  each (the first rows of independent blocks); if the 4
  largest reductions of overtime per worker are not yet ranked (simultaneous Bonferroni
  intervals of the differences the ranking relies on, over all pairs and both looks, on
  the right side of 0; error 0.005 at the pilot, 0.045 at the end), the pilot's split of
  the variance into permutations and replications picks the orders per new replication
  and the replications the ranking needs, capped so that the whole study fits
  ``--budget`` seconds; then one final test.

Prints the wall time against the target (<= 180 s), the orders, coalitions and runs it
took, the pilot's variance split (one group: permutations vs replications), the top 4 and
whether they came out ranked (and, if not, how many replications the pilot predicted),
the efficiency gap (Shapley values minus the total effect, largest over replications),
the exact method's estimated time (printed before the run, as ``sim attribute`` does) and
how much parallelism the machine offered (a pool of 2 processes on a pure CPU loop against
serial). It reports; it does not fail on a missed target.

Usage: python benchmarks/bench_attribute.py [--quick] [--replications R] [--budget S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

TARGET_SECONDS = 180.0
METRIC = "overtime_hours_per_worker_year"


def _spin(n: int = 3_000_000) -> int:
    s = 0
    for i in range(n):
        s += i & 7
    return s


def parallelism() -> float:
    """Serial time of two CPU loops over the time of a 2-process pool running them."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    _spin(), _spin()
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        t0 = time.perf_counter()
        list(pool.map(_spin, [3_000_000, 3_000_000]))
        par = time.perf_counter() - t0
    return serial / par


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: 60 days, 2 replications")
    ap.add_argument("--replications", type=int, default=3, help="pilot replications")
    ap.add_argument("--budget", type=float, default=TARGET_SECONDS - 10.0,
                    help="seconds the rule may plan for (default: the target less 10 s)")
    args = ap.parse_args()
    from sim.analysis.attribution import attribute

    before = ROOT / "scenarios" / "bozhou_before.toml"
    after = ROOT / "scenarios" / "bozhou_after.toml"
    overrides = {"scenario.days": 60} if args.quick else None
    reps = 2 if args.quick else args.replications
    par = parallelism()
    t0 = time.perf_counter()
    res = attribute(before, after, method="sampled", replications=reps,
                    budget=30.0 if args.quick else args.budget,
                    metrics=[METRIC, "admin_hours_share"], overrides=overrides,
                    executor="processes", workers=2, progress=False,
                    on_estimate=lambda text: print(f"  {text}", flush=True))
    wall = time.perf_counter() - t0
    row = res.metrics[METRIC]
    rk, rule = row["ranking"], res.rule
    print(f"sampled Shapley, 12 levers, {res.replications} replications "
          f"(pilot {rule.get('pilot_replications')} x {rule.get('pilot_groups')} groups of "
          f"{rule.get('pilot_group_orders')} orders, then {rule.get('orders_per_replication')} "
          f"orders a replication), {res.permutations} orders, {res.coalitions} "
          f"coalitions ({res.runs} runs) on 2 processes: {wall:.1f} s "
          f"(target <= {TARGET_SECONDS:.0f} s: ratio {wall / TARGET_SECONDS:.2f})")
    split = rule.get("variance_one_group")
    if split:
        share = [r / (p + r) for p, r in zip(split["permutations"], split["replications"],
                                              strict=True) if p + r > 0]
        print(f"  pilot variance of one group's estimate, replications' share: median "
              f"{sorted(share)[len(share) // 2]:.2f} (min {min(share):.2f}, max {max(share):.2f})")
    print(f"  top 4 reductions of {METRIC}: {', '.join(rk['order'])}; ranked (simultaneous "
          f"95 %): {rk['ranked']}" + ("" if rk["ranked"] else
                                      f"; the pilot predicted {rule.get('needed_replications')} "
                                      f"replications; ranked: the first {rk['ranked_top']}"))
    for c in rk["checks"][:4]:
        print(f"    {c['levers'][0]} - {c['levers'][1]}: {c['difference']:.2f} "
              f"(simultaneous lower bound {c['low']:.2f})")
    other = res.metrics["admin_hours_share"]["ranking"]
    print(f"  top 4 reductions of admin_hours_share: {', '.join(other['order'])}; ranked: "
          f"{other['ranked']} (the first {other['ranked_top']})")
    print(f"  efficiency gap (largest over replications): {row['efficiency_gap']:.2e}")
    print(f"  exact method estimated at {res.estimate['exact_seconds'] / 60:.0f} min on 2 workers "
          f"({res.estimate['seconds_per_replication']:.3f} s a replication)")
    print(f"  parallelism offered by the machine (2-process pool vs serial): {par:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
