"""Experiments: many replications of a scenario with confidence intervals, and paired comparisons.

:func:`run` runs replications ``0..n-1`` of one scenario and summarises every metric with its
mean and 95 % Student-t interval. :func:`compare` runs the same replication numbers with the
same seed for several scenarios, so replication r of each draws the same random numbers for
the sources they share (common random numbers, see :mod:`sim.rng`), and judges each scenario
against the first by the *paired* differences, replication by replication.

Sequential precision (``precision=p``)
--------------------------------------
Start with ``min_replications`` replications (or ``replications`` if given); then, until every
headline metric (:data:`sim.metrics.HEADLINE`) has a 95 % t-interval whose half-width is at
most ``p * |mean|``, add a batch of replications and check again. A metric that is NaN in
every replication, or 0 in every replication, is skipped (it has no relative precision).
The next total is estimated from the worst metric, ``n * (achieved / p) ** 2`` (half-widths
shrink like ``1 / sqrt(n)``), at least one more replication and at most double the current
number; it stops at ``max_replications`` with a warning naming the metrics that missed. In
:func:`compare` the rule also applies to the paired difference of every headline metric,
relative to the baseline's mean (or to the scenario's mean where the baseline is 0
throughout, e.g. volunteer work before the reform). ``precision_info`` records whether it
converged, the achieved relative half-widths and the totals after each batch. As with any
sequential stopping rule the intervals' coverage is slightly below the nominal 95 %; the
doubling cap and ``min_replications`` keep that small. See ``docs/experiments.md``.

Nothing here prints: a tqdm progress bar (``tqdm.auto``, so notebooks get a widget) is shown
only with ``progress=True``, or with ``progress=None`` when stderr is a terminal and the
run lasts more than a moment.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.provenance import versions
from sim.version import __version__

if TYPE_CHECKING:
    import pandas as pd
from sim.engine import TASK_FIELDS, ReplicationResult
from sim.errors import InputError
from sim.evaluate import Evaluator, Interrupted, JobFailed, JobSet
from sim.evaluate.store import ReplicationStore
from sim.formatting import align as _align
from sim.formatting import decimals
from sim.formatting import interval as _ci
from sim.formatting import number as _f
from sim.metrics import HEADLINE, metric
from sim.scenario.model import Scenario
from sim.stats import paired, relative_half_width, t_interval, welch_interval, welch_moving_average
from sim.text import unit as _unit
from sim.text import verdict as verdict_label

__all__ = ["ComparisonResult", "ExperimentInterrupted", "RunResult", "compare", "run", "welch"]

BETTER, WORSE, UNCLEAR, HIGHER, LOWER = "better", "worse", "no clear difference", "higher", "lower"
_TASK_INFO = ("name", "name_zh", "category", "origin")


# --------------------------------------------------------------------------- helpers
def _num(x: Any) -> float | None:
    """A JSON number: NaN and infinities become None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _resolve(scenario: Scenario | str | os.PathLike[str], overrides) -> Scenario:
    from sim.scenario import apply_overrides, load_scenario

    if isinstance(scenario, Scenario):
        return apply_overrides(scenario, overrides) if overrides else scenario
    path = os.fspath(scenario)
    if not os.path.isfile(path):
        raise InputError("scenario file not found", file=path)
    return load_scenario(path, overrides)


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"must be an integer >= {minimum} (got {value!r})", field=name)
    return int(value)


def _check_precision(p: Any) -> float | None:
    if p is None:
        return None
    try:
        p = float(p)
    except (TypeError, ValueError):
        p = math.nan
    if not (math.isfinite(p) and p > 0):
        raise InputError("must be a number > 0, e.g. 0.05 for +-5 % of the mean", field="precision")
    return p


def _trivial(x: np.ndarray) -> bool:
    """NaN in every replication, or 0 in every replication where defined."""
    x = x[~np.isnan(x)]
    return x.size == 0 or not np.any(x != 0.0)


class ExperimentInterrupted(Interrupted):
    """:func:`run` or :func:`compare` was interrupted (SIGINT/SIGTERM): ``result`` holds
    every replication that had finished for all scenarios, marked partial
    (``result.partial``); the CLI writes it and exits with ``exit_code``."""

    def __init__(self, signum: int, result: RunResult | ComparisonResult) -> None:
        super().__init__(signum)
        self.result = result


