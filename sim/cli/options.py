"""Checking command-line options early: a bad value is an InputError naming the flag."""

from __future__ import annotations

import math

from sim import outputs
from sim.errors import InputError
from sim.scenario import cost
from sim.scenario.schema import MAX_SEED

_MAXIMA: dict[str, int] = {
    "--replications": cost.MAX_CLI_REPLICATIONS,
    "--max-replications": cost.MAX_CLI_REPLICATIONS,
    "--verify": cost.MAX_CLI_REPLICATIONS,
    "--samples": cost.MAX_CLI_POINTS,
    "--points": cost.MAX_CLI_POINTS,
    "--rounds": 100,
    "--workers": cost.MAX_CLI_WORKERS,
    "--chunk-size": cost.MAX_CLI_POINTS,
    "--seed": MAX_SEED,
    "--design-seed": MAX_SEED,
}
"""Hard upper limits of integer options (docs/scenario-format.md, "Limits")."""


def int_option(value: str | None, flag: str, minimum: int, maximum: int | None = None
               ) -> int | None:
    """``value`` as an int >= ``minimum`` and <= ``maximum`` (default: the flag's limit in
    :data:`_MAXIMA`); None stays None."""
    if value is None:
        return None
    maximum = _MAXIMA.get(flag) if maximum is None else maximum
    allowed = f"an integer >= {minimum}" + (f" and <= {maximum:,}" if maximum is not None else "")
    try:
        n = int(value) if str(value).strip().lstrip("+-").isascii() else None
    except ValueError:
        n = None
    if n is None:
        raise InputError(f"expected an integer, got {value!r}", field=flag, allowed=allowed)
    if n < minimum or (maximum is not None and n > maximum):
        raise InputError(f"{value!r} is out of range", field=flag, allowed=allowed)
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
    """``path`` must be an existing regular file (``FILE#LEVER``: FILE): checked before
    anything runs."""
    import os
    import stat

    from sim.scenario.files import check_path
    from sim.scenario.leverref import split_ref

    check_path(path)
    given, (path, _) = path, split_ref(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("scenario file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, expected a scenario file (.toml)", file=path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file, expected a scenario file (.toml)", file=path,
                         allowed="a regular file")
    return given


def json_path_option(value: str | None, flag: str) -> str | None:
    """``value`` as the path of a JSON file to write, checked before the runs (None stays
    None): see :func:`sim.outputs.check_file`."""
    return outputs.check_file(value, flag, "out/check.json")


def html_path_option(value: str, flag: str) -> str:
    """``value`` as the path of an HTML file to write, checked before the runs so that a bad
    path costs nothing."""
    return outputs.check_file(value, flag, "out/report.html")


def out_dir_option(value: str | None, flag: str = "--out") -> str | None:
    """``value`` as a directory to write into (created if missing), checked before the runs."""
    return outputs.check_dir(value, flag)


def add_allow_large(p) -> None:
    """The ``--allow-large`` flag: run even above the size ceilings of sim.scenario.cost."""
    p.add_argument("--allow-large", action="store_true",
                   help="run even when the estimated size (tasks, memory) is above the "
                        "ceilings of docs/scenario-format.md (Limits)")
