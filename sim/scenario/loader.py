"""Loading scenarios: the pipeline of ``docs/scenario-format.md`` and its public entry points.

Pipeline: read the file and its ``extends`` chain and merge child over parent
(:mod:`sim.scenario.files`), switch the levers a ``FILE#LEVER`` reference selects
(:mod:`sim.scenario.leverref`), apply the overrides (``--set``), apply the enabled levers
in order (:mod:`sim.scenario.levers`; one data per epoch when a lever is dated), validate and
fill in defaults (:mod:`sim.scenario.validate`), hash (:mod:`sim.scenario.content`) and build
the frozen :class:`Scenario` (:mod:`sim.scenario.build`), whose ``epochs`` are the later
epochs, each a Scenario too. Every problem is a one-line :class:`ScenarioError` naming the
file where the offending key was written (else the top file), its dotted path and what
is allowed.

Order of overrides: those of ``levers.*`` paths (e.g. ``--set
levers.admission_list.enabled=false``) come first, so they can switch a lever on or off or
change its values; then the uncertainties (:mod:`sim.scenario.uncertainty`:
``uncertainties.NAME.value=X`` fixes one, written into the base data); every other override
then moves the baseline, so a lever's ``scale``, ``add`` and ``compliance`` act on it (and on
the uncertainties' values); an override of a path an enabled lever ``set``s is applied again
after the levers, so it keeps its value, as it did before relative levers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sim.errors import ScenarioError
from sim.scenario import uncertainty
from sim.scenario.build import build
from sim.scenario.content import content_hash, dated_hash, freeze
from sim.scenario.files import MAX_NESTING, merge_file, nesting, read_chain
from sim.scenario.leverref import select, split_ref
from sim.scenario.levers import pinned, timeline
from sim.scenario.merge import Origins, copy, set_path
from sim.scenario.model import Epoch, Scenario
from sim.scenario.schema import Invalid
from sim.scenario.validate import check_levers, check_sources, validate
from sim.scenario.values import Bad

Overrides = Mapping[str, Any] | Sequence[str] | Sequence[tuple[str, Any]] | None

_KEY = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def parse_set(text: str) -> tuple[str, Any]:
    """``"KEY=VALUE"`` -> (KEY, VALUE read as a TOML value, else as a plain string)."""
    import tomllib

    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(f"expected KEY=VALUE, got {text!r}", field="--set",
                            allowed="KEY=VALUE with KEY a dotted path such as office.workers")
    key, _, raw = text.partition("=")
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise ScenarioError(f"{key!r} is not a dotted path (in {text!r})", field="--set",
                            allowed="KEY=VALUE with KEY a dotted path such as office.workers")
    raw = raw.strip()
    try:
        parsed = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return key, raw
    except RecursionError:
        parsed = None
    if parsed is None or nesting(parsed) > MAX_NESTING:
        raise ScenarioError(f"the value of {key} is nested more than {MAX_NESTING} deep",
                            field="--set", allowed=f"at most {MAX_NESTING} levels")
    return key, (parsed["v"] if list(parsed) == ["v"] else raw)


def override_pairs(overrides: Overrides) -> tuple[tuple[str, Any], ...]:
    """``overrides`` in any accepted form as (dotted key, value) pairs, in order."""
    if overrides is None:
        return ()
    if isinstance(overrides, str):
        overrides = [overrides]
    if isinstance(overrides, Mapping):
        return tuple((str(k), v) for k, v in overrides.items())
    out = []
    for item in overrides:
        out.append(parse_set(item) if isinstance(item, str) else (str(item[0]), item[1]))
    return tuple(out)


def load_scenario(path: str | os.PathLike[str], overrides: Overrides = None) -> Scenario:
    """Read, merge, apply levers and ``overrides`` (``{"office.workers": 8}`` or
    ``["office.workers=8"]``), validate and build the scenario in ``path``. ``FILE#LEVER``
    (also ``FILE#a,b``, ``FILE#-a``) selects levers of FILE (:mod:`sim.scenario.leverref`)."""
    file, spec = split_ref(path)
    base, origins = read_chain(file)
    if "city" in base and "scenario" not in base:
        raise ScenarioError("is a city scenario ([city]), not a community scenario", file=file,
                            field="city", allowed="a community scenario here; for a city use "
                            "sim run, sim check, sim compare, sim explore, sim calibrate, "
                            "sim validate or sim describe (docs/city.md)")
    if spec is not None:
        select(base, spec, file)
    # the scenario keeps the reference as its path: results and manifests name FILE#LEVER
    return _resolve(base, override_pairs(overrides), os.fspath(path), origins)


def scenario_from_dict(data: Mapping[str, Any], path: str = "<dict>") -> Scenario:
    """The scenario of already parsed TOML data (``extends`` is relative to ``path``)."""
    if not isinstance(data, Mapping):
        raise ScenarioError("expected a table of scenario data", file=path)
    base, origins = merge_file(copy(data), path, (path,))
    return _resolve(base, (), path, origins)


def apply_overrides(scenario: Scenario, overrides: Overrides) -> Scenario:
    """``scenario`` with more overrides (dotted path -> value, or ``(path, value)`` pairs, or
    ``"KEY=VALUE"`` strings), resolved and validated again from the merged data the scenario
    was made from (``Scenario.base``), after the scenario's own overrides; so overriding
    ``levers.NAME.enabled`` switches a lever on or off."""
    pairs = scenario.overrides + override_pairs(overrides)
    return _resolve(copy(scenario.base), pairs, scenario.path, Origins(), _frozen(scenario.base))


def rebuild(base: dict[str, Any], overrides: tuple[tuple[str, Any], ...], path: str) -> Scenario:
    """The scenario made from merged ``base`` data and ``overrides`` (used to unpickle)."""
    return _resolve(copy(base), tuple(overrides), path, Origins())


def _error(path: str, message: str, allowed: str | None, origins: Origins, top: str,
           prefix: str = "") -> ScenarioError:
    origin = origins.of(path) or (top, None)
    file, note = origin
    if note:
        message = f"{message} (set by {note})"
    return ScenarioError(message, file=file, field=prefix + path, allowed=allowed)


def _apply_sets(data: dict[str, Any], pairs, top: str, origins: Origins) -> None:
    """Apply ``--set`` pairs to ``data``; a bad one is a ScenarioError naming its key."""
    for key, value in pairs:
        try:
            set_path(data, key, value, (top, "--set"), origins)
        except Bad as exc:
            raise ScenarioError(f"{exc.message} (in --set)", file=top, field=key,
                                allowed=exc.allowed) from None


def _frozen(base: Any) -> Any:
    """``base`` itself when it is read-only already (a built scenario's ``base``, frozen by
    :func:`_resolve`: shared, which is safe as it cannot change), else None."""
    return base if type(base) is MappingProxyType else None


def _resolve(base: dict[str, Any], overrides: tuple[tuple[str, Any], ...], top: str,
             origins: Origins, frozen_base: Any = None) -> Scenario:
    """``frozen_base``: ``freeze(base)`` when the caller has it (``base`` is its copy)."""
    if frozen_base is None:
        frozen_base = freeze(base)
    data = base  # ours to modify: callers pass a fresh copy
    first = [(k, v) for k, v in overrides if k.split(".")[0] == "levers"]
    uncertain = [(k, v) for k, v in overrides if k.split(".")[0] == "uncertainties"]
    later = [(k, v) for k, v in overrides if k.split(".")[0] not in ("levers", "uncertainties")]
    _apply_sets(data, first, top, origins)
    uncertainty.apply(data, uncertain, top, origins)  # fixed values go in before the levers
    try:
        levers = check_levers(data)
    except Invalid as exc:
        raise _error(exc.path, exc.message, exc.allowed, origins, top) from None
    _apply_sets(data, later, top, origins)  # the baseline the levers act on
    try:
        states = timeline(data, levers, origins, top)
    except Invalid as exc:  # the baseline a relative lever reads is not valid
        raise _error(exc.path, exc.message, exc.allowed, origins, top) from None
    epochs = []
    for day, state, strength in states:
        _apply_sets(state, pinned(later, levers), top, origins)
        epochs.append((day, _build(state, top, origins, frozen_base, overrides), strength))
    scenario = epochs[0][1]
    if len(epochs) == 1:
        return scenario
    later_epochs = tuple(Epoch(day, scenario.scenario.start_date + dt.timedelta(days=day), sc,
                               freeze(strength)) for day, sc, strength in epochs[1:])
    digest = dated_hash(scenario.hash, [(e.start_day, e.scenario.hash) for e in later_epochs])
    return dataclasses.replace(scenario, hash=digest, epochs=later_epochs)


def _build(data: dict[str, Any], top: str, origins: Origins, frozen_base: Any,
           overrides: tuple[tuple[str, Any], ...]) -> Scenario:
    try:
        resolved = validate(data)
        check_sources(resolved)
    except Invalid as exc:
        raise _error(exc.path, exc.message, exc.allowed, origins, top) from None
    return build(resolved, freeze(resolved), path=top, digest=content_hash(resolved),
                 base=frozen_base, overrides=overrides)


def without_levers(scenario: Scenario) -> Scenario:
    """The scenario with every lever off: the baseline its levers act on."""
    return apply_overrides(scenario, [(f"levers.{lv.name}.enabled", False)
                                      for lv in scenario.levers if lv.enabled])
