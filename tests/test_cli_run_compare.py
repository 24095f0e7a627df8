"""``sim run`` and ``sim compare`` on the command line: JSON on stdout, CSVs, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]

MMC = """\
[scenario]
name = "M/M/10"
days = 15
calendar = "always"
seed = 1
replications = 3

[office]
workers = 10

[[tasks]]
id = "job"
category = "core"
arrivals = { per_hour = 9.0 }
effort_hours = { dist = "exponential", mean = 1.0 }
"""


@pytest.fixture(scope="module")
def scen(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli") / "mmc.toml"
    path.write_text(MMC, encoding="utf-8")
    return str(path)


def _sim(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_run_json_is_one_object_on_stdout(scen):
    p = _sim("run", scen, "--replications", "2", "--json")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)  # the whole of stdout is one JSON value
    assert isinstance(obj, dict)
    assert set(obj) == {"scenario", "seed", "replications", "version", "versions",
                        "metrics", "tasks"}
    assert obj["replications"] == 2 and obj["seed"] == 1
    assert len(obj["metrics"]["utilization"]["values"]) == 2
    assert "Traceback" not in p.stderr


def test_compare_json_with_set_and_seed(scen):
    p = _sim("compare", scen, scen, "--replications", "2", "--seed", "5", "--json",
             "--set", "office.workers=11", "--no-progress")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert set(obj) == {"runs", "differences"}
    assert [r["seed"] for r in obj["runs"]] == [5, 5]
    # --set applies to every scenario, so this compares a scenario with itself
    (d,) = obj["differences"]
    assert d["metrics"]["utilization"]["mean"] == 0.0
    assert d["metrics"]["utilization"]["ci95"] == [0.0, 0.0]


def test_run_default_replications_and_table(scen, capsys):
    assert main(["run", scen]) == 0
    out, err = capsys.readouterr()
    assert "3 replications" in out.splitlines()[0]
    assert "Worker utilisation" in out
    assert err == ""


def test_compare_table_in_chinese(scen, capsys):
    assert main(["compare", scen, scen, "--replications", "2", "--lang", "zh"]) == 0
    out, _ = capsys.readouterr()
    assert "社工忙碌率" in out and "无明显差异" in out


def test_out_writes_csvs(scen, tmp_path, capsys):
    out_dir = tmp_path / "res"
    assert main(["run", scen, "--replications", "2", "--out", str(out_dir), "--events"]) == 0
    _, err = capsys.readouterr()
    assert str(out_dir) in err
    for name in ("summary", "by_replication", "tasks", "daily", "events"):
        assert (out_dir / f"{name}.csv").stat().st_size > 0, name
    import pandas as pd

    summary = pd.read_csv(out_dir / "summary.csv", index_col="metric")
    assert {"mean", "ci_low", "ci_high", "label"} <= set(summary.columns)
    cmp_dir = tmp_path / "cmp"
    assert main(["compare", scen, scen, "--replications", "2", "--out", str(cmp_dir), "--json"]) == 0
    out, _ = capsys.readouterr()
    json.loads(out)
    diffs = pd.read_csv(cmp_dir / "differences.csv")
    assert {"metric", "diff_mean", "ci_low", "ci_high", "verdict"} <= set(diffs.columns)
    assert set(pd.read_csv(cmp_dir / "by_replication.csv")["run"]) == {0, 1}


def test_precision_option_warns_on_stderr(scen, capsys):
    code = main(["run", scen, "--precision", "0.0001", "--max-replications", "6", "--json"])
    assert code == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["replications"] == 6
    assert "precision" in err and "utilization" in err


@pytest.mark.parametrize("args", [
    ["run", "{missing}"],
    ["run", "{scen}", "--replications", "0"],
    ["run", "{scen}", "--replications", "many"],
    ["run", "{scen}", "--precision", "0"],
    ["run", "{scen}", "--precision", "-0.1"],
    ["run", "{scen}", "--set", "office.workers"],
    ["run", "{scen}", "--set", "office.wokers=3"],
    ["compare", "{scen}", "{missing}"],
    ["compare", "{scen}"],
])
def test_bad_input_exits_2_with_one_line(scen, tmp_path, capsys, args):
    args = [a.format(scen=scen, missing=str(tmp_path / "nope.toml")) for a in args]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert "Traceback" not in err


def test_bad_input_in_a_subprocess_has_no_traceback(tmp_path):
    p = _sim("run", str(tmp_path / "missing.toml"), "--json")
    assert p.returncode == 2
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and "missing.toml" in p.stderr


def test_help_does_not_import_pandas():
    code = ("import sys; from sim.cli import build_parser; build_parser(); "
            "print('pandas' in sys.modules, 'scipy' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["False", "False"]
