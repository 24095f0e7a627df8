"""Turning one run's raw records into results: metrics, a per-task table, a daily series.

Everything here is vectorised numpy over the per-task arrays and the list of work segments
that :mod:`sim.engine.office` recorded. The warm-up period is cut out of all of it: tasks
count if they arrived in [warm-up, horizon); hours count if they were worked in that window.
The metrics are those of the registry (:mod:`sim.metrics`): this module reduces the records
to a :class:`sim.metrics.Tally` and each registered metric computes itself from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from sim.calendar import Shifts, WorkCalendar
from sim.categories import CATEGORIES, ORIGINS
from sim.engine import admission
from sim.engine.escalation import escalated
from sim.engine.parts import SECRETARY, VOLUNTEER, WORKER, OfficeRecord
from sim.engine.workload import (
    ESTATE_NAMES,
    ROUTE_MEETING,
    ROUTE_NAMES,
    ROUTE_PROPERTY,
    ROUTE_RED_PROPERTY,
    ROUTE_STAFF,
    ROUTE_VOLUNTEERS,
    Workload,
)
from sim.metrics import Tally, compute_all
from sim.scenario.model import Scenario

TASK_FIELDS = ("arrived", "refused", "completed", "open_at_end", "wait_hours_mean",
               "time_in_system_hours_mean", "on_time_rate")


@dataclass(slots=True)
class ReplicationResult:
    """The results of one replication: plain data, cheap to pickle.

    ``metrics``: metric name -> value (NaN where undefined, e.g. no opinion requests).
    ``tasks``: task type id -> {field: value} (fields in TASK_FIELDS, plus name and category).
    ``daily``: column name -> array over the measured days (day index in ``daily["day"]``).
    ``events``: per-task event log columns (only when asked for).
    ``work``: the work log, one row per work segment (only when events are asked for).
    """

    scenario: str
    scenario_hash: str
    seed: int
    replication: int
    metrics: dict[str, float]
    tasks: dict[str, dict[str, float | str]]
    daily: dict[str, np.ndarray]
    events: dict[str, np.ndarray] | None = None
    work: dict[str, np.ndarray] | None = None
    run_seconds: float = 0.0
    info: dict[str, float] = field(default_factory=dict)


def _clip_hours(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)


def _day_split(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's day (the floor of start / 24, as int32: 4 bytes a segment kept while
    the summary runs) and whether it ends on that day: what every :func:`_per_day` call of
    one summary computes alike (done once)."""
    day = start / 24.0
    np.floor(day, out=day)
    x = np.nextafter(end, -np.inf)
    x /= 24.0
    np.floor(x, out=x)
    same = x == day            # (whole numbers far below 2**53: the same as comparing as ints)
    del x
    return day.astype(np.int32), same    # (days of a run are far below 2**31)


def _per_day(start: np.ndarray, end: np.ndarray, key: np.ndarray | None, n_keys: int,
             d0: int, n_days: int, mask: np.ndarray | None = None,
             split: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Hours of segments [start, end) per (day, key) for days d0..d0+n_days-1, counting only
    the segments where ``mask`` is true (default all); ``key`` None: all in key 0.

    Segments within one day are summed with one ``bincount``. The few that cross midnight
    are split exactly: with F(x) = their hours before instant x (from sorted starts and ends
    and prefix sums), day d gets F(24 (d + 1)) - F(24 d).
    Written to keep few temporaries of the segments' size alive at once (a million segments
    are 8 MB an array): the mask is applied here rather than by copying the inputs. ``split``:
    :func:`_day_split` of the same segments, when the caller has it.
    """
    out = np.zeros((n_days, n_keys))
    if start.size == 0:
        return out
    days, same = split if split is not None else _day_split(start, end)   # (read only)
    if mask is not None:
        same = same & mask
    day = days[same].astype(np.int64)
    del days
    day -= d0
    ok = (day >= 0) & (day < n_days)
    if key is not None:
        day *= n_keys
        day += key[same]
    hours = end[same]
    hours -= start[same]
    if not ok.all():
        day = day[ok]
        hours = hours[ok]
    flat = np.bincount(day, weights=hours, minlength=n_days * n_keys)
    del day, hours, ok
    out += flat.reshape(n_days, n_keys)
    cross = ~same
    if mask is not None:
        cross &= mask
    del same
    if cross.any():
        edges = np.arange(d0, d0 + n_days + 1, dtype=float) * 24.0
        # the keys present, ascending (keys are 0..n_keys-1; np.unique would import
        # numpy.ma, 12 ms of every run's start-up, to check for a masked array)
        present = np.flatnonzero(np.bincount(key[cross], minlength=n_keys)) \
            if key is not None else (0,)
        for k in present:
            mask = cross & (key == k) if key is not None else cross
            s = np.sort(start[mask])
            e = np.sort(end[mask])
            cs = np.concatenate(([0.0], np.cumsum(s)))
            ce = np.concatenate(([0.0], np.cumsum(e)))
            ns = np.searchsorted(s, edges, side="left")
            ne = np.searchsorted(e, edges, side="left")
            f = (ns * edges - cs[ns]) - (ne * edges - ce[ne])
            out[:, k] += np.maximum(np.diff(f), 0.0)  # (no -1e-9 from rounding of the sums)
    return out


def _count_up_to(x: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each of the sorted ``ends``, how many values of ``x`` are ``<=`` it (NaN: never).

    The same counts as ``searchsorted(sort(x), ends, side="right")`` without sorting ``x``:
    each value goes to the first end at or after it (a binary search among the few ends),
    and the counts per end are summed up (exact integers).
    """
    if x.size > 1 and bool((x[1:] >= x[:-1]).all()):
        # already in order (no NaN: a comparison with NaN is false), as entries and the
        # first starts under FIFO often are: search the ends in it instead
        return np.searchsorted(x, ends, side="right")
    first = np.searchsorted(ends, x, side="left")     # (NaN sorts after every end)
    return np.cumsum(np.bincount(first, minlength=ends.size + 1)[:ends.size])


