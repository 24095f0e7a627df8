"""Validation: check merged scenario data against the schema and fill in the defaults.

:func:`validate` walks :data:`sim.scenario.schema.ROOT` over the data and returns the
canonical, fully defaulted plain data (``Scenario.resolved`` before freezing), or raises
:class:`~sim.scenario.schema.Invalid` at the first problem, with its dotted path (tasks
addressed by id, ``tasks[3].id`` when the id is missing) and what is allowed.
:func:`check_levers` validates only the ``[levers]`` table (needed before levers apply);
:func:`check_sources` checks that ``[sources]`` keys name fields of the resolved data.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

from sim.scenario.citations import known_keys, unresolved
from sim.scenario.datapaths import LEAF
from sim.scenario.schema import (
    ABSENT,
    EVERY,
    FILL,
    LEVER_NAME,
    MAX_SCHEDULE_COUNT,
    REQUIRED,
    ROOT,
    SCHEDULE_DEFAULTS,
    SCHEDULE_KEYS,
    TOP_KEYS,
    DistNode,
    FreeTable,
    Invalid,
    Named,
    Records,
    Scalar,
    ScheduleNode,
    Seq,
    Table,
    join,
)
from sim.scenario.values import Bad, describe, integer, number, string, suggest, time_of_day
from sim.scenario.vocabulary import DIST_PARAMS, WEEKDAYS

_MISSING = "required key is missing"


def validate(data: Mapping[str, Any]) -> dict[str, Any]:
    """Checked, canonical data with every default filled in."""
    out = _table(ROOT, data, "")
    if out["office"]["meetings"] == "real_time":
        for t in out["tasks"]:
            if t["category"] == "meeting" and t["enabled"] and len(t.get("steps") or ()) > 1:
                raise Invalid(f"tasks.{t['id']}.steps", "a meeting held in real time has one step "
                              "(office.meetings = \"real_time\")",
                              "one step, or office.meetings = \"queued\"")
    return out


def check_node(node: Any, data: Any, path: str = "") -> Any:
    """``data`` checked against any schema node (used by other file kinds, e.g. city files)."""
    return _value(node, data, path)


def check_levers(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked ``[levers]`` table of ``data`` (name -> lever), in file order."""
    node = ROOT.fields["levers"]
    if data.get("levers") is None:
        return {}
    return _named(node, data["levers"], "levers")


def check_partial(node: Any, v: Any, path: str = "") -> None:
    """Check ``v`` as a value to merge at ``node`` (a lever's ``set``, even when the lever is
    disabled): every key it gives must be known and every value valid; keys it leaves out are
    not required. Raises :class:`Invalid`."""
    if isinstance(node, Scalar | Seq | Named):
        _value(node, v, path)
    elif isinstance(node, Records):
        check_partial(node.item, v, path)
    elif isinstance(node, FreeTable):
        if node.check is not None:
            _free(node, v, path)
    elif isinstance(node, Table):
        _need_table(v, path)
        for key, x in v.items():
            sub = node.fields.get(key)
            if sub is None:
                if key == "source" and node.source:
                    _value(Scalar(string()), x, join(path, key))
                    continue
                raise _unknown(path, key, [*node.fields, *(["source"] if node.source else [])])
            check_partial(sub, x, join(path, key))
    elif isinstance(node, DistNode | ScheduleNode):
        _need_table(v, path)
        for key, x in v.items():
            check_key(node, key, x, join(path, key))


def check_key(node: DistNode | ScheduleNode, key: str, v: Any, path: str) -> None:
    """Check one key of a distribution or schedule table on its own."""
    if key == "source":
        _value(Scalar(string()), v, path)
    elif key not in node.keys:
        raise _unknown(path.rpartition(".")[0], key, [*node.keys, "source"])
    elif isinstance(node, DistNode):
        if key == "dist":
            if not isinstance(v, str) or v not in DIST_PARAMS:
                raise Invalid(path, f"unknown distribution {v!r}", ", ".join(DIST_PARAMS))
        else:
            _value(Scalar(number(None, node.hi)), v, path)
    elif key == "every":
        _value(Scalar(_every), v, path)
    elif key == "time":
        _value(Scalar(time_of_day), v, path)
    elif key == "count":
        _value(Scalar(integer(1, MAX_SCHEDULE_COUNT)), v, path)
    else:
        _value(_SCHEDULE_CHECKS[key], v, path)


