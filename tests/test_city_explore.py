"""``sim explore CITY.toml#none CITY.toml``: the city before and after in sampled worlds.

Real simulations of a tiny city written here (4 communities of the Bozhou scenarios, 30
days): every world's city and household-tercile effects are checked against an independent
``sim compare`` of the two cities with the uncertainties fixed at that world's values (its
own loading, runs and grouping), the JSON shape, bad input, and a run killed with SIGKILL
against an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.city_compare import compare_cities
from sim.analysis.city_explore import explore_cities, load_pair
from sim.errors import InputError, ScenarioError
from sim.metrics import HEADLINE

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
ONLY = ["copies_before", "unlisted_volume"]      # declared by bozhou_before.toml: both cities
KEYS = {"effect_median", "effect_p05", "effect_p95", "share_better", "share_worse",
        "share_unclear"}


def city_text(count: int = 4) -> str:
    return f"""
[city]
name = "Tiny city"
community = "{SC / 'bozhou_after.toml'}"
before = "{SC / 'bozhou_before.toml'}"
start_date = 2019-03-01
days = 30
seed = 7
replications = 2

[communities]
count = {count}
draw_seed = 3
households = {{ dist = "triangular", low = 1000, mode = 2000, high = 5000 }}
managed_estate_share = {{ dist = "triangular", low = 0.2, mode = 0.5, high = 0.8 }}
reference_households = 3000
scale_tasks = ["problem_*", "core_walk_in", "core_home_visits", "certificate"]
min_workers = 5
volunteer_teams = 2