class _Runner:
    """Replications of several scenarios in lockstep, submitted to the evaluator: replication
    r of every scenario, then r + 1 (so an interruption leaves mostly complete pairs)."""

    def __init__(self, scenarios: list[Scenario], seed: int, events: bool, evaluator: Evaluator,
                 store: ReplicationStore | None):
        self.scenarios = scenarios
        self.seed = seed
        self.events = events
        self.evaluator = evaluator
        self.store = store
        self.jobs = JobSet()
        self.results: list[list[ReplicationResult]] = [[] for _ in scenarios]
        self.requested = 0

    @property
    def n(self) -> int:
        return len(self.results[0])

    def extend(self, n: int) -> None:
        """Run replications ``self.n .. n-1`` of every scenario (finished ones that the store
        holds are read back, not run)."""
        start = self.n
        if n <= start:
            return
        self.requested = n
        first = len(self.jobs)
        for r in range(start, n):
            for sc in self.scenarios:
                self.jobs.add(sc, r, self.seed, events=self.events)
        new = range(first, len(self.jobs))
        try:
            got = self.evaluator.map(self.jobs, self.store, indices=new)
        except Interrupted as exc:
            got = exc.results
            self._keep(got, new, complete_only=True)
            raise
        self._keep(got, new, complete_only=False)

    def _keep(self, got: list[Any], new: range, complete_only: bool) -> None:
        k_n = len(self.scenarios)
        for base in range(new.start, new.stop, k_n):
            row = got[base:base + k_n]
            if complete_only and any(x is None or isinstance(x, JobFailed) for x in row):
                continue
            for k, res in enumerate(row):
                if isinstance(res, JobFailed):
                    job = self.jobs.jobs[base + k]
                    raise RuntimeError(f"replication {job.replication} of "
                                       f"{self.scenarios[k].name} failed on {res.worker}: "
                                       f"{res.error}\n{res.traceback}")
                self.results[k].append(res)

    def values(self, k: int) -> dict[str, np.ndarray]:
        reps = self.results[k]
        names = dict.fromkeys(name for r in reps for name in r.metrics)
        return {m: np.asarray([r.metrics.get(m, math.nan) for r in reps], dtype=float) for m in names}


def _floored(name: str, iv, reference: float, p: float) -> float:
    """Relative half-width, measured against max(|reference|, tolerance / p): a metric whose
    interval is already within its absolute ``tolerance`` (the registry's, e.g. 1 hour a year
    of overtime) counts as precise even when its mean is near zero."""
    tol = metric(name).tolerance
    if tol > 0 and math.isfinite(reference):
        reference = math.copysign(max(abs(reference), tol / p), reference or 1.0)
    return relative_half_width(iv, reference)


def _run_precision(values: dict[str, np.ndarray], p: float) -> dict[str, float]:
    out = {}
    for m in HEADLINE:
        if m in values and not _trivial(values[m]):
            iv = t_interval(values[m])
            out[m] = _floored(m, iv, iv.mean, p)
    return out


def _diff_precision(base: dict[str, np.ndarray], scen: dict[str, np.ndarray],
                    p: float) -> dict[str, float]:
    out = {}
    for m in HEADLINE:
        if m not in base or m not in scen:
            continue
        iv, keep = paired(base[m], scen[m])
        a, b = base[m][keep], scen[m][keep]
        if a.size == 0 or (_trivial(a) and _trivial(b)):
            continue
        ref = float(a.mean()) if np.any(a != 0.0) else float(b.mean())
        out[m] = _floored(m, iv, ref, p)
    return out


def _missed(rel: dict[str, float], p: float) -> list[str]:
    return [m for m, v in rel.items() if not v <= p]  # NaN counts as missed


def _next_n(n: int, worst: float, p: float, max_n: int) -> int:
    grow = 2 * n if not math.isfinite(worst) else math.ceil(n * (worst / p) ** 2)
    return min(max_n, max(n + 1, min(grow, 2 * n)))


