"""Targets: the figures a scenario should reproduce, and the check of a model against them.

A scenario (or a city scenario, :mod:`sim.city`) declares ``[[targets]]``: a metric, the
reported value, a tolerance with its reason, and the source of the figure. ``sim check``
runs the scenario and judges each target by its **mean over replications**: it passes when
the mean lies in the target's band (``Target.band``). The 95 % confidence interval of the
mean is shown beside it, and a target whose interval sticks out of the band is flagged
("CI crosses the band"): the verdict could change with more replications.

Metric names are those of the metric registry (:mod:`sim.metrics`), ``task.<id>.<field>``
for a task type's counts over the measured period (fields: arrived, refused, completed,
open_at_end and the other ``TASK_FIELDS``), and for city scenarios the city's own figures
(see :mod:`sim.city.aggregate`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.summary import TASK_FIELDS, ReplicationResult
from sim.errors import InputError
from sim.formatting import json_number, significant
from sim.scenario.model import Target
from sim.stats import t_interval


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One target judged against the model: the mean over ``n`` replications and its CI."""

    target: Target
    mean: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def passed(self) -> bool:
        lo, hi = self.target.band
        return math.isfinite(self.mean) and lo - 1e-9 <= self.mean <= hi + 1e-9

    @property
    def ci_inside(self) -> bool:
        """Whether the whole 95 % CI of the mean lies in the band."""
        lo, hi = self.target.band
        if not (math.isfinite(self.ci_low) and math.isfinite(self.ci_high)):
            return self.passed
        return lo - 1e-9 <= self.ci_low and self.ci_high <= hi + 1e-9

    @property
    def deviation(self) -> float:
        """(mean - value) / value, NaN if the value is 0."""
        v = self.target.value
        return (self.mean - v) / abs(v) if v else math.nan

    def to_json(self) -> dict:
        t = self.target
        lo, hi = t.band
        return {"metric": t.metric, "value": t.value, "tolerance": t.tolerance_text,
                "side": t.side, "band": [lo, hi], "mean": json_number(self.mean),
                "ci95": [json_number(self.ci_low), json_number(self.ci_high)], "replications": self.n,
                "passed": self.passed, "ci_inside_band": self.ci_inside,
                "source": t.source, "reason": t.reason}


def task_metric_names(task_ids: Iterable[str]) -> list[str]:
    """``task.<id>.<field>`` names for the given task ids."""
    return [f"task.{tid}.{f}" for tid in task_ids for f in TASK_FIELDS]


def scenario_metric_names(scenario) -> list[str]:
    """Every metric a run of ``scenario`` produces: the registry's and ``task.*`` of its task
    types (and of the joint meetings' generated ones)."""
    from sim.metrics import METRICS

    ids = sorted({t.id for sc in (scenario, *(e.scenario for e in scenario.epochs))
                  for t in sc.tasks})   # (dated levers may enable a task later in the run)
    if scenario.joint_meetings.enabled:
        ids += ["joint_meeting", "joint_meeting_attend", "joint_meeting_prep"]
    return [*METRICS, *task_metric_names(ids)]


def replication_values(results: Sequence[ReplicationResult]) -> dict[str, np.ndarray]:
    """Metric name -> one value per replication: the registry metrics and ``task.*`` counts."""
    names = list(dict.fromkeys(m for r in results for m in r.metrics))
    out = {m: np.asarray([r.metrics.get(m, math.nan) for r in results], dtype=float) for m in names}
    tids = list(dict.fromkeys(t for r in results for t in r.tasks))
    for tid in tids:
        for f in TASK_FIELDS:
            out[f"task.{tid}.{f}"] = np.asarray(
                [float(r.tasks.get(tid, {}).get(f, math.nan)) for r in results], dtype=float)
    return out


def check_names(targets: Sequence[Target], known: Iterable[str], file: str) -> None:
    """Bad input (exit 2) if a target names a metric the model does not produce."""
    from sim.scenario.values import suggest

    known = list(known)
    known_set = set(known)
    for i, t in enumerate(targets):
        if t.metric not in known_set:
            hint = suggest(t.metric, known)
            raise InputError(f"unknown metric {t.metric!r}{hint}", file=file,
                             field=f"targets[{i}].metric",
                             allowed="a metric of the registry (see docs/model.md), "
                                     "task.<task id>.<field>, or for a city a city figure "
                                     "(see docs/city.md)")


def evaluate(targets: Sequence[Target], values: Mapping[str, np.ndarray]) -> list[TargetResult]:
    """Each target against the per-replication ``values`` of its metric."""
    out = []
    for t in targets:
        x = np.asarray(values.get(t.metric, [math.nan]), dtype=float)
        iv = t_interval(x)
        out.append(TargetResult(t, iv.mean, iv.low, iv.high, iv.n))
    return out


_fmt = functools.partial(significant, na="-", minus="-", pad=False)


def table(results: Sequence[TargetResult]) -> str:
    """The model-vs-target table ``sim check`` prints, one row per target, then a verdict."""
    head = ["metric", "target", "band", "model mean", "95% CI", "dev", "verdict"]
    rows = [head]
    for r in results:
        t = r.target
        lo, hi = t.band
        mark = "pass" if r.passed else "FAIL"
        if r.n < 2:
            mark += " (1 replication: no CI)"
        elif r.passed and not r.ci_inside:
            mark += " (CI crosses the band)"
        dev = r.deviation
        rows.append([t.metric, _fmt(t.value), f"{_fmt(lo)} .. {_fmt(hi)}", _fmt(r.mean),
                     f"{_fmt(r.ci_low)} .. {_fmt(r.ci_high)}",
                     f"{dev:+.1%}" if math.isfinite(dev) else "-", mark])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i in (0, 6) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_pass = sum(r.passed for r in results)
    lines.append("")
    lines.append(f"{n_pass} of {len(results)} targets pass"
                 + ("" if n_pass == len(results) else f"; {len(results) - n_pass} FAIL"))
    return "\n".join(lines)


def sources(results: Sequence[TargetResult]) -> str:
    """Each target's source and the reason for its tolerance, for the table's footnotes."""
    lines = []
    for i, r in enumerate(results, 1):
        t = r.target
        lines.append(f"[{i}] {t.metric}: {t.source}")
        lines.append(f"    tolerance {t.tolerance_text} ({t.side}): {t.reason}")
    return "\n".join(lines)
