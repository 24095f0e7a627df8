"""Readable text tables of experiment results (``sim run`` and ``sim compare`` print them).

:func:`run_table` renders a :class:`~sim.experiment.RunResult`, :func:`comparison_table` a
:class:`~sim.experiment.ComparisonResult`, in English or Chinese; headline metrics first,
metrics that are 0 or undefined throughout counted but not shown. Numbers are formatted by
:mod:`sim.formatting`, units and verdicts labelled by :mod:`sim.text`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sim.formatting import align, decimals, interval, number
from sim.metrics import metric
from sim.text import t
from sim.text import unit as unit_label
from sim.text import verdict as verdict_label

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["comparison_table", "partial_note", "run_table"]


def _nil(x: float) -> bool:
    return x is None or math.isnan(x) or x == 0.0


def _ordered(frame: pd.DataFrame, key: str = "headline") -> pd.DataFrame:
    """Headline metrics first (in registry order), then the rest, each in their order."""
    import pandas as pd

    return pd.concat([frame[frame[key]], frame[~frame[key]]])


def _kind(name: str, lang: str) -> str:
    """The metric's kind, short: "input" (input arithmetic) or "emergent" (sim.metrics)."""
    return t(f"kind.{metric(name).kind}", lang)


def _kind_note(zh: bool) -> str:
    return "\n" + t("kind_note", "zh" if zh else "en")


def _ordered_records(rows: list[dict[str, Any]], key: str = "headline") -> list[dict[str, Any]]:
    return [r for r in rows if r[key]] + [r for r in rows if not r[key]]


def _precision_note(info: dict[str, Any]) -> str:
    if info.get("precision") is None:
        return ""
    state = ("converged" if info["converged"] else "not reached: " + ", ".join(info["missed"]))
    return f"; precision {info['precision']:g}: {state}"


def partial_note(partial: dict[str, Any] | None, zh: bool) -> str:
    """The line under a table of an interrupted (partial) result; "" if complete."""
    if not partial:
        return ""
    done, asked = partial["replications_done"], partial["replications_requested"]
    return (f"\n部分结果 (被 {partial['signal']} 中断): {asked} 次重复中完成 {done} 次" if zh else
            f"\nPARTIAL (interrupted by {partial['signal']}): {done} of {asked} replications")


def run_table(result: Any, lang: str = "en") -> str:
    """Metric, mean, 95 % CI, unit; headline metrics first."""
    zh = lang == "zh"
    title = (f"{result.name}: {result.replications} 次重复, 种子 {result.seed}" if zh else
             f"{result.name}: {result.replications} replications, seed {result.seed}")
    rows = [["指标" if zh else "Metric", "均值" if zh else "Mean",
             "95% 置信区间" if zh else "95% CI", "单位" if zh else "Unit",
             t("report.kind", lang)]]
    hidden = 0
    for row in _ordered_records(result.summary_rows):
        m = row["metric"]
        if not row["headline"] and _nil(row["mean"]) and _nil(row["sd"]):
            hidden += 1
            continue
        d = decimals(row["mean"], row["half_width"])
        lab = row["label_zh"] if zh else row["label"]
        rows.append([("* " if row["headline"] else "  ") + str(lab or m),
                     number(row["mean"], d), interval(row["ci_low"], row["ci_high"], d),
                     unit_label(row["unit"], lang), _kind(m, lang)])
    note = "* 主要指标" if zh else "* headline metric"
    if hidden:
        note += (f"; 另有 {hidden} 项指标全部为 0 或无定义, 未列出" if zh else
                 f"; {hidden} more metrics are 0 or undefined throughout (not shown)")
    note += _precision_note(result.precision_info) + _kind_note(zh)
    return (f"{title}\n{align(rows, (False, True, False, False, False))}\n{note}"
            f"{partial_note(result.partial, zh)}")


