"""``sim sensitivity SCENARIO.toml [REFORM.toml] [--method morris|sobol]``: which uncertain
inputs move the results (or, for two scenarios, the reform's effect).

Morris screening over every declared uncertainty (and ``--vary`` range), then with
``--method sobol`` Sobol' first and total indices of the ``--top`` factors; SALib's own sample
size rules are checked before anything runs (exit 2). ``--out DIR`` keeps every simulation and
writes ``result.json`` and the tornado and Sobol' bar figures. See :mod:`sim.analysis.sensitivity`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from sim.cli.execution import add_execution_options, add_quiet_option, execution_kwargs
from sim.cli.options import int_option, out_dir_option, scenario_file_option
from sim.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sensitivity", help="Morris screening and Sobol' indices of the uncertain inputs (SALib)",
        description="Morris screening of every declared uncertainty (and --vary range), then "
                    "with --method sobol Sobol' first and total indices of the --top factors. "
                    "With two scenarios, the sensitivity of the paired difference (the reform's "
                    "effect). Each design point runs --replications replications with common "
                    "random numbers. Exit 0 done, 1 simulations failed, 2 bad input.")
    p.add_argument("scenarios", metavar="SCENARIO.toml", nargs="+",
                   help="one scenario, or the baseline and the reform")
    p.add_argument("--method", choices=("morris", "sobol"), default="morris",
                   help="morris (screening only, default) or sobol (Morris, then Sobol' on --top)")
    p.add_argument("--metric", metavar="NAME", action="append", default=None, dest="metrics",
                   help="a metric to analyse (repeatable; default: the headline metrics)")
    p.add_argument("--trajectories", metavar="N", help="Morris trajectories (default 10, >= 2)")
    p.add_argument("--samples", metavar="N",
                   help="Sobol' base samples N, a power of two as SALib requires (default 64): "
                        "N x (k + 2) points")
    p.add_argument("--top", metavar="K", help="factors Sobol' analyses (default 4)")
    p.add_argument("--replications", metavar="R", help="replications per point (default 3)")
    p.add_argument("--seed", metavar="S", help="seed of the designs and replications")
    p.add_argument("--vary", metavar="PATH=LOW:HIGH", action="append", default=[],
                   help="also vary a field of every scenario uniformly (repeatable)")
    p.add_argument("--only", metavar="A,B", help="only these declared uncertainties")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="set a field of every scenario (repeatable)")
    add_execution_options(p)
    add_quiet_option(p)
    p.add_argument("--out", metavar="DIR",
                   help="keep every simulation (a rerun reuses them), write result.json, figures")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.analysis.sensitivity import sensitivity

    if not 1 <= len(args.scenarios) <= 2:
        raise InputError(f"takes one or two scenario files, got {len(args.scenarios)}",
                         field="sim sensitivity",
                         allowed="SCENARIO.toml, or BASELINE.toml REFORM.toml")
    for s in args.scenarios:
        scenario_file_option(s)
    out_dir_option(args.out)
    ex = execution_kwargs(args)

    def opt(value, flag, default, minimum=1):
        return default if value is None else int_option(value, flag, minimum)

    try:
        result = sensitivity(
            list(args.scenarios), args.method, metrics=args.metrics,
            trajectories=opt(args.trajectories, "--trajectories", 10),
            samples=opt(args.samples, "--samples", 64), top=opt(args.top, "--top", 4),
            replications=opt(args.replications, "--replications", 3),
            seed=opt(args.seed, "--seed", None, 0), vary=args.vary,
            only=[n.strip() for n in args.only.split(",") if n.strip()] if args.only else None,
            overrides=args.overrides, **ex, progress=False if args.no_progress else None,
            out=args.out, announce=lambda line: sys.stderr.write(line + "\n"))
    except RuntimeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if args.out:
        _write(result, args.out)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), allow_nan=False, ensure_ascii=False) + "\n")
        return 0
    what = (f"the effect of {result.scenarios[1]} against {result.scenarios[0]}"
            if result.of_difference else result.scenarios[0])
    print(f"Sensitivity of {what} ({result.method}; {result.replications} replications a point; "
          f"factors: {', '.join(f.name for f in result.factors)})")
    if result.ranking:
        print("Morris ranking (share of the largest mu*, best over the metrics): "
              + ", ".join(f"{n} {s:.2f}" for n, s in result.ranking))
    for s in result.sentences():
        print(f"  - {s}")
    return 0


def _write(result, out: str) -> None:
    from pathlib import Path

    from sim.evaluate.store import atomic_write
    from sim.plots.robustness import sobol_bars, tornado

    atomic_write(Path(out, "result.json"), json.dumps(result.to_json(), allow_nan=False,
                                                      ensure_ascii=False, indent=1) + "\n")
    for m, mo in result.morris.items():
        tornado(mo, f"Morris: {m}").savefig(os.path.join(out, f"tornado_{m}.png"), dpi=100)
    for m, so in result.sobol.items():
        sobol_bars(so, f"Sobol': {m}").savefig(os.path.join(out, f"sobol_{m}.png"), dpi=100)
