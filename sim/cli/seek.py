"""``sim seek SCENARIO.toml --vary KEY=LOW:HIGH --target "METRIC <= VALUE"``: the smallest
(``--largest``: largest) value of a key that meets a target with 95 % confidence, by
bisection on paired runs (:mod:`sim.analysis.seek`). Each point tried is printed on stderr
as it finishes; ``--json`` prints one object on stdout."""

from __future__ import annotations

import argparse
import json
import sys

from sim.cli.execution import add_execution_options, add_quiet_option, execution_kwargs
from sim.cli.options import int_option, positive_float_option, scenario_file_option


def _seek(args: argparse.Namespace) -> int:
    from sim.analysis.seek import parse_target, parse_vary, seek
    from sim.scenario import parse_set

    parse_target(args.target)
    parse_vary(args.vary)
    for f in (args.scenario, args.against):
        if f is not None:
            scenario_file_option(f)
    res = seek(args.scenario, args.vary, args.target, against=args.against,
               largest=args.largest,
               replications=int_option(args.replications, "--replications", 2),
               seed=int_option(args.seed, "--seed", 0),
               tolerance=positive_float_option(args.tolerance, "--tolerance"),
               max_points=int_option(args.max_points, "--max-points", 3, 200),
               overrides=dict(parse_set(x) for x in args.overrides),
               progress=False if args.no_progress else None,
               on_point=None if args.no_progress else (lambda t: sys.stderr.write(t + "\n")),
               **execution_kwargs(args))
    if args.json:
        sys.stdout.write(json.dumps(res.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(res.table() + "\n")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "seek", help="the smallest (or largest) value of a key that meets a target",
        description="Bisection on paired runs (common random numbers) for the smallest value "
                    "of KEY in LOW:HIGH at which the target holds with 95%% confidence (the "
                    "metric's whole interval on the right side). With --against, the metric "
                    "is the paired difference SCENARIO - BASELINE.")
    p.add_argument("scenario", metavar="SCENARIO.toml")
    p.add_argument("--vary", required=True, metavar="KEY=LOW:HIGH",
                   help="the key and its range; integer ends (0:12) search integers")
    p.add_argument("--target", required=True, metavar='"METRIC <= VALUE"',
                   help="the condition (<=, <, >=, >)")
    p.add_argument("--against", metavar="BASELINE.toml",
                   help="compare with this scenario: the target is on the difference")
    p.add_argument("--largest", action="store_true",
                   help="the largest value meeting the target (default: the smallest)")
    p.add_argument("--replications", metavar="R",
                   help="replications per point (default: the scenario's)")
    p.add_argument("--seed", metavar="S")
    p.add_argument("--tolerance", metavar="T",
                   help="stop when the bracket is at most T wide (default: range/64; integers: 1)")
    p.add_argument("--max-points", metavar="N", default="24",
                   help="at most N points (default 24)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="set a scenario field in every run (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_quiet_option(p)
    add_execution_options(p)
    p.set_defaults(func=_seek)
