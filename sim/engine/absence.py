"""Absences of the office's people: the days (and half days) a worker or the secretary is away.

Leave, training and meetings at the street office take a person out of the office for whole
days or half days (``[absences]`` of a scenario, docs/model.md "Absences"). They are drawn
before the run, like the rest of the workload, each person from a stream of their own
(``absence:secretary``, ``absence:worker:K``, and ``...:half`` for half days), so that
adding absences moves no other random draw. A person's working time is then the office's
working time without those days: :func:`without` removes them from the office's
:class:`~sim.calendar.Shifts`; the office model does the rest (work waits for the person's
next opening, as it does over a weekend).

Counts: ``days_per_year x days / 365`` expected whole days (in spells of ``spell_days``
consecutive working days) and as many expected half days (one of the day's office-hour
ranges), rounded at random to a whole number (so the mean is the input), on working days
chosen uniformly at random; spells that overlap count once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.calendar import Shifts, WorkCalendar
from sim.rng import Streams
from sim.scenario.model import Scenario


@dataclass(frozen=True, slots=True)
class Absence:
    """One person's absences: the day indices away all day, and (day, range) pairs of the
    half days away (``range`` the index of the office-hour range: 0 the morning)."""

    days: np.ndarray            # int day indices, sorted
    half_days: np.ndarray       # (k, 2) int: day index, office-hour range index

    def count(self, d0: int, d1: int) -> float:
        """Days away in days ``d0 .. d1 - 1`` (a half day counts 0.5, not on a day away)."""
        full = self.days[(self.days >= d0) & (self.days < d1)]
        h = self.half_days
        half = h[(h[:, 0] >= d0) & (h[:, 0] < d1) & ~np.isin(h[:, 0], full)] if h.size else h
        return float(full.size) + 0.5 * float(np.unique(half, axis=0).shape[0] if half.size else 0)


NONE = Absence(np.empty(0, dtype=np.int64), np.empty((0, 2), dtype=np.int64))


def _rounded(x: float, rng: np.random.Generator) -> int:
    """``x`` rounded down or up at random, up with probability its fraction (mean ``x``)."""
    whole = math.floor(x)
    return whole + int(rng.random() < x - whole)


def _draw(days_per_year: float, half_per_year: float, spell: int, working: np.ndarray,
          n_ranges: int, horizon_days: int, streams: Streams, name: str) -> Absence:
    if days_per_year <= 0 and half_per_year <= 0:
        return NONE
    years = horizon_days / 365.0
    days = np.empty(0, dtype=np.int64)
    if days_per_year > 0 and working.size:
        rng = streams(f"absence:{name}")
        n = min(_rounded(days_per_year * years / spell, rng), working.size)
        first = np.sort(rng.choice(working.size, size=n, replace=False))
        k = (first[:, None] + np.arange(spell)[None, :]).ravel()
        days = np.sort(working[k[k < working.size]])
        # np.unique's values (without its import of numpy.ma, 12 ms of a run's start-up):
        # each day unlike the one before it
        new = np.ones(days.size, dtype=bool)
        np.not_equal(days[1:], days[:-1], out=new[1:])
        days = days[new]
    half = np.empty((0, 2), dtype=np.int64)
    if half_per_year > 0 and working.size:
        rng = streams(f"absence:{name}:half")
        n = _rounded(half_per_year * years, rng)
        half = np.column_stack([working[rng.integers(0, working.size, n)],
                                rng.integers(0, n_ranges, n)]).astype(np.int64)
    return Absence(days, half)


def draw(scenario: Scenario, cal: WorkCalendar, streams: Streams) -> tuple[Absence, ...]:
    """Each office person's absences over the horizon: the workers in order, then the
    secretary (if there is one); :data:`NONE` for everyone when the scenario has none."""
    a = scenario.absences
    off = scenario.office
    n_people = off.workers + int(off.secretary)
    if cal.kind == "always" or (a.secretary_days_per_year <= 0 and a.secretary_half_days_per_year <= 0
                                and a.worker_days_per_year <= 0 and a.worker_half_days_per_year <= 0):
        return (NONE,) * n_people
    horizon = scenario.scenario.days
    working = np.flatnonzero(cal.working_day[:horizon]).astype(np.int64)
    ranges = len(cal.office_hours)
    out = [_draw(a.worker_days_per_year, a.worker_half_days_per_year, a.spell_days, working,
                 ranges, horizon, streams, f"worker:{k}") for k in range(off.workers)]
    if off.secretary:
        out.append(_draw(a.secretary_days_per_year, a.secretary_half_days_per_year, a.spell_days,
                         working, ranges, horizon, streams, "secretary"))
    return tuple(out)


def without(shifts: Shifts, cal: WorkCalendar, absence: Absence) -> Shifts:
    """``shifts`` (the office's working time) without the person's days and half days away;
    the same object when there are none."""
    if not absence.days.size and not absence.half_days.size:
        return shifts
    # The intervals are sorted, so each day's intervals (a day: the floor of start / 24) are
    # one run of indices, found by a binary search per day away; a half day (day, range) is
    # the range-th interval of its day. Removing those index runs (Shifts.without_ranges)
    # reuses the office's interval lists instead of converting ~1,500 intervals a person.
    day = np.floor(shifts.starts / 24.0).astype(np.int64)
    lo = np.searchsorted(day, absence.days, side="left").tolist()
    hi = np.searchsorted(day, absence.days, side="right").tolist()
    ranges = list(zip(lo, hi, strict=True))
    if absence.half_days.size:
        d = absence.half_days[:, 0]
        first = np.searchsorted(day, d, side="left").tolist()
        stop = np.searchsorted(day, d, side="right").tolist()
        rank = absence.half_days[:, 1].tolist()
        ranges += [(f + r, f + r + 1) for f, s, r in zip(first, stop, rank, strict=True)
                   if 0 <= r and f + r < s]
    return shifts.without_ranges(ranges)
