"""Things that keep the command line fast and scenarios portable.

``sim run --json`` must not import pandas, scipy.stats or the city package (they double start-up time, which
counts in every sweep job and in the engine benchmark), and a Scenario must survive pickling
(it travels to worker processes and Dask workers)."""

import json
import pickle
import subprocess
import sys

import pytest

from sim.scenario import load_scenario

CHECK = """
import io, json, sys, contextlib
from sim.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    code = main(["run", "tests/data/mmc.toml", "--replications", "2", "--json",
                 "--set", "scenario.days=5"])
out = json.loads(buf.getvalue())
print(json.dumps({"code": code, "pandas": "pandas" in sys.modules,
                  "scipy.stats": "scipy.stats" in sys.modules,
                  "sim.city": "sim.city" in sys.modules,
                  "ci": out["metrics"]["utilization"]["ci95"]}))
"""


def test_sim_run_json_imports_neither_pandas_nor_scipy_stats():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          check=True)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["code"] == 0
    assert info["pandas"] is False
    assert info["scipy.stats"] is False
    assert info["sim.city"] is False         # telling a city file apart stays cheap
    lo, hi = info["ci"]
    assert lo is not None and lo < hi          # the interval was still computed


def test_t_quantile_matches_scipy_stats():
    from scipy import stats

    from sim.stats import t_quantile

    # two independent implementations (cephes' stdtrit; stats.t.ppf via Boost), each accurate
    # to ~1e-15 relative on these well-conditioned quantiles (1.98 .. 12.7): rel 1e-10 leaves
    # five orders of magnitude, while a wrong df or level moves the value by > 1e-3
    for df in (1, 2, 4, 9, 19, 99):
        assert t_quantile(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-10)


def test_scenario_pickles_with_its_overrides_and_hash():
    sc = load_scenario("scenarios/bozhou_after.toml", ["office.workers=7"])
    back = pickle.loads(pickle.dumps(sc))
    assert back == sc
    assert back.hash == sc.hash
    assert back.office.workers == 7
    assert back.levers == sc.levers


def test_numbers_do_not_depend_on_the_process_hash_seed():
    """Same scenario and seed, same bytes, in processes with different string hashing."""
    outs = set()
    for hash_seed in ("1", "2", "3"):
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "run", "scenarios/bozhou_after.toml",
             "--replications", "2", "--json", "--no-progress"],
            capture_output=True, text=True, check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": hash_seed})
        outs.add(proc.stdout)
    assert len(outs) == 1


LEAN = """
import io, json, sys, contextlib
from sim.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    code = main(["run", sys.argv[1], "--replications", "1", "--json",
                 "--set", "scenario.days=20"])
json.loads(buf.getvalue())
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m in set(sys.argv[2:]))}))
"""
# what a serial `sim run --json` does not use: the process pool and Dask's logging, SciPy's
# Kaplan-Meier (sim.survival computes it), the other subcommands (main builds the parser of
# the named one only); and for the M/M/c model numpy's masked arrays (np.unique imports them;
# the problems' percentiles still do, through np.percentile)
NOT_NEEDED = ["multiprocessing", "logging", "uuid", "scipy.stats", "sim.cli.compare",
              "sim.cli.report", "sim.cli.sweep"]


@pytest.mark.parametrize("scenario, extra", [("tests/data/mmc.toml", ["numpy.ma"]),
                                             ("scenarios/bozhou_after.toml", [])])
def test_sim_run_json_imports_only_what_it_uses(scenario, extra):
    proc = subprocess.run([sys.executable, "-c", LEAN, scenario, *NOT_NEEDED, *extra],
                          capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["code"] == 0
    assert info["loaded"] == []
