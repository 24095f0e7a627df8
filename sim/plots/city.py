"""Figures of cities, targets and calibration: :func:`target_check` (``sim check``),
:func:`community_scatter` (a city run) and :func:`calibration_design` (``sim calibrate``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.metrics import METRICS
from sim.plots.base import (
    PALETTE,
    VERDICT_COLOURS,
    check_lang,
    colour,
    legend,
    metric_label,
    need_columns,
    new_figure,
    style,
    t,
    wrap,
)
from sim.text import catalogue


def target_check(results: Sequence[Any], lang: str = "en") -> Figure:
    """Each target of ``sim check`` (:class:`sim.targets.TargetResult`) on one axis: its
    accepted band (grey), the reported value (0) and the model's mean with its 95 % CI, as
    per cent deviation from the reported value; pass in green, fail in red."""
    lang = check_lang(lang)
    rows = [r for r in results if r.target.value]
    if not rows:
        raise ValueError("no targets with a non-zero value to plot")
    with style(lang):
        fig = new_figure((10.0, 0.55 * len(rows) + 1.8))
        ax = fig.subplots()
        ys = np.arange(len(rows))[::-1].astype(float)
        for y, r in zip(ys, rows, strict=True):
            v = abs(r.target.value)
            lo, hi = (100.0 * (b - r.target.value) / v for b in r.target.band)
            ax.barh(y, max(hi - lo, 0.4), left=lo if hi > lo else lo - 0.2, height=0.5,
                    color="#d9d9d9", zorder=1)
            col = VERDICT_COLOURS["better"] if r.passed else VERDICT_COLOURS["worse"]
            m = 100.0 * (r.mean - r.target.value) / v
            if math.isfinite(r.ci_low) and math.isfinite(r.ci_high) and r.ci_high > r.ci_low:
                err = [[m - 100.0 * (r.ci_low - r.target.value) / v],
                       [100.0 * (r.ci_high - r.target.value) / v - m]]
            else:
                err = None
            ax.errorbar(m, y, xerr=err, fmt="o", color=col, ecolor=col, elinewidth=2, capsize=3,
                        zorder=3)
        ax.axvline(0.0, color="#262626", linewidth=1.0, zorder=2, label=t("plots.target_value", lang))
        ax.set_yticks(ys)
        ax.set_yticklabels([wrap(metric_label(r.target.metric, lang)
                                  if r.target.metric in METRICS else r.target.metric, 40, lang)
                            for r in rows])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:+.0f}%" if x else "0"))
        ax.set_xlabel(t("plots.target_x", lang))
        ax.set_title(t("plots.target_title", lang), fontsize=10)
        ax.grid(axis="y", visible=False)
    return fig


def community_scatter(city_result: Any, x: str = "households", y: str = "admin_hours_share",
                      lang: str = "en") -> Figure:
    """One point per community of a city run (:class:`sim.city.CityResult`): ``x`` against
    ``y`` (columns of ``city_result.communities``), communities with a volunteer team filled,
    without one hollow."""
    lang = check_lang(lang)
    frame = city_result.communities
    need_columns(frame, [x, y])
    def axis(name: str) -> str:
        if f"plots.axis.{name}" in catalogue():
            return t(f"plots.axis.{name}", lang)
        return metric_label(name, lang)

    with style(lang):
        fig = new_figure((8.0, 5.0))
        ax = fig.subplots()
        team = frame["volunteer_teams"] > 0
        ax.scatter(frame.loc[team, x], frame.loc[team, y], color=PALETTE[0], s=28,
                   label=t("plots.with_team", lang))
        ax.scatter(frame.loc[~team, x], frame.loc[~team, y], facecolors="none",
                   edgecolors=PALETTE[1], s=28,
                   label=t("plots.without_team", lang))
        ax.set_xlabel(axis(x))
        ax.set_ylabel(axis(y))
        city = city_result.city
        ax.set_title(t("plots.community_title", lang, city=(city.name_zh or city.name) if lang == "zh"
                        else city.name), fontsize=10)
        legend(ax, loc="best")
    return fig


def calibration_design(record: Any, param: str, metric: str, lang: str = "en") -> Figure:
    """The design points of a calibration (``sim calibrate --out`` record, or
    ``CalibrationResult.to_json()``): ``metric`` against ``param`` by round, the target's
    band, and the calibrated value."""
    lang = check_lang(lang)
    design = pd.DataFrame(record["design"])
    need_columns(design, [param, metric])
    target = next((t for t in record.get("verification", []) if t["metric"] == metric), None)
    with style(lang):
        fig = new_figure((8.0, 5.0))
        ax = fig.subplots()
        rounds = sorted(design["round"].unique()) if "round" in design else [None]
        for i, rnd in enumerate(rounds):
            part = design if rnd is None else design[design["round"] == rnd]
            ax.scatter(part[param], part[metric], color=colour(i), s=24,
                       label=None if rnd is None else t("plots.round", lang, n=rnd))
        if target is not None:
            lo, hi = target["band"]
            ax.axhspan(lo, hi, color="#d9d9d9", alpha=0.6, zorder=0,
                       label=t("plots.target_band", lang))
        value = record.get("parameters", {}).get(param)
        if value is not None:
            ax.axvline(value, color="#262626", linestyle="--", linewidth=1.2,
                       label=t("plots.calibrated", lang, v=value))
        ax.set_xlabel(param)
        ax.set_ylabel(metric_label(metric, lang) if metric in METRICS else metric)
        legend(ax, loc="best")
    return fig
