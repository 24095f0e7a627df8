"""``python -m validation``: run every study, write ``docs/validation.md``, exit 1 on a failure.

Options: ``--out PATH`` (default ``docs/validation.md`` in the repository), ``--jobs N``
(workers; default ``VALIDATE_JOBS`` or up to 2), ``--executor serial|processes|dask`` and
``--scheduler ADDRESS`` (where the replications run: the package's evaluator, as for every
``sim`` study; default processes, or serial with one job), ``--scale X`` (run lengths times X: a
quick smoke run with e.g. 0.05; the committed report uses 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# Parallelism comes from processes (--jobs); a multi-threaded BLAS in each of them only
# fights for the same cores (the exact solver's matrix products run 3-4x slower under load).
# Set before numpy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from sim.errors import InputError  # noqa: E402
from sim.evaluate import EXECUTORS, Interrupted  # noqa: E402
from validation import (  # noqa: E402
    study_calendar,
    study_capacity,
    study_little,
    study_mmc,
    study_priority,
)
from validation.report import render  # noqa: E402
from validation.runner import Runner, default_processes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run_all(runner: Runner, scale: float = 1.0) -> list:
    """The five studies, in the report's order (a to e)."""
    steps = [
        ("a. M/M/c against Erlang C", lambda: study_mmc.run(runner, study_mmc.plan(scale=scale))),
        ("b. capacity / reneging", study_capacity.run),
        ("c. priority against Cobham",
         lambda: study_priority.run(runner, study_priority.systems(scale=scale))),
        ("d. Little's law on Bozhou", lambda: study_little.run(
            runner, study_little.cases(replications=max(2, min(20, round(20 * scale)))))),
        ("e. office-hours queue",
         lambda: study_calendar.run(runner, study_calendar.systems(scale=scale))),
    ]
    studies = []
    for name, fn in steps:
        t0 = time.perf_counter()
        s = fn()
        verdict = "pass" if s.passed else "FAIL"
        print(f"{name}: {verdict} ({len(s.checks)} checks, {time.perf_counter() - t0:.1f} s)",
              flush=True)
        studies.append(s)
    return studies


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validation", description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    ap.add_argument("--jobs", type=int, default=default_processes())
    ap.add_argument("--executor", choices=EXECUTORS, default=None)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        with Runner(args.jobs, args.executor, args.scheduler) as runner:
            studies = run_all(runner, args.scale)
    except InputError as exc:
        print(f"python -m validation: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"python -m validation: interrupted by {exc.signal_name}", file=sys.stderr)
        return exc.exit_code
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(studies, args.scale), encoding="utf-8")
    ok = all(s.passed for s in studies)
    print(f"wrote {args.out}; {'all studies pass' if ok else 'SOME STUDIES FAIL'} "
          f"({time.perf_counter() - t0:.0f} s, {runner.evaluator.executor}, "
          f"{runner.evaluator.workers} worker(s))")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
