"""The report's "How sure are we" section: the comparison across sampled worlds.

:func:`robustness_section` draws an ensemble (:func:`sim.analysis.explore.explore` or
:func:`sim.analysis.city_explore.explore_cities`, or one read back with
:func:`sim.analysis.explore.read_explore`): what was sampled, a table per headline metric
(median effect, 5-95 % range across worlds, shares of worlds better / worse / unclear, the
sentence), the effect of every world as a figure, for a city ensemble the same per
community-size group (household terciles), and the input boxes scenario discovery found
(PRIM and CART), each as a sentence, the first ones with their figure. Headings, labels and
sentences are in the report's language (:mod:`sim.text`; the sentences from the same counts
by :mod:`sim.analysis.wording`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.analysis.wording import box_sentence, counts, period_unit, robustness_sentence
from sim.metrics import HEADLINE, label
from sim.report.common import esc
from sim.report.figures import figure_block
from sim.text import catalogue, t

__all__ = ["robustness_section"]

MAX_BOX_FIGURES = 2


def _share(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.0%}"


def _num(x: Any) -> str:
    from sim.formatting import significant

    return significant(x, sign=True)


def _distribution(name: str, lang: str) -> str:
    key = f"distribution.{name}"
    return t(key, lang) if key in catalogue() else name


def _sentence(name: str, h: Mapping[str, Any], n: int, lang: str, days: int | None) -> str:
    """The headline sentence: as the ensemble wrote it (English), or in ``lang``."""
    if lang != "zh":
        return str(h["sentence"])
    up, down = counts(h, n)
    q = [math.nan if h.get(k) is None else float(h[k])
         for k in ("effect_median", "effect_p05", "effect_p95")]
    unit = period_unit(name, days, lang) if days is not None else None
    return robustness_sentence(name, n, up, down, q, lang, unit)


def _table(metrics: Mapping[str, Any], n: int, lang: str, days: int | None) -> str:
    rows = []
    for m in HEADLINE:
        h = metrics.get(m)
        if not h:
            continue
        rows.append(f"<tr><td>{esc(label(m, lang))}</td><td class=num>{_num(h['effect_median'])}"
                    f"</td><td class=num>{_num(h['effect_p05'])} … {_num(h['effect_p95'])}</td>"
                    f"<td class=num>{_share(h['share_better'])}</td>"
                    f"<td class=num>{_share(h['share_worse'])}</td>"
                    f"<td class=num>{_share(h['share_unclear'])}</td>"
                    f"<td>{esc(_sentence(m, h, n, lang, days))}</td></tr>")
    head = "".join(f"<th>{esc(t('report.robustness.' + k, lang))}</th>" for k in
                   ("metric", "median", "range", "better", "worse", "unclear", "words"))
    return (f"<table class=robustness-table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _by_size(ens: Any, data: Mapping[str, Any], lang: str) -> str:
    """The size groups of a city ensemble: a table each and one figure."""
    from sim.plots.robustness import plot_size_effects

    groups = getattr(ens, "by_size", None) or {}
    if not groups:
        return ""
    n = int(data["worlds"])
    out = [f"<h3>{esc(t('report.robustness.by_size', lang))}</h3>"
           f"<p>{esc(t('report.robustness.by_size_intro', lang))}</p>"]
    for g, part in data.get("by_size", {}).items():
        lo, hi = part["households"]
        head = t("report.robustness.group", lang, group=t(f"size.{g}", lang),
                 n=part["communities"], low=f"{lo:,.0f}", high=f"{hi:,.0f}")
        out.append(f"<h4>{esc(head)}</h4>" + _table(part["metrics"], n, lang, None))
    out.append(figure_block("R1b", "fig-robustness-size",
                            t("report.robustness.size_fig_title", lang),
                            t("report.robustness.size_fig_caption", lang),
                            plot_size_effects(ens, lang=lang), lang))
    return "".join(out)


def robustness_section(ens: Any, lang: str = "en") -> tuple[str, str, str]:
    """(id, title, HTML) of the section for the ensemble ``ens``."""
    from sim.plots.robustness import plot_boxes, plot_effects

    data = ens.to_json() if hasattr(ens, "to_json") else ens.data
    facs = data.get("factors", [])
    n = int(data["worlds"])
    city = data.get("city")
    days = int(city["days"]) if city else None
    inputs = "; ".join(t("report.robustness.input", lang, name=f["name"], low=f"{f['low']:g}",
                         high=f"{f['high']:g}", dist=_distribution(f["distribution"], lang))
                       for f in facs)
    intro = "<p>" + esc(t("report.robustness.intro", lang, worlds=n,
                          design=data.get("design", ""), k=len(facs),
                          reps=data["replications"], inputs=inputs)) + "</p>"
    if city:
        intro += "<p>" + esc(t("report.robustness.city_intro", lang, city=city["name"],
                               n=city["communities"], days=days)) + "</p>"
    table = _table(data["metrics"], n, lang, days)
    fig = figure_block("R1", "fig-robustness", t("report.robustness.fig_title", lang),
                       t("report.robustness.fig_caption", lang), plot_effects(ens, lang=lang),
                       lang)
    boxes = data.get("boxes", [])
    if boxes:
        x = ens.inputs()
        full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
        items = "".join(f"<li>{esc(box_sentence(b, full, lang))}</li>" for b in boxes)
        disc = (f"<h3>{esc(t('report.robustness.discovery', lang))}</h3>"
                f"<p>{esc(t('report.robustness.discovery_intro', lang))}</p><ul>{items}</ul>")
        for k, b in enumerate(boxes[:MAX_BOX_FIGURES], start=2):
            f = plot_boxes(ens, b, lang=lang)
            if f is not None:
                disc += figure_block(f"R{k}", f"fig-box-{k}", t(
                    "report.robustness.box_title", lang, method=b["method"].upper(),
                    condition=b["condition"]), t("report.robustness.box_caption", lang), f, lang)
    else:
        disc = f"<p>{esc(t('report.robustness.no_boxes', lang))}</p>"
    return ("robustness", t("report.s_robustness", lang),
            intro + table + fig + _by_size(ens, data, lang) + disc)
