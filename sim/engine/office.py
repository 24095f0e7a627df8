"""The community office as a SimPy discrete-event model.

People (workers, the secretary, volunteer members) are servers, each with their own working
time (:class:`sim.calendar.Shifts`). Work is done in *segments*: a person works on a task
until the step is done or their working interval ends (lunch, closing time); then the same
person goes on at their next opening. At closing time, if the open workload of the workers'
queue exceeds the threshold, workers who are still on a task stay up to
``overtime_hours_max_per_day`` (metered as overtime).

The SimPy environment is the clock and the event queue, used through its public API only:
``Environment.run(until=...)``, ``Environment.schedule``, ``Timeout`` and event ``callbacks``
(``tests/test_no_private_simpy.py`` checks that no private SimPy attribute is touched). The
hot path uses events with callbacks rather than one generator process per task (about 4x
faster, see ``benchmarks/``): each person has one ``Timeout`` for the end of their work
segments, re-armed by ``Environment.schedule`` after it was processed. Events are scheduled
at absolute times through ``schedule_at``, which picks the delay so that SimPy's
``now + delay`` is exactly the intended time (docs/performance.md). Arrivals are
pre-generated (:mod:`sim.engine.workload`) and fed into the queues lazily: an arrival needs
its own event only when someone is idle to take it, otherwise it is queued, at its own
arrival time, by the next event that looks at the queues.
"""

from __future__ import annotations

import heapq
import math
import struct
from array import array
from collections import deque
from dataclasses import dataclass
from functools import lru_cache, partial
from heapq import heappop

import numpy as np
import simpy
from simpy.events import NORMAL, Timeout

from sim.calendar import Shifts, WorkCalendar
from sim.engine.clock import OVERTIME_TIE_HOURS, exact_delay, schedule_at
from sim.engine.workload import (
    ROLE_SECRETARY,
    ROUTE_MEETING,
    ROUTE_STAFF,
    ROUTE_VOLUNTEERS,
    Workload,
    office_entries,
)
from sim.rng import Streams
from sim.scenario.model import Scenario

WORKER, SECRETARY, VOLUNTEER = 0, 1, 2
Q_WORKER, Q_SECRETARY, Q_VOLUNTEER = 0, 1, 2
_INF = math.inf

# One work segment in the log: task, person, start, end, overtime (25 bytes, packed; task and
# person indices below 2**31). Packing one segment is about a third of the cost of extending a
# flat array('d') by five numbers, and takes 25 bytes instead of 40.
_SEGMENT = struct.Struct("<iidd?")
_SEGMENT_DTYPE = np.dtype([("task", "<i4"), ("server", "<i4"), ("start", "<f8"),
                           ("end", "<f8"), ("ot", "?")])


def _compact(values: np.ndarray, typecode: str) -> array:
    """A copy of ``values`` as an ``array.array`` of ``typecode`` (the same C type as numpy's
    dtype of that letter): 1 to 8 bytes an item instead of a list's 8-byte pointer to a
    Python object (a float object alone is 24 bytes)."""
    return array(typecode, np.ascontiguousarray(values, dtype=typecode).tobytes())


class _Queue:
    """A waiting line: appointments first, then by the dispatch rule."""

    __slots__ = ("appointments", "fifo", "heap", "moved", "n", "plain", "seq", "servers")

    def __init__(self, fifo: bool) -> None:
        self.fifo = deque() if fifo else None
        self.heap: list = []
        self.appointments: deque = deque()
        self.servers: list[_Server] = []
        self.seq = 0
        self.n = 0
        self.moved: set[int] | None = None
        self.plain = fifo         # FIFO without lazily removed entries (see Office)

    def push(self, i: int, key: tuple | None) -> None:
        self.n += 1
        if key is None:
            self.fifo.append(i)
        else:
            self.seq += 1
            heapq.heappush(self.heap, (*key, self.seq, i))

    def pop(self) -> int:
        while self.n:
            self.n -= 1
            if self.appointments:
                i = self.appointments.popleft()
            elif self.fifo is not None:
                i = self.fifo.popleft()
            else:
                i = heapq.heappop(self.heap)[-1]
            if self.moved is not None and i in self.moved:
                self.moved.discard(i)
                continue
            return i
        return -1


