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


def scenario_file_option(path: str) -> str:
    """``path`` must be an existing file (not a directory): checked before anything runs."""
    import os

    if not os.path.isfile(path):
        raise InputError("scenario file not found" if not os.path.isdir(path)
                         else "is a directory, expected a scenario file (.toml)", file=path)
    return path


def json_path_option(value: str | None, flag: str) -> str | None:
    """``value`` as the path of a JSON file to write: not a directory, and its directory is
    made now, before the runs, so that a bad path costs nothing (None stays None)."""
    import os

    if value is None:
        return None
    if value.endswith(("/", "\\")) or os.path.isdir(value):
        raise InputError("expected the path of a JSON file, not a directory", field=flag,
                         allowed="a file path such as out/check.json")
    parent = os.path.dirname(os.path.abspath(value))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the directory {parent!r}: {exc.strerror or exc}",
                         field=flag, allowed="a writable path") from None
    return value


def html_path_option(value: str, flag: str) -> str:
    """``value`` as the path of an HTML file to write (not a directory), checked before the
    runs so that a typo costs nothing."""
    if value.endswith(("/", "\\")):
        raise InputError("expected the path of an HTML file, not a directory", field=flag,
                         allowed="a file path such as out/report.html")
    return value
