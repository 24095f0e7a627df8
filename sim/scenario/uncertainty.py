"""Uncertainties: inputs nobody controls and nobody knows exactly, kept apart from levers.

``[uncertainties.NAME]`` (docs/scenario-format.md, "Uncertainties") names one or more dotted
``paths`` that move together, a range ``low``..``high``, a ``distribution`` over it, the
``source`` of the range and whether a fixed value ``applies`` to every scenario of a
comparison (``"all"``) or only to the scenarios that declare it (``"this"``). A path may
point at a value inside a lever, ``levers.NAME.set.tasks.x.effort_factor`` (the rest after
``set.`` is the lever's key; quoting it, ``levers.NAME.set."tasks.x.effort_factor"``, is the
same path).

The override key ``uncertainties.NAME.value=X`` (``--set``, :func:`sim.scenario.apply_overrides`,
a sweep's ``--param``, ``--uncertain NAME=X``) fixes it. :func:`apply` runs in the loader
before the levers: it reads each declaration's *nominal* (the scenario's own value of the first
path, before levers), refuses a range that excludes it, and writes a fixed value to every path:
the first path gets X, another path gets its own value times X / nominal (paths with the same
value as the first get X), rounded where the field is an integer. So a lever acts on top of
the value, and a value inside a lever moves what the lever sets.

Python API: :func:`declared` (the uncertainties of a scenario) and :func:`overrides_for` (one
override dict per scenario of a comparison for fixed values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.datapaths import MISSING, get, normal_path, put
from sim.scenario.declaration import check_declaration
from sim.scenario.values import Bad, suggest

__all__ = ["Uncertainty", "apply", "check_declaration", "declared", "get", "normal_path",
           "overrides_for", "parse_uncertain"]


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """One declared uncertainty of a resolved scenario (``nominal``: the scenario's own value
    of the first path, before levers and before a fixed ``value``)."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    source: str = ""
    applies: str = "all"
    nominal: float | None = None
    value: float | None = None
    description: str = ""
    description_zh: str = ""

    def ppf(self, q: float) -> float:
        """The value at quantile ``q`` in [0, 1] of the distribution (for sampling designs)."""
        q = min(max(float(q), 0.0), 1.0)
        lo, hi = self.low, self.high
        if self.distribution == "loguniform":
            return math.exp(math.log(lo) + q * (math.log(hi) - math.log(lo)))
        if self.distribution == "integer":
            return float(min(int(lo + math.floor(q * (hi - lo + 1))), int(hi)))
        if self.distribution == "triangular":
            c = self.mode if self.mode is not None else (lo + hi) / 2
            if hi == lo:
                return lo
            f = (c - lo) / (hi - lo)
            if q < f:
                return lo + math.sqrt(q * (hi - lo) * (c - lo))
            return hi - math.sqrt((1 - q) * (hi - lo) * (hi - c))
        return lo + q * (hi - lo)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _where(origins: Any, path: str, top: str) -> str:
    origin = origins.of(path) if origins is not None else None
    return origin[0] if origin else top


