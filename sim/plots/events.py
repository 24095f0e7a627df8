"""Figures from the per-task event logs (``events=True``): how fast residents' problems are
resolved (:func:`resolution_ecdf`) and opinion requests answered on time (:func:`opinion_on_time`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.base import (
    check_lang,
    cohort,
    colour,
    events_of,
    legend,
    mean_ci,
    month_names,
    new_figure,
    runs_of,
    scenario_label,
    style,
    t,
    wrap,
)


def resolution_ecdf(results: Any, lang: str = "en") -> Figure:
    """Empirical distribution of the days residents' problems take to be resolved, per
    scenario (pooled over replications; needs ``events=True``). The curve is the share of
    *all* problems that arrived resolved within x days, so unresolved problems keep it below
    100 %. The target (``problems.resolution_target_days``) is marked."""
    lang = check_lang(lang)
    runs = runs_of(results)
    data = []
    for run in runs:
        ev = cohort(run, events_of(run, "resolution_ecdf"))
        pr = ev[ev["category"] == "problem"]
        horizon = run.scenario.scenario.days * 24.0
        done = pr["done_hours"].to_numpy(dtype=float)
        arr = pr["arrival_hours"].to_numpy(dtype=float)
        ok = np.isfinite(done) & (done <= horizon)
        days = np.sort((done[ok] - arr[ok]) / 24.0)
        target = float(run.scenario.problems.resolution_target_days)
        data.append((run, days, len(pr), target))
    with style(lang):
        fig = new_figure((9.0, 5.0))
        ax = fig.subplots()
        xmax = 0.0
        for i, (run, days, n, target) in enumerate(data):
            if n == 0:
                continue
            y = 100.0 * np.arange(1, days.size + 1) / n
            within = 100.0 * float((days <= target).sum()) / n
            ax.step(np.concatenate([[0.0], days]), np.concatenate([[0.0], y]), where="post",
                    color=colour(i), linewidth=1.8,
                    label=f"{scenario_label(run, lang)} (n={n / run.replications:,.0f}/"
                          f"{t('plots.per_rep', lang)}, {t('plots.ecdf_within', lang, p=within)})")
            if days.size:
                xmax = max(xmax, float(np.percentile(days, 99)))
        targets = sorted({target for *_, target in data})
        for target in targets:
            ax.axvline(target, color="#404040", linestyle="--", linewidth=1.0)
            ax.annotate(t("plots.ecdf_target", lang, d=target), (target, 2.0), xytext=(4, 0),
                        textcoords="offset points", fontsize=8.5, color="#404040")
        ax.set_xlim(0, max(xmax, 2.0 * max(targets, default=1.0)) * 1.05)
        ax.set_ylim(0, 102)
        ax.set_xlabel(t("plots.ecdf_x", lang))
        ax.set_ylabel(t("plots.ecdf_y", lang))
        ax.set_title(t("plots.ecdf_title", lang))
        legend(ax, loc="lower right")
    return fig


def opinion_on_time(results: Any, lang: str = "en") -> Figure:
    """Opinion requests answered within their deadline: per scenario the yearly rate with its
    95 % CI (left), and by month of arrival, the rate (top right) and the number of requests
    (bottom right), so the award season shows (needs ``events=True``). A request still open
    at the end counts as late once its deadline has passed, and is left out otherwise."""
    lang = check_lang(lang)
    runs = runs_of(results)
    monthly = []
    for run in runs:
        ev = cohort(run, events_of(run, "opinion_on_time"))
        op = ev[ev["category"] == "opinion"]
        horizon = run.scenario.scenario.days * 24.0
        start = pd.Timestamp(run.scenario.scenario.start_date)
        month = (start + pd.to_timedelta(op["arrival_hours"].to_numpy(dtype=float), unit="h")).month
        done = op["done_hours"].to_numpy(dtype=float)
        deadline = op["deadline_hours"].to_numpy(dtype=float)
        finished = np.isfinite(done) & (done <= horizon)
        known = np.isfinite(deadline) & (finished | (deadline < horizon))
        on_time = finished & (done <= deadline)
        frame = pd.DataFrame({"month": np.asarray(month), "known": known, "on_time": on_time})
        count = frame.groupby("month").size().reindex(range(1, 13), fill_value=0) / run.replications
        k = frame[frame["known"]]
        rate = (100.0 * k.groupby("month")["on_time"].mean()).reindex(range(1, 13))
        monthly.append((run, count, rate, len(op) > 0))
    months = np.arange(1, 13)
    with style(lang):
        fig = new_figure((11.5, 5.6))
        axd = fig.subplot_mosaic([["summary", "rate"], ["summary", "count"]],
                                 width_ratios=[1, 2.6])
        ax = axd["summary"]
        for i, run in enumerate(runs):
            mean, lo, hi = (100.0 * v for v in mean_ci(run, "opinion_on_time_rate"))
            ok = math.isfinite(mean)
            ax.bar(i, mean if ok else 0.0, width=0.65, color=colour(i), alpha=0.9)
            if ok and math.isfinite(lo) and math.isfinite(hi):
                ax.errorbar(i, mean, yerr=[[mean - lo], [min(hi, 100.0) - mean]], fmt="none",
                            ecolor="#262626", capsize=4, elinewidth=1.2)
            ax.annotate(f"{mean:.1f}%" if ok else t("plots.opinion_none", lang), (i, mean if ok else 0.0),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize=8, color="#404040")
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels([wrap(scenario_label(r, lang), 12, lang) for r in runs],
                           rotation=0 if len(runs) <= 2 else 30, ha="center" if len(runs) <= 2 else "right")
        ax.set_ylim(0, 110)
        ax.set_ylabel(t("plots.opinion_rate", lang))
        ax.set_title(t("plots.opinion_summary", lang), fontsize=10)
        ax.grid(axis="x", visible=False)
        with_requests = [(i, m) for i, m in enumerate(monthly) if m[3]]
        ax_r, ax_c = axd["rate"], axd["count"]
        width = 0.8 / max(1, len(with_requests))
        for j, (i, (run, count, rate, _)) in enumerate(with_requests):
            ax_r.plot(months, rate.to_numpy(dtype=float), marker="o", color=colour(i),
                      label=scenario_label(run, lang))
            ax_c.bar(months - 0.4 + width * (j + 0.5), count.to_numpy(dtype=float), width=width,
                     color=colour(i), alpha=0.85, label=scenario_label(run, lang))
        if not with_requests:
            for a in (ax_r, ax_c):
                a.text(0.5, 0.5, t("plots.opinion_none", lang).replace("\n", " "), transform=a.transAxes,
                       ha="center", va="center", color="#808080")
        ax_r.set_ylim(0, 105)
        ax_r.set_ylabel(t("plots.opinion_rate", lang))
        ax_r.set_title(t("plots.opinion_by_month", lang), fontsize=10)
        ax_c.set_ylabel(t("plots.opinion_n", lang))
        ax_c.set_title(t("plots.opinion_count", lang), fontsize=10)
        ax_c.set_xlabel(t("plots.month", lang))
        for a in (ax_r, ax_c):
            a.set_xticks(months)
            a.set_xticklabels(month_names(lang))
            a.set_xlim(0.4, 12.6)
        ax_c.grid(axis="x", visible=False)
        if with_requests:
            ax_r.legend(loc="lower left")
        fig.suptitle(t("plots.opinion_title", lang), x=0.01, ha="left")
    return fig
