"""``sim attribute CITY.toml#none CITY.toml#LEVERS``: a city reform split over its levers.

Real simulations of a tiny city written here (4 communities of the Bozhou scenarios, 14
days, 2 replications, 3 levers: 8 coalitions, exact Shapley). Efficiency per replication,
city-wide and per household tercile; one at a time and the total against an independent
``sim compare`` of the two cities (its own loading, runs, aggregation and grouping); the
JSON shape through the CLI with ``--communities``; bad input.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_city_explore import city_text as explore_city_text
from test_city_explore import run_cli

from sim.analysis.city_attribution import attribute_cities
from sim.analysis.city_compare import compare_cities
from sim.metrics import HEADLINE

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
LEVERS = ["fewer_meetings", "slim_ledger_catalogue", "red_property"]
SEED, R = 11, 2


def city_text(count: int = 4) -> str:
    """The tiny city of ``sim explore``'s tests over 14 days (a coalition: 4 communities x 2
    replications of two weeks)."""
    return explore_city_text(count).replace("days = 30", "days = 14")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The tiny city, and beside it one with a community fewer (a different city)."""
    d = tmp_path_factory.mktemp("city")
    for name, count in (("tiny_city", 4), ("other_city", 3)):
        (d / f"{name}.toml").write_text(city_text(count))
    return str(d / "tiny_city.toml")


@pytest.fixture(scope="module")
def study(city):
    return attribute_cities([city + "#none", city + "#" + ",".join(LEVERS)], method="exact",
                            replications=R, seed=SEED, progress=False)


def _tol(row) -> float:
    # the values are sums of 2**(k-1) = 4 weighted differences of city figures (at most a
    # few thousand); float rounding is ~1e-16 relative, so 1e-9 (scaled by the size of the
    # figures) leaves room only for rounding, not for a missing or misweighted coalition
    big = max([1.0, abs(row["total"])] + [abs(v["one_at_a_time"]) for v in row["levers"].values()])
    return 1e-9 * big


def test_exact_efficiency_per_replication_city_and_terciles(study):
    assert study.method == "exact" and sorted(study.levers) == sorted(LEVERS) and study.coalitions == 8
    assert list(study.by_size) == ["small", "middle", "large"]
    assert set(study.metrics) <= set(HEADLINE) and len(study.metrics) >= 5
    rows = list(study.metrics.values())
    rows += [p["metrics"][m] for p in study.by_size.values() for m in p["metrics"]]
    assert len(rows) > len(study.metrics)
    moved = 0
    for row in rows:
        if not math.isfinite(row["total"]):
            continue
        # efficiency_gap: the largest |sum of Shapley values - total| over replications
        assert row["efficiency_gap"] <= _tol(row)
        s = sum(v["shapley"] for v in row["levers"].values())
        assert s == pytest.approx(row["total"], abs=_tol(row))
        moved += abs(row["total"]) > 0
    assert moved >= 3      # the levers move something: efficiency is not 0 = 0


def test_one_at_a_time_and_total_are_sim_compare_of_the_cities(city, study):
    """OAT of lever X = the paired difference sim compare gives for CITY#none vs CITY#X
    (same seed and replications): a separate load, run_city and aggregation."""
    for lever in LEVERS:
        cmp = compare_cities([city + "#none", f"{city}#{lever}"], replications=R, seed=SEED)
        for m, row in study.metrics.items():
            want = cmp.differences[m]["mean"]
            if math.isfinite(want):
                assert row["levers"][lever]["one_at_a_time"] == pytest.approx(want, abs=_tol(row))
        for g, part in study.by_size.items():
            got_g = cmp.by_size[g]
            assert got_g["households"] == part["households"]
            for m, row in part["metrics"].items():
                want = got_g["metrics"][m]["mean"]
                if math.isfinite(want):
                    assert row["levers"][lever]["one_at_a_time"] == pytest.approx(
                        want, abs=_tol(row))
    full = compare_cities([city + "#none", city + "#" + ",".join(LEVERS)], replications=R,
                          seed=SEED)
    for m in study.metrics:
        if math.isfinite(full.differences[m]["mean"]):
            assert study.metrics[m]["total"] == pytest.approx(full.differences[m]["mean"],
                                                              abs=_tol(study.metrics[m]))


