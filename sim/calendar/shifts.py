"""Working intervals on the simulation clock: :class:`Shifts`.

The clock is a float, **hours since ``start_date`` 00:00** (no time zones, no daylight saving
time); day index ``d`` covers ``[24 d, 24 d + 24)``. A :class:`Shifts` is an immutable,
sorted set of disjoint working intervals ``[start, end)`` on that clock, with the cumulative
working hours before each interval. Its scalar methods (``next_open``, ``add_hours``,
``hours_between``, ...) use :mod:`bisect` on plain Python lists because the engine calls them
very often; ``hours_before`` and ``instant_at`` are vectorised with :func:`numpy.searchsorted`
(e.g. to place Poisson arrivals "only in office hours": draw them on the working-hours axis,
then map them with ``instant_at``). Nothing here is random or keeps state.
"""

from __future__ import annotations

import datetime as _dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.scenario.model import VolunteerWindow

__all__ = ["Shifts", "as_date", "merge_intervals"]

_INF = math.inf


def as_date(d: _dt.date) -> _dt.date:
    """The date of a date or datetime."""
    return d.date() if isinstance(d, _dt.datetime) else d


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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

    __slots__ = ("_c", "_ce", "_cum", "_cum_end", "_e", "_ends", "_n", "_s", "_starts", "_total")

    def __init__(self, starts: np.ndarray, ends: np.ndarray,
                 lists: tuple[list[float], list[float]] | None = None) -> None:
        """Internal: ``starts``/``ends`` must already be sorted, disjoint and non-touching.

        Use :meth:`from_intervals` for arbitrary input. ``lists``: the same values as Python
        lists, when the caller has them (an office person's working time is made every
        replication by slicing the office's lists, sim.engine.absence: converting a
        1,500-interval year with ``tolist`` is about 40 us an array, slicing a few us).
        """
        starts = np.array(starts, dtype=float)
        ends = np.array(ends, dtype=float)
        lengths = ends - starts
        cum = np.zeros(starts.size)
        if starts.size > 1:
            np.cumsum(lengths[:-1], out=cum[1:])
        for a in (starts, ends, cum):
            a.flags.writeable = False
        sa = object.__setattr__
        sa(self, "_starts", starts)
        sa(self, "_ends", ends)
        sa(self, "_cum", cum)
        s_list, e_list = lists if lists is not None else (starts.tolist(), ends.tolist())
        sa(self, "_s", s_list)
        sa(self, "_e", e_list)
        # the cumulative hours as lists (add_hours, hours_between) are made when first used:
        # an office person's working time, built every replication, only needs _s and _e
        sa(self, "_c", None)
        sa(self, "_ce", None)
        sa(self, "_cum_end", None)   # the working hours up to each interval's end (instant_at)
        sa(self, "_n", int(starts.size))
        sa(self, "_total", float(cum[-1] + lengths[-1]) if starts.size else 0.0)

    def _cum_lists(self) -> tuple[list[float], list[float]]:
        """Working hours before each interval and up to its end, as lists (made once)."""
        if self._c is None:
            object.__setattr__(self, "_c", self._cum.tolist())
            object.__setattr__(self, "_ce", (self._cum + (self._ends - self._starts)).tolist())
        return self._c, self._ce

    def _cum_ends(self) -> np.ndarray:
        """Working hours up to each interval's end (read-only; made once: the office's
        shifts serve every replication)."""
        if self._cum_end is None:
            cum_end = self._cum + (self._ends - self._starts)
            cum_end.flags.writeable = False
            object.__setattr__(self, "_cum_end", cum_end)
        return self._cum_end

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
        return cls(*merge_intervals(starts, ends))

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
        weekday = (as_date(start_date).weekday() + days) % 7
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
        return cls(*merge_intervals(np.concatenate(starts), np.concatenate(ends)))

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
        return list(self._cum_lists()[0])

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
        c, ce = self._cum_lists()
        target = c[i] + (t0 - s[i]) + h
        j = bisect_left(ce, target, i + 1)
        if j >= self._n:
            return _INF
        return min(s[j] + (target - c[j]), self._e[j])

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
        c = self._cum_lists()[0]
        hb = c[j] + min(b, e[j]) - s[j]
        if i < 0:
            return hb
        if i == j:
            return min(b, e[j]) - min(a, e[j])
        return hb - (c[i] + min(a, e[i]) - s[i])

    def without_ranges(self, ranges: Iterable[tuple[int, int]]) -> Shifts:
        """These intervals without those of index ``lo <= i < hi`` for each ``(lo, hi)`` of
        ``ranges`` (any order; they may overlap or be empty). The result equals
        ``Shifts(starts[keep], ends[keep])``; it is made from slices of this one's lists, one a
        run of kept intervals, rather than by converting every kept interval again (an office
        person's year without their days away, made every replication: sim.engine.absence)."""
        runs = []
        pos = 0
        for lo, hi in sorted(ranges):
            if lo > pos:
                runs.append((pos, lo))
            pos = max(pos, hi)
        if pos < self._n:
            runs.append((pos, self._n))
        keep = np.zeros(self._n, dtype=bool)
        s: list[float] = []
        e: list[float] = []
        for lo, hi in runs:
            keep[lo:hi] = True
            s += self._s[lo:hi]
            e += self._e[lo:hi]
        return Shifts(self._starts[keep], self._ends[keep], (s, e))

    # ---- vectorised ---------------------------------------------------------------

    def hours_before(self, t: Any) -> np.ndarray:
        """Working hours from the first interval up to each instant of ``t`` (array-like).

        Returns an array of ``t``'s shape (0-d for a scalar).
        """
        t = np.asarray(t, dtype=float)
        if self._n == 0:
            return np.zeros(t.shape)
        i = np.searchsorted(self._starts, t, side="right") - 1
        # (i <= n - 1 always: the lower bound is the only clip needed, and np.maximum is a
        # single ufunc call where np.clip goes through several Python wrappers)
        k = np.maximum(i, 0)
        out = self._cum[k] + np.minimum(t, self._ends[k]) - self._starts[k]
        return np.where(i < 0, 0.0, out)

    def add_hours_many(self, t: Any, h: Any) -> np.ndarray:
        """:meth:`add_hours` of each element of ``t`` and ``h`` (array-likes that broadcast;
        ``h >= 0``): the same numbers, by the same float operations, in a few array
        operations instead of a Python call per element (the review ends of a year's
        unlisted tasks, pre-generated every replication)."""
        t = np.asarray(t, dtype=float)
        h = np.asarray(h, dtype=float)
        if h.ndim:
            t, h = np.broadcast_arrays(t, h)
        if t.size < 32:
            # (a few instants: the scalar method costs less than the twenty array calls below)
            hs = h.ravel().tolist() if h.ndim else [float(h)] * t.size
            return np.array([self.add_hours(a, b) for a, b in zip(t.ravel().tolist(), hs, strict=True)],
                            dtype=float).reshape(t.shape)
        if (h < 0).any():
            raise ValueError(f"hours must be >= 0, got {h[h < 0][0] if h.ndim else h}")
        out = np.full(t.shape, _INF)
        n = self._n
        if n == 0:
            return out
        s, e, c = self._starts, self._ends, self._cum
        i = np.searchsorted(s, t, side="right") - 1
        inside = (i >= 0) & (t < e[np.maximum(i, 0)])
        i = np.where(inside, i, i + 1)        # the interval work starts in (n: none)
        ok = i < n
        if not ok.all():
            i, t, inside = i[ok], t[ok], inside[ok]
            h = h[ok] if h.ndim else h
        t0 = np.where(inside, t, s[i])
        fits = h <= e[i] - t0                  # done within that interval
        target = c[i] + (t0 - s[i]) + h        # else: the working hours at which it is done
        # bisect_left(ce, target, i + 1) of add_hours (ce is sorted)
        j = np.maximum(np.searchsorted(self._cum_ends(), target, side="left"), i + 1)
        jj = np.minimum(j, n - 1)
        later = np.where(j < n, np.minimum(s[jj] + (target - c[jj]), e[jj]), _INF)
        out[ok] = np.where(fits, t0 + h, later)
        return out

    def instant_at(self, hours: Any) -> np.ndarray:
        """Inverse of :meth:`hours_before`: the instant at which cumulative working hours
        reach each value of ``hours`` (array-like).

        A value on a boundary between two intervals maps to the start of the later one (an
        open instant); the total maps to the last end; more than the total maps to ``inf``.
        """
        hours = np.asarray(hours, dtype=float)
        if self._n == 0:
            return np.full(hours.shape, _INF)
        cum_end = self._cum_ends()
        # (searchsorted gives 0..n: only the upper bound needs clipping, see hours_before)
        j = np.minimum(np.searchsorted(cum_end, hours, side="right"), self._n - 1)
        out = np.minimum(self._starts[j] + (hours - self._cum[j]), self._ends[j])
        return np.where(hours > self._total, _INF, out)
