"""Scenario files: loading, validation, inheritance, levers, overrides and inspection.

The format is specified in ``docs/scenario-format.md``; the resolved objects are the frozen
dataclasses of :mod:`sim.scenario.model`.
"""

from sim.scenario.content import flatten, scenario_diff, source_of
from sim.scenario.loader import apply_overrides, load_scenario, parse_set, scenario_from_dict

__all__ = [
    "apply_overrides",
    "flatten",
    "load_scenario",
    "parse_set",
    "scenario_diff",
    "scenario_from_dict",
    "source_of",
]
