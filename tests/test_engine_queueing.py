"""The engine against queueing theory: Erlang C, Cobham's priority formula, Little's law.

Each check runs the real engine for several replications and asks that the theoretical
value lies inside the simulation's 95% confidence interval (seeds are fixed, so the test is
deterministic; it fails if the engine is biased by more than its sampling error).
"""

import numpy as np
import pytest
from engine_helpers import build, cobham_waits, erlang_c_wait, mmc_dict, t_interval

from sim.engine import run_replication

REPS = 10


@pytest.mark.parametrize(("lam", "mu", "c", "days"), [(9.0, 1.0, 10, 120), (4.0, 1.0, 5, 120),
                                                      (0.8, 1.0, 1, 400)])
def test_mmc_mean_wait_matches_erlang_c(lam, mu, c, days):
    sc = build(mmc_dict(lam, mu, c, days, warmup_days=10))
    runs = [run_replication(sc, r) for r in range(REPS)]
    mean, lo, hi = t_interval([r.metrics["wait_hours_mean"] for r in runs])
    theory = erlang_c_wait(lam, mu, c)
    assert lo <= theory <= hi, f"Wq sim {mean:.4f} [{lo:.4f}, {hi:.4f}] vs Erlang C {theory:.4f}"
    util = np.mean([r.metrics["utilization"] for r in runs])
    assert util == pytest.approx(lam / (c * mu), rel=0.02)


def test_mmc_with_wrong_service_rate_would_fail():
    """The check above has teeth: a 10% slower server moves Wq far outside the interval."""
    sc = build(mmc_dict(4.0, 1.0 / 1.1, 5, 120, warmup_days=10))
    runs = [run_replication(sc, r) for r in range(REPS)]
    _, lo, hi = t_interval([r.metrics["wait_hours_mean"] for r in runs])
    assert not (lo <= erlang_c_wait(4.0, 1.0, 5) <= hi)


def test_two_class_priority_mm1_matches_cobham():
    lams, mus = [0.3, 0.4], [1.0, 1.0]
    data = mmc_dict(0.0, 1.0, 1, 400, warmup_days=10, dispatch="priority")
    data["tasks"] = [
        {"id": "urgent", "category": "core", "priority": 2, "arrivals": {"per_hour": lams[0]},
         "effort_hours": {"dist": "exponential", "mean": 1.0 / mus[0]}},
        {"id": "routine", "category": "core", "priority": 1, "arrivals": {"per_hour": lams[1]},
         "effort_hours": {"dist": "exponential", "mean": 1.0 / mus[1]}},
    ]
    sc = build(data)
    runs = [run_replication(sc, r) for r in range(REPS)]
    theory = cobham_waits(lams, mus)
    for k, tid in enumerate(["urgent", "routine"]):
        mean, lo, hi = t_interval([r.tasks[tid]["wait_hours_mean"] for r in runs])
        assert lo <= theory[k] <= hi, f"{tid}: {mean:.3f} [{lo:.3f}, {hi:.3f}] vs {theory[k]:.3f}"


def test_littles_law_on_time_averaged_counts():
    """L = lambda W, with L the time-averaged number in system, from three views of one run:
    the event log integrated as a counting process, the engine's daily snapshots of open
    tasks, and the engine's own per-task mean time in system."""
    days = 300
    sc = build(mmc_dict(4.0, 1.0, 5, days, warmup_days=0))
    r = run_replication(sc, 0, events=True)
    ev = r.events
    T = days * 24.0
    arrival = ev["arrival_hours"]
    done = np.where(np.isnan(ev["done_hours"]), T, np.minimum(ev["done_hours"], T))
    # N(t) as a step function: +1 at each arrival, -1 at each departure, integrated over [0, T]
    times = np.concatenate([arrival, done, [T]])
    steps = np.concatenate([np.ones_like(arrival), -np.ones_like(done), [0.0]])
    order = np.argsort(times, kind="stable")
    n_after = np.cumsum(steps[order])
    L = float(np.sum(n_after[:-1] * np.diff(times[order]))) / T
    lam = r.tasks["job"]["arrived"] / T
    W = r.tasks["job"]["time_in_system_hours_mean"]          # over completed tasks
    assert L == pytest.approx(lam * W, rel=0.01)
    assert np.mean(r.daily["tasks_open"]) == pytest.approx(L, rel=0.1)
    assert L == pytest.approx(4.0 * (erlang_c_wait(4.0, 1.0, 5) + 1.0), rel=0.1)
    # the same for the queue: time-average number waiting = lambda x mean wait
    start = np.where(np.isnan(ev["first_start_hours"]), T, np.minimum(ev["first_start_hours"], T))
    Lq = float(np.sum(start - arrival)) / T
    assert Lq == pytest.approx(lam * r.tasks["job"]["wait_hours_mean"], rel=0.01)
    assert Lq == pytest.approx(4.0 * erlang_c_wait(4.0, 1.0, 5), rel=0.15)
