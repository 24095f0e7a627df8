"""``sim attribute --worlds N``: which lever did it, and does that hold across the uncertain
inputs?

:func:`sim.analysis.attribution.attribute` splits a reform's effect over its levers in one
world: the scenarios' nominal values. Here the declared uncertainties (and ``--vary``
ranges) are sampled into ``N`` worlds (:mod:`sim.analysis.factors`: Latin hypercube or
Sobol'), each world's values are set on both scenarios (:func:`sim.analysis.factors.overrides`,
which knows which scenarios an uncertainty applies to), and the effect is split in every
world with the same coalitions, the same replication seeds and, for the sampled method, the
same orders of the levers. The random numbers are thus common across coalitions *and*
worlds: what differs from world to world is the inputs, not the noise. A world in which
the reform is no longer the baseline plus levers (an uncertainty that applies to one
scenario only) is bad input, as it is for ``sim attribute``.

Per metric, across worlds:

* the total effect: its median and 5-95 % range and the share of worlds better / worse /
  unclear (:func:`sim.analysis.explore.summarise`, as ``sim explore``), and the overall
  direction (the sign of the median total);
* per lever: the median and 5-95 % range of its Shapley value and of its share of the total;
  in how many worlds its contribution is clearly *with* the overall direction (its 95 %
  interval excludes 0 on that side), clearly *against* it, or unclear; in how many it makes
  the largest contribution in the overall direction (first) or one of the ``rank`` largest
  (the ranking of ``sim attribute``, read in each world); and the uncertain input whose
  values go most with its Shapley value across worlds (Spearman).

The per-world Shapley values are estimates with replication noise (their intervals are in
the per-world table); the spread across worlds is the inputs' effect plus that noise, and
the report says so. ``out``: every simulation is kept under ``DIR/coalitions`` (shared by all
worlds: a coalition whose scenario two worlds leave the same runs once), so a study killed
at any moment continues where it stopped when run again with the same ``out``, with
identical numbers; ``DIR/attribution_worlds.csv`` and ``DIR/result.json`` are written at
the end.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.attribution import (
    MAX_EXACT_PLAYERS,
    METHODS,
    check_metrics,
    check_study,
    duration_text,
    run_coalitions,
)
from sim.analysis.coalitions import Coalitions, MetricsStore, players_of
from sim.analysis.explore import summarise
from sim.analysis.factors import Factor, overrides, study_factors, worlds
from sim.errors import InputError
from sim.evaluate import Evaluator
from sim.formatting import json_clean, significant

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_REPLICATIONS", "DEFAULT_WORLDS", "MAX_WORLDS", "WorldsAttribution",
           "attribute_worlds", "summarise_levers"]

DEFAULT_WORLDS = 20
DEFAULT_REPLICATIONS = 3
MAX_WORLDS = 10_000
MENTION = 0.02    # a lever against the effect is named when its median is 2 % of the total's


@dataclass
class WorldsAttribution:
    """What :func:`attribute_worlds` found. ``values``: one dict per world (factor name ->
    value); ``per_world``: one ``sim attribute`` metrics table per world (metric -> row of
    :func:`sim.analysis.attribution.metric_row`); ``metrics``: per metric, the summary
    across worlds (``total`` and ``levers``, see :func:`summarise_levers`)."""

    baseline: str
    reform: str
    levers: list[str]
    factors: list[Factor]
    design: str
    values: list[dict[str, Any]]
    method: str
    replications: int
    seed: int
    per_world: list[dict[str, dict[str, Any]]]
    metrics: dict[str, dict[str, Any]]
    permutations: int | None = None
    rank: int = 4
    runs: int = 0
    seconds: float = 0.0
    estimate: dict[str, float] = field(default_factory=dict)

    @property
    def worlds(self) -> int:
        return len(self.values)

    def frame(self) -> pd.DataFrame:
        """One row per (world, metric, lever): the world's factor values, the lever's Shapley
        value with its 95 % interval, one at a time, leave one out, and the world's total
        (lever ``total``: the total effect and its interval)."""
        import pandas as pd

        rows = []
        for w, (vals, table) in enumerate(zip(self.values, self.per_world, strict=True)):
            for m, row in table.items():
                base = {"world": w, **vals, "metric": m}
                rows.append({**base, "lever": "total", "shapley": row["total"],
                             "ci_low": row["total_ci95"][0], "ci_high": row["total_ci95"][1],
                             "one_at_a_time": math.nan, "leave_one_out": math.nan})
                for lever, v in row["levers"].items():
                    rows.append({**base, "lever": lever, "shapley": v["shapley"],
                                 "ci_low": v["ci95"][0], "ci_high": v["ci95"][1],
                                 "one_at_a_time": v["one_at_a_time"],
                                 "leave_one_out": v["leave_one_out"]})
        return pd.DataFrame(rows)

    def sentences(self, names: Sequence[str] | None = None) -> list[str]:
        """Per metric: the total across worlds, then which lever comes first, and every lever
        that works against the total in some world."""
        out = []
        for m in names or list(self.metrics):
            row = self.metrics.get(m)
            if row is not None:
                out += [row["total"]["sentence"], *row["sentences"]]
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``sim attribute --worlds N --json`` object (docs/experiments.md)."""
        metrics = {}
        for m, row in self.metrics.items():
            tot = row["total"]
            metrics[m] = {
                "label": row["label"], "unit": row["unit"], "direction": row["direction"],
                "total": {k: tot[k] for k in ("effect_median", "effect_p05", "effect_p95",
                                              "share_better", "share_worse", "share_unclear",
                                              "sentence")},
                "overall": row["overall"], "levers": row["levers"],
                "sentences": row["sentences"]}
        return json_clean({
            "baseline": self.baseline, "reform": self.reform, "levers": self.levers,
            "worlds": self.worlds, "design": self.design, "method": self.method,
            "replications": self.replications, "seed": self.seed,
            "permutations": self.permutations, "rank": self.rank, "runs": self.runs,
            "seconds": self.seconds, "estimate": self.estimate,
            "factors": [{"name": f.name, "paths": list(f.paths), "low": f.low, "high": f.high,
                         "distribution": f.distribution, "declared": f.declared}
                        for f in self.factors],
            "values": self.values, "metrics": metrics,
            "per_world": [{m: {"total": row["total"], "total_ci95": row["total_ci95"],
                               "levers": {p: {k: v[k] for k in ("shapley", "ci95",
                                                                "one_at_a_time",
                                                                "leave_one_out")}
                                          for p, v in row["levers"].items()}}
                           for m, row in table.items()} for table in self.per_world]})

    def table(self, lang: str = "en") -> str:
        from sim.analysis.attribution_table import worlds_attribution_table

        return worlds_attribution_table(self, lang)

    def write(self, directory: str | os.PathLike[str]) -> None:
        """``attribution_worlds.csv`` (per world, metric and lever) and ``result.json``."""
        import json
        from pathlib import Path

        from sim.evaluate.store import atomic_write

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        atomic_write(d / "attribution_worlds.csv",
                     self.frame().to_csv(index=False, float_format="%.10g"))
        atomic_write(d / "result.json", json.dumps(self.to_json(), allow_nan=False,
                                                   ensure_ascii=False, indent=1) + "\n")


