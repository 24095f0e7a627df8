"""Construction of the immutable :class:`~sim.scenario.model.Scenario` from validated data.

Input is the canonical, defaulted plain data of :func:`sim.scenario.validate.validate`, so
no checks happen here, only conversions: time ranges to hours, weekday names to ints
(0 = Monday), rates to ``rate_per_hour``, distributions to :class:`Dist`, a lone
``effort_hours`` to one worker step, mappings to ``MappingProxyType`` and lists to tuples.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sim.scenario import values as V
from sim.scenario.model import (
    WEEKDAYS,
    Absences,
    Admission,
    Arrivals,
    CalendarSpec,
    Dist,
    JointMeetings,
    Lever,
    Office,
    OutsideChecks,
    ProblemRouting,
    Scenario,
    ScenarioMeta,
    Schedule,
    Step,
    Target,
    TaskType,
    Volunteers,
    VolunteerWindow,
    Wave,
)
from sim.scenario.schema import RATE_HOURS, RATE_KEYS, SCHEDULE_DEFAULTS


def target(t: Mapping[str, Any]) -> Target:
    """A :class:`Target` from a validated ``[[targets]]`` entry."""
    tol = t["tolerance"]
    relative = isinstance(tol, str)
    return Target(metric=t["metric"], value=float(t["value"]),
                  tolerance=float(tol[:-1]) / 100.0 if relative else float(tol),
                  relative=relative, side=t["side"], source=t["source"], reason=t["reason"])


def dist(d: Mapping[str, Any]) -> Dist:
    """The :class:`Dist` of a validated distribution table (``{ dist = "...", ... }``)."""
    return Dist(d["dist"], MappingProxyType({k: v for k, v in d.items()
                                             if k not in ("dist", "source")}))


def _schedule(s: Mapping[str, Any]) -> Schedule:
    return Schedule(
        every=s["every"],
        weekday=WEEKDAYS.index(s.get("weekday", SCHEDULE_DEFAULTS["weekday"])),
        day=s.get("day", SCHEDULE_DEFAULTS["day"]),
        month=s.get("month", SCHEDULE_DEFAULTS["month"]),
        time_hours=V.parse_time(s["time"]),
        count=s["count"],
    )


def _arrivals(a: Mapping[str, Any]) -> Arrivals:
    key = next((k for k in RATE_KEYS if k in a), None)
    value = a[key] if key else 0.0
    return Arrivals(
        rate_per_hour=value / RATE_HOURS[key] if key else 0.0,
        rate_key=key,
        rate_value=value,
        when=a["when"],
        seasonality=tuple(a["seasonality"]),
        waves=tuple(Wave(int(w["start"][:2]), int(w["start"][3:]), w["days"], w["count"])
                    for w in a["waves"]),
        schedule=_schedule(a["schedule"]) if "schedule" in a else None,
    )


def _task(t: Mapping[str, Any]) -> TaskType:
    if "steps" in t:
        steps = tuple(Step(s["role"], dist(s["effort_hours"])) for s in t["steps"])
    else:
        steps = (Step("worker", dist(t["effort_hours"])),)
    return TaskType(
        id=t["id"], category=t["category"], arrivals=_arrivals(t["arrivals"]), steps=steps,
        name=t["name"], name_zh=t["name_zh"], enabled=t["enabled"], origin=t["origin"],
        admission_list=t["admission_list"], copies=t["copies"],
        effort_factor=t["effort_factor"], priority=t["priority"],
        deadline_working_days=t.get("deadline_working_days"), problem_kind=t["problem_kind"],
        source=t.get("source", ""),
    )


def _plain(d: Mapping[str, Any], cls: type, **conv: Any) -> Any:
    """``cls(**d)`` for the keys ``cls`` has, with ``conv`` replacing some values."""
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    kwargs = {k: v for k, v in d.items() if k in names}
    kwargs.update(conv)
    return cls(**kwargs)


def _turnout(vol: Mapping[str, Any]) -> float:
    """The volunteers' turnout: as given, or from ``person_times_per_year`` (person-times
    spread evenly over the members and the weeks of a year)."""
    pt = vol.get("person_times_per_year")
    members = vol["teams"] * vol["members_per_team"]
    if pt is None or members == 0:
        return vol["turnout"]
    return min(1.0, pt * 7.0 / 365.0 / members)


def build(resolved: Mapping[str, Any], frozen: Mapping[str, Any], *, path: str, digest: str,
          base: Mapping[str, Any], overrides: tuple[tuple[str, Any], ...]) -> Scenario:
    """The Scenario of validated data ``resolved`` (``frozen`` is its read-only copy)."""
    r = resolved
    cal = r["calendar"]
    pr = r["problems"]
    vol = r["volunteers"]
    jm = r["joint_meetings"]
    return Scenario(
        scenario=_plain(r["scenario"], ScenarioMeta),
        calendar=CalendarSpec(
            office_hours=tuple(V.parse_interval(x) for x in cal["office_hours"]),
            extra_holidays=tuple(cal["extra_holidays"]),
            extra_working_days=tuple(cal["extra_working_days"]),
        ),
        office=_plain(r["office"], Office),
        admission=_plain(r["admission"], Admission),
        tasks=tuple(_task(t) for t in r["tasks"] if t["enabled"]),
        problems=_plain(pr, ProblemRouting,
                        volunteer_kinds=tuple(pr["volunteer_kinds"]),
                        joint_meeting_kinds=tuple(pr["joint_meeting_kinds"]),
                        volunteer_estates=tuple(pr["volunteer_estates"]),
                        property_company_days=dist(pr["property_company_days"])),
        volunteers=_plain(vol, Volunteers, turnout=_turnout(vol),
                          windows=tuple(VolunteerWindow(*V.parse_window(w))
                                        for w in vol["windows"])),
        joint_meetings=_plain(jm, JointMeetings, schedule=_schedule(jm["schedule"])),
        absences=_plain(r["absences"], Absences),
        outside_checks=_plain(r["outside_checks"], OutsideChecks,
                              categories=tuple(r["outside_checks"]["categories"]),
                              working_days=dist(r["outside_checks"]["working_days"])),
        levers=tuple(Lever(name=name, description=lv["description"], source=lv["source"],
                           set=frozen["levers"][name].get("set", MappingProxyType({})),
                           description_zh=lv["description_zh"], enabled=lv["enabled"],
                           scale=frozen["levers"][name].get("scale", MappingProxyType({})),
                           add=frozen["levers"][name].get("add", MappingProxyType({})),
                           compliance=lv.get("compliance", 1.0), start=lv.get("from"),
                           until=lv.get("until"), ramp=frozen["levers"][name].get("ramp", ()))
                     for name, lv in r["levers"].items()),
        targets=tuple(target(t) for t in r["targets"]),
        sources=frozen["sources"],
        path=path,
        hash=digest,
        resolved=frozen,
        base=base,
        overrides=overrides,
    )
