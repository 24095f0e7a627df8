"""Relative, partial and dated levers (sim.scenario.levers, sim.engine.epochs).

Values are checked against the formulas of docs/scenario-format.md ("Levers"), not against
numbers copied from a run; the dated switch is checked on the real engine (arrivals drawn
by the real streams, hours in the real daily series).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import build_calendar, run_replication
from sim.engine.epochs import generate_dated
from sim.engine.workload import generate
from sim.rng import Streams
from sim.scenario.levers import field_kind

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
[scenario]
name = "t"
calendar = "always"
start_date = 2019-01-01
days = 365

[office]
workers = 4

[[tasks]]
id = "job"
category = "core"
arrivals = { per_day = 20.0 }
copies = 3
effort_hours = { dist = "exponential", mean = 0.05 }

[[tasks]]
id = "other"
category = "other"
arrivals = { per_day = 4.0 }
effort_hours = { dist = "exponential", mean = 0.05 }

[[tasks]]
id = "opinion"
category = "opinion"
enabled = false
arrivals = { per_day = 3.0 }
effort_hours = { dist = "fixed", value = 0.5 }
"""


def write(tmp_path: Path, levers: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(BASE + levers, encoding="utf-8")
    return path


def lever(name: str, body: str) -> str:
    return f'\n[levers.{name}]\ndescription = "d"\nsource = "estimate: test"\n{body}\n'


def per_day(scenario, task_id: str) -> float:
    return scenario.task(task_id).arrivals.rate_per_hour * 24.0


# --------------------------------------------------------------------------- values

def test_scale_add_and_compliance_follow_the_formulas(tmp_path):
    c = 0.6
    s = load_scenario(write(tmp_path, lever("x", f"""
compliance = {c}
scale = {{ "tasks.job.arrivals.per_day" = 0.5 }}
add = {{ "tasks.job.effort_factor" = 0.5 }}
set = {{ "tasks.job.copies" = 1 }}""")))
    assert per_day(s, "job") == pytest.approx(20.0 + c * (20.0 * 0.5 - 20.0))
    assert s.task("job").effort_factor == pytest.approx(1.0 + c * 0.5)
    # copies 3 -> 1 at 60%: 3 - 1.2 = 1.8, an integer field rounds to the nearest
    assert s.task("job").copies == round(3 + c * (1 - 3)) == 2
    assert per_day(s, "other") == 4.0


def test_integer_rounds_half_to_even(tmp_path):
    # 3 + 0.25 * (1 - 3) = 2.5 -> 2 (round half to even, documented)
    s = load_scenario(write(tmp_path, lever("x", 'compliance = 0.25\nset = { "tasks.job.copies" = 1 }')))
    assert s.task("job").copies == 2


def test_compliance_zero_is_the_baseline_and_one_the_target(tmp_path):
    base = load_scenario(write(tmp_path, "", "b.toml"))
    none = load_scenario(write(tmp_path, lever("x", 'compliance = 0.0\nscale = { "tasks.job.arrivals.per_day" = 0.1 }'), "n.toml"))
    full = load_scenario(write(tmp_path, lever("x", 'scale = { "tasks.job.arrivals.per_day" = 0.1 }'), "f.toml"))
    assert per_day(none, "job") == per_day(base, "job") == 20.0
    assert per_day(full, "job") == pytest.approx(2.0)


def test_field_kinds_decide_what_may_change_partly(tmp_path):
    from sim.scenario.files import read_chain

    data, _ = read_chain(str(write(tmp_path, "")))
    assert field_kind(data, "tasks.job.copies") == "integer"
    assert field_kind(data, "tasks.job.effort_factor") == "number"
    assert field_kind(data, "problems.property_company_days.mean") == "number"
    assert field_kind(data, "tasks.job.enabled") not in ("integer", "number")
    assert field_kind(data, "office.dispatch") not in ("integer", "number")


# --------------------------------------------------------------------------- --set and levers

def test_set_of_the_baseline_moves_both_scenarios_and_keeps_the_relative_effect():
    before = ROOT / "scenarios" / "bozhou_before.toml"
    after = ROOT / "scenarios" / "bozhou_after.toml"
    path = "tasks.ledger_upkeep.arrivals.per_month"
    factor = load_scenario(ROOT / "scenarios" / "bozhou_levers.toml").levers
    scale = next(lv for lv in factor if lv.name == "slim_ledger_catalogue").scale[path]
    for value in (40.0, 90.0):
        b = load_scenario(before, [f"{path}={value}"])
        a = load_scenario(after, [f"{path}={value}"])
        rate_b = b.task("ledger_upkeep").arrivals.rate_per_hour
        rate_a = a.task("ledger_upkeep").arrivals.rate_per_hour
        assert rate_b * 24 * 365 / 12 == pytest.approx(value)
        assert rate_a / rate_b == pytest.approx(scale)


def test_set_of_a_path_a_lever_sets_keeps_the_set_value(tmp_path):
    # the lever writes copies = 1; --set copies = 2 is pinned: applied again after the lever
    path = write(tmp_path, lever("x", 'set = { "tasks.job.copies" = 1 }\nscale = { "tasks.job.effort_factor" = 2.0 }'))
    s = load_scenario(path, ["tasks.job.copies=2", "tasks.job.effort_factor=1.5"])
    assert s.task("job").copies == 2
    assert s.task("job").effort_factor == pytest.approx(3.0)


def test_compare_with_set_moves_both_scenarios(tmp_path):
    """The real CLI: with --set on the baseline, both scenarios' ledger arrivals move and
    their ratio stays the lever's factor (one replication; Poisson counts, so the ratio is
    checked within 6 standard errors of the counts)."""
    out = {}
    for value in (69, 200):
        r = subprocess.run([sys.executable, "-m", "sim", "compare",
                            str(ROOT / "scenarios" / "bozhou_before.toml"),
                            str(ROOT / "scenarios" / "bozhou_after.toml"), "--replications", "1",
                            "--set", f"tasks.ledger_upkeep.arrivals.per_month={value}", "--json",
                            "--no-progress"], capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert r.returncode == 0, r.stderr
        out[value] = json.loads(r.stdout)
    arrived = {v: [run["tasks"]["ledger_upkeep"]["arrived"] for run in out[v]["runs"]]
               for v in out}
    for v, (b, a) in arrived.items():
        assert abs(b - 12 * v) < 6 * math.sqrt(12 * v)
        assert abs(a - 12 * v * 0.32) < 6 * math.sqrt(12 * v * 0.32)
    assert arrived[200][0] > 2 * arrived[69][0] and arrived[200][1] > 2 * arrived[69][1]


# --------------------------------------------------------------------------- dated

DATED = lever("fewer_jobs", 'from = 2019-07-01\nscale = { "tasks.job.arrivals.per_day" = 0.25 }') + \
    lever("opinion_rights", 'from = 2019-07-01\nset = { "tasks.opinion.enabled" = true }')


def test_a_dated_lever_makes_two_epochs(tmp_path):
    s = load_scenario(write(tmp_path, DATED))
    assert [e.start_day for e in s.epochs] == [181]
    assert per_day(s, "job") == 20.0 and "opinion" not in [t.id for t in s.tasks]
    later = s.epochs[0].scenario
    assert per_day(later, "job") == pytest.approx(5.0) and later.task("opinion").enabled


def _monthly(times: np.ndarray) -> np.ndarray:
    days = np.floor(times / 24.0).astype(int)
    edges = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return np.diff(np.searchsorted(np.sort(days), edges))


def test_arrivals_switch_on_the_date(tmp_path):
    s = load_scenario(write(tmp_path, DATED))
    cal = build_calendar(s)
    w = generate_dated(s, cal, Streams(1, 0))
    ids = [t.id for t in w.types]
    job = _monthly(w.arrival[w.type_idx == ids.index("job")])
    opinion = _monthly(w.arrival[w.type_idx == ids.index("opinion")])
    days = np.asarray([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    # each month's count is Poisson(rate x days x copies 3): 5 standard deviations
    for m in range(12):
        rate = (20.0 if m < 6 else 5.0) * 3
        assert abs(job[m] - rate * days[m]) < 5 * math.sqrt(rate * days[m]), (m, job[m])
        if m < 6:
            assert opinion[m] == 0
        else:
            assert abs(opinion[m] - 3.0 * days[m]) < 5 * math.sqrt(3.0 * days[m])


def test_unchanged_work_keeps_its_random_numbers(tmp_path):
    """Common random numbers: the task the levers leave alone arrives as in the undated run,
    and the changed task arrives as in the undated run before the date."""
    s = load_scenario(write(tmp_path, DATED, "d.toml"))
    plain = load_scenario(write(tmp_path, "", "p.toml"))
    cal = build_calendar(s)
    w = generate_dated(s, cal, Streams(1, 0))
    p = generate(plain, cal, Streams(1, 0))
    ids_w, ids_p = [t.id for t in w.types], [t.id for t in p.types]
    assert np.array_equal(w.arrival[w.type_idx == ids_w.index("other")],
                          p.arrival[p.type_idx == ids_p.index("other")])
    cut = 181 * 24.0
    jw = w.arrival[w.type_idx == ids_w.index("job")]
    jp = p.arrival[p.type_idx == ids_p.index("job")]
    assert np.array_equal(jw[jw < cut], jp[jp < cut])
    assert not np.array_equal(jw[jw >= cut], jp[jp >= cut])


def test_the_switch_is_visible_in_the_daily_series(tmp_path):
    r = run_replication(load_scenario(write(tmp_path, DATED)), 0)
    hours = np.asarray(r.daily["hours_opinion"])
    assert hours[:181].sum() == 0.0
    # 3 requests a day of 0.5 h each from 1 July: about 1.5 h a day
    assert hours[181:].mean() == pytest.approx(1.5, rel=0.15)


def test_a_lever_dated_from_the_start_runs_as_an_undated_one(tmp_path):
    dated = lever("x", 'from = 2019-01-01\nscale = { "tasks.job.arrivals.per_day" = 0.5 }')
    plain = lever("x", 'scale = { "tasks.job.arrivals.per_day" = 0.5 }')
    a = load_scenario(write(tmp_path, dated, "a.toml"))
    b = load_scenario(write(tmp_path, plain, "b.toml"))
    assert not a.epochs
    ra, rb = run_replication(a, 0), run_replication(b, 0)
    assert ra.metrics == rb.metrics


def test_until_and_a_ramp_give_the_epochs_they_say(tmp_path):
    s = load_scenario(write(tmp_path, lever("x", """
until = 2019-10-01
scale = { "tasks.job.arrivals.per_day" = 0.0 }
ramp = [ { date = 2019-03-01, compliance = 0.5 }, { date = 2019-06-01, compliance = 1.0 } ]""")))
    starts = [e.start_day for e in s.epochs]
    assert starts == [59, 151, 273]
    rates = [per_day(s, "job")] + [per_day(e.scenario, "job") for e in s.epochs]
    assert rates == pytest.approx([20.0, 10.0, 0.0, 20.0])


# --------------------------------------------------------------------------- bad input

BAD = [
    ("scale_non_numeric", lever("x", 'scale = { "tasks.job.enabled" = 0.5 }'),
     "levers.x.scale.tasks.job.enabled"),
    ("scale_string_field", lever("x", 'enabled = false\nscale = { "office.dispatch" = 2.0 }'),
     "levers.x.scale.office.dispatch"),
    ("compliance_above_one", lever("x", 'compliance = 1.5\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.compliance"),
    ("compliance_negative", lever("x", 'compliance = -0.1\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.compliance"),
    ("partial_boolean", lever("x", 'compliance = 0.5\nset = { "tasks.opinion.enabled" = true }'),
     "levers.x.set.tasks.opinion.enabled"),
    ("from_after_until", lever("x", 'from = 2019-08-01\nuntil = 2019-07-01\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.from"),
    ("from_outside", lever("x", 'from = 2020-03-01\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.from"),
    ("until_outside", lever("x", 'until = 2018-12-01\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.until"),
    ("ramp_outside", lever("x", 'ramp = [{ date = 2021-01-01, compliance = 1.0 }]\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.ramp[0].date"),
    ("ramp_not_increasing", lever("x", 'ramp = [{ date = 2019-05-01, compliance = 0.5 }, '
                                  '{ date = 2019-04-01, compliance = 1.0 }]\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.ramp[1].date"),
    ("unknown_lever_key", lever("x", 'scael = { "tasks.job.copies" = 2 }'), "levers.x.scael"),
    ("unknown_path", lever("x", 'scale = { "tasks.job.effort_factr" = 2 }'),
     "levers.x.scale.tasks.job.effort_factr"),
    ("nan_factor_disabled", lever("x", 'enabled = false\nscale = { "tasks.job.effort_factor" = nan }'),
     "levers.x.scale.tasks.job.effort_factor"),
    ("negative_factor", lever("x", 'scale = { "tasks.job.effort_factor" = -1.0 }'),
     "levers.x.scale.tasks.job.effort_factor"),
    ("dated_structure", lever("x", 'from = 2019-07-01\nset = { "office.workers" = 8 }'),
     "levers.x.set.office.workers"),
    ("dated_structure_disabled", lever("x", 'enabled = false\nfrom = 2019-07-01\nadd = { "office.workers" = 1 }'),
     "levers.x.add.office.workers"),
    ("nothing", lever("x", 'compliance = 0.5'), "levers.x"),
    ("twice", lever("x", 'set = { "tasks.job.copies" = 1 }\nscale = { "tasks.job.copies" = 2 }'),
     "levers.x.scale.tasks.job.copies"),
    ("ramp_and_from", lever("x", 'from = 2019-02-01\nramp = [{ date = 2019-05-01, compliance = 1.0 }]\n'
                            'scale = { "tasks.job.copies" = 2 }'), "levers.x.from"),
]


@pytest.mark.parametrize("name,text,field", BAD, ids=[b[0] for b in BAD])
def test_bad_lever_is_one_line_exit_2(tmp_path, name, text, field):
    path = write(tmp_path, text, f"{name}.toml")
    r = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--replications", "1",
                        "--no-progress"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"{path}: {field}: " in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_city_scales_a_relatively_levered_rate_once():
    """The city multiplies resident-driven rates by households / reference; a rate the
    reform scales (home visits x1.5) must come out as the reform's rate x f, not x1.5 twice."""
    from sim.city.loader import load_city

    city = load_city(ROOT / "scenarios" / "bozhou_city.toml")
    after = load_scenario(ROOT / "scenarios" / "bozhou_after.toml")
    before = load_scenario(ROOT / "scenarios" / "bozhou_before.toml")
    visits = "core_home_visits"
    ratio = after.task(visits).arrivals.rate_per_hour / before.task(visits).arrivals.rate_per_hour
    assert ratio == pytest.approx(1.5)   # the lever refocus_on_residents scales it
    for c in city.communities[:5]:
        rate = c.scenario.task(visits).arrivals.rate_per_hour
        assert rate == pytest.approx(after.task(visits).arrivals.rate_per_hour * c.scale)


def test_effort_and_routing_follow_the_epoch_of_arrival(tmp_path):
    """From 1 July the job's effort doubles and every problem goes to the property company:
    the same instances (arrivals unchanged) keep their effort draws, doubled after the date
    only; routing switches at the date."""
    from sim.engine.workload import ROUTE_PROPERTY

    problem = ('\n[[tasks]]\nid = "problem_leak"\ncategory = "problem"\norigin = "resident"\n'
               'problem_kind = "repair"\narrivals = { per_day = 2.0 }\n'
               'effort_hours = { dist = "exponential", mean = 1.0 }\n')
    levers = lever("x", 'from = 2019-07-01\nscale = { "tasks.job.effort_factor" = 2.0 }\n'
                        'set = { "problems.managed_estate_share" = 1.0 }')
    (tmp_path / "d.toml").write_text(BASE + problem + levers, encoding="utf-8")
    (tmp_path / "p.toml").write_text(BASE + problem, encoding="utf-8")
    s, plain = load_scenario(tmp_path / "d.toml"), load_scenario(tmp_path / "p.toml")
    cal = build_calendar(s)
    w, p = generate_dated(s, cal, Streams(3, 1)), generate(plain, cal, Streams(3, 1))
    cut = 181 * 24.0

    def rows(work, task_id):
        return work.type_idx == [t.id for t in work.types].index(task_id)

    jw, jp = rows(w, "job"), rows(p, "job")
    assert np.array_equal(w.arrival[jw], p.arrival[jp])
    late = w.arrival[jw] >= cut
    assert late.any() and (~late).any()
    np.testing.assert_array_equal(w.efforts[jw, 0][~late], p.efforts[jp, 0][~late])
    np.testing.assert_allclose(w.efforts[jw, 0][late], 2.0 * p.efforts[jp, 0][late], rtol=1e-12)
    pw = rows(w, "problem_leak")
    after = w.arrival[pw] >= cut
    assert not (w.route[pw][~after] == ROUTE_PROPERTY).any()
    assert (w.route[pw][after] == ROUTE_PROPERTY).all() and after.any()