def _experiment(scenarios: list[Scenario], replications, seed, precision, max_replications,
                min_replications, events, progress, compare_pairs: bool, execution: dict[str, Any]):
    """Shared core of :func:`run` and :func:`compare`: returns the runner, the seed, the
    precision info and the :class:`Interrupted` exception if a signal stopped it."""
    p = _check_precision(precision)
    max_n = _check_int(max_replications, "max_replications")
    min_n = _check_int(min_replications, "min_replications")
    if replications is not None:
        replications = _check_int(replications, "replications")
    seed = scenarios[0].scenario.seed if seed is None else _check_int(seed, "seed", 0)
    if p is None:
        n = replications if replications is not None else scenarios[0].scenario.replications
    else:
        n = min(replications if replications is not None else min_n, max_n)
    store_dir = execution.get("store")
    store = None
    if store_dir is not None:
        store = ReplicationStore(store_dir)
        store.prepare()
    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    evaluator = Evaluator(execution.get("executor") or "serial", execution.get("workers"),
                          execution.get("scheduler"), progress=progress, label=label)
    runner = _Runner(scenarios, seed, events, evaluator, store)
    history = [n]
    interrupted = None
    with evaluator:
        try:
            _grow(runner, n, p, max_n, compare_pairs, history)
        except Interrupted as exc:
            interrupted = exc
    if interrupted is not None or p is None:
        base_info: dict[str, Any] = {"precision": p, "converged": None, "history": history,
                                     "max_replications": max_n}
        return runner, seed, [dict(base_info, relative_half_widths={}, missed=[])
                              for _ in scenarios], dict(base_info, relative_half_widths={},
                                                        missed=[]), interrupted
    vals = [runner.values(k) for k in range(len(scenarios))]
    run_rel = [_run_precision(v, p) for v in vals]
    diff_rel = ({k: _diff_precision(vals[0], vals[k], p) for k in range(1, len(vals))}
                if compare_pairs else {})
    return (runner, seed, *_precision_info(scenarios, p, run_rel, diff_rel, history, max_n,
                                           runner.n), None)


def _grow(runner: _Runner, n: int, p: float | None, max_n: int, compare_pairs: bool,
          history: list[int]) -> None:
    """Run ``n`` replications, then (with precision ``p``) more until the rule is met."""
    runner.extend(n)
    while p is not None:
        vals = [runner.values(k) for k in range(len(runner.scenarios))]
        run_rel = [_run_precision(v, p) for v in vals]
        diff_rel = ({k: _diff_precision(vals[0], vals[k], p) for k in range(1, len(vals))}
                    if compare_pairs else {})
        ratios = [v for rel in (*run_rel, *diff_rel.values()) for m, v in rel.items()
                  if m in _missed(rel, p)]
        if not ratios or runner.n >= max_n:
            return
        worst = max(ratios, key=lambda v: math.inf if math.isnan(v) else v)
        n = _next_n(runner.n, worst, p, max_n)
        history.append(n)
        runner.extend(n)


def _precision_info(scenarios, p, run_rel, diff_rel, history, max_n, n_done):
    """Per-scenario and overall precision records; warns about the metrics that missed."""
    infos = []
    missed_all: list[tuple[str, float]] = []  # (label, achieved relative half-width)
    for k, rel in enumerate(run_rel):
        missed = _missed(rel, p)
        prefix = f"{scenarios[k].name}: " if len(scenarios) > 1 else ""
        missed_all += [(prefix + m, rel[m]) for m in missed]
        infos.append({"precision": p, "converged": not missed, "history": history,
                      "max_replications": max_n, "relative_half_widths": rel, "missed": missed})
    diff_info = {}
    for k, rel in diff_rel.items():
        key = f"{scenarios[k].name} - {scenarios[0].name}"
        diff_info[key] = rel
        missed_all += [(f"{key}: {m}", rel[m]) for m in _missed(rel, p)]
    overall = {"precision": p, "converged": not missed_all, "history": history,
               "max_replications": max_n, "relative_half_widths": diff_info,
               "missed": [label for label, _ in missed_all]}
    if missed_all:
        shown = ", ".join(f"{label} ({v:.3g})" for label, v in missed_all)
        warnings.warn(f"precision {p:g} not reached after {n_done} replications "
                      f"(max_replications) for: {shown} (achieved relative half-width in brackets)",
                      RuntimeWarning, stacklevel=4)
    return infos, overall


# --------------------------------------------------------------------------- results
def _build_run(scenario: Scenario, seed: int, reps: list[ReplicationResult], seconds: float,
               precision_info: dict[str, Any]) -> RunResult:
    return RunResult(scenario=scenario, seed=seed, replications=len(reps), version=__version__,
                     run_seconds=seconds, precision_info=precision_info, results=list(reps))


_SUMMARY_COLUMNS = ["metric", "mean", "sd", "n", "ci_low", "ci_high", "half_width", "label",
                    "label_zh", "unit", "direction", "headline"]


