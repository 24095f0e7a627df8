"""The task categories and work origins, written once: ids, labels and how they group.

A category says what kind of work a task type is (``tasks.*.category`` in a scenario file);
``admin`` and ``service`` say which categories the headline shares
``admin_hours_share`` and ``service_hours_share`` count. An origin says who sends the work.
The scenario schema, the metric registry, the report and the figures read these tables;
nothing else lists the categories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: str
    label_zh: str
    group: str    # "admin" (行政事务), "service" (serving residents) or "other"


CATEGORY_TABLE: tuple[Category, ...] = (
    Category("core", "Statutory core work", "依法履职(核心)", "service"),
    Category("assist", "Assisting the government", "协助政府", "admin"),
    Category("unlisted", "Unlisted department tasks", "清单外事项", "admin"),
    Category("assessment", "Assessments and inspections", "考核评比", "admin"),
    Category("meeting", "Meetings", "会议", "admin"),
    Category("ledger", "Ledgers and reports", "台账报表", "admin"),
    Category("certificate", "Certificates and stamps", "印章证明", "admin"),
    Category("opinion", "Opinion requests", "征求意见", "admin"),
    Category("problem", "Residents' problems", "群众诉求", "service"),
    Category("activity", "Joint activities", "共驻共建活动", "service"),
    Category("upkeep", "Plaque upkeep", "牌子维护", "admin"),
    Category("other", "Other", "其他", "other"),
)
CATEGORIES: tuple[str, ...] = tuple(c.id for c in CATEGORY_TABLE)
ADMIN_CATEGORIES: frozenset[str] = frozenset(c.id for c in CATEGORY_TABLE if c.group == "admin")
"""Categories counted as administration (行政事务) in ``admin_hours_share``."""
SERVICE_CATEGORIES: frozenset[str] = frozenset(c.id for c in CATEGORY_TABLE if c.group == "service")
"""Categories counted as serving residents in ``service_hours_share``."""
CATEGORY_LABELS: dict[str, str] = {c.id: c.label for c in CATEGORY_TABLE}
CATEGORY_LABELS_ZH: dict[str, str] = {c.id: c.label_zh for c in CATEGORY_TABLE}

ORIGINS: tuple[str, ...] = ("department", "resident", "office")
ORIGIN_LABELS: dict[str, str] = {"department": "Government departments", "resident": "Residents",
                                 "office": "The office itself"}
ORIGIN_LABELS_ZH: dict[str, str] = {"department": "职能部门", "resident": "居民", "office": "社区自身"}
