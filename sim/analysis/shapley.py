"""The arithmetic of Shapley values over coalitions of levers: no simulation here.

A coalition of ``n`` players is a bit mask (bit ``i`` set: player ``i`` is in). A value
table ``V`` maps a mask to an array of shape ``(R,)``: the metric in replications
``0..R-1`` (common random numbers: replication r of every coalition draws the same streams),
so every formula below is applied replication by replication and the spread over
replications gives the interval.

* :func:`exact` - Shapley values from all ``2**n`` coalitions,
  ``phi_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! (v(S+i) - v(S))``; they add up to
  ``v(N) - v({})`` in every replication (efficiency) up to float summation error
  (:func:`efficiency_tolerance`).
* :func:`permutations` / :func:`sampled` - permutation sampling with antithetic pairs (a
  random order and its reverse), every order read in every replication (crossed); each
  order's marginal contributions add up to ``v(N) - v({})`` too, so the sampled values are
  efficient in every replication as well. ``sim attribute`` samples with the nested
  Latin-square design of :mod:`sim.analysis.shapley_design` instead (its variance is
  replication noise on the Bozhou pair, which crossing cannot average down).
* :func:`interaction_exact` / :func:`interaction_sampled` - the Shapley interaction index
  of a pair (Grabisch and Roubens 1999): positive when the two levers do more together than
  apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from sim.stats import t_interval, t_quantile

__all__ = ["Estimate", "efficiency_tolerance", "exact", "interaction_exact",
           "interaction_sampled", "mask_of", "permutation_masks",
           "permutations", "sampled"]

Values = Mapping[int, np.ndarray]


class Estimate(NamedTuple):
    """A mean and its 95 % interval."""

    mean: float
    low: float
    high: float


def mask_of(players: Iterable[int]) -> int:
    m = 0
    for i in players:
        m |= 1 << int(i)
    return m


def _weights(n: int, extra: int = 1) -> np.ndarray:
    """``s! (n-s-extra)! / (n-extra+1)!`` for s = 0..n-extra."""
    top = math.factorial(n - extra + 1)
    return np.asarray([math.factorial(s) * math.factorial(n - s - extra) / top
                       for s in range(n - extra + 1)], dtype=float)


def _popcount(masks: np.ndarray) -> np.ndarray:
    return np.asarray([bin(int(m)).count("1") for m in masks], dtype=int)


def exact(values: Values, n: int) -> np.ndarray:
    """Shapley values, shape ``(n, R)``: one per player and replication, from the full table."""
    w = _weights(n)
    all_masks = np.arange(1 << n)
    size = _popcount(all_masks)
    table = np.stack([np.asarray(values[int(m)], dtype=float) for m in all_masks])
    out = np.empty((n, table.shape[1]))
    for i in range(n):
        without = all_masks[(all_masks >> i) & 1 == 0]
        diff = table[without | (1 << i)] - table[without]
        out[i] = (w[size[without]][:, None] * diff).sum(axis=0)
    return out


def efficiency_tolerance(values: Values, n: int) -> float:
    """A bound on the float error of ``sum_i phi_i - (v(N) - v({}))``: each of the ``n``
    values is a sum of ``2**(n-1)`` weighted differences whose weights add up to 1, so its
    rounding error is at most about ``2**(n-1) * eps * 2 max|v|``; the n values are added up
    once more (n more roundings). A factor 4 covers the products and the subtraction."""
    big = max(float(np.nanmax(np.abs(v))) for v in values.values())
    return 4.0 * (n * (1 << (n - 1)) + n) * np.finfo(float).eps * 2.0 * big


def interaction_exact(values: Values, n: int, i: int, j: int) -> np.ndarray:
    """The Shapley interaction index of players ``i`` and ``j``, one per replication:
    ``sum_{S in N-{i,j}} |S|! (n-|S|-2)! / (n-1)! (v(S+ij) - v(S+i) - v(S+j) + v(S))``."""
    w = _weights(n, extra=2)
    all_masks = np.arange(1 << n)
    rest = all_masks[((all_masks >> i) & 1 == 0) & ((all_masks >> j) & 1 == 0)]
    size = _popcount(rest)
    bi, bj = 1 << i, 1 << j
    total = 0.0
    for s, m in zip(size, rest, strict=True):
        m = int(m)
        total = total + w[s] * (np.asarray(values[m | bi | bj]) - values[m | bi]
                                - values[m | bj] + values[m])
    return np.asarray(total, dtype=float)


def permutations(n: int, pairs: int, rng: np.random.Generator) -> np.ndarray:
    """``2 * pairs`` orders of the players: each random order followed by its reverse
    (antithetic: a lever early in one is late in the other)."""
    out = []
    for _ in range(pairs):
        p = rng.permutation(n)
        out += [p, p[::-1]]
    return np.asarray(out, dtype=int).reshape(-1, n)


def permutation_masks(orders: np.ndarray) -> set[int]:
    """Every coalition the orders read: the prefixes of each order."""
    need = set()
    for order in orders:
        m = 0
        need.add(m)
        for i in order:
            m |= 1 << int(i)
            need.add(m)
    return need


def _marginals(values: Values, orders: np.ndarray, n: int) -> np.ndarray:
    """Marginal contributions, shape ``(orders, n, R)``."""
    R = len(next(iter(values.values())))
    out = np.empty((len(orders), n, R))
    for k, order in enumerate(orders):
        m = 0
        for i in order:
            before = values[m]
            m |= 1 << int(i)
            out[k, int(i)] = np.asarray(values[m]) - before
    return out


def _crossed(units: np.ndarray) -> list[Estimate]:
    """Estimates from a table ``(U units, n, R)``: units (antithetic pairs or samples) crossed
    with replications (every unit uses the same replications). The mean's variance is about
    ``s_u^2 / U + s_r^2 / R`` (s_u: spread of the unit means over replications, s_r: of the
    replication means over units; each also carries the interaction term, so this errs on
    the wide side); t quantile with ``min(U, R) - 1`` degrees of freedom."""
    U, n, R = units.shape
    out = []
    for i in range(n):
        x = units[:, i, :]
        mean = float(np.nanmean(x))
        su = np.nanvar(np.nanmean(x, axis=1), ddof=1) / U if U > 1 else math.nan
        sr = np.nanvar(np.nanmean(x, axis=0), ddof=1) / R if R > 1 else 0.0
        df = max(1, min(U, R) - 1) if R > 1 else max(1, U - 1)
        hw = t_quantile(df) * math.sqrt(su + sr) if math.isfinite(su) else math.nan
        out.append(Estimate(mean, mean - hw, mean + hw))
    return out


def sampled(values: Values, orders: np.ndarray, n: int) -> tuple[np.ndarray, list[Estimate]]:
    """Sampled Shapley values: per replication (shape ``(n, R)``, the mean marginal
    contribution over the orders) and each player's estimate with its interval from
    replications and antithetic pairs (:func:`_crossed`)."""
    marg = _marginals(values, orders, n)
    per_rep = marg.mean(axis=0)
    k = len(orders) - len(orders) % 2
    pairs = (marg[0:k:2] + marg[1:k:2]) / 2.0 if k else marg
    return per_rep, _crossed(pairs)


def interaction_orders(n: int, i: int, j: int, samples: int, rng: np.random.Generator
                       ) -> list[int]:
    """Coalitions ``S`` of the other players drawn so that ``P(S) = |S|! (n-|S|-2)! / (n-1)!``
    (the interaction index's weights): ``i`` and ``j`` merged into one token, a random order
    of the ``n-1`` tokens, ``S`` = the players before the token."""
    others = [k for k in range(n) if k not in (i, j)]
    out = []
    for _ in range(samples):
        order = rng.permutation(n - 1)   # token n-2 stands for the pair
        pos = int(np.flatnonzero(order == n - 2)[0])
        out.append(mask_of(others[int(t)] for t in order[:pos]))
    return out


def interaction_sampled(values: Values, i: int, j: int, subsets: Sequence[int]) -> Estimate:
    """The interaction index of (i, j) estimated from coalitions drawn by
    :func:`interaction_orders` (each read with ``i``, ``j``, both, neither)."""
    bi, bj = 1 << i, 1 << j
    x = np.stack([np.asarray(values[s | bi | bj]) - values[s | bi] - values[s | bj] + values[s]
                  for s in subsets])
    return _crossed(x[:, None, :])[0]


def replication_estimates(per_rep: np.ndarray) -> list[Estimate]:
    """Mean and t-interval over replications of each row of ``per_rep``."""
    return [Estimate(*(lambda iv: (iv.mean, iv.low, iv.high))(t_interval(row))) for row in per_rep]
