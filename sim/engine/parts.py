"""The parts the office is made of: the people (:class:`Server`), their waiting lines
(:class:`Queue`), the volunteers' working time (:func:`volunteer_shifts`) and what one
replication records (:class:`OfficeRecord`, with the packed work-segment log).

Plain data structures without a clock: :mod:`sim.engine.office` drives them on SimPy's
environment, :mod:`sim.engine.hot_paths` holds its per-event callbacks.
"""

from __future__ import annotations

import heapq
import math
import operator
import struct
from array import array
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.calendar import Shifts, WorkCalendar
from sim.engine import absence
from sim.rng import Streams
from sim.scenario.model import Scenario

WORKER, SECRETARY, VOLUNTEER = 0, 1, 2
Q_WORKER, Q_SECRETARY, Q_VOLUNTEER = 0, 1, 2
INF = math.inf
# ``Server.in_seg`` of a segment armed ahead (Office._segment): a task cut at the end of an
# office interval goes on with the same person at their next opening, and that segment is
# scheduled at once, without an event for the resume. It has not begun at ``seg_start``
# for an event at that time scheduled before it was armed (a meeting's start), as if a
# resume event had come after it; from then on it is an ordinary segment (truthy, like True)
AHEAD = 2

# One work segment in the log: task, person, start, end, overtime (25 bytes, packed; task and
# person indices below 2**31). Packing one segment is about a third of the cost of extending a
# flat array('d') by five numbers, and takes 25 bytes instead of 40.
SEGMENT = struct.Struct("<iidd?")
SEGMENT_DTYPE = np.dtype([("task", "<i4"), ("server", "<i4"), ("start", "<f8"),
                           ("end", "<f8"), ("ot", "?")])


def compact(values: np.ndarray, typecode: str) -> array:
    """A copy of ``values`` as an ``array.array`` of ``typecode`` (the same C type as numpy's
    dtype of that letter): 1 to 8 bytes an item instead of a list's 8-byte pointer to a
    Python object (a float object alone is 24 bytes)."""
    return array(typecode, np.ascontiguousarray(values, dtype=typecode).tobytes())


class Queue:
    """A waiting line: appointments first, then by the dispatch rule."""

    __slots__ = ("appointments", "fifo", "heap", "moved", "n", "plain", "seq", "servers")

    def __init__(self, fifo: bool) -> None:
        self.fifo = deque() if fifo else None
        self.heap: list = []
        self.appointments: deque = deque()
        self.servers: list[Server] = []
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


class Server:
    __slots__ = ("at", "busy", "callbacks", "event", "gap_lo", "idx", "in_seg", "iv_end", "iv_start",
                 "kind", "meeting", "ot", "ot_end", "queues", "seg_end", "seg_start", "shifts", "task",
                 "wake")

    def __init__(self, idx: int, kind: int, shifts: Shifts) -> None:
        self.idx = idx
        self.kind = kind
        self.shifts = shifts
        self.queues: list[Queue] = []
        self.busy = False
        self.task = -1
        self.seg_start = 0.0
        self.seg_end = 0.0
        self.in_seg = False
        self.ot = False          # the current segment is overtime
        self.ot_end = -INF      # end of today's overtime window
        self.wake = INF         # time of a pending wake-up event
        self.iv_start = 0.0      # the working interval last looked up (a cache)
        self.iv_end = 0.0
        self.gap_lo = INF       # from gap_lo to iv_start: closed, and iv_start opens next
        self.event = None        # the reusable end-of-segment event (see Office._arm)
        # when SimPy processes that event: ``now + delay`` as SimPy sums it (seg_end, unless
        # exact_delay could not reach it); the end-of-segment handler's env.now, without
        # the property call
        self.at = 0.0
        self.callbacks: list = []
        self.meeting = False     # in (or waiting for) a real-time meeting (sim.engine.meetings)


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
def weekly_windows(start_date, n_days: int, windows) -> tuple[list[float], list[float], list[int], int]:
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


@lru_cache(maxsize=64)
def _window_arrays(start_date, n_days: int, windows) -> tuple[np.ndarray, ...]:
    """:func:`weekly_windows` as read-only arrays: the windows' starts, ends and lengths, and
    each week's first window and number of windows (cached like it)."""
    starts_l, ends_l, bounds, _ = weekly_windows(start_date, n_days, windows)
    starts, ends, b = np.asarray(starts_l), np.asarray(ends_l), np.asarray(bounds, dtype=np.int64)
    out = (starts, ends, ends - starts, b[:-1], np.diff(b))
    for a in out:
        a.flags.writeable = False
    return out


