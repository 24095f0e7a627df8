"""The immutable objects of a city scenario: the city, its communities, what to calibrate."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sim.scenario.model import Scenario, Target, plain_reduce


@dataclass(frozen=True, slots=True)
class Community:
    """One community office of the city: its size and the scenario it runs."""

    id: str
    households: int
    workers: int
    managed_estate_share: float
    volunteer_teams: int
    scale: float                 # households / the reference households of the base scenario
    scenario: Scenario = field(repr=False)


@dataclass(frozen=True, slots=True)
class CalibrationParameter:
    """An uncertain input to calibrate (``[[calibrate]]``): a dotted scenario key and its
    plausible range, with the reason for the range."""

    key: str
    low: float
    high: float
    integer: bool = False
    source: str = ""


@dataclass(frozen=True)
class City:
    """A city scenario (``[city]`` file): communities run side by side for one period.

    ``base`` is the community scenario every community was made from (with the city's
    period and ``[set]``, before resizing). ``inputs`` are the city's figures that follow from its inputs alone (numbers of
    communities, households, workers, volunteer teams and members, items cancelled against
    the ``before`` scenario); they are checked like simulated figures so that the file cannot
    drift from the reported inputs unnoticed. ``overrides`` are the ``--set`` pairs it was
    loaded with (``load_city(path, overrides)`` makes it again). What it was made from is
    kept, so that a variant can be made in memory (:func:`sim.city.loader.vary`): ``source``,
    the city data as written; ``community_scenario`` and ``before_scenario``, the community
    and before scenarios as loaded (before the city's period and ``[set]``).
    """

    name: str
    path: str
    start_date: _dt.date
    days: int
    seed: int
    replications: int
    communities: tuple[Community, ...]
    base: Scenario = field(repr=False)
    name_zh: str = ""
    description: str = ""
    community_path: str = ""
    before_path: str = ""
    targets: tuple[Target, ...] = ()
    calibrate: tuple[CalibrationParameter, ...] = ()
    inputs: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    overrides: tuple[tuple[str, Any], ...] = ()
    resolved: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    hash: str = ""
    source: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    community_scenario: Scenario | None = field(default=None, repr=False)
    before_scenario: Scenario | None = field(default=None, repr=False)

    def __reduce__(self):
        """Pickled as plain data (its read-only mappings as dicts) and made again from it."""
        return plain_reduce(self)

    @property
    def workers(self) -> int:
        return sum(c.workers for c in self.communities)
