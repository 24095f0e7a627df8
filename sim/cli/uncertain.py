"""``--uncertain NAME=X`` of ``sim compare`` and ``sim sweep``: fix a declared uncertainty.

The value is the override ``uncertainties.NAME.value=X`` on every scenario of the command that
declares NAME (and, for ``applies = "all"``, the same paths in the scenarios that do not), so
it is written into each scenario's base data before its levers
(:func:`sim.scenario.uncertainty.overrides_for`). Unknown names, values that are not numbers
or lie outside the declared range: one line, exit 2.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_uncertain_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--uncertain", metavar="NAME=X", action="append", default=[],
                   help="fix the declared uncertainty NAME ([uncertainties.NAME]) at X in every "
                        "scenario, before levers (repeatable)")


def uncertain_values(args: argparse.Namespace) -> dict[str, Any]:
    """NAME -> value of the ``--uncertain`` options (a later one for the same NAME wins)."""
    from sim.scenario.uncertainty import parse_uncertain

    return dict(parse_uncertain(item) for item in getattr(args, "uncertain", None) or [])


def per_scenario(files: list[Any], overrides: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The override dict of each scenario for ``values`` (checked now, before any run)."""
    from sim.cli.options import scenario_file_option
    from sim.experiment.study import resolve
    from sim.scenario.uncertainty import overrides_for

    for f in files:
        if isinstance(f, str):
            scenario_file_option(f)
    return overrides_for([resolve(f, overrides) for f in files], values)


def with_uncertain(call, values: dict[str, Any]):
    """``call(files, **kwargs)`` (``sim.experiment.compare``) running each scenario with
    its overrides for ``values`` added to the shared ``overrides``."""
    if not values:
        return call

    def wrapped(files, **kwargs):
        from sim.experiment.study import resolve
        from sim.scenario import apply_overrides

        overrides = kwargs.pop("overrides", None)
        scs = [resolve(f, overrides) for f in files]
        extra = per_scenario(scs, None, values)
        return call([apply_overrides(s, o) if o else s for s, o in zip(scs, extra, strict=True)],
                    **kwargs)

    return wrapped
