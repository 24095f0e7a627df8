"""``sim compare A.toml B.toml [C.toml ...]``: paired comparison of scenarios against the first.

Every scenario runs the same replication numbers with the same seed (common random
numbers); differences are paired by replication. Options as for ``sim run``; ``--set``
applies to every scenario. A scenario may be ``FILE#LEVER`` (one lever of a levers file,
docs/scenario-format.md); ``--levers a,b`` switches exactly those levers on in every scenario
but the baseline; ``--each-lever`` runs ``BASE REFORM`` as the baseline against each lever of
the reform alone, ``--all-but-one`` against the reform and the reform without each lever.
``--uncertain NAME=X`` fixes a declared uncertainty in every scenario, before levers
(:mod:`sim.cli.uncertain`). ``--report FILE.html`` also writes the HTML report of
:mod:`sim.report` from the same runs (what ``make run`` does), so the comparison runs once.
"""

from __future__ import annotations

import argparse
import os

from sim.cli.options import html_path_option
from sim.cli.run import add_experiment_options, run_experiment, save_file, with_levers
from sim.cli.uncertain import add_uncertain_option, per_scenario, uncertain_values, with_uncertain
from sim.errors import InputError


def lever_files(args: argparse.Namespace) -> list[str]:
    """The scenarios to compare: as given, or expanded by ``--levers``, ``--each-lever`` and
    ``--all-but-one`` into ``FILE#...`` references."""
    from sim.cli.options import scenario_file_option
    from sim.scenario.leverref import lever_names, ref

    files = list(args.scenarios)
    if args.levers is not None:
        files = files[:1] + [with_levers(f, args.levers) for f in files[1:]]
    if not (args.each_lever or args.all_but_one):
        return files
    flag = "--each-lever" if args.each_lever else "--all-but-one"
    if len(files) != 2 or args.levers is not None:
        raise InputError("takes exactly two scenarios, BASE.toml REFORM.toml, and no --levers",
                         field=flag, allowed="sim compare BASE.toml REFORM.toml " + flag)
    base, reform = files
    scenario_file_option(reform)
    if "#" in reform and not os.path.isfile(reform):
        raise InputError("the reform must be a file, not FILE#LEVER", file=reform, field=flag)
    names, on = lever_names(reform)
    out = [base]
    if args.each_lever:
        each = on or names
        if not each:
            raise InputError("defines no lever", file=reform, field=flag,
                             allowed="a scenario with [levers.NAME] tables")
        out += [ref(reform, n) for n in each]
    if args.all_but_one:
        if not on:
            raise InputError("switches no lever on", file=reform, field="--all-but-one",
                             allowed="a reform with enabled levers (e.g. bozhou_after.toml)")
        out += [reform] + [ref(reform, "-" + n) for n in on]
    return out


def _compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise InputError("needs at least two scenario files (the first is the baseline)",
                         field="sim compare")
    from sim.analysis.city_compare import split_city_ref
    from sim.city import is_city_file

    cities = [is_city_file(split_city_ref(f)[0]) for f in args.scenarios]
    if any(cities):
        return _compare_cities(args, cities)
    args.scenarios = lever_files(args)
    if args.report:
        html_path_option(args.report, "--report")
    import functools

    from sim.experiment import compare

    values = uncertain_values(args)
    if values:  # unknown names and values outside the range: exit 2 before any run
        from sim.scenario import parse_set

        per_scenario(list(args.scenarios), dict(parse_set(x) for x in args.overrides), values)
    # the report's figures need the event logs
    result, code = run_experiment(args, "compare", list(args.scenarios),
                                  with_uncertain(functools.partial(
                                      compare, adjust="none" if args.no_adjust else "holm"),
                                      values),
                                  events=bool(args.report) or None)
    if code:
        return code
    if args.report:
        import sys

        from sim.report import build_report

        if save_file(args.report, "--report", build_report(result, args.lang)):
            return 1
        sys.stderr.write(f"report: {args.report}\n")
    return code


def _compare_cities(args: argparse.Namespace, cities: list[bool]) -> int:
    """``sim compare CITY_BEFORE CITY_AFTER`` (:mod:`sim.analysis.city_compare`)."""
    import json
    import sys

    from sim.cli.execution import execution_kwargs
    from sim.cli.options import int_option
    from sim.scenario import parse_set

    if not all(cities) or len(args.scenarios) != 2:
        raise InputError("compares two city files, or community scenarios, not a mix",
                         file=args.scenarios[cities.index(False)] if not all(cities) else None,
                         field="sim compare", allowed="sim compare CITY.toml#none CITY.toml")
    for flag, given in (("--levers", args.levers), ("--each-lever", args.each_lever),
                        ("--all-but-one", args.all_but_one), ("--precision", args.precision),
                        ("--out", args.out), ("--resume", args.resume), ("--report", args.report),
                        ("--events", args.events)):
        if given:
            raise InputError("is not available for a city comparison", field=flag,
                             allowed="--replications, --seed, --set, --uncertain, --json, "
                                     "--no-adjust, --executor, --workers, --scheduler")
    from sim.analysis.city_compare import compare_cities

    res = compare_cities(list(args.scenarios), int_option(args.replications, "--replications", 2),
                         int_option(args.seed, "--seed", 0),
                         dict(parse_set(x) for x in args.overrides),
                         adjust="none" if args.no_adjust else "holm",
                         progress=False if args.no_progress else None,
                         uncertain=uncertain_values(args), **execution_kwargs(args))
    if args.json:
        sys.stdout.write(json.dumps(res.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(res.table(args.lang) + "\n")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="compare scenarios with the first, paired by replication",
        description="Run every scenario with the same replications and seed (common random "
                    "numbers) and show, per metric, the paired difference from the first "
                    "scenario with its 95% confidence interval and a verdict.")
    p.add_argument("scenarios", metavar="SCENARIO.toml", nargs="+",
                   help="the baseline first, then the scenarios to compare with it")
    add_experiment_options(p)
    p.add_argument("--levers", metavar="A,B",
                   help="switch exactly these levers on (all others off) in every scenario but "
                        "the baseline, as SCENARIO.toml#A,B would")
    p.add_argument("--each-lever", action="store_true",
                   help="with BASE.toml REFORM.toml: compare the baseline with each lever of the "
                        "reform alone (REFORM.toml#LEVER; its enabled levers, else all)")
    p.add_argument("--all-but-one", action="store_true",
                   help="with BASE.toml REFORM.toml: compare the baseline with the reform and "
                        "with the reform without each of its levers (REFORM.toml#-LEVER)")
    p.add_argument("--no-adjust", action="store_true",
                   help="judge every difference on its own (default: verdicts adjusted for "
                        "multiple comparisons by Holm's method, headline metrics one family)")
    add_uncertain_option(p)
    p.add_argument("--report", metavar="REPORT.html",
                   help="also write the self-contained HTML report (as `sim report`) from these runs")
    p.set_defaults(func=_compare)
