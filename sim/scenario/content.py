"""The content of a resolved scenario: hash, flat view, differences and citations.

The *content* is ``Scenario.resolved`` (canonical, defaults filled in) without citation
notes (every ``source`` key and the ``[sources]`` table), without lever descriptions and
without the ``[uncertainties]`` declarations (they say what is unknown about values, not what
is simulated: a fixed uncertainty's value is in the content through the paths it moves).
:func:`content_hash` hashes it, :func:`flatten` lists it as dotted path -> value (tasks by
id, arrays of tables without ids as ``path[i]``), :func:`scenario_diff` compares two of them;
so two scenarios have the same hash exactly when their diff is empty.
:func:`source_of` finds the citation of one path.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sim.scenario.datapaths import LEAF, copy

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

_LEVER_TEXT = ("description", "description_zh")
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``"tasks.x.steps[0].role"`` -> ``["tasks", "x", "steps", 0, "role"]``."""
    return [int(m[2]) if m[2] is not None else m[1] for m in _TOKEN.finditer(path)]


def format_path(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path (tasks by id), or None."""
    cur = data
    for t in split_path(path):
        if isinstance(t, int):
            if not isinstance(cur, list | tuple) or t >= len(cur):
                return None
            cur = cur[t]
        elif isinstance(cur, Mapping):
            if t not in cur:
                return None
            cur = cur[t]
        elif isinstance(cur, list | tuple):
            cur = next((x for x in cur if isinstance(x, Mapping) and x.get("id") == t), None)
            if cur is None:
                return None
        else:
            return None
    return cur


def content(resolved: Mapping[str, Any]) -> dict[str, Any]:
    """Plain data of what the scenario says, without citations and lever descriptions."""

    def strip(value: Any) -> Any:
        t = type(value)
        if t in LEAF:
            return value
        if t is list or t is tuple:  # exactly these types: never a Mapping
            return [strip(v) for v in value]
        if t is dict or isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k != "source"}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    out: dict[str, Any] = {}
    for key, value in resolved.items():
        if key in ("sources", "uncertainties"):
            continue
        if key == "levers":
            out[key] = {name: {k: copy(v) for k, v in lever.items()
                               if k not in _LEVER_TEXT and k != "source"}
                        for name, lever in value.items()}
        else:
            out[key] = strip(value)
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def canonical_json(resolved: Mapping[str, Any]) -> str:
    return json.dumps(content(resolved), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False, default=_json_default)


def content_hash(resolved: Mapping[str, Any]) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of the content."""
    return hashlib.sha256(canonical_json(resolved).encode("utf-8")).hexdigest()[:16]


def dated_hash(first: str, later: list[tuple[int, str]]) -> str:
    """The content hash of a scenario with epochs: of its day-0 hash and each later epoch's
    first day and hash (an undated scenario keeps its plain :func:`content_hash`)."""
    text = first + "".join(f"|{day}:{digest}" for day, digest in later)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def freeze(value: Any) -> Any:
    """Read-only plain data: mappings become ``MappingProxyType``, lists tuples."""
    t = type(value)
    if t in LEAF:
        return value
    if t is list or t is tuple:  # exactly these types: never a Mapping
        return tuple([freeze(v) for v in value])
    if t is dict or isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def flatten_data(resolved: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(value: Any, path: str, depth: int) -> None:
        if type(value) in LEAF:
            out[path] = value  # freeze(value) is value itself
        elif isinstance(value, Mapping) and not (depth == 3 and path.startswith("levers.")
                                               and path.endswith(".set")):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else k, depth + 1)
        elif (isinstance(value, list | tuple) and value
              and all(isinstance(x, Mapping) for x in value)):
            if all("id" in x for x in value):
                for x in value:
                    walk({k: v for k, v in x.items() if k != "id"}, f"{path}.{x['id']}",
                         depth + 1)
            else:
                for i, x in enumerate(value):
                    walk(x, f"{path}[{i}]", depth + 1)
        else:
            out[path] = freeze(value)

    walk(content(resolved), "", 0)
    return out


def flatten(scenario: Scenario) -> dict[str, Any]:
    """Dotted path -> resolved value (defaults filled in) of everything the scenario says,
    in schema order; citations are left out (see :func:`source_of`)."""
    return flatten_data(scenario.resolved)


def content_paths(resolved: Mapping[str, Any]) -> list[str]:
    """Every leaf path and every enclosing table path of the content."""
    paths: dict[str, None] = {}
    for path in flatten_data(resolved):
        for prefix in _prefixes(path):
            paths[prefix] = None
    return list(paths)


@functools.lru_cache(maxsize=1 << 14)
def _prefixes(path: str) -> tuple[str, ...]:
    """Every enclosing path of ``path`` and itself, outermost first (the same paths recur
    in every variant of a scenario: cached by the path, bounded)."""
    tokens = split_path(path)
    return tuple(format_path(tokens[:k]) for k in range(1, len(tokens) + 1))


_SIMPLE = re.compile(r"[^.\[\]]+")
_NOT_WALKED = ("sources", "uncertainties", "levers")


def has_match(resolved: Mapping[str, Any], pattern: str) -> bool:
    """Whether a path of :func:`content_paths` matches ``pattern`` (``*`` for any one
    component), found without listing them all: it follows the pattern down the data the way
    :func:`flatten_data` walks it (``source`` keys left out, tasks by id, other arrays of
    tables by index) and needs a leaf below the node it reaches. Only keys and ids that are
    one path component are followed (and not the top-level tables ``content`` rewrites), so a
    True is always right; a False may be wrong, and the caller then checks the full list."""
    tokens = split_path(pattern)
    if not tokens or tokens[0] == "*" or tokens[0] in _NOT_WALKED or tokens[0] not in resolved:
        return False
    return _follow(resolved[tokens[0]], tokens, 1)


def _children(value: Any) -> list[tuple[Any, Any]]:
    """(path component, child) of a node as :func:`flatten_data` walks it; none for a leaf."""
    if isinstance(value, Mapping):
        return [(k, v) for k, v in value.items()
                if k != "source" and type(k) is str and _SIMPLE.fullmatch(k)]
    if isinstance(value, list | tuple) and value and all(isinstance(x, Mapping) for x in value):
        if all("id" in x for x in value):
            return [(x["id"], {k: v for k, v in x.items() if k != "id"}) for x in value
                    if type(x["id"]) is str and _SIMPLE.fullmatch(x["id"])]
        return list(enumerate(value))
    return []


def _follow(value: Any, tokens: list[str | int], i: int) -> bool:
    if i == len(tokens):
        return _has_leaf(value)
    t = tokens[i]
    return any(_follow(child, tokens, i + 1) for k, child in _children(value)
               if t == "*" or (type(t) is type(k) and t == k))


def _has_leaf(value: Any) -> bool:
    """Whether :func:`flatten_data` finds a leaf at or below ``value`` (``source`` keys
    left out, as ``content`` strips them)."""
    if isinstance(value, Mapping):
        return any(_has_leaf(v) for k, v in value.items() if k != "source")
    if isinstance(value, list | tuple) and value and all(isinstance(x, Mapping) for x in value):
        ids = all("id" in x for x in value)
        return any(_has_leaf({k: v for k, v in x.items() if k != "id"} if ids else x)
                   for x in value)
    return True


_ABSENT = object()


def scenario_diff(a: Scenario, b: Scenario) -> list[tuple[str, Any, Any]]:
    """(path, value in a, value in b) for every path whose resolved value differs; a path
    present in only one scenario has ``None`` on the other side."""
    fa, fb = flatten(a), flatten(b)
    order: dict[str, tuple[int, int, int]] = {k: (i, 0, 0) for i, k in enumerate(fa)}
    anchor = -1
    for j, k in enumerate(fb):  # paths only in b go after the b path before them
        if k in order:
            anchor = order[k][0]
        else:
            order[k] = (anchor, 1, j)
    out = []
    for path in sorted(order, key=order.__getitem__):
        va, vb = fa.get(path, _ABSENT), fb.get(path, _ABSENT)
        if va is _ABSENT or vb is _ABSENT or type(va) is not type(vb) or va != vb:
            out.append((path, None if va is _ABSENT else va, None if vb is _ABSENT else vb))
    return out


def source_of(scenario: Scenario, path: str) -> str:
    """The citation of a value: its ``[sources]`` entry, else the ``source`` note of the
    nearest enclosing table (or a ``[sources]`` entry naming that table), else
    ``"unspecified"``."""
    sources = scenario.sources
    if path in sources:
        return sources[path]
    tokens = split_path(path)
    for k in range(len(tokens) - 1, 0, -1):
        prefix = format_path(tokens[:k])
        table = lookup(scenario.resolved, prefix)
        if isinstance(table, Mapping) and isinstance(table.get("source"), str) and table["source"]:
            return table["source"]
        if prefix in sources:
            return sources[prefix]
    return "unspecified"
