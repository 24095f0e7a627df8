"""City figures from the communities' results of one replication.

Community metrics are per year (annualised over the measured period); a city's figures are
**totals over the city's period** for counts and hours (the way cities report "this year
so far"), and for shares, means and per-worker figures the communities' values **weighted**
by what they average over. Each metric's registry entry says which (``pool`` of
:class:`sim.metrics.Metric`); for the registered metrics that gives:

=====================================================  ===========================================
metric                                                 city figure
=====================================================  ===========================================
counts and hours (unit "per year", "hours/year")       sum over communities x days / 365
``*_per_worker_year``                                  mean weighted by workers (per year)
``utilization``                                        mean weighted by workers
``admin_hours_share``, ``service_hours_share``,        mean weighted by staff hours
``hours_share_*``
``volunteer_utilization``                              mean weighted by volunteer teams
``opinion_on_time_rate``                               weighted by opinion replies judged
``opinion_late_working_days_mean``                     weighted by late replies
``problem_resolution_days_mean``                       weighted by problems resolved
``problems_within_target_share``                       weighted by problems arrived
``wait_hours_mean``                                    weighted by tasks that waited for staff
``deadline_on_time_rate``                              weighted by tasks with a deadline judged
``tasks_open_at_end``                                  sum
medians and percentiles                                left out (not aggregable from summaries)
anything else                                          plain mean over communities
=====================================================  ===========================================

``task.<id>.<field>`` counts are sums; their means and rates are weighted by completed
tasks. The city's input figures (:attr:`sim.city.model.City.inputs`) are added unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sim.categories import CATEGORIES
from sim.engine.summary import TASK_FIELDS, ReplicationResult
from sim.metrics import COUNTS, METRICS, metric

_TASK_COUNTS = ("arrived", "refused", "completed", "open_at_end")


def left_out() -> tuple[str, ...]:
    """The registered metrics a city leaves out (medians and percentiles)."""
    return tuple(m.name for m in METRICS.values() if m.pool is not None and m.pool.how == "none")


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not ok.any():
        return math.nan
    return float(np.average(values[ok], weights=weights[ok]))


def _plain_mean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.isfinite(x).any() else math.nan


def aggregate(results: Sequence[ReplicationResult], workers: Sequence[int],
              teams: Sequence[int], days: int, inputs: Mapping[str, float]) -> dict[str, float]:
    """The city's figures from one replication of every community (in community order):
    each metric pooled as its registry entry says (:class:`sim.metrics.Pool`)."""
    names = list(dict.fromkeys(m for r in results for m in r.metrics))
    col = {m: np.asarray([r.metrics.get(m, math.nan) for r in results], dtype=float) for m in names}
    period = days / 365.0
    staff_hours = sum((col.get(f"hours_{c}", 0.0) for c in CATEGORIES), np.zeros(len(results)))
    weights = {
        "workers": np.asarray(workers, dtype=float),
        "volunteer_teams": np.asarray(teams, dtype=float),
        "staff_hours": np.asarray(staff_hours, dtype=float),
    }
    for c in COUNTS:
        weights[c.name] = np.asarray([r.info.get(c.name, math.nan) for r in results], dtype=float)
    out: dict[str, float] = {}
    for m in names:
        x = col[m]
        pool = metric(m).pool
        assert pool is not None
        if pool.how == "none":
            continue
        if pool.how == "weighted":
            out[m] = _weighted(x, weights[pool.weight])
        elif pool.how == "total":
            out[m] = float(np.nansum(x)) * period
        elif pool.how == "sum":
            out[m] = float(np.nansum(x))
        else:
            out[m] = _plain_mean(x)
    tids = list(dict.fromkeys(t for r in results for t in r.tasks))
    for tid in tids:
        rows = [r.tasks.get(tid, {}) for r in results]
        done = np.asarray([float(row.get("completed", 0.0)) for row in rows])
        for f in TASK_FIELDS:
            x = np.asarray([float(row.get(f, math.nan)) for row in rows], dtype=float)
            out[f"task.{tid}.{f}"] = float(np.nansum(x)) if f in _TASK_COUNTS else _weighted(x, done)
    out.update({k: float(v) for k, v in inputs.items()})
    return out


def known_metrics(city) -> list[str]:
    """Every figure a city run produces: the registry's (less those left out), ``task.*``
    of the community scenario's task types, and the city's input figures."""
    from sim.targets import scenario_metric_names

    out = left_out()
    return [m for m in scenario_metric_names(city.base) if m not in out] + list(city.inputs)
