"""Immutable, typed objects for a fully resolved scenario.

These frozen dataclasses are what the engine reads. They are built by
:mod:`sim.scenario.loader` from TOML after inheritance, levers and overrides, and after
validation, so every value here is already known to be well-formed. Field names are the
TOML key names (see ``docs/scenario-format.md``). Their defaults are not written here:
they are the schema's (:mod:`sim.scenario.schema`, read with :func:`_d`), converted where
the model holds another form (office hours and volunteer windows as hours, distributions
and schedules as objects); the closed word lists are :mod:`sim.scenario.vocabulary`'s.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

# the category list lives in sim.categories; re-exported for the modules that read it here
from sim.categories import ADMIN_CATEGORIES as ADMIN_CATEGORIES
from sim.categories import CATEGORIES as CATEGORIES
from sim.categories import ORIGINS as ORIGINS
from sim.categories import SERVICE_CATEGORIES as SERVICE_CATEGORIES
from sim.scenario import schema as S
from sim.scenario import values as V

# the format's word lists live in sim.scenario.vocabulary; re-exported for their readers
from sim.scenario.vocabulary import ADMISSION_LISTS as ADMISSION_LISTS
from sim.scenario.vocabulary import DIST_PARAMS as DIST_PARAMS
from sim.scenario.vocabulary import PROBLEM_KINDS as PROBLEM_KINDS
from sim.scenario.vocabulary import ROLES as ROLES
from sim.scenario.vocabulary import WEEKDAYS as WEEKDAYS

_d = S.default



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


def _dist(table: Mapping[str, Any]) -> Dist:
    """The :class:`Dist` of a distribution table (a schema default)."""
    return Dist(table["dist"], MappingProxyType({k: v for k, v in table.items() if k != "dist"}))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Fixed-date arrivals: ``every`` day/week/month/quarter/year at ``time`` (hours of day)."""

    every: str                # one of schema.EVERY
    # 0 = Monday (for every = "week")
    weekday: int = WEEKDAYS.index(S.SCHEDULE_DEFAULTS["weekday"])
    day: int = S.SCHEDULE_DEFAULTS["day"]            # day of month (month, quarter, year)
    month: int = S.SCHEDULE_DEFAULTS["month"]        # 1..12 (year)
    time_hours: float = V.parse_time(S.SCHEDULE_DEFAULTS["time"])   # "09:00" -> 9.0
    count: int = S.SCHEDULE_DEFAULTS["count"]


def _schedule(table: Mapping[str, Any]) -> Schedule:
    """The :class:`Schedule` of a schedule table (a schema default)."""
    t = {**S.SCHEDULE_DEFAULTS, **table}
    return Schedule(every=t["every"], weekday=WEEKDAYS.index(t["weekday"]), day=t["day"],
                    month=t["month"], time_hours=V.parse_time(t["time"]), count=t["count"])


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
    when: str = _d(S.ARRIVALS, "when")                 # one of vocabulary.ARRIVAL_WHEN
    seasonality: tuple[float, ...] = _d(S.ARRIVALS, "seasonality")
    waves: tuple[Wave, ...] = ()
    schedule: Schedule | None = None


@dataclass(frozen=True, slots=True)
class Step:
    role: str                 # one of vocabulary.ROLES
    effort_hours: Dist


