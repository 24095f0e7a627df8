"""Which unsourced values change results: the ±50 % screen of ``sim describe --unsourced``.

A value is *consequential* when changing it by ±50 % moves some headline metric
(:data:`sim.metrics.HEADLINE`) beyond its confidence interval: the paired difference (common
random numbers, same replications as the unchanged scenario) has an interval that excludes 0
(at 1 - 0.05/H for the H headline metrics, Bonferroni: one question per change) *and* is larger
than the half-width of the unchanged scenario's own 95 % interval for that metric. Otherwise
it is *inert*.

How a value is changed (:func:`perturbations`): a number x becomes 0.5 x and 1.5 x (an
integer is rounded and moved by at least 1; a zero becomes 1 or 0.5, since half of nothing
is nothing); a boolean is flipped; a list of numbers (a seasonality) has its deviations from
its mean halved and increased by half (a flat list has none: inert). A change the format
refuses (a probability of 1.5, 0 copies) is left out. Other values (names, labels, dates,
times) are structure, not figures, and are not screened.

To keep it affordable, values are screened in groups (sequential bifurcation): a group's
changes are applied together, one scenario per direction; a group that moves nothing is inert
as a whole, one that moves something is split in halves until single values remain. Every run
goes through the one evaluator (:func:`sim.experiment.compare`: serial, processes or Dask),
and with ``cache`` every replication is kept (keyed by the scenario's content hash), so a second
screen of the same file runs nothing again. The assumption of group screening, that effects
of one sign do not cancel within a group, is why both directions are run.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario.content import lookup, split_path

GROUP = 16
"""Values per group in the first round."""


@dataclass(frozen=True, slots=True)
class Screened:
    path: str
    value: Any
    source: str
    consequential: bool
    moved: str = ""        # the first headline metric it moved (consequential values)


def _scaled(x: float | int, f: float) -> float | int | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        if x == 0:
            return 1 if f > 1 else None
        y = round(x * f)
        if y == x:
            y = x + (1 if f > 1 else -1)
        return y
    if x == 0:
        return 0.5 if f > 1 else None
    return x * f


def perturbations(value: Any) -> list[Any]:
    """The changed values screened for ``value`` (see the module docstring)."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | float):
        return [y for y in (_scaled(value, 0.5), _scaled(value, 1.5)) if y is not None]
    if (isinstance(value, tuple | list) and value
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)):
        mean = sum(value) / len(value)
        if all(x == mean for x in value):
            return []
        return [[mean + (x - mean) * f for x in value] for f in (0.5, 1.5)]
    return []


def screenable(value: Any) -> bool:
    return isinstance(value, bool | int | float) or bool(perturbations(value))


