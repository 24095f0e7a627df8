"""Reading city scenario files (``[city]``): check, draw or list the communities, build their
scenarios.

A city file names a community scenario (``city.community``, e.g. ``bozhou_after.toml``)
that describes one typical community of ``communities.reference_households`` households.
Every community of the city starts from it, for the city's period, with:

1. the city-wide overrides of ``[set]`` (and ``--set``), e.g. calibrated inputs;
2. its own size: the arrival rates (and wave counts) of the task types matched by
   ``communities.scale_tasks`` (resident-driven work) times households / reference, its
   workers (given, or the base's workers in proportion to households, at least
   ``min_workers``) and its share of estates with a property company;
3. its volunteer teams: given, or ``communities.volunteer_teams`` shared out one at a time
   to the communities with the most households in estates without property management
   (the "四失" estates red property teams are for), and ``[communities.without_team]``
   overrides for a community that gets none;
4. a listed community's own ``set``.

Communities are listed (``[[communities.list]]``) or drawn (``communities.count`` of them,
households and managed share from the stated distributions, with ``communities.draw_seed``),
so the same file always gives the same city. Every problem is a one-line ``ScenarioError``
naming the city file and the dotted field.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np

from sim.city.model import CalibrationParameter, City, Community
from sim.errors import ScenarioError
from sim.scenario import apply_overrides, load_scenario
from sim.scenario import values as V
from sim.scenario.build import target
from sim.scenario.content import content_hash, freeze
from sim.scenario.files import is_city_data, read_toml
from sim.scenario.levers import relative_paths
from sim.scenario.loader import override_pairs, without_levers
from sim.scenario.merge import copy
from sim.scenario.model import Arrivals, Scenario, TaskType
from sim.scenario.schema import (
    ABSENT,
    MAX_ABS_VALUE,
    MAX_DAYS,
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_TEAMS,
    MAX_WORKERS,
    REQUIRED,
    TARGET,
    DistNode,
    FreeTable,
    Invalid,
    Records,
    Scalar,
    Seq,
    Table,
)
from sim.scenario.validate import check_node

_CITY = Table({
    "name": Scalar(V.string(nonempty=True), REQUIRED),
    "name_zh": Scalar(V.string(), ""),
    "description": Scalar(V.string(), ""),
    "community": Scalar(V.string(nonempty=True, what="a scenario file, relative to this one"),
                        REQUIRED),
    "before": Scalar(V.string(nonempty=True, what="a scenario file, relative to this one")),
    "start_date": Scalar(V.date_value, REQUIRED),
    "days": Scalar(V.integer(1, MAX_DAYS), REQUIRED),
    "seed": Scalar(V.integer(0, MAX_SEED), 1),
    "replications": Scalar(V.integer(1, MAX_REPLICATIONS), 5),
})

MAX_HOUSEHOLDS = 200_000
"""Households of one community (a Chinese urban community has about 1,000-10,000)."""

_LISTED = Table({
    "id": Scalar(V.string(r"[a-z][a-z0-9_]*", what="an id matching [a-z][a-z0-9_]*"), REQUIRED),
    "households": Scalar(V.integer(1, MAX_HOUSEHOLDS), REQUIRED),
    "managed_estate_share": Scalar(V.probability),
    "workers": Scalar(V.integer(1, MAX_WORKERS)),
    "volunteer_teams": Scalar(V.integer(0, MAX_TEAMS)),
    "set": FreeTable(None, {}),
})


def _communities_post(t: dict[str, Any], path: str) -> None:
    listed = "list" in t
    if listed == ("count" in t):
        raise Invalid(path + ".count" if not listed else path + ".list",
                      "give either count (drawn communities) or [[communities.list]], not both"
                      if listed else "no communities: give count or [[communities.list]]",
                      "count with households (and managed_estate_share) distributions, or a list")
    if not listed and "households" not in t:
        raise Invalid(path + ".households", "required key is missing when count is given",
                      'a distribution table, e.g. { dist = "triangular", low = 1000, '
                      'mode = 1800, high = 4500 }')


_COMMUNITIES = Table({
    "count": Scalar(V.integer(1, 5000)),
    "draw_seed": Scalar(V.integer(0, MAX_SEED), 0),
    "households": DistNode(hi=MAX_HOUSEHOLDS),
    "managed_estate_share": DistNode(hi=1.0),
    "reference_households": Scalar(V.integer(1, MAX_HOUSEHOLDS), REQUIRED),
    "scale_tasks": Scalar(lambda v: _pattern_list(v), ()),
    "min_workers": Scalar(V.integer(1, MAX_WORKERS), 1),
    "volunteer_teams": Scalar(V.integer(0, 5000 * MAX_TEAMS)),
    "without_team": FreeTable(None, {}),
    "list": Records(_LISTED, default=ABSENT),
}, default=REQUIRED, post=_communities_post)


_PATTERN = V.string(r"[a-z0-9_*?\[\]]+", what="a task id or pattern")


def _pattern_list(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list | tuple):
        raise V.Bad(f"expected an array of task ids or patterns, got {V.describe(v)}",
                    'e.g. ["problem_*", "certificate"]')
    return tuple(_PATTERN(x) for x in v)

_CALIBRATE = Table({
    "key": Scalar(V.string(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+", what="a dotted scenario key"),
                  REQUIRED),
    "low": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE), REQUIRED),
    "high": Scalar(V.number(-MAX_ABS_VALUE, MAX_ABS_VALUE), REQUIRED),
    "integer": Scalar(V.boolean, False),
    "source": Scalar(V.string(nonempty=True, what="why this range"), REQUIRED),
}, source=False, post=lambda t, p: _range_post(t, p))


def _range_post(t: dict[str, Any], path: str) -> None:
    if not t["low"] < t["high"]:
        raise Invalid(path + ".high", f"{t['high']:g} is not above low = {t['low']:g}",
                      "a number greater than low")


CITY_ROOT = Table({
    "city": Table(_CITY.fields, default=REQUIRED),
    "communities": _COMMUNITIES,
    "set": FreeTable(None, {}),
    "calibrate": Seq(_CALIBRATE, default=()),
    "targets": Seq(TARGET, default=()),
    "sources": FreeTable(V.string(what="a citation string"), ()),
}, source=False)
"""The schema of a city file (``docs/city.md``)."""

_CITY_KEYS = ("city", "communities")  # top-level keys that make a file a city file
_CITY_OVERRIDES = ("city.", "communities.")


def load_city(path: str | os.PathLike[str], overrides: Any = None) -> City:
    """Read, check and build the city in ``path``. ``overrides`` (``--set`` style) whose key
    starts with ``city.`` or ``communities.`` change the city file; any other key is a
    community scenario key applied to every community after the file's ``[set]``."""
    file = os.fspath(path)
    data = read_toml(file)
    if not is_city_data(data):
        raise ScenarioError("not a city scenario: it has no [city] table", file=file,
                            field="city", allowed="a city file (docs/city.md)")
    return _make(data, file, overrides, None, None)


