"""Limits up front: every numeric field has an upper bound, NaN and infinities are refused
everywhere, and a run's size is estimated and refused above the ceilings before it starts
(sim.scenario.schema limits, sim.scenario.cost, docs/scenario-format.md "Limits")."""

import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import one_error, sim

from sim.cli import main
from sim.engine import run_replication
from sim.errors import InputError
from sim.scenario import load_scenario
from sim.scenario.cost import (
    MAX_CLI_REPLICATIONS,
    MAX_TASKS_PER_REPLICATION,
    MAX_TOTAL_TASKS,
    check_budget,
    estimate,
)
from sim.scenario.merge import copy
from sim.scenario.schema import Invalid
from sim.scenario.validate import validate

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"




# -- every numeric field: an upper bound, and no NaN or infinity --------------------------------

def numeric_leaves(value, path=()):
    """Paths (keys and list indices) of every int or float in plain data."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from numeric_leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numeric_leaves(v, (*path, i))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path


def set_leaf(data, path, value):
    for k in path[:-1]:
        data = data[k]
    data[path[-1]] = value


def test_every_numeric_field_refuses_huge_nan_and_infinite_values():
    """Every number of a resolved scenario rich in tables (volunteers, meetings, waves,
    schedules, steps, targets), set to a huge, NaN or infinite value, is refused by the
    schema (one task of each shape is enough: tasks share the schema)."""
    sc = load_scenario(ROOT / "scenarios" / "bozhou_levers.toml")
    data = copy(sc.resolved)
    data.pop("levers")                     # levers: test_untrusted_files (disabled levers)
    validate(copy(data))                   # valid as it is
    ids = {t["id"] for t in data["tasks"]}
    shapes = {}
    for path in numeric_leaves(data):
        shape = tuple("*" if isinstance(k, int) and path[0] == "tasks" and k == path[1]
                      else k for k in path)
        shapes.setdefault(shape, path)
    assert len(shapes) > 50 and ids
    accepted = []
    for path in shapes.values():
        d = copy(data)
        current = d
        for k in path[:-1]:
            current = current[k]
        huge = 2**63 if isinstance(current[path[-1]], int) else 1e300
        for bad in (huge, math.nan, math.inf, -math.inf):
            set_leaf(d, path, bad)
            try:
                validate(copy(d))
            except Invalid:
                continue
            accepted.append((".".join(map(str, path)), bad))
    assert accepted == []


@pytest.mark.parametrize(("key", "cap", "above"), [
    ("office.workers", 1000, 1001),
    ("tasks.job.arrivals.per_hour", 100, 100.5),
    ("tasks.job.arrivals.per_day", 2400, 2401),
    ("tasks.job.arrivals.per_year", 876000, 876001),
    ("scenario.days", 3660, 3661),
    ("tasks.job.copies", 100, 101),
    ("tasks.job.effort_hours.mean", 2000, 2000.5),
    ("volunteers.teams", 1000, 1001),
    ("volunteers.members_per_team", 1000, 1001),
    ("joint_meetings.duration_hours", 24, 24.5),
    ("scenario.replications", 100000, 100001),
])
def test_cap_is_accepted_and_above_it_refused(capsys, key, cap, above):
    rc, _, err = sim(capsys, "validate", MMC, "--set", f"{key}={cap}")
    assert rc == 0, err
    rc, _, err = sim(capsys, "validate", MMC, "--set", f"{key}={above}")
    one_error(rc, err, key, "out of range", f"<= {cap:g}")


# -- the issue's cases: exit 2, one line, seconds, bounded memory -------------------------------

def _limited(gib):
    def pre():
        resource.setrlimit(resource.RLIMIT_AS, (gib * 1024**3, gib * 1024**3))
    return pre


ISSUE_CASES = [
    (["run", MMC, "--set", "tasks.job.arrivals.per_day=1e300"], "tasks.job.arrivals.per_day"),
    (["validate", MMC, "--set", "tasks.job.arrivals.per_day=1e300"], "tasks.job.arrivals.per_day"),
    (["run", MMC, "--set", "tasks.job.arrivals.per_day=1e6"], "tasks.job.arrivals.per_day"),
    (["run", MMC, "--set", "office.workers=10000000"], "office.workers"),
    (["run", MMC, "--replications", "1000000000"], "--replications"),
    (["sweep", MMC, "--param", "office.workers=1:4", "--design", "lhs", "--samples",
      "1000000000", "--out", "{tmp}/s"], "--samples"),
    (["run", MMC, "--set", "scenario.days=3660", "--set", "tasks.job.arrivals.per_hour=100"],
     "tasks.job.arrivals.per_hour"),
    (["sweep", MMC, "--param", "office.workers=2,3", "--replications", "1000000", "--out",
      "{tmp}/s"], "jobs"),
]


@pytest.mark.parametrize(("argv", "field"), ISSUE_CASES,
                         ids=[" ".join(map(str, a[2:5])) for a, _ in ISSUE_CASES])
def test_issue_cases_exit_2_fast_in_bounded_memory(tmp_path, argv, field):
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in argv]
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, preexec_fn=_limited(3),
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    one_error(proc.returncode, proc.stderr, field)
    assert proc.stdout == ""
    assert time.monotonic() - t0 < 30


# -- the size estimate ----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "sets"), [
    (ROOT / "scenarios" / "bozhou_before.toml", []),
    (ROOT / "scenarios" / "bozhou_after.toml", []),
    (MMC, ["scenario.days=60"]),
])
def test_estimate_matches_the_tasks_a_replication_generates(path, sets):
    sc = load_scenario(path, sets)
    est = estimate(sc).tasks
    made = [run_replication(sc, r).info["tasks_generated"] for r in range(3)]
    mean = sum(made) / len(made)
    # Poisson counts: sd of the mean of 3 is about sqrt(est / 3) (< 1 % here); the estimate
    # uses the mean seasonality and counts one extra scheduled occurrence per schedule, so
    # allow 10 %.
    assert abs(est - mean) <= 0.10 * mean, (est, made)


def test_budget_names_the_biggest_field_and_yields_to_allow_large():
    sc = load_scenario(MMC, ["scenario.days=3660", "tasks.job.arrivals.per_hour=100"])
    c = estimate(sc)
    assert c.tasks > MAX_TASKS_PER_REPLICATION
    with pytest.raises(InputError) as exc:
        check_budget(sc, 1)
    assert exc.value.field == "tasks.job.arrivals.per_hour" and "--allow-large" in str(exc.value)
    assert check_budget(sc, 1, allow_large=True) == c
    small = load_scenario(MMC)
    n = math.ceil(MAX_TOTAL_TASKS / estimate(small).tasks)
    check_budget(small, n - 1)
    with pytest.raises(InputError) as exc:
        check_budget(small, n + 1)
    assert exc.value.field == "--replications"


@pytest.mark.parametrize(("argv", "flag"), [
    (["run", MMC, "--replications", str(MAX_CLI_REPLICATIONS + 1)], "--replications"),
    (["run", MMC, "--precision", "0.1", "--max-replications", "10000000"], "--max-replications"),
    (["sweep", MMC, "--param", "office.workers=1,2", "--workers", "100000", "--out", "x"],
     "--workers"),
    (["check", MMC, "--replications", "0"], "--replications"),
    (["run", MMC, "--seed", str(2**64)], "--seed"),
])
def test_option_bounds(capsys, argv, flag):
    rc, out, err = sim(capsys, *argv)
    one_error(rc, err, flag, "out of range")
    assert out == ""


def test_allow_large_is_accepted_by_every_running_command(capsys):
    for cmd in ("run", "compare", "report", "sweep", "check", "calibrate"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "--allow-large" in capsys.readouterr().out


def test_budget_counts_volunteers_and_sweep_jobs(tmp_path, capsys):
    """Many volunteer members bring no tasks but cost time: the events ceiling names
    volunteers.teams; a sweep of tiny jobs is refused by its number of jobs."""
    rc, _, err = sim(capsys, "run", MMC, "--set", "volunteers.teams=1000", "--set",
                     "volunteers.members_per_team=1000", "--set", "scenario.days=30")
    one_error(rc, err, "volunteers.teams", "events", "--allow-large")
    rc, _, err = sim(capsys, "sweep", MMC, "--param", "office.workers=1:20:1", "--replications",
                     "100000", "--set", "tasks.job.arrivals.per_hour=0.001", "--out",
                     tmp_path / "s", "--no-progress")
    one_error(rc, err, "jobs", "--allow-large")
    assert not (tmp_path / "s").exists()
