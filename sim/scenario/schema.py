"""The scenario file schema: every table, key, type, range and default of the format.

This is ``docs/scenario-format.md`` as data. The validator (:mod:`sim.scenario.validate`)
walks it to check and fill in defaults; the path setter (:mod:`sim.scenario.merge`) walks it
to check the dotted paths of levers and ``--set``. Node kinds:

- :class:`Scalar`: one value checked by a function from :mod:`sim.scenario.values`;
- :class:`Table`: a table with known keys (and an optional ``source`` citation note);
- :class:`Records`: an array of tables addressed by ``id`` (``tasks``);
- :class:`Seq`: an array of tables without ids, set whole (``steps``, ``waves``);
- :class:`DistNode` / :class:`ScheduleNode`: a distribution / schedule table;
- :class:`Named`: a table of tables under free names (``levers``);
- :class:`FreeTable`: a table of dotted path -> value (``[sources]``, a lever's ``set``).

The defaults written here are the only ones: the frozen model's dataclasses
(:mod:`sim.scenario.model`) take theirs from this schema (:func:`default`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from sim.categories import CATEGORIES, ORIGINS
from sim.scenario import values as V
from sim.scenario.values import Invalid  # also named here: schema nodes raise it
from sim.scenario.vocabulary import (
    ADMISSION_LISTS,
    ARRIVAL_WHEN,
    CALENDAR_KINDS,
    DISPATCH_RULES,
    DIST_PARAMS,
    ESTATE_TYPES,
    MEETING_HOLD_RULES,
    MEETING_INTERRUPT,
    MEETING_MODES,
    PROBLEM_KINDS,
    ROLES,
)


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


REQUIRED = _Marker("REQUIRED")  # the key must be given
ABSENT = _Marker("ABSENT")      # optional, no default: left out of the resolved data
FILL = _Marker("FILL")          # a table that, when absent, is all defaults

RATE_KEYS: tuple[str, ...] = ("per_hour", "per_day", "per_week", "per_month", "per_year")
RATE_HOURS: dict[str, float] = {
    "per_hour": 1.0, "per_day": 24.0, "per_week": 168.0,
    "per_month": 24.0 * 365.0 / 12.0, "per_year": 24.0 * 365.0,
}
EXCLUSIVE: tuple[frozenset[str], ...] = (frozenset(RATE_KEYS), frozenset({"steps", "effort_hours"}))
"""Keys that exclude each other: writing one (in a child, lever or ``--set``) drops the others."""
DISCRIMINATORS: tuple[str, ...] = ("dist", "every")
"""A table whose discriminator changes is replaced whole instead of merged key by key."""
EVERY: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
SCHEDULE_KEYS: dict[str, tuple[str, ...]] = {
    "day": (), "week": ("weekday",), "month": ("day",), "quarter": ("day",),
    "year": ("day", "month"),
}
SCHEDULE_DEFAULTS: dict[str, Any] = {"weekday": "mon", "day": 1, "month": 1, "time": "09:00",
                                     "count": 1}
"""What a schedule table leaves out (``weekday``, ``day``, ``month`` where its ``every``
uses them)."""
TASK_ID = r"[a-z][a-z0-9_]*"
LEVER_NAME = r"[A-Za-z0-9_][A-Za-z0-9_-]*"


class _Node:
    """Base of schema nodes: plain classes (cheaper to import than dataclasses)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Scalar(_Node):
    __slots__ = ("check", "default")

    def __init__(self, check: V.Checker, default: Any = ABSENT) -> None:
        self.check, self.default = check, default


class Table(_Node):
    __slots__ = ("default", "fields", "post", "source")

    def __init__(self, fields: dict[str, Any], default: Any = FILL,
                 post: Callable[[dict[str, Any], str], None] | None = None,
                 source: bool = True) -> None:
        self.fields, self.default, self.post, self.source = fields, default, post, source


class Records(_Node):
    __slots__ = ("default", "item")

    def __init__(self, item: Table, default: Any = REQUIRED) -> None:
        self.item, self.default = item, default


class Seq(_Node):
    __slots__ = ("default", "item", "min_len")

    def __init__(self, item: Table, default: Any = ABSENT, min_len: int = 0) -> None:
        self.item, self.default, self.min_len = item, default, min_len


