"""A planner's case: a scenario file, the inputs a street-office planner knows, and the levers.

The planner's app (:mod:`sim.app`) is a thin client of this module and of
:mod:`sim.experiment.live`. A :class:`Case` names a scenario file, the values of the planner
inputs (:data:`INPUTS`: households, workers, the secretary's extra duties, the share of estates
with a property company, volunteer teams and turnout, the departments' unlisted work, the
period), which levers are on, and lever settings a lever table carries (``compliance``,
``from`` once levers have them). :func:`case_data` writes all of it into the scenario's
merged data, *before* levers are applied, the way a scenario file would, so:

* the baseline is that data with every lever off, the reform the same data with the chosen
  levers on (:func:`scenarios`), paired by replication as ``sim compare`` does;
* :func:`toml_text` writes it as one self-contained TOML file whose first lines give the
  ``sim compare`` command that re-runs the same comparison to the same numbers.

Where a lever sets the field an input names (the red property lever creates the volunteer
teams), the input edits the lever's value: what the community gets with the reform.
``households`` scales the resident-driven work (:data:`SCALE_TASKS`, base and lever values)
from the reference community of :data:`REFERENCE_HOUSEHOLDS`, as a city scenario resizes its
communities (``scenarios/bozhou_city.toml``). Every problem is a one-line
:class:`~sim.errors.ScenarioError` naming the input's field.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.content import lookup
from sim.scenario.merge import copy, set_path
from sim.scenario.model import Scenario
from sim.scenario.values import Bad

__all__ = ["INPUTS", "REFERENCE_HOUSEHOLDS", "SCALE_TASKS", "Case", "PlannerInput",
           "case_data", "compare_command", "folder_files", "held_uncertainties", "input_values",
           "lever_info",
           "read_case_base", "scenarios", "toml_text"]

REFERENCE_HOUSEHOLDS = 3000
"""Households of the typical community the Bozhou scenarios describe (bozhou_city.toml)."""
SCALE_TASKS = ("problem_*", "core_walk_in", "core_home_visits", "certificate",
               "assist_social_assistance", "assist_social_security", "assist_population")
"""Work that grows with the number of residents (bozhou_city.toml ``scale_tasks``)."""
MAX_DAYS = 731
_RATE_KEYS = ("per_year", "per_month", "per_week", "per_day")


@dataclass(frozen=True)
class PlannerInput:
    """One input: its ``name`` (text key ``app.input.NAME``), the scenario ``path`` it sets
    (None: ``households``, a scaling), ``kind`` ("int", "float", "bool") and its bounds."""

    name: str
    path: str | None
    kind: str
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0


INPUTS: tuple[PlannerInput, ...] = (
    PlannerInput("households", None, "int", 300, 20000, 100),
    PlannerInput("workers", "office.workers", "int", 1, 40, 1),
    PlannerInput("secretary_extra", "office.secretary_takes_general_work", "bool"),
    PlannerInput("managed_share", "problems.managed_estate_share", "float", 0.0, 1.0, 0.05),
    PlannerInput("volunteer_teams", "volunteers.teams", "int", 0, 10, 1),
    PlannerInput("volunteer_turnout", "volunteers.turnout", "float", 0.05, 1.0, 0.01),
    PlannerInput("unlisted_adhoc", "tasks.unlisted_adhoc.arrivals.per_week", "float", 0.0, 20.0, 0.5),
    PlannerInput("unlisted_campaign", "tasks.unlisted_campaign.arrivals.per_year", "float", 0.0, 60.0, 1.0),
    PlannerInput("days", "scenario.days", "int", 30, 366, 1),
)
_BY_NAME = {i.name: i for i in INPUTS}
LEVER_SETTINGS = ("compliance", "from")
"""Lever keys shown and set per lever when a lever table has them."""


@dataclass(frozen=True)
class Case:
    """A planner's case: the scenario ``file``, input values by name (missing: the file's
    own), the levers switched on, and lever settings ``{(lever, key): value}``."""

    file: str
    values: dict[str, Any] = field(default_factory=dict)
    levers: tuple[str, ...] = ()
    lever_settings: dict[tuple[str, str], Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------ the files
def folder_files(folder: str | os.PathLike[str]) -> list[str]:
    """The community scenario files directly under ``folder`` (sorted; city files left out)."""
    from sim.scenario.files import read_toml

    out = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not name.endswith(".toml") or not os.path.isfile(path):
            continue
        try:
            data = read_toml(path)
        except ScenarioError:
            continue
        if "city" not in data:
            out.append(name)
    return out


def _extends(path: str) -> str | None:
    from sim.scenario.files import parent_of, read_toml

    return parent_of(read_toml(path), path)


def read_case_base(file: str) -> dict[str, Any]:
    """The merged data of ``file``; a file that defines no levers takes them from a file
    beside it that extends it and defines levers (``bozhou_before.toml`` gets those of
    ``bozhou_levers.toml``), keeping its own name and description."""
    from sim.scenario.files import read_chain

    data, _ = read_chain(file)
    if data.get("levers"):
        return data
    folder = os.path.dirname(file) or "."
    for name in sorted(os.listdir(folder)):
        other = os.path.join(folder, name)
        if not name.endswith(".toml") or os.path.samefile(other, file):
            continue
        try:
            parent = _extends(other)
            if parent is None or not os.path.samefile(parent, file):
                continue
            child, _ = read_chain(other)
        except (ScenarioError, OSError):
            continue
        if child.get("levers") and not any(isinstance(v, dict) and v.get("enabled") is True
                                           for v in child["levers"].values()):
            child["scenario"] = dict(child.get("scenario", {}), **{
                k: v for k, v in data.get("scenario", {}).items()
                if k in ("name", "name_zh", "description")})
            return child
    return data


def lever_info(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per lever of ``data``: name, description, description_zh, source, enabled, the paths it
    sets, and the settings of :data:`LEVER_SETTINGS` it carries."""
    out = []
    for name, lev in (data.get("levers") or {}).items():
        if not isinstance(lev, dict):
            continue
        out.append({"name": name, "description": str(lev.get("description", "")).strip(),
                    "description_zh": str(lev.get("description_zh", "")).strip(),
                    "source": str(lev.get("source", "")), "enabled": lev.get("enabled") is True,
                    "sets": list((lev.get("set") or {}).keys()),
                    "settings": {k: lev[k] for k in LEVER_SETTINGS if k in lev}})
    return out


