"""Immutable, typed objects for a fully resolved scenario.

These frozen dataclasses are what the engine reads. They are built by
:mod:`sim.scenario.loader` from TOML after inheritance, levers and overrides, and after
validation, so every value here is already known to be well-formed. Field names are the
TOML key names (see ``docs/scenario-format.md``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

# the category list lives in sim.categories; re-exported for the modules that read it here
from sim.categories import ADMIN_CATEGORIES as ADMIN_CATEGORIES
from sim.categories import CATEGORIES as CATEGORIES
from sim.categories import ORIGINS as ORIGINS
from sim.categories import SERVICE_CATEGORIES as SERVICE_CATEGORIES

CalendarKind = Literal["always", "weekdays", "cn"]
Dispatch = Literal["fifo", "priority", "edf"]
ADMISSION_LISTS: tuple[str, ...] = ("statutory", "assisting", "unlisted", "none")
PROBLEM_KINDS: tuple[str, ...] = (
    "repair", "cleaning", "housekeeping", "parking", "illegal_building", "dispute", "other",
)
ROLES: tuple[str, ...] = ("worker", "secretary")
DIST_PARAMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
})
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")



# --------------------------------------------------------------------------- pickling
# Scenarios travel to worker processes and Dask workers. Read-only mappings
# (MappingProxyType) do not pickle, so an object that holds some pickles as its class and
# its field values with those mappings as plain dicts, and is made again from them: no
# loading or validation on the other side, and the same object (same hash) arrives.
def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_thaw(v) for v in value)
    return value


def _readonly(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _readonly(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_readonly(v) for v in value)
    return value


def plain_reduce(obj: Any) -> tuple[Any, ...]:
    """``__reduce__`` of a frozen dataclass with read-only mapping fields: its class and
    field values, those mappings thawed to dicts (inside them too)."""
    values = [getattr(obj, f.name) for f in fields(obj)]
    frozen = tuple(i for i, v in enumerate(values) if isinstance(v, MappingProxyType))
    plain = tuple(_thaw(v) if i in frozen else v for i, v in enumerate(values))
    return (from_plain, (type(obj), plain, frozen))


def from_plain(cls: type, values: tuple[Any, ...], frozen: tuple[int, ...]) -> Any:
    """The object :func:`plain_reduce` described (read-only mappings made read-only again)."""
    return cls(*(_readonly(v) if i in frozen else v for i, v in enumerate(values)))

@dataclass(frozen=True, slots=True)
class Dist:
    """A probability distribution: ``kind`` is a key of DIST_PARAMS, ``params`` its values."""

    kind: str
    params: Mapping[str, float]

    def __reduce__(self):
        return plain_reduce(self)

    @property
    def mean(self) -> float:
        p = self.params
        if self.kind == "fixed":
            return p["value"]
        if self.kind in ("exponential", "lognormal", "gamma"):
            return p["mean"]
        if self.kind == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3.0
        return (p["low"] + p["high"]) / 2.0


@dataclass(frozen=True, slots=True)
class Schedule:
    """Fixed-date arrivals: ``every`` day/week/month/quarter/year at ``time`` (hours of day)."""

    every: Literal["day", "week", "month", "quarter", "year"]
    weekday: int = 0          # 0 = Monday (for every = "week")
    day: int = 1              # day of month (month, quarter, year)
    month: int = 1            # 1..12 (year)
    time_hours: float = 9.0   # "09:00" -> 9.0
    count: int = 1


@dataclass(frozen=True, slots=True)
class Wave:
    """Each year, ``count`` extra arrivals on average over ``days`` days from ``start``."""

    start_month: int
    start_day: int
    days: int
    count: float


@dataclass(frozen=True, slots=True)
class Arrivals:
    """When a task type arrives. ``rate_per_hour`` is 0 when only schedule/waves are given."""

    rate_per_hour: float = 0.0
    rate_key: str | None = None          # which key the user wrote, e.g. "per_month"
    rate_value: float = 0.0              # the value the user wrote
    when: Literal["office_hours", "any_time"] = "office_hours"
    seasonality: tuple[float, ...] = (1.0,) * 12
    waves: tuple[Wave, ...] = ()
    schedule: Schedule | None = None


@dataclass(frozen=True, slots=True)
class Step:
    role: Literal["worker", "secretary"]
    effort_hours: Dist


@dataclass(frozen=True, slots=True)
class TaskType:
    id: str
    category: str
    arrivals: Arrivals
    steps: tuple[Step, ...]
    name: str = ""
    name_zh: str = ""
    enabled: bool = True
    origin: Literal["department", "resident", "office"] = "office"
    admission_list: Literal["statutory", "assisting", "unlisted", "none"] = "none"
    copies: int = 1
    effort_factor: float = 1.0
    priority: int = 0
    deadline_working_days: int | None = None
    problem_kind: str = "other"
    source: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioMeta:
    name: str
    name_zh: str = ""
    description: str = ""
    days: int = 365
    warmup_days: int = 0
    start_date: _dt.date = _dt.date(2019, 1, 1)
    calendar: CalendarKind = "weekdays"
    seed: int = 1
    replications: int = 10
    source: str = ""


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    # (start_hour, end_hour) pairs within a day, e.g. ((8.5, 12.0), (14.5, 18.0))
    office_hours: tuple[tuple[float, float], ...] = ((8.5, 12.0), (14.5, 18.0))
    extra_holidays: tuple[_dt.date, ...] = ()
    extra_working_days: tuple[_dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class Office:
    workers: int
    dispatch: Dispatch = "fifo"
    secretary: bool = True
    secretary_takes_general_work: bool = False
    overtime_threshold_hours: float = 8.0
    overtime_hours_max_per_day: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class Admission:
    enabled: bool = False
    review_working_days: float = 5.0
    approval_probability: float = 0.2
    pushed_anyway_share: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class ProblemRouting:
    volunteer_kinds: tuple[str, ...] = ("repair", "cleaning", "housekeeping")
    joint_meeting_kinds: tuple[str, ...] = ("parking", "illegal_building", "dispute")
    joint_meeting_share: float = 1.0   # of those kinds (no property service): need a meeting
    managed_estate_share: float = 0.0
    red_property_coverage: float = 0.0
    property_company_days: Dist = field(
        default_factory=lambda: Dist("exponential", MappingProxyType({"mean": 3.0})))
    volunteer_max_wait_days: float = 7.0
    resolution_target_days: float = 7.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class VolunteerWindow:
    weekdays: tuple[int, ...]   # 0 = Monday
    start_hours: float
    end_hours: float


@dataclass(frozen=True, slots=True)
class Volunteers:
    teams: int = 0
    members_per_team: int = 10
    hours_per_member_per_week: float = 2.0
    turnout: float = 0.5
    windows: tuple[VolunteerWindow, ...] = (
        VolunteerWindow((0, 1, 2, 3, 4), 19.0, 21.0),
        VolunteerWindow((5, 6), 9.0, 12.0),
    )
    source: str = ""


@dataclass(frozen=True, slots=True)
class JointMeetings:
    enabled: bool = False
    schedule: Schedule = Schedule(every="month", day=20, time_hours=15.0)
    duration_hours: float = 2.0
    workers_attending: int = 1
    prep_hours: float = 2.0
    problems_per_meeting_max: int = 5
    min_problems: int = 0              # a scheduled meeting is held only with this many waiting
    part_time_members: int = 0
    source: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """A figure the model should reproduce (``[[targets]]``): ``metric`` within
    ``tolerance`` of ``value`` (``relative``: a fraction of ``value``) on ``side``
    ("both": value +- tolerance; "above": value .. value + tolerance, for figures reported
    as "N+" / "N余"; "below": value - tolerance .. value)."""

    metric: str
    value: float
    tolerance: float
    relative: bool = False
    side: Literal["both", "above", "below"] = "both"
    source: str = ""
    reason: str = ""

    @property
    def band(self) -> tuple[float, float]:
        """The accepted interval for the model's mean."""
        tol = abs(self.value) * self.tolerance if self.relative else self.tolerance
        lo = self.value if self.side == "above" else self.value - tol
        hi = self.value if self.side == "below" else self.value + tol
        return lo, hi

    @property
    def tolerance_text(self) -> str:
        return f"{self.tolerance * 100:g}%" if self.relative else f"{self.tolerance:g}"


@dataclass(frozen=True, slots=True)
class Lever:
    name: str
    description: str
    source: str
    set: Mapping[str, Any]
    description_zh: str = ""
    enabled: bool = True

    def __reduce__(self):
        return plain_reduce(self)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A fully resolved scenario. ``tasks`` holds enabled task types only, sorted by id.

    ``resolved`` is the plain-data form after inheritance, levers and overrides (what
    ``--set`` and sweeps modify), canonical and with every default filled in; ``hash`` is
    the content hash of that form (see :mod:`sim.scenario.content`).
    """

    scenario: ScenarioMeta
    calendar: CalendarSpec
    office: Office
    admission: Admission
    tasks: tuple[TaskType, ...]
    problems: ProblemRouting
    volunteers: Volunteers
    joint_meetings: JointMeetings
    levers: tuple[Lever, ...] = ()
    targets: tuple[Target, ...] = ()
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    path: str = ""
    hash: str = ""
    resolved: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # What ``resolved`` was made from, so that overrides can be applied again (a sweep can
    # switch a lever off): the merged data before levers, and the overrides in order.
    base: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.scenario.name

    def __reduce__(self):
        return plain_reduce(self)

    def task(self, task_id: str) -> TaskType:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)
