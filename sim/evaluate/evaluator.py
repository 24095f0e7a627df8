"""The evaluator: every study's replications go through it.

>>> from sim.evaluate import Evaluator, JobSet
>>> jobs = JobSet()
>>> for r in range(10):
...     jobs.add(scenario, r, seed=1)                                     # doctest: +SKIP
>>> with Evaluator("processes", workers=2) as ev:                         # doctest: +SKIP
...     results = ev.map(jobs)               # in job order, whatever the completion order

One progress bar (tqdm on stderr: shown on a terminal, after half a second, unless
``progress=False``), one cache (``store``: an object with ``get(job)`` and
``put(job, result)``; a job whose result is in the store is not run again), results in job
order, and one interruption rule: inside ``with Evaluator(...)`` (in the main thread) SIGINT
and SIGTERM raise :class:`Interrupted`; during :meth:`Evaluator.map` they stop the scheduling
of new jobs, running jobs are abandoned (pool workers are killed), and the exception holds
every result that had finished (already in the store, if there is one). The caller writes what it has and exits
with :attr:`Interrupted.exit_code` (130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sim.errors import InputError
from sim.evaluate.backends import EXECUTORS, Backend, make_backend
from sim.evaluate.jobs import Job, JobFailed, JobSet

__all__ = ["Evaluator", "Interrupted", "Store", "chunk_size_for", "want_progress"]

PROGRESS_DELAY = 0.5   # seconds before an automatic progress bar appears


class Store(Protocol):
    def get(self, job: Job) -> Any | None: ...
    def put(self, job: Job, result: Any) -> None: ...


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived during :meth:`Evaluator.map`. ``results``: one entry per
    job, None for the jobs that had not finished."""

    def __init__(self, signum: int, results: list[Any] | None = None) -> None:
        self.signum = int(signum)
        self.results = results if results is not None else []
        super().__init__(f"interrupted by {self.signal_name}")

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def done(self) -> int:
        return sum(r is not None for r in self.results)


def want_progress(progress: bool | None) -> bool:
    """The progress rule: True shows a bar, False never, None only on a terminal."""
    if progress is not None:
        return bool(progress)
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def chunk_size_for(n_jobs: int, workers: int) -> int:
    """About 16 chunks per worker (so the last chunks balance), at most 16 jobs a chunk."""
    return max(1, min(16, math.ceil(n_jobs / max(1, workers * 16))))


def check_executor(executor: str, workers: int | None, scheduler: str | None) -> int:
    """Check the executor options (before any work); the number of workers to use."""
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}", field="--executor",
                         allowed=", ".join(EXECUTORS))
    if scheduler and executor != "dask":
        raise InputError("--scheduler needs --executor dask", field="--scheduler",
                         allowed="--executor dask --scheduler tcp://HOST:PORT")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers
                                or workers < 1):
        raise InputError(f"expected an integer >= 1, got {workers!r}", field="--workers",
                         allowed="an integer >= 1")
    return 1 if executor == "serial" else int(workers or os.cpu_count() or 1)


class Evaluator:
    """Runs :class:`~sim.evaluate.jobs.JobSet` jobs on ``executor`` (``"serial"``,
    ``"processes"`` with ``workers``, or ``"dask"`` on the cluster at ``scheduler`` or a
    LocalCluster of ``workers`` processes). Use as a context manager; the backend starts at
    the first :meth:`map` and stays up until the end of the ``with`` block."""

    def __init__(self, executor: str = "serial", workers: int | None = None,
                 scheduler: str | None = None, *, progress: bool | None = None,
                 label: str = "", unit: str = "rep", chunk_size: int | None = None) -> None:
        self.workers = check_executor(executor, workers, scheduler)
        self.executor = executor
        self.scheduler = scheduler
        self.progress = progress
        self.label = label
        self.unit = unit
        self.chunk_size = chunk_size
        self.backend: Backend | None = None
        self._bar = None
        self._old: dict[int, Any] = {}

    # -- context: signals, backend, bar ------------------------------------------------------
    def __enter__(self) -> Evaluator:
        if threading.current_thread() is threading.main_thread():
            def stop(signum, frame):
                raise Interrupted(signum)
            for signum in (signal.SIGINT, signal.SIGTERM):
                # a signal ignored on purpose (nohup, a background job) stays ignored
                if signal.getsignal(signum) in (signal.SIG_IGN, None):
                    continue
                with contextlib.suppress(ValueError, OSError):
                    self._old[signum] = signal.signal(signum, stop)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.close(kill=exc_type is not None)
        finally:
            for signum, handler in self._old.items():
                with contextlib.suppress(ValueError, OSError, TypeError):
                    signal.signal(signum, handler)
            self._old = {}

    def close(self, kill: bool = False) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.backend is not None:
            backend, self.backend = self.backend, None
            backend.close(kill=kill)

    def start(self) -> Backend:
        """Start the backend now (e.g. to fail early on a bad scheduler address)."""
        if self.backend is None:
            self.backend = make_backend(self.executor, self.workers, self.scheduler)
        return self.backend

    def _progress(self, todo: int, done: int):
        if not want_progress(self.progress):
            return None
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=todo + done, initial=done, desc=self.label or None,
                             unit=self.unit, leave=False, file=sys.stderr, dynamic_ncols=True,
                             delay=PROGRESS_DELAY if self.progress is None else 0.0)
        else:   # a growing study (more replications, another design point)
            self._bar.total = (self._bar.total or 0) + todo + done
            self._bar.update(done)
        return self._bar

    # -- the work ----------------------------------------------------------------------------
    def map(self, jobset: JobSet, store: Store | None = None,
            on_result: Callable[[int, Any, str], None] | None = None,
            indices: Sequence[int] | None = None, done_before: int = 0) -> list[Any]:
        """Run the jobs of ``jobset`` (or only ``indices`` of them); one result per job in
        job order (a :class:`JobFailed` where a job raised; None for jobs not in
        ``indices``). ``on_result(index, result, worker)`` is called as each job finishes (in
        completion order; ``worker`` is the ``host:pid`` that ran it); finished results go to ``store``. ``done_before``: jobs of the
        same study finished earlier (they count as done on the progress bar)."""
        chosen = range(len(jobset)) if indices is None else list(indices)
        results: list[Any] = [None] * len(jobset)
        todo = []
        for i in chosen:
            got = store.get(jobset.jobs[i]) if store is not None else None
            if got is None:
                todo.append(i)
            else:
                results[i] = got
        failed = 0
        bar = None
        try:
            if todo:
                # workers are forked before the progress bar's thread exists
                backend = self.start()
                bar = self._progress(len(todo), len(chosen) - len(todo) + done_before)
                size = 1 if self.executor == "serial" else (
                    self.chunk_size or chunk_size_for(len(todo), backend.workers))
                chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
                for chunk, worker, outs in backend.run(chunks, jobset):
                    for i, res in zip(chunk, outs, strict=True):
                        results[i] = res
                        if isinstance(res, JobFailed):
                            failed += 1
                        elif store is not None:
                            store.put(jobset.jobs[i], res)
                        if on_result is not None:
                            on_result(i, res, worker)
                    if bar is not None:
                        bar.update(len(chunk))
                        if failed:
                            bar.set_postfix(failed=failed, refresh=False)
        except Interrupted as exc:
            self.close(kill=True)
            raise Interrupted(exc.signum, results) from None
        except KeyboardInterrupt:
            self.close(kill=True)
            raise Interrupted(signal.SIGINT, results) from None
        return results
