"""The answer as HTML: headline cards, figures and the "what differs" table.

Pure functions of a :class:`~sim.experiment.ComparisonResult` (no widgets), run in the
background thread so the page never waits for matplotlib. The cards carry the exact numbers
in ``data-*`` attributes (``repr`` of the floats), which the browser test compares with
``sim compare --json``. With an ensemble (``sim explore``'s
:class:`~sim.analysis.explore.ExploreResult` of the same pair), each card also shows the
robustness band (the effect's median and 5-95 % range across the sampled worlds) and the
verdict share ("falls in 15 of 16 sampled worlds"), with its numbers in ``data-band-*``. Figures are those of :mod:`sim.plots`; the table is the report's
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

__all__ = ["CARD_METRICS", "CSS", "band_html", "card_metrics", "cards_html", "differs_html",
           "ensemble_note", "figures_html", "parts"]

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
.card .band { font-size: 0.85em; color: #333; border-top: 1px dashed #ccd; margin-top: 4px;
  padding-top: 3px; }
.card .share { font-size: 0.85em; }
.ens-note { font-size: 0.85em; color: #444; }
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


def _share_text(h: dict[str, Any], n: int, lang: str) -> str:
    """"falls in 15 of 16 sampled worlds (better), rises in 1" from :func:`summarise`'s counts."""
    up, down = int(h["worlds_up"]), int(h["worlds_down"])
    if up == 0 and down == 0:
        return t("app.share_none", lang, n=n)
    rising = up >= down
    count, other = (up, down) if rising else (down, up)
    text = t("app.share_up" if rising else "app.share_down", lang, k=count, n=n)
    if h["direction"]:
        good = rising == (h["direction"] > 0)
        text += t("app.share_tag", lang, verdict=verdict("better" if good else "worse", lang))
    if other:
        text += t("app.share_other_down" if rising else "app.share_other_up", lang, k=other)
    if n - up - down:
        text += t("app.share_other_none", lang, k=n - up - down)
    return text


def band_html(m: str, ens: Any, lang: str, d: int) -> str:
    """The robustness band of metric ``m`` on its card (``d`` decimals, the card's)."""
    h = ens.headline.get(m)
    if not h:
        return ""
    scale, _unit, dunit = metric_units(m, lang)
    med, lo, hi = (h[k] for k in ("effect_median", "effect_p05", "effect_p95"))
    return (f'<div class="band" data-band-median="{_f(med)}" data-band-p05="{_f(lo)}" '
            f'data-band-p95="{_f(hi)}" data-worlds="{ens.worlds}" '
            f'data-worlds-up="{int(h["worlds_up"])}" data-worlds-down="{int(h["worlds_down"])}">'
            + (f'{html.escape(t("app.band", lang, n=ens.worlds))}: {num(med * scale, d, True, lang)} '
               f'{ci_text(lo * scale, hi * scale, d, True, lang)} {html.escape(dunit)}'
               if math.isfinite(med) else "")   # undefined in every world: the share says so
            + f'<div class="share">{html.escape(_share_text(h, ens.worlds, lang))}</div></div>')


def _short(label: str) -> str:
    """A factor's description without its parenthesised detail."""
    return label.split(" (")[0].split("（")[0]


def ensemble_note(ens: Any, lang: str, held: list[str] | None = None) -> str:
    """What the bands are: the ensemble's size, the uncertainties sampled (with their ranges)
    and held at the planner's values, and that this is beyond replication noise."""
    sampled = "; ".join(f"{_short(f.label(lang))} {f.low:g}–{f.high:g}" for f in ens.factors)
    text = t("app.ens_note", lang, worlds=ens.worlds, reps=ens.replications, sampled=sampled,
             design=ens.design)
    if held:
        text += " " + t("app.ens_held", lang, held=", ".join(held))
    return f'<p class="ens-note" id="ens-note">{html.escape(text)}</p>'


def cards_html(comp: Any, lang: str, provisional: bool, total: int, ens: Any = None,
               held: list[str] | None = None) -> str:
    """One card per :func:`card_metrics`: without -> with, the paired 95 % CI, the verdict
    and the metric's kind (and with an ensemble ``ens`` its band, :func:`band_html`); then a
    line saying whether the answer is provisional."""
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
            f'{band_html(m, ens, lang, d) if ens is not None else ""}</div>')
    n = comp.replications
    status = (f'<p class="provisional" id="provisional">{html.escape(t("app.provisional", lang, n=n, total=total))}</p>'
              if provisional else
              f'<p class="final" id="final">{html.escape(t("app.final", lang, n=n, seed=comp.seed))}</p>')
    note = ensemble_note(ens, lang, held) if ens is not None else ""
    return (f'<div class="sim-app">{status}<div class="cards" id="cards">{"".join(cards)}</div>'
            f'{note}</div>')


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
    return [("cards", lambda comp, prov, total, rob: cards_html(
                comp, lang, prov, total, *((rob.ensemble, rob.held) if rob else ()))),
            ("differs", lambda comp, prov, total, rob: differs_html(comp, lang)),
            ("figures", lambda comp, prov, total, rob: figures_html(comp, lang))]
