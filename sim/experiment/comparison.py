"""The result of :func:`sim.experiment.compare`: paired differences and their verdicts.

:func:`differences` pairs each scenario with the baseline (the first) replication by
replication: the mean paired difference with its 95 % t-interval, the unpaired Welch
interval for reference, the relative change, and a verdict (:func:`verdict`) judged by the
metric's direction in the registry (:mod:`sim.metrics`). :class:`ComparisonResult` holds the
runs and that table, and writes the ``sim compare --json`` object and the CSV files.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiment.results import RunResult, write_frames
from sim.experiment.tables import comparison_table
from sim.formatting import json_number
from sim.metrics import metric
from sim.stats import CONFIDENCE, holm, paired, t_p_value, t_quantile, welch_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ADJUSTMENTS", "BETTER", "DIFFERENCE_COLUMNS", "HIGHER", "LOWER", "UNCLEAR", "WORSE",
           "ComparisonResult", "differences", "verdict"]

BETTER, WORSE, UNCLEAR, HIGHER, LOWER = "better", "worse", "no clear difference", "higher", "lower"
DIFFERENCE_COLUMNS = ["run", "baseline", "scenario", "metric", "label", "label_zh", "unit",
                      "direction", "baseline_mean", "scenario_mean", "diff_mean", "ci_low",
                      "ci_high", "unpaired_ci_low", "unpaired_ci_high", "relative", "verdict",
                      "headline", "n", "p_value", "p_adjusted", "adjusted_ci_low",
                      "adjusted_ci_high", "verdict_unadjusted", "adjustment"]
ADJUSTMENTS = ("holm", "none")


def verdict(lo: float, hi: float, direction: int) -> str:
    """The verdict on a difference whose 95 % interval is ``[lo, hi]``: ``"better"`` or
    ``"worse"`` (by ``direction``, +1 higher is better, -1 lower) when it excludes 0,
    ``"higher"``/``"lower"`` for direction 0, else ``"no clear difference"``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 <= hi:
        return UNCLEAR
    up = lo > 0.0
    if direction == 0:
        return HIGHER if up else LOWER
    return BETTER if up == (direction > 0) else WORSE


def differences(runs: list[RunResult], adjust: str = "holm") -> pd.DataFrame:
    """One row per (non-baseline scenario, metric): ``DIFFERENCE_COLUMNS``.

    Many comparisons (``adjust="holm"``, the default): the headline rows of every scenario
    form one family and the other rows another; in each, the paired t-tests' p-values are
    adjusted by Holm's step-down rule and ``verdict`` says better/worse only where the
    adjusted p-value is below 0.05 (``verdict_unadjusted`` keeps the single-comparison
    verdict); ``adjusted_ci_low``/``high`` are Bonferroni intervals (level 1 - 0.05/m for a
    family of m), which hold together with 95 % confidence. ``adjust="none"``: verdicts and
    adjusted columns are those of each comparison alone."""
    import pandas as pd

    if adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of {ADJUSTMENTS}, got {adjust!r}")

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
                         "verdict": verdict(iv.low, iv.high, meta.direction),
                         "headline": meta.headline, "n": iv.n, "p_value": t_p_value(iv),
                         "_sd": iv.sd})
    _adjust(rows, adjust)
    for row in rows:
        del row["_sd"]
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def _adjust(rows: list[dict], adjust: str) -> None:
    """Fill the adjusted columns of ``rows`` (see :func:`differences`)."""
    for family in (True, False):
        idx = [k for k, r in enumerate(rows) if bool(r["headline"]) == family]
        p = [rows[k]["p_value"] for k in idx]
        m = sum(1 for x in p if math.isfinite(x))
        padj = holm(p) if adjust == "holm" else p
        for k, pa in zip(idx, padj, strict=True):
            r = rows[k]
            r["verdict_unadjusted"] = r["verdict"]
            r["adjustment"] = adjust
            r["p_adjusted"] = float(pa)
            if adjust == "none" or m <= 1 or r["n"] < 2:
                r["adjusted_ci_low"], r["adjusted_ci_high"] = r["ci_low"], r["ci_high"]
                continue
            hw = t_quantile(r["n"] - 1, 1.0 - (1.0 - CONFIDENCE) / m) * r["_sd"] / math.sqrt(r["n"])
            r["adjusted_ci_low"], r["adjusted_ci_high"] = r["diff_mean"] - hw, r["diff_mean"] + hw
            if r["verdict"] in (BETTER, WORSE, HIGHER, LOWER) and not (pa < 1.0 - CONFIDENCE):
                r["verdict"] = UNCLEAR


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
                "metrics": {row["metric"]: {"mean": json_number(row["diff_mean"]),
                                            "ci95": [json_number(row["ci_low"]), json_number(row["ci_high"])],
                                            "relative": json_number(row["relative"]),
                                            "ci95_adjusted": [json_number(row["adjusted_ci_low"]),
                                                              json_number(row["adjusted_ci_high"])],
                                            "p_value": json_number(row["p_value"]),
                                            "p_adjusted": json_number(row["p_adjusted"]),
                                            "verdict": row["verdict"],
                                            "adjustment": row["adjustment"],
                                            "kind": metric(row["metric"]).kind}
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

        return write_frames(directory, {
            "differences": self.differences, "summary": stack("summary", True),
            "by_replication": stack("by_replication"), "tasks": stack("tasks", True),
            "tasks_by_replication": stack("tasks_by_replication"), "daily": stack("daily"),
            "events": stack("events") if events else None}, index=set())

    def table(self, lang: str = "en") -> str:
        """Per non-baseline scenario: metric, baseline mean, scenario mean, paired difference
        with its 95 % CI, relative change and verdict; headline metrics first
        (:func:`sim.experiment.tables.comparison_table`)."""
        return comparison_table(self, lang)
