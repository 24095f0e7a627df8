"""The benchmark's baselines still simulate a FIFO M/M/c correctly, so they cannot rot unseen.

``make bench`` times the engine against the M/M/c baselines in ``benchmarks/`` (idiomatic
SimPy, lean SimPy, a heapq event loop, Ciw) and counts a time only if its mean wait agrees
with Erlang C; here each baseline runs a small M/M/5 over a few fixed seeds and Erlang C must
lie inside the 95 % confidence interval of its mean wait (a 10 % slower server would not pass,
see ``test_engine_queueing.py``). Also: the command-line forms the benchmark runs print the
same numbers, and the in-process runner works. Nothing is timed here.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import erlang_c_wait, t_interval

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
LAM, MU, C = 4.0, 1.0, 5


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod     # (dataclasses look their module up there)
    spec.loader.exec_module(mod)
    return mod


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.mark.parametrize(("name", "customers", "seeds"), [
    ("bare_simpy_mmc", 5000, 8), ("lean_simpy_mmc", 5000, 8), ("heapq_mmc", 5000, 8),
    ("ciw_mmc", 3000, 6)])
def test_baseline_mean_wait_matches_erlang_c(name, customers, seeds):
    run = _module(name).run
    mean, lo, hi = t_interval([run(LAM, MU, C, customers, s) for s in range(1, seeds + 1)])
    theory = erlang_c_wait(LAM, MU, C)
    assert lo <= theory <= hi, f"{name}: Wq {mean:.4f} [{lo:.4f}, {hi:.4f}] vs Erlang C {theory:.4f}"


def test_callback_baselines_draw_the_same_numbers():
    """Lean SimPy and the heapq loop schedule the same events in the same order from the same
    random stream: they must agree exactly (a check on both event loops)."""
    lean, heap = _module("lean_simpy_mmc").run, _module("heapq_mmc").run
    for seed in (1, 2):
        assert lean(9.0, 1.0, 10, 3000, seed) == heap(9.0, 1.0, 10, 3000, seed)


def test_baseline_command_line_prints_what_run_returns():
    out = subprocess.run([sys.executable, str(BENCH / "heapq_mmc.py"), "4", "1", "5", "2000", "3"],
                         capture_output=True, text=True, check=True, env=_env()).stdout
    assert float(out) == pytest.approx(_module("heapq_mmc").run(LAM, MU, C, 2000, 3), abs=1e-6)


def test_inprocess_runner_reports_time_wait_tasks_and_traced_memory():
    for impl, extra in (("engine", ["--tracemalloc"]), ("lean_simpy", [])):
        out = subprocess.run([sys.executable, str(BENCH / "inprocess.py"), impl, "4", "1", "5",
                              "2000", "1", *extra],
                             capture_output=True, text=True, check=True, env=_env(), cwd=ROOT).stdout
        res = json.loads(out)
        assert res["seconds"] > 0 and res["wait"] > 0
        if impl == "engine":
            assert 1700 < res["tasks"] < 2300          # Poisson around 2,000 (21 days of 4/h)
            assert res["traced_peak_bytes"] > 0
        else:
            assert res["tasks"] == 2000


def test_city_benchmark_runs_and_reports_its_ratio():
    """``bench_city.py --quick`` (a 6-community city, three community sizes) runs and prints
    the ratio and the slope; nothing here is judged on time."""
    out = subprocess.run([sys.executable, str(BENCH / "bench_city.py"), "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "6 communities" in out.stdout
    assert "ratio city / bare SimPy:" in out.stdout
    assert "log-log slope of time against tasks" in out.stdout


def test_build_benchmark_runs_and_clears_every_cache():
    """``bench_build.py --repeats 1`` prints one JSON line with a time for each build; its
    cold runs clear caches by name, so each name must still be a cache of the loader."""
    from sim.scenario import citations, content, files, levers, validate

    for module, name in ((files, "_parsed"), (levers, "_validated"), (levers, "_overlap"),
                         (content, "_prefixes"), (citations, "_unresolved"),
                         (validate, "_param")):
        assert hasattr(getattr(module, name), "cache_clear"), name
    out = subprocess.run([sys.executable, str(BENCH / "bench_build.py"), "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["communities"] > 1
    for key in ("apply_overrides_warm_ms", "apply_overrides_cold_ms", "load_scenario_ms",
                "load_scenario_cold_ms", "city_per_community_ms"):
        assert result[key] > 0, key


def test_engine_benchmark_prints_every_target_with_met_or_missed():
    """``bench_engine.py`` on tiny sizes prints, measured in the same run, the three M/M/10
    ratios and the community-year line, each ending in met or missed, and repeats them in the
    targets summary; the year line carries its ratio to the M/M/10 per-task cost. Only the
    printing is checked, not the times."""
    out = subprocess.run([sys.executable, str(BENCH / "bench_engine.py"), "--only", "mmc,year",
                          "--customers", "3000", "--repeats", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env=_env())
    assert out.returncode == 0, out.stderr
    summary = out.stdout.split("== Targets", 1)[1].strip().splitlines()[1:]
    names = ["in process, engine / idiomatic SimPy", "in process, engine / lean SimPy",
             "whole process, engine / idiomatic SimPy", "bozhou_after community-year"]
    lines = [ln for ln in summary if ln.startswith("   ")]
    assert len(lines) == len(names)
    for name, line in zip(names, lines, strict=True):
        assert name in line
        assert " met" in line or " missed" in line
    assert "x the M/M/10 cost per task" in lines[-1]
    assert "(target <= 0.25)" in lines[0] and "(target <= 1.15)" in lines[1]
    assert "(target <= 0.35)" in lines[2] and "(target <= 45 ms)" in lines[3]
    # the year's budget: its phases, and SimPy's own share of the event loop
    budget = out.stdout.split("where a bozhou_after year's CPU time goes", 1)[1]
    for phase in ("workload generation", "office set-up", "event loop", "summary",
                  "SimPy's public-API machinery alone", "the model's own logic",
                  "the 45 ms target is"):
        assert phase in budget, phase


@pytest.mark.parametrize(("events", "armed"), [(1, 1), (50, 1), (1000, 22), (22, 22)])
def test_simpy_floor_processes_exactly_the_events_asked_for(events, armed):
    """The year's budget compares the engine's event loop with SimPy's machinery alone for
    the same number of events: the floor loop must run that many callbacks, no more."""
    assert _module("bench_engine").simpy_floor(events, armed) == events
