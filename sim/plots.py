"""Figures of experiment results: matplotlib only, one function per figure, each returning a
:class:`matplotlib.figure.Figure`.

The engine never imports this module. Every function takes result objects
(:class:`sim.experiment.ComparisonResult`, :class:`sim.experiment.RunResult`, a list of
RunResults) or DataFrames (a sweep's ``results``, a ``daily`` frame), builds a figure with
the object-oriented API (``Figure()``, no pyplot state, nothing shown) and returns it:
``fig.savefig("x.svg")`` or let a notebook display it.

Style: a small, consistent set of rcParams is applied with :func:`matplotlib.rc_context`
while a figure is built (nothing global changes at import). Fonts are set on the text
artists themselves, so a figure saved or drawn later looks the same.

Language: every function has ``lang="en"`` (default) or ``lang="zh"``. Chinese labels come
from the metric registry (``label_zh``), :data:`sim.metrics.CATEGORY_LABELS_ZH`,
:data:`sim.metrics.ORIGIN_LABELS_ZH` and the scenarios' ``name_zh``. Chinese needs a CJK font
(Noto Sans CJK, Source Han Sans, WenQuanYi, ...); when none is installed the figures fall back
to English labels, with one warning per process.

Functions: :func:`headline_bars`, :func:`forest`, :func:`hours_by_category`,
:func:`workload_over_time`, :func:`resolution_ecdf`, :func:`opinion_on_time`,
:func:`utilisation_over_time`, :func:`sweep_line`, :func:`sweep_heatmap`, :func:`welch_plot`;
for cities and targets: :func:`target_check`, :func:`community_scatter`,
:func:`calibration_design`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager
from matplotlib.dates import DateFormatter, MonthLocator
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.formatting import significant
from sim.metrics import CATEGORY_LABELS_ZH, HEADLINE, METRICS, ORIGIN_LABELS_ZH, metric
from sim.scenario.model import ADMIN_CATEGORIES, CATEGORIES, ORIGINS, SERVICE_CATEGORIES

__all__ = [
    "PALETTE",
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

# Okabe-Ito: distinguishable with colour-blindness; the baseline is always blue.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
VERDICT_COLOURS = {
    "better": "#1a9850", "worse": "#d73027", "no clear difference": "#8c8c8c",
    "higher": "#4575b4", "lower": "#4575b4",
}
# Serving residents in greens, administration in warm colours and purples.
CATEGORY_COLOURS = {
    "core": "#1b7837", "problem": "#5aae61", "activity": "#a6dba0",
    "assist": "#e08214", "unlisted": "#fdb863", "assessment": "#d6604d", "meeting": "#8073ac",
    "ledger": "#b2182b", "certificate": "#b2abd2", "opinion": "#542788", "upkeep": "#bababa",
    "other": "#e0e0e0",
}
ORIGIN_COLOURS = {"department": "#e08214", "resident": "#1b7837", "office": "#4393c3"}
_CATEGORY_ORDER = ([c for c in CATEGORIES if c in SERVICE_CATEGORIES]
                   + [c for c in CATEGORIES if c in ADMIN_CATEGORIES]
                   + [c for c in CATEGORIES if c not in SERVICE_CATEGORIES | ADMIN_CATEGORIES])

_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Source Han Sans",
    "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK HK", "Noto Sans CJK KR",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Hiragino Sans GB",
    "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "Noto Serif CJK SC",
)
_CJK_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "notosanssc", "droidsansfallback",
                   "simhei", "msyh", "pingfang", "uming", "ukai")
_WARNED = False

_STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#4d4d4d",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9.5,
    "axes.labelcolor": "#262626",
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": "#404040",
    "ytick.color": "#404040",
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.titlesize": 12.5,
    "figure.titleweight": "bold",
    "lines.linewidth": 1.8,
    "patch.linewidth": 0.0,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "svg.fonttype": "path",          # glyphs as paths: SVGs need no installed font
    "svg.hashsalt": "community-office-sim",  # stable ids: the same figure gives the same SVG
    "axes.unicode_minus": True,
}

_TEXT: dict[str, tuple[str, str]] = {
    "target_title": ("Model against targets (band: accepted; bar: 95% CI of the model mean)",
                     "模型与目标值(灰带: 可接受范围; 误差线: 模型均值95%置信区间)"),
    "target_x": ("deviation from the reported value (%)", "相对报告值的偏差(%)"),
    "target_value": ("reported value", "报告值"),
    "community_title": ("Communities of {city}", "{city}的社区"),
    "headline_title": ("Headline metrics: mean and 95% confidence interval per scenario",
                       "主要指标:各方案均值及 95% 置信区间"),
    "forest_title": ("Change against the baseline, paired by replication (95% CI)",
                     "相对基线的变化(按重复配对,95% 置信区间)"),
    "forest_x": ("Change relative to the baseline mean (%)", "相对基线均值的变化(%)"),
    "forest_zero": ("baseline is 0", "基线为 0"),
    "forest_undefined": ("not defined in both scenarios", "两个方案中未均有定义"),
    "forest_text": ("Difference [95% CI] · verdict", "差值 [95% 置信区间] · 结论"),
    "hours_cat_title": ("Staff hours per year by kind of work", "按工作类别的社工和书记年工时"),
    "hours_org_title": ("Staff hours per year by who asks for the work",
                        "按工作来源的社工和书记年工时"),
    "hours_y": ("Staff hours per year (workers and secretary)", "社工和书记工时(小时/年)"),
    "admin_share": ("admin", "行政"),
    "legend_cat": ("Kind of work", "工作类别"),
    "legend_org": ("Asked for by", "工作来源"),
    "workload_title": ("Over the year: mean over {n} replications, band: {band}",
                       "全年变化:{n} 次重复的均值,阴影为{band}"),
    "band_q": ("10–90% of replications", "各次重复的 10%–90% 区间"),
    "band_range": ("range of replications", "各次重复的范围"),
    "date": ("Date", "日期"),
    "ecdf_title": ("How fast residents' problems are resolved", "群众诉求的解决速度"),
    "ecdf_x": ("Days from arrival to resolution", "从提出到解决的天数"),
    "ecdf_y": ("Share of problems resolved (%)", "已解决诉求占比(%)"),
    "ecdf_target": ("target: {d:g} days", "目标:{d:g} 天"),
    "ecdf_within": ("{p:.0f}% within target", "{p:.0f}% 在目标内"),
    "opinion_title": ("Opinion requests answered on time", "征求意见按期反馈"),
    "opinion_rate": ("On time (%)", "按期反馈率(%)"),
    "opinion_summary": ("All year: mean and 95% CI", "全年:均值及 95% 置信区间"),
    "opinion_by_month": ("By month of arrival (pooled over replications)",
                         "按提出月份(各次重复合并)"),
    "opinion_count": ("Opinion requests per month (mean per replication)",
                      "每月征求意见事项数(每次重复的均值)"),
    "opinion_n": ("Requests", "事项数"),
    "opinion_none": ("no opinion\nrequests", "无征求意见\n事项"),
    "month": ("Month of arrival", "提出月份"),
    "util_title": ("Utilisation over the year: weekly means, band: {band}",
                   "全年忙碌率:周均值,阴影为{band}"),
    "util_y": ("% of available hours", "占可用工时(%)"),
    "util_none": ("not in these scenarios", "这些方案中没有"),
    "na": ("n/a", "无数据"),
    "sweep_title": ("{metric} against {param}: mean and 95% CI over replications",
                    "{metric}随{param}的变化:均值及 95% 置信区间"),
    "heatmap_title": ("{metric}: mean over replications", "{metric}:各次重复的均值"),
    "heatmap_other": (" (also averaged over: {other})", "(另对 {other} 取平均)"),
    "welch_title": ("Welch's method for the warm-up: {column}", "Welch 法确定预热期:{column}"),
    "welch_mean": ("daily mean over replications", "各次重复的日均值"),
    "welch_ma": ("moving average (±{w} days)", "移动平均(±{w} 天)"),
    "welch_warmup": ("warm-up: {d} days", "预热期:{d} 天"),
    "day": ("Day of the run", "运行天数"),
    "baseline": ("baseline", "基线"),
}

_UNITS_ZH = {"share": "占比", "hours/year": "小时/年", "per year": "件/年", "hours": "小时",
             "days": "天", "count": "件", "working days": "工作日", "%": "%",
             "hours per day": "小时/天", "tasks": "件", "% of office hours": "占工作时间(%)"}

_DAILY_LABELS: dict[str, tuple[str, str, str, str]] = {
    # column: (English label, English unit, Chinese label, Chinese unit)
    "open_workload_hours": ("Open work waiting for staff", "hours", "待办工作量", "小时"),
    "queue_length": ("Tasks waiting to be started", "tasks", "排队等待的事项", "件"),
    "tasks_open": ("Open tasks (entered, not done)", "tasks", "未完成事项", "件"),
    "overtime_hours": ("Overtime worked", "hours per day", "加班时长", "小时/天"),
    "hours_workers": ("Hours worked by the workers", "hours per day", "社工工作时长", "小时/天"),
    "hours_secretary": ("Hours worked by the secretary", "hours per day", "书记工作时长", "小时/天"),
    "hours_volunteers": ("Hours worked by volunteers", "hours per day", "志愿者工作时长", "小时/天"),
    "worker_utilization": ("Worker utilisation", "share", "社工忙碌率", "占比"),
    "secretary_utilization": ("Secretary utilisation", "share", "书记忙碌率", "占比"),
    "volunteer_utilization": ("Volunteer utilisation", "share", "志愿者忙碌率", "占比"),
}

_PARAM_LABELS_ZH = {
    "office.workers": "社工人数", "volunteers.teams": "志愿队数量",
    "volunteers.members_per_team": "每队志愿者人数", "volunteers.turnout": "志愿者出勤率",
    "tasks.opinion.deadline_working_days": "征求意见反馈期限(工作日)",
    "admission.approval_probability": "清单外事项核准概率",
    "admission.pushed_anyway_share": "被拒事项仍被摊派的比例",
    "office.overtime_threshold_hours": "加班触发的待办工时",
    "problems.red_property_coverage": "红色物业覆盖率",
}


# --------------------------------------------------------------------------- fonts, style
@functools.lru_cache(maxsize=1)
def _find_cjk_font() -> str | None:
    def installed() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    names = installed()
    for fam in _CJK_FAMILIES:
        if fam in names:
            return fam
    # The font cache may predate a font installed since: look at the files themselves.
    added = False
    try:
        files = font_manager.findSystemFonts()
    except Exception:  # pragma: no cover - unusual font directories
        files = []
    for path in files:
        base = os.path.basename(path).lower().replace("-", "").replace("_", "")
        if any(h in base for h in _CJK_FILE_HINTS):
            with contextlib.suppress(Exception):
                font_manager.fontManager.addfont(path)
                added = True
    if added:
        names = installed()
        for fam in _CJK_FAMILIES:
            if fam in names:
                return fam
        for name in sorted(names):
            if any(k in name for k in ("CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback")):
                return name
    return None


def cjk_font() -> str | None:
    """The family name of an installed CJK font (Noto Sans CJK SC preferred), or None."""
    return _find_cjk_font()


def _lang(lang: str) -> str:
    """Check ``lang``; "zh" without a CJK font falls back to "en" (one warning per process)."""
    global _WARNED
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    if lang == "zh" and cjk_font() is None:
        if not _WARNED:
            _WARNED = True
            warnings.warn("no CJK font found (install fonts-noto-cjk, or Noto Sans CJK SC / "
                          "Source Han Sans / WenQuanYi): figures use English labels",
                          RuntimeWarning, stacklevel=3)
        return "en"
    return lang


def _font_family(lang: str) -> list[str]:
    cjk = cjk_font()
    if lang == "zh" and cjk:
        return [cjk, "DejaVu Sans"]
    return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]


@contextlib.contextmanager
def style(lang: str = "en") -> Iterator[None]:
    """The figures' style as an rc context (fonts for ``lang``); nothing global changes."""
    rc = dict(_STYLE)
    rc["font.family"] = _font_family(lang)
    with mpl.rc_context(rc):
        yield


