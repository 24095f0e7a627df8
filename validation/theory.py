"""Closed-form queueing results the studies compare the engine with.

Pure functions, no simulation: Erlang C for M/M/c (probability of waiting, mean wait, mean
number in system through Little's law), M/M/1, and Cobham's formula for the mean waits of a
non-preemptive priority M/G/1 queue. Times are in the unit of the rates (hours here).
"""

from __future__ import annotations

from collections.abc import Sequence


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C), via the stable Erlang B recursion."""
    a = lam / mu
    if not 0 <= a < c:
        raise ValueError(f"unstable or invalid M/M/c: offered load {a} with {c} servers")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def mmc_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue Wq of M/M/c: P(wait) / (c mu - lam)."""
    return erlang_c(lam, mu, c) / (c * mu - lam)


def mmc_number_in_system(lam: float, mu: float, c: int) -> float:
    """Mean number in system of M/M/c, by Little's law: L = lam (Wq + 1 / mu)."""
    return lam * (mmc_wait(lam, mu, c) + 1.0 / mu)


def mm1_number_in_system(rho: float) -> float:
    """L = rho / (1 - rho) of M/M/1."""
    return rho / (1.0 - rho)


def cobham_waits(lams: Sequence[float], means: Sequence[float],
                 second_moments: Sequence[float]) -> list[float]:
    """Mean wait in queue per class of a non-preemptive priority M/G/1 queue (Cobham 1954).

    Classes are given highest priority first. With W0 = sum_i lam_i E[S_i^2] / 2 (the mean
    residual work found in service by an arrival) and sigma_k = sum_{i<=k} lam_i E[S_i],
    class k waits W0 / ((1 - sigma_{k-1}) (1 - sigma_k)) on average.
    """
    w0 = sum(lam * m2 for lam, m2 in zip(lams, second_moments, strict=True)) / 2.0
    out: list[float] = []
    sigma = 0.0
    for lam, m in zip(lams, means, strict=True):
        prev = sigma
        sigma += lam * m
        if sigma >= 1.0:
            raise ValueError("unstable: total load >= 1")
        out.append(w0 / ((1.0 - prev) * (1.0 - sigma)))
    return out


def mmc_priority_waits(lams: Sequence[float], mu: float, c: int) -> list[float]:
    """Mean wait in queue per class of non-preemptive priority M/M/c with one service rate
    for all classes (highest priority first): W_k = (C(c, a) / (c mu)) /
    ((1 - s_{k-1}) (1 - s_k)), s_k = sum_{i<=k} lam_i / (c mu), a = sum(lam) / mu."""
    p_wait = erlang_c(sum(lams), mu, c)
    head = p_wait / (c * mu)
    out: list[float] = []
    s = 0.0
    for lam in lams:
        prev = s
        s += lam / (c * mu)
        out.append(head / ((1.0 - prev) * (1.0 - s)))
    return out
