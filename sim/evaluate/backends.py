"""Where jobs run: this process, a pool of worker processes, or a Dask cluster.

Every backend takes *chunks* (lists of job indices of a :class:`~sim.evaluate.jobs.JobSet`)
and yields ``(chunk, worker, results)`` in completion order (``worker``: ``host:pid`` of the
process that ran the chunk); the evaluator puts results back
in job order. Job outcomes never depend on the backend: workers rebuild each scenario from
plain data and check its content hash (:mod:`sim.evaluate.jobs`).

The process pool is a small one of our own (``multiprocessing`` processes, one pipe each)
rather than :class:`concurrent.futures.ProcessPoolExecutor`, because it must be able to
(1) notice exactly which worker died and send only that worker's chunk again to a fresh
worker (a chunk whose worker dies three times fails, as :class:`JobFailed` records), and
(2) stop at once on an interruption, killing running chunks instead of waiting for them.
Workers die with their parent (:func:`sim.evaluate.hygiene.die_with_parent`).

``multiprocessing``, ``logging``, ``socket`` and ``uuid`` are imported by the backends that
use them, not here: ``sim run`` in this process (the serial backend) does not pay for them
(docs/performance.md, "After the model grew").
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from sim.errors import InputError
from sim.evaluate.jobs import JobFailed, JobSet, run_chunk, run_job, worker_name

EXECUTORS = ("serial", "processes", "dask")
CONNECT_TIMEOUT = 10.0
MAX_ATTEMPTS = 3
NO_DASHBOARD = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
"""Scheduler options of a LocalCluster: no dashboard, its HTTP routes on a free port."""

Results = list[Any]


class ExecutorLost(Exception):
    """The executor itself went away (e.g. the Dask scheduler): one line for the user."""


class Backend:
    workers = 1

    def run(self, chunks: Sequence[Sequence[int]], jobset: JobSet
            ) -> Iterator[tuple[Sequence[int], str, Results]]:
        raise NotImplementedError

    def close(self, kill: bool = False) -> None:
        return None


class SerialBackend(Backend):
    """Every job in this process, one after the other (scenarios used as they are)."""

    def run(self, chunks, jobset):
        for chunk in chunks:
            for i in chunk:
                job = jobset.jobs[i]
                yield [i], worker_name(), [run_job(jobset.sources.get(job.source), job,
                                                   jobset.local)]


# -- processes ----------------------------------------------------------------------------------


def _worker_main(conn, parent: int) -> None:
    """A pool worker: receive (chunk id, new sources, jobs), send (chunk id, results)."""
    from sim.evaluate.hygiene import die_with_parent

    die_with_parent(parent)
    sources: dict[str, Any] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        cid, new_sources, jobs = msg
        sources.update(new_sources)
        conn.send((cid, run_chunk(sources, jobs)))


class _Worker:
    def __init__(self, ctx) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child_end, os.getpid()),
                                name="sim-worker", daemon=True)
        self.proc.start()
        child_end.close()
        self.conn = parent_end
        self.sent: set[str] = set()    # source keys this worker holds
        self.chunk: int | None = None

    def stop(self, kill: bool) -> None:
        if not kill and self.proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.proc.join(timeout=2.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=2.0)
        with contextlib.suppress(OSError):
            self.conn.close()


class ProcessBackend(Backend):
    """Up to ``workers`` local processes (``fork`` on Linux, the platform default elsewhere)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        self.workers = max(1, int(workers))
        methods = mp.get_all_start_methods()
        self.ctx = mp.get_context("fork" if "fork" in methods and sys.platform != "darwin"
                                  else None)
        # all workers now, before the evaluator starts a progress-bar thread (fork copies
        # only the forking thread; a lock held by another thread would stay held)
        self.pool: list[_Worker] = [_Worker(self.ctx) for _ in range(self.workers)]
        self.replaced = 0     # workers that died and were replaced

    def run(self, chunks, jobset):
        from multiprocessing.connection import wait

        pending = deque(range(len(chunks)))
        attempts = [0] * len(chunks)
        for k, w in enumerate(self.pool):   # still busy with an abandoned run: replace it
            if w.chunk is not None:
                w.stop(kill=True)
                self.pool[k] = _Worker(self.ctx)
        while len(self.pool) < min(self.workers, len(chunks)):
            self.pool.append(_Worker(self.ctx))
        busy: dict[int, _Worker] = {}     # chunk -> worker
        while pending or busy:
            for w in self.pool:
                if w.chunk is None and pending:
                    c = pending.popleft()
                    jobs = [jobset.jobs[i] for i in chunks[c]]
                    new = {j.source: jobset.sources[j.source] for j in jobs
                           if j.source not in w.sent}
                    try:
                        w.conn.send((c, new, jobs))
                    except (OSError, ValueError):   # died while idle: the sentinel tells
                        pending.appendleft(c)
                        w.chunk = -1
                        continue
                    w.sent.update(new)
                    w.chunk = c
                    busy[c] = w
            waiting = [w for w in self.pool if w.chunk is not None]
            ready = set(wait([w.conn for w in waiting] + [w.proc.sentinel for w in waiting]))
            for w in waiting:
                if w.conn in ready:
                    try:
                        cid, (name, results) = w.conn.recv()
                    except (EOFError, OSError):
                        pass          # died while sending: handled as a dead worker below
                    else:
                        busy.pop(cid, None)
                        w.chunk = None
                        yield chunks[cid], name, results
                        continue
                if w.proc.sentinel in ready or w.conn in ready:
                    yield from self._dead(w, chunks, busy, pending, attempts)

    def _dead(self, w: _Worker, chunks, busy, pending, attempts):
        w.proc.join(timeout=1.0)
        code = w.proc.exitcode
        c = w.chunk
        w.stop(kill=True)
        self.pool[self.pool.index(w)] = _Worker(self.ctx)
        self.replaced += 1
        if c is None or c < 0:
            return
        busy.pop(c, None)
        attempts[c] += 1
        if attempts[c] < MAX_ATTEMPTS:
            pending.appendleft(c)          # only this worker's chunk runs again
            return
        err = JobFailed(f"WorkerDied: the worker process running this job died {attempts[c]} "
                        f"times (last exit code {code})", "", "(a pool worker)")
        yield chunks[c], err.worker, [err] * len(chunks[c])

    def close(self, kill: bool = False) -> None:
        for w in self.pool:
            w.stop(kill)
        self.pool = []


