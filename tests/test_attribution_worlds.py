"""``sim attribute --worlds N``: the reform's split over its levers in sampled worlds of the
uncertain inputs.

The study runs on the real Bozhou levers (two players, the baseline switching the others on,
a 60-day horizon): a world's values reach the coalitions exactly as ``--set`` reaches
``sim attribute``; a lever that the world makes inert gets exactly nothing, and one that
the world makes stronger gets more; the summary across worlds counts what it says on
hand-made worlds; bad input is one line and exit 2; a second run on the same ``--out``
runs nothing and gives the same numbers."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.attribution import attribute
from sim.analysis.attribution_worlds import attribute_worlds, summarise_levers
from sim.analysis.factors import declared_factors
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
LEVERS = str(ROOT / "scenarios" / "bozhou_levers.toml")
ALL = list(load_scenario(LEVERS).resolved["levers"])     # the 12 Bozhou levers
PLAYERS = ["no_duplicate_reporting", "fewer_meetings"]
BASE = f"{LEVERS}#{','.join(x for x in ALL if x not in PLAYERS)}"
SHORT = {"scenario.days": 60, "scenario.warmup_days": 0}
OVERTIME = "overtime_hours_per_worker_year"
ADMIN = "admin_hours_share"


def _factors(names, **fixed):
    """The Bozhou pair's declared uncertainties ``names``, those in ``fixed`` pinned to a
    value (a range of one point)."""
    facs = {f.name: f for f in declared_factors([load_scenario(BASE), load_scenario(AFTER)])}
    return [dataclasses.replace(facs[n], low=fixed[n], high=fixed[n]) if n in fixed
            else facs[n] for n in names]


def _sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_a_world_is_what_set_gives_sim_attribute():
    """One world with its inputs fixed away from the nominal values: its per-world table is,
    number for number, ``sim attribute`` with the same values given by ``--set`` (the world
    reaches every coalition; the same replications and seeds)."""
    fixed = {"copies_before": 3, "ledger_saving": 0.75, "meeting_cut": 0.4}
    facs = _factors(list(fixed), **fixed)
    res = attribute_worlds(BASE, AFTER, worlds_n=1, factors=facs, replications=2,
                           method="exact", metrics=[OVERTIME, ADMIN], overrides_=SHORT,
                           progress=False)
    assert res.values == [fixed]
    sets = dict(SHORT, **{f"uncertainties.{k}.value": v for k, v in fixed.items()})
    one = attribute(BASE, AFTER, replications=2, method="exact", metrics=[OVERTIME, ADMIN],
                    overrides=sets, interactions=0, progress=False)
    nominal = attribute(BASE, AFTER, replications=2, method="exact", metrics=[OVERTIME],
                        overrides=SHORT, interactions=0, progress=False)
    for m in (OVERTIME, ADMIN):
        got, want = res.per_world[0][m], one.metrics[m]
        assert got["total"] == want["total"]
        for p in PLAYERS:
            assert got["levers"][p]["shapley"] == want["levers"][p]["shapley"]
            assert got["levers"][p]["one_at_a_time"] == want["levers"][p]["one_at_a_time"]
    # and the world is not the nominal one (three copies and a deeper cut do more)
    assert res.per_world[0][OVERTIME]["levers"]["no_duplicate_reporting"]["shapley"] < \
        nominal.metrics[OVERTIME]["levers"]["no_duplicate_reporting"]["shapley"]


def test_a_lever_the_world_makes_inert_gets_nothing_and_more_copies_give_it_more():
    """With electronic ledgers saving nothing (effort factor 1), 'no duplicate reporting' only
    cuts the copies: in worlds with one copy before the reform it changes nothing, so its
    Shapley value is exactly 0 and unclear there; with three copies it does more than with
    two (the same replications in every world: common random numbers)."""
    facs = _factors(["copies_before", "ledger_saving"], ledger_saving=1.0)
    res = attribute_worlds(BASE, AFTER, worlds_n=6, factors=facs, replications=2,
                           method="exact", metrics=[ADMIN], overrides_=SHORT, progress=False)
    copies = np.asarray([v["copies_before"] for v in res.values])
    assert sorted(set(copies.tolist())) == [1, 2, 3]     # a Latin hypercube: each twice
    phi = np.asarray([t[ADMIN]["levers"]["no_duplicate_reporting"]["shapley"]
                      for t in res.per_world])
    assert np.all(phi[copies == 1] == 0.0)
    assert phi[copies == 3].max() < phi[copies == 2].min() < 0.0
    lever = res.metrics[ADMIN]["levers"]["no_duplicate_reporting"]
    assert lever["worlds_unclear"] >= int((copies == 1).sum())
    assert lever["worlds_with_total"] >= int((copies == 3).sum())
    assert lever["worlds_against_total"] == 0


def _table(total, lo, hi, levers):
    return {"total": total, "total_ci95": [lo, hi],
            "levers": {k: {"shapley": s, "ci95": [a, b]} for k, (s, a, b) in levers.items()}}


def test_the_summary_counts_worlds_as_it_says():
    """Hand-made worlds: the overall direction is the median total's (here a fall, though
    one world rises); 'with' is an interval on that side, 'against' on the other, first and
    top-k follow it; 'moved by' is the input that goes with the lever across worlds."""
    tables = [
        _table(-10.0, -12.0, -8.0, {"a": (-7.0, -9.0, -5.0), "b": (-4.0, -6.0, -2.0),
                                   "c": (1.0, 0.5, 1.5)}),
        _table(-6.0, -8.0, -4.0, {"a": (-1.0, -3.0, 1.0), "b": (-6.0, -7.0, -5.0),
                                  "c": (1.0, -1.0, 3.0)}),
        _table(4.0, 2.0, 6.0, {"a": (5.0, 4.0, 6.0), "b": (-2.0, -3.0, -1.0),
                               "c": (1.0, 0.2, 1.8)}),
    ]
    inputs = {"x": [1.0, 2.0, 3.0], "y": [3.0, 3.0, 3.0], "z": [1.5, 1.0, 2.0]}
    s = summarise_levers(OVERTIME, tables, ["a", "b", "c"], rank=2, inputs=inputs)
    assert s["overall"] == "fall"
    a, b, c = (s["levers"][k] for k in "abc")
    # a: with (a fall) in world 0, unclear in 1, against (a rise) in 2
    assert (a["worlds_with_total"], a["worlds_against_total"], a["worlds_unclear"]) == (1, 1, 1)
    assert (b["worlds_with_total"], b["worlds_against_total"], b["worlds_unclear"]) == (3, 0, 0)
    assert (c["worlds_with_total"], c["worlds_against_total"], c["worlds_unclear"]) == (0, 2, 1)
    # the largest fall: a (world 0), b (worlds 1 and 2); the 2 largest: a b, b a, b c
    assert (a["worlds_first"], b["worlds_first"], c["worlds_first"]) == (1, 2, 0)
    assert (a["worlds_top"], b["worlds_top"], c["worlds_top"]) == (2, 3, 1)
    assert (a["shapley_median"], a["shapley_p05"]) == (-1.0, -7.0 + 0.1 * 6.0)  # (-7, -1, 5)
    assert a["share_of_total_median"] == pytest.approx(0.7, rel=1e-12)   # (0.7, 1/6, 1.25)
    # a rises with x in rank (Spearman +1); y does not vary; c does not vary at all
    assert a["moved_by"] == {"input": "x", "spearman": pytest.approx(1.0, abs=1e-12)}
    # b (-4, -6, -2) goes in rank with z (Spearman +1), with x only +0.5
    assert b["moved_by"]["input"] == "z" and c["moved_by"] is None
    assert s["total"]["worlds_better"] == 2 and s["total"]["worlds_worse"] == 1
    said = " ".join(s["sentences"])
    assert "the largest reduction comes from b in 2, a in 1 of 3 worlds" in said
    assert "in the top 2 of every world: b." in said
    assert "a works with the overall reduction in 1, against it in 1 and unclearly in 1" in said
    assert "c works against the overall reduction in 2 of 3 worlds (unclear in 1)" in said
    assert "a's contribution moves most with x (Spearman +1.00" in said
    # a lever against the effect everywhere but too small to name (under 2 % of the total)
    for t in tables:
        t["levers"]["d"] = {"shapley": 0.01, "ci95": [0.005, 0.015]}
    s = summarise_levers(OVERTIME, tables, ["a", "b", "c", "d"], rank=2, inputs=inputs)
    assert s["levers"]["d"]["worlds_against_total"] == 3
    assert not any(" d works" in x for x in s["sentences"])
    assert any(" c works against" in x for x in s["sentences"])


def test_the_cli_writes_json_csv_and_figure_and_resumes(tmp_path):
    out = tmp_path / "w"
    args = ("attribute", BASE, AFTER, "--worlds", "3", "--only", "copies_before,meeting_cut",
            "--replications", "2", "--set", "scenario.days=30", "--set",
            "scenario.warmup_days=0", "--metric", ADMIN, "--json", "--out", str(out),
            "--plot", str(out / "worlds.png"), "--no-progress")
    p = _sim(*args)
    assert p.returncode == 0, p.stderr
    assert "2 levers in 3 worlds of 2 uncertain inputs: exact Shapley, 4 coalitions" in p.stderr
    d = json.loads(p.stdout)
    assert d["worlds"] == 3 and d["method"] == "exact" and d["levers"] == PLAYERS
    assert [f["name"] for f in d["factors"]] == ["copies_before", "meeting_cut"]
    row = d["metrics"][ADMIN]
    assert set(row["levers"]) == set(PLAYERS)
    assert {"effect_median", "effect_p05", "effect_p95", "share_better", "share_worse",
            "share_unclear", "sentence"} <= set(row["total"])
    for v in row["levers"].values():
        assert v["worlds_with_total"] + v["worlds_against_total"] + v["worlds_unclear"] == 3
    csv = (out / "attribution_worlds.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("world,copies_before,meeting_cut,metric,lever,shapley")
    assert len(csv) == 1 + 3 * (1 + len(PLAYERS))
    assert (out / "worlds.png").stat().st_size > 10_000
    assert json.loads((out / "result.json").read_text(encoding="utf-8"))["metrics"] == d["metrics"]
    q = _sim(*args)
    e = json.loads(q.stdout)
    assert e["runs"] == 0 and d["runs"] > 0 and e["metrics"] == d["metrics"]


@pytest.mark.parametrize("args, field", [
    (["--vary", "office.workers=5:7"], "--vary"),
    (["--worlds", "3", "--interactions", "2"], "--interactions"),
    (["--worlds", "0"], "--worlds"),
    (["--worlds", "3", "--only", "copies_befor"], "did you mean 'copies_before'"),
])
def test_bad_input_is_one_line_exit_2(args, field):
    p = _sim("attribute", BEFORE, AFTER, *args)
    assert p.returncode == 2 and field in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_an_uncertainty_that_moves_one_scenario_only_is_refused(tmp_path):
    """Coalitions are built from the reform: a world that moves the reform but not the
    baseline makes it more than the baseline plus levers."""
    reform = tmp_path / "reform.toml"
    reform.write_text(
        f'extends = "{AFTER}"\n[uncertainties.staff]\npaths = ["office.workers"]\n'
        'low = 5\nhigh = 8\ndistribution = "integer"\napplies = "this"\n'
        'source = "estimate: a test"\n', encoding="utf-8")
    p = _sim("attribute", BEFORE, str(reform), "--worlds", "2", "--only", "staff")
    assert p.returncode == 2, p.stderr
    assert "in world 0 (staff=" in p.stderr and "office.workers" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_the_report_shows_the_worlds_from_the_result_and_from_its_json():
    """"Which measure did it" of a report given an attribution across worlds: the worlds'
    figure and table, from the result object and from its JSON alike."""
    from sim.experiment import compare
    from sim.report import build_report

    res = attribute_worlds(BASE, AFTER, worlds_n=2, only=["copies_before"], replications=2,
                           method="exact", metrics=[ADMIN], overrides_=SHORT, progress=False)
    comp = compare([BASE, AFTER], replications=2, overrides=SHORT, progress=False)
    pages = [build_report(comp, attribution=a) for a in (res, res.to_json())]
    for html in pages:
        part = html[html.index('id="attribution"'):]
        assert "in each of 2 sampled worlds of 1 uncertain inputs" in part
        assert 'id="shapw0' in part and "with / against / unclear" in part
        for p in PLAYERS:
            assert f"<td>{p}</td>" in part
    tables = []
    for html in pages:
        part = html[html.index('id="attribution"'):]
        tables.append(part[part.index("<table>"):part.index("</table>")])
    assert tables[0] == tables[1]


@pytest.fixture(scope="module")
def worlds_dir(tmp_path_factory):
    """A finished ``sim attribute --worlds 2 --out DIR`` on a short horizon."""
    out = tmp_path_factory.mktemp("aw") / "w"
    p = _sim("attribute", BASE, AFTER, "--worlds", "2", "--only", "copies_before",
             "--replications", "2", "--set", "scenario.days=20", "--set",
             "scenario.warmup_days=0", "--metric", ADMIN, "--out", str(out), "--no-progress")
    assert p.returncode == 0, p.stderr
    return out


def test_sim_report_takes_the_worlds_directory(worlds_dir, tmp_path):
    """``sim report A B --attribution DIR``: the report gains the worlds' section, read from
    the study's result.json."""
    html = tmp_path / "r.html"
    p = _sim("report", BASE, AFTER, "-o", str(html), "--replications", "2", "--set",
             "scenario.days=20", "--set", "scenario.warmup_days=0",
             "--attribution", str(worlds_dir))
    assert p.returncode == 0, p.stderr
    page = html.read_text(encoding="utf-8")
    part = page[page.index('id="attribution"'):]
    assert "in each of 2 sampled worlds of 1 uncertain inputs" in part
    for lever in PLAYERS:
        assert f"<td>{lever}</td>" in part


