"""``sim attribute``: Shapley values over a reform's levers.

The arithmetic is checked on games with known values; the study on the real Bozhou levers
(a short horizon, few levers: the baseline switches the others on) against independent
``sim compare`` runs, and on a real Dask cluster on 127.0.0.1 against the serial numbers."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis import shapley
from sim.analysis.attribution import attribute
from sim.experiment import compare

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
LEVERS = str(ROOT / "scenarios" / "bozhou_levers.toml")
ALL = ["admission_list", "fewer_assessments", "no_duplicate_reporting", "slim_ledger_catalogue",
       "fewer_meetings", "fewer_stamps", "fewer_plaques", "opinion_rights", "part_time_members",
       "red_property", "red_black_list", "refocus_on_residents"]
PLAYERS = ["no_duplicate_reporting", "slim_ledger_catalogue", "fewer_meetings", "red_property"]
BASE4 = f"{LEVERS}#{','.join(x for x in ALL if x not in PLAYERS)}"
SHORT = {"scenario.days": 60, "scenario.warmup_days": 0}
METRICS = ["overtime_hours_per_worker_year", "admin_hours_share", "utilization"]


def _game(n, a, pairs):
    """v(S) = sum of a_i over S + b for every pair (i, j, b) inside S, 3 'replications'
    (the same game scaled by 1, 2, 3)."""
    out = {}
    for m in range(1 << n):
        v = sum(a[i] for i in range(n) if m >> i & 1)
        v += sum(b for i, j, b in pairs if m >> i & 1 and m >> j & 1)
        out[m] = np.asarray([v, 2 * v, 3 * v], dtype=float)
    return out


def test_exact_shapley_and_interaction_of_a_known_game():
    a, pairs = [1.0, -2.0, 0.5, 4.0], [(0, 1, 3.0), (2, 3, -1.0)]
    v = _game(4, a, pairs)
    phi = shapley.exact(v, 4)
    # the pair's surplus b is shared equally by its two members
    want = [a[0] + 1.5, a[1] + 1.5, a[2] - 0.5, a[3] - 0.5]
    assert np.allclose(phi[:, 0], want, rtol=0, atol=1e-12)
    assert np.allclose(phi[:, 2], 3 * np.asarray(want), rtol=0, atol=1e-12)
    assert shapley.interaction_exact(v, 4, 0, 1)[0] == pytest.approx(3.0, abs=1e-12)
    assert shapley.interaction_exact(v, 4, 2, 3)[0] == pytest.approx(-1.0, abs=1e-12)
    assert shapley.interaction_exact(v, 4, 0, 2)[0] == pytest.approx(0.0, abs=1e-12)


def test_sampled_over_every_order_is_exact_and_sampled_interaction_is_unbiased():
    n = 4
    v = _game(n, [0.3, 1.0, -2.0, 0.7], [(0, 1, 3.0), (1, 2, 2.0), (0, 3, -1.5)])
    orders = np.asarray(list(itertools.permutations(range(n))))
    per_rep, _ = shapley.sampled(v, orders, n)
    assert np.allclose(per_rep, shapley.exact(v, n), rtol=0, atol=1e-12)
    # a game with a three-way term: the interaction index is not just the pair surplus
    w = {m: x + (4.0 if m & 0b0111 == 0b0111 else 0.0) for m, x in v.items()}
    rng = np.random.default_rng(7)
    subsets = shapley.interaction_orders(n, 0, 1, 4000, rng)
    est = shapley.interaction_sampled(w, 0, 1, subsets)
    want = shapley.interaction_exact(w, n, 0, 1).mean()
    assert est.low <= want <= est.high
    assert abs(est.mean - want) < 0.1 * abs(want)


@pytest.fixture(scope="module")
def exact4():
    return attribute(BASE4, AFTER, replications=3, method="exact", metrics=METRICS,
                     overrides=SHORT, progress=False)


def test_exact_shapley_on_the_levers_is_efficient_to_1e9(exact4):
    assert exact4.method == "exact" and exact4.levers == PLAYERS
    assert exact4.coalitions == 16 and exact4.runs == 16 * 3   # OAT and LOO ran no more
    for name, row in exact4.metrics.items():
        total = sum(v["shapley"] for v in row["levers"].values())
        # the per-replication sums differ from v(N) - v({}) only by rounding: 16 coalitions
        # of values below ~1e3 give an error bound of about 1e-11
        assert abs(total - row["total"]) <= 1e-9, name
        assert row["efficiency_gap"] <= 1e-9, name


def test_one_at_a_time_and_leave_one_out_agree_with_sim_compare(exact4):
    """OAT = compare(baseline, baseline + lever), LOO = compare(reform - lever, reform), run
    independently through sim.experiment.compare with FILE#LEVERS references."""
    lever = "slim_ledger_catalogue"
    others = [x for x in ALL if x not in PLAYERS]
    with_it = f"{LEVERS}#{','.join([*others, lever])}"
    cmp = compare([BASE4, with_it], replications=3, seed=1, overrides=SHORT, progress=False)
    got = cmp.to_json()["differences"][0]["metrics"]
    without = f"{AFTER}#-{lever}"
    cmp2 = compare([without, AFTER], replications=3, seed=1, overrides=SHORT, progress=False)
    got2 = cmp2.to_json()["differences"][0]["metrics"]
    for m in METRICS:
        row = exact4.metrics[m]["levers"][lever]
        assert row["one_at_a_time"] == pytest.approx(got[m]["mean"], rel=1e-12, abs=1e-12)
        assert row["leave_one_out"] == pytest.approx(got2[m]["mean"], rel=1e-12, abs=1e-12)


