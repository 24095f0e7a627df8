"""Parameter sweeps (``sim sweep``, :mod:`sim.sweep`): designs, executors, the sweep directory,
resume after SIGKILL, failures and bad input. Real components throughout: the scenario
loader, the engine, process pools and subprocesses."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import InputError
from sim.evaluate import JobFailed, JobSet, run_chunk, run_job
from sim.scenario import load_scenario
from sim.sweep import sweep
from sim.sweep.design import ParamSpec, lhs_points, parse_grid_values, split_top
from sim.sweep.store import atomic_write

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "sweep" / "mmc.toml"
GRID = ["office.workers=2:4:1", "tasks.job.arrivals.per_hour=1.5,2.5"]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["sweep", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """results.csv of the test grid run serially (the reference for the other executors)."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    res = sweep(MMC, GRID, replications=3, executor="serial", out=out, progress=False)
    assert res.ok and len(res.results) == 18
    return (out / "results.csv").read_bytes()


# -- grid and design parsing -----------------------------------------------------------------


def test_float_range_includes_stop_without_drift():
    assert parse_grid_values("x", "0.1:0.3:0.1") == [0.1, 0.2, 0.3]
    values = parse_grid_values("x", "0:1:0.1")
    assert values == [i / 10 for i in range(11)]
    assert values[-1] == 1.0
    assert parse_grid_values("x", "0.05:0.2:0.05", 0.5) == [0.05, 0.1, 0.15, 0.2]


def test_int_ranges_and_lists():
    assert parse_grid_values("x", "1:10:3") == [1, 4, 7, 10]
    assert parse_grid_values("x", "1:9:3") == [1, 4, 7]          # 10 is off the grid
    assert parse_grid_values("x", "5:5:1") == [5]
    assert parse_grid_values("x", "4,6,8") == [4, 6, 8]
    assert parse_grid_values("x", "fifo, edf", "fifo") == ["fifo", "edf"]
    assert parse_grid_values("x", '"a,b",c', "s") == ["a,b", "c"]
    assert split_top('["08:30-12:00", "14:00-18:00"],["09:00-17:00"]') == [
        '["08:30-12:00", "14:00-18:00"]', '["09:00-17:00"]']


def test_values_take_the_type_of_the_field():
    floats = parse_grid_values("x", "1:3:1", 2.5)                 # a float field
    assert floats == [1.0, 2.0, 3.0] and all(type(v) is float for v in floats)
    ints = parse_grid_values("x", "2.0,4.0", 3)                   # an int field
    assert ints == [2, 4] and all(type(v) is int for v in ints)


@pytest.mark.parametrize("text, current, words", [
    ("4:2:1", 3, "empty range"),
    ("1:3:0", 3, "step must be > 0"),
    ("1:3:-0.5", 3, "step must be > 0"),
    ("1:3:1", "fifo", "needs a numeric field"),
    ("1:3", 3, "not a grid range"),
    ("a:b:c", 3, "not a numeric range"),
    ("4,4", 3, "listed twice"),
    ("4,,6", 3, "empty item"),
])
def test_bad_grid_values(text, current, words):
    with pytest.raises(InputError) as info:
        parse_grid_values("office.x", text, current)
    assert info.value.field == "office.x"
    assert words in str(info.value)


@settings(max_examples=200, deadline=None)
@given(start=st.integers(-10_000, 10_000), step=st.integers(1, 5_000), n=st.integers(0, 60),
       scale=st.sampled_from([1, 10, 100, 1000]), extra=st.integers(0, 99))
def test_range_property(start, step, n, scale, extra):
    """start:stop:step gives n + 1 values when stop = start + n * step (plus less than a
    step); every value is the decimal grid point rounded once to a float."""
    d0, ds = Decimal(start) / scale, Decimal(step) / scale
    stop = d0 + n * ds + ds * extra / 100
    values = parse_grid_values("x", f"{d0}:{stop}:{ds}", 1.0)
    assert len(values) == n + 1
    assert values == [float(d0 + i * ds) for i in range(n + 1)]


def test_lhs_points_are_latin_and_seeded():
    specs = [ParamSpec("a", "0:1", (), 0.0, 1.0), ParamSpec("b", "2:5", (), 2, 5)]
    pts = lhs_points(specs, 8, seed=3)
    assert sorted(math.floor(p["a"] * 8) for p in pts) == list(range(8))   # one per stratum
    assert all(type(p["b"]) is int and 2 <= p["b"] <= 5 for p in pts)
    assert sorted(p["b"] for p in pts) == [2, 2, 3, 3, 4, 4, 5, 5]        # 8 strata, 4 ints
    assert lhs_points(specs, 8, seed=3) == pts
    assert lhs_points(specs, 8, seed=4) != pts


