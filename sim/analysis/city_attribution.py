"""``sim attribute CITY.toml#none CITY.toml``: a city reform's effect split over its levers.

The study of :mod:`sim.analysis.attribution` for two city files (:mod:`sim.city`; loaded,
checked and subsampled with ``communities=K`` as ``sim explore`` loads them,
:func:`sim.analysis.city_explore.load_pair`). The players are the levers the second
city's community scenario switches on beyond the first's (:func:`players_of` of the two
cities' ``base`` scenarios, which also refuses a pair that differs outside its levers). A
coalition ``S`` is a lever set applied to **every community** of the city: the second city
made again in memory with exactly the first city's levers and those of ``S`` on
(``levers.NAME.enabled``, as ``CITY.toml#a,b`` selects them for ``sim compare``). The empty
coalition is the first city as given (``#none``: the city before, with its ``before``
scenario and no volunteer teams) and the full one the second city as given, so the total
effect is exactly what ``sim compare`` of the two cities measures.

The value of a coalition in replication r is the city figure (or, per household tercile,
the mean of the group's communities' metric, as ``sim compare`` takes it) of the
communities' replication-r runs, each with the seed of :func:`sim.city.community_seed`
(city seed and community id) in every coalition: common random numbers, community by
community. So every value of the study is a plain number per (coalition, replication) and
exact Shapley values add up to the total effect replication by replication, in the city and
in every tercile. A coalition costs communities x replications simulations (one job of the
evaluator each, cached by scenario hash, seed and replication: a community the coalition
does not change is not run again).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.attribution import (
    METHODS,
    AttributionResult,
    check_metrics,
    check_study,
    metric_row,
    run_coalitions,
)
from sim.analysis.coalitions import Coalitions, MetricsStore, players_of
from sim.analysis.shapley_design import ALPHA
from sim.errors import InputError
from sim.evaluate import Evaluator, JobFailed, JobSet

__all__ = ["CityAttributionResult", "CityCoalitions", "attribute_cities", "city_job_metrics"]

SEP = "|"        # group and metric in a point's names: "small|overtime_hours"


def city_job_metrics(scenario: Any, result: Any) -> dict[str, float]:
    """A community replication's job result: the metrics and weighting counts of
    :func:`sim.analysis.city_explore.city_metrics_of` and its run time."""
    from sim.analysis.city_explore import city_metrics_of

    out = city_metrics_of(scenario, result)
    out["__seconds"] = float(result.run_seconds)
    return out


class CityCoalitions(Coalitions):
    """Values of coalitions of levers applied to every community of a city (the interface
    of :class:`Coalitions`): a point ``(mask, r)`` holds the city figures of replication r
    and, per size group, ``GROUP|METRIC`` means of the group's communities."""

    def __init__(self, before: Any, after: Any, players: Sequence[str], base_on: Sequence[str],
                 replications: int, seed: int, evaluator: Evaluator,
                 store: MetricsStore | None = None) -> None:
        from sim.analysis.city_compare import size_groups
        from sim.city.run import community_columns

        super().__init__(after.base, players, base_on, replications, seed, evaluator, store)
        self.before, self.after = before, after
        self.groups = size_groups(before.communities)
        self.columns = list(community_columns())
        self.excluded = set(before.inputs)
        # what making one coalition's city costs (here, before its jobs run): the estimate's
        # build time; the pilot's ends are the cities given and cost nothing
        t0 = time.perf_counter()
        self.city(-1)
        self.build_seconds.append(time.perf_counter() - t0)

    def city(self, mask: int) -> Any:
        """The city of coalition ``mask`` (built in memory; the ends are the cities given)."""
        from sim.city.loader import vary

        if mask == 0:
            return self.before
        if mask == (1 << len(self.players)) - 1:
            return self.after
        # (mask -1: every lever on, made again in memory as any coalition is)
        on = set(self.base_on) | {p for k, p in enumerate(self.players) if mask >> k & 1}
        return vary(self.after, {f"levers.{n}.enabled": n in on for n in self.names})

    def points(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, float]]:
        from sim.city import community_seed

        want = list(dict.fromkeys((int(m), int(r)) for m, r in pairs))
        todo = [p for p in want if p not in self.point]
        if not todo:
            return {p: self.point[p] for p in want}
        jobs, index = JobSet(), {}
        plan: dict[tuple[int, int], tuple[list[int], tuple[Any, Any, int]]] = {}
        cities: dict[int, tuple[Any, tuple[Any, Any, int]]] = {}
        for m, r in todo:
            if m not in cities:
                t0 = time.perf_counter()
                city = self.city(m)
                if 0 < m < (1 << len(self.players)) - 1:
                    self.build_seconds.append(time.perf_counter() - t0)
                cities[m] = (city.communities, ([c.workers for c in city.communities],
                                                [c.volunteer_teams for c in city.communities],
                                                city.days))
            comms, weights = cities[m]
            ids = []
            for c in comms:
                cs = community_seed(self.seed, c.id)
                key = f"{c.scenario.hash}-s{cs}-r{r}"
                if key not in index:
                    index[key] = jobs.add(c.scenario, r, cs, daily=False,
                                          reduce=city_job_metrics, tag=(m, r, c.id))
                ids.append(index[key])
            plan[(m, r)] = (ids, weights)
        cities.clear()
        fresh = sum(1 for j in jobs.jobs if self.store.get(j) is None)
        got = self.evaluator.map(jobs, self.store)
        for i, res in enumerate(got):
            if isinstance(res, JobFailed):
                m, r, cid = jobs.jobs[i].tag
                raise RuntimeError(f"community {cid}, replication {r} of coalition "
                                   f"{self.label(m)} failed on {res.worker}: {res.error}\n"
                                   f"{res.traceback}")
        self.runs += fresh
        for p, (ids, (staff, teams, days)) in plan.items():
            self.point[p] = self._value([got[i] for i in ids], staff, teams, days)
            self.masks.add(p[0])
            # cached results keep their run time: a resumed study estimates the same
            self.seconds.append(float(np.nansum([got[i].get("__seconds", math.nan)
                                                 for i in ids])))
        return {p: self.point[p] for p in want}

    def _value(self, rows: list[dict[str, float]], staff, teams, days) -> dict[str, float]:
        from sim.analysis.city_explore import city_figures, group_mean

        out = city_figures(rows, staff, teams, days, self.excluded)
        for label, idx in self.groups:
            part = [rows[k] for k in idx]
            out.update({f"{label}{SEP}{m}": group_mean(part, m) for m in self.columns})
        return out


