"""Figures of a parameter sweep's results: a metric against one parameter (:func:`sweep_line`)
or on a grid of two (:func:`sweep_heatmap`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.formatting import significant
from sim.metrics import METRICS
from sim.plots.base import (
    check_lang,
    colour,
    legend,
    metric_axis,
    metric_label,
    need_columns,
    new_figure,
    style,
    sweep_frame,
    t,
    wrap,
)
from sim.text import param as param_label


def sweep_line(results_df: Any, param: str, metric: str, hue: str | None = None,
               lang: str = "en") -> Figure:
    """A metric against one swept parameter: mean over replications with a 95 % t-interval
    band; with ``hue``, one line per value of that other parameter (``results_df``: a sweep's
    ``results`` frame or the SweepResult itself)."""
    from sim.stats import t_interval

    lang = check_lang(lang)
    df = sweep_frame(results_df)
    need_columns(df, [param, metric, hue])
    scale, unit = metric_axis(metric, lang)
    groups = [(None, df)] if hue is None else [(h, g) for h, g in df.groupby(hue, sort=True)]
    with style(lang):
        fig = new_figure((8.0, 5.0))
        ax = fig.subplots()
        for i, (h, g) in enumerate(groups):
            xs, mean, lo, hi = [], [], [], []
            for x, part in g.groupby(param, sort=True):
                iv = t_interval(part[metric].to_numpy(dtype=float))
                xs.append(x)
                mean.append(iv.mean * scale)
                lo.append((iv.low if math.isfinite(iv.low) else iv.mean) * scale)
                hi.append((iv.high if math.isfinite(iv.high) else iv.mean) * scale)
            col = colour(i)
            label = None if h is None else f"{h:g}" if isinstance(h, (int, float, np.number)) else str(h)
            ax.fill_between(xs, lo, hi, color=col, alpha=0.2, linewidth=0)
            ax.plot(xs, mean, marker="o", color=col, label=label)
        grid_values = sorted(df[param].dropna().unique())
        if len(grid_values) <= 12 and all(isinstance(v, (int, float, np.number)) for v in grid_values):
            ax.set_xticks(grid_values)
            ax.set_xticklabels([f"{v:g}" for v in grid_values])
        ax.set_xlabel(param_label(param, lang))
        ax.set_ylabel(f"{metric_label(metric, lang)} ({unit})" if unit else metric_label(metric, lang))
        ax.set_title(wrap(t("plots.sweep_title", lang, metric=metric_label(metric, lang),
                              param=param_label(param, lang)), 70, lang))
        if hue is not None:
            legend(ax, title=param_label(hue, lang))
    return fig


def sweep_heatmap(results_df: Any, x: str, y: str, metric: str, lang: str = "en") -> Figure:
    """A metric on a 2-D grid of two swept parameters: the mean over replications (and over
    any other swept parameter) in each cell, written in the cell."""
    lang = check_lang(lang)
    df = sweep_frame(results_df)
    need_columns(df, [x, y, metric])
    if x == y:
        raise ValueError("x and y must be different parameters")
    scale, unit = metric_axis(metric, lang)
    grid = df.groupby([y, x], sort=True)[metric].mean().unstack(x) * scale
    skip = {"point", "replication", x, y}
    other = [c for c in df.columns if c not in skip and c not in METRICS
             and not str(c).endswith(("_mean", "_low", "_high")) and df[c].nunique() > 1
             and "." in str(c)]
    values = grid.to_numpy(dtype=float)
    with style(lang):
        fig = new_figure((1.1 * values.shape[1] + 3.8, 0.7 * values.shape[0] + 2.4))
        ax = fig.subplots()
        im = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
        finite = values[np.isfinite(values)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        for (r, c), v in np.ndenumerate(values):
            light = not math.isfinite(v) or (vmax > vmin and (v - vmin) / (vmax - vmin) > 0.6)
            ax.text(c, r, significant(v), ha="center", va="center", fontsize=8.5,
                    color="#1a1a1a" if light else "white")
        def fmt(v: Any) -> str:
            return f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v)

        ax.set_xticks(range(values.shape[1]))
        ax.set_xticklabels([fmt(v) for v in grid.columns])
        ax.set_yticks(range(values.shape[0]))
        ax.set_yticklabels([fmt(v) for v in grid.index])
        ax.set_xlabel(param_label(x, lang))
        ax.set_ylabel(param_label(y, lang))
        ax.grid(False)
        cbar = fig.colorbar(im, ax=ax)
        cbar.set_label(f"{metric_label(metric, lang)} ({unit})" if unit else metric_label(metric, lang))
        title = t("plots.heatmap_title", lang, metric=metric_label(metric, lang))
        if other:
            title += t("plots.heatmap_other", lang, other=", ".join(other))
        ax.set_title(wrap(title, 60, lang))
    return fig
