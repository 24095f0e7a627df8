"""Residents' problems: estate types and routing, the load-aware hand-back, escalation to
12345, censored resolution times (Kaplan-Meier) and volunteer capacity as person-times.

Every test runs the real engine on small scenarios (or the real CLI in a subprocess)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import build

from sim.engine import run_replication
from sim.survival import kaplan_meier, kaplan_meier_scipy

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ROOT / "scenarios" / "bozhou_before.toml"


def problems_office(*, days: int = 120, workers: int = 2, per_week: float = 20.0,
                    members: int = 2, turnout: float = 1.0, hours: float = 2.0,
                    problems: dict | None = None) -> dict:
    """An office with a little staff work and resident problems of every estate type."""
    return {
        "scenario": {"name": "residents", "days": days, "calendar": "weekdays", "seed": 5,
                     "start_date": "2019-03-04"},
        "office": {"workers": workers, "dispatch": "fifo", "secretary": False},
        "tasks": [
            {"id": "visit", "category": "core", "arrivals": {"per_day": 2.0},
             "effort_hours": {"dist": "exponential", "mean": 1.0}},
            {"id": "repair", "category": "problem", "origin": "resident", "problem_kind": "repair",
             "arrivals": {"per_week": per_week, "when": "any_time"},
             "effort_hours": {"dist": "lognormal", "mean": 2.0, "sd": 1.0}},
            {"id": "other", "category": "problem", "origin": "resident", "problem_kind": "other",
             "arrivals": {"per_week": per_week / 2, "when": "any_time"},
             "effort_hours": {"dist": "lognormal", "mean": 2.0, "sd": 1.0}},
        ],
        "volunteers": {"teams": 1, "members_per_team": members, "turnout": turnout,
                       "hours_per_member_per_week": hours},
        "problems": {"managed_estate_share": 0.4, "red_property_coverage": 0.5,
                     "volunteer_kinds": ["repair"], **(problems or {})},
    }


# ----------------------------------------------------------------------------- estate types

@pytest.mark.parametrize("assigned", [["unmanaged"], ["red_property"], ["managed", "unmanaged"]])
def test_no_volunteer_takes_a_problem_from_an_estate_type_not_assigned_to_it(assigned):
    sc = build(problems_office(problems={"volunteer_estates": assigned}))
    ev = run_replication(sc, 0, events=True).events
    problem = ev["category"] == "problem"
    # what the team was given: still on the volunteers' route, or handed back from it
    to_team = problem & ((ev["route"] == "volunteers") | ev["fallback_to_workers"])
    assert set(ev["estate"][to_team]) == set(assigned)   # every assigned type, nothing else
    # and of the kinds it does not take, none
    assert np.all(ev["task_type"][to_team] == "repair")
    # a repair from an estate not assigned goes where its estate sends it
    rest = problem & (ev["task_type"] == "repair") & ~np.isin(ev["estate"], assigned)
    assert rest.any()
    expected = {"managed": "property", "red_property": "red_property", "unmanaged": "staff"}
    for e, route in expected.items():
        sel = rest & (ev["estate"] == e)
        assert np.all(ev["route"][sel] == route), e
    # the estate shares are those of the scenario (binomial: 4 sd of about 500 problems)
    n = problem.sum()
    managed = (ev["estate"][problem] == "managed").sum()
    assert abs(managed - 0.4 * n) < 4 * np.sqrt(n * 0.4 * 0.6)


# ----------------------------------------------------------------------------- load-aware hand-back

def _mean_over(sc, names, reps=3):
    rs = [run_replication(sc, r).metrics for r in range(reps)]
    return {k: float(np.mean([m[k] for m in rs])) for k in names}


def test_team_queue_cap_moves_work_to_the_workers_when_the_team_is_overloaded():
    # a team of one who turns out 1 h a week against ~13 repairs a week: overloaded
    names = ("problems_fallback_to_workers", "problems_resolved_by_workers",
             "problems_resolved_by_volunteers", "problem_resolution_days_rmean")
    data = problems_office(members=1, hours=1.0, problems={"volunteer_estates": ["unmanaged", "red_property", "managed"]})
    off = _mean_over(build(data), names)
    data["problems"]["volunteer_handback_queue"] = 3
    on = _mean_over(build(data), names)
    assert on["problems_fallback_to_workers"] > off["problems_fallback_to_workers"]
    assert on["problems_resolved_by_workers"] > off["problems_resolved_by_workers"]
    # and the residents gain: the workers are mostly idle
    assert on["problem_resolution_days_rmean"] < off["problem_resolution_days_rmean"]


def test_cap_does_nothing_when_the_team_keeps_up():
    # a large team working every week: the queue never reaches the cap
    names = ("problems_fallback_to_workers", "problems_resolved_by_volunteers")
    data = problems_office(members=12, hours=6.0, per_week=4.0,
                           problems={"volunteer_handback_queue": 40})
    on = _mean_over(build(data), names, reps=2)
    assert on["problems_fallback_to_workers"] == 0
    assert on["problems_resolved_by_volunteers"] > 0


def test_idle_workers_take_problems_that_waited_for_the_team():
    # an overloaded team: without the rule its problems reach the workers only after the
    # 7-day maximum wait; with it, idle workers take them after 1 day
    names = ("problems_fallback_to_workers", "problem_resolution_days_rmean")
    data = problems_office(members=1, hours=1.0)
    sc_off = build(data)
    off = _mean_over(sc_off, names)
    data["problems"]["idle_worker_takes_after_days"] = 1.0
    sc = build(data)
    on = _mean_over(sc, names)
    assert on["problem_resolution_days_rmean"] < off["problem_resolution_days_rmean"]
    assert on["problems_fallback_to_workers"] > 0
    ev = run_replication(sc, 0, events=True).events
    ev_off = run_replication(sc_off, 0, events=True).events
    fb, fb_off = ev["fallback_to_workers"], ev_off["fallback_to_workers"]
    waited = ev["first_start_hours"][fb] - ev["entry_hours"][fb]
    waited_off = ev_off["first_start_hours"][fb_off] - ev_off["entry_hours"][fb_off]
    assert fb.any() and np.all(waited >= 24.0 - 1e-9)    # taken only after the wait ...
    assert np.nanmean(waited) < np.nanmean(waited_off)     # ... and sooner than without it


# ----------------------------------------------------------------------------- escalation

def test_escalations_rise_when_residents_escalate_sooner():
    data = problems_office(members=1, hours=1.0)
    counts = []
    for n in (15, 8, 4, 2):
        data["problems"]["escalation_working_days"] = n
        counts.append(run_replication(build(data), 0).metrics["problems_escalated"])
    assert all(b >= a for a, b in itertools.pairwise(counts)), counts
    assert counts[-1] > counts[0] > 0, counts
    data["problems"]["escalation_working_days"] = 0
    assert run_replication(build(data), 0).metrics["problems_escalated"] == 0


def test_escalated_problems_are_those_open_past_n_working_days():
    # checked against an independent count from the event log on the weekday calendar
    data = problems_office(members=1, hours=1.0, days=90)
    data["problems"]["escalation_working_days"] = 3
    sc = build(data)
    r = run_replication(sc, 0, events=True)
    ev = r.events
    pr = ev["category"] == "problem"
    start = np.datetime64("2019-03-04")
    T = 90 * 24.0
    n = 0
    for a, d in zip(ev["arrival_hours"][pr], ev["done_hours"][pr], strict=True):
        day = start + np.timedelta64(int(a // 24), "D")
        due_day = np.busday_offset(day, 3 if np.is_busday(day) else 2, roll="forward")
        due = (due_day - start).astype(int) * 24.0 + 18.0     # weekdays close at 18:00
        n += bool(due < T and not (d <= due))
    assert r.metrics["problems_escalated"] == pytest.approx(n * 365.0 / 90)


# ----------------------------------------------------------------------------- Kaplan-Meier

def _product_limit(t: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An independent product-limit estimate: distinct event times and S after each."""
    times = np.unique(t[observed])
    s, out = 1.0, []
    for x in times:
        at_risk = np.sum(t >= x)
        events = np.sum((t == x) & observed)
        s *= 1.0 - events / at_risk
        out.append(s)
    return times, np.asarray(out)


