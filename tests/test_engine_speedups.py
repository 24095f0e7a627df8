"""The engine's shortcuts give exactly what the plain calls give (same floats, not close ones)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.calendar import Shifts, WorkCalendar
from sim.engine.workload import _month_edges, _schedule_times, arrival_times, office_rate_arrivals
from sim.rng import Streams
from sim.scenario.model import Arrivals, Schedule


def _cal(kind: str) -> WorkCalendar:
    return WorkCalendar.build(kind, dt.date(2024, 1, 1), 400, margin_days=30)


def test_deadlines_equal_the_scalar_deadline():
    rng = np.random.default_rng(5)
    for kind in ("cn", "weekdays", "always"):
        cal = _cal(kind)
        t = np.concatenate([rng.random(3000) * 400 * 24.0, [0.0, 24.0, 9599.999, np.inf, np.nan],
                            np.arange(0, 400 * 24.0, 24.0)])
        for n in (1, 3, 5, 20, 300):
            want = [cal.deadline(x, n) if np.isfinite(x) else math.inf for x in t]
            assert cal.deadlines(t, n).tolist() == want


def test_open_interval_equals_next_open_and_interval_end():
    rng = np.random.default_rng(6)
    shifts = [_cal("cn").shifts, Shifts.from_intervals([(1.0, 2.0), (2.0, 2.0), (2.0, 3.5),
                                                        (10.0, 10.0), (12.0, 13.0)])]
    for sh in shifts:
        ends = [e for _, e in sh]
        starts = [s for s, _ in sh]
        t = np.concatenate([rng.random(2000) * 400 * 24.0, starts, ends, [0.0, 1e9]]).tolist()
        for x in t:
            assert sh.open_interval(x) == (sh.next_open(x), sh.interval_end(sh.next_open(x)))


def test_cached_schedule_and_month_edges_are_read_only_and_equal():
    s = Schedule(every="week", weekday=2, time_hours=9.5, count=2)
    a = _schedule_times(s, dt.date(2024, 1, 1), 60)
    assert a is _schedule_times(s, dt.date(2024, 1, 1), 60)       # cached
    assert not a.flags.writeable
    want = [k * 24.0 + 9.5 for k in range(60) if (dt.date(2024, 1, 1)
                                                   + dt.timedelta(days=k)).weekday() == 2
            for _ in range(2)]
    assert a.tolist() == want
    edges, months = _month_edges(dt.date(2024, 1, 15), 60)
    assert not edges.flags.writeable and not months.flags.writeable
    assert edges.tolist() == [0.0, 17 * 24.0, 46 * 24.0, 60 * 24.0]
    assert months.tolist() == [0, 1, 2]


def test_office_rate_arrivals_are_each_types_arrival_times():
    """Several task types' office-hour arrivals made together are each type's arrival_times
    (the same draws from each type's own stream, the same floats), including rates that draw
    nothing and a month without office hours (an office closed for August)."""
    rates = [0.5, 0.01, 2.0, 1e-6, 0.2, 3.0]
    seasons = [(1.0,) * 12, (0.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 0.0)]
    closed = WorkCalendar.build("weekdays", dt.date(2024, 1, 1), 400, margin_days=30,
                                extra_holidays=[dt.date(2024, 8, 1) + dt.timedelta(days=k)
                                                for k in range(31)])
    for cal in (_cal("cn"), closed):
        start, days = dt.date(2024, 1, 1), 400
        month_hours = cal.shifts.hours_before(_month_edges(start, days)[0])
        for rep in range(3):
            arrs = [Arrivals(rate_per_hour=r, when="office_hours", seasonality=seasons[k % 2])
                    for k, r in enumerate(rates)]
            got = office_rate_arrivals(arrs, [Streams(3, rep)(f"a{k}") for k in range(len(arrs))],
                                       cal, start, days, month_hours)
            for k, a in enumerate(arrs):
                want = arrival_times(a, cal, start, days, Streams(3, rep)(f"a{k}"), month_hours)
                assert got[k].tobytes() == want.tobytes()


def test_task_table_does_not_depend_on_the_tasks_being_listed_type_by_type():
    """summarise's per-type table from a workload whose types are interleaved (not made by
    generate, which lists them type by type) equals the table of the same tasks listed in
    blocks: every count and mean to the bit."""
    import dataclasses
    from pathlib import Path

    from sim.engine import build_calendar
    from sim.engine.office import Office
    from sim.engine.summary import summarise
    from sim.engine.workload import generate
    from sim.rng import Streams
    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "bozhou_after.toml")
    cal = build_calendar(sc)
    w = generate(sc, cal, Streams(3, 0))
    rec = Office(sc, cal, w, Streams(3, 0)).run()
    # interleave the types round-robin, keeping each type's own order
    ti = w.type_idx
    rank = np.empty(ti.size, dtype=np.int64)
    for k in np.unique(ti):
        at = np.flatnonzero(ti == k)
        rank[at] = np.arange(at.size)
    perm = np.lexsort((ti, rank))          # new position -> old task
    assert not bool((np.diff(ti[perm]) >= 0).all())
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    per_task = {f.name for f in dataclasses.fields(w)
                if isinstance(getattr(w, f.name), np.ndarray) and getattr(w, f.name).shape[:1] == (w.n,)}
    w2 = dataclasses.replace(w, **{f: getattr(w, f)[perm] for f in per_task})
    rec2 = dataclasses.replace(rec, first_start=rec.first_start[perm], done=rec.done[perm],
                               route=rec.route[perm], fallback=rec.fallback[perm],
                               seg_task=inv[rec.seg_task])
    a = summarise(sc, cal, w, rec, seed=3, replication=0).tasks
    b = summarise(sc, cal, w2, rec2, seed=3, replication=0).tasks
    assert a.keys() == b.keys()
    for k in a:
        for f, v in a[k].items():
            assert (v == b[k][f]) or (v != v and b[k][f] != b[k][f]), (k, f, v, b[k][f])
