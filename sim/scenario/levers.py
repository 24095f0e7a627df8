"""Lever semantics: what a ``[levers.NAME]`` table changes, by how much, and from when.

A lever changes dotted paths in three ways (docs/scenario-format.md, "Levers"):
``set`` writes a value, ``scale`` multiplies the baseline value, ``add`` adds to it. The
*baseline* is the value just before the lever applies: the merged files, the ``--set``
overrides of the baseline, and the levers before this one. ``compliance`` (0..1) is the share
of the change that happens: a number becomes ``base + c * (target - base)`` (an integer is
then rounded to the nearest, halves to even); anything else (a boolean, a string, a list, a
table) changes only whole, so its lever's compliance must be 0 or 1.

``from`` and ``until`` (dates inside the horizon) bound when the lever is in force, and
``ramp = [{date, compliance}, ...]`` sets its compliance stepwise: from each date to the
next (before the first date the lever is not in force). These dates cut the horizon into
*epochs*; :func:`timeline` returns the data of each epoch (the levers applied with their
compliance on the epoch's first day), which the loader builds into the scenario of day 0
and its later epochs (:class:`sim.scenario.model.Epoch`); the engine switches at the epoch
boundaries (:mod:`sim.engine.epochs`). Only what is decided when a task arrives can switch
mid-run (:data:`SWITCHABLE`); a dated lever that touches anything else is an error.

Every problem is a one-line :class:`ScenarioError` naming the file and the lever's dotted
field; values of disabled levers are checked too.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.datapaths import plain_key
from sim.scenario.merge import Origins, copy, set_path
from sim.scenario.schema import (
    DISCRIMINATORS,
    EXCLUSIVE,
    ROOT,
    SCENARIO,
    DistNode,
    Records,
    Scalar,
    ScheduleNode,
    Table,
)
from sim.scenario.values import Bad, date_value, describe, integer, suggest

KINDS = ("set", "scale", "add")

SWITCHABLE: tuple[str, ...] = (
    r"tasks\.[a-z][a-z0-9_]*\.(enabled|arrivals(\..+)?|copies|effort_hours(\..+)?|effort_factor"
    r"|deadline_working_days|admission_list|problem_kind)",
    r"admission(\..+)?",
    r"problems\.(volunteer_kinds|joint_meeting_kinds|joint_meeting_share|managed_estate_share"
    r"|red_property_coverage|property_company_days(\..+)?)",
)
"""Paths a dated lever may change: what the engine decides when a task arrives (its rate,
effort, copies, deadline, admission and routing). Office structure (``office``, ``calendar``,
``scenario``, ``volunteers``, ``joint_meetings``, a task's steps, priority or category) is
the same all run."""

SWITCHABLE_TEXT = ("tasks.ID.{enabled, arrivals.*, copies, effort_hours.*, effort_factor, "
                   "deadline_working_days, admission_list, problem_kind}, admission.*, "
                   "problems.{volunteer_kinds, joint_meeting_kinds, joint_meeting_share, "
                   "managed_estate_share, red_property_coverage, property_company_days.*}")
_SWITCH = re.compile("|".join(f"(?:{p})" for p in SWITCHABLE))


@dataclass(frozen=True, slots=True)
class Plan:
    """One lever, checked: its changes and when (at which compliance) it is in force."""

    name: str
    enabled: bool
    file: str
    changes: tuple[tuple[str, str, Any, str], ...]   # (kind, path, value, field kind)
    compliance: float
    start: int | None                                # day of `from`
    stop: int | None                                 # day of `until` (not in force from it)
    ramp: tuple[tuple[int, float], ...]

    def at(self, day: int, *, always: bool = False) -> float:
        """The lever's compliance on ``day`` (0: not in force); ``always``: as if enabled."""
        if not (self.enabled or always):
            return 0.0
        if (self.start is not None and day < self.start) or (self.stop is not None
                                                             and day >= self.stop):
            return 0.0
        if self.ramp:
            c = 0.0
            for d, v in self.ramp:
                if d <= day:
                    c = v
            return c
        return self.compliance

    def cuts(self) -> set[int]:
        return {d for d in (self.start, self.stop) if d is not None} | {d for d, _ in self.ramp}

    def switches(self, days: int) -> bool:
        """Whether the lever (if enabled) changes strength inside the horizon."""
        inside = sorted({0} | {d for d in self.cuts() if 0 < d < days})
        return len({self.at(d, always=True) for d in inside}) > 1


# --------------------------------------------------------------------------- checking

def _fail(file: str, field: str, message: str, allowed: str | None = None) -> ScenarioError:
    return ScenarioError(message, file=file, field=field, allowed=allowed)


def _numeric(check: Callable[[Any], Any]) -> str | None:
    """``"integer"`` / ``"number"`` for a scalar whose checker takes such values, else None."""
    for x in (1, 0.5, 2, 100):
        try:
            r = check(x)
        except Bad:
            continue
        if type(r) is int:
            return "integer"
        if type(r) is float:
            return "number"
        return None
    return None


def field_kind(data: dict[str, Any], path: str) -> str:
    """What the path names: ``integer``, ``number``, or a word for a value that cannot
    change partly (``a boolean``, ``a table``...). Raises :class:`Bad` for an unknown path."""
    parts = path.split(".")
    if parts[0] in ("levers", "extends"):
        raise Bad(f"a lever cannot set {parts[0]}", "a field of the scenario")
    node: Any = ROOT
    cur: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, Records):
            items = cur if isinstance(cur, list) else []
            match = next((x for x in items if isinstance(x, dict) and x.get("id") == part), None)
            if match is None:
                ids = [x["id"] for x in items if isinstance(x, dict) and isinstance(x.get("id"), str)]
                raise Bad(f"no task with id {part!r}{suggest(part, ids)}", ", ".join(ids) or "none")
            if last:
                return "a table"
            cur, node = match, node.item
            continue
        if isinstance(node, DistNode | ScheduleNode):
            if part not in node.keys:
                hint = suggest(part, list(node.keys))
                raise Bad(f"unknown key {part!r}{hint}", None if hint else ", ".join(node.keys))
            if not last:
                raise Bad(f"{here} is a value, not a table", "a path ending at a value")
            if isinstance(node, DistNode) and part != "dist":
                return "number"
            if part in ("day", "month", "weekday", "count"):
                return "a schedule value"
            return "a string"
        if not isinstance(node, Table):
            raise Bad(f"{'.'.join(parts[:i])} is a value, not a table", "a path ending at a value")
        if part not in node.fields:
            hint = suggest(part, list(node.fields))
            raise Bad(f"unknown key {part!r}{hint}", None if hint else ", ".join(node.fields))
        node = node.fields[part]
        cur = cur.get(part) if isinstance(cur, dict) else None
        if last:
            if isinstance(node, Scalar):
                return _numeric(node.check) or "not a number"
            return "a table"
    return "a table"  # pragma: no cover (the loop returns)


