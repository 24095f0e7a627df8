"""``sim seek``: bisection for the smallest value meeting a target, checked where queueing
theory knows the answer (M/M/c, Erlang C), and its bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.analysis.seek import seek

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from validation.theory import mmc_wait  # noqa: E402

LAM = 9.0   # per hour, exponential service of mean 1 h


def _mmc(tmp_path: Path) -> str:
    p = tmp_path / "mmc.toml"
    p.write_text(f"""
[scenario]
name = "M/M/c"
days = 100
warmup_days = 5
calendar = "always"
seed = 3
replications = 6

[office]
workers = 10
dispatch = "fifo"
secretary = false

[[tasks]]
id = "job"
category = "core"
arrivals = {{ per_hour = {LAM} }}
effort_hours = {{ dist = "exponential", mean = 1.0 }}
""", encoding="utf-8")
    return str(p)


def test_seek_finds_the_erlang_c_number_of_servers(tmp_path):
    # Erlang C: Wq(11) = 0.215 h, Wq(12) = 0.089 h, so the smallest c with Wq <= 0.14 is 12.
    # The per-replication mean wait at c = 11 has a sd of about 0.05 h over 35 days (seen in
    # pilot runs), so 6 x 95 days give a 95% half-width of about 0.03 h: both values are
    # more than 0.05 h from 0.14, so the rule decides the bracket correctly
    waits = {c: mmc_wait(LAM, 1.0, c) for c in range(10, 21)}
    want = min(c for c, w in waits.items() if w <= 0.14)
    assert want == 12
    res = seek(_mmc(tmp_path), "office.workers=10:20", "wait_hours_mean <= 0.14",
               progress=False)
    assert res.met and res.value == want
    assert res.ci95[0] <= want <= res.ci95[1]
    tried = {t["value"]: t for t in res.tried}
    assert {10, 20, want, want - 1} <= set(tried)          # the two ends and the bracket
    assert not tried[want - 1]["met"] and tried[want]["met"]
    for c, t in tried.items():   # every point tried agrees with theory within its interval
        lo, hi = t["ci95"]
        assert lo - 0.02 <= waits[c] <= hi + 0.02, (c, t, waits[c])
    # largest c at which the wait is still at least 0.14: 11
    hi = seek(_mmc(tmp_path), "office.workers=10:20", "wait_hours_mean >= 0.14",
              largest=True, progress=False)
    assert hi.met and hi.value == want - 1


def _sim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_cli_json(tmp_path):
    p = _sim("seek", _mmc(tmp_path), "--vary", "office.workers=10:14", "--target",
             "wait_hours_mean <= 0.14", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["key"] == "office.workers" and d["value"] == 12 and d["met"] is True
    assert len(d["ci95"]) == 2 and all({"value", "metric", "ci95"} <= set(t) for t in d["tried"])


@pytest.mark.parametrize("args, words", [
    (["--target", "wait_hours_mean =< 1"], "cannot read the target"),
    (["--target", "wait_hours <= 1"], "did you mean 'wait_hours_mean'"),
    (["--target", "wait_hours_mean <= 1", "--vary", "office.wokers=10:12"], "office.wokers"),
    (["--target", "wait_hours_mean <= 1", "--vary", "office.workers=12:10"], "--vary"),
    (["--target", "wait_hours_mean <= -1"], "neither end"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, args, words):
    if "--vary" not in args:
        args = [*args, "--vary", "office.workers=10:12"]
    p = _sim("seek", _mmc(tmp_path), *args, "--replications", "2", "--set", "scenario.days=8")
    assert p.returncode == 2, p.stderr
    assert words in p.stderr.strip().splitlines()[-1] and "Traceback" not in p.stderr
