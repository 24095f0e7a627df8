"""Quantities measured from one replication's own records (the per-task event log).

Kept apart from the engine's summary code on purpose: the studies compare the engine's
reported metrics with numbers recomputed here from the raw arrival / start / done times.
"""

from __future__ import annotations

import numpy as np


def window_area(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> float:
    """Sum over tasks of the time each spends in [start, end) inside the window [lo, hi):
    the integral of the number present N(t) over the window. A NaN end means "still
    there" (open at the end of the run)."""
    end = np.where(np.isnan(end), np.inf, end)
    return float(np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None).sum())


def time_average(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> float:
    """Time-average number present over [lo, hi) (see :func:`window_area`)."""
    return window_area(start, end, lo, hi) / (hi - lo)


def count_at(start: np.ndarray, end: np.ndarray, instants: np.ndarray) -> np.ndarray:
    """Number present (start <= t < end) at each instant."""
    end = np.where(np.isnan(end), np.inf, end)
    s = np.sort(start)
    e = np.sort(end)
    return (np.searchsorted(s, instants, side="right")
            - np.searchsorted(e, instants, side="right")).astype(float)
