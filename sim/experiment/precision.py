"""The sequential precision rule of :func:`sim.experiment.run` and :func:`sim.experiment.compare`.

Pure arithmetic on the metrics' values so far (arrays, one value a replication): the achieved
relative half-widths of the headline metrics (:data:`sim.metrics.HEADLINE`) and of their
paired differences, which of them miss the target ``p``, how many replications to run next,
and the ``precision_info`` records. The rule itself is described in the package docstring
(:mod:`sim.experiment`) and in ``docs/experiments.md``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.metrics import HEADLINE, metric
from sim.stats import paired, relative_half_width, t_interval

__all__ = ["check_int", "check_precision", "diff_precision", "missed", "next_n",
           "precision_info", "run_precision", "trivial"]


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int, or :class:`InputError` naming ``name`` if it is not an integer
    >= ``minimum`` (bools are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"must be an integer >= {minimum} (got {value!r})", field=name)
    return int(value)


def check_precision(p: Any) -> float | None:
    """The relative precision ``p`` as a float > 0 (None: no sequential rule)."""
    if p is None:
        return None
    try:
        p = float(p)
    except (TypeError, ValueError):
        p = math.nan
    if not (math.isfinite(p) and p > 0):
        raise InputError("must be a number > 0, e.g. 0.05 for +-5 % of the mean", field="precision")
    return p


def trivial(x: np.ndarray) -> bool:
    """NaN in every replication, or 0 in every replication where defined."""
    x = x[~np.isnan(x)]
    return x.size == 0 or not np.any(x != 0.0)


def _floored(name: str, iv, reference: float, p: float) -> float:
    """Relative half-width, measured against max(|reference|, tolerance / p): a metric whose
    interval is already within its absolute ``tolerance`` (the registry's, e.g. 1 hour a year
    of overtime) counts as precise even when its mean is near zero."""
    tol = metric(name).tolerance
    if tol > 0 and math.isfinite(reference):
        reference = math.copysign(max(abs(reference), tol / p), reference or 1.0)
    return relative_half_width(iv, reference)


def run_precision(values: dict[str, np.ndarray], p: float) -> dict[str, float]:
    """Achieved relative half-width of every non-trivial headline metric of one scenario."""
    out = {}
    for m in HEADLINE:
        if m in values and not trivial(values[m]):
            iv = t_interval(values[m])
            out[m] = _floored(m, iv, iv.mean, p)
    return out


def diff_precision(base: dict[str, np.ndarray], scen: dict[str, np.ndarray],
                   p: float) -> dict[str, float]:
    """Achieved relative half-width of the paired difference (scenario - baseline) of every
    headline metric, relative to the baseline's mean (or the scenario's, where the baseline
    is 0 throughout)."""
    out = {}
    for m in HEADLINE:
        if m not in base or m not in scen:
            continue
        iv, keep = paired(base[m], scen[m])
        a, b = base[m][keep], scen[m][keep]
        if a.size == 0 or (trivial(a) and trivial(b)):
            continue
        ref = float(a.mean()) if np.any(a != 0.0) else float(b.mean())
        out[m] = _floored(m, iv, ref, p)
    return out


def missed(rel: dict[str, float], p: float) -> list[str]:
    """The metrics whose relative half-width is above ``p`` (NaN counts as missed)."""
    return [m for m, v in rel.items() if not v <= p]


def next_n(n: int, worst: float, p: float, max_n: int) -> int:
    """The next total number of replications: ``n * (worst / p) ** 2``, at least ``n + 1``,
    at most ``2 n`` and ``max_n``."""
    grow = 2 * n if not math.isfinite(worst) else math.ceil(n * (worst / p) ** 2)
    return min(max_n, max(n + 1, min(grow, 2 * n)))


def precision_info(scenarios, p, run_rel, diff_rel, history, max_n, n_done,
                   stacklevel: int = 4):
    """Per-scenario and overall precision records; warns about the metrics that missed (a
    RuntimeWarning; the default ``stacklevel`` points at the caller of ``run``/``compare``)."""
    infos = []
    missed_all: list[tuple[str, float]] = []  # (label, achieved relative half-width)
    for k, rel in enumerate(run_rel):
        gone = missed(rel, p)
        prefix = f"{scenarios[k].name}: " if len(scenarios) > 1 else ""
        missed_all += [(prefix + m, rel[m]) for m in gone]
        infos.append({"precision": p, "converged": not gone, "history": history,
                      "max_replications": max_n, "relative_half_widths": rel, "missed": gone})
    diff_info = {}
    for k, rel in diff_rel.items():
        key = f"{scenarios[k].name} - {scenarios[0].name}"
        diff_info[key] = rel
        missed_all += [(f"{key}: {m}", rel[m]) for m in missed(rel, p)]
    overall = {"precision": p, "converged": not missed_all, "history": history,
               "max_replications": max_n, "relative_half_widths": diff_info,
               "missed": [label for label, _ in missed_all]}
    if missed_all:
        shown = ", ".join(f"{label} ({v:.3g})" for label, v in missed_all)
        warnings.warn(f"precision {p:g} not reached after {n_done} replications "
                      f"(max_replications) for: {shown} (achieved relative half-width in brackets)",
                      RuntimeWarning, stacklevel=stacklevel)
    return infos, overall
