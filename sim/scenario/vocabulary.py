"""The scenario format's closed vocabularies: every list of allowed words, written once.

The schema (:mod:`sim.scenario.schema`) checks values against these lists, the parsers
(:mod:`sim.scenario.values`) and the builder read them, and the frozen model
(:mod:`sim.scenario.model`) re-exports them. The task categories and origins live in
:mod:`sim.categories` (the metrics read them too).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ADMISSION_LISTS", "ARRIVAL_WHEN", "CALENDAR_KINDS", "DISPATCH_RULES", "DIST_PARAMS",
           "ESTATE_TYPES", "MEETING_HOLD_RULES", "MEETING_INTERRUPT", "MEETING_MODES",
           "PROBLEM_KINDS", "ROLES", "WEEKDAYS"]

CALENDAR_KINDS: tuple[str, ...] = ("always", "weekdays", "cn")
"""``scenario.calendar`` (the same list as :data:`sim.calendar.CALENDAR_KINDS`, which the
calendar layer keeps for itself; a test checks that they agree)."""
DISPATCH_RULES: tuple[str, ...] = ("fifo", "priority", "edf")
MEETING_MODES: tuple[str, ...] = ("queued", "real_time")
"""``office.meetings``: meetings as queued tasks, or at their time (sim/engine/meetings.py)."""
MEETING_INTERRUPT: tuple[str, ...] = ("preempt", "finish_segment")
"""``office.meeting_interrupt``: what an attendee busy at a real-time meeting's start does."""
MEETING_HOLD_RULES: tuple[str, ...] = ("quorum", "scaled")
"""``joint_meetings.hold_rule``: a slot is held with ``min_problems`` waiting, or with a
quorum scaled to the community's expected meeting problems per slot."""
ARRIVAL_WHEN: tuple[str, ...] = ("office_hours", "any_time")
ADMISSION_LISTS: tuple[str, ...] = ("statutory", "assisting", "unlisted", "none")
PROBLEM_KINDS: tuple[str, ...] = (
    "repair", "cleaning", "housekeeping", "parking", "illegal_building", "dispute", "other",
)
ROLES: tuple[str, ...] = ("worker", "secretary")
ESTATE_TYPES: tuple[str, ...] = ("managed", "unmanaged", "red_property")
"""Where a resident's problem comes from: an estate with a property company, one without
(the "四失" estates), or one where a red property service has been brought in."""
DIST_PARAMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
})
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
