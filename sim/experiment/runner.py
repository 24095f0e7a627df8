"""The run loop shared by :func:`sim.experiment.run` and :func:`sim.experiment.compare`.

:class:`Runner` submits replications of several scenarios in lockstep to the evaluator
(:class:`sim.evaluate.Evaluator`); :func:`run_experiment` checks the options, runs the first
replications and, with a precision target, adds batches by the sequential rule
(:mod:`sim.experiment.precision`) until it is met or ``max_replications`` is reached. An
interruption (SIGINT/SIGTERM) stops the loop and keeps the replications finished for every
scenario; the caller raises :class:`ExperimentInterrupted` with the partial result.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine import ReplicationResult
from sim.evaluate import Evaluator, Interrupted, JobFailed, JobSet
from sim.evaluate.store import ReplicationStore
from sim.experiment.precision import (
    check_int,
    check_precision,
    diff_precision,
    missed,
    next_n,
    precision_info,
    run_precision,
)
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.experiment.comparison import ComparisonResult
    from sim.experiment.results import RunResult

__all__ = ["ExperimentInterrupted", "Runner", "partial_record", "run_experiment"]


class ExperimentInterrupted(Interrupted):
    """:func:`run` or :func:`compare` was interrupted (SIGINT/SIGTERM): ``result`` holds
    every replication that had finished for all scenarios, marked partial
    (``result.partial``); the CLI writes it and exits with ``exit_code``."""

    def __init__(self, signum: int, result: RunResult | ComparisonResult) -> None:
        super().__init__(signum)
        self.result = result


class Runner:
    """Replications of several scenarios in lockstep, submitted to the evaluator: replication
    r of every scenario, then r + 1 (so an interruption leaves mostly complete pairs)."""

    def __init__(self, scenarios: list[Scenario], seed: int, events: bool, evaluator: Evaluator,
                 store: ReplicationStore | None):
        self.scenarios = scenarios
        self.seed = seed
        self.events = events
        self.evaluator = evaluator
        self.store = store
        self.jobs = JobSet()
        self.results: list[list[ReplicationResult]] = [[] for _ in scenarios]
        self.requested = 0

    @property
    def n(self) -> int:
        return len(self.results[0])

    def extend(self, n: int) -> None:
        """Run replications ``self.n .. n-1`` of every scenario (finished ones that the store
        holds are read back, not run)."""
        start = self.n
        if n <= start:
            return
        self.requested = n
        first = len(self.jobs)
        for r in range(start, n):
            for sc in self.scenarios:
                self.jobs.add(sc, r, self.seed, events=self.events)
        new = range(first, len(self.jobs))
        try:
            got = self.evaluator.map(self.jobs, self.store, indices=new)
        except Interrupted as exc:
            got = exc.results
            self._keep(got, new, complete_only=True)
            raise
        self._keep(got, new, complete_only=False)

    def _keep(self, got: list[Any], new: range, complete_only: bool) -> None:
        k_n = len(self.scenarios)
        for base in range(new.start, new.stop, k_n):
            row = got[base:base + k_n]
            if complete_only and any(x is None or isinstance(x, JobFailed) for x in row):
                continue
            for k, res in enumerate(row):
                if isinstance(res, JobFailed):
                    job = self.jobs.jobs[base + k]
                    raise RuntimeError(f"replication {job.replication} of "
                                       f"{self.scenarios[k].name} failed on {res.worker}: "
                                       f"{res.error}\n{res.traceback}")
                self.results[k].append(res)

    def values(self, k: int) -> dict[str, np.ndarray]:
        """Scenario ``k``'s metrics so far: one array a metric, one value a replication."""
        reps = self.results[k]
        names = dict.fromkeys(name for r in reps for name in r.metrics)
        return {m: np.asarray([r.metrics.get(m, math.nan) for r in reps], dtype=float) for m in names}


def run_experiment(scenarios: list[Scenario], replications, seed, precision, max_replications,
                   min_replications, events, progress, compare_pairs: bool,
                   execution: dict[str, Any]):
    """Shared core of :func:`run` and :func:`compare`: returns the runner, the seed, the
    per-scenario and overall precision info and the :class:`Interrupted` exception if a
    signal stopped it (else None)."""
    p = check_precision(precision)
    max_n = check_int(max_replications, "max_replications")
    min_n = check_int(min_replications, "min_replications")
    if replications is not None:
        replications = check_int(replications, "replications")
    seed = scenarios[0].scenario.seed if seed is None else check_int(seed, "seed", 0)
    if p is None:
        n = replications if replications is not None else scenarios[0].scenario.replications
    else:
        n = min(replications if replications is not None else min_n, max_n)
    store_dir = execution.get("store")
    store = None
    if store_dir is not None:
        store = ReplicationStore(store_dir)
        store.prepare()
    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    evaluator = Evaluator(execution.get("executor") or "serial", execution.get("workers"),
                          execution.get("scheduler"), progress=progress, label=label)
    runner = Runner(scenarios, seed, events, evaluator, store)
    history = [n]
    interrupted = None
    with evaluator:
        try:
            _grow(runner, n, p, max_n, compare_pairs, history)
        except Interrupted as exc:
            interrupted = exc
    if interrupted is not None or p is None:
        base_info: dict[str, Any] = {"precision": p, "converged": None, "history": history,
                                     "max_replications": max_n}
        return runner, seed, [dict(base_info, relative_half_widths={}, missed=[])
                              for _ in scenarios], dict(base_info, relative_half_widths={},
                                                        missed=[]), interrupted
    run_rel, diff_rel = _achieved(runner, p, compare_pairs)
    return (runner, seed, *precision_info(scenarios, p, run_rel, diff_rel, history, max_n,
                                          runner.n), None)


def _achieved(runner: Runner, p: float, compare_pairs: bool):
    """Relative half-widths so far: per scenario, and per paired difference (by position)."""
    vals = [runner.values(k) for k in range(len(runner.scenarios))]
    run_rel = [run_precision(v, p) for v in vals]
    diff_rel = ({k: diff_precision(vals[0], vals[k], p) for k in range(1, len(vals))}
                if compare_pairs else {})
    return run_rel, diff_rel


def _grow(runner: Runner, n: int, p: float | None, max_n: int, compare_pairs: bool,
          history: list[int]) -> None:
    """Run ``n`` replications, then (with precision ``p``) more until the rule is met."""
    runner.extend(n)
    while p is not None:
        run_rel, diff_rel = _achieved(runner, p, compare_pairs)
        ratios = [v for rel in (*run_rel, *diff_rel.values()) for m, v in rel.items()
                  if m in missed(rel, p)]
        if not ratios or runner.n >= max_n:
            return
        worst = max(ratios, key=lambda v: math.inf if math.isnan(v) else v)
        n = next_n(runner.n, worst, p, max_n)
        history.append(n)
        runner.extend(n)


def partial_record(runner: Runner, stopped: Interrupted) -> dict[str, Any]:
    """The ``partial`` record of an interrupted result."""
    return {"replications_done": runner.n, "replications_requested": runner.requested,
            "signal": stopped.signal_name}
