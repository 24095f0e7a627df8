"""City scenarios: building communities, running them side by side, adding up, checking
targets and calibrating. Small cities of the real Bozhou community scenario, short periods."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.city import community_seed, expected_per_year, load_city, run_city
from sim.city.calibrate import calibrate, fit_surface, round_sig
from sim.engine import run_replication
from sim.errors import ScenarioError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
AFTER = (ROOT / "scenarios" / "bozhou_after.toml").as_posix()
BEFORE = (ROOT / "scenarios" / "bozhou_before.toml").as_posix()
CITY = ROOT / "scenarios" / "bozhou_city.toml"


def sim(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def small_city(tmp_path: Path, body: str = "", *, communities: str | None = None,
               days: int = 60, name: str = "city.toml") -> Path:
    """A city file of the real community scenario: three drawn communities, ``days`` days."""
    if communities is None:
        communities = """
count = 3
draw_seed = 5
households = { dist = "triangular", low = 1000, mode = 2000, high = 5000 }
managed_estate_share = { dist = "uniform", low = 0.2, high = 0.8 }
reference_households = 3000
scale_tasks = ["problem_*", "core_walk_in"]
min_workers = 5
volunteer_teams = 2
"""
    text = f"""
[city]
name = "Test city"
community = "{AFTER}"
before = "{BEFORE}"
start_date = 2019-03-01
days = {days}
seed = 11
replications = 2

[communities]
{communities}
{body}
"""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- building
def test_drawn_communities_are_reproducible_and_sized_by_households(tmp_path):
    city = load_city(small_city(tmp_path))
    again = load_city(small_city(tmp_path, name="again.toml"))
    assert [c.households for c in city.communities] == [c.households for c in again.communities]
    base = load_scenario(AFTER)
    for c in city.communities:
        assert 1000 <= c.households <= 5000
        assert c.workers == max(5, math.floor(base.office.workers * c.households / 3000 + 0.5))
        sc = c.scenario
        assert sc.scenario.days == 60 and sc.scenario.start_date.isoformat() == "2019-03-01"
        f = c.households / 3000
        tasks = {t.id: t for t in sc.tasks}
        base_tasks = {t.id: t for t in base.tasks}
        # scaled: resident work in proportion to households; not scaled: department work
        assert tasks["problem_repair"].arrivals.rate_value == pytest.approx(
            base_tasks["problem_repair"].arrivals.rate_value * f)
        assert tasks["core_walk_in"].arrivals.rate_value == pytest.approx(
            base_tasks["core_walk_in"].arrivals.rate_value * f)
        assert tasks["data_request"].arrivals.rate_value == base_tasks["data_request"].arrivals.rate_value
        assert sc.problems.managed_estate_share == c.managed_estate_share


def test_volunteer_teams_go_to_the_most_unmanaged_households(tmp_path):
    city = load_city(small_city(tmp_path))
    unmanaged = {c.id: c.households * (1 - c.managed_estate_share) for c in city.communities}
    with_team = {c.id for c in city.communities if c.volunteer_teams}
    assert sum(c.volunteer_teams for c in city.communities) == 2
    assert with_team == set(sorted(unmanaged, key=unmanaged.get, reverse=True)[:2])
    for c in city.communities:
        assert c.scenario.volunteers.teams == c.volunteer_teams
    assert city.inputs["volunteer_teams"] == 2
    assert city.inputs["volunteer_members"] == 2 * city.base.volunteers.members_per_team


def test_listed_communities_and_without_team_overrides(tmp_path):
    listed = """
