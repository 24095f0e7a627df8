"""Where a resident's problem goes: its estate type, the routing before the run, and the
load-aware hand-back between the volunteer team and the workers during it.

Before the run (:func:`route_problems`, called by :mod:`sim.engine.workload`): every problem
carries the type of estate it comes from (:data:`ESTATE_NAMES`: with a property company,
without one (the "四失" estates), or with a red property service), drawn from
``problems.managed_estate_share`` and ``problems.red_property_coverage``. The volunteer team
takes the kinds in ``problems.volunteer_kinds`` from the estate types in
``problems.volunteer_estates``; every other problem of a managed (red property) estate goes to
its property company (red property service); the rest of an unmanaged estate goes to a joint
meeting when its kind needs one, otherwise to the workers.

During the run (:class:`sim.engine.office.Office` calls the functions below), a volunteer
problem goes to the workers instead (a "hand-back", counted in
``problems_fallback_to_workers``)

- on arrival, when ``problems.volunteer_handback_queue`` (> 0) problems already wait for the team
  (:func:`team_full`);
- once it has waited ``problems.idle_worker_takes_after_days`` (> 0), to the first worker who is
  idle in office hours, then or later (:func:`take_waiting`, :func:`on_pickup_due`);
- after ``problems.volunteer_max_wait_days`` whatever the workers' load (the office's
  ``_on_volunteer_timeout``).

Person-times: :func:`turnout_from_person_times` is the conversion the scenario builder uses when
volunteer capacity is given as ``volunteers.person_times_per_year``.
"""

from __future__ import annotations

import numpy as np

from sim.rng import Streams
from sim.scenario.model import ProblemRouting, TaskType

# where a task goes (the values the engine and the summary use)
ROUTE_STAFF = 0        # worker / secretary queues, by step role
ROUTE_VOLUNTEERS = 1
ROUTE_PROPERTY = 2     # property company of a managed estate (not office workload)
ROUTE_RED_PROPERTY = 3  # red property service of an unmanaged estate (not office workload)
ROUTE_MEETING = 4      # waits for the next joint meeting
ROUTE_NAMES = ("staff", "volunteers", "property", "red_property", "joint_meeting")

ESTATE_MANAGED, ESTATE_UNMANAGED, ESTATE_RED = 0, 1, 2
ESTATE_NAMES = ("managed", "unmanaged", "red_property")
ESTATE_NONE = -1       # not a resident's problem


def turnout_from_person_times(person_times_per_year: float, members: int) -> float:
    """The weekly turnout share of each of ``members`` that gives ``person_times_per_year``
    turnouts a year in all (one turnout = one member on one week's rota)."""
    if members <= 0:
        return 0.0
    return min(1.0, person_times_per_year * 7.0 / 365.0 / members)


def route_problems(task: TaskType, m: int, prob: ProblemRouting, meetings_on: bool,
                   vol_on: bool, streams: Streams) -> tuple[np.ndarray, np.ndarray]:
    """The estate type (``ESTATE_*``) and route (``ROUTE_*``) of each of ``m`` problems of
    ``task`` (see the module docstring)."""
    u = streams(f"routing:{task.id}").random((m, 2))
    managed = u[:, 0] < prob.managed_estate_share
    red = ~managed & (u[:, 1] < prob.red_property_coverage)
    estate = np.full(m, ESTATE_UNMANAGED, dtype=np.int8)
    estate[managed] = ESTATE_MANAGED
    estate[red] = ESTATE_RED
    r = np.full(m, ROUTE_STAFF)
    r[managed] = ROUTE_PROPERTY
    r[red] = ROUTE_RED_PROPERTY
    if meetings_on and task.problem_kind in prob.joint_meeting_kinds:
        to_meeting = ~managed & ~red
        if prob.joint_meeting_share < 1.0:  # its own stream: no other draw moves
            to_meeting &= streams(f"meeting_share:{task.id}").random(m) < prob.joint_meeting_share
        r[to_meeting] = ROUTE_MEETING
    if vol_on and task.problem_kind in prob.volunteer_kinds:
        # (np.isin of the few estate types, without its machinery for large sets)
        take = np.zeros(m, dtype=bool)
        for e in prob.volunteer_estates:
            take |= estate == ESTATE_NAMES.index(e)
        r[take] = ROUTE_VOLUNTEERS
    return estate, r


# ----------------------------------------------------------------- during the run
def team_full(office) -> bool:
    """The team's queue already holds ``volunteer_handback_queue`` waiting problems (0: never)."""
    cap = office.vol_handback_queue
    if cap <= 0:
        return False
    q = office.q_volunteer
    return q.n - len(q.moved) >= cap


def hand_to_workers(office, i: int) -> None:
    """Mark volunteer problem ``i`` as handed back to the workers (not yet queued)."""
    office.fallback.add(i)
    office.route[i] = ROUTE_STAFF


def take_waiting(office, s, t: float) -> bool:
    """Worker ``s``, free and in office hours at ``t`` with nothing in its own queues, takes
    the team's oldest waiting problem if nobody has started it and it has waited at least
    ``idle_worker_takes_after_days``. True if ``s`` started on it."""
    after = office.pickup_after
    if after <= 0:
        return False
    q = office.q_volunteer
    fifo, moved = q.fifo, q.moved
    while fifo and fifo[0] in moved:      # drop what was handed back already
        moved.discard(fifo.popleft())
        q.n -= 1
    if not fifo:
        return False
    i = fifo[0]
    fs = office.first_start[i]
    if fs == fs or office.w.entry[i] > t - after or not _worker_work(office, i):
        return False   # started, not waited long enough, or not a worker's job
    fifo.popleft()
    q.n -= 1
    _start_worker_on(office, s, i, t)
    return True


def on_pickup_due(office, i: int, t: float, ev) -> None:
    """Problem ``i`` has waited ``idle_worker_takes_after_days``: a worker who is idle in
    office hours now takes it."""
    office.spare.append(ev)   # processed: reusable by _at
    office._absorb(t)
    fs = office.first_start[i]
    if fs == fs or office.queue_of[i] != office.Q_VOLUNTEER or i in office.q_volunteer.moved \
            or office.route[i] != ROUTE_VOLUNTEERS or not _worker_work(office, i):
        return
    for s in office.q_worker.servers:
        if s.busy or s.kind != 0:   # (0: a worker)
            continue
        start, _ = office._availability(s, t)
        if start <= t:
            office.q_volunteer.moved.add(i)    # (left in the team's queue, skipped there)
            _start_worker_on(office, s, i, t)
            return


def _worker_work(office, i: int) -> bool:
    return office.roles[office.type_idx[i]][0] == 0   # (0: ROLE_WORKER)


def _start_worker_on(office, s, i: int, t: float) -> None:
    hand_to_workers(office, i)
    office.step[i] = 0
    rem = office.efforts[0][i]
    office.remaining[i] = rem
    office.queue_of[i] = office.Q_WORKER
    office.open_work += rem
    if not s.busy:
        s.busy = True
        office.n_idle -= 1
    s.task = i
    office.first_start[i] = t
    office._segment(s, t)
