"""``sim calibrate CITY.toml``: calibrate a city's ``[[calibrate]]`` inputs to its
``[[targets]]`` (method: :mod:`sim.city.calibrate`, ``docs/city.md``).

Prints the calibrated values (as TOML lines to put in the scenario files) and the
verification table; ``--out FILE.json`` writes the full record (design, runs, emulator fits,
solution, verification); while it runs, ``FILE.json.partial.json`` holds the design points
run so far, so an interrupted calibration keeps them. Exit codes: 0 calibrated and every target passes at the solution,
1 a target still fails, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from sim.cli.execution import add_execution_options, execution_kwargs
from sim.cli.options import add_allow_large, int_option, json_path_option, scenario_file_option
from sim.errors import InputError


def _run(args: argparse.Namespace) -> int:
    from sim.city import load_city
    from sim.scenario import parse_set
    from sim.scenario.files import is_city_file

    path = scenario_file_option(args.scenario)
    if not is_city_file(path):
        raise InputError("not a city scenario: sim calibrate needs a [city] file with "
                         "[[calibrate]] and [[targets]]", file=path, field="city",
                         allowed="a city file (docs/city.md)")
    out = json_path_option(args.out, "--out")
    partial = f"{out}.partial.json" if out else None
    json_path_option(partial, "--out")
    cutoff = _cutoff(args.cutoff)
    city = load_city(path, [parse_set(x) for x in args.overrides])
    if args.from_record:
        return _from_record(city, args.from_record, cutoff, out, args.json)
    execution = execution_kwargs(args)
    sizes = _sizes(args)
    from sim.cli.run import check_city_size

    check_city_size(city, sizes["replications"], execution.get("workers") or 1, args.allow_large,
                    runs=sizes["points"] * sizes["rounds"] + sizes["verify_replications"])
    quiet = args.no_progress

    def say(msg: str) -> None:
        if not quiet:
            sys.stderr.write(msg + "\n")
            sys.stderr.flush()

    def keep(design: list) -> None:  # the design so far, in case the run is interrupted
        if partial:
            from sim.outputs import write_atomic

            write_atomic(partial, json.dumps({"city": city.path, "complete": False,
                                              "design": design}, ensure_ascii=False,
                                             allow_nan=False))

    from sim.evaluate import Evaluator, Interrupted

    try:
        with Evaluator(**execution, progress=False) as evaluator:
            result = _calibrate(city, sizes, say, keep, evaluator)
    except (Interrupted, KeyboardInterrupt) as exc:
        name, code = ((exc.signal_name, exc.exit_code) if isinstance(exc, Interrupted)
                      else ("SIGINT", 130))
        where = (f"the design points run so far are in {partial}"
                 if partial and os.path.exists(partial) else "no design point had finished")
        sys.stderr.write(f"interrupted by {name}: {where}\n")
        return code
    if partial and os.path.exists(partial):
        os.remove(partial)
    return _finish(result, out, say)


def _sizes(args: argparse.Namespace) -> dict:
    """The checked numeric options of ``sim calibrate``."""
    return {"points": int_option(args.points, "--points", 2) or 16,
            "rounds": int_option(args.rounds, "--rounds", 1) or 2,
            "replications": int_option(args.replications, "--replications", 1) or 1,
            "verify_replications": int_option(args.verify, "--verify", 2) or 3,
            "seed": int_option(args.seed, "--seed", 0),
            "design_seed": int_option(args.design_seed, "--design-seed", 0) or 0,
            "cutoff": _cutoff(args.cutoff)}


def _cutoff(text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0 or value > 100:
        raise InputError(f"expected a number > 0 and <= 100, got {text!r}", field="--cutoff",
                         allowed="a positive number (3, the three-sigma rule, by default)")
    return value


def _from_record(city, record_path: str, cutoff: float, out: str | None, as_json: bool) -> int:
    """``--from-record``: the compatible set from a calibration record's design, no runs."""
    from sim.city.history import from_design
    from sim.scenario.files import read_bytes

    raw = read_bytes(record_path, "a calibration record")
    try:
        record = json.loads(raw.decode("utf-8"))
        design = record["design"]
        if not isinstance(design, list) or not all(isinstance(r, dict) for r in design):
            raise TypeError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise InputError("is not a calibration record (JSON with a \"design\" list of points)",
                         file=record_path, field="design",
                         allowed="a file written by sim calibrate --out") from None
    try:
        found = from_design(city, design, cutoff=cutoff)
    except InputError as exc:
        raise InputError(exc.detail, file=record_path, field=exc.field,
                         allowed=exc.allowed) from None
    text = json.dumps(found.to_json(), indent=1, ensure_ascii=False, allow_nan=False)
    sys.stdout.write((text if as_json else found.table()) + "\n")
    sys.stdout.flush()
    if out:
        from sim.cli.run import save_file

        if save_file(out, "--out", text + "\n"):
            return 1
    return 0 if not found.empty else 1


def _calibrate(city, sizes: dict, say, keep, evaluator):
    from sim.city.calibrate import calibrate

    return calibrate(city, **sizes, evaluator=evaluator, progress=say, on_point=keep)


def _finish(result, out: str | None, say) -> int:
    sys.stdout.write(result.table() + "\n\nas TOML:\n")
    for key, value in result.parameters.items():
        sys.stdout.write(f'"{key}" = {value!r}\n')
    sys.stdout.flush()
    if out:
        from sim.cli.run import save_file

        text = json.dumps(result.to_json(), indent=1, ensure_ascii=False, allow_nan=False)
        if save_file(out, "--out", text + "\n"):
            return 1
        say(f"wrote {out}")
    return 0 if result.passed else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate", help="calibrate a city's uncertain inputs to its targets",
        description="Run the city over a Latin hypercube of its [[calibrate]] parameters (common "
                    "random numbers), fit a quadratic emulator per target, solve for the band "
                    "centres and verify with fresh replications. See docs/city.md.")
    p.add_argument("scenario", metavar="CITY.toml")
    p.add_argument("--points", metavar="N", default="16", help="design points a round (default 16)")
    p.add_argument("--rounds", metavar="N", default="2",
                   help="rounds, each in a box a quarter as wide around the last solution (default 2)")
    p.add_argument("--replications", metavar="N", default="1",
                   help="replications per design point (default 1)")
    p.add_argument("--verify", metavar="N", default="3",
                   help="replications of the verification run (default 3)")
    p.add_argument("--seed", metavar="S", help="base seed (default: the city's)")
    p.add_argument("--design-seed", metavar="S", default="0", help="seed of the design (default 0)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="override a field by dotted path before calibrating")
    add_execution_options(p)
    p.add_argument("--out", metavar="FILE.json", help="write the calibration record")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    p.add_argument("--cutoff", metavar="X", default="3",
                   help="implausibility cut-off of the compatible set (history matching; "
                        "default 3, the three-sigma rule)")
    p.add_argument("--from-record", metavar="RECORD.json",
                   help="no runs: the set of settings compatible with the targets from a "
                        "calibration record's design points")
    p.add_argument("--json", action="store_true",
                   help="with --from-record: print the compatible set as JSON")
    add_allow_large(p)
    p.set_defaults(func=_run)
