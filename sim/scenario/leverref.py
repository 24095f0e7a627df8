"""Lever selections written after a scenario path: ``FILE#LEVER`` (docs/scenario-format.md).

``levers.toml#fewer_meetings`` is the scenario of ``levers.toml`` with only the lever
``fewer_meetings`` switched on (every other lever off): with a levers file whose levers are
all off (``bozhou_levers.toml``), its base scenario plus that one lever. The part after ``#``
may list several levers, ``FILE#a,b`` (exactly these on), or remove levers from those the
file switches on, ``FILE#-a`` (the file's enabled levers but ``a``). The selection is
applied to the merged data before levers and overrides, so it is part of the data a worker
rebuilds the scenario from, and the scenario is named after the reference
(``bozhou_levers#fewer_meetings``); everything but ``scenario.name``, ``name_zh`` and
``description`` is what a child file switching the same levers on would resolve to.
"""

from __future__ import annotations

import os
import re
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.values import suggest

_SPEC = re.compile(r"-?[A-Za-z0-9_]+(,-?[A-Za-z0-9_]+)*")


def split_ref(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``"dir/f.toml#a,b"`` -> ``("dir/f.toml", "a,b")``; a path without ``#`` (or an existing
    file whose name contains ``#``) -> ``(path, None)``."""
    text = os.fspath(path)
    file, sep, spec = text.rpartition("#")
    if not sep or os.path.isfile(text):
        return text, None
    return file, spec


def ref(file: str, spec: str) -> str:
    """The reference ``FILE#SPEC``."""
    return f"{file}#{spec}"


def select(data: dict[str, Any], spec: str, file: str) -> None:
    """Switch the levers of merged ``data`` as ``spec`` says (in place) and name the scenario
    after the reference; a one-line :class:`ScenarioError` for an unknown lever."""
    levers = data.get("levers")
    names = list(levers) if isinstance(levers, dict) else []
    allowed = ", ".join(names) or "none (the file defines no [levers.NAME])"
    if not _SPEC.fullmatch(spec):
        raise ScenarioError(f"{spec!r} after '#' is not a list of lever names", file=file,
                            field="#LEVER", allowed=f"FILE#LEVER[,LEVER...] or FILE#-LEVER with "
                                                    f"LEVER one of {allowed}")
    items = spec.split(",")
    removing = [x.startswith("-") for x in items]
    if any(removing) and not all(removing):
        raise ScenarioError(f"{spec!r} mixes levers to switch on and off (-NAME)", file=file,
                            field="#LEVER", allowed="FILE#a,b (exactly a and b) or FILE#-a,-b "
                                                    "(the file's levers but a and b)")
    wanted = [x.lstrip("-") for x in items]
    for name in wanted:
        if name not in names:
            raise ScenarioError(f"no lever named {name!r}{suggest(name, names)}", file=file,
                                field=f"levers.{name}", allowed=allowed)
    if all(removing):
        on = {n for n in names if isinstance(levers[n], dict) and levers[n].get("enabled") is True}
        on -= set(wanted)
    else:
        on = set(wanted)
    for name in names:
        if isinstance(levers[name], dict):
            levers[name]["enabled"] = name in on
    meta = data.setdefault("scenario", {})
    if isinstance(meta, dict):
        label = f"{os.path.splitext(os.path.basename(file))[0]}#{spec}"
        what = (f"only the lever(s) {', '.join(wanted)} switched on" if not all(removing)
                else f"every lever it switches on but {', '.join(wanted)}")
        meta["name"] = label
        meta["name_zh"] = label
        meta["description"] = f"{os.path.basename(file)} with {what}."


def lever_names(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """(every lever, the enabled levers) of the scenario file ``path`` (after ``extends``)."""
    from sim.scenario.files import read_chain

    data, _ = read_chain(os.fspath(path))
    levers = data.get("levers")
    if not isinstance(levers, dict):
        return [], []
    names = list(levers)
    return names, [n for n in names if isinstance(levers[n], dict)
                   and levers[n].get("enabled") is True]
