"""Sweeps on Dask: a LocalCluster started by the sweep, and a real ``dask scheduler`` plus
``dask worker`` pair started here as subprocesses on 127.0.0.1. Both must give the same
results.csv, byte for byte, as a serial run."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from sim.cli import main
from sim.sweep import sweep

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "sweep" / "mmc.toml"
GRID = ["office.workers=2:4:1", "tasks.job.arrivals.per_hour=1.5,2.5"]
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ref") / "sweep"
    assert sweep(MMC, GRID, replications=3, executor="serial", out=out, progress=False).ok
    return (out / "results.csv").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A ``dask scheduler`` and one ``dask worker`` (2 processes), as subprocesses."""
    dask_cli = [str(DASK)] if DASK.exists() else [shutil.which("dask") or "dask"]
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs: list[subprocess.Popen] = []
    with contextlib.ExitStack() as files:
        try:
            yield from _start(dask_cli, port, address, logs, env, procs, files)
        finally:
            for proc in reversed(procs):
                _stop(proc)


def _start(dask_cli, port, address, logs, env, procs, files):
    def log(name):
        return files.enter_context(open(logs / name, "w"))

    procs.append(subprocess.Popen(
        [*dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        cwd=ROOT, env=env, stdout=log("scheduler.log"), stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    while True:   # wait until the scheduler accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail("dask scheduler did not start:\n"
                            + (logs / "scheduler.log").read_text())
            time.sleep(0.1)
    procs.append(subprocess.Popen(
        [*dask_cli, "worker", address, "--nworkers", "2", "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(logs)],
        cwd=ROOT, env=env, stdout=log("worker.log"), stderr=subprocess.STDOUT))
    from distributed import Client

    with Client(address, timeout="30s") as client:   # and until both workers are there
        client.wait_for_workers(2, timeout=60)
    yield address


def test_local_cluster_matches_serial(reference, tmp_path):
    out = tmp_path / "local"
    res = sweep(MMC, GRID, replications=3, executor="dask", workers=2, out=out, progress=False)
    assert res.ok and res.manifest["executor"] == "dask"
    assert (out / "results.csv").read_bytes() == reference


def test_remote_scheduler_matches_serial(reference, dask_cluster, tmp_path, capsys):
    out = tmp_path / "remote"
    capsys.readouterr()
    rc = main(["sweep", str(MMC), "--param", GRID[0], "--param", GRID[1], "--replications",
               "3", "--executor", "dask", "--scheduler", dask_cluster, "--chunk-size", "2",
               "--out", str(out), "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    assert (out / "results.csv").read_bytes() == reference
    import json

    m = json.loads((out / "manifest.json").read_text())
    assert m["scheduler"] == dask_cluster and m["status"] == "complete"
    # the jobs really ran in the worker processes, not here
    workers = {json.loads(p.read_text())["worker"] for p in (out / "jobs").glob("p*.json")}
    assert all(not w.endswith(f":{os.getpid()}") for w in workers)


def test_point_above_the_rate_limit_is_refused_before_the_cluster(dask_cluster, tmp_path, capsys):
    """A rate numpy cannot sample (1e20 an hour) used to fail remote jobs; it is above the
    schema's limit now, so the sweep stops at the design (exit 2, one line) and sends
    nothing to the cluster. (Recording a failed job: test_sweep.test_run_job_records_an_exception.)"""
    out = tmp_path / "fail"
    capsys.readouterr()
    rc = main(["sweep", str(MMC), "--param", "tasks.job.arrivals.per_hour=2,1e20",
               "--replications", "2", "--executor", "dask", "--scheduler", dask_cluster,
               "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "tasks.job.arrivals.per_hour" in err[0]
    assert not (out / "jobs").exists()


def test_unreachable_scheduler_exit_2(tmp_path, capsys):
    capsys.readouterr()
    t0 = time.monotonic()
    rc = main(["sweep", str(MMC), "--param", "office.workers=2,3", "--executor", "dask",
               "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "u")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "tcp://127.0.0.1:1" in err[0] and "--scheduler" in err[0]
    assert time.monotonic() - t0 < 15
    assert not (tmp_path / "u").exists()
