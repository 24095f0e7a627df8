"""Output files: checked before any work starts, written atomically, never over a device.

Every command that writes files checks each output path first (:func:`check_file` for a
file such as ``--report``/``-o``/``--out FILE.json``, :func:`check_dir` for a directory such
as ``--out DIR``): the path must be a regular file or directory, or not exist yet with a
directory that can be created and written in; a dangling symbolic link, a FIFO, a device or
a socket is refused (exit 2) before the first replication. Writing is atomic
(:func:`write_atomic`: a temporary file in the same directory, ``fsync``, then
``os.replace``), so a reader never sees half a file, and a path that is (or links to)
anything but a regular file is never replaced. :func:`write_dir_atomic` moves the files of a
directory writer (e.g. ``RunResult.write_csv``) in one by one the same way.

When writing fails after the results were computed, :func:`rescue_dir` names where they
are saved instead: ``$SIM_RESCUE_DIR`` if set, else a new ``sim-results-*`` directory in the
system's temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import InputError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _bad(message: str, flag: str, path: str, allowed: str) -> InputError:
    return InputError(f"{path}: {message}", field=flag, allowed=allowed)


def _check_text(path: object, flag: str) -> str:
    if not isinstance(path, str | os.PathLike):
        raise InputError(f"expected a path, got {path!r}", field=flag)
    text = os.fspath(path)
    if not text or "\0" in text:
        raise InputError(f"{text!r} is not a path" if text else "empty path", field=flag,
                         allowed="a file path without NUL bytes")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise InputError(f"{text!r} has characters the file system cannot encode",
                         field=flag, allowed="a valid file path") from None
    return text


def _why(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOTDIR:
        return "a part of the path is not a directory"
    return f"cannot use it: {exc.strerror or exc}"


def _probe(directory: str, flag: str, path: str) -> None:
    """Create and remove a file in ``directory``: the only test that holds for root, for
    read-only mounts and for access control lists alike."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".sim-probe-", dir=directory)
    except OSError as exc:
        raise _bad(f"cannot write in {directory!r}: {exc.strerror or exc}", flag, path,
                   "a path in a writable directory") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _creatable_dir(directory: str, flag: str, path: str) -> None:
    """``directory`` exists as a writable directory, or can be made under one."""
    d = os.path.abspath(directory or ".")
    while True:
        try:
            st = os.stat(d)
        except FileNotFoundError:
            if os.path.islink(d):
                raise _bad(f"{d!r} is a dangling symbolic link", flag, path,
                           "a path whose directories exist or can be created") from None
            parent = os.path.dirname(d)
            if parent == d:
                raise _bad("no existing directory above it", flag, path,
                           "a creatable path") from None
            d = parent
            continue
        except OSError as exc:
            raise _bad(f"cannot use {d!r}: {exc.strerror or exc}", flag, path,
                       "a writable path") from None
        if not stat.S_ISDIR(st.st_mode):
            raise _bad(f"{d!r} is {_kind(st.st_mode)}, not a directory", flag, path,
                       "a path whose directories exist or can be created")
        _probe(d, flag, path)
        return


def check_file(path: str | os.PathLike[str] | None, flag: str, example: str = "out/result"
               ) -> str | None:
    """Check that ``path`` can be written as a regular file (None stays None)."""
    if path is None:
        return None
    text = _check_text(path, flag)
    allowed = f"a file path such as {example}"
    if text.endswith(("/", "\\")):
        raise _bad("expected the path of a file, not a directory", flag, text, allowed)
    try:
        st = os.stat(text)
    except FileNotFoundError:
        if os.path.islink(text):
            raise _bad("is a dangling symbolic link", flag, text, allowed) from None
        _creatable_dir(os.path.dirname(text), flag, text)
        return text
    except OSError as exc:
        raise _bad(_why(exc), flag, text, allowed) from None
    if stat.S_ISDIR(st.st_mode):
        raise _bad("expected the path of a file, not a directory", flag, text, allowed)
    if not stat.S_ISREG(st.st_mode):
        raise _bad(f"is {_kind(st.st_mode)}; refusing to replace it", flag, text, allowed)
    _probe(os.path.dirname(os.path.realpath(text)), flag, text)
    return text


def check_dir(path: str | os.PathLike[str] | None, flag: str) -> str | None:
    """Check that ``path`` is a writable directory or can be created (None stays None)."""
    if path is None:
        return None
    text = _check_text(path, flag)
    allowed = "a directory (created if missing)"
    try:
        st = os.stat(text)
    except FileNotFoundError:
        if os.path.islink(text.rstrip("/") or text):
            raise _bad("is a dangling symbolic link", flag, text, allowed) from None
        _creatable_dir(os.path.dirname(os.path.abspath(text)), flag, text)
        return text
    except OSError as exc:
        raise _bad(_why(exc), flag, text, allowed) from None
    if not stat.S_ISDIR(st.st_mode):
        what = "an existing file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise _bad(f"is {what}, expected a directory to write into", flag, text, allowed)
    _probe(text, flag, text)
    return text


def _target(path: str) -> str:
    """The file to replace: ``path``, or the regular file its symbolic link points to."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise OSError(f"{path} is a dangling symbolic link") from None
        return path
    if not stat.S_ISREG(st.st_mode):
        raise IsADirectoryError(f"{path} is {_kind(st.st_mode)}; not replaced") \
            if stat.S_ISDIR(st.st_mode) else OSError(f"{path} is {_kind(st.st_mode)}; not replaced")
    return os.path.realpath(path) if os.path.islink(path) else path


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and
    ``os.replace``; raises OSError (nothing half-written is left behind)."""
    target = _target(os.fspath(path))
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(path)


def write_dir_atomic(directory: str | os.PathLike[str],
                     writer: Callable[[Path], list[Path]]) -> list[Path]:
    """Run ``writer`` on a fresh staging directory next to ``directory``, then move each file
    it wrote into ``directory`` with ``os.replace`` (refusing to replace anything but a
    regular file). Returns the final paths; raises OSError."""
    final = Path(directory)
    final.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sim-staging-", dir=final))
    try:
        written = writer(staging)
        out = []
        for p in written:
            dest = final / Path(p).relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, _target(str(dest)))
            out.append(dest)
        return out
    finally:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)


def rescue_dir() -> Path:
    """A new directory for results that could not be written where asked."""
    base = os.environ.get("SIM_RESCUE_DIR") or None
    if base:
        os.makedirs(base, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="sim-results-", dir=base))


def io_message(exc: BaseException) -> str:
    """An OSError as a short phrase: its strerror, else its text."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
