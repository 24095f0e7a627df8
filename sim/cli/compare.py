"""``sim compare A.toml B.toml [C.toml ...]``: paired comparison of scenarios against the first.

Every scenario runs the same replication numbers with the same seed (common random
numbers); differences are paired by replication. Options as for ``sim run``; ``--set``
applies to every scenario. ``--report FILE.html`` also writes the HTML report of
:mod:`sim.report` from the same runs (what ``make run`` does), so the comparison runs once.
"""

from __future__ import annotations

import argparse

from sim.cli.options import html_path_option
from sim.cli.run import add_experiment_options, run_experiment, save_file
from sim.errors import InputError


def _compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise InputError("needs at least two scenario files (the first is the baseline)",
                         field="sim compare")
    if args.report:
        html_path_option(args.report, "--report")
    from sim.experiment import compare

    # the report's figures need the event logs
    result, code = run_experiment(args, "compare", list(args.scenarios), compare,
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


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="compare scenarios with the first, paired by replication",
        description="Run every scenario with the same replications and seed (common random "
                    "numbers) and show, per metric, the paired difference from the first "
                    "scenario with its 95% confidence interval and a verdict.")
    p.add_argument("scenarios", metavar="SCENARIO.toml", nargs="+",
                   help="the baseline first, then the scenarios to compare with it")
    add_experiment_options(p)
    p.add_argument("--report", metavar="REPORT.html",
                   help="also write the self-contained HTML report (as `sim report`) from these runs")
    p.set_defaults(func=_compare)
