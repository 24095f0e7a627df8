"""``sim compare CITY_A.toml CITY_B.toml``: a city before and after, paired, by community size.

A city "after" is a city file whose community scenario has the reform's levers on
(``bozhou_city.toml``: every community starts from ``bozhou_after.toml``). The same file
with a lever selection after ``#`` selects the community scenario's levers in every
community, with the grammar of ``FILE#LEVER`` (:mod:`sim.scenario.leverref`):
``bozhou_city.toml#none`` is the city before the reform: every community from the city's
``before`` scenario and no volunteer teams (a city file without ``before``: its community
scenario with every lever off),
``#a,b`` exactly these on, ``#-a`` all the file's levers but ``a``. Two different city
files may be compared too; their communities are paired by position (they must have the
same number).

Both cities run replications ``0..R-1`` with the same seed: community ``c`` of replication r
draws the same streams in both (its seed comes from the city seed and the community id), so
the differences are paired. Results: the paired difference of every city figure (Holm-adjusted
verdicts over the headline figures, as ``sim compare``), and, per community-size group
(household terciles of the first city: small, middle, large), each community metric's mean
over the group's communities before and after with the paired difference.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.formatting import json_clean
from sim.metrics import HEADLINE, metric
from sim.stats import holm, paired, t_p_value

__all__ = ["GROUPS", "CityComparison", "city_overrides", "compare_cities", "size_groups",
           "split_city_ref"]

GROUPS = ("small", "middle", "large")


def split_city_ref(path: str) -> tuple[str, str | None]:
    """``"city.toml#none"`` -> ``("city.toml", "none")``."""
    file, sep, spec = str(path).rpartition("#")
    if not sep or os.path.isfile(str(path)):
        return str(path), None
    return file, spec


def city_overrides(path: str) -> tuple[str, dict[str, bool]]:
    """The city file and the community overrides its ``#SPEC`` stands for."""
    from sim.city import load_city
    from sim.scenario.values import suggest

    file, spec = split_city_ref(path)
    if spec is None:
        return file, {}
    city = load_city(file)
    levers = dict(city.community_scenario.resolved.get("levers") or {}) \
        if city.community_scenario is not None else {}
    names = list(levers)
    on = [n for n, v in levers.items() if v.get("enabled") is True]
    if spec == "none":
        if city.before_scenario is not None:   # the city's own "before" community scenario
            before = os.path.relpath(str(city.before_scenario.path), os.path.dirname(file) or ".")
            return file, {"city.community": before, "communities.volunteer_teams": 0}
        return file, {f"levers.{n}.enabled": False for n in names}
    items = spec.split(",")
    removing = [x.startswith("-") for x in items]
    wanted = [x.lstrip("-") for x in items]
    allowed = "none, or lever names of its community scenario: " + ", ".join(names)
    if any(removing) and not all(removing):
        raise InputError(f"{spec!r} mixes levers to switch on and off", file=file,
                         field="#LEVER", allowed=allowed)
    for w in wanted:
        if w not in names:
            raise InputError(f"no lever named {w!r}{suggest(w, names)}", file=file,
                             field="#LEVER", allowed=allowed)
    keep = set(on) - set(wanted) if all(removing) else set(wanted)
    return file, {f"levers.{n}.enabled": n in keep for n in names}


@dataclass
class CityComparison:
    """Two cities, paired: ``differences`` (city figure -> row) and ``by_size`` (group ->
    {"households": [lo, hi], "communities": n, "metrics": {NAME: row}})."""

    names: list[str]
    seed: int
    replications: int
    differences: dict[str, dict[str, Any]]
    by_size: dict[str, dict[str, Any]]
    adjust: str

    def to_json(self) -> dict[str, Any]:
        return json_clean({"cities": self.names, "seed": self.seed,
                      "replications": self.replications, "adjustment": self.adjust,
                      "differences": self.differences, "by_size": self.by_size})

    def table(self, lang: str = "en") -> str:
        from sim.analysis.city_table import city_comparison_table

        return city_comparison_table(self, lang)


