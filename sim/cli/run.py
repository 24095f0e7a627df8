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
from sim.cli.options import (
    add_allow_large,
    int_option,
    out_dir_option,
    positive_float_option,
    scenario_file_option,
)
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
    add_allow_large(p)


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


def experiment_kwargs(args: argparse.Namespace, files: list[str], events: bool | None = None
                      ) -> dict[str, Any]:
    """Check the shared options, the output directory, the scenario files and the size of
    the run (``events``: keep event logs whatever ``--events`` says); keyword arguments for
    run/compare/report."""
    from sim.scenario import parse_set

    kwargs = {
        "replications": int_option(args.replications, "--replications", 1),
        "precision": positive_float_option(args.precision, "--precision"),
        "max_replications": int_option(args.max_replications, "--max-replications", 1),
        "seed": int_option(args.seed, "--seed", 0),
        "overrides": dict(parse_set(item) for item in args.overrides),
        "events": bool(getattr(args, "events", False)) if events is None else events,
        "progress": False if args.no_progress else None,
    }
    if hasattr(args, "executor"):
        kwargs.update(execution_kwargs(args))
    out_dir_option(getattr(args, "out", None))
    for f in files:
        scenario_file_option(f)
    check_size(files, kwargs, bool(getattr(args, "allow_large", False)))
    return kwargs


def check_size(files: list[str], kwargs: dict[str, Any], allow_large: bool) -> None:
    """Refuse, before any replication, a run whose estimated size is above the ceilings of
    :mod:`sim.scenario.cost` (unless ``--allow-large``)."""
    from sim.scenario import load_scenario
    from sim.scenario.cost import check_budget

    n = kwargs["replications"]
    if kwargs["precision"] is not None:
        n = max(n or 0, kwargs["max_replications"] or 200)
    first = None
    for f in files:
        sc = load_scenario(f, kwargs["overrides"])
        first = first or sc
        check_budget(sc, n if n is not None else first.scenario.replications,
                     events=kwargs["events"], allow_large=allow_large)




def run_experiment(args: argparse.Namespace, kind: str, files: list[str], call,
                   events: bool | None = None) -> tuple[Any, int]:
    """Run the experiment (:func:`_experiment`), then print its table or JSON and write its
    files (:func:`emit`). Returns the result and the exit code."""
    result, code, late = _experiment(args, kind, files, call, events)
    written = emit(result, args)
    if late is not None and not written:   # the files are there, but not the manifest
        from sim import outputs

        sys.stderr.write(f"error: --out: cannot record the run in {args.out}: "
                         f"{outputs.io_message(late)}\n")
        return result, 1
    return result, written or code


def _experiment(args: argparse.Namespace, kind: str, files: list[str], call,
                events: bool | None) -> tuple[Any, int, OSError | None]:
    """Run ``call(**kwargs)`` (``sim.experiment.run`` or ``compare``) with the checked options,
    the ``--out``/``--resume`` directory (lock, manifest, replication cache) and the
    interruption rule: on SIGINT/SIGTERM the finished replications are written, marked
    partial, with one line on stderr. Returns the result and the exit code (0, 130, 143)."""
    from sim.evaluate import Interrupted
    from sim.experiment import ExperimentInterrupted

    resolve_out(args)
    kwargs = experiment_kwargs(args, files, events)
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
        late = None
        if exp is not None:
            try:
                exp.finish(result, "complete" if code == 0 else "interrupted")
            except OSError as exc:   # a full disk: the table and files still come (emit)
                late = exc
    finally:
        if exp is not None:
            exp.close()
    if code:
        p = result.partial
        where = (f"; partial results in {args.out} (continue with --resume {args.out})"
                 if args.out else "; partial results below (use --out DIR to keep them)")
        sys.stderr.write(f"interrupted by {p['signal']}: {p['replications_done']} of "
                         f"{p['replications_requested']} replications finished{where}\n")
    return result, code, late


def emit(result, args: argparse.Namespace) -> int:
    """Print the JSON object or the table on stdout, then write the CSVs for ``--out``
    (atomically; if that fails, into a rescue directory). Returns the exit code."""
    if args.json:
        import json

        sys.stdout.write(json.dumps(result.to_json(), allow_nan=False) + "\n")
    else:
        sys.stdout.write(result.table(args.lang) + "\n")
    sys.stdout.flush()
    if args.out:
        events = bool(getattr(args, "events", False))
        return save_files(args.out, "--out",
                          lambda d: result.write_csv(d, events=events),
                          lambda d: result.write_csv(d, events=False))
    return 0


