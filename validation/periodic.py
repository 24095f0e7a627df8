"""Exact periodic steady state of a single-server queue that serves only in office hours.

Model: Poisson arrivals at rate ``lam`` (per clock hour) at any time of day or only while
the office is open; exponential work with rate ``mu`` (per working hour), done only while
the office is open; work interrupted by closing time goes on at the next opening (with
exponential work this is the same as starting it afresh: memorylessness). The number in
system N(t) is then a continuous-time Markov chain whose generator switches between
``Q_on`` (births lam, deaths mu) and ``Q_off`` (births lam, or none) on a periodic
schedule. Truncated at ``n_max`` customers (arrivals to a full system are blocked; the
solver reports the largest probability of being full so one can see it is negligible).

With row-vector distributions p(t + s) = p(t) expm(Q s); over one period the transition
matrix is P = expm(Q_1 s_1) expm(Q_2 s_2) ... in the order of the period's pieces. The
distribution at the start of a period in periodic steady state is the stationary vector
pi = pi P. The time-average number in system over a period is

    L = (1 / period) sum_k p_k . integral_0^{s_k} expm(Q_k u) n du,

with p_k the distribution at the start of piece k and n = (0, 1, ..., n_max). The integral
is computed exactly with Van Loan's block-matrix exponential,
expm([[Q, n], [0, 0]] s) = [[expm(Q s), integral_0^s expm(Q u) n du], [0, 1]]. Little's
law then gives the mean time in system W = L / lam (clock hours).

:func:`fluid_diffusion_mean` is a rough heavy-traffic approximation used as a sanity check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Piece:
    """A stretch of the period: ``hours`` long, the office ``open`` or closed."""

    hours: float
    open: bool


@dataclass(frozen=True)
class PeriodicSolution:
    """Time-average number in system ``L``, ``W = L / (mean arrival rate)``, the mean number
    at the start of each piece, the largest probability of the truncation state, and the
    share of the period the office is open; ``pi`` is the distribution of the number in
    system at the start of the period."""

    L: float
    W: float
    mean_at_piece_start: tuple[float, ...]
    max_full_probability: float
    open_share: float
    pi: np.ndarray


def weekly_schedule(office_hours: Sequence[tuple[float, float]],
                    open_weekdays: Sequence[int]) -> list[Piece]:
    """One week from Monday 00:00: office hours (hours of the day) on ``open_weekdays``
    (0 = Monday); closed otherwise. Adjacent closed stretches are merged. If every day is
    open the schedule repeats daily, and one day is returned instead."""
    days = [0] if sorted(set(open_weekdays)) == list(range(7)) else list(range(7))
    raw: list[Piece] = []
    for d in days:
        if d not in open_weekdays:
            raw.append(Piece(24.0, False))
            continue
        t = 0.0
        for s, e in office_hours:
            if s > t:
                raw.append(Piece(s - t, False))
            raw.append(Piece(e - s, True))
            t = e
        if t < 24.0:
            raw.append(Piece(24.0 - t, False))
    out: list[Piece] = []
    for p in raw:
        if out and out[-1].open == p.open:
            out[-1] = Piece(out[-1].hours + p.hours, p.open)
        else:
            out.append(p)
    return out


def _generator(lam: float, mu: float, n_max: int, serving: bool, arriving: bool) -> np.ndarray:
    q = np.zeros((n_max + 1, n_max + 1))
    idx = np.arange(n_max)
    if arriving:
        q[idx, idx + 1] = lam
    if serving:
        q[idx + 1, idx] = mu
    q[np.diag_indices_from(q)] = -q.sum(axis=1)
    return q


def _van_loan(q: np.ndarray, hours: float) -> tuple[np.ndarray, np.ndarray]:
    """expm(Q s) and integral_0^s expm(Q u) n du for n = (0, 1, ..., n_max)."""
    from scipy.linalg import expm

    m = q.shape[0]
    big = np.zeros((m + 1, m + 1))
    big[:m, :m] = q
    big[:m, m] = np.arange(m, dtype=float)
    e = expm(big * hours)
    return e[:m, :m], e[:m, m]


def solve_periodic(lam: float, mu: float, schedule: Sequence[Piece], *,
                   arrivals_when_closed: bool = True, n_max: int = 400) -> PeriodicSolution:
    """Periodic steady state of the office-hours M/M/1 queue (see the module docstring).

    ``lam`` is the arrival rate per hour while arrivals happen: always, or with
    ``arrivals_when_closed=False`` only while the office is open. W = L / (mean arrival
    rate over the period)."""
    period = sum(p.hours for p in schedule)
    open_share = sum(x.hours for x in schedule if x.open) / period
    mean_rate = lam * (1.0 if arrivals_when_closed else open_share)
    if mean_rate >= mu * open_share:
        raise ValueError(f"unstable: {mean_rate:g} arrivals per hour against capacity "
                         f"{mu * open_share:g}")
    cache: dict[tuple[float, bool], tuple[np.ndarray, np.ndarray]] = {}
    mats = []
    for p in schedule:
        key = (p.hours, p.open)
        if key not in cache:
            q = _generator(lam, mu, n_max, serving=p.open,
                           arriving=p.open or arrivals_when_closed)
            cache[key] = _van_loan(q, p.hours)
        mats.append(cache[key])
    one_period = np.eye(n_max + 1)
    for e, _ in mats:
        one_period = one_period @ e
    # stationary vector of the period's transition matrix: pi (P - I) = 0, sum(pi) = 1
    a = (one_period - np.eye(n_max + 1)).T
    a[-1, :] = 1.0
    rhs = np.zeros(n_max + 1)
    rhs[-1] = 1.0
    pi = np.linalg.solve(a, rhs)
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    area = 0.0
    starts = []
    full = 0.0
    p = pi
    n = np.arange(n_max + 1, dtype=float)
    for e, integral in mats:
        starts.append(float(p @ n))
        full = max(full, float(p[-1]))
        area += float(p @ integral)
        p = p @ e
    L = area / period
    return PeriodicSolution(L, L / mean_rate, tuple(starts), full, open_share, pi)


def fluid_diffusion_mean(lam: float, mu: float, schedule: Sequence[Piece]) -> float:
    """Heavy-traffic approximation of the time-average number in system (any-time arrivals).

    Fluid part: a busy server removes work at rate mu while open, arrivals come at rate lam
    always, so the queue follows the net input X(t) = lam t - mu O(t) (O = open hours by t).
    Over a period X drifts down by delta = mu * open_share - lam per hour; f(t) = X(t) + delta t
    is the periodic, piecewise-linear wiggle around that drift. Diffusion part: the level
    above the trough of f is taken as a reflected Brownian motion with drift -delta and
    variance lam + mu * open_share per hour, whose mean is (lam + mu open_share) / (2 delta).
    So

        L ~ (lam + mu open_share) / (2 delta) + mean(f) - min(f).

    Good when the queue rarely empties, i.e. close to saturation.
    """
    period = sum(p.hours for p in schedule)
    open_share = sum(p.hours for p in schedule if p.open) / period
    nu = mu * open_share
    delta = nu - lam
    if delta <= 0:
        raise ValueError("unstable: lam >= mu * open share")
    f, area, low = 0.0, 0.0, 0.0
    for p in schedule:
        nxt = f + (lam - (mu if p.open else 0.0) + delta) * p.hours
        area += (f + nxt) / 2.0 * p.hours   # f is linear on a piece
        low = min(low, nxt)
        f = nxt
    return (lam + nu) / (2.0 * delta) + area / period - low
