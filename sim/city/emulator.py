"""The calibration's emulator: a quadratic response surface of one target's metric over the
scaled parameters, fitted by least squares. Used by the calibration (:mod:`sim.city.calibrate`)
and by history matching (:mod:`sim.city.history`)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np


def quadratic_features(u: np.ndarray) -> np.ndarray:
    """Quadratic features of scaled parameters ``u`` (n x d): 1, u_i, u_i u_j (i <= j)."""
    n, d = u.shape
    cols = [np.ones(n)] + [u[:, i] for i in range(d)]
    cols += [u[:, i] * u[:, j] for i, j in itertools.combinations_with_replacement(range(d), 2)]
    return np.column_stack(cols)


@dataclass
class Fit:
    """A quadratic response surface of one target's metric over the scaled parameters."""

    metric: str
    coef: np.ndarray
    r2: float

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return quadratic_features(np.atleast_2d(u)) @ self.coef


def fit_surface(metric: str, u: np.ndarray, y: np.ndarray) -> Fit:
    X = quadratic_features(u)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / ss if ss > 0 else math.nan
    return Fit(metric, coef, r2)
