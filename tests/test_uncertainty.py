"""Uncertainties apart from levers (issue 13.2): ``[uncertainties.NAME]``, the override
``uncertainties.NAME.value=X``, ``--uncertain NAME=X`` on ``sim compare`` and ``sim sweep``.

Real scenarios and real subprocesses throughout; the simulation checks run short horizons
with a few replications (common random numbers make the paired quantities stable)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import apply_overrides, load_scenario, scenario_diff
from sim.scenario.uncertainty import declared, overrides_for

ROOT = Path(__file__).resolve().parents[1]
BEFORE = str(ROOT / "scenarios" / "bozhou_before.toml")
LEVERS = str(ROOT / "scenarios" / "bozhou_levers.toml")
AFTER = str(ROOT / "scenarios" / "bozhou_after.toml")
SHORT = ["--set", "scenario.days=60", "--set", "scenario.warmup_days=0"]


def sim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def effort(sc, task: str) -> float:
    return next(t for t in sc.resolved["tasks"] if t["id"] == task)["effort_factor"]


def rate(sc, task: str, key: str) -> float:
    return next(t for t in sc.resolved["tasks"] if t["id"] == task)["arrivals"][key]


def test_bozhou_declares_the_consequential_estimates():
    names = set(declared(load_scenario(AFTER)))
    assert {"unlisted_volume", "pushed_share", "ledger_saving", "copies_before", "meeting_cut",
            "handback_days", "volunteer_turnout", "property_days", "refocus"} <= names
    before = declared(load_scenario(BEFORE))
    assert before["handback_days"].nominal == 7.0          # the file's own value
    assert "meeting_cut" not in before                     # a lever's value: declared with the lever


def test_declarations_change_no_content_hash(tmp_path):
    """Declaring is not simulating: the file without its [uncertainties] has the same hash."""
    import tomllib

    for path in (BEFORE, AFTER):
        sc = load_scenario(path)
        assert declared(sc)
    text = (ROOT / "scenarios" / "bozhou_before.toml").read_text(encoding="utf-8")
    stripped = text[: text.index("[uncertainties.")]
    assert "uncertainties" not in tomllib.loads(stripped)
    (tmp_path / "b.toml").write_text(stripped, encoding="utf-8")
    assert load_scenario(tmp_path / "b.toml").hash == load_scenario(BEFORE).hash


def test_a_value_inside_a_lever_moves_what_the_lever_sets():
    after, levers = load_scenario(AFTER), load_scenario(LEVERS)
    moved = apply_overrides(after, {"uncertainties.ledger_saving.value": 0.9})
    for task in ("report_monthly", "report_quarterly", "report_annual", "data_request",
                 "ledger_upkeep"):
        assert effort(after, task) == 0.8 and effort(moved, task) == 0.9
    # with the lever off (bozhou_levers.toml) the value moves only the lever's own table
    off = apply_overrides(levers, {"uncertainties.ledger_saving.value": 0.9})
    assert effort(off, "ledger_upkeep") == effort(levers, "ledger_upkeep") == 1.0
    assert [p for p, _, _ in scenario_diff(levers, off)] == ["levers.no_duplicate_reporting.set"]
    # the quoted form of a lever key is the same path
    assert declared(after)["ledger_saving"].paths[0] == (
        "levers.no_duplicate_reporting.set.tasks.report_monthly.effort_factor")


def test_further_paths_move_in_proportion():
    after = load_scenario(AFTER)
    moved = apply_overrides(after, {"uncertainties.meeting_cut.value": 1.0})
    assert rate(moved, "meeting_department", "per_week") == 1.0
    # the secretary's meetings keep the lever's ratio 0.5 / 1.5
    assert rate(moved, "meeting_secretary", "per_week") == pytest.approx(0.5 / 1.5)
    # the red/black list keeps its 30% cut on top of the uncertain before-reform mean
    both = overrides_for([load_scenario(BEFORE), after], {"property_days": 8.0})
    b = apply_overrides(load_scenario(BEFORE), both[0])
    a = apply_overrides(after, both[1])
    assert b.resolved["problems"]["property_company_days"]["mean"] == 8.0
    assert a.resolved["problems"]["property_company_days"]["mean"] == pytest.approx(8.0 * 3.5 / 5.0)


def test_integer_fields_stay_integers():
    moved = apply_overrides(load_scenario(BEFORE), ["uncertainties.copies_before.value=3"])
    assert {t["copies"] for t in moved.resolved["tasks"] if t["id"].startswith("report_")} == {3}


def _two_files(tmp_path: Path, applies: str) -> tuple[Path, Path]:
    a = tmp_path / f"a_{applies}.toml"
    b = tmp_path / f"b_{applies}.toml"
    mmc = (ROOT / "tests" / "data" / "mmc.toml").read_text(encoding="utf-8")
    a.write_text(mmc + f"""
