"""What every figure of :mod:`sim.plots` shares: colours, fonts and style, labels in
both languages (through :mod:`sim.text` and the metric registry), the figure class, and
the checks that turn result objects into the frames the figures draw."""

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
import pandas as pd
from cycler import cycler
from matplotlib import font_manager
from matplotlib.dates import DateFormatter, MonthLocator
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.metrics import label as metric_label
from sim.metrics import metric
from sim.scenario.model import ADMIN_CATEGORIES, CATEGORIES, SERVICE_CATEGORIES
from sim.text import category as category_label
from sim.text import t
from sim.text import unit as unit_label

__all__ = [
    "CATEGORY_COLOURS",
    "CATEGORY_ORDER",
    "DAILY_UNITS",
    "ORIGIN_COLOURS",
    "PALETTE",
    "VERDICT_COLOURS",
    "band",
    "band_name",
    "check_lang",
    "cjk_font",
    "cohort",
    "colour",
    "daily_label",
    "date_axis",
    "events_of",
    "legend",
    "mean_ci",
    "metric_axis",
    "metric_label",
    "month_names",
    "need_columns",
    "new_figure",
    "runs_of",
    "scenario_label",
    "style",
    "sweep_frame",
    "t",
    "wrap",
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
CATEGORY_ORDER = ([c for c in CATEGORIES if c in SERVICE_CATEGORIES]
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


def check_lang(lang: str) -> str:
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


def wrap(text: str, width: int, lang: str) -> str:
    if lang == "zh":  # Chinese has no spaces; wrap by characters (about twice as wide)
        width = max(4, width // 2 + 2)
        return "\n".join(text[i:i + width] for i in range(0, len(text), width)) if len(text) > width else text
    return "\n".join(textwrap.wrap(text, width)) or text


def metric_axis(name: str, lang: str) -> tuple[float, str]:
    """(scale, unit label): shares are shown in per cent."""
    unit = metric(name).unit
    if unit == "share":
        return 100.0, "%"
    return 1.0, unit_label(unit, lang)


# The unit of each daily column (shown through sim.text.unit); labels in plots.toml "daily".
DAILY_UNITS = {
    "open_workload_hours": "hours", "queue_length": "tasks", "tasks_open": "tasks",
    "overtime_hours": "hours per day", "hours_workers": "hours per day",
    "hours_secretary": "hours per day", "hours_volunteers": "hours per day",
    "worker_utilization": "share", "secretary_utilization": "share",
    "volunteer_utilization": "share",
}


def daily_label(column: str, lang: str) -> tuple[str, str]:
    """(label, unit) of a column of a run's ``daily`` frame, in ``lang``."""
    if column in DAILY_UNITS:
        return t(f"plots.daily.{column}", lang), unit_label(DAILY_UNITS[column], lang)
    if column.startswith("hours_") and column[6:] in CATEGORIES:
        cat = category_label(column[6:], lang)
        return (t("plots.daily_hours_cat", lang, cat=cat if lang == "zh" else cat.lower()),
                unit_label("hours per day", lang))
    return column, ""


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


def new_figure(figsize: tuple[float, float]) -> Figure:
    return _Figure(figsize=figsize, layout="constrained")


def legend(ax: Any, **kwargs: Any) -> None:
    """A legend of the artists of ``ax`` that have labels; none (and no matplotlib warning
    "No artists with labels") when nothing drawn has one, e.g. no problems to plot."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# --------------------------------------------------------------------------- inputs
def runs_of(results: Any) -> list[Any]:
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


def events_of(run: Any, what: str) -> pd.DataFrame:
    ev = getattr(run, "events", None)
    if ev is None:
        raise ValueError(f"{what} needs the per-task event log, which was not recorded for "
                         f"scenario {run.name!r}: run with events=True, e.g. "
                         "sim.compare([...], events=True)")
    return ev


def cohort(run: Any, ev: pd.DataFrame) -> pd.DataFrame:
    """Events of tasks that arrived in the measured window [warm-up, horizon)."""
    meta = run.scenario.scenario
    lo, hi = meta.warmup_days * 24.0, meta.days * 24.0
    return ev[(ev["arrival_hours"] >= lo) & (ev["arrival_hours"] < hi)]


def mean_ci(run: Any, name: str) -> tuple[float, float, float]:
    s = run.summary
    if name not in s.index:
        return math.nan, math.nan, math.nan
    row = s.loc[name]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def sweep_frame(results: Any) -> pd.DataFrame:
    df = getattr(results, "results", results)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a sweep results DataFrame, got {type(results).__name__}")
    return df


def need_columns(df: pd.DataFrame, cols: Sequence[str | None]) -> None:
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the results; "
                         f"have: {', '.join(map(str, df.columns))}")


def date_axis(ax: Any, lang: str) -> None:
    ax.xaxis.set_major_locator(MonthLocator())
    if lang == "zh":
        names = month_names(lang)
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda x, _pos: names[mpl.dates.num2date(x).month - 1]))
    else:
        ax.xaxis.set_major_formatter(DateFormatter("%b"))


def month_names(lang: str) -> list[str]:
    """The twelve months' short names in ``lang``."""
    return t("plots.months", lang).split()


def band_name(n: int, lang: str) -> str:
    return t("plots.band_q" if n >= 5 else "plots.band_range", lang)


def band(frame: pd.DataFrame, n: int) -> tuple[pd.Series, pd.Series]:
    if n >= 5:
        return frame.quantile(0.1, axis=1), frame.quantile(0.9, axis=1)
    return frame.min(axis=1), frame.max(axis=1)
