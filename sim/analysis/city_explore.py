"""``sim explore CITY.toml#none CITY.toml``: the city before and after in many sampled worlds.

The ensemble of :mod:`sim.analysis.explore` for two city files (:mod:`sim.city`), compared as
``sim compare`` compares them (:mod:`sim.analysis.city_compare`: ``FILE#SPEC`` selects the
community scenario's levers; ``#none`` is the city before the reform). A world is one value
per declared uncertainty of the cities' community scenarios
(:func:`sim.analysis.factors.declared_factors` of each city's ``base``), and it applies to
**every community of both cities**: its override dict per city
(:func:`sim.analysis.factors.overrides`, which knows which scenarios declare what) is a
community key, so :func:`sim.city.loader.vary` makes the city again with it after the file's
``[set]``. Community ``k`` of replication ``r`` runs with the seed of
:func:`sim.city.community_seed` (city seed and community id) in both cities and every world:
common random numbers, community by community.

Every community replication is one job of the evaluator (serial, processes, Dask), kept by
(scenario content hash, seed, replication) in :class:`sim.analysis.worlds.MetricsStore` (on
disk under ``DIR/sims`` with ``out``): a killed run resumes with identical numbers, and a
community whose scenario is the same in two worlds (or both cities) runs once. A job sends
back the community's metrics and the counts the city figures are weighted by; each
replication of each city in each world is added up to city figures
(:func:`sim.city.aggregate.aggregate`). Results, per metric: the paired city effect in every
world and its spread across worlds (:func:`sim.analysis.explore.summarise`), and the same per
community-size group (household terciles of the first city, the mean of the group's
communities' metric as in ``sim compare``). Scenario discovery runs on the city effects.
``communities=K`` keeps the first K drawn communities (the same ones whatever the count,
docs/city.md) and the same share of them with a volunteer team: a quick run.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.explore import MAX_SAMPLES, ExploreResult, per_world_table, summarise
from sim.analysis.factors import factors_for, overrides, worlds
from sim.analysis.worlds import MetricsStore, Runs, duration
from sim.errors import InputError, ScenarioError

__all__ = ["CityExploreResult", "city_figures", "city_metrics_of", "explore_cities",
           "group_mean", "load_pair"]

COUNT = "@"       # prefix of the weighting counts a job sends back beside the metrics


def city_metrics_of(_scenario: Any, result: Any) -> dict[str, float]:
    """The reduction sent to workers: a community replication's metrics and the counts
    (``@NAME``) its city figures are weighted by."""
    from sim.metrics import COUNTS

    out = {str(k): float(v) for k, v in result.metrics.items()}
    out.update({COUNT + c.name: float(result.info.get(c.name, math.nan)) for c in COUNTS})
    return out


@dataclass(frozen=True)
class _Rep:
    """What :func:`sim.city.aggregate.aggregate` reads of a replication's result."""

    metrics: dict[str, float]
    info: dict[str, float]
    tasks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, flat: Mapping[str, float]) -> _Rep:
        return cls({k: v for k, v in flat.items() if not k.startswith(COUNT)},
                   {k[1:]: v for k, v in flat.items() if k.startswith(COUNT)})


def city_figures(rows: Sequence[Mapping[str, float]], staff: Sequence[int],
                 teams: Sequence[int], days: int, excluded: Any = ()) -> dict[str, float]:
    """The city figures of one replication from its communities' job results (``rows``,
    from :func:`city_metrics_of`), less the ``excluded`` names (the city's input figures)
    and the per-task ones."""
    from sim.city.aggregate import aggregate

    fig = aggregate([_Rep.of(x) for x in rows], staff, teams, days, {})
    return {m: v for m, v in fig.items() if m not in excluded and not m.startswith("task.")}