def _horizon(data: dict[str, Any], file: str) -> tuple[dt.date, int]:
    """The scenario's start date and days (needed only to place dated levers)."""
    meta = data.get("scenario") if isinstance(data.get("scenario"), dict) else {}
    for key, check in (("start_date", date_value), ("days", integer(1))):
        try:
            check(meta.get(key, SCENARIO.fields[key].default))
        except Bad as exc:
            raise _fail(file, f"scenario.{key}", exc.message, exc.allowed) from None
    return (date_value(meta.get("start_date", SCENARIO.fields["start_date"].default)),
            integer(1)(meta.get("days", SCENARIO.fields["days"].default)))


def _dated(lever: dict[str, Any]) -> bool:
    return any(k in lever for k in ("from", "until", "ramp"))


def plans(data: dict[str, Any], levers: dict[str, Any], origins: Origins, top: str) -> list[Plan]:
    """The checked levers (every lever, enabled or not)."""
    start, days = (_horizon(data, top) if any(_dated(lv) for lv in levers.values())
                   else (dt.date(2019, 1, 1), 1))   # (not used without dates)
    end = start + dt.timedelta(days=days)
    span = f"a date from {start.isoformat()} to {end.isoformat()} (the horizon)"
    raw_levers = data.get("levers") or {}
    out = []
    for name, lever in levers.items():
        base = f"levers.{name}"
        file = (origins.of(base) or (top, None))[0]
        raw = raw_levers.get(name) if isinstance(raw_levers.get(name), dict) else {}
        changes = []
        seen: dict[str, str] = {}
        for kind in KINDS:
            for path, value in (lever.get(kind) or {}).items():
                field = f"{base}.{kind}.{path}"
                fil = (origins.of(field) or (file, None))[0]
                if path in seen:
                    raise _fail(fil, field, f"{path} is also changed by {seen[path]} in this lever",
                                "one of set, scale, add for each path")
                seen[path] = kind
                try:
                    what = field_kind(data, path)
                    if kind == "set" and not lever["enabled"]:  # checked as if applied
                        set_path(data, path, value, dry=True, allow_levers=False)
                except Bad as exc:
                    raise _fail(fil, field + exc.sub, exc.message, exc.allowed) from None
                if kind != "set":
                    if what not in ("integer", "number"):
                        raise _fail(fil, field, f"{kind} applies to numbers; {path} is {what}",
                                    f"set for {path}; scale or add for rates, efforts, shares, "
                                    "days, counts")
                    ok = (isinstance(value, int | float) and not isinstance(value, bool)
                          and math.isfinite(value) and (kind == "add" or value >= 0))
                    if not ok:
                        raise _fail(fil, field, f"expected {'a factor' if kind == 'scale' else 'an amount'}, "
                                    f"got {describe(value)}",
                                    "a number >= 0" if kind == "scale" else "a finite number")
                changes.append((kind, path, value, what))
        if not changes:
            raise _fail(file, base, "changes nothing", "at least one of set, scale, add "
                        "(tables of dotted path -> value)")

        def day(value: dt.date, lo: dt.date, hi: dt.date, fld: str, file: str = file,
                base: str = base) -> int:
            if not lo <= value <= hi:   # blame the file that wrote the date
                where = (origins.of(f"{base}.{fld}") or (file, None))[0]
                raise _fail(where, f"{base}.{fld}", f"{value.isoformat()} is outside the horizon",
                            span)
            return (value - start).days

        first = last_ = None
        if "from" in lever:
            first = day(lever["from"], start, end - dt.timedelta(days=1), "from")
        if "until" in lever:
            last_ = day(lever["until"], start + dt.timedelta(days=1), end, "until")
        if first is not None and last_ is not None and first >= last_:
            raise _fail(file, f"{base}.from", f"from {lever['from'].isoformat()} is not before "
                        f"until {lever['until'].isoformat()}", "from < until")
        ramp: list[tuple[int, float]] = []
        if "ramp" in lever:
            for key in ("from", "compliance"):
                if key in raw:
                    raise _fail(file, f"{base}.{key}", f"{key} and ramp exclude each other",
                                "ramp alone (its first date is when the lever starts) or "
                                "from/compliance without ramp")
            for i, pt in enumerate(lever["ramp"]):
                d = day(pt["date"], start, end - dt.timedelta(days=1), f"ramp[{i}].date")
                if ramp and d <= ramp[-1][0]:
                    raise _fail(file, f"{base}.ramp[{i}].date", "ramp dates must increase",
                                "dates in increasing order")
                if last_ is not None and d >= last_:
                    raise _fail(file, f"{base}.ramp[{i}].date", "ramp date is not before until",
                                "ramp dates before until")
                ramp.append((d, pt["compliance"]))
        plan = Plan(name, lever["enabled"], file, tuple(changes), lever.get("compliance", 1.0),
                    first, last_, tuple(ramp))
        levels = [plan.compliance] + [c for _, c in ramp]
        for kind, path, _, what in changes:
            field = f"{base}.{kind}.{path}"
            if what not in ("integer", "number") and any(0.0 < c < 1.0 for c in levels):
                raise _fail(file, field, f"{path} is {what}: it cannot change partly "
                            f"(compliance {next(c for c in levels if 0 < c < 1):g})",
                            "compliance 0 or 1 for this lever (put partial numbers in a lever "
                            "of their own)")
        if _dated(lever) and plan.switches(days):
            for kind, path, _, _ in changes:
                if not _SWITCH.fullmatch(path):
                    raise _fail(file, f"{base}.{kind}.{path}",
                                "cannot switch mid-run (the lever is dated by from/until/ramp): "
                                "it is part of the office's structure", "for a dated lever: "
                                + SWITCHABLE_TEXT)
        out.append(plan)
    return out