reference_households = 3000
scale_tasks = ["problem_*"]
volunteer_teams = 1
[communities.without_team]
"tasks.volunteer_coordination.enabled" = false
[[communities.list]]
id = "north"
households = 1500
workers = 3
[[communities.list]]
id = "south"
households = 6000
managed_estate_share = 0.1
[communities.list.set]
"office.overtime_hours_max_per_day" = 0.0
"""
    city = load_city(small_city(tmp_path, communities=listed))
    north, south = city.communities
    assert (north.id, north.workers, north.volunteer_teams) == ("north", 3, 0)
    assert (south.id, south.workers, south.volunteer_teams) == ("south", 16, 1)
    assert "volunteer_coordination" not in {t.id for t in north.scenario.tasks}
    assert "volunteer_coordination" in {t.id for t in south.scenario.tasks}
    assert south.scenario.office.overtime_hours_max_per_day == 0.0
    assert north.scenario.office.overtime_hours_max_per_day > 0.0


def test_expected_per_year_counts_rate_waves_and_schedule():
    before = {t.id: t for t in load_scenario(BEFORE).tasks}
    after = {t.id: t for t in load_scenario(AFTER).tasks}
    # the article's 27 cancelled assessment items: 40 a year before, 13 after
    assert expected_per_year(before["assessment"].arrivals) == pytest.approx(40.0)
    assert expected_per_year(after["assessment"].arrivals) == pytest.approx(13.0)
    assert expected_per_year(before["report_monthly"].arrivals) == pytest.approx(12 * 10)
    assert expected_per_year(before["problem_repair"].arrivals) == pytest.approx(168.0)


# --------------------------------------------------------------------------- running
def test_city_figures_add_up_the_communities_run_alone(tmp_path):
    city = load_city(small_city(tmp_path))
    res = run_city(city, 2, progress=False)
    for r in range(2):
        alone = [run_replication(c.scenario, r, community_seed(city.seed, c.id)) for c in city.communities]
        period = city.days / 365
        for m in ("problems_resolved", "problems_resolved_by_volunteers", "joint_meetings_held",
                  "tasks_arrived", "hours_problem"):
            assert res.values[m][r] == pytest.approx(sum(a.metrics[m] for a in alone) * period)
        assert res.values["task.problem_repair.arrived"][r] == sum(
            a.tasks["problem_repair"]["arrived"] for a in alone)
        staff = [sum(a.metrics[k] for k in a.metrics if k.startswith("hours_")
                     and not k.startswith(("hours_share", "hours_from", "hours_worked"))) for a in alone]
        admin = sum(a.metrics["admin_hours_share"] * s for a, s in zip(alone, staff, strict=True)) / sum(staff)
        assert res.values["admin_hours_share"][r] == pytest.approx(admin)
        workers = [c.workers for c in city.communities]
        util = sum(a.metrics["utilization"] * w for a, w in zip(alone, workers, strict=True)) / sum(workers)
        assert res.values["utilization"][r] == pytest.approx(util)
    assert res.communities.shape[0] == 3
    assert "problem_resolution_days_median" not in res.values  # not aggregable


def test_city_is_the_same_with_worker_processes(tmp_path):
    city = load_city(small_city(tmp_path))
    serial = run_city(city, 2, progress=False)
    pooled = run_city(city, 2, workers=2, progress=False)
    assert serial.values.keys() == pooled.values.keys()
    for m, v in serial.values.items():
        np.testing.assert_array_equal(v, pooled.values[m], err_msg=m)


def test_a_community_keeps_its_random_numbers_when_another_is_removed(tmp_path):
    full = load_city(small_city(tmp_path), {"communities.volunteer_teams": 0})
    two = load_city(small_city(tmp_path, name="two.toml"),
                    {"communities.count": 2, "communities.volunteer_teams": 0})
    assert full.communities[0].managed_estate_share == two.communities[0].managed_estate_share
    a = run_city(full, 1, progress=False).community_metrics[(0, 0)]
    b = run_city(two, 1, progress=False).community_metrics[(0, 0)]
    assert full.communities[0].households == two.communities[0].households
    assert a == b


# --------------------------------------------------------------------------- bad input
BAD_CITIES = [
    ("missing_name", {"drop": "name = \"Test city\"\n"}, "city.name", "required key is missing"),
    ("both_count_and_list", {"body": "[[communities.list]]\nid = \"a\"\nhouseholds = 10\n"},
     "communities.list", "not both"),
    ("typo_key", {"add_comm": "min_wrokers = 3\n"}, "communities.min_wrokers", "did you mean"),
    ("bad_pattern", {"replace": ('"core_walk_in"', '"no_such_task"')},
     "communities.scale_tasks[1]", "matches no task"),
    ("bad_set_key", {"body": "[set]\n\"volunteers.turnot\" = 0.3\n"}, "set.volunteers.turnot",
     "unknown"),
    ("bad_target_tol", {"body": "[[targets]]\nmetric = \"problems_resolved\"\nvalue = 1\n"
                                "tolerance = \"ten\"\nsource = \"x\"\nreason = \"y\"\n"},
     "targets[0].tolerance", "not a percentage"),
    ("target_without_reason", {"body": "[[targets]]\nmetric = \"problems_resolved\"\nvalue = 1\n"
                                       "tolerance = 1\nsource = \"x\"\n"},
     "targets[0].reason", "required key is missing"),
    ("bad_calibrate_key", {"body": "[[calibrate]]\nkey = \"volunteers.turnot\"\nlow = 0.1\n"
                                   "high = 0.5\nsource = \"x\"\n"}, "calibrate[0].key", "unknown"),
    ("calibrate_range", {"body": "[[calibrate]]\nkey = \"volunteers.turnout\"\nlow = 0.5\n"
                                 "high = 0.1\nsource = \"x\"\n"}, "calibrate[0].high", "not above"),
    ("missing_community_file", {"replace": (AFTER, "nope.toml")}, "city.community", "not found"),
    ("period_in_set", {"body": "[set]\n\"scenario.warmup_days\" = 10\n"},
     "set.scenario.warmup_days", "belong to the city"),
]


@pytest.mark.parametrize("case", BAD_CITIES, ids=[c[0] for c in BAD_CITIES])
def test_bad_city_file_is_one_line_exit_2(tmp_path, case):
    _, edit, field, words = case
    path = small_city(tmp_path, edit.get("body", ""))
    text = path.read_text(encoding="utf-8")
    if "drop" in edit:
        text = text.replace(edit["drop"], "")
    if "add_comm" in edit:
        text = text.replace("[communities]\n", "[communities]\n" + edit["add_comm"])
    if "replace" in edit:
        text = text.replace(*edit["replace"])
    path.write_text(text, encoding="utf-8")
    for command in ("validate", "check"):
        out = sim(command, str(path))
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr
        assert str(path) in lines[0] and field in lines[0] and words in lines[0], lines[0]


def test_check_refuses_unknown_metric_before_running(tmp_path):
    body = ("[[targets]]\nmetric = \"problems_resolvd\"\nvalue = 1\ntolerance = 1\n"
            "source = \"x\"\nreason = \"y\"\n")
    out = sim("check", str(small_city(tmp_path, body)))
    assert out.returncode == 2
    assert "targets[0].metric" in out.stderr and "did you mean" in out.stderr


# --------------------------------------------------------------------------- sim check
def _target(metric: str, value: float, tol: str = "10%", side: str = "both") -> str:
    return (f"[[targets]]\nmetric = \"{metric}\"\nvalue = {value}\ntolerance = \"{tol}\"\n"
            f"side = \"{side}\"\nsource = \"test\"\nreason = \"test\"\n")


def test_check_passes_and_fails_targets_by_the_model_mean(tmp_path):
    city = load_city(small_city(tmp_path))
    truth = run_city(city, 2, progress=False).values
    arrived = float(truth["task.problem_repair.arrived"].mean())
    body = (_target("task.problem_repair.arrived", round(arrived, 3), "1%")
            + _target("problems_arrived", float(truth["problems_arrived"].mean()) * 2, "10%")
            + _target("volunteer_teams", 2, "0%"))
    path = small_city(tmp_path, body, name="targets.toml")
    out = sim("check", str(path), "--json")
    assert out.returncode == 1, out.stderr           # one target fails
    rec = json.loads(out.stdout)
    got = {t["metric"]: t for t in rec["targets"]}
    assert got["task.problem_repair.arrived"]["passed"] is True
    assert got["task.problem_repair.arrived"]["mean"] == pytest.approx(arrived)
    assert got["problems_arrived"]["passed"] is False
    assert got["volunteer_teams"]["passed"] is True
    assert rec["replications"] == 2 and rec["kind"] == "city" and rec["communities"] == 3
    table = sim("check", str(path), "--no-progress")
    assert "FAIL" in table.stdout and "2 of 3 targets pass" in table.stdout


def test_check_a_community_scenario_with_targets(tmp_path):
    sc = tmp_path / "one.toml"
    res = [run_replication(load_scenario(AFTER, {"scenario.days": 120}), r) for r in range(2)]
    n = float(np.mean([r.tasks["certificate"]["arrived"] for r in res]))
    sc.write_text(f'extends = "{AFTER}"\n[scenario]\ndays = 120\nreplications = 2\n'
                  + _target("task.certificate.arrived", n, "2%")
                  + _target("utilization", 0.999, "0.1%", "above"), encoding="utf-8")
    out = sim("check", str(sc), "--json")
    rec = json.loads(out.stdout)
    assert [t["passed"] for t in rec["targets"]] == [True, False]
    assert out.returncode == 1
    no_targets = sim("check", AFTER)
    assert no_targets.returncode == 2 and "[[targets]]" in no_targets.stderr


def test_bozhou_city_passes_every_target_with_few_replications():
    """The issue's acceptance check: the calibrated city meets the article's figures."""
    out = sim("check", str(CITY.relative_to(ROOT)), "--replications", "3", "--workers", "2",
              "--json", timeout=600)
    rec = json.loads(out.stdout)
    failed = [t for t in rec["targets"] if not t["passed"]]
    assert out.returncode == 0 and not failed, failed
    assert rec["communities"] >= 40 and len(rec["targets"]) >= 7


# --------------------------------------------------------------------------- calibration
def test_quadratic_surface_recovers_a_quadratic():
    rng = np.random.default_rng(1)
    u = rng.random((20, 2))
    y = 3 + 2 * u[:, 0] - u[:, 1] + 4 * u[:, 0] * u[:, 1] + 0.5 * u[:, 1] ** 2
    fit = fit_surface("y", u, y)
    assert fit.r2 == pytest.approx(1.0)
    assert float(fit(np.array([0.3, 0.6]))[0]) == pytest.approx(3 + 0.6 - 0.6 + 0.72 + 0.18)
    assert round_sig(0.123456) == 0.123 and round_sig(1234.5) == 1230.0


def test_calibration_finds_a_known_rate(tmp_path):
    """unit_activity arrives at rate r a month per community: the target count pins r down
    exactly (3 communities x 60 days), so calibration must find it."""
    rate = 1.2
    expected = rate * 3 * 60 / (365 / 12)
    body = ("[[calibrate]]\nkey = \"tasks.unit_activity.arrivals.per_month\"\nlow = 0.2\nhigh = 3.0\n"
            "source = \"test\"\n" + _target("task.unit_activity.arrived", round(expected, 2), "12%"))
    city = load_city(small_city(tmp_path, body, days=60))
    res = calibrate(city, points=8, replications=2, verify_replications=2)
    got = res.parameters["tasks.unit_activity.arrivals.per_month"]
    assert got == pytest.approx(rate, rel=0.2)
    assert res.fits[0].r2 > 0.9
    assert res.to_json()["parameters"] == res.parameters
    # not just a point: the settings compatible with the target (history matching) hold
    # the true rate and are narrower than the stated range
    lo, hi = res.compatible.ranges()["tasks.unit_activity.arrivals.per_month"]
    assert lo <= rate <= hi and (hi - lo) < (3.0 - 0.2) / 2
    assert res.to_json()["compatible_set"]["kept"] > 0


def test_calibrated_values_in_the_levers_are_the_recorded_ones():
    """Every value `sim calibrate` recorded for Bozhou is the value the lever file holds."""
    record = json.loads((ROOT / "calibration" / "bozhou_city.json").read_text(encoding="utf-8"))
    levers = tomllib.loads((ROOT / "scenarios" / "bozhou_levers.toml").read_text(encoding="utf-8"))
    written = {}
    for lever in levers["levers"].values():
        written.update(lever.get("set", {}))
    city = load_city(CITY)
    assert set(record["parameters"]) == {p.key for p in city.calibrate}
    for key, value in record["parameters"].items():
        assert written[key] == value, key
    assert record["passed"] is True


def test_calibrate_needs_a_city_file():
    out = sim("calibrate", AFTER)
    assert out.returncode == 2 and "not a city scenario" in out.stderr


def test_sim_run_on_a_city_prints_city_figures(tmp_path):
    path = small_city(tmp_path)
    out = sim("run", str(path), "--replications", "2", "--json", "--out", str(tmp_path / "o"))
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["city"]["communities"] == 3 and rec["replications"] == 2
    expected = run_city(load_city(path), 2, progress=False).values
    assert rec["metrics"]["problems_resolved"]["values"] == pytest.approx(
        list(expected["problems_resolved"]))
    assert (tmp_path / "o" / "summary.csv").exists() and (tmp_path / "o" / "communities.csv").exists()
    table = sim("run", str(path), "--replications", "2")
    assert "3 communities" in table.stdout and "total, 60 days" in table.stdout
    refused = sim("run", str(path), "--precision", "0.05")
    assert refused.returncode == 2 and "--precision" in refused.stderr


def test_calibrate_refuses_too_few_points_before_running(tmp_path):
    body = ("[[calibrate]]\nkey = \"volunteers.turnout\"\nlow = 0.1\nhigh = 0.6\nsource = \"x\"\n"
            + _target("problems_resolved_by_volunteers", 100, "10%"))
    out = sim("calibrate", str(small_city(tmp_path, body)), "--points", "3", "--out",
              str(tmp_path / "rec.json"))
    assert out.returncode == 2 and "--points" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "rec.json").exists()


def test_interrupted_calibration_keeps_the_design_points_run(tmp_path):
    import signal
    import time

    body = ("[[calibrate]]\nkey = \"volunteers.turnout\"\nlow = 0.1\nhigh = 0.6\nsource = \"x\"\n"
            + _target("problems_resolved_by_volunteers", 100, "10%"))
    out = tmp_path / "rec.json"
    partial = tmp_path / "rec.json.partial.json"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "calibrate",
                             str(small_city(tmp_path, body, days=200)), "--points", "30",
                             "--out", str(out), "--no-progress"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not partial.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    kept = json.loads(partial.read_text(encoding="utf-8"))
    assert kept["complete"] is False and len(kept["design"]) >= 1
    assert "volunteers.turnout" in kept["design"][0]
    assert not out.exists()


# --------------------------------------------------------------------------- review fixes
def test_a_listed_community_cannot_change_the_period(tmp_path):
    listed = """
