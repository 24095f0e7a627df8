"""A reform's levers as players: the scenario of each coalition, run on the evaluator.

``BASELINE.toml`` and ``REFORM.toml`` must differ only by levers: the reform with the
baseline's levers on (and no others) must be the baseline, value for value (names and
descriptions aside); the players are the levers the reform switches on beyond those. The
scenario of coalition ``S`` is the reform with the baseline's levers and those of ``S`` on,
every other lever off (``levers.NAME.enabled`` overrides, as ``FILE#a,b`` does).

Replication r of every coalition uses the same random streams (common random numbers), so
differences between coalitions in one replication are paired. ``values`` runs coalitions
in every replication ``0..R-1`` (exact Shapley, one at a time, leave one out); ``points``
runs single (coalition, replication) pairs (the sampled design reads each replication's own
orders). Results are cached by job key (scenario hash, seed, replication): a
coalition needed by one-at-a-time, leave-one-out and Shapley runs once; with ``out`` the
cache is also a directory (one small JSON file a job, written atomically), so an
interrupted study run again with the same ``out`` runs only what is missing.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.evaluate import Evaluator, Job, JobFailed, JobSet
from sim.scenario.model import Scenario

__all__ = ["Coalitions", "MetricsStore", "metrics_of", "players_of"]

IGNORED = ("scenario.name", "scenario.name_zh", "scenario.description")


def metrics_of(scenario: Scenario, result: Any) -> dict[str, float]:
    """What a coalition's job sends back: the replication's metrics and its run time."""
    out = {k: float(v) for k, v in result.metrics.items()}
    out["__seconds"] = float(result.run_seconds)
    return out


def _enabled(sc: Scenario) -> list[str]:
    levers = sc.resolved.get("levers") or {}
    return [n for n, lv in levers.items() if isinstance(lv, Mapping) and lv.get("enabled") is True]


def players_of(baseline: Scenario, reform: Scenario) -> tuple[list[str], list[str]]:
    """(players, the baseline's levers): the levers the reform switches on beyond the
    baseline's. A reform that is not the baseline plus levers is bad input."""
    from sim.scenario import apply_overrides, scenario_diff

    names = list(reform.resolved.get("levers") or {})
    on = _enabled(reform)
    base_on = [n for n in _enabled(baseline) if n in names]
    extra = [n for n in _enabled(baseline) if n not in names]
    if extra:
        raise InputError(f"switches on levers the reform does not define: {', '.join(extra)}",
                         file=str(baseline.path), field="levers",
                         allowed="a baseline whose levers are levers of the reform")
    players = [n for n in on if n not in base_on]
    if not players:
        raise InputError("switches on no lever beyond the baseline's", file=str(reform.path),
                         field="levers", allowed="a reform with enabled [levers.NAME] that the "
                                                 "baseline does not switch on (e.g. bozhou_after.toml)")
    empty = apply_overrides(reform, {f"levers.{n}.enabled": n in base_on for n in names})
    diff = [(p, a, b) for p, a, b in scenario_diff(baseline, empty)
            if not p.startswith("levers.") and p not in IGNORED]
    if diff:
        p, a, b = diff[0]
        more = f" (and {len(diff) - 1} more)" if len(diff) > 1 else ""
        raise InputError(f"differs from the baseline outside its levers: {p} is {b!r} with "
                         f"every reform lever off, {a!r} in the baseline{more}",
                         file=str(reform.path), field=p,
                         allowed="a reform that is the baseline plus levers (e.g. "
                                 "bozhou_before.toml and bozhou_after.toml)")
    return players, base_on


class MetricsStore:
    """The evaluator's cache of job results (metric dicts) by job key: in memory, and in
    ``DIR/coalitions/KEY.json`` when a directory is given."""

    def __init__(self, out: str | os.PathLike[str] | None = None) -> None:
        self.memory: dict[str, dict[str, float]] = {}
        self.dir = Path(out) / "coalitions" if out is not None else None
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def get(self, job: Job) -> dict[str, float] | None:
        got = self.memory.get(job.key)
        if got is None and self.dir is not None:
            try:
                raw = json.loads((self.dir / f"{job.key}.json").read_text(encoding="utf-8"))
                got = {k: (math.nan if v is None else float(v)) for k, v in raw.items()}
                self.memory[job.key] = got
            except (OSError, ValueError, AttributeError):
                return None
        return got

    def put(self, job: Job, result: dict[str, float]) -> None:
        self.memory[job.key] = result
        if self.dir is not None:
            from sim.evaluate.store import atomic_write

            atomic_write(self.dir / f"{job.key}.json", json.dumps(
                {k: (v if math.isfinite(v) else None) for k, v in result.items()}))


class Coalitions:
    """Values of coalitions of the reform's levers: ``values(masks)`` runs what is missing
    (through ``evaluator``) and returns, per coalition mask, metric -> array over
    replications ``0..R-1``; ``points`` does the same for (mask, replication) pairs."""

    def __init__(self, reform: Scenario, players: Sequence[str], base_on: Sequence[str],
                 replications: int, seed: int, evaluator: Evaluator,
                 store: MetricsStore | None = None) -> None:
        self.reform = reform
        self.players = list(players)
        self.base_on = list(base_on)
        self.names = list(reform.resolved.get("levers") or {})
        self.R = int(replications)
        self.seed = int(seed)
        self.evaluator = evaluator
        self.store = store or MetricsStore()
        self.cache: dict[int, dict[str, np.ndarray]] = {}   # masks run in 0..R-1
        self.point: dict[tuple[int, int], dict[str, float]] = {}   # (mask, r) -> metrics
        self.masks: set[int] = set()       # every coalition run in some replication
        self.built: dict[int, Scenario] = {}   # a coalition's scenario, built once
        self.build_seconds: list[float] = []   # wall time of each build (in this process)
        self.seconds: list[float] = []     # run time of every replication run so far
        self.runs = 0                      # replications run (not read from the cache)
        self.started = time.perf_counter()

    def scenario(self, mask: int) -> Scenario:
        from sim.scenario import apply_overrides

        on = set(self.base_on) | {p for k, p in enumerate(self.players) if mask >> k & 1}
        return apply_overrides(self.reform, {f"levers.{n}.enabled": n in on for n in self.names})

    def points(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, float]]:
        """Metrics of coalition ``mask`` in replication ``r`` for each ``(mask, r)``; runs
        what is missing (in one batch through the evaluator)."""
        want = list(dict.fromkeys((int(m), int(r)) for m, r in pairs))
        todo = [p for p in want if p not in self.point]
        if todo:
            jobs = JobSet()
            for m, r in todo:
                if m not in self.built:
                    t0 = time.perf_counter()
                    self.built[m] = self.scenario(m)
                    self.build_seconds.append(time.perf_counter() - t0)
                jobs.add(self.built[m], r, self.seed, daily=False, reduce=metrics_of, tag=m)
            fresh = [i for i, j in enumerate(jobs.jobs) if self.store.get(j) is None]
            got = self.evaluator.map(jobs, self.store)
            for i, res in enumerate(got):
                if isinstance(res, JobFailed):
                    job = jobs.jobs[i]
                    raise RuntimeError(f"replication {job.replication} of coalition "
                                       f"{self.label(job.tag)} failed on {res.worker}: "
                                       f"{res.error}\n{res.traceback}")
            self.runs += len(fresh)
            # cached results keep their run time: the estimate of a resumed study is the same
            self.seconds += [g.get("__seconds", math.nan) for g in got]
            for p, row in zip(todo, got, strict=True):
                self.point[p] = row
                self.masks.add(p[0])
        return {p: self.point[p] for p in want}

    def values(self, masks: Iterable[int]) -> dict[int, dict[str, np.ndarray]]:
        want = list(dict.fromkeys(int(m) for m in masks))
        self.points((m, r) for m in want for r in range(self.R))
        for m in want:
            rows = [self.point[(m, r)] for r in range(self.R)]
            names = [n for n in rows[0] if n != "__seconds"]
            self.cache[m] = {n: np.asarray([row.get(n, math.nan) for row in rows], dtype=float)
                             for n in names}
        return {m: self.cache[m] for m in want}

    def value_of(self, name: str) -> Callable[[int, int], float]:
        """``value(mask, r)``: one metric of a coalition in a replication already run."""
        return lambda m, r: float(self.point[(m, r)].get(name, math.nan))

    def metric_table(self, name: str) -> dict[int, np.ndarray]:
        """One metric of every coalition run in all of replications ``0..R-1``."""
        full = [m for m in sorted(self.masks) if all((m, r) in self.point for r in range(self.R))]
        return {m: np.asarray([self.point[(m, r)].get(name, math.nan) for r in range(self.R)],
                              dtype=float) for m in full}

    def label(self, mask: int) -> str:
        on = [p for k, p in enumerate(self.players) if mask >> k & 1]
        return "{" + ", ".join(on) + "}"

    def seconds_per_replication(self) -> float:
        x = np.asarray(self.seconds, dtype=float)
        return float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