def test_cli_json_shape_with_communities(city, tmp_path):
    png = tmp_path / "figures" / "a.png"     # a directory made for it
    r = run_cli("attribute", city + "#none", city + "#fewer_meetings,slim_ledger_catalogue",
                "--communities", "3", "--replications", "2", "--method", "exact",
                "--metric", "utilization", "--metric", "overtime_hours_per_worker_year",
                "--plot", png, "--json", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "coalitions x 2 replications x 3 communities" in r.stderr   # the estimate, first
    d = json.loads(r.stdout)
    assert d["method"] == "exact" and d["city"]["communities"] == 3
    assert set(d["by_size"]) == {"small", "middle", "large"}
    blocks = [d["metrics"]] + [p["metrics"] for p in d["by_size"].values()]
    for p in d["by_size"].values():
        assert p["communities"] == 1 and len(p["households"]) == 2
    for metrics in blocks:
        assert set(metrics) == {"utilization", "overtime_hours_per_worker_year"}
        for row in metrics.values():
            assert set(row["levers"]) == {"fewer_meetings", "slim_ledger_catalogue"}
            for v in row["levers"].values():
                assert {"shapley", "ci95", "one_at_a_time", "leave_one_out"} <= set(v)
                assert len(v["ci95"]) == 2
            assert sum(v["shapley"] for v in row["levers"].values()) == pytest.approx(
                row["total"], abs=_tol(row))
    assert png.stat().st_size > 1000


@pytest.mark.parametrize("files, extra, words", [
    (["#none", str(SC / "bozhou_after.toml")], [], "mixes a city file and a community"),
    (["#none", "other"], [], "has other communities"),
    (["#none", "#fewer_meetngs"], [], "no lever named 'fewer_meetngs'"),
    (["#none", ""], ["--metric", "overtme"], "unknown metric 'overtme'"),
    (["#none", ""], ["--communities", "9"], "--communities"),
    (["#none", ""], ["--communities", "0"], "--communities"),
    (["", "#none"], [], "switches on levers the reform does not define"),   # reversed
])
def test_bad_input_is_one_line_exit_2_before_running(city, tmp_path, files, extra, words):
    other = city.replace("tiny_city", "other_city")
    second = {"": city, "other": other}.get(files[1], files[1])
    if second.startswith("#"):
        second = city + second
    out = tmp_path / "bad"
    r = run_cli("attribute", city + files[0], second, *extra, "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert not (out / "coalitions").exists()


def test_communities_with_community_scenarios_is_bad_input():
    r = run_cli("attribute", SC / "bozhou_before.toml", SC / "bozhou_after.toml",
                "--communities", "3")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--communities" in r.stderr


@pytest.mark.parametrize("lang, as_json", [("en", False), ("zh", True)])
def test_report_section_has_the_terciles(study, lang, as_json):
    from sim.report.analysis import attribution_section
    from sim.text import t

    given = json.loads(json.dumps(study.to_json())) if as_json else study
    html = attribution_section(given, lang)
    part = html[html.index(t("report.attribution.by_size", lang)):]
    # one grouped-bar figure per community metric, every tercile and lever in its table
    assert part.count("<svg") == len(study.by_size["small"]["metrics"]) >= 3
    for g in study.by_size:
        assert t(f"size.{g}", lang) in part
    for lever in LEVERS:
        assert f"<th>{lever}</th>" in part


def test_out_keeps_every_community_run_and_a_second_run_reuses_them(city, tmp_path):
    files = [city + "#none", city + "#fewer_meetings,slim_ledger_catalogue"]
    kw = {"communities": 3, "replications": 2, "method": "exact", "seed": SEED,
          "metrics": ["utilization"], "progress": False, "out": tmp_path}
    first = attribute_cities(files, **kw)
    again = attribute_cities(files, **kw)
    # 4 coalitions x 2 replications x 3 communities, less the jobs coalitions share
    assert 0 < first.runs <= 24 and again.runs == 0
    assert len(list((tmp_path / "coalitions").glob("*.json"))) == first.runs
    assert again.to_json()["metrics"] == first.to_json()["metrics"]
    assert again.to_json()["by_size"] == first.to_json()["by_size"]