def city_from_data(data: Mapping[str, Any], community: Scenario, before: Scenario | None = None,
                   overrides: Any = None, path: str = "<memory>") -> City:
    """The city of already parsed city data (a ``[city]`` file's tables) whose community
    scenario (and ``before`` scenario) are held in memory: no file is read. ``city.community``
    and ``city.before`` of the data only name them."""
    if not is_city_data(data):
        raise ScenarioError("not a city scenario: it has no [city] table", file=path,
                            field="city", allowed="a city file (docs/city.md)")
    return _make(copy(data), path, overrides, community, before)


def vary(city: City, overrides: Any) -> City:
    """``city`` with more ``overrides`` (after its own), made again in memory from what it
    was made from (``City.source`` and its scenarios): what a calibration or a study of
    many variants of one city does, without reading any file again."""
    if city.community_scenario is None:
        raise ValueError("this City does not hold what it was made from; make it with "
                         "load_city or city_from_data")
    pairs = override_pairs(overrides)
    for key, _ in pairs:
        if key in ("city.community", "city.before"):
            raise ScenarioError("cannot change the community or before scenario of a city "
                                "held in memory", file=city.path, field=key,
                                allowed="load the city again from its file")
    return _make(copy(city.source), city.path, (*city.overrides, *pairs),
                 city.community_scenario, city.before_scenario)


def _make(data: dict[str, Any], file: str, overrides: Any, community: Scenario | None,
          before: Scenario | None) -> City:
    source = freeze(data)   # (a new structure: data is changed by the city overrides below)
    pairs = override_pairs(overrides)
    community_sets: list[tuple[str, Any]] = []
    for key, value in pairs:
        if key.startswith(_CITY_OVERRIDES):
            _set_city(data, key, value, file)
        else:
            community_sets.append((key, value))
    try:
        resolved = check_node(CITY_ROOT, data, "")
    except Invalid as exc:
        raise ScenarioError(exc.message, file=file, field=exc.path, allowed=exc.allowed) from None
    city = _build(resolved, file, tuple(community_sets), community, before)
    return replace(city, overrides=pairs, source=source)


