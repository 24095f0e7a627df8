"""Running a city: every community for the city's period, replication by replication.

Community ``k`` of replication ``r`` runs :func:`sim.engine.run_replication` with its own
base seed, derived from the city's seed and the community's **id** (not its position), so
a community keeps its random numbers when others are added or removed, and replication r of
two variants of a city (e.g. two calibration points) uses common random numbers community
by community. The jobs (one per community and replication) go to the evaluator
(:mod:`sim.evaluate`): in this process, a pool of worker processes or a Dask cluster; the
results are the same on each, byte for byte.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from sim.city.aggregate import aggregate
from sim.city.model import City
from sim.errors import InputError
from sim.evaluate import Evaluator, Interrupted, JobFailed, JobSet
from sim.formatting import json_number
from sim.metrics import METRICS
from sim.rng import name_words


def community_columns() -> tuple[str, ...]:
    """The community metrics kept per community and replication (the per-community table):
    the registry's entries with a ``community_column``, in that order."""
    chosen = sorted((m for m in METRICS.values() if m.community_column),
                    key=lambda m: m.community_column)
    return tuple(m.name for m in chosen)


COMMUNITY_COLUMNS: tuple[str, ...] = community_columns()
"""The per-community table's metrics of the registry as imported."""


def community_seed(seed: int, community_id: str) -> int:
    """The base seed of one community of a city run with ``seed``."""
    ss = np.random.SeedSequence([int(seed), *name_words(f"community:{community_id}")])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass
class CityResult:
    """Replications of a city. ``values``: city figure -> one value per replication
    (see :mod:`sim.city.aggregate`); ``community_values``: (replication, community index) ->
    the community's metrics; ``communities`` (pandas) the per-community table."""

    city: City
    seed: int
    replications: int
    run_seconds: float
    values: dict[str, np.ndarray]
    community_metrics: dict[tuple[int, int], dict[str, float]] = field(repr=False)
    #: set when the run was interrupted: {"replications_done", "replications_requested",
    #: "signal"}; the figures are those of replications 0..done-1, complete for every community
    partial: dict[str, Any] | None = None

    @cached_property
    def summary(self):
        """One row per city figure: mean, sd, n and the 95 % CI over replications."""
        import pandas as pd

        from sim.metrics import metric
        from sim.stats import t_interval

        rows = []
        for m, v in self.values.items():
            iv = t_interval(v)
            rows.append({"metric": m, "mean": iv.mean, "sd": iv.sd, "n": iv.n,
                         "ci_low": iv.low, "ci_high": iv.high, "label": metric(m).label,
                         "unit": self._unit(m, "en")})
        return pd.DataFrame(rows).set_index("metric")

    def _unit(self, name: str, lang: str) -> str:
        from sim.metrics import metric

        total = "期间合计" if lang == "zh" else f"total, {self.city.days} days"
        if name.startswith("task."):
            field = name.rsplit(".", 1)[-1]
            return total if field in ("arrived", "refused", "completed", "open_at_end") else ""
        if name in self.city.inputs:
            return "input"
        unit = metric(name).unit
        if unit in ("per year", "hours/year") and not name.endswith("_per_worker_year"):
            return total
        return unit

    def table(self, lang: str = "en") -> str:
        """City figures: mean and 95 % CI over replications; headline metrics first, then the
        rest of the registry, then task counts and input figures are left to ``summary``."""
        from sim.formatting import align, decimals, interval, number
        from sim.metrics import HEADLINE, METRICS, metric
        from sim.stats import t_interval

        zh = lang == "zh"
        c = self.city
        title = (f"{c.name_zh or c.name}: {len(c.communities)} 个社区, {c.days} 天, "
                 f"{self.replications} 次重复, 种子 {self.seed}" if zh else
                 f"{c.name}: {len(c.communities)} communities, {c.days} days from {c.start_date}, "
                 f"{self.replications} replications, seed {self.seed}")
        rows = [["指标" if zh else "Metric", "均值" if zh else "Mean",
                 "95% 置信区间" if zh else "95% CI", "单位" if zh else "Unit"]]
        order = [m for m in HEADLINE if m in self.values] + [
            m for m in METRICS if m in self.values and m not in HEADLINE]
        for m in order:
            iv = t_interval(self.values[m])
            if m not in HEADLINE and not (iv.mean or iv.sd):
                continue
            d = decimals(iv.mean, iv.half_width)
            meta = metric(m)
            rows.append([("* " if m in HEADLINE else "  ") + ((meta.label_zh if zh else meta.label) or m),
                         number(iv.mean, d), interval(iv.low, iv.high, d), self._unit(m, lang)])
        note = ("* 主要指标; 计数与工时为期间合计, 占比与均值按社区加权 (docs/city.md)" if zh else
                "* headline metric; counts and hours are city totals over the period, shares and "
                "means weighted over communities (docs/city.md)")
        return f"{title}\n{align(rows, (False, True, False, False))}\n{note}"

    def to_json(self) -> dict[str, Any]:
        """One JSON object: the city, seed, replications and every city figure's mean, CI and
        per-replication values."""
        from sim.provenance import versions
        from sim.stats import t_interval
        from sim.version import __version__

        metrics = {}
        for m, v in self.values.items():
            iv = t_interval(v)
            metrics[m] = {"mean": json_number(iv.mean), "ci95": [json_number(iv.low), json_number(iv.high)],
                          "values": [json_number(x) for x in v], "unit": self._unit(m, "en")}
        c = self.city
        return {"city": {"name": c.name, "path": c.path, "hash": c.hash,
                         "communities": len(c.communities), "days": c.days,
                         "start_date": c.start_date.isoformat()},
                "seed": self.seed, "replications": self.replications, "version": __version__,
                "versions": versions(), "metrics": metrics,
                **({"partial": dict(self.partial)} if self.partial else {})}

    def write_csv(self, directory: str | os.PathLike[str], events: bool = False) -> list[str]:
        """``summary.csv`` (city figures) and ``communities.csv`` (one row per community);
        a city run keeps no event logs (``events`` is refused earlier, by ``sim run``)."""
        from pathlib import Path

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(out / "summary.csv")
        self.communities.to_csv(out / "communities.csv")
        return [str(out / "summary.csv"), str(out / "communities.csv")]

    @cached_property
    def communities(self):
        """One row per community: its size and its mean metrics over replications."""
        import pandas as pd

        rows = []
        for k, c in enumerate(self.city.communities):
            row: dict[str, Any] = {"community": c.id, "households": c.households,
                                   "workers": c.workers,
                                   "managed_estate_share": c.managed_estate_share,
                                   "volunteer_teams": c.volunteer_teams}
            for m in community_columns():
                x = np.asarray([self.community_metrics[(r, k)].get(m, math.nan)
                                for r in range(self.replications)], dtype=float)
                row[m] = float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("community")