def _write_frames(directory, frames: dict[str, pd.DataFrame | None], index: set[str]) -> list[Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    try:
        import pyarrow  # noqa: F401
        parquet = True
    except ImportError:
        parquet = False
    written = []
    for name, df in frames.items():
        if df is None:
            continue
        keep_index = name in index
        path = out / f"{name}.csv"
        df.to_csv(path, index=keep_index)
        written.append(path)
        if parquet:
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=keep_index)
            written.append(path)
    return written


def _nil(x: float) -> bool:
    return x is None or math.isnan(x) or x == 0.0


def _ordered(frame: pd.DataFrame, key: str = "headline") -> pd.DataFrame:
    """Headline metrics first (in registry order), then the rest, each in their order."""
    import pandas as pd

    return pd.concat([frame[frame[key]], frame[~frame[key]]])


def _ordered_records(rows: list[dict[str, Any]], key: str = "headline") -> list[dict[str, Any]]:
    return [r for r in rows if r[key]] + [r for r in rows if not r[key]]


@dataclass
class RunResult:
    """Replications of one scenario. See the module docstring and ``docs/experiments.md``.

    ``by_replication``: one row per replication (``replication`` + every metric);
    ``summary``: indexed by metric (mean, sd, n, ci_low, ci_high, half_width, label, label_zh,
    unit, direction, headline); ``tasks``: indexed by task id (name, name_zh, category,
    origin and the means over replications of the task figures); ``tasks_by_replication``:
    the same per replication (long); ``daily``: replication, day, date and the daily columns
    (long); ``events``: the event logs with a replication column (only with ``events=True``).
    The tables are pandas DataFrames built on first use from ``results`` (the replications'
    own results), so ``to_json()`` and ``table()`` need neither pandas nor scipy.stats.
    """

    scenario: Scenario
    seed: int
    replications: int
    version: str
    run_seconds: float
    precision_info: dict[str, Any] = field(default_factory=dict)
    results: list[ReplicationResult] = field(default_factory=list, repr=False)
    partial: dict[str, Any] | None = None    # set when interrupted (see ExperimentInterrupted)

    # ---------------------------------------------------------------- numpy summaries
    @cached_property
    def _metric_names(self) -> list[str]:
        return list(dict.fromkeys(name for r in self.results for name in r.metrics))

    @cached_property
    def _values(self) -> dict[str, np.ndarray]:
        return {m: np.asarray([r.metrics.get(m, math.nan) for r in self.results], dtype=float)
                for m in self._metric_names}

    @cached_property
    def _summary_rows(self) -> list[dict[str, Any]]:
        rows = []
        for m, v in self._values.items():
            iv = t_interval(v)
            meta = metric(m)
            rows.append({"metric": m, "mean": iv.mean, "sd": iv.sd, "n": iv.n, "ci_low": iv.low,
                         "ci_high": iv.high, "half_width": iv.half_width, "label": meta.label,
                         "label_zh": meta.label_zh, "unit": meta.unit,
                         "direction": meta.direction, "headline": meta.headline})
        return rows

    @cached_property
    def _task_means(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.results:
            for tid, info in r.tasks.items():
                row = out.setdefault(tid, {**{k: info.get(k, "") for k in _TASK_INFO},
                                           **{f: [] for f in TASK_FIELDS}})
                for f in TASK_FIELDS:
                    row[f].append(float(info.get(f, math.nan)))
        for row in out.values():
            for f in TASK_FIELDS:
                x = np.asarray(row[f], dtype=float)
                x = x[~np.isnan(x)]
                row[f] = float(x.mean()) if x.size else math.nan
        return out

    # ---------------------------------------------------------------- pandas tables
    @cached_property
    def by_replication(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"replication": [r.replication for r in self.results],
                             **self._values})

    @cached_property
    def summary(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._summary_rows, columns=_SUMMARY_COLUMNS).set_index("metric")

    @cached_property
    def tasks_by_replication(self) -> pd.DataFrame:
        import pandas as pd

        rows = [{"replication": r.replication, "task": tid,
                 **{k: info.get(k, "") for k in _TASK_INFO},
                 **{f: float(info.get(f, math.nan)) for f in TASK_FIELDS}}
                for r in self.results for tid, info in r.tasks.items()]
        return pd.DataFrame(rows, columns=["replication", "task", *_TASK_INFO, *TASK_FIELDS])

    @cached_property
    def tasks(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame.from_dict(self._task_means, orient="index",
                                       columns=[*_TASK_INFO, *TASK_FIELDS])
        return frame.rename_axis("task")

    @cached_property
    def daily(self) -> pd.DataFrame:
        import pandas as pd

        start = pd.Timestamp(self.scenario.scenario.start_date)
        frames = []
        for r in self.results:
            df = pd.DataFrame(r.daily)
            df.insert(0, "replication", r.replication)
            df.insert(2, "date", start + pd.to_timedelta(df["day"], unit="D"))
            frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @cached_property
    def events(self) -> pd.DataFrame | None:
        import pandas as pd

        if not self.results or any(r.events is None for r in self.results):
            return None
        parts = []
        for r in self.results:
            df = pd.DataFrame(r.events)
            df.insert(0, "replication", r.replication)
            parts.append(df)
        return pd.concat(parts, ignore_index=True)

    @property
    def name(self) -> str:
        return self.scenario.name

    def to_json(self) -> dict[str, Any]:
        """The ``sim run --json`` object (docs/experiments.md, "Output"; NaN -> None)."""
        metrics = {}
        for row in self._summary_rows:
            m = row["metric"]
            metrics[m] = {"mean": _num(row["mean"]),
                          "ci95": [_num(row["ci_low"]), _num(row["ci_high"])],
                          "values": [_num(v) for v in self._values[m]]}
        tasks = {tid: {f: _num(row[f]) for f in TASK_FIELDS} for tid, row in self._task_means.items()}
        sc = self.scenario
        out = {"scenario": {"name": sc.name, "path": str(sc.path), "hash": sc.hash},
               "seed": int(self.seed), "replications": int(self.replications),
               "version": self.version, "versions": versions(), "metrics": metrics,
               "tasks": tasks}
        if self.partial:
            out["partial"] = dict(self.partial)
        return out

    def write_csv(self, directory: str | os.PathLike[str], events: bool = True) -> list[Path]:
        """Write summary.csv, by_replication.csv, tasks.csv, tasks_by_replication.csv,
        daily.csv (and events.csv, if events were recorded and ``events`` is true) to
        ``directory``, plus Parquet copies if pyarrow is installed. Returns the paths written."""
        return _write_frames(directory, {
            "summary": self.summary, "by_replication": self.by_replication, "tasks": self.tasks,
            "tasks_by_replication": self.tasks_by_replication, "daily": self.daily,
            "events": self.events if events else None}, index={"summary", "tasks"})

    def table(self, lang: str = "en") -> str:
        """A readable text table: metric, mean, 95 % CI, unit; headline metrics first."""
        zh = lang == "zh"
        title = (f"{self.name}: {self.replications} 次重复, 种子 {self.seed}" if zh else
                 f"{self.name}: {self.replications} replications, seed {self.seed}")
        rows = [["指标" if zh else "Metric", "均值" if zh else "Mean",
                 "95% 置信区间" if zh else "95% CI", "单位" if zh else "Unit"]]
        hidden = 0
        for row in _ordered_records(self._summary_rows):
            m = row["metric"]
            if not row["headline"] and _nil(row["mean"]) and _nil(row["sd"]):
                hidden += 1
                continue
            d = decimals(row["mean"], row["half_width"])
            lab = row["label_zh"] if zh else row["label"]
            rows.append([("* " if row["headline"] else "  ") + str(lab or m),
                         _f(row["mean"], d), _ci(row["ci_low"], row["ci_high"], d),
                         _unit(row["unit"], lang)])
        note = "* 主要指标" if zh else "* headline metric"
        if hidden:
            note += (f"; 另有 {hidden} 项指标全部为 0 或无定义, 未列出" if zh else
                     f"; {hidden} more metrics are 0 or undefined throughout (not shown)")
        info = self.precision_info
        if info.get("precision") is not None:
            state = ("converged" if info["converged"] else "not reached: " + ", ".join(info["missed"]))
            note += f"; precision {info['precision']:g}: {state}"
        return f"{title}\n{_align(rows, (False, True, False, False))}\n{note}{_partial_note(self.partial, zh)}"


@dataclass
class ComparisonResult:
    """Several scenarios run with the same replications and seed; differences against the
    first (the baseline), paired by replication.

    ``differences``: one row per (scenario, metric) with baseline, scenario, metric, label,
    label_zh, unit, direction, baseline_mean, scenario_mean, diff_mean, ci_low, ci_high (paired
    95 % t-interval), unpaired_ci_low, unpaired_ci_high (Welch, for reference), relative
    (diff_mean / baseline_mean; NaN, null in JSON, where the baseline mean is 0 or NaN), verdict, headline
    and n (pairs where both values are defined). baseline_mean and scenario_mean are each
    run's mean over the replications where the metric is defined, diff_mean is over the pairs
    where both are; where no value is NaN, ``scenario_mean - baseline_mean == diff_mean``.
    """

    runs: list[RunResult]
    differences: pd.DataFrame
    seed: int
    replications: int
    run_seconds: float = 0.0
    precision_info: dict[str, Any] = field(default_factory=dict)
    partial: dict[str, Any] | None = None    # set when interrupted (see ExperimentInterrupted)

    @property
    def baseline(self) -> RunResult:
        return self.runs[0]

    def to_json(self) -> dict[str, Any]:
        """The ``sim compare --json`` object (docs/experiments.md, "Output"; NaN -> None)."""
        diffs = []
        for k in range(1, len(self.runs)):
            part = self.differences[self.differences["run"] == k]
            diffs.append({
                "baseline": self.runs[0].name, "scenario": self.runs[k].name,
                "metrics": {row["metric"]: {"mean": _num(row["diff_mean"]),
                                            "ci95": [_num(row["ci_low"]), _num(row["ci_high"])],
                                            "relative": _num(row["relative"])}
                            for _, row in part.iterrows()}})
        out = {"runs": [r.to_json() for r in self.runs], "differences": diffs}
        if self.partial:
            out["partial"] = dict(self.partial)
        return out

    def write_csv(self, directory: str | os.PathLike[str], events: bool = True) -> list[Path]:
        """Write differences.csv and, for all runs together (columns ``run``, the position in
        the command, and ``scenario``), summary.csv, by_replication.csv, tasks.csv,
        tasks_by_replication.csv, daily.csv (and events.csv, if events were recorded and
        ``events`` is true); Parquet copies if pyarrow is installed. Returns the paths written."""
        import pandas as pd

        def stack(attr: str, index: bool = False) -> pd.DataFrame | None:
            parts = []
            for k, r in enumerate(self.runs):
                df = getattr(r, attr)
                if df is None:
                    return None
                df = df.reset_index() if index else df.copy()
                df.insert(0, "scenario", r.name)
                df.insert(0, "run", k)
                parts.append(df)
            return pd.concat(parts, ignore_index=True)

        return _write_frames(directory, {
            "differences": self.differences, "summary": stack("summary", True),
            "by_replication": stack("by_replication"), "tasks": stack("tasks", True),
            "tasks_by_replication": stack("tasks_by_replication"), "daily": stack("daily"),
            "events": stack("events") if events else None}, index=set())

    def table(self, lang: str = "en") -> str:
        """Per non-baseline scenario: metric, baseline mean, scenario mean, paired difference
        with its 95 % CI, relative change and verdict; headline metrics first."""
        zh = lang == "zh"
        blocks = []
        base = self.runs[0].name
        for k in range(1, len(self.runs)):
            part = self.differences[self.differences["run"] == k]
            name = self.runs[k].name
            title = (f"{name} 对比 {base}(基线): {self.replications} 次配对重复, 种子 {self.seed}" if zh
                     else f"{name} vs {base} (baseline): {self.replications} paired replications, seed {self.seed}")
            rows = [["指标" if zh else "Metric", "基线" if zh else "Baseline",
                     "方案" if zh else "Scenario",
                     "差值 [95% 置信区间]" if zh else "Difference [95% CI]",
                     "相对变化" if zh else "Relative", "结论" if zh else "Verdict", "单位" if zh else "Unit"]]
            hidden = 0
            for _, row in _ordered(part).iterrows():
                if not row["headline"] and _nil(row["baseline_mean"]) and _nil(row["scenario_mean"]):
                    hidden += 1
                    continue
                d = decimals(row["baseline_mean"], row["scenario_mean"])
                lab = row["label_zh"] if zh else row["label"]
                diff = _f(row["diff_mean"], d, True)
                ci = _ci(row["ci_low"], row["ci_high"], d, True)
                rel = row["relative"]
                rows.append([("* " if row["headline"] else "  ") + str(lab or row["metric"]),
                             _f(row["baseline_mean"], d), _f(row["scenario_mean"], d),
                             f"{diff} {ci}" if ci != "n/a" else diff,
                             "n/a" if not math.isfinite(rel) else f"{round(100 * rel, 1) + 0.0:+.1f}%",
                             verdict_label(row["verdict"], lang),
                             _unit(row["unit"], lang)])
            block = f"{title}\n{_align(rows, (False, True, True, True, True, False, False))}"
            if hidden:
                block += (f"\n(另有 {hidden} 项指标在两个方案中均为 0 或无定义, 未列出)" if zh else
                          f"\n({hidden} more metrics are 0 or undefined in both, not shown)")
            blocks.append(block)
        note = "* 主要指标; 配对差值 = 方案 - 基线" if zh else "* headline metric; paired difference = scenario - baseline"
        info = self.precision_info
        if info.get("precision") is not None:
            state = ("converged" if info["converged"] else "not reached: " + ", ".join(info["missed"]))
            note += f"; precision {info['precision']:g}: {state}"
        return "\n\n".join(blocks) + "\n" + note + _partial_note(self.partial, zh)


def _partial_note(partial: dict[str, Any] | None, zh: bool) -> str:
    if not partial:
        return ""
    done, asked = partial["replications_done"], partial["replications_requested"]
    return (f"\n部分结果 (被 {partial['signal']} 中断): {asked} 次重复中完成 {done} 次" if zh else
            f"\nPARTIAL (interrupted by {partial['signal']}): {done} of {asked} replications")


def _verdict(lo: float, hi: float, direction: int) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 <= hi:
        return UNCLEAR
    up = lo > 0.0
    if direction == 0:
        return HIGHER if up else LOWER
    return BETTER if up == (direction > 0) else WORSE


def _differences(runs: list[RunResult]) -> pd.DataFrame:
    import pandas as pd

    base = runs[0]
    rows = []
    for k in range(1, len(runs)):
        scen = runs[k]
        names = [m for m in base.by_replication.columns[1:] if m in scen.by_replication.columns]
        for m in names:
            a = base.by_replication[m].to_numpy(dtype=float)
            b = scen.by_replication[m].to_numpy(dtype=float)
            iv, _ = paired(a, b)
            bm = float(base.summary.at[m, "mean"])
            sm = float(scen.summary.at[m, "mean"])
            ulo, uhi = welch_interval(a, b)
            meta = metric(m)
            rel = iv.mean / bm if math.isfinite(bm) and bm != 0.0 else math.nan
            rows.append({"run": k, "baseline": base.name, "scenario": scen.name, "metric": m,
                         "label": meta.label, "label_zh": meta.label_zh, "unit": meta.unit,
                         "direction": meta.direction, "baseline_mean": bm, "scenario_mean": sm,
                         "diff_mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high,
                         "unpaired_ci_low": ulo, "unpaired_ci_high": uhi, "relative": rel,
                         "verdict": _verdict(iv.low, iv.high, meta.direction),
                         "headline": meta.headline, "n": iv.n})
    cols = ["run", "baseline", "scenario", "metric", "label", "label_zh", "unit", "direction",
            "baseline_mean", "scenario_mean", "diff_mean", "ci_low", "ci_high", "unpaired_ci_low",
            "unpaired_ci_high", "relative", "verdict", "headline", "n"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- public API
def run(scenario: Scenario | str | os.PathLike[str], replications: int | None = None,
        seed: int | None = None, *, overrides: Mapping[str, Any] | Sequence[str] | None = None,
        precision: float | None = None, max_replications: int = 200, min_replications: int = 5,
        events: bool = False, progress: bool | None = None, executor: str = "serial",
        workers: int | None = None, scheduler: str | None = None,
        store: str | os.PathLike[str] | None = None) -> RunResult:
    """Run replications ``0..n-1`` of ``scenario`` (a :class:`Scenario` or a path to a TOML
    file; ``overrides`` are ``--set`` style changes, ``{"office.workers": 8}`` or
    ``["office.workers=8"]``) and summarise them with 95 % t-intervals.

    ``replications`` defaults to the scenario's ``scenario.replications``; ``seed`` to its
    ``scenario.seed``. With ``precision=p`` the number of replications is chosen by the
    sequential rule of the module docstring (starting from ``min_replications``, or from
    ``replications`` if given, up to ``max_replications``). ``events=True`` keeps the
    per-task event logs. ``progress``: True shows a tqdm bar, False never, None only on a
    terminal and for runs that last more than a moment. ``executor``/``workers``/
    ``scheduler``: where the replications run (:class:`sim.evaluate.Evaluator`; the numbers
    are the same on every executor). ``store``: a directory that keeps every finished
    replication (:mod:`sim.evaluate.store`); replications found there are not run again.

    On SIGINT/SIGTERM raises :class:`ExperimentInterrupted` holding the partial result.
    """
    t0 = time.perf_counter()
    sc = _resolve(scenario, overrides)
    execution = {"executor": executor, "workers": workers, "scheduler": scheduler, "store": store}
    runner, seed, infos, _, stopped = _experiment(
        [sc], replications, seed, precision, max_replications, min_replications, events,
        progress, compare_pairs=False, execution=execution)
    result = _build_run(sc, seed, runner.results[0], time.perf_counter() - t0, infos[0])
    if stopped is not None:
        result.partial = _partial(runner, stopped)
        raise ExperimentInterrupted(stopped.signum, result)
    return result


def _partial(runner: _Runner, stopped: Interrupted) -> dict[str, Any]:
    return {"replications_done": runner.n, "replications_requested": runner.requested,
            "signal": stopped.signal_name}


def compare(scenarios: Sequence[Scenario | str | os.PathLike[str]], replications: int | None = None,
            seed: int | None = None, *, overrides: Mapping[str, Any] | Sequence[str] | None = None,
            precision: float | None = None, max_replications: int = 200, min_replications: int = 5,
            events: bool = False, progress: bool | None = None, executor: str = "serial",
            workers: int | None = None, scheduler: str | None = None,
            store: str | os.PathLike[str] | None = None) -> ComparisonResult:
    """Run every scenario with the same replication numbers and the same seed (default: the
    first scenario's seed and ``scenario.replications``), so they share random streams, and
    compare each with the first (the baseline) by paired differences per replication.

    ``overrides`` apply to every scenario. Per metric, ``differences`` holds the mean paired
    difference (scenario - baseline), its 95 % t-interval, the unpaired Welch interval for
    reference, the relative change and a verdict: ``"better"``/``"worse"`` when the paired
    interval excludes 0 (judged by the metric's direction; ``"higher"``/``"lower"`` for
    direction 0), else ``"no clear difference"``. With ``precision`` the sequential rule also
    covers the paired differences of the headline metrics (module docstring). ``executor``,
    ``workers``, ``scheduler``, ``store`` and interruption: as for :func:`run` (an
    interrupted comparison keeps the replications finished for every scenario).
    """
    if isinstance(scenarios, (str, os.PathLike, Scenario)):
        scenarios = [scenarios]
    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios (the first is the baseline)")
    t0 = time.perf_counter()
    scs = [_resolve(s, overrides) for s in scenarios]
    execution = {"executor": executor, "workers": workers, "scheduler": scheduler, "store": store}
    runner, seed, infos, overall, stopped = _experiment(
        scs, replications, seed, precision, max_replications, min_replications, events,
        progress, compare_pairs=True, execution=execution)
    runs = [_build_run(sc, seed, runner.results[k], sum(r.run_seconds for r in runner.results[k]),
                       infos[k]) for k, sc in enumerate(scs)]
    result = ComparisonResult(runs=runs, differences=_differences(runs), seed=seed,
                              replications=runner.n, run_seconds=time.perf_counter() - t0,
                              precision_info=overall)
    if stopped is not None:
        result.partial = _partial(runner, stopped)
        for r in runs:
            r.partial = result.partial
        raise ExperimentInterrupted(stopped.signum, result)
    return result


def welch(daily: pd.DataFrame | RunResult, column: str, window: int = 7) -> pd.DataFrame:
    """Data for Welch's graphical method of choosing a warm-up period: per day, the mean of
    ``column`` over replications (``daily`` is :attr:`RunResult.daily` or a RunResult), and
    its moving average of half-width ``window`` days (shrinking at the start, NaN for the last
    ``window`` days). The warm-up ends where the moving average levels off. Columns: day,
    mean, moving_average. Run without warm-up (``--set scenario.warmup_days=0``) to see it."""
    import pandas as pd

    if isinstance(daily, RunResult):
        daily = daily.daily
    if column not in daily.columns:
        raise KeyError(f"no daily column {column!r}; have: {', '.join(map(str, daily.columns))}")
    mean = daily.groupby("day", sort=True)[column].mean()
    return pd.DataFrame({"day": mean.index.to_numpy(), "mean": mean.to_numpy(dtype=float),
                         "moving_average": welch_moving_average(mean.to_numpy(dtype=float), window)})
