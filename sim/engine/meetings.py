"""Meetings in real time: a scheduled meeting takes its attendees' time at its own time.

With ``office.meetings = "real_time"`` the meetings people attend (the scenario's tasks of
category ``meeting``, and a joint meeting's chair and attendees; not the preparation, which
is ordinary queued work) do not go through the queues. Before the run
(:func:`meeting_starts`) each meeting gets its scheduled start: its arrival instant, or the
next opening when that falls outside office hours (a holiday, a weekend, the night), moved
earlier when needed so that it ends by the close of that half-day's office interval, never
before the interval opens (a meeting is called for a morning or an afternoon; only a meeting
longer than the interval runs past it). During the run (:class:`MeetingDesk`) the meeting
starts at that time and lasts its duration (the step's effort) in one piece, over lunch or
closing time if it must. Its attendee:

- the secretary for a secretary step; for a worker step the first idle worker, else the
  worker whose current work segment ends first (the first one by index on a tie), else (all
  are in meetings) the worker whose meeting ends first, after it;
- if mid-segment at the start: ``office.meeting_interrupt = "preempt"`` cuts the segment at
  the start and the same person resumes the task when the meeting ends; ``"finish_segment"``
  lets them finish the segment (until the step is done or the interval ends), then the
  meeting starts for them, late, and still lasts its full duration;
- already in a meeting: joins this one when that one ends (late, full duration).

The meeting's hours are logged as segments of the meeting task (category ``meeting``), with
the parts outside the person's office hours marked as overtime. Everything is scheduled with
the office's public-API helpers (``Office._at``); a preempted segment's pending end event is
disarmed by giving it another callback (it then returns to the office's spare events).

:func:`scaled_quorum` is the ``joint_meetings.hold_rule = "scaled"`` rule: a community's
quorum from its expected joint-meeting problems per slot.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque

import numpy as np
from simpy.events import Timeout

from sim.engine.parts import AHEAD, INF, Q_WORKER, SECRETARY, SEGMENT, WORKER, Server
from sim.scenario.model import Scenario

ROLE_SECRETARY = 1   # (sim.engine.workload.ROLE_SECRETARY; not imported: workload imports this)
DONE_BELOW = 1e-9    # what is left of a step below this is done (as in sim.engine.hot_paths)


# --------------------------------------------------------------------------- before the run

def meeting_starts(times: np.ndarray, durations: np.ndarray, shifts) -> np.ndarray:
    """Scheduled starts of meetings due at ``times`` lasting ``durations`` hours: the next
    opening at or after the time, moved earlier to end by the close of that office interval,
    never before it opens (see the module docstring)."""
    starts, ends = shifts.starts_list, shifts.ends_list
    out = np.empty(len(times))
    for k, (t, d) in enumerate(zip(np.asarray(times, float).tolist(),
                                   np.asarray(durations, float).tolist(), strict=True)):
        j = bisect_right(starts, t) - 1
        if j < 0 or t >= ends[j]:          # closed: the next opening
            j += 1
            if j >= len(starts):
                out[k] = t
                continue
            t = starts[j]
        out[k] = max(starts[j], min(t, ends[j] - d))
    return out


def expected_meeting_problems(scenario: Scenario) -> float:
    """Expected problems a year that wait for a joint meeting (routing as
    :func:`sim.engine.workload.route_problems`: meeting kinds not taken by volunteers, from
    estates without property services, times ``joint_meeting_share``)."""
    prob = scenario.problems
    vol_on = scenario.volunteers.teams > 0
    per_year = 0.0
    for t in scenario.tasks:
        if t.category != "problem" or t.problem_kind not in prob.joint_meeting_kinds:
            continue
        if vol_on and t.problem_kind in prob.volunteer_kinds:
            continue
        a = t.arrivals
        n = a.rate_per_hour * 24.0 * 365.0 * sum(a.seasonality) / 12.0
        n += sum(w.count for w in a.waves)
        per_year += n * t.copies
    return (per_year * (1.0 - prob.managed_estate_share) * (1.0 - prob.red_property_coverage)
            * prob.joint_meeting_share)


def scaled_quorum(scenario: Scenario, n_slots: int) -> int:
    """``hold_rule = "scaled"``: the expected joint-meeting problems per slot, rounded down,
    at least 1 and at most ``min_problems`` (the city-derived quorum) when that is set."""
    jm = scenario.joint_meetings
    days = scenario.scenario.days
    per_slot = expected_meeting_problems(scenario) * days / 365.0 / max(n_slots, 1)
    q = max(1, math.floor(per_slot))
    return min(q, jm.min_problems) if jm.min_problems > 0 else q


# --------------------------------------------------------------------------- during the run

class MeetingDesk:
    """The real-time meetings of one office run (see the module docstring)."""

    def __init__(self, office, scenario: Scenario) -> None:
        self.o = office
        self.preempt = scenario.office.meeting_interrupt == "preempt"
        self.workers = [s for s in office.servers if s.kind == WORKER]
        self.secretary = next((s for s in office.servers if s.kind == SECRETARY), None)
        self.pending: dict[int, deque[int]] = {s.idx: deque() for s in office.servers}
        self.until: dict[int, float] = {}       # person -> end of the meeting they are in
        w = office.w
        flags = np.asarray([t.real_time for t in w.types] or [False], dtype=bool)
        mine = np.flatnonzero(flags[w.type_idx]) if w.n else np.empty(0, dtype=np.int64)
        order = np.argsort(w.entry[mine], kind="stable")
        self.tasks = mine[order].tolist()
        self.starts = w.entry[mine][order].tolist()

    def schedule(self) -> None:
        """One event per meeting, at its scheduled start (before anything else is queued:
        at a tie the meeting comes first)."""
        at = self.o._at
        for i, t in zip(self.tasks, self.starts, strict=True):
            if t < self.o.horizon:
                at(t, self._on_start, i, t)

    # ------------------------------------------------------------------ events
    def _on_start(self, i: int, t: float, ev) -> None:
        o = self.o
        o.spare.append(ev)   # processed: reusable by _at
        if o.e_time[o.cursor] <= t:
            o._absorb(t)
        s = self._attendee(i, t)
        if s.meeting:                              # in (or waiting for) a meeting: after it
            self.pending[s.idx].append(i)
            return
        if s.busy and s.in_seg:
            if s.in_seg == AHEAD and s.seg_start >= t:
                # between segments: armed to go on with its task at the next opening, not
                # begun (see AHEAD); the meeting comes first, and its end re-arms the task's
                # segment (_on_end)
                self._disarm(s)
                s.in_seg = False
            elif self.preempt:
                old = s.event                      # its end is scheduled: disarm it
                old.callbacks = [o.spare.append]
                self._cut(s, t)
                s.event = o.spare.pop() if o.spare else Timeout(o.env, 0.0)
            else:
                # the segment's end event starts the meeting when it comes
                s.event.callbacks = [lambda e, s=s: self._after_segment(s, e)]
                s.meeting = True
                self.pending[s.idx].append(i)
                return
        self._begin(s, i, t)

    def _disarm(self, s: Server) -> None:
        """Cancel ``s``'s scheduled end of segment: the pending event gets another callback
        (it returns to the office's spare events when processed) and ``s`` a fresh one."""
        o = self.o
        s.event.callbacks = [o.spare.append]
        s.event = o.spare.pop() if o.spare else Timeout(o.env, 0.0)

    def _after_segment(self, s: Server, ev) -> None:
        o = self.o
        t = s.seg_end
        if o.e_time[o.cursor] <= t:
            o._absorb(t)
        self._cut(s, t)
        self._begin(s, self.pending[s.idx].popleft(), t)

    def _on_end(self, s: Server, t: float, ev) -> None:
        o = self.o
        o.spare.append(ev)
        if o.e_time[o.cursor] <= t:
            o._absorb(t)
        del self.until[s.idx]
        if self.pending[s.idx]:
            self._begin(s, self.pending[s.idx].popleft(), t)
            return
        s.meeting = False
        if s.task >= 0:                            # back to the task the meeting cut
            o._segment(s, t)
            return
        start, _ = o._availability(s, t)
        if start <= t:
            o._start_next(s, t)
            return
        s.busy = False
        o.n_idle += 1
        if s.wake == INF and any(q.n for q in s.queues):
            s.wake = start
            o._at(start, o._on_wake, s, start)
        o._ensure_feeder()

    # ------------------------------------------------------------------ helpers
    def _attendee(self, i: int, t: float) -> Server:
        o = self.o
        if o.roles[o.type_idx[i]][0] == ROLE_SECRETARY and self.secretary is not None:
            return self.secretary
        best, best_key = None, None
        for s in self.workers:
            if s.meeting:
                key = (3, self.until.get(s.idx, INF), len(self.pending[s.idx]))
            elif not s.busy:
                key = (0, 0.0, 0)
            elif s.in_seg and (s.in_seg != AHEAD or s.seg_start < t):
                key = (1, s.seg_end, 0)
            else:
                key = (2, 0.0, 0)                   # between segments (out of office hours)
            if best_key is None or key < best_key:
                best, best_key = s, key
        return best

    def _cut(self, s: Server, t: float) -> None:
        """End ``s``'s current segment at ``t`` (as the end-of-segment handler does); the
        task stays with ``s`` unless its step is done."""
        o = self.o
        i = s.task
        worked = t - s.seg_start
        s.in_seg = False
        if worked > 0:
            o.segs.extend(SEGMENT.pack(i, s.idx, s.seg_start, t, s.ot))
        if o.queue_of[i] == Q_WORKER:
            o.open_work -= worked
        rem = o.remaining[i] - worked
        if rem > DONE_BELOW:
            o.remaining[i] = rem
            return
        o.remaining[i] = 0.0
        k = o.step[i] + 1
        if k < o.nsteps[o.type_idx[i]]:
            o._to_step(i, k, t)
        else:
            o.done[i] = t
        s.task = -1

    def _begin(self, s: Server, i: int, t: float) -> None:
        o = self.o
        if not s.busy:
            s.busy = True
            o.n_idle -= 1
        s.meeting = True
        end = t + o.efforts0[i]
        o.first_start[i] = t
        o.done[i] = end
        o.remaining[i] = 0.0
        # the log: office-hours parts and (marked overtime) the parts outside them
        x = t
        while x < end:
            a, b = s.shifts.open_interval(x)
            if a > x:
                y = min(a, end)
                o.segs.extend(SEGMENT.pack(i, s.idx, x, y, True))
            else:
                y = min(b, end)
                o.segs.extend(SEGMENT.pack(i, s.idx, x, y, False))
            x = y
        self.until[s.idx] = end
        o._at(end, self._on_end, s, end)
