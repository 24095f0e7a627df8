"""``sim seek``: the smallest (or largest) value of one scenario key that meets a target.

``seek(SCENARIO, "volunteers.teams=0:10", "problem_resolution_days_mean <= 0",
against=BEFORE)`` looks for the smallest number of volunteer teams at which the metric (with
``against``: its paired difference from the baseline, replication by replication) meets the
target *with confidence*: the whole 95 % interval is on the right side of the value
(``<=``: the upper end at most the value). Every point runs replications ``0..R-1`` with the
same seed as the baseline (common random numbers), so neighbouring points and the baseline
are paired.

Method: bisection on that rule, assuming the metric is monotone in the key. Both ends are
run first; a target met with confidence at neither end is bad input (the search stops
before any other point). Then the interval that holds the change is halved until it is at
most ``tolerance`` wide (for an integer key: until the two points are neighbours). The
answer is the met end of that interval; its ``ci95`` is where the pointwise 95 % band of the
metric crosses the target value (the lower band and the upper band, interpolated linearly
between the points tried): the key values at which the target is plausibly met begin at
the first and are met beyond doubt from the second. Every point tried is reported.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.attribution import check_metrics
from sim.analysis.coalitions import MetricsStore, metrics_of
from sim.errors import InputError
from sim.evaluate import Evaluator, JobFailed, JobSet
from sim.stats import paired, t_interval

__all__ = ["SeekResult", "Target", "parse_target", "parse_vary", "seek"]

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")
_VARY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*([^:]+):([^:]+)\s*$")


@dataclass(frozen=True)
class Target:
    metric: str
    op: str
    value: float

    @property
    def upper(self) -> bool:
        """True for ``<=``/``<`` (the metric must stay below the value)."""
        return self.op in ("<=", "<")

    def surely(self, lo: float, hi: float) -> bool:
        """Met with confidence: the whole interval on the right side."""
        if self.op == "<=":
            return hi <= self.value
        if self.op == "<":
            return hi < self.value
        if self.op == ">=":
            return lo >= self.value
        return lo > self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def parse_target(text: str) -> Target:
    """``"METRIC <= VALUE"`` (also ``<``, ``>=``, ``>``); a bad one is bad input."""
    allowed = "\"METRIC <= VALUE\" (or <, >=, >), e.g. \"wait_hours_mean <= 2\""
    m = _TARGET.match(str(text))
    if not m:
        raise InputError(f"cannot read the target {text!r}", field="--target", allowed=allowed)
    try:
        value = float(m.group(3))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"the target value {m.group(3)!r} is not a finite number",
                         field="--target", allowed=allowed)
    check_metrics([m.group(1)], "--target")
    return Target(m.group(1), m.group(2), value)


def parse_vary(text: str) -> tuple[str, float, float, bool]:
    """``"KEY=LOW:HIGH"`` -> (key, low, high, integer); integer when both ends are written as
    integers."""
    allowed = "KEY=LOW:HIGH with LOW < HIGH, e.g. volunteers.teams=0:12"
    m = _VARY.match(str(text))
    if not m:
        raise InputError(f"cannot read {text!r}", field="--vary", allowed=allowed)
    key, a, b = m.group(1), m.group(2).strip(), m.group(3).strip()
    integer = bool(re.fullmatch(r"[+-]?\d+", a) and re.fullmatch(r"[+-]?\d+", b))
    try:
        low, high = (int(a), int(b)) if integer else (float(a), float(b))
    except ValueError:
        raise InputError(f"cannot read the range {a}:{b}", field="--vary", allowed=allowed) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise InputError(f"the range {a}:{b} is empty or not finite", field="--vary",
                         allowed=allowed)
    return key, low, high, integer


@dataclass
class SeekResult:
    """What :func:`seek` found (``to_json``: the ``sim seek --json`` object)."""

    key: str
    target: Target
    value: float | None
    ci95: list[float]
    met: bool
    tried: list[dict[str, Any]]
    largest: bool
    against: str | None
    replications: int
    seed: int
    estimate: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def num(x):
            return None if x is None or not math.isfinite(x) else x

        return {"key": self.key, "value": num(self.value), "ci95": [num(x) for x in self.ci95],
                "met": self.met, "estimate": num(self.estimate),
                "target": {"metric": self.target.metric, "op": self.target.op,
                           "value": self.target.value,
                           "difference_from": self.against},
                "largest": self.largest, "replications": self.replications, "seed": self.seed,
                "tried": [{"value": t["value"], "metric": num(t["metric"]),
                           "ci95": [num(x) for x in t["ci95"]], "met": t["met"]}
                          for t in self.tried]}

    def table(self) -> str:
        what = (f"{self.target.metric} minus {self.against}" if self.against else
                self.target.metric)
        way = "largest" if self.largest else "smallest"
        lines = [f"{way} {self.key} with {what} {self.target.op} {self.target.value:g} "
                 f"(95% confidence, {self.replications} replications):"]
        if self.met:
            lo, hi = self.ci95
            lines.append(f"  {self.key} = {self.value:g} (95% CI of the threshold "
                         f"[{lo:g}, {hi:g}])")
        else:
            lines.append("  not met with confidence at any point tried")
        lines.append("  tried:")
        for t in sorted(self.tried, key=lambda t: t["value"]):
            lo, hi = t["ci95"]
            lines.append(f"    {t['value']:>10g}  {t['metric']:+.4g}  [{lo:+.4g}, {hi:+.4g}]"
                         f"  {'met' if t['met'] else '-'}")
        return "\n".join(lines + self.notes)


def _crossing(points: list[tuple[float, float]], value: float, largest: bool,
              integer: bool) -> float:
    """Where the piecewise linear curve through ``points`` (key, band end) crosses
    ``value``, walking from the met end (the high end when seeking the smallest key) inwards;
    the far end if it does not cross. For an integer key, the first integer on the met side."""
    walk = sorted(points, reverse=not largest)
    for (x0, y0), (x1, y1) in itertools.pairwise(walk):
        if (y0 - value) * (y1 - value) <= 0 and y0 != y1:
            x = x0 + (value - y0) * (x1 - x0) / (y1 - y0)
            if integer:
                x = math.floor(x) if largest else math.ceil(x)
            return float(x)
    return float(walk[-1][0])


def seek(scenario, vary: str, target: str, *, against=None, largest: bool = False,
         replications: int | None = None, seed: int | None = None,
         tolerance: float | None = None, max_points: int = 24, overrides=None,
         executor: str = "serial", workers: int | None = None, scheduler: str | None = None,
         progress: bool | None = None, on_point: Callable[[str], None] | None = None
         ) -> SeekResult:
    """See the module docstring. ``vary``: ``"KEY=LOW:HIGH"``; ``target``:
    ``"METRIC <= VALUE"``; ``against``: a baseline (the metric becomes the paired difference
    scenario - baseline); ``largest``: the largest value instead of the smallest."""
    from sim.experiment.study import resolve
    from sim.scenario import apply_overrides

    tgt = parse_target(target)
    key, low, high, integer = parse_vary(vary)
    sc = resolve(scenario, overrides)
    base = resolve(against, overrides) if against is not None else None
    for x in (low, high):                       # an unknown or invalid key fails here
        apply_overrides(sc, {key: x})
    R = int(replications) if replications is not None else sc.scenario.replications
    seed = sc.scenario.seed if seed is None else int(seed)
    tol = (1 if integer else (high - low) / 64.0) if tolerance is None else float(tolerance)
    store = MetricsStore()
    tried: dict[float, dict[str, Any]] = {}
    say = on_point or (lambda text: None)

    with Evaluator(executor, workers, scheduler, progress=progress, label="seek") as ev:
        def run(scn) -> np.ndarray:
            jobs = JobSet()
            for r in range(R):
                jobs.add(scn, r, seed, daily=False, reduce=metrics_of)
            got = ev.map(jobs, store)
            bad = [g for g in got if isinstance(g, JobFailed)]
            if bad:
                raise RuntimeError(f"a replication failed on {bad[0].worker}: {bad[0].error}\n"
                                   f"{bad[0].traceback}")
            return np.asarray([g.get(tgt.metric, math.nan) for g in got], dtype=float)

        ref = run(base) if base is not None else None

        def point(x) -> dict[str, Any]:
            if x in tried:
                return tried[x]
            y = run(apply_overrides(sc, {key: int(x) if integer else float(x)}))
            iv = paired(ref, y)[0] if ref is not None else t_interval(y)
            row = {"value": int(x) if integer else float(x), "metric": iv.mean,
                   "ci95": [iv.low, iv.high], "met": bool(tgt.surely(iv.low, iv.high))}
            tried[x] = row
            say(f"{key} = {row['value']:g}: {tgt.metric} {iv.mean:+.4g} "
                f"[{iv.low:+.4g}, {iv.high:+.4g}] {'met' if row['met'] else 'not met'}")
            return row

        a, b = point(low), point(high)
        good_end, other_end = (high, low) if not largest else (low, high)
        if not a["met"] and not b["met"]:
            raise InputError(f"the target {tgt} is met with 95% confidence at neither end "
                             f"({key} = {low:g}: {a['metric']:+.4g}, {high:g}: {b['metric']:+.4g})",
                             field="--target", allowed="a target met at one end of --vary, or a "
                                                       "wider --vary range")
        if tried[other_end]["met"]:       # met already at the end we look from
            good_end = other_end
        else:
            bad_x, good_x = other_end, good_end
            while abs(good_x - bad_x) > tol and len(tried) < max_points:
                mid = (good_x + bad_x) / 2.0
                if integer:
                    mid = math.floor(mid) if bad_x < good_x else math.ceil(mid)
                    if mid in (bad_x, good_x):
                        break
                if point(mid)["met"]:
                    good_x = mid
                else:
                    bad_x = mid
            good_end = good_x
    answer = tried[good_end]
    rows = list(tried.values())
    band_lo = [(r["value"], r["ci95"][0 if tgt.upper else 1]) for r in rows]
    mean = [(r["value"], r["metric"]) for r in rows]
    plausible = _crossing(band_lo, tgt.value, largest, integer)
    sure = answer["value"]
    ci = sorted([plausible, sure])
    est = _crossing(mean, tgt.value, largest, False)
    return SeekResult(key=key, target=tgt, value=answer["value"], ci95=ci, met=answer["met"],
                      tried=sorted(rows, key=lambda r: r["value"]), largest=largest,
                      against=base.name if base is not None else None, replications=R,
                      seed=seed, estimate=est)