def test_sampled_shapley_adds_up_and_is_near_exact(exact4):
    res = attribute(BASE4, AFTER, replications=3, method="sampled", permutations=8,
                    metrics=METRICS, overrides=SHORT, progress=False)
    assert res.method == "sampled" and res.permutations == 8
    for m in METRICS:
        row = res.metrics[m]
        # every order's marginal contributions add up to v(N) - v({}), so the sum does too
        assert sum(v["shapley"] for v in row["levers"].values()) == pytest.approx(
            row["total"], abs=1e-9)
        for lever, v in row["levers"].items():
            ex = exact4.metrics[m]["levers"][lever]
            assert v["one_at_a_time"] == ex["one_at_a_time"]   # the same cached coalitions


def test_exact_on_a_dask_cluster_gives_the_serial_numbers(exact4):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from sim.evaluate import NO_DASHBOARD

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, scheduler_kwargs=NO_DASHBOARD,
                           silence_logs=logging.CRITICAL, protocol="tcp://")
    said = []
    try:
        res = attribute(BASE4, AFTER, replications=3, method="exact", metrics=METRICS,
                        overrides=SHORT, progress=False, executor="dask",
                        scheduler=cluster.scheduler_address, on_estimate=said.append)
    finally:
        cluster.close()
    assert said and "16 coalitions" in said[0] and "about" in said[0]
    assert json.dumps(res.to_json()["metrics"]) == json.dumps(exact4.to_json()["metrics"])


