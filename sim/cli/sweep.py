"""``sim sweep SCENARIO.toml --param KEY=VALUES ... --out DIR``: a resumable parameter sweep.

Exit codes: 0 every job done, 1 some jobs failed (their errors are in ``DIR/jobs/*.error.json``
and ``results.csv`` holds the successful rows), 2 bad input. See :mod:`sim.sweep`.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.options import add_allow_large, int_option, out_dir_option, scenario_file_option
from sim.cli.uncertain import add_uncertain_option, per_scenario, uncertain_values
from sim.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep", help="run a parameter sweep (grid or Latin hypercube), resumable",
        description="Run every point of a parameter grid (or Latin hypercube) of a scenario, "
                    "each replicated, on processes or a Dask cluster. Replication r of every "
                    "point uses the same random numbers (common random numbers). Every finished "
                    "job is saved at once under DIR/jobs; --resume finishes a killed sweep. "
                    "Writes DIR/results.csv (one row per point and replication), points.csv, "
                    "summary.csv and manifest.json. Exit 0: all done; 1: some jobs failed; "
                    "2: bad input.")
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the base scenario file")
    p.add_argument("--param", metavar="KEY=VALUES", action="append", default=[], dest="params",
                   help="a field to sweep: a comma list (office.workers=4,6,8), a range "
                        "start:stop:step (stop included when on the grid), or LOW:HIGH with "
                        "--design lhs (repeatable: grids multiply)")
    p.add_argument("--design", choices=("grid", "lhs"), default="grid",
                   help="full grid (default) or Latin hypercube sample")
    p.add_argument("--samples", metavar="N", help="number of points of --design lhs")
    p.add_argument("--replications", metavar="N",
                   help="replications per point (default: the scenario's)")
    p.add_argument("--seed", metavar="S", help="sweep seed (default: the scenario's)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="set a field of the base scenario, e.g. office.dispatch=edf (repeatable)")
    p.add_argument("--executor", choices=("serial", "processes", "dask"), default="processes",
                   help="where jobs run (default: processes)")
    p.add_argument("--workers", metavar="W",
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor "
                        "dask; default: start a local cluster of --workers processes)")
    p.add_argument("--chunk-size", metavar="N",
                   help="jobs sent to a worker at a time (default: about 16 chunks per worker, "
                        "at most 16 jobs)")
    p.add_argument("--out", metavar="DIR", required=True, help="the sweep directory")
    p.add_argument("--resume", action="store_true",
                   help="finish the sweep in DIR: run only the jobs without a result")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true", default=None,
                   help="show a progress bar on stderr (default: when stderr is a terminal)")
    g.add_argument("--no-progress", "--quiet", action="store_false", dest="progress",
                   help="never show a progress bar")
    add_uncertain_option(p)
    add_allow_large(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from sim.scenario import parse_set
    from sim.sweep import sweep

    scenario_file_option(args.scenario)
    out_dir_option(args.out)
    if not args.params:
        raise InputError("no parameter to sweep", field="--param",
                         allowed="at least one --param KEY=VALUES, e.g. office.workers=4,6,8")
    overrides = [parse_set(item) for item in args.overrides]
    values = uncertain_values(args)
    if values:  # fixed before the levers: uncertainties.NAME.value=X
        overrides += list(per_scenario([args.scenario], overrides, values)[0].items())
    result = sweep(
        args.scenario, list(args.params),
        replications=int_option(args.replications, "--replications", 1),
        seed=int_option(args.seed, "--seed", 0),
        executor=args.executor,
        workers=int_option(args.workers, "--workers", 1),
        scheduler=args.scheduler,
        out=args.out,
        resume=bool(args.resume),
        design=args.design,
        samples=int_option(args.samples, "--samples", 1),
        progress=args.progress,
        overrides=overrides,
        chunk_size=int_option(args.chunk_size, "--chunk-size", 1),
        command=["sim", "sweep", *sys.argv[2:]] if sys.argv[1:2] == ["sweep"] else None,
        allow_large=args.allow_large,
    )
    total = result.manifest["counts"]["total"]
    n_points = len(result.points)
    print(f"sweep: {n_points} points x {result.manifest['replications']} replications = "
          f"{total} jobs ({result.ran} run now, {total - result.ran} already done); "
          f"results in {os.path.join(args.out, 'results.csv')}")
    if result.failed:
        first = result.failed[0]
        sys.stderr.write(f"error: {len(result.failed)} of {total} jobs failed; their errors are "
                         f"in {os.path.join(args.out, 'jobs')}/*.error.json (first: point "
                         f"{first['point']}, replication {first['replication']}: "
                         f"{first['error']}); results.csv holds the {total - len(result.failed)} "
                         "successful rows; --resume runs the failed jobs again\n")
        return 1
    return 0