def test_km_equals_plain_figures_without_censoring():
    rng = np.random.default_rng(11)
    t = rng.gamma(2.0, 2.0, 101)     # odd count: the median is a data point
    km = kaplan_meier(t, np.ones(t.size, dtype=bool))
    assert km.median() == pytest.approx(float(np.median(t)), abs=1e-12)
    # restricted mean beyond the largest time = the plain mean (sums of the same numbers)
    assert km.restricted_mean(t.max() + 1.0) == pytest.approx(float(t.mean()), rel=1e-12)


@pytest.mark.parametrize("kind", ["continuous", "ties", "ties_and_negative"])
@pytest.mark.parametrize("resolved_share", [1.0, 0.9, 0.5, 0.05])
def test_km_is_scipys_ecdf_to_the_bit(kind, resolved_share):
    # The engine computes the estimate with SciPy's own arithmetic (sim.survival) rather than
    # importing scipy.stats in every run: the same operations in the same order must give
    # the same bits, with and without censoring, with tied and (clipped) negative times.
    rng = np.random.default_rng(17)
    for _ in range(100):
        m = int(rng.integers(1, 80))
        t = rng.exponential(3.0, m)
        if kind != "continuous":
            t = np.round(t * 2) / 2 - (0.5 if kind == "ties_and_negative" else 0.0)
        obs = rng.random(m) < resolved_share
        mine, ref = kaplan_meier(t, obs), kaplan_meier_scipy(t, obs)
        assert (mine is None) == (ref is None)
        if mine is not None:
            assert mine.times.tobytes() == ref.times.tobytes()
            assert mine.surv.tobytes() == ref.surv.tobytes()


