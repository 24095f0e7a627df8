"""Pre-generating one replication's work: every task instance, before the office runs.

Arrivals, efforts, admission decisions and problem routing do not depend on how busy the
office is, so they are drawn up front, in numpy blocks, each from its own named stream
(:mod:`sim.rng`). This is both fast and what common random numbers need: a task type's
arrival times depend only on its own stream, so adding an unrelated task type moves nothing.
The result is a :class:`Workload`: one row per task instance, in plain arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.calendar import WorkCalendar
from sim.distributions import sample
from sim.engine import absence, admission, outside_checks
from sim.engine.meetings import meeting_starts, scaled_quorum

# where a task goes (defined with the routing, sim.engine.routing)
from sim.engine.routing import (  # noqa: F401  (re-exported)
    ESTATE_NAMES,
    ESTATE_NONE,
    ROUTE_MEETING,
    ROUTE_NAMES,
    ROUTE_PROPERTY,
    ROUTE_RED_PROPERTY,
    ROUTE_STAFF,
    ROUTE_VOLUNTEERS,
)
from sim.engine.routing import route_problems as _route
from sim.rng import Streams
from sim.scenario.model import Arrivals, Dist, Scenario, Schedule, Step, TaskType

ROLE_WORKER = 0
ROLE_SECRETARY = 1


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What the engine needs of a task type (a scenario task or a generated one)."""

    id: str
    name: str
    name_zh: str
    category: str
    origin: str
    roles: tuple[int, ...]
    priority: int
    deadline_working_days: int | None
    appointment: bool = False   # joint meetings: jump every queue
    attended: bool = False      # a meeting people attend (not its preparation)
    real_time: bool = False     # ... held at its time (office.meetings = "real_time")
    kind: str = ""              # generated: "review" (admission review), "returned" (refused work back)


@dataclass(slots=True)
class Workload:
    types: list[TypeInfo]
    type_idx: np.ndarray       # int, per task
    arrival: np.ndarray        # clock hours
    entry: np.ndarray          # when it reaches a queue (after review); inf if refused
    refused: np.ndarray        # bool
    route: np.ndarray          # ROUTE_*
    efforts: np.ndarray        # (n, max_steps) hours, nan where the type has fewer steps
    deadline: np.ndarray       # clock hours, inf where none
    offsite_done: np.ndarray   # done time for property routes, nan otherwise
    meeting_times: np.ndarray  # joint meetings (clock hours)
    absences: tuple = ()       # sim.engine.absence.Absence per office person (workers, secretary)
    estate: np.ndarray | None = None   # ESTATE_* of a problem, ESTATE_NONE otherwise

    @property
    def n(self) -> int:
        return int(self.arrival.shape[0])


# --------------------------------------------------------------------------- arrivals

