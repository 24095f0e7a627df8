"""Sampled Shapley values from Latin-square blocks of orders, one design per replication.

No simulation here: the value of coalition ``mask`` in replication ``r`` comes from a
function ``value(mask, r)``.

**Block.** ``k`` orders of the ``k`` levers in which every lever stands in every position
exactly once (a Latin square): order ``j`` puts lever ``p[(s[q] + j) mod k]`` at position
``q`` (``p``, ``s`` random permutations). Each order on its own is a uniformly random order
(``p`` is uniform), so its marginal contributions are an unbiased estimate of the Shapley
values and add up to ``v(N) - v({})``. Over a whole block each lever is read once at every
coalition size, the stratification Shapley's weights ask for (each size has weight
``1/k``); sizes 0 and ``k-1`` hold one coalition each, so a block reads them exactly:
one-at-a-time and leave-one-out come free with every block.

**Design (nested).** Replication ``r`` gets orders of its own (full blocks, then the
first rows of one more if the count is not a multiple of ``k``), read at replication ``r``
only: differences inside a replication are paired (common random numbers), and replication
``r``'s estimate ``u_r`` (the mean marginal contribution over its orders) is unbiased and
efficient (``sum_i u_r,i = v_r(N) - v_r({})`` to rounding). Different replications use
independent streams and independently drawn blocks, so the ``u_r`` are independent and
the interval is a plain t interval over replications (``R - 1`` degrees of freedom).
Against reading every order in every replication (crossed), the same number of runs
averages replication noise over all of them instead of over ``R``.

**Ranking.** :func:`ranking` orders the levers by their contribution *in the direction of
the total effect* (for a fall: the largest reductions first) and calls the first ``top``
ranked when the simultaneous intervals of the pairwise differences it relies on exclude 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from sim.stats import t_quantile

__all__ = ["ALPHA", "PILOT_ALPHA", "block_orders", "components", "latin_block", "needed_units", "ranking",
           "simultaneous_quantile", "unit_estimates"]

Value = Callable[[int, int], float]
ALPHA = 0.05          # the ranking's error, over all its looks
PILOT_ALPHA = 0.005   # spent at a pilot look (a rule's first of two)


def latin_block(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random Latin square of orders, shape ``(k, k)``: row j is an order, every lever
    once in every column (position)."""
    p, s = rng.permutation(k), rng.permutation(k)
    return np.asarray([[p[(s[q] + j) % k] for q in range(k)] for j in range(k)], dtype=int)


def block_orders(k: int, count: int, seed: int, replication: int, rows: int | None = None
                 ) -> list[np.ndarray]:
    """The first ``count`` orders of replication ``replication``, as groups: the first
    ``rows`` (default all ``k``) rows of independently drawn blocks, the last group possibly
    cut short; the same orders whatever else the study asks for."""
    rows = k if rows is None else max(1, min(int(rows), k))
    out, b = [], 0
    while count > 0:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1A71, replication, b]))
        block = latin_block(k, rng)
        out.append(block[:min(count, rows)])
        count -= rows
        b += 1
    return out


def prefixes(orders: np.ndarray) -> set[int]:
    """Every coalition the orders read: the prefixes of each order."""
    need = {0}
    for order in orders:
        m = 0
        for i in order:
            m |= 1 << int(i)
            need.add(m)
    return need


def block_estimate(value: Value, orders: np.ndarray, k: int, r: int) -> np.ndarray:
    """Each lever's mean marginal contribution over ``orders`` at replication ``r``."""
    out = np.zeros(k)
    for order in orders:
        m, before = 0, value(0, r)
        for i in order:
            m |= 1 << int(i)
            now = value(m, r)
            out[int(i)] += now - before
            before = now
    return out / len(orders)