reference_households = 3000
[[communities.list]]
id = "north"
households = 1500
[communities.list.set]
"scenario.days" = 30
"""
    with pytest.raises(ScenarioError, match="belong to the city") as exc:
        load_city(small_city(tmp_path, communities=listed))
    assert exc.value.field == "communities.list.north.set.scenario.days"


@pytest.mark.parametrize("key", ["volunteers.teams", "problems.managed_estate_share"])
def test_keys_the_city_sets_per_community_are_refused_city_wide(tmp_path, key):
    with pytest.raises(ScenarioError, match="set per community by the city"):
        load_city(small_city(tmp_path), {key: 1})
    body = f"[[calibrate]]\nkey = \"{key}\"\nlow = 0\nhigh = 1\nsource = \"x\"\n"
    with pytest.raises(ScenarioError, match="set per community by the city") as exc:
        load_city(small_city(tmp_path, body, name="cal.toml"))
    assert exc.value.field == "calibrate[0].key"


def test_a_listed_communitys_own_set_is_what_the_city_counts(tmp_path):
    listed = """
reference_households = 3000
[[communities.list]]
id = "north"
households = 1500
[communities.list.set]
"office.workers" = 12
"volunteers.teams" = 2
"""
    city = load_city(small_city(tmp_path, communities=listed))
    c = city.communities[0]
    assert (c.workers, c.volunteer_teams) == (12, 2)
    assert city.inputs["workers"] == 12 and city.inputs["volunteer_teams"] == 2


def test_without_a_team_total_communities_keep_the_scenarios_teams(tmp_path):
    comm = """