@lru_cache(maxsize=64)
def _month_edges(start: dt.date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Clock-hour edges of calendar months covering [0, days) and each segment's month (0..11).
    (Cached: the same for every task type and replication; the arrays are read-only.)"""
    edges = [0.0]
    months = []
    d = start
    end = start + dt.timedelta(days=days)
    while d < end:
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        stop = min(nxt, end)
        months.append(d.month - 1)
        edges.append((stop - start).days * 24.0)
        d = stop
    return _frozen(np.asarray(edges)), _frozen(np.asarray(months, dtype=int))


@lru_cache(maxsize=1024)
def _monthly_means(rate: float, seasonality: tuple[float, ...], start: dt.date,
                   days: int) -> np.ndarray:
    """The expected arrivals in each month segment of :func:`_month_edges` at ``rate`` an hour
    times the month's seasonal factor (cached: the same every replication; read-only)."""
    edges, months = _month_edges(start, days)
    mult = np.asarray(seasonality, dtype=float)[months]
    return _frozen(rate * (edges[1:] - edges[:-1]) * mult)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _spread(a: np.ndarray, b: np.ndarray, counts: np.ndarray, office_only: bool,
            cal: WorkCalendar, rng: np.random.Generator,
            hours: np.ndarray | None = None) -> np.ndarray:
    """``counts[k]`` uniform instants in each segment [a[k], b[k]) of clock or office time
    (``hours``: ``cal.shifts.hours_before`` of a[0], b[0], b[1], ... when a and b are
    consecutive edges and it is known)."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0)
    u = rng.random(total)
    # (each segment's width is taken before repeating it for the segment's instants: the same
    # differences, computed once a segment rather than once an instant)
    if not office_only:
        return np.repeat(a, counts) + u * np.repeat(b - a, counts)
    if hours is None:
        ha, hb = cal.shifts.hours_before(a), cal.shifts.hours_before(b)
    else:
        ha, hb = hours[:-1], hours[1:]
    width = hb - ha
    x = np.repeat(ha, counts) + u * np.repeat(width, counts)
    keep = width > 0          # (hb > ha: a segment with office hours in it)
    if not keep[counts > 0].all():
        x = x[np.repeat(keep, counts)]
    return cal.shifts.instant_at(x)


@lru_cache(maxsize=256)
def _schedule_times(s: Schedule, start: dt.date, days: int) -> np.ndarray:
    """The instants of schedule ``s`` over ``days`` days (cached; a read-only array)."""
    out = []
    for k in range(days):
        d = start + dt.timedelta(days=k)
        if s.every == "day":
            hit = True
        elif s.every == "week":
            hit = d.weekday() == s.weekday
        elif s.every == "month":
            hit = d.day == s.day
        elif s.every == "quarter":
            hit = d.day == s.day and (d.month - s.month) % 3 == 0
        else:
            hit = d.day == s.day and d.month == s.month
        if hit:
            out.extend([k * 24.0 + s.time_hours] * s.count)
    return _frozen(np.asarray(out, dtype=float))


def arrival_times(arr: Arrivals, cal: WorkCalendar, start: dt.date, days: int,
                  rng: np.random.Generator, month_hours: np.ndarray | None = None) -> np.ndarray:
    """Sorted arrival instants of one task type over [0, days * 24). ``month_hours``:
    ``cal.shifts.hours_before`` of the month edges, when the caller has it (``generate``
    computes it once for all task types)."""
    office_only = arr.when == "office_hours" and cal.kind != "always"
    parts = []
    if arr.rate_per_hour > 0:
        edges, _ = _month_edges(start, days)
        a, b = edges[:-1], edges[1:]
        counts = rng.poisson(_monthly_means(arr.rate_per_hour, arr.seasonality, start, days))
        if office_only and month_hours is None:
            month_hours = cal.shifts.hours_before(edges)
        parts.append(_spread(a, b, counts, office_only, cal, rng, month_hours))
    if arr.waves:
        a_list, b_list, mean_list = [], [], []
        for year in range(start.year, (start + dt.timedelta(days=days)).year + 1):
            for w in arr.waves:
                ws = dt.date(year, w.start_month, w.start_day)
                a_h = (ws - start).days * 24.0
                b_h = a_h + w.days * 24.0
                a_list.append(a_h)
                b_list.append(b_h)
                mean_list.append(w.count)
        counts = rng.poisson(np.asarray(mean_list))
        parts.append(_spread(np.asarray(a_list), np.asarray(b_list), counts, office_only, cal, rng))
    if arr.schedule is not None:
        t = _schedule_times(arr.schedule, start, days)
        if office_only and t.size:
            t = np.asarray([cal.next_open(x) for x in t])
        parts.append(t)
    if not parts:
        return np.empty(0)
    t = np.sort(np.concatenate(parts) if len(parts) > 1 else parts[0], kind="stable")
    if t.size and 0.0 <= t[0] and t[-1] < days * 24.0:   # (sorted, NaN last: all inside)
        return t
    return t[(t >= 0.0) & (t < days * 24.0)]


def _office_rate_only(arr: Arrivals, cal: WorkCalendar) -> bool:
    """Whether ``arr`` is a seasonal rate in office hours and nothing else (no waves, no
    schedule): most task types, which :func:`office_rate_arrivals` does together."""
    return (arr.rate_per_hour > 0 and not arr.waves and arr.schedule is None
            and arr.when == "office_hours" and cal.kind != "always")


def office_rate_arrivals(arrs: list[Arrivals], rngs: list[np.random.Generator], cal: WorkCalendar,
                         start: dt.date, days: int, month_hours: np.ndarray) -> list[np.ndarray]:
    """:func:`arrival_times` of several task types whose arrivals are all a seasonal rate in
    office hours (:func:`_office_rate_only`), ``rngs`` their streams: the same arrays.

    Each type draws from its own stream what arrival_times draws (its monthly counts, then
    its uniforms); the uniforms of all types are then placed in office hours together, by
    the same float operations element by element, and split back by type. A year has some
    twenty such types, and arrival_times makes some twenty small numpy calls each.
    """
    if not arrs:
        return []
    ha, width = month_hours[:-1], month_hours[1:] - month_hours[:-1]
    counts = [rng.poisson(_monthly_means(a.rate_per_hour, a.seasonality, start, days))
              for a, rng in zip(arrs, rngs, strict=True)]
    totals = [int(c.sum()) for c in counts]
    u = np.concatenate([rng.random(n) for n, rng in zip(totals, rngs, strict=True) if n]
                       + [np.empty(0)])
    # each instant's month segment (the segments repeat, type after type)
    seg = np.repeat(np.tile(np.arange(ha.size), len(arrs)), np.concatenate(counts))
    x = ha[seg] + u * width[seg]             # (= _spread's repeat(ha) + u * repeat(width))
    keep = width > 0                         # (a month with office hours in it)
    if not keep[seg].all():
        x = x[keep[seg]]
        totals = np.bincount(np.repeat(np.arange(len(arrs)), totals)[keep[seg]],
                             minlength=len(arrs)).tolist()
    times = np.split(cal.shifts.instant_at(x), np.cumsum(totals)[:-1])
    out = []
    for t in times:
        t = np.sort(t, kind="stable")     # (as in arrival_times)
        if not (t.size and 0.0 <= t[0] and t[-1] < days * 24.0):
            t = t[(t >= 0.0) & (t < days * 24.0)]
        out.append(t)
    return out


# --------------------------------------------------------------------------- workload

def _type_info(t: TaskType, has_secretary: bool, real_time: bool) -> TypeInfo:
    roles = tuple(ROLE_SECRETARY if (s.role == "secretary" and has_secretary) else ROLE_WORKER
                  for s in t.steps)
    meeting = t.category == "meeting"
    return TypeInfo(t.id, t.name or t.id, t.name_zh, t.category, t.origin, roles, t.priority,
                    t.deadline_working_days, attended=meeting, real_time=meeting and real_time)


def _fixed(hours: float) -> Dist:
    from types import MappingProxyType
    return Dist("fixed", MappingProxyType({"value": float(hours)}))


def admit(task: TaskType, times: np.ndarray, adm, cal: WorkCalendar, hours_per_day: float,
          streams: Streams) -> tuple[np.ndarray, np.ndarray]:
    """When each instance of ``task`` arriving at ``times`` enters the office (``inf`` if
    refused) and whether it is refused: under the admission rule an unlisted task is
    reviewed, then approved, pushed in anyway, or refused."""
    m = int(times.shape[0])
    ent = times.copy()
    refused = np.zeros(m, dtype=bool)
    if m and adm.enabled and task.admission_list == "unlisted":
        u = streams(f"admission:{task.id}").random((m, 2))
        approved = u[:, 0] < adm.approval_probability
        pushed = ~approved & (u[:, 1] < adm.pushed_anyway_share)
        review_h = adm.review_working_days * hours_per_day
        ent = cal.shifts.add_hours_many(times, review_h)
        refused = ~(approved | pushed)
        ent[refused] = np.inf
    return ent, refused


def route_problems(task: TaskType, m: int, prob, meetings_on: bool, vol_on: bool,
                   streams: Streams) -> np.ndarray:
    """Where each of ``m`` problems of ``task`` goes (``ROUTE_*``), see
    :mod:`sim.engine.routing`."""
    return _route(task, m, prob, meetings_on, vol_on, streams)[1]


def held_meetings(slots: np.ndarray, waiting: np.ndarray, min_problems: int,
                  capacity: int) -> np.ndarray:
    """The scheduled meeting ``slots`` that are held: those at which at least
    ``min_problems`` problems wait. ``waiting`` are the sorted times the meeting's problems
    arrive; each meeting held settles up to ``capacity`` of them, first come first served
    (as the office does), so the count is known before the run."""
    held = []
    settled = 0
    for t in slots.tolist():
        queue = int(np.searchsorted(waiting, t, side="right")) - settled
        if queue >= min_problems:
            held.append(t)
            settled += min(queue, capacity)
    return np.asarray(held, dtype=float)


def generate(scenario: Scenario, cal: WorkCalendar, streams: Streams) -> Workload:
    """Every task instance of one replication (see module docstring)."""
    meta = scenario.scenario
    days = meta.days
    horizon = days * 24.0
    adm = scenario.admission
    prob = scenario.problems
    vol_on = scenario.volunteers.teams > 0
    jm = scenario.joint_meetings
    has_sec = scenario.office.secretary
    real_time = scenario.office.meetings == "real_time"

    specs: list[tuple[TypeInfo, np.ndarray, tuple[Step, ...], float, TaskType | None]] = []
    # office hours before each month edge: the same for every task type (one search, not two
    # a type)
    month_hours = cal.shifts.hours_before(_month_edges(meta.start_date, days)[0])
    # most task types arrive at a seasonal rate in office hours: those together (the same
    # arrays as arrival_times, see office_rate_arrivals)
    plain = [t for t in scenario.tasks if _office_rate_only(t.arrivals, cal)]
    together = dict(zip([t.id for t in plain], office_rate_arrivals(
        [t.arrivals for t in plain], [streams(f"arrivals:{t.id}") for t in plain], cal,
        meta.start_date, days, month_hours), strict=True))
    for t in scenario.tasks:
        times = together.get(t.id)
        if times is None:
            times = arrival_times(t.arrivals, cal, meta.start_date, days,
                                  streams(f"arrivals:{t.id}"), month_hours)
        if t.copies > 1:
            times = np.repeat(times, t.copies)
        specs.append((_type_info(t, has_sec, real_time), times, t.steps, t.effort_factor, t))

    hpd = cal.hours_per_working_day
    # admission and routing first: whether a meeting is held depends on the problems that
    # enter to wait for it
    admitted = {t.id: admit(t, times, adm, cal, hpd, streams) for _, times, _, _, t in specs}
    estates_routes = {t.id: _route(t, int(times.shape[0]), prob, jm.enabled, vol_on, streams)
                      for _, times, _, _, t in specs if t.category == "problem"}
    routes = {tid: er[1] for tid, er in estates_routes.items()}
    # where refused work goes (sim.engine.admission): reviews and refused work that comes back
    back = [r for _, times, _, _, t in specs
            if (r := admission.returned(t, times, admitted[t.id][1], adm, cal, streams, horizon))]
    reviews = admission.reviewed_times([(t, times) for _, times, _, _, t in specs], adm)
    meeting_times = np.empty(0)
    if jm.enabled:
        meeting_times = _schedule_times(jm.schedule, meta.start_date, days)
        meeting_times = np.asarray([cal.next_open(x) for x in meeting_times if x < horizon])
        meeting_times = meeting_times[meeting_times < horizon]
        if real_time:   # (a fixed duration: the slots keep their order)
            meeting_times = meeting_starts(meeting_times, np.full(meeting_times.shape, jm.duration_hours),
                                           cal.shifts)
        quorum = jm.min_problems
        if jm.hold_rule == "scaled":
            quorum = scaled_quorum(scenario, int(meeting_times.shape[0]))
        if quorum > 0:
            waiting = np.sort(np.concatenate(
                [np.empty(0)] + [admitted[tid][0][(r == ROUTE_MEETING) & ~admitted[tid][1]]
                                 for tid, r in routes.items()]))
            meeting_times = held_meetings(meeting_times, waiting, quorum,
                                          jm.problems_per_meeting_max)
        chair_role = "secretary" if has_sec else "worker"
        dur = _fixed(jm.duration_hours)
        specs.append((TypeInfo("joint_meeting", "Joint meeting (chair)", "联席会议(主持)", "meeting",
                               "office", (ROLE_SECRETARY if has_sec else ROLE_WORKER,), 0, None, True,
                               True, real_time),
                      meeting_times, (Step(chair_role, dur),), 1.0, None))
        if jm.workers_attending > 0:
            specs.append((TypeInfo("joint_meeting_attend", "Joint meeting (attending)", "联席会议(参会)",
                                   "meeting", "office", (ROLE_WORKER,), 0, None, True, True, real_time),
                          np.repeat(meeting_times, jm.workers_attending), (Step("worker", dur),), 1.0, None))
        if jm.prep_hours > 0:
            # preparation is done by the workers in the two working days before the meeting
            prep = np.asarray([max(0.0, cal.shifts.instant_at(np.asarray(
                [max(0.0, float(cal.shifts.hours_before(np.asarray([m]))[0]) - 2 * cal.hours_per_working_day)]))[0])
                for m in meeting_times])
            specs.append((TypeInfo("joint_meeting_prep", "Joint meeting preparation", "联席会议准备",
                                   "meeting", "office", (ROLE_WORKER,), 0, None),
                          prep, (Step("worker", _fixed(jm.prep_hours)),), 1.0, None))

    if reviews.size:
        role, step = admission.review_step(adm, has_sec)
        specs.append((TypeInfo(admission.REVIEW_ID, "Admission review of unlisted tasks", "准入审核",
                               "unlisted", "department", (role,), 0, None, kind="review"),
                      reviews, (step,), 1.0, None))
    for r in back:
        t = r.task
        specs.append((TypeInfo(t.id + admission.RETURNED_SUFFIX, f"{t.name or t.id} (came back)",
                               f"{t.name_zh}(退回后再次下派)", t.category, t.origin,
                               _type_info(t, has_sec, real_time).roles, t.priority, None, kind="returned"),
                      r.times, t.steps, t.effort_factor, None))

    n = sum(int(s[1].shape[0]) for s in specs)
    max_steps = max((len(s[2]) for s in specs), default=1)
    type_idx = np.empty(n, dtype=np.int64)
    arrival = np.empty(n)
    entry = np.empty(n)
    refused = np.zeros(n, dtype=bool)
    route = np.zeros(n, dtype=np.int64)
    efforts = np.full((n, max_steps), np.nan)
    deadline = np.full(n, np.inf)
    offsite = np.full(n, np.nan)
    estate = np.full(n, ESTATE_NONE, dtype=np.int8)
    types: list[TypeInfo] = []
    slices: dict[str, slice] = {}
    pos = 0
    for k, (info, times, steps, factor, task) in enumerate(specs):
        types.append(info)
        m = int(times.shape[0])
        sl = slice(pos, pos + m)
        slices[info.id] = sl
        pos += m
        type_idx[sl] = k
        arrival[sl] = times
        ent = times
        for j, step in enumerate(steps):
            drawn = sample(step.effort_hours, streams(f"effort:{info.id}:{j}"), m)
            efforts[sl, j] = drawn * factor if factor != 1.0 else drawn   # (x * 1.0 is x)
        if task is not None and m:
            ent, refused[sl] = admitted[task.id]
            if info.real_time:
                # a meeting in real time is due at its scheduled start (sim.engine.meetings)
                ent = meeting_starts(ent, efforts[sl, 0], cal.shifts)
                arrival[sl] = ent
            if task.deadline_working_days:
                # counted from the day the office receives the task: its arrival, or for an
                # unlisted task under the admission rule, the end of the review
                deadline[sl] = cal.deadlines(ent, task.deadline_working_days)
            ent = outside_checks.delayed_entry(task, ent, scenario.outside_checks, cal, streams)
            if task.category == "problem":
                r = routes[task.id]
                days_off = sample(prob.property_company_days, streams(f"property:{task.id}"), m) * 24.0
                off = ((r == ROUTE_PROPERTY) | (r == ROUTE_RED_PROPERTY)) & ~refused[sl]
                offsite[sl] = np.where(off, times + days_off, np.nan)
                route[sl] = r
                estate[sl] = estates_routes[task.id][0]
        entry[sl] = ent
    admission.copy_efforts(efforts, slices, back)
    return Workload(types, type_idx, arrival, entry, refused, route, efforts, deadline, offsite,
                    meeting_times, absence.draw(scenario, cal, streams), estate)


def office_entries(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    """Entries into the office's queues, in time order (ties by task index): their times and
    their task indices."""
    mask = ~w.refused & (w.route != ROUTE_PROPERTY) & (w.route != ROUTE_RED_PROPERTY) & np.isfinite(w.entry)
    real_time = np.asarray([t.real_time for t in w.types] or [False], dtype=bool)
    if real_time.any():   # real-time meetings do not queue (sim.engine.meetings)
        mask &= ~real_time[w.type_idx]
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(w.entry[idx], kind="stable")]
    return w.entry[order], order
