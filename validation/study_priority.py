"""Study c: non-preemptive priority queues against Cobham's formula, per class.

The engine's ``dispatch = "priority"`` gives a free person the queued task of the highest
``priority`` (first come first within a class) and never interrupts a task for a more
urgent one. With calendar ``always`` a person works a task in one piece from start to end
(no closing time), so the discipline is exactly the non-preemptive priority queue of the
theory. Three systems, three classes each: M/M/1, M/G/1 with a different service
distribution per class, and M/M/3 (one service rate for all classes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from validation import theory
from validation.checks import Check, Study, cell, fmt, mark
from validation.runner import Runner, scenario_from


@dataclass(frozen=True)
class Klass:
    id: str
    priority: int
    lam: float
    effort: dict          # a scenario distribution table (hours)


@dataclass(frozen=True)
class System:
    name: str
    servers: int
    classes: tuple[Klass, ...]     # highest priority first
    days: int
    warmup_days: int
    replications: int
    seed: int


def mean_and_second_moment(d: dict) -> tuple[float, float]:
    """E[S] and E[S^2] of a scenario distribution table (the kinds used here)."""
    kind = d["dist"]
    if kind == "fixed":
        return d["value"], d["value"] ** 2
    if kind == "exponential":
        return d["mean"], 2.0 * d["mean"] ** 2
    if kind in ("gamma", "lognormal"):
        return d["mean"], d["sd"] ** 2 + d["mean"] ** 2
    raise ValueError(f"no moments for {kind!r}")


def expo(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


def systems(scale: float = 1.0, replications: int = 20) -> list[System]:
    """The three systems; run lengths (days per replication) times ``scale``."""
    def days(d: float) -> int:
        return max(20, math.ceil(d * scale))

    def warm(d: float) -> int:
        return max(2, math.ceil(d * min(scale, 1.0)))

    mm1 = (Klass("urgent", 3, 0.2, expo(1.0)), Klass("normal", 2, 0.3, expo(1.0)),
           Klass("routine", 1, 0.35, expo(1.0)))
    mg1 = (Klass("short_fixed", 3, 0.4, {"dist": "fixed", "value": 0.5}),
           Klass("gamma", 2, 0.3, {"dist": "gamma", "mean": 1.0, "sd": 0.5}),
           Klass("long_lognormal", 1, 0.2, {"dist": "lognormal", "mean": 1.5, "sd": 1.5}))
    mm3 = (Klass("urgent", 3, 0.6, expo(1.0)), Klass("normal", 2, 0.9, expo(1.0)),
           Klass("routine", 1, 1.05, expo(1.0)))
    return [
        System("M/M/1, rho = 0.85", 1, mm1, days(2500), warm(60), replications, 201),
        System("M/G/1, rho = 0.8", 1, mg1, days(2000), warm(40), replications, 202),
        System("M/M/3, rho = 0.85", 3, mm3, days(800), warm(20), replications, 203),
    ]


def scenario(s: System) -> dict:
    return {
        "scenario": {"name": s.name, "days": s.days, "warmup_days": s.warmup_days,
                     "calendar": "always", "seed": s.seed},
        "office": {"workers": s.servers, "dispatch": "priority", "secretary": False},
        "tasks": [{"id": k.id, "category": "core", "priority": k.priority,
                   "arrivals": {"per_hour": k.lam}, "effort_hours": k.effort}
                  for k in s.classes],
    }


def theory_waits(s: System) -> list[float]:
    """Cobham's per-class waits (M/G/1) or their M/M/c form (one service rate)."""
    lams = [k.lam for k in s.classes]
    if s.servers == 1:
        m = [mean_and_second_moment(k.effort) for k in s.classes]
        return theory.cobham_waits(lams, [x[0] for x in m], [x[1] for x in m])
    means = {mean_and_second_moment(k.effort)[0] for k in s.classes}
    if len(means) != 1 or any(k.effort["dist"] != "exponential" for k in s.classes):
        raise ValueError("M/M/c priority theory needs one exponential service rate")
    return theory.mmc_priority_waits(lams, 1.0 / means.pop(), s.servers)


def replication(sc, r) -> dict[str, float]:
    """Per-class mean waits, and the most work segments any task was done in (1 when no
    task is ever interrupted), of the replication ``r`` of ``sc`` (run in the worker)."""
    out = {tid: row["wait_hours_mean"] for tid, row in r.tasks.items()}
    out["max_segments"] = float(np.bincount(r.work["task"]).max())
    return out


def run(runner: Runner, syss: list[System] | None = None, theory_fn=theory_waits) -> Study:
    syss = systems() if syss is None else syss
    scs = [scenario_from(scenario(s)) for s in syss]
    results = iter(runner.map((sc, r, replication) for s, sc in zip(syss, scs, strict=True)
                              for r in range(s.replications)))
    study = Study(
        key="priority", title="Non-preemptive priority queues against Cobham's formula",
        compared=("Per-class mean wait in queue (the engine's per-task-type `wait_hours_mean`) "
                  "under `dispatch = \"priority\"`, calendar `always`, three classes per system: "
                  + "; ".join(f"{s.name} ({s.servers} server{'s' if s.servers > 1 else ''})"
                              for s in syss) + "."),
        explanation=(
            "How the engine dispatches: a free person takes the queued task with the largest "
            "`priority`, first come first within a priority, and keeps it until it is done "
            "(non-preemptive; the engine only splits work at the end of office hours, and "
            "calendar `always` has none). Theory (Cobham 1954): with W0 = sum_i lam_i E[S_i^2] / 2, "
            "the mean residual work an arrival finds in service, and sigma_k the load of "
            "classes 1..k, class k waits W0 / ((1 - sigma_{k-1}) (1 - sigma_k)). For M/M/c with "
            "one service rate the same holds with W0 replaced by C(c, a) / (c mu) (Erlang C) and "
            "sigma_k = sum_{i<=k} lam_i / (c mu). The M/G/1 system mixes fixed, gamma and "
            "lognormal work, so the second moments, not just the means, must be right."),
    )
    lines = ["| system | class (priority) | lam /h | E[S] h | Wq theory (h) | "
             "Wq simulated [95% CI] (h) | |", "|---|---|---:|---:|---:|---|---|"]
    for s in syss:
        vals = [next(results) for _ in range(s.replications)]
        th = theory_fn(s)
        for k, w in zip(s.classes, th, strict=True):
            ch = Check(f"{s.name}: {k.id}", "Wq (h)", w, [v[k.id] for v in vals])
            study.checks.append(ch)
            lines.append(f"| {s.name} | {k.id} ({k.priority}) | {k.lam:g} | "
                         f"{mean_and_second_moment(k.effort)[0]:g} | {fmt(w, 4)} | "
                         f"{cell(ch, 4)} | {mark(ch)} |")
        study.checks.append(Check(s.name, "work segments per task (max)", 1.0,
                                  [max(v["max_segments"] for v in vals)], tolerance=0.0))
    study.set_family()
    study.table = "\n".join(lines)
    study.notes.append("Non-preemption checked directly: in every replication of every system "
                       "each task was worked in exactly one segment (from the engine's work "
                       "log), i.e. never interrupted.")
    return study
