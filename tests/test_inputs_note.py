"""A comparison says what its intervals do not hold: they are replication noise at one value
of every input, and the scenarios' declared uncertain inputs are held at one value each
(``sim explore`` varies them). In ``sim compare``'s table and in the report's "In short"."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiment import compare
from sim.report import build_report

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
SHORT = {"scenario.days": 20, "scenario.warmup_days": 0}
MMC = """\
[scenario]
name = "M/M/3"
days = 5
calendar = "always"
seed = 1

[office]
workers = 3

[[tasks]]
id = "job"
category = "core"
arrivals = { per_hour = 2.0 }
effort_hours = { dist = "exponential", mean = 1.0 }
"""


@pytest.fixture(scope="module")
def bozhou():
    return compare([BEFORE, AFTER], replications=2, overrides=SHORT, progress=False)


def test_the_table_names_the_declared_inputs_it_holds_fixed(bozhou):
    text = bozhou.table()
    # 3 declared in the before file, 8 more with the levers of the after file: 11, by name
    # in the order first declared, the first six shown
    assert "replication noise only" in text
    assert "the scenarios declare 11 uncertain inputs (unlisted_volume, copies_before, " \
           "handback_days, pushed_share, ledger_saving, meeting_cut and 5 more)" in text
    assert "`sim explore`" in text
    assert "不确定输入" in bozhou.table("zh")


def test_without_declared_inputs_it_says_so(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(MMC, encoding="utf-8")
    b.write_text(MMC.replace("workers = 3", "workers = 4"), encoding="utf-8")
    text = compare([str(a), str(b)], replications=2, progress=False).table()
    assert "the scenarios declare no uncertain inputs" in text
    assert "more)" not in text


def test_the_report_says_it_in_short_unless_an_ensemble_is_shown(bozhou):
    html = build_report(bozhou)
    short = html[html.index('id="question"'):html.index('id="scenarios"')]
    assert "replication noise only" in short and "11 uncertain inputs" in short
    zh = build_report(bozhou, "zh")
    assert "不确定输入" in zh[zh.index('id="question"'):zh.index('id="scenarios"')]
