"""The working calendar of an office: :class:`WorkCalendar`.

A :class:`WorkCalendar` says which calendar days are working days (:mod:`sim.calendar.days`)
and holds the office-time :class:`~sim.calendar.shifts.Shifts` on the simulation clock
(hours since ``start_date`` 00:00). It converts between dates and clock times, and computes
deadlines in working days and lateness in working days. Everything is precomputed when a
calendar is built; nothing here is random.
"""

from __future__ import annotations

import datetime as _dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.calendar.days import CALENDAR_KINDS, working_days
from sim.calendar.shifts import Shifts, as_date, merge_intervals
from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

__all__ = ["DEFAULT_OFFICE_HOURS", "WorkCalendar"]

DEFAULT_OFFICE_HOURS: tuple[tuple[float, float], ...] = ((8.5, 12.0), (14.5, 18.0))
_INF = math.inf
_OFFICE_HOURS_ALLOWED = (
    "sorted, non-overlapping ranges within 00:00-24:00, each starting before it ends"
)


def _check_office_hours(office_hours: Iterable[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    def fail(why: str) -> ScenarioError:
        return ScenarioError(why, field="calendar.office_hours", allowed=_OFFICE_HOURS_ALLOWED)

    try:
        pairs = tuple((float(s), float(e)) for s, e in office_hours)
    except (TypeError, ValueError) as exc:
        raise fail(f"not a list of (start, end) hour pairs: {office_hours!r}") from exc
    if not pairs:
        raise fail("no office hours given")
    prev_end = 0.0
    for s, e in pairs:
        if not (0.0 <= s <= 24.0 and 0.0 <= e <= 24.0):  # also rejects NaN
            raise fail(f"{_fmt_range(s, e)} is not within one day")
        if not s < e:
            raise fail(f"{_fmt_range(s, e)} does not start before it ends")
        if s < prev_end:
            raise fail(f"{_fmt_range(s, e)} overlaps or comes before the previous range")
        prev_end = e
    return pairs


def _fmt_hours(h: float) -> str:
    if not math.isfinite(h):
        return str(h)
    minutes = round(h * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _fmt_range(s: float, e: float) -> str:
    return f"{_fmt_hours(s)}-{_fmt_hours(e)}"


class WorkCalendar:
    """Working days and office hours on the simulation clock (hours since ``start_date``).

    Build with :meth:`build` or :meth:`from_scenario`. The calendar covers day indices
    ``0 .. n_days - 1`` where ``n_days = horizon_days + margin_days``, so deadlines and long
    tasks after the horizon still work; past that, times are ``inf``.

    Hot loops may call ``cal.shifts.add_hours`` etc. directly (one call less).

    >>> import datetime as dt
    >>> cal = WorkCalendar.build("cn", dt.date(2019, 1, 1), 365)
    >>> cal.date_of(cal.deadline(cal.time_of(dt.datetime(2019, 9, 30, 9)), 5))
    datetime.date(2019, 10, 12)
    """

    __slots__ = ("_close", "_wd", "_wd_cum", "_wd_idx", "horizon_days", "hours_per_working_day",
                 "kind", "n_days", "office_hours", "shifts", "start_date", "working_day")

    kind: str
    start_date: _dt.date
    horizon_days: int
    n_days: int
    working_day: np.ndarray
    office_hours: tuple[tuple[float, float], ...]
    shifts: Shifts
    hours_per_working_day: float

    def __init__(self, kind: str, start_date: _dt.date, horizon_days: int,
                 working_day: np.ndarray, office_hours: tuple[tuple[float, float], ...],
                 shifts: Shifts) -> None:
        """Internal; use :meth:`build`."""
        working_day = np.array(working_day, dtype=bool)
        working_day.flags.writeable = False
        self.kind = kind
        self.start_date = start_date
        self.horizon_days = horizon_days
        self.n_days = int(working_day.size)
        self.working_day = working_day
        self.office_hours = office_hours
        self.shifts = shifts
        self.hours_per_working_day = float(sum(e - s for s, e in office_hours))
        self._close = office_hours[-1][1]   # end of the last office range, hours of the day
        wd = np.flatnonzero(working_day)
        wd.flags.writeable = False
        self._wd = wd                       # the working days' indices (deadlines)
        self._wd_idx: list[int] = wd.tolist()
        cum = np.zeros(self.n_days + 1, dtype=np.int64)
        np.cumsum(working_day, out=cum[1:])
        self._wd_cum = cum

    # ---- constructors -------------------------------------------------------------

    @classmethod
    def build(cls, kind: str, start_date: _dt.date, days: int,
              office_hours: Iterable[Sequence[float]] = DEFAULT_OFFICE_HOURS,
              extra_holidays: Iterable[_dt.date] = (),
              extra_working_days: Iterable[_dt.date] = (),
              margin_days: int = 730) -> WorkCalendar:
        """Build a calendar of ``kind`` (``always``, ``weekdays`` or ``cn``) for ``days``
        calendar days from ``start_date`` plus ``margin_days``.

        ``office_hours`` are ``(start, end)`` hours of the day; ``always`` ignores them (and
        the extra days: it is open 24 h x 7 d). ``extra_holidays`` then
        ``extra_working_days`` are applied after the kind's rule (a date in both is a working
        day). A ``cn`` calendar warns once (:class:`CalendarCoverageWarning`) naming the days of
        the horizon ``chinesecalendar`` has no data for; those, and such days in the margin
        (without a warning), follow Monday-Friday.
        """
        if kind not in CALENDAR_KINDS:
            raise ScenarioError(f"unknown calendar kind {kind!r}", field="scenario.calendar",
                                allowed=", ".join(CALENDAR_KINDS))
        hours = _check_office_hours(office_hours)
        start = as_date(start_date)
        days = int(days)
        if days < 1:
            raise ScenarioError(f"must be >= 1, got {days}", field="scenario.days")
        if margin_days < 0:
            raise ValueError(f"margin_days must be >= 0, got {margin_days}")
        n = days + int(margin_days)

        if kind == "always":
            return cls(kind, start, days, np.ones(n, dtype=bool), ((0.0, 24.0),),
                       Shifts.always())

        working = working_days(kind, start, days, n, extra_holidays, extra_working_days,
                               stacklevel=2)

        base = np.flatnonzero(working) * 24.0
        hs = np.array([s for s, _ in hours])
        he = np.array([e for _, e in hours])
        starts = (base[:, None] + hs[None, :]).ravel()
        ends = (base[:, None] + he[None, :]).ravel()
        return cls(kind, start, days, working, hours, Shifts(*merge_intervals(starts, ends)))

    @classmethod
    def from_scenario(cls, scenario: Scenario, margin_days: int = 730) -> WorkCalendar:
        """The calendar of a resolved :class:`~sim.scenario.model.Scenario`."""
        meta, spec = scenario.scenario, scenario.calendar
        return cls.build(meta.calendar, meta.start_date, meta.days,
                         office_hours=spec.office_hours,
                         extra_holidays=spec.extra_holidays,
                         extra_working_days=spec.extra_working_days,
                         margin_days=margin_days)

    def __repr__(self) -> str:
        return (f"WorkCalendar(kind={self.kind!r}, start_date={self.start_date}, "
                f"horizon_days={self.horizon_days}, n_days={self.n_days})")

    # ---- dates and clock ----------------------------------------------------------

    def day_of(self, t: float) -> int:
        """Day index of clock time ``t``."""
        return math.floor(t / 24.0)

    def date_of(self, t: float) -> _dt.date:
        """Calendar date of clock time ``t``."""
        return self.start_date + _dt.timedelta(days=self.day_of(t))

    def time_of(self, when: _dt.date | _dt.datetime) -> float:
        """Clock hours of a date (its 00:00) or a naive datetime (time zone ignored)."""
        if isinstance(when, _dt.datetime):
            days = (when.date() - self.start_date).days
            return (days * 24.0 + when.hour + when.minute / 60.0
                    + (when.second + when.microsecond / 1e6) / 3600.0)
        if isinstance(when, _dt.date):
            return (when - self.start_date).days * 24.0
        raise TypeError(f"expected a date or datetime, got {type(when).__name__}")

    def _index(self, day: _dt.date | int) -> int:
        if isinstance(day, _dt.date):
            return (as_date(day) - self.start_date).days
        if isinstance(day, bool):
            raise TypeError("expected a date or a day index, got a bool")
        return int(day)

    def is_working_day(self, day: _dt.date | int) -> bool:
        """Whether a date or day index is a working day (``ValueError`` outside the calendar)."""
        k = self._index(day)
        if not 0 <= k < self.n_days:
            raise ValueError(f"day {day} is outside the calendar (days 0..{self.n_days - 1} "
                             f"from {self.start_date})")
        return bool(self.working_day[k])

    def working_days_in(self, start_date: _dt.date | int, end_date: _dt.date | int) -> int:
        """Number of working days from ``start_date`` to ``end_date`` inclusive (dates or
        day indices; the part outside the calendar counts nothing)."""
        a = max(self._index(start_date), 0)
        b = min(self._index(end_date), self.n_days - 1)
        if b < a:
            return 0
        return int(self._wd_cum[b + 1] - self._wd_cum[a])

    def closing_times(self, first_day: _dt.date | int, last_day: _dt.date | int) -> list[float]:
        """Clock times at which the office closes (end of the last office range) on each
        working day from ``first_day`` to ``last_day`` inclusive (dates or day indices).
        For ``always``: the end (24:00) of every day."""
        a = max(self._index(first_day), 0)
        b = min(self._index(last_day), self.n_days - 1)
        lo = bisect_left(self._wd_idx, a)
        hi = bisect_right(self._wd_idx, b)
        close = self._close
        return [d * 24.0 + close for d in self._wd_idx[lo:hi]]

    # ---- working time -------------------------------------------------------------

    def is_open(self, t: float) -> bool:
        """Whether the office is open at ``t``."""
        return self.shifts.is_open(t)

    def next_open(self, t: float) -> float:
        """``t`` if the office is open, else its next opening (``inf`` if none)."""
        return self.shifts.next_open(t)

    def interval_end(self, t: float) -> float:
        """End of the office interval containing ``next_open(t)``."""
        return self.shifts.interval_end(t)

    def add_working_hours(self, t: float, h: float) -> float:
        """Instant when ``h`` working hours from ``t`` are done (see :meth:`Shifts.add_hours`)."""
        return self.shifts.add_hours(t, h)

    def working_hours_between(self, a: float, b: float) -> float:
        """Office hours in ``[a, b]`` (0 if ``b <= a``)."""
        return self.shifts.hours_between(a, b)

    def deadline(self, t: float, n_working_days: int) -> float:
        """Close of office on the N-th working day after the calendar day containing ``t``
        (the day of receipt does not count). ``always``: end of the N-th day after.
        ``inf`` beyond the calendar."""
        if n_working_days < 1:
            raise ValueError(f"n_working_days must be >= 1, got {n_working_days}")
        k = bisect_right(self._wd_idx, math.floor(t / 24.0)) + int(n_working_days) - 1
        if k >= len(self._wd_idx):
            return _INF
        return self._wd_idx[k] * 24.0 + self._close

    def deadlines(self, t: np.ndarray, n_working_days: int) -> np.ndarray:
        """:meth:`deadline` of every element of ``t`` at once (``inf`` where ``t`` is not
        finite); the same numbers, one numpy search instead of a Python call per element."""
        if n_working_days < 1:
            raise ValueError(f"n_working_days must be >= 1, got {n_working_days}")
        t = np.asarray(t, dtype=float)
        out = np.full(t.shape, _INF)
        ok = np.isfinite(t)
        wd = self._wd
        k = np.searchsorted(wd, np.floor(t[ok] / 24.0), side="right") + int(n_working_days) - 1
        inside = k < wd.size
        vals = np.full(k.shape, _INF)
        vals[inside] = wd[k[inside]] * 24.0 + self._close
        out[ok] = vals
        return out

    def working_days_late(self, deadline: float, done: float) -> float:
        """0 if ``done <= deadline``, else the office time between them in working days."""
        if done <= deadline:
            return 0.0
        return self.shifts.hours_between(deadline, done) / self.hours_per_working_day
