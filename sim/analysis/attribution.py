"""``sim attribute``: a reform's effect on each metric split over its levers.

For each metric the total effect ``v(reform) - v(baseline)`` is split by Shapley values
over the levers the reform switches on (:mod:`sim.analysis.coalitions`), with one at a time
(``v({i}) - v({})``) and leave one out (``v(N) - v(N - i)``) beside it, and the Shapley
interaction index of the strongest pairs. Every coalition runs the same replications
(common random numbers), so all of these are computed replication by replication.

Method: ``exact`` evaluates all ``2**k`` coalitions in every replication; ``sampled``
gives every replication its own Latin-square blocks of orders (each lever once in every
position per block; :mod:`sim.analysis.shapley_design`), with a two-look rule (a pilot,
then one second stage sized from the pilot's variance split and capped by ``budget``
seconds; :mod:`sim.analysis.attribution_sampled`) unless a number of permutations is
given; ``auto`` (the default) takes exact when its estimated time is within ``budget``
seconds. The estimate comes from a pilot (the empty and the full coalition, which every
method needs) and is reported through ``on_estimate`` before the main work starts. Every
metric gets a ``ranking``: its ``rank`` largest contributions in the direction of its total
effect (for a fall, the largest reductions) and whether simultaneous intervals of the
differences rank them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis import shapley, shapley_design
from sim.analysis.attribution_sampled import INTERACTION_RUNS, PILOT_BLOCKS, run_sampled
from sim.analysis.coalitions import Coalitions, MetricsStore, players_of
from sim.errors import InputError
from sim.evaluate import Evaluator
from sim.formatting import json_clean
from sim.metrics import HEADLINE, METRICS, metric
from sim.stats import paired

__all__ = ["METHODS", "AttributionResult", "attribute", "check_metrics", "check_study",
           "duration_text",
           "estimate_seconds", "metric_row", "run_coalitions"]

METHODS = ("auto", "exact", "sampled")
MAX_EXACT_PLAYERS = 16
SAMPLES_PER_PAIR = 8   # sampled interaction index: drawn coalitions a pair


def check_metrics(names: Sequence[str] | None, field_name: str = "--metric") -> list[str]:
    """The metrics to report (default: the headline metrics); an unknown name is bad input."""
    from sim.scenario.values import suggest

    if not names:
        return list(HEADLINE)
    for n in names:
        if n not in METRICS:
            raise InputError(f"unknown metric {n!r}{suggest(n, list(METRICS))}", field=field_name,
                             allowed="a metric of the registry (sim describe --metrics), e.g. "
                                     + ", ".join(HEADLINE[:3]))
    return list(dict.fromkeys(names))


def check_study(method: str, n: int, replications: int, permutations: int | None) -> None:
    """The options of a Shapley study over ``n`` levers that are bad input: exact over more
    than ``MAX_EXACT_PLAYERS`` levers, fewer than 2 replications (an interval needs two),
    fewer than 2 permutations."""
    if method == "exact" and n > MAX_EXACT_PLAYERS:
        raise InputError(f"exact Shapley over {n} levers needs {2 ** n:,} coalitions",
                         field="--method", allowed=f"exact with at most {MAX_EXACT_PLAYERS} "
                                                   "levers, or sampled")
    if replications < 2:
        raise InputError(f"expected at least 2 replications, got {replications}",
                         field="--replications", allowed="an integer >= 2 (an interval needs two)")
    if permutations is not None and permutations < 2:
        raise InputError("needs at least 2 permutations (orders of the levers)",
                         field="--permutations", allowed="an integer >= 2")


def estimate_seconds(coalitions: int, replications: int, per_replication: float,
                     workers: int) -> float:
    """Wall time of ``coalitions`` x ``replications`` runs on ``workers``."""
    return coalitions * replications * per_replication / max(1, workers)


def duration_text(seconds: float) -> str:
    """A duration in words: seconds, minutes or hours."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class AttributionResult:
    """What :func:`attribute` found; ``metrics[NAME]`` = {"total", "total_ci95", "levers":
    {LEVER: {"shapley", "ci95", "one_at_a_time", "one_at_a_time_ci95", "leave_one_out",
    "leave_one_out_ci95"}}, "interactions": [{"levers", "index", "ci95"}], "efficiency_gap"}."""

    method: str
    baseline: str
    reform: str
    levers: list[str]
    replications: int
    seed: int
    metrics: dict[str, dict[str, Any]]
    permutations: int | None = None
    coalitions: int = 0
    runs: int = 0
    seconds: float = 0.0
    estimate: dict[str, float] = field(default_factory=dict)
    rule: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return json_clean({"method": self.method, "baseline": self.baseline, "reform": self.reform,
                      "levers": self.levers, "replications": self.replications,
                      "seed": self.seed, "permutations": self.permutations,
                      "coalitions": self.coalitions, "runs": self.runs,
                      "seconds": self.seconds, "estimate": self.estimate, "rule": self.rule,
                      "metrics": self.metrics})

    def table(self, lang: str = "en") -> str:
        from sim.analysis.attribution_table import attribution_table

        return attribution_table(self, lang)


