"""History matching (sim.city.history): the calibration settings compatible with the targets.

Planted cases whose compatible set is known in closed form, the direction of the emulator
error's effect, and the Bozhou calibration record (no runs: the record's design points)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.city import load_city
from sim.city.history import Band, from_design, implausibility, match
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CITY = str(ROOT / "scenarios" / "bozhou_city.toml")
RECORD = ROOT / "calibration" / "bozhou_city.json"


def _grid(n: int, d: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=3).random(n)


def test_a_linear_metric_keeps_exactly_the_band():
    """y = 10 u on [0, 1], band 4..6, exact design: the emulator is exact (residual sd at
    rounding level), so the kept set is u in [0.4, 0.6]; its edges are found to the Sobol
    sample's spacing (2^15 points on one axis: 3e-5) and the zoom stage's spacing."""
    u = _grid(12, 1)
    y = 10.0 * u[:, 0]
    found = match(u, [y], [Band("y", 4.0, 6.0)], ["x"], [0.0], [1.0], seed=1)
    lo, hi = found.ranges()["x"]
    assert lo == pytest.approx(0.4, abs=1e-3) and hi == pytest.approx(0.6, abs=1e-3)
    assert found.share == pytest.approx(0.2, abs=1e-3)
    assert found.emulators[0]["emulator_sd"] < 1e-9


def test_two_targets_keep_their_rectangle_and_the_share_matches():
    """Two targets, each on its own parameter: the set is the product of the two bands,
    0.3 x 0.5 = 0.15 of the box; the sampled share is within 4 binomial standard errors."""
    u = _grid(20, 2)
    bands = [Band("a", 2.0, 5.0), Band("b", 0.0, 5.0)]     # a = 10 u0, b = 10 u1
    found = match(u, [10 * u[:, 0], 10 * u[:, 1]], bands, ["p", "q"], [0, 0], [1, 1], seed=2)
    r = found.ranges()
    assert r["p"][0] == pytest.approx(0.2, abs=0.01) and r["p"][1] == pytest.approx(0.5, abs=0.01)
    assert r["q"][0] == pytest.approx(0.0, abs=0.01) and r["q"][1] == pytest.approx(0.5, abs=0.01)
    se = math.sqrt(0.15 * 0.85 / found.sampled)
    assert abs(found.share - 0.15) < 4 * se + 1e-3   # + Sobol edge effects at this size


def test_emulator_error_widens_the_set():
    """The same metric with noise in the design: the fit's residual variance enters the
    implausibility's denominator, so fewer settings can be ruled out."""
    u = _grid(30, 1)
    rng = np.random.default_rng(5)
    exact = match(u, [10 * u[:, 0]], [Band("y", 4, 6)], ["x"], [0], [1], seed=1)
    noisy = match(u, [10 * u[:, 0] + rng.normal(0, 0.5, len(u))], [Band("y", 4, 6)],
                  ["x"], [0], [1], seed=1)
    assert noisy.emulators[0]["emulator_sd"] > 0.3
    assert noisy.share > exact.share + 0.05


def test_a_constant_target_outside_its_band_rules_out_everything():
    u = _grid(12, 1)
    inside = match(u, [10 * u[:, 0], np.full(12, 48.0)],
                   [Band("y", 4, 6), Band("teams", 48, 48)], ["x"], [0], [1])
    outside = match(u, [10 * u[:, 0], np.full(12, 47.0)],
                    [Band("y", 4, 6), Band("teams", 48, 48)], ["x"], [0], [1])
    assert inside.share == pytest.approx(0.2, abs=1e-3)
    assert outside.empty and outside.share == 0.0
    assert "none" in outside.table()


def test_bad_cutoff_is_refused():
    u = _grid(12, 1)
    with pytest.raises(InputError, match="cutoff"):
        match(u, [10 * u[:, 0]], [Band("y", 4, 6)], ["x"], [0], [1], cutoff=0.0)


# --------------------------------------------------------------------------- Bozhou
@pytest.fixture(scope="module")
def bozhou():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    return load_city(CITY), record