def test_grid_points_are_row_major_and_lhs_runs(tmp_path):
    res = sweep(MMC, {"office.workers": [2, 3], "tasks.job.arrivals.per_hour": "1:2:0.5"},
                replications=1, executor="serial", out=tmp_path / "g", progress=False)
    expected = list(itertools.product([2, 3], [1.0, 1.5, 2.0]))
    got = list(zip(res.points["office.workers"], res.points["tasks.job.arrivals.per_hour"],
                   strict=True))
    assert got == expected
    lhs = sweep(MMC, ["office.workers=2:5", "tasks.job.arrivals.per_hour=1:3"], replications=1,
                design="lhs", samples=5, executor="serial", out=tmp_path / "l", progress=False)
    assert len(lhs.points) == 5 and lhs.ok
    assert lhs.points["office.workers"].between(2, 5).all()
    assert lhs.manifest["design"] == "lhs" and lhs.manifest["samples"] == 5


# -- results, executors, common random numbers -----------------------------------------------


def test_results_files(reference, tmp_path):
    out = tmp_path / "s"
    res = sweep(MMC, GRID, replications=3, executor="serial", out=out, progress=False)
    table = rows(out / "results.csv")
    header = table[0]
    assert header[:4] == ["point", "replication", "office.workers",
                          "tasks.job.arrivals.per_hour"]
    from sim.metrics import METRICS
    metric_cols = header[4:]
    assert metric_cols == [m for m in METRICS if m in metric_cols]      # registry order
    assert {"utilization", "tasks_arrived", "wait_hours_mean"} <= set(metric_cols)
    keys = [(int(r[0]), int(r[1])) for r in table[1:]]
    assert keys == [(p, r) for p in range(6) for r in range(3)]         # sorted, complete
    assert (out / "results.csv").read_bytes() == reference
    assert rows(out / "points.csv")[1:3] == [["0", "2", "1.5"], ["1", "2", "2.5"]]
    summary = res.summary
    assert list(summary["point"]) == list(range(6)) and (summary["replications"] == 3).all()
    for p in range(6):
        u = res.results.loc[res.results["point"] == p, "utilization"]
        s = summary.loc[p]
        assert s["utilization_mean"] == pytest.approx(u.mean())
        assert s["utilization_ci95_lo"] <= s["utilization_mean"] <= s["utilization_ci95_hi"]
    assert (out / "summary.csv").exists()
    import pandas as pd
    pq = pd.read_parquet(out / "results.parquet")
    assert pq.shape == res.results.shape
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["counts"] == {"done": 18, "failed": 0, "total": 18}
    assert m["scenario"]["hash"] == load_scenario(MMC).hash and m["seed"] == 7
    assert m["replications"] == 3 and m["version"] and len(m["points"]) == 6
    assert m["params"][0] == {"key": "office.workers", "spec": "2:4:1", "values": [2, 3, 4]}
    assert not list((out / "jobs").glob(".tmp-*"))


@pytest.mark.parametrize("workers", [1, 2])
def test_processes_match_serial_byte_for_byte(reference, tmp_path, workers):
    out = tmp_path / "p"
    res = sweep(MMC, GRID, replications=3, executor="processes", workers=workers,
                chunk_size=2, out=out, progress=False)
    assert res.ok
    assert (out / "results.csv").read_bytes() == reference


def test_cli_processes_match_serial(reference, tmp_path, capsys):
    out = tmp_path / "c"
    rc, stdout, _ = cli(capsys, MMC, "--param", GRID[0], "--param", GRID[1],
                        "--replications", "3", "--workers", "2", "--out", out, "--no-progress")
    assert rc == 0 and "18 jobs" in stdout
    assert (out / "results.csv").read_bytes() == reference


def test_common_random_numbers_across_points(tmp_path):
    res = sweep(MMC, ["office.workers=2,3,4"], replications=3, executor="serial",
                out=tmp_path / "crn", progress=False)
    arrived = res.results.pivot(index="replication", columns="point", values="tasks_arrived")
    for r in range(3):        # the same arrivals in replication r of every point
        assert arrived.loc[r].nunique() == 1
    assert arrived[0].nunique() == 3    # and different replications differ


# -- failures --------------------------------------------------------------------------------


def test_point_above_the_rate_limit_is_refused_before_any_job(tmp_path, capsys):
    """An arrival rate numpy's Poisson sampler would reject (1e20 an hour) is above the
    schema's limit (100 an hour): the sweep stops at the design with one line naming the
    point and the field, before any job runs. (How a failing job is recorded is tested by
    test_run_job_records_an_exception.)"""
    out = tmp_path / "f"
    args = [MMC, "--param", "tasks.job.arrivals.per_hour=2,1e20", "--replications", "2",
            "--workers", "2", "--out", out, "--no-progress"]
    rc, stdout, err = cli(capsys, *args)
    assert rc == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "tasks.job.arrivals.per_hour" in lines[0] and "point 1" in lines[0]
    assert "<= 100" in lines[0]
    assert not (out / "jobs").exists()


