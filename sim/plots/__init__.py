"""Figures of experiment results: matplotlib only, one function per figure, each returning a
:class:`matplotlib.figure.Figure`.

The engine never imports this package. Modules by figure family: :mod:`~sim.plots.comparison`,
:mod:`~sim.plots.over_time`, :mod:`~sim.plots.events`, :mod:`~sim.plots.sweeps`,
:mod:`~sim.plots.city`; what they share (style, fonts, labels, input checks) is in
:mod:`~sim.plots.base`. Every function takes result objects
(:class:`sim.experiment.ComparisonResult`, :class:`sim.experiment.RunResult`, a list of
RunResults) or DataFrames (a sweep's ``results``, a ``daily`` frame), builds a figure with
the object-oriented API (``Figure()``, no pyplot state, nothing shown) and returns it:
``fig.savefig("x.svg")`` or let a notebook display it.

Style: a small, consistent set of rcParams is applied with :func:`matplotlib.rc_context`
while a figure is built (nothing global changes at import). Fonts are set on the text
artists themselves, so a figure saved or drawn later looks the same.

Language: every function has ``lang="en"`` (default) or ``lang="zh"``. Labels come from the
text catalogue (:mod:`sim.text`, ``plots.toml`` and ``common.toml``), the metric registry
(:func:`sim.metrics.label`) and the scenarios' ``name_zh``. Chinese needs a CJK font
(Noto Sans CJK, Source Han Sans, WenQuanYi, ...); when none is installed the figures fall back
to English labels, with one warning per process.

Functions: :func:`headline_bars`, :func:`forest`, :func:`hours_by_category`,
:func:`workload_over_time`, :func:`resolution_ecdf`, :func:`opinion_on_time`,
:func:`utilisation_over_time`, :func:`sweep_line`, :func:`sweep_heatmap`, :func:`welch_plot`;
for cities and targets: :func:`target_check`, :func:`community_scatter`,
:func:`calibration_design`.
"""

from __future__ import annotations

from sim.plots.base import (
    CATEGORY_COLOURS,
    ORIGIN_COLOURS,
    PALETTE,
    VERDICT_COLOURS,
    cjk_font,
    scenario_label,
    style,
)
from sim.plots.city import calibration_design, community_scatter, target_check
from sim.plots.comparison import forest, headline_bars, hours_by_category
from sim.plots.events import opinion_on_time, resolution_ecdf
from sim.plots.over_time import utilisation_over_time, welch_plot, workload_over_time
from sim.plots.sweeps import sweep_heatmap, sweep_line

__all__ = [
    "CATEGORY_COLOURS",
    "ORIGIN_COLOURS",
    "PALETTE",
    "VERDICT_COLOURS",
    "calibration_design",
    "cjk_font",
    "community_scatter",
    "forest",
    "headline_bars",
    "hours_by_category",
    "opinion_on_time",
    "resolution_ecdf",
    "scenario_label",
    "style",
    "sweep_heatmap",
    "sweep_line",
    "target_check",
    "utilisation_over_time",
    "welch_plot",
    "workload_over_time",
]
