"""City and community-size benchmark.

1. The city scenario (``scenarios/bozhou_city.toml``: every community, the whole reporting
   period, one replication, serial, in process) against the idiomatic bare SimPy M/M/10 run
   of the engine benchmark (200,000 tasks, timed in process by ``inprocess.py``), measured
   interleaved in the same run. Target: the city under 2 x the bare SimPy run.
2. Scaling with community size: one community-year of ``bozhou_after`` resized to
   500 .. 16,000 households (the city's own resizing, ``sim.city``), time against the number
   of tasks; the log-log slope says whether work grows linearly.

Usage: python benchmarks/bench_city.py [--repeats N] [--quick]
It reports; it does not fail on a missed target (the machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def bare_simpy_seconds(n: int) -> float:
    out = subprocess.run([PY, str(HERE / "inprocess.py"), "bare_simpy", "9", "1", "10", str(n), "1"],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=_env())
    return float(json.loads(out.stdout)["seconds"])


def city_seconds(n_communities: int | None) -> tuple[float, int, int]:
    """One replication of the city, serial, in a fresh process: (seconds, communities, tasks)."""
    code = (
        "import json, time\n"
        "from sim.city import load_city, run_city\n"
        f"over = {{'communities.count': {n_communities}}} if {n_communities!r} else None\n"
        "city = load_city('scenarios/bozhou_city.toml', over)\n"
        "t = time.perf_counter(); r = run_city(city, 1, progress=False); s = time.perf_counter() - t\n"
        "print(json.dumps({'seconds': s, 'communities': len(city.communities),\n"
        "                  'tasks': float(r.values['tasks_arrived'][0])}))\n")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env=_env())
    d = json.loads(out.stdout)
    return d["seconds"], d["communities"], int(d["tasks"])


def size_scaling(repeats: int, sizes: list[int]) -> None:
    from sim.city import load_city
    from sim.engine import run_replication

    rows = []
    for hh in sizes:
        city = load_city(ROOT / "scenarios" / "bozhou_city.toml", {
            "city.days": 365, "communities.list": [{"id": "one", "households": hh}],
            "communities.count": None, "communities.volunteer_teams": 1})
        sc = city.communities[0].scenario
        run_replication(sc, 0)
        secs, tasks = [], 0
        for r in range(repeats):
            t0 = time.perf_counter()
            res = run_replication(sc, r)
            secs.append(time.perf_counter() - t0)
            tasks = sum(int(v["arrived"]) for v in res.tasks.values())
        rows.append((hh, sc.office.workers, tasks, statistics.median(secs)))
    print(f"{'households':>10} {'workers':>8} {'tasks':>8} {'ms':>8} {'us/task':>8}")
    for hh, w, n, s in rows:
        print(f"{hh:>10,} {w:>8} {n:>8,} {s * 1000:>8.1f} {s / n * 1e6:>8.2f}")
    x = np.log([r[2] for r in rows])
    y = np.log([r[3] for r in rows])
    slope = float(np.polyfit(x, y, 1)[0])
    b, a = np.polyfit([r[2] for r in rows], [r[3] for r in rows], 1)
    print(f"log-log slope of time against tasks: {slope:.2f} (1 = linear; below 1: a fixed cost "
          "per run is spread over more tasks)")
    print(f"straight line: {a * 1000:.1f} ms a community-year fixed + {b * 1e6:.2f} us a task")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 6 communities, small sizes")
    args = ap.parse_args()
    n_comm = 6 if args.quick else None
    n_tasks = 20_000 if args.quick else 200_000
    repeats = 1 if args.quick else args.repeats
    city, bare = [], []
    info = (0, 0)
    for _ in range(repeats):
        s, k, tasks = city_seconds(n_comm)
        city.append(s)
        info = (k, tasks)
        bare.append(bare_simpy_seconds(n_tasks))
    ratio = statistics.median(a / b for a, b in zip(city, bare, strict=True))
    k, tasks = info
    print(f"city scenario, one replication, serial: {statistics.median(city):.2f} s "
          f"({k} communities, {tasks:,} tasks, {statistics.median(city) / tasks * 1e6:.1f} us/task)")
    print(f"bare SimPy M/M/10, {n_tasks:,} tasks, in process: {statistics.median(bare):.2f} s")
    target = "" if args.quick else f"  (target < 2.0)  {'met' if ratio < 2.0 else 'MISSED'}"
    print(f"ratio city / bare SimPy: {ratio:.2f}{target}")
    sizes = [500, 2000, 8000] if args.quick else [500, 1000, 2000, 4000, 8000, 16000]
    size_scaling(1 if args.quick else args.repeats, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
