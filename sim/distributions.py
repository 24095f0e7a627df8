"""Sampling the scenario's distributions in numpy blocks.

A :class:`sim.scenario.model.Dist` is described by its mean and spread in the units of the
key it sits under (hours, days). Here it becomes numpy draws: ``lognormal`` and ``gamma``
are parameterised by mean and standard deviation, as planners think of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:   # (a type only: this module is below the scenario layer)
    from sim.scenario.model import Dist


def sample(dist: Dist, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` independent draws of ``dist`` (non-negative floats)."""
    p = dist.params
    kind = dist.kind
    if size == 0:
        return np.empty(0)
    if kind == "fixed":
        return np.full(size, float(p["value"]))
    if kind == "exponential":
        return rng.exponential(p["mean"], size)
    if kind == "lognormal":
        mean, sd = p["mean"], p["sd"]
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), size)
    if kind == "gamma":
        mean, sd = p["mean"], p["sd"]
        shape = (mean / sd) ** 2
        return rng.gamma(shape, sd * sd / mean, size)
    if kind == "triangular":
        low, mode, high = p["low"], p["mode"], p["high"]
        if high == low:
            return np.full(size, float(low))
        return rng.triangular(low, mode, high, size)
    if kind == "uniform":
        return rng.uniform(p["low"], p["high"], size)
    raise ValueError(f"unknown distribution {kind!r}")


def variance(dist: Dist) -> float:
    """The theoretical variance of ``dist`` (used by tests against queueing theory)."""
    p = dist.params
    if dist.kind == "fixed":
        return 0.0
    if dist.kind == "exponential":
        return p["mean"] ** 2
    if dist.kind in ("lognormal", "gamma"):
        return p["sd"] ** 2
    if dist.kind == "triangular":
        a, c, b = p["low"], p["mode"], p["high"]
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
    return (p["high"] - p["low"]) ** 2 / 12.0
