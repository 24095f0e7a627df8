"""Every study on a real Dask cluster on 127.0.0.1: ``sim compare --executor dask`` and a
city run give the serial numbers exactly, and losing the scheduler mid-run is one line on
stderr and exit 1 (no library traceback), with the finished replications kept."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import LocalCluster

from sim.city import load_city, run_city
from sim.evaluate import NO_DASHBOARD
from sim.experiment import compare

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
CITY = ROOT / "scenarios" / "bozhou_city.toml"
SHORT = {"scenario.days": 30}


def _cluster(n: int, processes: bool) -> LocalCluster:
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, host="127.0.0.1",
                        dashboard_address=None, scheduler_kwargs=NO_DASHBOARD,
                        silence_logs=logging.CRITICAL, protocol="tcp://")


@pytest.fixture(scope="module")
def cluster():
    """A running cluster of two worker processes; its address is what --scheduler takes."""
    c = _cluster(2, processes=True)
    yield c.scheduler_address
    c.close()


def test_compare_on_dask_gives_the_serial_numbers(cluster):
    kw = {"replications": 3, "overrides": SHORT, "progress": False}
    serial = compare([BEFORE, AFTER], **kw)
    dask = compare([BEFORE, AFTER], executor="dask", scheduler=cluster, **kw)
    assert json.dumps(dask.to_json()) == json.dumps(serial.to_json())
    assert dask.differences.equals(serial.differences)


def test_city_on_dask_gives_the_serial_numbers(cluster):
    city = load_city(CITY, {"communities.count": 4, "city.days": 30})
    serial = run_city(city, 2, progress=False)
    dask = run_city(city, 2, executor="dask", scheduler=cluster, progress=False)
    assert json.dumps(dask.to_json()) == json.dumps(serial.to_json())
    assert dask.communities.equals(serial.communities)


def test_losing_the_scheduler_is_one_line_and_exit_1(tmp_path):
    """A scheduler (with one in-process worker) closed while ``sim compare`` runs on it."""
    lost = _cluster(1, processes=False)
    out = tmp_path / "cmp"
    p = subprocess.Popen([sys.executable, "-m", "sim", "compare", BEFORE, AFTER,
                          "--replications", "60", "--set", "scenario.days=45", "--executor",
                          "dask", "--scheduler", lost.scheduler_address, "--out", str(out),
                          "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        t0 = time.monotonic()
        reps = out / "replications"
        while time.monotonic() - t0 < 60 and p.poll() is None and \
                (not reps.is_dir() or len(os.listdir(reps)) < 2):
            time.sleep(0.05)
        assert p.poll() is None, p.communicate()
        lost.close()
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        lost.close()
    assert p.returncode == 1, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("error: lost the dask scheduler at tcp://127.0.0.1:")
    assert stdout == ""
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    assert len(os.listdir(reps)) >= 2     # what had finished is kept for --resume
