"""``sim check SCENARIO.toml``: run a scenario (or a city) and compare it with its
``[[targets]]``, one pass/fail line per target.

Exit codes: 0 every target passes, 1 at least one fails, 2 bad input (no targets, a target
naming an unknown metric, a malformed file...). ``--json`` prints one JSON object;
``--out FILE.json`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sim.cli.execution import add_execution_options, execution_kwargs
from sim.cli.options import add_allow_large, int_option, json_path_option, scenario_file_option
from sim.cli.run import save_file
from sim.errors import InputError


def check_file(path: str, *, replications: int | None, seed: int | None, overrides: list[str],
               workers: int | None = None, progress: bool | None, executor: str | None = None,
               scheduler: str | None = None, allow_large: bool = False) -> dict[str, Any]:
    """Run ``path`` and judge its targets; the JSON-ready record (``sim check --json``).
    Interrupted (SIGINT/SIGTERM), a scenario's finished replications are judged and the
    record says ``"partial"`` (with the counts and the exit code)."""
    from sim.scenario.files import is_city_file
    from sim.targets import check_names, evaluate, scenario_metric_names

    scenario_file_option(path)
    if is_city_file(path):
        from sim.city import load_city, run_city

        city = load_city(path, overrides)
        targets, name, kind = city.targets, city.name, "city"
        _require_targets(targets, path)
        from sim.city.aggregate import known_metrics

        check_names(targets, known_metrics(city), path)
        from sim.cli.run import check_city_size

        check_city_size(city, replications, workers or 1, allow_large)
        res = run_city(city, replications, seed, workers=workers, progress=progress,
                       executor=executor, scheduler=scheduler)
        values, n, used_seed, secs = res.values, res.replications, res.seed, res.run_seconds
        extra = {"communities": len(city.communities), "days": city.days,
                 "start_date": city.start_date.isoformat(), "hash": city.hash}
    else:
        from sim.experiment import ExperimentInterrupted, run
        from sim.scenario import load_scenario
        from sim.targets import replication_values

        sc = load_scenario(path, overrides)
        targets, name, kind = sc.targets, sc.name, "scenario"
        _require_targets(targets, path)
        check_names(targets, scenario_metric_names(sc), path)
        from sim.scenario.cost import check_budget

        check_budget(sc, replications or sc.scenario.replications, allow_large=allow_large)
        try:
            res = run(sc, replications, seed, progress=progress, executor=executor or "serial",
                      workers=workers, scheduler=scheduler)
        except ExperimentInterrupted as exc:
            res = exc.result
            res.partial = {**(res.partial or {}), "exit_code": exc.exit_code}
        values, n, used_seed, secs = (replication_values(res.results), res.replications,
                                      res.seed, res.run_seconds)
        extra = {"days": sc.scenario.days, "warmup_days": sc.scenario.warmup_days, "hash": sc.hash}
        if res.partial:
            extra["partial"] = res.partial
    results = evaluate(targets, values)
    return {"kind": kind, "name": name, "path": path, "seed": used_seed, "replications": n,
            "run_seconds": round(secs, 2), **extra,
            "targets": [r.to_json() for r in results], "passed": all(r.passed for r in results),
            "_results": results}


def _require_targets(targets, path: str) -> None:
    if not targets:
        raise InputError("has no [[targets]] to check", file=path, field="targets",
                         allowed="one or more [[targets]] tables (docs/city.md)")


def _run(args: argparse.Namespace) -> int:
    from sim.scenario import parse_set
    from sim.targets import sources, table

    overrides = [parse_set(x) for x in args.overrides]
    out = json_path_option(args.out, "--out")
    record = check_file(args.scenario, replications=int_option(args.replications, "--replications", 1),
                        seed=int_option(args.seed, "--seed", 0), overrides=overrides,
                        progress=False if args.no_progress else None,
                        allow_large=args.allow_large, **execution_kwargs(args))
    results = record.pop("_results")
    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    if args.json:
        sys.stdout.write(text + "\n")
    else:
        what = (f"{record['communities']} communities, {record['days']} days from "
                f"{record['start_date']}" if record["kind"] == "city" else
                f"{record['days']} days (warm-up {record['warmup_days']})")
        sys.stdout.write(f"{record['name']} ({record['path']}): {what}; "
                         f"{record['replications']} replications, seed {record['seed']}, "
                         f"{record['run_seconds']:.1f} s\n\n")
        sys.stdout.write(table(results) + "\n\n" + sources(results) + "\n")
    sys.stdout.flush()
    if out and save_file(out, "--out", text + "\n"):   # after the table: a late error loses nothing
        return 1
    partial = record.get("partial")
    if partial:
        sys.stderr.write(f"interrupted by {partial['signal']}: targets judged on "
                         f"{partial['replications_done']} of {partial['replications_requested']} "
                         "replications (partial)\n")
        return int(partial["exit_code"])
    return 0 if record["passed"] else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="run a scenario or city and compare it with its [[targets]]",
        description="Run a scenario (or a city scenario) and print model against target for each "
                    "of its [[targets]], with pass/fail. Exit code 0 if every target passes, 1 if "
                    "one fails, 2 for bad input.")
    p.add_argument("scenario", metavar="SCENARIO.toml")
    p.add_argument("--replications", metavar="N", help="replications (default: the file's)")
    p.add_argument("--seed", metavar="S", help="base seed (default: the file's)")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                   help="override a field by dotted path (for a city: city.*/communities.* change "
                        "the city, any other key every community)")
    add_execution_options(p)
    add_allow_large(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", metavar="FILE.json", help="also write the JSON record to FILE.json")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(func=_run)
