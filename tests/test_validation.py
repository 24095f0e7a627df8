"""The validation studies (``validation/``, ``make validate``) in small: their formulas against
closed forms, their pass rule, and each study run on the real engine with short horizons,
once with the right theory (it must pass) and once with a wrong one (it must fail)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from engine_helpers import cobham_waits as helper_cobham
from engine_helpers import erlang_c_wait

from validation import periodic, study_calendar, study_little, study_mmc, study_priority, theory
from validation.checks import FAIL, PASS, PASS_FW, Check, Study
from validation.report import render
from validation.runner import Runner, scenario_from
from validation.study_capacity import run as capacity_run

SERIAL = Runner(1)


# ----------------------------------------------------------------------------- theory


def test_erlang_c_closed_forms():
    assert theory.erlang_c(0.7, 1.0, 1) == pytest.approx(0.7)
    for lam, mu, c in [(9.0, 1.0, 10), (4.0, 1.0, 5), (2.7, 1.0, 3), (0.5, 2.0, 2)]:
        # two closed forms of the same Erlang C sum (a few dozen terms of a well-conditioned
        # recursion): they agree to a few ulps; rel 1e-12 leaves ~4,500 ulps of room
        assert theory.mmc_wait(lam, mu, c) == pytest.approx(erlang_c_wait(lam, mu, c), rel=1e-12)
    # M/M/2: P(wait) = 2 rho^2 / (1 + rho)
    rho = 0.6
    assert theory.erlang_c(2 * rho, 1.0, 2) == pytest.approx(2 * rho ** 2 / (1 + rho))
    with pytest.raises(ValueError):
        theory.erlang_c(3.0, 1.0, 3)


def test_priority_formulas():
    # one class: Pollaczek-Khinchine, lam E[S^2] / (2 (1 - rho))
    lam, m, m2 = 0.6, 1.0, 1.25
    assert theory.cobham_waits([lam], [m], [m2])[0] == pytest.approx(lam * m2 / (2 * (1 - lam)))
    # exponential classes agree with the tests' own helper
    assert theory.cobham_waits([0.3, 0.4], [1.0, 1.0], [2.0, 2.0]) == pytest.approx(
        helper_cobham([0.3, 0.4], [1.0, 1.0]))
    # work conservation: the arrival-weighted mean over classes is the FIFO wait
    lams = [0.6, 0.9, 1.05]
    w = theory.mmc_priority_waits(lams, 1.0, 3)
    assert np.dot(lams, w) / sum(lams) == pytest.approx(theory.mmc_wait(2.55, 1.0, 3))


# ----------------------------------------------------------------------------- periodic CTMC


def test_periodic_solver_reduces_to_mm1_when_always_open():
    for rho in (0.3, 0.8):
        one = periodic.solve_periodic(rho, 1.0, [periodic.Piece(24.0, True)], n_max=120)
        split = periodic.solve_periodic(rho, 1.0, [periodic.Piece(5.0, True),
                                                   periodic.Piece(19.0, True)], n_max=120)
        assert one.L == pytest.approx(rho / (1 - rho), rel=1e-8)
        assert split.L == pytest.approx(rho / (1 - rho), rel=1e-8)
        assert one.W == pytest.approx(1 / (1 - rho), rel=1e-8)
        # Against the exact truncated geometric law p_n = (1 - rho) rho^n / (1 - rho^121).
        # pi comes from expm(Q t) (error ~ eps ||Q t|| with ||Q t|| <= 43 here) fed to a linear
        # solve with cond(P - I) ~ 6e2 (computed: 384 at rho 0.3, 588 at 0.8), so each entry
        # carries ~ 2.2e-16 x 43 x 588 ~ 6e-12 of round-off at worst (1.3e-12 seen): 1e-10
        # bounds that with room, whatever the BLAS, yet catches any modelling error. The old
        # check (top-state probability < 1e-12) tested round-off, not the model: the exact
        # value is 4.7e-13 at rho 0.8, within round-off of the bound.
        n = np.arange(121)
        exact = (1 - rho) * rho ** n / (1 - rho ** 121)
        np.testing.assert_allclose(one.pi, exact, rtol=0, atol=1e-10)
        # the truncation at 120 is negligible: the studies' own criterion (top state < 1e-9)
        assert one.max_full_probability < 1e-9
    with pytest.raises(ValueError, match="unstable"):
        periodic.solve_periodic(0.3, 1.0, [periodic.Piece(7.0, True),
                                            periodic.Piece(17.0, False)])


def test_periodic_solver_office_hours_only_arrivals_is_mm1_in_working_time():
    day = periodic.weekly_schedule(study_calendar.OFFICE_HOURS, range(7))
    sol = periodic.solve_periodic(0.8, 1.0, day, arrivals_when_closed=False, n_max=120)
    assert sol.L == pytest.approx(4.0, rel=1e-8)               # frozen while closed
    assert sol.W == pytest.approx(4.0 / (0.8 * 7 / 24), rel=1e-8)  # clock hours


def test_periodic_solver_closed_stretches_and_integral():
    from scipy.linalg import expm

    lam, mu, n_max = 0.15, 1.0, 120
    week = periodic.weekly_schedule(study_calendar.OFFICE_HOURS, range(5))
    assert sum(p.hours for p in week) == 168.0
    assert sum(p.hours for p in week if p.open) == 35.0
    sol = periodic.solve_periodic(lam, mu, week, n_max=n_max)
    starts = (*sol.mean_at_piece_start, sol.mean_at_piece_start[0])
    for k, p in enumerate(week):
        if not p.open:   # no service: the mean rises by exactly lam x hours
            assert starts[k + 1] - starts[k] == pytest.approx(lam * p.hours, rel=1e-9)
        else:            # service: it falls by at most mu x hours - lam x hours
            assert starts[k + 1] - starts[k] > (lam - mu) * p.hours
    # the exact (Van Loan) time integral against Simpson's rule on fine sub-steps
    q = {True: periodic._generator(lam, mu, n_max, serving=True, arriving=True),
         False: periodic._generator(lam, mu, n_max, serving=False, arriving=True)}
    n = np.arange(n_max + 1.0)
    steps: dict[tuple[float, bool], tuple[int, np.ndarray]] = {}
    p, area = sol.pi, 0.0
    for piece in week:
        key = (piece.hours, piece.open)
        if key not in steps:
            k = 2 * max(2, round(piece.hours * 2))
            steps[key] = (k, expm(q[piece.open] * piece.hours / k))
        k, step = steps[key]
        vals = [p @ n]
        for _ in range(k):
            p = p @ step
            vals.append(p @ n)
        area += piece.hours / k / 3 * (vals[0] + vals[-1] + 4 * sum(vals[1:-1:2])
                                       + 2 * sum(vals[2:-1:2]))
    # pi is periodic: one period of products of expm sub-steps against the solver's pi.
    # Round-off ~ eps x cond(P - I) x max ||Q t|| = 2.2e-16 x 281 (computed for this week at
    # lam 0.15) x ~75 (the 65 h weekend) ~ 5e-12; 1e-10 bounds it 20-fold, while a wrong
    # generator or schedule moves entries by orders of magnitude more
    assert p == pytest.approx(sol.pi, abs=1e-10)
    assert area / 168.0 == pytest.approx(sol.L, rel=1e-5)


def test_fluid_diffusion_reduces_to_the_mm1_diffusion():
    rho = 0.9
    approx = periodic.fluid_diffusion_mean(rho, 1.0, [periodic.Piece(24.0, True)])
    assert approx == pytest.approx((1 + rho) / (2 * (1 - rho)))


# ----------------------------------------------------------------------------- pass rule


def test_check_verdicts():
    vals = [1.0, 1.1, 0.9, 1.05, 0.95]
    assert Check("x", "q", 1.0, vals).verdict == PASS
    assert Check("x", "q", 2.0, vals).verdict == FAIL
    # just outside the 95% interval, inside the Bonferroni interval of a family of 50
    hi = Check("x", "q", 0.0, vals).interval.high
    edge = Check("x", "q", hi + 0.01, vals, family=50)
    assert edge.verdict == PASS_FW
    assert Check("x", "q", hi + 0.01, vals, family=1).verdict == FAIL
    # exact checks: tolerance decides
    assert Check("x", "q", 0.0, [1e-12], tolerance=1e-9).verdict == PASS
    assert Check("x", "q", 0.0, [1e-6], tolerance=1e-9).verdict == FAIL
    assert Check("x", "q", math.nan, vals).verdict == FAIL


# ----------------------------------------------------------------------------- studies


def small_mmc():
    case = study_mmc.plan(loads=(0.7,), servers=(2,), replications=8, scale=0.3)[0]
    return [dataclasses.replace(case, seed=7)]


def test_mmc_study_passes_with_erlang_c_and_fails_with_a_wrong_theory():
    study = study_mmc.run(SERIAL, small_mmc())
    assert len(study.checks) == 3 and study.passed, study.table
    wrong = study_mmc.run(SERIAL, small_mmc(), theory_fn=lambda lam, mu, c: (
        theory.mmc_wait(lam, 1.15 * mu, c), theory.erlang_c(lam, 1.15 * mu, c),
        theory.mmc_number_in_system(lam, 1.15 * mu, c)))
    assert not wrong.passed
    assert all(not c.passed for c in wrong.checks)


def test_priority_study_passes_with_cobham_and_fails_with_fifo_waits():
    mm1 = study_priority.systems(scale=0.08, replications=6)[:1]
    study = study_priority.run(SERIAL, mm1)
    assert study.passed, study.table

    def fifo(s):   # the wait every class would have without priorities
        lam = sum(k.lam for k in s.classes)
        return [theory.mmc_wait(lam, 1.0, s.servers)] * len(s.classes)

    wrong = study_priority.run(SERIAL, mm1, theory_fn=fifo)
    assert not wrong.passed


def test_studies_give_the_same_numbers_on_a_process_pool_as_serially():
    # the studies submit to the package's evaluator: the reduction runs in the worker, and
    # the values (one a replication, in job order) must be exactly the serial ones
    mm1 = study_priority.systems(scale=0.03, replications=3)[:1]
    syss = study_calendar.systems(scale=0.05, replications=2)
    serial = [study_priority.run(SERIAL, mm1), study_calendar.run(SERIAL, syss)]
    with Runner(2) as pool:
        assert pool.evaluator.executor == "processes"
        parallel = [study_priority.run(pool, mm1), study_calendar.run(pool, syss)]
    for a, b in zip(serial, parallel, strict=True):
        assert [list(c.values) for c in a.checks] == [list(c.values) for c in b.checks]
        assert any(len(c.values) > 1 for c in a.checks)


def test_a_failing_replication_raises_with_the_workers_traceback():
    def boom(sc, r):   # a local function: the serial executor calls it as it is
        raise ValueError(f"no numbers for replication {r}")

    sc = scenario_from(study_mmc.scenario(small_mmc()[0]))
    with pytest.raises(RuntimeError, match=r"replication 0 .*ValueError: no numbers"):
        SERIAL.map([(sc, 0, boom)])


def test_calendar_study_passes_with_the_exact_solution_and_fails_ignoring_office_hours():
    syss = [s for s in study_calendar.systems(scale=0.25, replications=6) if s.every_day]
    study = study_calendar.run(SERIAL, syss)
    assert study.passed, study.table
    assert any("working hours" in c.quantity for c in study.checks)

    def always_open(s):   # M/M/1 at the clock rate, as if the office never closed
        L = s.lam / (1.0 - s.lam)
        return L, L / s.lam

    wrong = study_calendar.run(SERIAL, syss[:1], theory_fn=always_open)
    assert not wrong.passed


def test_calendar_scenario_has_no_overtime_and_opens_every_day():
    from sim.engine import build_calendar
    from sim.scenario import scenario_from_dict

    s = study_calendar.systems(scale=0.05)[0]
    sc = scenario_from_dict(study_calendar.scenario(s))
    assert sc.office.overtime_hours_max_per_day == 0.0
    cal = build_calendar(sc)
    assert cal.working_hours_between(0.0, 24.0 * 14) == pytest.approx(7.0 * 14)
    t = np.array([0.0, 9.0, 13.0, 15.0, 20.0, 24.0 * 5 + 10.0, 24.0 * 6 + 16.0])
    assert study_calendar.working_hours_before(t) == pytest.approx(cal.shifts.hours_before(t))


def test_little_study_identity_holds_and_catches_a_tampered_log():
    case = study_little.Case("Bozhou after", "scenarios/bozhou_after.toml", study_little.YEARS, 2)
    study = study_little.run(SERIAL, [case])
    assert study.passed, study.table
    # the same measurement on a replication whose event log disagrees with the engine's
    # table (one completed task's done time moved by a day) must break the identity
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    sc = load_scenario(study_little.ROOT / case.path, dict(case.overrides))
    r = run_replication(sc, 0, events=True)
    hi = sc.scenario.days * 24.0
    good = study_little.measure(r, 0.0, hi)
    assert abs(good["residual"]) < study_little.EXACT_TOLERANCE
    done = r.events["done_hours"]
    k = int(np.flatnonzero((done < hi - 48.0) & ~r.events["refused"])[0])
    done[k] += 24.0
    bad = study_little.measure(r, 0.0, hi)
    assert abs(bad["residual"]) > study_little.EXACT_TOLERANCE


def test_capacity_study_notices_a_new_capacity_key():
    assert capacity_run().passed
    assert not capacity_run(["office.workers", "office.queue_capacity"]).passed


def test_report_has_every_section_and_shows_failures():
    ok = Study("x", "First study", "compared text", "explanation text",
               [Check("case 1", "Wq", 1.0, [1.0, 1.1, 0.9]),
                Check("case 1", "identity", 0.0, [0.0])], table="| a |\n|---|")
    ok.set_family()
    assert ok.outside_95 == 0 and ok.checks[0].family == 1   # the exact check is no statistic
    bad = Study("y", "Second study", "c", "e", [Check("case 2", "L", 5.0, [1.0, 1.1, 0.9])])
    text = render([ok, bad, capacity_run()])
    for head in ("# Validation report", "**Pass rule.**", "## Summary", "## a. First study",
                 "## b. Second study", "## c. Finite capacity", "compared text", "| a |"):
        assert head in text
    assert "Overall: **FAIL**" in text
    assert "**FAIL** case 2: L" in text
    assert "not supported" in text
    assert "Overall: **pass**" in render([ok])


def test_entry_point_writes_the_report(tmp_path):
    """``python -m validation`` as ``make validate`` runs it, with tiny run lengths."""
    import subprocess
    import sys

    out = tmp_path / "validation.md"
    proc = subprocess.run([sys.executable, "-m", "validation", "--scale", "0.01", "--jobs", "1",
                           "--out", str(out)], cwd=study_little.ROOT, capture_output=True,
                          text=True, timeout=120)
    text = out.read_text(encoding="utf-8")
    assert proc.returncode == (0 if "Overall: **pass**" in text else 1), proc.stderr
    assert "Run with `--scale 0.01`" in text
    for letter in "abcde":
        assert f"\n## {letter}. " in text
    assert f"wrote {out}" in proc.stdout
