"""Reading scenario files: TOML with ``extends`` chains, merged child over parent.

Files are untrusted input. :func:`read_bytes` reads only regular files of at most
:data:`MAX_FILE_BYTES` (stat first, then open non-blocking and check the opened file again,
so a FIFO, a device such as ``/dev/zero`` or a directory is refused at once instead of
hanging or filling memory); a path with a NUL byte or characters the file system cannot
encode is refused. :func:`read_toml` turns every way a file can be unreadable (missing, a
directory, a special file, too large, no permission, not UTF-8, malformed TOML, nested more
than :data:`MAX_NESTING` deep) into a one-line :class:`ScenarioError` naming the file (and
the line for malformed TOML). :func:`read_chain` follows ``extends`` (relative to
the file that names it), reports cycles and missing parents at the ``extends`` field of the
file that names them, and returns the merged data with the origin of every written path.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.datapaths import copy
from sim.scenario.merge import Origins, merge
from sim.scenario.schema import Invalid
from sim.scenario.validate import check_ids

MAX_FILE_BYTES = 1024 * 1024
"""The largest scenario, parent or city file read (the project's largest is about 30 KiB)."""
MAX_EXTENDS_DEPTH = 16
"""The longest ``extends`` chain: a file and at most this many ancestors."""
MAX_NESTING = 32
"""The deepest nesting of tables and arrays in a file (the format needs 5)."""


def check_path(path: str, file: str | None = None, field: str | None = None) -> None:
    """Refuse a path no file system accepts: empty, a NUL byte, unencodable characters."""
    allowed = "a file path without NUL bytes or unencodable characters"
    if not isinstance(path, str) or not path:
        raise ScenarioError("expected a file path", file=file, field=field, allowed=allowed)
    if "\0" in path:
        raise ScenarioError(f"the path {path!r} contains a NUL byte", file=file or None,
                            field=field, allowed=allowed)
    try:
        os.fsencode(path)
    except UnicodeError:
        raise ScenarioError(f"the path {path!r} has characters the file system cannot encode",
                            file=file, field=field, allowed=allowed) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: str, what: str = "a scenario file") -> bytes:
    """The bytes of the regular file ``path`` (at most MAX_FILE_BYTES); never blocks."""
    check_path(path)
    where = {"file": path}
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(f"is {_kind(st.st_mode)}, not {what}", **where,
                                allowed=None if stat.S_ISDIR(st.st_mode) else "a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"is {st.st_size} bytes, larger than the limit", **where,
                                allowed=f"a file of at most {MAX_FILE_BYTES} bytes (1 MiB)")
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ScenarioError("file not found", **where) from None
    except PermissionError:
        raise ScenarioError("permission denied: cannot read the file", **where) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                            **where) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(f"is {_kind(st.st_mode)}, not {what}", **where,
                                allowed="a regular file")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise ScenarioError("is larger than the limit", **where,
                                allowed=f"a file of at most {MAX_FILE_BYTES} bytes (1 MiB)")
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", **where) from None
    finally:
        os.close(fd)


def nesting(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (0 for a scalar); iterative."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list | tuple):
            children = v
        else:
            continue
        d += 1
        if d > deepest:
            deepest = d
            if deepest > MAX_NESTING:
                return deepest
        stack.extend((c, d) for c in children)
    return deepest


def parse_toml(text: str, file: str | None = None, field: str | None = None) -> dict[str, Any]:
    """Parsed TOML ``text``, with nesting capped; errors name ``file`` (and ``field``).
    The caller's to modify: a fresh copy of the parse of the same text (cached)."""
    return copy(_parsed(text, file, field))


@functools.lru_cache(maxsize=16)
def _parsed(text: str, file: str | None, field: str | None) -> dict[str, Any]:
    """The parse of ``text``, kept unmodified for :func:`parse_toml` to copy: a scenario and
    its parents are read again for every variant (bounded; keyed by the text, and by the file
    and field its errors would name; an error is not cached, so it is raised every time)."""
    return _parse(text, file, field)


def _parse(text: str, file: str | None, field: str | None) -> dict[str, Any]:
    import tomllib

    too_deep = f"tables and arrays nested more than {MAX_NESTING} deep"
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ScenarioError(too_deep, file=file, field=field,
                            allowed=f"at most {MAX_NESTING} levels") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            msg = f"malformed TOML at line {m[1]}, column {m[2]}: {msg[: m.start()]}"
        elif "end of document" in msg:
            msg = f"malformed TOML at line {text.count(chr(10)) + 1}: {msg}"
        else:
            msg = f"malformed TOML: {msg}"
        raise ScenarioError(msg, file=file, field=field) from None
    if nesting(data) > MAX_NESTING:
        raise ScenarioError(too_deep, file=file, field=field,
                            allowed=f"at most {MAX_NESTING} levels")
    return data


def read_toml(path: str) -> dict[str, Any]:
    """The parsed TOML of ``path``."""
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}",
                            file=path, allowed="a UTF-8 encoded TOML file") from None
    return parse_toml(text, path)


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
    check_path(ext, file=file, field="extends")
    base = os.path.dirname(file) if file and not file.startswith("<") else ""
    return os.path.normpath(os.path.join(base, ext))


def read_chain(file: str, chain: tuple[str, ...] = (), named_by: str | None = None,
               ) -> tuple[dict[str, Any], Origins]:
    """Merged data of ``file`` and its ancestors, and the origins of its paths."""
    if named_by is not None:
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise ScenarioError(f"extends chain longer than {MAX_EXTENDS_DEPTH} files "
                                f"(from {chain[0]})", file=named_by, field="extends",
                                allowed=f"at most {MAX_EXTENDS_DEPTH} parents")
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


def is_city_data(data: Any) -> bool:
    """Whether parsed TOML ``data`` is a city scenario (has a ``[city]`` table)."""
    return isinstance(data, dict) and "city" in data


def is_city_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a city scenario (has a ``[city]`` table); False if unreadable.

    Here rather than in :mod:`sim.city` so that telling the two kinds of file apart does not
    import the city package (and its numerical stack) on the start-up path of ``sim run``."""
    try:
        return is_city_data(read_toml(os.fspath(path)))
    except ScenarioError:
        return False
