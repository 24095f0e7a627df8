"""Reading scenario files: TOML with ``extends`` chains, merged child over parent.

:func:`read_toml` turns every way a file can be unreadable (missing, a directory, no
permission, not UTF-8, malformed TOML) into a one-line :class:`ScenarioError` naming the
file (and the line for malformed TOML). :func:`read_chain` follows ``extends`` (relative to
the file that names it), reports cycles and missing parents at the ``extends`` field of the
file that names them, and returns the merged data with the origin of every written path.
"""

from __future__ import annotations

import os
import re
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.merge import Origins, merge
from sim.scenario.schema import Invalid
from sim.scenario.validate import check_ids


def read_toml(path: str) -> dict[str, Any]:
    """The parsed TOML of ``path``."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ScenarioError("file not found", file=path) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", file=path) from None
    except PermissionError:
        raise ScenarioError("permission denied: cannot read the file", file=path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}",
                            file=path, allowed="a UTF-8 encoded TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            msg = f"malformed TOML at line {m[1]}, column {m[2]}: {msg[: m.start()]}"
        elif "end of document" in msg:
            msg = f"malformed TOML at line {text.count(chr(10)) + 1}: {msg}"
        else:
            msg = f"malformed TOML: {msg}"
        raise ScenarioError(msg, file=path) from None


def check_file(data: dict[str, Any], file: str) -> None:
    """Checks one file needs before merging: task entries are tables with unique ids."""
    tasks = data.get("tasks")
    if isinstance(tasks, list):
        try:
            check_ids(tasks, "tasks")
        except Invalid as exc:
            raise ScenarioError(exc.message, file=file, field=exc.path,
                                allowed=exc.allowed) from None


def parent_of(data: dict[str, Any], file: str) -> str | None:
    """The path of the parent named by ``extends`` (removed from ``data``), or None."""
    ext = data.pop("extends", None)
    if ext is None:
        return None
    if not isinstance(ext, str) or not ext.strip():
        raise ScenarioError("expected a file name (a string)", file=file, field="extends",
                            allowed="a path relative to this file")
    base = os.path.dirname(file) if file and not file.startswith("<") else ""
    return os.path.normpath(os.path.join(base, ext))


def read_chain(file: str, chain: tuple[str, ...] = (), named_by: str | None = None,
               ) -> tuple[dict[str, Any], Origins]:
    """Merged data of ``file`` and its ancestors, and the origins of its paths."""
    if named_by is not None:
        if os.path.realpath(file) in (os.path.realpath(f) for f in chain):
            names = " -> ".join([*chain, file])
            raise ScenarioError(f"extends cycle: {names}", file=named_by, field="extends",
                                allowed="a chain of parents without cycles")
        if not os.path.exists(file):
            raise ScenarioError(f"parent file {file!r} not found", file=named_by,
                                field="extends", allowed="an existing file, relative to this one")
    data = read_toml(file)
    return merge_file(data, file, (*chain, file))


def merge_file(data: dict[str, Any], file: str, chain: tuple[str, ...] = ()
               ) -> tuple[dict[str, Any], Origins]:
    """``data`` (already read from ``file``) merged over its parents."""
    parent = parent_of(data, file)
    check_file(data, file)
    if parent is None:
        origins = Origins()
        return merge({}, data, "", (file, None), origins), origins
    base, origins = read_chain(parent, chain or (file,), named_by=file)
    return merge(base, data, "", (file, None), origins), origins
