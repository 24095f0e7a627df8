"""Figures of ensembles, scenario discovery and sensitivity (:mod:`sim.analysis`).

:func:`plot_effects`: per headline metric, every world's paired effect (dots coloured by that
world's verdict) in the metric's unit (shares in per cent), with the median and the 5-95 %
range (:func:`plot_size_effects`: the same per community-size group of a city ensemble);
:func:`plot_boxes`: the worlds over the two factors a discovered box restricts most,
cases marked, the box drawn, and PRIM's coverage-density trade-off beside it;
:func:`tornado`: Morris mu* (bars) with sigma (whiskers); :func:`sobol_bars`: Sobol' first and
total indices with their confidence intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.metrics import HEADLINE
from sim.plots.base import VERDICT_COLOURS, check_lang, metric_axis, new_figure, style, wrap
from sim.plots.base import metric_label as label
from sim.text import t

__all__ = ["plot_boxes", "plot_effects", "plot_size_effects", "sobol_bars", "tornado"]


def plot_effects(result: Any, metrics: Sequence[str] | None = None, lang: str = "en") -> Figure:
    """One row per metric: the effect in every world (dots, by verdict), median and 5-95 %."""
    lang = check_lang(lang)
    names = [m for m in (metrics or HEADLINE) if m in result.headline]
    if not names:
        raise ValueError("no metrics to plot")
    with style(lang):
        fig = new_figure((9.0, 0.55 * len(names) + 1.6))
        axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
        rng = np.random.default_rng(0)       # vertical jitter only: positions are exact
        for ax, name in zip(axes, names, strict=True):
            eff = result.effects(name)
            scale, unit = metric_axis(name, lang)
            x = eff["diff_mean"].to_numpy(float) * scale
            cols = [VERDICT_COLOURS.get(v, "#8c8c8c") for v in eff["verdict"]]
            ax.scatter(x, rng.uniform(-0.3, 0.3, x.size), c=cols, s=9, alpha=0.7, lw=0)
            h = result.headline[name]
            if np.isfinite(h["effect_median"]):
                ax.axvline(h["effect_median"] * scale, color="black", lw=1)
                ax.axvspan(h["effect_p05"] * scale, h["effect_p95"] * scale, color="0.85",
                           zorder=0)
            ax.axvline(0.0, color="0.4", lw=0.8, ls=":")
            ax.set_yticks([])
            ax.set_ylim(-0.5, 0.5)
            ax.set_ylabel(wrap(label(name, lang), 22, lang), rotation=0, ha="right", va="center",
                          fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_xlabel(unit, fontsize=7, loc="right")
        axes[0].set_title(wrap(t("plots.robustness_title", lang, n=result.worlds), 110, lang),
                          fontsize=9)
    return fig


def plot_size_effects(result: Any, metrics: Sequence[str] | None = None,
                      lang: str = "en") -> Figure:
    """A city ensemble by community size: one row per metric, one line per household
    tercile, every world's effect on the group's mean (dots, by verdict) and its median."""
    lang = check_lang(lang)
    groups = list(result.by_size)
    names = [m for m in (metrics or HEADLINE)
             if groups and all(m in result.by_size[g]["headline"] for g in groups)]
    if not names:
        raise ValueError("no metrics to plot")
    with style(lang):
        fig = new_figure((9.0, 0.9 * len(names) + 1.6))
        axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
        rng = np.random.default_rng(0)       # vertical jitter only: positions are exact
        for ax, name in zip(axes, names, strict=True):
            scale, unit = metric_axis(name, lang)
            for y, g in enumerate(groups):
                part = result.by_size[g]
                eff = part["per_world"][part["per_world"]["metric"] == name]
                x = eff["diff_mean"].to_numpy(float) * scale
                cols = [VERDICT_COLOURS.get(v, "#8c8c8c") for v in eff["verdict"]]
                ax.scatter(x, y + rng.uniform(-0.25, 0.25, x.size), c=cols, s=9, alpha=0.7, lw=0)
                med = part["headline"][name]["effect_median"]
                if med is not None and np.isfinite(med):
                    ax.plot([med * scale] * 2, [y - 0.35, y + 0.35], color="black", lw=1)
            ax.axvline(0.0, color="0.4", lw=0.8, ls=":")
            ax.set_yticks(range(len(groups)), [t(f"size.{g}", lang) for g in groups], fontsize=7)
            ax.set_ylim(-0.5, len(groups) - 0.5)
            ax.set_ylabel(wrap(label(name, lang), 22, lang), rotation=0, ha="right", va="center",
                          fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_xlabel(unit, fontsize=7, loc="right")
        axes[0].set_title(wrap(t("plots.robustness_size_title", lang, n=result.worlds), 110,
                               lang), fontsize=9)
    return fig


def plot_boxes(result: Any, box: dict[str, Any], lang: str = "en") -> Figure | None:
    """The worlds over the (up to) two factors the box restricts, cases in red, the box."""
    lang = check_lang(lang)
    dims = list(box["limits"])[:2]
    if not dims:
        return None
    x = result.inputs()
    from sim.analysis.discovery import parse_condition

    cond = parse_condition(box["condition"])
    y = cond.holds(result.effects(cond.metric))
    if len(dims) == 1:
        other = [c for c in x.columns if c != dims[0]]
        dims = dims + other[:1]
    with style(lang):
        fig = new_figure((10.0, 4.2))
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1.0])
        xs = x[dims[0]].to_numpy(float)
        ys = x[dims[1]].to_numpy(float) if len(dims) > 1 else np.zeros(len(x))
        ax.scatter(xs[~y], ys[~y], s=12, c="#8c8c8c", lw=0, label="condition does not hold")
        ax.scatter(xs[y], ys[y], s=14, c="#d73027", lw=0, label="condition holds")
        lo0, hi0 = box["limits"].get(dims[0], [xs.min(), xs.max()])
        lo1, hi1 = box["limits"].get(dims[1], [ys.min(), ys.max()]) if len(dims) > 1 else (-1, 1)
        ax.add_patch(Rectangle((lo0, lo1), hi0 - lo0, hi1 - lo1, fill=False, lw=1.5,
                               ec="black"))
        ax.set_xlabel(dims[0])
        if len(dims) > 1:
            ax.set_ylabel(dims[1])
        ax.set_title(wrap(f"{box['method'].upper()}: {cond.words()} (density "
                          f"{box['density']:.0%}, coverage {box['coverage']:.0%})", 60, lang),
                     fontsize=9)
        ax.legend(fontsize=7, loc="best")
        traj = np.asarray(box.get("trajectory") or [], dtype=float)
        if traj.size:
            ax2.plot(traj[:, 0], traj[:, 1], "o-", ms=3, color="#4575b4")
            ax2.plot([box["coverage"]], [box["density"]], "o", ms=8, mfc="none", mec="black")
            ax2.set_xlabel("coverage")
            ax2.set_ylabel("density")
            ax2.set_title("PRIM peeling trajectory (circle: the box chosen)", fontsize=9)
        else:
            ax2.axis("off")
    return fig


def tornado(morris: dict[str, dict[str, float]], title: str = "", lang: str = "en") -> Figure:
    """Morris screening: mu* per factor (bars, largest on top) with its confidence interval,
    sigma marked (interactions or non-linearity)."""
    lang = check_lang(lang)
    items = sorted(morris.items(), key=lambda kv: kv[1]["mu_star"])
    with style(lang):
        fig = new_figure((8.0, 0.45 * len(items) + 1.6))
        ax = fig.subplots()
        ys = np.arange(len(items))
        mu = [v["mu_star"] for _, v in items]
        conf = [v.get("mu_star_conf", 0.0) for _, v in items]
        ax.barh(ys, mu, xerr=conf, color="#4575b4", alpha=0.85, label="mu* (95% CI)")
        ax.plot([v["sigma"] for _, v in items], ys, "D", color="#d73027", ms=5, label="sigma")
        ax.set_yticks(ys, [k for k, _ in items], fontsize=8)
        ax.set_xlabel("elementary effect on the output")
        ax.set_title(title or "Morris screening", fontsize=9)
        ax.legend(fontsize=7)
    return fig


def sobol_bars(sobol: dict[str, dict[str, float]], title: str = "", lang: str = "en") -> Figure:
    """Sobol' first-order (S1) and total (ST) indices per factor with their 95 % CIs."""
    lang = check_lang(lang)
    names = list(sobol)
    with style(lang):
        fig = new_figure((8.0, 3.6))
        ax = fig.subplots()
        xs = np.arange(len(names))
        for off, key, col in ((-0.2, "S1", "#4575b4"), (0.2, "ST", "#fdae61")):
            vals = [sobol[n][key] for n in names]
            errs = [sobol[n].get(f"{key}_conf", 0.0) for n in names]
            ax.bar(xs + off, vals, width=0.4, yerr=errs, color=col, label=key, capsize=2)
        ax.set_xticks(xs, names, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel("share of the output's variance")
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_title(title or "Sobol' indices", fontsize=9)
        ax.legend(fontsize=7)
    return fig


