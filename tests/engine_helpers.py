"""Small builders shared by the engine tests: scenarios from dicts, queueing formulas."""

from __future__ import annotations

import copy
import math
from typing import Any

from sim.scenario import scenario_from_dict


def mmc_dict(lam: float, mu: float, c: int, days: int, *, warmup_days: int = 0, seed: int = 1,
             dispatch: str = "fifo") -> dict[str, Any]:
    return {
        "scenario": {"name": f"M/M/{c}", "days": days, "warmup_days": warmup_days,
                     "calendar": "always", "seed": seed},
        "office": {"workers": c, "dispatch": dispatch, "secretary": False},
        "tasks": [{"id": "job", "category": "core", "arrivals": {"per_hour": lam},
                   "effort_hours": {"dist": "exponential", "mean": 1.0 / mu}}],
    }


def build(data: dict[str, Any], **changes: Any):
    """A Scenario from ``data`` with dotted-path ``changes`` (tasks addressed by id)."""
    data = copy.deepcopy(data)
    for path, value in changes.items():
        parts = path.split("__")
        node = data
        for i, p in enumerate(parts[:-1]):
            if p == "tasks":
                tid = parts[i + 1]
                node = next(t for t in node["tasks"] if t["id"] == tid)
                continue
            if i > 0 and parts[i - 1] == "tasks":
                continue
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return scenario_from_dict(data)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    head = sum(a ** k / math.factorial(k) for k in range(c))
    tail = a ** c / math.factorial(c) / (1.0 - rho)
    p_wait = tail / (head + tail)
    return p_wait / (c * mu - lam)


def cobham_waits(lams: list[float], mus: list[float]) -> list[float]:
    """Mean waits per class (highest priority first), non-preemptive M/M/1 (Cobham 1954)."""
    w0 = sum(lam * 2.0 / mu ** 2 for lam, mu in zip(lams, mus, strict=True)) / 2.0
    out, sigma = [], 0.0
    for lam, mu in zip(lams, mus, strict=True):
        prev = sigma
        sigma += lam / mu
        out.append(w0 / ((1.0 - prev) * (1.0 - sigma)))
    return out


def t_interval(values: list[float]) -> tuple[float, float, float]:
    from scipy import stats

    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half