def _est(iv) -> tuple[float, list[float]]:
    return float(iv.mean), [float(iv.low), float(iv.high)]


def attribute(baseline, reform, *, replications: int | None = None, seed: int | None = None,
              method: str = "auto", metrics: Sequence[str] | None = None,
              permutations: int | None = None, rank: int = 4, max_permutations: int = 2000,
              budget: float = 180.0, interactions: int = 4, overrides=None,
              executor: str = "serial", workers: int | None = None,
              scheduler: str | None = None, out=None, progress: bool | None = None,
              on_estimate: Callable[[str], None] | None = None) -> AttributionResult:
    """Split the effect of ``reform`` over ``baseline`` (scenarios or paths) over the
    reform's levers; see the module docstring. ``out``: a directory caching every job."""
    from sim.experiment.study import resolve

    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", field="--method", allowed=", ".join(METHODS))
    names = check_metrics(metrics)
    base_sc, reform_sc = resolve(baseline, overrides), resolve(reform, overrides)
    players, base_on = players_of(base_sc, reform_sc)
    n = len(players)
    R = int(replications) if replications is not None else min(reform_sc.scenario.replications, 10)
    check_study(method, n, R, permutations)
    seed = reform_sc.scenario.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    with Evaluator(executor, workers, scheduler, progress=progress, label="coalitions") as ev:
        co = Coalitions(reform_sc, players, base_on, R, seed, ev, MetricsStore(out))
        fields, _ = run_coalitions(co, names, method=method, seed=seed,
                                   permutations=permutations, rank=rank,
                                   max_permutations=max_permutations, budget=budget,
                                   interactions=interactions, workers=ev.workers,
                                   say=on_estimate, started=t0)
    return AttributionResult(baseline=base_sc.name, reform=reform_sc.name, levers=players,
                             seed=seed, seconds=time.perf_counter() - t0, **fields)


