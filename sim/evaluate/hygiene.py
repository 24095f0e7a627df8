"""Process hygiene: workers that die with their parent, and one process per output directory.

- :func:`die_with_parent` (run in every pool worker): on Linux the kernel sends the worker
  SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)`` through ctypes); everywhere, a
  daemon thread also polls ``os.getppid()`` every 0.2 s and exits when the parent changed
  (the parent died and the worker was re-parented), so a killed run (even SIGKILL) leaves no
  worker behind. Workers ignore SIGINT: Ctrl-C reaches the whole foreground process group,
  and it is the parent that decides what an interruption means.
- :class:`DirectoryLock`: a lock file ``.lock`` in an output directory, created with
  ``O_CREAT | O_EXCL`` and holding the holder's pid, host and start time. A second process on
  the same directory is refused with an :class:`~sim.errors.InputError` naming the holder; a
  lock whose holder (on this host) is no longer alive is stale and taken over.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from sim.errors import InputError

__all__ = ["DirectoryLock", "die_with_parent", "pid_alive"]

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.2


def die_with_parent(parent: int) -> None:
    """Make this (worker) process end when ``parent`` ends; ignore SIGINT; SIGTERM ends it
    quietly (not the parent's handler, which a forked worker would otherwise inherit)."""
    with contextlib.suppress(ValueError, OSError):   # not the main thread / no signals
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:   # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            threading.Event().wait(_POLL_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="sim-parent-watchdog", daemon=True).start()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # exists, owned by someone else
        return True
    return True


class DirectoryLock:
    """``with DirectoryLock(dir):`` holds ``dir/.lock`` (see the module docstring)."""

    NAME = ".lock"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / self.NAME
        self.held = False

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None and not self._stale(holder):
                    raise InputError(
                        f"is in use by another sim process (pid {holder.get('pid')} on "
                        f"{holder.get('host')}, started {holder.get('started')})",
                        file=str(self.path.parent), field="--out",
                        allowed=f"another directory, or wait for it to finish (if that process "
                                f"is gone, delete {self.path})") from None
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()   # stale: its holder is dead
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me, fh)
            self.held = True
            return
        raise InputError("cannot take the lock file", file=str(self.path))

    def _holder(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}   # being written, or unreadable: treated as held (and not stale)
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _stale(holder: dict) -> bool:
        pid = holder.get("pid")
        if not isinstance(pid, int) or holder.get("host") != socket.gethostname():
            return False   # another host's process cannot be checked from here
        return pid != os.getpid() and not pid_alive(pid)

    def release(self) -> None:
        if self.held:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.held = False

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