def save_files(out: str, flag: str, write, write_small=None) -> int:
    """Write a result's files into ``out`` with ``write(directory)`` (atomically, file by
    file); on an I/O error, say so in one line and save them in a rescue directory instead
    (without the event logs, ``write_small``, if the full set does not fit). Returns 0 or 1."""
    from sim import outputs

    try:
        written = outputs.write_dir_atomic(out, write)
    except OSError as exc:
        where = _rescue(write, write_small)
        sys.stderr.write(f"error: {flag}: cannot write into {out}: {outputs.io_message(exc)}; "
                         f"{where}\n")
        return 1
    sys.stderr.write(f"wrote {len(written)} files to {out}\n")
    return 0


def save_file(path: str, flag: str, text: str) -> int:
    """Write ``text`` to ``path`` atomically; on an I/O error, one line and a copy in a
    rescue directory. Returns 0 or 1."""
    from sim import outputs

    try:
        outputs.write_atomic(path, text)
    except OSError as exc:
        name = os.path.basename(path) or "output"
        where = _rescue(lambda d: [outputs.write_atomic(os.path.join(d, name), text)], None)
        sys.stderr.write(f"error: {flag}: cannot write {path}: {outputs.io_message(exc)}; "
                         f"{where.replace('the results were', 'it was')}\n")
        return 1
    return 0


def _rescue(write, write_small) -> str:
    from sim import outputs

    for attempt, what in ((write, "the results"), (write_small, "the results without event logs")):
        if attempt is None:
            continue
        try:
            d = outputs.rescue_dir()
            attempt(d)
            return f"{what} were saved to {d} instead"
        except OSError:
            continue
    return "they could not be saved elsewhere either; the table above holds the summary"


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
    replications = int_option(args.replications, "--replications", 1)
    check_city_size(city, replications, execution.get("workers") or 1, args.allow_large)
    from sim.city.run import CityInterrupted

    try:
        res = run_city(city, replications, int_option(args.seed, "--seed", 0),
                       progress=False if args.no_progress else None, **execution)
    except CityInterrupted as exc:   # keep what finished: replications 0..m-1, marked partial
        p = exc.result.partial
        code = emit(exc.result, args)
        where = f"; partial results in {args.out}" if args.out else "; partial results above"
        sys.stderr.write(f"interrupted by {p['signal']}: {p['replications_done']} of "
                         f"{p['replications_requested']} replications finished for every "
                         f"community{where}\n")
        return code or exc.exit_code
    return emit(res, args)


def check_city_size(city, replications: int | None, workers: int, allow_large: bool,
                    runs: int = 1) -> None:
    """The size check of :func:`check_size` for a city: every community, ``runs`` times."""
    from sim.scenario.cost import check_budget

    n = (replications or city.replications) * runs
    for com in city.communities:
        check_budget(com.scenario, n, points=len(city.communities),
                     parallel=min(workers, len(city.communities)), allow_large=allow_large,
                     total_field="--replications")


def with_levers(file: str, levers: str) -> str:
    """``FILE#LEVERS`` for ``--levers``; a file that already selects levers is refused."""
    from sim.scenario.leverref import ref, split_ref

    if split_ref(file)[1] is not None:
        raise InputError("already selects levers with '#'", file=file, field="--levers",
                         allowed="either FILE#LEVER or --levers, not both")
    if not levers.strip():
        raise InputError("expected lever names", field="--levers", allowed="--levers a,b")
    return ref(file, levers.replace(" ", ""))


def _run(args: argparse.Namespace) -> int:
    from sim.scenario.files import is_city_file

    if os.path.isfile(args.scenario) and is_city_file(args.scenario):
        return _run_city(args)
    from sim.experiment import run

    if args.levers is not None:
        args.scenario = with_levers(args.scenario, args.levers)
    _, code = run_experiment(args, "run", [args.scenario], lambda files, **kw: run(files[0], **kw))
    return code


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="replications of one scenario, with 95%% confidence intervals",
        description="Run replications 0..N-1 of a scenario and print each metric's mean and 95% "
                    "t-interval (headline metrics first).")
    p.add_argument("scenario", metavar="SCENARIO.toml",
                   help="a scenario file, or FILE#LEVER: one lever of a levers file")
    add_experiment_options(p)
    p.add_argument("--levers", metavar="A,B",
                   help="switch exactly these levers of the scenario on (all others off)")
    p.set_defaults(func=_run)