def test_bozhou_calibrated_point_is_in_the_compatible_set(bozhou):
    """The point `sim calibrate` chose meets the targets at verification, so history matching
    must not rule it out; and the targets do pin the inputs down: the set is a small part
    of the stated ranges, each parameter's range strictly inside its [[calibrate]] range."""
    city, record = bozhou
    found = from_design(city, record["design"])
    assert not found.empty
    ranges = found.ranges()
    for p in city.calibrate:
        lo, hi = ranges[p.key]
        assert lo <= record["parameters"][p.key] <= hi, p.key
        assert p.low < lo and hi < p.high, p.key
    assert found.share < 0.05


def test_bozhou_point_implausibility_directly(bozhou):
    """Implausibility of the recorded point computed from refitted emulators is <= 3."""
    from sim.city.emulator import fit_surface, quadratic_features

    city, record = bozhou
    params = city.calibrate
    lo = np.array([p.low for p in params])
    hi = np.array([p.high for p in params])
    x = np.array([[row[p.key] for p in params] for row in record["design"]])
    u = (x - lo) / (hi - lo)
    fits, bands, sds = [], [], []
    for t in city.targets:
        y = np.array([row[t.metric] for row in record["design"]], dtype=float)
        if np.ptp(y) == 0:
            continue
        f = fit_surface(t.metric, u, y)
        X = quadratic_features(u)
        sds.append(float(np.sqrt(((y - X @ f.coef) ** 2).sum() / (len(y) - X.shape[1]))))
        fits.append(f)
        bands.append(Band(t.metric, *t.band))
    point = (np.array([record["parameters"][p.key] for p in params]) - lo) / (hi - lo)
    assert implausibility(fits, bands, sds, point).max() <= 3.0


def _sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_from_record_prints_the_set_and_writes_json(tmp_path):
    out = tmp_path / "set.json"
    proc = _sim("calibrate", CITY, "--from-record", str(RECORD), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "compatible with the targets" in proc.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["kept"] > 0 and 0 < data["share_of_box"] < 1
    assert set(data["ranges"]) == {"volunteers.turnout", "problems.joint_meeting_share",
                                   "tasks.unit_activity.arrivals.per_month"}
    assert len(data["sample"]) <= 200


@pytest.mark.parametrize("case, args, field", [
    ("cutoff", ["--cutoff", "-1"], "--cutoff"),
    ("cutoff_nan", ["--cutoff", "nan"], "--cutoff"),
    ("not_json", ["--from-record", "README.md"], "design"),
    ("missing", ["--from-record", "no/such.json"], None),
])
def test_cli_bad_input_is_one_line(case, args, field):
    if case.startswith("cutoff"):
        args = [*args, "--from-record", str(RECORD)]
    proc = _sim("calibrate", CITY, *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    if field:
        assert field in lines[0]


def test_cli_record_of_another_city_is_refused(tmp_path):
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"design": [{"round": 1, "office.workers": 5}]}), encoding="utf-8")
    proc = _sim("calibrate", CITY, "--from-record", str(bad))
    assert proc.returncode == 2
    assert "design" in proc.stderr and "volunteers.turnout" in proc.stderr


def test_bozhou_declares_the_compatible_set_as_its_calibrated_uncertainties(bozhou):
    """Calibration doubt reaches the ensembles: each calibrated input is declared an
    uncertainty (in the levers, where the calibrated values live) whose range is the
    history-matching set's range, rounded outward to 3 decimals (so each declared end lies
    within 0.001 outside the set's)."""
    from sim.scenario import load_scenario
    from sim.scenario.uncertainty import declared

    city, record = bozhou
    ranges = from_design(city, record["design"]).ranges()
    unc = declared(load_scenario(ROOT / "scenarios" / "bozhou_after.toml"))
    for key, (lo, hi) in ranges.items():
        match_ = [u for u in unc.values() if u.paths[0].endswith(".set." + key)]
        assert len(match_) == 1, key
        u = match_[0]
        assert u.low <= lo < u.low + 1e-3 + 1e-12, (key, u.low, lo)
        assert u.high - 1e-3 - 1e-12 < hi <= u.high, (key, u.high, hi)
        assert u.low <= record["parameters"][key] <= u.high
