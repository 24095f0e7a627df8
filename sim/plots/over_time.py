"""Figures through the year from the runs' ``daily`` frames: backlog (:func:`workload_over_time`),
utilisation (:func:`utilisation_over_time`) and Welch's method for the warm-up (:func:`welch_plot`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots.base import (
    band,
    band_name,
    check_lang,
    colour,
    daily_label,
    date_axis,
    legend,
    metric_label,
    need_columns,
    new_figure,
    runs_of,
    scenario_label,
    style,
    t,
)
from sim.text import unit as unit_label


def workload_over_time(results: Any, columns: Sequence[str] = ("open_workload_hours", "queue_length"),
                       lang: str = "en") -> Figure:
    """One panel per daily column (``daily`` of the runs): per scenario the mean over
    replications through the year, with a band across replications (10-90 % with at least
    five replications, else their range)."""
    lang = check_lang(lang)
    runs = runs_of(results)
    if isinstance(columns, str):
        columns = (columns,)
    columns = list(columns)
    if not columns:
        raise ValueError("no columns to plot")
    for r in runs:
        need_columns(r.daily, columns)
    nrep = min(r.replications for r in runs)
    with style(lang):
        fig = new_figure((10.0, 2.9 * len(columns) + 0.8))
        axes = np.atleast_1d(fig.subplots(len(columns), 1, sharex=True, squeeze=False)).ravel()
        for ax, col in zip(axes, columns, strict=True):
            label, unit = daily_label(col, lang)
            scale = 100.0 if unit == unit_label("share", lang) else 1.0
            unit = "%" if scale == 100.0 else unit
            for i, run in enumerate(runs):
                wide = run.daily.pivot_table(index="date", columns="replication", values=col,
                                             aggfunc="mean", dropna=False) * scale
                mean = wide.mean(axis=1)
                lo, hi = band(wide, run.replications)
                ax.fill_between(wide.index, lo.to_numpy(), hi.to_numpy(), color=colour(i),
                                alpha=0.18, linewidth=0)
                ax.plot(wide.index, mean.to_numpy(), color=colour(i), linewidth=1.4,
                        label=scenario_label(run, lang))
            ax.set_title(label)
            ax.set_ylabel(unit)
            ax.set_ylim(bottom=0)
            date_axis(ax, lang)
        legend(axes[0], loc="upper left", ncols=min(len(runs), 4))
        axes[-1].set_xlabel(t("plots.date", lang))
        fig.suptitle(t("plots.workload_title", lang, n=nrep, band=band_name(nrep, lang)), x=0.01, ha="left")
    return fig



def utilisation_over_time(results: Any, lang: str = "en") -> Figure:
    """Worker, secretary and volunteer utilisation through the year: weekly means (of the
    days with office or volunteer hours) per scenario, mean over replications with a band
    across replications. A scenario without volunteers (or secretary) has no line there."""
    lang = check_lang(lang)
    runs = runs_of(results)
    cols = ("worker_utilization", "secretary_utilization", "volunteer_utilization")
    metric_of = {"worker_utilization": "utilization", "secretary_utilization": "secretary_utilization",
                 "volunteer_utilization": "volunteer_utilization"}
    nrep = min(r.replications for r in runs)
    with style(lang):
        fig = new_figure((10.0, 8.4))
        axes = np.atleast_1d(fig.subplots(3, 1, sharex=True, squeeze=False)).ravel()
        for ax, col in zip(axes, cols, strict=True):
            drawn = False
            for i, run in enumerate(runs):
                d = run.daily
                if col not in d.columns or not d[col].notna().any():
                    continue
                day0 = int(d["day"].min())
                week = (d["day"].to_numpy() - day0) // 7
                frame = pd.DataFrame({"replication": d["replication"].to_numpy(), "week": week,
                                      "value": d[col].to_numpy(dtype=float) * 100.0})
                wide = frame.pivot_table(index="week", columns="replication", values="value",
                                         aggfunc="mean", dropna=False)
                days_in_week = pd.Series(d["day"].to_numpy()).groupby(week).nunique()
                wide = wide[days_in_week.reindex(wide.index).to_numpy() >= 4]  # no stub week at the end
                start = pd.Timestamp(run.scenario.scenario.start_date)
                dates = start + pd.to_timedelta(day0 + 7 * wide.index.to_numpy() + 3, unit="D")
                lo, hi = band(wide, run.replications)
                ax.fill_between(dates, lo.to_numpy(dtype=float), hi.to_numpy(dtype=float),
                                color=colour(i), alpha=0.18, linewidth=0)
                ax.plot(dates, wide.mean(axis=1).to_numpy(dtype=float), color=colour(i),
                        linewidth=1.6, label=scenario_label(run, lang))
                drawn = True
            if not drawn:
                ax.text(0.5, 0.5, t("plots.util_none", lang), transform=ax.transAxes, ha="center",
                        va="center", color="#808080")
            ax.set_title(metric_label(metric_of[col], lang))
            ax.set_ylabel(t("plots.util_y", lang))
            ax.set_ylim(0, 105)
            date_axis(ax, lang)
        handles = [Line2D([], [], color=colour(i), label=scenario_label(r, lang))
                   for i, r in enumerate(runs)]
        axes[0].legend(handles=handles, loc="lower left", ncols=min(len(runs), 4))
        axes[-1].set_xlabel(t("plots.date", lang))
        fig.suptitle(t("plots.util_title", lang, band=band_name(nrep, lang)), x=0.01, ha="left")
    return fig



def welch_plot(daily_or_result: Any, column: str = "open_workload_hours", window: int = 7,
               warmup_days: int | None = None, lang: str = "en") -> Figure:
    """Welch's graphical method for the warm-up period (:func:`sim.experiment.welch`): the
    daily mean of ``column`` over replications and its moving average of half-width
    ``window`` days, with the warm-up marked (``warmup_days``, by default the scenario's,
    or the first day of a bare ``daily`` frame). Run with ``scenario.warmup_days=0`` to see
    the whole transient."""
    from sim.experiment import welch

    lang = check_lang(lang)
    if isinstance(daily_or_result, pd.DataFrame):
        sources = [(None, daily_or_result)]
        if warmup_days is None and "day" in daily_or_result.columns and len(daily_or_result):
            warmup_days = int(daily_or_result["day"].min())
    else:
        runs = runs_of(daily_or_result)
        sources = [(r, r.daily) for r in runs]
        if warmup_days is None:
            warmup_days = int(runs[0].scenario.scenario.warmup_days)
    label, unit = daily_label(column, lang)
    with style(lang):
        fig = new_figure((10.0, 4.8))
        ax = fig.subplots()
        for i, (run, daily) in enumerate(sources):
            try:
                w = welch(daily, column, window)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            name = scenario_label(run, lang) if run is not None else ""
            prefix = f"{name}: " if name and len(sources) > 1 else ""
            ax.plot(w["day"], w["mean"], color=colour(i), alpha=0.35, linewidth=0.9,
                    label=prefix + t("plots.welch_mean", lang))
            ax.plot(w["day"], w["moving_average"], color=colour(i), linewidth=2.2,
                    label=prefix + t("plots.welch_ma", lang, w=window))
        if warmup_days is not None:
            ax.axvline(warmup_days, color="#d73027", linestyle="--", linewidth=1.4,
                       label=t("plots.welch_warmup", lang, d=warmup_days))
        ax.set_xlabel(t("plots.day", lang))
        ax.set_ylabel(f"{label} ({unit})" if unit else label)
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.set_title(t("plots.welch_title", lang, column=label))
        legend(ax, loc="upper left", bbox_to_anchor=(0.06, 1.0))
    return fig
