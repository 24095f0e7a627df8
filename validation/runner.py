"""Running replications for the studies, in this process or on a small process pool.

A job is a plain, picklable tuple handed to a module-level function of a study (which
builds the scenario from a dict, runs ``run_replication`` and reduces the event log to a
few numbers, so little travels back). ``Runner.map`` returns results in job order, so
the answers do not depend on the number of processes: every replication has a fixed seed
and replication number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sim.engine import run_replication
from sim.engine.summary import ReplicationResult
from sim.scenario import scenario_from_dict


def default_processes() -> int:
    """``VALIDATE_JOBS`` if set, else the number of CPUs (at most 2: the machine is shared)."""
    env = os.environ.get("VALIDATE_JOBS")
    if env:
        return max(1, int(env))
    return max(1, min(2, os.cpu_count() or 1))


class Runner:
    """``map(fn, jobs)`` serially (``processes=1``) or on a process pool; results in order."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = max(1, int(processes))
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> list[Any]:
        jobs = list(jobs)
        if self.processes == 1 or len(jobs) < 2:
            return [fn(j) for j in jobs]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.processes)
        return list(self._pool.map(fn, jobs, chunksize=1))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_dict(data: dict[str, Any], replication: int) -> ReplicationResult:
    """One replication, with the event log, of the scenario described by ``data``."""
    return run_replication(scenario_from_dict(data), replication, events=True)