class DistNode(_Node):
    """A distribution table; every parameter is at most ``hi`` (in the field's unit)."""

    __slots__ = ("default", "hi")
    keys: tuple[str, ...] = ("dist", *sorted({p for ps in DIST_PARAMS.values() for p in ps}))

    def __init__(self, default: Any = ABSENT, hi: float = 1e6) -> None:
        self.default, self.hi = default, hi


class ScheduleNode(_Node):
    __slots__ = ("default",)
    keys: tuple[str, ...] = ("every", "weekday", "day", "month", "time", "count")

    def __init__(self, default: Any = ABSENT) -> None:
        self.default = default


class Named(_Node):
    __slots__ = ("default", "item")

    def __init__(self, item: Table, default: Any = ()) -> None:
        self.item, self.default = item, default


class FreeTable(_Node):
    __slots__ = ("check", "default")

    def __init__(self, check: V.Checker | None = None, default: Any = ABSENT) -> None:
        self.check, self.default = check, default


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---- cross-key rules ---------------------------------------------------------------------

def _scenario_post(t: dict[str, Any], path: str) -> None:
    if t["warmup_days"] >= t["days"]:
        raise Invalid(join(path, "warmup_days"),
                      f"{t['warmup_days']} is not less than days = {t['days']}",
                      f"an integer >= 0 and < days ({t['days']})")


def _calendar_post(t: dict[str, Any], path: str) -> None:
    both = sorted(set(t["extra_holidays"]) & set(t["extra_working_days"]))
    if both:
        raise Invalid(join(path, "extra_working_days"),
                      f"{both[0].isoformat()} is also in extra_holidays",
                      "dates that are not extra holidays")


def _arrivals_post(t: dict[str, Any], path: str) -> None:
    rates = [k for k in RATE_KEYS if k in t]
    if len(rates) > 1:
        raise Invalid(path, f"gives {len(rates)} rates ({', '.join(rates)})",
                      f"at most one of {', '.join(RATE_KEYS)}")
    if not rates and "schedule" not in t and not t["waves"]:
        raise Invalid(path, "gives no arrivals",
                      f"one of {', '.join(RATE_KEYS)}, and/or schedule, waves")


def _task_post(t: dict[str, Any], path: str) -> None:
    if "steps" in t and "effort_hours" in t:
        raise Invalid(join(path, "steps"), "both steps and effort_hours are given",
                      "steps or effort_hours, not both")
    if "steps" not in t and "effort_hours" not in t:
        raise Invalid(join(path, "effort_hours"), "required key is missing",
                      "a distribution table, or steps")
    if "name" not in t:  # defaults to the id; keep the schema's key order
        rest = dict(t)
        task_id = rest.pop("id")
        t.clear()
        t.update(id=task_id, name=task_id, **rest)


def _volunteers_post(t: dict[str, Any], path: str) -> None:
    """``person_times_per_year`` (capacity as turnouts, sim.engine.routing.turnout_from_person_times)
    must give at most one turnout a member a week."""
    pt = t.get("person_times_per_year")
    members = t["teams"] * t["members_per_team"]
    if pt is not None and members > 0:
        most = members * 365.0 / 7.0
        if pt > most:
            raise Invalid(join(path, "person_times_per_year"),
                          f"{pt:g} is more than one turnout a member a week",
                          f"a number > 0 and <= {most:g} (teams x members_per_team x 365 / 7)")


def _target_post(t: dict[str, Any], path: str) -> None:
    if isinstance(t["tolerance"], str) and t["value"] == 0:
        raise Invalid(join(path, "tolerance"), "a percentage of a value of 0 is no band",
                      "an absolute tolerance (a number) when value = 0")


# ---- limits (docs/scenario-format.md, "Limits") ------------------------------------------
# Upper bounds follow from what the model can mean for one community office; they sit far
# above any real figure (the Bozhou files use at most 10 workers, 13 tasks a day) and keep
# every run's size finite. How much work a whole run may be is capped separately
# (sim.scenario.cost).

MAX_DAYS = 3660                # ten years (with leap days)
MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 100_000     # a scenario's default; the command line caps separately
MAX_WORKERS = 1_000            # people in one office (a Chinese community office has ~5-20)
MAX_RATE_PER_HOUR = 100.0      # arrivals of one task type, the same ceiling in every unit
RATE_MAX: dict[str, float] = {k: MAX_RATE_PER_HOUR * h for k, h in RATE_HOURS.items()}
MAX_EFFORT_HOURS = 2_000.0     # one step of one task: a person-year of work
MAX_COPIES = 100
MAX_COUNT = 100_000            # a wave's mean count
MAX_SCHEDULE_COUNT = 1_000     # tasks arriving at one scheduled instant
MAX_SEASONALITY = 12.0         # a month's multiplier: 12 = the whole year's work in one month
MAX_PRIORITY = 1_000
MAX_TEAMS = 1_000
MAX_TEAM_MEMBERS = 1_000
MAX_MEETING_PROBLEMS = 10_000
MAX_ABS_VALUE = 1e15           # a target's value or tolerance

