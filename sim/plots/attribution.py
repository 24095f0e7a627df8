"""Figures of the analysis studies: the Shapley waterfall of ``sim attribute`` (each lever's
share of the total effect with its 95 % interval, one-at-a-time and leave-one-out beside
it), the same per household tercile of a city (grouped bars), the points ``sim seek`` tried,
a city comparison by community size, and each lever's Shapley value across the sampled
worlds of ``sim attribute --worlds N``.

Each takes the study's result object or its JSON dict (duck-typed) and returns a Figure."""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any

from sim.metrics import metric
from sim.plots.base import colour, legend, new_figure, style

__all__ = ["by_size_bars", "seek_points", "shapley_across_worlds", "shapley_by_size",
           "shapley_waterfall"]


def _in_style(build):
    """Build the figure inside the figures' style for its ``lang`` (fonts are chosen when the
    text is made, so Chinese labels need the CJK font then, not only when saving)."""
    sig = inspect.signature(build)

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        with style(bound.arguments["lang"]):
            return build(*args, **kwargs)
    return wrapper


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(float(x))


@_in_style
def shapley_waterfall(result: Any, name: str, lang: str = "en"):
    """Bars from 0 to the total effect of metric ``name``: each lever's Shapley value (largest
    first) as a step of the waterfall with its 95 % interval; a diamond (one at a time) and a
    cross (leave one out) mark where the step would end if the lever were worth that much."""
    row = _get(result, "metrics")[name]
    levers = sorted(row["levers"], key=lambda k: -abs(row["levers"][k]["shapley"] or 0.0))
    fig = new_figure((7.0, 0.45 * len(levers) + 1.8))
    ax = fig.add_subplot()
    start = 0.0
    for y, k in enumerate(levers):
        v = row["levers"][k]
        s = v["shapley"] or 0.0
        ax.barh(y, s, left=start, color=colour(0 if s < 0 else 1), height=0.6)
        lo, hi = v["ci95"]
        if _finite(lo) and _finite(hi):
            ax.errorbar(start + s, y, xerr=[[s - lo], [hi - s]], color="black", capsize=3, lw=1)
        if _finite(v["one_at_a_time"]):
            ax.plot(start + v["one_at_a_time"], y, "D", color=colour(2), ms=5,
                    label="one at a time" if y == 0 else None)
        if _finite(v["leave_one_out"]):
            ax.plot(start + v["leave_one_out"], y, "x", color=colour(3), ms=6,
                    label="leave one out" if y == 0 else None)
        start += s
    total = row["total"] or 0.0
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.axvline(total, color="black", lw=1, ls="--", label=f"total {total:+.3g}")
    ax.set_yticks(range(len(levers)), levers)
    ax.invert_yaxis()
    meta = metric(name)
    ax.set_xlabel(f"{meta.label_zh if lang == 'zh' else meta.label} ({meta.unit})")
    legend(ax, loc="best", fontsize="small")
    return fig


@_in_style
def seek_points(result: Any, lang: str = "en"):
    """Every point ``sim seek`` tried: the metric with its 95 % interval against the key,
    the target value as a line and the answer marked."""
    tried = sorted(_get(result, "tried"), key=lambda t: t["value"])
    fig = new_figure((6.0, 3.4))
    ax = fig.add_subplot()
    xs = [t["value"] for t in tried]
    ys = [t["metric"] for t in tried]
    lo = [t["metric"] - t["ci95"][0] for t in tried]
    hi = [t["ci95"][1] - t["metric"] for t in tried]
    ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", color=colour(0), capsize=3)
    target = _get(result, "target")
    value = target["value"] if isinstance(target, dict) else target.value
    ax.axhline(value, color="black", ls="--", lw=1, label="target")
    answer = _get(result, "value")
    if answer is not None:
        ax.axvline(answer, color=colour(1), lw=1.5, label=f"answer {answer:g}")
    ax.set_xlabel(_get(result, "key"))
    legend(ax, loc="best", fontsize="small")
    return fig


@_in_style
def by_size_bars(comparison: Any, name: str, lang: str = "en"):
    """A city comparison's metric ``name`` per community-size group: before and after."""
    groups = _get(comparison, "by_size")
    names = _get(comparison, "names") if not isinstance(comparison, dict) else comparison["cities"]
    fig = new_figure((6.0, 3.2))
    ax = fig.add_subplot()
    labels = list(groups)
    for j, side in enumerate(("baseline", "scenario")):
        vals = [groups[g]["metrics"][name][side] for g in labels]
        ax.bar([i + 0.38 * (j - 0.5) for i in range(len(labels))], vals, width=0.36,
               color=colour(j), label=str(names[j]))
    ax.set_xticks(range(len(labels)),
                  [f"{g}\n{groups[g]['households'][0]:,.0f}-{groups[g]['households'][1]:,.0f}"
                   for g in labels])
    meta = metric(name)
    ax.set_ylabel(f"{meta.label_zh if lang == 'zh' else meta.label} ({meta.unit})")
    legend(ax, loc="best", fontsize="small")
    return fig