class _Group:
    """One size group's view of city coalitions: what :func:`metric_row` reads."""

    def __init__(self, co: CityCoalitions, label: str) -> None:
        self.co, self.label, self.players = co, label, co.players

    def metric_table(self, name: str) -> dict[int, np.ndarray]:
        return self.co.metric_table(f"{self.label}{SEP}{name}")

    def value_of(self, name: str) -> Callable[[int, int], float]:
        return self.co.value_of(f"{self.label}{SEP}{name}")


@dataclass
class CityAttributionResult(AttributionResult):
    """:class:`AttributionResult` of the city figures, and ``by_size``: group ->
    {"households": [lo, hi], "communities": n, "metrics": {NAME: row as in ``metrics``}}
    (the community metrics among those asked for; no interactions)."""

    city: dict[str, Any] = field(default_factory=dict)
    by_size: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = super().to_json()
        plain = AttributionResult.to_json(AttributionResult(
            method="", baseline="", reform="", levers=[], replications=0, seed=0,
            metrics={g: p["metrics"] for g, p in self.by_size.items()}))["metrics"]
        d["city"] = dict(self.city)
        d["by_size"] = {g: {"households": p["households"], "communities": p["communities"],
                            "metrics": plain[g]} for g, p in self.by_size.items()}
        return d

    def table(self, lang: str = "en") -> str:
        from sim.analysis.attribution_table import city_attribution_table

        return city_attribution_table(self, lang)


