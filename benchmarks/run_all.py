"""Run every benchmark in this folder (``make bench``); each prints its own ratios.

Usage: python benchmarks/run_all.py [--quick]
  --quick  a smoke run of every benchmark (about 30 s instead of about 4 minutes)
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_engine.py", "bench_city.py", "bench_sweep.py", "bench_attribute.py",
              "bench_explore.py"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run of every benchmark")
    args = ap.parse_args()
    status = 0
    t0 = time.perf_counter()
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / name),
                                   *(["--quick"] if args.quick else [])])
        print(flush=True)
    print(f"(make bench: {time.perf_counter() - t0:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
