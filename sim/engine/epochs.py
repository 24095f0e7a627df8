"""One replication's work when dated levers switch the scenario mid-run (epochs).

A scenario with dated levers (:mod:`sim.scenario.levers`) is the scenario of day 0 plus
later :class:`~sim.scenario.model.Epoch` s, each a whole scenario with the same office. The
work of a task that arrives in an epoch follows that epoch: its rate, effort, copies,
deadline, admission and routing. This module draws each epoch's work over the whole horizon
with :func:`sim.engine.workload.generate` and keeps, of each, the tasks that arrive inside
the epoch: a Poisson process restricted to an interval is the process on that interval, so
the rates switch exactly at the boundary (a wave or a schedule keeps its instants that fall
in the epoch).

Random streams: an epoch draws from the same named streams as day 0 where what they are
drawn for did not change (so a task the levers leave alone arrives, takes effort and is
routed exactly as in the undated run: common random numbers), and from fresh streams
(``NAME@DAY``) where it did, so that no draw is used twice across epochs.

Joint meetings (office structure, the same in every epoch) are held at the scheduled slots
where enough problems wait; that is decided once, on the merged work.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.calendar import WorkCalendar
from sim.engine.workload import ROUTE_MEETING, Workload, generate, held_meetings
from sim.rng import Streams
from sim.scenario.model import Scenario, TaskType

_MEETING_TYPES = ("joint_meeting", "joint_meeting_attend", "joint_meeting_prep")


class _EpochStreams:
    """The streams of one epoch: ``NAME`` or, where its inputs changed, ``NAME@DAY``."""

    def __init__(self, streams: Streams, day: int, fresh: set[str]) -> None:
        self.streams, self.day, self.fresh = streams, day, fresh

    def __call__(self, name: str) -> np.random.Generator:
        return self.streams(f"{name}@{self.day}" if name in self.fresh else name)


def _fresh_streams(sc: Scenario, ref: Scenario, first: dict[str, TaskType]) -> set[str]:
    """Names of the streams whose draws would mean something else in ``sc`` than in the
    epochs before: a task's arrivals or copies changed (its instances are others), or what
    a stream draws for changed."""
    out: set[str] = set()
    for t in sc.tasks:
        t0 = first.setdefault(t.id, t)
        sequence = t.arrivals != t0.arrivals or t.copies != t0.copies
        if t.arrivals != t0.arrivals:
            out.add(f"arrivals:{t.id}")
        if sequence or t.steps != t0.steps:
            out.update(f"effort:{t.id}:{j}" for j in range(len(t.steps)))
        if sequence or sc.admission != ref.admission or t.admission_list != t0.admission_list:
            out.add(f"admission:{t.id}")
        if sequence or sc.problems != ref.problems or t.problem_kind != t0.problem_kind:
            out.update({f"routing:{t.id}", f"meeting_share:{t.id}", f"property:{t.id}"})
    return out


def _same_office(a: Scenario, b: Scenario) -> None:
    for part in ("scenario", "calendar", "office", "volunteers", "joint_meetings"):
        if getattr(a, part) != getattr(b, part):
            raise ValueError(f"epochs differ in {part}: it cannot switch mid-run")


def generate_dated(scenario: Scenario, cal: WorkCalendar, streams: Streams) -> Workload:
    """Every task instance of one replication of ``scenario`` and its epochs."""
    days = scenario.scenario.days
    phases = [(0, scenario)] + [(e.start_day, e.scenario) for e in scenario.epochs]
    ends = [d for d, _ in phases[1:]] + [days]
    jm = scenario.joint_meetings
    first: dict[str, TaskType] = {t.id: t for t in scenario.tasks}
    works = []
    for k, (day, sc) in enumerate(phases):
        _same_office(scenario, sc)
        fresh = _fresh_streams(sc, scenario, first) if k else set()
        if jm.enabled and jm.min_problems > 0:  # every slot; which are held: below
            sc = dataclasses.replace(sc, joint_meetings=dataclasses.replace(jm, min_problems=0))
        # a new factory: its generators start afresh (a factory returns the same, used,
        # generator on repeated calls), so an unchanged stream repeats day 0's draws
        own = streams if k == 0 else Streams(streams.seed, streams.replication)
        works.append(generate(sc, cal, _EpochStreams(own, day, fresh)))

    # task types: every task of any epoch (by id, as generate orders them), then meetings
    infos = {}
    for w in works:
        for info in w.types:
            if info.id not in _MEETING_TYPES:
                infos[info.id] = info   # the latest epoch's description
    types = [infos[i] for i in sorted(infos)]
    types += [info for info in works[0].types if info.id in _MEETING_TYPES]
    index = {info.id: k for k, info in enumerate(types)}

    # rows: of each task type, each epoch's rows that arrive in it (in time order)
    picks: list[tuple[int, np.ndarray, int]] = []   # (epoch, row indices, new type)
    for info in types:
        if info.id in _MEETING_TYPES:
            continue
        for k, w in enumerate(works):
            old = next((j for j, x in enumerate(w.types) if x.id == info.id), None)
            if old is None:
                continue
            rows = np.flatnonzero((w.type_idx == old) & (w.arrival >= phases[k][0] * 24.0)
                                  & (w.arrival < ends[k] * 24.0))
            picks.append((k, rows, index[info.id]))
    merged = _take(works, picks, types)

    meeting_times = works[0].meeting_times
    if jm.enabled:
        held = meeting_times
        if jm.min_problems > 0:
            waiting = np.sort(merged.entry[(merged.route == ROUTE_MEETING) & ~merged.refused])
            held = held_meetings(meeting_times, waiting, jm.min_problems,
                                 jm.problems_per_meeting_max)
        keep = np.isin(meeting_times, held)
        w0 = works[0]
        for info in types:
            if info.id not in _MEETING_TYPES:
                continue
            old = next(j for j, x in enumerate(w0.types) if x.id == info.id)
            rows = np.flatnonzero(w0.type_idx == old)
            per_slot = rows.size // max(meeting_times.size, 1)   # attendees repeat each slot
            picks.append((0, rows[np.repeat(keep, per_slot)], index[info.id]))
        merged = _take(works, picks, types)
        meeting_times = held
    merged.meeting_times = meeting_times
    return merged


def _take(works: list[Workload], picks: list[tuple[int, np.ndarray, int]],
          types: list) -> Workload:
    """A workload of the picked rows of ``works`` (every per-task array field), in order."""
    n0 = works[0].n
    out = {}
    for f in dataclasses.fields(Workload):
        v0 = getattr(works[0], f.name)
        if f.name == "types":
            out[f.name] = types
        elif f.name == "type_idx":
            out[f.name] = np.concatenate([np.full(r.size, t, dtype=np.int64) for _, r, t in picks]
                                         or [np.empty(0, dtype=np.int64)])
        elif isinstance(v0, np.ndarray) and v0.ndim >= 1 and v0.shape[0] == n0 \
                and f.name != "meeting_times":
            width = max((getattr(w, f.name).shape[1] for w in works), default=0) \
                if v0.ndim == 2 else None
            parts = []
            for k, rows, _ in picks:
                part = getattr(works[k], f.name)[rows]
                if width is not None and part.shape[1] < width:
                    pad = np.full((part.shape[0], width - part.shape[1]), np.nan)
                    part = np.concatenate([part, pad], axis=1)
                parts.append(part)
            out[f.name] = np.concatenate(parts) if parts else v0[:0]
        else:
            out[f.name] = v0
    return Workload(**out)
