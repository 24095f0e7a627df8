"""Checking command-line options early: a bad value is an InputError naming the flag."""

from __future__ import annotations

import math

from sim.errors import InputError


def int_option(value: str | None, flag: str, minimum: int) -> int | None:
    """``value`` as an int >= ``minimum`` (None stays None)."""
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        n = None
    if n is None or n < minimum:
        raise InputError(f"expected an integer >= {minimum}, got {value!r}", field=flag,
                         allowed=f"an integer >= {minimum}")
    return n


def positive_float_option(value: str | None, flag: str) -> float | None:
    """``value`` as a finite float > 0 (None stays None)."""
    if value is None:
        return None
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not (math.isfinite(x) and x > 0):
        raise InputError(f"expected a number > 0 (e.g. 0.05), got {value!r}", field=flag,
                         allowed="a number > 0")
    return x


def html_path_option(value: str, flag: str) -> str:
    """``value`` as the path of an HTML file to write (not a directory), checked before the
    runs so that a typo costs nothing."""
    if value.endswith(("/", "\\")):
        raise InputError("expected the path of an HTML file, not a directory", field=flag,
                         allowed="a file path such as out/report.html")
    return value
