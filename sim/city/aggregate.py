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
``opinion_on_time_rate``, ``opinion_late_...``         mean weighted by opinion requests
``problem_resolution_days_mean``,                      mean weighted by problems resolved
``problems_within_target_share``
``wait_hours_mean``, ``deadline_on_time_rate``         mean weighted by tasks completed
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
    "opinion_on_time_rate": "opinion_requests",
    "opinion_late_working_days_mean": "opinion_requests",
    "problem_resolution_days_mean": "problems_resolved",
    "problems_within_target_share": "problems_resolved",
    "wait_hours_mean": "tasks_completed",
    "deadline_on_time_rate": "tasks_completed",
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