# ---- the schema ---------------------------------------------------------------------------

_nonneg = V.number(0.0)
_positive = V.number(0.0, lo_open=True)
_days = V.number(0.0, float(MAX_DAYS))
_pos_days = V.number(0.0, float(MAX_DAYS), lo_open=True)

SCENARIO = Table({
    "name": Scalar(V.string(nonempty=True), REQUIRED),
    "name_zh": Scalar(V.string(), ""),
    "description": Scalar(V.string(), ""),
    "days": Scalar(V.integer(1, MAX_DAYS), 365),
    "warmup_days": Scalar(V.integer(0, MAX_DAYS - 1), 0),
    "start_date": Scalar(V.date_value, _dt.date(2019, 1, 1)),
    "calendar": Scalar(V.choice(CALENDAR_KINDS), "weekdays"),
    "seed": Scalar(V.integer(0, MAX_SEED), 1),
    "replications": Scalar(V.integer(1, MAX_REPLICATIONS), 10),
}, post=_scenario_post)

CALENDAR = Table({
    "office_hours": Scalar(V.office_hours, ("08:30-12:00", "14:30-18:00")),
    "extra_holidays": Scalar(V.date_list, ()),
    "extra_working_days": Scalar(V.date_list, ()),
}, post=_calendar_post)

OFFICE = Table({
    "workers": Scalar(V.integer(1, MAX_WORKERS), REQUIRED),
    "dispatch": Scalar(V.choice(DISPATCH_RULES), "fifo"),
    "secretary": Scalar(V.boolean, True),
    "secretary_takes_general_work": Scalar(V.boolean, False),
    "overtime_threshold_hours": Scalar(V.number(0.0, 100_000.0), 8.0),
    "overtime_hours_max_per_day": Scalar(V.number(0.0, 12.0), 0.0),
    "meetings": Scalar(V.choice(MEETING_MODES), "queued"),
    "meeting_interrupt": Scalar(V.choice(MEETING_INTERRUPT), "preempt"),
})

ADMISSION = Table({
    "enabled": Scalar(V.boolean, False),
    "review_working_days": Scalar(_days, 5.0),
    "approval_probability": Scalar(V.probability, 0.2),
    "pushed_anyway_share": Scalar(V.probability, 0.0),
    # where refused work goes (sim.engine.admission): the review's office hours, and the
    # share of refused tasks that come back later as rework or pushed-through work
    "review_hours": Scalar(V.number(0.0, MAX_EFFORT_HOURS), 0.0),
    "review_role": Scalar(V.choice(ROLES), "secretary"),
    "rework_share": Scalar(V.probability, 0.0),
    "rework_delay_working_days": Scalar(_days, 20.0),
})

# days off site a year (sim.engine.absence): leave, training, street-office meetings
MAX_ABSENCE_DAYS = 366.0
ABSENCES = Table({
    "secretary_days_per_year": Scalar(V.number(0.0, MAX_ABSENCE_DAYS), 0.0),
    "secretary_half_days_per_year": Scalar(V.number(0.0, 2 * MAX_ABSENCE_DAYS), 0.0),
    "worker_days_per_year": Scalar(V.number(0.0, MAX_ABSENCE_DAYS), 0.0),
    "worker_half_days_per_year": Scalar(V.number(0.0, 2 * MAX_ABSENCE_DAYS), 0.0),
    "spell_days": Scalar(V.integer(1, 60), 1),
})

SCHEDULE = ScheduleNode()

WAVE = Table({
    "start": Scalar(V.month_day, REQUIRED),
    "days": Scalar(V.integer(1, 366), REQUIRED),
    "count": Scalar(V.number(0.0, MAX_COUNT), REQUIRED),
})