def test_km_with_censoring_matches_an_independent_product_limit():
    # hand-checked case: S = 0.8 after 1, 0.533 after 3, 0.267 after 4
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    obs = np.array([True, False, True, True, False])
    km = kaplan_meier(t, obs)
    assert km.median() == 4.0                       # the resolved-only median would be 3
    assert km.restricted_mean(5.0) == pytest.approx(1 + 0.8 * 2 + 0.8 * 2 / 3 + 0.8 * 2 / 3 / 2)
    # planted data with heavy censoring
    rng = np.random.default_rng(3)
    life = rng.exponential(5.0, 400)
    cens = rng.uniform(0.0, 12.0, 400)
    t, obs = np.minimum(life, cens), life <= cens
    km = kaplan_meier(t, obs)
    times, surv = _product_limit(t, obs)
    for x, s in zip(times, surv, strict=True):
        assert km.at(x) == pytest.approx(s, abs=1e-12)
    assert km.median() == times[np.argmax(surv <= 0.5)]
    # censoring matters: the resolved-only median is biased low (true median 5 ln 2 = 3.47)
    assert np.median(t[obs]) < km.median()
    assert abs(km.median() - 5.0 * np.log(2.0)) < 1.0   # a few standard errors at n = 400


def test_run_reports_km_figures_of_its_own_event_log():
    data = problems_office(members=1, hours=1.0, days=60)   # a backlog: many open at the end
    r = run_replication(build(data), 0, events=True)
    ev = r.events
    pr = ev["category"] == "problem"
    T = 60 * 24.0
    done = ev["done_hours"][pr]
    solved = done <= T
    days = (np.where(solved, done, T) - ev["arrival_hours"][pr]) / 24.0
    assert r.metrics["problems_open_at_end"] == (~solved).sum() > 0
    times, surv = _product_limit(days, solved)
    hit = np.flatnonzero(surv <= 0.5)
    want = times[hit[0]] if hit.size else np.nan
    got = r.metrics["problem_resolution_days_km_median"]
    assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want)
    assert r.metrics["problem_resolution_days_mean"] == pytest.approx(days[solved].mean())


# ----------------------------------------------------------------------------- person-times

def test_person_times_give_the_same_run_as_the_equivalent_turnout():
    members = 10
    pt = 260.0                     # a year: 5 turnouts a week over 10 members
    a = problems_office(members=members, turnout=0.9)
    a["volunteers"]["person_times_per_year"] = pt
    b = problems_office(members=members, turnout=pt * 7.0 / 365.0 / members)
    sa, sb = build(a), build(b)
    assert sa.volunteers.turnout == pytest.approx(pt * 7.0 / 365.0 / members)
    ma, mb = run_replication(sa, 0).metrics, run_replication(sb, 0).metrics
    assert ma["volunteer_hours"] == mb["volunteer_hours"] > 0
    # the turnouts the members give match the person-times (binomial, 4 sd over 17 weeks)
    weeks = 120 / 7.0
    expect = pt * 120 / 365.0 * 2.0          # 2 h a turnout
    sd = np.sqrt(members * weeks * 0.5 * 0.5) * 2.0
    got = run_replication(sa, 0)
    avail = got.metrics["volunteer_hours"] / max(got.metrics["volunteer_utilization"], 1e-9)
    assert abs(avail * 120 / 365.0 - expect) < 4 * sd + 2.0


# ----------------------------------------------------------------------------- bad options

@pytest.mark.parametrize("setting, field", [
    ('problems.volunteer_estates=["villa"]', "problems.volunteer_estates"),
    ("problems.escalation_working_days=-1", "problems.escalation_working_days"),
    ("problems.volunteer_handback_queue=1.5", "problems.volunteer_handback_queue"),
    ("problems.idle_worker_takes_after_days=-2", "problems.idle_worker_takes_after_days"),
    ("volunteers.person_times_per_year=0", "volunteers.person_times_per_year"),
    ("problems.restricted_mean_days=0", "problems.restricted_mean_days"),
])
def test_bad_new_options_give_one_line_and_exit_2(setting, field):
    p = subprocess.run([sys.executable, "-m", "sim", "validate", str(BEFORE), "--set", setting],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in p.stderr


def test_too_many_person_times_give_one_line_and_exit_2():
    p = subprocess.run([sys.executable, "-m", "sim", "validate", str(ROOT / "scenarios" / "bozhou_after.toml"),
                        "--set", "volunteers.person_times_per_year=1000"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2, p.stderr
    line = p.stderr.strip()
    assert "\n" not in line and "volunteers.person_times_per_year" in line and "677.857" in line   # 1 team x 13 members x 365 / 7
