"""``sim describe FILE [FILE2] [--set KEY=VALUE]...``: show a resolved scenario as text.

With one file: every resolved value (defaults filled in) as an aligned table of path, value
and source (its own source, :mod:`sim.scenario.sourcing`), then the levers with their
descriptions, then the declared uncertainties. ``--unsourced``: only the values without a source of their own, each screened
by running (:mod:`sim.experiment.screening`) and marked consequential or inert. With two files: only
the paths whose values differ (path, value in A, value in B), then the levers of both.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "describe",
        help="print a resolved scenario, or the differences between two",
        description=(
            "With one FILE, print every resolved value (defaults filled in) with its source. "
            "With two, print only the values that differ. Levers are listed with their "
            "descriptions."),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="one or two scenario TOML files")
    p.add_argument("--set", dest="set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field by dotted path (applied to every FILE)")
    p.add_argument("--wide", action="store_true",
                   help="do not shorten long values and sources")
    g = p.add_argument_group("--unsourced (docs/scenario-format.md, \"Per-value sources\")")
    g.add_argument("--unsourced", action="store_true",
                   help="list the values whose only source is a schema default or a table note "
                        "that does not name them, each marked consequential or inert by running "
                        "it changed by +-50%% (paired, common random numbers)")
    g.add_argument("--replications", metavar="N", default="5",
                   help="replications per screened scenario (default 5)")
    g.add_argument("--days", metavar="D", help="screen on a horizon of D days (default: the file's)")
    g.add_argument("--executor", choices=("serial", "processes", "dask"), default="serial",
                   help="where the screening runs (default serial)")
    g.add_argument("--workers", metavar="W", help="worker processes (with --executor processes)")
    g.add_argument("--cache", metavar="DIR", default=".sim-cache/screen",
                   help="keep every screening replication in DIR (default .sim-cache/screen); "
                        "a second screen of the same file runs nothing again")
    g.add_argument("--no-cache", action="store_true", help="keep nothing")
    g.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


MAX_VALUE = 60
MAX_SOURCE = 100


def format_value(value: Any) -> str:
    """A resolved value in TOML-like notation."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {format_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def shorten(text: str, limit: int | None = MAX_VALUE) -> str:
    """``text`` cut to about ``limit`` display columns, with an ellipsis."""
    if limit is None or _width(text) <= limit:
        return text
    out, width = "", 0
    for c in text:
        width += _width(c)
        if width > limit - 1:
            break
        out += c
    return out + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows as aligned columns (two spaces apart; wide characters count double)."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c + " " * (w - _width(c)) for c, w in zip(r[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
    return "\n".join(lines)


def _levers(scenarios: list[Any], limit: int | None) -> str:
    names: dict[str, Any] = {}
    for s in scenarios:
        for lv in s.levers:
            names.setdefault(lv.name, lv)
    if not names:
        return "levers: none"
    rows = []
    for name, lever in names.items():
        states = []
        for label, s in zip("AB", scenarios, strict=False):
            found = next((lv for lv in s.levers if lv.name == name), None)
            state = "absent" if found is None else ("on" if found.enabled else "off")
            states.append(f"{label}: {state}" if len(scenarios) > 1 else state)
        text = lever.description + (f" / {lever.description_zh}" if lever.description_zh else "")
        rows.append((f"  {name}", *states, f"{text} (source: {shorten(lever.source, limit and MAX_SOURCE)})"))
    return "levers:\n" + table(rows)


def _uncertainties(scenarios: list[Any], limit: int | None) -> str:
    from sim.scenario.uncertainty import declared

    found: dict[str, Any] = {}
    for s in scenarios:
        for name, u in declared(s).items():
            found.setdefault(name, u)
    if not found:
        return "uncertainties: none"
    rows = [("  name", "own value", "range", "distribution", "applies", "source")]
    for u in found.values():
        own = "-" if u.nominal is None else f"{u.nominal:g}"
        if u.value is not None:
            own += f" (fixed at {u.value:g})"
        rows.append((f"  {u.name}", own, f"[{u.low:g}, {u.high:g}]",
                     u.distribution + (f" (mode {u.mode:g})" if u.mode is not None else ""),
                     u.applies, shorten(u.source, limit and MAX_SOURCE)))
    return "uncertainties:\n" + table(rows)