def _overrides(scenario: Any, changes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """``--set`` overrides for several (path, new value) changes; a path inside an array of
    tables (``steps[0].effort_hours.mean``) rewrites the whole array."""
    from sim.scenario.merge import copy

    out: dict[str, Any] = {}
    for path, new in changes:
        if "[" not in path:
            out[path] = new
            continue
        head = path[: path.index("[")]
        whole = out.get(head)
        if whole is None:
            whole = copy(lookup(scenario.resolved, head))
        cur = whole
        tokens = split_path(path[len(head):])
        for t in tokens[:-1]:
            cur = cur[t]
        cur[tokens[-1]] = new
        out[head] = whole
    return out


def _moves(runs: Any, run: int) -> str:
    """The first headline metric run ``run`` moves beyond its CI, or "": the paired
    difference's interval at 1 - 0.05/H (Bonferroni over the H headline metrics: one question
    per change, "does it move any of them?") excludes 0, and the mean difference is larger than
    the half-width of the unchanged scenario's own 95 % interval."""
    from sim.metrics import HEADLINE
    from sim.stats import t_interval

    base, changed = runs[0], runs[run]
    confidence = 1.0 - 0.05 / len(HEADLINE)
    for m in HEADLINE:
        if m not in base.by_replication.columns or m not in changed.by_replication.columns:
            continue
        a = base.by_replication[m].to_numpy(dtype=float)
        b = changed.by_replication[m].to_numpy(dtype=float)
        keep = ~(np.isnan(a) | np.isnan(b))
        iv = t_interval(b[keep] - a[keep], confidence)
        if not (math.isfinite(iv.low) and math.isfinite(iv.high)) or iv.low <= 0.0 <= iv.high:
            continue
        half = t_interval(a).half_width
        if not math.isfinite(half) or abs(iv.mean) > half:
            return m
    return ""


def screen(scenario: Any, values: Sequence[Any], *, replications: int = 5,
           executor: str = "serial", workers: int | None = None, cache: str | None = None,
           group: int = GROUP, say: Callable[[str], None] | None = None) -> list[Screened]:
    """Screen the :class:`~sim.scenario.sourcing.ValueSource` ``values`` of ``scenario``
    (already with any horizon override). ``say`` gets progress lines (with an estimate of the
    time left)."""
    from sim.errors import ScenarioError
    from sim.experiment import compare
    from sim.scenario import apply_overrides

    say = say or (lambda text: None)
    # every value's valid changes, each as an override dict
    changes: dict[str, list[Any]] = {}
    for v in values:
        ok = []
        for new in perturbations(v.value):
            try:
                apply_overrides(scenario, _overrides(scenario, [(v.path, new)]))
            except ScenarioError:
                continue
            ok.append(new)
        changes[v.path] = ok
    result: dict[str, str] = {}
    varied = [v.path for v in values if changes[v.path]]
    pending = [varied[i:i + group] for i in range(0, len(varied), group)]
    per_job = None
    round_no = 0
    while pending:
        round_no += 1
        runs: list[tuple[int, Any]] = []    # (group index, changed scenario or None)
        for gi, g in enumerate(pending):
            for d in (0, 1):
                if d and all(len(changes[p]) == 1 for p in g):
                    continue
                picked = [(p, changes[p][min(d, len(changes[p]) - 1)]) for p in g]
                try:
                    runs.append((gi, apply_overrides(scenario, _overrides(scenario, picked))))
                except ScenarioError:   # a combination the format refuses: screen the halves
                    runs.append((gi, None))
        todo = [sc for _, sc in runs if sc is not None]
        jobs = (len(todo) + 1) * replications
        eta = f", about {jobs * per_job:.0f} s" if per_job else ""
        say(f"screening round {round_no}: {sum(len(g) for g in pending)} values in "
            f"{len(pending)} groups, {len(todo)} changed scenarios x {replications} "
            f"replications{eta}")
        t0 = time.perf_counter()
        if not todo:
            pending = [g[: len(g) // 2] for g in pending if len(g) > 1] + \
                [g[len(g) // 2:] for g in pending if len(g) > 1]
            continue
        cmp = compare([scenario, *todo], replications=replications, executor=executor,
                      workers=workers, store=cache, progress=False)
        elapsed = time.perf_counter() - t0
        if elapsed > 0.5:   # cached replications take no time: keep the last real estimate
            per_job = elapsed / jobs
        moved: dict[int, str] = {}
        k = 0
        for gi, sc in runs:
            if sc is None:
                what = "(combination refused)"
            else:
                k += 1
                what = _moves(cmp.runs, k)
            moved[gi] = moved.get(gi) or what
        nxt: list[list[str]] = []
        for gi, g in enumerate(pending):
            if not moved.get(gi):
                result.update(dict.fromkeys(g, ""))
            elif len(g) == 1:
                result[g[0]] = moved[gi]
            else:
                half = len(g) // 2
                nxt += [g[:half], g[half:]]
        pending = nxt
    return [Screened(v.path, v.value, v.label(), bool(result.get(v.path)),
                     result.get(v.path, "")) for v in values]


def progress_line(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