# -- dask ---------------------------------------------------------------------------------------


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """A quick TCP connect to a Dask scheduler, so that a wrong address fails fast (an
    :class:`InputError` naming the address)."""
    import socket
    from urllib.parse import urlsplit

    if "://" not in address:
        address = f"tcp://{address}"
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise InputError(f"{address!r} is not a scheduler address", field="--scheduler",
                         allowed="tcp://HOST:PORT of a running dask scheduler")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise InputError(f"cannot connect to the dask scheduler at {address}: {reason}",
                         field="--scheduler",
                         allowed="the address of a running dask scheduler, e.g. "
                                 "tcp://127.0.0.1:8786, or no --scheduler for a local "
                                 "cluster") from None


_QUIET = ("distributed", "tornado", "asyncio")


class DaskBackend(Backend):
    """A Dask cluster: ``scheduler`` (an address) connects to a running one, else a
    ``LocalCluster`` of ``workers`` single-threaded processes on 127.0.0.1 is started (and
    closed at the end). Library log output is silenced while it runs: a lost scheduler is
    reported as one :class:`ExecutorLost` line, not a library traceback."""

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.cluster = None
        self.client = None
        self._levels: dict[str, int] = {}
        self._quiet()
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        self._quiet()   # loggers that the connection created

    def _quiet(self) -> None:
        import logging

        names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _QUIET]
        for name in {*_QUIET, *names}:
            logger = logging.getLogger(name)
            self._levels.setdefault(name, logger.level)
            logger.setLevel(logging.CRITICAL + 1)

    def _connect(self) -> None:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask executor needs dask.distributed", field="--executor",
                             allowed="serial, processes; or pip install 'dask[distributed]'"
                             ) from None
        if self.scheduler:
            check_scheduler(self.scheduler)
            try:
                self.client = Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT}s",
                                     set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot connect to the dask scheduler at {self.scheduler}: "
                                 f"{exc}", field="--scheduler",
                                 allowed="the address of a running dask scheduler") from None
            if not self.client.scheduler_info().get("workers"):
                sys.stderr.write(f"note: the dask scheduler at {self.scheduler} has no "
                                 "workers yet; waiting for some\n")
        else:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, host="127.0.0.1",
                                        dashboard_address=None, scheduler_kwargs=NO_DASHBOARD,
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster, set_as_default=False)

    def _lost(self, exc: BaseException) -> ExecutorLost:
        where = self.scheduler or "the local cluster"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ExecutorLost(f"lost the dask scheduler at {where} ({type(exc).__name__}: "
                            f"{reason})")

    def run(self, chunks, jobset):
        import uuid

        from distributed import as_completed

        assert self.client is not None
        tag = uuid.uuid4().hex[:8]
        futures, owner = [], {}
        try:
            for c, chunk in enumerate(chunks):
                jobs = [jobset.jobs[i] for i in chunk]
                src = {j.source: jobset.sources[j.source] for j in jobs}
                fut = self.client.submit(run_chunk, src, jobs, pure=False, key=f"sim-{tag}-{c}")
                owner[fut.key] = c
                futures.append(fut)
        except Exception as exc:   # the scheduler went away while submitting
            raise self._lost(exc) from None
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                c = owner[fut.key]
                try:
                    name, results = fut.result()
                except Exception as exc:
                    kind = type(exc).__name__
                    if self.client.status not in ("running", "connecting") or \
                            "Cancelled" in kind or "CommClosed" in kind:
                        raise self._lost(exc) from None
                    name = "(a dask worker)"
                    results = [JobFailed(f"{type(exc).__name__}: {exc}", "", name)] * len(chunks[c])
                finally:
                    fut.release()
                yield chunks[c], name, results
        except ExecutorLost:
            raise
        except Exception as exc:
            raise self._lost(exc) from None
        finally:
            with contextlib.suppress(Exception):
                self.client.cancel(futures)

    def close(self, kill: bool = False) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):   # closing is best effort
                self.client.close(timeout=5 if kill else 10)
            self.client = None
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=5 if kill else 10)
            self.cluster = None
        import logging

        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


def make_backend(kind: str, workers: int, scheduler: str | None = None) -> Backend:
    if kind == "serial":
        return SerialBackend()
    if kind == "processes":
        return ProcessBackend(workers)
    if kind == "dask":
        return DaskBackend(workers, scheduler)
    raise InputError(f"unknown executor {kind!r}", field="--executor", allowed=", ".join(EXECUTORS))