class CityInterrupted(Interrupted):
    """:func:`run_city` was interrupted (SIGINT/SIGTERM) after replications 0..m-1 had
    finished for every community: ``result`` holds them, marked partial; the CLI prints and
    writes it and exits with ``exit_code``. (Interrupted before any whole replication, the
    plain :class:`~sim.evaluate.Interrupted` is raised.)"""

    def __init__(self, signum: int, result: CityResult) -> None:
        super().__init__(signum)
        self.result = result


def run_city(city: City, replications: int | None = None, seed: int | None = None, *,
             workers: int | None = None, progress: bool | None = None,
             executor: str | None = None, scheduler: str | None = None,
             evaluator: Evaluator | None = None) -> CityResult:
    """Run replications ``0..n-1`` of every community of ``city`` and aggregate each
    replication to city figures. The jobs go to ``evaluator`` (an open
    :class:`~sim.evaluate.Evaluator`, e.g. one kept for all the design points of a
    calibration) or to a new one on ``executor`` (default: serial, or processes when
    ``workers`` > 1) with ``workers`` and ``scheduler``."""
    n = city.replications if replications is None else int(replications)
    if n < 1:
        raise InputError("must be at least 1", field="--replications")
    seed = city.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    jobs = JobSet()
    n_c = len(city.communities)
    for r in range(n):
        for c in city.communities:
            jobs.add(c.scenario, r, community_seed(seed, c.id), daily=False)
    stopped: Interrupted | None = None
    try:
        if evaluator is None:
            kind = executor or ("processes" if workers and workers > 1 else "serial")
            with Evaluator(kind, workers, scheduler, progress=progress, label=city.name,
                           unit="community") as ev:
                got = ev.map(jobs)
        else:
            got = evaluator.map(jobs)
    except Interrupted as exc:
        # keep the longest run of whole replications 0..m-1 (every community finished), so
        # the figures are those an uninterrupted run with m replications gives
        m = 0
        while m < n and all(r is not None for r in exc.results[m * n_c:(m + 1) * n_c]):
            m += 1
        if m == 0:
            raise
        stopped, requested, n = exc, n, m
        got = exc.results[:m * n_c]
    for i, res in enumerate(got):
        if isinstance(res, JobFailed):
            c = city.communities[i % n_c]
            raise RuntimeError(f"community {c.id}, replication {i // n_c} failed on "
                               f"{res.worker}: {res.error}\n{res.traceback}")
    teams = [c.volunteer_teams for c in city.communities]
    staff = [c.workers for c in city.communities]
    per_rep: list[dict[str, float]] = []
    for r in range(n):
        per_rep.append(aggregate(got[r * n_c:(r + 1) * n_c], staff, teams, city.days, city.inputs))
    names = list(dict.fromkeys(m for row in per_rep for m in row))
    values = {m: np.asarray([row.get(m, math.nan) for row in per_rep], dtype=float) for m in names}
    columns = community_columns()
    community_metrics = {(r, k): {m: v for m, v in got[r * n_c + k].metrics.items()
                                  if m in columns}
                         for r in range(n) for k in range(n_c)}
    result = CityResult(city, seed, n, time.perf_counter() - t0, values, community_metrics)
    if stopped is not None:
        result.partial = {"replications_done": n, "replications_requested": requested,
                          "signal": stopped.signal_name}
        raise CityInterrupted(stopped.signum, result)
    return result
