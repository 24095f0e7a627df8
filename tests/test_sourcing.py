"""Per-value provenance (issue 13.3): every resolved value's own source, and
``sim describe --unsourced`` marking the unsourced ones consequential or inert by running.

The screen runs the real simulation through the real evaluator (subprocess, processes where
it saves time); the small scenario is a 3-day M/M/10 office so the whole screen takes seconds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiment.screening import perturbations, screen
from sim.scenario import load_scenario
from sim.scenario.sourcing import unsourced, value_sources

ROOT = Path(__file__).resolve().parents[1]
MMC = (ROOT / "tests" / "data" / "mmc.toml").read_text(encoding="utf-8")
LINE = re.compile(r"^(\S+)\s+(\S.*?)\s+(\S.*?)\s+(consequential|inert)$")
LAST = re.compile(r"^(\d+) unsourced values, (\d+) consequential$")

SMALL = MMC.replace("days = 365 ", "days = 3   ") + """
[volunteers]
turnout = 0.4
source = "estimate: half of the members come (no team here)"

[levers.faster]
description = "Faster service"
source = "estimate: a quicker form"
[levers.faster.set]
"tasks.job.priority" = 1

[uncertainties.overtime]
paths = ["office.overtime_threshold_hours"]
low = 4.0
high = 12.0
source = "estimate: between half a day and a day and a half of work left open"

