"""Run scenarios in many worlds, paired by replication, on the one evaluator.

:func:`run_worlds` is what ``sim explore`` and ``sim sensitivity`` share: for every world
(one value per factor, :mod:`sim.analysis.factors`) and every scenario of a comparison, it runs
replications ``0..R-1`` with the *same* base seed. Random streams depend only on (seed,
replication, stream name), so replication r of every scenario in every world draws the same
random numbers (common random numbers): the paired differences between scenarios are free of
the noise of separate streams, and so are the differences between worlds, which is what lets a
few replications per world show how the effect moves with the inputs.

Jobs go through :class:`sim.evaluate.Evaluator` (serial, processes, Dask), each returning
only its metrics (:func:`metrics_of`, applied in the worker). :class:`MetricsStore` keeps every
finished simulation by (scenario content hash, seed, replication): in memory, and under
``DIR/sims/`` when a directory is given, one file each, written atomically as it finishes, so
a study killed at any moment (even ``kill -9``) loses only the simulations that were running,
and running it again (``--resume``) runs only the missing ones, with identical numbers (floats
are written with ``repr`` and read back bit for bit). The same simulation needed twice (two
worlds that give a scenario the same content, e.g. a baseline that an uncertainty does not
touch) runs once.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.evaluate import Evaluator, JobFailed, JobSet
from sim.metrics import METRICS

__all__ = ["MetricsStore", "Runs", "duration", "estimate_seconds", "metrics_of", "run_worlds"]


def metrics_of(_scenario: Any, result: Any) -> dict[str, float]:
    """The reduction sent to workers: a replication's metrics only."""
    return {str(k): float(v) for k, v in result.metrics.items()}


def _key(job: Any) -> str:
    return f"{job.hash}-s{job.seed}-r{job.replication}"