def _available_per_day(shifts: list[Shifts], edges: np.ndarray) -> np.ndarray:
    """``sum(np.diff(sh.hours_before(edges)) for sh in shifts)``, the hours the people of
    ``shifts`` (the volunteers, a dozen or so) are available between consecutive ``edges``:
    the same float operations, with one search per person and the rest as (person, edge)
    arrays instead of a dozen numpy calls a person."""
    sizes = [len(sh) for sh in shifts]
    base = np.cumsum([0, *sizes[:-1]])[:, None]    # where each person's intervals begin
    starts = np.concatenate([sh.starts for sh in shifts] + [np.zeros(1)])  # (+1: a safe index
    ends = np.concatenate([sh.ends for sh in shifts] + [np.zeros(1)])      # for the empty)
    cum = np.concatenate([sh.cum for sh in shifts] + [np.zeros(1)])
    i = np.stack([np.searchsorted(sh.starts, edges, side="right") for sh in shifts]) - 1
    k = np.maximum(i, 0) + base     # (Shifts.hours_before of each, as rows)
    before = np.where(i < 0, 0.0, cum[k] + np.minimum(edges, ends[k]) - starts[k])
    return sum(np.diff(before, axis=1))   # (row by row, in order, as the sum of each person's)


def _estate_names(w: Workload) -> np.ndarray:
    """Per task: the estate type a resident's problem comes from, "" for other tasks."""
    names = np.asarray([*ESTATE_NAMES, ""], dtype=object)
    est = w.estate if w.estate is not None else np.full(w.n, -1)
    return names[est]   # (-1: the last entry, "")


