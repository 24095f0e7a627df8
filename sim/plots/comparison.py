"""Figures that compare scenarios' headline results: the metrics with their confidence intervals
(:func:`headline_bars`), the paired differences (:func:`forest`) and the staff hours by kind
of work or by who asks for it (:func:`hours_by_category`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.formatting import significant
from sim.metrics import HEADLINE
from sim.plots.base import (
    CATEGORY_COLOURS,
    CATEGORY_ORDER,
    ORIGIN_COLOURS,
    VERDICT_COLOURS,
    check_lang,
    colour,
    mean_ci,
    metric_axis,
    metric_label,
    new_figure,
    runs_of,
    scenario_label,
    style,
    t,
    wrap,
)
from sim.scenario.model import ADMIN_CATEGORIES, ORIGINS
from sim.text import category as category_label
from sim.text import origin as origin_label
from sim.text import verdict as verdict_label


def headline_bars(comparison: Any, metrics: Sequence[str] | None = None,
                  lang: str = "en") -> Figure:
    """Per headline metric (or each of ``metrics``) a small panel: one bar per scenario with
    its mean and 95 % confidence interval. Shares are shown in per cent."""
    lang = check_lang(lang)
    runs = runs_of(comparison)
    if metrics is None:
        metrics = [m for m in HEADLINE if any(m in r.summary.index for r in runs)]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no metrics to plot")
    n = len(metrics)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    names = [scenario_label(r, lang) for r in runs]
    with style(lang):
        fig = new_figure((3.5 * ncols, 2.75 * nrows + 0.7))
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, name in zip(axes, metrics, strict=False):
            scale, unit = metric_axis(name, lang)
            for i, run in enumerate(runs):
                mean, lo, hi = (v * scale for v in mean_ci(run, name))
                ok = math.isfinite(mean)
                ax.bar(i, mean if ok else 0.0, width=0.65, color=colour(i), alpha=0.9,
                       label=names[i])
                if ok and math.isfinite(lo) and math.isfinite(hi):
                    ax.errorbar(i, mean, yerr=[[mean - lo], [hi - mean]], fmt="none",
                                ecolor="#262626", elinewidth=1.2, capsize=4)
                ax.annotate(significant(mean) if ok else t("na", lang), (i, max(hi, mean) if ok else 0.0),
                            xytext=(0, 3), textcoords="offset points", ha="center",
                            va="bottom", fontsize=8, color="#404040")
            ax.set_title(wrap(metric_label(name, lang), 34, lang), fontsize=10)
            ax.set_ylabel(unit)
            ax.set_xticks(range(len(runs)))
            ax.set_xticklabels([wrap(x, 14, lang) for x in names],
                               rotation=0 if len(runs) <= 3 else 30,
                               ha="center" if len(runs) <= 3 else "right")
            ax.grid(axis="x", visible=False)
            ax.margins(y=0.15)
            lo_lim, hi_lim = ax.get_ylim()
            if lo_lim > 0:
                ax.set_ylim(0, hi_lim)
        for ax in axes[n:]:
            fig.delaxes(ax)
        fig.suptitle(t("plots.headline_title", lang), x=0.01, ha="left")
    return fig


def forest(comparison: Any, metrics: Sequence[str] | None = None, lang: str = "en") -> Figure:
    """Paired differences against the baseline with 95 % CIs, as per cent of the baseline mean
    (so metrics with different units share one axis), coloured by verdict; the absolute
    difference is written beside each row. Metrics whose baseline mean is 0 have no relative
    scale: only their absolute difference is written."""
    lang = check_lang(lang)
    diffs = getattr(comparison, "differences", None)
    if not isinstance(diffs, pd.DataFrame):
        raise TypeError("forest needs a ComparisonResult (with paired differences)")
    runs = runs_of(comparison)
    if metrics is None:
        metrics = [m for m in HEADLINE if m in set(diffs["metric"])]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no metrics to plot")
    ks = sorted(set(diffs["run"]))
    nk = len(ks)
    offsets = np.linspace(-0.22, 0.22, nk) if nk > 1 else np.zeros(1)
    markers = ("o", "s", "D", "^", "v", "P", "X")
    with style(lang):
        height = 0.5 * len(metrics) * max(1.0, 0.7 * nk) + 2.0
        fig = new_figure((11.5, height))
        ax, ax_t = fig.subplots(1, 2, sharey=True, width_ratios=[2.0, 1.4])
        ax_t.axis("off")
        ax_t.set_xlim(0.0, 1.0)
        ys = np.arange(len(metrics))[::-1].astype(float)
        seen_verdicts: dict[str, None] = {}
        xs_all: list[float] = []
        for i, name in enumerate(metrics):
            for j, k in enumerate(ks):
                rows = diffs[(diffs["metric"] == name) & (diffs["run"] == k)]
                if rows.empty:
                    continue
                row = rows.iloc[0]
                y = ys[i] + (-offsets[j] if nk > 1 else 0.0)
                bm = float(row["baseline_mean"])
                d, lo, hi = float(row["diff_mean"]), float(row["ci_low"]), float(row["ci_high"])
                verdict = str(row["verdict"])
                col = VERDICT_COLOURS.get(verdict, "#8c8c8c")
                scale, unit = metric_axis(name, lang)
                unit_txt = t("pp", lang) if unit == "%" else unit
                text = significant(d * scale, sign=True)
                if math.isfinite(lo) and math.isfinite(hi):
                    text += f" [{significant(lo * scale, sign=True)}, {significant(hi * scale, sign=True)}]"
                text += f" {unit_txt}"
                if math.isfinite(bm) and bm != 0.0 and math.isfinite(d):
                    r, rlo, rhi = (100.0 * v / abs(bm) for v in (d, lo, hi))
                    xerr = ([[r - rlo], [rhi - r]] if math.isfinite(rlo) and math.isfinite(rhi)
                            else None)
                    ax.errorbar(r, y, xerr=xerr, fmt=markers[j % len(markers)], color=col,
                                ecolor=col, elinewidth=2, capsize=3, markersize=6)
                    xs_all += [v for v in (r, rlo, rhi) if math.isfinite(v)]
                elif math.isfinite(bm) and math.isfinite(d):
                    text = f"({t('plots.forest_zero', lang)}) {text}"
                else:
                    text = f"{t('na', lang)} ({t('plots.forest_undefined', lang)})"
                seen_verdicts[verdict] = None
                vtxt = verdict_label(verdict, lang)
                ax_t.text(0.0, y, f"{text} · {vtxt}", ha="left", va="center", fontsize=8.5,
                          color=col)
        ax.axvline(0.0, color="#262626", linewidth=1.0, zorder=1)
        ax.set_yticks(ys)
        ax.set_yticklabels([wrap(metric_label(m, lang), 38, lang) for m in metrics])
        ax.set_ylim(-0.7, len(metrics) - 0.3)
        if xs_all:
            lo_x, hi_x = min(min(xs_all), 0.0), max(max(xs_all), 0.0)
            pad = 0.08 * (hi_x - lo_x or 1.0)
            ax.set_xlim(lo_x - pad, hi_x + pad)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:+.0f}%" if x else "0"))
        ax.set_xlabel(t("plots.forest_x", lang))
        ax.grid(axis="y", visible=False)
        base = scenario_label(runs[0], lang)
        sep = t("list_sep", lang)
        vs = sep.join(scenario_label(runs[k], lang) for k in ks)
        ax.set_title(t("plots.forest_vs", lang, vs=vs, base=base, baseline=t("baseline", lang)),
                     fontsize=10)
        ax_t.set_title(t("plots.forest_text", lang), fontsize=10)
        handles = [Line2D([], [], marker="o", linestyle="", color=VERDICT_COLOURS.get(v, "#8c8c8c"),
                          label=verdict_label(v, lang))
                   for v in seen_verdicts]
        if nk > 1:
            handles += [Line2D([], [], marker=markers[j % len(markers)], linestyle="",
                               color="#404040", label=scenario_label(runs[k], lang))
                        for j, k in enumerate(ks)]
        if handles:
            fig.legend(handles=handles, loc="outside lower left", ncols=min(len(handles), 6))
        fig.suptitle(t("plots.forest_title", lang), x=0.01, ha="left")
    return fig


def hours_by_category(results: Any, by: str = "category", lang: str = "en") -> Figure:
    """Stacked bars of staff hours (workers and the secretary) per year, one bar per
    scenario, split by kind of work (``by="category"``; serving residents at the bottom in
    greens, administration above) or by who asks for it (``by="origin"``)."""
    lang = check_lang(lang)
    if by not in ("category", "origin"):
        raise ValueError(f"by must be 'category' or 'origin', got {by!r}")
    runs = runs_of(results)
    if by == "category":
        keys = [(c, f"hours_{c}", category_label(c, lang), CATEGORY_COLOURS[c]) for c in CATEGORY_ORDER]
    else:
        keys = [(o, f"hours_from_{o}", origin_label(o, lang), ORIGIN_COLOURS[o]) for o in ORIGINS]
    values = np.array([[mean_ci(r, col)[0] for _, col, _, _ in keys] for r in runs], dtype=float)
    values = np.nan_to_num(values, nan=0.0)
    keep = values.sum(axis=0) > 0
    if not keep.any():
        raise ValueError("no staff hours in these results")
    keys = [k for k, ok in zip(keys, keep, strict=True) if ok]
    values = values[:, keep]
    names = [scenario_label(r, lang) for r in runs]
    with style(lang):
        fig = new_figure((max(6.5, 1.6 * len(runs) + 4.5), 5.2))
        ax = fig.subplots()
        x = np.arange(len(runs))
        bottom = np.zeros(len(runs))
        for j, (_key, _col, label, colour) in enumerate(keys):
            ax.bar(x, values[:, j], bottom=bottom, width=0.6, color=colour, label=label,
                   edgecolor="white", linewidth=0.6)
            bottom += values[:, j]
        for i in range(len(runs)):
            txt = t("plots.hours_total", lang, h=f"{bottom[i]:,.0f}")
            if by == "category":
                admin = sum(values[i, j] for j, k in enumerate(keys) if k[0] in ADMIN_CATEGORIES)
                share = 100.0 * admin / bottom[i] if bottom[i] > 0 else math.nan
                txt += f"\n{t('plots.admin_share', lang)} {share:.0f}%"
            ax.annotate(txt, (x[i], bottom[i]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8.5, color="#262626")
        ax.set_xticks(x)
        ax.set_xticklabels([wrap(nm, 16, lang) for nm in names])
        ax.set_ylabel(t("plots.hours_y", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.margins(y=0.12)
        ax.grid(axis="x", visible=False)
        h, lab = ax.get_legend_handles_labels()
        ax.legend(h[::-1], lab[::-1], title=t("plots.legend_cat" if by == "category" else "plots.legend_org", lang),
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), alignment="left")
        ax.set_title(t("plots.hours_cat_title" if by == "category" else "plots.hours_org_title", lang))
    return fig
