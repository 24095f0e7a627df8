"""``sim sensitivity``: which uncertain inputs move a result, by Morris screening and Sobol' indices.

Global sensitivity analysis with SALib over the factors of :mod:`sim.analysis.factors` (the
declared uncertainties and ``--vary`` ranges). SALib samples the unit cube and each coordinate is
mapped through the factor's distribution (:meth:`Factor.value`), so an elementary effect is the
change of the output when a factor moves over a share of its distribution (comparable across
factors whatever their units). Each design point is a world run with R replications on the
evaluator (:func:`sim.analysis.worlds.run_worlds`, common random numbers in every world); the
output at a point is a metric's mean over replications, or for a comparison (two scenarios) the
mean paired *difference* B - A: the sensitivity of the reform's effect.

1. **Morris** (``SALib.sample.morris`` / ``SALib.analyze.morris``): ``trajectories`` one-at-a-
   time paths of ``levels`` levels over all factors, (D + 1) points each; per factor mu* (mean
   absolute elementary effect, with its bootstrap 95 % CI) and sigma (spread: interactions or
   non-linearity). Cheap screening.
2. **Sobol'** (``SALib.sample.sobol`` / ``SALib.analyze.sobol``, Saltelli's scheme without
   second-order terms): on the ``top`` factors of the Morris ranking (the others stay at the
   scenario's own values), ``samples`` x (k + 2) points; first-order S1 and total ST indices
   with bootstrap 95 % CIs. ``samples`` must satisfy SALib's own rule (a power of two).

The Morris ranking behind ``top``: per metric, mu* over the largest mu* of that metric; a
factor's score is its largest share over the metrics analysed.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.factors import Factor, study_factors
from sim.analysis.worlds import Runs, run_worlds
from sim.errors import InputError
from sim.metrics import HEADLINE, METRICS, metric

__all__ = ["METHODS", "SensitivityResult", "morris_design", "morris_indices", "sensitivity",
           "sobol_design", "sobol_indices"]

METHODS = ("morris", "sobol")
LEVELS = 4


def _problem(names: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _salib(call, flag: str):
    """Run a SALib sampler; its warnings about its own requirements are bad input."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return call()
        except (UserWarning, ValueError) as exc:
            raise InputError(f"SALib: {exc}", field=flag,
                             allowed="what SALib requires (see sim sensitivity --help)") from None


def morris_design(d: int, trajectories: int, seed: int, levels: int = LEVELS) -> np.ndarray:
    """Morris trajectories on the unit cube: ``trajectories`` x (d + 1) points."""
    from SALib.sample import morris as sample

    if isinstance(trajectories, bool) or not isinstance(trajectories, int) or trajectories < 2:
        raise InputError(f"expected at least 2 trajectories, got {trajectories!r}",
                         field="--trajectories", allowed="an integer >= 2 (sigma needs two)")
    names = [f"x{i}" for i in range(d)]
    return _salib(lambda: sample.sample(_problem(names), trajectories, num_levels=levels,
                                        seed=seed), "--trajectories")


def sobol_design(d: int, samples: int, seed: int) -> np.ndarray:
    """Saltelli's Sobol' design without second order: ``samples`` x (d + 2) unit points."""
    from SALib.sample import sobol as sample

    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise InputError(f"expected at least 2 samples, got {samples!r}", field="--samples",
                         allowed="a power of two >= 2, e.g. 64")
    names = [f"x{i}" for i in range(d)]
    return _salib(lambda: sample.sample(_problem(names), samples, calc_second_order=False,
                                        seed=seed), "--samples")


