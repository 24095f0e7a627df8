"""Interruption and process hygiene, on real ``sim`` subprocesses.

- ``sim compare --out DIR`` stopped by SIGINT keeps every finished replication, writes a
  result marked partial (JSON, manifest, one stderr line) and exits 130; ``--resume DIR``
  ends with exactly the files and JSON of an uninterrupted run.
- ``sim run`` on a process pool stopped by SIGTERM: exit 143, manifest "interrupted".
- A second process on a sweep directory in use is refused (exit 2, one line naming the
  holder); SIGTERM leaves the sweep's manifest "interrupted".
- SIGKILL of a ``processes`` sweep's parent leaves none of its workers running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
SHORT = ["--set", "scenario.days=40"]
FILES = ("summary.csv", "differences.csv", "by_replication.csv", "tasks.csv", "daily.csv")


def _sim(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _wait_for(cond, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.05)


def _files(d: Path) -> int:
    return len(os.listdir(d)) if d.is_dir() else 0


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_interrupted_compare_keeps_its_replications_and_resumes_to_the_same_numbers(tmp_path):
    cmd = ["compare", BEFORE, AFTER, "--replications", "24", *SHORT]
    out = tmp_path / "cmp"
    p = _sim(*cmd, "--out", str(out), "--json")
    _wait_for(lambda: _files(out / "replications") >= 6, p)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr
    partial = json.loads(stdout)["partial"]
    done = partial["replications_done"]
    assert partial["replications_requested"] == 24 and 3 <= done < 24
    assert json.loads(stdout)["runs"][0]["replications"] == done
    line = [x for x in stderr.splitlines() if x.startswith("interrupted")]
    assert line == [f"interrupted by SIGINT: {done} of 24 replications finished; partial "
                    f"results in {out} (continue with --resume {out})"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["partial"] == partial
    assert json.loads((out / "result.json").read_text())["partial"] == partial
    assert _files(out / "replications") >= 2 * done     # every finished replication kept

    resumed = _sim(*cmd, "--resume", str(out), "--json")
    ref_dir = tmp_path / "ref"
    reference = _sim(*cmd, "--out", str(ref_dir), "--json")
    r_out, r_err = resumed.communicate(timeout=120)
    ref_out, _ = reference.communicate(timeout=120)
    assert resumed.returncode == 0 and reference.returncode == 0, r_err
    assert r_out == ref_out and "partial" not in json.loads(r_out)
    for name in FILES:
        assert (out / name).read_bytes() == (ref_dir / name).read_bytes(), name
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_sigterm_stops_a_run_on_processes_with_exit_143(tmp_path):
    out = tmp_path / "run"
    p = _sim("run", BEFORE, "--replications", "40", *SHORT, "--executor", "processes",
             "--workers", "2", "--out", str(out))
    _wait_for(lambda: _files(out / "replications") >= 2, p)
    workers = _children(p.pid)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 143, stderr
    assert "PARTIAL (interrupted by SIGTERM)" in stdout
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and m["partial"]["signal"] == "SIGTERM"
    assert not (out / ".lock").exists()
    assert not [w for w in workers if _alive(w)]


def _sweep(out: Path, *extra: str) -> subprocess.Popen:
    return _sim("sweep", BEFORE, "--param", "office.workers=4:9:1", "--replications", "20",
                *SHORT, "--executor", "processes", "--workers", "2", "--out", str(out),
                "--no-progress", *extra, start_new_session=True)


def test_second_process_on_a_sweep_directory_is_refused_and_sigterm_records_interrupted(tmp_path):
    out = tmp_path / "sweep"
    first = _sweep(out)
    _wait_for(lambda: (out / ".lock").exists() and _files(out / "jobs") >= 1, first)
    second = _sweep(out, "--resume")
    _, err2 = second.communicate(timeout=60)
    assert second.returncode == 2
    assert err2.count("\n") == 1 and f"pid {first.pid}" in err2 and "Traceback" not in err2
    first.send_signal(signal.SIGTERM)
    _, err1 = first.communicate(timeout=60)
    assert first.returncode == 143, err1
    assert err1.strip() == "interrupted by SIGTERM"
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert not (out / ".lock").exists()


def test_killing_a_sweeps_parent_leaves_no_worker(tmp_path):
    out = tmp_path / "sweep"
    p = _sweep(out)
    _wait_for(lambda: len(_children(p.pid)) >= 2, p)
    workers = _children(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    t0 = time.monotonic()
    while [w for w in workers if _alive(w)] and time.monotonic() - t0 < 5.0:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "pool workers outlived their parent"
    # its lock names a dead process: stale, so the next command on the directory takes it
    # over and gets as far as comparing the sweep (refused here for its other --param)
    assert json.loads((out / ".lock").read_text())["pid"] == p.pid
    again = _sim("sweep", BEFORE, "--param", "office.workers=4:5:1", "--replications", "20",
                 *SHORT, "--out", str(out), "--resume")
    _, err = again.communicate(timeout=60)
    assert again.returncode == 2 and "cannot resume" in err and "in use" not in err, err