def volunteer_shifts(scenario: Scenario, cal: WorkCalendar, streams: Streams) -> list[Shifts]:
    """Each volunteer member's working time: in a week they turn out (chance ``turnout``),
    they give ``hours_per_member_per_week`` hours inside the availability windows, starting
    at a randomly chosen window of that week and going on through the week's next windows
    (wrapping round to its first) until the hours are given."""
    v = scenario.volunteers
    members = v.teams * v.members_per_team
    if members == 0:
        return []
    starts, _, length, week_lo, week_n = _window_arrays(
        scenario.scenario.start_date, scenario.scenario.days + 7, v.windows)
    n_weeks = week_lo.size
    hours = v.hours_per_member_per_week
    # one stream per member (adding members does not change the others' weeks): a draw for
    # whether they turn out and one for the window they start at, each week
    u = np.stack([streams(f"volunteers:member:{m}").random((max(n_weeks, 1), 2))
                  for m in range(members)])[:, :n_weeks]
    # All members' weeks at once (a Python loop over ~13 x 53 weeks and their windows was
    # about 2% of a replication): the (member, week) pairs that turn out, then step k of
    # every pair's walk through its week's windows together, with the same float
    # operations as a walk one window at a time (take = min(window, hours left)).
    on = (u[:, :, 0] < v.turnout) & (week_n > 0) if hours > 0 else np.zeros((members, 0), dtype=bool)
    who, week = np.nonzero(on)
    n = week_n[week]
    first = (u[who, week, 1] * n).astype(np.int64)   # int(u1 * windows): the window started at
    left = np.full(who.size, float(hours))
    pair, a_parts, b_parts = [], [], []
    for k in range(int(n.max()) if n.size else 0):
        go = np.flatnonzero((left > 0) & (k < n))
        if not go.size:
            break
        w = week_lo[week[go]] + (first[go] + k) % n[go]   # the k-th window from the first
        take = np.minimum(length[w], left[go])
        pair.append(go)
        a_parts.append(starts[w])
        b_parts.append(starts[w] + take)
        left[go] -= take
    # each member's intervals in order of (start, end), as sorting the (start, end) pairs
    member = who[np.concatenate(pair)] if pair else np.empty(0, dtype=np.int64)
    a = np.concatenate(a_parts) if pair else np.empty(0)
    b = np.concatenate(b_parts) if pair else np.empty(0)
    order = np.lexsort((b, a, member))
    member, a, b = member[order], a[order], b[order]
    bounds = np.searchsorted(member, np.arange(members + 1)).tolist()
    a_l, b_l = a.tolist(), b.tolist()
    out = []
    for m in range(members):
        lo, hi = bounds[m], bounds[m + 1]
        x, y = a_l[lo:hi], b_l[lo:hi]
        # (checked on the Python floats: a member has about 50 intervals a year, where a
        # numpy reduction costs more than the loop)
        if x and all(map(operator.lt, x, y)) and all(map(operator.gt, x[1:], y)) \
                and math.isfinite(x[0]) and math.isfinite(x[-1]):
            # already what from_intervals makes of them (sorted, non-empty, neither
            # overlapping nor touching: parts of distinct windows), without its checks;
            # the lists are given as they are (the same values as the arrays)
            out.append(Shifts(a[lo:hi], b[lo:hi], (x, y)))
        else:
            out.append(Shifts.from_intervals(zip(x, y, strict=True)))
    return out


def people(scenario: Scenario, cal: WorkCalendar, streams: Streams, absences: tuple,
           q_worker: Queue, q_secretary: Queue, q_volunteer: Queue
           ) -> tuple[list[Server], list[Shifts]]:
    """The office's people as servers, in order (workers, the secretary, volunteer members),
    each on the queues they take work from: workers and the secretary with the office's
    working time less their days away (:mod:`sim.engine.absence`), volunteers with their
    turnout shifts. Returns (servers, the volunteers' shifts)."""
    off = scenario.office
    servers: list[Server] = []
    away = absences or (absence.NONE,) * (off.workers + int(off.secretary))

    def add(kind: int, shifts: Shifts, queues: list[Queue]) -> None:
        s = Server(len(servers), kind, shifts)
        s.queues = queues
        for q in queues:
            q.servers.append(s)
        servers.append(s)

    for k in range(off.workers):
        add(WORKER, absence.without(cal.shifts, cal, away[k]), [q_worker])
    if off.secretary:
        add(SECRETARY, absence.without(cal.shifts, cal, away[-1]),
            [q_secretary, q_worker] if off.secretary_takes_general_work else [q_secretary])
    vol_shifts = volunteer_shifts(scenario, cal, streams)
    for sh in vol_shifts:
        add(VOLUNTEER, sh, [q_volunteer])
    return servers, vol_shifts
