"""sim explore: sampled worlds, the paired ensemble on the evaluator, its headline, CLI, resume.

Real simulations throughout, on a small M/M/c pair (10 vs 11 servers, 20 days): every world's
effect is checked against an independent ``compare`` of that world, the executors against
each other, and a run killed with SIGKILL against an uninterrupted one.
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
from scipy import stats

from sim.analysis.explore import explore
from sim.analysis.factors import Factor, sample_unit, worlds
from sim.experiment import compare

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"
VARY = ["tasks.job.arrivals.per_hour=7.0:9.5"]
SETS = ["scenario.days=20"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("pair")
    reform = d / "more.toml"
    reform.write_text(f'extends = "{MMC}"\n[scenario]\nname = "M/M/11"\n[office]\nworkers = 11\n')
    return [str(MMC), str(reform)]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


# -- factors and designs -----------------------------------------------------------------------

def test_factor_values_are_the_inverse_cdfs():
    u = np.linspace(0.0, 0.999, 37)
    tri = Factor("t", ("a",), 1.0, 5.0, "triangular", mode=2.0)
    logu = Factor("l", ("a",), 0.1, 10.0, "loguniform")
    uni = Factor("u", ("a",), -2.0, 3.0)
    # the closed forms against scipy's own quantile functions (rounding only)
    assert np.allclose([tri.value(x) for x in u], stats.triang.ppf(u, 0.25, loc=1.0, scale=4.0),
                       atol=1e-12)
    assert np.allclose([logu.value(x) for x in u], stats.loguniform.ppf(u, 0.1, 10.0), rtol=1e-12)
    assert np.allclose([uni.value(x) for x in u], stats.uniform.ppf(u, -2.0, 5.0), atol=1e-12)
    ints = Factor("i", ("a",), 2, 5, "integer")
    got = [ints.value(x) for x in (np.arange(4000) + 0.5) / 4000]
    assert sorted(set(got)) == [2, 3, 4, 5] and all(isinstance(v, int) for v in got)
    assert np.bincount(got)[2:].tolist() == [1000] * 4      # equal quarters of [0, 1)


def test_designs_are_seeded_and_stratified():
    a = sample_unit(50, 3, "lhs", seed=7)
    assert np.array_equal(a, sample_unit(50, 3, "lhs", seed=7))
    assert not np.array_equal(a, sample_unit(50, 3, "lhs", seed=8))
    for j in range(3):   # a Latin hypercube: one point in each of the 50 strata of every axis
        assert sorted(np.floor(a[:, j] * 50).astype(int)) == list(range(50))
    s = sample_unit(64, 2, "sobol", seed=1)
    for j in range(2):   # scrambled Sobol' with n = 2^6: also one point per stratum of 1/64
        assert sorted(np.floor(s[:, j] * 64).astype(int)) == list(range(64))
    w = worlds([Factor("x", ("a",), 10, 20, "integer")], 5, "lhs", 3)
    assert [set(p) for p in w] == [{"x"}] * 5


# -- the ensemble ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ensemble(pair):
    return explore(pair, samples=6, replications=3, vary=VARY, overrides=SETS, seed=5,
                   discover=["wait_hours_mean < -0.3"])


def test_each_world_is_the_paired_comparison_of_that_world(pair, ensemble):
    """The effect in a world equals sim compare run on that world with the same seed and
    replications (common random numbers: same numbers, not just close). Each metric's verdict
    in a world answers its own question (is this metric better in this world?), so it is the
    unadjusted verdict of compare (``adjust="none"``; compare's default adjusts the headline
    family by Holm)."""
    eff = ensemble.effects("wait_hours_mean")
    for w in (0, 3):
        rate = ensemble.runs.worlds[w]["tasks.job.arrivals.per_hour"]
        c = compare(pair, replications=3, seed=5, adjust="none",
                    overrides=[*SETS, f"tasks.job.arrivals.per_hour={rate}"])
        row = c.differences[c.differences["metric"] == "wait_hours_mean"].iloc[0]
        assert eff.loc[w, "diff_mean"] == row["diff_mean"]
        assert (eff.loc[w, "ci_low"], eff.loc[w, "ci_high"]) == (row["ci_low"], row["ci_high"])
        assert eff.loc[w, "verdict"] == row["verdict"]


def test_headline_counts_the_worlds(ensemble):
    h = ensemble.headline["wait_hours_mean"]
    eff = ensemble.effects("wait_hours_mean")
    better = int((eff["verdict"] == "better").sum())
    assert h["worlds_better"] == better and h["share_better"] == better / 6
    assert h["effect_median"] == pytest.approx(np.median(eff["diff_mean"]), abs=0)
    # an 11th server shortens waits everywhere; more so under a heavier load
    assert better >= 5
    d = eff.sort_values("tasks.job.arrivals.per_hour")["diff_mean"].to_numpy()
    assert d[-1] < d[0]
    assert f"in {better} of 6 sampled worlds" in h["sentence"]
    js = ensemble.to_json()
    assert set(js) >= {"worlds", "replications", "metrics", "boxes"}
    assert set(js["metrics"]["wait_hours_mean"]) >= {"effect_median", "effect_p05",
                                                      "effect_p95", "share_better",
                                                      "share_worse", "share_unclear"}
    assert js["worlds"] == 6 and js["replications"] == 3


def test_executors_give_the_same_ensemble(pair, ensemble):
    other = explore(pair, samples=6, replications=3, vary=VARY, overrides=SETS, seed=5,
                    discover=["wait_hours_mean < -0.3"], executor="processes", workers=2)
    assert np.array_equal(other.runs.values, ensemble.runs.values, equal_nan=True)
    assert other.to_json() == ensemble.to_json()


def test_dask_cluster_gives_the_same_ensemble(pair, ensemble):
    """On a real Dask LocalCluster (scheduler and 2 worker processes on loopback)."""
    pytest.importorskip("distributed")
    other = explore(pair, samples=6, replications=3, vary=VARY, overrides=SETS, seed=5,
                    discover=["wait_hours_mean < -0.3"], executor="dask", workers=2)
    assert np.array_equal(other.runs.values, ensemble.runs.values, equal_nan=True)


# -- command line ------------------------------------------------------------------------------

def test_cli_json_and_reuse(pair, tmp_path):
    out = tmp_path / "ex"
    args = ["explore", *pair, "--samples", "4", "--replications", "2", "--vary", VARY[0],
            "--set", SETS[0], "--seed", "5", "--out", out, "--json", "--quiet"]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert js["worlds"] == 4 and js["replications"] == 2
    assert "estimated" in r.stderr                       # the estimate comes before the work
    assert len(list((out / "sims").glob("*.json"))) == 4 * 2 * 2
    r2 = run_cli("explore", *pair, "--resume", out, "--json", "--quiet")
    assert r2.returncode == 0, r2.stderr
    assert "already done" in r2.stderr
    assert json.loads(r2.stdout) == js


def test_sigkill_then_resume_gives_identical_results(pair, tmp_path):
    common = ["--samples", "24", "--replications", "3", "--vary", VARY[0], "--set", SETS[0],
              "--seed", "2", "--quiet", "--workers", "2"]
    ref = tmp_path / "ref"
    r = run_cli("explore", *pair, *common, "--out", ref)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "explore", *pair, *common, "--out",
                             str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    sims = out / "sims"
    try:
        deadline = time.monotonic() + 120
        n = 0
        while time.monotonic() < deadline and proc.poll() is None:
            n = len(list(sims.glob("*.json"))) if sims.is_dir() else 0
            if n >= 20:
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
    assert 20 <= done < 24 * 3 * 2
    (out / ".lock").unlink(missing_ok=True)   # a lock of a dead process is stale anyway
    r = run_cli("explore", *pair, "--resume", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert f"({done} already done)" in r.stderr
    assert (out / "result.json").read_bytes() == (ref / "result.json").read_bytes()
    assert (out / "worlds.csv").read_bytes() == (ref / "worlds.csv").read_bytes()


@pytest.mark.parametrize("extra, words", [
    (["--discover", "wait_hours_man worse"], "did you mean 'wait_hours_mean'"),
    (["--discover", "wait_hours_mean sideways"], "cannot read the condition"),
    (["--samples", "0"], "--samples"),
    (["--vary", "office.workers=9"], "office.workers"),
    (["--only", "turnuot"], "no declared uncertainty 'turnuot'"),
    (["--replications", "1"], "--replications"),
    (["--vary", "office.workers=12:14"], "excludes the scenario's own value 11"),
])
def test_bad_input_is_one_line_exit_2_before_running(pair, tmp_path, extra, words):
    out = tmp_path / "bad"
    r = run_cli("explore", *pair, "--vary", VARY[0], "--set", SETS[0], *extra, "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert not (out / "sims").exists() and not (out / "manifest.json").exists()


def test_no_factor_and_one_scenario_are_bad_input(pair):
    r = run_cli("explore", *pair, "--set", SETS[0])
    assert r.returncode == 2 and "no uncertainty to explore" in r.stderr
    r = run_cli("explore", pair[0], "--vary", VARY[0])
    assert r.returncode == 2 and "exactly two" in r.stderr


def test_benchmark_runs_at_a_reduced_size():
    """make bench's ensemble (200 x 10 of the Bozhou pair), here 3 worlds x 2 replications."""
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_explore.py"),
                        "--worlds", "3", "--replications", "2"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "3 worlds x 2 paired replications" in r.stdout and "ms a simulation" in r.stdout
    assert "estimated" in r.stdout          # the run-time estimate, printed before the work


def test_report_section_how_sure(pair, ensemble, tmp_path):
    """The report's "How sure are we": the same numbers as the ensemble, from the result
    object and from the directory read back."""
    from sim.analysis.explore import read_explore
    from sim.report import build_report

    ensemble.write(tmp_path / "ens")
    saved = read_explore(tmp_path / "ens")
    assert saved.sentences() == ensemble.sentences()
    comp = compare(pair, replications=2, seed=5, overrides=SETS, events=True)
    for ens in (ensemble, saved):
        html = build_report(comp, explore=ens)
        assert 'id="robustness"' in html and "How sure are we" in html
        h = ensemble.headline["utilization"]
        assert h["sentence"].replace("'", "&#x27;") in html
        assert 'id="fig-robustness"' in html and "<svg" in html
    assert 'id="robustness"' not in build_report(comp)
    r = run_cli("report", *pair, "-o", tmp_path / "r.html", "--explore", tmp_path / "nothing")
    assert r.returncode == 2 and "holds no finished sim explore" in r.stderr
