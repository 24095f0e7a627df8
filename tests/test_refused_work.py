"""Where refused work goes (issue 14, part 4; sim/engine/admission.py): the review costs
office hours of the role that does it, refused work goes back to its department with its
whole effort, and a share of it comes back later. Every test runs the real engine."""

from __future__ import annotations

import math

import numpy as np
from engine_helpers import build

from sim.engine import build_calendar, run_replication

DAYS = 120


def office(**admission) -> dict:
    return {
        "scenario": {"name": "refused", "days": DAYS, "calendar": "weekdays", "seed": 11,
                     "start_date": "2019-03-04"},
        "office": {"workers": 3, "dispatch": "fifo", "secretary": True},
        "admission": {"enabled": True, "review_working_days": 2.0, "approval_probability": 0.3,
                      "pushed_anyway_share": 0.1, **admission},
        "tasks": [
            {"id": "errand", "category": "unlisted", "origin": "department",
             "admission_list": "unlisted", "arrivals": {"per_day": 3.0},
             "effort_hours": {"dist": "lognormal", "mean": 1.5, "sd": 1.0}},
            {"id": "visit", "category": "core", "arrivals": {"per_day": 4.0},
             "effort_hours": {"dist": "exponential", "mean": 1.0}},
            {"id": "sign", "category": "ledger", "arrivals": {"per_day": 1.0},
             "steps": [{"role": "secretary", "effort_hours": {"dist": "fixed", "value": 0.5}}]},
        ],
    }


def _secretary_hours(res) -> float:
    w = res.work
    return float((w["end_hours"] - w["start_hours"])[w["role"] == "secretary"].sum())


def test_defaults_keep_the_old_behaviour():
    """Without the new options a refused task costs no office hour, nothing comes back and
    nobody is away: the generated task types do not exist and the new metrics are 0."""
    res = run_replication(build(office()), 0, events=True)
    assert "admission_review" not in res.tasks
    assert not any(t.endswith("_returned") for t in res.tasks)
    assert res.metrics["review_hours"] == 0.0
    assert res.metrics["rework_hours_came_back"] == 0.0
    assert res.metrics["secretary_absence_days"] == 0.0
    assert res.metrics["refused_hours_returned"] > 0.0


def test_review_hours_are_the_secretarys_hours():
    """With review_hours = 0.5 every unlisted task (approved, pushed or refused) costs the
    secretary half an hour more: the secretary's hours in the work log grow by exactly
    0.5 x the unlisted arrivals (same random streams, everything done in the window), the
    workers' do not, and the metric says the same per year."""
    off = run_replication(build(office()), 0, events=True)
    on = run_replication(build(office(review_hours=0.5)), 0, events=True)
    n_unlisted = int((off.events["task_type"] == "errand").sum())
    assert n_unlisted > 100
    assert on.tasks["admission_review"]["completed"] == n_unlisted
    # (sums of a few hundred segments: 1e-6 h is far above float rounding)
    assert math.isclose(_secretary_hours(on) - _secretary_hours(off), 0.5 * n_unlisted, abs_tol=1e-6)
    workers = lambda r: float((r.work["end_hours"] - r.work["start_hours"])[r.work["role"] == "worker"].sum())  # noqa: E731
    assert math.isclose(workers(on), workers(off), rel_tol=1e-9)
    assert math.isclose(on.metrics["review_hours"], 0.5 * n_unlisted * 365.0 / DAYS, rel_tol=1e-9)
    assert on.metrics["secretary_utilization"] > off.metrics["secretary_utilization"]


def test_review_by_a_worker_takes_worker_hours():
    on = run_replication(build(office(review_hours=0.5, review_role="worker")), 0, events=True)
    w = on.work
    review = w["task_type"] == "admission_review"
    assert review.any() and set(w["role"][review]) == {"worker"}


def test_refused_hours_equal_what_the_office_would_have_worked():
    """The refused tasks' effort, counted as hours returned to the department, equals the
    hours the office works on exactly those tasks when there is no admission rule (same
    arrivals and efforts: their streams do not depend on the rule), read from that run's
    work log."""
    data = office()
    on = run_replication(build(data), 0, events=True)
    data["admission"]["enabled"] = False
    free = run_replication(build(data), 0, events=True)
    assert np.array_equal(on.events["arrival_hours"], free.events["arrival_hours"])
    refused = np.flatnonzero(on.events["refused"])
    assert refused.size > 50
    w = free.work
    worked = float((w["end_hours"] - w["start_hours"])[np.isin(w["task"], refused)].sum())
    assert free.metrics["tasks_open_at_end"] < 5    # (the free office finished its work)
    open_refused = np.isnan(free.events["done_hours"][refused]).sum()
    assert open_refused == 0
    assert math.isclose(on.metrics["refused_hours_returned"], worked * 365.0 / DAYS, rel_tol=1e-9)


def test_rework_comes_back_at_the_stated_share():
    """Of N refused tasks, Binomial(N, share) come back: the count lies within 4 standard
    deviations of share x N (a false alarm about 6e-5 for a fixed seed: the test is
    deterministic, and 4 sigma is what a correct mechanism passes for any seed but a rare
    one). Each returned task carries the effort of a refused one of its type and enters
    after that one's review and the stated delay."""
    share = 0.3
    data = office(rework_share=share, rework_delay_working_days=3.0)
    data["scenario"]["days"] = 365
    data["scenario"]["calendar"] = "always"     # (no horizon cut: review + delay always fit)
    sc = build(data)
    res = run_replication(sc, 0, events=True)
    ev = res.events
    refused = ev["refused"] & (ev["task_type"] == "errand")
    back = ev["task_type"] == "errand_returned"
    # those refused late enough to come back after the horizon cannot: count those that can
    cal = build_calendar(sc)
    lag = 2.0 * cal.hours_per_working_day + 3.0 * cal.hours_per_working_day
    can = refused & (ev["arrival_hours"] + lag < 365 * 24.0)
    n = int(can.sum())
    k = int(back.sum())
    assert n > 300
    assert abs(k - share * n) <= 4.0 * math.sqrt(n * share * (1 - share))
    # efforts: each returned one is one of the refused ones (a multiset inclusion)
    eff_ref = sorted(np.round(ev["effort_hours"][refused], 12).tolist())
    eff_back = np.round(ev["effort_hours"][back], 12).tolist()
    pool = list(eff_ref)
    for e in eff_back:
        pool.remove(e)    # raises ValueError if a returned effort is not a refused one's
    # entry: the earliest return is at least review + delay after the earliest refusal
    assert ev["entry_hours"][back].min() >= ev["arrival_hours"][refused].min() + lag - 1e-9
    assert math.isclose(res.metrics["rework_hours_came_back"],
                        float(ev["effort_hours"][back].sum()), rel_tol=1e-9)
    assert res.tasks["errand_returned"]["refused"] == 0.0
