"""Time one M/M/c implementation in process: the simulation alone, in a fresh process.

Usage: python benchmarks/inprocess.py IMPL LAMBDA MU C N_TASKS SEED [--events] [--tracemalloc]

IMPL is ``engine`` (this package's ``run_replication``) or a baseline module of this folder
(``bare_simpy``, ``lean_simpy``, ``heapq``, ``ciw``: ``<IMPL>_mmc.run``). Imports, and for the
engine loading the scenario, happen before the clock starts; the timed call then generates
its own variates, simulates and (engine) summarises. Prints one JSON object:
``seconds``, ``wait`` (mean wait in queue, hours), ``tasks``, ``peak_rss_mb`` (this
process's peak resident memory: ``VmHWM`` of /proc/self/status, which counts this program
only; ``ru_maxrss``, where there is no /proc, also counts what the parent held when it
started this process) and, with ``--tracemalloc``, ``traced_peak_bytes`` (the peak of memory
traced by ``tracemalloc`` during the call, numpy arrays included, above what was allocated
before it).

The engine runs ``benchmarks/mmc_200k.toml`` with ``scenario.days`` set for N_TASKS expected
arrivals (N / (24 LAMBDA) days, at least 1), so its task count is Poisson around N.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IMPLS = ("engine", "bare_simpy", "lean_simpy", "heapq", "ciw")


def engine_days(lam: float, n: int) -> int:
    return max(1, round(n / (24.0 * lam)))


def prepare(impl: str, lam: float, mu: float, c: int, n: int, seed: int, events: bool):
    """Everything before the clock starts; returns a call that runs the simulation and
    returns (mean wait, tasks)."""
    if impl == "engine":
        sys.path.insert(0, str(ROOT))
        from sim.engine import run_replication
        from sim.scenario import load_scenario

        sc = load_scenario(HERE / "mmc_200k.toml", [
            f"scenario.days={engine_days(lam, n)}", f"scenario.seed={seed}",
            f"tasks.job.arrivals.per_hour={lam}", f"tasks.job.effort_hours.mean={1.0 / mu}",
            f"office.workers={c}"])

        def call():
            r = run_replication(sc, 0, events=events)
            return r.metrics["wait_hours_mean"], int(r.info["tasks_generated"])
        return call
    sys.path.insert(0, str(HERE))
    mod = importlib.import_module(f"{impl}_mmc")
    return lambda: (mod.run(lam, mu, c, n, seed), n)


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("impl", choices=IMPLS)
    ap.add_argument("lam", type=float)
    ap.add_argument("mu", type=float)
    ap.add_argument("c", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("--events", action="store_true", help="engine: keep the event log")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="report the traced peak (slows the run; its time is not comparable)")
    a = ap.parse_args()
    call = prepare(a.impl, a.lam, a.mu, a.c, a.n, a.seed, a.events)
    out: dict[str, float] = {}
    if a.tracemalloc:
        import tracemalloc

        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    wait, tasks = call()
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - c0
    if a.tracemalloc:
        out["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    out.update(wait=wait, tasks=tasks, peak_rss_mb=peak_rss_mb())
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