# ------------------------------------------------------------------------------ the inputs
def _lever_setting(data: dict[str, Any], path: str) -> str | None:
    """The lever that sets ``path`` (the first one), or None."""
    for name, lev in (data.get("levers") or {}).items():
        if isinstance(lev, dict) and path in (lev.get("set") or {}):
            return name
    return None


def input_values(data: dict[str, Any]) -> dict[str, tuple[Any, str | None]]:
    """The inputs this scenario data has: name -> (current value, the lever whose value it
    edits, or None)."""
    out: dict[str, tuple[Any, str | None]] = {"households": (REFERENCE_HOUSEHOLDS, None)}
    for inp in INPUTS:
        if inp.path is None:
            continue
        lever = _lever_setting(data, inp.path)
        value = data["levers"][lever]["set"][inp.path] if lever else lookup(data, inp.path)
        if value is None and lever is None:
            if inp.path.startswith("tasks."):
                continue   # the scenario has no such task
            value = _defaults().get(inp.path)
        if value is not None:
            out[inp.name] = (value, lever)
    return out


def _defaults() -> dict[str, Any]:
    return {"volunteers.teams": 0, "volunteers.turnout": 0.5,
            "office.secretary_takes_general_work": False}


def _check(inp: PlannerInput, value: Any) -> Any:
    where = f"app input {inp.name}" + (f" ({inp.path})" if inp.path else "")
    if inp.kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError("expected true or false", field=where, allowed="true, false")
        return value
    try:
        num = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"expected a number, got {value!r}", field=where,
                            allowed=f"{inp.low:g} to {inp.high:g}") from None
    if isinstance(value, bool) or not inp.low <= num <= inp.high or (
            inp.kind == "int" and num != int(num)):
        what = "an integer" if inp.kind == "int" else "a number"
        raise ScenarioError(f"{value!r} is out of range", field=where,
                            allowed=f"{what} from {inp.low:g} to {inp.high:g}")
    return int(num) if inp.kind == "int" else num