def morris_indices(x: np.ndarray, y: np.ndarray, names: Sequence[str], seed: int,
                   levels: int = LEVELS) -> dict[str, dict[str, float]]:
    """Per factor: mu, mu_star, mu_star_conf (95 %), sigma."""
    from SALib.analyze import morris as analyze

    si = analyze.analyze(_problem(names), x, np.asarray(y, float), num_levels=levels,
                         seed=seed, print_to_console=False)
    return {n: {"mu": float(si["mu"][i]), "mu_star": float(si["mu_star"][i]),
                "mu_star_conf": float(si["mu_star_conf"][i]), "sigma": float(si["sigma"][i])}
            for i, n in enumerate(names)}


def sobol_indices(y: np.ndarray, names: Sequence[str], seed: int
                  ) -> dict[str, dict[str, float]]:
    """Per factor: S1, S1_conf, ST, ST_conf (95 % bootstrap half-widths)."""
    from SALib.analyze import sobol as analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # a constant output: NaN indices
        si = analyze.analyze(_problem(names), np.asarray(y, float), calc_second_order=False,
                             seed=seed, print_to_console=False)
    return {n: {"S1": float(si["S1"][i]), "S1_conf": float(si["S1_conf"][i]),
                "ST": float(si["ST"][i]), "ST_conf": float(si["ST_conf"][i])}
            for i, n in enumerate(names)}


@dataclass
class SensitivityResult:
    """``morris[metric][factor]`` and ``sobol[metric][factor]`` (dicts of the indices),
    ``top``: the factors Sobol' was run on (in Morris order), ``runs``: the worlds run."""

    scenarios: list[str]
    method: str
    factors: list[Factor]
    metrics: list[str]
    replications: int
    morris: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    sobol: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    runs: list[Runs] = field(default_factory=list)

    @property
    def of_difference(self) -> bool:
        return len(self.scenarios) == 2

    def sentences(self) -> list[str]:
        out = []
        what = "effect of the reform on " if self.of_difference else ""
        for m in self.metrics:
            lab = metric(m).label
            unit = metric(m).unit
            mo = self.morris.get(m)
            if mo:
                order = sorted(mo, key=lambda f: -mo[f]["mu_star"])
                parts = [f"{f} (mu* {mo[f]['mu_star']:.3g})" for f in order[:3]]
                out.append(f"Morris, {what}{lab} [{unit}]: " + ", ".join(parts)
                           + (" matter most" if len(parts) > 1 else " matters most") + ".")
            so = self.sobol.get(m)
            if so:
                order = sorted(so, key=lambda f: -(so[f]["ST"] if math.isfinite(so[f]["ST"])
                                                   else -1))
                parts = [f"{f} {so[f]['S1']:.0%} alone, {so[f]['ST']:.0%} in total"
                         for f in order if math.isfinite(so[f]["S1"])]
                if parts:
                    out.append(f"Sobol', {what}{lab}: " + "; ".join(parts) + ".")
        return out

    def to_json(self) -> dict[str, Any]:
        def clean(d):
            return {k: (v if math.isfinite(v) else None) for k, v in d.items()}

        return {"method": self.method, "scenarios": list(self.scenarios),
                "of_difference": self.of_difference, "replications": self.replications,
                "factors": [{"name": f.name, "low": f.low, "high": f.high,
                             "distribution": f.distribution} for f in self.factors],
                "top": list(self.top),
                "metrics": {m: {"morris": {f: clean(v) for f, v in self.morris.get(m, {}).items()},
                                "sobol": {f: clean(v) for f, v in self.sobol.get(m, {}).items()}}
                            for m in self.metrics},
                "sentences": self.sentences()}


