"""The checks of one ``[uncertainties.NAME]`` declaration on its own (the schema's ``post``
hook): its range, its distribution's parameters, a fixed value inside the range and the
citation keys of its source. Kept apart from :mod:`sim.scenario.uncertainty` (which applies
declarations while loading) so the schema, which the engine reads, imports no loader code.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.values import suggest


def check_declaration(t: dict[str, Any], path: str) -> None:
    """Checks of one declaration on its own (the schema's ``post`` hook): the range, the
    distribution's parameters, a fixed value inside the range, the source's citation keys."""
    from sim.scenario.citations import keys, unresolved
    from sim.scenario.values import Invalid

    def bad(key: str, message: str, allowed: str | None = None) -> Invalid:
        return Invalid(f"{path}.{key}", message, allowed)

    lo, hi = t["low"], t["high"]
    if not lo < hi:
        raise bad("high", f"must be above low ({lo:g})", "low < high")
    dist = t["distribution"]
    mode = t.get("mode")
    if dist == "triangular":
        if mode is None:
            raise bad("mode", "a triangular distribution needs a mode", f"a number in [{lo:g}, {hi:g}]")
        if not lo <= mode <= hi:
            raise bad("mode", f"{mode:g} is outside the range", f"a number in [{lo:g}, {hi:g}]")
    elif mode is not None:
        raise bad("mode", f"only a triangular distribution has a mode, not {dist!r}",
                  "no mode, or distribution = \"triangular\"")
    if dist == "loguniform" and lo <= 0:
        raise bad("low", "a loguniform range must be above 0", "low > 0")
    if dist == "integer" and (lo != int(lo) or hi != int(hi)):
        raise bad("low" if lo != int(lo) else "high", "an integer distribution needs whole bounds",
                  "whole numbers")
    value = t.get("value")
    if value is not None and not lo <= value <= hi:
        raise bad("value", f"{value:g} is outside the declared range", f"a number in [{lo:g}, {hi:g}]")
    if value is not None and dist == "integer" and value != int(value):
        raise bad("value", f"{value:g} is not a whole number (the distribution is \"integer\")",
                  f"a whole number in [{lo:g}, {hi:g}]")
    source = t["source"]
    missing = unresolved(source)
    if missing:
        from sim.scenario.citations import known_keys

        raise bad("source", f"cites [{missing[0]}], which is not an entry of docs/sources.md"
                  f"{suggest(missing[0], sorted(known_keys() or ()))}",
                  "keys of docs/sources.md, e.g. [huaiyin2019]")
    if not keys(source) and not source.strip().lower().startswith("estimate:"):
        raise bad("source", "names no source for the range",
                  "a [key] of docs/sources.md, or \"estimate: REASON\"")
    if len(source.strip()) <= len("estimate:") and not keys(source):
        raise bad("source", "an estimate needs its reason", "\"estimate: REASON\"")
