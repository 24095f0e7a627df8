"""``sim report A.toml B.toml [...] -o report.html``: one self-contained HTML report.

Runs the comparison (as ``sim compare``, with the per-task event logs the figures need, on
the executor of ``--executor``/``--workers``/``--scheduler``, like every study), then writes the page of :func:`sim.report.write_report` (which only draws) and prints its
path on stdout.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.execution import add_execution_options
from sim.cli.options import html_path_option
from sim.cli.run import add_replication_options, experiment_kwargs, save_file
from sim.errors import InputError


def _report(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise InputError("needs at least two scenario files (the first is the baseline)",
                         field="sim report")
    html_path_option(args.output, "-o")
    kwargs = experiment_kwargs(args, args.scenarios, events=True)  # the figures need them
    from sim.report import build_report, check_output

    check_output(args.output, args.lang)              # before the runs
    ens = None
    if args.explore:
        from sim.analysis.explore import read_explore

        ens = read_explore(args.explore)
    from sim.experiment import compare

    result = compare(args.scenarios, **kwargs)
    if save_file(args.output, "-o", build_report(result, args.lang, explore=ens)):
        return 1
    sys.stdout.write(f"{args.output}\n")
    sys.stdout.flush()
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="compare scenarios and write one self-contained HTML report",
        description="Run the scenarios as `sim compare` does (the first is the baseline; common "
                    "random numbers, paired differences) and write one HTML file: the question, "
                    "the scenarios and what differs between them, the headline table, figures, "
                    "all metrics and a STRESS-DES model documentation. The page makes no "
                    "external requests. Prints the path written.")
    p.add_argument("scenarios", metavar="SCENARIO.toml", nargs="+",
                   help="the baseline first, then the scenarios to compare with it")
    p.add_argument("-o", "--output", metavar="REPORT.html", required=True,
                   help="the HTML file to write (parent directories are created)")
    add_replication_options(p)
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of the report: en (default) or zh (Chinese)")
    p.add_argument("--explore", metavar="DIR",
                   help="add 'How sure are we' from a finished sim explore --out DIR")
    add_execution_options(p)
    p.set_defaults(func=_report, events=True)