def test_run_job_records_an_exception():
    """The job runner itself: a job whose rebuilt scenario has another hash, or whose
    scenario data is missing, returns a JobFailed with the error and traceback."""
    from dataclasses import replace

    sc = load_scenario(MMC)
    jobs = JobSet()
    jobs.add(sc, 0, 1, extra=(("office.workers", 4),),
             expected=load_scenario(MMC, {"office.workers": 4}).hash)
    jobs.add(sc, 1, 1, extra=(("office.workers", 4),), expected="not-the-hash")
    src = jobs.sources[jobs.jobs[0].source]
    ok = run_job(src, jobs.jobs[0])
    assert "utilization" in ok.metrics
    bad = run_job(src, jobs.jobs[1])
    assert isinstance(bad, JobFailed) and "RuntimeError" in bad.error and "Traceback" in bad.traceback
    _, chunk = run_chunk({}, [jobs.jobs[0], replace(jobs.jobs[0], replication=1)])
    assert [isinstance(r, JobFailed) for r in chunk] == [True, True]


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("extra, words", [
    (["--param", "office.wokers=1,2"], "office.wokers"),
    (["--param", "office.workers=4:2:1"], "empty range"),
    (["--param", "office.workers=1:3:0"], "step must be > 0"),
    (["--param", "office.dispatch=1:3:1"], "office.dispatch"),
    (["--param", "office.workers=0,2"], "office.workers: 0 is out of range"),
    (["--param", "scenario.warmup_days=0:10:5"], "scenario.warmup_days"),
    (["--param", "office.workers=2:5", "--design", "lhs"], "--samples"),
    (["--param", "office.workers"], "KEY=VALUES"),
    (["--param", "office.workers=2,3", "--executor", "dask", "--scheduler",
      "tcp://127.0.0.1:1"], "cannot connect to the dask scheduler"),
    (["--param", "office.workers=2,3", "--workers", "0"], "--workers"),
])
def test_bad_input_exit_2_one_line(tmp_path, capsys, extra, words):
    out = tmp_path / "bad"
    executor = [] if "--executor" in extra else ["--executor", "serial"]
    rc, _, err = cli(capsys, MMC, *extra, *executor, "--replications", "1", "--out", out,
                     "--no-progress")
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert words in lines[0]
    assert not (out / "manifest.json").exists()


def test_resume_is_refused_when_the_sweep_differs(tmp_path, capsys):
    out = tmp_path / "r"
    base = [MMC, "--param", "office.workers=2,3", "--replications", "2", "--executor", "serial",
            "--out", out, "--no-progress"]
    assert cli(capsys, *base)[0] == 0
    rc, _, err = cli(capsys, *base)                               # no --resume
    assert rc == 2 and "--resume" in err and len(err.strip().splitlines()) == 1
    rc, _, err = cli(capsys, MMC, "--param", "office.workers=2,3,4", "--replications", "2",
                     "--out", out, "--resume", "--executor", "serial")
    assert rc == 2 and "points" in err and len(err.strip().splitlines()) == 1
    rc, _, err = cli(capsys, *base, "--resume", "--set", "office.dispatch=edf")
    assert rc == 2 and "scenario differs" in err
    rc, _, err = cli(capsys, *base, "--resume", "--seed", "99")
    assert rc == 2 and "seed" in err
    rc, out_text, _ = cli(capsys, *base, "--resume")              # the same sweep: nothing to run
    assert rc == 0 and "0 run now" in out_text


# -- SIGKILL and resume ------------------------------------------------------------------------


def test_sigkill_then_resume_gives_the_same_results(tmp_path):
    grid = ["office.workers=3:6:1"]
    common = ["--set", "scenario.days=40", "--set", "tasks.job.arrivals.per_hour=3.0",
              "--replications", "40"]
    total = 4 * 40
    ref = tmp_path / "ref"
    ref_res = sweep(MMC, grid, replications=40, overrides=["scenario.days=40",
                                                           "tasks.job.arrivals.per_hour=3.0"],
                    executor="processes", workers=2, out=ref, progress=False)
    assert ref_res.ok

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(MMC), "--param", grid[0], *common,
           "--workers", "2", "--chunk-size", "1", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    jobs = out / "jobs"
    try:
        deadline = time.monotonic() + 60
        n = 0
        while time.monotonic() < deadline and proc.poll() is None:
            n = len(list(jobs.glob("p*.json"))) if jobs.is_dir() else 0
            if n >= 12:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {n} jobs"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)          # its pool workers, if still alive
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.2)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in jobs.glob("p*.json")}
    assert 12 <= len(before) < total
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "running"
    # what a kill during a write would leave: a half-written temporary file
    atomic_write(jobs / ".tmp-unused", "x")
    (jobs / f".tmp-p000000-r0000.json.{os.getpid()}.dead").write_text('{"point": 0, "repl')

    res = sweep(MMC, grid, replications=40, overrides=["scenario.days=40",
                                                       "tasks.job.arrivals.per_hour=3.0"],
                executor="processes", workers=2, out=out, resume=True, progress=False)
    assert res.ok and res.ran == total - len(before)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in jobs.glob("p*.json")}
    assert len(after) == total
    assert all(after[name] == stat for name, stat in before.items())   # nothing ran twice
    assert not list(jobs.glob(".tmp-*"))
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()
    table = rows(out / "results.csv")[1:]
    assert [(int(r[0]), int(r[1])) for r in table] == [(p, r) for p in range(4)
                                                      for r in range(40)]
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["counts"]["done"] == total
    assert [r["jobs_run"] for r in m["runs"]][-1] == total - len(before)