[uncertainties.load]
paths = ["tasks.job.arrivals.per_hour"]
low = 7.0
high = 9.5
applies = "{applies}"
source = "estimate: test"
""", encoding="utf-8")
    b.write_text(mmc.replace("workers = 10", "workers = 11"), encoding="utf-8")
    return a, b


def test_applies_all_moves_every_scenario_this_only_the_declaring_one(tmp_path):
    for applies, b_moves in (("all", True), ("this", False)):
        a, b = _two_files(tmp_path, applies)
        scs = [load_scenario(a), load_scenario(b)]
        per = overrides_for(scs, {"load": 8.0})
        moved = [apply_overrides(s, o) if o else s for s, o in zip(scs, per, strict=True)]
        assert rate(moved[0], "job", "per_hour") == 8.0
        assert rate(moved[1], "job", "per_hour") == (8.0 if b_moves else 9.0), applies


def _metric(result: dict, k: int, name: str) -> float:
    return result["runs"][k]["metrics"][name]["mean"]


def test_compare_uncertain_moves_both_scenarios_and_keeps_the_lever(tmp_path):
    """--uncertain unlisted_volume: the before and the after scenario both get the volume;
    the admission list keeps cutting the unlisted hours by the same share."""
    runs = {}
    for x in ("1.25", "5"):
        r = sim("compare", BEFORE, AFTER, "--replications", "3", *SHORT, "--json", "--quiet",
                "--uncertain", f"unlisted_volume={x}")
        assert r.returncode == 0, r.stderr
        runs[x] = json.loads(r.stdout)
    lo, hi = runs["1.25"], runs["5"]
    before_lo, before_hi = _metric(lo, 0, "hours_unlisted"), _metric(hi, 0, "hours_unlisted")
    after_lo, after_hi = _metric(lo, 1, "hours_unlisted"), _metric(hi, 1, "hours_unlisted")
    # 4 times the volume: both scenarios move (by far more than replication noise, which a
    # 3 x 60-day mean keeps within about +-30%)
    assert before_hi > 2.5 * before_lo
    assert after_hi > 2.5 * after_lo
    # the lever's relative effect stays: about 0.2 approved + 0.8 x 0.25 pushed = 0.4 of the
    # unlisted work enters after the reform, at either volume
    share_lo, share_hi = after_lo / before_lo, after_hi / before_hi
    assert share_hi < 0.7 and share_lo < 0.7
    assert abs(share_hi - share_lo) < 0.1   # measured 0.245 vs 0.238


def _one_line_exit_2(r: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def _bad(tmp_path: Path, body: str, name: str = "bad.toml") -> str:
    p = tmp_path / name
    p.write_text((ROOT / "tests" / "data" / "mmc.toml").read_text(encoding="utf-8") + body,
                 encoding="utf-8")
    return str(p)


GOOD = """
[uncertainties.load]
paths = ["tasks.job.arrivals.per_hour"]
low = 7.0
high = 9.5
source = "estimate: test"
"""


@pytest.mark.parametrize(("body", "needles"), [
    (GOOD.replace("low = 7.0", "low = 9.2"),
     ["uncertainties.load.low", "excludes the scenario's own value 9"]),
    (GOOD.replace("estimate: test", "[huaiyin2091] 淮阴"),
     ["uncertainties.load.source", "[huaiyin2091]", "did you mean 'huaiyin2019'"]),
    (GOOD.replace("estimate: test", "a guess"), ["uncertainties.load.source", "names no source"]),
    (GOOD.replace("per_hour", "per_houre"), ["uncertainties.load.paths[0]", "names no value"]),
    (GOOD.replace('"tasks.job.arrivals.per_hour"', '"office.dispatch"'),
     ["uncertainties.load.paths[0]", "is not a number"]),
    (GOOD.replace("high = 9.5", "high = 6.0"), ["uncertainties.load.high", "above low"]),
    (GOOD + 'distribution = "triangular"\n', ["uncertainties.load.mode", "needs a mode"]),
    (GOOD + "nominal = 9.0\n", ["uncertainties.load.nominal", "filled in by the loader"]),
    (GOOD + "value = 12.0\n", ["uncertainties.load.value", "outside the declared range"]),
    (GOOD + 'applies = "both"\n', ["uncertainties.load.applies", "all, this"]),
], ids=["range-excludes-own-value", "source-key", "no-source", "unknown-path", "not-a-number",
        "high-below-low", "triangular-mode", "nominal", "value-outside", "applies"])
def test_bad_declarations_exit_2_with_one_line(tmp_path, body, needles):
    path = _bad(tmp_path, body)
    _one_line_exit_2(sim("describe", path), path, *needles)


def test_bad_uncertain_options_exit_2_with_one_line(tmp_path):
    path = _bad(tmp_path, GOOD)
    _one_line_exit_2(sim("compare", BEFORE, AFTER, "--uncertain", "unlisted_volum=3"),
                     "--uncertain", "no uncertainty named 'unlisted_volum'",
                     "did you mean 'unlisted_volume'")
    _one_line_exit_2(sim("compare", BEFORE, AFTER, "--uncertain", "meeting_cut=4"),
                     "--uncertain", "outside the range of meeting_cut", "[1, 2.1]")
    _one_line_exit_2(sim("compare", BEFORE, AFTER, "--uncertain", "meeting_cut"),
                     "--uncertain", "NAME=NUMBER")
    _one_line_exit_2(sim("compare", BEFORE, AFTER, "--uncertain", "copies_before=2.5"),
                     "uncertainties.copies_before.value", "not a whole number")
    _one_line_exit_2(sim("run", path, "--set", "uncertainties.lod.value=8"),
                     "uncertainties.lod.value", "did you mean 'load'")
    _one_line_exit_2(sim("sweep", path, "--param", "office.workers=10,11", "--out",
                         str(tmp_path / "sw"), "--uncertain", "loads=8"),
                     "--uncertain", "did you mean 'load'")
    with pytest.raises(ScenarioError, match="did you mean 'load'"):
        overrides_for([load_scenario(path)], {"laod": 8.0})


def test_sweep_fixes_and_sweeps_uncertainties(tmp_path):
    path = _bad(tmp_path, GOOD, "ok.toml")
    common = ["--replications", "1", "--executor", "serial", "--no-progress",
              "--set", "scenario.days=10"]
    r = sim("sweep", path, "--param", "uncertainties.load.value=7,9.5", "--out",
            str(tmp_path / "a"), *common)
    assert r.returncode == 0, r.stderr
    r2 = sim("sweep", path, "--param", "office.workers=10", "--uncertain", "load=7",
             "--out", str(tmp_path / "b"), *common)
    assert r2.returncode == 0, r2.stderr

    def arrived(d: str) -> list[float]:
        with open(tmp_path / d / "results.csv", newline="", encoding="utf-8") as f:
            return [float(row["tasks_arrived"]) for row in csv.DictReader(f)]

    low, high = arrived("a")
    assert high > low * 1.15          # 9.5 vs 7 an hour over 10 days: ~2,280 vs ~1,680 jobs
    assert arrived("b") == [low]      # --uncertain load=7 is the sweep's point load=7 (same CRN)


def test_describe_lists_the_declared_uncertainties():
    r = sim("describe", AFTER, "--set", "uncertainties.meeting_cut.value=1.2")
    assert r.returncode == 0, r.stderr
    section = r.stdout[r.stdout.index("uncertainties:"):].splitlines()
    row = next(x for x in section if x.split()[0] == "meeting_cut").split()
    assert row[1:6] == ["1.5", "(fixed", "at", "1.2)", "[1,"]
    assert len(section) == 1 + 1 + len(declared(load_scenario(AFTER)))   # title, header, rows
    # the moved value shows the uncertainty as its source
    moved = next(x for x in r.stdout.splitlines()
                 if x.startswith("tasks.meeting_department.arrivals.per_week "))
    assert moved.split()[1] == "1.2" and "uncertainty meeting_cut [1, 2.1]" in moved
