"""Engine benchmark: the contract's M/M/10 (lambda 9, mu 1, 200,000 tasks) as whole processes.

Runs, interleaved and repeated, the way users run them (start-up and imports count):
  - ``sim run benchmarks/mmc_200k.toml --replications 1 --json``  (this package)
  - ``python benchmarks/bare_simpy_mmc.py``  (idiomatic SimPy: a process per customer, a Resource)
  - ``python benchmarks/ciw_mmc.py``  (Ciw)
Every implementation's mean wait is checked against Erlang C before its time counts.
Prints median times, peak memory (max RSS of the child process) and ratios against the
baselines measured in the same run, then the time of one Bozhou community-year.
It reports; it does not fail on a missed target (the machines are shared and noisy).

Usage: python benchmarks/bench_engine.py [--repeats N] [--customers N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    head = sum(a ** k / math.factorial(k) for k in range(c))
    tail = a ** c / math.factorial(c) / (1.0 - a / c)
    return tail / (head + tail) / (c * mu - lam)


def timed_rss(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()       # small outputs: read, then reap with wait4 for the rusage
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err.decode()}")
    return seconds, usage.ru_maxrss / 1024.0, out.decode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--customers", type=int, default=200_000)
    args = ap.parse_args()
    lam, mu, c, n = 9.0, 1.0, 10, args.customers
    theory = erlang_c_wait(lam, mu, c)
    scenario = HERE / "mmc_200k.toml"
    commands = {
        "sim run": [PY, "-m", "sim", "run", str(scenario), "--replications", "1", "--json"],
        "bare SimPy": [PY, str(HERE / "bare_simpy_mmc.py"), "9", "1", "10", str(n), "1"],
        "Ciw": [PY, str(HERE / "ciw_mmc.py"), "9", "1", "10", str(n), "1"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[float]] = {k: [] for k in commands}
    waits: dict[str, float] = {}
    for rep in range(args.repeats):
        for name, cmd in commands.items():
            seconds, mb, out = timed_rss(cmd)
            times[name].append(seconds)
            rss[name].append(mb)
            if rep == 0:
                if name == "sim run":
                    waits[name] = json.loads(out)["metrics"]["wait_hours_mean"]["mean"]
                else:
                    waits[name] = float(out.strip())
    print(f"M/M/{c}, lambda {lam}/h, mu {mu}/h, {n:,} tasks; Erlang C Wq = {theory:.4f} h")
    print(f"{'implementation':<12} {'median s':>9} {'min s':>7} {'peak MB':>8} {'Wq (h)':>8}  check")
    ok_all = True
    for name in commands:
        ok = abs(waits[name] - theory) / theory < 0.12
        ok_all &= ok
        print(f"{name:<12} {statistics.median(times[name]):>9.3f} {min(times[name]):>7.3f} "
              f"{max(rss[name]):>8.1f} {waits[name]:>8.4f}  {'ok' if ok else 'OFF Erlang C'}")
    # ratios paired run by run, then the median
    r_simpy = statistics.median(a / b for a, b in zip(times["sim run"], times["bare SimPy"], strict=True))
    r_ciw = statistics.median(a / b for a, b in zip(times["sim run"], times["Ciw"], strict=True))
    print(f"ratio sim run / bare SimPy: {r_simpy:.3f}  (target <= 0.40)  {'met' if r_simpy <= 0.40 else 'MISSED'}")
    print(f"ratio sim run / Ciw:        {r_ciw:.3f}  (target <= 0.15)  {'met' if r_ciw <= 0.15 else 'MISSED'}")
    peak = max(rss["sim run"])
    print(f"peak memory of sim run:     {peak:.1f} MB (target < 150 MB)  {'met' if peak < 150 else 'MISSED'}")

    # one Bozhou community-year, in process (the engine alone) and as a command
    sys.path.insert(0, str(ROOT))
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    for name in ("bozhou_before", "bozhou_after"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        run_replication(sc, 0)
        secs = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            run_replication(sc, r)
            secs.append(time.perf_counter() - t0)
        print(f"one community-year, {name}: {statistics.median(secs) * 1000:.0f} ms per replication (engine)")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