@_in_style
def shapley_by_size(result: Any, name: str, lang: str = "en"):
    """A city attribution's metric ``name`` per household tercile: one group of bars per
    lever (a bar per tercile: its Shapley value with the 95 % interval), a diamond for one
    at a time and a cross for leave one out; the legend gives each tercile's total."""
    from sim.text import t

    groups = {g: p for g, p in _get(result, "by_size").items() if name in p["metrics"]}
    if not groups:
        raise ValueError(f"no household-tercile results for {name!r} (a city figure only)")
    first = next(iter(groups.values()))["metrics"][name]
    levers = sorted(first["levers"], key=lambda k: -abs(first["levers"][k]["shapley"] or 0.0))
    fig = new_figure((7.0, 0.55 * len(levers) * len(groups) + 1.8))
    ax = fig.add_subplot()
    h = 0.8 / len(groups)
    for j, (g, part) in enumerate(groups.items()):
        row = part["metrics"][name]
        ys = [y - 0.4 + h * (j + 0.5) for y in range(len(levers))]
        vals = [row["levers"][k]["shapley"] or 0.0 for k in levers]
        total = row["total"] or 0.0
        ax.barh(ys, vals, height=h * 0.9, color=colour(j),
                label=f"{t(f'size.{g}', lang)} ({part['households'][0]:,.0f}-"
                      f"{part['households'][1]:,.0f}): total {total:+.3g}")
        for y, k, v in zip(ys, levers, vals, strict=True):
            lv = row["levers"][k]
            lo, hi = lv["ci95"]
            if _finite(lo) and _finite(hi):
                ax.errorbar(v, y, xerr=[[v - lo], [hi - v]], color="black", capsize=2, lw=0.8)
            if _finite(lv["one_at_a_time"]):
                ax.plot(lv["one_at_a_time"], y, "D", color="black", ms=3.5, mfc="none")
            if _finite(lv["leave_one_out"]):
                ax.plot(lv["leave_one_out"], y, "x", color="black", ms=4.5)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(range(len(levers)), levers)
    ax.invert_yaxis()
    meta = metric(name)
    ax.set_xlabel(f"{meta.label_zh if lang == 'zh' else meta.label} ({meta.unit})")
    ax.set_title(t("report.attribution.size_fig_title", lang), fontsize="medium")
    legend(ax, loc="best", fontsize="small")
    return fig


@_in_style
def shapley_across_worlds(result: Any, name: str, lang: str = "en"):
    """An attribution across worlds (``sim attribute --worlds N``), metric ``name``: per lever
    (by the size of its median), every world's Shapley value as a dot, coloured by whether
    its 95 % interval is with the overall effect, against it or holds 0, with the median as a
    bar and the 5-95 % range as a line; the worlds' totals in the bottom row."""
    per_world = _get(result, "per_world")
    row = _get(result, "metrics")[name]
    levers = sorted(row["levers"], key=lambda k: -abs(row["levers"][k]["shapley_median"] or 0.0))
    labels = [*levers, "total"]
    fig = new_figure((7.0, 0.42 * len(labels) + 1.9))
    ax = fig.add_subplot()
    kinds = {"with": (colour(0), "with the overall effect"),
             "against": (colour(1), "against it"),
             "unclear": ("0.6", "interval holds 0")}
    seen: set[str] = set()
    n = len(per_world)
    overall = _get(result, "metrics")[name].get("overall")
    side = -1.0 if overall == "fall" else 1.0        # with / against the overall effect
    for y, k in enumerate(labels):
        for w, table in enumerate(per_world):
            r = table[name]
            if k == "total":
                x, (lo, hi) = r["total"], r["total_ci95"]
            else:
                x, (lo, hi) = r["levers"][k]["shapley"], r["levers"][k]["ci95"]
            if not _finite(x):
                continue
            if _finite(lo) and _finite(hi) and (lo > 0 or hi < 0):
                kind = "with" if (lo > 0) == (side > 0) else "against"
            else:
                kind = "unclear"
            jitter = ((w + 0.5) / n - 0.5) * 0.5 if n > 1 else 0.0
            col, lab = kinds[kind]
            ax.plot(x, y + jitter, "o", ms=3.5, color=col, alpha=0.8,
                    label=lab if kind not in seen else None)
            seen.add(kind)
        if k != "total":
            v = row["levers"][k]
            med, p05, p95 = v["shapley_median"], v["shapley_p05"], v["shapley_p95"]
        else:
            tot = row["total"]
            med, p05, p95 = tot["effect_median"], tot["effect_p05"], tot["effect_p95"]
        if _finite(med):
            ax.plot([med, med], [y - 0.32, y + 0.32], color="black", lw=2)
        if _finite(p05) and _finite(p95):
            ax.plot([p05, p95], [y, y], color="black", lw=0.8)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    meta = metric(name)
    ax.set_xlabel(f"{meta.label_zh if lang == 'zh' else meta.label} ({meta.unit})")
    ax.set_title(f"Shapley value in each of {n} worlds (bar: median; line: 5-95 %)",
                 fontsize="medium")
    legend(ax, loc="best", fontsize="small")
    return fig
