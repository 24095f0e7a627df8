"""A city held in memory: made from parsed data and a scenario built in memory (no file),
varied and calibrated in memory, and pickled as plain data."""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from sim.city import run_city
from sim.city.loader import city_from_data, load_city, vary
from sim.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
RATE = 2.0        # arrivals of the calibrated task a month per community, the truth
DAYS = 60
COMMUNITIES = 2


def community() -> dict:
    return {
        "scenario": {"name": "tiny", "days": 30, "calendar": "always", "seed": 1},
        "office": {"workers": 2},
        "tasks": [
            {"id": "job", "category": "core", "arrivals": {"per_day": 4.0},
             "effort_hours": {"dist": "exponential", "mean": 1.0}},
            {"id": "visit", "category": "activity", "arrivals": {"per_month": 1.0},
             "effort_hours": {"dist": "fixed", "value": 1.0}},
        ],
    }


def city_data(target: float) -> dict:
    return {
        "city": {"name": "Memory city", "community": "tiny (in memory)",
                 "start_date": dt.date(2019, 3, 1), "days": DAYS, "seed": 3, "replications": 1},
        "communities": {"reference_households": 1000, "list": [
            {"id": "a", "households": 1000}, {"id": "b", "households": 1000}]},
        "calibrate": [{"key": "tasks.visit.arrivals.per_month", "low": 0.5, "high": 4.0,
                       "source": "test"}],
        "targets": [{"metric": "task.visit.arrived", "value": target, "tolerance": "15%",
                     "source": "test", "reason": "Poisson noise of ~8 arrivals a run"}],
    }


def memory_city():
    expected = RATE * COMMUNITIES * DAYS / (365 / 12)    # arrivals the city's period sees
    return city_from_data(city_data(round(expected, 2)), scenario_from_dict(community()))


def test_a_city_made_in_memory_runs_and_varies_in_memory():
    city = memory_city()
    assert [c.id for c in city.communities] == ["a", "b"]
    assert city.communities[0].scenario.scenario.days == DAYS   # the city's period
    more = vary(city, [("office.workers", 3)])
    assert {c.workers for c in more.communities} == {3}
    assert more.overrides == (("office.workers", 3),)
    assert more.hash != city.hash
    res = run_city(more, 1, progress=False)
    assert res.values["communities"][0] == 2.0


def test_a_city_from_a_file_varies_in_memory_as_loading_it_again_would():
    city = load_city(ROOT / "scenarios" / "bozhou_city.toml", ["communities.count=2"])
    pairs = [("volunteers.turnout", 0.3), ("city.days", 40)]
    again = load_city(ROOT / "scenarios" / "bozhou_city.toml", ["communities.count=2", *pairs])
    varied = vary(city, pairs)
    assert varied.hash == again.hash
    assert [c.scenario.hash for c in varied.communities] == [c.scenario.hash for c in again.communities]


def test_a_city_held_in_memory_calibrates_without_reading_a_file():
    """The calibration runs in a child process that refuses to open any file of a scenario
    (TOML) once the city is built: every design point is made in memory."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from test_city_in_memory import memory_city, RATE
        from sim.city.calibrate import calibrate

        city = memory_city()
        def no_files(event, args):
            if event == "open" and str(args[0]).endswith(".toml"):
                raise RuntimeError("a file was read: " + str(args[0]))
        sys.addaudithook(no_files)
        res = calibrate(city, points=8, rounds=1, replications=2, verify_replications=2)
        got = res.parameters["tasks.visit.arrivals.per_month"]
        print(got)
        assert abs(got - RATE) <= 0.4 * RATE, got
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_a_city_pickles_as_plain_data():
    city = memory_city()
    back = pickle.loads(pickle.dumps(city))
    assert back == city and back.hash == city.hash
    assert back.communities[0].scenario.hash == city.communities[0].scenario.hash
