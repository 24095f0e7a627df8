"""Residents escalate problems nobody solves: to the city hotline 12345.

A resident whose problem is not solved within ``problems.escalation_working_days`` working
days of reporting it calls 12345 (0: nobody escalates). The hotline does not solve it
itself: it transfers the order back (转办) to the street and the community or department that
had it, so the problem stays where it was and is still solved there, by the same route; the
escalation is counted (``problems_escalated``) and the problem's resolution time runs on. The
model therefore needs no event for it: it is read off the record after the run, as every
problem still unsolved at its escalation time (and that time inside the run).
"""

from __future__ import annotations

import numpy as np

from sim.calendar import WorkCalendar


def escalated(cal: WorkCalendar, arrival: np.ndarray, done: np.ndarray, horizon: float,
              working_days: int) -> np.ndarray:
    """Flags: the problem arriving at ``arrival`` (clock hours) and done at ``done`` (NaN:
    open) was escalated before ``horizon``, i.e. was still open at the close of the
    ``working_days``-th working day after its arrival."""
    if working_days <= 0 or arrival.size == 0:
        return np.zeros(arrival.shape, dtype=bool)
    due = cal.deadlines(arrival, working_days)
    return (due < horizon) & ~(done <= due)
