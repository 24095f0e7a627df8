"""The evaluator (:mod:`sim.evaluate`): results in job order on every executor, a lost pool
worker replaced with only its job run again, the replication store and the directory lock.
Everything here runs the real engine and real worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.engine import run_replication
from sim.errors import InputError
from sim.evaluate import DirectoryLock, Evaluator, JobFailed, JobSet
from sim.evaluate.store import ReplicationStore
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BEFORE = ROOT / "scenarios" / "bozhou_before.toml"
AFTER = ROOT / "scenarios" / "bozhou_after.toml"
SMALL = ROOT / "tests" / "data" / "sweep" / "mmc.toml"


def _same(a, b) -> bool:
    """Two replication results carry the same numbers, bit for bit (JSON writes floats by
    repr and NaN as NaN, so equal text means equal values)."""
    return all(json.dumps(getattr(a, f), sort_keys=True) == json.dumps(getattr(b, f), sort_keys=True)
               for f in ("metrics", "tasks", "info"))


def test_results_come_back_in_job_order_whatever_the_completion_order():
    """Job 0 is long (a year of the Bozhou office), the rest are 5-day M/M/3 runs: on two
    workers job 0 finishes last, yet the results are in job order and equal to serial ones."""
    jobs = JobSet()
    jobs.add(load_scenario(BEFORE), 0, 1)
    small = load_scenario(SMALL)
    for r in range(12):
        jobs.add(small, r, 7, events=r == 3)
    order: list[int] = []
    with Evaluator("processes", workers=2, chunk_size=1, progress=False) as ev:
        got = ev.map(jobs, on_result=lambda i, _res, _worker: order.append(i))
    assert sorted(order) == list(range(len(jobs))) and order != sorted(order)
    with Evaluator("serial", progress=False) as ev:
        ref = ev.map(jobs)
    for job, a, b in zip(jobs.jobs, got, ref, strict=True):
        assert a.replication == job.replication and a.scenario_hash == job.hash
        assert _same(a, b)
    assert got[4].events is not None and got[5].events is None   # job options travel


def test_a_lost_worker_is_replaced_and_only_its_job_runs_again():
    """SIGKILL a pool worker in the middle of a job: a new worker takes its place, that job
    alone runs again, every job reports exactly once, and the numbers are the serial ones."""
    sc = load_scenario(BEFORE, {"scenario.days": 60})
    jobs = JobSet()
    for r in range(8):
        jobs.add(sc, r, 3)
    calls: list[int] = []
    killed: list[int] = []
    with Evaluator("processes", workers=2, chunk_size=1, progress=False) as ev:
        def on_result(i, _res, _worker):
            calls.append(i)
            if not killed:
                busy = [w for w in ev.backend.pool if w.chunk is not None]
                assert busy, "the other worker should be running a job"
                killed.append(busy[0].proc.pid)
                os.kill(busy[0].proc.pid, signal.SIGKILL)
        got = ev.map(jobs, on_result=on_result)
        assert ev.backend.replaced == 1
    assert sorted(calls) == list(range(8))          # each job reported once
    assert not any(isinstance(x, JobFailed) for x in got)
    for r, res in enumerate(got):
        assert _same(res, run_replication(sc, r, 3))


def test_replication_store_gives_back_the_same_result(tmp_path):
    """What the store reads back equals what was computed, event logs included."""
    sc = load_scenario(AFTER, {"scenario.days": 30})
    jobs = JobSet()
    jobs.add(sc, 2, 5, events=True)
    jobs.add(sc, 2, 5)
    res = run_replication(sc, 2, 5, events=True)
    store = ReplicationStore(tmp_path)
    store.prepare()
    assert store.get(jobs.jobs[0]) is None
    store.put(jobs.jobs[0], res)
    back = store.get(jobs.jobs[0])
    assert _same(back, res) and back.run_seconds == res.run_seconds
    for group in ("daily", "events", "work"):
        a, b = getattr(res, group), getattr(back, group)
        assert a.keys() == b.keys()
        for k in a:
            assert np.asarray(a[k]).dtype == b[k].dtype, (group, k)
            np.testing.assert_array_equal(a[k], b[k])
    plain = store.get(jobs.jobs[1])    # served from the file with events, without them
    assert plain.events is None and _same(plain, res)


def test_directory_lock_refuses_a_second_holder_and_takes_over_a_stale_one(tmp_path):
    with DirectoryLock(tmp_path):
        with pytest.raises(InputError) as err:
            DirectoryLock(tmp_path).acquire()
        assert f"pid {os.getpid()}" in str(err.value) and "started" in str(err.value)
    assert not (tmp_path / ".lock").exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    import socket

    (tmp_path / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                                "started": "2020-01-01T00:00:00+00:00"}))
    with DirectoryLock(tmp_path) as lock:     # its holder is dead: stale, taken over
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()


@pytest.mark.parametrize("args, words", [
    (["--executor", "threads"], "invalid choice"),
    (["--workers", "0"], "--workers"),
    (["--scheduler", "tcp://127.0.0.1:1", "--executor", "processes"], "--scheduler needs"),
])
def test_bad_executor_options_are_one_line(args, words):
    p = subprocess.run([sys.executable, "-m", "sim", "compare", str(BEFORE), str(AFTER), *args],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr


def test_what_travels_to_a_worker_is_plain_data():
    """Jobs and scenario sources hold only plain values (no Scenario, no read-only mapping):
    what a pool or Dask worker unpickles needs no loader and reads no file."""
    import dataclasses
    import datetime as dt

    jobs = JobSet()
    sweep_base = load_scenario(AFTER)
    jobs.add(sweep_base, 0, 1, extra=(("office.workers", 9),),
             expected=load_scenario(AFTER, {"office.workers": 9}).hash)
    jobs.add(load_scenario(BEFORE, {"volunteers.teams": 1}), 1, 1)
    plain = (dict, list, tuple, str, int, float, bool, type(None), dt.date, dt.time)

    def walk(x, where):
        if dataclasses.is_dataclass(x):
            for f in dataclasses.fields(x):
                walk(getattr(x, f.name), f"{where}.{f.name}")
            return
        assert isinstance(x, plain), f"{where}: {type(x).__name__}"
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}.{k}")
        elif isinstance(x, list | tuple):
            for k, v in enumerate(x):
                walk(v, f"{where}[{k}]")

    for j in jobs.jobs:
        walk(j, "job")
    for s in jobs.sources.values():
        walk(s, "source")
    assert len(jobs.sources) == 2     # one per file: the sweep point shares its base's data
