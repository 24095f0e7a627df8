"""The ``sim`` command line: one module per subcommand, dispatched here.

Each subcommand module defines ``register(subparsers)`` (adds its parser and sets
``func``). Subcommand modules import heavy libraries inside their functions so that
``sim --help`` and ``sim validate`` start fast. Exit codes: 0 success, 2 bad input
(:class:`sim.errors.InputError` or a usage error: one line on stderr, a usage error ending
with ``(see 'sim CMD --help')``), 1 anything else (an I/O error is one line too).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import warnings
from typing import ClassVar

from sim.errors import InputError
from sim.evaluate import ExecutorLost, Interrupted
from sim.version import __version__

SUBCOMMANDS = ("run", "compare", "sweep", "check", "calibrate", "validate", "describe", "report",
               "attribute", "seek", "explore", "sensitivity", "app")


class _Parser(argparse.ArgumentParser):
    made: ClassVar[dict[str, argparse.ArgumentParser]] = {}   # prog -> parser, to report usage errors

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _Parser.made[self.prog] = self

    def error(self, message: str):  # usage errors are bad input: exit 2, one line
        message = " ".join(str(message).split())
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``sim`` parser with every subcommand, or only with ``only`` (what ``main`` builds
    when the command line names one: the other twelve modules are not imported, about 7 ms
    of a ``sim run``'s start-up; their options cannot appear after another command anyway)."""
    parser = _Parser(prog="sim", description="Community office workload simulation (社区减负).")
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"sim.cli.{name}")
        except ModuleNotFoundError as exc:  # subcommand not built yet
            if exc.name != f"sim.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(f"warning: {message}\n")


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    first = args_in[0] if args_in else None
    parser = build_parser(first if first in SUBCOMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the subcommand whose options these are not
        sub = _Parser.made.get(f"sim {getattr(args, 'command', None)}", parser)
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        sys.stderr.write(f"sim: error: a command is required, one of {', '.join(SUBCOMMANDS)} "
                         "(see 'sim --help')\n")
        return 2
    warnings.showwarning = _show_warning
    old_term = _stop_on_sigterm()
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except Interrupted as exc:
        sys.stderr.write(f"interrupted by {exc.signal_name}\n")
        return exc.exit_code
    except ExecutorLost as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # e.g. stdout on a full disk: one line, not a traceback
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"error: cannot write or read{where}: {exc.strerror or exc}\n")
        return 1
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _stop_on_sigterm():
    """SIGTERM raises :class:`Interrupted` (exit 143) instead of ending the process at once,
    so that ``finally`` blocks run: lock files are released, manifests say "interrupted".
    Inside an evaluator the same signal also keeps the finished work (sim.evaluate)."""
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def stop(signum, frame):
        raise Interrupted(signum)

    return signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
