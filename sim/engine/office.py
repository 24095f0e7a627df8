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

import math
from array import array
from collections import deque
from functools import partial
from heapq import heappush

import numpy as np
import simpy
from simpy.events import NORMAL, Timeout

from sim.calendar import WorkCalendar
from sim.engine import routing
from sim.engine.clock import OVERTIME_TIE_HOURS, exact_delay
from sim.engine.hot_paths import absorb_handler, feed_handler, segment_end_handler
from sim.engine.meetings import MeetingDesk
from sim.engine.parts import (  # noqa: F401  (re-exported: OfficeRecord, volunteer_shifts, WORKER, ...)
    AHEAD,
    INF,
    Q_SECRETARY,
    Q_VOLUNTEER,
    Q_WORKER,
    SECRETARY,
    SEGMENT,
    SEGMENT_DTYPE,
    VOLUNTEER,
    WORKER,
    OfficeRecord,
    Queue,
    Server,
    compact,
    people,
    volunteer_shifts,
    weekly_windows,
)
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
        self.efforts = [compact(work.efforts[:, k], "d") for k in range(work.efforts.shape[1])]
        # deadlines are only looked up by the edf rule
        self.deadline = compact(work.deadline, "d") if dispatch == "edf" else None
        self.route = compact(work.route, "b")
        self.step = array("h", bytes(2 * n))
        self.remaining = [0.0] * n
        self.first_start = compact(np.full(n, math.nan), "d")
        self.done = compact(np.full(n, math.nan), "d")  # property routes: filled in by run()
        self.fallback: set[int] = set()
        self.queue_of = bytearray(n)                                      # Q_WORKER
        # the work log: one packed SEGMENT per work segment
        self.segs = bytearray()
        # queues
        fifo = dispatch == "fifo"
        self.q_worker = Queue(fifo)
        self.q_secretary = Queue(fifo)
        self.q_volunteer = Queue(True)
        self.q_volunteer.moved = set()
        self.q_volunteer.plain = False
        self.meeting_queue: deque[int] = deque()
        # people, each on their queues (sim.engine.parts.people)
        self.servers, self.vol_shifts = people(scenario, cal, streams, work.absences,
                                               self.q_worker, self.q_secretary, self.q_volunteer)
        self.n_idle = len(self.servers)
        # the reusable events (see _reusable_event): one for the arrivals' feed, one per person
        # for the end of their work segments
        self.feeder = self._reusable_event()
        self.feeder_callbacks: list = []
        self.feeder_time = INF
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
        self.e_time = compact(e_time, "d")
        self.e_time.append(INF)
        self.e_task = compact(e_task, "i")
        self.efforts0 = self.efforts[0]
        # entries whose first step goes to the workers' queue, in dispatch order (no
        # appointment): the arrivals' fast paths in absorb_handler (sim.engine.hot_paths)
        plain_type = np.asarray([t.roles[0] == 0 and not t.appointment
                                 for t in work.types], dtype=bool)
        plain = plain_type[work.type_idx[e_task]] & (work.route[e_task] == ROUTE_STAFF)
        self.e_plain = plain.tobytes() + b"\x00"     # one byte per entry, 1 = plain
        # the arrivals' and the work segments' handlers (closures over the arrays above), and
        # the reusable end-of-segment event of each person (see _arm)
        self._absorb = absorb_handler(self)
        self.feeder_callbacks.append(feed_handler(self))
        self._on_segment_end = segment_end_handler(self)
        for s in self.servers:
            s.event = self._reusable_event()
            s.callbacks = [partial(self._on_segment_end, s)]
        self.cursor = 0
        self.feeder_pending = False
        self.vol_wait = scenario.problems.volunteer_max_wait_days * 24.0
        # load-aware hand-back (sim.engine.routing)
        self.vol_handback_queue = scenario.problems.volunteer_handback_queue
        self.pickup_after = scenario.problems.idle_worker_takes_after_days * 24.0
        self.Q_VOLUNTEER, self.Q_WORKER = Q_VOLUNTEER, Q_WORKER
        # a volunteer team works a problem's steps as one job: their summed efforts
        on_vol = np.flatnonzero(work.route == ROUTE_VOLUNTEERS)
        self.vol_effort = dict(zip(on_vol.tolist(),
                                   np.nansum(work.efforts[on_vol], axis=1).tolist(), strict=True))
        self.jm = scenario.joint_meetings
        self.meetings_held: list[float] = []
        # meetings in real time (office.meetings = "real_time"), sim.engine.meetings
        self.desk = MeetingDesk(self, scenario) if off.meetings == "real_time" else None

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

    def _arm(self, s: Server, stop: float) -> None:
        """Schedule the end of ``s``'s segment at ``stop``.

        The hot path: one event per work segment. Each person has one reusable ``Timeout``
        (no new event each time, see ``benchmarks/``), scheduled at the absolute time
        ``stop`` (what ``sim.engine.clock.schedule_at`` does), noting in ``s.at`` when SimPy will
        process it.
        """
        ev = s.event
        ev.callbacks = s.callbacks
        env = self.env
        now = env.now
        d = stop - now
        if now + d != stop:
            d = exact_delay(now, stop)
        s.at = now + d                  # (the time SimPy computes: see Server.at)
        env.schedule(ev, NORMAL, d)

    # ----------------------------------------------------------------- arrivals
    def _enter(self, i: int, t: float) -> None:
        r = self.route[i]
        if r == ROUTE_STAFF:
            self._to_step(i, 0, t)
        elif r == ROUTE_VOLUNTEERS:
            if routing.team_full(self):
                routing.hand_to_workers(self, i)
                self._to_step(i, 0, t)
                return
            self.remaining[i] = self.vol_effort[i]
            self.queue_of[i] = Q_VOLUNTEER
            self._push(self.q_volunteer, i, t, None)
            self._at(t + self.vol_wait, self._on_volunteer_timeout, i, t + self.vol_wait)
            if 0 < self.pickup_after < self.vol_wait:
                due = t + self.pickup_after
                self._at(due, partial(routing.on_pickup_due, self), i, due)
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
        else:   # the dispatch rule's order: (-priority, t) or (deadline, -priority, t)
            q.n += 1
            q.seq += 1
            if self.dispatch == "priority":
                heappush(q.heap, (-self.prio[ti], t, q.seq, i))
            else:
                heappush(q.heap, (self.deadline[i], -self.prio[ti], t, q.seq, i))
        if self.n_idle:
            self._dispatch_idle(q, t)

    def _push(self, q: Queue, i: int, t: float, key) -> None:
        q.push(i, key)
        if self.n_idle:
            self._dispatch_idle(q, t)

    def _dispatch_idle(self, q: Queue, t: float) -> None:
        best = None
        best_open = INF
        closing = self.closing
        for s in q.servers:
            if s.busy:
                continue
            if s.iv_start <= t < s.iv_end:      # (what _availability says first, inlined)
                self._start_next(s, t)
                return
            if s.gap_lo <= t < s.iv_start and s.ot_end <= t and \
                    (s.kind != WORKER or t not in closing):
                start = s.iv_start              # (what _availability says next, inlined)
            else:
                start, _ = self._availability(s, t)
            if start <= t:
                self._start_next(s, t)
                return
            if start < best_open and s.wake > start:
                best, best_open = s, start
        if best is not None and best.wake == INF:
            best.wake = best_open
            self._at(best_open, self._on_wake, best, best_open)

    def _ensure_feeder(self) -> None:
        """Someone is idle: make sure the next arrival gets an event of its own."""
        if not self.feeder_pending:
            t = self.e_time[self.cursor]
            if t < INF:
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

    # ----------------------------------------------------------------- people
    def _availability(self, s: Server, t: float) -> tuple[float, float]:
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

    def _overtime(self, t: float, current: Server) -> bool:
        got = self.ot_decision.get(t)
        if got is None:
            load = self.open_work
            for s in self.servers:
                if s.in_seg and s is not current and s.seg_start < t and \
                        self.queue_of[s.task] == Q_WORKER:   # (seg_start > t: armed AHEAD)
                    load -= t - s.seg_start
            got = load > self.ot_threshold + OVERTIME_TIE_HOURS
            self.ot_decision[t] = got
        return got

    def _start_next(self, s: Server, t: float) -> None:
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
        if s.kind == WORKER and self.pickup_after > 0 and routing.take_waiting(self, s, t):
            return
        if s.busy:
            s.busy = False
            self.n_idle += 1
        s.task = -1
        self._ensure_feeder()

    def _segment(self, s: Server, t: float) -> None:
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
            # office staff: the same person goes on at the next opening. That segment is
            # armed now, ahead (no event for the resume itself: about 2,200 a Bozhou year);
            # see AHEAD (sim.engine.parts) for what asks whether it has begun
            rem = self.remaining[s.task]
            stop = start + rem
            s.in_seg = AHEAD
            t = start
        else:
            rem = self.remaining[s.task]
            stop = t + rem
            s.in_seg = True
        if stop > end:
            stop = end
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
        s.at = now + d
        env.schedule(ev, NORMAL, d)

    def _on_wake(self, s: Server, t: float, ev) -> None:
        self.spare.append(ev)   # processed: reusable by _at
        s.wake = INF
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
        if self.desk is not None:
            self.desk.schedule()
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
                self.segs.extend(SEGMENT.pack(s.task, s.idx, s.seg_start, min(T, s.seg_end), s.ot))
        # numpy views of the per-task arrays (no copies)
        done = np.frombuffer(self.done, dtype=float)
        offsite = ~np.isnan(self.w.offsite_done)
        done[offsite] = self.w.offsite_done[offsite]
        fallback = np.zeros(self.w.n, dtype=bool)
        fallback[list(self.fallback)] = True
        segs = np.frombuffer(self.segs, dtype=SEGMENT_DTYPE)
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
