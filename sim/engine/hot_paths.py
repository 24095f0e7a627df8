"""The office's per-event callbacks: the hot path of every replication.

Each factory builds one closure over an :class:`~sim.engine.office.Office`'s working lists
(local-variable access instead of attribute look-ups: about a tenth of the run time of large
models); the logic is that of a plain method on the office. ``Office.__init__`` calls them
once: ``absorb_handler`` puts entered tasks into their queues, ``feed_handler`` is the
feeder's callback for arrivals that find someone idle, ``segment_end_handler`` ends a work
segment and decides what the person does next.
"""

from __future__ import annotations

from heapq import heappop

from simpy.events import NORMAL

from sim.engine.clock import exact_delay
from sim.engine.parts import INF, Q_VOLUNTEER, Q_WORKER, SEGMENT, Server, compact
from sim.engine.routing import take_waiting


def absorb_handler(self):   # self: the sim.engine.office.Office
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
    schedule, normal = env.schedule, NORMAL
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
                        now = env.now
                        d = stop - now
                        if now + d != stop:
                            d = exact_delay(now, stop)
                        s.at = now + d
                        schedule(ev, normal, d)
                        e = e_time[c]
                        continue
            c += 1
            office.cursor = c
            enter(i, e)
            e = e_time[c]
        office.cursor = c

    return absorb


def feed_handler(self):   # self: the sim.engine.office.Office
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
    schedule, peek, normal, inf = env.schedule, env.peek, NORMAL, INF
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
        if office.n_idle and not office.feeder_pending:
            feed_tail()

    self._feed_tail = feed_tail
    return on_feed


def segment_end_handler(self):   # self: the sim.engine.office.Office
    """The callback for the end of a work segment: the hot path, one call per segment.

    Written as a closure over the office's working lists (local-variable access instead
    of attribute look-ups: about a tenth of the run time of large models); the logic is
    that of a plain method on ``self``.
    """
    e_time, remaining, queue_of = self.e_time, self.remaining, self.queue_of
    step, nsteps, type_idx = self.step, self.nsteps, self.type_idx
    done, first_start = self.done, self.first_start
    seg_extend, seg_pack = self.segs.extend, SEGMENT.pack
    env = self.env
    # (feed_tail: _ensure_feeder, where it is the callback's last action)
    schedule, ensure_feeder, peek = env.schedule, self._feed_tail, env.peek
    absorb, segment, to_step = self._absorb, self._segment, self._to_step
    availability, start_next = self._availability, self._start_next
    e_task, e_plain, efforts0 = self.e_task, self.e_plain, self.efforts0
    workers_q = self.q_worker
    workers_fifo = workers_q.fifo
    # take_waiting (sim.engine.routing) has nothing to take while the volunteers' queue is
    # empty, nor while its oldest problem (not handed back) has waited less than
    # pickup_after: both are checked here first (entry times as a compact array, only for an
    # office with volunteers)
    vol_fifo, vol_moved = self.q_volunteer.fifo, self.q_volunteer.moved
    vol_entry = compact(self.w.entry, "d") if self.q_volunteer.servers else None
    office = self
    q_worker, q_volunteer, normal, inf = Q_WORKER, Q_VOLUNTEER, NORMAL, INF

    def on_segment_end(s: Server, ev) -> None:
        now = s.at    # env.now (Server.at); it stays so when the loop goes round again
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
                        after = office.pickup_after
                        if vol_fifo and after > 0 and s.kind == 0 and (
                                vol_entry is None or vol_fifo[0] in vol_moved
                                or vol_entry[vol_fifo[0]] <= t - after) \
                                and take_waiting(office, s, t):
                            return   # a waiting volunteer problem (sim.engine.routing)
                        # ... nothing waits: idle (what start_next does when all is empty)
                        s.task = -1
                        s.busy = False
                        office.n_idle += 1
                        if not office.feeder_pending:   # (what ensure_feeder checks first)
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
                        # event (same order; see feed_handler)
                        continue
                    ev = s.event
                    ev.callbacks = s.callbacks
                    d = stop - now                  # what _arm(s, stop) does
                    if now + d != stop:
                        d = exact_delay(now, stop)
                    s.at = now + d
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
                if not office.feeder_pending:
                    ensure_feeder()
            return

    return on_segment_end
