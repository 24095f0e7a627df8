"""Checkers for single scenario values: types, ranges and the small string formats.

Each checker takes the raw TOML value and returns its canonical form (ints stay ints, numbers
become floats, dates become :class:`datetime.date`, times are rewritten as ``HH:MM``) or
raises :class:`Bad` with what is wrong and what is allowed. The canonical form is what goes
into ``Scenario.resolved`` and the content hash, so ``8`` and ``8.0`` or ``"8:30-12:00"``
and ``"08:30-12:00"`` hash alike. The ``parse_*`` helpers turn canonical strings into numbers
for the dataclasses.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from sim.scenario.vocabulary import WEEKDAYS


class Bad(Exception):
    """A value is wrong. ``sub`` is an optional path suffix (``"[2]"``, ``".sd"``)."""

    def __init__(self, message: str, allowed: str | None = None, sub: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed
        self.sub = sub


Checker = Callable[[Any], Any]


def suggest(word: str, options: Sequence[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest option, or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(value: Any) -> str:
    """A value as the user wrote it, for messages: ``string '10'``, ``boolean true``."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, _dt.datetime):
        return f"date-time {value.isoformat()}"
    if isinstance(value, _dt.date):
        return f"date {value.isoformat()}"
    if isinstance(value, _dt.time):
        return f"time {value.isoformat()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def _bounds_text(kind: str, lo: float | None, hi: float | None, lo_open: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"<= {hi:g}")
    return f"{kind} {' and '.join(parts)}".strip() if parts else kind


def integer(lo: int | None = None, hi: int | None = None) -> Checker:
    allowed = _bounds_text("an integer", lo, hi, False)

    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise Bad(f"expected an integer, got {describe(v)}", allowed)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise Bad(f"{v} is out of range", allowed)
        return v

    return check


