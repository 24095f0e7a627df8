"""``sim explore``: a paired comparison in every sampled world, and how sure its verdicts are.

For a comparison A (baseline) vs B and the factors of :mod:`sim.analysis.factors`, an ensemble
samples ``samples`` worlds (Latin hypercube or Sobol'), runs R paired replications of both
scenarios in each (:func:`sim.analysis.worlds.run_worlds`: common random numbers, the same
replication seeds in every world), and reads, per world and metric, the mean paired difference
B - A with its 95 % t-interval and the verdict of ``sim compare`` (better / worse by the
metric's direction in :mod:`sim.metrics`, unclear when the interval holds 0). Per metric,
across worlds: the median effect and its 5-95 % range, the shares of worlds better / worse /
unclear, and a sentence ("Overtime per worker falls in 200 of 200 sampled worlds").
Scenario discovery (:mod:`sim.analysis.discovery`) then looks for the input boxes where a
condition on the effect holds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.factors import Factor, study_factors, worlds
from sim.analysis.wording import robustness_sentence
from sim.analysis.worlds import Runs, run_worlds
from sim.errors import InputError
from sim.experiment.comparison import BETTER, HIGHER, LOWER, UNCLEAR, WORSE, verdict
from sim.formatting import json_number, significant
from sim.metrics import HEADLINE, metric
from sim.stats import paired

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExploreResult", "explore", "summarise"]

MAX_SAMPLES = 100_000


@dataclass
class ExploreResult:
    """An ensemble of paired comparisons. ``per_world``: one row per (world, metric) with the
    factor values, ``diff_mean``, ``ci_low``, ``ci_high``, ``verdict``; ``headline``: per
    metric, the summary across worlds (:func:`summarise`); ``boxes``: discovered input boxes
    (:class:`sim.analysis.discovery.Box` as dicts)."""

    scenarios: list[str]
    factors: list[Factor]
    design: str
    runs: Runs
    per_world: pd.DataFrame
    headline: dict[str, dict[str, Any]]
    boxes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def worlds(self) -> int:
        return len(self.runs.worlds)

    @property
    def replications(self) -> int:
        return self.runs.replications

    def inputs(self) -> pd.DataFrame:
        """The worlds' factor values, one row per world."""
        import pandas as pd

        return pd.DataFrame(self.runs.worlds, columns=[f.name for f in self.factors])

    def effects(self, name: str) -> pd.DataFrame:
        """One row per world: factor values, diff_mean, ci_low, ci_high, verdict of ``name``."""
        part = self.per_world[self.per_world["metric"] == name]
        return part.reset_index(drop=True)

    def sentences(self, names: Sequence[str] | None = None) -> list[str]:
        return [self.headline[m]["sentence"] for m in (names or HEADLINE) if m in self.headline]

    def to_json(self) -> dict[str, Any]:
        """The ``sim explore --json`` object (docs/experiments.md)."""
        keys = ("effect_median", "effect_p05", "effect_p95", "share_better", "share_worse",
                "share_unclear")
        metrics = {}
        for m, h in self.headline.items():
            d = {k: json_number(h[k]) for k in keys}
            d.update({"worlds_better": h["worlds_better"], "worlds_worse": h["worlds_worse"],
                      "share_higher": json_number(h["share_higher"]),
                      "share_lower": json_number(h["share_lower"]),
                      "direction": h["direction"], "sentence": h["sentence"]})
            metrics[m] = d
        return {"worlds": self.worlds, "replications": self.replications,
                "scenarios": list(self.scenarios), "design": self.design,
                "seed": self.runs.seed,
                "factors": [{"name": f.name, "paths": list(f.paths), "low": f.low,
                             "high": f.high, "distribution": f.distribution,
                             "declared": f.declared} for f in self.factors],
                "metrics": metrics, "boxes": list(self.boxes)}

    def write(self, directory: str | os.PathLike[str]) -> None:
        """``worlds.csv`` (per world and metric) and ``result.json`` in ``directory``."""
        import json
        from pathlib import Path

        from sim.evaluate.store import atomic_write

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        atomic_write(d / "worlds.csv", self.per_world.to_csv(index=False, float_format="%.10g"))
        atomic_write(d / "result.json", json.dumps(self.to_json(), allow_nan=False,
                                                   ensure_ascii=False, indent=1) + "\n")


def fmt(x: float) -> str:
    return significant(x, sign=True)


