"""Soak: many replications must not grow memory (``make soak``: 10,000 replications).

Skipped unless SIM_SOAK_REPLICATIONS is set (``make soak`` sets 10000). Two checks on a
small scenario (tests/data/mmc.toml over 5 days, about 1,000 tasks a replication):

- the engine, replication after replication with results dropped: resident memory after
  the warm-up (the first 10 %) grows by less than GROWTH_MB up to the end;
- the real ``sim run --replications N`` in a subprocess: what its peak resident memory adds
  over one replication stays within the size estimate of sim.scenario.cost (what finished
  replications keep), so the estimate that guards every run is an upper bound.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.engine import run_replication
from sim.scenario import load_scenario
from sim.scenario.cost import estimate

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"
N = int(os.environ.get("SIM_SOAK_REPLICATIONS", "0"))
SETS = ["scenario.days=5"]
GROWTH_MB = 10.0

pytestmark = pytest.mark.skipif(N <= 0, reason="soak: set SIM_SOAK_REPLICATIONS (make soak)")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_engine_memory_does_not_grow_over_many_replications():
    sc = load_scenario(MMC, SETS)
    warm = max(1, N // 10)
    samples = []
    for r in range(N):
        run_replication(sc, r)
        if r + 1 >= warm and (r + 1 - warm) % max(1, (N - warm) // 20) == 0:
            samples.append(rss_mb())
    growth = max(samples) - samples[0]
    print(f"soak: {N} replications, RSS after warm-up {samples[0]:.1f} MB, "
          f"max {max(samples):.1f} MB, growth {growth:.2f} MB")
    assert growth < GROWTH_MB


def _peak_rss_mb(n: int) -> float:
    """Peak resident memory of ``sim run --replications n`` in a fresh process."""
    code = ("import resource, sys; from sim.cli import main; rc = main(sys.argv[1:]); "
            "sys.stderr.write(f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, "run", str(MMC), "--replications", str(n),
                           "--json", "--no-progress", *[x for s in SETS for x in ("--set", s)]],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def test_sim_run_peak_memory_stays_under_the_estimate():
    """What N replications add to the peak (over one replication) is at most the estimate of
    sim.scenario.cost: what finished replications keep, times N."""
    sc = load_scenario(MMC, SETS)
    c = estimate(sc)
    one, many = _peak_rss_mb(1), _peak_rss_mb(N)
    allowed_mb = c.kept_bytes * N / 1024**2
    print(f"soak: sim run --replications {N}: peak RSS {many:.0f} MB, one replication "
          f"{one:.0f} MB; the {many - one:.0f} MB added are within the estimate's "
          f"{allowed_mb:.0f} MB")
    assert many - one <= allowed_mb
