"""Scheduling SimPy events at absolute times through SimPy's public API.

``Environment.schedule(event, priority, delay)`` puts an event at ``env.now + delay``. The
engine keeps its times as absolute clock hours in its own state, so it needs the delay whose
sum with ``now`` is exactly the wanted time: :func:`exact_delay` finds it (or, in the one case
where floats have none, the nearest time after), and :func:`schedule_at` schedules with it.
docs/performance.md ("The engine on SimPy's public API") explains the choice and its cost.
"""

from __future__ import annotations

import math

import simpy
from simpy.events import NORMAL

#: How far the workers' open workload must exceed the overtime threshold (hours). The engine
#: keeps that workload as a running sum over the whole run (thousands of additions and
#: subtractions of efforts of up to a few hundred hours), so at an exact tie it may read a few
#: ulps above the threshold (0.5000000000000011 for 0.5 in a minimal case the twin found):
#: rounding of N updates is <= N x eps x max|sum| ~ 1e4 x 2.2e-16 x 1e2 = 2e-10 h. 1e-9 h
#: (3.6 microseconds of work) is far above that drift and far below any meaningful workload,
#: so "exceeds" means exceeds, whatever the summation order (engine and twin use it alike).
OVERTIME_TIE_HOURS = 1e-9


def exact_delay(now: float, t: float) -> float:
    """The delay ``d`` for which SimPy's ``now + d`` is ``t``, or as near to it as floats allow.

    ``t - now`` nearly always gives ``t`` back exactly (for ``t >= now >= 0`` the difference's
    rounding error is at most half an ulp of ``t``): callers try it first and come here only
    when ``now + (t - now) != t``. Then this looks at the delays a few ulps around ``t - now``.
    One case has no exact answer: when ``now`` ends in exactly half an ulp of ``t``, every
    sum ``now + d`` is a rounding tie, rounded to an even last bit, so a ``t`` with an odd
    last bit cannot be reached. The event then goes to the nearest reachable time after
    ``t`` (one ulp of ``t`` later: 1.8e-12 h within a year, 1.5e-11 h at ten); the handlers
    take their time from the office's own state (``t``), not from ``env.now``, so only the
    order against another event at exactly ``t`` could change (docs/performance.md).
    """
    d0 = t - now
    best, best_err = d0, math.inf
    d = d0
    for _ in range(4):                      # start four ulps below d0 ...
        d = math.nextafter(d, -math.inf)
    for _ in range(9):                      # ... and try up to four ulps above it
        got = now + d
        if got == t:
            return d
        err = got - t if got > t else (t - got) * 4.0   # prefer after t to before it
        if err < best_err:
            best, best_err = d, err
        d = math.nextafter(d, math.inf)
    return best


def schedule_at(env: simpy.Environment, event: simpy.Event, t: float) -> None:
    """Schedule ``event`` (already triggered) to be processed at the absolute time ``t``."""
    now = env.now
    d = t - now
    if now + d != t:
        d = exact_delay(now, t)
    env.schedule(event, NORMAL, d)