def run(args: argparse.Namespace) -> int:
    from sim.errors import InputError
    from sim.scenario import flatten, load_scenario, parse_set, scenario_diff, source_of
    from sim.scenario.sourcing import value_sources

    if len(args.files) > 2:
        raise InputError("give one file to describe or two to compare", field="FILE",
                         allowed="1 or 2 files")
    overrides = dict(parse_set(text) for text in args.set)
    from sim.city import is_city_file

    if len(args.files) == 1 and is_city_file(args.files[0]):
        print(describe_city(args.files[0], overrides))
        return 0
    scenarios = [load_scenario(f, overrides) for f in args.files]
    limit = None if args.wide else MAX_VALUE
    if args.unsourced:
        if len(scenarios) != 1:
            raise InputError("takes one scenario file", field="--unsourced",
                             allowed="sim describe --unsourced FILE")
        print(unsourced_report(scenarios[0], args, limit))
        return 0

    def fmt(value: Any) -> str:
        return shorten(format_value(value), limit)

    out = []
    for label, s in zip("AB", scenarios, strict=False):
        prefix = f"{label}: " if len(scenarios) > 1 else ""
        out.append(f"{prefix}{s.path}  name={s.name!r}  hash={s.hash}")
    out.append("")
    if len(scenarios) == 1:
        s = scenarios[0]
        rows = [("path", "value", "source")]
        origin = value_sources(s)
        rows += [(p, fmt(v), shorten(origin[p].label() if p in origin else source_of(s, p),
                                     limit and MAX_SOURCE))
                 for p, v in flatten(s).items()]
        out.append(table(rows))
    else:
        diff = scenario_diff(*scenarios)
        if diff:
            rows = [("path", "A", "B")]
            rows += [(p, fmt(a), fmt(b)) for p, a, b in diff]
            out.append(table(rows))
        else:
            out.append("no differences in resolved content")
    out.append("")
    out.append(_levers(scenarios, limit))
    out.append("")
    out.append(_uncertainties(scenarios, limit))
    print("\n".join(out))
    return 0


def unsourced_report(scenario: Any, args: argparse.Namespace, limit: int | None) -> str:
    """``PATH  VALUE  SOURCE  consequential|inert`` per unsourced value, then the count line."""
    from sim.cli.options import int_option
    from sim.experiment.screening import progress_line, screen, screenable
    from sim.scenario import apply_overrides
    from sim.scenario.sourcing import unsourced

    reps = int_option(args.replications, "--replications", 2)
    days = int_option(args.days, "--days", 1)
    workers = int_option(args.workers, "--workers", 1)
    values = [v for v in unsourced(scenario) if screenable(v.value)]
    run_on = apply_overrides(scenario, {"scenario.days": days}) if days else scenario
    found = screen(run_on, values, replications=reps, executor=args.executor, workers=workers,
                   cache=None if args.no_cache else args.cache,
                   say=None if args.quiet else progress_line) if values else []
    rows = [(f.path, shorten(format_value(f.value), limit), shorten(f.source, limit and MAX_SOURCE),
             "consequential" if f.consequential else "inert") for f in found]
    k = sum(f.consequential for f in found)
    lines = [table(rows)] if rows else []
    lines.append(f"{len(found)} unsourced values, {k} consequential")
    return "\n".join(lines)


def describe_city(file: str, overrides: dict) -> str:
    """A city file as text: its communities (size, workers, teams), calibrated ranges, targets."""
    from sim.city import load_city

    c = load_city(file, overrides)
    out = [f"{file}  city={c.name!r}  hash={c.hash}",
           f"community scenario: {c.community_path}  ({c.days} days from {c.start_date})", ""]
    rows = [("community", "households", "workers", "managed share", "volunteer teams", "scale")]
    rows += [(x.id, str(x.households), str(x.workers), f"{x.managed_estate_share:.2f}",
              str(x.volunteer_teams), f"{x.scale:.2f}") for x in c.communities]
    rows.append(("total", str(sum(x.households for x in c.communities)), str(c.workers), "",
                 str(sum(x.volunteer_teams for x in c.communities)), ""))
    out += [table(rows), ""]
    if c.calibrate:
        rows = [("calibrate", "low", "high", "source")]
        rows += [(p.key, f"{p.low:g}", f"{p.high:g}", shorten(p.source, MAX_SOURCE)) for p in c.calibrate]
        out += [table(rows), ""]
    if c.targets:
        rows = [("target metric", "value", "tolerance", "side", "source")]
        rows += [(t.metric, f"{t.value:g}", t.tolerance_text, t.side, shorten(t.source, MAX_SOURCE))
                 for t in c.targets]
        out.append(table(rows))
    return "\n".join(out)