ARRIVALS = Table({
    **{k: Scalar(V.number(0.0, RATE_MAX[k])) for k in RATE_KEYS},
    "when": Scalar(V.choice(ARRIVAL_WHEN), "office_hours"),
    "seasonality": Scalar(V.seasonality_upto(MAX_SEASONALITY), (1.0,) * 12),
    "waves": Seq(WAVE, default=()),
    "schedule": SCHEDULE,
}, default=REQUIRED, post=_arrivals_post)

STEP = Table({
    "role": Scalar(V.choice(ROLES), "worker"),
    "effort_hours": DistNode(REQUIRED, MAX_EFFORT_HOURS),
})

TASK = Table({
    "id": Scalar(V.string(TASK_ID, what="an id matching [a-z][a-z0-9_]*"), REQUIRED),
    "name": Scalar(V.string()),
    "name_zh": Scalar(V.string(), ""),
    "enabled": Scalar(V.boolean, True),
    "category": Scalar(V.choice(CATEGORIES), REQUIRED),
    "origin": Scalar(V.choice(ORIGINS), "office"),
    "admission_list": Scalar(V.choice(ADMISSION_LISTS), "none"),
    "arrivals": ARRIVALS,
    "copies": Scalar(V.integer(1, MAX_COPIES), 1),
    "effort_hours": DistNode(hi=MAX_EFFORT_HOURS),
    "effort_factor": Scalar(V.number(0.0, 100.0, lo_open=True), 1.0),
    "priority": Scalar(V.integer(-MAX_PRIORITY, MAX_PRIORITY), 0),
    "deadline_working_days": Scalar(V.integer(1, MAX_DAYS)),
    "steps": Seq(STEP, min_len=1),
    "problem_kind": Scalar(V.choice(PROBLEM_KINDS), "other"),
}, post=_task_post)

PROBLEMS = Table({
    "volunteer_kinds": Scalar(V.choice_list(PROBLEM_KINDS), ("repair", "cleaning", "housekeeping")),
    "joint_meeting_kinds": Scalar(V.choice_list(PROBLEM_KINDS),
                                  ("parking", "illegal_building", "dispute")),
    "joint_meeting_share": Scalar(V.probability, 1.0),
    "managed_estate_share": Scalar(V.probability, 0.0),
    "red_property_coverage": Scalar(V.probability, 0.0),
    "property_company_days": DistNode({"dist": "exponential", "mean": 3.0}, float(MAX_DAYS)),
    "volunteer_estates": Scalar(V.choice_list(ESTATE_TYPES), ("unmanaged",)),
    "volunteer_max_wait_days": Scalar(_pos_days, 7.0),
    # load-aware hand-back (sim.engine.routing); 0 = off
    "volunteer_handback_queue": Scalar(V.integer(0, 1_000_000), 0),
    "idle_worker_takes_after_days": Scalar(V.number(0.0, float(MAX_DAYS)), 0.0),
    # residents escalate to the 12345 hotline; 0 = never (sim.engine.escalation)
    "escalation_working_days": Scalar(V.integer(0, MAX_DAYS), 0),
    "resolution_target_days": Scalar(_pos_days, 7.0),
    "restricted_mean_days": Scalar(_pos_days, 60.0),
})

VOLUNTEERS = Table({
    "teams": Scalar(V.integer(0, MAX_TEAMS), 0),
    "members_per_team": Scalar(V.integer(1, MAX_TEAM_MEMBERS), 10),
    "hours_per_member_per_week": Scalar(V.number(0.0, 168.0), 2.0),
    "turnout": Scalar(V.probability, 0.5),
    "person_times_per_year": Scalar(V.number(0.0, 1e7, lo_open=True)),
    "windows": Scalar(V.windows, ("mon-fri 19:00-21:00", "sat-sun 09:00-12:00")),
}, post=lambda t, p: _volunteers_post(t, p))

JOINT_MEETINGS = Table({
    "enabled": Scalar(V.boolean, False),
    "schedule": ScheduleNode({"every": "month", "day": 20, "time": "15:00"}),
    "duration_hours": Scalar(V.number(0.0, 24.0, lo_open=True), 2.0),
    "workers_attending": Scalar(V.integer(0, MAX_WORKERS), 1),
    "prep_hours": Scalar(V.number(0.0, MAX_EFFORT_HOURS), 2.0),
    "problems_per_meeting_max": Scalar(V.integer(1, MAX_MEETING_PROBLEMS), 5),
    "min_problems": Scalar(V.integer(0, MAX_MEETING_PROBLEMS), 0),
    "hold_rule": Scalar(V.choice(MEETING_HOLD_RULES), "quorum"),
    "part_time_members": Scalar(V.integer(0, MAX_WORKERS), 0),
})