def _scale(data: dict[str, Any], f: float) -> None:
    """Multiply the arrival rates and waves of :data:`SCALE_TASKS` by ``f``, in the tasks and
    in the levers that set them."""
    def scaled(tid: str) -> bool:
        return any(fnmatch.fnmatchcase(tid, p) for p in SCALE_TASKS)

    for task in data.get("tasks") or []:
        arr = task.get("arrivals") if isinstance(task, dict) else None
        if not isinstance(arr, dict) or not scaled(str(task.get("id", ""))):
            continue
        for k in _RATE_KEYS:
            if isinstance(arr.get(k), int | float):
                arr[k] = arr[k] * f
        for w in arr.get("waves") or []:
            if isinstance(w, dict) and isinstance(w.get("count"), int | float):
                w["count"] = w["count"] * f
    for lev in (data.get("levers") or {}).values():
        sets = lev.get("set") if isinstance(lev, dict) else None
        for key, value in (sets or {}).items():
            parts = key.split(".")
            if len(parts) == 4 and parts[0] == "tasks" and parts[2] == "arrivals" \
                    and parts[3] in _RATE_KEYS and scaled(parts[1]) and isinstance(value, int | float):
                sets[key] = value * f
            elif len(parts) == 4 and parts[3] == "waves" and scaled(parts[1]) and isinstance(value, list):
                sets[key] = [dict(w, count=w["count"] * f) if isinstance(w, dict) and
                             isinstance(w.get("count"), int | float) else w for w in value]