def _outputs(runs: Runs, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Per metric, one output per point: the mean over replications (one scenario) or of the
    paired differences (two)."""
    out = {}
    for m in metrics:
        if m not in runs.metrics:
            continue
        k = runs.metric_index(m)
        v = runs.values[:, :, :, k]
        y = (v[:, 1, :] - v[:, 0, :]) if v.shape[1] == 2 else v[:, 0, :]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[m] = np.nanmean(y, axis=1)
    return out


def _check_metrics(metrics: Sequence[str] | None) -> list[str]:
    import difflib

    names = list(metrics) if metrics else list(HEADLINE)
    for n in names:
        if n not in METRICS:
            close = difflib.get_close_matches(n, list(METRICS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(f"unknown metric {n!r}{hint}", field="--metric",
                             allowed="a metric of sim/metrics.py")
    return names


def sensitivity(scenarios: Sequence[Any], method: str = "morris", *,
                metrics: Sequence[str] | None = None, trajectories: int = 10,
                samples: int = 64, top: int = 4, replications: int = 3,
                seed: int | None = None, vary: Sequence[str] = (),
                only: Sequence[str] | None = None,
                overrides: Mapping[str, Any] | Sequence[str] | None = None,
                factors: Sequence[Factor] | None = None, executor: str = "serial",
                workers: int | None = None, scheduler: str | None = None,
                progress: bool | None = None, out: str | os.PathLike[str] | None = None,
                announce=None) -> SensitivityResult:
    """Morris screening of every factor of ``scenarios`` (one scenario, or two: the paired
    difference), and with ``method="sobol"`` Sobol' indices of the ``top`` factors. All sizes
    are checked (SALib's own requirements included) before anything runs."""
    from sim.experiment.study import resolve

    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", field="--method", allowed=", ".join(METHODS))
    if not 1 <= len(scenarios) <= 2:
        raise InputError(f"takes one or two scenarios, got {len(scenarios)}",
                         field="sim sensitivity", allowed="SCENARIO.toml, or BASELINE.toml REFORM.toml")
    names = _check_metrics(metrics)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"expected an integer >= 1, got {top!r}", field="--top",
                         allowed="an integer >= 1")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise InputError(f"expected an integer >= 1, got {replications!r}",
                         field="--replications", allowed="an integer >= 1")
    scs = [resolve(s, overrides) for s in scenarios]
    facs = study_factors(scs, factors, vary, only, "analyse")
    seed = scs[0].scenario.seed if seed is None else int(seed)
    k = min(top, len(facs))
    screen = method == "morris" or len(facs) > k
    x_m = morris_design(len(facs), trajectories, seed) if screen else None
    x_s = sobol_design(k, samples, seed) if method == "sobol" else None   # checked up front
    result = SensitivityResult([str(sc.path) for sc in scs], method, facs, names, replications)
    common = {"executor": executor, "workers": workers, "scheduler": scheduler,
              "progress": progress, "out": out}
    if screen:
        pts = [{f.name: f.value(float(u)) for f, u in zip(facs, row, strict=True)} for row in x_m]
        runs = run_worlds(scs, facs, pts, replications, seed, label="morris", announce=announce,
                          **common)
        result.runs.append(runs)
        for m, y in _outputs(runs, names).items():
            if np.all(np.isfinite(y)):
                result.morris[m] = morris_indices(x_m, y, [f.name for f in facs], seed)
        score = {f.name: 0.0 for f in facs}
        for mo in result.morris.values():
            best = max(v["mu_star"] for v in mo.values())
            if best > 0:
                for f, v in mo.items():
                    score[f] = max(score[f], v["mu_star"] / best)
        result.ranking = sorted(score.items(), key=lambda kv: -kv[1])
        chosen = [n for n, _ in result.ranking[:k]]
    else:
        chosen = [f.name for f in facs]
    result.top = chosen
    if method == "sobol":
        sub = [f for f in facs if f.name in chosen]
        sub.sort(key=lambda f: chosen.index(f.name))
        pts = [{f.name: f.value(float(u)) for f, u in zip(sub, row, strict=True)} for row in x_s]
        runs = run_worlds(scs, sub, pts, replications, seed, label="sobol", announce=announce,
                          **common)
        result.runs.append(runs)
        for m, y in _outputs(runs, names).items():
            if np.all(np.isfinite(y)):
                result.sobol[m] = sobol_indices(y, chosen, seed)
    return result
