"""Command-line options shared by every study: where jobs run, progress, interruption.

``add_execution_options`` gives a subcommand ``--executor serial|processes|dask``,
``--workers N``, ``--scheduler ADDRESS`` and ``--quiet`` (no progress bar);
``execution_kwargs`` checks them before any work starts. :class:`ExperimentDir` is the
``--out``/``--resume`` directory of ``sim run`` and ``sim compare``: its lock, its manifest
(``running``, ``interrupted`` or ``complete``, with counts) and its replication cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import int_option
from sim.errors import InputError

MANIFEST_FORMAT = 1


def add_execution_options(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--executor``, ``--workers``, ``--scheduler`` (``default`` None: serial, or processes
    when ``--workers`` is above 1)."""
    p.add_argument("--executor", choices=("serial", "processes", "dask"), default=default,
                   help="where replications run: serial (this process), processes (a local "
                        "pool), dask (a cluster); the numbers are the same on every executor "
                        f"(default: {default or 'serial, or processes with --workers > 1'})")
    p.add_argument("--workers", metavar="W",
                   help="worker processes (processes, or a local dask cluster; default: the "
                        "number of CPUs)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor "
                        "dask; default: a local cluster of --workers processes)")


def add_quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", "--quiet", action="store_true", dest="no_progress",
                   help="never show a progress bar (it is shown only on a terminal anyway)")


def execution_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The checked ``executor``, ``workers``, ``scheduler`` keyword arguments."""
    from sim.evaluate import check_executor

    workers = int_option(getattr(args, "workers", None), "--workers", 1)
    executor = args.executor or ("processes" if workers and workers > 1 else "serial")
    if args.scheduler and args.executor is None:
        executor = "dask"
    check_executor(executor, workers, args.scheduler)
    return {"executor": executor, "workers": workers, "scheduler": args.scheduler}


def command_line() -> str:
    return shlex.join(["sim", *sys.argv[1:]])


class ExperimentDir:
    """The ``--out DIR`` of ``sim run``/``sim compare``: lock, manifest, replication cache."""

    def __init__(self, out: str, kind: str, scenarios: list[str], resume: bool) -> None:
        from sim.evaluate import DirectoryLock

        self.dir = Path(out)
        self.kind = kind
        self.manifest_path = self.dir / "manifest.json"
        self.lock = DirectoryLock(self.dir)
        self.old = self._read()
        if resume and self.old is None:
            raise InputError("holds no run to resume (no manifest.json)", file=str(self.dir),
                             field="--resume", allowed=f"the --out directory of an earlier sim "
                                                       f"{kind}")
        if self.old is not None and self.old.get("kind") != kind:
            raise InputError(f"holds the output of something else "
                             f"({self.old.get('kind') or 'not sim run/compare'}), not a sim {kind}",
                             file=str(self.manifest_path), field="--resume" if resume else "--out",
                             allowed="a new directory, or the directory of an earlier sim "
                                     f"{kind}")
        if resume and self.old is not None:
            paths = [s.get("path") for s in self.old.get("scenarios", [])]
            if paths != list(scenarios):
                raise InputError(f"holds a sim {self.old.get('kind')} of {', '.join(map(str, paths))}",
                                 file=str(self.manifest_path), field="--resume",
                                 allowed=f"the same command with the same scenario files "
                                         f"({kind} {' '.join(scenarios)}), or another directory")

    def _read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the manifest: {exc}", file=str(self.manifest_path),
                             allowed="a manifest written by sim run or sim compare") from None
        return data if isinstance(data, dict) else None

    def defaults(self, kwargs: dict[str, Any]) -> None:
        """On resume: the seed and replications of the run being resumed, unless given."""
        if self.old is None:
            return
        for key in ("seed", "replications"):
            if kwargs.get(key) is None and self.old.get(key) is not None:
                kwargs[key] = self.old[key]
        if kwargs.get("precision") is None and self.old.get("precision") is not None:
            kwargs["precision"] = self.old["precision"]

    def start(self, kwargs: dict[str, Any], scenarios: list[str]) -> None:
        self.lock.acquire()
        self.manifest = {"format": MANIFEST_FORMAT, "kind": self.kind, "command": command_line(),
                         "seed": kwargs.get("seed"), "replications": kwargs.get("replications"),
                         "precision": kwargs.get("precision"),
                         "scenarios": [{"path": path} for path in scenarios],
                         "status": "running", "partial": None,
                         "runs": [*(self.old or {}).get("runs", []), {"command": command_line(),
                                                                      "executor": kwargs.get("executor")}]}
        self.write()

    def write(self) -> None:
        from sim.evaluate.store import atomic_write

        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.manifest_path, json.dumps(self.manifest, indent=2, ensure_ascii=False)
                     + "\n")

    def finish(self, result, status: str) -> None:
        """Record the result (``result.json``) and the status in the manifest."""
        from sim.evaluate.store import atomic_write

        runs = result.runs if hasattr(result, "runs") else [result]
        self.manifest.update({
            "status": status, "seed": result.seed, "replications": result.replications,
            "scenarios": [{"path": str(r.scenario.path), "name": r.name, "hash": r.scenario.hash}
                          for r in runs],
            "partial": result.partial})
        atomic_write(self.dir / "result.json",
                     json.dumps(result.to_json(), allow_nan=False, ensure_ascii=False) + "\n")
        self.write()

    def close(self) -> None:
        self.lock.release()


def resolve_out(args: argparse.Namespace) -> None:
    """``--resume DIR`` is ``--out DIR`` plus "continue what is there"."""
    if getattr(args, "resume", None):
        if args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
            raise InputError("--resume DIR already names the output directory",
                             field="--out", allowed="--resume DIR alone, or --out DIR alone")
        args.out = args.resume