def apply(data: dict[str, Any], pairs: Sequence[tuple[str, Any]], top: str, origins: Any) -> None:
    """Apply the ``uncertainties.*`` overrides ``pairs`` to merged ``data`` (in place), check
    every declaration, record its nominal and write fixed values to their paths. Runs before
    the levers. A problem is a one-line :class:`ScenarioError` naming the file and field."""
    from sim.scenario.merge import copy, set_path
    from sim.scenario.schema import UNCERTAINTY, Invalid, Named
    from sim.scenario.validate import check_node

    table = data.get("uncertainties")
    if table is None and not pairs:
        return
    if table is None:
        table = data["uncertainties"] = {}
    if not isinstance(table, dict):
        raise ScenarioError("expected a table of [uncertainties.NAME] tables", file=top,
                            field="uncertainties", allowed="[uncertainties.NAME] tables")
    for name, decl in table.items():
        if isinstance(decl, Mapping) and "nominal" in decl:
            raise ScenarioError("is filled in by the loader (the scenario's own value)",
                                file=_where(origins, f"uncertainties.{name}", top),
                                field=f"uncertainties.{name}.nominal", allowed="no nominal key")
    copied: set[str] = set()
    for key, value in pairs:
        parts = key.split(".", 2)
        if len(parts) == 1:
            raise ScenarioError("set one uncertainty's field (in --set)", file=top, field=key,
                                allowed="uncertainties.NAME.value=X")
        name = parts[1]
        if len(parts) == 2:
            if not isinstance(value, Mapping):
                raise ScenarioError("an uncertainty is a table (in --set)", file=top, field=key,
                                    allowed="uncertainties.NAME.value=X")
            table[name] = copy(value)
            copied.add(name)
            continue
        if name not in table:
            names = list(table)
            raise ScenarioError(f"no uncertainty named {name!r}{suggest(name, names)} (in --set)",
                                file=top, field=key, allowed=", ".join(names) or
                                "none (the scenario declares no [uncertainties.NAME])")
        if not isinstance(table[name], dict):
            continue  # the check below reports it
        table[name][parts[2]] = value
        if origins is not None:
            origins.record(key, (top, "--set"))
    try:
        checked = check_node(Named(UNCERTAINTY), table, "uncertainties")
    except Invalid as exc:
        raise ScenarioError(exc.message, file=_where(origins, exc.path, top), field=exc.path,
                            allowed=exc.allowed) from None
    defaults: list[Any] = []

    def own(path: str) -> Any:
        v = get(data, path)
        if v is MISSING and not normal_path(path).startswith("levers."):
            if not defaults:
                defaults.append(_defaults(data))
            v = get(defaults[0], path)
        return v

    for name, decl in checked.items():
        field = f"uncertainties.{name}"
        file = _where(origins, field, top)
        nominals = []
        for i, path in enumerate(decl["paths"]):
            v = own(path)
            if v is MISSING and name in copied:
                continue
            if v is MISSING:
                known = suggest(normal_path(path), _known_paths(data, defaults))
                raise ScenarioError(f"{path!r} names no value of the scenario{known}", file=file,
                                    field=f"{field}.paths[{i}]",
                                    allowed="a dotted path such as problems.volunteer_max_wait_days "
                                            "or levers.NAME.set.KEY")
            if not _number(v):
                raise ScenarioError(f"{path!r} is not a number here, so it cannot be uncertain",
                                    file=file, field=f"{field}.paths[{i}]",
                                    allowed="paths of numeric values")
            nominals.append((normal_path(path), v))
        if not nominals:
            continue
        first = nominals[0][1]
        if name not in copied and not decl["low"] <= first <= decl["high"]:
            raise ScenarioError(
                f"the range [{decl['low']:g}, {decl['high']:g}] excludes the scenario's own value "
                f"{first:g} of {nominals[0][0]}", file=file, field=f"{field}.low",
                allowed=f"a range that contains {first:g}")
        if first == 0 and any(v != 0 for _, v in nominals):
            raise ScenarioError("the first path's value is 0, so the other paths cannot move in "
                                "proportion", file=file, field=f"{field}.paths",
                                allowed="a first path with a non-zero value, or paths of equal value")
        table[name]["nominal"] = float(first)
        value = decl.get("value")
        if value is None:
            continue
        for path, v in nominals:
            x = value if v == first else v * value / first
            if isinstance(v, int):
                x = round(x)
            if path.startswith("levers."):
                put(data, path, x)
                continue
            try:
                set_path(data, path, x, (file, f"uncertainty {name!r}"), origins)
            except Bad as exc:
                raise ScenarioError(f"{exc.message} (from {field}.value = {value:g})", file=file,
                                    field=path + exc.sub, allowed=exc.allowed) from None


def _defaults(data: dict[str, Any]) -> Any:
    """The data with every schema default filled in (to read a value the file leaves out)."""
    from sim.scenario.merge import copy
    from sim.scenario.schema import Invalid
    from sim.scenario.validate import validate

    trial = copy(data)
    trial.pop("uncertainties", None)
    try:
        return validate(trial)
    except Invalid:
        return {}


