"""Study e: one worker who serves only in office hours, against an exact periodic solution.

Three systems, each one worker, exponential work of mean 1 h, no overtime, no secretary:

* office open every day 08:30-12:00 and 14:30-18:00, Poisson arrivals at any time of day;
* office open Monday to Friday, same hours, arrivals at any time (heavily loaded), with a
  fluid / diffusion approximation as a sanity check of the exact solution;
* office open every day, arrivals only in office hours: in working time this is exactly
  M/M/1, so waits measured in working hours must match M/M/1's.

"Every day" is the ``weekdays`` calendar with each Saturday and Sunday of the horizon listed
in ``calendar.extra_working_days``. The exact values come from :mod:`validation.periodic`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import MAX_DAYS
from validation import periodic
from validation.checks import Check, Study, cell, fmt, mark
from validation.records import time_average
from validation.runner import Runner, scenario_from

START = dt.date(2024, 1, 1)        # a Monday: the week's schedule starts at t = 0
OFFICE_HOURS = ((8.5, 12.0), (14.5, 18.0))
MU = 1.0
FLUID_SWING_TOLERANCE = 0.10    # relative, fluid swing against the exact one
FLUID_LEVEL_TOLERANCE = 0.25    # relative, fluid + diffusion level against the exact L


@dataclass(frozen=True)
class System:
    name: str
    every_day: bool               # open 7 days a week (else Monday to Friday)
    any_time: bool                # arrivals at any time (else only in office hours)
    rho: float                    # lam / (mu x share of the period the office is open)
    days: int
    warmup_days: int
    replications: int
    seed: int

    @property
    def schedule(self) -> list[periodic.Piece]:
        return periodic.weekly_schedule(OFFICE_HOURS, range(7) if self.every_day else range(5))

    @property
    def open_share(self) -> float:
        s = self.schedule
        return sum(p.hours for p in s if p.open) / sum(p.hours for p in s)

    @property
    def lam(self) -> float:
        """Arrival rate per clock hour."""
        return self.rho * MU * self.open_share


def systems(scale: float = 1.0, replications: int = 20) -> list[System]:
    """Warm-ups of about 5 relaxation times of the working-time M/M/1; measured lengths
    (whole weeks) for a 95% interval of a few percent, times ``scale``."""
    def weeks(d: float) -> int:
        return max(4, math.ceil(d * scale / 7)) * 7

    def warm(d: float) -> int:
        return max(7, math.ceil(d * min(scale, 1.0) / 7) * 7)

    def fit(s: System) -> System:
        """The horizon limit (MAX_DAYS): more replications of whole weeks, each with its own
        warm-up, instead of a longer one (the same measured weeks in all)."""
        measured = (s.days - s.warmup_days) * s.replications
        if s.days <= MAX_DAYS:
            return s
        reps = math.ceil(measured / ((MAX_DAYS - s.warmup_days) // 7 * 7))
        days = s.warmup_days + math.ceil(measured / reps / 7) * 7
        return dataclasses.replace(s, days=days, replications=reps)

    return [fit(s) for s in (
        System("every day, arrivals any time, rho = 0.7", True, True, 0.7,
               warm(28) + weeks(2300), warm(28), replications, 301),
        System("Mon-Fri, arrivals any time, rho = 0.95", False, True, 0.95,
               warm(1575) + weeks(24000), warm(1575), replications, 302),
        System("every day, arrivals in office hours, rho = 0.8", True, False, 0.8,
               warm(70) + weeks(5000), warm(70), replications, 303),
    )]


def _hhmm(h: float) -> str:
    return f"{int(h):02d}:{round((h % 1) * 60):02d}"


def scenario(s: System) -> dict:
    extra = []
    if s.every_day:
        extra = [START + dt.timedelta(days=k) for k in range(s.days)
                 if (START + dt.timedelta(days=k)).weekday() >= 5]
    return {
        "scenario": {"name": s.name, "days": s.days, "warmup_days": s.warmup_days,
                     "calendar": "weekdays", "start_date": START, "seed": s.seed},
        "calendar": {"office_hours": [f"{_hhmm(a)}-{_hhmm(b)}" for a, b in OFFICE_HOURS],
                     "extra_working_days": extra},
        "office": {"workers": 1, "dispatch": "fifo", "secretary": False,
                   "overtime_hours_max_per_day": 0.0},
        "tasks": [{"id": "job", "category": "core",
                   "arrivals": {"per_hour": s.lam,
                                "when": "any_time" if s.any_time else "office_hours"},
                   "effort_hours": {"dist": "exponential", "mean": 1.0 / MU}}],
    }


def working_hours_before(t: np.ndarray) -> np.ndarray:
    """Office hours from the start to each instant, for an office open every day (computed
    here from the office hours, independently of the engine's calendar)."""
    day, hour = np.divmod(np.asarray(t, dtype=float), 24.0)
    per_day = sum(b - a for a, b in OFFICE_HOURS)
    within = sum(np.clip(np.minimum(hour, b) - a, 0.0, None) for a, b in OFFICE_HOURS)
    return day * per_day + within


def replication(sc, r, every_day: bool = False) -> tuple[float, ...]:
    """(W clock hours from the engine, L time-average from the log[, Wq and W in working
    hours from the log, for the every-day office]) of the replication ``r`` of ``sc`` (run
    in the worker)."""
    ev = r.events
    lo = sc.scenario.warmup_days * 24.0
    hi = sc.scenario.days * 24.0
    a, fs, done = ev["arrival_hours"], ev["first_start_hours"], ev["done_hours"]
    out = (r.tasks["job"]["time_in_system_hours_mean"], time_average(a, done, lo, hi))
    if not every_day:
        return out
    coh = (a >= lo) & (a < hi)
    started = coh & (fs <= hi)
    finished = coh & (done <= hi)
    wq = working_hours_before(fs[started]) - working_hours_before(a[started])
    w = working_hours_before(done[finished]) - working_hours_before(a[finished])
    return (*out, float(wq.mean()), float(w.mean()))


@functools.lru_cache(maxsize=32)
def exact(s: System) -> periodic.PeriodicSolution:
    """The periodic steady state, with a truncation level that leaves < 1e-9 at the top."""
    lam = s.lam if s.any_time else s.lam / s.open_share   # the rate while arrivals happen
    n_max = 400
    while True:
        sol = periodic.solve_periodic(lam, MU, s.schedule, arrivals_when_closed=s.any_time,
                                      n_max=n_max)
        if sol.max_full_probability < 1e-9 or n_max >= 3200:
            return sol
        n_max *= 2


def fluid_swing(s: System) -> float:
    """Fluid model: max - min over the period of the net input lam t - mu O(t) with its
    drift removed (how far the mean number in system swings in the period, near saturation)."""
    sched = s.schedule
    period = sum(p.hours for p in sched)
    x = [0.0]
    for p in sched:
        x.append(x[-1] + (s.lam - (MU if p.open else 0.0)) * p.hours)
    t = np.cumsum([0.0] + [p.hours for p in sched])
    f = np.asarray(x) - x[-1] / period * t
    return float(f.max() - f.min())


def run(runner: Runner, syss: list[System] | None = None, theory_fn=None) -> Study:
    """``theory_fn(system) -> (L, W)`` defaults to the exact periodic solution."""
    syss = systems() if syss is None else syss
    theory_fn = theory_fn or (lambda s: (exact(s).L, exact(s).W))
    scs = [scenario_from(scenario(s)) for s in syss]
    results = iter(runner.map(
        (sc, r, functools.partial(replication, every_day=s.every_day))
        for s, sc in zip(syss, scs, strict=True) for r in range(s.replications)))
    study = Study(key="calendar", title="Office hours: the working-calendar queue",
                  compared="", explanation="")
    lines = ["| system | lam /h | quantity | exact | simulated [95% CI] | |",
             "|---|---:|---|---:|---|---|"]
    sanity = []
    for s in syss:
        vals = [next(results) for _ in range(s.replications)]
        L, W = theory_fn(s)
        rows = [Check(s.name, "W, clock hours", W, [v[0] for v in vals]),
                Check(s.name, "L (time average)", L, [v[1] for v in vals])]
        if s.every_day and not s.any_time:
            lam_w = s.rho * MU
            rows += [Check(s.name, "Wq, working hours (M/M/1)", s.rho / (MU - lam_w),
                           [v[2] for v in vals]),
                     Check(s.name, "W, working hours (M/M/1)", 1.0 / (MU - lam_w),
                           [v[3] for v in vals])]
        for ch in rows:
            study.checks.append(ch)
            lines.append(f"| {s.name} | {s.lam:.4f} | {ch.quantity} | {fmt(ch.theory, 4)} | "
                         f"{cell(ch, 4)} | {mark(ch)} |")
        if s.any_time and not s.every_day:
            sol = exact(s)
            swing = max(sol.mean_at_piece_start) - min(sol.mean_at_piece_start)
            fl = fluid_swing(s)
            level = periodic.fluid_diffusion_mean(s.lam, MU, s.schedule)
            sanity.append((s, sol, swing, fl, level))
            study.checks.append(Check(s.name, "fluid: weekly swing of E[N]", swing, [fl],
                                      tolerance=FLUID_SWING_TOLERANCE * swing))
            study.checks.append(Check(s.name, "fluid + diffusion: L", sol.L, [level],
                                      tolerance=FLUID_LEVEL_TOLERANCE * sol.L))
    study.set_family()
    study.table = "\n".join(lines)
    study.compared, study.explanation = _texts(syss, sanity)
    return study


def _texts(syss: list[System], sanity) -> tuple[str, str]:
    compared = (
        "One worker, exponential work of mean 1 h (rate mu = 1 per working hour), office "
        "hours 08:30-12:00 and 14:30-18:00 (7 h a day), no overtime "
        "(`office.overtime_hours_max_per_day = 0`), FIFO. Work cut off by closing time goes "
        "on at the next opening with the same worker. rho is lam / (mu x share of the week "
        "the office is open). Calendar `weekdays` from Monday 2024-01-01; \"every day\" lists "
        "each Saturday and Sunday of the horizon in `calendar.extra_working_days`. Compared: the mean time in system W in clock hours (the "
        "engine's `time_in_system_hours_mean`) and the time-average number in system L "
        "(from the event log, over whole weeks after the warm-up); for office-hours arrivals "
        "also the waits measured in working hours. Systems: "
        + "; ".join(s.name for s in syss) + ".")
    lines = [
        "**Exact computation (arrivals at any time).** With exponential work, an interrupted "
        "task resuming the next morning is the same as one starting afresh, so the number in "
        "system N(t) is a continuous-time Markov chain whose generator is Q_on (arrivals lam, "
        "services mu) while the office is open and Q_off (arrivals only) while it is closed. "
        "The schedule repeats every day (office open daily) or every week (Monday to Friday; "
        "the clock starts on a Monday 00:00). Truncating N at n_max (400, doubled until the "
        "probability of the top state is below 1e-9), a distribution p moves over a "
        "stretch of s hours as p expm(Q s); one period is P = expm(Q_1 s_1) ... expm(Q_k s_k) "
        "in the order of the day's (week's) stretches, starting at 00:00. The periodic steady "
        "state at the start of the period is the stationary vector pi = pi P; the "
        "time-average number in system is the integral of p(t) n over the period divided by "
        "its length (each stretch integrated exactly with Van Loan's block exponential, "
        "expm([[Q, n], [0, 0]] s)), and W = L / lam by Little's law (which holds for the "
        "time averages of a periodic stationary system).",
        "**Arrivals in office hours only.** The engine places the Poisson count of each month "
        "uniformly over that month's office time; when every day is a working day the rate "
        "per office hour is the same in every month, lam x 24 / 7, so on the working-hours "
        "clock the queue is exactly M/M/1 with rho = lam x 24 / 7 / mu: Wq = rho / (mu - "
        "lam_w) and W = 1 / (mu - lam_w) working hours, and since nothing moves while the "
        "office is closed the time average of N over the clock is still rho / (1 - rho) "
        "(the periodic solver gives the same number). Working hours are counted here from "
        "the office hours, independently of the engine's calendar. (With a Monday-Friday "
        "calendar the rate per office hour would vary from month to month with the number "
        "of working days, which is what the scenario format specifies, and the system would "
        "not be exactly M/M/1; that is why this case opens every day.)",
    ]
    for s, sol, swing, fl, level in sanity:
        lines.append(
            f"**Fluid sanity check ({s.name}).** Near saturation the worker is busy whenever "
            "the office is open, so the expected number in system follows the net input "
            "lam t - mu O(t) (O(t) = office hours up to t): it rises by lam per hour while "
            "closed and falls by mu - lam per hour while open. Removing the weekly drift "
            f"delta = mu x open share - lam = {MU * s.open_share - s.lam:.4f} per hour, the "
            f"swing of this fluid path over the week is {fmt(fl, 3)} customers; the exact "
            f"chain gives a swing of the mean number (Friday closing to Monday opening and "
            f"back) of {fmt(swing, 3)} (check: within {FLUID_SWING_TOLERANCE:.0%}). For the level, the queue's slow "
            "part is approximated by a reflected Brownian motion with drift -delta and "
            "variance lam + mu x open share per hour (mean (lam + mu x open share) / "
            "(2 delta)), sitting on top of the fluid wiggle above its minimum: L is about "
            f"{fmt(level, 3)} against the exact {fmt(sol.L, 4)}. The diffusion part overstates "
            "by a bounded amount (the queue also empties away from the weekly trough; the "
            "M/M/1 diffusion itself is 1/2 too high): the gap stays about 4 customers as "
            "rho -> 1 while L grows like 1 / (1 - rho), so this is a rough check (within "
            f"{FLUID_LEVEL_TOLERANCE:.0%}) that tightens with the load; the exact solution is "
            "the reference.")
    return compared, "\n\n".join(lines)