def _q(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if not x.size:
        return math.nan, math.nan, math.nan
    q = np.percentile(x, [50, 5, 95])
    return float(q[0]), float(q[1]), float(q[2])


def summarise_levers(name: str, tables: Sequence[Mapping[str, Any]], levers: Sequence[str],
                     rank: int, inputs: Mapping[str, Sequence[float]] | None = None
                     ) -> dict[str, Any]:
    """One metric across worlds (``tables``: that metric's row of each world's attribution;
    ``inputs``: each factor's value in every world): the total as ``sim explore`` summarises
    an effect, and per lever the distribution of its Shapley value and of its share of the
    world's total; the worlds where its 95 % interval lies on the side of the *overall*
    direction (the sign of the median total across worlds: ``with``), on the other side
    (``against``) or holds 0 (``unclear``); the worlds where it makes the largest / one of
    the ``rank`` largest contributions in the overall direction (``first``, ``top``); and
    the input whose values go most with its Shapley value across worlds (largest absolute
    Spearman correlation, ``moved_by``); with sentences."""
    n = len(tables)
    totals = np.asarray([t["total"] for t in tables], dtype=float)
    lows = np.asarray([t["total_ci95"][0] for t in tables], dtype=float)
    highs = np.asarray([t["total_ci95"][1] for t in tables], dtype=float)
    total = summarise(name, totals, lows, highs)
    total.pop("verdicts", None)
    shap = np.asarray([[t["levers"][p]["shapley"] for p in levers] for t in tables], dtype=float)
    lo = np.asarray([[t["levers"][p]["ci95"][0] for p in levers] for t in tables], dtype=float)
    hi = np.asarray([[t["levers"][p]["ci95"][1] for p in levers] for t in tables], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = shap / totals[:, None]
    # the overall direction: where the worlds' totals lie (their median; 0 counts as a rise).
    # A world whose own total is unclear keeps it: the question is which levers push the
    # effect the reform has across the inputs, not one world's noisy sign
    median = float(np.nanmedian(totals)) if np.isfinite(totals).any() else 0.0
    sign = -1.0 if median < 0 else 1.0
    up, down = lo > 0, hi < 0
    with_total, against = (up, down) if sign > 0 else (down, up)
    toward = np.where(np.isfinite(shap), shap * sign, -np.inf)
    order = np.argsort(-toward, axis=1, kind="stable")   # ties: in lever order
    first = np.zeros(len(levers), dtype=int)
    top = np.zeros(len(levers), dtype=int)
    k = min(rank, len(levers))
    for w in range(n):
        first[order[w, 0]] += 1
        top[order[w, :k]] += 1
    out: dict[str, Any] = {}
    for i, p in enumerate(levers):
        med, p05, p95 = _q(shap[:, i])
        smed, s05, s95 = _q(share[:, i])
        out[p] = {"shapley_median": med, "shapley_p05": p05, "shapley_p95": p95,
                  "share_of_total_median": smed, "share_of_total_p05": s05,
                  "share_of_total_p95": s95,
                  "worlds_with_total": int(with_total[:, i].sum()),
                  "worlds_against_total": int(against[:, i].sum()),
                  "worlds_unclear": int(n - with_total[:, i].sum() - against[:, i].sum()),
                  "worlds_first": int(first[i]), "worlds_top": int(top[i]),
                  "moved_by": _moved_by(shap[:, i], inputs or {})}
    return {"total": total, "overall": "fall" if sign < 0 else "rise", "levers": out,
            "sentences": _sentences(name, out, n, median, k)}


def _moved_by(values: np.ndarray, inputs: Mapping[str, Sequence[float]]) -> dict[str, Any] | None:
    """The input whose values go most with ``values`` across worlds (the largest absolute
    Spearman correlation; None when no input varies or the values do not)."""
    from scipy.stats import spearmanr

    ok = np.isfinite(values)
    if ok.sum() < 3 or np.ptp(values[ok]) == 0:
        return None
    best = None
    for name, xs in inputs.items():
        x = np.asarray(xs, dtype=float)[ok]
        if np.ptp(x) == 0:
            continue
        rho = float(spearmanr(x, values[ok]).statistic)
        if math.isfinite(rho) and (best is None or abs(rho) > abs(best["spearman"])):
            best = {"input": name, "spearman": rho}
    return best


def _sentences(name: str, levers: Mapping[str, Mapping[str, Any]], n: int, median: float,
               k: int) -> list[str]:
    """The sentences of one metric: which lever comes first and in how many worlds, which
    are in the top ``k`` of every world, what input moves the leading levers most, and every
    lever that works against the overall effect in some worlds whose median Shapley value is
    at least ``MENTION`` of the median total."""
    from sim.metrics import metric

    label = metric(name).label
    way = "reduction" if median < 0 else "increase"
    firsts = sorted(((v["worlds_first"], p) for p, v in levers.items() if v["worlds_first"]),
                    key=lambda cp: (-cp[0], cp[1]))
    out = []
    if firsts:
        lead = ", ".join(f"{p} in {c}" for c, p in firsts[:3])
        more = len(firsts) - 3
        out.append(f"{label}: the largest {way} comes from {lead} of {n} worlds"
                   + (f" (and from {more} other levers in the rest)" if more > 0 else "") + ".")
    steady = [p for p, v in levers.items() if v["worlds_top"] == n]
    if steady and k < len(levers):
        out.append(f"{label}: in the top {k} of every world: {', '.join(steady)}.")
    for _, p in firsts[:3]:
        mv = levers[p]["moved_by"]
        if mv is not None and abs(mv["spearman"]) >= 0.5:
            out.append(f"{label}: {p}'s contribution moves most with {mv['input']} (Spearman "
                       f"{mv['spearman']:+.2f} across the {n} worlds).")
    for p, v in levers.items():
        w, a, u = v["worlds_with_total"], v["worlds_against_total"], v["worlds_unclear"]
        med = v["shapley_median"]
        if not (math.isfinite(med) and abs(med) >= MENTION * abs(median)):
            continue    # too small to name (its worlds are in the table)
        if a and w:
            out.append(f"{label}: {p} works with the overall {way} in {w}, against it in {a} "
                       f"and unclearly in {u} of {n} worlds (Shapley median "
                       f"{significant(v['shapley_median'], sign=True)}, 5-95 %: "
                       f"{significant(v['shapley_p05'], sign=True)} to "
                       f"{significant(v['shapley_p95'], sign=True)}).")
        elif a:
            out.append(f"{label}: {p} works against the overall {way} in {a} of {n} worlds"
                       + (f" (unclear in {u})" if u else "") + " (Shapley median "
                       f"{significant(v['shapley_median'], sign=True)}).")
    return out


def attribute_worlds(baseline, reform, *, worlds_n: int = DEFAULT_WORLDS, design: str = "lhs",
                     replications: int | None = None, seed: int | None = None,
                     method: str = "auto", metrics: Sequence[str] | None = None,
                     permutations: int | None = None, rank: int = 4, budget: float = 600.0,
                     vary: Sequence[str] = (), only: Sequence[str] | None = None,
                     factors: Sequence[Factor] | None = None, overrides_=None,
                     executor: str = "serial", workers: int | None = None,
                     scheduler: str | None = None, out: str | os.PathLike[str] | None = None,
                     progress: bool | None = None,
                     on_estimate: Callable[[str], None] | None = None) -> WorldsAttribution:
    """Split the effect of ``reform`` over ``baseline`` (scenarios or paths, with
    ``overrides_``) over the reform's levers in ``worlds_n`` sampled worlds of the declared
    uncertainties (``only``: a subset by name) and the ``vary`` ranges, or of explicit
    ``factors``; see the module docstring. ``method``: ``exact`` (all 2^k coalitions in
    every world), ``sampled`` (``permutations`` orders, default k/2 a replication, the same
    orders in every world) or ``auto`` (exact when the whole study's estimated time is
    within ``budget`` seconds). ``replications``: per coalition and world (default 3).
    The estimated time is said through ``on_estimate`` before the main work starts."""
    from sim.experiment.study import resolve
    from sim.scenario import apply_overrides

    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", field="--method", allowed=", ".join(METHODS))
    if isinstance(worlds_n, bool) or not isinstance(worlds_n, int) \
            or not 1 <= worlds_n <= MAX_WORLDS:
        raise InputError(f"expected an integer from 1 to {MAX_WORLDS}, got {worlds_n!r}",
                         field="--worlds", allowed=f"1..{MAX_WORLDS}")
    names = check_metrics(metrics)
    base_sc, reform_sc = resolve(baseline, overrides_), resolve(reform, overrides_)
    players, base_on = players_of(base_sc, reform_sc)
    n = len(players)
    R = DEFAULT_REPLICATIONS if replications is None else int(replications)
    check_study(method, n, R, permutations)
    seed = reform_sc.scenario.seed if seed is None else int(seed)
    facs = study_factors([base_sc, reform_sc], factors, vary, only, "attribute across")
    values = worlds(facs, worlds_n, design, seed)
    # each world's reform (the coalitions are built from it), checked to be its baseline
    # plus the same levers
    reforms = []
    for w, world in enumerate(values):
        ov = overrides([base_sc, reform_sc], facs, world)
        b_w, r_w = apply_overrides(base_sc, ov[0]), apply_overrides(reform_sc, ov[1])
        try:
            p_w, on_w = players_of(b_w, r_w)
        except InputError as exc:
            raise InputError(f"in world {w} ({_world_text(world)}): {exc.detail}",
                             file=exc.file, field=exc.field,
                             allowed="uncertainties that apply to both scenarios (applies = "
                                     "\"all\"), so that the reform stays the baseline plus "
                                     "its levers in every world") from None
        if (p_w, on_w) != (players, base_on):
            raise InputError(f"in world {w} ({_world_text(world)}) the reform switches on "
                             f"{', '.join(p_w)} instead of {', '.join(players)}",
                             field="uncertainties", allowed="uncertainties that do not "
                             "switch levers")
        reforms.append(r_w)
    full = (1 << n) - 1
    if permutations is None and method != "exact":
        permutations = ((n + 1) // 2) * R
    # a sampled world's runs (sim.analysis.attribution_sampled): in every replication the
    # empty and full coalitions, the singletons and the leave-one-out sets; each order adds
    # its prefixes of sizes 2..k-2
    sampled_runs = (2 * n + 2) * R + max(1, n - 3) * permutations if permutations else 0
    t0 = time.perf_counter()
    store = MetricsStore(out)
    per_world: list[dict[str, dict[str, Any]]] = []
    runs = 0
    say = on_estimate or (lambda text: None)
    with Evaluator(executor, workers, scheduler, progress=progress, label="world 1") as ev:
        # the pilot: the first world's empty and full coalitions time a replication
        co = Coalitions(reforms[0], players, base_on, R, seed, ev, store)
        co.values([0, full])
        # (NaN when no run time is known: the estimate says "unknown" and auto, which
        # compares it with the budget, takes the sampled method)
        per = co.seconds_per_replication() * 1.15   # scenario building and scheduling
        workers_n = max(1, ev.workers)
        # each coalition's scenario is built here, in this process, once a world
        build = min(co.build_seconds) if co.build_seconds else 0.0
        sampled_masks = (2 * n + 2 + max(1, n - 3) * permutations) if permutations else 0
        est_exact = worlds_n * ((1 << n) * R * per / workers_n + (1 << n) * build)
        est_sampled = worlds_n * (sampled_runs * per / workers_n + sampled_masks * build)
        if method == "auto":
            method = "exact" if n <= MAX_EXACT_PLAYERS and est_exact <= budget else "sampled"
        if method == "exact":
            permutations, est = None, est_exact
            what = f"exact Shapley, {1 << n:,} coalitions x {R} replications a world"
        else:
            est = est_sampled
            what = (f"sampled Shapley, {permutations} orders over {R} replications a world "
                    f"({sampled_runs:,} runs)")
            if n <= MAX_EXACT_PLAYERS:
                what += f"; exact would take about {duration_text(est_exact)}"
        say(f"{n} levers in {worlds_n} worlds of {len(facs)} uncertain inputs: {what}; about "
            f"{duration_text(est)} on {workers_n} worker(s)")
        for w, r_w in enumerate(reforms):
            ev.label = f"world {w + 1}/{worlds_n}"
            if w:
                co = Coalitions(r_w, players, base_on, R, seed, ev, store)
            fields, _ = run_coalitions(co, names, method=method, seed=seed,
                                       permutations=permutations, rank=rank,
                                       max_permutations=max(2, permutations or 2),
                                       budget=math.inf, interactions=0, workers=workers_n,
                                       say=None, started=t0)
            per_world.append(fields["metrics"])
            runs += co.runs
    summary = {}
    for m in names:
        tables = [t[m] for t in per_world]
        row = summarise_levers(m, tables, players, rank,
                               {f.name: [v[f.name] for v in values] for f in facs})
        first = tables[0]
        summary[m] = {"label": first["label"], "unit": first["unit"],
                      "direction": first["direction"], **row}
    result = WorldsAttribution(
        baseline=base_sc.name, reform=reform_sc.name, levers=players, factors=facs,
        design=design, values=values, method=method, replications=R, seed=seed,
        per_world=per_world, metrics=summary, permutations=permutations, rank=min(rank, n),
        runs=runs, seconds=time.perf_counter() - t0,
        estimate={"seconds": est, "exact_seconds": est_exact, "sampled_seconds": est_sampled,
                  "seconds_per_replication": per / 1.15})
    if out is not None:
        result.write(out)
    return result


def _world_text(world: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={significant(v) if isinstance(v, float) else v}"
                     for k, v in world.items())

