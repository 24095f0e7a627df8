"""History matching: every calibration setting compatible with a city's targets, not one point.

A just-identified calibration (as many targets as inputs) returns one point and hides how
loosely the targets pin the inputs down: a target with a 15% tolerance is met by a range of
inputs, and that range is real uncertainty about the model's inputs. History matching
(Craig, Goldstein, Seheult & Smith 1997; Vernon, Goldstein & Bower 2010; Andrianakis et al.
2015) keeps every setting ``x`` that is not *implausible* given the targets:

    I_k(x) = |f_k(x) - c_k| / sqrt(s_k^2 + v_k),   I(x) = max_k I_k(x),   keep I(x) <= cutoff

- ``f_k``: the quadratic emulator of target k's metric (:func:`sim.city.emulator.fit_surface`),
  fitted to every design point the calibration ran (all rounds, scaled to the full ranges);
- ``c_k`` and ``h_k``: the centre and half-width of the target's band (its tolerance);
  ``s_k = h_k / 3``, so that with an exact emulator ``I_k <= 3`` exactly when the emulated
  metric lies in the band: the tolerance plays the part of the observation error;
- ``v_k``: the emulator's error variance, the residual variance of its fit
  (RSS / (n - p)); it includes the replication noise of the design points' means, so a
  noisy or badly fitted target rules out less;
- ``cutoff``: 3 by default (Pukelsheim's three-sigma rule for unimodal distributions).

The set is found by evaluating the emulators at ``samples`` scrambled Sobol points of the
full parameter box (integer parameters rounded, as a run sees them); when few are kept, as
many points again in the kept points' widened bounding box. It is reported as the
share of the box kept, each parameter's range and 5-95% quantiles over the kept points, and
a thinned sample of kept points. Its ranges are what a scenario declares as the calibrated
inputs' uncertainty, so calibration doubt reaches ensembles (``docs/city.md``). The set is
not a box: sampling the ranges independently covers it but also settings outside it; the
kept sample itself is the faithful joint description.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.city.emulator import Fit, fit_surface, quadratic_features
from sim.errors import InputError

CUTOFF = 3.0          # Pukelsheim's three-sigma rule
SAMPLES = 2 ** 15     # Sobol points of the box (a power of two keeps the sequence balanced)
KEEP_SAMPLE = 200     # kept points recorded with the set
ZOOM_BELOW = 1000     # fewer kept points than this: sample the set's neighbourhood again


@dataclass(frozen=True)
class Band:
    """A target as history matching sees it: metric, band centre and half-width."""

    metric: str
    low: float
    high: float

    @property
    def centre(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def half(self) -> float:
        return max((self.high - self.low) / 2.0, 1e-9 * max(1.0, abs(self.centre)))


@dataclass
class CompatibleSet:
    """The non-implausible part of the calibration box (module docstring)."""

    keys: list[str]
    low: np.ndarray                 # the [[calibrate]] ranges
    high: np.ndarray
    kept: np.ndarray                # (m, d) kept settings, in parameter units
    sampled: int
    cutoff: float
    emulators: list[dict[str, Any]]  # per target: metric, r2, emulator sd, band
    ruled_out_by: dict[str, int] = field(default_factory=dict)  # target -> points it alone rules out
    volume: float = 1.0             # share of the box the kept points were sampled in

    @property
    def share(self) -> float:
        """Estimated share of the whole box that is compatible with the targets."""
        return self.volume * len(self.kept) / self.sampled if self.sampled else math.nan

    @property
    def empty(self) -> bool:
        return len(self.kept) == 0

    def ranges(self) -> dict[str, tuple[float, float]]:
        if self.empty:
            return {}
        return {k: (float(self.kept[:, j].min()), float(self.kept[:, j].max()))
                for j, k in enumerate(self.keys)}

    def quantiles(self, q: tuple[float, float] = (0.05, 0.95)) -> dict[str, tuple[float, float]]:
        if self.empty:
            return {}
        return {k: (float(np.quantile(self.kept[:, j], q[0])), float(np.quantile(self.kept[:, j], q[1])))
                for j, k in enumerate(self.keys)}

    def sample(self, n: int = KEEP_SAMPLE) -> list[dict[str, float]]:
        """Up to ``n`` kept settings, evenly thinned (deterministic)."""
        if self.empty:
            return []
        idx = np.unique(np.linspace(0, len(self.kept) - 1, min(n, len(self.kept))).round().astype(int))
        return [{k: float(self.kept[i, j]) for j, k in enumerate(self.keys)} for i in idx]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "history matching: quadratic emulators of every design point, "
                      "implausibility max_k |f_k - band centre| / sqrt((half-width/3)^2 + "
                      "emulator variance), kept if <= cutoff (sim.city.history)",
            "cutoff": self.cutoff, "sampled": self.sampled, "kept": len(self.kept),
            "sampled_share_of_box": self.volume, "share_of_box": self.share,
            "ranges": {k: list(v) for k, v in self.ranges().items()},
            "p05_p95": {k: list(v) for k, v in self.quantiles().items()},
            "ruled_out_by": self.ruled_out_by,
            "emulators": self.emulators,
            "sample": self.sample(),
        }

    def table(self) -> str:
        where = "" if self.volume == 1.0 else f" in a zoomed box ({self.volume:.2%} of the ranges)"
        lines = [f"settings compatible with the targets (history matching, implausibility <= "
                 f"{self.cutoff:g}): {len(self.kept):,} of {self.sampled:,} sampled{where}, "
                 f"{self.share:.3%} of the ranges"]
        if self.empty:
            lines.append("  none: no setting in the ranges meets every target "
                         "(widen a range or check the targets)")
            return "\n".join(lines)
        width = max(len(k) for k in self.keys)
        q = self.quantiles()
        for j, (k, (a, b)) in enumerate(self.ranges().items()):
            lines.append(f"  {k.ljust(width)}  {a:.4g} .. {b:.4g}   (5-95%: {q[k][0]:.4g} .. "
                         f"{q[k][1]:.4g}; range {self.low[j]:g} .. {self.high[j]:g})")
        return "\n".join(lines)


def implausibility(fits: Sequence[Fit], bands: Sequence[Band], sd: Sequence[float],
                   u: np.ndarray) -> np.ndarray:
    """I_k at scaled points ``u`` (n x d): an (n x targets) array (module docstring)."""
    X = quadratic_features(np.atleast_2d(u))
    cols = []
    for f, b, s in zip(fits, bands, sd, strict=True):
        pred = X @ f.coef
        cols.append(np.abs(pred - b.centre) / math.sqrt((b.half / 3.0) ** 2 + s ** 2))
    return np.column_stack(cols) if cols else np.zeros((len(X), 0))


def match(u_design: np.ndarray, ys: Sequence[Sequence[float]], bands: Sequence[Band],
          keys: Sequence[str], low: Sequence[float], high: Sequence[float],
          integer: Sequence[bool] | None = None, *, cutoff: float = CUTOFF,
          samples: int = SAMPLES, seed: int = 0) -> CompatibleSet:
    """History matching of design points ``u_design`` (n x d, scaled to the ranges ``low`` ..
    ``high``) with target metrics ``ys[k]`` (one value per point) against ``bands[k]``.

    A target whose metric does not move across the design is an input figure: it rules out
    everything when its constant value lies outside the band (the set is empty), nothing
    otherwise."""
    from scipy.stats import qmc

    if not math.isfinite(cutoff) or cutoff <= 0:
        raise InputError(f"expected a number > 0, got {cutoff!r}", field="--cutoff",
                         allowed="a positive number (3 is the usual rule)")
    u_design = np.asarray(u_design, dtype=float)
    d = u_design.shape[1]
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    integer = np.zeros(d, bool) if integer is None else np.asarray(integer, bool)
    p = quadratic_features(np.zeros((1, d))).shape[1]
    fits, used, sd, emulators = [], [], [], []
    constant_miss = False
    for y, b in zip(ys, bands, strict=True):
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(y)
        if not ok.any():
            continue
        if float(np.ptp(y[ok])) == 0.0:
            inside = b.low <= float(y[ok][0]) <= b.high
            constant_miss |= not inside
            emulators.append({"metric": b.metric, "constant": float(y[ok][0]),
                              "band": [b.low, b.high], "inside": inside})
            continue
        if ok.sum() <= p:
            raise InputError(f"{int(ok.sum())} design points cannot fit a quadratic emulator "
                             f"in {d} parameters for {b.metric}", field="design",
                             allowed=f"more than {p} design points")
        f = fit_surface(b.metric, u_design[ok], y[ok])
        resid = y[ok] - quadratic_features(u_design[ok]) @ f.coef
        dof = int(ok.sum()) - p
        s = math.sqrt(float(resid @ resid) / dof)
        fits.append(f)
        used.append(b)
        sd.append(s)
        emulators.append({"metric": b.metric, "r2": f.r2, "emulator_sd": s,
                          "band": [b.low, b.high]})
    m = 2 ** max(1, math.ceil(math.log2(max(2, samples))))

    def judge(box_lo: np.ndarray, box_hi: np.ndarray, stage: int):
        """Sobol points of a box (parameter units); which are kept; per target, how many
        it alone rules out."""
        u = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng([seed, stage])).random(m)
        x = box_lo + u * (box_hi - box_lo)
        x = np.where(integer, np.round(x), x)
        if constant_miss:
            return x, np.zeros(m, bool), {}
        imp = implausibility(fits, used, sd, (x - lo) / np.where(hi > lo, hi - lo, 1.0))
        bad = imp > cutoff
        alone = bad & (bad.sum(axis=1, keepdims=True) == 1)
        return x, ~bad.any(axis=1), {b.metric: int(alone[:, k].sum()) for k, b in enumerate(used)}

    x, keep, ruled_out_by = judge(lo, hi, 0)
    volume = 1.0
    if 0 < keep.sum() < ZOOM_BELOW:
        # a small set: sample again, as densely, in the kept points' bounding box widened by
        # half its span (and two first-stage grid steps) on each side, clipped to the ranges;
        # the first stage, over the whole box, is what finds every region of the set
        kx = x[keep]
        pad = 0.5 * (kx.max(axis=0) - kx.min(axis=0)) + 2.0 * (hi - lo) / m ** (1.0 / d)
        zlo, zhi = np.maximum(lo, kx.min(axis=0) - pad), np.minimum(hi, kx.max(axis=0) + pad)
        zx, zkeep, _ = judge(zlo, zhi, 1)
        if zkeep.sum() > keep.sum():
            span = np.where(hi > lo, hi - lo, 1.0)
            volume = float(np.prod(np.where(hi > lo, (zhi - zlo) / span, 1.0)))
            x, keep = zx, zkeep
    return CompatibleSet(list(keys), lo, hi, x[keep], m, float(cutoff), emulators, ruled_out_by,
                         volume=volume)


def from_design(city: Any, design: Sequence[Mapping[str, Any]], *, cutoff: float = CUTOFF,
                samples: int = SAMPLES, seed: int = 0) -> CompatibleSet:
    """History matching of a city calibration's design points (the ``design`` of
    :class:`sim.city.calibrate.CalibrationResult` or of a calibration record)."""
    params = city.calibrate
    keys = [p.key for p in params]
    lo = np.asarray([p.low for p in params], dtype=float)
    hi = np.asarray([p.high for p in params], dtype=float)
    missing = [k for k in keys if any(k not in row for row in design)]
    if not design or missing:
        raise InputError("the calibration record's design does not cover the city's "
                         f"[[calibrate]] keys ({', '.join(missing) or 'no design points'})",
                         field="design", allowed="a record written by sim calibrate for this city")
    def number(v: Any) -> float:
        if v is None:
            return math.nan
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"a design point holds {v!r}, not a number", field="design",
                             allowed="a record written by sim calibrate for this city")
        return float(v)

    x = np.asarray([[number(row[k]) for k in keys] for row in design], dtype=float)
    if not np.all(np.isfinite(x)):
        raise InputError("a design point has no value for a [[calibrate]] key", field="design",
                         allowed="a record written by sim calibrate for this city")
    u = (x - lo) / np.where(hi > lo, hi - lo, 1.0)
    bands, ys = [], []
    for t in city.targets:
        a, b = t.band
        bands.append(Band(t.metric, a, b))
        ys.append([number(row.get(t.metric)) for row in design])
    return match(u, ys, bands, keys, lo, hi, [p.integer for p in params], cutoff=cutoff,
                 samples=samples, seed=seed)
