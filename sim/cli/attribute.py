"""``sim attribute BASELINE.toml REFORM.toml``: which lever did it (Shapley values, one at a
time, leave one out, interactions), see :mod:`sim.analysis.attribution` and
docs/experiments.md; for two city files (``CITY.toml#none CITY.toml [--communities K]``)
city-wide and per household tercile, :mod:`sim.analysis.city_attribution`; with
``--worlds N``, in N sampled worlds of the declared uncertainties,
:mod:`sim.analysis.attribution_worlds`. The estimated time is printed on stderr before the
main work starts; ``--json`` prints one object on stdout."""

from __future__ import annotations

import argparse
import json
import sys

from sim.cli.execution import add_execution_options, add_quiet_option, execution_kwargs
from sim.cli.options import (
    int_option,
    out_dir_option,
    positive_float_option,
    scenario_file_option,
)
from sim.errors import InputError


def _attribute(args: argparse.Namespace) -> int:
    from sim.analysis.attribution import METHODS, attribute, check_metrics
    from sim.scenario import parse_set

    for f in (args.baseline, args.reform):
        scenario_file_option(f)
    if args.method not in METHODS:
        raise InputError(f"unknown method {args.method!r}", field="--method",
                         allowed=", ".join(METHODS))
    check_metrics(args.metric)     # (the study's default, the headline metrics, when None)
    kwargs = {
        "replications": int_option(args.replications, "--replications", 2),
        "seed": int_option(args.seed, "--seed", 0),
        "permutations": int_option(args.permutations, "--permutations", 2, 100_000),
        "max_permutations": int_option(args.max_permutations, "--max-permutations", 2, 100_000),
        "rank": int_option(args.rank, "--rank", 1, 64),
        "interactions": int_option(args.interactions, "--interactions", 0, 64),
        "budget": positive_float_option(args.budget, "--budget"),
        "overrides": dict(parse_set(x) for x in args.overrides),
    }
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    out_dir_option(args.out)
    if args.plot is not None:
        from sim import outputs

        outputs.check_file(args.plot, "--plot", "out/attribution.png")
    from sim.cli.explore import cities_option

    if args.worlds is not None:
        return _across_worlds(args, kwargs)
    for flag, given in (("--design", args.design), ("--vary", args.vary), ("--only", args.only)):
        if given is not None:
            raise InputError("samples worlds of the uncertain inputs: only with --worlds N",
                             field=flag, allowed=f"sim attribute A.toml B.toml --worlds N {flag} ...")
    kwargs.setdefault("interactions", 4)
    kwargs.setdefault("max_permutations", 2000)

    common = {"method": args.method, "metrics": args.metric, "out": args.out,
              "progress": False if args.no_progress else None,
              "on_estimate": lambda text: sys.stderr.write(text + "\n"),
              **execution_kwargs(args), **kwargs}
    if cities_option([args.baseline, args.reform], "sim attribute"):
        from sim.analysis.city_attribution import attribute_cities

        res = attribute_cities([args.baseline, args.reform], communities=int_option(
            args.communities, "--communities", 1), **common)
    else:
        if args.communities is not None:
            raise InputError("subsamples a city's communities; these are community scenarios",
                             field="--communities",
                             allowed="sim attribute CITY.toml#none CITY.toml --communities K")
        res = attribute(args.baseline, args.reform, **common)
    if args.plot:
        _plot(res, args.plot, args.lang)
    if args.json:
        sys.stdout.write(json.dumps(res.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(res.table(args.lang) + "\n")
    return 0


def _across_worlds(args: argparse.Namespace, kwargs: dict) -> int:
    """``--worlds N``: the attribution in N sampled worlds (sim.analysis.attribution_worlds)."""
    from sim.analysis.attribution_worlds import DEFAULT_REPLICATIONS, attribute_worlds
    from sim.cli.explore import cities_option

    if cities_option([args.baseline, args.reform], "sim attribute"):
        raise InputError("is for community scenarios; two city files are attributed in one "
                         "world", field="--worlds",
                         allowed="sim attribute BASELINE.toml REFORM.toml --worlds N")
    for flag, key in (("--interactions", "interactions"),
                      ("--max-permutations", "max_permutations")):
        if key in kwargs:
            raise InputError("is not used across worlds (no interaction index; the number of "
                             "orders is --permutations, the same in every world)", field=flag,
                             allowed="--worlds N without it")
    if args.communities is not None:
        raise InputError("subsamples a city's communities; these are community scenarios",
                         field="--communities", allowed="sim attribute A.toml B.toml --worlds N")
    res = attribute_worlds(
        args.baseline, args.reform, worlds_n=int_option(args.worlds, "--worlds", 1, 10_000),
        design=args.design or "lhs",
        replications=kwargs.get("replications", DEFAULT_REPLICATIONS),
        seed=kwargs.get("seed"), method=args.method, metrics=args.metric,
        permutations=kwargs.get("permutations"), rank=kwargs.get("rank", 4),
        budget=kwargs.get("budget", 180.0), vary=args.vary or (),
        only=[n.strip() for n in args.only.split(",") if n.strip()] if args.only else None,
        overrides_=kwargs.get("overrides"), out=args.out,
        progress=False if args.no_progress else None,
        on_estimate=lambda text: sys.stderr.write(text + "\n"), **execution_kwargs(args))
    if args.plot:
        from sim.plots.attribution import shapley_across_worlds

        _save(shapley_across_worlds(res, next(iter(res.metrics)), args.lang), args.plot)
    if args.json:
        sys.stdout.write(json.dumps(res.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(res.table(args.lang) + "\n")
    return 0


def _save(fig, path: str) -> None:
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)


def _plot(res, path: str, lang: str) -> None:
    """The figure of the first metric: Shapley values by household tercile for a city (with
    the city's waterfall beside it in the report), the waterfall otherwise."""
    from sim.plots.attribution import shapley_by_size, shapley_waterfall

    name = next(iter(res.metrics))
    fig = shapley_by_size(res, name, lang) if getattr(res, "by_size", None) \
        else shapley_waterfall(res, name, lang)
    _save(fig, path)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "attribute", help="split a reform's effect over its levers (Shapley values)",
        description="Run coalitions of the reform's levers (the baseline with some of them "
                    "on) with common random numbers and split each metric's total effect "
                    "over the levers by Shapley values, with one-at-a-time and leave-one-out "
                    "effects beside them and the interaction index of the strongest pairs.")
    p.add_argument("baseline", metavar="BASELINE.toml",
                   help="a community scenario, or a city file (CITY.toml#none: the city "
                        "before the reform)")
    p.add_argument("reform", metavar="REFORM.toml",
                   help="the baseline plus levers (its enabled levers beyond the baseline's are "
                        "the players)")
    p.add_argument("--method", default="auto",
                   help="exact (all 2^k coalitions), sampled (Latin-square blocks of orders, "
                        "each replication its own) or auto (exact when its estimated time is "
                        "within --budget; default)")
    p.add_argument("--budget", metavar="SECONDS", default="180",
                   help="time allowed for exact Shapley under --method auto, and for the "
                        "whole sampled study when its rule sizes the second stage (default 180)")
    p.add_argument("--replications", metavar="R",
                   help="replications of every coalition (exact), or of the sampled pilot "
                        "(default: the reform's, at most 10)")
    p.add_argument("--permutations", metavar="P",
                   help="sampled: exactly P orders spread over the replications (no rule); "
                        "default: a pilot of 2 groups of k/2 orders a replication, then one "
                        "second stage sized to rank the --rank largest contributions of the "
                        "first metric within --budget")
    p.add_argument("--max-permutations", metavar="P",
                   help="sampled: upper limit of the automatic rule (default 2000)")
    p.add_argument("--rank", metavar="K", default="4",
                   help="how many of the largest contributions in the direction of the total "
                        "effect (for a fall: reductions) to rank (default 4)")
    p.add_argument("--interactions", metavar="K",
                   help="interaction index of every pair among each metric's K largest levers "
                        "(default 4; 0: none)")
    p.add_argument("--metric", action="append", metavar="NAME",
                   help="a metric to attribute (repeatable; default: the headline metrics; the "
                        "first decides the sampled stopping rule)")
    p.add_argument("--seed", metavar="S", help="base seed (default: the reform's)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="set a scenario field in both scenarios (repeatable)")
    p.add_argument("--out", metavar="DIR",
                   help="keep every finished replication in DIR/coalitions; run again with the "
                        "same DIR to continue an interrupted study")
    p.add_argument("--communities", metavar="K",
                   help="city files only: keep the first K drawn communities (and the same "
                        "share of volunteer teams) for a quick run")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write the first metric's figure: Shapley values by household tercile "
                        "for two cities, every world's Shapley values with --worlds, the "
                        "waterfall otherwise")
    p.add_argument("--worlds", metavar="N",
                   help="split the effect in each of N sampled worlds of the declared "
                        "uncertainties (and --vary ranges), with the same replications and "
                        "orders in every world; prints each lever's Shapley value across the "
                        "worlds and how often it is with or against the total, first, in the "
                        "top --rank (replications default 3; sampled orders default k/2 a "
                        "replication)")
    p.add_argument("--design", choices=("lhs", "sobol"), default=None,
                   help="--worlds: Latin hypercube (default) or scrambled Sobol'")
    p.add_argument("--vary", metavar="PATH=LOW:HIGH", action="append", default=None,
                   help="--worlds: also vary a field of both scenarios uniformly (repeatable)")
    p.add_argument("--only", metavar="A,B",
                   help="--worlds: only these declared uncertainties (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    add_quiet_option(p)
    add_execution_options(p)
    p.set_defaults(func=_attribute)