class _Server:
    __slots__ = ("busy", "callbacks", "event", "gap_lo", "idx", "in_seg", "iv_end", "iv_start", "kind", "ot",
                 "ot_end", "queues", "seg_end", "seg_start", "shifts", "task", "wake")

    def __init__(self, idx: int, kind: int, shifts: Shifts) -> None:
        self.idx = idx
        self.kind = kind
        self.shifts = shifts
        self.queues: list[_Queue] = []
        self.busy = False
        self.task = -1
        self.seg_start = 0.0
        self.seg_end = 0.0
        self.in_seg = False
        self.ot = False          # the current segment is overtime
        self.ot_end = -_INF      # end of today's overtime window
        self.wake = _INF         # time of a pending wake-up event
        self.iv_start = 0.0      # the working interval last looked up (a cache)
        self.iv_end = 0.0
        self.gap_lo = _INF       # from gap_lo to iv_start: closed, and iv_start opens next
        self.event = None        # the reusable end-of-segment event (see Office._arm)
        self.callbacks: list = []


@dataclass(slots=True)
class OfficeRecord:
    """Raw records of one run: per task arrays and the list of work segments."""

    first_start: np.ndarray
    done: np.ndarray
    route: np.ndarray
    fallback: np.ndarray
    seg_task: np.ndarray
    seg_server: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_ot: np.ndarray
    server_kind: np.ndarray
    volunteer_shifts: list[Shifts]
    meetings_held: np.ndarray   # times of joint meetings held


@lru_cache(maxsize=64)
def _weekly_windows(start_date, n_days: int, windows) -> tuple[list[float], list[float], list[int], int]:
    """The volunteers' availability windows over ``n_days`` days, as Python lists (starts,
    ends; the loops in volunteer_shifts read them item by item, faster than numpy scalars),
    the index bounds of each week's windows and the number of weeks. The same for every
    replication of a scenario: cached (the lists are only read)."""
    base = Shifts.from_weekly_windows(start_date, n_days, windows)
    starts, ends = base.starts, base.ends
    offset = start_date.weekday() * 24.0
    week = np.floor((starts + offset) / 168.0).astype(int)
    n_weeks = int(week.max()) + 1 if week.size else 0
    bounds = np.searchsorted(week, np.arange(n_weeks + 1)).tolist()
    return starts.tolist(), ends.tolist(), bounds, n_weeks


def volunteer_shifts(scenario: Scenario, cal: WorkCalendar, streams: Streams) -> list[Shifts]:
    """Each volunteer member's working time: in a week they turn out (chance ``turnout``),
    they give ``hours_per_member_per_week`` hours inside the availability windows, starting
    at a randomly chosen window of that week."""
    v = scenario.volunteers
    members = v.teams * v.members_per_team
    if members == 0:
        return []
    starts_l, ends_l, bounds, n_weeks = _weekly_windows(scenario.scenario.start_date,
                                                       scenario.scenario.days + 7, v.windows)
    turnout = v.turnout
    out = []
    hours = v.hours_per_member_per_week
    for m in range(members):
        # one stream per member: adding members does not change the others' weeks
        u = streams(f"volunteers:member:{m}").random((max(n_weeks, 1), 2)).tolist()
        ivs: list[tuple[float, float]] = []
        for w in range(n_weeks):
            lo, hi = bounds[w], bounds[w + 1]
            u0, u1 = u[w]
            if hi <= lo or u0 >= turnout or hours <= 0:
                continue
            first = lo + int(u1 * (hi - lo))
            left = hours
            for k in list(range(first, hi)) + list(range(lo, first)):
                if left <= 0:
                    break
                s, e = starts_l[k], ends_l[k]
                take = min(e - s, left)
                ivs.append((s, s + take))
                left -= take
        out.append(Shifts.from_intervals(sorted(ivs)))
    return out


