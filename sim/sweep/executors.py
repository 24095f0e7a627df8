"""Running sweep jobs: in this process, on a process pool, or on a Dask cluster.

A *job* is one (point, replication). Jobs travel in *chunks* (lists of consecutive jobs, so
mostly of one point) to keep pickling and scheduling overhead small next to short jobs. A
worker never receives a :class:`~sim.scenario.model.Scenario` (it holds read-only mappings
that do not pickle): it receives a :class:`BaseSource`, the plain merged data of the base
scenario and its ``--set`` overrides, rebuilds the base scenario once per process (checking
its content hash) and each point's scenario once per process (an LRU cache), and runs
``run_replication(point_scenario, replication, seed)``.

Every job's outcome is a plain record (``dict``): ``point``, ``replication``, ``seed``,
``scenario_hash`` and ``metrics`` when it worked, or ``error`` and ``traceback`` when it
raised; a job that raises does not stop the others. The executors yield lists of records as
chunks finish (in completion order: the caller writes each at once; nothing depends on the
order).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import sys
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.errors import InputError

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

EXECUTORS = ("serial", "processes", "dask")
CONNECT_TIMEOUT = 10.0
NO_DASHBOARD = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
"""Scheduler options of a LocalCluster: no dashboard, its HTTP routes on a free port (the
default 8787 may be taken by another cluster)."""

Job = tuple[int, tuple[tuple[str, Any], ...], int, str]
"""(point, point overrides as (dotted key, value) pairs, replication, expected scenario hash)."""


@dataclass(frozen=True)
class BaseSource:
    """What a worker needs to rebuild the base scenario: picklable plain data."""

    path: str
    data: dict[str, Any]                       # merged data before levers (Scenario.base)
    overrides: tuple[tuple[str, Any], ...]     # the --set overrides (Scenario.overrides)
    hash: str                                  # content hash the rebuilt scenario must have
    seed: int                                  # the sweep seed, for every job

    @classmethod
    def of(cls, scenario: Scenario, seed: int) -> BaseSource:
        from sim.scenario.merge import copy

        return cls(scenario.path, copy(scenario.base), tuple(scenario.overrides),
                   scenario.hash, int(seed))


# -- worker side ----------------------------------------------------------------------------

_BASES: dict[str, Scenario] = {}
_POINTS: OrderedDict[str, Scenario] = OrderedDict()
_POINT_CACHE_SIZE = 64
_SOURCE: BaseSource | None = None


def _base_scenario(source: BaseSource) -> Scenario:
    sc = _BASES.get(source.hash)
    if sc is None:
        from sim.scenario import apply_overrides, scenario_from_dict

        sc = scenario_from_dict(source.data, source.path)
        if source.overrides:
            sc = apply_overrides(sc, list(source.overrides))
        if sc.hash != source.hash:
            raise RuntimeError(f"the base scenario rebuilt in the worker has hash {sc.hash}, "
                               f"expected {source.hash}")
        if len(_BASES) > 8:
            _BASES.clear()
        _BASES[source.hash] = sc
    return sc


def point_scenario(source: BaseSource, items: Sequence[tuple[str, Any]],
                   expected: str | None = None) -> Scenario:
    """The scenario of one point (cached per process)."""
    key = source.hash + json.dumps(list(items), default=str)
    sc = _POINTS.get(key)
    if sc is None:
        from sim.scenario import apply_overrides

        sc = apply_overrides(_base_scenario(source), list(items))
        _POINTS[key] = sc
        if len(_POINTS) > _POINT_CACHE_SIZE:
            _POINTS.popitem(last=False)
    else:
        _POINTS.move_to_end(key)
    if expected and sc.hash != expected:
        raise RuntimeError(f"the point's scenario has hash {sc.hash}, expected {expected}")
    return sc


def run_job(source: BaseSource, job: Job) -> dict[str, Any]:
    """Run one job; return its record (an ``error`` record if it raised)."""
    from sim.engine import run_replication

    point, items, replication, expected = job
    record: dict[str, Any] = {"point": int(point), "replication": int(replication),
                              "seed": source.seed}
    try:
        sc = point_scenario(source, items, expected)
        res = run_replication(sc, int(replication), seed=source.seed)
        record["scenario_hash"] = sc.hash
        record["metrics"] = {str(k): float(v) for k, v in res.metrics.items()}
        record["run_seconds"] = float(res.run_seconds)
    except Exception as exc:
        record["overrides"] = [[k, v] for k, v in items]
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc()
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return record


def run_chunk(source: BaseSource | None, jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """Run a chunk of jobs in order; ``source`` None uses the one the process pool's
    initializer installed."""
    src = source if source is not None else _SOURCE
    if src is None:
        raise RuntimeError("no base scenario was sent to this worker")
    return [run_job(src, job) for job in jobs]


def _init_worker(source: BaseSource) -> None:
    global _SOURCE
    _SOURCE = source


def _chunk_failed(chunk: Sequence[Job], exc: BaseException, seed: int) -> list[dict[str, Any]]:
    text = "".join(traceback.format_exception(exc))
    return [{"point": int(p), "replication": int(r), "seed": seed,
             "overrides": [[k, v] for k, v in items],
             "error": f"{type(exc).__name__}: {exc}", "traceback": text,
             "worker": "(the worker running this chunk failed)"}
            for p, items, r, _ in chunk]


# -- chunking -------------------------------------------------------------------------------


def chunk_size_for(n_jobs: int, workers: int) -> int:
    """About 16 chunks per worker (so the last chunks balance), at most 16 jobs a chunk."""
    return max(1, min(16, math.ceil(n_jobs / max(1, workers * 16))))


def make_chunks(jobs: Sequence[Job], size: int) -> list[list[Job]]:
    return [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]


# -- executors ------------------------------------------------------------------------------


class Executor:
    """Context manager: ``with ex: for records in ex: ...``."""

    workers = 1

    def __init__(self, source: BaseSource, chunks: list[list[Job]]) -> None:
        self.source = source
        self.chunks = chunks

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        raise NotImplementedError


class SerialExecutor(Executor):
    """Every job in this process, one after the other."""

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        for chunk in self.chunks:
            for job in chunk:
                yield [run_job(self.source, job)]


class ProcessExecutor(Executor):
    """A local :class:`concurrent.futures.ProcessPoolExecutor`; the base scenario goes to
    each worker once (pool initializer), chunks of jobs are submitted."""

    def __init__(self, source: BaseSource, chunks: list[list[Job]], workers: int) -> None:
        super().__init__(source, chunks)
        self.workers = max(1, min(int(workers), len(chunks)))
        self.pool = None
        self.futures: dict[Any, list[Job]] = {}

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # fork is fastest (workers inherit the imported engine); with fork the pool starts
        # all its processes at the first submit, before any progress-bar thread exists.
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork") if "fork" in methods and sys.platform != "darwin" else None
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                        initializer=_init_worker, initargs=(self.source,))
        self.futures = {self.pool.submit(run_chunk, None, chunk): chunk for chunk in self.chunks}
        return self

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        from concurrent.futures import as_completed

        for fut in as_completed(self.futures):
            try:
                yield fut.result()
            except Exception as exc:  # a worker died (e.g. killed, out of memory)
                yield _chunk_failed(self.futures[fut], exc, self.source.seed)

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """A quick TCP connect to a dask scheduler, so that a wrong address fails fast (an
    :class:`InputError` naming the address)."""
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


class DaskExecutor(Executor):
    """A Dask cluster: ``scheduler`` (an address) connects to a running one, else a
    ``LocalCluster`` of ``workers`` single-threaded processes on 127.0.0.1 is started (and
    closed at the end). Chunks are submitted and collected with ``as_completed``; each worker
    process rebuilds the base scenario once."""

    def __init__(self, source: BaseSource, chunks: list[list[Job]], workers: int,
                 scheduler: str | None = None) -> None:
        super().__init__(source, chunks)
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.cluster = None
        self.client = None
        self.futures: dict[str, list[Job]] = {}

    def __enter__(self) -> DaskExecutor:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask executor needs dask.distributed", field="--executor",
                             allowed="serial, processes; or pip install 'dask[distributed]'"
                             ) from None
        try:
            if self.scheduler:
                check_scheduler(self.scheduler)
                try:
                    self.client = Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT}s",
                                         set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise InputError(f"cannot connect to the dask scheduler at "
                                     f"{self.scheduler}: {exc}", field="--scheduler",
                                     allowed="the address of a running dask scheduler") from None
                if not self.client.scheduler_info().get("workers"):
                    sys.stderr.write(f"note: the dask scheduler at {self.scheduler} has no "
                                     "workers yet; waiting for some\n")
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                            processes=True, host="127.0.0.1",
                                            dashboard_address=None,
                                            scheduler_kwargs=NO_DASHBOARD,
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster, set_as_default=False)
            # The source is small plain data: it travels with each chunk (a scatter would
            # block while a remote scheduler has no workers yet).
            src = self.source
            tag = uuid.uuid4().hex[:8]
            futures = []
            for i, chunk in enumerate(self.chunks):
                fut = self.client.submit(run_chunk, src, chunk, pure=False,
                                         key=f"sim-sweep-{tag}-{i}")
                self.futures[fut.key] = chunk
                futures.append(fut)
            self._futures = futures
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        from distributed import as_completed

        for fut in as_completed(self._futures, loop=self.client.loop):
            try:
                yield fut.result()
            except Exception as exc:  # a worker died too often (KilledWorker) or similar
                yield _chunk_failed(self.futures[fut.key], exc, self.source.seed)
            finally:
                fut.release()

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                for fut in getattr(self, "_futures", []):
                    fut.cancel()
                self.client.close()
            self.client = None
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None


def make_executor(kind: str, source: BaseSource, chunks: list[list[Job]], workers: int,
                  scheduler: str | None = None) -> Executor:
    if kind == "serial":
        return SerialExecutor(source, chunks)
    if kind == "processes":
        return ProcessExecutor(source, chunks, workers)
    if kind == "dask":
        return DaskExecutor(source, chunks, workers, scheduler)
    raise InputError(f"unknown executor {kind!r}", field="--executor",
                     allowed=", ".join(EXECUTORS))
