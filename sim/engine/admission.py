"""Where refused work goes: the review's office hours and refused work that comes back.

Under the admission rule (``[admission]``, :func:`sim.engine.workload.admit`) an unlisted
department task is reviewed, then approved, pushed in anyway or refused. This module adds
what that costs and where the refused work goes (docs/model.md "Where refused work goes"):

- the **review** takes ``review_hours`` of office time from ``review_role`` (the secretary
  by default) for every unlisted task reviewed: a generated task type
  ``admission_review`` (category ``unlisted``, from departments) arriving with the task;
- a **refused** task's effort goes back to its department: hours the community did not do
  (metric ``refused_hours_returned``);
- a share ``rework_share`` of the refused tasks **comes back** ``rework_delay_working_days``
  after the review ends, as rework or pushed-through work: the same steps and efforts,
  admitted without a second review, as the generated type ``<task id>_returned``
  (metric ``rework_hours_came_back``).

Which refused tasks come back is drawn from a stream of each task type's own
(``rework:<task id>``), so nothing else moves when the share changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calendar import WorkCalendar
from sim.rng import Streams
from sim.scenario.model import Admission, Step, TaskType

REVIEW_ID = "admission_review"
RETURNED_SUFFIX = "_returned"


@dataclass(frozen=True, slots=True)
class Returned:
    """Refused instances of one task type that come back: which (indices among the type's
    instances, in arrival order) and when they enter again (clock hours)."""

    task: TaskType
    which: np.ndarray
    times: np.ndarray


def reviewed_times(tasks: list[tuple[TaskType, np.ndarray]], adm: Admission) -> np.ndarray:
    """The arrival times of every task reviewed (the unlisted ones under an enabled
    admission rule), sorted; empty when reviews cost no hours."""
    if not adm.enabled or adm.review_hours <= 0:
        return np.empty(0)
    parts = [times for t, times in tasks if t.admission_list == "unlisted"]
    return np.sort(np.concatenate([np.empty(0), *parts]), kind="stable")


def returned(task: TaskType, times: np.ndarray, refused: np.ndarray, adm: Admission,
             cal: WorkCalendar, streams: Streams, horizon: float) -> Returned | None:
    """The refused instances of ``task`` (arriving at ``times``) that come back before the
    ``horizon``, or ``None``."""
    if not adm.enabled or adm.rework_share <= 0 or not refused.any():
        return None
    u = streams(f"rework:{task.id}").random(int(times.shape[0]))
    which = np.flatnonzero(refused & (u < adm.rework_share))
    if not which.size:
        return None
    hpd = cal.hours_per_working_day
    add = cal.shifts.add_hours_many   # (cal.add_working_hours of each, at once)
    back = add(add(times[which], adm.review_working_days * hpd), adm.rework_delay_working_days * hpd)
    before = back < horizon
    if not before.any():
        return None
    return Returned(task, which[before], back[before])


def review_step(adm: Admission, has_secretary: bool) -> tuple[int, Step]:
    """The review's role (0 worker, 1 secretary) and its one step."""
    from types import MappingProxyType

    from sim.scenario.model import Dist
    role = "secretary" if adm.review_role == "secretary" and has_secretary else "worker"
    return int(role == "secretary"), Step(role, Dist("fixed", MappingProxyType({"value": adm.review_hours})))


def copy_efforts(efforts: np.ndarray, slices: dict[str, slice], back: list[Returned]) -> None:
    """Give each returned instance the efforts of the refused instance it stands for (in
    place): ``slices`` maps a type id to its rows in the workload."""
    for r in back:
        src = slices[r.task.id]
        dst = slices[r.task.id + RETURNED_SUFFIX]
        efforts[dst] = efforts[src][r.which]


def burden_figures(w, cohort: np.ndarray, seg_task: np.ndarray, hours: np.ndarray,
                   staff: np.ndarray, eff: np.ndarray | None = None) -> dict[str, float]:
    """The figures of refused work for one replication's :class:`sim.metrics.Tally`
    (``w`` a :class:`~sim.engine.workload.Workload`; ``hours`` of each work segment within
    the measured window, ``staff`` whether a worker or the secretary worked it; ``cohort``
    the tasks that arrived in the window; ``eff`` each task's effort, when the caller has
    it): review hours worked, the effort of the refused tasks and of the refused work that
    came back."""
    kinds = np.asarray([t.kind for t in w.types] or [""], dtype=object)
    review = kinds == "review"
    back = kinds == "returned"
    if eff is None:
        eff = np.nansum(w.efforts, axis=1) if w.n else np.empty(0)
    out = {"review_hours": 0.0, "refused_hours": float(eff[cohort & w.refused].sum()),
           "returned_hours": 0.0}
    if review.any() and seg_task.size:
        out["review_hours"] = float(hours[staff & review[w.type_idx[seg_task]]].sum())
    if back.any():
        out["returned_hours"] = float(eff[cohort & back[w.type_idx]].sum())
    return out