def _value(node: Any, v: Any, path: str) -> Any:
    kind = type(node)
    if kind is Table:  # the commonest nodes first, by exact type (subclasses go on below)
        return _table(node, v, path)
    if isinstance(node, Scalar):
        try:
            return node.check(v)
        except Bad as exc:
            raise Invalid(path + exc.sub, exc.message, exc.allowed) from None
    if isinstance(node, Table):
        return _table(node, v, path)
    if isinstance(node, Records):
        return _records(node, v, path)
    if isinstance(node, Seq):
        return _seq(node, v, path)
    if isinstance(node, DistNode):
        return _dist(node, v, path)
    if isinstance(node, ScheduleNode):
        return _schedule(node, v, path)
    if isinstance(node, Named):
        return _named(node, v, path)
    if isinstance(node, FreeTable):
        return _free(node, v, path)
    raise TypeError(node)  # pragma: no cover


def _absent(node: Any, path: str) -> Any:
    d = node.default
    if d is REQUIRED:
        raise Invalid(path, _MISSING)
    if d is ABSENT:
        return ABSENT
    if d is FILL:
        return _table(node, {}, path)
    if isinstance(node, Named | FreeTable):
        return {}
    if isinstance(node, DistNode | ScheduleNode):
        return _value(node, dict(d), path)
    return d


def _unknown(path: str, key: str, allowed: list[str]) -> Invalid:
    hint = suggest(key, allowed)
    return Invalid(join(path, key), f"unknown key{hint}", None if hint else ", ".join(allowed))


def _need_table(v: Any, path: str, example: str = "") -> None:
    if type(v) is not dict and not isinstance(v, Mapping):
        raise Invalid(path, f"expected a table, got {describe(v)}", example or None)


def _table(node: Table, v: Any, path: str) -> dict[str, Any]:
    _need_table(v, path)
    fields = node.fields
    for key in ({} if type(v) is dict and v.keys() <= fields.keys() else v):  # all known: none
        if key not in fields and not (key == "source" and node.source):
            allowed = list(TOP_KEYS) if node is ROOT else [*fields, *(
                ["source"] if node.source else [])]
            raise _unknown(path, key, allowed)
    out: dict[str, Any] = {}
    get = v.get
    for name, sub in fields.items():
        raw = get(name)
        if raw is None and sub.default is ABSENT:  # _absent would return ABSENT: left out
            continue
        p = f"{path}.{name}" if path else name  # join(path, name)
        if raw is None:
            d = sub.default
            # _absent(sub, p) of a scalar with a default value, inlined
            result = d if type(sub) is Scalar and d is not REQUIRED and d is not FILL else (
                _absent(sub, p))
        elif type(sub) is Scalar:  # _value(sub, raw, p) of the commonest node, inlined
            try:
                result = sub.check(raw)
            except Bad as exc:
                raise Invalid(p + exc.sub, exc.message, exc.allowed) from None
        else:
            result = _value(sub, raw, p)
        if result is not ABSENT:
            out[name] = result
    if "source" in v and "source" not in fields:
        out["source"] = _value(Scalar(string(what="a citation string")), v["source"],
                               join(path, "source"))
    if node.post is not None:
        node.post(out, path)
    return out