# requests that wait on a check outside the office before the office works on them
# (sim.engine.outside_checks)
OUTSIDE_CHECKS = Table({
    "categories": Scalar(V.choice_list(CATEGORIES), ("opinion",)),
    "share": Scalar(V.probability, 0.0),
    "working_days": DistNode({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 5.0},
                             float(MAX_DAYS)),
})

TARGET_SIDES: tuple[str, ...] = ("both", "above", "below")
TARGET = Table({
    "metric": Scalar(V.string(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*", what="a metric name, e.g. "
                              "problems_resolved or task.opinion.completed"), REQUIRED),
    "value": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE), REQUIRED),
    "tolerance": Scalar(V.tolerance, REQUIRED),
    "side": Scalar(V.choice(TARGET_SIDES), "both"),
    "source": Scalar(V.string(nonempty=True, what="where the figure comes from"), REQUIRED),
    "reason": Scalar(V.string(nonempty=True, what="why this tolerance"), REQUIRED),
}, source=False, post=lambda t, p: _target_post(t, p))
"""A ``[[targets]]`` entry: a figure to reproduce, with its tolerance and the reason for it."""

RAMP_POINT = Table({
    "date": Scalar(V.date_value, REQUIRED),
    "compliance": Scalar(V.probability, REQUIRED),
}, source=False)

# set, scale and add: at least one (sim.scenario.levers checks it and their paths and values);
# the optional keys have no default, so a lever that does not write them resolves (and
# hashes) as before they existed
LEVER = Table({
    "description": Scalar(V.string(nonempty=True), REQUIRED),
    "description_zh": Scalar(V.string(), ""),
    "source": Scalar(V.string(), REQUIRED),
    "enabled": Scalar(V.boolean, True),
    "set": FreeTable(None),
    "scale": FreeTable(None),
    "add": FreeTable(None),
    "compliance": Scalar(V.probability),
    "from": Scalar(V.date_value),
    "until": Scalar(V.date_value),
    "ramp": Seq(RAMP_POINT, min_len=1),
}, source=False)

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "loguniform", "integer")
APPLIES: tuple[str, ...] = ("all", "this")
UNCERTAINTY = Table({
    "paths": Scalar(V.string_list(r"\S+", what="a dotted path, e.g. problems.volunteer_max_wait_days"),
                    REQUIRED),
    "low": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE), REQUIRED),
    "high": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE), REQUIRED),
    "distribution": Scalar(V.choice(DISTRIBUTIONS), "uniform"),
    "mode": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE)),
    "source": Scalar(V.string(nonempty=True, what="where the range comes from"), REQUIRED),
    "applies": Scalar(V.choice(APPLIES), "all"),
    "value": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE)),
    "description": Scalar(V.string(), ""),
    "description_zh": Scalar(V.string(), ""),
    "nominal": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE)),
}, source=False, post=lambda t, p: _uncertainty_post(t, p))
"""An ``[uncertainties.NAME]`` entry (:mod:`sim.scenario.uncertainty`); ``nominal`` is filled
in by the loader (the scenario's own value), never written in a file."""


def _uncertainty_post(t: dict[str, Any], path: str) -> None:
    from sim.scenario.declaration import check_declaration

    check_declaration(t, path)


ROOT = Table({
    "scenario": SCENARIO,
    "calendar": CALENDAR,
    "office": OFFICE,
    "admission": ADMISSION,
    "tasks": Records(TASK),
    "problems": PROBLEMS,
    "volunteers": VOLUNTEERS,
    "joint_meetings": JOINT_MEETINGS,
    "absences": ABSENCES,
    "outside_checks": OUTSIDE_CHECKS,
    "levers": Named(LEVER),
    "uncertainties": Named(UNCERTAINTY),
    "targets": Seq(TARGET, default=()),
    "sources": FreeTable(V.string(what="a citation string"), ()),
}, source=False)
"""The whole file. ``extends`` is read and removed before this schema applies."""

TOP_KEYS: tuple[str, ...] = ("extends", *ROOT.fields)


def default(table: Table, key: str) -> Any:
    """The default of ``key`` in ``table`` (for the frozen model's dataclass fields)."""
    value = table.fields[key].default
    if isinstance(value, _Marker):
        raise KeyError(f"{key} has no default ({value})")
    return value
