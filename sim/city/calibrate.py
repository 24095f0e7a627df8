"""Calibration of a city's uncertain inputs to its targets, with an emulator.

The method (``docs/city.md`` explains it for readers):

1. **Design.** A Latin hypercube of ``points`` settings of the ``[[calibrate]]`` parameters
   within their stated ranges (``scipy.stats.qmc``, fixed seed).
2. **Runs.** The city at every point, ``replications`` each, all with the same seed: common
   random numbers, so differences between points are the parameters' doing, not noise.
   Each point's city is made in memory from the one given (:func:`sim.city.loader.vary`),
   so a city held in memory, made without any file, calibrates as well as one from a file.
3. **Emulator.** For each target whose metric moves across the design, a quadratic response
   surface in the (scaled) parameters, fitted by least squares; its R^2 is reported.
4. **Solve.** The parameters that bring every emulated target to the middle of its band,
   in units of the band's half-width (bounded least squares from the best design points).
   Steps 1-4 are repeated for ``rounds`` rounds, each in a box a quarter as wide (per
   parameter, clipped to its range) around the previous solution, so the quadratic only
   has to be good near the answer (a response such as problems solved by capacity-limited
   volunteers bends where capacity stops binding).
5. **Verify.** The city at the solution (values rounded to 3 significant digits, the
   values a file will hold, kept inside their ranges) with ``verify_replications`` on a
   seed derived from the design's, so the verification uses random numbers the emulator
   was not fitted on, judged target by target as ``sim check`` does.

The result records everything (design, runs, fits, solution, verification), so a
calibrated value in a scenario file can cite it and a test can check that the file holds
the recorded values.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.city.emulator import Fit, fit_surface, quadratic_features
from sim.city.loader import vary
from sim.city.model import City
from sim.city.run import run_city
from sim.errors import InputError
from sim.targets import TargetResult, evaluate


def round_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


@dataclass
class CalibrationResult:
    """What :func:`calibrate` did and found (``to_json`` is the record kept in the repo)."""

    city: City
    parameters: dict[str, float]
    design: list[dict[str, Any]]
    fits: list[Fit]
    predicted: dict[str, float]
    verification: list[TargetResult]
    seed: int
    replications: int
    verify_replications: int
    run_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.verification)

    @property
    def compatible(self):
        """The settings compatible with the targets (:mod:`sim.city.history`), or None."""
        return self.extra.get("compatible")

    def to_json(self) -> dict[str, Any]:
        return {
            "city": {"name": self.city.name, "path": self.city.path, "hash": self.city.hash},
            "date": _dt.date.today().isoformat(),
            "method": "Latin hypercube design, common random numbers, quadratic emulator per "
                      "target, bounded least squares to the band centres, verification run "
                      "(sim.city.calibrate)",
            "seed": self.seed, "replications_per_point": self.replications,
            "verify_replications": self.verify_replications,
            "ranges": [{"key": p.key, "low": p.low, "high": p.high, "source": p.source}
                       for p in self.city.calibrate],
            "rounds": self.extra.get("rounds"), "boxes": self.extra.get("boxes"),
            "verify_seed": self.extra.get("verify_seed"),
            "solution_on_box_edge": self.extra.get("on_edge", []),
            "parameters": self.parameters,
            "emulator": [{"metric": f.metric, "r2": f.r2,
                          "predicted_at_solution": self.predicted.get(f.metric)} for f in self.fits],
            "verification": [r.to_json() for r in self.verification],
            "passed": self.passed,
            "compatible_set": None if self.compatible is None else self.compatible.to_json(),
            "design": self.design,
            "run_seconds": round(self.run_seconds, 1),
        }

    def table(self) -> str:
        from sim.targets import table

        lines = [f"calibrated parameters ({self.extra.get('rounds', 1)} round(s), "
                 f"{len(self.design)} design points x "
                 f"{self.replications} replication(s), seed {self.seed}):"]
        width = max(len(k) for k in self.parameters)
        for p in self.city.calibrate:
            lines.append(f"  {p.key.ljust(width)} = {self.parameters[p.key]:g}   "
                         f"(range {p.low:g} .. {p.high:g})")
        lines.append("emulator fit (R^2): " + ", ".join(f"{f.metric} {f.r2:.3f}" for f in self.fits))
        lines.append("")
        lines.append(f"verification ({self.verify_replications} replications):")
        lines.append(table(self.verification))
        if self.compatible is not None:
            lines += ["", self.compatible.table()]
        return "\n".join(lines)


def _fit_all(city: City, u: np.ndarray, ys: list[list[float]]):
    """A surface per target (``ys[k]``: target k's metric at each point) whose metric moves;
    None when none moves."""
    fits: list[Fit] = []
    used = []
    for t, y in zip(city.targets, ys, strict=True):
        y = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(y)) or float(np.ptp(y)) == 0.0:
            continue  # an input figure, or a metric the parameters do not move
        fits.append(fit_surface(t.metric, u, y))
        used.append(t)
    return (fits, used) if fits else None


def _solve(fits, used, u: np.ndarray, d: int):
    """Bounded least squares of the emulated targets' distances to their band centres
    (in half-widths), from the best few design points."""
    from scipy.optimize import least_squares

    def residuals(v: np.ndarray) -> np.ndarray:
        out = []
        for f, t in zip(fits, used, strict=True):
            b_lo, b_hi = t.band
            half = max((b_hi - b_lo) / 2.0, 1e-9 * max(1.0, abs(t.value)))
            out.append((float(f(v)[0]) - (b_lo + b_hi) / 2.0) / half)
        return np.asarray(out)

    score = [float((residuals(ui) ** 2).sum()) for ui in u]
    best = None
    for k in np.argsort(score)[:4]:
        sol = least_squares(residuals, u[k], bounds=(np.zeros(d), np.ones(d)))
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    return best


def calibrate(city: City, *, points: int = 16, rounds: int = 2, replications: int = 1,
              verify_replications: int = 3, seed: int | None = None, workers: int = 1,
              evaluator: Any = None,
              design_seed: int = 0, progress: Callable[[str], None] | None = None,
              on_point: Callable[[list[dict[str, Any]]], None] | None = None,
              cutoff: float = 3.0,
              ) -> CalibrationResult:
    """Calibrate ``city``'s ``[[calibrate]]`` parameters to its targets (module docstring).
    ``progress`` gets a line per design point; ``on_point`` the design so far after each
    point (e.g. to keep it on disk, so an interrupted calibration loses no runs' record).
    Besides the point, the result holds the set of settings compatible with the targets
    (``result.compatible``, history matching with implausibility ``cutoff``:
    :mod:`sim.city.history`)."""
    from scipy.stats import qmc

    params = city.calibrate
    if not params:
        raise InputError("no [[calibrate]] parameters to calibrate", file=city.path,
                         field="calibrate", allowed="one or more [[calibrate]] tables")
    if not city.targets:
        raise InputError("no [[targets]] to calibrate to", file=city.path, field="targets",
                         allowed="one or more [[targets]] tables")
    d = len(params)
    need = len(quadratic_features(np.zeros((1, d)))[0])
    if points < need + 2:
        raise InputError(f"{points} points cannot fit a quadratic in {d} parameters",
                         field="--points", allowed=f"an integer >= {need + 2}")
    if rounds < 1:
        raise InputError(f"expected an integer >= 1, got {rounds}", field="--rounds",
                         allowed="an integer >= 1")
    from sim.city.aggregate import known_metrics
    from sim.targets import check_names

    check_names(city.targets, known_metrics(city), city.path)
    seed = city.seed if seed is None else int(seed)
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    lo0 = np.asarray([p.low for p in params], dtype=float)
    hi0 = np.asarray([p.high for p in params], dtype=float)
    integer = np.asarray([p.integer for p in params])

    def snap(x: np.ndarray) -> np.ndarray:
        """Integer parameters rounded: what a run (and so the emulator) actually sees."""
        return np.where(integer, np.round(x), x)

    def values_at(x: np.ndarray) -> list[tuple[str, Any]]:
        return [(p.key, int(v) if p.integer else float(v)) for p, v in zip(params, snap(x), strict=True)]

    def run_at(x: np.ndarray, reps: int, run_seed: int):
        variant = vary(city, values_at(x))   # made in memory: no file is read again
        return run_city(variant, reps, run_seed, workers=workers, progress=False,
                        evaluator=evaluator)

    design: list[dict[str, Any]] = []
    boxes: list[dict[str, list[float]]] = []
    lo, hi = lo0.copy(), hi0.copy()
    x_star = (lo + hi) / 2.0
    fits: list[Fit] = []
    best = None
    prev_box = (lo, hi)
    for rnd in range(rounds):
        if rnd:
            half = (hi0 - lo0) / 8.0 / (4.0 ** (rnd - 1))
            half = np.where(integer, np.maximum(half, 1.0), half)  # integers need room to move
            lo, hi = np.maximum(lo0, x_star - half), np.minimum(hi0, x_star + half)
        boxes.append({p.key: [float(a), float(b)] for p, a, b in zip(params, lo, hi, strict=True)})
        xs = snap(lo + qmc.LatinHypercube(d=d, seed=design_seed + rnd).random(points) * (hi - lo))
        u = (xs - lo) / (hi - lo)
        ys: list[list[float]] = [[] for _ in city.targets]
        for i, x in enumerate(xs):
            res = run_at(x, replications, seed)
            row: dict[str, Any] = {"round": rnd + 1, **dict(values_at(x))}
            for k, t in enumerate(city.targets):
                y = float(np.nanmean(res.values.get(t.metric, [math.nan])))
                ys[k].append(y)
                row[t.metric] = y if math.isfinite(y) else None
            design.append(row)
            if on_point is not None:
                on_point(design)
            say(f"round {rnd + 1}, point {i + 1}/{points}: "
                + ", ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "round" and v is not None))
        fitted = _fit_all(city, u, ys)
        if fitted is None:
            if rnd == 0:
                raise InputError("no target's metric moves with the [[calibrate]] parameters",
                                 file=city.path, field="calibrate",
                                 allowed="parameters that the targeted metrics depend on")
            say(f"round {rnd + 1}: no target moves in the narrower box; keeping round {rnd}'s solution")
            lo, hi = prev_box
            break
        fits, used = fitted
        best = _solve(fits, used, u, d)
        prev_box = (lo, hi)
        x_star = lo + best.x * (hi - lo)
        say(f"round {rnd + 1} solution: " + ", ".join(f"{k}={v:.4g}" for k, v in values_at(x_star)))
    assert best is not None
    # 3 significant digits (what a file will hold), kept inside the stated ranges
    parameters = {p.key: (int(np.rint(v)) if p.integer else float(min(max(round_sig(float(v)), p.low), p.high)))
                  for p, v in zip(params, x_star, strict=True)}
    x_round = np.asarray([parameters[p.key] for p in params], dtype=float)
    u_round = (x_round - lo) / (hi - lo)   # in the last round's box
    predicted = {f.metric: float(f(u_round)[0]) for f in fits}
    on_edge = [p.key for p, a, b, v in zip(params, lo, hi, x_round, strict=True)
               if (v <= a or v >= b) and not (v <= p.low or v >= p.high)]
    if on_edge:
        say("warning: the solution is on the edge of the last round's box for "
            + ", ".join(on_edge) + " (try more rounds or a wider range)")
    # a fresh seed for the verification: replications the emulator was not fitted on
    verify_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1, dtype=np.uint32)[0])
    say(f"verifying (seed {verify_seed}) " + ", ".join(f"{k}={v:g}" for k, v in parameters.items()))
    check = run_at(x_round, verify_replications, verify_seed)
    verification = evaluate(city.targets, check.values)
    from sim.city.history import from_design

    compatible = from_design(city, design, cutoff=cutoff, seed=design_seed)
    return CalibrationResult(city, parameters, design, fits, predicted, verification, seed,
                             replications, verify_replications, time.perf_counter() - t0,
                             extra={"solver_cost": float(best.cost), "rounds": rounds,
                                    "points_per_round": points, "boxes": boxes,
                                    "verify_seed": verify_seed, "on_edge": on_edge,
                                    "compatible": compatible})
