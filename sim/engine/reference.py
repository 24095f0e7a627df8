"""The reference twin: the office's core rules written the way the SimPy documentation teaches.

Read this module to learn the model; prototype a new behaviour here before it is optimised
into :mod:`sim.engine.office`. It is slow (a generator process for every task's arrival and
for every step a person works on, every decision spelt out) and it covers the core only: workers and the secretary, office
hours with the lunch break, carry-over of unfinished work to the same person's next
opening, the overtime rule, multi-step tasks (a worker, then the secretary) and the fifo /
priority / edf dispatch rules. Volunteers and joint meetings are left out. Admission and
the property services need nothing here: they only change when a task enters the office
(or that it never does), and that is already in the pre-generated workload.

``run_reference(scenario, cal, work)`` takes the same :class:`~sim.engine.workload.Workload`
the engine consumes and returns, per task, its first start and completion time, and, per
person, the office and overtime hours worked. ``tests/test_reference_twin.py`` checks that
both agree to 1e-9 h on random scenarios.

The rules, as they appear below:

* **Waiting lines.** The workers share one line, the secretary has their own (sign-offs).
  Each is a :class:`simpy.PriorityStore` ordered by the dispatch rule: ``fifo`` (first come),
  ``priority`` (larger ``priority`` first, then first come) or ``edf`` (earliest deadline,
  then priority, then first come); non-preemptive. A task's "come" time is when it joined
  this line (its entry, or the end of its previous step).
* **People** (workers, then the secretary) have their own working time: office hours, and
  for a worker an overtime window on evenings the office decides on overtime. Each step a
  person takes on is a *job* process: they work in *segments*, until the step is done or
  their working time ends (lunch, closing); then the same person goes on at their next
  opening (that segment is planned at the cut: one timeout runs over the break to its end,
  so segments ending at the same instant end in the order they were planned, as in the
  engine). A person holding no task is *free*.
* **Who takes a new task.** When a task joins a line, the first free person of that line
  (workers in order, then the secretary if they take general work) who is on duty takes the
  best waiting task at once; if no free person is on duty, the first free person not yet
  called is called in for their next opening, where they take the best task waiting then.
  A person who finishes a step takes the best task of their lines (the secretary: their own
  line first) if they are on duty, else, if work waits, comes back at their next opening.
* **Overtime.** At closing time, a worker still on a task asks whether the office works
  late tonight; the first to ask decides for all: yes if the open workload of the workers'
  line (hours left of every worker step that has entered and is not finished) exceeds
  ``overtime_threshold_hours``. Then workers still on a task stay up to
  ``overtime_hours_max_per_day`` and may take further tasks in that window. Never on the
  ``always`` calendar; the secretary does not stay.
* **Steps.** When a step is done the task joins the line of its next step at once, before
  the person who finished it looks for their next task. A step with less than
  ``DONE_BELOW`` hours left is done.

Time: SimPy's clock reaches ``now + delay``, which can miss an absolute instant in the last
bit; the processes therefore keep the exact instants they aim at (as the engine, which
schedules at absolute times) and use the clock only to order events.

Events at the same instant (fixed efforts, whole-day reviews and copies make them common)
follow SimPy's rules, which give the engine's order: simultaneous events run oldest first,
and every task's arrival is scheduled when the run starts, so all arrivals at an instant
are filed before anything else happens at it; a new process starts (urgently) before any
other event at its instant, so everything an event causes (a step handed to a colleague
who starts on it, the finishing person's next task) happens before the next event at that
instant, in the order it was caused: the engine handles each event the same way, at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import count

import numpy as np
import simpy

from sim.calendar import WorkCalendar
from sim.engine.clock import OVERTIME_TIE_HOURS
from sim.engine.workload import ROLE_SECRETARY, TypeInfo, Workload, office_entries
from sim.scenario.model import Scenario

__all__ = ["DONE_BELOW", "TwinResult", "run_reference"]

DONE_BELOW = 1e-9   # hours: a step with less than this left is done (the engine's rule)
WORKER, SECRETARY = "worker", "secretary"


@dataclass(eq=False)
class Task:
    index: int                     # row in the workload
    type: TypeInfo
    efforts: list[float]           # hours per step
    deadline: float                # clock hours (inf: none)
    step: int = 0
    remaining: float = 0.0         # hours left of the current step
    since: float | None = None     # start of the segment being worked now, if any
    first_start: float = math.nan
    done: float = math.nan

    def left(self, t: float) -> float:
        """Hours left of the current step at ``t``, counting a segment in progress (not
        one planned to begin after ``t``, at the next opening)."""
        if self.since is None or self.since > t:
            return self.remaining
        return self.remaining - (t - self.since)


@dataclass(eq=False)
class Person:
    index: int                     # workers 0..n-1, then the secretary (as in the engine)
    kind: str
    lines: list[simpy.PriorityStore] = field(default_factory=list)  # where they take work
    ot_end: float = -math.inf      # end of their latest overtime window
    free: bool = True              # holds no task
    comes_in: float | None = None  # called in for this opening (while free and off duty)
    segment: tuple[float, float, bool] | None = None  # (start, planned end, overtime)
    hours: list[float] = field(default_factory=lambda: [0.0, 0.0])  # office, overtime


@dataclass
class TwinResult:
    """Per task (workload rows): ``first_start`` and ``done`` clock hours (NaN: not by the
    horizon). Per person (workers, then the secretary): ``office_hours``, ``overtime_hours``."""

    first_start: np.ndarray
    done: np.ndarray
    office_hours: np.ndarray
    overtime_hours: np.ndarray


class ReferenceOffice:
    """One replication of the office's core; ``run()`` returns a :class:`TwinResult`."""

    def __init__(self, scenario: Scenario, cal: WorkCalendar, work: Workload) -> None:
        if scenario.volunteers.teams * scenario.volunteers.members_per_team > 0:
            raise ValueError("the reference twin has no volunteers (volunteers.teams must be 0)")
        if scenario.joint_meetings.enabled:
            raise ValueError("the reference twin has no joint meetings "
                             "(joint_meetings.enabled must be false)")
        if scenario.office.meetings != "queued":
            raise ValueError("the reference twin has no real-time meetings "
                             "(office.meetings must be \"queued\"; sim/engine/meetings.py)")
        off = scenario.office
        self.env = simpy.Environment()
        self.work = work
        self.horizon = scenario.scenario.days * 24.0
        self.shifts = cal.shifts
        self.dispatch = off.dispatch
        self.ot_max = off.overtime_hours_max_per_day if cal.kind != "always" else 0.0
        self.ot_threshold = off.overtime_threshold_hours
        self.closing_times = set(cal.closing_times(0, scenario.scenario.days + 1))
        self.ot_tonight: dict[float, bool] = {}        # closing time -> decision
        self.open_worker_steps: dict[int, Task] = {}   # the workers' open workload
        self.seq = count()                             # first come, first served
        # the waiting lines and who serves them, in the order they are asked
        self.worker_line = simpy.PriorityStore(self.env)
        self.secretary_line = simpy.PriorityStore(self.env)
        self.serves: dict[simpy.PriorityStore, list[Person]] = {
            self.worker_line: [], self.secretary_line: []}
        self.people = [Person(k, WORKER, [self.worker_line]) for k in range(off.workers)]
        self.serves[self.worker_line] += self.people
        if off.secretary:
            sec = Person(off.workers, SECRETARY, [self.secretary_line])
            self.serves[self.secretary_line].append(sec)
            if off.secretary_takes_general_work:
                sec.lines.append(self.worker_line)
                self.serves[self.worker_line].append(sec)
            self.people.append(sec)
        self.tasks: dict[int, Task] = {}

    # ------------------------------------------------------------------ the run
    def run(self) -> TwinResult:
        times, rows = office_entries(self.work)
        for t, i in zip(times.tolist(), rows.tolist(), strict=True):
            efforts = self.work.efforts[i].tolist()
            self.tasks[i] = task = Task(i, self.work.types[self.work.type_idx[i]], efforts,
                                        float(self.work.deadline[i]))
            self.env.process(self.arrival(task, t))
        self.env.run(until=self.horizon)
        # work in progress at the horizon counts up to the horizon
        for p in self.people:
            if p.segment is not None and p.segment[0] < self.horizon:
                start, stop, overtime = p.segment
                p.hours[overtime] += min(stop, self.horizon) - start
        n = self.work.n
        first_start, done = np.full(n, math.nan), self.work.offsite_done.copy()
        for i, task in self.tasks.items():
            first_start[i], done[i] = task.first_start, task.done
        return TwinResult(first_start, done,
                          np.array([p.hours[0] for p in self.people]),
                          np.array([p.hours[1] for p in self.people]))

    def wait_until(self, t: float) -> simpy.Timeout:
        """A timeout that ends at clock time ``t`` (see the module docstring on time)."""
        return self.env.timeout(max(t - self.env.now, 0.0))

    # ------------------------------------------------------------------ tasks
    def arrival(self, task: Task, t: float):
        """A task's process: it enters the office at ``t`` and joins its first line."""
        yield self.wait_until(t)
        self.join_line(task, t)

    def join_line(self, task: Task, t: float) -> None:
        """``task`` starts its current step at ``t``: it joins that step's line."""
        task.remaining = task.efforts[task.step]
        if task.type.roles[task.step] == ROLE_SECRETARY:
            line = self.secretary_line
        else:
            line = self.worker_line
            self.open_worker_steps[task.index] = task
        p = task.type.priority
        key = {"fifo": (), "priority": (-p, t), "edf": (task.deadline, -p, t)}[self.dispatch]
        line.put(simpy.PriorityItem((*key, next(self.seq)), task))
        self.call(line, t)

    def hand_on(self, task: Task, t: float) -> None:
        """``task``'s current step was finished at ``t``: on to the next step, or done."""
        self.open_worker_steps.pop(task.index, None)
        task.step += 1
        if task.step < len(task.type.roles):
            self.join_line(task, t)
        else:
            task.done = t

    # ------------------------------------------------------------------ dispatch
    def call(self, line: simpy.PriorityStore, t: float) -> None:
        """A task has joined ``line`` at ``t``: the first free person of the line who is on
        duty takes the best waiting task now; if no free person is on duty, the first free
        person not yet called in is called in for their next opening."""
        free = [p for p in self.serves[line] if p.free]
        for p in free:
            if self.on_duty(p, t)[0] <= t:
                self.start_job(p, self.take(p, t), t)
                return
        for p in free:
            if p.comes_in is None:
                self.call_in(p, self.on_duty(p, t)[0])
                return

    def take(self, p: Person, t: float) -> Task | None:
        """The best task waiting in ``p``'s lines (their own line first), taken off it."""
        for line in p.lines:
            if line.items:
                # a get from a non-empty store succeeds at once: its value is there now
                task = line.get().value.item
                if math.isnan(task.first_start):
                    task.first_start = t
                return task
        return None

    def look_for_work(self, p: Person, t: float) -> None:
        """``p`` is free at ``t``. On duty: they take the best waiting task, if any. Off
        duty with work waiting for them: they come in at their next opening."""
        p.free = True
        start, _ = self.on_duty(p, t)
        if start <= t:
            task = self.take(p, t)
            if task is not None:
                self.start_job(p, task, t)
        elif any(line.items for line in p.lines):
            self.call_in(p, start)

    # ------------------------------------------------------------------ working time
    def on_duty(self, p: Person, t: float) -> tuple[float, float]:
        """When ``p`` can next work, from ``t`` on, and until when. (At a closing time this
        is where a worker asks about overtime and is given their window.)"""
        if self.shifts.is_open(t):
            return t, self.shifts.interval_end(t)
        if p.ot_end > t:
            return t, p.ot_end
        if (p.kind == WORKER and self.ot_max > 0 and t in self.closing_times
                and t + self.ot_max > t and self.overtime_tonight(t)):
            p.ot_end = t + self.ot_max
            return t, p.ot_end
        start = self.shifts.next_open(t)
        return start, self.shifts.interval_end(start)

    def overtime_tonight(self, closing: float) -> bool:
        """The office works late after ``closing`` if the workers' open workload then
        exceeds the threshold (decided once, when the first worker asks)."""
        if closing not in self.ot_tonight:
            load = sum(task.left(closing) for task in self.open_worker_steps.values())
            # "exceeds" beyond the running sum's rounding (sim.engine.clock.OVERTIME_TIE_HOURS)
            self.ot_tonight[closing] = load > self.ot_threshold + OVERTIME_TIE_HOURS
        return self.ot_tonight[closing]

    # ------------------------------------------------------------------ people
    def start_job(self, p: Person, task: Task, t: float) -> None:
        p.free = False
        self.env.process(self.job(p, task, t))

    def call_in(self, p: Person, opening: float) -> None:
        p.comes_in = opening
        self.env.process(self.come_in(p, opening))

    def job(self, p: Person, task: Task, t: float):
        """Process: ``p`` works on ``task``'s current step from ``t`` until it is done, in
        segments (going on at their next opening after lunch or closing), then hands the
        task on to its next step and looks for their own next task."""
        while True:
            # the next segment, from now or (after lunch or closing) from the next opening:
            # planned now, so one timeout runs over the break to the segment's end
            t, end = self.on_duty(p, t)
            stop = min(t + task.remaining, end)
            overtime = p.ot_end > t
            task.since, p.segment = t, (t, stop, overtime)
            yield self.wait_until(stop)
            task.since, p.segment = None, None
            p.hours[overtime] += stop - t
            left = task.remaining - (stop - t)
            t = stop
            if left <= DONE_BELOW:
                break
            task.remaining = left
        task.remaining = 0.0
        self.hand_on(task, t)               # (p is still busy: a colleague may take it)
        self.look_for_work(p, t)

    def come_in(self, p: Person, opening: float):
        """Process: ``p``, called in while off duty, comes in at ``opening`` and, unless
        given work at that very instant, takes the best task waiting then."""
        yield self.wait_until(opening)
        p.comes_in = None
        if p.free:
            self.look_for_work(p, opening)


def run_reference(scenario: Scenario, cal: WorkCalendar, work: Workload) -> TwinResult:
    """Run the reference twin on a pre-generated workload (see the module docstring)."""
    return ReferenceOffice(scenario, cal, work).run()
