"""The answer as HTML: headline cards, figures and the "what differs" table.

Pure functions of a :class:`~sim.experiment.ComparisonResult` (no widgets), run in the
background thread so the page never waits for matplotlib. The cards carry the exact numbers
in ``data-*`` attributes (``repr`` of the floats), which the browser test compares with
``sim compare --json``. Figures are those of :mod:`sim.plots`; the table is the report's
(:mod:`sim.report.scenarios`).
"""

from __future__ import annotations

import html
import math
from typing import Any

from sim.metrics import METRICS, metric
from sim.report.common import ci_text, num
from sim.report.figures import inline_svg
from sim.report.scenarios import differs_section
from sim.report.tables import metric_units
from sim.text import t, verdict

__all__ = ["CARD_METRICS", "CSS", "card_metrics", "cards_html", "differs_html", "figures_html", "parts"]

CARD_METRICS = ("admin_hours_share", "overtime_hours_per_worker_year", "opinion_on_time_rate",
                "problems_resolved", "problem_resolution_days_rmean")
FIGURES = (("hours_by_category", {"by": "category"}), ("resolution_ecdf", {}),
           ("opinion_on_time", {}), ("workload_over_time", {}))
_VERDICT_CLASS = {"better": "better", "worse": "worse"}

CSS = """
body, .sim-app { font-family: "Noto Sans CJK SC", "Noto Sans", "Source Han Sans SC",
  "WenQuanYi Micro Hei", sans-serif; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ccd; border-radius: 8px; padding: 8px 12px; width: 230px;
  background: #fafbff; }
.card .label { font-weight: 600; font-size: 0.95em; min-height: 2.4em; }
.card .values { font-size: 1.35em; margin: 4px 0; }
.card .ci { font-size: 0.85em; color: #555; }
.card .verdict { font-weight: 600; }
.card .verdict.better { color: #1a7f37; } .card .verdict.worse { color: #b42318; }
.kind { font-size: 0.75em; border-radius: 4px; padding: 0 4px; background: #eef; color: #335; }
.provisional { color: #9a6700; font-weight: 600; }
.field-error { color: #b42318; font-size: 0.85em; }
.lever-text { font-size: 0.85em; color: #333; margin: 0 0 4px 22px; }
.lever-source { font-size: 0.75em; color: #666; margin: 0 0 8px 22px; }
figure { margin: 0 0 12px 0; }
"""


def card_metrics() -> list[str]:
    """The card metrics, plus escalations when the registry has such a metric."""
    extra = [m for m in METRICS if "escalat" in m and METRICS[m].headline]
    return [m for m in CARD_METRICS if m in METRICS] + extra[:1]


def _f(x: Any) -> str:
    return repr(float(x)) if x is not None else "nan"


def cards_html(comp: Any, lang: str, provisional: bool, total: int) -> str:
    """One card per :func:`card_metrics`: without -> with, the paired 95 % CI, the verdict
    and the metric's kind; then a line saying whether the answer is provisional."""
    diffs = comp.differences[comp.differences["run"] == 1].set_index("metric")
    cards = []
    for m in card_metrics():
        if m not in diffs.index:
            continue
        row = diffs.loc[m]
        meta = metric(m)
        scale, unit, dunit = metric_units(m, lang)
        vals = [row["baseline_mean"], row["scenario_mean"], row["diff_mean"], row["ci_low"], row["ci_high"]]
        finite = [v * scale for v in vals if math.isfinite(v)]
        top = max((abs(v) for v in finite), default=0.0)
        d = 0 if top >= 100 else 1 if top >= 1 else 2
        label = meta.label_zh if lang == "zh" else meta.label
        kind = t("kind." + meta.kind, lang)
        v = verdict(row["verdict"], lang)
        cards.append(
            f'<div class="card" data-metric="{m}" data-before="{_f(row["baseline_mean"])}" '
            f'data-after="{_f(row["scenario_mean"])}" data-diff="{_f(row["diff_mean"])}" '
            f'data-ci-low="{_f(row["ci_low"])}" data-ci-high="{_f(row["ci_high"])}" '
            f'data-n="{int(row["n"])}">'
            f'<div class="label">{html.escape(label)} <span class="kind">{html.escape(kind)}</span></div>'
            f'<div class="values">{num(vals[0] * scale, d, lang=lang)} → {num(vals[1] * scale, d, lang=lang)}'
            f' <small>{html.escape(unit)}</small></div>'
            f'<div class="ci">{html.escape(t("app.ci", lang))}: {num(vals[2] * scale, d, True, lang)} '
            f'{ci_text(vals[3] * scale, vals[4] * scale, d, True, lang)} {html.escape(dunit)}</div>'
            f'<div class="verdict {_VERDICT_CLASS.get(row["verdict"], "unclear")}">{html.escape(v)}</div>'
            f'</div>')
    n = comp.replications
    status = (f'<p class="provisional" id="provisional">{html.escape(t("app.provisional", lang, n=n, total=total))}</p>'
              if provisional else
              f'<p class="final" id="final">{html.escape(t("app.final", lang, n=n, seed=comp.seed))}</p>')
    return f'<div class="sim-app">{status}<div class="cards" id="cards">{"".join(cards)}</div></div>'


def figures_html(comp: Any, lang: str) -> str:
    """The four figures of :data:`FIGURES` as inline SVG (event-log figures only when the runs
    kept event logs)."""
    from sim import plots

    has_events = all(r.events is not None for r in comp.runs)
    out = []
    for k, (name, kw) in enumerate(FIGURES):
        if not has_events and name in ("resolution_ecdf", "opinion_on_time"):
            continue
        fig = getattr(plots, name)(comp, lang=lang, **kw)
        out.append(f'<figure class="app-fig" id="fig-{name}">{inline_svg(fig, f"a{k}", lang)}</figure>')
    return '<div class="sim-app">' + "".join(out) + "</div>"


def differs_html(comp: Any, lang: str) -> str:
    """The report's "what differs" table: every parameter where the scenarios differ."""
    return f'<div class="sim-app">{differs_section(comp, lang)}</div>'


def parts(lang: str) -> list[tuple[str, Any]]:
    """The parts of the answer in the order they are made (the controller's ``render``)."""
    return [("cards", lambda comp, prov, total: cards_html(comp, lang, prov, total)),
            ("differs", lambda comp, prov, total: differs_html(comp, lang)),
            ("figures", lambda comp, prov, total: figures_html(comp, lang))]