@dataclass(frozen=True, slots=True)
class TaskType:
    id: str
    category: str
    arrivals: Arrivals
    steps: tuple[Step, ...]
    name: str = ""
    name_zh: str = _d(S.TASK, "name_zh")
    enabled: bool = _d(S.TASK, "enabled")
    origin: str = _d(S.TASK, "origin")                    # one of categories.ORIGINS
    admission_list: str = _d(S.TASK, "admission_list")    # one of vocabulary.ADMISSION_LISTS
    copies: int = _d(S.TASK, "copies")
    effort_factor: float = _d(S.TASK, "effort_factor")
    priority: int = _d(S.TASK, "priority")
    deadline_working_days: int | None = None
    problem_kind: str = _d(S.TASK, "problem_kind")
    source: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioMeta:
    name: str
    name_zh: str = _d(S.SCENARIO, "name_zh")
    description: str = _d(S.SCENARIO, "description")
    days: int = _d(S.SCENARIO, "days")
    warmup_days: int = _d(S.SCENARIO, "warmup_days")
    start_date: _dt.date = _d(S.SCENARIO, "start_date")  # noqa: RUF009 (a date is immutable)
    calendar: str = _d(S.SCENARIO, "calendar")    # one of vocabulary.CALENDAR_KINDS
    seed: int = _d(S.SCENARIO, "seed")
    replications: int = _d(S.SCENARIO, "replications")
    source: str = ""


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    # (start_hour, end_hour) pairs within a day, e.g. ((8.5, 12.0), (14.5, 18.0))
    office_hours: tuple[tuple[float, float], ...] = tuple(
        V.parse_interval(x) for x in _d(S.CALENDAR, "office_hours"))
    extra_holidays: tuple[_dt.date, ...] = _d(S.CALENDAR, "extra_holidays")
    extra_working_days: tuple[_dt.date, ...] = _d(S.CALENDAR, "extra_working_days")


@dataclass(frozen=True, slots=True)
class Office:
    workers: int
    dispatch: str = _d(S.OFFICE, "dispatch")      # one of vocabulary.DISPATCH_RULES
    secretary: bool = _d(S.OFFICE, "secretary")
    secretary_takes_general_work: bool = _d(S.OFFICE, "secretary_takes_general_work")
    overtime_threshold_hours: float = _d(S.OFFICE, "overtime_threshold_hours")
    overtime_hours_max_per_day: float = _d(S.OFFICE, "overtime_hours_max_per_day")
    meetings: str = _d(S.OFFICE, "meetings")                     # vocabulary.MEETING_MODES
    meeting_interrupt: str = _d(S.OFFICE, "meeting_interrupt")   # vocabulary.MEETING_INTERRUPT
    source: str = ""


@dataclass(frozen=True, slots=True)
class Admission:
    enabled: bool = _d(S.ADMISSION, "enabled")
    review_working_days: float = _d(S.ADMISSION, "review_working_days")
    approval_probability: float = _d(S.ADMISSION, "approval_probability")
    pushed_anyway_share: float = _d(S.ADMISSION, "pushed_anyway_share")
    review_hours: float = _d(S.ADMISSION, "review_hours")
    review_role: str = _d(S.ADMISSION, "review_role")       # one of vocabulary.ROLES
    rework_share: float = _d(S.ADMISSION, "rework_share")
    rework_delay_working_days: float = _d(S.ADMISSION, "rework_delay_working_days")
    source: str = ""


@dataclass(frozen=True, slots=True)
class Absences:
    """Days a year each person of the office is away (leave, training, off-site meetings)."""

    secretary_days_per_year: float = _d(S.ABSENCES, "secretary_days_per_year")
    secretary_half_days_per_year: float = _d(S.ABSENCES, "secretary_half_days_per_year")
    worker_days_per_year: float = _d(S.ABSENCES, "worker_days_per_year")
    worker_half_days_per_year: float = _d(S.ABSENCES, "worker_half_days_per_year")
    spell_days: int = _d(S.ABSENCES, "spell_days")
    source: str = ""


@dataclass(frozen=True, slots=True)
class OutsideChecks:
    """Requests of ``categories`` that wait on a check outside the office (``share`` of them,
    ``working_days`` each) before the office works on them."""

    categories: tuple[str, ...] = _d(S.OUTSIDE_CHECKS, "categories")
    share: float = _d(S.OUTSIDE_CHECKS, "share")
    working_days: Dist = field(default_factory=lambda: _dist(_d(S.OUTSIDE_CHECKS, "working_days")))
    source: str = ""

    def __reduce__(self):
        return plain_reduce(self)


