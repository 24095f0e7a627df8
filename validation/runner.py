"""Running the studies' replications on the package's evaluator (:mod:`sim.evaluate`).

A study hands :meth:`Runner.map` its replications, ``(scenario, replication, reduce)``: the
*reduction* ``reduce(scenario, result)`` is a module-level function (or a
:func:`functools.partial` of one) that the worker applies to
the replication's result (with its event log) and whose small answer is all that travels
back (:attr:`sim.evaluate.Job.reduce`). The jobs go to one :class:`sim.evaluate.Evaluator`
(serial, a pool of processes or a Dask cluster, like every other study of the package), one
job a chunk (the studies' replications are few and long, so the pool balances best one at a
time). Results come back in job order, so the answers do not depend on the executor or the
number of processes: every replication has a fixed seed (the scenario's) and replication
number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sim.engine.summary import ReplicationResult
from sim.evaluate import Evaluator, JobFailed, JobSet
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

Reduce = Callable[[Scenario, ReplicationResult], Any]


def default_processes() -> int:
    """``VALIDATE_JOBS`` if set, else the number of CPUs (at most 2: the machine is shared)."""
    env = os.environ.get("VALIDATE_JOBS")
    if env:
        return max(1, int(env))
    return max(1, min(2, os.cpu_count() or 1))


class Runner:
    """The studies' view of an :class:`~sim.evaluate.Evaluator`: ``processes`` workers
    (1: serially, in this process), or ``executor="dask"`` (on the cluster at ``scheduler``,
    or a local one of ``processes`` workers). Use as a context manager for a pool or a
    cluster (it stays up for all the studies); serially it also works without one."""

    def __init__(self, processes: int = 1, executor: str | None = None,
                 scheduler: str | None = None) -> None:
        self.processes = max(1, int(processes))
        executor = executor or ("serial" if self.processes == 1 else "processes")
        self.evaluator = Evaluator(executor, self.processes if executor != "serial" else None,
                                   scheduler, progress=False, label="validation", chunk_size=1)

    def map(self, replications: Iterable[tuple[Scenario, int, Reduce]]) -> list[Any]:
        """``reduce(scenario, result)`` of replication ``r`` of each ``(scenario, r, reduce)``
        (its base seed the scenario's, with the event log), in the order given; a job that
        raised raises here (RuntimeError with the worker's traceback)."""
        jobs = JobSet()
        for sc, r, reduce in replications:
            jobs.add(sc, r, sc.scenario.seed, events=True, reduce=reduce)
        results = self.evaluator.map(jobs)
        for job, res in zip(jobs.jobs, results, strict=True):
            if isinstance(res, JobFailed):
                raise RuntimeError(f"replication {job.replication} of a validation scenario "
                                   f"failed on {res.worker}: {res.error}\n{res.traceback}")
        return results

    def close(self) -> None:
        self.evaluator.close()

    def __enter__(self) -> Runner:
        self.evaluator.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.evaluator.__exit__(*exc)


def scenario_from(data: Mapping[str, Any]) -> Scenario:
    """The scenario described by ``data`` (a study's plain dict)."""
    return scenario_from_dict(data)
