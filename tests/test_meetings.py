"""Meetings in real time (sim/engine/meetings.py) and the joint meetings' hold rules.

Hand-worked cases on a weekdays calendar (08:30-12:00, 14:30-18:00; 2019-01-07 is a Monday)
check the rules to the last bit; the Bozhou scenarios check the mechanism on a real year:
each meeting in one piece at its time, the cut task resumed by the same person, every hour
of work conserved; the joint meetings' scaled rule against the city quorum; bad options.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from engine_helpers import build

from sim.engine import run_replication
from sim.engine.meetings import expected_meeting_problems, scaled_quorum
from sim.scenario import apply_overrides, load_scenario

MON = 6 * 24.0          # 2019-01-07 00:00 in clock hours from 2019-01-01 (day 0)


def _office(meeting_at: str, meeting_hours: float, **changes):
    data = {
        "scenario": {"name": "meet", "days": 16, "calendar": "weekdays",
                     "start_date": "2019-01-01", "seed": 1},
        "office": {"workers": 1, "dispatch": "priority", "secretary": False},
        "tasks": [
            {"id": "desk", "category": "core", "priority": 1,
             "arrivals": {"schedule": {"every": "week", "weekday": "mon", "time": "08:30"}},
             "effort_hours": {"dist": "fixed", "value": 6.0}},
            {"id": "meet", "category": "meeting", "origin": "department", "priority": 5,
             "arrivals": {"schedule": {"every": "week", "weekday": "mon", "time": meeting_at}},
             "effort_hours": {"dist": "fixed", "value": meeting_hours}},
        ],
    }
    return build(data, **changes)


def _segments(res, task_type: str, first_of_week: float = MON):
    w = res.work
    keep = (w["task_type"] == task_type) & (w["start_hours"] >= first_of_week) \
        & (w["start_hours"] < first_of_week + 168.0)
    order = np.argsort(w["start_hours"][keep], kind="stable")
    return [(float(w["start_hours"][keep][k]), float(w["end_hours"][keep][k]),
             int(w["person"][keep][k]), bool(w["overtime"][keep][k])) for k in order]


def test_preempt_meeting_at_its_time_cut_task_resumes_with_the_same_person():
    sc = _office("09:00", 2.5, office__meetings="real_time", office__meeting_interrupt="preempt")
    res = run_replication(sc, 0, events=True)
    meet = _segments(res, "meet")
    # at 09:00 sharp, 2.5 h in one piece, in office hours
    assert meet == [(MON + 9.0, MON + 11.5, 0, False)]
    desk = _segments(res, "desk")
    # 08:30-09:00, cut; the same worker goes on at 11:30 after the meeting, then after lunch
    assert desk[:3] == [(MON + 8.5, MON + 9.0, 0, False), (MON + 11.5, MON + 12.0, 0, False),
                        (MON + 14.5, MON + 18.0, 0, False)]
    # the 6 h of the desk task are all worked: 0.5 + 0.5 + 3.5 + 1.5 (Tuesday morning)
    assert desk[3] == (MON + 24 + 8.5, MON + 24 + 10.0, 0, False)
    assert sum(b - a for a, b, _, _ in desk) == pytest.approx(6.0, abs=1e-12)


def test_finish_segment_meeting_starts_late_and_still_lasts_its_duration():
    sc = _office("09:00", 2.5, office__meetings="real_time",
                 office__meeting_interrupt="finish_segment")
    res = run_replication(sc, 0, events=True)
    # the worker ends the morning's segment at 12:00, then the meeting runs 12:00-14:30 in
    # one piece; all of it falls in the lunch break, so it is metered as overtime
    assert _segments(res, "meet") == [(MON + 12.0, MON + 14.5, 0, True)]
    desk = _segments(res, "desk")
    assert desk[:2] == [(MON + 8.5, MON + 12.0, 0, False), (MON + 14.5, MON + 17.0, 0, False)]
    assert sum(b - a for a, b, _, _ in desk) == pytest.approx(6.0, abs=1e-12)
    assert res.metrics["meeting_start_delay_hours_mean"] == pytest.approx(3.0, abs=1e-9)


@pytest.mark.parametrize("rule", ["preempt", "finish_segment"])
def test_meeting_at_the_opening_comes_before_the_task_carried_over_to_it(rule):
    """A task cut at closing goes on at the next opening (its segment is armed at the cut,
    Server.in_seg = AHEAD); a meeting at that opening comes first under either rule, since
    the carried-over segment has not begun; the task goes on when the meeting ends."""
    data = {
        "scenario": {"name": "meet", "days": 16, "calendar": "weekdays",
                     "start_date": "2019-01-01", "seed": 1},
        "office": {"workers": 1, "dispatch": "priority", "secretary": False,
                   "meetings": "real_time", "meeting_interrupt": rule},
        "tasks": [
            {"id": "desk", "category": "core", "priority": 1,
             "arrivals": {"schedule": {"every": "week", "weekday": "mon", "time": "14:30"}},
             "effort_hours": {"dist": "fixed", "value": 6.0}},
            {"id": "meet", "category": "meeting", "origin": "department", "priority": 5,
             "arrivals": {"schedule": {"every": "week", "weekday": "tue", "time": "08:30"}},
             "effort_hours": {"dist": "fixed", "value": 1.0}},
        ],
    }
    res = run_replication(build(data), 0, events=True)
    tue = MON + 24.0
    assert _segments(res, "meet") == [(tue + 8.5, tue + 9.5, 0, False)]
    # Monday 14:30-18:00, then (after the meeting) Tuesday 09:30-12:00: 6 h in all
    assert _segments(res, "desk") == [(MON + 14.5, MON + 18.0, 0, False),
                                      (tue + 9.5, tue + 12.0, 0, False)]


def test_queued_meeting_is_split_and_real_time_is_not():
    """The mechanism's direction: a queued meeting waits for the desk and is split over
    lunch; in real time it takes its duration from its time."""
    queued = run_replication(_office("09:00", 2.5), 0)
    real = run_replication(_office("09:00", 2.5, office__meetings="real_time"), 0)
    # queued: starts when the 6 h task is done (Monday 17:00), runs to 18:00, goes on Tuesday
    # 08:30-10:00: 25 h from its time (Monday 09:00) to its end
    assert queued.metrics["meeting_span_hours_mean"] == pytest.approx(25.0, abs=1e-9)
    assert real.metrics["meeting_span_hours_mean"] == pytest.approx(2.5, abs=1e-9)
    assert real.metrics["meeting_start_delay_hours_mean"] == 0.0
    # the same hours of meeting either way (hour shares stay right)
    assert real.metrics["hours_meeting"] == pytest.approx(queued.metrics["hours_meeting"], abs=1e-9)


def test_meeting_that_would_cross_lunch_moves_into_the_half_day_and_holidays_move_on():
    # due Monday 11:00 for 2.75 h: held 09:15-12:00 (it ends by the close of the morning)
    res = run_replication(_office("11:00", 2.75, office__meetings="real_time"), 0, events=True)
    assert _segments(res, "meet")[0][:2] == (MON + 9.25, MON + 12.0)
    # due on a Saturday: held at the next opening, Monday 08:30
    res = run_replication(_office("10:00", 2.0, office__meetings="real_time",
                                  tasks__meet__arrivals={"schedule": {"every": "week", "weekday": "sat",
                                                                      "time": "10:00"}}), 0, events=True)
    assert _segments(res, "meet")[0][:2] == (MON + 8.5, MON + 10.5)


@pytest.fixture(scope="module")
def before_runs():
    sc = load_scenario("scenarios/bozhou_before.toml")
    assert sc.office.meetings == "real_time"
    return {rule: run_replication(apply_overrides(sc, {"office.meeting_interrupt": rule}), 0,
                                  events=True)
            for rule in ("preempt", "finish_segment")}


@pytest.mark.parametrize("rule", ["preempt", "finish_segment"])
def test_bozhou_meetings_in_one_piece_and_work_conserved(before_runs, rule):
    res = before_runs[rule]
    ev, w = res.events, res.work
    meeting = ev["category"] == "meeting"
    done = np.isfinite(ev["done_hours"]) & (ev["done_hours"] <= 365 * 24.0)
    # every meeting held lasts its duration from its start (the float sum start + duration)
    m = meeting & done
    assert m.sum() > 200
    np.testing.assert_array_equal(ev["done_hours"][m], ev["first_start_hours"][m] + ev["effort_hours"][m])
    start_delay = ev["first_start_hours"][m] - ev["entry_hours"][m]
    assert (start_delay >= 0).all()
    dept = m & (ev["task_type"] == "meeting_department")
    if rule == "preempt":
        # 8 workers: someone is always out of a meeting, so a department meeting starts on time
        assert (ev["first_start_hours"][dept] == ev["entry_hours"][dept]).all()
    else:
        assert (ev["first_start_hours"][dept] > ev["entry_hours"][dept]).mean() > 0.3
    # work conserved: each finished task's segments add up to its effort (to rounding of a
    # few additions of hours below 1e4: 1e-9 h)
    worked = np.bincount(w["task"], weights=w["end_hours"] - w["start_hours"], minlength=ev["task"].size)
    staff = (ev["route"] == "staff") & done
    np.testing.assert_allclose(worked[staff], ev["effort_hours"][staff], rtol=0, atol=1e-9)
    # a cut task goes on with the same person: a one-step task has one worker
    one_step = {"core_home_visits", "core_walk_in", "ledger_upkeep", "data_request", "plaque_upkeep"}
    seg_one = np.isin(w["task_type"], list(one_step))
    people = {}
    for t, p in zip(w["task"][seg_one].tolist(), w["person"][seg_one].tolist(), strict=True):
        people.setdefault(t, set()).add(p)
    assert people and all(len(ps) == 1 for ps in people.values())


def test_preempt_cuts_segments_the_finish_rule_does_not(before_runs):
    """Preemption leaves more work segments (cut ones) and no start delay at department
    meetings; finishing the segment first delays meetings."""
    pre, fin = before_runs["preempt"], before_runs["finish_segment"]
    assert pre.info["segments"] > fin.info["segments"]
    assert pre.metrics["meeting_start_delay_hours_mean"] < fin.metrics["meeting_start_delay_hours_mean"]


# --------------------------------------------------------------------------- joint meetings

def _after(**sets):
    return apply_overrides(load_scenario("scenarios/bozhou_after.toml"), sets)


def _mean_metrics(sc, names, reps=6):
    out = {n: [] for n in names}
    for r in range(reps):
        m = run_replication(sc, r).metrics
        for n in names:
            out[n].append(m[n])
    return {n: float(np.nanmean(v)) for n, v in out.items()}


def test_scaled_quorum_follows_the_expected_volume():
    sc = _after()
    vol = expected_meeting_problems(sc)
    # 96 meeting-kind problems a year, half from unmanaged estates, less red property
    # coverage, times the calibrated share: about 10 a year (the figure)
    assert 5.0 < vol < 15.0
    assert scaled_quorum(sc, 12) == 1
    # four times the share: ~3.4 a slot, quorum 3; the city quorum (4) caps it
    big = _after(**{"problems.joint_meeting_share": 1.0,
                    "tasks.problem_parking.arrivals.per_year": 400.0})
    assert scaled_quorum(big, 12) == 4
    assert scaled_quorum(big, 12) <= big.joint_meetings.min_problems


def test_scaled_rule_holds_more_meetings_and_problems_wait_less():
    names = ("joint_meetings_held", "joint_meeting_wait_days_mean", "joint_meeting_problems_open")
    quorum = _mean_metrics(_after(), names)
    scaled = _mean_metrics(_after(**{"joint_meetings.hold_rule": "scaled"}), names)
    assert scaled["joint_meetings_held"] > 2 * quorum["joint_meetings_held"]
    assert scaled["joint_meeting_wait_days_mean"] < 0.6 * quorum["joint_meeting_wait_days_mean"]
    assert scaled["joint_meeting_problems_open"] < quorum["joint_meeting_problems_open"]


def test_more_problems_more_meetings_under_the_scaled_rule():
    names = ("joint_meetings_held", "problems_resolved_by_joint_meetings")
    low = _mean_metrics(_after(**{"joint_meetings.hold_rule": "scaled",
                                  "problems.joint_meeting_share": 0.2}), names)
    high = _mean_metrics(_after(**{"joint_meetings.hold_rule": "scaled",
                                   "problems.joint_meeting_share": 1.0}), names)
    assert high["problems_resolved_by_joint_meetings"] > 2 * low["problems_resolved_by_joint_meetings"]
    assert high["joint_meetings_held"] > 1.3 * low["joint_meetings_held"]


# --------------------------------------------------------------------------- bad options

@pytest.mark.parametrize(("setting", "field"), [
    ("office.meetings=live", "office.meetings"),
    ("office.meeting_interrupt=later", "office.meeting_interrupt"),
    ("joint_meetings.hold_rule=sometimes", "joint_meetings.hold_rule"),
    ('tasks.meeting_secretary.steps=[{role="secretary",effort_hours={dist="fixed",value=1}},'
     '{role="worker",effort_hours={dist="fixed",value=1}}]', "tasks.meeting_secretary.steps"),
])
def test_bad_meeting_options_exit_2_with_one_line(setting, field):
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "scenarios/bozhou_before.toml",
                           "--replications", "1", "--set", setting],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "scenarios/bozhou_before.toml" in lines[0] and field in lines[0]
    assert "Traceback" not in proc.stderr
