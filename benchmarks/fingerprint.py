"""Byte-level fingerprints of the engine's results, to show a refactoring moved nothing.

For a fixed set of scenarios (the two Bozhou community-years, their dispatch variants, the
M/M/10 benchmark model and every lever scenario) and seeds, runs ``run_replication`` with the
event log on and prints one SHA-256 per run of its metrics, per-task-type table, daily
series, per-task event log (first start, completion, ...) and work log, as exact bytes
(floats as their IEEE-754 bit patterns, so a one-ulp change shows). Timing fields are left
out. Compare two checkouts with ``diff`` of this script's output.

Usage: python benchmarks/fingerprint.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.engine import run_replication  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

# (label, scenario file, overrides)
CASES = [
    ("bozhou_before", "scenarios/bozhou_before.toml", []),
    ("bozhou_after", "scenarios/bozhou_after.toml", []),
    ("bozhou_before/fifo", "scenarios/bozhou_before.toml", ["office.dispatch=fifo"]),
    ("bozhou_before/edf", "scenarios/bozhou_before.toml", ["office.dispatch=edf"]),
    ("bozhou_after/edf", "scenarios/bozhou_after.toml", ["office.dispatch=edf"]),
    ("bozhou_after/priority", "scenarios/bozhou_after.toml", ["office.dispatch=priority"]),
    ("mmc_20k", "benchmarks/mmc_200k.toml", ["scenario.days=93"]),
]
# one lever at a time, FILE#LEVER (labelled as the one-lever files they replaced were)
LEVERS = sorted(lv.name for lv in load_scenario(ROOT / "scenarios/bozhou_levers.toml").levers)


def _canon(x):
    """A JSON-able, bit-exact form of a result's parts."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return [str(x.dtype), list(x.shape), hashlib.sha256(repr(x.tolist()).encode()).hexdigest()]
    if isinstance(x, np.ndarray):
        return [str(x.dtype), list(x.shape), hashlib.sha256(np.ascontiguousarray(x).tobytes())
                .hexdigest()]
    if isinstance(x, float):
        return x.hex()
    if isinstance(x, dict):
        return {str(k): _canon(v) for k, v in sorted(x.items())}
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    if isinstance(x, (np.floating,)):
        return float(x).hex()
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def fingerprint(scenario, seed: int, replication: int) -> dict[str, str]:
    r = run_replication(scenario, replication, seed, events=True)
    info = {k: v for k, v in r.info.items() if "second" not in k}
    parts = {"metrics": r.metrics, "tasks": r.tasks, "daily": r.daily, "events": r.events,
             "work": r.work, "info": info}
    return {k: hashlib.sha256(json.dumps(_canon(v), sort_keys=True).encode()).hexdigest()[:16]
            for k, v in parts.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first two cases, one seed")
    a = ap.parse_args()
    cases = CASES + [(f"levers/lever_{n}.toml", f"scenarios/bozhou_levers.toml#{n}", [])
                     for n in LEVERS]
    seeds = [(11, 0), (12, 1), (20260101, 3)]
    if a.quick:
        cases, seeds = cases[:2], seeds[:1]
    for label, path, over in cases:
        sc = load_scenario(ROOT / path, over)
        for seed, rep in seeds:
            fp = fingerprint(sc, seed, rep)
            print(f"{label:<44} seed {seed:>8} rep {rep}: "
                  + " ".join(f"{k}={v}" for k, v in fp.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