def case_data(case: Case, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scenario data of ``case`` with its levers switched on (``base``: the file's merged
    data from :func:`read_case_base`, read again when None)."""
    data = copy(base if base is not None else read_case_base(case.file))
    levers = data.get("levers") or {}
    for name in case.levers:
        if name not in levers:
            raise ScenarioError(f"no lever named {name!r}", file=case.file, field=f"levers.{name}",
                                allowed=", ".join(levers) or "none")
    for name, lev in levers.items():
        if isinstance(lev, dict):
            lev["enabled"] = name in case.levers
    for (name, key), value in case.lever_settings.items():
        if name not in levers or key not in LEVER_SETTINGS:
            raise ScenarioError("no such lever setting", file=case.file,
                                field=f"levers.{name}.{key}", allowed=", ".join(LEVER_SETTINGS))
        if key == "from" and isinstance(value, str):
            try:   # a date typed on the page or read from a link
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ScenarioError(f"{value!r} is not a date", file=case.file,
                                    field=f"levers.{name}.from", allowed="YYYY-MM-DD") from None
        levers[name][key] = value
    touched: list[str] = []     # paths the planner gave a value of their own
    for name, value in case.values.items():
        inp = _BY_NAME.get(name)
        if inp is None:
            raise ScenarioError(f"unknown input {name!r}", file=case.file, field=name,
                                allowed=", ".join(_BY_NAME))
        value = _check(inp, value)
        if inp.path is None:
            if value != REFERENCE_HOUSEHOLDS:
                _scale(data, value / REFERENCE_HOUSEHOLDS)
                touched += [f"{pre}tasks.{p}.arrivals.*" for p in SCALE_TASKS
                            for pre in ("", "levers.*.set.")]
            continue
        lever = _lever_setting(data, inp.path)
        path = f"levers.{lever}.set.{inp.path}" if lever else inp.path
        if (data["levers"][lever]["set"].get(inp.path) if lever else lookup(data, path)) != value:
            touched.append(path)
        try:
            set_path(data, path, value)
        except Bad as exc:
            raise ScenarioError(exc.message, file=case.file, field=path,
                                allowed=exc.allowed) from None
    _hold(data, touched)
    days = data.get("scenario", {}).get("days")
    if isinstance(days, int) and days > MAX_DAYS:
        raise ScenarioError(f"{days} days is longer than the app runs", file=case.file,
                            field="scenario.days", allowed=f"at most {MAX_DAYS}")
    return data


def _hold(data: dict[str, Any], touched: list[str]) -> None:
    """Leave out the declared uncertainties with a path among ``touched`` (patterns): the
    planner has given that input a value, so it is no longer uncertain for this case (and a
    value outside the declared range is the planner's to choose)."""
    table = data.get("uncertainties")
    if not touched or not isinstance(table, dict):
        return
    from sim.scenario.datapaths import normal_path

    for name in list(table):
        paths = table[name].get("paths", []) if isinstance(table[name], dict) else []
        if any(fnmatch.fnmatchcase(normal_path(str(p)), t) for p in paths for t in touched):
            del table[name]


def held_uncertainties(case: Case, base: dict[str, Any] | None = None) -> list[str]:
    """The declared uncertainties of the case's file that its inputs hold at the planner's
    values (left out of the case's scenarios, so an ensemble does not sample them)."""
    base = base if base is not None else read_case_base(case.file)
    kept = case_data(case, base).get("uncertainties") or {}
    return [n for n in (base.get("uncertainties") or {}) if n not in kept]


def scenarios(case: Case, base: dict[str, Any] | None = None) -> tuple[Scenario, Scenario]:
    """(baseline, reform): the case's data with every lever off, and with its levers on."""
    from sim.scenario.loader import scenario_from_dict

    reform = case_data(case, base)
    before = copy(reform)
    meta = reform.setdefault("scenario", {})
    n = len(case.levers)
    meta["name"] = f"{meta.get('name', 'scenario')} + {n} lever{'s' * (n != 1)}"
    meta["name_zh"] = f"{meta.get('name_zh') or meta['name']} + {n}项措施"
    for lev in (before.get("levers") or {}).values():
        if isinstance(lev, dict):
            lev["enabled"] = False
    return scenario_from_dict(before, case.file), scenario_from_dict(reform, case.file)


# ------------------------------------------------------------------------------ take it away
def compare_command(case: Case, filename: str, replications: int, seed: int) -> str:
    """The ``sim compare`` command that re-runs ``case`` from its TOML file ``filename``."""
    base = f"{filename}#" + ",".join(f"-{n}" for n in case.levers) if case.levers else filename
    return f"sim compare {base} {filename} --replications {replications} --seed {seed}"


def toml_text(case: Case, replications: int, seed: int, filename: str = "my_community.toml",
              base: dict[str, Any] | None = None) -> str:
    """``case`` as one self-contained scenario file (the reform: its levers on; every lever
    defined), headed by the ``sim compare`` command that compares it with its levers off."""
    import tomli_w

    data = case_data(case, base)
    data.setdefault("scenario", {})["seed"] = seed
    data["scenario"]["replications"] = replications
    head = (f"# Made by the planner's app (sim app) from {os.path.basename(case.file)}.\n"
            f"# Re-run the comparison (baseline: every lever off; reform: the levers on here):\n"
            f"#   {compare_command(case, filename, replications, seed)}\n"
            f"# Levers on: {', '.join(case.levers) or 'none'}.\n\n")
    return head + tomli_w.dumps(_plain(data), multiline_strings=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time | bool | int | float | str):
        return value
    return str(value)
