"""Resolution times as censored survival data: Kaplan-Meier median, restricted mean and the
share resolved by a given time.

A problem still open at the end of the run has not been resolved *yet*: its resolution time
is right-censored at the time it has been open. Averaging the resolved problems only drops
the slowest ones and biases the mean downwards; the Kaplan-Meier (product-limit) estimate of
the survival function S(t) = P(still open after t days) uses the open ones for as long as
they were observed. The estimate is computed here with the arithmetic of SciPy's
``scipy.stats.ecdf`` of right-censored ``scipy.stats.CensoredData`` (the same operations in
the same order, so the same bits: ``tests/test_residents.py`` compares the two), without
importing ``scipy.stats`` (about 0.7 s of a run's start-up) and without its input checks
(about 0.4 ms a call, twice a replication). Figures read off it:

- median: the smallest t with S(t) <= 0.5 (NaN if S never falls to 0.5: more than half are
  still open); with no censoring this is the lower median of the data (the middle value for
  an odd count);
- restricted mean up to ``tau``: the area under S from 0 to tau, E[min(T, tau)] (tau must be
  fixed across scenarios to compare them);
- share resolved within ``d`` days: 1 - S(d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Survival:
    """A step survival function: S = 1 before ``times[0]``, ``surv[k]`` on
    [``times[k]``, ``times[k+1]``)."""

    times: np.ndarray
    surv: np.ndarray

    def at(self, t: float) -> float:
        k = int(np.searchsorted(self.times, t, side="right"))
        return 1.0 if k == 0 else float(self.surv[k - 1])

    def median(self) -> float:
        hit = np.flatnonzero(self.surv <= 0.5)
        return float(self.times[hit[0]]) if hit.size else math.nan

    def restricted_mean(self, tau: float) -> float:
        edges = np.concatenate(([0.0], np.minimum(self.times, tau), [tau]))
        levels = np.concatenate(([1.0], self.surv))
        return float(np.sum(np.diff(edges) * levels))


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> Survival | None:
    """The Kaplan-Meier estimate from ``durations`` (resolved: time to resolution; open: time
    observed) and ``observed`` (True where resolved). None without any data."""
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if durations.size == 0:
        return None
    if not observed.any():   # nothing resolved: S = 1 as far as observed
        return Survival(np.empty(0), np.empty(0))
    x = np.maximum(durations, 0.0)
    if not np.isfinite(x).all():
        raise ValueError("durations must be finite")   # (what CensoredData refuses)
    if observed.all():
        # scipy.stats._survival._ecdf_uncensored (SciPy 1.17): S = 1 - (number <= t) / n at
        # each distinct t (np.unique's values and counts, from the sorted sample)
        x = np.sort(x)
        first = np.diff(x, prepend=-np.inf) > 0
        events = np.flatnonzero(np.diff(x, append=np.inf) > 0) + 1
        return Survival(x[first], 1 - events / x.size)
    # scipy.stats._survival._ecdf_right_censored (SciPy 1.17), step by step: resolved
    # ("deaths") first, then open ("losses"); sorted; the number at risk and the deaths at
    # each distinct time; S = cumprod((n - d) / n)
    tod, tol = x[observed], x[~observed]
    times = np.concatenate((tod, tol))
    died = np.concatenate((np.ones(tod.size, dtype=int), np.zeros(tol.size, dtype=int)))
    i = np.argsort(times)
    times = times[i]
    died = died[i]
    at_risk = np.arange(times.size, 0, -1)
    j = np.diff(times, prepend=-np.inf, append=np.inf) > 0
    t = times[j[:-1]]
    n = at_risk[j[:-1]]
    cd = np.cumsum(died)[j[1:]]
    d = np.diff(cd, prepend=0)
    return Survival(t.astype(float, copy=False), np.cumprod((n - d) / n))


def kaplan_meier_scipy(durations: np.ndarray, observed: np.ndarray) -> Survival | None:
    """:func:`kaplan_meier` by SciPy itself (``scipy.stats.ecdf``): the reference the tests
    hold the engine's copy to."""
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if durations.size == 0:
        return None
    if not observed.any():
        return Survival(np.empty(0), np.empty(0))
    from scipy import stats  # (imported when needed: it is slow to import)

    data = stats.CensoredData.right_censored(np.maximum(durations, 0.0), ~observed)
    sf = stats.ecdf(data).sf
    return Survival(np.asarray(sf.quantiles, dtype=float), np.asarray(sf.probabilities, dtype=float))
