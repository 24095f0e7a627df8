"""The two experiments: :func:`run` (replications of one scenario) and :func:`compare`
(several scenarios with common random numbers, paired against the first), and :func:`welch`
(data for choosing a warm-up period).

Each resolves its scenarios (a :class:`Scenario` or a TOML path, plus ``--set`` style
overrides), submits the replications through :func:`sim.experiment.runner.run_experiment`
(the evaluator and the sequential precision rule) and builds the result
(:class:`~sim.experiment.results.RunResult`, :class:`~sim.experiment.comparison.ComparisonResult`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.engine import ReplicationResult
from sim.errors import InputError
from sim.experiment.comparison import ComparisonResult, differences
from sim.experiment.results import RunResult
from sim.experiment.runner import ExperimentInterrupted, partial_record, run_experiment
from sim.scenario.model import Scenario
from sim.stats import welch_moving_average
from sim.version import __version__

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare", "resolve", "run", "welch"]


def resolve(scenario: Scenario | str | os.PathLike[str], overrides) -> Scenario:
    """``scenario`` (a :class:`Scenario` or the path of a TOML file) with ``overrides``
    applied; :class:`InputError` if the file does not exist."""
    from sim.scenario import apply_overrides, load_scenario

    if isinstance(scenario, Scenario):
        return apply_overrides(scenario, overrides) if overrides else scenario
    from sim.scenario.leverref import split_ref

    path = os.fspath(scenario)
    if not os.path.isfile(split_ref(path)[0]):
        raise InputError("scenario file not found", file=split_ref(path)[0])
    return load_scenario(path, overrides)


def _build_run(scenario: Scenario, seed: int, reps: list[ReplicationResult], seconds: float,
               precision_info: dict[str, Any]) -> RunResult:
    return RunResult(scenario=scenario, seed=seed, replications=len(reps), version=__version__,
                     run_seconds=seconds, precision_info=precision_info, results=list(reps))


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
    sequential rule of :mod:`sim.experiment` (starting from ``min_replications``, or from
    ``replications`` if given, up to ``max_replications``). ``events=True`` keeps the
    per-task event logs. ``progress``: True shows a tqdm bar, False never, None only on a
    terminal and for runs that last more than a moment. ``executor``/``workers``/
    ``scheduler``: where the replications run (:class:`sim.evaluate.Evaluator`; the numbers
    are the same on every executor). ``store``: a directory that keeps every finished
    replication (:mod:`sim.evaluate.store`); replications found there are not run again.

    On SIGINT/SIGTERM raises :class:`ExperimentInterrupted` holding the partial result.
    """
    t0 = time.perf_counter()
    sc = resolve(scenario, overrides)
    execution = {"executor": executor, "workers": workers, "scheduler": scheduler, "store": store}
    runner, seed, infos, _, stopped = run_experiment(
        [sc], replications, seed, precision, max_replications, min_replications, events,
        progress, compare_pairs=False, execution=execution)
    result = _build_run(sc, seed, runner.results[0], time.perf_counter() - t0, infos[0])
    if stopped is not None:
        result.partial = partial_record(runner, stopped)
        raise ExperimentInterrupted(stopped.signum, result)
    return result


def compare(scenarios: Sequence[Scenario | str | os.PathLike[str]], replications: int | None = None,
            seed: int | None = None, *, overrides: Mapping[str, Any] | Sequence[str] | None = None,
            precision: float | None = None, max_replications: int = 200, min_replications: int = 5,
            events: bool = False, progress: bool | None = None, executor: str = "serial",
            workers: int | None = None, scheduler: str | None = None,
            store: str | os.PathLike[str] | None = None, adjust: str = "holm") -> ComparisonResult:
    """Run every scenario with the same replication numbers and the same seed (default: the
    first scenario's seed and ``scenario.replications``), so they share random streams, and
    compare each with the first (the baseline) by paired differences per replication.

    ``overrides`` apply to every scenario. Per metric, ``differences`` holds the mean paired
    difference (scenario - baseline), its 95 % t-interval, the unpaired Welch interval for
    reference, the relative change and a verdict: ``"better"``/``"worse"`` when the paired
    interval excludes 0 (judged by the metric's direction; ``"higher"``/``"lower"`` for
    direction 0), else ``"no clear difference"``. With ``precision`` the sequential rule also
    covers the paired differences of the headline metrics (:mod:`sim.experiment`). ``executor``,
    ``workers``, ``scheduler``, ``store`` and interruption: as for :func:`run` (an
    interrupted comparison keeps the replications finished for every scenario). ``adjust``:
    ``"holm"`` (default) adjusts the verdicts for many comparisons, ``"none"`` does not
    (:func:`sim.experiment.comparison.differences`).
    """
    if isinstance(scenarios, (str, os.PathLike, Scenario)):
        scenarios = [scenarios]
    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios (the first is the baseline)")
    t0 = time.perf_counter()
    scs = [resolve(s, overrides) for s in scenarios]
    execution = {"executor": executor, "workers": workers, "scheduler": scheduler, "store": store}
    runner, seed, infos, overall, stopped = run_experiment(
        scs, replications, seed, precision, max_replications, min_replications, events,
        progress, compare_pairs=True, execution=execution)
    runs = [_build_run(sc, seed, runner.results[k], sum(r.run_seconds for r in runner.results[k]),
                       infos[k]) for k, sc in enumerate(scs)]
    result = ComparisonResult(runs=runs, differences=differences(runs, adjust), seed=seed,
                              replications=runner.n, run_seconds=time.perf_counter() - t0,
                              precision_info=overall)
    if stopped is not None:
        result.partial = partial_record(runner, stopped)
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