def number(lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> Checker:
    allowed = _bounds_text("a number", lo, hi, lo_open)

    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise Bad(f"expected a number, got {describe(v)}", allowed)
        x = float(v)
        if not math.isfinite(x):
            raise Bad(f"{x!r} is not a finite number", allowed)
        if lo is not None and (x < lo or (lo_open and x == lo)):
            raise Bad(f"{x:g} is out of range", allowed)
        if hi is not None and x > hi:
            raise Bad(f"{x:g} is out of range", allowed)
        return x

    return check


probability = number(0.0, 1.0)


def tolerance(v: Any) -> float | str:
    """A target's tolerance: a number >= 0 (absolute) or a percentage string such as "10%"."""
    allowed = 'a number in [0, 1e15] (absolute) or a percentage up to 1000% such as "10%"'
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*", v)
        if not m:
            raise Bad(f"{v!r} is not a percentage", allowed)
        if float(m[1]) > 1000:
            raise Bad(f"{v!r} is out of range", allowed)
        return f"{float(m[1]):g}%"
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0 \
            or v > 1e15:
        raise Bad(f"expected a tolerance, got {describe(v)}", allowed)
    return float(v)


def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise Bad(f"expected true or false, got {describe(v)}", "true, false")
    return v


def string(pattern: str | None = None, nonempty: bool = False, what: str = "a string") -> Checker:
    rx = re.compile(pattern) if pattern else None

    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise Bad(f"expected a string, got {describe(v)}", what)
        if nonempty and not v.strip():
            raise Bad("must not be empty", what)
        if rx is not None and not rx.fullmatch(v):
            raise Bad(f"{v!r} is not valid", what)
        return v

    return check


def choice(options: Sequence[str]) -> Checker:
    allowed = ", ".join(options)

    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise Bad(f"expected a string, got {describe(v)}", allowed)
        if v not in options:
            raise Bad(f"unknown value {v!r}{suggest(v, options)}", allowed)
        return v

    return check


def choice_list(options: Sequence[str]) -> Checker:
    one = choice(options)

    def check(v: Any) -> tuple[str, ...]:
        if not isinstance(v, list | tuple):
            raise Bad(f"expected an array of strings, got {describe(v)}", ", ".join(options))
        out: list[str] = []
        for x in v:
            x = one(x)
            if x in out:
                raise Bad(f"{x!r} is listed twice", ", ".join(options))
            out.append(x)
        return tuple(out)

    return check


def string_list(pattern: str, what: str) -> Checker:
    """A non-empty array of distinct strings, each matching ``pattern``."""
    one = string(pattern, nonempty=True, what=what)

    def check(v: Any) -> tuple[str, ...]:
        if not isinstance(v, list | tuple) or not v:
            raise Bad(f"expected a non-empty array of strings, got {describe(v)}", what)
        out: list[str] = []
        for i, x in enumerate(v):
            try:
                x = one(x)
            except Bad as exc:
                raise Bad(exc.message, exc.allowed, f"[{i}]") from None
            if x in out:
                raise Bad(f"{x!r} is listed twice", what, f"[{i}]")
            out.append(x)
        return tuple(out)

    return check


def date_value(v: Any) -> _dt.date:
    allowed = "a date YYYY-MM-DD (TOML date or string)"
    if isinstance(v, _dt.datetime | _dt.time):
        raise Bad(f"expected a date without a time, got {describe(v)}", allowed)
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            raise Bad(f"{v!r} is not a date", allowed)
        try:
            return _dt.date.fromisoformat(v.strip())
        except ValueError:
            raise Bad(f"{v!r} is not a valid date", allowed) from None
    raise Bad(f"expected a date, got {describe(v)}", allowed)


def date_list(v: Any) -> tuple[_dt.date, ...]:
    if not isinstance(v, list | tuple):
        raise Bad(f"expected an array of dates, got {describe(v)}", "an array of dates YYYY-MM-DD")
    out = []
    for i, x in enumerate(v):
        try:
            out.append(date_value(x))
        except Bad as exc:
            raise Bad(exc.message, exc.allowed, f"[{i}]") from None
    return tuple(sorted(set(out)))


_HHMM = r"(\d{1,2}):(\d{2})"


def _minutes(h: str, m: str, text: str, allowed: str, end: bool) -> int:
    hh, mm = int(h), int(m)
    if mm > 59 or hh > 24 or (hh == 24 and (mm or not end)):
        raise Bad(f"{text!r} has an invalid time of day", allowed)
    return hh * 60 + mm


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_of_day(v: Any) -> str:
    allowed = "a time HH:MM before 24:00"
    if isinstance(v, _dt.time) and not (v.second or v.microsecond or v.tzinfo):
        return f"{v.hour:02d}:{v.minute:02d}"  # a TOML local time, 09:00:00
    if not isinstance(v, str):
        raise Bad(f"expected a string HH:MM, got {describe(v)}", allowed)
    m = re.fullmatch(_HHMM, v.strip())
    if not m:
        raise Bad(f"{v!r} is not a time HH:MM", allowed)
    return _fmt(_minutes(m[1], m[2], v, allowed, end=False))


def parse_time(text: str) -> float:
    """Canonical ``HH:MM`` -> hours as a float."""
    h, m = text.split(":")
    return int(h) + int(m) / 60.0


def _interval(text: str, allowed: str) -> tuple[int, int]:
    m = re.fullmatch(_HHMM + r"\s*-\s*" + _HHMM, text.strip())
    if not m:
        raise Bad(f"{text!r} is not a time range HH:MM-HH:MM", allowed)
    start = _minutes(m[1], m[2], text, allowed, end=False)
    end = _minutes(m[3], m[4], text, allowed, end=True)
    if end <= start:
        raise Bad(f"{text!r} ends before it starts", allowed)
    return start, end


def office_hours(v: Any) -> tuple[str, ...]:
    allowed = "a non-empty array of \"HH:MM-HH:MM\", sorted, non-overlapping, within one day"
    if not isinstance(v, list | tuple):
        raise Bad(f"expected an array of time ranges, got {describe(v)}", allowed)
    if not v:
        raise Bad("needs at least one time range", allowed)
    out: list[str] = []
    prev_end = -1
    for i, x in enumerate(v):
        if not isinstance(x, str):
            raise Bad(f"expected a string, got {describe(x)}", allowed, f"[{i}]")
        start, end = _interval(x, allowed)
        if start < prev_end:
            raise Bad(f"{x!r} overlaps or precedes the range before it", allowed)
        prev_end = end
        out.append(f"{_fmt(start)}-{_fmt(end)}")
    return tuple(out)


def parse_interval(text: str) -> tuple[float, float]:
    """Canonical ``HH:MM-HH:MM`` -> (start_hours, end_hours)."""
    a, b = text.split("-")
    return parse_time(a), parse_time(b)


def _days(text: str, allowed: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(e in WEEKDAYS for e in ends):
            bad = next((e for e in ends if e not in WEEKDAYS), part)
            raise Bad(f"{bad!r} is not a day{suggest(bad, WEEKDAYS)}", allowed)
        a, b = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        if b < a:
            raise Bad(f"day range {part!r} runs backwards", allowed)
        days.extend(d for d in range(a, b + 1) if d not in days)
    return tuple(sorted(days))


def windows(v: Any) -> tuple[str, ...]:
    allowed = "an array of \"DAYS HH:MM-HH:MM\", DAYS like mon-fri, sat-sun, sat or mon,wed"
    if not isinstance(v, list | tuple):
        raise Bad(f"expected an array of strings, got {describe(v)}", allowed)
    out = []
    for i, x in enumerate(v):
        if not isinstance(x, str):
            raise Bad(f"expected a string, got {describe(x)}", allowed, f"[{i}]")
        parts = x.strip().lower().split(None, 1)
        if len(parts) != 2:
            raise Bad(f"{x!r} is not \"DAYS HH:MM-HH:MM\"", allowed, f"[{i}]")
        try:
            _days(parts[0], allowed)
            start, end = _interval(parts[1], allowed)
        except Bad as exc:
            raise Bad(exc.message, exc.allowed, f"[{i}]") from None
        out.append(f"{parts[0]} {_fmt(start)}-{_fmt(end)}")
    return tuple(out)


def parse_window(text: str) -> tuple[tuple[int, ...], float, float]:
    """Canonical ``DAYS HH:MM-HH:MM`` -> (weekdays with 0 = Monday, start_hours, end_hours)."""
    days, times = text.split(" ", 1)
    start, end = parse_interval(times)
    return _days(days, ""), start, end


def month_day(v: Any) -> str:
    allowed = "a day of every year \"MM-DD\" (not 02-29)"
    if not isinstance(v, str):
        raise Bad(f"expected a string MM-DD, got {describe(v)}", allowed)
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", v.strip())
    if not m:
        raise Bad(f"{v!r} is not MM-DD", allowed)
    try:
        _dt.date(2001, int(m[1]), int(m[2]))
    except ValueError:
        raise Bad(f"{v!r} is not a day of every year", allowed) from None
    return f"{int(m[1]):02d}-{int(m[2]):02d}"


def seasonality_upto(hi: float | None = None) -> Checker:
    """Checker of 12 monthly multipliers >= 0 (and <= ``hi``), January first."""
    allowed = "12 numbers >= 0" + (f" and <= {hi:g}" if hi is not None else "") + ", January first"
    check = number(0.0, hi)

    def seasonality(v: Any) -> tuple[float, ...]:
        if not isinstance(v, list | tuple):
            raise Bad(f"expected an array of 12 numbers, got {describe(v)}", allowed)
        if len(v) != 12:
            raise Bad(f"has {len(v)} values, not 12", allowed)
        out = []
        for i, x in enumerate(v):
            try:
                out.append(check(x))
            except Bad as exc:
                raise Bad(exc.message, allowed, f"[{i}]") from None
        return tuple(out)

    return seasonality


seasonality = seasonality_upto()


class Invalid(Exception):
    """A validation failure at a dotted ``path``."""

    def __init__(self, path: str, message: str, allowed: str | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.allowed = allowed
