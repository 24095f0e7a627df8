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
    attribution = read_attribution(args.attribution) if args.attribution else None
    from sim.experiment import compare

    result = compare(args.scenarios, **kwargs)
    if save_file(args.output, "-o", build_report(result, args.lang, explore=ens,
                                                 attribution=attribution)):
        return 1
    sys.stdout.write(f"{args.output}\n")
    sys.stdout.flush()
    return 0


# what the report's "Which measure did it" reads of an attribution's JSON: per metric row
_ROW = ("total", "total_ci95", "levers")
_LEVER = ("shapley", "ci95", "one_at_a_time", "leave_one_out")
_WORLDS_ROW = ("total", "levers", "sentences")
_WORLDS_LEVER = ("shapley_median", "shapley_p05", "shapley_p95", "share_of_total_median",
                 "worlds_with_total", "worlds_against_total", "worlds_unclear", "worlds_first",
                 "worlds_top")
_TEXT = ("method", "levers", "metrics", "factors", "per_world", "sentences", "sentence", "total",
         "permutations")


def _number(x) -> bool:
    return x is None or (isinstance(x, int | float) and not isinstance(x, bool))


ALLOWED = ("the JSON of sim attribute --json (saved to a file), or the --out DIR (or its "
           "result.json) of sim attribute --worlds N")


def read_attribution(path: str) -> dict:
    """An attribution for the report: a file holding ``sim attribute --json``'s object, or
    the ``--out`` directory of ``sim attribute --worlds N`` (its ``result.json``). Anything
    else is bad input naming the file and what is missing, before the comparison runs."""
    import json
    import os

    file = os.path.join(path, "result.json") if os.path.isdir(path) else path
    try:
        with open(file, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError("not found", file=file, field="--attribution",
                         allowed=ALLOWED) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it as JSON: {exc}", file=file, field="--attribution",
                         allowed=ALLOWED) from None
    worlds = isinstance(data, dict) and "per_world" in data
    need_top = ("method", "levers", "replications", "metrics") + (
        ("worlds", "factors", "permutations", "rank", "per_world") if worlds else ())
    row_keys, lever_keys = (_WORLDS_ROW, _WORLDS_LEVER) if worlds else (_ROW, _LEVER)

    def missing(where: str, obj, keys, typed: bool = True) -> None:
        if not isinstance(obj, dict):
            raise InputError(f"is not a sim attribute result: {where} is not an object",
                             file=file, field="--attribution", allowed=ALLOWED)
        gone = [k for k in keys if k not in obj]
        if gone:
            raise InputError(f"is not a sim attribute result: {where} has no "
                             f"{', '.join(gone)}", file=file, field="--attribution",
                             allowed=ALLOWED)
        for k in keys if typed else ():   # numbers (null for none), intervals [low, high]
            v = obj[k]
            ok = (isinstance(v, list) and len(v) == 2 and all(map(_number, v))
                  if k.endswith("ci95") else _number(v) if k not in _TEXT else True)
            if not ok:
                raise InputError(f"is not a sim attribute result: {where}.{k} is "
                                 f"{repr(v)[:60]}",
                                 file=file, field="--attribution", allowed=ALLOWED)

    missing("the file", data, need_top)
    missing("metrics", data["metrics"], ())
    from sim.metrics import METRICS

    for name, row in data["metrics"].items():
        if name not in METRICS:
            raise InputError(f"is not a sim attribute result: unknown metric {name!r}",
                             file=file, field="--attribution", allowed=ALLOWED)
        missing(f"metrics.{name}", row, row_keys)
        if worlds:
            missing(f"metrics.{name}.total", row["total"], ("effect_median", "effect_p05",
                                                             "effect_p95", "sentence"))
        missing(f"metrics.{name}.levers", row["levers"], ())
        for lever, v in row["levers"].items():
            missing(f"metrics.{name}.levers.{lever}", v, lever_keys)
    if worlds:
        if not isinstance(data["per_world"], list):
            raise InputError("is not a sim attribute result: per_world is not a list",
                             file=file, field="--attribution", allowed=ALLOWED)
        for w, table in enumerate(data["per_world"]):
            missing(f"per_world[{w}]", table, tuple(data["metrics"]), typed=False)
            for name in data["metrics"]:
                missing(f"per_world[{w}].{name}", table[name], _ROW)
                missing(f"per_world[{w}].{name}.levers", table[name]["levers"], ())
                for lever, v in table[name]["levers"].items():
                    missing(f"per_world[{w}].{name}.levers.{lever}", v, ("shapley", "ci95"))
    return data


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
    p.add_argument("--attribution", metavar="FILE.json|DIR",
                   help="add 'Which measure did it' from sim attribute --json saved to a file, "
                        "or from the --out DIR of sim attribute --worlds N")
    add_execution_options(p)
    p.set_defaults(func=_report, events=True)
