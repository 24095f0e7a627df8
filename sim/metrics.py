"""The metric registry: every metric of a replication, defined in one entry.

An entry (:class:`Metric`, after EMA Workbench's ``ScalarOutcome``) holds everything the
package knows about a metric: its name, English and Chinese label, unit, ``direction``
(+1 higher is better, -1 lower is better, 0 no judgement, e.g. refused tasks: intended by
the reform, but not a good in itself), ``tolerance`` (an absolute half-width that is precise
enough whatever the mean, for the ``--precision`` stop rule and for calling a difference
"unclear"), ``kind`` (``"input arithmetic"``: follows from the inputs without any queueing,
e.g. hours by category; ``"emergent"``: comes out of the queueing, e.g. waits, overtime,
deadlines met), ``compute`` (the function of the replication's :class:`Tally` that gives its
value) and ``pool`` (how a city adds up its communities' values, :class:`Pool`).

:func:`sim.engine.summary.summarise` computes exactly the registered metrics, in registry
order; :mod:`sim.city.aggregate` pools them by their ``pool``; the tables, the report and
the figures read the labels from here. Adding a metric is one entry in ``_entries`` below
(or, for a study of its own, one :func:`registered` block). Counts and hours are per year
(annualised over the measured period after warm-up).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sim.categories import (
    ADMIN_CATEGORIES,
    CATEGORIES,
    CATEGORY_LABELS_ZH,
    ORIGIN_LABELS_ZH,
    ORIGINS,
    SERVICE_CATEGORIES,
)

__all__ = ["CATEGORY_LABELS_ZH", "COUNTS", "EMERGENT", "HEADLINE", "INPUT", "METRICS",
           "ORIGIN_LABELS_ZH", "Metric", "Pool", "Tally", "label", "metric", "registered"]

INPUT = "input arithmetic"
EMERGENT = "emergent"
HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL = +1, -1, 0


@dataclass(frozen=True, slots=True)
class Tally:
    """What one replication's metrics are computed from: the engine's record reduced to the
    measured window (after warm-up, before the horizon). Filled by
    :func:`sim.engine.summary.summarise`; plain numbers and numpy arrays.

    Hours are clock hours in the window (not yet per year); counts are of tasks that arrived
    in the window. ``waits``: hours from admission to the first start of work, one per task
    worked by staff; ``deadline_on_time`` / ``opinion_on_time``: one flag per task with a
    deadline (opinion request) that is judged (done, or open past its deadline);
    ``opinion_late_days``: working days late, one per late reply; ``resolution_days``:
    calendar days from arrival to resolution, one per resolved problem.
    """

    per_year: float
    workers: int
    secretary: bool
    office_hours: float                 # one person's office hours in the window
    hours_by_category: np.ndarray       # staff (worker + secretary) hours, CATEGORIES order
    hours_by_origin: np.ndarray         # staff hours, ORIGINS order
    staff_hours: float                  # their total
    worker_office_hours: float
    worker_overtime_hours: float
    secretary_office_hours: float
    volunteer_hours: float
    volunteer_available_hours: float
    arrived: int
    refused: int
    completed: int
    open_at_end: int
    waits: np.ndarray
    deadline_on_time: np.ndarray
    opinion_on_time: np.ndarray
    opinion_late_days: np.ndarray
    opinion_requests: int
    problems_arrived: int
    problems_resolved_by: Mapping[str, int]   # volunteers, workers, property, joint_meetings
    problems_fallback: int
    resolution_days: np.ndarray
    resolution_target_days: float
    meetings_held: int
    # meetings people attend (sim.engine.meetings): hours from the scheduled time to the
    # start (one per meeting started in the window) and to the end (one per meeting done);
    # problems of joint meetings: days to resolution (resolved ones) and how many are open
    meeting_delays: np.ndarray = field(default_factory=lambda: np.empty(0))
    meeting_spans: np.ndarray = field(default_factory=lambda: np.empty(0))
    meeting_problem_days: np.ndarray = field(default_factory=lambda: np.empty(0))
    meeting_problems_open: int = 0
    # where refused work goes (sim.engine.admission) and absences (sim.engine.absence); clock
    # hours / days in the window
    review_hours: float = 0.0             # staff hours worked on admission reviews
    refused_hours: float = 0.0            # effort of the refused tasks (back to departments)
    returned_hours: float = 0.0           # effort of refused work that came back
    secretary_absence_days: float = 0.0   # days away (half days count 0.5)
    # resolution times as censored survival data (sim.survival): one entry per problem that
    # arrived, days from arrival to resolution or, if still open, to the end (censored)
    problems_open: int = 0
    problems_escalated: int = 0
    problem_days: np.ndarray = field(default_factory=lambda: np.empty(0))
    problem_resolved: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    restricted_mean_days: float = 60.0
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """What several metrics read, computed once for this tally by the first that needs it
    (the Kaplan-Meier estimate: the median and the restricted mean)."""


@dataclass(frozen=True, slots=True)
class Pool:
    """How a city adds up one metric over its communities (:mod:`sim.city.aggregate`):
    ``"total"`` sum of the per-year values x days / 365 (a total over the city's period),
    ``"sum"``, ``"mean"`` (plain mean), ``"weighted"`` (mean weighted by ``weight``: a
    community input ``workers`` or ``volunteer_teams``, ``staff_hours``, or a count of
    :data:`COUNTS`, the number the community's figure is a mean over), or ``"none"``
    (left out: medians and percentiles do not add up from summaries)."""

    how: Literal["total", "sum", "mean", "weighted", "none"]
    weight: str = ""


TOTAL, SUM, MEAN, LEFT_OUT = Pool("total"), Pool("sum"), Pool("mean"), Pool("none")


def by(weight: str) -> Pool:
    return Pool("weighted", weight)


_TOLERANCE_BY_UNIT = {"share": 0.005, "hours/year": 2.0, "per year": 2.0, "days": 0.1,
                      "hours": 0.1, "working days": 0.1, "count": 1.0}
_POOL_BY_UNIT = {"per year": TOTAL, "hours/year": TOTAL, "count": SUM}


def _nan(_t: Tally) -> float:
    return math.nan


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric (see the module docstring). ``tolerance`` and ``pool`` default from the
    unit when left out (``None``)."""

    name: str
    label: str
    label_zh: str
    unit: str
    direction: int = 0
    headline: bool = False
    description: str = ""
    tolerance: float | None = None
    """Absolute half-width that is precise enough whatever the mean (``--precision``)."""
    kind: str = EMERGENT
    compute: Callable[[Tally], float] = field(default=_nan, repr=False, compare=False)
    pool: Pool | None = None
    community_column: int = 0
    """Its column in a city's per-community table (1, 2, ...); 0: not in that table."""

    def __post_init__(self) -> None:
        if self.tolerance is None:
            object.__setattr__(self, "tolerance", _TOLERANCE_BY_UNIT.get(self.unit, 0.0))
        if self.pool is None:
            object.__setattr__(self, "pool", _POOL_BY_UNIT.get(self.unit, MEAN))
        if self.kind not in (INPUT, EMERGENT):
            raise ValueError(f"metric {self.name}: kind must be {INPUT!r} or {EMERGENT!r}")
        if self.direction not in (-1, 0, 1):
            raise ValueError(f"metric {self.name}: direction must be -1, 0 or +1")
        weights = pool_weights()
        if self.pool.how == "weighted" and self.pool.weight not in weights:
            raise ValueError(f"metric {self.name}: unknown weight {self.pool.weight!r} "
                             f"(one of {', '.join(weights)})")


@dataclass(frozen=True, slots=True)
class Count:
    """A count that a metric of one replication is a mean or share over, kept with the
    replication's results (``ReplicationResult.info``) to weight it when communities are
    pooled."""

    name: str
    compute: Callable[[Tally], float]


# ------------------------------------------------------------------- how metrics compute
def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def _share(t: Tally, cats: frozenset[str]) -> float:
    # sum in the fixed CATEGORIES order: iterating the frozenset would follow string hashing,
    # which differs between processes, and change the last digit of the sums
    part = sum(t.hours_by_category[k] for k, c in enumerate(CATEGORIES) if c in cats)
    return part / t.staff_hours if t.staff_hours > 0 else math.nan


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def _per_year(count: Callable[[Tally], float]) -> Callable[[Tally], float]:
    return lambda t: float(count(t)) * t.per_year


def _on_time(flags: np.ndarray) -> float:
    return _mean(flags.astype(float))


def _late_days(t: Tally) -> float:
    # no late reply: lateness undefined
    return float(np.mean(t.opinion_late_days)) if t.opinion_late_days.size else math.nan


def _resolved_by(route: str) -> Callable[[Tally], float]:
    return _per_year(lambda t: t.problems_resolved_by[route])


def _percentile(q: float) -> Callable[[Tally], float]:
    def f(t: Tally) -> float:
        d = t.resolution_days
        if not d.size:
            return math.nan
        return float(np.median(d)) if q == 50 else float(np.percentile(d, q))
    return f


def _within_target(t: Tally) -> float:
    if not t.problems_arrived:
        return math.nan
    return float((t.resolution_days <= t.resolution_target_days).sum()) / float(t.problems_arrived)


def _km(t: Tally):
    if "km" not in t.memo:   # (two metrics read it: estimated once a replication)
        from sim.survival import kaplan_meier
        t.memo["km"] = kaplan_meier(t.problem_days, t.problem_resolved)
    return t.memo["km"]


def _km_median(t: Tally) -> float:
    km = _km(t)
    return km.median() if km is not None else math.nan


def _km_rmean(t: Tally) -> float:
    km = _km(t)
    return km.restricted_mean(t.restricted_mean_days) if km is not None else math.nan


def _category_hours(k: int) -> Callable[[Tally], float]:
    return lambda t: float(t.hours_by_category[k]) * t.per_year


def _category_share(k: int) -> Callable[[Tally], float]:
    return lambda t: float(t.hours_by_category[k]) / t.staff_hours if t.staff_hours > 0 else math.nan


def _origin_hours(k: int) -> Callable[[Tally], float]:
    return lambda t: float(t.hours_by_origin[k]) * t.per_year


COUNTS: tuple[Count, ...] = (
    Count("n_waited", lambda t: float(t.waits.size)),
    Count("n_deadline", lambda t: float(t.deadline_on_time.size)),
    Count("n_opinion", lambda t: float(t.opinion_on_time.size)),
    Count("n_opinion_late", lambda t: float(t.opinion_late_days.size)),
    Count("n_problems", lambda t: float(t.problems_arrived)),
    Count("n_problems_resolved", lambda t: float(t.resolution_days.size)),
    Count("n_meetings", lambda t: float(t.meeting_delays.size)),
    Count("n_meetings_done", lambda t: float(t.meeting_spans.size)),
    Count("n_meeting_problems_resolved", lambda t: float(t.meeting_problem_days.size)),
)
"""The counts that pooled means and shares are weighted by (``Pool.weight``)."""


def pool_weights() -> tuple[str, ...]:
    """What a pooled mean can be weighted by: a community's workers or volunteer teams, its
    staff hours (the sum of ``hours_<category>``), or a count of :data:`COUNTS`."""
    return ("workers", "volunteer_teams", "staff_hours", *(c.name for c in COUNTS))


def _entries() -> list[Metric]:
    M = Metric
    out = [
        # hours by category are the efforts of the tasks that arrive and are admitted, summed:
        # they follow from arrivals, efforts, the admission list and the routing without any
        # queueing, as long as every arrived task is worked within the horizon (tests:
        # test_input_arithmetic_does_not_move_with_the_queueing). The routing here is fixed
        # before the run; the hand-backs (after a wait, a full team queue or to an idle worker,
        # sim.engine.routing) move a little volunteer work to the workers by their load
        # (problems_fallback_to_workers, emergent), the one queueing trace in these hours.
        M("admin_hours_share", "Share of staff hours on administration", "行政事务工时占比", "share", -1, True,
          "Worker and secretary hours on assist, unlisted, assessment, meeting, ledger, certificate, opinion and upkeep work, over all their worked hours.",
          kind=INPUT, compute=lambda t: _share(t, ADMIN_CATEGORIES), pool=by("staff_hours"), community_column=1),
        M("service_hours_share", "Share of staff hours serving residents", "服务居民工时占比", "share", +1, True,
          "Worker and secretary hours on core (statutory self-governance), residents' problems and joint activities, over all their worked hours.",
          kind=INPUT, compute=lambda t: _share(t, SERVICE_CATEGORIES), pool=by("staff_hours"), community_column=2),
        # emergent: busy office hours = all worker effort minus the part done as overtime, which
        # the queue (and the overtime rule) decides; over workers x office hours, so a change of
        # workers alone moves it even when every task is done
        M("utilization", "Worker utilisation", "社工忙碌率", "share", -1, True,
          "Hours workers spent working in office hours over their office hours.",
          compute=lambda t: _ratio(t.worker_office_hours, t.workers * t.office_hours) if t.office_hours > 0 else math.nan,
          pool=by("workers"), community_column=3),
        M("secretary_utilization", "Secretary utilisation", "书记忙碌率", "share", -1, False,
          "Hours the secretary spent working in office hours over office hours.",
          compute=lambda t: t.secretary_office_hours / t.office_hours if t.secretary and t.office_hours > 0 else math.nan),
        M("volunteer_utilization", "Volunteer utilisation", "志愿者忙碌率", "share", 0, False,
          "Volunteer hours worked over the hours volunteers turned out for.",
          compute=lambda t: _ratio(t.volunteer_hours, t.volunteer_available_hours),
          pool=by("volunteer_teams"), community_column=11),
        M("overtime_hours_per_worker_year", "Overtime per worker", "人均加班时长", "hours/year", -1, True,
          "Hours worked after closing time, per worker and year.",
          compute=lambda t: t.worker_overtime_hours / t.workers * t.per_year, pool=by("workers"),
          community_column=4),
        M("hours_worked_per_worker_year", "Hours worked per worker", "人均工作时长", "hours/year", -1, False,
          "All hours workers worked (office hours and overtime), per worker and year.",
          compute=lambda t: (t.worker_office_hours + t.worker_overtime_hours) / t.workers * t.per_year,
          pool=by("workers")),
        M("tasks_arrived", "Tasks arrived", "到达事项数", "per year", 0, False, "Task instances that arrived.",
          kind=INPUT, compute=_per_year(lambda t: t.arrived)),
        # input arithmetic: refused at arrival by the admission list (a rule on the task type),
        # never queued, so arrivals x list; no queueing parameter moves it
        M("tasks_refused", "Tasks refused", "拒绝事项数", "per year", 0, True,
          "Unlisted tasks refused under the admission list (counted, not worked).",
          kind=INPUT, compute=_per_year(lambda t: t.refused), community_column=12),
        M("tasks_completed", "Tasks completed", "完成事项数", "per year", 0, False,
          "Tasks finished by the office or a property service (refused tasks never count).",
          compute=_per_year(lambda t: t.completed)),
        M("tasks_open_at_end", "Tasks open at the end", "期末未完成事项", "count", -1, False,
          "Tasks that arrived after warm-up and were neither refused nor completed by the end.",
          compute=lambda t: float(t.open_at_end)),
        M("wait_hours_mean", "Mean wait for staff", "平均等待时长", "hours", -1, False,
          "Clock hours from admission to the first start of work, over tasks worked by staff.",
          compute=lambda t: _mean(t.waits), pool=by("n_waited")),
        M("deadline_on_time_rate", "Deadlines met", "按期完成率", "share", +1, False,
          "Share of tasks with a deadline done by it (tasks still open after their deadline count as late).",
          compute=lambda t: _on_time(t.deadline_on_time), pool=by("n_deadline")),
        M("opinion_on_time_rate", "Opinion replies on time", "征求意见按期反馈率", "share", +1, True,
          "Share of opinion requests answered within their deadline in working days.",
          compute=lambda t: _on_time(t.opinion_on_time), pool=by("n_opinion")),
        M("opinion_late_working_days_mean", "Lateness of late opinion replies", "逾期反馈平均逾期工作日", "working days", -1, False, "",
          compute=_late_days, pool=by("n_opinion_late")),
        M("opinion_requests", "Opinion requests", "征求意见事项", "per year", 0, False, "",
          kind=INPUT, compute=_per_year(lambda t: t.opinion_requests)),
        M("problems_arrived", "Residents' problems arrived", "群众诉求数", "per year", 0, False, "",
          kind=INPUT, compute=_per_year(lambda t: t.problems_arrived), community_column=5),
        # emergent: equals problems_arrived (input) when every problem is resolved in the
        # horizon; what it adds to that is exactly the problems the queues leave open
        # (meeting quorum, volunteer team), so it moves with the queueing
        M("problems_resolved", "Residents' problems resolved", "解决群众诉求数", "per year", +1, True, "",
          compute=_per_year(lambda t: t.resolution_days.size), community_column=6),
        # emergent, though mostly set by the routing (an input): the problems routed to the
        # volunteers minus those handed back after waiting problems.volunteer_max_wait_days in
        # the team's queue and those still open; the hand-backs depend on the team's load
        M("problems_resolved_by_volunteers", "Problems resolved by volunteers", "志愿队解决诉求数", "per year", +1, True, "",
          compute=_resolved_by("volunteers"), community_column=7),
        M("problems_resolved_by_workers", "Problems resolved by workers", "社工解决诉求数", "per year", 0, False, "",
          compute=_resolved_by("workers")),
        M("problems_resolved_by_property", "Problems resolved by property services", "物业解决诉求数", "per year", 0, False,
          "By property companies of managed estates and red property services.",
          compute=_resolved_by("property")),
        M("problems_resolved_by_joint_meetings", "Problems resolved at joint meetings", "联席会议解决诉求数", "per year", +1, False, "",
          compute=_resolved_by("joint_meetings"), community_column=8),
        M("problems_fallback_to_workers", "Problems passed back from volunteers", "志愿队转回社工诉求数", "per year", -1, False, "",
          compute=_per_year(lambda t: t.problems_fallback)),
        # emergent: what residents wait for. Problems still open at the end are censored
        # observations: the Kaplan-Meier figures count them (sim.survival); the plain mean
        # below leaves them out and is kept as a labelled extra
        M("problems_escalated", "Problems escalated to 12345", "转12345热线诉求数", "per year", -1, True,
          "Problems not solved within problems.escalation_working_days working days, which residents "
          "then report to the 12345 hotline (the hotline transfers them back; they stay in their queue).",
          compute=_per_year(lambda t: t.problems_escalated),
          # a count of a few dozen a year whose year-to-year sd is about 7 (Bozhou): a
          # planner reads it to the nearest 5, and 5% of it would need ~30 replications
          tolerance=5.0),
        M("problems_open_at_end", "Problems open at the end", "期末未解决诉求数", "count", -1, False,
          "Residents' problems that arrived after warm-up and are not solved by the end of the run.",
          compute=lambda t: float(t.problems_open)),
        M("problem_resolution_days_km_median", "Median days to resolve (Kaplan-Meier)", "诉求解决天数中位数(KM)", "days", -1, True,
          "Kaplan-Meier median of calendar days from arrival to resolution, problems still open at the end "
          "counted as censored; NaN if more than half stay open.",
          compute=_km_median, pool=LEFT_OUT),
        M("problem_resolution_days_rmean", "Restricted mean days to resolve (Kaplan-Meier)", "诉求限定平均解决天数(KM)", "days", -1, True,
          "Area under the Kaplan-Meier curve up to problems.restricted_mean_days: the mean of min(days to "
          "resolve, that horizon) over all problems, open ones counted as censored.",
          compute=_km_rmean, pool=by("n_problems")),
        M("problem_resolution_days_mean", "Mean days to resolve a resolved problem", "已解决诉求平均解决天数", "days", -1, False,
          "Calendar days from a problem's arrival to its resolution, over resolved problems only "
          "(problems still open at the end are left out, which biases it downwards; see the Kaplan-Meier figures).",
          compute=lambda t: _mean(t.resolution_days), pool=by("n_problems_resolved"), community_column=10),
        M("problem_resolution_days_median", "Median days to resolve a problem", "诉求解决天数中位数", "days", -1, False, "",
          compute=_percentile(50), pool=LEFT_OUT),
        M("problem_resolution_days_p90", "90th percentile of days to resolve", "诉求解决天数90分位", "days", -1, False, "",
          compute=_percentile(90), pool=LEFT_OUT),
        M("problems_within_target_share", "Problems resolved within target", "目标期限内解决诉求占比", "share", +1, False,
          "Share of arrived problems resolved within problems.resolution_target_days; problems still open at the end count as not resolved in time.",
          compute=_within_target, pool=by("n_problems")),
        M("joint_meetings_held", "Joint meetings held", "联席会议次数", "per year", 0, False, "",
          compute=_per_year(lambda t: t.meetings_held), community_column=9),
        # emergent: when the attendee is free to start (queued meetings wait for the end of
        # the current task; real-time meetings start at their time unless the attendee is in
        # another meeting or, under finish_segment, ends the current segment first)
        M("meeting_start_delay_hours_mean", "Meeting start delay", "会议开始延迟", "hours", -1, False,
          "Clock hours from a meeting's scheduled time to when its attendee starts it (department, "
          "secretary, street and joint meetings; chair and attendees).",
          compute=lambda t: _mean(t.meeting_delays), pool=by("n_meetings")),
        M("meeting_span_hours_mean", "Meeting done after its time", "会议从开始时间到结束", "hours", -1, False,
          "Clock hours from a meeting's scheduled time to the end of the attendee's time in it "
          "(its duration when held in one piece at its time).",
          compute=lambda t: _mean(t.meeting_spans), pool=by("n_meetings_done")),
        M("joint_meeting_wait_days_mean", "Days a joint-meeting problem waits", "联席会议诉求平均解决天数", "days", -1, False,
          "Calendar days from the arrival of a problem that needs a joint meeting to the meeting "
          "that resolves it, over those resolved (see joint_meeting_problems_open).",
          compute=lambda t: _mean(t.meeting_problem_days), pool=by("n_meeting_problems_resolved")),
        M("joint_meeting_problems_open", "Joint-meeting problems open at the end", "期末待联席会议诉求", "count", -1, False,
          "Problems waiting for a joint meeting at the end of the run (left out of the mean days).",
          compute=lambda t: float(t.meeting_problems_open)),
    ]
    for k, c in enumerate(CATEGORIES):
        out.append(M(f"hours_{c}", f"Staff hours: {c}", f"工时: {CATEGORY_LABELS_ZH[c]}", "hours/year", 0, False,
                     f"Worker and secretary hours on category '{c}'.", kind=INPUT, compute=_category_hours(k)))
        out.append(M(f"hours_share_{c}", f"Share of staff hours: {c}", f"工时占比: {CATEGORY_LABELS_ZH[c]}", "share", 0, False, "",
                     kind=INPUT, compute=_category_share(k), pool=by("staff_hours")))
    for k, o in enumerate(ORIGINS):
        out.append(M(f"hours_from_{o}", f"Staff hours on work from: {o}", f"工时(来源: {ORIGIN_LABELS_ZH[o]})", "hours/year", 0, False, "",
                     kind=INPUT, compute=_origin_hours(k)))
    # where refused work goes (docs/model.md): inputs x rules, no queueing (the reviews are
    # done well within the year; the refused effort and what comes back are drawn up front)
    out.append(M("review_hours", "Office hours reviewing unlisted tasks", "准入审核工时", "hours/year", -1, False,
                 "Staff hours spent reviewing unlisted department tasks under the admission list (admission.review_hours each).",
                 kind=INPUT, compute=lambda t: t.review_hours * t.per_year))
    out.append(M("refused_hours_returned", "Refused work returned to departments", "退回部门工时", "hours/year", 0, False,
                 "Effort of the refused tasks: hours the community did not do, sent back to the departments (burden shifted, not removed).",
                 kind=INPUT, compute=lambda t: t.refused_hours * t.per_year))
    out.append(M("rework_hours_came_back", "Refused work that came back", "退回后再次下派工时", "hours/year", -1, False,
                 "Effort of refused tasks that came back later as rework or pushed-through work (admission.rework_share).",
                 kind=INPUT, compute=lambda t: t.returned_hours * t.per_year))
    out.append(M("secretary_absence_days", "Secretary's days away", "书记离岗天数", "per year", 0, False,
                 "Working days the secretary was away (leave, training, street-office meetings; a half day counts 0.5).",
                 kind=INPUT, compute=lambda t: t.secretary_absence_days * t.per_year, tolerance=0.5, pool=MEAN))
    out.append(M("volunteer_hours", "Volunteer hours worked", "志愿服务工时", "hours/year", 0, False, "",
                 compute=lambda t: t.volunteer_hours * t.per_year))
    return out


METRICS: dict[str, Metric] = {m.name: m for m in _entries()}
"""The registry: metric name -> entry, in the order results list them."""
HEADLINE: tuple[str, ...] = tuple(m.name for m in METRICS.values() if m.headline)


def metric(name: str) -> Metric:
    """The registry entry for ``name``; unknown names get a neutral entry."""
    found = METRICS.get(name)
    return found if found is not None else Metric(name, name, name, "", 0, False, "", tolerance=0.0)


def label(name: str, lang: str = "en") -> str:
    m = metric(name)
    return m.label_zh if lang == "zh" else m.label


def compute_all(t: Tally) -> tuple[dict[str, float], dict[str, float]]:
    """Every registered metric of one replication, in registry order, and the counts its
    pooled means are weighted by."""
    return ({m.name: m.compute(t) for m in METRICS.values()},
            {c.name: c.compute(t) for c in COUNTS})


@contextlib.contextmanager
def registered(*extra: Metric) -> Iterator[dict[str, Metric]]:
    """Add ``extra`` metrics to the registry inside a ``with`` block (a study's own metrics;
    tests): ``summarise``, city aggregation and the tables see them, in this process; the
    registry is as before when the block ends, whatever happens in it."""
    clash = [m.name for m in extra if m.name in METRICS]
    if clash:
        raise ValueError(f"metric(s) already registered: {', '.join(clash)}")
    if any(m.headline for m in extra):
        raise ValueError("a metric added with registered() cannot be a headline metric")
    for m in extra:
        METRICS[m.name] = m
    try:
        yield METRICS
    finally:
        for m in extra:
            METRICS.pop(m.name, None)

