"""Scheduling at absolute times through SimPy's public ``now + delay`` (sim.engine.clock)."""

from __future__ import annotations

import math
import random

import simpy
from simpy.events import Timeout

from sim.engine.clock import exact_delay, schedule_at


def _processed_at(now: float, t: float) -> float:
    """Run a real environment to ``now``, schedule an event at ``t`` and return the clock
    when its callback runs."""
    env = simpy.Environment()
    seen = []
    ev = Timeout(env, 0.0)
    env.step()                    # a processed Timeout, re-armed below as the engine does
    if now > 0:
        env.run(until=now)
    ev.callbacks = [lambda _e: seen.append(env.now)]
    schedule_at(env, ev, t)
    env.run()
    return seen[0]


def test_schedule_at_lands_exactly_on_reachable_times():
    rng = random.Random(7)
    for _ in range(2000):
        now = rng.random() * rng.choice([1.0, 24.0, 8760.0])
        t = now + rng.expovariate(1.0) * rng.choice([1e-6, 1.0, 1000.0])
        assert _processed_at(now, t) == t


def test_exact_delay_reaches_every_reachable_time():
    # pairs whose times share few low bits (now with bits far below t's ulp, t on a coarse
    # grid or not): exact_delay reaches t whenever some delay within 50 ulps does
    rng = random.Random(3)
    checked = 0
    for _ in range(3000):
        t = rng.choice([round(rng.random() * 9000.0, rng.choice([0, 2, 6])),
                        rng.random() * 9000.0])
        now = t * rng.random() ** 4
        reachable = any(now + x == t for x in _around(t - now, 50))
        assert (now + exact_delay(now, t) == t) == reachable
        checked += reachable
    assert checked > 2500


def test_an_unreachable_time_goes_one_ulp_later():
    # found by the engine's property tests: now ends in exactly half an ulp of t, so every
    # now + d is a rounding tie that rounds to an even last bit; t's last bit is odd
    now, t = 11.833173079058707, 61.98106307107778
    assert all(now + d != t for d in _around(t - now, 50))
    got = now + exact_delay(now, t)
    assert got == math.nextafter(t, math.inf)
    assert _processed_at(now, t) == got


def _around(d: float, k: int) -> list[float]:
    out = [d]
    lo = hi = d
    for _ in range(k):
        lo, hi = math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)
        out += [lo, hi]
    return out
