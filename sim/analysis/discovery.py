"""Scenario discovery: the boxes of input space where a condition on the effect holds.

A condition (:func:`parse_condition`) is about one metric's effect in a world of an ensemble
(:mod:`sim.analysis.explore`): its verdict (``"problem_resolution_days_mean worse"``, also
``better``, ``unclear``, ``not better``, ``not worse``) or its mean paired difference against a
number (``"admin_hours_share > -0.15"``; ``<``, ``<=``, ``>``, ``>=``). The worlds where it holds
are the *cases*. A box is a range for some factors (the others free); its **density** is the
share of the worlds inside it that are cases, its **coverage** the share of all cases that lie
inside it, its **mass** the share of all worlds inside it.

Two methods: PRIM (the Patient Rule Induction Method of Friedman and Fisher, from EMA
Workbench's ``ema_workbench.analysis.prim``): peel the box along its peeling trajectory, and
keep, of the boxes whose density reaches ``density`` (default 0.8), the one with the highest
coverage x density (else the densest); and CART (scikit-learn's ``DecisionTreeClassifier``, depth 3, only splits that lower
the Gini impurity by 0.01 or more, so label noise does not cut a box in two): the leaf predicted
as cases with the highest coverage x density. Both boxes are described in a sentence and their
coverage and density are counted on the worlds themselves.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.metrics import HEADLINE, METRICS, metric

__all__ = ["Box", "Condition", "cart_box", "default_conditions", "describe_limits",
           "discover_boxes", "parse_condition", "prim_box"]

VERDICT_OPS = ("better", "worse", "unclear", "not better", "not worse")
COMPARE_OPS = ("<=", ">=", "<", ">")
MIN_WORLDS = 10          # fewer worlds: no box (PRIM peels 5% a step)
_COND = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Condition:
    """A condition on a metric's effect in one world (see the module docstring)."""

    metric: str
    op: str
    value: float = math.nan

    @property
    def text(self) -> str:
        if self.op in VERDICT_OPS:
            return f"{self.metric} {self.op}"
        return f"{self.metric} {self.op} {self.value:g}"

    def words(self) -> str:
        m = metric(self.metric)
        if self.op in VERDICT_OPS:
            return f"{m.label}: {self.op}"
        return f"{m.label}: effect {self.op} {self.value:g}"

    def holds(self, effects) -> np.ndarray:
        """True per world (``effects``: :meth:`ExploreResult.effects` of the metric)."""
        if self.op in VERDICT_OPS:
            v = effects["verdict"].to_numpy()
            if self.op.startswith("not "):
                return v != self.op[4:]
            return v == ("no clear difference" if self.op == "unclear" else self.op)
        d = effects["diff_mean"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            return {"<": d < self.value, "<=": d <= self.value, ">": d > self.value,
                    ">=": d >= self.value}[self.op]


def _unknown_metric(name: str, field_name: str) -> InputError:
    close = difflib.get_close_matches(name, list(METRICS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return InputError(f"unknown metric {name!r}{hint}", field=field_name,
                      allowed="a metric of sim/metrics.py, e.g. problem_resolution_days_mean")


def parse_condition(text: str, field_name: str = "--discover") -> Condition:
    """``"METRIC worse"`` (better, unclear, not better, not worse) or ``"METRIC < X"``."""
    allowed = ("'METRIC worse' (better, unclear, not better, not worse) or 'METRIC < X' "
               "(<, <=, >, >= on the effect)")
    if not isinstance(text, str):
        raise InputError(f"expected text, got {text!r}", field=field_name, allowed=allowed)
    m = _COND.match(text)
    if m:
        name, op, raw = m.groups()
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"{raw!r} is not a number (in {text!r})", field=field_name,
                             allowed=allowed) from None
        if not math.isfinite(value):
            raise InputError(f"{raw!r} is not a finite number", field=field_name, allowed=allowed)
    else:
        parts = text.split(None, 1)
        if len(parts) != 2 or " ".join(parts[1].split()) not in VERDICT_OPS:
            raise InputError(f"cannot read the condition {text!r}", field=field_name,
                             allowed=allowed)
        name, op, value = parts[0], " ".join(parts[1].split()), math.nan
    if name not in METRICS:
        raise _unknown_metric(name, field_name)
    return Condition(name, op, value)


@dataclass
class Box:
    """A discovered box: ``limits`` of the restricted factors (``[low, high]``, the whole
    range for a factor restricted on one side only), counted ``coverage``, ``density``,
    ``mass`` and cases, and a ``sentence``. ``trajectory``: PRIM's (coverage, density) steps."""

    condition: Condition
    method: str
    limits: dict[str, list[float]]
    coverage: float
    density: float
    mass: float
    cases: int
    worlds: int
    sentence: str
    one_sided: dict[str, str] = field(default_factory=dict)
    trajectory: list[tuple[float, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.condition.metric, "condition": self.condition.text,
                "method": self.method,
                "limits": {k: [float(a), float(b)] for k, (a, b) in self.limits.items()},
                "coverage": self.coverage, "density": self.density, "mass": self.mass,
                "cases": self.cases, "worlds": self.worlds, "sentence": self.sentence,
                "trajectory": [[float(c), float(d)] for c, d in self.trajectory]}


def _inside(x: np.ndarray, cols: Sequence[str], limits: dict[str, list[float]]) -> np.ndarray:
    keep = np.ones(x.shape[0], dtype=bool)
    for j, c in enumerate(cols):
        if c in limits:
            lo, hi = limits[c]
            keep &= (x[:, j] >= lo) & (x[:, j] <= hi)
    return keep


def _g(x: float) -> str:
    return f"{x:.3g}"


def describe_limits(limits: dict[str, list[float]], full: dict[str, tuple[float, float]]) -> str:
    """``"hand-back > 3.1 and turnout < 0.4"``: each limit one-sided where it keeps the end
    of the factor's observed range."""
    parts = []
    for name, (lo, hi) in limits.items():
        flo, fhi = full[name]
        if lo <= flo:
            parts.append(f"{name} <= {_g(hi)}")
        elif hi >= fhi:
            parts.append(f"{name} >= {_g(lo)}")
        else:
            parts.append(f"{_g(lo)} <= {name} <= {_g(hi)}")
    return " and ".join(parts) if parts else "anywhere"


def _make_box(cond: Condition, method: str, x: np.ndarray, y: np.ndarray, cols: Sequence[str],
              limits: dict[str, list[float]], trajectory=()) -> Box:
    full = {c: (float(x[:, j].min()), float(x[:, j].max())) for j, c in enumerate(cols)}
    inside = _inside(x, cols, limits)
    cases = int(y.sum())
    k = int(inside.sum())
    density = float(y[inside].mean()) if k else math.nan
    coverage = float(y[inside].sum() / cases) if cases else math.nan
    mass = k / x.shape[0]
    where = describe_limits(limits, full)
    where = "in the whole sampled range" if where == "anywhere" else f"when {where}"
    sentence = (f"{cond.words()} {where}: in {density:.0%} of such worlds, covering "
                f"{coverage:.0%} of the cases ({cases} of {x.shape[0]} worlds; {method.upper()})")
    return Box(cond, method, limits, coverage, density, mass, cases, int(x.shape[0]), sentence,
               trajectory=list(trajectory))


def prim_box(cond: Condition, x, y: np.ndarray, density: float = 0.8) -> Box | None:
    """The PRIM box for cases ``y`` over inputs ``x`` (a DataFrame), or None when there is
    nothing to find (no case, every world a case, too few worlds)."""
    y = np.asarray(y, dtype=bool)
    if x.shape[0] < MIN_WORLDS or not y.any() or y.all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # optional back-ends it does not find
        from ema_workbench.analysis import prim

    cols = list(x.columns)
    xs = x.astype(float).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # pandas deprecations inside the library
        p = prim.Prim(xs, y.astype(int), threshold=density, peel_alpha=0.05, paste_alpha=0.05,
                      mass_min=0.05)
        box = p.find_box()
    if box is None:
        return None
    traj = box.peeling_trajectory
    dens = traj["density"].to_numpy(float)
    cov = traj["coverage"].to_numpy(float)
    good = np.flatnonzero(dens >= density)
    i = int(good[np.argmax(cov[good] * dens[good])]) if good.size else int(np.argmax(dens))
    lims = box.box_lims[i]
    arr = xs.to_numpy(float)
    limits = {}
    for j, c in enumerate(cols):
        lo, hi = float(lims[c].iloc[0]), float(lims[c].iloc[1])
        if lo > arr[:, j].min() or hi < arr[:, j].max():
            limits[c] = [lo, hi]
    return _make_box(cond, "prim", arr, y, cols, limits, zip(cov, dens, strict=True))


def cart_box(cond: Condition, x, y: np.ndarray, depth: int = 3) -> Box | None:
    """The CART box: the leaf of a depth-``depth`` classification tree predicted as cases with
    the highest coverage x density (counted on the worlds)."""
    y = np.asarray(y, dtype=bool)
    if x.shape[0] < MIN_WORLDS or not y.any() or y.all():
        return None
    from sklearn.tree import DecisionTreeClassifier

    cols = list(x.columns)
    arr = x.astype(float).to_numpy()
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(3, len(y) // 20),
                                  min_impurity_decrease=0.01,
                                  random_state=0).fit(arr, y)
    t = tree.tree_
    best: Box | None = None

    def walk(node: int, limits: dict[str, list[float]]) -> None:
        nonlocal best
        if t.children_left[node] == -1:        # a leaf
            inside = _inside(arr, cols, limits)
            if not inside.any() or y[inside].mean() <= 0.5:
                return
            b = _make_box(cond, "cart", arr, y, cols, {k: list(v) for k, v in limits.items()})
            if best is None or b.coverage * b.density > best.coverage * best.density:
                best = b
            return
        c = cols[t.feature[node]]
        thr = float(t.threshold[node])
        lo, hi = limits.get(c, [-math.inf, math.inf])
        walk(t.children_left[node], {**limits, c: [lo, min(hi, thr)]})
        walk(t.children_right[node], {**limits, c: [max(lo, np.nextafter(thr, math.inf)), hi]})

    walk(0, {})
    if best is not None:      # infinite ends: the observed range
        for j, c in enumerate(cols):
            if c in best.limits:
                lo, hi = best.limits[c]
                best.limits[c] = [max(lo, float(arr[:, j].min())), min(hi, float(arr[:, j].max()))]
        best = _make_box(cond, "cart", arr, y, cols, best.limits)
    return best


def default_conditions(result: Any) -> list[Condition]:
    """For every headline metric with a direction whose verdict differs between worlds:
    ``worse`` where some worlds are worse, else ``not better``."""
    out = []
    for name in HEADLINE:
        h = result.headline.get(name)
        if not h or not h["direction"]:
            continue
        n = result.worlds
        if 0 < h["worlds_worse"] < n:
            out.append(Condition(name, "worse"))
        elif 0 < h["worlds_better"] < n:
            out.append(Condition(name, "not better"))
    return out


def discover_boxes(result: Any, conditions: Sequence[Condition], density: float = 0.8
                   ) -> list[Box]:
    """PRIM and CART boxes of every condition over an ensemble's worlds."""
    x = result.inputs()
    boxes = []
    for cond in conditions:
        if cond.metric not in result.headline:
            raise _unknown_metric(cond.metric, "--discover")
        y = cond.holds(result.effects(cond.metric))
        for b in (prim_box(cond, x, y, density), cart_box(cond, x, y)):
            if b is not None:
                boxes.append(b)
    return boxes
