"""Small statistics for experiments: t-intervals, paired and Welch intervals, Welch's warm-up plot.

All intervals are two-sided Student-t intervals at ``confidence`` (95 % by default). NaN
values are dropped first (a metric is NaN in a replication where it is undefined, e.g. the
opinion on-time rate when no opinion request arrived), and ``n`` counts what is left. With
fewer than two values the interval (and the standard deviation) is NaN. scipy is imported
inside the functions that need it, so importing this module is cheap.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

CONFIDENCE = 0.95


class Interval(NamedTuple):
    """Mean of the non-NaN values, sample sd (ddof 1), their count and the t-interval."""

    mean: float
    sd: float
    n: int
    low: float
    high: float
    half_width: float


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t critical value: ``t_{(1+confidence)/2, df}``."""
    from scipy.special import stdtrit  # the t quantile; much lighter to import than scipy.stats

    return float(stdtrit(df, 0.5 + confidence / 2.0))


def _clean(values) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[~np.isnan(x)]


def t_interval(values, confidence: float = CONFIDENCE) -> Interval:
    """Mean and t-interval of ``values`` (NaN dropped): mean +- t_{n-1} * sd / sqrt(n)."""
    x = _clean(values)
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, 0, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, 1, math.nan, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    hw = t_quantile(n - 1, confidence) * sd / math.sqrt(n)
    return Interval(mean, sd, n, mean - hw, mean + hw, hw)


def paired(baseline, scenario) -> tuple[Interval, np.ndarray]:
    """t-interval of the paired differences ``scenario - baseline`` (replication by
    replication; pairs where either value is NaN are dropped), and the mask of kept pairs."""
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(scenario, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    return t_interval(b[keep] - a[keep]), keep


def welch_interval(baseline, scenario, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Unpaired (Welch) interval for ``mean(scenario) - mean(baseline)``: treats the two
    samples as independent, with Welch-Satterthwaite degrees of freedom. NaN where either
    sample has fewer than two values."""
    a, b = _clean(baseline), _clean(scenario)
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    diff = float(b.mean() - a.mean())
    va, vb = float(a.var(ddof=1)) / a.size, float(b.var(ddof=1)) / b.size
    se2 = va + vb
    if se2 == 0.0:
        return diff, diff
    df = se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    hw = t_quantile(df, confidence) * math.sqrt(se2)
    return diff - hw, diff + hw


def relative_half_width(iv: Interval, reference: float | None = None) -> float:
    """``half_width / |reference|`` (reference defaults to the interval's mean); inf when the
    reference is 0, NaN when the half-width is undefined."""
    ref = iv.mean if reference is None else reference
    if math.isnan(iv.half_width) or ref is None or math.isnan(ref):
        return math.nan
    if ref == 0.0:
        return 0.0 if iv.half_width == 0.0 else math.inf
    return iv.half_width / abs(ref)


def welch_moving_average(y, window: int) -> np.ndarray:
    """Welch's moving average (Law & Kelton) of a series ``y`` of per-day means over
    replications: for day i (0-based) the mean of y[i-w..i+w] with w = ``window``; for the
    first days, where the window does not fit, the half-width shrinks to i; the last ``window``
    days, where it does not fit either, are NaN. NaN entries of ``y`` are skipped."""
    y = np.asarray(y, dtype=float)
    m = y.size
    w = int(window)
    if w < 0:
        raise ValueError("window must be >= 0")
    out = np.full(m, np.nan)
    valid = ~np.isnan(y)
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, y, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(valid)])
    for i in range(m - w):
        h = min(i, w)
        lo, hi = i - h, i + h + 1
        cnt = ccount[hi] - ccount[lo]
        if cnt:
            out[i] = (csum[hi] - csum[lo]) / cnt
    return out


def t_p_value(iv: Interval) -> float:
    """Two-sided p-value of the one-sample t-test of mean 0 behind ``iv`` (NaN with fewer
    than two values; 0 or 1 when the values do not vary)."""
    from scipy.special import stdtr

    if iv.n < 2 or not math.isfinite(iv.sd):
        return math.nan
    if iv.sd == 0.0:
        return 1.0 if iv.mean == 0.0 else 0.0
    t = abs(iv.mean) / (iv.sd / math.sqrt(iv.n))
    return float(2.0 * stdtr(iv.n - 1, -t))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment of ``pvalues`` (NaN entries stay NaN and do not count):
    the k-th smallest of m is multiplied by m - k + 1, made monotone, capped at 1. Rejecting
    where the adjusted value is below alpha keeps the chance of any false rejection in the
    family at most alpha (Holm 1979)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for k, idx in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[idx]))
        out[idx] = running
    return out


def bounded_interval(iv: Interval, low: float = 0.0, high: float = 1.0,
                     confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval of a mean that cannot leave ``[low, high]`` (a share or a rate): kept
    as it is when it lies inside; otherwise the interval on the logit scale (delta method,
    ``logit(m) +- t se / ((m - low)(high - m))`` rescaled), transformed back, so it stays
    strictly inside the bounds. A mean on a bound with no spread gives ``[m, m]``."""
    if not (math.isfinite(iv.low) and math.isfinite(iv.high)):
        return iv.low, iv.high
    if low <= iv.low and iv.high <= high:
        return iv.low, iv.high
    width = high - low
    m = (iv.mean - low) / width
    if not 0.0 < m < 1.0:
        return iv.mean, iv.mean
    se = iv.sd / math.sqrt(iv.n) / width
    hw = t_quantile(iv.n - 1, confidence) * se / (m * (1.0 - m))
    lg = math.log(m / (1.0 - m))

    def back(x: float) -> float:
        return low + width / (1.0 + math.exp(-x))

    return back(lg - hw), back(lg + hw)