# --------------------------------------------------------------------------- applying

@functools.lru_cache(maxsize=8192)
def _overlap(a: str, b: str) -> bool:
    """Whether writing ``a`` may change what ``b`` holds (or the reverse); the same pairs of
    paths recur in every variant (cached, bounded)."""
    if a == b or a.startswith(b + ".") or b.startswith(a + "."):
        return True
    pa, _, ka = a.rpartition(".")
    pb, _, kb = b.rpartition(".")
    return pa == pb and (any(ka in g and kb in g for g in EXCLUSIVE)
                         or ka in DISCRIMINATORS or kb in DISCRIMINATORS)


class _Baseline:
    """Values of the data as validated, refreshed when a written path overlaps the one read."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data, self.resolved, self.dirty = data, None, []

    def wrote(self, path: str) -> None:
        self.dirty.append(path)

    def value(self, path: str, file: str, field: str) -> Any:
        from sim.scenario.content import lookup
        from sim.scenario.validate import validate

        if self.resolved is None or any(_overlap(path, d) for d in self.dirty):
            key = plain_key(self.data)
            # Invalid: the loader names the field
            self.resolved = (validate(copy(self.data)) if key is None
                             else _validated(_Snapshot(key, self.data)))
            self.dirty = []
        value = lookup(self.resolved, path)
        if value is None or isinstance(value, bool):
            raise _fail(file, field, f"the baseline gives no value at {path} to change relatively",
                        "set (an absolute value), or a path the baseline gives")
        return value


class _Snapshot:
    """Data to validate, compared and hashed by its :func:`plain_key` alone."""

    __slots__ = ("data", "key")

    def __init__(self, key: bytes, data: dict[str, Any] | None) -> None:
        self.key, self.data = key, data

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Snapshot) and other.key == self.key


@functools.lru_cache(maxsize=32)
def _validated(snapshot: _Snapshot) -> dict[str, Any]:
    """The validated data of a baseline: the same baselines recur across the variants of a
    scenario (the levers before a relative one switched the same way). Bounded and keyed by
    the data's exact content; only read (by :meth:`_Baseline.value`), never modified; an
    Invalid is not cached, so it is raised again."""
    from sim.scenario.validate import validate

    data, snapshot.data = snapshot.data, None  # the key alone is kept
    return validate(copy(data))


def _apply(data: dict[str, Any], plans_: Sequence[Plan], strength: dict[str, float],
           origins: Origins) -> None:
    baseline = _Baseline(data)
    for plan in plans_:
        c = strength.get(plan.name, 0.0)
        if c <= 0.0:
            continue
        origin = (plan.file, f"lever {plan.name!r}")
        for kind, path, value, what in plan.changes:
            field = f"levers.{plan.name}.{kind}.{path}"
            if kind == "set" and c == 1.0:
                new = value  # as before relative levers: written as given
            else:
                base = baseline.value(path, plan.file, field)
                target = value if kind == "set" else base * value if kind == "scale" else base + value
                new = base + c * (target - base)
                new = round(new) if what == "integer" else float(new)
            try:
                set_path(data, path, new, origin, origins, allow_levers=False)
            except Bad as exc:
                raise _fail(plan.file, field + exc.sub, exc.message, exc.allowed) from None
            baseline.wrote(path)


def timeline(data: dict[str, Any], levers: dict[str, Any], origins: Origins,
             top: str) -> list[tuple[int, dict[str, Any], dict[str, float]]]:
    """(first day, data with the levers applied, each lever's compliance) of each epoch, in
    time order; one epoch (day 0, ``data`` itself) when no enabled lever switches mid-run."""
    checked = plans(data, levers, origins, top)
    cuts = [0]
    if any(p.enabled and p.cuts() for p in checked):
        _, days = _horizon(data, top)
        cuts = sorted({0} | {d for p in checked if p.enabled for d in p.cuts() if 0 < d < days})
    states: list[tuple[int, dict[str, float]]] = []
    for d in cuts:
        strength = {p.name: p.at(d) for p in checked}
        if not states or strength != states[-1][1]:
            states.append((d, strength))
    pristine = copy(data) if len(states) > 1 else None
    out = []
    for k, (d, strength) in enumerate(states):
        target = data if k == 0 else copy(pristine)
        _apply(target, checked, strength, origins)
        out.append((d, target, strength))
    return out


def pinned(overrides: Sequence[tuple[str, Any]], levers: dict[str, Any]) -> list[tuple[str, Any]]:
    """The overrides that an enabled lever's ``set`` would overwrite: applied again after the
    levers, so an explicit ``--set`` of a path a lever sets keeps its value (as it always
    did); every other override moves the baseline the levers act on."""
    written = [p for lv in levers.values() if lv.get("enabled") for p in (lv.get("set") or {})]
    return [(k, v) for k, v in overrides if any(_overlap(k, p) for p in written)]


def relative_paths(scenario: Any) -> set[str]:
    """Paths the enabled levers of a built scenario change relatively to the baseline
    (``scale``, ``add``, or ``set`` with a compliance or ramp below 1): an override meant
    as "this value times f" must scale the baseline value there, not the lever's result."""
    out: set[str] = set()
    for lv in scenario.levers:
        if not lv.enabled:
            continue
        out.update(lv.scale, lv.add)
        if lv.compliance < 1.0 or any(pt["compliance"] < 1.0 for pt in lv.ramp):
            out.update(lv.set)
    return out

