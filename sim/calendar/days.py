"""Which calendar days are working days: the kinds ``always``, ``weekdays`` and ``cn``.

``cn`` is the official Chinese calendar, with public holidays and adjusted working weekends
(调休), from the package ``chinesecalendar``; its answers are kept in a pure per-year cache
(the only state of the calendar package). Days it has no data for follow Monday-Friday, and
:func:`working_days` warns once (:class:`CalendarCoverageWarning`) about those in the horizon.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable

import numpy as np

from sim.calendar.shifts import as_date

__all__ = ["CALENDAR_KINDS", "CalendarCoverageWarning", "cn_working_days", "working_days"]

CALENDAR_KINDS: tuple[str, ...] = ("always", "weekdays", "cn")


class CalendarCoverageWarning(UserWarning):
    """``chinesecalendar`` has no data for some days of a ``cn`` calendar (Monday-Friday used)."""


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


def cn_working_days(start: _dt.date, n_days: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
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


def working_days(kind: str, start: _dt.date, days: int, n: int,
                 extra_holidays: Iterable[_dt.date] = (),
                 extra_working_days: Iterable[_dt.date] = (),
                 stacklevel: int = 2) -> np.ndarray:
    """Whether each of the ``n`` days from ``start`` is a working day, for the kind
    ``weekdays`` or ``cn`` (``days``: the horizon, the part a ``cn`` calendar warns about;
    the warning is attributed as if the caller had warned with ``stacklevel``). ``extra_holidays`` then
    ``extra_working_days`` are applied after the kind's rule (a date in both is a working
    day)."""
    if kind == "weekdays":
        d0 = np.datetime64(start, "D")
        working = np.is_busday(np.arange(d0, d0 + n))
    else:
        working, runs = cn_working_days(start, n)
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
                          stacklevel=stacklevel + 1)
    for value, dates in ((False, extra_holidays), (True, extra_working_days)):
        for d in dates:
            k = (as_date(d) - start).days
            if 0 <= k < n:
                working[k] = value
    return working
