"""The uncertain inputs an ensemble samples, and the worlds it samples from them.

A :class:`Factor` is one uncertain input with a range and a distribution: either a declared
uncertainty of the scenarios (``[uncertainties.NAME]``, :mod:`sim.scenario.uncertainty`, fixed
by the override key ``uncertainties.NAME.value=X``), or an ad-hoc one given on the command
line as ``--vary PATH=LOW:HIGH`` (a dotted path of the scenario data, set with ``--set`` on
every scenario). A *world* is one value for every factor; :func:`overrides` turns a world into
one ``--set`` dictionary per scenario of a comparison.

Designs (:func:`sample_unit`): Latin hypercube (``lhs``) or scrambled Sobol' (``sobol``) points
of the unit cube from :mod:`scipy.stats.qmc`, seeded, so the same seed gives the same worlds;
:meth:`Factor.value` maps a unit coordinate to the factor's distribution by its inverse CDF
(uniform, log-uniform, triangular with ``mode``, integer).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import InputError

__all__ = ["DESIGNS", "DISTRIBUTIONS", "Factor", "declared_factors", "factors_for",
           "overrides", "parse_vary", "sample_unit", "worlds"]

DESIGNS = ("lhs", "sobol")
DISTRIBUTIONS = ("uniform", "triangular", "loguniform", "integer")


@dataclass(frozen=True)
class Factor:
    """One uncertain input. ``declared``: a ``[uncertainties.NAME]`` of the scenarios (set
    through ``uncertainties.NAME.value``); otherwise ``paths`` are set directly."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    nominal: Any = None
    declared: bool = False
    source: str = ""
    description: str = ""
    description_zh: str = ""

    def label(self, lang: str = "en") -> str:
        """What the factor is, in words (its declared description; its name without one)."""
        if lang == "zh" and self.description_zh:
            return self.description_zh
        return self.description or self.name

    def value(self, u: float) -> float | int:
        """The factor's value at unit coordinate ``u`` in [0, 1) (inverse CDF)."""
        lo, hi = float(self.low), float(self.high)
        if self.distribution == "integer":
            k = math.floor(lo + u * (hi - lo + 1.0))
            return int(min(max(k, int(lo)), int(hi)))
        if self.distribution == "loguniform":   # clamped: exp(log) may round past an end
            v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
            return float(min(max(v, lo), hi))
        if self.distribution == "triangular":
            c = float(self.mode if self.mode is not None else (lo + hi) / 2.0)
            if hi == lo:
                return lo
            f = (c - lo) / (hi - lo)
            if u < f:
                return float(lo + math.sqrt(u * (hi - lo) * (c - lo)))
            return float(hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - c)))
        return float(min(lo + u * (hi - lo), hi))

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)


def parse_vary(items: Sequence[str], scenario: Any | None = None) -> list[Factor]:
    """``--vary PATH=LOW:HIGH`` items as uniform factors (integer when PATH holds an integer,
    or both bounds are written as integers). ``scenario``: to read PATH's current value."""
    from sim.sweep.design import parse_lhs_range, split_param

    out: list[Factor] = []
    for item in items:
        try:
            key, text = split_param(item)
        except InputError as exc:
            raise InputError(exc.detail, field="--vary",
                             allowed="PATH=LOW:HIGH, e.g. problems.volunteer_max_wait_days=2:10"
                             ) from None
        current = _current(scenario, key)
        low, high = parse_lhs_range(key, text, current) if current is not _MISSING else \
            parse_lhs_range(key, text)
        if low == high:
            raise InputError(f"the range {text} is a single value", field=key,
                             allowed="LOW:HIGH with LOW < HIGH (use --set to fix a value)")
        if isinstance(current, int | float) and not isinstance(current, bool) \
                and not low <= current <= high:
            raise InputError(f"the range {text} excludes the scenario's own value {current}",
                             file=str(getattr(scenario, "path", "")) or None, field=key,
                             allowed=f"LOW:HIGH with LOW <= {current} <= HIGH")
        kind = "integer" if isinstance(low, int) and isinstance(high, int) else "uniform"
        if any(f.name == key for f in out):
            raise InputError("given twice", field=key, allowed="each --vary path once")
        out.append(Factor(key, (key,), low, high, kind,
                          nominal=None if current is _MISSING else current))
    return out


_MISSING = object()