def comparison_table(result: Any, lang: str = "en") -> str:
    """Per non-baseline scenario: metric, baseline mean, scenario mean, paired difference
    with its 95 % CI, relative change and verdict; headline metrics first."""
    zh = lang == "zh"
    blocks = []
    base = result.runs[0].name
    for k in range(1, len(result.runs)):
        part = result.differences[result.differences["run"] == k]
        name = result.runs[k].name
        title = (f"{name} 对比 {base}(基线): {result.replications} 次配对重复, 种子 {result.seed}"
                 if zh else f"{name} vs {base} (baseline): {result.replications} paired "
                 f"replications, seed {result.seed}")
        rows = [["指标" if zh else "Metric", "基线" if zh else "Baseline",
                 "方案" if zh else "Scenario",
                 "差值 [95% 置信区间]" if zh else "Difference [95% CI]",
                 "相对变化" if zh else "Relative", "结论" if zh else "Verdict", "单位" if zh else "Unit",
                 t("report.kind", lang)]]
        hidden = 0
        for _, row in _ordered(part).iterrows():
            if not row["headline"] and _nil(row["baseline_mean"]) and _nil(row["scenario_mean"]):
                hidden += 1
                continue
            d = decimals(row["baseline_mean"], row["scenario_mean"])
            lab = row["label_zh"] if zh else row["label"]
            diff = number(row["diff_mean"], d, True)
            ci = interval(row["ci_low"], row["ci_high"], d, True)
            rel = row["relative"]
            rows.append([("* " if row["headline"] else "  ") + str(lab or row["metric"]),
                         number(row["baseline_mean"], d), number(row["scenario_mean"], d),
                         f"{diff} {ci}" if ci != "n/a" else diff,
                         "n/a" if not math.isfinite(rel) else f"{round(100 * rel, 1) + 0.0:+.1f}%",
                         verdict_label(row["verdict"], lang),
                         unit_label(row["unit"], lang), _kind(row["metric"], lang)])
        block = f"{title}\n{align(rows, (False, True, True, True, True, False, False, False))}"
        if hidden:
            block += (f"\n(另有 {hidden} 项指标在两个方案中均为 0 或无定义, 未列出)" if zh else
                      f"\n({hidden} more metrics are 0 or undefined in both, not shown)")
        blocks.append(block)
    note = "* 主要指标; 配对差值 = 方案 - 基线" if zh else "* headline metric; paired difference = scenario - baseline"
    note += _precision_note(result.precision_info) + _kind_note(zh) + _adjust_note(result, zh)
    note += "\n" + inputs_note(result.runs, lang)
    return "\n\n".join(blocks) + "\n" + note + partial_note(result.partial, zh)


def inputs_note(runs: Any, lang: str = "en") -> str:
    """What a comparison's intervals do not hold: replication noise at one value of every
    input; the uncertain inputs the scenarios declare (``[uncertainties.NAME]``, the first
    six by name) are held at one value each, and ``sim explore`` varies them."""
    from sim.scenario.uncertainty import declared

    names = list(dict.fromkeys(n for r in runs for n in declared(r.scenario)))
    if not names:
        return t("inputs_note_none", lang)
    shown = ", ".join(names[:6]) + (t("inputs_more", lang, n=len(names) - 6)
                                    if len(names) > 6 else "")
    return t("inputs_note", lang, n=len(names), names=shown)


def _adjust_note(result: Any, zh: bool) -> str:
    """How the verdicts account for many comparisons (Holm, or not at all)."""
    diffs = result.differences
    if "adjustment" not in diffs.columns or diffs.empty:
        return ""
    if str(diffs["adjustment"].iloc[0]) != "holm":
        return ("\n结论未做多重比较校正 (--no-adjust)" if zh else
                "\nverdicts not adjusted for multiple comparisons (--no-adjust)")
    m = int(diffs["headline"].astype(bool).sum())
    changed = int((diffs["verdict"] != diffs["verdict_unadjusted"]).sum())
    return (f"\n结论经 Holm 多重比较校正 ({m} 项主要比较为一组); 因此改为无明显差异的: {changed}" if zh else
            f"\nverdicts adjusted for multiple comparisons (Holm; the {m} headline comparisons "
            f"form one family, the rest another); verdicts made unclear by it: {changed}")
