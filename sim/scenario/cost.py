"""How big a run is, estimated before it starts, and the ceilings that refuse absurd runs.

:func:`estimate` reads a resolved :class:`~sim.scenario.model.Scenario` and returns the
expected number of task instances, simulation events and bytes of one replication (from the
arrival rates, waves, schedules, copies and joint meetings over the horizon: the same
quantities the workload generator draws). :func:`check_budget` multiplies by the
replications (and sweep points) and refuses, with a one-line :class:`InputError` naming the
file and the field that drives the size, a run above :data:`MAX_TASKS_PER_REPLICATION`,
:data:`MAX_TOTAL_TASKS` or :data:`MAX_MEMORY_BYTES`, unless ``allow_large`` (the command
line's ``--allow-large``) is given. The figures are documented in ``docs/scenario-format.md``
("Limits"); the per-task constants were measured on the Bozhou scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import InputError
from sim.scenario.model import Scenario

BYTES_PER_TASK = 1_000
"""Peak memory of one task instance while a replication runs (arrays, SimPy processes and
events): measured 920 bytes on bozhou_before (7,400 tasks a year, 12 task types), 200-400 on
a one-type M/M/c scenario (22,000-290,000 tasks)."""
BYTES_PER_EVENT_ROW = 300
"""Memory kept per task after a replication with event logs (``--events``): measured 150
(events and work log of bozhou_before, pickled)."""
BYTES_PER_REPLICATION = 100_000
"""What a finished replication keeps (metrics, per-task and daily summaries) per simulated
year: measured 77 KB for bozhou_before."""
BYTES_PER_REPLICATION_FIXED = 25_000
"""What a finished replication keeps whatever its horizon: measured 15-19 KB of resident memory
(10,000 replications of a 5-day M/M/c run, make soak)."""
EVENTS_PER_STEP = 3
"""Simulation events per step of a task (queue, start, finish), plus one per task arrival."""
EVENTS_PER_MEMBER_WEEK = 8
"""A volunteer member's week costs about as much as 8 task events (26 µs measured against
3 µs an event: 10,000 members for a year take 14 s)."""

MAX_TASKS_PER_REPLICATION = 2_000_000
"""About 2 GB at the peak and 20-60 s for one replication (35,000-100,000 tasks a second
measured): far above any office's real load (bozhou_before: 7,400 a year)."""
MAX_TOTAL_TASKS = 1_000_000_000
"""Task instances over all replications and points: about 3-8 hours of computing at the
measured 35,000-100,000 tasks a second on one core."""
MAX_EVENTS_PER_REPLICATION = 20_000_000
"""Simulation events (task steps, shift changes, volunteer member-weeks) in one replication:
about a minute at the measured 3 µs an event; catches huge staff or volunteer numbers that
bring few tasks."""
MAX_JOBS = 1_000_000
"""Sweep jobs (points x replications): each leaves a file in the sweep directory."""
MAX_MEMORY_BYTES = 4 * 1024**3
"""Estimated peak memory of a run (one replication's peak plus what finished replications
keep) without ``--allow-large``."""
MAX_CLI_REPLICATIONS = 1_000_000
"""``--replications`` and ``--max-replications``: a hard limit, even with --allow-large."""
MAX_CLI_POINTS = 1_000_000
"""Sweep points (grid size, ``--samples``) and calibration design points: a hard limit."""
MAX_CLI_WORKERS = 1_024
"""``--workers`` (processes): a hard limit."""

_PER_YEAR = {"day": 365.0, "week": 52.2, "month": 12.0, "quarter": 4.0, "year": 1.0}


@dataclass(frozen=True)
class Cost:
    """The expected size of one replication, and the field that contributes most tasks."""

    tasks: float
    events: float
    peak_bytes: float
    kept_bytes: float
    biggest: str
    biggest_events: str = ""

    def describe(self) -> str:
        return f"{_num(self.tasks)} tasks, {_num(self.events)} events per replication"


def _num(x: float) -> str:
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"


def _occurrences(every: str, days: int) -> float:
    return (days / 365.0) * _PER_YEAR.get(every, 365.0) + 1.0