def unit_estimates(value: Value, design: Sequence[Sequence[np.ndarray]], k: int
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """``design[r]``: replication r's groups of orders. Returns the units ``(R, k)`` (each
    replication's mean over all its orders) and, per replication, the estimates of its
    groups as long as its first ``(groups, k)`` (for :func:`components`)."""
    units, per_block = [], []
    for r, blocks in enumerate(design):
        est = np.stack([block_estimate(value, b, k, r) for b in blocks])
        w = np.asarray([len(b) for b in blocks], dtype=float)
        units.append((w[:, None] * est).sum(axis=0) / w.sum())
        per_block.append(est[w == w[0]])
    return np.stack(units), per_block


def components(per_block: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Variance of one group's estimate split into (permutations, replications), per lever:
    ``sigma_p^2`` pooled from the spread of the groups inside a replication, ``sigma_r^2``
    from the spread of the replication means minus what groups put into it (method of
    moments, clipped at 0). None without two replications with at least two groups."""
    reps = [b for b in per_block if len(b) >= 2]
    if len(reps) < 2:
        return None
    within = sum(((b - b.mean(axis=0)) ** 2).sum(axis=0) for b in reps)
    dof = sum(len(b) - 1 for b in reps)
    sp = within / dof
    means = np.stack([b.mean(axis=0) for b in reps])
    m_harm = len(reps) / sum(1.0 / len(b) for b in reps)
    sr = np.clip(means.var(axis=0, ddof=1) - sp / m_harm, 0.0, None)
    return sp, sr


def simultaneous_quantile(k: int, df: int, alpha: float = ALPHA) -> float:
    """The t quantile making the intervals of all ``k (k-1) / 2`` pairwise differences miss
    with probability at most ``alpha`` together (Bonferroni)."""
    family = max(1, k * (k - 1) // 2)
    return t_quantile(max(1, df), 1.0 - alpha / family)


def _order(units: np.ndarray, sign: float) -> list[int]:
    mean = np.nanmean(units, axis=0) * sign
    return sorted(range(units.shape[1]), key=lambda i: (-mean[i], i))


def relied_on(order: Sequence[int], top: int) -> list[tuple[int, int]]:
    """The differences a ranking of the first ``top`` relies on: consecutive ones among the
    first ``top``, and the ``top``-th against every lever after it."""
    top = min(top, len(order))
    pairs = list(itertools.pairwise(order[:top]))
    return pairs + [(order[top - 1], j) for j in order[top:]]


def ranking(units: np.ndarray, total: float, top: int, alpha: float = ALPHA) -> dict:
    """Rank the levers by contribution in the direction of ``total`` (its sign; a fall:
    the most negative first) and decide whether the first ``top`` are ranked beyond doubt:
    every relied-on difference (:func:`relied_on`) has a simultaneous interval (all pairs:
    :func:`simultaneous_quantile`) on the claimed side of 0. Then the claimed order is
    wrong only if one of those intervals misses, which has probability <= ``alpha`` (a rule
    that looks twice spends ``PILOT_ALPHA`` at the first look, the rest at the second).
    """
    R, k = units.shape
    sign = -1.0 if total < 0 else 1.0
    order = _order(units, sign)
    q = simultaneous_quantile(k, R - 1, alpha)
    checks = []
    for a, b in relied_on(order, top):
        d = (units[:, a] - units[:, b]) * sign
        mean, sd = float(np.mean(d)), float(np.std(d, ddof=1)) if R > 1 else math.nan
        hw = q * sd / math.sqrt(R)
        checks.append({"pair": (a, b), "difference": mean, "low": mean - hw, "sd": sd,
                       "separated": bool(math.isfinite(hw) and mean - hw > 0)})
    return {"order": order, "sign": sign, "quantile": q, "checks": checks,
            "ranked": bool(checks) and all(c["separated"] for c in checks)}


def needed_units(checks: Sequence[dict], k: int, alpha: float = ALPHA - PILOT_ALPHA) -> float:
    """Replications the failed checks need, by their pilot spread: the smallest ``R`` with
    ``q(R-1) sd / sqrt(R) < difference`` (iterated; inf where the difference is <= 0)."""
    need = 0.0
    for c in checks:
        if c["separated"]:
            continue
        if not (c["difference"] > 0 and math.isfinite(c["sd"])):
            return math.inf
        R = 2.0
        for _ in range(8):
            R = max(2.0, (simultaneous_quantile(k, int(R) - 1, alpha) * c["sd"] / c["difference"]) ** 2)
        need = max(need, math.ceil(R))
    return need