@pytest.mark.parametrize("edit, words", [
    # without per_world it reads as a plain attribution, whose rows have intervals
    (lambda d: d.pop("per_world"), "metrics.admin_hours_share has no total_ci95"),
    (lambda d: d["per_world"].pop(), None),                      # fewer worlds: still renders
    (lambda d: d["metrics"][ADMIN]["levers"]["fewer_meetings"].update(
        shapley_median="a lot"), "shapley_median is 'a lot'"),
    (lambda d: d["per_world"][0].pop(ADMIN), "per_world[0] has no admin_hours_share"),
    (lambda d: d["metrics"].update(wait=d["metrics"][ADMIN]), "unknown metric 'wait'"),
])
def test_a_bad_attribution_file_is_one_line_exit_2(worlds_dir, tmp_path, edit, words):
    data = json.loads((worlds_dir / "result.json").read_text(encoding="utf-8"))
    edit(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    p = _sim("report", BASE, AFTER, "-o", str(tmp_path / "r.html"), "--replications", "2",
             "--set", "scenario.days=10", "--attribution", str(bad))
    if words is None:
        assert p.returncode == 0, p.stderr
        return
    assert p.returncode == 2, p.stderr
    assert words in p.stderr and "--attribution" in p.stderr and str(bad) in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert not (tmp_path / "r.html").exists()      # refused before the comparison ran


def test_sim_report_takes_a_saved_attribute_json(tmp_path):
    """The plain attribution: ``sim attribute --json`` saved to a file gives the report its
    waterfall section."""
    short = ("--set", "scenario.days=20", "--set", "scenario.warmup_days=0")
    p = _sim("attribute", BASE, AFTER, "--replications", "2", *short, "--metric", ADMIN,
             "--json", "--interactions", "0")
    assert p.returncode == 0, p.stderr
    saved = tmp_path / "attribution.json"
    saved.write_text(p.stdout, encoding="utf-8")
    html = tmp_path / "r.html"
    q = _sim("report", BASE, AFTER, "-o", str(html), "--replications", "2", *short,
             "--attribution", str(saved))
    assert q.returncode == 0, q.stderr
    part = html.read_text(encoding="utf-8").split('id="attribution"', 1)[1]
    assert "Shapley values over 2 levers" in part and 'id="shap0' in part
    assert "sampled worlds" not in part