def _current(scenario: Any, key: str) -> Any:
    if scenario is None:
        return _MISSING
    node: Any = scenario.base
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def declared_factors(scenarios: Sequence[Any]) -> list[Factor]:
    """The ``[uncertainties.NAME]`` declared by any of ``scenarios`` (in order of first
    appearance)."""
    from sim.scenario.uncertainty import declared

    seen: dict[str, Factor] = {}
    for sc in scenarios:
        for name, u in declared(sc).items():
            if name in seen:
                continue
            seen[name] = Factor(name, tuple(u.paths), u.low, u.high, u.distribution or "uniform",
                                u.mode, u.nominal, True, u.source, u.description,
                                u.description_zh)
    return list(seen.values())


def study_factors(scenarios: Sequence[Any], factors: Sequence[Factor] | None,
                  vary: Sequence[str], only: Sequence[str] | None, verb: str) -> list[Factor]:
    """The factors a study varies: ``factors`` as given, else :func:`factors_for`; none at all
    is bad input ("no uncertainty to VERB")."""
    facs = list(factors) if factors is not None else factors_for(scenarios, vary, only)
    if not facs:
        raise InputError(f"no uncertainty to {verb}: the scenarios declare none and no --vary "
                         "was given", file=str(scenarios[0].path), field="uncertainties",
                         allowed="[uncertainties.NAME] in the scenario, or --vary PATH=LOW:HIGH")
    return facs


def factors_for(scenarios: Sequence[Any], vary: Sequence[str] = (),
                only: Sequence[str] | None = None) -> list[Factor]:
    """The factors of an ensemble: the declared uncertainties (or only those named in
    ``only``) and the ``--vary`` ones. Unknown names in ``only``: InputError with the names
    that exist."""
    declared = declared_factors(scenarios)
    if only:
        names = {f.name: f for f in declared}
        chosen = []
        for n in only:
            if n not in names:
                import difflib

                close = difflib.get_close_matches(n, list(names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InputError(f"no declared uncertainty {n!r}{hint}", field="--only",
                                 allowed=", ".join(names) or "(none declared)")
            chosen.append(names[n])
        declared = chosen
    extra = parse_vary(list(vary), scenarios[-1] if scenarios else None)
    clash = {f.name for f in declared} & {f.name for f in extra}
    if clash:
        raise InputError("is a declared uncertainty; vary it by its name, not --vary",
                         field=sorted(clash)[0])
    return [*declared, *extra]


def sample_unit(n: int, d: int, design: str = "lhs", seed: int = 0) -> np.ndarray:
    """``n`` points of the unit cube [0, 1)^d: a Latin hypercube (``lhs``) or a scrambled
    Sobol' sequence (``sobol``; its balance holds for n a power of two), seeded."""
    from scipy.stats import qmc

    if design not in DESIGNS:
        raise InputError(f"unknown design {design!r}", field="--design", allowed=", ".join(DESIGNS))
    if n < 1:
        raise InputError(f"expected at least 1 sample, got {n}", field="--samples",
                         allowed="an integer >= 1")
    if d == 0:
        return np.zeros((n, 0))
    if design == "lhs":
        return qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)
    eng = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # "balance properties": said in the docs
        return eng.random(n)


def worlds(factors: Sequence[Factor], n: int, design: str = "lhs", seed: int = 0
           ) -> list[dict[str, Any]]:
    """``n`` worlds: one value per factor each (by name)."""
    u = sample_unit(n, len(factors), design, seed)
    return [{f.name: f.value(float(u[i, j])) for j, f in enumerate(factors)} for i in range(n)]


def overrides(scenarios: Sequence[Any], factors: Sequence[Factor], world: Mapping[str, Any]
              ) -> list[dict[str, Any]]:
    """One ``--set`` dictionary per scenario that puts it in ``world``: declared uncertainties
    through :func:`sim.scenario.uncertainty.overrides_for` (which knows which scenarios each
    applies to), ``--vary`` paths on every scenario."""
    by_name = {f.name: f for f in factors}
    declared = {k: v for k, v in world.items() if by_name[k].declared}
    if declared:
        from sim.scenario.uncertainty import overrides_for

        out = [dict(d) for d in overrides_for(list(scenarios), declared)]
    else:
        out = [{} for _ in scenarios]
    for k, v in world.items():
        f = by_name[k]
        if not f.declared:
            for d in out:
                for p in f.paths:
                    d[p] = v
    return out
