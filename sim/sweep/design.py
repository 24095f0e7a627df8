"""Sweep designs: ``--param`` specs -> the list of points of a sweep.

Two designs:

- ``grid`` (default): every ``--param KEY=VALUES`` gives a list of values; the points are all
  their combinations (the Cartesian product). VALUES is a comma list (``4,6,8``; each item is
  read as a TOML value like ``--set``, else as a plain string: ``fifo,edf``) or a range
  ``start:stop:step``. A range is computed in exact decimal arithmetic from the text the user
  wrote, ``start + i * step`` for ``i = 0, 1, ...`` while ``<= stop`` (so ``stop`` is
  included when it lies on the grid, and ``0.1:0.3:0.1`` is exactly ``0.1, 0.2, 0.3``).
  Points are numbered from 0 in row-major order: the first ``--param`` varies slowest, the
  last fastest (``itertools.product`` order).
- ``lhs``: a Latin hypercube of ``samples`` points over ranges ``KEY=LOW:HIGH``
  (:class:`scipy.stats.qmc.LatinHypercube`, seeded with the sweep seed). Integer fields (the
  field's current value in the base scenario is an int) get integers drawn evenly from
  ``LOW..HIGH`` inclusive (``LOW + floor(u * (HIGH - LOW + 1))``); float fields get
  ``LOW + u * (HIGH - LOW)``. Points are numbered in the sampler's order.

Values are coerced to the type of the field's current value: an integral float on an int
field becomes an int, an int on a float field becomes a float (so ``1:3:1`` on a float field
gives ``1.0, 2.0, 3.0``). Every key and every point is then checked by the scenario loader
(:func:`sim.scenario.apply_overrides`); any problem is an :class:`~sim.errors.InputError`
naming the field.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sim.errors import InputError

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

DESIGNS = ("grid", "lhs")
MAX_POINTS = 1_000_000
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
_ABSENT = object()


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param``: its dotted ``key``, the ``text`` after ``=`` as written, and either
    the grid ``values`` or the LHS range ``low``..``high``."""

    key: str
    text: str
    values: tuple[Any, ...] = ()
    low: float | int | None = None
    high: float | int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "spec": self.text}
        if self.low is not None:
            out["low"], out["high"] = self.low, self.high
        else:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True)
class Design:
    """The points of a sweep: ``points[i]`` maps each key (in ``keys`` order) to its value."""

    kind: str
    keys: tuple[str, ...]
    specs: tuple[ParamSpec, ...]
    points: tuple[dict[str, Any], ...]
    samples: int | None = None


# -- parsing --------------------------------------------------------------------------------


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets, braces and quotes."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == sep and depth <= 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def read_value(text: str) -> Any:
    """One value as ``--set`` reads it: a TOML value, else the plain string."""
    import tomllib

    raw = text.strip()
    try:
        parsed = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return raw
    return parsed["v"] if list(parsed) == ["v"] else raw


def split_param(item: str) -> tuple[str, str]:
    """``"KEY=VALUES"`` -> (KEY, VALUES)."""
    if not isinstance(item, str) or "=" not in item:
        raise InputError(f"expected KEY=VALUES, got {item!r}", field="--param",
                         allowed="KEY=4,6,8 or KEY=start:stop:step (grid), KEY=LOW:HIGH (lhs)")
    key, _, values = item.partition("=")
    key, values = key.strip(), values.strip()
    if not key or not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", key):
        raise InputError(f"{key!r} is not a dotted path (in {item!r})", field="--param",
                         allowed="a dotted path such as office.workers")
    if not values:
        raise InputError("no values given", field=key,
                         allowed="KEY=4,6,8 or KEY=start:stop:step (grid), KEY=LOW:HIGH (lhs)")
    return key, values


def _numeric_parts(text: str) -> list[str] | None:
    """The colon-separated parts of ``text`` if all are numbers (and there are 2 or 3)."""
    if "," in text:
        return None
    parts = [p.strip() for p in text.split(":")]
    if len(parts) in (2, 3) and all(_NUMBER.fullmatch(p) for p in parts):
        return parts
    return None


def _looks_like_range(text: str) -> bool:
    parts = text.split(":")
    return "," not in text and len(parts) == 3