def _set_city(data: dict[str, Any], key: str, value: Any, file: str) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        nxt = node.get(p)
        if nxt is None:
            nxt = node[p] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(f"cannot set {key}: {p} is not a table (in --set)", file=file,
                                field=key)
        node = nxt
    node[parts[-1]] = value


def _rel(file: str, name: str) -> str:
    base = os.path.dirname(file)
    return os.path.normpath(os.path.join(base, name))


def _community_error(exc: ScenarioError, city_file: str, where: str) -> ScenarioError:
    field = exc.field or ""
    if field.endswith(" (in --set)"):
        field = field[: -len(" (in --set)")]
    detail = exc.detail.replace(" (in --set)", "")
    return ScenarioError(detail, file=city_file, field=f"{where}.{field}" if where else field,
                         allowed=exc.allowed)


def _build(r: dict[str, Any], file: str, extra_sets: tuple[tuple[str, Any], ...],
           community: Scenario | None, before_source: Scenario | None) -> City:
    """The city of checked data ``r``; ``community`` / ``before_source``: the scenarios as
    loaded, or None to load them from the files the data names (relative to ``file``)."""
    c = r["city"]
    com = r["communities"]
    period = {"scenario.start_date": c["start_date"], "scenario.days": c["days"],
              "scenario.warmup_days": 0, "scenario.seed": c["seed"]}
    if community is None:
        community_path = _rel(file, c["community"])
        if not os.path.isfile(community_path):
            raise ScenarioError(f"community scenario {c['community']!r} not found", file=file,
                                field="city.community",
                                allowed="a scenario file, relative to this one")
        community = load_scenario(community_path)
    community_path = community.path
    base = apply_overrides(community, period)
    groups = [("set", list(r["set"].items())), ("--set", list(extra_sets)),
              ("communities.without_team", list(com["without_team"].items()))]
    groups += [(f"communities.list.{x['id']}.set", list(x["set"].items()))
               for x in com.get("list", ())]
    groups += [(f"calibrate[{i}].key", [(p["key"], None)]) for i, p in enumerate(r["calibrate"])]
    for where, pairs in groups:
        for key, _ in pairs:
            _check_city_owned(key, where, file, listed=where.startswith("communities.list"))
    try:
        base = apply_overrides(base, list(r["set"].items()))
    except ScenarioError as exc:
        raise _community_error(exc, file, "set") from None
    if extra_sets:
        try:
            base = apply_overrides(base, list(extra_sets))
        except ScenarioError as exc:
            raise ScenarioError(exc.detail.replace(" (in --set)", "") + " (in --set)", file=file,
                                field=exc.field, allowed=exc.allowed) from None
    scaled = _scaled_tasks(base, com["scale_tasks"], file)
    rows = _community_rows(com, base, file)
    _share_teams(rows, com.get("volunteer_teams"), base.volunteers.teams)
    communities = []
    for row in rows:
        communities.append(_community(row, base, scaled, com, file))
    if "before" in c and before_source is None:
        before_path = _rel(file, c["before"])
        if not os.path.isfile(before_path):
            raise ScenarioError(f"before scenario {c['before']!r} not found", file=file,
                                field="city.before", allowed="a scenario file, relative to this one")
        before_source = load_scenario(before_path)
    before_path = before_source.path if before_source is not None else ""
    # the before scenario as written (with the city's period): what items_cancelled.* compare with
    before = apply_overrides(before_source, period) if before_source is not None else None
    targets = tuple(target(t) for t in r["targets"])
    calibrate = tuple(CalibrationParameter(p["key"], p["low"], p["high"], p["integer"], p["source"])
                      for p in r["calibrate"])
    for i, p in enumerate(calibrate):
        for end, value in (("key", p.low), ("high", p.high)):
            try:
                apply_overrides(base, [(p.key, round(value) if p.integer else value)])
            except ScenarioError as exc:
                detail = exc.detail.replace(" (in --set)", "").replace(" (set by --set)", "")
                raise ScenarioError(f"{p.key}: {detail}" if end == "high" else detail, file=file,
                                    field=f"calibrate[{i}].{end}", allowed=exc.allowed) from None
    city = City(
        name=c["name"], name_zh=c["name_zh"], description=c["description"], path=file,
        start_date=c["start_date"], days=c["days"], seed=c["seed"],
        replications=c["replications"], communities=tuple(communities), base=base,
        community_path=community_path, before_path=before_path, targets=targets,
        calibrate=calibrate, resolved=freeze(r), community_scenario=community,
        before_scenario=before_source,
        hash=content_hash({"city": r, "base": base.hash, "before": before.hash if before else "",
                           "set": [list(p) for p in extra_sets]}),
    )
    inputs = city_inputs(city, before)
    return replace(city, inputs=MappingProxyType(inputs))