def summarise(scenario: Scenario, cal: WorkCalendar, w: Workload, rec: OfficeRecord,
              *, seed: int, replication: int, events: bool = False) -> ReplicationResult:
    meta = scenario.scenario
    W = meta.warmup_days * 24.0
    T = meta.days * 24.0
    measured_days = meta.days - meta.warmup_days
    per_year = 365.0 / measured_days
    n_workers = scenario.office.workers
    types = w.types
    cat_index = {c: k for k, c in enumerate(CATEGORIES)}
    org_index = {o: k for k, o in enumerate(ORIGINS)}
    type_cat = np.asarray([cat_index[t.category] for t in types], dtype=np.int64)
    type_org = np.asarray([org_index[t.origin] for t in types], dtype=np.int64)

    # ---------------------------------------------------------------- cohort of tasks
    cohort = (w.arrival >= W) & (w.arrival < T)
    done = rec.done
    completed = cohort & ~w.refused & (done <= T)
    open_end = cohort & ~w.refused & ~(done <= T)
    refused = cohort & w.refused
    started = ~np.isnan(rec.first_start) & (rec.first_start <= T)
    staff_worked = (rec.route == ROUTE_STAFF) | (rec.route == ROUTE_VOLUNTEERS)
    has_deadline = np.isfinite(w.deadline)
    on_time = done <= w.deadline
    late_known = completed | (open_end & (w.deadline < T))
    tasks: dict[str, dict[str, float | str]] = {}
    ti = w.type_idx
    waited_all = cohort & started & staff_worked & ~w.refused
    dl_all = cohort & has_deadline & late_known
    # The workload lists each type's tasks as one block (sim.engine.workload.generate), so a
    # type's tasks are a slice, not a mask over all tasks: the counts of every type come from
    # one cumulative sum each (exact integers), and a type's mean is the sum of its block of
    # the values selected over all tasks (the same elements in the same order as selecting
    # within the type, hence the same pairwise sum) over their count, which is what
    # ``ndarray.mean`` computes. About 40 task types a replication: this saves some 30 small
    # numpy calls a type.
    n_types = len(types)
    # (a workload not made by generate may interleave the types: a stable sort by type puts
    # each type's tasks in one block, in their own order, which is what selecting them by
    # a mask gives)
    in_blocks = ti.size == 0 or bool((np.diff(ti) >= 0).all())
    type_order = None if in_blocks else np.argsort(ti, kind="stable")

    def by_type(a: np.ndarray) -> np.ndarray:
        return a if type_order is None else a[type_order]

    b = np.searchsorted(by_type(ti), np.arange(n_types + 1))

    def per_type(mask: np.ndarray) -> list[int]:
        """How many of each type's tasks ``mask`` (in type order) selects, cumulated: where
        each type's selected values start and end in ``x[mask]``."""
        return np.concatenate(([0], np.cumsum(mask)))[b].tolist()

    def type_means(values: np.ndarray, mask: np.ndarray) -> list[float]:
        values, mask = by_type(values), by_type(mask)
        x = values[mask]
        return [float(np.add.reduce(x[lo:hi]) / (hi - lo)) if hi > lo else math.nan
                for lo, hi in pairwise(per_type(mask))]

    def counts(mask: np.ndarray) -> list[float]:
        return [float(hi - lo) for lo, hi in pairwise(per_type(by_type(mask)))]

    n_dl = counts(dl_all)
    columns = {
        "arrived": counts(cohort), "refused": counts(refused), "completed": counts(completed),
        "open_at_end": counts(open_end),
        "wait_hours_mean": type_means(rec.first_start - w.entry, waited_all),
        "time_in_system_hours_mean": type_means(done - w.arrival, completed),
        # the mean of 0/1 flags: their count (an exact sum) over the number judged
        "on_time_rate": [on / n if n else math.nan
                         for on, n in zip(counts(dl_all & on_time), n_dl, strict=True)],
    }
    for k, t in enumerate(types):
        tasks[t.id] = {"name": t.name, "name_zh": t.name_zh, "category": t.category,
                       "origin": t.origin, **{f: col[k] for f, col in columns.items()}}

    # ---------------------------------------------------------------- hours from segments
    kind = rec.server_kind[rec.seg_server] if rec.seg_server.size else np.empty(0, dtype=np.int64)
    hours = _clip_hours(rec.seg_start, rec.seg_end, W, T)
    seg_type = ti[rec.seg_task] if rec.seg_task.size else np.empty(0, dtype=np.int64)
    seg_cat = type_cat[seg_type] if seg_type.size else np.empty(0, dtype=np.int64)
    seg_org = type_org[seg_type] if seg_type.size else np.empty(0, dtype=np.int64)
    del seg_type   # (arrays the size of the work log are freed as soon as they are done with)
    staff = kind != VOLUNTEER
    staff_hours = hours[staff]
    by_cat = np.bincount(seg_cat[staff], weights=staff_hours, minlength=len(CATEGORIES))
    by_org = np.bincount(seg_org[staff], weights=staff_hours, minlength=len(ORIGINS))
    del seg_org, staff_hours
    staff_total = float(by_cat.sum())
    office_hours_each = cal.working_hours_between(W, T)
    worker_seg = kind == WORKER
    worker_office = float(hours[worker_seg & ~rec.seg_ot].sum())
    worker_ot = float(hours[worker_seg & rec.seg_ot].sum())
    sec_hours = float(hours[(kind == SECRETARY) & ~rec.seg_ot].sum())
    vol_hours = float(hours[kind == VOLUNTEER].sum())
    eff = np.nansum(w.efforts, axis=1)   # each task's effort (also for the daily series)
    burden = admission.burden_figures(w, cohort, rec.seg_task, hours, staff, eff)
    del hours, worker_seg
    vol_avail = sum(sh.hours_between(W, T) for sh in rec.volunteer_shifts)

    opinion_type = np.asarray([t.category == "opinion" for t in types])
    is_op = opinion_type[ti] if ti.size else np.zeros(0, dtype=bool)
    op = dl_all & is_op
    late = op & ~on_time
    ends = np.where(done[late] <= T, done[late], T)
    late_days = np.asarray([cal.working_days_late(d, e)
                            for d, e in zip(w.deadline[late], ends, strict=True)])
    problem_type = np.asarray([t.category == "problem" for t in types])
    is_pr = problem_type[ti] if ti.size else np.zeros(0, dtype=bool)
    pr = cohort & is_pr
    pr_done = completed & is_pr
    route = rec.route
    held = rec.meetings_held
    attended_type = np.asarray([t.attended for t in types] or [False], dtype=bool)
    att = cohort & attended_type[ti] if ti.size else np.zeros(0, dtype=bool)
    att_started = att & started
    att_done = att & completed
    pr_meeting = route == ROUTE_MEETING
    # resolution times as censored data (open problems: censored at the end), escalations
    pr_solved = done[pr] <= T
    pr_time = (np.where(pr_solved, done[pr], T) - w.arrival[pr]) / 24.0
    n_escalated = int(escalated(cal, w.arrival[pr], done[pr], T,
                                scenario.problems.escalation_working_days).sum())
    tally = Tally(
        per_year=per_year, workers=n_workers, secretary=scenario.office.secretary,
        office_hours=office_hours_each, hours_by_category=by_cat, hours_by_origin=by_org,
        staff_hours=staff_total, worker_office_hours=worker_office, worker_overtime_hours=worker_ot,
        secretary_office_hours=sec_hours, volunteer_hours=vol_hours,
        volunteer_available_hours=vol_avail,
        arrived=int(cohort.sum()), refused=int(refused.sum()), completed=int(completed.sum()),
        open_at_end=int(open_end.sum()),
        waits=rec.first_start[waited_all] - w.entry[waited_all],
        deadline_on_time=on_time[dl_all], opinion_on_time=on_time[op], opinion_late_days=late_days,
        opinion_requests=int((cohort & is_op).sum()), problems_arrived=int(pr.sum()),
        problems_resolved_by={
            "volunteers": int((pr_done & (route == ROUTE_VOLUNTEERS)).sum()),
            "workers": int((pr_done & (route == ROUTE_STAFF)).sum()),
            "property": int((pr_done & ((route == ROUTE_PROPERTY) | (route == ROUTE_RED_PROPERTY))).sum()),
            "joint_meetings": int((pr_done & (route == ROUTE_MEETING)).sum())},
        problems_fallback=int((pr & rec.fallback).sum()),
        resolution_days=(done[pr_done] - w.arrival[pr_done]) / 24.0,
        resolution_target_days=scenario.problems.resolution_target_days,
        meetings_held=int(((held >= W) & (held < T)).sum()),
        meeting_delays=rec.first_start[att_started] - w.entry[att_started],
        meeting_spans=done[att_done] - w.entry[att_done],
        meeting_problem_days=(done[pr_done & pr_meeting] - w.arrival[pr_done & pr_meeting]) / 24.0,
        meeting_problems_open=int((pr & pr_meeting & open_end).sum()),
        secretary_absence_days=(w.absences[-1].count(meta.warmup_days, meta.days)
                                if w.absences and scenario.office.secretary else 0.0),
        **burden,
        problems_open=int((~pr_solved).sum()), problems_escalated=n_escalated,
        problem_days=pr_time, problem_resolved=pr_solved,
        restricted_mean_days=scenario.problems.restricted_mean_days,
    )
    # the registered metrics, and the counts their pooled means are weighted by (the
    # denominators for adding up communities, sim.city.aggregate)
    m, counts = compute_all(tally)

    # ---------------------------------------------------------------- daily series
    d0 = meta.warmup_days
    nd = measured_days
    daily: dict[str, np.ndarray] = {"day": np.arange(d0, meta.days)}
    split = _day_split(rec.seg_start, rec.seg_end) if rec.seg_start.size else None
    staff_cat = _per_day(rec.seg_start, rec.seg_end, seg_cat, len(CATEGORIES), d0, nd, staff,
                         split)
    del seg_cat
    for c, k in cat_index.items():
        daily[f"hours_{c}"] = staff_cat[:, k]
    per_kind = _per_day(rec.seg_start, rec.seg_end, kind, 3, d0, nd, None, split)
    daily["hours_workers"] = per_kind[:, WORKER]
    daily["hours_secretary"] = per_kind[:, SECRETARY]
    daily["hours_volunteers"] = per_kind[:, VOLUNTEER]
    ot_mask = rec.seg_ot
    daily["overtime_hours"] = _per_day(rec.seg_start, rec.seg_end, None, 1, d0, nd, ot_mask,
                                       split)[:, 0]
    day_edges = np.arange(d0, meta.days + 1) * 24.0
    office_per_day = np.diff(cal.shifts.hours_before(day_edges))
    with np.errstate(invalid="ignore", divide="ignore"):
        daily["worker_utilization"] = np.where(
            office_per_day > 0,
            (per_kind[:, WORKER] - daily["overtime_hours"]) / (n_workers * office_per_day), np.nan)
        daily["secretary_utilization"] = (np.where(office_per_day > 0, per_kind[:, SECRETARY] / office_per_day, np.nan)
                                          if scenario.office.secretary else np.full(nd, np.nan))
        if rec.volunteer_shifts:
            vol_avail_day = _available_per_day(rec.volunteer_shifts, day_edges)
            daily["volunteer_utilization"] = np.where(vol_avail_day > 0, per_kind[:, VOLUNTEER] / vol_avail_day, np.nan)
        else:
            daily["volunteer_utilization"] = np.full(nd, np.nan)
    ends = day_edges[1:]
    admitted = ~w.refused & np.isfinite(w.entry)
    staff_route = admitted & (rec.route == ROUTE_STAFF)
    daily["tasks_open"] = (_count_up_to(w.entry[admitted], ends)
                           - _count_up_to(done[admitted], ends)).astype(float)
    # queue: entered the staff queues, not yet started
    daily["queue_length"] = (_count_up_to(w.entry[staff_route], ends)
                             - _count_up_to(rec.first_start[staff_route], ends)).astype(float)
    # open workload in hours: effort that entered the staff queues minus staff hours worked
    order = np.argsort(w.entry[staff_route], kind="stable")
    cum_eff = np.concatenate([[0.0], np.cumsum(eff[staff_route][order])])
    entered_eff = cum_eff[np.searchsorted(w.entry[staff_route][order], ends, side="right")]
    del order, cum_eff
    staff_seg = staff & (rec.route[rec.seg_task] == ROUTE_STAFF) if rec.seg_task.size else staff
    worked_all = _per_day(rec.seg_start, rec.seg_end, None, 1, 0, meta.days, staff_seg,
                          split)[:, 0]
    del split
    worked_cum = np.cumsum(worked_all)[d0:]
    daily["open_workload_hours"] = np.maximum(entered_eff - worked_cum, 0.0)

    ev = None
    # (object arrays of the type's strings, indexed: the same strings as one per row)
    type_ids = np.asarray([t.id for t in types] or [""], dtype=object)
    type_cats = np.asarray([t.category for t in types] or [""], dtype=object)
    if events:
        ev = {
            "task": np.arange(w.n),
            "task_type": type_ids[ti],
            "category": type_cats[ti],
            "arrival_hours": w.arrival,
            "entry_hours": w.entry,
            "refused": w.refused,
            "route": np.asarray(ROUTE_NAMES, dtype=object)[rec.route],
            "fallback_to_workers": rec.fallback,
            "estate": _estate_names(w),
            "first_start_hours": rec.first_start,
            "done_hours": done,
            "deadline_hours": w.deadline,
            "on_time": np.where(has_deadline & np.isfinite(done), on_time, False),
            "effort_hours": eff,
        }
    work = None
    if events:
        kind_names = np.asarray(["worker", "secretary", "volunteer"], dtype=object)
        seg_type = ti[rec.seg_task] if rec.seg_task.size else np.empty(0, dtype=np.int64)
        work = {
            "task": rec.seg_task,
            "task_type": type_ids[seg_type],
            "category": type_cats[seg_type],
            "person": rec.seg_server,
            "role": kind_names[kind] if kind.size else np.empty(0, dtype=object),
            "start_hours": rec.seg_start,
            "end_hours": rec.seg_end,
            "overtime": rec.seg_ot,
        }
    info = {"segments": float(rec.seg_task.size), "tasks_generated": float(w.n), **counts}
    return ReplicationResult(
        scenario=scenario.name, scenario_hash=scenario.hash, seed=seed, replication=replication,
        metrics=m, tasks=tasks, daily=daily, events=ev, work=work, info=info,
    )