[sources]
"office.workers" = "estimate: ten desks"
"tasks.*.copies" = "estimate: every job is done once"
"""


def _write(tmp_path: Path, text: str, name: str = "small.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_value_gets_its_own_source(tmp_path):
    sc = load_scenario(_write(tmp_path, SMALL))
    kinds = {p: v.kind for p, v in value_sources(sc).items()}
    assert kinds["office.workers"] == "note"                         # its [sources] entry
    assert kinds["office.overtime_threshold_hours"] == "uncertainty"  # declared uncertain
    assert kinds["volunteers.turnout"] == "inherited"                # the note names no turnout
    assert kinds["volunteers.teams"] == "default"                    # a schema default
    assert kinds["tasks.job.effort_factor"] == "neutral"             # factor 1: no modifier
    assert kinds["tasks.job.copies"] == "note"                       # "tasks.*.copies" entry
    assert kinds["tasks.job.arrivals.per_hour"] == "inherited"       # written, no note at all
    assert kinds["tasks.job.priority"] == "inherited"                # a lever's note, unnamed
    assert "scenario.name" not in kinds and "scenario.seed" not in kinds
    # a note that names the value: the field's word, or the value as a number
    named = load_scenario(_write(tmp_path, SMALL.replace(
        "half of the members come", "turnout 0.4: half of the members come"), "named.toml"))
    assert value_sources(named)["volunteers.turnout"].kind == "named"
    assert "volunteers.turnout" not in {v.path for v in unsourced(named)}
    # sim describe shows the per-value source
    out = subprocess.run([sys.executable, "-m", "sim", "describe", "--wide", str(tmp_path / "small.toml")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    row = next(x for x in out.stdout.splitlines() if x.startswith("volunteers.teams "))
    assert row.rstrip().endswith("default (unsourced)")
    row = next(x for x in out.stdout.splitlines() if x.startswith("office.overtime_threshold_hours "))
    assert "uncertainty overtime [4, 12] uniform: estimate: between" in row


def test_how_values_are_changed():
    assert perturbations(10) == [5, 15]
    assert perturbations(1) == [0, 2]          # an integer moves by at least 1
    assert perturbations(0) == [1]             # half of nothing is nothing: 0 -> 1
    assert perturbations(0.0) == [0.5]
    assert perturbations(0.4) == [0.2, pytest.approx(0.6)]
    assert perturbations(True) == [False]
    assert perturbations((1.0,) * 12) == []    # a flat seasonality has no shape to change
    low, high = perturbations((0.5, 1.5))
    assert low == [0.75, 1.25] and high == [0.25, 1.75]
    assert perturbations("priority") == []


def test_describe_unsourced_lists_and_screens(tmp_path):
    path = _write(tmp_path, SMALL)
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "sim", "describe", "--unsourced", str(path), "--replications", "4",
           "--cache", str(cache), "--wide"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    rows = [LINE.match(x) for x in lines[:-1]]
    assert all(rows), [x for x, m in zip(lines, rows, strict=False) if not m]
    n, k = map(int, LAST.match(lines[-1]).groups())
    found = {m[1]: m[4] for m in rows}
    assert n == len(found) and k == sum(v == "consequential" for v in found.values())
    # sourced values are not listed; unsourced ones are, with their value and source
    assert "office.workers" not in found and "office.overtime_threshold_hours" not in found
    assert "tasks.job.copies" not in found and "tasks.job.effort_factor" not in found
    assert next(m for m in rows if m[1] == "volunteers.teams")[3] == "default (unsourced)"
    # a load of 9 an hour on 10 workers: half or one and a half of it moves utilisation far
    # beyond its interval; turnout without a team cannot move anything
    assert found["tasks.job.arrivals.per_hour"] == "consequential"
    assert found["tasks.job.effort_hours.mean"] == "consequential"
    assert found["volunteers.turnout"] == "inert"
    assert found["problems.volunteer_max_wait_days"] == "inert"
    assert "screening round 1:" in out.stderr          # progress lines on stderr
    assert any(cache.rglob("*.npz"))                     # the replications are kept
    again = subprocess.run([*cmd, "--quiet"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert again.stdout == out.stdout and again.stderr == ""


def _one_line_exit_2(args: list[str], *needles: str) -> None:
    r = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_bad_sources_exit_2_with_one_line(tmp_path):
    bad_key = _write(tmp_path, SMALL.replace('"estimate: ten desks"', '"[tianchang2042] ten desks"'),
                     "key.toml")
    _one_line_exit_2(["describe", str(bad_key)], "sources.office.workers",
                     "cites [tianchang2042]", "did you mean 'tianchang2024'")
    bad_table = _write(tmp_path, SMALL.replace("estimate: half of the members come",
                                               "[xingtai_nx] half"), "table.toml")
    _one_line_exit_2(["describe", str(bad_table)], "volunteers.source", "cites [xingtai_nx]")
    bad_star = _write(tmp_path, SMALL.replace("tasks.*.copies", "tasks.*.copy"), "star.toml")
    _one_line_exit_2(["describe", str(bad_star)], "sources.tasks.*.copy",
                     "names no field")
    good = str(_write(tmp_path, SMALL))
    _one_line_exit_2(["describe", "--unsourced", good, good], "--unsourced", "one scenario")
    _one_line_exit_2(["describe", "--unsourced", good, "--replications", "1"], "--replications")


@pytest.mark.slow
def test_the_bozhou_files_have_no_consequential_unsourced_value(tmp_path):
    """Screened on a quarter (91 days) with 4 replications, both scenarios (about 2 minutes
    on 2 cores without a cache). The same screen finds a sourced value that matters
    (office.workers), so a screen too weak to see anything cannot pass this test."""
    for name in ("bozhou_before.toml", "bozhou_after.toml"):
        out = subprocess.run([sys.executable, "-m", "sim", "describe", "--unsourced",
                              f"scenarios/{name}", "--days", "91", "--replications", "4",
                              "--executor", "processes", "--workers", "2", "--quiet",
                              "--cache", str(tmp_path / "cache")],
                             capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().splitlines()
        n, k = map(int, LAST.match(lines[-1]).groups())
        assert n == len(lines) - 1 and n > 10
        assert k == 0, [x for x in lines if x.endswith("consequential")]
    from sim.scenario import apply_overrides

    before = apply_overrides(load_scenario(ROOT / "scenarios" / "bozhou_before.toml"),
                             {"scenario.days": 91})
    workers = value_sources(before)["office.workers"]
    assert workers.sourced
    (found,) = screen(before, [workers], replications=4, cache=str(tmp_path / "cache"))
    assert found.consequential and found.moved