[communities.without_team]
"tasks.volunteer_coordination.enabled" = false
"""


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    d = tmp_path_factory.mktemp("city")
    (d / "tiny_city.toml").write_text(city_text(4))
    (d / "other_city.toml").write_text(city_text(3))
    return str(d / "tiny_city.toml")


@pytest.fixture(scope="module")
def ensemble(city):
    return explore_cities([city + "#none", city], samples=3, replications=2, seed=5,
                          only=ONLY, progress=False)


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("w", [0, 2])
def test_each_world_is_the_city_comparison_of_that_world(city, ensemble, w):
    world = ensemble.runs.worlds[w]
    fixed = {f"uncertainties.{k}.value": v for k, v in world.items()}
    ref = compare_cities([city + "#none", city], replications=2, seed=5, overrides=fixed,
                         adjust="none", progress=False)
    # the same simulations summed in another order (city figures) or averaged alike (groups):
    # equal to rounding of a few dozen additions
    tol = {"rel": 1e-9, "abs": 1e-9}
    checked = 0
    for m in HEADLINE:
        if m not in ensemble.headline or m not in ref.differences:
            continue
        row = ensemble.effects(m).iloc[w]
        want = ref.differences[m]
        if np.isfinite(want["mean"]):
            assert row["diff_mean"] == pytest.approx(want["mean"], **tol), m
            assert [row["ci_low"], row["ci_high"]] == pytest.approx(want["ci95"], **tol), m
            assert row["verdict"] == want["verdict"], m
            checked += 1
    assert checked >= 5
    assert list(ensemble.by_size) == list(ref.by_size)
    for g, part in ensemble.by_size.items():
        assert part["communities"] == ref.by_size[g]["communities"]
        assert part["households"] == ref.by_size[g]["households"]
        pw = part["per_world"]
        for m, want in ref.by_size[g]["metrics"].items():
            row = pw[(pw["world"] == w) & (pw["metric"] == m)].iloc[0]
            if np.isfinite(want["mean"]):
                assert row["diff_mean"] == pytest.approx(want["mean"], **tol), (g, m)
                if np.isfinite(want["ci95"][0]):
                    assert [row["ci_low"], row["ci_high"]] == pytest.approx(want["ci95"], **tol)
                checked += 1
    assert checked > 20


def test_worlds_differ_and_reuse_what_they_share(ensemble):
    # the uncertainties move the administration share of the city before (copies of reports)
    d = ensemble.effects("admin_hours_share")["diff_mean"].to_numpy(float)
    assert len(set(np.round(d, 12))) == 3
    assert ensemble.runs.simulations <= 3 * 2 * 2 * 4


def test_json_shape(ensemble):
    js = ensemble.to_json()
    json.dumps(js, allow_nan=False)
    assert js["worlds"] == 3 and js["replications"] == 2
    assert {"worlds", "replications", "metrics", "boxes", "by_size"} <= set(js)
    for m in ("admin_hours_share", "overtime_hours_per_worker_year"):
        assert KEYS <= set(js["metrics"][m])
        h = js["metrics"][m]
        assert h["share_better"] + h["share_worse"] + h["share_unclear"] == pytest.approx(1.0)
    assert set(js["by_size"]) == {"small", "middle", "large"}
    assert sum(g["communities"] for g in js["by_size"].values()) == 4
    for g in js["by_size"].values():
        assert KEYS <= set(g["metrics"]["utilization"])
        assert g["households"][0] <= g["households"][1]
    assert js["city"]["communities"] == 4 and js["city"]["days"] == 30


def test_subsample_keeps_the_first_communities_and_the_share_of_teams():
    full = str(SC / "bozhou_city.toml")
    a, b = load_pair([full + "#none", full], {"city.days": 10}, communities=6)
    from sim.city import load_city

    ref = load_city(full, {"city.days": 10})
    assert [c.id for c in b.communities] == [c.id for c in ref.communities[:6]]
    assert [c.households for c in b.communities] == [c.households for c in ref.communities[:6]]
    assert sum(c.volunteer_teams for c in b.communities) == round(48 * 6 / 60)
    assert sum(c.volunteer_teams for c in a.communities) == 0
    with pytest.raises(InputError, match="--communities"):
        load_pair([full + "#none", full], communities=61)


def test_stale_message_names_compare_and_explore(city):
    from sim.scenario import load_scenario

    with pytest.raises(ScenarioError) as err:
        load_scenario(city)
    assert "sim compare" in str(err.value) and "sim explore" in str(err.value)


@pytest.mark.parametrize("files, extra, words", [
    (["#none", str(SC / "bozhou_after.toml")], [], "mixes a city file and a community"),
    (["#none", "other"], [], "has other communities"),
    (["#none", ""], ["--only", "turnuot"], "no declared uncertainty 'turnuot'"),
    (["#none", ""], ["--communities", "9"], "--communities"),
    (["#none", ""], ["--replications", "1"], "--replications"),
])
def test_bad_input_is_one_line_exit_2_before_running(city, tmp_path, files, extra, words):
    other = city.replace("tiny_city", "other_city")
    names = [city + files[0], {"": city, "other": other}.get(files[1], files[1])]
    out = tmp_path / "bad"
    r = run_cli("explore", *names, "--samples", "2", *extra, "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert not (out / "sims").exists() and not (out / "manifest.json").exists()


def test_sigkill_then_resume_gives_identical_results(city, tmp_path):
    common = ["--samples", "6", "--replications", "2", "--only", ",".join(ONLY), "--seed", "2",
              "--quiet"]
    ref = tmp_path / "ref"
    r = run_cli("explore", city + "#none", city, *common, "--out", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert "estimated" in r.stderr.splitlines()[0]             # said before the work
    js = json.loads(r.stdout)
    assert set(js["by_size"]) == {"small", "middle", "large"}
    total = len(list((ref / "sims").glob("*.json")))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "explore", city + "#none", city,
                             *common, "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    sims = out / "sims"
    try:
        deadline = time.monotonic() + 120
        n = 0
        while time.monotonic() < deadline and proc.poll() is None:
            n = len(list(sims.glob("*.json"))) if sims.is_dir() else 0
            if n >= 12:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"explore ended before it could be killed: {n} simulations"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    done = len(list(sims.glob("*.json")))
    assert 12 <= done < total
    (out / ".lock").unlink(missing_ok=True)   # a lock of a dead process is stale anyway
    r = run_cli("explore", city + "#none", city, "--resume", out, "--quiet", "--json")
    assert r.returncode == 0, r.stderr
    assert f"({done} already done)" in r.stderr
    assert json.loads(r.stdout) == js
    for name in ("result.json", "worlds.csv", "by_size.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert (out / "effects_by_size.png").exists()


def test_report_section_by_size_in_both_languages(ensemble, tmp_path):
    """"How sure are we" of a city ensemble: the size groups' tables and figure, the same
    words from the object and from its directory, English sentences as the ensemble wrote
    them, Chinese ones in Chinese."""
    import html
    import re

    from sim.analysis.explore import read_explore
    from sim.report.robustness import robustness_section

    def words(ens, lang):
        body = re.sub(r"<svg.*?</svg>", " ", robustness_section(ens, lang)[2], flags=re.S)
        return html.unescape(re.sub(r"<[^>]+>", "\n", body))

    ensemble.write(tmp_path / "ens")
    saved = read_explore(tmp_path / "ens")
    assert set(saved.by_size) == set(ensemble.by_size)
    for lang in ("en", "zh"):
        assert words(saved, lang) == words(ensemble, lang)
    en, zh = words(ensemble, "en"), words(ensemble, "zh")
    page = robustness_section(ensemble, "en")[2]
    assert 'id="fig-robustness-size"' in page and "By community size" in en
    for g, part in ensemble.by_size.items():
        assert f"{g} communities ({part['communities']}," in en
        for m, h in part["headline"].items():
            if m in HEADLINE:
                assert h["sentence"] in en and h["sentence"] not in zh
    assert "小型社区" in zh and "按社区规模" in zh and "30 天合计" in zh


def test_city_compare_fixes_uncertainties_with_uncertain(city):
    """``sim compare CITY#none CITY --uncertain NAME=X`` (once ignored for cities) is the
    same as setting the declared value in both cities; an unknown name is bad input."""
    base = ["compare", city + "#none", city, "--replications", "2", "--json", "--quiet"]
    r1 = run_cli(*base, "--uncertain", "copies_before=3")
    r2 = run_cli(*base, "--set", "uncertainties.copies_before.value=3")
    r0 = run_cli(*base)
    assert r1.returncode == r2.returncode == r0.returncode == 0, r1.stderr + r2.stderr
    d1, d2, d0 = (json.loads(r.stdout)["differences"] for r in (r1, r2, r0))
    assert d1 == d2
    assert d1["admin_hours_share"]["mean"] != d0["admin_hours_share"]["mean"]
    r = run_cli(*base, "--uncertain", "copies_befor=2")
    assert r.returncode == 2 and "did you mean 'copies_before'" in r.stderr
    assert r.stderr.count("\n") == 1


def test_discovery_runs_on_the_city_effect(city, tmp_path):
    """Scenario discovery counts its cases on the city-level effect of each world."""
    kw = {"samples": 12, "replications": 2, "seed": 3, "only": ONLY, "progress": False,
          "out": tmp_path / "ens"}
    first = explore_cities([city + "#none", city], **kw)
    d = first.effects("admin_hours_share")["diff_mean"].to_numpy(float)
    thr = float(f"{np.median(d):.6g}")          # as the condition prints it
    again = explore_cities([city + "#none", city], discover=[f"admin_hours_share > {thr}"],
                           **kw)                  # every simulation from the store
    assert again.runs.ran == 0
    boxes = [b for b in again.boxes if b["metric"] == "admin_hours_share"]
    assert boxes and all(b["condition"].startswith("admin_hours_share >") for b in boxes)
    for b in boxes:
        assert b["worlds"] == 12 and b["cases"] == int((d > thr).sum())


def test_processes_give_the_same_ensemble(city, ensemble):
    """Worker processes rebuild each community from plain data: the same numbers."""
    par = explore_cities([city + "#none", city], samples=3, replications=2, seed=5, only=ONLY,
                         progress=False, executor="processes", workers=2)
    assert par.per_world.equals(ensemble.per_world)
    for g in ensemble.by_size:
        assert par.by_size[g]["per_world"].equals(ensemble.by_size[g]["per_world"])
