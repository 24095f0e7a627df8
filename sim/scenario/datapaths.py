"""Dotted paths into plain scenario data, including a lever's dotted keys: read a value
(``get``, ``MISSING`` when absent) or write one inside a lever (``put``). Used by the
uncertainties (:mod:`sim.scenario.uncertainty`) and the check of ``[sources]`` keys
(:mod:`sim.scenario.validate`); free of both, so neither has to import the other."""

from __future__ import annotations

import datetime as dt
import io
import pickle
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

MISSING = object()


LEAF = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, dt.time})
"""Types that are never a mapping, list or tuple: the walkers below test ``type(x) in LEAF``
(and ``type(x) is dict``) before the slower ``isinstance(x, Mapping)`` through abc."""


def copy(value: Any) -> Any:
    """A deep copy of plain data, thawing read-only mappings and tuples."""
    t = type(value)
    if t in LEAF:
        return value
    if t is dict or t is MappingProxyType:
        return {k: copy(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [copy(v) for v in value]
    if isinstance(value, Mapping):
        return {k: copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [copy(v) for v in value]
    return value


_DATES = (dt.date, dt.datetime, dt.time)


class _NotPlain(Exception):
    pass


class _PlainPickler(pickle.Pickler):
    """Pickles plain data only: dicts, lists, tuples, strings, numbers, booleans, None and
    dates (without time zones); anything else (a NumPy number, a subclass...) stops it."""

    def reducer_override(self, obj: Any) -> Any:
        # not called for None, booleans and exact int, float, str, dict, list, tuple
        if (type(obj) in _DATES and getattr(obj, "tzinfo", None) is None) or any(
                obj is c for c in _DATES):
            return NotImplemented  # pickled as usual
        raise _NotPlain


def plain_key(value: Any) -> bytes | None:
    """Bytes that determine plain data ``value`` exactly (every type, value, key order and
    nesting; equal bytes -> data no check can tell apart), or None when ``value`` holds
    anything but plain data. A cache key of the data's content."""
    out = io.BytesIO()
    try:
        _PlainPickler(out, protocol=5).dump(value)
    except Exception:  # _NotPlain, or anything pickle cannot take: no key
        return None
    return out.getvalue()


def normal_path(path: str) -> str:
    """A path with its quotes removed: ``levers.a.set."tasks.x.copies"`` ->
    ``levers.a.set.tasks.x.copies``."""
    return path.replace('"', "")


def _locate(data: Any, path: str) -> tuple[Any, Any, list[str]] | None:
    """(container, key, remaining tokens) of the first step where ``path`` enters a table
    through a key that holds dots (a lever's ``set`` key), or the last step; None if absent."""
    tokens = normal_path(path).split(".")
    cur = data
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if isinstance(cur, Mapping):
            if t not in cur:   # a lever's set key such as "tasks.x.copies": the longest match
                for j in range(len(tokens), i + 1, -1):
                    key = ".".join(tokens[i:j])
                    if key in cur:
                        return cur, key, tokens[j:]
                return None
            if i == len(tokens) - 1:
                return cur, t, []
            cur = cur[t]
        elif isinstance(cur, list | tuple):
            cur = next((x for x in cur if isinstance(x, Mapping) and x.get("id") == t), None)
            if cur is None:
                return None
        else:
            return None
        i += 1
    return None


def get(data: Any, path: str) -> Any:
    """The value at ``path`` in plain scenario data (tasks by id; a lever's ``set`` key with
    dots, then keys inside its value), or ``MISSING``."""
    found = _locate(data, path)
    if found is None:
        return MISSING
    cur, key, rest = found
    cur = cur[key]
    for t in rest:
        if not isinstance(cur, Mapping) or t not in cur:
            return MISSING
        cur = cur[t]
    return cur


def put(data: Any, path: str, value: Any) -> None:
    """Write ``value`` at an existing ``path`` inside a lever (checked when the lever applies)."""
    cur, key, rest = _locate(data, path)  # type: ignore[misc]  # get() found it before
    if not rest:
        cur[key] = value
        return
    cur[key] = node = copy(cur[key])
    for t in rest[:-1]:
        node = node[t]
    node[rest[-1]] = value
