"""Comparisons for an interactive client: progress callbacks, cancellation and a cache.

:class:`LiveComparer` keeps one evaluator (a pool of worker processes, or Dask, started once
and reused) and an in-memory cache of finished replications keyed like the replication
store (scenario content hash, seed, replication, event logs). :meth:`LiveComparer.compare`
runs a paired comparison exactly as :func:`sim.experiment.compare` does (same jobs, same
replication numbers, so the same numbers), reporting progress as each replication finishes
and stopping at the next finished replication when ``cancel`` is set (:class:`Cancelled`).
A comparison whose replications are all cached returns at once, so an app can go back to an
earlier setting instantly, and refine a first answer of 5 replications to 20 by running
only replications 5..19.

:meth:`LiveComparer.study` runs a study of many simulations (the app's ensemble, ``sim
explore``'s :func:`sim.analysis.explore.explore` called with this evaluator and cache) with
the same progress and cancellation, and keeps its result by a key (the app's: scenario
hashes, worlds, replications, seed), so asking again for one seen before is instant.

Calls are serialised (one comparison or ensemble at a time per comparer); call them from a
background thread so a page never waits on them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from sim.evaluate import Evaluator, JobFailed, JobSet
from sim.evaluate.jobs import Job
from sim.experiment.comparison import ComparisonResult, differences
from sim.experiment.results import RunResult
from sim.scenario.model import Scenario
from sim.version import __version__

__all__ = ["Cancelled", "LiveComparer", "MemoryStore"]

Progress = Callable[[int, int], None]


class Cancelled(Exception):
    """The comparison was cancelled; the replications finished so far stay cached."""


class MemoryStore:
    """A thread-safe in-memory :class:`~sim.evaluate.evaluator.Store` of at most ``size``
    replication results (least recently used dropped first)."""

    def __init__(self, size: int = 4000) -> None:
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job: Job) -> Any | None:
        with self._lock:
            got = self._data.get(job.key)
            if got is not None:
                self._data.move_to_end(job.key)
            return got

    def put(self, job: Job, result: Any) -> None:
        with self._lock:
            self._data[job.key] = result
            self._data.move_to_end(job.key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def has(self, job: Job) -> bool:
        with self._lock:
            return job.key in self._data

    def __len__(self) -> int:
        return len(self._data)


class LiveComparer:
    """Paired comparisons on one long-lived evaluator (``executor``/``workers``/``scheduler``
    as for :class:`~sim.evaluate.Evaluator`) with a :class:`MemoryStore` cache."""

    def __init__(self, executor: str = "processes", workers: int | None = None,
                 scheduler: str | None = None, cache_size: int = 4000) -> None:
        self.evaluator = Evaluator(executor, workers, scheduler, progress=False)
        self.store = MemoryStore(cache_size)
        self.studies: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the workers now (before a server starts its threads: a forked worker then
        copies no thread's lock)."""
        with self._lock:
            self.evaluator.start()

    def close(self) -> None:
        with self._lock:
            self.evaluator.close(kill=True)

    def cached(self, scenarios: Sequence[Scenario], replications: int, seed: int,
               events: bool = True) -> bool:
        """Whether every replication of this comparison is in the cache."""
        jobs = _jobs(scenarios, replications, seed, events)
        return all(self.store.get(j) is not None for j in jobs.jobs)

    def compare(self, scenarios: Sequence[Scenario], replications: int, seed: int, *,
                events: bool = True, on_progress: Progress | None = None,
                cancel: threading.Event | None = None) -> ComparisonResult:
        """Replications ``0..replications-1`` of every scenario with base ``seed``, paired
        against the first: the :class:`ComparisonResult` of :func:`sim.experiment.compare`
        with the same arguments. ``on_progress(done, total)`` after each replication (cached
        ones count as done at once); ``cancel`` set: :class:`Cancelled` at the next one."""
        if len(scenarios) < 2:
            raise ValueError("a comparison needs at least two scenarios")
        t0 = time.perf_counter()
        jobs = _jobs(scenarios, replications, seed, events)
        total = len(jobs)
        with self._lock:
            done = sum(self.store.get(j) is not None for j in jobs.jobs)
            if on_progress is not None:
                on_progress(done, total)

            def step(index: int, result: Any, worker: str) -> None:
                nonlocal done
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
                if cancel is not None and cancel.is_set():
                    raise Cancelled()

            if cancel is not None and cancel.is_set():
                raise Cancelled()
            got = self.evaluator.map(jobs, self.store, on_result=step)
        k_n = len(scenarios)
        runs = []
        for k, sc in enumerate(scenarios):
            reps = got[k::k_n]
            for res in reps:
                if isinstance(res, JobFailed):
                    raise RuntimeError(f"a replication of {sc.name} failed: {res.error}")
            info = {"precision": None, "converged": None, "history": [replications],
                    "max_replications": replications, "relative_half_widths": {}, "missed": []}
            runs.append(RunResult(scenario=sc, seed=seed, replications=len(reps),
                                  version=__version__,
                                  run_seconds=sum(r.run_seconds for r in reps),
                                  precision_info=info, results=list(reps)))
        return ComparisonResult(runs=runs, differences=differences(runs), seed=seed,
                                replications=replications,
                                run_seconds=time.perf_counter() - t0, precision_info=dict(
                                    runs[0].precision_info))


    def kept(self, key: Hashable) -> Any:
        """The result :meth:`study` keeps under ``key``, or None (never waits)."""
        return self.studies.get(key)

    def study(self, key: Hashable, run: Callable[[Evaluator, MemoryStore, Progress], Any], *,
              on_progress: Progress | None = None,
              cancel: threading.Event | None = None) -> Any:
        """A study of many simulations on this comparer's evaluator and cache, such as the
        app's ensemble (:func:`sim.analysis.explore.explore` with ``evaluator``, ``store`` and
        ``on_progress``): ``run(evaluator, store, step)``, where ``step(done, total)`` reports
        progress to ``on_progress`` and raises :class:`Cancelled` once ``cancel`` is set. Its
        result is kept under ``key`` (the last :data:`STUDIES_KEPT`): asked again, it is
        returned at once."""
        with self._lock:
            if key in self.studies:
                self.studies.move_to_end(key)
                return self.studies[key]

            def step(done: int, total: int) -> None:
                if on_progress is not None:
                    on_progress(done, total)
                if cancel is not None and cancel.is_set():
                    raise Cancelled()

            if cancel is not None and cancel.is_set():
                raise Cancelled()
            result = run(self.evaluator, self.store, step)
            self.studies[key] = result
            while len(self.studies) > STUDIES_KEPT:
                self.studies.popitem(last=False)
            return result


STUDIES_KEPT = 32


def _jobs(scenarios: Sequence[Scenario], replications: int, seed: int, events: bool) -> JobSet:
    """Replication r of every scenario, then r + 1: the job order of ``sim compare``."""
    jobs = JobSet()
    for r in range(int(replications)):
        for sc in scenarios:
            jobs.add(sc, r, int(seed), events=events)
    return jobs
