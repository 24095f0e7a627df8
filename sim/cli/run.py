"""``sim run SCENARIO.toml``: replications of one scenario with 95 % confidence intervals.

Prints a table (or, with ``--json``, exactly one JSON object on stdout, see docs/experiments.md);
``--out DIR`` writes the CSVs. Heavy imports happen inside the functions, so ``sim --help``
stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from sim.cli.execution import (
    ExperimentDir,
    add_execution_options,
    add_quiet_option,
    execution_kwargs,
    resolve_out,
)
from sim.cli.options import int_option, positive_float_option, scenario_file_option
from sim.errors import InputError


def add_replication_options(p: argparse.ArgumentParser) -> None:
    """How many replications, which seed, which overrides: shared by run, compare, report."""
    p.add_argument("--replications", metavar="N",
                   help="replications 0..N-1 (default: the (first) scenario's scenario.replications; "
                        "with --precision, where to start)")
    p.add_argument("--precision", metavar="P",
                   help="add replications until every headline metric's 95%% CI half-width is at "
                        "most P x |mean| (e.g. 0.05), see docs/experiments.md")
    p.add_argument("--max-replications", metavar="N", default="200",
                   help="upper limit for --precision (default 200)")
    p.add_argument("--seed", metavar="S", help="base seed (default: the (first) scenario's)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="set a scenario field by dotted path, e.g. office.workers=8 (repeatable; "
                        "applies to every scenario)")
    add_quiet_option(p)


def add_experiment_options(p: argparse.ArgumentParser) -> None:
    """The options of ``sim run`` and ``sim compare``: replications and output."""
    add_replication_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", metavar="DIR",
                   help="write CSV (and Parquet) files, result.json and manifest.json to DIR; "
                        "every finished replication is kept in DIR/replications at once")
    p.add_argument("--resume", metavar="DIR",
                   help="continue an interrupted run whose --out was DIR: only the missing "
                        "replications run; the numbers are those of an uninterrupted run")
    p.add_argument("--events", action="store_true", help="keep per-task event logs (events.csv)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="table language")
    add_execution_options(p)


def experiment_kwargs(args: argparse.Namespace, files: list[str]) -> dict[str, Any]:
    """Check the shared options and the scenario files; keyword arguments for run/compare."""
    from sim.scenario import parse_set

    kwargs = {
        "replications": int_option(args.replications, "--replications", 1),
        "precision": positive_float_option(args.precision, "--precision"),
        "max_replications": int_option(args.max_replications, "--max-replications", 1),
        "seed": int_option(args.seed, "--seed", 0),
        "overrides": dict(parse_set(item) for item in args.overrides),
        "events": bool(args.events),
        "progress": False if args.no_progress else None,
    }
    if hasattr(args, "executor"):
        kwargs.update(execution_kwargs(args))
    out_dir_option(getattr(args, "out", None))
    for f in files:
        scenario_file_option(f)
    return kwargs


def out_dir_option(out: str | None) -> None:
    """``--out DIR`` must be a directory or not exist yet: checked before the runs."""
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise InputError("is an existing file, expected a directory to write into", field="--out",
                         allowed="a directory (created if missing)")


def run_experiment(args: argparse.Namespace, kind: str, files: list[str], call) -> tuple[Any, int]:
    """Run ``call(**kwargs)`` (``sim.experiment.run`` or ``compare``) with the checked options,
    the ``--out``/``--resume`` directory (lock, manifest, replication cache) and the
    interruption rule: on SIGINT/SIGTERM the finished replications are written, marked
    partial, with one line on stderr. Returns the result and the exit code (0, 130, 143)."""
    from sim.evaluate import Interrupted
    from sim.experiment import ExperimentInterrupted

    resolve_out(args)
    kwargs = experiment_kwargs(args, files)
    exp = ExperimentDir(args.out, kind, files, bool(args.resume)) if args.out else None
    if exp is not None:
        exp.defaults(kwargs)
        kwargs["store"] = args.out
        exp.start(kwargs, files)
    try:
        try:
            result, code = call(files, **kwargs), 0
        except ExperimentInterrupted as exc:
            result, code = exc.result, exc.exit_code
        except BaseException as exc:
            if exp is not None:   # e.g. the dask scheduler was lost: --resume continues it
                stopped = isinstance(exc, KeyboardInterrupt | Interrupted)
                exp.manifest["status"] = "interrupted" if stopped else "failed"
                exp.write()
            raise
        if exp is not None:
            exp.finish(result, "complete" if code == 0 else "interrupted")
    finally:
        if exp is not None:
            exp.close()
    if code:
        p = result.partial
        where = (f"; partial results in {args.out} (continue with --resume {args.out})"
                 if args.out else "; partial results below (use --out DIR to keep them)")
        sys.stderr.write(f"interrupted by {p['signal']}: {p['replications_done']} of "
                         f"{p['replications_requested']} replications finished{where}\n")
    return result, code


def emit(result, args: argparse.Namespace) -> None:
    """Print the JSON object or the table on stdout; write the CSVs for ``--out``."""
    if args.out:
        written = result.write_csv(args.out, events=bool(args.events))
        sys.stderr.write(f"wrote {len(written)} files to {args.out}\n")
    if args.json:
        import json

        sys.stdout.write(json.dumps(result.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(result.table(args.lang) + "\n")
    sys.stdout.flush()


def _run_city(args: argparse.Namespace) -> int:
    """``sim run CITY.toml``: the city's figures (docs/city.md)."""
    from sim.city import load_city, run_city
    from sim.scenario import parse_set

    for flag, given in (("--precision", args.precision), ("--events", args.events)):
        if given:
            raise InputError("is not available for a city scenario", file=args.scenario,
                             field=flag, allowed="--replications, --seed, --set, --executor, "
                                                 "--workers, --scheduler, --json, --out")
    if args.resume:
        raise InputError("is not available for a city scenario (a city run keeps no "
                         "replication cache)", file=args.scenario, field="--resume",
                         allowed="--out DIR")
    out_dir_option(args.out)
    execution = execution_kwargs(args)
    city = load_city(args.scenario, [parse_set(x) for x in args.overrides])
    res = run_city(city, int_option(args.replications, "--replications", 1),
                   int_option(args.seed, "--seed", 0),
                   progress=False if args.no_progress else None, **execution)
    emit(res, args)
    return 0


def _run(args: argparse.Namespace) -> int:
    from sim.city import is_city_file

    if os.path.isfile(args.scenario) and is_city_file(args.scenario):
        return _run_city(args)
    from sim.experiment import run

    result, code = run_experiment(args, "run", [args.scenario], lambda files, **kw: run(files[0], **kw))
    emit(result, args)
    return code


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="replications of one scenario, with 95%% confidence intervals",
        description="Run replications 0..N-1 of a scenario and print each metric's mean and 95% "
                    "t-interval (headline metrics first).")
    p.add_argument("scenario", metavar="SCENARIO.toml")
    add_experiment_options(p)
    p.set_defaults(func=_run)