def _t(key: str, lang: str, **kw: Any) -> str:
    en, zh = _TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


def _wrap(text: str, width: int, lang: str) -> str:
    if lang == "zh":  # Chinese has no spaces; wrap by characters (about twice as wide)
        width = max(4, width // 2 + 2)
        return "\n".join(text[i:i + width] for i in range(0, len(text), width)) if len(text) > width else text
    return "\n".join(textwrap.wrap(text, width)) or text


def _unit(unit: str, lang: str) -> str:
    return _UNITS_ZH.get(unit, unit) if lang == "zh" else unit


def _metric_label(name: str, lang: str) -> str:
    m = metric(name)
    return m.label_zh if lang == "zh" else m.label


def _metric_axis(name: str, lang: str) -> tuple[float, str]:
    """(scale, unit label): shares are shown in per cent."""
    unit = metric(name).unit
    if unit == "share":
        return 100.0, "%"
    return 1.0, _unit(unit, lang)


def _category_label(cat: str, lang: str) -> str:
    return CATEGORY_LABELS_ZH.get(cat, cat) if lang == "zh" else _CATEGORY_EN.get(cat, cat)


def _origin_label(org: str, lang: str) -> str:
    return ORIGIN_LABELS_ZH.get(org, org) if lang == "zh" else _ORIGIN_EN.get(org, org)


_CATEGORY_EN = {
    "core": "Statutory core work", "assist": "Assisting the government",
    "unlisted": "Unlisted department tasks", "assessment": "Assessments and inspections",
    "meeting": "Meetings", "ledger": "Ledgers and reports", "certificate": "Certificates and stamps",
    "opinion": "Opinion requests", "problem": "Residents' problems",
    "activity": "Joint activities", "upkeep": "Plaque upkeep", "other": "Other",
}
_ORIGIN_EN = {"department": "Government departments", "resident": "Residents",
              "office": "The office itself"}


def _daily_label(column: str, lang: str) -> tuple[str, str]:
    if column in _DAILY_LABELS:
        en, en_u, zh, zh_u = _DAILY_LABELS[column]
        return (zh, zh_u) if lang == "zh" else (en, en_u)
    if column.startswith("hours_") and column[6:] in CATEGORIES:
        cat = column[6:]
        return ((f"工时:{CATEGORY_LABELS_ZH[cat]}", "小时/天") if lang == "zh"
                else (f"Staff hours: {_CATEGORY_EN[cat].lower()}", "hours per day"))
    return column, ""


def _param_label(param: str, lang: str) -> str:
    if lang == "zh" and param in _PARAM_LABELS_ZH:
        return f"{_PARAM_LABELS_ZH[param]} ({param})"
    return param


def scenario_label(run: Any, lang: str = "en") -> str:
    """A run's scenario name in ``lang`` (``name_zh`` if set, else ``name``)."""
    meta = getattr(getattr(run, "scenario", None), "scenario", None)
    if lang == "zh" and meta is not None and getattr(meta, "name_zh", ""):
        return meta.name_zh
    return str(getattr(run, "name", run))


class _Figure(Figure):
    """A plain Figure that also shows itself in Jupyter without pyplot (one PNG); with
    ``%matplotlib inline`` IPython's own Figure formatter takes precedence."""

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


def _figure(figsize: tuple[float, float]) -> Figure:
    return _Figure(figsize=figsize, layout="constrained")


def _legend(ax: Any, **kwargs: Any) -> None:
    """A legend of the artists of ``ax`` that have labels; none (and no matplotlib warning
    "No artists with labels") when nothing drawn has one, e.g. no problems to plot."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# --------------------------------------------------------------------------- inputs
def _runs(results: Any) -> list[Any]:
    """The RunResults of a ComparisonResult, a RunResult or a sequence of RunResults."""
    if hasattr(results, "runs") and hasattr(results, "differences"):
        return list(results.runs)
    if hasattr(results, "summary") and hasattr(results, "daily"):
        return [results]
    if isinstance(results, Sequence) and not isinstance(results, str) and results and all(
            hasattr(r, "summary") and hasattr(r, "daily") for r in results):
        return list(results)
    raise TypeError("expected a ComparisonResult, a RunResult or a list of RunResults, "
                    f"got {type(results).__name__}")


def _events(run: Any, what: str) -> pd.DataFrame:
    ev = getattr(run, "events", None)
    if ev is None:
        raise ValueError(f"{what} needs the per-task event log, which was not recorded for "
                         f"scenario {run.name!r}: run with events=True, e.g. "
                         "sim.compare([...], events=True)")
    return ev


def _cohort(run: Any, ev: pd.DataFrame) -> pd.DataFrame:
    """Events of tasks that arrived in the measured window [warm-up, horizon)."""
    meta = run.scenario.scenario
    lo, hi = meta.warmup_days * 24.0, meta.days * 24.0
    return ev[(ev["arrival_hours"] >= lo) & (ev["arrival_hours"] < hi)]


def _mean_ci(run: Any, name: str) -> tuple[float, float, float]:
    s = run.summary
    if name not in s.index:
        return math.nan, math.nan, math.nan
    row = s.loc[name]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def _sweep_frame(results: Any) -> pd.DataFrame:
    df = getattr(results, "results", results)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a sweep results DataFrame, got {type(results).__name__}")
    return df


def _need_columns(df: pd.DataFrame, cols: Sequence[str | None]) -> None:
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the results; "
                         f"have: {', '.join(map(str, df.columns))}")


def _date_axis(ax: Any, lang: str) -> None:
    ax.xaxis.set_major_locator(MonthLocator())
    if lang == "zh":
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda x, _pos: f"{mpl.dates.num2date(x).month}月"))
    else:
        ax.xaxis.set_major_formatter(DateFormatter("%b"))


def _band_name(n: int, lang: str) -> str:
    return _t("band_q" if n >= 5 else "band_range", lang)


def _band(frame: pd.DataFrame, n: int) -> tuple[pd.Series, pd.Series]:
    if n >= 5:
        return frame.quantile(0.1, axis=1), frame.quantile(0.9, axis=1)
    return frame.min(axis=1), frame.max(axis=1)


# --------------------------------------------------------------------------- figures
def headline_bars(comparison: Any, metrics: Sequence[str] | None = None,
                  lang: str = "en") -> Figure:
    """Per headline metric (or each of ``metrics``) a small panel: one bar per scenario with
    its mean and 95 % confidence interval. Shares are shown in per cent."""
    lang = _lang(lang)
    runs = _runs(comparison)
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
        fig = _figure((3.5 * ncols, 2.75 * nrows + 0.7))
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, name in zip(axes, metrics, strict=False):
            scale, unit = _metric_axis(name, lang)
            for i, run in enumerate(runs):
                mean, lo, hi = (v * scale for v in _mean_ci(run, name))
                ok = math.isfinite(mean)
                ax.bar(i, mean if ok else 0.0, width=0.65, color=_colour(i), alpha=0.9,
                       label=names[i])
                if ok and math.isfinite(lo) and math.isfinite(hi):
                    ax.errorbar(i, mean, yerr=[[mean - lo], [hi - mean]], fmt="none",
                                ecolor="#262626", elinewidth=1.2, capsize=4)
                ax.annotate(significant(mean) if ok else _t("na", lang), (i, max(hi, mean) if ok else 0.0),
                            xytext=(0, 3), textcoords="offset points", ha="center",
                            va="bottom", fontsize=8, color="#404040")
            ax.set_title(_wrap(_metric_label(name, lang), 34, lang), fontsize=10)
            ax.set_ylabel(unit)
            ax.set_xticks(range(len(runs)))
            ax.set_xticklabels([_wrap(x, 14, lang) for x in names],
                               rotation=0 if len(runs) <= 3 else 30,
                               ha="center" if len(runs) <= 3 else "right")
            ax.grid(axis="x", visible=False)
            ax.margins(y=0.15)
            lo_lim, hi_lim = ax.get_ylim()
            if lo_lim > 0:
                ax.set_ylim(0, hi_lim)
        for ax in axes[n:]:
            fig.delaxes(ax)
        fig.suptitle(_t("headline_title", lang), x=0.01, ha="left")
    return fig


def forest(comparison: Any, metrics: Sequence[str] | None = None, lang: str = "en") -> Figure:
    """Paired differences against the baseline with 95 % CIs, as per cent of the baseline mean
    (so metrics with different units share one axis), coloured by verdict; the absolute
    difference is written beside each row. Metrics whose baseline mean is 0 have no relative
    scale: only their absolute difference is written."""
    lang = _lang(lang)
    diffs = getattr(comparison, "differences", None)
    if not isinstance(diffs, pd.DataFrame):
        raise TypeError("forest needs a ComparisonResult (with paired differences)")
    runs = _runs(comparison)
    if metrics is None:
        metrics = [m for m in HEADLINE if m in set(diffs["metric"])]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no metrics to plot")
    ks = sorted(set(diffs["run"]))
    nk = len(ks)
    offsets = np.linspace(-0.22, 0.22, nk) if nk > 1 else np.zeros(1)
    markers = ("o", "s", "D", "^", "v", "P", "X")
    verdict_zh = {"better": "更好", "worse": "更差", "no clear difference": "无明显差异",
                  "higher": "更高", "lower": "更低"}
    with style(lang):
        height = 0.5 * len(metrics) * max(1.0, 0.7 * nk) + 2.0
        fig = _figure((11.5, height))
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
                scale, unit = _metric_axis(name, lang)
                unit_txt = ("pp" if lang == "en" else "个百分点") if unit == "%" else unit
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
                    text = f"({_t('forest_zero', lang)}) {text}"
                else:
                    text = f"{_t('na', lang)} ({_t('forest_undefined', lang)})"
                seen_verdicts[verdict] = None
                vtxt = verdict_zh.get(verdict, verdict) if lang == "zh" else verdict
                ax_t.text(0.0, y, f"{text} · {vtxt}", ha="left", va="center", fontsize=8.5,
                          color=col)
        ax.axvline(0.0, color="#262626", linewidth=1.0, zorder=1)
        ax.set_yticks(ys)
        ax.set_yticklabels([_wrap(_metric_label(m, lang), 38, lang) for m in metrics])
        ax.set_ylim(-0.7, len(metrics) - 0.3)
        if xs_all:
            lo_x, hi_x = min(min(xs_all), 0.0), max(max(xs_all), 0.0)
            pad = 0.08 * (hi_x - lo_x or 1.0)
            ax.set_xlim(lo_x - pad, hi_x + pad)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:+.0f}%" if x else "0"))
        ax.set_xlabel(_t("forest_x", lang))
        ax.grid(axis="y", visible=False)
        base = scenario_label(runs[0], lang)
        sep = "、" if lang == "zh" else ", "
        vs = sep.join(scenario_label(runs[k], lang) for k in ks)
        ax.set_title((f"{vs} 对比 {base}({_t('baseline', lang)})" if lang == "zh"
                      else f"{vs} vs {base} ({_t('baseline', lang)})"), fontsize=10)
        ax_t.set_title(_t("forest_text", lang), fontsize=10)
        handles = [Line2D([], [], marker="o", linestyle="", color=VERDICT_COLOURS.get(v, "#8c8c8c"),
                          label=verdict_zh.get(v, v) if lang == "zh" else v)
                   for v in seen_verdicts]
        if nk > 1:
            handles += [Line2D([], [], marker=markers[j % len(markers)], linestyle="",
                               color="#404040", label=scenario_label(runs[k], lang))
                        for j, k in enumerate(ks)]
        if handles:
            fig.legend(handles=handles, loc="outside lower left", ncols=min(len(handles), 6))
        fig.suptitle(_t("forest_title", lang), x=0.01, ha="left")
    return fig


def hours_by_category(results: Any, by: str = "category", lang: str = "en") -> Figure:
    """Stacked bars of staff hours (workers and the secretary) per year, one bar per
    scenario, split by kind of work (``by="category"``; serving residents at the bottom in
    greens, administration above) or by who asks for it (``by="origin"``)."""
    lang = _lang(lang)
    if by not in ("category", "origin"):
        raise ValueError(f"by must be 'category' or 'origin', got {by!r}")
    runs = _runs(results)
    if by == "category":
        keys = [(c, f"hours_{c}", _category_label(c, lang), CATEGORY_COLOURS[c]) for c in _CATEGORY_ORDER]
    else:
        keys = [(o, f"hours_from_{o}", _origin_label(o, lang), ORIGIN_COLOURS[o]) for o in ORIGINS]
    values = np.array([[_mean_ci(r, col)[0] for _, col, _, _ in keys] for r in runs], dtype=float)
    values = np.nan_to_num(values, nan=0.0)
    keep = values.sum(axis=0) > 0
    if not keep.any():
        raise ValueError("no staff hours in these results")
    keys = [k for k, ok in zip(keys, keep, strict=True) if ok]
    values = values[:, keep]
    names = [scenario_label(r, lang) for r in runs]
    with style(lang):
        fig = _figure((max(6.5, 1.6 * len(runs) + 4.5), 5.2))
        ax = fig.subplots()
        x = np.arange(len(runs))
        bottom = np.zeros(len(runs))
        for j, (_key, _col, label, colour) in enumerate(keys):
            ax.bar(x, values[:, j], bottom=bottom, width=0.6, color=colour, label=label,
                   edgecolor="white", linewidth=0.6)
            bottom += values[:, j]
        for i in range(len(runs)):
            txt = f"{bottom[i]:,.0f} h" if lang == "en" else f"{bottom[i]:,.0f} 小时"
            if by == "category":
                admin = sum(values[i, j] for j, k in enumerate(keys) if k[0] in ADMIN_CATEGORIES)
                share = 100.0 * admin / bottom[i] if bottom[i] > 0 else math.nan
                txt += f"\n{_t('admin_share', lang)} {share:.0f}%"
            ax.annotate(txt, (x[i], bottom[i]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8.5, color="#262626")
        ax.set_xticks(x)
        ax.set_xticklabels([_wrap(nm, 16, lang) for nm in names])
        ax.set_ylabel(_t("hours_y", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.margins(y=0.12)
        ax.grid(axis="x", visible=False)
        h, lab = ax.get_legend_handles_labels()
        ax.legend(h[::-1], lab[::-1], title=_t("legend_cat" if by == "category" else "legend_org", lang),
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), alignment="left")
        ax.set_title(_t("hours_cat_title" if by == "category" else "hours_org_title", lang))
    return fig


def workload_over_time(results: Any, columns: Sequence[str] = ("open_workload_hours", "queue_length"),
                       lang: str = "en") -> Figure:
    """One panel per daily column (``daily`` of the runs): per scenario the mean over
    replications through the year, with a band across replications (10-90 % with at least
    five replications, else their range)."""
    lang = _lang(lang)
    runs = _runs(results)
    if isinstance(columns, str):
        columns = (columns,)
    columns = list(columns)
    if not columns:
        raise ValueError("no columns to plot")
    for r in runs:
        _need_columns(r.daily, columns)
    nrep = min(r.replications for r in runs)
    with style(lang):
        fig = _figure((10.0, 2.9 * len(columns) + 0.8))
        axes = np.atleast_1d(fig.subplots(len(columns), 1, sharex=True, squeeze=False)).ravel()
        for ax, col in zip(axes, columns, strict=True):
            label, unit = _daily_label(col, lang)
            scale = 100.0 if unit in ("share", "占比") else 1.0
            unit = "%" if scale == 100.0 else unit
            for i, run in enumerate(runs):
                wide = run.daily.pivot_table(index="date", columns="replication", values=col,
                                             aggfunc="mean", dropna=False) * scale
                mean = wide.mean(axis=1)
                lo, hi = _band(wide, run.replications)
                ax.fill_between(wide.index, lo.to_numpy(), hi.to_numpy(), color=_colour(i),
                                alpha=0.18, linewidth=0)
                ax.plot(wide.index, mean.to_numpy(), color=_colour(i), linewidth=1.4,
                        label=scenario_label(run, lang))
            ax.set_title(label)
            ax.set_ylabel(unit)
            ax.set_ylim(bottom=0)
            _date_axis(ax, lang)
        _legend(axes[0], loc="upper left", ncols=min(len(runs), 4))
        axes[-1].set_xlabel(_t("date", lang))
        fig.suptitle(_t("workload_title", lang, n=nrep, band=_band_name(nrep, lang)), x=0.01, ha="left")
    return fig


def resolution_ecdf(results: Any, lang: str = "en") -> Figure:
    """Empirical distribution of the days residents' problems take to be resolved, per
    scenario (pooled over replications; needs ``events=True``). The curve is the share of
    *all* problems that arrived resolved within x days, so unresolved problems keep it below
    100 %. The target (``problems.resolution_target_days``) is marked."""
    lang = _lang(lang)
    runs = _runs(results)
    data = []
    for run in runs:
        ev = _cohort(run, _events(run, "resolution_ecdf"))
        pr = ev[ev["category"] == "problem"]
        horizon = run.scenario.scenario.days * 24.0
        done = pr["done_hours"].to_numpy(dtype=float)
        arr = pr["arrival_hours"].to_numpy(dtype=float)
        ok = np.isfinite(done) & (done <= horizon)
        days = np.sort((done[ok] - arr[ok]) / 24.0)
        target = float(run.scenario.problems.resolution_target_days)
        data.append((run, days, len(pr), target))
    with style(lang):
        fig = _figure((9.0, 5.0))
        ax = fig.subplots()
        xmax = 0.0
        for i, (run, days, n, target) in enumerate(data):
            if n == 0:
                continue
            y = 100.0 * np.arange(1, days.size + 1) / n
            within = 100.0 * float((days <= target).sum()) / n
            ax.step(np.concatenate([[0.0], days]), np.concatenate([[0.0], y]), where="post",
                    color=_colour(i), linewidth=1.8,
                    label=f"{scenario_label(run, lang)} (n={n / run.replications:,.0f}/"
                          f"{'rep' if lang == 'en' else '次'}, {_t('ecdf_within', lang, p=within)})")
            if days.size:
                xmax = max(xmax, float(np.percentile(days, 99)))
        targets = sorted({t for *_, t in data})
        for t in targets:
            ax.axvline(t, color="#404040", linestyle="--", linewidth=1.0)
            ax.annotate(_t("ecdf_target", lang, d=t), (t, 2.0), xytext=(4, 0),
                        textcoords="offset points", fontsize=8.5, color="#404040")
        ax.set_xlim(0, max(xmax, 2.0 * max(targets, default=1.0)) * 1.05)
        ax.set_ylim(0, 102)
        ax.set_xlabel(_t("ecdf_x", lang))
        ax.set_ylabel(_t("ecdf_y", lang))
        ax.set_title(_t("ecdf_title", lang))
        _legend(ax, loc="lower right")
    return fig


def opinion_on_time(results: Any, lang: str = "en") -> Figure:
    """Opinion requests answered within their deadline: per scenario the yearly rate with its
    95 % CI (left), and by month of arrival, the rate (top right) and the number of requests
    (bottom right), so the award season shows (needs ``events=True``). A request still open
    at the end counts as late once its deadline has passed, and is left out otherwise."""
    lang = _lang(lang)
    runs = _runs(results)
    monthly = []
    for run in runs:
        ev = _cohort(run, _events(run, "opinion_on_time"))
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
    month_names = ([f"{m}月" for m in months] if lang == "zh" else
                   ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    with style(lang):
        fig = _figure((11.5, 5.6))
        axd = fig.subplot_mosaic([["summary", "rate"], ["summary", "count"]],
                                 width_ratios=[1, 2.6])
        ax = axd["summary"]
        for i, run in enumerate(runs):
            mean, lo, hi = (100.0 * v for v in _mean_ci(run, "opinion_on_time_rate"))
            ok = math.isfinite(mean)
            ax.bar(i, mean if ok else 0.0, width=0.65, color=_colour(i), alpha=0.9)
            if ok and math.isfinite(lo) and math.isfinite(hi):
                ax.errorbar(i, mean, yerr=[[mean - lo], [min(hi, 100.0) - mean]], fmt="none",
                            ecolor="#262626", capsize=4, elinewidth=1.2)
            ax.annotate(f"{mean:.1f}%" if ok else _t("opinion_none", lang), (i, mean if ok else 0.0),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize=8, color="#404040")
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels([_wrap(scenario_label(r, lang), 12, lang) for r in runs],
                           rotation=0 if len(runs) <= 2 else 30, ha="center" if len(runs) <= 2 else "right")
        ax.set_ylim(0, 110)
        ax.set_ylabel(_t("opinion_rate", lang))
        ax.set_title(_t("opinion_summary", lang), fontsize=10)
        ax.grid(axis="x", visible=False)
        with_requests = [(i, m) for i, m in enumerate(monthly) if m[3]]
        ax_r, ax_c = axd["rate"], axd["count"]
        width = 0.8 / max(1, len(with_requests))
        for j, (i, (run, count, rate, _)) in enumerate(with_requests):
            ax_r.plot(months, rate.to_numpy(dtype=float), marker="o", color=_colour(i),
                      label=scenario_label(run, lang))
            ax_c.bar(months - 0.4 + width * (j + 0.5), count.to_numpy(dtype=float), width=width,
                     color=_colour(i), alpha=0.85, label=scenario_label(run, lang))
        if not with_requests:
            for a in (ax_r, ax_c):
                a.text(0.5, 0.5, _t("opinion_none", lang).replace("\n", " "), transform=a.transAxes,
                       ha="center", va="center", color="#808080")
        ax_r.set_ylim(0, 105)
        ax_r.set_ylabel(_t("opinion_rate", lang))
        ax_r.set_title(_t("opinion_by_month", lang), fontsize=10)
        ax_c.set_ylabel(_t("opinion_n", lang))
        ax_c.set_title(_t("opinion_count", lang), fontsize=10)
        ax_c.set_xlabel(_t("month", lang))
        for a in (ax_r, ax_c):
            a.set_xticks(months)
            a.set_xticklabels(month_names)
            a.set_xlim(0.4, 12.6)
        ax_c.grid(axis="x", visible=False)
        if with_requests:
            ax_r.legend(loc="lower left")
        fig.suptitle(_t("opinion_title", lang), x=0.01, ha="left")
    return fig


def utilisation_over_time(results: Any, lang: str = "en") -> Figure:
    """Worker, secretary and volunteer utilisation through the year: weekly means (of the
    days with office or volunteer hours) per scenario, mean over replications with a band
    across replications. A scenario without volunteers (or secretary) has no line there."""
    lang = _lang(lang)
    runs = _runs(results)
    cols = ("worker_utilization", "secretary_utilization", "volunteer_utilization")
    metric_of = {"worker_utilization": "utilization", "secretary_utilization": "secretary_utilization",
                 "volunteer_utilization": "volunteer_utilization"}
    nrep = min(r.replications for r in runs)
    with style(lang):
        fig = _figure((10.0, 8.4))
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
                lo, hi = _band(wide, run.replications)
                ax.fill_between(dates, lo.to_numpy(dtype=float), hi.to_numpy(dtype=float),
                                color=_colour(i), alpha=0.18, linewidth=0)
                ax.plot(dates, wide.mean(axis=1).to_numpy(dtype=float), color=_colour(i),
                        linewidth=1.6, label=scenario_label(run, lang))
                drawn = True
            if not drawn:
                ax.text(0.5, 0.5, _t("util_none", lang), transform=ax.transAxes, ha="center",
                        va="center", color="#808080")
            ax.set_title(_metric_label(metric_of[col], lang))
            ax.set_ylabel(_t("util_y", lang))
            ax.set_ylim(0, 105)
            _date_axis(ax, lang)
        handles = [Line2D([], [], color=_colour(i), label=scenario_label(r, lang))
                   for i, r in enumerate(runs)]
        axes[0].legend(handles=handles, loc="lower left", ncols=min(len(runs), 4))
        axes[-1].set_xlabel(_t("date", lang))
        fig.suptitle(_t("util_title", lang, band=_band_name(nrep, lang)), x=0.01, ha="left")
    return fig


def sweep_line(results_df: Any, param: str, metric: str, hue: str | None = None,
               lang: str = "en") -> Figure:
    """A metric against one swept parameter: mean over replications with a 95 % t-interval
    band; with ``hue``, one line per value of that other parameter (``results_df``: a sweep's
    ``results`` frame or the SweepResult itself)."""
    from sim.stats import t_interval

    lang = _lang(lang)
    df = _sweep_frame(results_df)
    _need_columns(df, [param, metric, hue])
    scale, unit = _metric_axis(metric, lang)
    groups = [(None, df)] if hue is None else [(h, g) for h, g in df.groupby(hue, sort=True)]
    with style(lang):
        fig = _figure((8.0, 5.0))
        ax = fig.subplots()
        for i, (h, g) in enumerate(groups):
            xs, mean, lo, hi = [], [], [], []
            for x, part in g.groupby(param, sort=True):
                iv = t_interval(part[metric].to_numpy(dtype=float))
                xs.append(x)
                mean.append(iv.mean * scale)
                lo.append((iv.low if math.isfinite(iv.low) else iv.mean) * scale)
                hi.append((iv.high if math.isfinite(iv.high) else iv.mean) * scale)
            colour = _colour(i)
            label = None if h is None else f"{h:g}" if isinstance(h, (int, float, np.number)) else str(h)
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.2, linewidth=0)
            ax.plot(xs, mean, marker="o", color=colour, label=label)
        grid_values = sorted(df[param].dropna().unique())
        if len(grid_values) <= 12 and all(isinstance(v, (int, float, np.number)) for v in grid_values):
            ax.set_xticks(grid_values)
            ax.set_xticklabels([f"{v:g}" for v in grid_values])
        ax.set_xlabel(_param_label(param, lang))
        ax.set_ylabel(f"{_metric_label(metric, lang)} ({unit})" if unit else _metric_label(metric, lang))
        ax.set_title(_wrap(_t("sweep_title", lang, metric=_metric_label(metric, lang),
                              param=_param_label(param, lang)), 70, lang))
        if hue is not None:
            _legend(ax, title=_param_label(hue, lang))
    return fig


def sweep_heatmap(results_df: Any, x: str, y: str, metric: str, lang: str = "en") -> Figure:
    """A metric on a 2-D grid of two swept parameters: the mean over replications (and over
    any other swept parameter) in each cell, written in the cell."""
    lang = _lang(lang)
    df = _sweep_frame(results_df)
    _need_columns(df, [x, y, metric])
    if x == y:
        raise ValueError("x and y must be different parameters")
    scale, unit = _metric_axis(metric, lang)
    grid = df.groupby([y, x], sort=True)[metric].mean().unstack(x) * scale
    skip = {"point", "replication", x, y}
    other = [c for c in df.columns if c not in skip and c not in METRICS
             and not str(c).endswith(("_mean", "_low", "_high")) and df[c].nunique() > 1
             and "." in str(c)]
    values = grid.to_numpy(dtype=float)
    with style(lang):
        fig = _figure((1.1 * values.shape[1] + 3.8, 0.7 * values.shape[0] + 2.4))
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
        ax.set_xlabel(_param_label(x, lang))
        ax.set_ylabel(_param_label(y, lang))
        ax.grid(False)
        cbar = fig.colorbar(im, ax=ax)
        cbar.set_label(f"{_metric_label(metric, lang)} ({unit})" if unit else _metric_label(metric, lang))
        title = _t("heatmap_title", lang, metric=_metric_label(metric, lang))
        if other:
            title += _t("heatmap_other", lang, other=", ".join(other))
        ax.set_title(_wrap(title, 60, lang))
    return fig


def welch_plot(daily_or_result: Any, column: str = "open_workload_hours", window: int = 7,
               warmup_days: int | None = None, lang: str = "en") -> Figure:
    """Welch's graphical method for the warm-up period (:func:`sim.experiment.welch`): the
    daily mean of ``column`` over replications and its moving average of half-width
    ``window`` days, with the warm-up marked (``warmup_days``, by default the scenario's,
    or the first day of a bare ``daily`` frame). Run with ``scenario.warmup_days=0`` to see
    the whole transient."""
    from sim.experiment import welch

    lang = _lang(lang)
    if isinstance(daily_or_result, pd.DataFrame):
        sources = [(None, daily_or_result)]
        if warmup_days is None and "day" in daily_or_result.columns and len(daily_or_result):
            warmup_days = int(daily_or_result["day"].min())
    else:
        runs = _runs(daily_or_result)
        sources = [(r, r.daily) for r in runs]
        if warmup_days is None:
            warmup_days = int(runs[0].scenario.scenario.warmup_days)
    label, unit = _daily_label(column, lang)
    with style(lang):
        fig = _figure((10.0, 4.8))
        ax = fig.subplots()
        for i, (run, daily) in enumerate(sources):
            try:
                w = welch(daily, column, window)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            name = scenario_label(run, lang) if run is not None else ""
            prefix = f"{name}: " if name and len(sources) > 1 else ""
            ax.plot(w["day"], w["mean"], color=_colour(i), alpha=0.35, linewidth=0.9,
                    label=prefix + _t("welch_mean", lang))
            ax.plot(w["day"], w["moving_average"], color=_colour(i), linewidth=2.2,
                    label=prefix + _t("welch_ma", lang, w=window))
        if warmup_days is not None:
            ax.axvline(warmup_days, color="#d73027", linestyle="--", linewidth=1.4,
                       label=_t("welch_warmup", lang, d=warmup_days))
        ax.set_xlabel(_t("day", lang))
        ax.set_ylabel(f"{label} ({unit})" if unit else label)
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.set_title(_t("welch_title", lang, column=label))
        _legend(ax, loc="upper left", bbox_to_anchor=(0.06, 1.0))
    return fig


# --------------------------------------------------------------------------- cities, targets
def target_check(results: Sequence[Any], lang: str = "en") -> Figure:
    """Each target of ``sim check`` (:class:`sim.targets.TargetResult`) on one axis: its
    accepted band (grey), the reported value (0) and the model's mean with its 95 % CI, as
    per cent deviation from the reported value; pass in green, fail in red."""
    lang = _lang(lang)
    rows = [r for r in results if r.target.value]
    if not rows:
        raise ValueError("no targets with a non-zero value to plot")
    with style(lang):
        fig = _figure((10.0, 0.55 * len(rows) + 1.8))
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
        ax.axvline(0.0, color="#262626", linewidth=1.0, zorder=2, label=_t("target_value", lang))
        ax.set_yticks(ys)
        ax.set_yticklabels([_wrap(_metric_label(r.target.metric, lang)
                                  if r.target.metric in METRICS else r.target.metric, 40, lang)
                            for r in rows])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:+.0f}%" if x else "0"))
        ax.set_xlabel(_t("target_x", lang))
        ax.set_title(_t("target_title", lang), fontsize=10)
        ax.grid(axis="y", visible=False)
    return fig


def community_scatter(city_result: Any, x: str = "households", y: str = "admin_hours_share",
                      lang: str = "en") -> Figure:
    """One point per community of a city run (:class:`sim.city.CityResult`): ``x`` against
    ``y`` (columns of ``city_result.communities``), communities with a volunteer team filled,
    without one hollow."""
    lang = _lang(lang)
    frame = city_result.communities
    _need_columns(frame, [x, y])
    label = {"households": ("households", "户数"), "workers": ("workers", "社工人数"),
             "managed_estate_share": ("share of problems from managed estates", "有物业小区诉求占比"),
             "volunteer_teams": ("volunteer teams", "志愿队数")}

    def axis(name: str) -> str:
        if name in label:
            return label[name][1 if lang == "zh" else 0]
        return _metric_label(name, lang)

    with style(lang):
        fig = _figure((8.0, 5.0))
        ax = fig.subplots()
        team = frame["volunteer_teams"] > 0
        ax.scatter(frame.loc[team, x], frame.loc[team, y], color=PALETTE[0], s=28,
                   label="with a volunteer team" if lang == "en" else "有志愿队")
        ax.scatter(frame.loc[~team, x], frame.loc[~team, y], facecolors="none",
                   edgecolors=PALETTE[1], s=28,
                   label="without" if lang == "en" else "无志愿队")
        ax.set_xlabel(axis(x))
        ax.set_ylabel(axis(y))
        city = city_result.city
        ax.set_title(_t("community_title", lang, city=(city.name_zh or city.name) if lang == "zh"
                        else city.name), fontsize=10)
        _legend(ax, loc="best")
    return fig


def calibration_design(record: Any, param: str, metric: str, lang: str = "en") -> Figure:
    """The design points of a calibration (``sim calibrate --out`` record, or
    ``CalibrationResult.to_json()``): ``metric`` against ``param`` by round, the target's
    band, and the calibrated value."""
    lang = _lang(lang)
    design = pd.DataFrame(record["design"])
    _need_columns(design, [param, metric])
    target = next((t for t in record.get("verification", []) if t["metric"] == metric), None)
    with style(lang):
        fig = _figure((8.0, 5.0))
        ax = fig.subplots()
        rounds = sorted(design["round"].unique()) if "round" in design else [None]
        for i, rnd in enumerate(rounds):
            part = design if rnd is None else design[design["round"] == rnd]
            ax.scatter(part[param], part[metric], color=_colour(i), s=24,
                       label=None if rnd is None else (f"round {rnd}" if lang == "en" else f"第{rnd}轮"))
        if target is not None:
            lo, hi = target["band"]
            ax.axhspan(lo, hi, color="#d9d9d9", alpha=0.6, zorder=0,
                       label="target band" if lang == "en" else "目标范围")
        value = record.get("parameters", {}).get(param)
        if value is not None:
            ax.axvline(value, color="#262626", linestyle="--", linewidth=1.2,
                       label=(f"calibrated {value:g}" if lang == "en" else f"校准值 {value:g}"))
        ax.set_xlabel(param)
        ax.set_ylabel(_metric_label(metric, lang) if metric in METRICS else metric)
        _legend(ax, loc="best")
    return fig