def _mean(x: list[float]) -> float:
    """The mean over a group's communities where the metric is defined (NaN if nowhere)."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def _row(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    iv, _ = paired(a, b)
    return {"baseline": _mean(list(a)), "scenario": _mean(list(b)),
            "mean": iv.mean, "ci95": [iv.low, iv.high], "p_value": t_p_value(iv)}


def _verdicts(rows: dict[str, dict[str, Any]], adjust: str) -> None:
    from sim.experiment import verdict

    names = [m for m in rows if m in HEADLINE]
    p = [rows[m]["p_value"] for m in names]
    padj = holm(p) if adjust == "holm" else np.asarray(p, dtype=float)
    for m, row in rows.items():
        row["p_adjusted"] = float(padj[names.index(m)]) if m in names else row["p_value"]
        v = verdict(*row["ci95"], metric(m).direction)
        if adjust == "holm" and m in names and not (row["p_adjusted"] < 0.05):
            v = "no clear difference"
        row["verdict"] = v


def size_groups(communities: Any) -> list[tuple[str, np.ndarray]]:
    """The community-size groups of a city: (label, community indices) per household
    tercile (small, middle, large; a group with no community is left out)."""
    hh = np.asarray([c.households for c in communities], dtype=float)
    cuts = np.quantile(hh, [1 / 3, 2 / 3])
    group = np.digitize(hh, cuts, right=True)      # 0 small, 1 middle, 2 large
    out = []
    for g, label in enumerate(GROUPS):
        idx = np.flatnonzero(group == g)
        if idx.size:
            out.append((label, idx))
    return out


def compare_cities(files: list[str], replications: int | None = None, seed: int | None = None,
                   overrides=None, adjust: str = "holm", executor: str = "serial",
                   workers: int | None = None, scheduler: str | None = None,
                   progress: bool | None = None, uncertain=None) -> CityComparison:
    """Run the two cities of ``files`` (``CITY.toml`` or ``CITY.toml#SPEC``) with common
    random numbers and compare the second with the first. ``uncertain``: NAME -> value of
    declared uncertainties of the community scenarios, fixed in every community of both
    (``--uncertain``, :func:`sim.scenario.uncertainty.overrides_for`)."""
    from sim.city import load_city, run_city

    if len(files) != 2:
        raise InputError("a city comparison takes exactly two city files (before, after)",
                         field="sim compare", allowed="sim compare CITY.toml#none CITY.toml")
    extra = dict(overrides or {})
    cities = []
    for f in files:
        file, sets = city_overrides(f)
        cities.append(load_city(file, {**sets, **extra}))
    if uncertain:
        from sim.city.loader import vary
        from sim.scenario.uncertainty import overrides_for

        fixed = overrides_for([c.base for c in cities], dict(uncertain))
        cities = [vary(c, o) if o else c for c, o in zip(cities, fixed, strict=True)]
    a, b = cities
    if len(a.communities) != len(b.communities):
        raise InputError(f"has {len(b.communities)} communities, the first city "
                         f"{len(a.communities)}", file=files[1], field="communities.count",
                         allowed="two cities with the same communities")
    n = replications or a.replications
    seed = a.seed if seed is None else int(seed)
    kw = {"executor": executor, "workers": workers, "scheduler": scheduler, "progress": progress}
    ra, rb = run_city(a, n, seed, **kw), run_city(b, n, seed, **kw)
    diffs = {m: _row(ra.values[m], rb.values[m]) for m in ra.values if m in rb.values
             and not m.startswith("task.")}
    _verdicts(diffs, adjust)
    by_size: dict[str, dict[str, Any]] = {}
    cols = list(dict.fromkeys(m for v in ra.community_metrics.values() for m in v))
    hh = np.asarray([c.households for c in a.communities], dtype=float)
    for label, idx in size_groups(a.communities):
        rows = {}
        for m in cols:
            va = np.asarray([_mean([ra.community_metrics[(r, k)].get(m, math.nan) for k in idx])
                             for r in range(n)])
            vb = np.asarray([_mean([rb.community_metrics[(r, k)].get(m, math.nan) for k in idx])
                             for r in range(n)])
            rows[m] = _row(va, vb)
        by_size[label] = {"households": [float(hh[idx].min()), float(hh[idx].max())],
                          "communities": int(idx.size), "metrics": rows}
    return CityComparison([f for f in files], seed, n, diffs, by_size, adjust)