def _known_paths(data: dict[str, Any], defaults: list[Any]) -> list[str]:
    from sim.scenario.content import flatten_data

    base = defaults[0] if defaults and defaults[0] else _defaults(data)
    return list(flatten_data(base)) if base else []


def declared(scenario: Any) -> dict[str, Uncertainty]:
    """The uncertainties ``scenario`` declares (with inherited ones), by name, in file order."""
    table = scenario.resolved.get("uncertainties") or {}
    out = {}
    for name, d in table.items():
        out[name] = Uncertainty(
            name=name, paths=tuple(normal_path(p) for p in d["paths"]), low=float(d["low"]),
            high=float(d["high"]), distribution=d["distribution"],
            mode=None if d.get("mode") is None else float(d["mode"]), source=d["source"],
            applies=d["applies"], nominal=d.get("nominal"),
            value=None if d.get("value") is None else float(d["value"]),
            description=d.get("description", ""), description_zh=d.get("description_zh", ""))
    return out


def parse_uncertain(text: str, flag: str = "--uncertain") -> tuple[str, float]:
    """``"NAME=X"`` -> (NAME, X); one-line :class:`ScenarioError` otherwise."""
    name, sep, raw = str(text).partition("=")
    name, raw = name.strip(), raw.strip()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not sep or not name or not math.isfinite(value):
        raise ScenarioError(f"expected NAME=NUMBER, got {text!r}", field=flag,
                            allowed="NAME=X with NAME an [uncertainties.NAME] of the scenarios")
    return name, (int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower()
                  else value)


def overrides_for(scenarios: Sequence[Any], values: Mapping[str, float]) -> list[dict[str, Any]]:
    """One override dict per scenario (a :class:`Scenario` or a path) fixing each uncertainty
    of ``values`` (NAME -> value): ``uncertainties.NAME.value`` on every scenario that declares
    NAME; with ``applies = "all"`` also, on a scenario that does not declare it but has its
    first path, the declaration itself with the paths that scenario has (so the same inputs
    move everywhere).
    An unknown NAME (declared by no scenario) is a :class:`ScenarioError` with a suggestion."""
    from sim.scenario import load_scenario

    scs = [load_scenario(s) if not hasattr(s, "resolved") else s for s in scenarios]
    decls = [declared(s) for s in scs]
    out: list[dict[str, Any]] = [{} for _ in scs]
    names = list(dict.fromkeys(n for d in decls for n in d))
    for name, value in values.items():
        having = [k for k, d in enumerate(decls) if name in d]
        if not having:
            where = ", ".join(str(s.path) for s in scs)
            raise ScenarioError(f"no uncertainty named {name!r}{suggest(name, names)} in {where}",
                                field="--uncertain", allowed=", ".join(names) or
                                "none (the scenarios declare no [uncertainties.NAME])")
        if not _number(value):
            raise ScenarioError(f"the value of {name} must be a number, got {value!r}",
                                field="--uncertain", allowed="NAME=X with X a number")
        u = decls[having[0]][name]
        if not u.low <= value <= u.high:
            raise ScenarioError(f"{value:g} is outside the range of {name}", field="--uncertain",
                                file=str(scs[having[0]].path),
                                allowed=f"a number in [{u.low:g}, {u.high:g}] "
                                        f"(uncertainties.{name})")
        for k, sc in enumerate(scs):
            if name in decls[k]:
                out[k][f"uncertainties.{name}.value"] = value
            elif u.applies == "all" and get(sc.resolved, u.paths[0]) is not MISSING:
                # the first path carries the unit of the value: without it, nothing to move
                paths = [p for p in u.paths if get(sc.resolved, p) is not MISSING]
                if paths:
                    table = {"paths": paths, "low": u.low, "high": u.high,
                             "distribution": u.distribution, "source": u.source,
                             "applies": u.applies, "value": value}
                    if u.mode is not None:
                        table["mode"] = u.mode
                    out[k][f"uncertainties.{name}"] = table
    return out