@dataclass(frozen=True, slots=True)
class ProblemRouting:
    volunteer_kinds: tuple[str, ...] = _d(S.PROBLEMS, "volunteer_kinds")
    joint_meeting_kinds: tuple[str, ...] = _d(S.PROBLEMS, "joint_meeting_kinds")
    # of those kinds (no property service): the share that needs a meeting
    joint_meeting_share: float = _d(S.PROBLEMS, "joint_meeting_share")
    managed_estate_share: float = _d(S.PROBLEMS, "managed_estate_share")
    red_property_coverage: float = _d(S.PROBLEMS, "red_property_coverage")
    property_company_days: Dist = field(
        default_factory=lambda: _dist(_d(S.PROBLEMS, "property_company_days")))
    volunteer_estates: tuple[str, ...] = _d(S.PROBLEMS, "volunteer_estates")
    volunteer_max_wait_days: float = _d(S.PROBLEMS, "volunteer_max_wait_days")
    volunteer_handback_queue: int = _d(S.PROBLEMS, "volunteer_handback_queue")
    idle_worker_takes_after_days: float = _d(S.PROBLEMS, "idle_worker_takes_after_days")
    escalation_working_days: int = _d(S.PROBLEMS, "escalation_working_days")
    resolution_target_days: float = _d(S.PROBLEMS, "resolution_target_days")
    restricted_mean_days: float = _d(S.PROBLEMS, "restricted_mean_days")
    source: str = ""


@dataclass(frozen=True, slots=True)
class VolunteerWindow:
    weekdays: tuple[int, ...]   # 0 = Monday
    start_hours: float
    end_hours: float


@dataclass(frozen=True, slots=True)
class Volunteers:
    teams: int = _d(S.VOLUNTEERS, "teams")
    members_per_team: int = _d(S.VOLUNTEERS, "members_per_team")
    hours_per_member_per_week: float = _d(S.VOLUNTEERS, "hours_per_member_per_week")
    turnout: float = _d(S.VOLUNTEERS, "turnout")
    # capacity given as person-times (turnouts) a year instead of a turnout share; when
    # given, build() derives turnout from it (sim.engine.routing.turnout_from_person_times)
    person_times_per_year: float | None = None
    windows: tuple[VolunteerWindow, ...] = tuple(
        VolunteerWindow(*V.parse_window(w)) for w in _d(S.VOLUNTEERS, "windows"))
    source: str = ""


@dataclass(frozen=True, slots=True)
class JointMeetings:
    enabled: bool = _d(S.JOINT_MEETINGS, "enabled")
    schedule: Schedule = _schedule(_d(S.JOINT_MEETINGS, "schedule"))  # noqa: RUF009 (frozen)
    duration_hours: float = _d(S.JOINT_MEETINGS, "duration_hours")
    workers_attending: int = _d(S.JOINT_MEETINGS, "workers_attending")
    prep_hours: float = _d(S.JOINT_MEETINGS, "prep_hours")
    problems_per_meeting_max: int = _d(S.JOINT_MEETINGS, "problems_per_meeting_max")
    # a scheduled meeting is held only with this many waiting
    min_problems: int = _d(S.JOINT_MEETINGS, "min_problems")
    # "quorum": min_problems; "scaled": scaled to the expected problems per slot
    hold_rule: str = _d(S.JOINT_MEETINGS, "hold_rule")
    part_time_members: int = _d(S.JOINT_MEETINGS, "part_time_members")
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
    side: str = _d(S.TARGET, "side")        # one of schema.TARGET_SIDES
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
    description_zh: str = _d(S.LEVER, "description_zh")
    enabled: bool = _d(S.LEVER, "enabled")
    # relative, partial and dated forms (sim.scenario.levers; absent keys: these defaults)
    scale: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    add: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    compliance: float = 1.0
    start: _dt.date | None = None   # `from`
    until: _dt.date | None = None
    ramp: tuple[Mapping[str, Any], ...] = ()

    def __reduce__(self):
        return plain_reduce(self)


@dataclass(frozen=True, slots=True)
class Epoch:
    """From ``start_day`` (``start_date``) on, until the next epoch, the run follows
    ``scenario`` (the same office; rates, efforts, admission and routing may differ);
    ``compliance`` is each lever's strength in it (0: not in force)."""

    start_day: int
    start_date: _dt.date
    scenario: Scenario
    compliance: Mapping[str, float]

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
    absences: Absences = field(default_factory=Absences)
    outside_checks: OutsideChecks = field(default_factory=OutsideChecks)
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
    # Dated levers (sim.scenario.levers): this scenario is the state of day 0; each later
    # epoch is the scenario from its first day on (empty: the same all run).
    epochs: tuple[Epoch, ...] = ()

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