_CITY_OWNED = {
    "volunteers.teams": "communities.volunteer_teams (or volunteer_teams of a listed community)",
    "problems.managed_estate_share": "communities.managed_estate_share (or that of a listed "
                                     "community)",
}


def _check_city_owned(key: str, where: str, file: str, listed: bool) -> None:
    """Keys the city sets per community may not be set around it (they would do nothing)."""
    field = key if where == "--set" else (where if where.startswith("calibrate[") else f"{where}.{key}")
    if key.split(".")[0] == "scenario":
        raise ScenarioError("the period, warm-up and seed belong to the city", file=file,
                            field=field, allowed="city.start_date, city.days, city.seed (a city "
                                                 "has no warm-up: every community starts empty)")
    if key in _CITY_OWNED and not listed:
        raise ScenarioError("is set per community by the city, so setting it here would do "
                            "nothing", file=file, field=field, allowed=_CITY_OWNED[key])


def _scaled_tasks(base: Scenario, patterns: Sequence[str], file: str) -> tuple[TaskType, ...]:
    out = []
    for i, pat in enumerate(patterns):
        hits = [t for t in base.tasks if fnmatch.fnmatchcase(t.id, pat)]
        if not hits:
            raise ScenarioError(f"{pat!r} matches no task of the community scenario",
                                file=file, field=f"communities.scale_tasks[{i}]",
                                allowed=", ".join(t.id for t in base.tasks))
        for t in hits:
            if t.arrivals.schedule is not None:
                raise ScenarioError(f"task {t.id!r} arrives on a fixed schedule and cannot be "
                                    "scaled with households", file=file,
                                    field=f"communities.scale_tasks[{i}]",
                                    allowed="task types with a rate and/or waves")
            if t not in out:
                out.append(t)
    # a rate a lever changes relatively is scaled at its baseline (the lever then acts on
    # the community's own baseline, sim.scenario.levers); other rates as resolved
    moved = relative_paths(base)
    if any(p.startswith(f"tasks.{t.id}.arrivals") for p in moved for t in out):
        plain = {t.id: t for t in without_levers(base).tasks}
        out = [plain.get(t.id, t) if any(p.startswith(f"tasks.{t.id}.arrivals") for p in moved)
               else t for t in out]
    return tuple(out)


def _draw(dist: Mapping[str, Any], rng: np.random.Generator, n: int) -> np.ndarray:
    from sim.distributions import sample
    from sim.scenario.build import dist as build_dist

    return sample(build_dist(dist), rng, n)


def _community_rows(com: dict[str, Any], base: Scenario, file: str) -> list[dict[str, Any]]:
    default_share = base.problems.managed_estate_share
    if "list" in com:
        return [{"id": x["id"], "households": x["households"],
                 "managed_estate_share": x.get("managed_estate_share", default_share),
                 "workers": x.get("workers"), "volunteer_teams": x.get("volunteer_teams"),
                 "set": dict(x["set"]), "where": f"communities.list.{x['id']}.set"}
                for x in com["list"]]
    n = com["count"]
    # one stream per drawn quantity: the first k communities are the same whatever the count
    seed = com["draw_seed"]
    hh = np.maximum(1, np.rint(_draw(com["households"], np.random.default_rng([seed, 0]), n))).astype(int)
    if "managed_estate_share" in com:
        share = np.clip(_draw(com["managed_estate_share"], np.random.default_rng([seed, 1]), n), 0.0, 1.0)
    else:
        share = np.full(n, default_share)
    # ids (and so seeds) do not depend on the count: c01 .. c99, c100, ...
    return [{"id": f"c{k + 1:02d}", "households": int(hh[k]),
             "managed_estate_share": round(float(share[k]), 4), "workers": None,
             "volunteer_teams": None, "set": {}, "where": ""} for k in range(n)]