def _records(node: Records, v: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(v, list | tuple):
        raise Invalid(path, f"expected an array of tables ([[{path}]]), got {describe(v)}")
    if not v:
        raise Invalid(path, "needs at least one entry", "one or more [[tasks]] tables")
    first = check_ids(v, path)
    out = []
    for item in v:
        tid = item["id"]
        try:
            out.append(_table(node.item, item, join(path, tid)))
        except Invalid as exc:
            if exc.message == _MISSING and exc.path.count(".") == path.count(".") + 2:
                hint = suggest(tid, [t for t in first if t != tid])
                if hint:
                    exc.message += f"; is {tid!r} a new task? {hint.strip(' ()')}"
            raise
    out.sort(key=lambda t: t["id"])
    return out


def check_ids(v: Any, path: str) -> dict[str, int]:
    """Every entry of an array of tables has a valid, unique ``id``; returns id -> index."""
    id_check = ROOT.fields["tasks"].item.fields["id"]
    first: dict[str, int] = {}
    for i, item in enumerate(v):
        ip = f"{path}[{i}]"
        _need_table(item, ip)
        if item.get("id") is None:
            raise Invalid(f"{ip}.id", _MISSING, "an id matching [a-z][a-z0-9_]*")
        tid = _value(id_check, item["id"], f"{ip}.id")
        if tid in first:
            raise Invalid(f"{ip}.id", f"duplicate id {tid!r} (first at {path}[{first[tid]}])",
                          "unique ids")
        first[tid] = i
    return first


def _seq(node: Seq, v: Any, path: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(v, list | tuple):
        raise Invalid(path, f"expected an array of tables, got {describe(v)}")
    if len(v) < node.min_len:
        raise Invalid(path, f"needs at least {node.min_len} entry", "a non-empty array of tables")
    return tuple(_table(node.item, x, f"{path}[{i}]") for i, x in enumerate(v))


_STRING = Scalar(string())
_COUNT = Scalar(integer(1, MAX_SCHEDULE_COUNT))


@functools.lru_cache(maxsize=64)
def _param(hi: float) -> Scalar:
    """The check of a distribution parameter at most ``hi`` (a few values of ``hi``: built
    once each instead of once per parameter)."""
    return Scalar(number(None, hi))


_DIST_EXAMPLE = '{ dist = "exponential", mean = 1.0 }; dist: ' + ", ".join(DIST_PARAMS)


def _dist(node: DistNode, v: Any, path: str) -> dict[str, Any]:
    _need_table(v, path, _DIST_EXAMPLE)
    d = node.default
    if isinstance(d, Mapping) and v.get("dist", d["dist"]) == d["dist"]:
        v = {**d, **v}
    kind = v.get("dist")
    if kind is None:
        raise Invalid(join(path, "dist"), _MISSING, ", ".join(DIST_PARAMS))
    if not isinstance(kind, str) or kind not in DIST_PARAMS:
        hint = suggest(kind, list(DIST_PARAMS)) if isinstance(kind, str) else ""
        what = f"unknown distribution {kind!r}" if isinstance(kind, str) else (
            f"expected a string, got {describe(kind)}")
        raise Invalid(join(path, "dist"), what + hint, ", ".join(DIST_PARAMS))
    names = DIST_PARAMS[kind]
    allowed = f"{kind}: {', '.join(names)}"
    for key in v:
        if key not in names and key not in ("dist", "source"):
            hint = suggest(key, names)
            raise Invalid(join(path, key), f"unexpected parameter for {kind}{hint}", allowed)
    out: dict[str, Any] = {"dist": kind}
    for name in names:
        if v.get(name) is None:
            raise Invalid(join(path, name), f"missing parameter of {kind}", allowed)
        out[name] = _value(_param(node.hi), v[name], join(path, name))
    p = out
    if kind == "fixed" and p["value"] < 0:
        raise Invalid(join(path, "value"), f"{p['value']:g} is negative", "value >= 0")
    if kind in ("exponential", "lognormal", "gamma") and p["mean"] <= 0:
        raise Invalid(join(path, "mean"), f"{p['mean']:g} is not positive", "mean > 0")
    if kind in ("lognormal", "gamma") and p["sd"] <= 0:
        raise Invalid(join(path, "sd"), f"{p['sd']:g} is not positive", "sd > 0")
    if kind in ("triangular", "uniform"):
        rule = "low <= mode <= high, low >= 0, high > low" if kind == "triangular" else (
            "low >= 0, high > low")
        if p["low"] < 0:
            raise Invalid(join(path, "low"), f"{p['low']:g} is negative", rule)
        if p["high"] <= p["low"]:
            raise Invalid(join(path, "high"), f"{p['high']:g} is not above low = {p['low']:g}",
                          rule)
        if kind == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
            raise Invalid(join(path, "mode"),
                          f"{p['mode']:g} is not between low = {p['low']:g} and high = "
                          f"{p['high']:g}", rule)
    if "source" in v:
        out["source"] = _value(_STRING, v["source"], join(path, "source"))
    assert all(math.isfinite(x) for k, x in out.items() if k in names)
    return out


_SCHEDULE_CHECKS: dict[str, Scalar] = {
    "weekday": Scalar(lambda x: _weekday(x)),
    "day": Scalar(integer(1, 28)),
    "month": Scalar(integer(1, 12)),
}


def _weekday(x: Any) -> str:
    if not isinstance(x, str):
        raise Bad(f"expected a string, got {describe(x)}", ", ".join(WEEKDAYS))
    if x not in WEEKDAYS:
        raise Bad(f"unknown weekday {x!r}{suggest(x.lower()[:3], WEEKDAYS)}", ", ".join(WEEKDAYS))
    return x


def _schedule(node: ScheduleNode, v: Any, path: str) -> dict[str, Any]:
    _need_table(v, path, '{ every = "week", weekday = "mon", time = "09:00" }')
    d = node.default
    if isinstance(d, Mapping) and v.get("every", d["every"]) == d["every"]:
        v = {**d, **v}
    if v.get("every") is None:
        raise Invalid(join(path, "every"), _MISSING, ", ".join(EVERY))
    every = _value(Scalar(lambda x: _every(x)), v["every"], join(path, "every"))
    own = SCHEDULE_KEYS[every]
    allowed = ["every", *own, "time", "count"]
    for key in v:
        if key == "source":
            continue
        if key not in node.keys:
            raise _unknown(path, key, [*node.keys, "source"])
        if key not in allowed:
            raise Invalid(join(path, key), f"does not apply to every = {every!r}",
                          ", ".join(allowed))
    out: dict[str, Any] = {"every": every}
    for key in own:
        out[key] = (_value(_SCHEDULE_CHECKS[key], v[key], join(path, key))
                    if v.get(key) is not None else SCHEDULE_DEFAULTS[key])
    out["time"] = _value(Scalar(time_of_day), v["time"], join(path, "time")) if v.get(
        "time") is not None else SCHEDULE_DEFAULTS["time"]
    out["count"] = _value(_COUNT, v["count"], join(path, "count")) if v.get(
        "count") is not None else SCHEDULE_DEFAULTS["count"]
    if "source" in v:
        out["source"] = _value(_STRING, v["source"], join(path, "source"))
    return out


def _every(x: Any) -> str:
    if not isinstance(x, str) or x not in EVERY:
        raise Bad((f"unknown value {x!r}{suggest(x, EVERY)}" if isinstance(x, str)
                   else f"expected a string, got {describe(x)}"), ", ".join(EVERY))
    return x


def _named(node: Named, v: Any, path: str) -> dict[str, Any]:
    import re

    _need_table(v, path)
    out = {}
    for name, item in v.items():
        p = join(path, name)
        if not re.fullmatch(LEVER_NAME, name):
            raise Invalid(p, f"{name!r} is not a valid name", "letters, digits, _ and -")
        out[name] = _table(node.item, item, p)
    return out


def _free(node: FreeTable, v: Any, path: str) -> dict[str, Any]:
    _need_table(v, path)
    if node.check is None:
        return dict(v)
    return {k: _value(Scalar(node.check), x, join(path, k)) for k, x in v.items()}


def check_sources(resolved: Mapping[str, Any]) -> None:
    """Every ``[sources]`` key must name a field (or table) of the resolved data: a path, a
    path with ``*`` for one component that matches at least one field, or a lever's value
    ``levers.NAME.set.KEY``; every ``[key]`` a note cites must be an entry of docs/sources.md."""
    from sim.scenario.content import content_paths, has_match, lookup
    from sim.scenario.datapaths import MISSING as ABSENT_VALUE
    from sim.scenario.datapaths import get

    sources = resolved.get("sources") or {}
    known: list[str] | None = None
    for key in sources:
        top = key.split(".")[0]
        if top not in ("sources", "levers") and "*" not in key and lookup(resolved, key) is not None:
            continue
        if top == "levers" and ".set." in key and get(resolved, key) is not ABSENT_VALUE:
            continue
        wild = "*" in key and top not in ("sources", "levers")
        if wild and has_match(resolved, key):  # found without listing every path
            continue
        known = known if known is not None else content_paths(resolved)
        if wild and _matches(key, known):
            continue
        hint = suggest(key, known)
        raise Invalid(join("sources", key), f"names no field of the scenario{hint}",
                      None if hint else "a dotted path such as office.workers")
    _check_citations(resolved, "")


def _matches(pattern: str, paths: list[str]) -> bool:
    from sim.scenario.content import split_path

    parts = split_path(pattern)
    return any(len(t) == len(parts) and all(p in ("*", x) for p, x in zip(parts, t, strict=True))
               for t in (split_path(p) for p in paths))


def _check_citations(value: Any, path: str) -> None:
    """Every note (a ``source`` key, a ``[sources]`` entry) cites only keys of docs/sources.md."""
    t = type(value)
    if t is dict or (t is not list and t is not tuple and isinstance(value, Mapping)):
        for k, v in value.items():
            tv = type(v)
            if tv in LEAF and tv is not str:  # numbers, booleans, dates: nothing to check
                continue
            if tv is str or isinstance(v, str):
                if k != "source" and path != "sources":
                    continue
                p = f"{path}.{k}" if path else k
                missing = unresolved(v)
                if missing:
                    where = f"sources.{k}" if path == "sources" else p
                    raise Invalid(where, f"cites [{missing[0]}], which is not an entry of "
                                         f"docs/sources.md{suggest(missing[0], sorted(known_keys() or ()))}",
                                  "keys of docs/sources.md, e.g. [huaiyin2019]")
            elif tv is dict or tv is list or tv is tuple or isinstance(v, Mapping | list | tuple):
                _check_citations(v, f"{path}.{k}" if path else k)
    elif t is list or t is tuple or isinstance(value, list | tuple):
        for i, v in enumerate(value):
            tv = type(v)
            if tv in LEAF:  # a number or string in an array is not a note
                continue
            name = v.get("id") if tv is dict or isinstance(v, Mapping) else None
            _check_citations(v, f"{path}.{name}" if isinstance(name, str) else f"{path}[{i}]")
