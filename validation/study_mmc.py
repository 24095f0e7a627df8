"""Study a: FIFO M/M/c against Erlang C over a grid of loads and numbers of servers.

For each (c, rho): lam = rho c arrivals per hour, exponential work of mean 1 h, calendar
``always`` (no office hours, no overtime). Per replication: the engine's ``wait_hours_mean``
(Wq), the share of customers who waited (first start after arrival, from the event log) and
the time-average number in system over the measured window (from the event log).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import MAX_DAYS
from validation import theory
from validation.checks import Check, Study, cell, fmt, mark
from validation.records import time_average
from validation.runner import Runner, scenario_from

LOADS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
SERVERS = (1, 3, 10)


@dataclass(frozen=True)
class Case:
    c: int
    rho: float
    days: int
    warmup_days: int
    replications: int
    seed: int

    @property
    def lam(self) -> float:
        return self.rho * self.c


def relaxation_hours(rho: float, c: int, mu: float = 1.0) -> float:
    """The usual relaxation-time scale of M/M/c, 1 / (c mu (1 - sqrt(rho))^2)."""
    return 1.0 / (c * mu * (1.0 - math.sqrt(rho)) ** 2)


def plan(loads=LOADS, servers=SERVERS, replications: int = 20, scale: float = 1.0) -> list[Case]:
    """Run lengths: a warm-up of 5 relaxation times, then enough customers that the 95%
    interval of Wq is a few percent wide: 15,000 / (1 - rho)^2 customers over all
    replications (at least 300,000), times ``scale``; when that would take a replication past
    the scenario horizon limit, more replications of at most that many days."""
    cases = []
    for c in servers:
        for rho in loads:
            lam = rho * c
            warm = max(2, math.ceil(5 * relaxation_hours(rho, c) / 24.0 * min(scale, 1.0)))
            customers = max(300_000, 15_000 / (1.0 - rho) ** 2) * scale
            # more replications rather than a horizon beyond the scenario limit (MAX_DAYS):
            # each replication keeps its own warm-up of 5 relaxation times
            reps = max(replications, math.ceil(customers / (lam * 24.0) / (MAX_DAYS - warm)))
            days = max(10, math.ceil(customers / reps / (lam * 24.0)))
            cases.append(Case(c, rho, warm + days, warm, reps, 100 + len(cases)))
    return cases


def scenario(case: Case) -> dict:
    return {
        "scenario": {"name": f"M/M/{case.c} rho={case.rho}", "days": case.days,
                     "warmup_days": case.warmup_days, "calendar": "always", "seed": case.seed},
        "office": {"workers": case.c, "dispatch": "fifo", "secretary": False},
        "tasks": [{"id": "job", "category": "core", "arrivals": {"per_hour": case.lam},
                   "effort_hours": {"dist": "exponential", "mean": 1.0}}],
    }


def replication(sc, r) -> tuple[float, float, float]:
    """(Wq from the engine, share who waited, time-average number in system) of the
    replication ``r`` (with its event log) of the scenario ``sc`` (run in the worker)."""
    ev = r.events
    lo = sc.scenario.warmup_days * 24.0
    hi = sc.scenario.days * 24.0
    a, fs = ev["arrival_hours"], ev["first_start_hours"]
    cohort = (a >= lo) & (a < hi) & (fs <= hi)
    waited = float(np.mean(fs[cohort] > ev["entry_hours"][cohort]))
    L = time_average(a, ev["done_hours"], lo, hi)
    return r.metrics["wait_hours_mean"], waited, L


def run(runner: Runner, cases: list[Case] | None = None, theory_fn=None) -> Study:
    """Run the study. ``theory_fn(lam, mu, c) -> (Wq, P(wait), L)`` defaults to Erlang C
    (tests pass a wrong one to see the study fail)."""
    cases = plan() if cases is None else cases
    theory_fn = theory_fn or (lambda lam, mu, c: (theory.mmc_wait(lam, mu, c),
                                                 theory.erlang_c(lam, mu, c),
                                                 theory.mmc_number_in_system(lam, mu, c)))
    scs = [scenario_from(scenario(k)) for k in cases]
    results = runner.map((sc, r, replication) for k, sc in zip(cases, scs, strict=True)
                         for r in range(k.replications))
    study = Study(
        key="mmc", title="M/M/c against Erlang C",
        compared=("FIFO M/M/c with calendar `always`: exponential work of mean 1 h, Poisson "
                  "arrivals at lam = rho c per hour, for c = "
                  + ", ".join(str(c) for c in sorted({k.c for k in cases}))
                  + " and rho = " + ", ".join(f"{r:g}" for r in sorted({k.rho for k in cases}))
                  + ". Compared: the mean wait in queue Wq (the engine's `wait_hours_mean`), "
                  "the probability of waiting P(wait) (share of customers whose first start "
                  "is after their arrival, from the event log) and the time-average number in "
                  "system L (the integral of N(t) over the measured window, from the event log)."),
        explanation=(
            "Theory: Erlang C gives P(wait) = C(c, a) with a = lam / mu, and "
            "Wq = C(c, a) / (c mu - lam); L = lam (Wq + 1 / mu) by Little's law. Each "
            "replication starts empty, discards a warm-up of 5 relaxation times "
            "(1 / (c mu (1 - sqrt(rho))^2) hours) and measures customers arriving after it; "
            "run lengths grow like 1 / (1 - rho)^2, so near saturation, where waits are long "
            "and strongly correlated, the runs are long (rho = 0.95, c = 1: about 6 million "
            "customers in all). Each replication is one independent long run; the intervals "
            "are over replications, so the correlation inside a run does not make them too "
            "narrow. At c = 10 and low load almost nobody waits: Wq and P(wait) are tiny and "
            "their relative intervals wide; the absolute agreement is what matters there."),
    )
    rows = []
    it = iter(results)
    for k in cases:
        vals = [next(it) for _ in range(k.replications)]
        th = theory_fn(k.lam, 1.0, k.c)
        label = f"c={k.c}, rho={k.rho:g}"
        cs = [Check(label, q, th[i], [v[i] for v in vals])
              for i, q in enumerate(("Wq (h)", "P(wait)", "L"))]
        study.checks.extend(cs)
        rows.append((k, cs))
    study.set_family()
    lines = ["| c | rho | customers | Wq theory | Wq simulated [95% CI] | | P(wait) theory "
             "| P(wait) simulated [95% CI] | | L theory | L simulated [95% CI] | |",
             "|---:|---:|---:|---:|---|---|---:|---|---|---:|---|---|"]
    for k, cs in rows:
        customers = k.lam * 24.0 * (k.days - k.warmup_days) * k.replications
        cells = []
        for ch in cs:
            cells += [fmt(ch.theory, 4), cell(ch, 4), mark(ch)]
        lines.append(f"| {k.c} | {k.rho:g} | {customers / 1e6:.2f} M | " + " | ".join(cells) + " |")
    study.table = "\n".join(lines)
    return study
