"""Soak: many replications must not grow memory (``make soak``: 10,000 replications).

Skipped unless SIM_SOAK_REPLICATIONS is set (``make soak`` sets 10000). Two checks on a
small scenario (tests/data/mmc.toml over 5 days, about 1,000 tasks a replication):

- the engine, replication after replication with results dropped: resident memory after
  the warm-up (the first 10 %) grows by less than GROWTH_MB up to the end;
- the real ``sim run --replications N`` in a subprocess: its peak resident memory stays
  below the interpreter's baseline plus the size estimate of sim.scenario.cost (what the
  run is allowed to keep), so the estimate that guards every run is an upper bound.
"""

import os
import resource
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
BASELINE_MB = 400.0   # python + numpy + simpy + pandas imported: about 150 MB measured

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


def test_sim_run_peak_memory_stays_under_the_estimate():
    sc = load_scenario(MMC, SETS)
    c = estimate(sc)
    allowed_mb = BASELINE_MB + (c.peak_bytes + c.kept_bytes * N) / 1024**2
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(MMC), "--replications", str(N),
                           "--json", "--no-progress", *[x for s in SETS for x in ("--set", s)]],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"soak: sim run --replications {N}: peak RSS {peak_mb:.0f} MB, "
          f"allowed by the estimate {allowed_mb:.0f} MB")
    assert peak_mb < allowed_mb
