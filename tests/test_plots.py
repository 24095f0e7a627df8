"""Figures of :mod:`sim.plots`: the right number of axes, bars, lines and bands, readable
labels in English and (with a CJK font) Chinese, one warning when no CJK font is installed,
and no global matplotlib state touched."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

from sim import plots
from sim.experiment import compare
from sim.metrics import HEADLINE

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff]")
LANGS = ("en", "zh")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cmp():
    """Bozhou before/after, 2 paired replications, with event logs (about 3 s)."""
    # verdicts unadjusted: with 2 replications Holm's adjustment (tested in
    # test_city_compare.py) leaves every verdict unclear, and the forest's colours by verdict
    # are what is checked here
    return compare([ROOT / "scenarios/bozhou_before.toml", ROOT / "scenarios/bozhou_after.toml"],
                   replications=2, events=True, progress=False, adjust="none")


@pytest.fixture(scope="module")
def sweep_df():
    """A sweep ``results`` frame as sim.sweep writes it: point, replication, params, metrics."""
    rng = np.random.default_rng(0)
    rows = []
    point = 0
    for workers in (6, 8, 10):
        for teams in (0, 1, 2):
            for r in range(3):
                rows.append({"point": point, "replication": r, "office.workers": workers,
                             "volunteers.teams": teams,
                             "utilization": 0.9 * 8 / workers - 0.02 * teams + rng.normal(0, 0.01),
                             "overtime_hours_per_worker_year": 120 * 8 / workers + rng.normal(0, 4)})
            point += 1
    return pd.DataFrame(rows)


def _has_cjk_font() -> bool:
    return plots.cjk_font() is not None


def _texts(fig: Figure) -> list[str]:
    out = []
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for ax in fig.axes:
        out += [ax.get_title(loc) for loc in ("left", "center", "right")]
        out += [ax.get_xlabel(), ax.get_ylabel()]
    return [t for t in out if t]


def _check(fig: Figure, lang: str) -> None:
    """Every axes says what it shows; Chinese labels with lang="zh", none with "en"; the
    figure draws without missing glyphs."""
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        title = ax.get_title("left") or ax.get_title()
        labels = (ax.get_xlabel() + ax.get_ylabel()).strip()
        assert title or labels, f"an axes without title or axis labels in {_texts(fig)}"
        if lang == "zh" and title:
            assert CJK.search(title), f"title not in Chinese: {title!r}"
    texts = " ".join(_texts(fig))
    if lang == "zh":
        assert CJK.search(texts)
    else:
        assert not CJK.search(texts), texts
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Glyph ... missing from font(s)"
        fig.savefig(io.BytesIO(), format="png", dpi=30)


def _named_lines(ax) -> list:
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def _bands(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _bars(ax) -> int:
    return sum(len(c) for c in ax.containers if isinstance(c, BarContainer))


@pytest.fixture(params=LANGS)
def lang(request):
    if request.param == "zh" and not _has_cjk_font():
        pytest.skip("no CJK font installed (the fallback is tested in test_no_cjk_font_...)")
    return request.param


# --------------------------------------------------------------------------- figures
def test_headline_bars(cmp, lang):
    fig = plots.headline_bars(cmp, lang=lang)
    assert len(fig.axes) == len(HEADLINE)
    for ax in fig.axes:
        assert _bars(ax) == 2  # one bar per scenario
        assert len(ax.get_xticklabels()) == 2
    # error bars where the metric is defined with a CI (opinion: not before the reform)
    errorbars = sum(isinstance(c, ErrorbarContainer) for ax in fig.axes for c in ax.containers)
    expected = sum(np.isfinite(r.summary.loc[m, "ci_low"]) and np.isfinite(r.summary.loc[m, "mean"])
                   for m in HEADLINE for r in cmp.runs)
    assert errorbars == expected
    _check(fig, lang)
    sub = plots.headline_bars(cmp, metrics=["utilization", "overtime_hours_per_worker_year"], lang=lang)
    assert len(sub.axes) == 2


def test_forest(cmp, lang):
    fig = plots.forest(cmp, lang=lang)
    ax, ax_text = fig.axes
    d = cmp.differences[cmp.differences["metric"].isin(HEADLINE)]
    drawable = d[np.isfinite(d["baseline_mean"]) & (d["baseline_mean"] != 0) & np.isfinite(d["diff_mean"])]
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == len(drawable) > 0
    assert len(ax.get_yticklabels()) == len(HEADLINE)
    assert len(ax_text.texts) == len(HEADLINE)  # the absolute difference of every row
    assert any(line.get_xdata()[0] == 0.0 for line in ax.get_lines())  # zero line, drawn at 0
    # verdict colours: at least "better" and "worse" appear in this comparison
    colours = {c.lines[0].get_color() for c in ax.containers if isinstance(c, ErrorbarContainer)}
    assert plots.VERDICT_COLOURS["better"] in colours
    _check(fig, lang)
    assert fig.legends  # the verdict legend


@pytest.mark.parametrize("by", ["category", "origin"])
def test_hours_by_category(cmp, lang, by):
    fig = plots.hours_by_category(cmp, by=by, lang=lang)
    (ax,) = fig.axes
    if by == "category":
        cols = [c for c in cmp.runs[0].summary.index if c.startswith("hours_") and
                not c.startswith(("hours_share_", "hours_from_", "hours_worked"))]
    else:
        cols = [c for c in cmp.runs[0].summary.index if c.startswith("hours_from_")]
    nonzero = [c for c in cols if any(r.summary.loc[c, "mean"] > 0 for r in cmp.runs)]
    assert len(ax.patches) == 2 * len(nonzero)  # a stacked segment per scenario and kind
    assert len(ax.get_legend().get_texts()) == len(nonzero)
    # the stacks add up to the scenario totals of staff hours
    heights = np.zeros(2)
    for c in ax.containers:
        heights += [p.get_height() for p in c]
    totals = [sum(r.summary.loc[c, "mean"] for c in nonzero) for r in cmp.runs]
    np.testing.assert_allclose(heights, totals, rtol=1e-9)
    _check(fig, lang)


def test_hours_by_category_accepts_runs_and_rejects_bad_by(cmp):
    assert len(plots.hours_by_category(cmp.runs[0]).axes[0].containers) > 0
    assert len(plots.hours_by_category(list(cmp.runs)).axes) == 1
    with pytest.raises(ValueError, match="category"):
        plots.hours_by_category(cmp, by="colour")


def test_workload_over_time(cmp, lang):
    fig = plots.workload_over_time(cmp, lang=lang)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(_named_lines(ax)) == 2
        assert len(_bands(ax)) == 2
        assert len(_named_lines(ax)[0].get_xdata()) == 365
    _check(fig, lang)
    one = plots.workload_over_time(cmp.runs[1], columns=("tasks_open",), lang=lang)
    assert len(one.axes) == 1 and len(_named_lines(one.axes[0])) == 1
    with pytest.raises(ValueError, match="no column"):
        plots.workload_over_time(cmp, columns=("nope",))


def test_resolution_ecdf(cmp, lang):
    fig = plots.resolution_ecdf(cmp, lang=lang)
    (ax,) = fig.axes
    lines = _named_lines(ax)
    assert len(lines) == 2  # one ECDF per scenario
    targets = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(targets) == 1  # both scenarios have a 7-day target
    assert targets[0].get_xdata()[0] == pytest.approx(7.0)
    for ln in lines:
        y = np.asarray(ln.get_ydata())
        assert np.all(np.diff(y) >= 0) and y[-1] <= 100.0 + 1e-9
    assert len(ax.get_legend().get_texts()) == 2
    _check(fig, lang)


def test_event_figures_need_events(cmp):
    no_events = [dataclasses.replace(r, results=[dataclasses.replace(x, events=None) for x in r.results])
                 for r in cmp.runs]
    with pytest.raises(ValueError, match="events=True"):
        plots.resolution_ecdf(no_events)
    with pytest.raises(ValueError, match="events=True"):
        plots.opinion_on_time(no_events)


def test_opinion_on_time(cmp, lang):
    fig = plots.opinion_on_time(cmp, lang=lang)
    assert len(fig.axes) == 3
    summary, rate, count = fig.axes
    assert _bars(summary) == 2
    assert len(_named_lines(rate)) == 1  # only the reform has opinion requests
    assert len(rate.get_lines()[0].get_xdata()) == 12
    assert _bars(count) == 12
    # the requests per month add up to the yearly count (mean per replication)
    total = sum(p.get_height() for p in count.patches)
    assert total == pytest.approx(cmp.runs[1].summary.loc["opinion_requests", "mean"], rel=0.05)
    _check(fig, lang)


def test_utilisation_over_time(cmp, lang):
    fig = plots.utilisation_over_time(cmp, lang=lang)
    assert len(fig.axes) == 3
    workers, secretary, volunteers = fig.axes
    assert len(_named_lines(workers)) == 2 and len(_bands(workers)) == 2
    assert len(_named_lines(secretary)) == 2
    assert len(_named_lines(volunteers)) == 1  # no volunteers before the reform
    weeks = len(_named_lines(workers)[0].get_xdata())
    assert 51 <= weeks <= 53
    _check(fig, lang)


def test_sweep_line(sweep_df, lang):
    fig = plots.sweep_line(sweep_df, "office.workers", "utilization", hue="volunteers.teams", lang=lang)
    (ax,) = fig.axes
    assert len(_named_lines(ax)) == 3 and len(_bands(ax)) == 3
    assert list(_named_lines(ax)[0].get_xdata()) == [6, 8, 10]
    # shares in per cent; the mean of the first point matches the data
    first = sweep_df[(sweep_df["office.workers"] == 6) & (sweep_df["volunteers.teams"] == 0)]
    assert _named_lines(ax)[0].get_ydata()[0] == pytest.approx(100 * first["utilization"].mean())
    _check(fig, lang)
    single = plots.sweep_line(sweep_df, "office.workers", "overtime_hours_per_worker_year", lang=lang)
    assert len(single.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="no column"):
        plots.sweep_line(sweep_df, "office.nope", "utilization")


def test_sweep_heatmap(sweep_df, lang):
    fig = plots.sweep_heatmap(sweep_df, "office.workers", "volunteers.teams",
                              "overtime_hours_per_worker_year", lang=lang)
    ax, cbar = fig.axes
    assert len(ax.images) == 1
    assert ax.images[0].get_array().shape == (3, 3)
    assert len(ax.texts) == 9  # every cell annotated
    assert cbar.get_ylabel()
    _check(fig, lang)


def test_welch_plot(cmp, lang):
    fig = plots.welch_plot(cmp.runs[0], lang=lang)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 3  # daily mean, moving average, warm-up marker
    assert lines[-1].get_xdata()[0] == 0  # the scenario's warm-up (0 days)
    _check(fig, lang)
    daily = cmp.runs[0].daily
    fig2 = plots.welch_plot(daily, column="queue_length", window=3, warmup_days=30, lang=lang)
    assert fig2.axes[0].get_lines()[-1].get_xdata()[0] == 30
    both = plots.welch_plot(cmp, lang=lang)
    assert len(both.axes[0].get_lines()) == 5


# --------------------------------------------------------------------------- language, style
def test_no_cjk_font_falls_back_to_english_with_one_warning(cmp, monkeypatch):
    from sim.plots import base

    monkeypatch.setattr(base, "cjk_font", lambda: None)
    monkeypatch.setattr(base, "_WARNED", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f1 = plots.hours_by_category(cmp, lang="zh")
        f2 = plots.headline_bars(cmp, lang="zh")
        f3 = plots.forest(cmp, lang="zh")
    font_warnings = [w for w in caught if "CJK" in str(w.message)]
    assert len(font_warnings) == 1
    for fig in (f1, f2, f3):
        assert _texts(fig)
        assert not CJK.search(" ".join(_texts(fig)))


def test_cjk_font_found_when_installed():
    if not _has_cjk_font():
        pytest.skip("no CJK font installed")
    name = plots.cjk_font()
    assert any(k in name for k in ("CJK", "Han", "WenQuanYi", "Hei", "Fallback", "PL"))


def test_bad_lang_is_an_error(cmp):
    with pytest.raises(ValueError, match="lang"):
        plots.headline_bars(cmp, lang="fr")


def test_global_rcparams_untouched(cmp):
    before = {k: mpl.rcParams[k] for k in ("font.family", "axes.spines.top", "axes.grid",
                                          "axes.prop_cycle", "svg.fonttype")}
    plots.headline_bars(cmp, lang="zh" if _has_cjk_font() else "en")
    with plots.style("en"):
        assert mpl.rcParams["axes.spines.top"] is False
    after = {k: mpl.rcParams[k] for k in before}
    assert after == before


def test_engine_does_not_import_plotting():
    code = ("import sys, sim.experiment, sim.engine; "
            "assert 'sim.plots' not in sys.modules and 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