def summarise(name: str, diffs: np.ndarray, lows: np.ndarray, highs: np.ndarray,
              unit: str | None = None) -> dict[str, Any]:
    """Across worlds: ``effect_median``, ``effect_p05``, ``effect_p95`` of the mean paired
    differences, the shares of worlds better / worse / unclear (by the metric's direction;
    for a metric without direction better and worse are None and ``share_higher`` /
    ``share_lower`` say where the interval excludes 0), and a ``sentence``
    (:func:`sim.analysis.wording.robustness_sentence`; ``unit``: as shown, default the
    metric's)."""
    m = metric(name)
    ok = np.isfinite(diffs)
    n = int(diffs.size)
    verdicts = [verdict(lo, hi, m.direction) for lo, hi in zip(lows, highs, strict=True)]
    up = sum(1 for lo in lows if math.isfinite(lo) and lo > 0)
    down = sum(1 for hi in highs if math.isfinite(hi) and hi < 0)
    unclear = verdicts.count(UNCLEAR)
    better = verdicts.count(BETTER) if m.direction else None
    worse = verdicts.count(WORSE) if m.direction else None
    if ok.any():
        q = np.percentile(diffs[ok], [50, 5, 95])
    else:
        q = [math.nan] * 3
    sentence = robustness_sentence(name, n, up, down, q, unit=unit)
    return {"effect_median": float(q[0]), "effect_p05": float(q[1]), "effect_p95": float(q[2]),
            "share_better": None if better is None else better / n if n else math.nan,
            "share_worse": None if worse is None else worse / n if n else math.nan,
            "share_unclear": unclear / n if n else math.nan,
            "share_higher": up / n if n else math.nan, "share_lower": down / n if n else math.nan,
            "worlds_better": better, "worlds_worse": worse, "worlds_up": up, "worlds_down": down,
            "direction": m.direction, "sentence": sentence,
            "verdicts": verdicts}


def per_world_table(runs: Runs, factors: Sequence[Factor]) -> pd.DataFrame:
    """One row per (world, metric): factor values, diff_mean, ci_low, ci_high, verdict."""
    import pandas as pd

    rows = []
    for m_name in runs.metrics:
        d = runs.paired(m_name)
        direction = metric(m_name).direction
        for w in range(len(runs.worlds)):
            iv, _ = paired(np.zeros(d.shape[1]), d[w])
            rows.append({"world": w, **{f.name: runs.worlds[w][f.name] for f in factors},
                         "metric": m_name, "diff_mean": iv.mean, "ci_low": iv.low,
                         "ci_high": iv.high, "n": iv.n,
                         "verdict": verdict(iv.low, iv.high, direction)})
    return pd.DataFrame(rows)


def explore(scenarios: Sequence[Any], *, samples: int = 200, design: str = "lhs",
            replications: int | None = None, seed: int | None = None,
            vary: Sequence[str] = (), only: Sequence[str] | None = None,
            overrides: Mapping[str, Any] | Sequence[str] | None = None,
            factors: Sequence[Factor] | None = None,
            discover: Sequence[str] | None = None, executor: str = "serial",
            workers: int | None = None, scheduler: str | None = None,
            progress: bool | None = None, out: str | os.PathLike[str] | None = None,
            announce=None, evaluator: Any = None, store: Any = None,
            on_progress: Any = None) -> ExploreResult:
    """An ensemble of the paired comparison ``scenarios[1]`` vs ``scenarios[0]`` (each a
    :class:`~sim.scenario.model.Scenario` or a TOML path, with ``overrides``) over the declared
    uncertainties (``only``: a subset by name) and the ``vary`` ranges (``PATH=LOW:HIGH``), or
    explicit ``factors``. ``samples`` worlds of ``design`` (seeded by ``seed``, default the
    baseline's seed, which is also the replications' seed); ``replications`` per world and
    scenario (default: the baseline's). ``discover``: conditions for scenario discovery
    (:func:`sim.analysis.discovery.parse_condition`; None: every headline metric whose verdict
    differs between worlds, "worse"; empty: none). ``out``: a directory that keeps every simulation
    (resumable) and gets ``worlds.csv`` and ``result.json``. ``evaluator``, ``store``,
    ``on_progress``: as for :func:`sim.analysis.worlds.run_worlds` (the app runs its ensembles
    on its long-lived evaluator and cache; the numbers do not depend on them)."""
    from sim.experiment.study import resolve

    if len(scenarios) != 2:
        raise InputError(f"needs exactly two scenarios, got {len(scenarios)}",
                         field="sim explore", allowed="BASELINE.toml REFORM.toml")
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"expected an integer from 1 to {MAX_SAMPLES}, got {samples!r}",
                         field="--samples", allowed=f"1..{MAX_SAMPLES}")
    scs = [resolve(s, overrides) for s in scenarios]
    facs = study_factors(scs, factors, vary, only, "explore")
    seed = scs[0].scenario.seed if seed is None else int(seed)
    replications = scs[0].scenario.replications if replications is None else int(replications)
    if replications < 2:
        raise InputError(f"expected at least 2 replications, got {replications}",
                         field="--replications", allowed="an integer >= 2 (a CI needs two)")
    conditions = None
    if discover is not None:    # [] : no scenario discovery
        from sim.analysis.discovery import parse_condition

        conditions = [parse_condition(c) for c in discover]
    pts = worlds(facs, samples, design, seed)
    runs = run_worlds(scs, facs, pts, replications, seed, executor=executor, workers=workers,
                      scheduler=scheduler, progress=progress, out=out, label="explore",
                      announce=announce, evaluator=evaluator, store=store,
                      on_progress=on_progress)
    table = per_world_table(runs, facs)
    headline = {}
    for m_name in runs.metrics:
        part = table[table["metric"] == m_name]
        headline[m_name] = summarise(m_name, part["diff_mean"].to_numpy(float),
                                     part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float))
    result = ExploreResult([str(sc.path) for sc in scs], facs, design, runs, table, headline)
    from sim.analysis.discovery import default_conditions, discover_boxes

    if conditions is None:
        conditions = default_conditions(result)
    if conditions:
        result.boxes = [b.to_json() for b in discover_boxes(result, conditions)]
    if out is not None:
        result.write(out)
    return result


