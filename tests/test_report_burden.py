"""The report's section on burden removed and burden shifted, and the table of when opinion
replies are late (sim/report/burden.py), on a small comparison run by the real engine."""

from __future__ import annotations

import copy
import math

import pytest
from engine_helpers import build

from sim.experiment import compare
from sim.report import build_report
from sim.report.burden import burden_figures

BASE = {
    "scenario": {"name": "Base", "days": 150, "calendar": "cn", "seed": 4,
                 "start_date": "2019-01-01"},
    "office": {"workers": 3, "dispatch": "fifo", "secretary": True},
    "tasks": [
        {"id": "errand", "category": "unlisted", "origin": "department",
         "admission_list": "unlisted", "arrivals": {"per_day": 2.0},
         "effort_hours": {"dist": "lognormal", "mean": 1.5, "sd": 1.0}},
        {"id": "assessment", "category": "assessment", "origin": "department",
         "arrivals": {"per_week": 2.0}, "effort_hours": {"dist": "fixed", "value": 3.0}},
        {"id": "visit", "category": "core", "arrivals": {"per_day": 4.0},
         "effort_hours": {"dist": "exponential", "mean": 1.0}},
    ],
}
# (overtime until the work is done: the tasks of the last afternoon are finished before the
# horizon, so every task that arrived is done in both runs)
BASE["office"].update(overtime_threshold_hours=0.0, overtime_hours_max_per_day=6.0,
                      secretary_takes_general_work=False)
OPINION = {"id": "opinion", "category": "opinion", "origin": "department",
           "arrivals": {"per_week": 1.0}, "deadline_working_days": 5,
           "steps": [{"role": "worker", "effort_hours": {"dist": "fixed", "value": 1.0}},
                     {"role": "secretary", "effort_hours": {"dist": "fixed", "value": 0.5}}]}


def _reform(absences: dict | None = None) -> dict:
    after = copy.deepcopy(BASE)
    after["scenario"]["name"] = "Reform"
    # (decided on arrival: a review of days would let an errand of the last days enter
    # after the horizon, done in the baseline but not here)
    after["admission"] = {"enabled": True, "review_working_days": 0.0, "approval_probability": 0.2,
                          "review_hours": 0.5, "review_role": "worker", "rework_share": 0.3,
                          "rework_delay_working_days": 5.0}
    after["tasks"] = [t for t in after["tasks"] if t["id"] != "assessment"]
    if absences:
        after["absences"] = absences
    return after


def _with_opinion(data: dict) -> dict:
    data = copy.deepcopy(data)
    data["tasks"].append(OPINION)
    return data


@pytest.fixture(scope="module")
def comparison():
    return compare([build(BASE), build(_reform())], replications=2, progress=False)


@pytest.fixture(scope="module")
def away():
    # a secretary away 40% of the working days, in spells of 10: replies late
    reform = _reform({"secretary_days_per_year": 100.0, "spell_days": 10})
    return compare([build(_with_opinion(BASE)), build(_with_opinion(reform))],
                   replications=2, progress=False)


def test_removed_is_the_work_nobody_does_any_more(comparison):
    """The reform here cancels the assessments (work nobody does any more) and refuses
    unlisted errands (work that goes back to the department, part of it coming back): the
    burden removed equals the baseline's assessment hours, computed by the engine in the
    baseline run, and the burden shifted is the refused hours less those that came back.
    (Every task is done within the horizon in both runs, and the errands' efforts are the
    same draws in both: relative 1e-6 allows for the order of the sums and the mean over
    replications.)"""
    base, run = comparison.runs
    for r in (base, run):   # (the premise: everything that arrived was done)
        assert float(r.summary.at["tasks_open_at_end", "mean"]) == 0.0
    f = burden_figures(base, run)
    assert f["refused"] > 0 and 0 < f["back"] < f["refused"] and f["review"] > 0
    assert math.isclose(f["shifted"], f["refused"] - f["back"])
    assert math.isclose(f["removed"], float(base.summary.at["hours_assessment", "mean"]), rel_tol=1e-6)
    assert f["removed"] != pytest.approx(f["cut"])


def test_report_shows_both_tables_and_flags_late_replies(away):
    html = build_report(away, "en")
    assert "Burden removed and burden shifted" in html
    section = html[html.index('id="burden"'):]
    late = section[section.index("late-table"):]
    rows = late.split("<tr>")
    base_row = next(r for r in rows if ">Base<" in r)
    reform_row = next(r for r in rows if ">Reform<" in r)
    assert "below 95%" in reform_row and "below 95%" not in base_row
    assert "减掉的负担" in build_report(away, "zh")