def _sim(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_cli_json_has_the_contract_keys(tmp_path):
    p = _sim("attribute", BASE4, AFTER, "--replications", "2", "--set", "scenario.days=30",
             "--metric", "admin_hours_share", "--json", "--out", str(tmp_path / "a"))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["method"] == "exact"      # 16 coalitions fit the default budget
    row = d["metrics"]["admin_hours_share"]
    assert set(row["levers"]) == set(PLAYERS)
    for v in row["levers"].values():
        assert {"shapley", "ci95", "one_at_a_time", "leave_one_out"} <= set(v)
    assert "exact Shapley: 16 coalitions" in p.stderr
    # run again on the same --out: nothing runs, the numbers are the same
    q = _sim("attribute", BASE4, AFTER, "--replications", "2", "--set", "scenario.days=30",
             "--metric", "admin_hours_share", "--json", "--out", str(tmp_path / "a"))
    e = json.loads(q.stdout)
    assert e["runs"] == 0 and e["method"] == "exact" and e["metrics"] == d["metrics"]


@pytest.mark.parametrize("args, words", [
    (["--metric", "overtime_hours"], "did you mean 'overtime_hours_per_worker_year'"),
    (["--method", "magic"], "--method"),
    (["--replications", "x"], "--replications"),
])
def test_bad_input_is_one_line_exit_2(args, words):
    p = _sim("attribute", BEFORE, AFTER, *args)
    assert p.returncode == 2 and words in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_a_reform_that_is_more_than_levers_is_refused(tmp_path):
    reform = tmp_path / "reform.toml"
    reform.write_text(f'extends = "{AFTER}"\n[office]\nworkers = 9\n', encoding="utf-8")
    p = _sim("attribute", BEFORE, str(reform))
    assert p.returncode == 2 and "office.workers" in p.stderr and "outside its levers" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    q = _sim("attribute", AFTER, BEFORE)
    assert q.returncode == 2 and "lever" in q.stderr and len(q.stderr.strip().splitlines()) == 1


def test_report_gains_the_attribution_and_seek_sections(exact4):
    from sim.report import build_report

    comp = compare([BASE4, AFTER], replications=2, overrides=SHORT, progress=False)
    plain = build_report(comp)
    assert "Which measure did it" not in plain and "What would it take" not in plain
    seek = {"key": "volunteers.teams", "value": 3, "ci95": [2, 3], "met": True,
            "target": {"metric": "problem_resolution_days_mean", "op": "<=", "value": 0.0,
                       "difference_from": "Bozhou before"},
            "tried": [{"value": 0, "metric": 0.6, "ci95": [0.2, 1.0], "met": False},
                      {"value": 3, "metric": -0.4, "ci95": [-0.7, -0.1], "met": True}]}
    html = build_report(comp, attribution=exact4.to_json(), seek=seek)
    a = html.index('id="attribution"')
    s = html.index('id="seek"')
    part = html[a:s]
    assert "Which measure did it" in part and part.count("<svg") == len(METRICS)
    # the lever table lists the levers by the size of their Shapley value
    row = exact4.metrics[METRICS[0]]["levers"]
    order = sorted(row, key=lambda k: -abs(row[k]["shapley"]))
    first = part[:part.index("</table>")]
    assert [first.index(f"<td>{k}</td>") for k in order] == sorted(
        first.index(f"<td>{k}</td>") for k in order)
    assert "volunteers.teams = 3</b>" in html[s:] and "[2, 3]" in html[s:]


def test_sampled_rule_is_efficient_and_says_what_it_did(exact4):
    """The two-look rule on the real levers: every replication's Shapley values add up to
    its total (the units are replications, each with its own Latin orders), the ranking is
    by contribution in the direction of the total, and the rule reports its pilot, its
    variance split and the error it spent (0.005 + 0.045 = 0.05)."""
    res = attribute(BASE4, AFTER, replications=3, method="sampled", rank=2, budget=15.0,
                    metrics=METRICS[:2], overrides=SHORT, progress=False)
    rule = res.rule
    assert rule["design"] == "latin" and rule["pilot_replications"] == 3
    assert rule["pilot_groups"] == 2 and rule["pilot_group_orders"] == 2
    assert set(rule["variance_one_group"]) == {"permutations", "replications"}
    assert rule["alpha"] in (0.005, pytest.approx(0.045))
    assert res.replications >= 3 and res.permutations >= 3 * 2 * 2
    assert res.table().count("ranking of the 2 largest reductions") == 2   # both metrics fall
    for m in METRICS[:2]:
        row = res.metrics[m]
        # one replication's marginal contributions telescope to v(N) - v({}): rounding only
        assert row["efficiency_gap"] <= 1e-9
        assert sum(v["shapley"] for v in row["levers"].values()) == pytest.approx(
            row["total"], abs=1e-9)
        rk = row["ranking"]
        contrib = {k: v["shapley"] * (1 if row["total"] > 0 else -1)
                   for k, v in row["levers"].items()}
        assert rk["order"] == sorted(contrib, key=lambda k: -contrib[k])[:2]
        assert 0 <= rk["ranked_top"] <= 2 and rk["ranked"] == (rk["ranked_top"] == 2)
        # the sampled values are estimates of exact4's (3 replications, exact): within the
        # sum of both intervals' half-widths (both are 95 % intervals of the same values)
        for lever, v in row["levers"].items():
            ex = exact4.metrics[m]["levers"][lever]
            slack = (v["ci95"][1] - v["ci95"][0] + ex["ci95"][1] - ex["ci95"][0]) / 2
            assert abs(v["shapley"] - ex["shapley"]) <= slack + 1e-12, (m, lever)