__all__ += ["HIGHER", "LOWER", "json_number", "per_world_table"]


class SavedExplore:
    """An ensemble read back from ``sim explore --out DIR`` (``result.json`` and
    ``worlds.csv``), with what the report and the figures read of an :class:`ExploreResult`:
    ``headline``, ``boxes``, ``worlds``, ``replications``, :meth:`effects`, :meth:`inputs`,
    and for a city ensemble ``by_size`` (from ``by_size.csv``)."""

    def __init__(self, data: dict[str, Any], per_world: pd.DataFrame,
                 by_size: pd.DataFrame | None = None) -> None:
        self.data = data
        self.per_world = per_world
        self.headline = {m: {**h, "effect_median": _nan(h.get("effect_median")),
                             "effect_p05": _nan(h.get("effect_p05")),
                             "effect_p95": _nan(h.get("effect_p95"))}
                         for m, h in data.get("metrics", {}).items()}
        self.boxes = list(data.get("boxes", []))
        self.worlds = int(data["worlds"])
        self.replications = int(data["replications"])
        self.design = data.get("design", "")
        self.scenarios = list(data.get("scenarios", []))
        self.factor_names = [f["name"] for f in data.get("factors", [])]
        self.by_size: dict[str, dict[str, Any]] = {}
        if by_size is not None:      # a city ensemble: its size groups
            for g, part in data.get("by_size", {}).items():
                self.by_size[g] = {**part, "per_world": by_size[by_size["group"] == g]
                                   .reset_index(drop=True),
                                   "headline": {m: {**h, "effect_median": _nan(h.get(
                                       "effect_median"))} for m, h in part["metrics"].items()}}

    def effects(self, name: str) -> pd.DataFrame:
        return self.per_world[self.per_world["metric"] == name].reset_index(drop=True)

    def inputs(self) -> pd.DataFrame:
        first = self.per_world.drop_duplicates("world").sort_values("world")
        return first[self.factor_names].reset_index(drop=True)

    def sentences(self, names: Sequence[str] | None = None) -> list[str]:
        return [self.headline[m]["sentence"] for m in (names or HEADLINE) if m in self.headline]


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def read_explore(directory: str | os.PathLike[str]) -> SavedExplore:
    """The ensemble in an explore directory; InputError when it holds none (yet)."""
    import json
    from pathlib import Path

    import pandas as pd

    d = Path(directory)
    try:
        data = json.loads((d / "result.json").read_text(encoding="utf-8"))
        per_world = pd.read_csv(d / "worlds.csv")
        by_size = pd.read_csv(d / "by_size.csv") if "by_size" in data else None
    except FileNotFoundError:
        raise InputError("holds no finished sim explore (result.json and worlds.csv)",
                         file=str(d), field="--explore",
                         allowed="the --out directory of a finished sim explore") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the explore result: {exc}", file=str(d),
                         field="--explore") from None
    if not isinstance(data, dict) or "worlds" not in data or "metrics" not in data:
        raise InputError("result.json is not a sim explore result", file=str(d),
                         field="--explore")
    return SavedExplore(data, per_world, by_size)


__all__ += ["SavedExplore", "read_explore"]