def group_mean(rows: Sequence[Mapping[str, float]], name: str) -> float:
    """The mean of community metric ``name`` over a size group's job results ``rows``, where
    it is defined (NaN if nowhere), as ``sim compare`` of two cities takes it."""
    x = np.asarray([row.get(name, math.nan) for row in rows], dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def load_pair(files: Sequence[str], overrides_: Mapping[str, Any] | None = None,
              communities: int | None = None) -> list[Any]:
    """The two cities of ``files`` (``CITY.toml`` or ``CITY.toml#SPEC``) with ``overrides_``;
    ``communities``: the first K drawn communities. One-line InputError for a community
    scenario among them, cities with different communities, or K out of range."""
    from sim.analysis.city_compare import city_overrides, split_city_ref
    from sim.city import is_city_file, load_city

    if len(files) != 2:
        raise InputError(f"needs exactly two city files, got {len(files)}", field="sim explore",
                         allowed="sim explore CITY.toml#none CITY.toml")
    for f in files:
        if not is_city_file(split_city_ref(f)[0]):
            raise InputError("is a community scenario; a city explore takes two city files",
                             file=f, field="sim explore",
                             allowed="two city files ([city]) or two community scenarios")
    cities = []
    for f in files:
        file, sets = city_overrides(f)
        sets = {**sets, **dict(overrides_ or {})}
        if communities is not None:
            sets.update(_subsample(file, sets, communities))
        try:
            cities.append(load_city(file, sets))
        except ScenarioError as exc:
            raise InputError(exc.detail, file=exc.file, field=exc.field,
                             allowed=exc.allowed) from None
    a, b = cities
    ida = [(c.id, c.households) for c in a.communities]
    idb = [(c.id, c.households) for c in b.communities]
    if ida != idb:
        raise InputError(f"has other communities than {files[0]} ({len(idb)} against "
                         f"{len(ida)}, or other ids or households)", file=files[1],
                         field="communities", allowed="the same city before and after, e.g. "
                         "CITY.toml#none CITY.toml")
    return cities


def _subsample(file: str, sets: Mapping[str, Any], k: int) -> dict[str, Any]:
    """The overrides that keep the first ``k`` drawn communities of the city in ``file``
    (with ``sets``) and volunteer teams in the same proportion (read from the file: the
    city is made once, with k communities)."""
    from sim.scenario.files import read_toml

    com = read_toml(file).get("communities")
    com = com if isinstance(com, dict) else {}
    if com.get("list"):
        raise InputError("lists its communities; --communities keeps the first K drawn ones",
                         file=file, field="--communities",
                         allowed="a city with communities.count (or edit the list)")
    n = sets.get("communities.count", com.get("count"))
    teams = sets.get("communities.volunteer_teams", com.get("volunteer_teams"))
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        return {}               # the city's own check says what is wrong with its count
    if not 1 <= k <= n:
        raise InputError(f"expected 1 to {n} (the city's communities), got {k}",
                         field="--communities", allowed=f"1..{n}")
    out: dict[str, Any] = {"communities.count": k}
    if isinstance(teams, int) and not isinstance(teams, bool) and teams > 0:
        out["communities.volunteer_teams"] = round(teams * k / n)
    return out


@dataclass
class CityExploreResult(ExploreResult):
    """An ensemble of two cities: the :class:`ExploreResult` of the city figures, and
    ``by_size``: group -> {"households": [lo, hi], "communities": n, "runs": Runs (the
    group's mean community metrics), "per_world", "headline"}."""

    cities: list[Any] = field(default_factory=list)
    by_size: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = super().to_json()
        a = self.cities[0]
        d["city"] = {"name": a.name, "path": a.path, "communities": len(a.communities),
                     "days": a.days}
        d["by_size"] = {g: {"households": list(p["households"]), "communities": p["communities"],
                            "metrics": _metrics_json(p["headline"])}
                        for g, p in self.by_size.items()}
        return d

    def write(self, directory: str | os.PathLike[str]) -> None:
        """As :meth:`ExploreResult.write`, and ``by_size.csv`` (per group, world, metric)."""
        from pathlib import Path

        import pandas as pd

        from sim.evaluate.store import atomic_write

        super().write(directory)
        parts = [p["per_world"].assign(group=g) for g, p in self.by_size.items()]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        atomic_write(Path(directory, "by_size.csv"),
                     table.to_csv(index=False, float_format="%.10g"))


def _metrics_json(headline: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    from sim.formatting import json_number

    keys = ("effect_median", "effect_p05", "effect_p95", "share_better", "share_worse",
            "share_unclear", "share_higher", "share_lower")
    return {m: {**{k: json_number(h[k]) for k in keys}, "worlds_better": h["worlds_better"],
                "worlds_worse": h["worlds_worse"], "direction": h["direction"],
                "sentence": h["sentence"]} for m, h in headline.items()}


def _headline(table: Any, days: int | None = None) -> dict[str, dict[str, Any]]:
    """Per metric, :func:`summarise` across worlds; ``days``: city figures (counts and hours
    are totals over the period, so said in the sentence)."""
    from sim.analysis.wording import period_unit

    out = {}
    for m in dict.fromkeys(table["metric"]):
        part = table[table["metric"] == m]
        unit = period_unit(m, days) if days is not None else None
        out[m] = summarise(m, part["diff_mean"].to_numpy(float), part["ci_low"].to_numpy(float),
                           part["ci_high"].to_numpy(float), unit=unit)
    return out


def explore_cities(files: Sequence[str], *, samples: int = 200, design: str = "lhs",
                   replications: int | None = None, seed: int | None = None,
                   vary: Sequence[str] = (), only: Sequence[str] | None = None,
                   overrides: Mapping[str, Any] | Sequence[str] | None = None,
                   communities: int | None = None, discover: Sequence[str] | None = None,
                   executor: str = "serial", workers: int | None = None,
                   scheduler: str | None = None, progress: bool | None = None,
                   out: str | os.PathLike[str] | None = None, announce=None, note=None
                   ) -> CityExploreResult:
    """The ensemble of the city comparison ``files[1]`` vs ``files[0]`` (options as
    :func:`sim.analysis.explore.explore`; ``communities``: the first K drawn communities;
    ``note``: called with a line before the cities of the other worlds are made, when that
    is estimated to take more than 10 s: a city is made again community by community)."""
    from sim.analysis.discovery import default_conditions, discover_boxes, parse_condition
    from sim.scenario.loader import override_pairs

    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"expected an integer from 1 to {MAX_SAMPLES}, got {samples!r}",
                         field="--samples", allowed=f"1..{MAX_SAMPLES}")
    cities = load_pair(list(files), dict(override_pairs(overrides)), communities)
    bases = [c.base for c in cities]
    facs = factors_for(bases, vary, only)
    if not facs:
        raise InputError("no uncertainty to explore: the cities' community scenarios declare "
                         "none and no --vary was given", file=cities[1].path,
                         field="uncertainties",
                         allowed="[uncertainties.NAME] in the community scenario, or --vary")
    seed = cities[0].seed if seed is None else int(seed)
    replications = cities[0].replications if replications is None else int(replications)
    if replications < 2:
        raise InputError(f"expected at least 2 replications, got {replications}",
                         field="--replications", allowed="an integer >= 2 (a CI needs two)")
    conditions = [parse_condition(c) for c in discover] if discover else None
    pts = worlds(facs, samples, design, seed)
    runs, by_size = _run(cities, bases, facs, pts, replications, seed, executor=executor,
                         workers=workers, scheduler=scheduler, progress=progress, out=out,
                         announce=announce, note=note)
    table = per_world_table(runs, facs)
    result = CityExploreResult(list(files), facs, design, runs, table,
                               _headline(table, cities[0].days), cities=cities)
    for g, part in by_size.items():
        pw = per_world_table(part["runs"], facs)
        result.by_size[g] = {**part, "per_world": pw, "headline": _headline(pw)}
    if conditions is None:
        conditions = default_conditions(result)
    result.boxes = [b.to_json() for b in discover_boxes(result, conditions)]
    if out is not None:
        result.write(out)
    return result


def _run(cities, bases, facs, pts, replications, seed, *, executor, workers, scheduler,
         progress, out, announce, note=None) -> tuple[Runs, dict[str, dict[str, Any]]]:
    """Every community replication of both cities in every world, then city figures and
    size-group means per (world, city, replication)."""
    from sim.analysis.city_compare import size_groups
    from sim.city import community_seed
    from sim.city.loader import vary as vary_city
    from sim.city.run import community_columns
    from sim.evaluate import Evaluator, JobFailed, JobSet, check_executor
    from sim.metrics import METRICS

    t0 = time.perf_counter()
    n_workers = check_executor(executor, workers, scheduler)
    jobset = JobSet()
    index: dict[str, int] = {}
    where: list[list[list[list[int]]]] = []       # [w][s][r][k] -> job index
    # [w][s] -> (workers, teams, days, hash) of the city in world w: what the city figures
    # need; the cities themselves (a scenario a community) are not kept past their world,
    # nor, off the serial executor, the jobs' scenarios (the workers rebuild them from data)
    made: list[list[tuple[list[int], list[int], int, str]]] = []
    first: list[Any] = []                         # the cities of world 0, for the pilot
    for w, world in enumerate(pts):
        if w == 1 and note is not None and (time.perf_counter() - t0) * (len(pts) - 1) > 10:
            note(f"city explore: making both cities again in {len(pts) - 1} more worlds, "
                 f"estimated {duration((time.perf_counter() - t0) * (len(pts) - 1))} "
                 f"(the first world took {time.perf_counter() - t0:.1f} s)")
        ov = overrides(bases, facs, world)
        row_cities, rows = [], []
        for s, (city, o) in enumerate(zip(cities, ov, strict=True)):
            try:
                cw = vary_city(city, o) if o else city
            except ScenarioError as exc:
                raise InputError(f"{exc.detail} (world {w}: "
                                 + ", ".join(f"{k}={v}" for k, v in world.items()) + ")",
                                 file=exc.file, field=exc.field, allowed=exc.allowed) from None
            row_cities.append(([c.workers for c in cw.communities],
                               [c.volunteer_teams for c in cw.communities], cw.days, cw.hash))
            if w == 0:
                first.append(cw)
            reps = []
            for r in range(replications):
                ids = []
                for k, c in enumerate(cw.communities):
                    cs = community_seed(seed, c.id)
                    key = f"{c.scenario.hash}-s{cs}-r{r}"
                    if key not in index:
                        index[key] = jobset.add(c.scenario, r, cs, daily=False,
                                                reduce=city_metrics_of, tag=(w, s, k, r))
                        if executor != "serial" and w > 0:
                            jobset.local.pop(c.scenario.hash, None)
                    ids.append(index[key])
                reps.append(ids)
            rows.append(reps)
        made.append(row_cities)
        where.append(rows)
    store = MetricsStore(out)                     # after every check
    todo = [i for i, job in enumerate(jobset.jobs) if not store.has(job)]
    ran = len(todo)
    if announce is not None:
        announce(_estimate(first, jobset, todo, where[0], store, len(pts), replications,
                           n_workers, executor))
    first.clear()
    if executor != "serial":
        jobset.local.clear()
        todo = [i for i in todo if not store.has(jobset.jobs[i])]   # the pilots are kept
    with Evaluator(executor, workers, scheduler, progress=progress, label="city explore",
                   unit="community") as ev:
        results = ev.map(jobset, store=store, indices=todo) if todo else [None] * len(jobset)
    failed = [(i, r) for i, r in enumerate(results) if isinstance(r, JobFailed)]
    if failed:
        i, r = failed[0]
        w, s, k, rep = jobset.jobs[i].tag
        raise RuntimeError(f"{len(failed)} of {len(todo)} simulations failed; first: world {w}, "
                           f"city {s}, community {k}, replication {rep}: {r.error}")
    got = [store.get(job) if res is None else res for job, res in zip(jobset.jobs, results,
                                                                         strict=True)]
    a = cities[0]
    excluded = set(a.inputs)
    figures: dict[tuple[int, int, int], dict[str, float]] = {}
    for w, rows in enumerate(where):
        for s, reps in enumerate(rows):
            staff, teams, days, _ = made[w][s]
            for r, ids in enumerate(reps):
                figures[(w, s, r)] = city_figures([got[i] for i in ids], staff, teams, days,
                                                  excluded)
    names = [m for m in METRICS if any(m in f for f in figures.values())]
    shape = (len(pts), 2, replications)
    values = np.full((*shape, len(names)), math.nan)
    for (w, s, r), fig in figures.items():
        for j, m in enumerate(names):
            values[w, s, r, j] = fig.get(m, math.nan)
    common = {"worlds": [dict(p) for p in pts], "names": [c.name for c in cities],
              "hashes": [[c[3] for c in row] for row in made], "seed": seed,
              "replications": replications, "simulations": len(jobset), "ran": ran}
    runs = Runs(metrics=names, values=values, seconds=time.perf_counter() - t0, **common)
    cols = list(community_columns())
    hh = np.asarray([c.households for c in a.communities], dtype=float)
    by_size: dict[str, dict[str, Any]] = {}
    for label, idx in size_groups(a.communities):
        gv = np.full((*shape, len(cols)), math.nan)
        for w, rows in enumerate(where):
            for s, reps in enumerate(rows):
                for r, ids in enumerate(reps):
                    for j, m in enumerate(cols):
                        gv[w, s, r, j] = group_mean([got[ids[k]] for k in idx], m)
        by_size[label] = {"households": [float(hh[idx].min()), float(hh[idx].max())],
                          "communities": int(idx.size),
                          "runs": Runs(metrics=cols, values=gv, **common)}
    return runs, by_size


def _estimate(cities, jobset, todo, where0, store, n_worlds, replications, n_workers,
              executor) -> str:
    """The run-time line: one replication of each city's community nearest the mean size,
    timed here (run as the serial executor runs it, and kept: it is a job of the study),
    times the jobs to run."""
    from sim.evaluate import JobFailed
    from sim.evaluate.jobs import run_job

    n_jobs = len(jobset)
    if not todo:
        return f"city explore: all {n_jobs} community simulations already done"
    per = []
    for s, city in enumerate(cities):
        hh = np.asarray([c.households for c in city.communities], dtype=float)
        k = int(np.argmin(np.abs(hh - hh.mean())))
        job = jobset.jobs[where0[s][0][k]]
        t0 = time.perf_counter()
        res = run_job(jobset.sources[job.source], job, jobset.local)   # as the serial executor
        per.append(time.perf_counter() - t0)
        if not isinstance(res, JobFailed) and not store.has(job):
            store.put(job, res)
    counts = [0, 0]
    for i in todo:
        counts[jobset.jobs[i].tag[1]] += 1
    est = sum(n * t for n, t in zip(counts, per, strict=True)) / n_workers
    n_c = len(cities[0].communities)
    return (f"city explore: {n_worlds} worlds x {replications} replications x 2 cities x "
            f"{n_c} communities = {n_jobs} community simulations, {len(todo)} to run "
            f"({n_jobs - len(todo)} already done); estimated {duration(est)} on {n_workers} "
            f"worker{'s' if n_workers != 1 else ''} ({executor}) "
            f"({' + '.join(f'{t:.2f}' for t in per)} s a mean-sized community)")