count = 2
households = { dist = "fixed", value = 3000 }
reference_households = 3000
"""
    city = load_city(small_city(tmp_path, communities=comm))
    assert [c.volunteer_teams for c in city.communities] == [city.base.volunteers.teams] * 2 == [1, 1]


def test_community_ids_do_not_depend_on_the_count(tmp_path):
    nine = load_city(small_city(tmp_path), {"communities.count": 9})
    ten = load_city(small_city(tmp_path, name="ten.toml"), {"communities.count": 10})
    assert [c.id for c in nine.communities] == [c.id for c in ten.communities][:9]


def test_calibration_range_is_checked_at_both_ends(tmp_path):
    body = "[[calibrate]]\nkey = \"volunteers.turnout\"\nlow = 0.1\nhigh = 1.5\nsource = \"x\"\n"
    out = sim("validate", str(small_city(tmp_path, body)))
    assert out.returncode == 2 and "calibrate[0].high" in out.stderr and "(in --set)" not in out.stderr


def test_relative_tolerance_of_a_zero_value_is_refused(tmp_path):
    out = sim("validate", str(small_city(tmp_path, _target("tasks_refused", 0, "5%"))))
    assert out.returncode == 2 and "targets[0].tolerance" in out.stderr


def test_pooled_shares_and_means_match_the_event_logs(tmp_path):
    """City means and shares are the pooled figures: recomputed from every community's
    event log, not from the community summaries."""
    city = load_city(small_city(tmp_path, days=120))
    res = run_city(city, 1, progress=False)
    within, arrived, waits = 0, 0, []
    for c in city.communities:
        r = run_replication(c.scenario, 0, community_seed(city.seed, c.id), events=True)
        ev = r.events
        problem = ev["category"] == "problem"
        done = ev["done_hours"][problem]
        done = np.where(done <= city.days * 24.0, done, np.nan)   # resolved within the period
        days = (done - ev["arrival_hours"][problem]) / 24.0
        within += int(np.sum(days <= c.scenario.problems.resolution_target_days))
        arrived += int(problem.sum())
        waits.append((r.metrics["wait_hours_mean"], r.info["n_waited"]))
    assert res.values["problems_within_target_share"][0] == pytest.approx(within / arrived)
    pooled_wait = sum(w * n for w, n in waits) / sum(n for _, n in waits)
    assert res.values["wait_hours_mean"][0] == pytest.approx(pooled_wait)


def test_calibration_survives_nan_duplicate_targets_and_integer_parameters(tmp_path):
    body = ("[[calibrate]]\nkey = \"joint_meetings.min_problems\"\nlow = 0\nhigh = 6\n"
            "integer = true\nsource = \"test\"\n"
            + _target("joint_meetings_held", 8, "30%")
            + _target("joint_meetings_held", 8, "50%")
            + "[[targets]]\nmetric = \"opinion_late_working_days_mean\"\nvalue = 1\ntolerance = 1\n"
              "source = \"test\"\nreason = \"test\"\n")
    path = small_city(tmp_path, body, days=120)
    out = sim("calibrate", str(path), "--points", "6", "--rounds", "2", "--verify", "2",
              "--out", str(tmp_path / "rec.json"), "--no-progress")
    assert out.returncode in (0, 1), out.stderr          # ran to the end, no traceback
    assert "Traceback" not in out.stderr
    rec = json.loads((tmp_path / "rec.json").read_text(encoding="utf-8"))
    value = rec["parameters"]["joint_meetings.min_problems"]
    assert isinstance(value, int) and 0 <= value <= 6
    assert all(isinstance(row["joint_meetings.min_problems"], int) for row in rec["design"])
    assert len(rec["design"]) == 12 and rec["verify_seed"] != rec["seed"]
    assert not (tmp_path / "rec.json.partial.json").exists()


def test_calibrate_refuses_an_unknown_target_metric_before_running(tmp_path):
    body = ("[[calibrate]]\nkey = \"volunteers.turnout\"\nlow = 0.1\nhigh = 0.6\nsource = \"x\"\n"
            + _target("problems_resolvd_by_volunteers", 100, "10%"))
    out = sim("calibrate", str(small_city(tmp_path, body)), "--out", str(tmp_path / "r.json"))
    assert out.returncode == 2 and "targets[0].metric" in out.stderr
    assert not (tmp_path / "r.json.partial.json").exists()


def test_bad_out_paths_and_workers_are_refused_before_running(tmp_path):
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    for args in (["run", str(small_city(tmp_path)), "--out", str(existing)],
                 ["run", AFTER, "--out", str(existing)],
                 ["run", AFTER, "--workers", "0"]):
        out = sim(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1


def test_city_pickles_as_its_file_and_overrides(tmp_path):
    import pickle

    city = load_city(small_city(tmp_path), {"volunteers.turnout": 0.2})
    again = pickle.loads(pickle.dumps(city))
    assert again.hash == city.hash
    assert again.communities[0].scenario.volunteers.turnout == 0.2


def test_describe_a_city_and_write_the_check_record(tmp_path):
    body = _target("volunteer_teams", 2, "0%")
    path = small_city(tmp_path, body)
    out = sim("describe", str(path))
    assert out.returncode == 0, out.stderr
    city = load_city(path)
    for c in city.communities:
        assert f"{c.id} " in out.stdout and str(c.households) in out.stdout
    assert "volunteer_teams" in out.stdout       # the targets table
    record = tmp_path / "deep" / "check.json"
    run = sim("check", str(path), "--replications", "1", "--out", str(record), "--no-progress")
    assert run.returncode == 0, run.stderr
    assert "(1 replication: no CI)" in run.stdout
    assert json.loads(record.read_text(encoding="utf-8"))["passed"] is True
    bad = sim("check", str(path), "--out", str(tmp_path))
    assert bad.returncode == 2 and "not a directory" in bad.stderr


def test_an_interrupted_city_run_keeps_its_whole_replications(tmp_path):
    """SIGINT during a city run (serial, in process): the replications finished for every
    community are kept, marked partial, and equal an uninterrupted run of that many."""
    import signal
    import threading

    from sim.city.run import CityInterrupted

    city = load_city(small_city(tmp_path, days=20))
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(CityInterrupted) as info:
            run_city(city, 2000, 3, progress=False)   # ~40 s uninterrupted: the signal lands
    finally:
        timer.cancel()
    res = info.value.result
    m = res.replications
    assert info.value.exit_code == 130
    assert res.partial == {"replications_done": m, "replications_requested": 2000,
                           "signal": "SIGINT"}
    assert 1 <= m < 2000 and res.to_json()["partial"]["replications_done"] == m
    again = run_city(city, m, 3, progress=False)
    assert again.partial is None and set(again.values) == set(res.values)
    for name, v in res.values.items():
        np.testing.assert_array_equal(v, again.values[name], err_msg=name)