def _city_metrics(names: list[str], city: Any, explicit: bool) -> list[str]:
    """The metrics that are city figures (:func:`sim.city.aggregate.known_metrics`, less the
    city's input figures): the default headline list keeps those; a metric asked for that
    is none is bad input."""
    from sim.city.aggregate import known_metrics

    known = [m for m in known_metrics(city) if m not in city.inputs]
    if explicit:
        for m in names:
            if m not in known:
                raise InputError(f"{m!r} is not a city figure", field="--metric",
                                 allowed="a metric a city run reports, e.g. "
                                         + ", ".join(known[:3]))
        return names
    return [m for m in names if m in known]


def attribute_cities(files: Sequence[str], *, communities: int | None = None,
                     replications: int | None = None, seed: int | None = None,
                     method: str = "auto", metrics: Sequence[str] | None = None,
                     permutations: int | None = None, rank: int = 4,
                     max_permutations: int = 2000, budget: float = 180.0,
                     interactions: int = 4, overrides=None, executor: str = "serial",
                     workers: int | None = None, scheduler: str | None = None,
                     out: str | os.PathLike[str] | None = None, progress: bool | None = None,
                     on_estimate: Callable[[str], None] | None = None
                     ) -> CityAttributionResult:
    """Split the effect of city ``files[1]`` over city ``files[0]`` (``CITY.toml`` or
    ``CITY.toml#SPEC``) over the levers, city-wide and per household tercile (options as
    :func:`sim.analysis.attribution.attribute`; ``communities``: the first K drawn
    communities). Every check comes before any simulation."""
    from sim.analysis.city_explore import load_pair
    from sim.city.run import community_columns
    from sim.evaluate import check_executor
    from sim.scenario.loader import override_pairs

    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", field="--method", allowed=", ".join(METHODS))
    names = check_metrics(metrics)
    before, after = load_pair(list(files), dict(override_pairs(overrides)), communities)
    names = _city_metrics(names, before, explicit=bool(metrics))
    players, base_on = players_of(before.base, after.base)
    n = len(players)
    R = int(replications) if replications is not None else before.replications
    check_study(method, n, R, permutations)
    seed = before.seed if seed is None else int(seed)
    check_executor(executor, workers, scheduler)
    t0 = time.perf_counter()
    n_c = len(before.communities)
    cols = set(community_columns())
    with Evaluator(executor, workers, scheduler, progress=progress, label="city coalitions",
                   unit="community") as ev:
        co = CityCoalitions(before, after, players, base_on, R, seed, ev, MetricsStore(out))
        fields, design = run_coalitions(
            co, names, method=method, seed=seed, permutations=permutations, rank=rank,
            max_permutations=max_permutations, budget=budget, interactions=interactions,
            workers=ev.workers, say=on_estimate, started=t0,
            what=f" x {n_c} communities (a coalition: {n_c * R:,} community simulations)")
    alpha = fields["rule"].get("alpha", ALPHA)
    hh = np.asarray([c.households for c in before.communities], dtype=float)
    by_size = {label: {"households": [float(hh[idx].min()), float(hh[idx].max())],
                       "communities": int(idx.size),
                       "metrics": {m: metric_row(_Group(co, label), m, design, n, rank, alpha)
                                   for m in names if m in cols}}
               for label, idx in co.groups}
    city = {"name": after.name, "path": after.path, "communities": n_c, "days": after.days,
            "files": list(files)}
    return CityAttributionResult(baseline=str(files[0]), reform=str(files[1]), levers=players,
                                 seed=seed, seconds=time.perf_counter() - t0, city=city,
                                 by_size=by_size, **fields)
