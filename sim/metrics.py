"""The metric registry: every metric's name, labels (English and Chinese), unit and direction.

``direction`` says which way is better for the community office: +1 higher is better,
-1 lower is better, 0 no judgement (e.g. refused tasks: intended by the reform, but not a
good in itself). Comparisons use it to turn a confidence interval into a verdict.
Counts and hours are per year (annualised over the measured period after warm-up).
Each metric also has an absolute ``tolerance`` for the ``--precision`` stop rule: a
confidence interval narrower than it is precise enough even when the mean is near zero
(e.g. overtime after a reform that all but removes it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.scenario.model import CATEGORIES, ORIGINS


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    label_zh: str
    unit: str
    direction: int = 0
    headline: bool = False
    description: str = ""
    tolerance: float = 0.0
    """Absolute half-width that is precise enough whatever the mean (``--precision``)."""


_CAT_ZH = {
    "core": "依法履职(核心)", "assist": "协助政府", "unlisted": "清单外事项", "assessment": "考核评比",
    "meeting": "会议", "ledger": "台账报表", "certificate": "印章证明", "opinion": "征求意见",
    "problem": "群众诉求", "activity": "共驻共建活动", "upkeep": "牌子维护", "other": "其他",
}
_ORIGIN_ZH = {"department": "职能部门", "resident": "居民", "office": "社区自身"}
CATEGORY_LABELS_ZH = dict(_CAT_ZH)
ORIGIN_LABELS_ZH = dict(_ORIGIN_ZH)

_BASE = [
    Metric("admin_hours_share", "Share of staff hours on administration", "行政事务工时占比", "share", -1, True,
           "Worker and secretary hours on assist, unlisted, assessment, meeting, ledger, certificate, opinion and upkeep work, over all their worked hours."),
    Metric("service_hours_share", "Share of staff hours serving residents", "服务居民工时占比", "share", +1, True,
           "Worker and secretary hours on core (statutory self-governance), residents' problems and joint activities, over all their worked hours."),
    Metric("utilization", "Worker utilisation", "社工忙碌率", "share", -1, True,
           "Hours workers spent working in office hours over their office hours."),
    Metric("secretary_utilization", "Secretary utilisation", "书记忙碌率", "share", -1, False,
           "Hours the secretary spent working in office hours over office hours."),
    Metric("volunteer_utilization", "Volunteer utilisation", "志愿者忙碌率", "share", 0, False,
           "Volunteer hours worked over the hours volunteers turned out for."),
    Metric("overtime_hours_per_worker_year", "Overtime per worker", "人均加班时长", "hours/year", -1, True,
           "Hours worked after closing time, per worker and year."),
    Metric("hours_worked_per_worker_year", "Hours worked per worker", "人均工作时长", "hours/year", -1, False,
           "All hours workers worked (office hours and overtime), per worker and year."),
    Metric("tasks_arrived", "Tasks arrived", "到达事项数", "per year", 0, False, "Task instances that arrived."),
    Metric("tasks_refused", "Tasks refused", "拒绝事项数", "per year", 0, True,
           "Unlisted tasks refused under the admission list (counted, not worked)."),
    Metric("tasks_completed", "Tasks completed", "完成事项数", "per year", 0, False,
           "Tasks finished by the office or a property service (refused tasks never count)."),
    Metric("tasks_open_at_end", "Tasks open at the end", "期末未完成事项", "count", -1, False,
           "Tasks that arrived after warm-up and were neither refused nor completed by the end."),
    Metric("wait_hours_mean", "Mean wait for staff", "平均等待时长", "hours", -1, False,
           "Clock hours from admission to the first start of work, over tasks worked by staff."),
    Metric("deadline_on_time_rate", "Deadlines met", "按期完成率", "share", +1, False,
           "Share of tasks with a deadline done by it (tasks still open after their deadline count as late)."),
    Metric("opinion_on_time_rate", "Opinion replies on time", "征求意见按期反馈率", "share", +1, True,
           "Share of opinion requests answered within their deadline in working days."),
    Metric("opinion_late_working_days_mean", "Lateness of late opinion replies", "逾期反馈平均逾期工作日", "working days", -1, False, ""),
    Metric("opinion_requests", "Opinion requests", "征求意见事项", "per year", 0, False, ""),
    Metric("problems_arrived", "Residents' problems arrived", "群众诉求数", "per year", 0, False, ""),
    Metric("problems_resolved", "Residents' problems resolved", "解决群众诉求数", "per year", +1, True, ""),
    Metric("problems_resolved_by_volunteers", "Problems resolved by volunteers", "志愿队解决诉求数", "per year", +1, True, ""),
    Metric("problems_resolved_by_workers", "Problems resolved by workers", "社工解决诉求数", "per year", 0, False, ""),
    Metric("problems_resolved_by_property", "Problems resolved by property services", "物业解决诉求数", "per year", 0, False,
           "By property companies of managed estates and red property services."),
    Metric("problems_resolved_by_joint_meetings", "Problems resolved at joint meetings", "联席会议解决诉求数", "per year", +1, False, ""),
    Metric("problems_fallback_to_workers", "Problems passed back from volunteers", "志愿队转回社工诉求数", "per year", -1, False, ""),
    Metric("problem_resolution_days_mean", "Mean days to resolve a problem", "诉求平均解决天数", "days", -1, True,
           "Calendar days from a problem's arrival to its resolution, over resolved problems."),
    Metric("problem_resolution_days_median", "Median days to resolve a problem", "诉求解决天数中位数", "days", -1, False, ""),
    Metric("problem_resolution_days_p90", "90th percentile of days to resolve", "诉求解决天数90分位", "days", -1, False, ""),
    Metric("problems_within_target_share", "Problems resolved within target", "目标期限内解决诉求占比", "share", +1, False,
           "Share of arrived problems resolved within problems.resolution_target_days."),
    Metric("joint_meetings_held", "Joint meetings held", "联席会议次数", "per year", 0, False, ""),
]

for _cat in CATEGORIES:
    _BASE.append(Metric(f"hours_{_cat}", f"Staff hours: {_cat}", f"工时: {_CAT_ZH[_cat]}", "hours/year", 0, False,
                        f"Worker and secretary hours on category '{_cat}'."))
    _BASE.append(Metric(f"hours_share_{_cat}", f"Share of staff hours: {_cat}", f"工时占比: {_CAT_ZH[_cat]}", "share", 0, False, ""))
for _org in ORIGINS:
    _BASE.append(Metric(f"hours_from_{_org}", f"Staff hours on work from: {_org}", f"工时(来源: {_ORIGIN_ZH[_org]})", "hours/year", 0, False, ""))
_BASE.append(Metric("volunteer_hours", "Volunteer hours worked", "志愿服务工时", "hours/year", 0, False, ""))

_TOLERANCE_BY_UNIT = {"share": 0.005, "hours/year": 2.0, "per year": 2.0, "days": 0.1,
                      "hours": 0.1, "working days": 0.1, "count": 1.0}
_BASE = [replace(m, tolerance=_TOLERANCE_BY_UNIT.get(m.unit, 0.0)) for m in _BASE]
METRICS: dict[str, Metric] = {m.name: m for m in _BASE}
HEADLINE: tuple[str, ...] = tuple(m.name for m in _BASE if m.headline)


def metric(name: str) -> Metric:
    """The registry entry for ``name``; unknown names get a neutral entry."""
    found = METRICS.get(name)
    return found if found is not None else Metric(name, name, name, "", 0, False, "")


def label(name: str, lang: str = "en") -> str:
    m = metric(name)
    return m.label_zh if lang == "zh" else m.label