class MetricsStore:
    """Finished simulations' metrics by (scenario hash, seed, replication); on disk under
    ``DIR/sims`` when ``directory`` is given (an :class:`~sim.evaluate.evaluator.Store`)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.dir = None if directory is None else Path(directory) / "sims"
        self.memory: dict[str, dict[str, float]] = {}
        self.hits = 0
        if self.dir is not None:
            from sim.evaluate.store import TMP_PREFIX

            self.dir.mkdir(parents=True, exist_ok=True)
            for p in self.dir.glob(f"{TMP_PREFIX}*"):   # left by a write that was killed
                p.unlink(missing_ok=True)

    def get(self, job: Any) -> dict[str, float] | None:
        key = _key(job)
        got = self.memory.get(key)
        if got is None and self.dir is not None:
            try:
                got = json.loads((self.dir / f"{key}.json").read_text(encoding="utf-8"))["metrics"]
            except (FileNotFoundError, ValueError, KeyError, TypeError):
                got = None       # not there (or a torn file, impossible with atomic writes)
            if got is not None:
                self.memory[key] = got
        if got is not None:
            self.hits += 1
        return got

    def put(self, job: Any, result: dict[str, float]) -> None:
        key = _key(job)
        self.memory[key] = result
        if self.dir is not None:
            from sim.evaluate.store import atomic_write

            atomic_write(self.dir / f"{key}.json", json.dumps({"metrics": result}) + "\n")

    def has(self, job: Any) -> bool:
        key = _key(job)
        return key in self.memory or (self.dir is not None and (self.dir / f"{key}.json").exists())


@dataclass
class Runs:
    """What :func:`run_worlds` gives back: ``values[w, s, r, m]`` is metric ``metrics[m]`` of
    replication ``r`` of scenario ``s`` in world ``w`` (NaN where undefined); ``hashes[w][s]``
    the content hash of that scenario in that world."""

    worlds: list[dict[str, Any]]
    names: list[str]
    metrics: list[str]
    values: np.ndarray
    hashes: list[list[str]]
    seed: int
    replications: int
    simulations: int = 0          # distinct simulations the study needs
    ran: int = 0                  # of which run now (the rest came from the store)
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def metric_index(self, name: str) -> int:
        return self.metrics.index(name)

    def paired(self, name: str, scenario: int = 1) -> np.ndarray:
        """Paired differences scenario - baseline, ``[world, replication]``."""
        m = self.metric_index(name)
        return self.values[:, scenario, :, m] - self.values[:, 0, :, m]


def _scenarios_in(scenarios: Sequence[Any], world_overrides: list[dict[str, Any]],
                  where: str) -> list[Any]:
    from sim.scenario import apply_overrides

    out = []
    for sc, ov in zip(scenarios, world_overrides, strict=True):
        try:
            out.append(apply_overrides(sc, ov) if ov else sc)
        except InputError as exc:
            raise InputError(f"{exc.detail} ({where})", file=exc.file, field=exc.field,
                             allowed=exc.allowed) from None
    return out


def estimate_seconds(scenarios: Sequence[Any], seed: int) -> list[float]:
    """Seconds one replication of each scenario takes here (one pilot run each, in this
    process): what the up-front run-time estimate multiplies."""
    from sim.engine import run_replication

    out = []
    for sc in scenarios:
        t0 = time.perf_counter()
        run_replication(sc, 0, seed)
        out.append(time.perf_counter() - t0)
    return out


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def run_worlds(scenarios: Sequence[Any], factors: Sequence[Any], worlds: Sequence[Mapping[str, Any]],
               replications: int, seed: int, *, executor: str = "serial",
               workers: int | None = None, scheduler: str | None = None,
               progress: bool | None = None, out: str | os.PathLike[str] | None = None,
               store: Any = None, label: str = "worlds",
               announce: Callable[[str], None] | None = None,
               evaluator: Evaluator | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> Runs:
    """Replications ``0..replications-1`` (seed ``seed``) of every scenario in every world.
    ``announce``: called once, before anything runs, with the estimated run time (a pilot
    replication of each scenario is timed for it). ``store``: where finished simulations are
    kept (get / put / has; default a :class:`MetricsStore`, on disk under ``out``).
    ``evaluator``: a running one to use (and leave running, e.g. the app's) instead of one
    made of ``executor`` / ``workers`` / ``scheduler`` for this call. ``on_progress(done,
    total)``: before the first simulation and after each (stored ones count as done); an
    exception it raises stops the study (finished work stays in the store). Failed
    simulations: RuntimeError naming the first. Interruption:
    :class:`sim.evaluate.Interrupted` (finished work is in the store)."""
    from sim.analysis.factors import overrides
    from sim.evaluate import check_executor

    t0 = time.perf_counter()
    if evaluator is not None:
        executor, n_workers = evaluator.executor, evaluator.workers
    else:
        n_workers = check_executor(executor, workers, scheduler)
    jobset = JobSet()
    index: dict[str, int] = {}             # simulation key -> job index
    where: list[list[list[int]]] = []      # [w][s][r] -> job index
    hashes: list[list[str]] = []
    for w, world in enumerate(worlds):
        ov = overrides(scenarios, factors, world)
        scs = _scenarios_in(scenarios, ov, f"world {w}: "
                            + ", ".join(f"{k}={v}" for k, v in world.items()))
        hashes.append([sc.hash for sc in scs])
        rows = []
        for s, (base, sc) in enumerate(zip(scenarios, scs, strict=True)):
            ids = []
            for r in range(replications):
                key = f"{sc.hash}-s{seed}-r{r}"
                if key not in index:
                    index[key] = jobset.add(base, r, seed, extra=tuple(ov[s].items()),
                                            expected=sc.hash, daily=False, reduce=metrics_of,
                                            tag=(w, s, r))
                    jobset.local.setdefault(sc.hash, sc)
                ids.append(index[key])
            rows.append(ids)
        where.append(rows)
    store = store if store is not None else MetricsStore(out)    # after every check
    todo = [i for i, job in enumerate(jobset.jobs) if not store.has(job)]
    if announce is not None:
        if todo:
            per = estimate_seconds(scenarios, seed)
            by_scenario = [0] * len(scenarios)
            for i in todo:
                by_scenario[jobset.jobs[i].tag[1]] += 1
            est = sum(n * t for n, t in zip(by_scenario, per, strict=True)) / n_workers
            announce(f"{label}: {len(worlds)} worlds x {replications} replications x "
                     f"{len(scenarios)} scenarios = {len(jobset)} simulations, {len(todo)} to run "
                     f"({len(jobset) - len(todo)} already done); estimated "
                     f"{duration(est)} on {n_workers} worker"
                     f"{'s' if n_workers != 1 else ''} ({executor}) "
                     f"({' + '.join(f'{t:.2f}' for t in per)} s a replication)")
        else:
            announce(f"{label}: all {len(jobset)} simulations already done")
    step = None
    if on_progress is not None:
        done = len(jobset) - len(todo)
        on_progress(done, len(jobset))

        def step(_index: int, _result: Any, _worker: str) -> None:
            nonlocal done
            done += 1
            on_progress(done, len(jobset))
    if not todo:
        results: list[Any] = [None] * len(jobset)
    elif evaluator is not None:
        results = evaluator.map(jobset, store=store, indices=todo, on_result=step)
    else:
        with Evaluator(executor, workers, scheduler, progress=progress, label=label,
                       unit="sim") as ev:
            results = ev.map(jobset, store=store, indices=todo, on_result=step)
    failed = [(i, r) for i, r in enumerate(results) if isinstance(r, JobFailed)]
    if failed:
        i, r = failed[0]
        w, s, rep = jobset.jobs[i].tag
        raise RuntimeError(f"{len(failed)} of {len(todo)} simulations failed; first: world {w}, "
                           f"scenario {s}, replication {rep}: {r.error}")
    got = [store.get(job) if res is None else res for job, res in zip(jobset.jobs, results,
                                                                         strict=True)]
    names = [m for m in METRICS if any(m in g for g in got)]
    names += sorted({k for g in got for k in g} - set(names))
    values = np.full((len(worlds), len(scenarios), replications, len(names)), math.nan)
    col = {m: j for j, m in enumerate(names)}
    for w, rows in enumerate(where):
        for s, ids in enumerate(rows):
            for r, i in enumerate(ids):
                for m, v in got[i].items():
                    values[w, s, r, col[m]] = v
    return Runs(worlds=[dict(w) for w in worlds], names=[sc.name for sc in scenarios],
                metrics=names, values=values, hashes=hashes, seed=seed,
                replications=replications, simulations=len(jobset), ran=len(todo),
                seconds=time.perf_counter() - t0)
