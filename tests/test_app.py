"""The planner's app without a browser: the case (sim.scenario.planner), the live comparer
(sim.experiment.live), the controller (sim.app.controller) and ``sim app``'s bad input.

Everything runs the real simulation on a short horizon (60 days) and the real process pool.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.experiment import compare
from sim.experiment.live import Cancelled, LiveComparer
from sim.scenario import load_scenario, scenario_diff
from sim.scenario.planner import (
    REFERENCE_HOUSEHOLDS,
    SCALE_TASKS,
    Case,
    input_values,
    lever_info,
    read_case_base,
    scenarios,
    toml_text,
)

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
SHORT = {"days": 60}


@pytest.fixture(scope="module")
def comparer():
    lc = LiveComparer("processes", 2)
    lc.start()
    yield lc
    lc.close()


def test_before_takes_the_levers_of_the_file_that_extends_it():
    base = read_case_base(BEFORE)
    names = [x["name"] for x in lever_info(base)]
    assert "red_property" in names and len(names) >= 10
    assert base["scenario"]["name"] == "Bozhou before"
    info = {x["name"]: x for x in lever_info(base)}["fewer_meetings"]
    assert info["description_zh"] and info["source"].startswith("article")
    # with every lever off, the case is the before scenario itself (plus the lever tables)
    b, _ = scenarios(Case(BEFORE, {}, ()), base)
    diff = scenario_diff(b, load_scenario(BEFORE))
    assert diff and all(p.startswith("levers.") for p, _, _ in diff)


def test_an_input_set_by_a_lever_edits_the_lever():
    base = read_case_base(BEFORE)
    values = input_values(base)
    assert values["volunteer_teams"] == (1, "red_property")
    assert values["workers"] == (8, None)
    b, r = scenarios(Case(BEFORE, {"volunteer_teams": 3, "workers": 10}, ("red_property",)), base)
    assert (b.volunteers.teams, r.volunteers.teams) == (0, 3)   # before the reform: no team
    assert b.office.workers == r.office.workers == 10


def test_households_scale_the_resident_work_and_the_levers_on_it():
    base = read_case_base(BEFORE)
    lev = ("refocus_on_residents",)
    b1, r1 = scenarios(Case(BEFORE, {}, lev), base)
    b2, r2 = scenarios(Case(BEFORE, {"households": 2 * REFERENCE_HOUSEHOLDS}, lev), base)
    assert b2.task("core_home_visits").arrivals.rate_value == pytest.approx(
        2 * b1.task("core_home_visits").arrivals.rate_value)
    assert r2.task("core_home_visits").arrivals.rate_value == pytest.approx(
        2 * r1.task("core_home_visits").arrivals.rate_value)
    # department work does not grow with residents
    assert b2.task("report_monthly") == b1.task("report_monthly")


def test_an_input_the_planner_sets_is_no_longer_uncertain():
    from sim.scenario.planner import held_uncertainties
    from sim.scenario.uncertainty import declared

    base = read_case_base(BEFORE)
    lev = ("red_property",)
    # the file's own values: every declared uncertainty stays
    assert held_uncertainties(Case(BEFORE, {"volunteer_turnout": 0.595, "days": 60}, lev), base) == []
    # a turnout outside the declared range 0.477-0.6 is the planner's choice: accepted, and
    # that uncertainty is left out (an ensemble holds it at the planner's value)
    case = Case(BEFORE, {"volunteer_turnout": 0.3, "unlisted_adhoc": 3.0}, lev)
    _b, r = scenarios(case, base)
    assert r.volunteers.turnout == 0.3
    assert set(held_uncertainties(case, base)) == {"volunteer_turnout", "unlisted_volume"}
    assert "volunteer_turnout" not in declared(r) and "meeting_cut" in declared(r)


def test_scaling_constants_are_those_of_the_city_scenario():
    import tomllib

    city = tomllib.loads((ROOT / "scenarios" / "bozhou_city.toml").read_text(encoding="utf-8"))
    assert city["communities"]["reference_households"] == REFERENCE_HOUSEHOLDS
    assert tuple(city["communities"]["scale_tasks"]) == SCALE_TASKS


@pytest.mark.parametrize("values, field", [({"workers": 0}, "workers"),
                                           ({"managed_share": 1.5}, "managed_share"),
                                           ({"workers": "many"}, "workers")])
def test_bad_inputs_are_one_line_naming_the_input(values, field):
    with pytest.raises(ScenarioError) as exc:
        scenarios(Case(BEFORE, values, ()))
    msg = str(exc.value)
    assert "\n" not in msg and f"app input {field}" in msg


def test_downloaded_toml_reruns_to_the_same_numbers(tmp_path):
    case = Case(BEFORE, dict(SHORT, workers=9), ("fewer_meetings", "red_property"))
    b, r = scenarios(case)
    path = tmp_path / "my_community.toml"
    path.write_text(toml_text(case, 3, 7), encoding="utf-8")
    lb = load_scenario(f"{path}#-fewer_meetings,-red_property")
    lr = load_scenario(path)
    # only names, description and the replications written into the file differ
    assert {p for p, _, _ in scenario_diff(lb, b)} <= {"scenario.name", "scenario.name_zh",
                                                      "scenario.description", "scenario.replications",
                                                      "scenario.seed"}
    assert {p for p, _, _ in scenario_diff(lr, r)} <= {"scenario.name", "scenario.name_zh",
                                                      "scenario.replications", "scenario.seed"}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    head = path.read_text(encoding="utf-8").splitlines()[2].lstrip("# ").split()
    assert head[:2] == ["sim", "compare"]
    p = subprocess.run([sys.executable, "-m", "sim", *head[1:], "--json", "--no-progress"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    import json

    got = json.loads(p.stdout)["differences"][0]["metrics"]
    ref = compare([b, r], replications=3, seed=7).differences.set_index("metric")
    for m in ("admin_hours_share", "overtime_hours_per_worker_year", "problems_resolved"):
        assert got[m]["mean"] == ref.at[m, "diff_mean"]   # same replications: bit for bit


def test_live_compare_equals_compare_and_caches(comparer):
    b, r = scenarios(Case(BEFORE, SHORT, ("fewer_meetings",)))
    seen = []
    got = comparer.compare([b, r], 4, 3, on_progress=lambda d, t: seen.append((d, t)))
    ref = compare([b, r], replications=4, seed=3)
    assert np.array_equal(got.differences["diff_mean"].to_numpy(),
                          ref.differences["diff_mean"].to_numpy(), equal_nan=True)
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    assert comparer.cached([b, r], 4, 3)
    n_cached = len(comparer.store)
    seen.clear()
    again = comparer.compare([b, r], 4, 3, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(8, 8)] and len(comparer.store) == n_cached   # nothing ran again
    assert again.differences.equals(got.differences)


def test_live_compare_cancels(comparer):
    b, r = scenarios(Case(BEFORE, {"days": 90, "workers": 7}, ("fewer_stamps",)))
    stop = threading.Event()

    def progress(done, total):
        if done >= 1:
            stop.set()

    with pytest.raises(Cancelled):
        comparer.compare([b, r], 12, 1, on_progress=progress, cancel=stop)
    assert not comparer.cached([b, r], 12, 1)
    # the pool is still usable afterwards
    assert comparer.compare([b, r], 2, 1).replications == 2


def test_controller_keeps_the_last_answer_when_a_case_is_rejected(comparer):
    from sim.app.controller import Controller

    c = Controller(str(ROOT / "scenarios"), comparer, replications=6)
    c.request("bozhou_before.toml", Case("bozhou_before.toml", SHORT, ("fewer_plaques",)), wait=True)
    s = c.snapshot()
    assert s.status == "done" and s.result.replications == 6 and not s.provisional
    c.request("bozhou_before.toml", Case("bozhou_before.toml", dict(SHORT, workers=-1), ()), wait=True)
    s2 = c.snapshot()
    assert s2.status == "failed" and "workers" in s2.errors and s2.result is s.result
    with pytest.raises(Exception, match="not a scenario of the app's folder"):
        c.path("../pyproject.toml")


def test_controller_runs_in_the_background_first_answer_provisional(comparer):
    from sim.app.controller import FIRST, Controller

    versions = []
    c = Controller(str(ROOT / "scenarios"), comparer, replications=FIRST + 3,
                   render=[("cards", lambda res, prov, total, rob: versions.append((res.replications, prov)))])
    t0 = time.perf_counter()
    c.request("bozhou_before.toml", Case("bozhou_before.toml", {"days": 45}, ("fewer_stamps",)))
    assert time.perf_counter() - t0 < 1.0   # returns at once: the run is in a thread
    deadline = time.monotonic() + 120
    while c.snapshot().status != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert versions == [(FIRST, True), (FIRST + 3, False)]


def test_query_round_trip():
    from sim.app.controller import case_from_query, query_of

    case = Case("bozhou_before.toml", {"workers": 9, "managed_share": 0.35,
                                       "secretary_extra": True}, ("red_property", "fewer_stamps"))
    q = query_of("bozhou_before.toml", case, "zh")
    name, back, errors = case_from_query(q, ["bozhou_before.toml"], "bozhou_before.toml")
    assert name == "bozhou_before.toml" and errors == {}
    assert back.values == case.values and back.levers == case.levers
    name, _, errors = case_from_query({"file": "../../etc/passwd", "workers": "x"},
                                      ["bozhou_before.toml"], "bozhou_before.toml")
    assert name == "bozhou_before.toml" and set(errors) == {"file", "workers"}


@pytest.mark.parametrize("args, words", [(["--port", "70000"], "--port"),
                                         (["--scenarios", "no/such/dir"], "--scenarios"),
                                         (["--worlds", "65"], "--worlds"),
                                         (["--world-replications", "1"], "--world-replications")])
def test_sim_app_bad_options_are_one_line(args, words):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "sim", "app", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_lever_settings_are_checked():
    with pytest.raises(ScenarioError, match="YYYY-MM-DD") as exc:
        scenarios(Case(BEFORE, {}, ("red_property",), {("red_property", "from"): "soon"}))
    assert "\n" not in str(exc.value)
    with pytest.raises(ScenarioError, match="no such lever setting"):
        scenarios(Case(BEFORE, {}, (), {("red_property", "colour"): 1}))


# ------------------------------------------------------------------ "How sure are we" (ensembles)
LEVERS = ("fewer_meetings", "red_property", "admission_list")


def _bands(html: str) -> dict[str, dict[str, float]]:
    """The robustness band of every card, from its data attributes (repr of the floats)."""
    import re

    out = {}
    for m, body in re.findall(r'<div class="card" data-metric="(\w+)"(.*?)</div></div></div>', html):
        got = re.search(r'data-band-median="([^"]+)" data-band-p05="([^"]+)" data-band-p95="([^"]+)" '
                        r'data-worlds="(\d+)" data-worlds-up="(\d+)" data-worlds-down="(\d+)"', body)
        if got:
            med, lo, hi, n, up, down = got.groups()
            out[m] = {"median": float(med), "p05": float(lo), "p95": float(hi), "worlds": int(n),
                      "up": int(up), "down": int(down)}
    return out


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _bands_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_same(a[m][k], b[m][k]) for m in a for k in a[m])


def test_ensemble_band_on_the_cards_is_sim_explore_of_the_same_pair(comparer):
    from sim.analysis.explore import explore
    from sim.app.controller import Controller
    from sim.app.render import card_metrics, cards_html, parts

    name = "bozhou_before.toml"
    # the planner's own settings: 9 workers, 4000 households, turnout 0.3 (outside the declared
    # range 0.477-0.6: the planner fixed it, so it is held, not sampled)
    case = Case(name, dict(SHORT, workers=9, households=4000, volunteer_turnout=0.3), LEVERS)
    c = Controller(str(ROOT / "scenarios"), comparer, replications=4, render=parts("en"),
                   worlds=4, world_replications=2)
    c.request(name, case, wait=True)
    before = c.snapshot()
    assert before.status == "done" and before.ens_reason == "" and before.ensemble is None
    assert "data-band-median" not in before.rendered["cards"]   # off until asked
    c.request_ensemble(name, case, wait=True)
    s = c.snapshot()
    assert s.ens_status == "done", s.ens_error
    assert s.ens_done == s.ens_total > 0
    bands = _bands(s.rendered["cards"])
    assert set(bands) == set(card_metrics())
    # what `sim explore` computes for the same pair of scenarios (the planner's settings as the
    # base of every world), seed and worlds, serially: the same simulations, so the same floats
    pair = scenarios(replace(case, file=BEFORE), read_case_base(BEFORE))
    ref = explore(list(pair), samples=4, replications=2, seed=c.seed_of(name), discover=[])
    for m, band in bands.items():
        h = ref.headline[m]
        assert _same(band["median"], h["effect_median"]), m
        assert _same(band["p05"], h["effect_p05"]) and _same(band["p95"], h["effect_p95"]), m
        assert (band["worlds"], band["up"], band["down"]) == (4, h["worlds_up"], h["worlds_down"])
    # every world keeps the planner's workers and households; turnout is held, not sampled
    assert {f.name for f in s.ensemble.ensemble.factors} == {f.name for f in ref.factors}
    assert "volunteer_turnout" not in {f.name for f in ref.factors}
    assert s.ensemble.held == ("volunteer_turnout",)
    note = s.rendered["cards"]
    assert "Held at your values (not sampled): volunteer_turnout" in note
    # each sampled uncertainty in words (its description, without the parenthesised detail)
    assert "beyond the replication noise" in note
    assert "Share of department and secretary meetings left after the cut 0.333–0.7" in note
    # in Chinese: the same band, the verdict share in words
    zh = cards_html(s.result, "zh", False, 4, s.ensemble.ensemble, list(s.ensemble.held))
    assert _bands_equal(_bands(zh), bands)
    for m in bands:
        up, down = ref.headline[m]["worlds_up"], ref.headline[m]["worlds_down"]
        words = ("4 个抽样情景中均无明显变化" if up == down == 0 else
                 f"在 4 个抽样情景中有 {max(up, down)} 个{'上升' if up >= down else '下降'}")
        assert words in zh, m
    assert "按你的设置固定(未抽样): volunteer_turnout" in zh
    assert "压减后保留的部门会议和书记会议比例 0.333–0.7" in zh and "meeting_cut" not in zh
    # going away and back: the kept ensemble comes back with the answer, nothing runs again
    other = replace(case, levers=("fewer_meetings",))
    c.request(name, other, wait=True)
    assert c.snapshot().ensemble is None
    n_kept = len(comparer.studies)
    t0 = time.perf_counter()
    c.request(name, case, wait=True)
    back = c.snapshot()
    assert back.ensemble is not None and len(comparer.studies) == n_kept
    assert _bands_equal(_bands(back.rendered["cards"]), bands)
    assert time.perf_counter() - t0 < 30   # no simulation: only the cards and figures drawn


def test_an_ensemble_cancels_and_a_new_setting_cancels_it(comparer):
    from sim.app.controller import Controller
    from sim.app.render import parts

    name = "bozhou_before.toml"
    case = Case(name, {"days": 90, "workers": 6}, ("fewer_stamps", "red_property"))
    c = Controller(str(ROOT / "scenarios"), comparer, replications=2, render=parts("en"),
                   worlds=8, world_replications=3)
    c.request(name, case, wait=True)

    def wait_for(cond, what):
        deadline = time.monotonic() + 120
        while not cond(c.snapshot()):
            assert time.monotonic() < deadline, what
            time.sleep(0.02)

    kept = len(comparer.studies)
    c.request_ensemble(name, case)             # in the background
    wait_for(lambda s: s.ens_done >= 1, "no progress")
    c.cancel_ensemble()                        # the Cancel button
    wait_for(lambda s: s.ens_status != "running", "not stopped")
    s = c.snapshot()
    assert s.ens_status == "cancelled" and s.ens_done < s.ens_total and s.ensemble is None
    time.sleep(0.5)                            # the thread has given the evaluator back
    assert len(comparer.studies) == kept       # nothing kept for a cancelled ensemble
    # a changed setting cancels a running ensemble: it belonged to the settings before
    c.request_ensemble(name, case)
    wait_for(lambda s: s.ens_done >= 1, "no progress")
    c.request(name, replace(case, values={"days": 90, "workers": 7}), wait=True)
    s = c.snapshot()
    assert s.ens_status == "idle" and s.ensemble is None and s.status == "done"
    assert len(comparer.studies) == kept


def _folder_with(tmp_path: Path, uncertainties: dict | None) -> str:
    """A scenario folder holding one file: the Bozhou case (60 days) with ``uncertainties``."""
    import tomllib

    import tomli_w

    data = tomllib.loads(toml_text(Case(BEFORE, SHORT, ()), 2, 1))
    data.pop("uncertainties", None)
    if uncertainties:
        data["uncertainties"] = uncertainties
    (tmp_path / "mine.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    return str(tmp_path)


def test_no_uncertainties_disable_the_ensemble(comparer, tmp_path):
    from sim.app.controller import Controller

    c = Controller(_folder_with(tmp_path, None), comparer, replications=2)
    case = Case("mine.toml", {}, ("fewer_meetings",))
    c.request("mine.toml", case, wait=True)
    assert c.snapshot().ens_reason == "none"
    c.request_ensemble("mine.toml", case, wait=True)
    s = c.snapshot()
    assert s.ens_status == "idle" and s.ensemble is None and s.status == "done"


def _settle(c, cond, timeout=120):
    deadline = time.monotonic() + timeout
    while not cond(c.snapshot()):
        assert time.monotonic() < deadline, c.snapshot()
        time.sleep(0.05)


def test_a_failed_ensemble_is_one_line_and_keeps_the_answer(comparer, tmp_path):
    pytest.importorskip("panel")
    from sim.app.controller import Controller
    from sim.app.render import parts
    from sim.app.view import PlannerPage

    # a declared range that passes the declaration's check but reaches past the field's limit:
    # some sampled world is an impossible scenario, so the ensemble fails
    bad = {"estates": {"paths": ["problems.managed_estate_share"], "low": 0.1, "high": 1.5,
                       "source": "estimate: a range past the field's limit (test)"}}
    c = Controller(_folder_with(tmp_path, bad), comparer, replications=2, render=parts("en"),
                   worlds=6, world_replications=2)
    page = PlannerPage(c, "en", {"levers": "fewer_meetings"}, poll=False)   # the page, no browser
    # the answer and all its parts (the figures are drawn after the cards)
    _settle(c, lambda s: s.status == "done" and "figures" in (s.rendered or {}))
    page.poll()
    s = c.snapshot()
    assert s.ens_reason == "" and not page.ens_button.disabled
    cards = page.cards.object
    assert 'id="cards"' in cards
    page.ens_button.clicks += 1                # press "How sure are we?"
    _settle(c, lambda s: s.ens_status not in ("idle", "running"))
    page.poll()
    f = c.snapshot()
    assert f.ens_status == "failed"
    assert "\n" not in f.ens_error and "Traceback" not in f.ens_error
    assert "problems.managed_estate_share" in f.ens_error and "out of range" in f.ens_error
    assert f.result is s.result and f.status == "done" and f.errors == {}
    # next to the button: the one line; the answer on the page as it was
    shown = page.ens_status.object
    assert "Could not run the worlds: InputError: " in shown and "out of range" in shown
    assert "Traceback" not in shown and 'class="field-error"' in shown
    assert page.cards.object == cards and page.error.object == ""


# ------------------------------------------------------------------ Dask
def test_the_app_on_a_dask_cluster_gives_the_processes_numbers(comparer):
    """The controller on a real dask.distributed LocalCluster (scheduler and one worker process
    on 127.0.0.1, reached by its address as ``sim app --executor dask --scheduler`` does):
    the finished answer equals the process pool's, bit for bit (same jobs, same seeds)."""
    pytest.importorskip("distributed")
    import logging

    from distributed import LocalCluster

    from sim.app.controller import Controller
    from sim.app.render import parts
    from sim.evaluate import NO_DASHBOARD

    name = "bozhou_before.toml"
    case = Case(name, dict(SHORT, workers=7), ("fewer_stamps", "red_property"))
    local = Controller(str(ROOT / "scenarios"), comparer, replications=6, render=parts("en"))
    local.request(name, case, wait=True)
    want = local.snapshot()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, scheduler_kwargs=NO_DASHBOARD,
                      silence_logs=logging.CRITICAL, protocol="tcp://") as cluster:
        dask = LiveComparer("dask", scheduler=cluster.scheduler_address)
        try:
            dask.start()
            c = Controller(str(ROOT / "scenarios"), dask, replications=6, render=parts("en"))
            c.request(name, case, wait=True)
            got = c.snapshot()
        finally:
            dask.close()
    assert got.status == "done" and not got.provisional and got.result.replications == 6
    assert got.result.differences.equals(want.result.differences)
    assert got.rendered["cards"] == want.rendered["cards"]
    assert len(dask.store) == 12   # every replication ran on the cluster
