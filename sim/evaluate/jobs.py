"""Jobs and what a worker does with them: plain data in, one replication's result out.

A :class:`Job` is one replication of one scenario: which scenario data (a
:class:`ScenarioSource`, by key), the ``--set`` overrides to apply to it, the content hash
the rebuilt scenario must have, the replication number, the base seed and what to keep
(event logs, daily series). A worker never receives a :class:`~sim.scenario.model.Scenario`
object: it receives the source's plain merged data (dicts, lists, numbers, strings, dates)
and rebuilds the scenario with the public :func:`sim.scenario.loader.rebuild`, checking the
content hash, so a scenario reaches every executor as data and runs the same everywhere.
Rebuilt scenarios are cached per process (by hash).

A job that raises returns a :class:`JobFailed` (its error and traceback) instead of a
result; it does not stop the others. The caller decides what a failure means.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import socket
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.engine import ReplicationResult
    from sim.scenario.model import Scenario

__all__ = ["Job", "JobFailed", "JobSet", "ScenarioSource", "run_chunk", "run_job"]


@dataclass(frozen=True)
class ScenarioSource:
    """Merged scenario data (before levers and overrides) and the file it came from:
    everything a worker needs to rebuild any scenario made from it."""

    key: str
    path: str
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioSource:
        from sim.scenario.merge import copy

        data = copy(scenario.base)
        digest = hashlib.sha256(pickle.dumps((scenario.path, data), protocol=4)).hexdigest()
        return cls(digest[:16], str(scenario.path), data)


@dataclass(frozen=True)
class Job:
    """One replication: scenario ``source`` (a key) with ``overrides``, expected ``hash``."""

    source: str
    overrides: tuple[tuple[str, Any], ...]
    hash: str
    replication: int
    seed: int
    events: bool = False
    daily: bool = True
    tag: Any = None          # the caller's label, e.g. (point, replication); not used here
    reduce: Callable[[Scenario, ReplicationResult], Any] | None = None
    """Applied in the worker to (scenario, result): the job's result is what it returns (a
    study that needs a few numbers from the event log sends back only those). A module-level
    function (or a :func:`functools.partial` of one), so that it pickles by name."""

    @property
    def key(self) -> str:
        """What identifies the job's result: scenario hash, seed, replication (and events,
        and the reduction)."""
        key = f"{self.hash}-s{self.seed}-r{self.replication}" + ("-ev" if self.events else "")
        return key if self.reduce is None else f"{key}-{_callable_name(self.reduce)}"


def _callable_name(fn: Callable[..., Any]) -> str:
    """``module.qualname`` of a function; a partial adds its arguments."""
    if isinstance(fn, functools.partial):
        args = ",".join([*map(repr, fn.args), *(f"{k}={v!r}" for k, v in sorted(fn.keywords.items()))])
        return f"{_callable_name(fn.func)}({args})"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


@dataclass(frozen=True)
class JobFailed:
    """What a job that raised returns: the error line and the traceback text."""

    error: str
    traceback: str = ""
    worker: str = ""


class JobSet:
    """Jobs and the scenario data they need. ``add`` returns the job's index."""

    def __init__(self) -> None:
        self.sources: dict[str, ScenarioSource] = {}
        self.jobs: list[Job] = []
        self.local: dict[str, Scenario] = {}   # hash -> scenario, for the serial executor
        self._source_of: dict[int, tuple[Any, str]] = {}  # id(base) -> (base, source key)

    def add(self, scenario: Scenario, replication: int, seed: int, *,
            extra: Sequence[tuple[str, Any]] = (), expected: str | None = None,
            events: bool = False, daily: bool = True, tag: Any = None,
            reduce: Callable[[Scenario, ReplicationResult], Any] | None = None) -> int:
        """Replication ``replication`` of ``scenario`` with ``extra`` overrides on top (a
        sweep's point); ``expected`` is that scenario's hash (default: ``scenario.hash``);
        ``reduce``: see :attr:`Job.reduce`."""
        seen = self._source_of.get(id(scenario.base))
        if seen is not None and seen[0] is scenario.base:
            key = seen[1]
        else:
            src = ScenarioSource.of(scenario)
            self.sources.setdefault(src.key, src)
            key = src.key
            self._source_of[id(scenario.base)] = (scenario.base, key)
        if not extra:
            self.local.setdefault(scenario.hash, scenario)
        job = Job(key, tuple(scenario.overrides) + tuple(extra), expected or scenario.hash,
                  int(replication), int(seed), bool(events), bool(daily), tag, reduce)
        self.jobs.append(job)
        return len(self.jobs) - 1

    def __len__(self) -> int:
        return len(self.jobs)


# -- worker side -------------------------------------------------------------------------------

_SCENARIOS: OrderedDict[str, Scenario] = OrderedDict()
_CACHE_SIZE = 256


def scenario_of(source: ScenarioSource, job: Job) -> Scenario:
    """The job's scenario, rebuilt from plain data (cached per process by hash)."""
    sc = _SCENARIOS.get(job.hash)
    if sc is not None:
        _SCENARIOS.move_to_end(job.hash)
        return sc
    from sim.scenario.loader import rebuild

    sc = rebuild(source.data, job.overrides, source.path)
    if sc.hash != job.hash:
        raise RuntimeError(f"the scenario rebuilt in the worker has hash {sc.hash}, "
                           f"expected {job.hash}")
    _SCENARIOS[job.hash] = sc
    if len(_SCENARIOS) > _CACHE_SIZE:
        _SCENARIOS.popitem(last=False)
    return sc


def run_job(source: ScenarioSource | None, job: Job,
            local: Mapping[str, Scenario] | None = None) -> ReplicationResult | Any | JobFailed:
    """Run one job; a :class:`JobFailed` if it (or its reduction) raised. ``local`` scenarios
    (by hash) are used as they are (the serial executor: no rebuild)."""
    from sim.engine import run_replication

    try:
        sc = (local or {}).get(job.hash)
        if sc is None:
            if source is None:
                raise RuntimeError(f"no scenario data {job.source!r} was sent to this worker")
            sc = scenario_of(source, job)
        res = run_replication(sc, job.replication, job.seed, events=job.events)
        if not job.daily:
            res = replace(res, daily={})
        return res if job.reduce is None else job.reduce(sc, res)
    except Exception as exc:
        return JobFailed(f"{type(exc).__name__}: {exc}", traceback.format_exc(), worker_name())


def run_chunk(sources: Mapping[str, ScenarioSource], jobs: Sequence[Job]
              ) -> tuple[str, list[ReplicationResult | JobFailed]]:
    """Run jobs in order (what a pool or Dask worker is sent); the worker's name
    (``host:pid``) and one result per job."""
    return worker_name(), [run_job(sources.get(job.source), job) for job in jobs]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
