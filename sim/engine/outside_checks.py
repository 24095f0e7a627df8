"""Requests that wait on a check outside the office before the office works on them.

An opinion request about a nominee or a unit often needs a check by someone outside the
office (the police station's record, the nominee's work unit) before the community can
sign it off (docs/model.md "Outside checks"). Of the tasks of ``outside_checks.categories``
a share ``outside_checks.share`` asks for one on receipt and the office starts on the
request when the answer is back, ``outside_checks.working_days`` working days later; the
deadline still counts from receipt, so the wait eats into it. Who needs a check and how
long it takes are drawn from streams of the task type's own (``outside_check:<id>``,
``outside_check_days:<id>``): nothing else moves.
"""

from __future__ import annotations

import numpy as np

from sim.calendar import WorkCalendar
from sim.distributions import sample
from sim.rng import Streams
from sim.scenario.model import OutsideChecks, TaskType


def delayed_entry(task: TaskType, entry: np.ndarray, oc: OutsideChecks, cal: WorkCalendar,
                  streams: Streams) -> np.ndarray:
    """The entries of ``task``'s instances after their outside checks (``entry`` itself when
    the task's category has none; refused instances, entry ``inf``, stay refused)."""
    m = int(entry.shape[0])
    if not m or oc.share <= 0 or task.category not in oc.categories:
        return entry
    checked = streams(f"outside_check:{task.id}").random(m) < oc.share
    days = np.maximum(sample(oc.working_days, streams(f"outside_check_days:{task.id}"), m), 0.0)
    hpd = cal.hours_per_working_day
    out = entry.copy()
    k = np.flatnonzero(checked & np.isfinite(entry))
    out[k] = cal.shifts.add_hours_many(entry[k], days[k] * hpd)   # (add_working_hours of each)
    return out