def grid_range(key: str, start: str, stop: str, step: str) -> list[int | float]:
    """The values ``start:stop:step`` in exact decimal arithmetic (stop included when on the
    grid); ints when all three are written as integers, else floats."""
    try:
        a, b, s = Decimal(start), Decimal(stop), Decimal(step)
    except InvalidOperation:
        raise InputError(f"{start}:{stop}:{step} is not a numeric range", field=key,
                         allowed="start:stop:step with numbers") from None
    if not (a.is_finite() and b.is_finite() and s.is_finite()):
        raise InputError(f"{start}:{stop}:{step} is not a finite range", field=key,
                         allowed="start:stop:step with finite numbers")
    if s <= 0:
        raise InputError(f"step must be > 0, got {step} (in {start}:{stop}:{step})", field=key,
                         allowed="start:stop:step with step > 0")
    if a > b:
        raise InputError(f"empty range {start}:{stop}:{step}: start is greater than stop",
                         field=key, allowed="start:stop:step with start <= stop")
    n = int((b - a) // s) + 1
    if n > MAX_POINTS:
        raise InputError(f"range {start}:{stop}:{step} has {n} values", field=key,
                         allowed=f"at most {MAX_POINTS}")
    ints = all(_INT.fullmatch(x) for x in (start, stop, step))
    out: list[int | float] = []
    for i in range(n):
        v = a + i * s
        out.append(int(v) if ints else float(v))
    return out


def _kind(current: Any) -> str:
    if current is _ABSENT or current is None:
        return "unknown"
    if isinstance(current, bool):
        return "bool"
    if isinstance(current, int):
        return "int"
    if isinstance(current, float):
        return "float"
    if isinstance(current, str):
        return "str"
    return "other"


def coerce(value: Any, current: Any) -> Any:
    """``value`` converted to the type of the field's ``current`` value where lossless."""
    kind = _kind(current)
    if isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if kind == "float" and isinstance(value, int):
        return float(value)
    return value


def _type_name(current: Any) -> str:
    return {"bool": "a boolean", "str": "a string", "other": "not a number"}.get(
        _kind(current), "a number")


def parse_grid_values(key: str, text: str, current: Any = _ABSENT) -> list[Any]:
    """The grid values of ``--param key=text`` (``current``: the field's value, for types)."""
    kind = _kind(current)
    if _looks_like_range(text):
        parts = [p.strip() for p in text.split(":")]
        if kind in ("bool", "str", "other"):
            raise InputError(f"a range {text} needs a numeric field, but {key} is "
                             f"{_type_name(current)} ({current!r})", field=key,
                             allowed="a comma list of values, e.g. a,b,c")
        if not all(_NUMBER.fullmatch(p) for p in parts):
            raise InputError(f"{text} is not a numeric range", field=key,
                             allowed="start:stop:step with numbers, or a comma list")
        values = grid_range(key, *parts)
    else:
        if kind in ("int", "float", "unknown") and _numeric_parts(text) is not None:
            raise InputError(f"{text} is not a grid range", field=key,
                             allowed="start:stop:step (with a step) or a comma list")
        items = split_top(text)
        if any(not x.strip() for x in items):
            raise InputError(f"empty item in the list {text!r}", field=key,
                             allowed="a comma list of values, e.g. 4,6,8")
        values = [read_value(x) for x in items]
    out = [coerce(v, current) for v in values]
    seen: list[Any] = []
    for v in out:
        if any(type(v) is type(w) and v == w for w in seen):
            raise InputError(f"value {v!r} is listed twice", field=key,
                             allowed="distinct values")
        seen.append(v)
    return out


def parse_lhs_range(key: str, text: str, current: Any = _ABSENT) -> tuple[Any, Any]:
    """(LOW, HIGH) of ``--param key=LOW:HIGH`` for the ``lhs`` design."""
    kind = _kind(current)
    parts = [p.strip() for p in text.split(":")]
    if kind in ("bool", "str", "other"):
        raise InputError(f"a range {text} needs a numeric field, but {key} is "
                         f"{_type_name(current)} ({current!r})", field=key,
                         allowed="a numeric field for --design lhs")
    if len(parts) != 2 or not all(_NUMBER.fullmatch(p) for p in parts):
        raise InputError(f"{text!r} is not a range LOW:HIGH", field=key,
                         allowed="LOW:HIGH with numbers, for --design lhs")
    low, high = (float(p) for p in parts)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError(f"{text} is not a finite range", field=key, allowed="finite numbers")
    if low > high:
        raise InputError(f"empty range {text}: LOW is greater than HIGH", field=key,
                         allowed="LOW:HIGH with LOW <= HIGH")
    if kind == "int" or (kind == "unknown" and all(_INT.fullmatch(p) for p in parts)):
        if not (low.is_integer() and high.is_integer()):
            raise InputError(f"{key} is an integer field; {text} has non-integer bounds",
                             field=key, allowed="integer LOW:HIGH")
        return int(low), int(high)
    return low, high


# -- designs --------------------------------------------------------------------------------


def _items(params: Mapping[str, Any] | Sequence[str]) -> list[tuple[str, Any]]:
    """(key, text or explicit values) pairs of the API's ``params`` argument."""
    out: list[tuple[str, Any]] = []
    if isinstance(params, str):
        params = [params]
    if isinstance(params, Mapping):
        for key, v in params.items():
            if isinstance(v, str):
                out.append((str(key), v.strip()))
            elif isinstance(v, tuple | list | range):
                out.append((str(key), list(v)))
            else:
                out.append((str(key), [v]))
    else:
        for item in params:
            out.append(split_param(item))
    if not out:
        raise InputError("no --param given", field="--param",
                         allowed="at least one --param KEY=VALUES")
    keys = [k for k, _ in out]
    for k in keys:
        if keys.count(k) > 1:
            raise InputError("given twice", field=k, allowed="each --param key once")
    return out


def _text_of(values: list[Any]) -> str:
    return ",".join(repr(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool)
                    else str(v) for v in values)


def _check(base: Scenario, mapping: dict[str, Any], where: str | None = None) -> Scenario:
    """``base`` with ``mapping`` applied, or an InputError naming the field (and point)."""
    from sim.scenario import apply_overrides

    try:
        return apply_overrides(base, mapping)
    except InputError as exc:
        detail = exc.detail.replace(" (in --set)", "").replace(" (set by --set)", "")
        if where:
            detail = f"{detail} ({where})"
        raise InputError(detail, file=exc.file, field=exc.field, allowed=exc.allowed) from None


def make_design(base: Scenario, params: Mapping[str, Any] | Sequence[str], *,
                design: str = "grid", samples: int | None = None,
                seed: int = 0, inspect: Callable[[Scenario], None] | None = None,
                ) -> tuple[Design, list[str]]:
    """The design of a sweep over ``base`` and the content hash of every point's validated
    scenario (``inspect``, if given, sees every point's scenario, e.g. to estimate its
    size)."""
    from sim.scenario import flatten

    if design not in DESIGNS:
        raise InputError(f"unknown design {design!r}", field="--design", allowed="grid, lhs")
    items = _items(params)
    flat = flatten(base)
    specs: list[ParamSpec] = []
    for key, given in items:
        current = flat.get(key, _ABSENT)
        if design == "grid":
            if isinstance(given, str):
                values = parse_grid_values(key, given, current)
                text = given
            else:
                if not given:
                    raise InputError("no values given", field=key, allowed="a list of values")
                values = [coerce(v, current) for v in given]
                text = _text_of(values)
            specs.append(ParamSpec(key, text, tuple(values)))
        else:
            if isinstance(given, str):
                text = given
            elif len(given) == 2:
                text = f"{given[0]}:{given[1]}"
            else:
                raise InputError("expected a (low, high) range for --design lhs", field=key,
                                 allowed="LOW:HIGH")
            low, high = parse_lhs_range(key, text, current)
            specs.append(ParamSpec(key, text, (), low, high))
    keys = tuple(s.key for s in specs)
    if design == "grid":
        if samples is not None:
            raise InputError("--samples is for --design lhs", field="--samples",
                             allowed="leave it out with --design grid")
        n = math.prod(len(s.values) for s in specs)
        if n > MAX_POINTS:
            raise InputError(f"the grid has {n} points", field="--param",
                             allowed=f"at most {MAX_POINTS}")
        points = [dict(zip(keys, combo, strict=True))
                  for combo in itertools.product(*(s.values for s in specs))]
    else:
        if samples is None or isinstance(samples, bool) or int(samples) != samples or samples < 1:
            raise InputError(f"--design lhs needs --samples N >= 1, got {samples}",
                             field="--samples", allowed="an integer >= 1")
        samples = int(samples)
        if samples > MAX_POINTS:
            raise InputError(f"{samples} samples", field="--samples",
                             allowed=f"at most {MAX_POINTS}")
        points = lhs_points(specs, samples, seed)
    # Unknown keys, bad values and combinations that do not validate are the loader's to
    # find: every point is resolved and validated, and the first problem names the field.
    hashes = []
    for i, p in enumerate(points):
        sc = _check(base, p, f"point {i}: {describe_point(p)}")
        if inspect is not None:
            inspect(sc)
        hashes.append(sc.hash)
    return Design(design, keys, tuple(specs), tuple(points), samples), hashes


def lhs_points(specs: Sequence[ParamSpec], samples: int, seed: int) -> list[dict[str, Any]]:
    """``samples`` Latin hypercube points over the specs' ranges, seeded with ``seed``."""
    import numpy as np
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(specs), rng=np.random.default_rng(int(seed)))
    u = sampler.random(samples)
    points = []
    for row in u:
        point: dict[str, Any] = {}
        for s, x in zip(specs, row, strict=True):
            x = float(x)
            if isinstance(s.low, int) and isinstance(s.high, int):
                point[s.key] = min(s.high, s.low + math.floor(x * (s.high - s.low + 1)))
            else:
                point[s.key] = float(s.low) + x * (float(s.high) - float(s.low))
        points.append(point)
    return points


def describe_point(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_text_of([v])}" for k, v in point.items())