def _share_teams(rows: list[dict[str, Any]], total: int | None, default: int) -> None:
    """Give ``total`` teams, one at a time, to the communities (without a given number) with
    the most households in estates without property management; ties by id. Without a
    total, every such community keeps the community scenario's ``default`` teams."""
    free = [row for row in rows if row["volunteer_teams"] is None]
    for row in free:
        row["volunteer_teams"] = default if total is None else 0
    if not total or not free:
        return
    order = sorted(free, key=lambda row: (-row["households"] * (1.0 - row["managed_estate_share"]),
                                          row["id"]))
    for k in range(total):
        order[k % len(order)]["volunteer_teams"] += 1


def _community(row: dict[str, Any], base: Scenario, scaled: tuple[TaskType, ...],
               com: dict[str, Any], file: str) -> Community:
    f = row["households"] / com["reference_households"]
    workers = row["workers"]
    if workers is None:
        workers = max(com["min_workers"], math.floor(base.office.workers * f + 0.5))
    teams = row["volunteer_teams"]
    pairs: list[tuple[str, Any]] = [("office.workers", workers),
                                    ("problems.managed_estate_share", row["managed_estate_share"]),
                                    ("volunteers.teams", teams)]
    for t in scaled:
        pairs.extend(_scale_pairs(t, f))
    where = "communities.scale_tasks"
    if teams == 0 and com["without_team"]:
        pairs.extend(com["without_team"].items())
    try:
        sc = apply_overrides(base, pairs)
        if row["set"]:
            where = row["where"]
            sc = apply_overrides(sc, list(row["set"].items()))
    except ScenarioError as exc:
        if where == "communities.scale_tasks" and teams == 0 and com["without_team"]:
            where = "communities.without_team"
        raise _community_error(exc, file, where) from None
    # a listed community's own set may change them: the scenario's values are the truth
    return Community(id=row["id"], households=row["households"], workers=sc.office.workers,
                     managed_estate_share=sc.problems.managed_estate_share,
                     volunteer_teams=sc.volunteers.teams, scale=f, scenario=sc)


def _scale_pairs(t: TaskType, f: float) -> list[tuple[str, Any]]:
    a = t.arrivals
    out: list[tuple[str, Any]] = []
    if a.rate_key:
        out.append((f"tasks.{t.id}.arrivals.{a.rate_key}", a.rate_value * f))
    if a.waves:
        out.append((f"tasks.{t.id}.arrivals.waves",
                    [{"start": f"{w.start_month:02d}-{w.start_day:02d}", "days": w.days,
                      "count": w.count * f} for w in a.waves]))
    return out


# --------------------------------------------------------------------------- city inputs
_SCHEDULE_PER_YEAR = {"day": 365.0, "week": 365.0 / 7.0, "month": 12.0, "quarter": 4.0, "year": 1.0}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def expected_per_year(a: Arrivals) -> float:
    """Mean arrivals a (non-leap) year of an arrival pattern: rate x seasonality, waves and
    schedule."""
    n = sum(a.rate_per_hour * 24.0 * d * m for d, m in zip(_MONTH_DAYS, a.seasonality, strict=True))
    n += sum(w.count for w in a.waves)
    if a.schedule is not None:
        n += _SCHEDULE_PER_YEAR[a.schedule.every] * a.schedule.count
    return n


def city_inputs(city: City, before: Scenario | None) -> dict[str, float]:
    """The city's figures that follow from its inputs (see :class:`City`)."""
    cs = city.communities
    out = {
        "communities": float(len(cs)),
        "households": float(sum(c.households for c in cs)),
        "workers": float(sum(c.workers for c in cs)),
        "volunteer_teams": float(sum(c.volunteer_teams for c in cs)),
        "volunteer_members": float(sum(c.volunteer_teams * c.scenario.volunteers.members_per_team
                                       for c in cs)),
        "part_time_members": float(sum(c.scenario.joint_meetings.part_time_members
                                       for c in cs if c.scenario.joint_meetings.enabled)),
    }
    if before is not None:
        now = {t.id: expected_per_year(t.arrivals) for t in city.base.tasks}
        for t in before.tasks:
            # per community a year: a city-wide item cancelled is one fewer a community
            cut = round(expected_per_year(t.arrivals) - now.get(t.id, 0.0), 6)
            if cut > 0:
                out[f"items_cancelled.{t.id}"] = cut
    return out