def run_coalitions(co: Coalitions, names: Sequence[str], *, method: str, seed: int,
                   permutations: int | None, rank: int, max_permutations: int, budget: float,
                   interactions: int, workers: int, say: Callable[[str], None] | None,
                   started: float, what: str = "") -> tuple[dict[str, Any], Any]:
    """The study on coalitions ``co`` (:class:`Coalitions` or a city's, which share its
    interface): the pilot, the estimate said through ``say`` (``what``: words after "x R
    replications", e.g. the communities a coalition runs), the exact table or the sampled
    design, each metric's row and the interactions. Returns the :class:`AttributionResult`
    fields it found and the design (None: exact), for :func:`metric_row` of other metrics."""
    say = say or (lambda text: None)
    n, R = len(co.players), co.R
    full = (1 << n) - 1
    co.values([0, full])
    per = co.seconds_per_replication() * 1.15   # scenario building and scheduling
    build = min(co.build_seconds) if co.build_seconds else 0.0   # each coalition, here
    est_exact = estimate_seconds((1 << n) - 2, R, per, workers) + ((1 << n) - 2) * build
    orders0 = permutations or PILOT_BLOCKS * ((n + 1) // 2) * R
    middle = orders0 * max(1, n - 3)    # each order's prefixes of sizes 2..k-2
    pairs = INTERACTION_RUNS if interactions >= 2 else 0   # the sampled interaction index
    est_sampled = (estimate_seconds(middle + (2 * n + 2) * R + pairs, 1, per, workers)
                   + (middle + 2 * n + pairs) * build)
    if method == "auto":
        method = "exact" if est_exact <= budget else "sampled"
    say(f"{n} levers; exact Shapley: {1 << n:,} coalitions x {R} replications{what}, about "
        f"{duration_text(est_exact)} on {workers} worker(s)"
        + (f"; sampled ({orders0} orders to start): about {duration_text(est_sampled)}"
           if method == "sampled" else "") + f"; running {method}")
    single = [1 << i for i in range(n)] + [full & ~(1 << i) for i in range(n)]
    design, rule = None, {}
    if method == "exact":
        co.values(range(1 << n))
    else:
        design, rule = run_sampled(co, names[0], seed=seed, permutations=permutations,
                                   rank=rank, max_permutations=max_permutations,
                                   budget=budget, started=started, workers=workers)
    co.values([0, full, *single])
    alpha = rule.get("alpha", shapley_design.ALPHA)
    table = {m: metric_row(co, m, design, n, rank, alpha) for m in names}
    _interactions(co, table, design, n, interactions if design is None
                  else min(interactions, 3), seed)
    fields = {"method": method, "replications": co.R, "metrics": table,
              "permutations": sum(len(b) for bs in design for b in bs)
              if design is not None else None,
              "coalitions": len(co.masks), "runs": co.runs, "rule": rule,
              "estimate": {"exact_seconds": est_exact, "sampled_seconds": est_sampled,
                           "seconds_per_replication": per / 1.15}}
    return fields, design


def metric_row(co: Coalitions, name: str, design, n: int, rank: int, alpha: float
               ) -> dict[str, Any]:
    """One metric's total, levers (Shapley, OAT, LOO with intervals) and ranking, from
    the coalitions ``co`` has run (``design``: the sampled orders, None for exact)."""
    values = co.metric_table(name)
    full = (1 << n) - 1
    total_iv, _ = paired(values[0], values[full])
    if design is None:
        per_rep = shapley.exact(values, n)
    else:
        per_rep = shapley_design.unit_estimates(co.value_of(name), design, n)[0].T
    ests = shapley.replication_estimates(per_rep)
    total_rep = values[full] - values[0]
    gap = float(np.nanmax(np.abs(per_rep.sum(axis=0) - total_rep))) if np.isfinite(total_rep).any() \
        else math.nan
    levers = {}
    for i, p in enumerate(co.players):
        oat, _ = paired(values[0], values[1 << i])
        loo, _ = paired(values[full & ~(1 << i)], values[full])
        levers[p] = {"shapley": ests[i].mean, "ci95": [ests[i].low, ests[i].high],
                     "one_at_a_time": _est(oat)[0], "one_at_a_time_ci95": _est(oat)[1],
                     "leave_one_out": _est(loo)[0], "leave_one_out_ci95": _est(loo)[1]}
    rk = shapley_design.ranking(per_rep.T, float(total_iv.mean), rank, alpha=alpha) \
        if per_rep.shape[1] > 1 and np.isfinite(per_rep).any() else None
    ranking = None if rk is None else {
        "top": rank, "by": "contribution in the direction of the total effect",
        "order": [co.players[i] for i in rk["order"][:rank]], "ranked": rk["ranked"],
        "quantile": rk["quantile"], "ranked_top": _ranked_top(per_rep.T, total_iv.mean, rank,
                                                              alpha),
        "checks": [{"levers": [co.players[a] for a in c["pair"]], "difference": c["difference"],
                    "low": c["low"], "separated": c["separated"]} for c in rk["checks"]]}
    return {"label": metric(name).label, "unit": metric(name).unit,
            "direction": metric(name).direction, "total": float(total_iv.mean),
            "total_ci95": [float(total_iv.low), float(total_iv.high)], "levers": levers,
            "efficiency_gap": gap, "interactions": [], "ranking": ranking}


def _interactions(co: Coalitions, table: dict[str, dict[str, Any]], design, n: int, top: int,
                  seed: int) -> None:
    """The interaction index of every pair among each metric's ``top`` levers (by the size
    of their Shapley value); sampled: ``SAMPLES_PER_PAIR`` drawn coalitions a pair, the t-th
    read in replication ``t mod R`` (independent samples: a t interval over them)."""
    if top < 2 or n < 2:
        return
    wanted: dict[str, list[tuple[int, int]]] = {}
    for name, row in table.items():
        order = sorted(range(n), key=lambda i: -abs(_nan0(row["levers"][co.players[i]]["shapley"])))
        best = sorted(order[:top])
        wanted[name] = [(a, b) for k, a in enumerate(best) for b in best[k + 1:]]
    subsets: dict[tuple[int, int], list[int]] = {}
    if design is not None:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1A7E2]))
        for pair in sorted({p for ps in wanted.values() for p in ps}):
            subsets[pair] = shapley.interaction_orders(n, *pair, SAMPLES_PER_PAIR, rng)
        co.points((s | extra, t % co.R) for pair, ss in subsets.items()
                  for t, s in enumerate(ss)
                  for extra in (0, 1 << pair[0], 1 << pair[1], (1 << pair[0]) | (1 << pair[1])))
    for name, pairs in wanted.items():
        values = co.metric_table(name)
        value = co.value_of(name)
        out = []
        for i, j in pairs:
            if design is None:
                iv = shapley.replication_estimates(shapley.interaction_exact(values, n, i, j)[None, :])[0]
            else:
                bi, bj = 1 << i, 1 << j
                x = [value(s | bi | bj, t % co.R) - value(s | bi, t % co.R)
                     - value(s | bj, t % co.R) + value(s, t % co.R)
                     for t, s in enumerate(subsets[(i, j)])]
                iv = shapley.replication_estimates(np.asarray(x)[None, :])[0]
            out.append({"levers": [co.players[i], co.players[j]], "index": iv.mean,
                        "ci95": [iv.low, iv.high]})
        out.sort(key=lambda d: -abs(_nan0(d["index"])))
        table[name]["interactions"] = out


def _ranked_top(units: np.ndarray, total: float, rank: int, alpha: float) -> int:
    """The largest j <= rank whose first j contributions are ranked (0: not even the
    first); the intervals are simultaneous over all pairs, so every j may be asked."""
    for j in range(rank, 0, -1):
        if shapley_design.ranking(units, total, j, alpha=alpha)["ranked"]:
            return j
    return 0


def _nan0(x: float) -> float:
    return x if math.isfinite(x) else 0.0