class Office:
    """One replication of the office. ``run()`` returns an :class:`OfficeRecord`."""

    def __init__(self, scenario: Scenario, cal: WorkCalendar, work: Workload,
                 streams: Streams) -> None:
        self.w = work
        self.env = simpy.Environment()
        self.horizon = scenario.scenario.days * 24.0
        off = scenario.office
        dispatch = off.dispatch
        n = work.n
        self.dispatch = dispatch
        # Per-task state: mostly compact arrays (array.array of C doubles and small integers,
        # bytes, bytearray: 1-8 bytes a task) rather than lists, whose 8-byte pointers lead to
        # 24-byte float objects; a million tasks need about 70 MB here instead of about
        # 230 MB (docs/performance.md). Reading an array item costs about 40 ns more than a
        # list item, so the two read and written most often stay lists: `remaining` (only
        # the tasks in progress hold a float object of their own) and `type_idx` (small
        # ints are shared objects).
        self.type_idx = work.type_idx.tolist()
        self.roles = [t.roles for t in work.types]
        self.nsteps = [len(t.roles) for t in work.types]
        self.prio = [t.priority for t in work.types]
        self.appointment = [t.appointment for t in work.types]
        self.efforts = [_compact(work.efforts[:, k], "d") for k in range(work.efforts.shape[1])]
        # deadlines are only looked up by the edf rule
        self.deadline = _compact(work.deadline, "d") if dispatch == "edf" else None
        self.route = _compact(work.route, "b")
        self.step = array("h", bytes(2 * n))
        self.remaining = [0.0] * n
        self.first_start = _compact(np.full(n, math.nan), "d")
        self.done = _compact(np.full(n, math.nan), "d")  # property routes: filled in by run()
        self.fallback: set[int] = set()
        self.queue_of = bytearray(n)                                      # Q_WORKER
        # the work log: one packed _SEGMENT per work segment
        self.segs = bytearray()
        # queues
        fifo = dispatch == "fifo"
        self.q_worker = _Queue(fifo)
        self.q_secretary = _Queue(fifo)
        self.q_volunteer = _Queue(True)
        self.q_volunteer.moved = set()
        self.q_volunteer.plain = False
        self.meeting_queue: deque[int] = deque()
        # people
        self.servers: list[_Server] = []
        office_shifts = cal.shifts
        for _ in range(off.workers):
            s = _Server(len(self.servers), WORKER, office_shifts)
            s.queues = [self.q_worker]
            self.q_worker.servers.append(s)
            self.servers.append(s)
        if off.secretary:
            s = _Server(len(self.servers), SECRETARY, office_shifts)
            s.queues = [self.q_secretary]
            self.q_secretary.servers.append(s)
            if off.secretary_takes_general_work:
                s.queues.append(self.q_worker)
                self.q_worker.servers.append(s)
            self.servers.append(s)
        self.vol_shifts = volunteer_shifts(scenario, cal, streams)
        for sh in self.vol_shifts:
            s = _Server(len(self.servers), VOLUNTEER, sh)
            s.queues = [self.q_volunteer]
            self.q_volunteer.servers.append(s)
            self.servers.append(s)
        self.n_idle = len(self.servers)
        # the reusable events (see _reusable_event): one for the arrivals' feed, one per person
        # for the end of their work segments
        self.feeder = self._reusable_event()
        self.feeder_callbacks: list = []
        self.feeder_time = _INF
        self.spare: list[Timeout] = []   # processed events for _at to re-arm
        # overtime
        self.ot_max = off.overtime_hours_max_per_day if cal.kind != "always" else 0.0
        self.ot_threshold = off.overtime_threshold_hours
        self.closing: set[float] = set()
        if self.ot_max > 0:
            self.closing = set(cal.closing_times(0, scenario.scenario.days + 1))
        self.ot_decision: dict[float, bool] = {}
        self.open_work = 0.0   # hours of worker-queue steps not yet worked
        # arrivals: entry times (with an inf sentinel at the end) and tasks, in time order
        e_time, e_task = office_entries(work)
        self.e_time = _compact(e_time, "d")
        self.e_time.append(_INF)
        self.e_task = _compact(e_task, "i")
        self.efforts0 = self.efforts[0]
        # entries whose first step goes to the workers' queue, in dispatch order (no
        # appointment): the arrivals' fast paths in _absorb_handler
        plain_type = np.asarray([t.roles[0] == 0 and not t.appointment
                                 for t in work.types], dtype=bool)
        plain = plain_type[work.type_idx[e_task]] & (work.route[e_task] == ROUTE_STAFF)
        self.e_plain = plain.tobytes() + b"\x00"     # one byte per entry, 1 = plain
        # the arrivals' and the work segments' handlers (closures over the arrays above), and
        # the reusable end-of-segment event of each person (see _arm)
        self._absorb = self._absorb_handler()
        self.feeder_callbacks.append(self._feed_handler())
        self._on_segment_end = self._segment_end_handler()
        for s in self.servers:
            s.event = self._reusable_event()
            s.callbacks = [partial(self._on_segment_end, s)]
        self.cursor = 0
        self.feeder_pending = False
        self.vol_wait = scenario.problems.volunteer_max_wait_days * 24.0
        # a volunteer team works a problem's steps as one job: their summed efforts
        on_vol = np.flatnonzero(work.route == ROUTE_VOLUNTEERS)
        self.vol_effort = dict(zip(on_vol.tolist(),
                                   np.nansum(work.efforts[on_vol], axis=1).tolist(), strict=True))
        self.jm = scenario.joint_meetings
        self.meetings_held: list[float] = []

    # ----------------------------------------------------------------- scheduling
    def _reusable_event(self) -> Timeout:
        """A processed ``Timeout``, to be re-armed again and again: set its ``callbacks`` and
        ``schedule`` it (what ``_arm`` does). Created before anything else is scheduled and
        processed at once (at time 0, with no callbacks) by ``Environment.step``."""
        ev = Timeout(self.env, 0.0)
        self.env.step()
        return ev

    def _at(self, t: float, callback, *args) -> None:
        """``callback(*args, event)`` at time ``t`` (at once if ``t`` has passed).

        The event is a processed ``Timeout`` from ``self.spare`` when there is one (each
        handler given to ``_at`` puts its event back there first thing), re-armed like a
        person's end-of-segment event: no new event object for each resume or wake-up.
        """
        env = self.env
        now = env.now
        if t > now:
            d = t - now
            if now + d != t:
                d = exact_delay(now, t)
        else:
            d = 0.0
        spare = self.spare
        if spare:
            ev = spare.pop()
            ev.callbacks = [partial(callback, *args)]
            env.schedule(ev, NORMAL, d)
        else:
            Timeout(env, d).callbacks.append(partial(callback, *args))

    def _arm(self, s: _Server, stop: float) -> None:
        """Schedule the end of ``s``'s segment at ``stop``.

        The hot path: one event per work segment. Each person has one reusable ``Timeout``
        (no new event each time, see ``benchmarks/``), scheduled at the absolute time
        ``stop`` (``schedule_at``).
        """
        ev = s.event
        ev.callbacks = s.callbacks
        schedule_at(self.env, ev, stop)

    def _key(self, i: int, t: float):
        d = self.dispatch
        if d == "fifo":
            return None
        p = self.prio[self.type_idx[i]]
        if d == "priority":
            return (-p, t)
        return (self.deadline[i], -p, t)

    # ----------------------------------------------------------------- arrivals
    def _absorb_handler(self):
        """``absorb(t)``: put every task that entered by ``t`` into its queue.

        Called for every arrival that finds someone idle (and by every other event that
        looks at the queues); a closure over the office's arrays, like the end-of-segment
        handler below, with the two common cases inlined.
        """
        e_time, e_task, e_plain = self.e_time, self.e_task, self.e_plain
        efforts0, remaining, first_start = self.efforts0, self.remaining, self.first_start
        workers_q = self.q_worker
        workers_fifo, workers = workers_q.fifo, workers_q.servers
        env, enter = self.env, self._enter
        office = self

        def absorb(t: float) -> None:
            c = office.cursor
            e = e_time[c]
            while e <= t:
                i = e_task[c]
                if e_plain[c]:
                    # the common cases, inlined: a workers' queue entry ...
                    if not office.n_idle and workers_fifo is not None:
                        # ... while everyone is busy: it waits
                        workers_fifo.append(i)
                        workers_q.n += 1
                        rem = efforts0[i]
                        remaining[i] = rem
                        office.open_work += rem
                        c += 1
                        e = e_time[c]
                        continue
                    if not workers_q.n and office.n_idle:
                        # ... while the first idle person is in office hours and nobody waits:
                        # they take it at once (what _enter -> _dispatch_idle would do; with
                        # nobody waiting, every dispatch rule takes this task)
                        for s in workers:
                            if not s.busy:
                                break
                        else:
                            s = None   # the idle people are volunteers or the secretary
                        if s is not None and s.iv_start <= e < s.iv_end:
                            c += 1
                            rem = efforts0[i]
                            remaining[i] = rem
                            office.open_work += rem
                            s.busy = True
                            office.n_idle -= 1
                            s.task = i
                            first_start[i] = e
                            stop = e + rem
                            if stop > s.iv_end:
                                stop = s.iv_end
                            s.in_seg = True
                            s.ot = False
                            s.seg_start = e
                            s.seg_end = stop
                            ev = s.event                   # what _arm(s, stop) does
                            ev.callbacks = s.callbacks
                            schedule_at(env, ev, stop)
                            e = e_time[c]
                            continue
                c += 1
                office.cursor = c
                enter(i, e)
                e = e_time[c]
            office.cursor = c

        return absorb

    def _enter(self, i: int, t: float) -> None:
        r = self.route[i]
        if r == ROUTE_STAFF:
            self._to_step(i, 0, t)
        elif r == ROUTE_VOLUNTEERS:
            self.remaining[i] = self.vol_effort[i]
            self.queue_of[i] = Q_VOLUNTEER
            self._push(self.q_volunteer, i, t, None)
            self._at(t + self.vol_wait, self._on_volunteer_timeout, i, t + self.vol_wait)
        elif r == ROUTE_MEETING:
            self.meeting_queue.append(i)

    def _to_step(self, i: int, k: int, t: float) -> None:
        self.step[i] = k
        rem = self.efforts[k][i]
        self.remaining[i] = rem
        ti = self.type_idx[i]
        if self.roles[ti][k] == ROLE_SECRETARY:
            q = self.q_secretary
            self.queue_of[i] = Q_SECRETARY
        else:
            q = self.q_worker
            self.queue_of[i] = Q_WORKER
            self.open_work += rem
        if self.appointment[ti]:
            q.n += 1
            q.appointments.append(i)
        elif q.fifo is not None:
            q.n += 1
            q.fifo.append(i)
        else:
            q.push(i, self._key(i, t))
        if self.n_idle:
            self._dispatch_idle(q, t)

    def _push(self, q: _Queue, i: int, t: float, key) -> None:
        q.push(i, key)
        if self.n_idle:
            self._dispatch_idle(q, t)

    def _dispatch_idle(self, q: _Queue, t: float) -> None:
        best = None
        best_open = _INF
        for s in q.servers:
            if s.busy:
                continue
            if s.iv_start <= t < s.iv_end:      # (what _availability says first, inlined)
                self._start_next(s, t)
                return
            if s.gap_lo <= t < s.iv_start and s.ot_end <= t and s.kind != WORKER:
                start = s.iv_start              # (the same, for a volunteer or the secretary)
            else:
                start, _ = self._availability(s, t)
            if start <= t:
                self._start_next(s, t)
                return
            if start < best_open and s.wake > start:
                best, best_open = s, start
        if best is not None and best.wake == _INF:
            best.wake = best_open
            self._at(best_open, self._on_wake, best, best_open)

    def _ensure_feeder(self) -> None:
        """Someone is idle: make sure the next arrival gets an event of its own."""
        if not self.feeder_pending:
            t = self.e_time[self.cursor]
            if t < _INF:
                self.feeder_pending = True
                self.feeder_time = t
                ev = self.feeder
                ev.callbacks = self.feeder_callbacks
                env = self.env
                now = env.now                   # what schedule_at(env, ev, t) does
                d = t - now
                if now + d != t:
                    d = exact_delay(now, t)
                env.schedule(ev, NORMAL, d)

    def _feed_handler(self):
        """The feeder's callback: the next arrival, at ``feeder_time``, while someone is idle.

        When the arrival after it is due strictly before every event in SimPy's queue
        (``Environment.peek``, public API), nothing can happen in between, so it is taken in
        the same callback instead of through an event of its own: the same state changes in
        the same order, and the events they schedule keep their order against every other
        event (SimPy orders events of one time by when they were scheduled, and no event is
        scheduled in between). Their absolute times are the same too (``schedule_at`` picks
        the delay from ``env.now``); only in the case ``exact_delay`` cannot reach exactly
        may the nearest reachable time differ by an ulp (docs/performance.md). About 40% of
        a Bozhou year's feeder events are saved this way.
        """
        e_time, absorb, env, feeder_callbacks = self.e_time, self._absorb, self.env, self.feeder_callbacks
        schedule, peek, normal, inf = env.schedule, env.peek, NORMAL, _INF
        office = self

        def feed_tail() -> None:
            """What ``_ensure_feeder`` does, as the last action of a callback, taking at once
            the arrivals due before every queued event."""
            if office.feeder_pending:
                return
            while True:
                t = e_time[office.cursor]
                if t == inf:
                    return
                if t < peek():
                    absorb(t)                   # nothing happens before t: take it now
                    if not office.n_idle or office.feeder_pending:
                        return
                    continue
                office.feeder_pending = True
                office.feeder_time = t
                feeder = office.feeder
                feeder.callbacks = feeder_callbacks
                now = env.now                   # what schedule_at(env, feeder, t) does
                d = t - now
                if now + d != t:
                    d = exact_delay(now, t)
                schedule(feeder, normal, d)
                return

        def on_feed(ev) -> None:
            office.feeder_pending = False
            absorb(office.feeder_time)
            if office.n_idle:
                feed_tail()

        self._feed_tail = feed_tail
        return on_feed

    # ----------------------------------------------------------------- people
    def _availability(self, s: _Server, t: float) -> tuple[float, float]:
        """When ``s`` can next work from ``t``, and until when."""
        if s.iv_start <= t < s.iv_end:
            return t, s.iv_end
        if s.ot_end > t:
            return t, s.ot_end
        worker = s.kind == WORKER
        if s.gap_lo <= t < s.iv_start and not (worker and t in self.closing):
            # still in the gap before the interval looked up last: it is the next one
            return s.iv_start, s.iv_end
        start, end = s.shifts.open_interval(t)
        if start > t and worker and t in self.closing and self._overtime(t, s):
            ot_end = t + self.ot_max
            if ot_end > t:  # (an allowance below the clock's resolution is no allowance)
                s.ot_end = ot_end
                return t, ot_end
        s.gap_lo, s.iv_start, s.iv_end = t, start, end
        return start, end

    def _overtime(self, t: float, current: _Server) -> bool:
        got = self.ot_decision.get(t)
        if got is None:
            load = self.open_work
            for s in self.servers:
                if s.in_seg and s is not current and self.queue_of[s.task] == Q_WORKER:
                    load -= t - s.seg_start
            got = load > self.ot_threshold + OVERTIME_TIE_HOURS
            self.ot_decision[t] = got
        return got

    def _start_next(self, s: _Server, t: float) -> None:
        """``s`` is free and can work at ``t``: take the next task from its queues."""
        for q in s.queues:
            if q.n:
                i = q.pop()
                if i >= 0:
                    if not s.busy:
                        s.busy = True
                        self.n_idle -= 1
                    s.task = i
                    f = self.first_start[i]
                    if f != f:  # nan: the first start
                        self.first_start[i] = t
                    self._segment(s, t)
                    return
        if s.busy:
            s.busy = False
            self.n_idle += 1
        s.task = -1
        self._ensure_feeder()

    def _segment(self, s: _Server, t: float) -> None:
        if s.iv_start <= t < s.iv_end:          # (what _availability says first, inlined)
            start, end = t, s.iv_end
        else:
            start, end = self._availability(s, t)
        if start > t:
            s.in_seg = False
            if s.kind == VOLUNTEER:
                # a volunteer's time is up: the problem goes back to the front of the team's
                # queue, for whichever member comes next
                q = self.q_volunteer
                q.fifo.appendleft(s.task)
                q.n += 1
                s.task = -1
                s.busy = False
                self.n_idle += 1
                self._dispatch_idle(q, t)
                return
            # office staff: the same person goes on at the next opening
            self._at(start, self._on_resume, s, start)
            return
        rem = self.remaining[s.task]
        stop = t + rem
        if stop > end:
            stop = end
        s.in_seg = True
        s.ot = s.ot_end > t
        s.seg_start = t
        s.seg_end = stop
        ev = s.event                            # what _arm(s, stop) does
        ev.callbacks = s.callbacks
        env = self.env
        now = env.now
        d = stop - now
        if now + d != stop:
            d = exact_delay(now, stop)
        env.schedule(ev, NORMAL, d)

    def _segment_end_handler(self):
        """The callback for the end of a work segment: the hot path, one call per segment.

        Written as a closure over the office's working lists (local-variable access instead
        of attribute look-ups: about a tenth of the run time of large models); the logic is
        that of a plain method on ``self``.
        """
        e_time, remaining, queue_of = self.e_time, self.remaining, self.queue_of
        step, nsteps, type_idx = self.step, self.nsteps, self.type_idx
        done, first_start = self.done, self.first_start
        seg_extend, seg_pack = self.segs.extend, _SEGMENT.pack
        env = self.env
        # (feed_tail: _ensure_feeder, where it is the callback's last action)
        schedule, ensure_feeder, peek = env.schedule, self._feed_tail, env.peek
        absorb, segment, to_step = self._absorb, self._segment, self._to_step
        availability, start_next = self._availability, self._start_next
        e_task, e_plain, efforts0 = self.e_task, self.e_plain, self.efforts0
        workers_q = self.q_worker
        workers_fifo = workers_q.fifo
        office = self
        q_worker, q_volunteer, normal, inf = Q_WORKER, Q_VOLUNTEER, NORMAL, _INF

        def on_segment_end(s: _Server, ev) -> None:
            while True:   # (more than once: see the end of the fast path)
                t = s.seg_end       # (env.now, unless t was out of SimPy's reach: see exact_delay)
                c = office.cursor
                e = e_time[c]
                if e <= t:
                    if not office.n_idle and workers_fifo is not None:
                        # everyone is busy: plain FIFO entries join the workers' queue (the first
                        # case of _absorb, inlined: the commonest thing a busy office does)
                        open_work = office.open_work
                        c0 = c
                        while e <= t and e_plain[c]:
                            j = e_task[c]
                            workers_fifo.append(j)
                            rem = efforts0[j]
                            remaining[j] = rem
                            open_work += rem
                            c += 1
                            e = e_time[c]
                        workers_q.n += c - c0
                        office.open_work = open_work
                        office.cursor = c
                    if e <= t:
                        absorb(t)
                i = s.task
                begun = s.seg_start
                worked = t - begun
                s.in_seg = False
                if worked > 0:
                    seg_extend(seg_pack(i, s.idx, begun, t, s.ot))
                qi = queue_of[i]
                if qi == q_worker:
                    office.open_work -= worked
                rem = remaining[i] - worked
                if rem > 1e-9:
                    remaining[i] = rem
                    segment(s, t)
                    return
                remaining[i] = 0.0
                k = step[i] + 1
                if qi != q_volunteer and k < nsteps[type_idx[i]]:
                    to_step(i, k, t)
                else:
                    done[i] = t
                end = s.iv_end
                if s.iv_start <= t < end:
                    # fast paths: still in office hours and ...
                    q = s.queues[0]
                    if not q.n:
                        if len(s.queues) == 1:
                            # ... nothing waits: idle (what start_next does when all is empty)
                            s.task = -1
                            s.busy = False
                            office.n_idle += 1
                            ensure_feeder()
                            return
                    elif q.moved is None and not q.appointments:
                        # ... the next task of the first queue (what start_next does)
                        q.n -= 1
                        fifo = q.fifo
                        j = fifo.popleft() if fifo is not None else heappop(q.heap)[-1]
                        s.task = j
                        f = first_start[j]
                        if f != f:  # nan: the first start
                            first_start[j] = t
                        stop = t + remaining[j]
                        if stop > end:
                            stop = end
                        s.in_seg = True
                        s.ot = False
                        s.seg_start = t
                        s.seg_end = stop
                        if stop < peek():
                            # this segment ends before every event in SimPy's queue: nothing
                            # can happen in between, so end it now rather than through an
                            # event (same order; see _feed_handler)
                            continue
                        ev = s.event
                        ev.callbacks = s.callbacks
                        now = env.now                   # what _arm(s, stop) does
                        d = stop - now
                        if now + d != stop:
                            d = exact_delay(now, stop)
                        schedule(ev, normal, d)
                        return
                s.task = -1
                start, _ = availability(s, t)
                if start <= t:
                    start_next(s, t)
                else:
                    s.busy = False
                    office.n_idle += 1
                    # work may be waiting: wake at the next opening
                    if s.wake == inf and any(q.n for q in s.queues):
                        s.wake = start
                        office._at(start, office._on_wake, s, start)
                    ensure_feeder()
                return

        return on_segment_end

    def _on_resume(self, s: _Server, t: float, ev) -> None:
        self.spare.append(ev)   # processed: reusable by _at
        if self.e_time[self.cursor] <= t:
            self._absorb(t)
        self._segment(s, t)

    def _on_wake(self, s: _Server, t: float, ev) -> None:
        self.spare.append(ev)   # processed: reusable by _at
        s.wake = _INF
        self._absorb(t)
        if not s.busy:
            start, _ = self._availability(s, t)
            if start <= t:
                self._start_next(s, t)
            elif any(q.n for q in s.queues):
                s.wake = start
                self._at(start, self._on_wake, s, start)

    def _on_volunteer_timeout(self, i: int, t: float, ev) -> None:
        self.spare.append(ev)   # processed: reusable by _at
        self._absorb(t)
        if self.first_start[i] == self.first_start[i] or self.queue_of[i] != Q_VOLUNTEER:
            return  # a volunteer started on it
        self.q_volunteer.moved.add(i)
        self.fallback.add(i)
        self.route[i] = ROUTE_STAFF
        self._to_step(i, 0, t)

    def _on_meeting(self, t: float, ev) -> None:
        self.spare.append(ev)   # processed: reusable by _at
        self._absorb(t)
        self.meetings_held.append(t)
        end = t + self.jm.duration_hours
        for _ in range(min(self.jm.problems_per_meeting_max, len(self.meeting_queue))):
            i = self.meeting_queue.popleft()
            self.done[i] = end
            self.first_start[i] = t

    # ----------------------------------------------------------------- run
    def run(self) -> OfficeRecord:
        for t in self.w.meeting_times.tolist():
            self._at(t, self._on_meeting, t)
        self._ensure_feeder()
        # (run_replication pauses the cyclic garbage collector around all of this)
        try:
            self.env.run(until=self.horizon)
        finally:
            # break the reference cycles (office -> environment -> pending events -> callbacks
            # -> office, office -> handlers -> office) so the office's working lists are freed
            # as soon as run() returns; the events still pending stay with the environment
            for s in self.servers:
                s.event = None
                s.callbacks.clear()
            self.feeder = None
            self.feeder_callbacks.clear()
            self._on_segment_end = None
            self._absorb = None
            self._feed_tail = None
            self.spare.clear()
            self.env = None
        # close the segments in progress at the horizon (the work done so far counts)
        T = self.horizon
        for s in self.servers:
            if s.in_seg and s.seg_start < T:
                self.segs.extend(_SEGMENT.pack(s.task, s.idx, s.seg_start, min(T, s.seg_end), s.ot))
        # numpy views of the per-task arrays (no copies)
        done = np.frombuffer(self.done, dtype=float)
        offsite = ~np.isnan(self.w.offsite_done)
        done[offsite] = self.w.offsite_done[offsite]
        fallback = np.zeros(self.w.n, dtype=bool)
        fallback[list(self.fallback)] = True
        segs = np.frombuffer(self.segs, dtype=_SEGMENT_DTYPE)
        return OfficeRecord(
            first_start=np.frombuffer(self.first_start, dtype=float),
            done=done,
            route=np.frombuffer(self.route, dtype=np.int8).astype(np.int64),
            fallback=fallback,
            seg_task=segs["task"].astype(np.int64),
            seg_server=segs["server"].astype(np.int64),
            seg_start=segs["start"].copy(),
            seg_end=segs["end"].copy(),
            seg_ot=segs["ot"].copy(),
            server_kind=np.asarray([s.kind for s in self.servers], dtype=np.int64),
            volunteer_shifts=self.vol_shifts,
            meetings_held=np.asarray(self.meetings_held, dtype=float),
        )
