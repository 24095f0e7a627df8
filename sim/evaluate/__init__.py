"""One evaluator for every study: jobs in, results out, on any executor.

``sim run``, ``compare``, ``sweep``, ``check``, ``calibrate`` and the city all describe their
work as :class:`JobSet` jobs (one replication of one scenario each, the scenario as plain
data) and hand them to an :class:`Evaluator`, which runs them serially, on a pool of worker
processes or on a Dask cluster, with one progress bar, one cache, one interruption rule, and
gives the results back in job order. See ``docs/experiments.md``.

Modules: :mod:`~sim.evaluate.jobs` (jobs and the worker side), :mod:`~sim.evaluate.backends`
(serial, processes, Dask), :mod:`~sim.evaluate.evaluator` (the evaluator),
:mod:`~sim.evaluate.store` (the replication cache of ``run``/``compare --out``),
:mod:`~sim.evaluate.hygiene` (workers die with their parent; the output-directory lock).
"""

from sim.evaluate.backends import EXECUTORS, NO_DASHBOARD, ExecutorLost, check_scheduler
from sim.evaluate.evaluator import (
    Evaluator,
    Interrupted,
    check_executor,
    chunk_size_for,
    want_progress,
)
from sim.evaluate.hygiene import DirectoryLock
from sim.evaluate.jobs import Job, JobFailed, JobSet, ScenarioSource, run_chunk, run_job

__all__ = [
    "EXECUTORS",
    "NO_DASHBOARD",
    "DirectoryLock",
    "Evaluator",
    "ExecutorLost",
    "Interrupted",
    "Job",
    "JobFailed",
    "JobSet",
    "ScenarioSource",
    "check_executor",
    "check_scheduler",
    "chunk_size_for",
    "run_chunk",
    "run_job",
    "want_progress",
]
