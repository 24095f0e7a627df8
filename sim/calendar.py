"""The working calendar: when the community office is open, and working-time arithmetic.

The simulation clock is a float, **hours since ``start_date`` 00:00** (no time zones, no
daylight saving time); day index ``d`` covers ``[24 d, 24 d + 24)``.

Two classes:

* :class:`Shifts` is an immutable, sorted set of disjoint working intervals ``[start, end)``
  on that clock, with the cumulative working hours before each interval. Its scalar methods
  (``next_open``, ``add_hours``, ``hours_between``, ...) use :mod:`bisect` on plain Python
  lists because the engine calls them very often; ``hours_before`` and ``instant_at`` are
  vectorised with :func:`numpy.searchsorted` (e.g. to place Poisson arrivals "only in office
  hours": draw them on the working-hours axis, then map them with ``instant_at``).
* :class:`WorkCalendar` says which calendar days are working days (``always``, ``weekdays``
  or the official Chinese calendar ``cn`` with public holidays and adjusted working weekends
  调休, from the package ``chinesecalendar``) and holds the office-time :class:`Shifts`. It
  computes deadlines in working days and lateness in working days.

Everything is precomputed when a calendar is built; nothing here is random and nothing
keeps global state except a pure per-year cache of ``chinesecalendar`` answers.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.model import Scenario, VolunteerWindow

__all__ = [
    "CALENDAR_KINDS",
    "DEFAULT_OFFICE_HOURS",
    "CalendarCoverageWarning",
    "Shifts",
    "WorkCalendar",
]

CALENDAR_KINDS: tuple[str, ...] = ("always", "weekdays", "cn")
DEFAULT_OFFICE_HOURS: tuple[tuple[float, float], ...] = ((8.5, 12.0), (14.5, 18.0))
_INF = math.inf
_OFFICE_HOURS_ALLOWED = (
    "sorted, non-overlapping ranges within 00:00-24:00, each starting before it ends"
)


class CalendarCoverageWarning(UserWarning):
    """``chinesecalendar`` has no data for some days of a ``cn`` calendar (Monday-Friday used)."""


# --------------------------------------------------------------------------------------
# Shifts
# --------------------------------------------------------------------------------------


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort intervals, drop empty ones and merge overlapping or touching ones."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    run_end = np.maximum.accumulate(ends)
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > run_end[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, starts.size - 1)
    return starts[first], run_end[last]


class Shifts:
    """Immutable sorted set of disjoint working intervals ``[start, end)`` in clock hours.

    ``starts``, ``ends`` and ``cum`` (working hours before each interval) are read-only
    numpy arrays; the scalar methods work on plain Python lists with :mod:`bisect`.
    Build with :meth:`from_intervals`, :meth:`always` or :meth:`from_weekly_windows`.

    >>> s = Shifts.from_intervals([(8.5, 12.0), (14.5, 18.0)])
    >>> s.add_hours(11.0, 2.0)   # one hour before lunch, one after
    15.5
    """

    __slots__ = ("_c", "_ce", "_cum", "_e", "_ends", "_n", "_s", "_starts", "_total")

    def __init__(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Internal: ``starts``/``ends`` must already be sorted, disjoint and non-touching.

        Use :meth:`from_intervals` for arbitrary input.
        """
        starts = np.array(starts, dtype=float)
        ends = np.array(ends, dtype=float)
        lengths = ends - starts
        cum = np.zeros(starts.size)
        if starts.size > 1:
            np.cumsum(lengths[:-1], out=cum[1:])
        cum_end = cum + lengths
        for a in (starts, ends, cum):
            a.flags.writeable = False
        sa = object.__setattr__
        sa(self, "_starts", starts)
        sa(self, "_ends", ends)
        sa(self, "_cum", cum)
        sa(self, "_s", starts.tolist())
        sa(self, "_e", ends.tolist())
        sa(self, "_c", cum.tolist())
        sa(self, "_ce", cum_end.tolist())
        sa(self, "_n", int(starts.size))
        sa(self, "_total", float(cum_end[-1]) if starts.size else 0.0)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Shifts is immutable")

    # ---- constructors -------------------------------------------------------------

    @classmethod
    def from_intervals(cls, intervals: Iterable[tuple[float, float]]) -> Shifts:
        """Shifts from ``(start, end)`` pairs in any order; overlapping or touching pairs are
        merged and empty ones dropped. Raises ``ValueError`` if a start is after its end, a
        start is not finite, or a value is NaN."""
        pairs = [(float(s), float(e)) for s, e in intervals]
        starts = np.array([p[0] for p in pairs], dtype=float)
        ends = np.array([p[1] for p in pairs], dtype=float)
        if np.isnan(starts).any() or np.isnan(ends).any():
            raise ValueError("interval bounds must not be NaN")
        if not np.isfinite(starts).all():
            raise ValueError("interval starts must be finite")
        bad = np.flatnonzero(starts > ends)
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"interval {pairs[i]} ends before it starts")
        return cls(*_merge(starts, ends))

    @classmethod
    def always(cls) -> Shifts:
        """One interval ``[0, inf)``: always open, working hours = clock hours."""
        return cls(np.array([0.0]), np.array([_INF]))

    @classmethod
    def from_weekly_windows(cls, start_date: _dt.date, n_days: int,
                            windows: Sequence[VolunteerWindow]) -> Shifts:
        """The intervals of weekly ``windows`` on every calendar day ``0 .. n_days - 1``.

        Each window has ``weekdays`` (0 = Monday), ``start_hours`` and ``end_hours`` (hours of
        the day). Holidays are ignored: volunteers keep their own hours.
        """
        days = np.arange(max(int(n_days), 0))
        weekday = (_as_date(start_date).weekday() + days) % 7
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        for w in windows:
            if not w.start_hours < w.end_hours:
                raise ValueError(f"volunteer window {w} must start before it ends")
            on = days[np.isin(weekday, np.asarray(w.weekdays, dtype=int))] * 24.0
            starts.append(on + float(w.start_hours))
            ends.append(on + float(w.end_hours))
        if not starts:
            return cls(np.empty(0), np.empty(0))
        return cls(*_merge(np.concatenate(starts), np.concatenate(ends)))

    # ---- data ---------------------------------------------------------------------

    @property
    def starts(self) -> np.ndarray:
        """Interval starts (read-only array)."""
        return self._starts

    @property
    def ends(self) -> np.ndarray:
        """Interval ends (read-only array); the last may be ``inf``."""
        return self._ends

    @property
    def cum(self) -> np.ndarray:
        """Working hours before each interval (read-only array)."""
        return self._cum

    @property
    def starts_list(self) -> list[float]:
        """Interval starts as a new Python list."""
        return list(self._s)

    @property
    def ends_list(self) -> list[float]:
        """Interval ends as a new Python list."""
        return list(self._e)

    @property
    def cum_list(self) -> list[float]:
        """Working hours before each interval, as a new Python list."""
        return list(self._c)

    @property
    def total_hours(self) -> float:
        """All working hours (``inf`` for :meth:`always`)."""
        return self._total

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return iter(zip(self._s, self._e, strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Shifts):
            return NotImplemented
        return self._s == other._s and self._e == other._e

    def __hash__(self) -> int:
        return hash((tuple(self._s), tuple(self._e)))

    def __repr__(self) -> str:
        if self._n == 0:
            return "Shifts([])"
        head = ", ".join(f"[{s:g}, {e:g})" for s, e in zip(self._s[:3], self._e[:3],
                                                            strict=True))
        more = f", ... ({self._n} intervals, {self._total:g} h)" if self._n > 3 else ""
        return f"Shifts({head}{more})"

    # ---- scalar methods (hot path) --------------------------------------------------

    def is_open(self, t: float) -> bool:
        """Whether ``t`` lies inside an interval ``[start, end)``."""
        i = bisect_right(self._s, t) - 1
        return i >= 0 and t < self._e[i]

    def next_open(self, t: float) -> float:
        """``t`` if it is open, else the start of the next interval (``inf`` if none)."""
        i = bisect_right(self._s, t) - 1
        if i >= 0 and t < self._e[i]:
            return t
        i += 1
        return self._s[i] if i < self._n else _INF

    def interval_end(self, t: float) -> float:
        """End of the interval that contains ``next_open(t)`` (``inf`` if none)."""
        i = bisect_right(self._s, t) - 1
        if i >= 0 and t < self._e[i]:
            return self._e[i]
        i += 1
        return self._e[i] if i < self._n else _INF

    def open_interval(self, t: float) -> tuple[float, float]:
        """``(next_open(t), interval_end(t))`` with one search instead of two."""
        i = bisect_right(self._s, t) - 1
        if i >= 0 and t < self._e[i]:
            return t, self._e[i]
        i += 1
        if i >= self._n:
            return _INF, _INF
        start = self._s[i]
        if start < self._e[i]:
            return start, self._e[i]
        return start, self.interval_end(start)      # (an empty interval)

    def add_hours(self, t: float, h: float) -> float:
        """The instant when ``h >= 0`` working hours counted from ``t`` are done.

        ``h = 0`` gives ``next_open(t)``. Work that ends exactly at an interval end returns
        that end, not the next start. ``inf`` if the intervals run out.
        """
        if h < 0:
            raise ValueError(f"hours must be >= 0, got {h}")
        s = self._s
        i = bisect_right(s, t) - 1
        if i >= 0 and t < self._e[i]:
            t0 = t
        else:
            i += 1
            if i >= self._n:
                return _INF
            t0 = s[i]
        end = self._e[i]
        if h <= end - t0:
            return t0 + h
        target = self._c[i] + (t0 - s[i]) + h
        j = bisect_left(self._ce, target, i + 1)
        if j >= self._n:
            return _INF
        return min(s[j] + (target - self._c[j]), self._e[j])

    def hours_between(self, a: float, b: float) -> float:
        """Working hours in ``[a, b]`` (0 if ``b <= a``)."""
        if b <= a:
            return 0.0
        s = self._s
        e = self._e
        i = bisect_right(s, a) - 1
        j = bisect_right(s, b) - 1
        if j < 0:
            return 0.0
        hb = self._c[j] + min(b, e[j]) - s[j]
        if i < 0:
            return hb
        if i == j:
            return min(b, e[j]) - min(a, e[j])
        return hb - (self._c[i] + min(a, e[i]) - s[i])

    # ---- vectorised ---------------------------------------------------------------

    def hours_before(self, t: Any) -> np.ndarray:
        """Working hours from the first interval up to each instant of ``t`` (array-like).

        Returns an array of ``t``'s shape (0-d for a scalar).
        """
        t = np.asarray(t, dtype=float)
        if self._n == 0:
            return np.zeros(t.shape)
        i = np.searchsorted(self._starts, t, side="right") - 1
        k = np.clip(i, 0, self._n - 1)
        out = self._cum[k] + np.minimum(t, self._ends[k]) - self._starts[k]
        return np.where(i < 0, 0.0, out)

    def instant_at(self, hours: Any) -> np.ndarray:
        """Inverse of :meth:`hours_before`: the instant at which cumulative working hours
        reach each value of ``hours`` (array-like).

        A value on a boundary between two intervals maps to the start of the later one (an
        open instant); the total maps to the last end; more than the total maps to ``inf``.
        """
        hours = np.asarray(hours, dtype=float)
        if self._n == 0:
            return np.full(hours.shape, _INF)
        cum_end = self._cum + (self._ends - self._starts)
        j = np.clip(np.searchsorted(cum_end, hours, side="right"), 0, self._n - 1)
        out = np.minimum(self._starts[j] + (hours - self._cum[j]), self._ends[j])
        return np.where(hours > self._total, _INF, out)


# --------------------------------------------------------------------------------------
# Chinese official calendar (cached per year)
# --------------------------------------------------------------------------------------

_CN_YEARS: dict[int, np.ndarray | None] = {}
"""year -> bool array of working days from ``chinesecalendar`` (None: no data). Pure cache."""


def _cn_year(year: int) -> np.ndarray | None:
    if year in _CN_YEARS:
        return _CN_YEARS[year]
    import chinese_calendar

    first = _dt.date(year, 1, 1)
    n = (_dt.date(year + 1, 1, 1) - first).days
    one = _dt.timedelta(days=1)
    out: np.ndarray | None = np.empty(n, dtype=bool)
    day = first
    try:
        for k in range(n):
            out[k] = chinese_calendar.is_workday(day)
            day += one
    except NotImplementedError:
        out = None
    if out is not None:
        out.flags.writeable = False
    _CN_YEARS[year] = out
    return out


def _cn_working_days(start: _dt.date, n_days: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Working days by the Chinese calendar, and the uncovered runs ``(first, last)`` of day
    indices (inclusive) that fell back to Monday-Friday."""
    dates = np.arange(np.datetime64(start, "D"), np.datetime64(start, "D") + n_days)
    working = np.is_busday(dates)
    covered = np.zeros(n_days, dtype=bool)
    end = start + _dt.timedelta(days=n_days)
    for year in range(start.year, end.year + 1):
        data = _cn_year(year)
        if data is None:
            continue
        y0 = (_dt.date(year, 1, 1) - start).days
        lo, hi = max(y0, 0), min(y0 + data.size, n_days)
        if lo < hi:
            working[lo:hi] = data[lo - y0:hi - y0]
            covered[lo:hi] = True
    runs: list[tuple[int, int]] = []
    if not covered.all():
        edges = np.flatnonzero(np.diff(np.concatenate(([1], covered.view(np.int8), [1]))))
        runs = [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return working, runs


# --------------------------------------------------------------------------------------
# WorkCalendar
# --------------------------------------------------------------------------------------


def _as_date(d: _dt.date) -> _dt.date:
    return d.date() if isinstance(d, _dt.datetime) else d


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

    __slots__ = ("_close", "_wd_cum", "_wd_idx", "horizon_days", "hours_per_working_day",
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
        self._wd_idx: list[int] = np.flatnonzero(working_day).tolist()
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
        start = _as_date(start_date)
        days = int(days)
        if days < 1:
            raise ScenarioError(f"must be >= 1, got {days}", field="scenario.days")
        if margin_days < 0:
            raise ValueError(f"margin_days must be >= 0, got {margin_days}")
        n = days + int(margin_days)

        if kind == "always":
            return cls(kind, start, days, np.ones(n, dtype=bool), ((0.0, 24.0),),
                       Shifts.always())

        if kind == "weekdays":
            d0 = np.datetime64(start, "D")
            working = np.is_busday(np.arange(d0, d0 + n))
        else:
            working, runs = _cn_working_days(start, n)
            # warn about the horizon only: days in the margin (deadlines and work running
            # past the end) follow Monday-Friday silently, else every scenario of a recent
            # year would warn about the year after next
            runs = [(a, min(b, days - 1)) for a, b in runs if a < days]
            if runs:
                named = ", ".join(
                    f"{start + _dt.timedelta(days=a)}..{start + _dt.timedelta(days=b)}"
                    for a, b in runs)
                warnings.warn(f"chinesecalendar has no data for {named}; "
                              "using Monday-Friday there", CalendarCoverageWarning,
                              stacklevel=2)
        for value, dates in ((False, extra_holidays), (True, extra_working_days)):
            for d in dates:
                k = (_as_date(d) - start).days
                if 0 <= k < n:
                    working[k] = value

        base = np.flatnonzero(working) * 24.0
        hs = np.array([s for s, _ in hours])
        he = np.array([e for _, e in hours])
        starts = (base[:, None] + hs[None, :]).ravel()
        ends = (base[:, None] + he[None, :]).ravel()
        return cls(kind, start, days, working, hours, Shifts(*_merge(starts, ends)))

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
            return (_as_date(day) - self.start_date).days
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
        wd = np.flatnonzero(self.working_day)
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
