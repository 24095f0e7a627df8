"""``sim explore A.toml B.toml``: the paired comparison in many sampled worlds (an ensemble).

Samples ``--samples`` worlds of the declared uncertainties (and ``--vary PATH=LOW:HIGH``
ranges), runs ``--replications`` paired replications of both scenarios in each with common
random numbers, and prints, per headline metric, how sure the verdict is across worlds, then
the input boxes where the reform fails (PRIM and CART). ``--out DIR`` keeps every finished
simulation (``--resume DIR`` finishes a killed run with identical numbers) and writes
``worlds.csv``, ``result.json`` and figures. See :mod:`sim.analysis.explore`.

Two city files (``sim explore CITY.toml#none CITY.toml``) explore the city before and after
(:mod:`sim.analysis.city_explore`): every sampled world applies to every community of both
cities, the headline is the city figures' effect, and the same is broken down by household
tercile (``by_size`` in ``--json``; ``by_size.csv``, ``effects_by_size.png``). ``--communities
K`` keeps the first K drawn communities for a quick run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sim.cli.execution import add_execution_options, add_quiet_option, execution_kwargs
from sim.cli.options import int_option, out_dir_option, scenario_file_option
from sim.errors import InputError
from sim.metrics import HEADLINE

DEFAULT_SAMPLES = 200
DEFAULT_REPLICATIONS = 10
OPTIONS = ("samples", "design", "replications", "seed", "vary", "only", "overrides", "discover")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "explore", help="an ensemble: the comparison in many sampled worlds of the uncertain inputs",
        description="Sample worlds of the declared uncertainties (and --vary ranges), run paired "
                    "replications of both scenarios in each with common random numbers, and say "
                    "how sure each verdict is across worlds; then find the input boxes where a "
                    "condition holds (PRIM and CART). Two city files (CITY.toml#none CITY.toml) "
                    "explore the city before and after, every world in every community, with "
                    "the effects by household tercile. Exit 0 done, 1 simulations failed, 2 bad "
                    "input, 130/143 interrupted (--resume DIR continues).")
    p.add_argument("scenarios", metavar="SCENARIO.toml", nargs="+",
                   help="the baseline, then the reform (or two city files: CITY.toml#none "
                        "CITY.toml)")
    p.add_argument("--samples", metavar="N", help=f"worlds to sample (default {DEFAULT_SAMPLES})")
    p.add_argument("--design", choices=("lhs", "sobol"), default=None,
                   help="Latin hypercube (default) or scrambled Sobol' (best with N a power of 2)")
    p.add_argument("--replications", metavar="R",
                   help=f"paired replications per world (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--seed", metavar="S",
                   help="seed of the design and of the replications (default: the baseline's)")
    p.add_argument("--vary", metavar="PATH=LOW:HIGH", action="append", default=None,
                   help="also vary a field of every scenario uniformly (repeatable)")
    p.add_argument("--only", metavar="A,B",
                   help="only these declared uncertainties (default: all)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=None, dest="overrides",
                   help="set a field of every scenario (repeatable)")
    p.add_argument("--communities", metavar="K",
                   help="city files only: keep the first K drawn communities (and the same "
                        "share of them with a volunteer team), for a quick run")
    p.add_argument("--discover", metavar="CONDITION", action="append", default=None,
                   help="find the boxes where it holds: 'METRIC worse' (better, unclear, not "
                        "better, not worse) or 'METRIC < X' on the effect (repeatable; default: "
                        "'worse' for every headline metric worse in some worlds only)")
    add_execution_options(p)
    add_quiet_option(p)
    p.add_argument("--out", metavar="DIR",
                   help="keep every simulation and write worlds.csv, result.json, figures")
    p.add_argument("--resume", metavar="DIR", help="finish the explore in DIR (its options)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def _manifest(out: str) -> dict | None:
    path = os.path.join(out, "manifest.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the manifest: {exc}", file=path) from None
    if not isinstance(data, dict) or data.get("kind") != "explore":
        raise InputError("holds the output of something else, not a sim explore", file=path,
                         field="--out", allowed="a new directory or an explore directory")
    return data


def run(args: argparse.Namespace) -> int:
    from sim.analysis.explore import explore
    from sim.evaluate import DirectoryLock, Interrupted

    if args.resume:
        if args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
            raise InputError("--resume DIR already names the output directory", field="--out",
                             allowed="--resume DIR alone, or --out DIR alone")
        args.out = args.resume
    old = _manifest(args.out) if args.out else None
    if args.resume and old is None:
        raise InputError("holds no explore to resume (no manifest.json)", file=args.resume,
                         field="--resume", allowed="the --out directory of an earlier sim explore")
    if old is not None and not args.resume:
        raise InputError("already holds an explore: add --resume to finish it, or choose "
                         "another --out", file=args.out, field="--out")
    if old is not None and old.get("scenarios") != list(args.scenarios):
        raise InputError(f"holds an explore of {' '.join(old.get('scenarios') or [])}",
                         file=args.out, field="--resume",
                         allowed="the same scenario files, or another directory")
    saved = (old or {}).get("options", {})
    if len(args.scenarios) != 2:
        raise InputError(f"needs exactly two scenario files, got {len(args.scenarios)}",
                         field="sim explore", allowed="BASELINE.toml REFORM.toml")
    for s in args.scenarios:
        scenario_file_option(s)
    cities = cities_option(args.scenarios)
    if args.communities is not None and not cities:
        raise InputError("subsamples a city's communities; these are community scenarios",
                         field="--communities", allowed="sim explore CITY.toml#none CITY.toml "
                         "--communities K")
    out_dir_option(args.out)
    ex = execution_kwargs(args)
    opts = {
        "samples": int_option(args.samples, "--samples", 1) if args.samples is not None
        else saved.get("samples", DEFAULT_SAMPLES),
        "design": args.design or saved.get("design", "lhs"),
        "replications": int_option(args.replications, "--replications", 2)
        if args.replications is not None else saved.get("replications", DEFAULT_REPLICATIONS),
        "seed": int_option(args.seed, "--seed", 0) if args.seed is not None else saved.get("seed"),
        "vary": args.vary if args.vary is not None else saved.get("vary", []),
        "only": [n.strip() for n in args.only.split(",") if n.strip()] if args.only
        else saved.get("only"),
        "overrides": args.overrides if args.overrides is not None else saved.get("overrides", []),
        "discover": args.discover if args.discover is not None else saved.get("discover"),
    }
    if cities:
        opts["communities"] = int_option(args.communities, "--communities", 1) \
            if args.communities is not None else saved.get("communities")
    lock = DirectoryLock(args.out) if args.out else None

    def announce(line: str) -> None:
        # every check has passed: only now take the directory and say what will run
        if lock is not None:
            from sim.evaluate.store import atomic_write

            lock.acquire()
            atomic_write(Path(args.out, "manifest.json"), json.dumps(
                {"kind": "explore", "scenarios": list(args.scenarios), "options": opts,
                 "status": "running"}, indent=1) + "\n")
        sys.stderr.write(line + "\n")

    if cities:
        import functools

        from sim.analysis.city_explore import explore_cities

        explore = functools.partial(explore_cities,
                                    note=lambda line: sys.stderr.write(line + "\n"))
    try:
        result = explore(list(args.scenarios), **opts, **ex, progress=False if args.no_progress
                         else None, out=args.out,
                         announce=announce)
    except Interrupted:
        if args.out:
            sys.stderr.write(f"note: the finished simulations are kept; sim explore --resume "
                             f"{args.out} continues\n")
        raise
    except RuntimeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    finally:
        if lock is not None:
            lock.release()
    if args.out:
        from sim.evaluate.store import atomic_write

        atomic_write(Path(args.out, "manifest.json"), json.dumps(
            {"kind": "explore", "scenarios": list(args.scenarios), "options": opts,
             "status": "complete"}, indent=1) + "\n")
        _figures(result, args.out)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), allow_nan=False, ensure_ascii=False) + "\n")
        return 0
    runs = result.runs
    print(f"{result.worlds} worlds ({result.design}) x {result.replications} paired "
          f"replications of {result.scenarios[1]} against {result.scenarios[0]}; factors: "
          + ", ".join(f"{f.name} {f.low:g}..{f.high:g}" for f in result.factors)
          + f" ({runs.ran} simulations run, {runs.simulations - runs.ran} reused)")
    print()
    print("How sure (headline metrics):")
    for s in result.sentences():
        print(f"  - {s}")
    if cities:
        print()
        print("By community size (household terciles of the first city; a group's figure is "
              "the mean of its communities):")
        for g, part in result.by_size.items():
            lo, hi = part["households"]
            print(f"  {g} communities ({part['communities']}, {lo:,.0f}-{hi:,.0f} households):")
            for s in (part["headline"][m]["sentence"] for m in HEADLINE if m in part["headline"]):
                print(f"    - {s}")
    if result.boxes:
        print()
        print("Where it holds (scenario discovery):")
        for b in result.boxes:
            print(f"  - {b['sentence']}")
    return 0


def cities_option(files: list[str], command: str = "sim explore") -> bool:
    """True for two city files, False for two community scenarios; a mix is bad input."""
    from sim.analysis.city_compare import split_city_ref
    from sim.city import is_city_file

    kinds = [is_city_file(split_city_ref(f)[0]) for f in files]
    if any(kinds) and not all(kinds):
        raise InputError("mixes a city file and a community scenario", field=command,
                         file=files[kinds.index(False)],
                         allowed="two city files (CITY.toml#none CITY.toml) or two community "
                                 "scenarios")
    return all(kinds)


def _figures(result, out: str) -> None:
    from sim.plots.robustness import plot_boxes, plot_effects, plot_size_effects

    fig = plot_effects(result)
    fig.savefig(os.path.join(out, "effects.png"), dpi=110)
    if getattr(result, "by_size", None):
        plot_size_effects(result).savefig(os.path.join(out, "effects_by_size.png"), dpi=110)
    for k, box in enumerate(result.boxes):
        fig = plot_boxes(result, box)
        if fig is not None:
            fig.savefig(os.path.join(out, f"box_{k}_{box['method']}.png"), dpi=110)
