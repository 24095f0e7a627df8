"""``sim compare`` on city files: the city before and after, paired, broken down by
community size (household terciles), and Holm-adjusted verdicts and bounded share
intervals in ``sim compare``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.city_compare import compare_cities
from sim.city import load_city
from sim.stats import Interval, bounded_interval, holm

ROOT = Path(__file__).resolve().parents[1]
CITY = str(ROOT / "scenarios" / "bozhou_city.toml")
SMALL = {"communities.count": 6, "city.days": 30}


@pytest.fixture(scope="module")
def before_after():
    return compare_cities([CITY + "#none", CITY], replications=2, overrides=SMALL,
                          progress=False)


def test_city_before_is_the_before_scenario_without_teams():
    city = load_city(CITY, {**SMALL, "city.community": "bozhou_before.toml",
                            "communities.volunteer_teams": 0})
    assert all(c.volunteer_teams == 0 for c in city.communities)
    assert all(c.scenario.name == "Bozhou before" for c in city.communities)


def test_size_groups_are_household_terciles(before_after):
    groups = before_after.by_size
    assert list(groups) == ["small", "middle", "large"]
    assert sum(g["communities"] for g in groups.values()) == 6
    assert groups["small"]["households"][1] <= groups["middle"]["households"][0]
    assert groups["middle"]["households"][1] <= groups["large"]["households"][0]
    # the reform cuts the administration share in every size group, and volunteers resolve
    # problems only after it (the city before has no teams)
    for g in groups.values():
        assert g["metrics"]["admin_hours_share"]["mean"] < 0
        assert g["metrics"]["problems_resolved_by_volunteers"]["baseline"] == 0


def test_a_city_against_itself_differs_by_exactly_zero():
    res = compare_cities([CITY, CITY], replications=2, overrides=SMALL, progress=False)
    for row in res.differences.values():
        assert row["mean"] == 0.0 or np.isnan(row["mean"])


def test_cli_city_compare_json():
    p = subprocess.run([sys.executable, "-m", "sim", "compare", CITY + "#none", CITY,
                        "--replications", "2", "--set", "communities.count=6",
                        "--set", "city.days=30", "--json"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert set(d["by_size"]) == {"small", "middle", "large"}
    assert d["differences"]["admin_hours_share"]["verdict"] == "better"
    q = subprocess.run([sys.executable, "-m", "sim", "compare", CITY + "#nope", CITY],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert q.returncode == 2 and "nope" in q.stderr and len(q.stderr.strip().splitlines()) == 1


def test_holm_against_hand_computed_values():
    # p = (0.01, 0.04, 0.03, NaN): sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, 0.06
    # (the last made monotone: max(0.06, 0.04))
    got = holm([0.01, 0.04, 0.03, float("nan")])
    assert got[:3] == pytest.approx([0.03, 0.06, 0.06], abs=1e-15)
    assert np.isnan(got[3])


def test_share_intervals_stay_inside_0_1():
    # a rate of 0.99 with sd 0.03 over 5 replications: the t-interval passes 1
    iv = Interval(0.99, 0.03, 5, 0.99 - 0.0372, 0.99 + 0.0372, 0.0372)
    lo, hi = bounded_interval(iv)
    assert 0.0 < lo < 0.99 < hi < 1.0
    inside = Interval(0.5, 0.1, 5, 0.45, 0.55, 0.05)
    assert bounded_interval(inside) == (0.45, 0.55)   # kept where it fits


def test_compare_adjusts_verdicts_by_holm_and_can_be_told_not_to():
    from sim.experiment import compare

    scen = [str(ROOT / "scenarios" / "bozhou_before.toml"),
            str(ROOT / "scenarios" / "bozhou_after.toml")]
    kw = {"replications": 3, "overrides": {"scenario.days": 60}, "progress": False}
    holm_df = compare(scen, **kw).differences
    none_df = compare(scen, adjust="none", **kw).differences
    assert (none_df["verdict"] == none_df["verdict_unadjusted"]).all()
    assert (holm_df["verdict_unadjusted"] == none_df["verdict"]).all()   # same runs
    head = holm_df[holm_df["headline"]]
    p = head["p_value"].to_numpy()
    ok = np.isfinite(p)
    # Holm by hand over the headline family
    assert np.allclose(head["p_adjusted"].to_numpy()[ok], holm(p[ok]), rtol=0, atol=0)
    for _, row in holm_df.iterrows():
        if row["verdict"] != "no clear difference":   # adjusted verdicts are a subset
            assert row["verdict"] == row["verdict_unadjusted"] and row["p_adjusted"] < 0.05
        if np.isfinite(row["p_value"]):
            assert row["p_adjusted"] >= row["p_value"]
            # the Bonferroni interval holds the single-comparison one
            assert row["adjusted_ci_low"] <= row["ci_low"] and row["ci_high"] <= row["adjusted_ci_high"]
