"""City figures from the communities' results of one replication.

Community metrics are per year (annualised over the measured period); a city's figures are
**totals over the city's period** for counts and hours (the way cities report "this year
so far"), and for shares, means and per-worker figures the communities' values **weighted**
by what they average over:

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

from sim.engine.summary import TASK_FIELDS, ReplicationResult
from sim.metrics import metric
from sim.scenario.model import CATEGORIES

_WEIGHT_BY = {
    "utilization": "workers",
    "secretary_utilization": None,
    "admin_hours_share": "staff_hours",
    "service_hours_share": "staff_hours",
    "volunteer_utilization": "volunteer_teams",
    # means and shares: weighted by the count each community's figure is the mean over
    # (ReplicationResult.info), so the city figure is the pooled one
    "opinion_on_time_rate": "n_opinion",
    "opinion_late_working_days_mean": "n_opinion_late",
    "problem_resolution_days_mean": "n_problems_resolved",
    "problems_within_target_share": "n_problems",
    "wait_hours_mean": "n_waited",
    "deadline_on_time_rate": "n_deadline",
}
LEFT_OUT = ("problem_resolution_days_median", "problem_resolution_days_p90")
_TASK_COUNTS = ("arrived", "refused", "completed", "open_at_end")


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not ok.any():
        return math.nan
    return float(np.average(values[ok], weights=weights[ok]))


def aggregate(results: Sequence[ReplicationResult], workers: Sequence[int],
              teams: Sequence[int], days: int, inputs: Mapping[str, float]) -> dict[str, float]:
    """The city's figures from one replication of every community (in community order)."""
    names = list(dict.fromkeys(m for r in results for m in r.metrics))
    col = {m: np.asarray([r.metrics.get(m, math.nan) for r in results], dtype=float) for m in names}
    for k in ("n_waited", "n_deadline", "n_opinion", "n_opinion_late", "n_problems",
              "n_problems_resolved"):
        col[k] = np.asarray([r.info.get(k, math.nan) for r in results], dtype=float)
    period = days / 365.0
    staff_hours = sum((col.get(f"hours_{c}", 0.0) for c in CATEGORIES), np.zeros(len(results)))
    weights = {
        "workers": np.asarray(workers, dtype=float),
        "volunteer_teams": np.asarray(teams, dtype=float),
        "staff_hours": np.asarray(staff_hours, dtype=float),
    }
    out: dict[str, float] = {}
    for m in names:
        x = col[m]
        unit = metric(m).unit
        if m in LEFT_OUT:
            continue
        if m.endswith("_per_worker_year"):
            out[m] = _weighted(x, weights["workers"])
        elif m in _WEIGHT_BY:
            w = _WEIGHT_BY[m]
            if w is None:
                out[m] = float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
            else:
                out[m] = _weighted(x, weights[w] if w in weights else col.get(w, np.zeros_like(x)))
        elif m.startswith("hours_share_"):
            out[m] = _weighted(x, weights["staff_hours"])
        elif unit in ("per year", "hours/year"):
            out[m] = float(np.nansum(x)) * period
        elif unit == "count":
            out[m] = float(np.nansum(x))
        else:
            out[m] = float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
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

    return [m for m in scenario_metric_names(city.base) if m not in LEFT_OUT] + list(city.inputs)
