"""The result of :func:`sim.experiment.run`: :class:`RunResult`, its tables, JSON and files.

A :class:`RunResult` holds the replications' own results (:class:`sim.engine.ReplicationResult`)
and builds everything else from them on first use: numpy summaries (mean and 95 % Student-t
interval of every metric, task means) that need neither pandas nor scipy.stats, pandas
tables, the ``sim run --json`` object and the CSV/Parquet files. :func:`write_frames` and
:func:`num` are shared with :mod:`sim.experiment.comparison`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine import TASK_FIELDS, ReplicationResult
from sim.experiment.tables import run_table
from sim.formatting import json_number
from sim.metrics import metric
from sim.provenance import versions
from sim.scenario.model import Scenario
from sim.stats import bounded_interval, t_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SUMMARY_COLUMNS", "TASK_INFO", "RunResult", "write_frames"]

TASK_INFO = ("name", "name_zh", "category", "origin")
SUMMARY_COLUMNS = ["metric", "mean", "sd", "n", "ci_low", "ci_high", "half_width", "label",
                   "label_zh", "unit", "direction", "headline"]


def write_frames(directory, frames: dict[str, pd.DataFrame | None], index: set[str]) -> list[Path]:
    """Write each frame (None: skipped) as ``NAME.csv`` in ``directory``, and ``NAME.parquet``
    if pyarrow is installed; the frames named in ``index`` keep their index. Returns the
    paths written."""
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


@dataclass
class RunResult:
    """Replications of one scenario. See :mod:`sim.experiment` and ``docs/experiments.md``.

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
    def summary_rows(self) -> list[dict[str, Any]]:
        """The rows of :attr:`summary` as dicts (``SUMMARY_COLUMNS``), without pandas."""
        rows = []
        for m, v in self._values.items():
            iv = t_interval(v)
            meta = metric(m)
            lo, hi = bounded_interval(iv) if meta.unit == "share" else (iv.low, iv.high)
            rows.append({"metric": m, "mean": iv.mean, "sd": iv.sd, "n": iv.n, "ci_low": lo,
                         "ci_high": hi, "half_width": iv.half_width, "label": meta.label,
                         "label_zh": meta.label_zh, "unit": meta.unit,
                         "direction": meta.direction, "headline": meta.headline})
        return rows

    @cached_property
    def _task_means(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.results:
            for tid, info in r.tasks.items():
                row = out.setdefault(tid, {**{k: info.get(k, "") for k in TASK_INFO},
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

        return pd.DataFrame(self.summary_rows, columns=SUMMARY_COLUMNS).set_index("metric")

    @cached_property
    def tasks_by_replication(self) -> pd.DataFrame:
        import pandas as pd

        rows = [{"replication": r.replication, "task": tid,
                 **{k: info.get(k, "") for k in TASK_INFO},
                 **{f: float(info.get(f, math.nan)) for f in TASK_FIELDS}}
                for r in self.results for tid, info in r.tasks.items()]
        return pd.DataFrame(rows, columns=["replication", "task", *TASK_INFO, *TASK_FIELDS])

    @cached_property
    def tasks(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame.from_dict(self._task_means, orient="index",
                                       columns=[*TASK_INFO, *TASK_FIELDS])
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
        for row in self.summary_rows:
            m = row["metric"]
            metrics[m] = {"mean": json_number(row["mean"]),
                          "ci95": [json_number(row["ci_low"]), json_number(row["ci_high"])],
                          "values": [json_number(v) for v in self._values[m]],
                          "kind": metric(m).kind}
        tasks = {tid: {f: json_number(row[f]) for f in TASK_FIELDS} for tid, row in self._task_means.items()}
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
        return write_frames(directory, {
            "summary": self.summary, "by_replication": self.by_replication, "tasks": self.tasks,
            "tasks_by_replication": self.tasks_by_replication, "daily": self.daily,
            "events": self.events if events else None}, index={"summary", "tasks"})

    def table(self, lang: str = "en") -> str:
        """A readable text table: metric, mean, 95 % CI, unit; headline metrics first
        (:func:`sim.experiment.tables.run_table`)."""
        return run_table(self, lang)
