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

The package: :mod:`~sim.calendar.shifts` (:class:`Shifts`), :mod:`~sim.calendar.days` (which
days are working days, the ``chinesecalendar`` cache) and :mod:`~sim.calendar.work`
(:class:`WorkCalendar`); everything public is importable from ``sim.calendar``.

Everything is precomputed when a calendar is built; nothing here is random and nothing
keeps global state except a pure per-year cache of ``chinesecalendar`` answers.
"""

from sim.calendar.days import CALENDAR_KINDS, CalendarCoverageWarning
from sim.calendar.shifts import Shifts
from sim.calendar.work import DEFAULT_OFFICE_HOURS, WorkCalendar

__all__ = [
    "CALENDAR_KINDS",
    "DEFAULT_OFFICE_HOURS",
    "CalendarCoverageWarning",
    "Shifts",
    "WorkCalendar",
]
