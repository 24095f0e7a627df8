"""``sim validate FILE... [--set KEY=VALUE]...``: check scenario files without running them.

Every file is checked (the command does not stop at the first bad one): a valid file prints
one ``OK`` line on stdout, an invalid one prints ``error: FILE: FIELD: message`` on stderr;
the exit code is 2 if any file was invalid, else 0.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check scenario files (inheritance, levers, types, ranges)",
        description=(
            "Load every FILE through the whole pipeline (extends, levers, --set, validation) "
            "and print one line per file: 'OK  FILE  name=..  hash=..  tasks=N (enabled)  "
            "levers=[enabled levers]  days=..  calendar=..' on stdout, or "
            "'error: FILE: FIELD: message' on stderr. All files are checked; the exit code is "
            "2 if any file is invalid, 0 if all are valid."),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files")
    p.add_argument("--set", dest="set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field by dotted path (tasks by id), applied to every "
                        "FILE after its levers; VALUE is read as TOML, else as a string")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.scenario import load_scenario, parse_set

    overrides = dict(parse_set(text) for text in args.set)
    failed = 0
    for file in args.files:
        from sim.scenario.files import is_city_file

        if is_city_file(file):
            failed += _validate_city(file, overrides)
            continue
        try:
            s = load_scenario(file, overrides)
        except ScenarioError as exc:
            sys.stderr.write(f"error: {exc}\n")
            failed += 1
            continue
        if s.targets:
            from sim.errors import InputError
            from sim.targets import check_names, scenario_metric_names

            try:
                check_names(s.targets, scenario_metric_names(s), file)
            except InputError as exc:
                sys.stderr.write(f"error: {exc}\n")
                failed += 1
                continue
        levers = ",".join(lv.name for lv in s.levers if lv.enabled)
        print(f"OK  {file}  name={s.name!r}  hash={s.hash}  tasks={len(s.tasks)} (enabled)  "
              f"levers=[{levers}]  days={s.scenario.days}  calendar={s.scenario.calendar}")
    return 2 if failed else 0


def _validate_city(file: str, overrides: dict) -> int:
    """Check a city file (and every community scenario it builds); 1 if invalid."""
    from sim.city import load_city
    from sim.city.aggregate import known_metrics
    from sim.errors import InputError, ScenarioError
    from sim.targets import check_names

    try:
        c = load_city(file, overrides)
        check_names(c.targets, known_metrics(c), file)
    except (ScenarioError, InputError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    print(f"OK  {file}  city={c.name!r}  hash={c.hash}  communities={len(c.communities)}  "
          f"households={sum(x.households for x in c.communities)}  workers={c.workers}  "
          f"days={c.days}  targets={len(c.targets)}  calibrate={len(c.calibrate)}")
    return 0