def estimate(sc: Scenario, events: bool = False) -> Cost:
    """The expected tasks, events and memory of one replication of ``sc`` (with dated
    levers: of its largest epoch, whose work is drawn over the whole horizon)."""
    if sc.epochs:
        import dataclasses

        return max((estimate(x, events) for x in (dataclasses.replace(sc, epochs=()),
                                                  *(e.scenario for e in sc.epochs))),
                   key=lambda c: c.peak_bytes)
    days = sc.scenario.days
    hours = days * 24.0
    years = days / 365.0 + 1.0
    total = 0.0
    steps_total = 0.0
    biggest, biggest_n = "scenario.days", -1.0
    for t in sc.tasks:
        if not t.enabled:
            continue
        a = t.arrivals
        season = sum(a.seasonality) / 12.0
        n = a.rate_per_hour * hours * season
        field = f"tasks.{t.id}.arrivals.{a.rate_key or 'per_hour'}"
        wave_n = sum(w.count for w in a.waves) * years
        if wave_n > n:
            field = f"tasks.{t.id}.arrivals.waves"
        n += wave_n
        if a.schedule is not None:
            sched_n = a.schedule.count * _occurrences(a.schedule.every, days)
            if sched_n > n:
                field = f"tasks.{t.id}.arrivals.schedule"
            n += sched_n
        n *= t.copies
        if t.copies > 1 and n > biggest_n:
            field = f"tasks.{t.id}.copies"
        total += n
        steps_total += n * len(t.steps)
        if n > biggest_n:
            biggest, biggest_n = field, n
    jm = sc.joint_meetings
    if jm.enabled:
        meetings = _occurrences(jm.schedule.every, days) * jm.schedule.count
        n = meetings * (1 + jm.workers_attending + (jm.prep_hours > 0))
        total += n
        steps_total += n
        if n > biggest_n:
            biggest = "joint_meetings.workers_attending"
    task_events = total + EVENTS_PER_STEP * steps_total
    # staff shifts open and close every day; each volunteer member is drawn week by week
    staff_events = (sc.office.workers + 1) * days * 2
    members = sc.volunteers.teams * sc.volunteers.members_per_team
    volunteer_events = members * (days / 7.0 + 1.0) * EVENTS_PER_MEMBER_WEEK
    n_events = task_events + staff_events + volunteer_events
    biggest_events = max((task_events, biggest), (staff_events, "office.workers"),
                         (volunteer_events, "volunteers.teams"))[1]
    peak = total * BYTES_PER_TASK + (staff_events + volunteer_events) * 16
    kept = BYTES_PER_REPLICATION_FIXED + BYTES_PER_REPLICATION * days / 365.0 + (total * BYTES_PER_EVENT_ROW if events else 0.0)
    return Cost(total, n_events, peak, kept, biggest, biggest_events)


def check_budget(sc: Scenario, replications: int, *, points: int = 1, events: bool = False,
                 allow_large: bool = False, parallel: int = 1, cost: Cost | None = None,
                 total_field: str | None = None) -> Cost:
    """Refuse a run of ``replications`` x ``points`` replications of ``sc`` above the ceilings
    (InputError naming the file and the biggest field), unless ``allow_large``."""
    c = cost or estimate(sc, events)
    if allow_large:
        return c
    runs = replications * points
    hint = "; add --allow-large to run it anyway"
    if c.tasks > MAX_TASKS_PER_REPLICATION:
        raise InputError(f"one replication would simulate about {_num(c.tasks)} tasks{hint}",
                         file=sc.path, field=c.biggest,
                         allowed=f"at most {MAX_TASKS_PER_REPLICATION:,} tasks a replication")
    if c.events > MAX_EVENTS_PER_REPLICATION:
        raise InputError(f"one replication would process about {_num(c.events)} simulation "
                         f"events{hint}", file=sc.path, field=c.biggest_events or c.biggest,
                         allowed=f"at most {MAX_EVENTS_PER_REPLICATION:,} events a replication")
    if points > 1 and runs > MAX_JOBS:
        raise InputError(f"{points:,} points x {replications:,} replications = {runs:,} jobs"
                         f"{hint}", file=sc.path, field=total_field or "--replications",
                         allowed=f"at most {MAX_JOBS:,} jobs")
    if c.tasks * runs > MAX_TOTAL_TASKS:
        raise InputError(f"{runs:,} replications of about {_num(c.tasks)} tasks each would "
                         f"simulate {_num(c.tasks * runs)} tasks{hint}", file=sc.path,
                         field=total_field or ("--replications" if points == 1 else "--param"),
                         allowed=f"at most {MAX_TOTAL_TASKS:,} tasks in all")
    memory = c.peak_bytes * max(1, parallel) + (c.kept_bytes * replications if points == 1 else 0)
    if memory > MAX_MEMORY_BYTES:
        raise InputError(f"the run would need about {memory / 1024**3:.3g} GiB of memory "
                         f"({c.describe()}, {runs:,} replications){hint}", file=sc.path,
                         field=c.biggest if c.peak_bytes * parallel > MAX_MEMORY_BYTES / 2
                         else "--replications",
                         allowed=f"an estimated peak of at most {MAX_MEMORY_BYTES // 1024**3} GiB")
    return c
