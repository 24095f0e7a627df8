"""sim sensitivity: SALib's Morris and Sobol' on known functions, then on real simulations.

Known functions: for a linear function every Morris elementary effect is its coefficient, so
mu* is exact; for an additive function of independent uniform inputs the Sobol' indices are
known in closed form (S1 = ST = a_i^2 / sum a_j^2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.factors import Factor
from sim.analysis.sensitivity import morris_design, morris_indices, sobol_design, sobol_indices

pytest.importorskip("SALib")

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"


def test_morris_mu_star_of_a_linear_function_is_its_coefficients():
    a = np.array([1.0, 5.0, 0.0, -2.0])
    x = morris_design(4, trajectories=6, seed=3)
    mo = morris_indices(x, x @ a, ["a", "b", "c", "d"], seed=3)
    for name, coef in zip("abcd", a, strict=True):
        assert mo[name]["mu_star"] == pytest.approx(abs(coef), abs=1e-9)
        assert mo[name]["sigma"] == pytest.approx(0.0, abs=1e-9)    # no interaction


def test_sobol_indices_of_an_additive_function():
    a = np.array([1.0, 2.0, 3.0, 0.0])
    # mapped through the factors' own inverse CDF, as sim sensitivity does
    facs = [Factor(n, (n,), -1.0, 1.0) for n in "abcd"]
    u = sobol_design(4, samples=1024, seed=5)
    x = np.array([[f.value(float(v)) for f, v in zip(facs, row, strict=True)] for row in u])
    so = sobol_indices(x @ a, list("abcd"), seed=5)
    truth = a ** 2 / np.sum(a ** 2)
    for name, s in zip("abcd", truth, strict=True):
        # SALib's *_conf is the bootstrap 95 % half-width (1.96 standard errors); three of them
        # (about 6 standard errors) bound the estimator's error except with negligible chance
        for key in ("S1", "ST"):
            tol = 3.0 * so[name][f"{key}_conf"]
            assert abs(so[name][key] - s) <= tol, (name, key, so[name][key], s, tol)
    assert so["c"]["S1"] > so["b"]["S1"] > so["a"]["S1"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


COMMON = ["--set", "scenario.days=20", "--vary", "tasks.job.arrivals.per_hour=7.0:9.5",
          "--vary", "scenario.replications=2:50", "--replications", "2", "--quiet"]


def test_morris_on_simulations_finds_the_factor_that_matters(tmp_path):
    """scenario.replications changes the scenario's content hash but not one random number
    or result of a replication: with common random numbers its elementary effects are 0."""
    r = run_cli("sensitivity", MMC, *COMMON, "--trajectories", "3", "--metric",
                "wait_hours_mean", "--json", "--out", tmp_path / "s")
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    mo = js["metrics"]["wait_hours_mean"]["morris"]
    assert mo["scenario.replications"]["mu_star"] == 0.0
    assert mo["tasks.job.arrivals.per_hour"]["mu_star"] > 0.1
    assert js["top"][0] == "tasks.job.arrivals.per_hour"
    assert (tmp_path / "s" / "tornado_wait_hours_mean.png").stat().st_size > 0


def test_sobol_of_a_difference_on_simulations(tmp_path):
    reform = tmp_path / "more.toml"
    reform.write_text(f'extends = "{MMC}"\n[office]\nworkers = 11\n')
    r = run_cli("sensitivity", MMC, reform, *COMMON, "--method", "sobol", "--samples", "8",
                "--top", "2", "--trajectories", "2", "--metric", "wait_hours_mean", "--json")
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert js["of_difference"] and js["method"] == "sobol"
    so = js["metrics"]["wait_hours_mean"]["sobol"]
    assert set(so) == {"tasks.job.arrivals.per_hour", "scenario.replications"}
    assert so["scenario.replications"]["ST"] == pytest.approx(0.0, abs=1e-12)
    assert so["tasks.job.arrivals.per_hour"]["ST"] > 0.5


@pytest.mark.parametrize("extra, words", [
    (["--method", "sobol", "--samples", "10"], "power of 2"),
    (["--trajectories", "1"], "--trajectories"),
    (["--metric", "wait_hours_man"], "did you mean 'wait_hours_mean'"),
    (["--top", "0"], "--top"),
])
def test_bad_input_exit_2_before_running(tmp_path, extra, words):
    out = tmp_path / "bad"
    r = run_cli("sensitivity", MMC, *COMMON, *extra, "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert not (out / "sims").exists()


def test_three_scenarios_and_no_factor_are_bad_input():
    r = run_cli("sensitivity", MMC, MMC, MMC, "--vary", "scenario.days=10:20")
    assert r.returncode == 2 and "one or two" in r.stderr
    r = run_cli("sensitivity", MMC)
    assert r.returncode == 2 and "no uncertainty to analyse" in r.stderr
