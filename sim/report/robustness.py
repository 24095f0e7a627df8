"""The report's "How sure are we" section: the comparison across sampled worlds.

:func:`robustness_section` draws an ensemble (:func:`sim.analysis.explore.explore`, or one read
back with :func:`sim.analysis.explore.read_explore`): what was sampled, a table per headline
metric (median effect, 5-95 % range across worlds, shares of worlds better / worse / unclear,
the sentence), the effect of every world as a figure, and the input boxes scenario discovery
found (PRIM and CART), each as a sentence, the first ones with their figure. The sentences
are in English (numbers and metric names carry over to the Chinese page).
"""

from __future__ import annotations

import math
from typing import Any

from sim.metrics import HEADLINE, label
from sim.report.common import esc
from sim.report.figures import figure_block
from sim.text import t

__all__ = ["robustness_section"]

MAX_BOX_FIGURES = 2


def _share(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.0%}"


def _num(x: Any) -> str:
    from sim.formatting import significant

    return significant(x, sign=True)


def robustness_section(ens: Any, lang: str = "en") -> tuple[str, str, str]:
    """(id, title, HTML) of the section for the ensemble ``ens``."""
    from sim.plots.robustness import plot_boxes, plot_effects

    data = ens.to_json() if hasattr(ens, "to_json") else ens.data
    facs = data.get("factors", [])
    intro = (f"<p>The comparison was run in {data['worlds']} sampled worlds "
             f"({esc(data.get('design', ''))} design) of {len(facs)} uncertain inputs, "
             f"{data['replications']} paired replications of both scenarios in each, with common "
             "random numbers (the same replication seeds in every world). In a world, a metric "
             "is better or worse when the 95% interval of its paired difference excludes 0, "
             "else unclear. Inputs: "
             + esc("; ".join(f"{f['name']} {f['low']:g} to {f['high']:g} ({f['distribution']})"
                             for f in facs)) + ".</p>")
    rows = []
    for m in HEADLINE:
        h = data["metrics"].get(m)
        if not h:
            continue
        rows.append(f"<tr><td>{esc(label(m, lang))}</td><td class=num>{_num(h['effect_median'])}"
                    f"</td><td class=num>{_num(h['effect_p05'])} … {_num(h['effect_p95'])}</td>"
                    f"<td class=num>{_share(h['share_better'])}</td>"
                    f"<td class=num>{_share(h['share_worse'])}</td>"
                    f"<td class=num>{_share(h['share_unclear'])}</td>"
                    f"<td>{esc(h['sentence'])}</td></tr>")
    table = ("<table class=robustness-table><thead><tr><th>Metric</th><th>Median effect</th>"
             "<th>5–95% across worlds</th><th>Better</th><th>Worse</th><th>Unclear</th>"
             "<th>In words</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    fig = figure_block("R1", "fig-robustness", "The reform's effect in every sampled world",
                       "Dots: worlds, coloured by that world's verdict; line: median; band: "
                       "5-95% of the worlds.", plot_effects(ens, lang=lang), lang)
    boxes = data.get("boxes", [])
    if boxes:
        items = "".join(f"<li>{esc(b['sentence'])}</li>" for b in boxes)
        disc = (f"<h3>Where it fails: scenario discovery</h3><p>For each headline metric whose "
                "verdict differs between worlds, PRIM (EMA Workbench) and CART look for the "
                "ranges of the inputs where the condition holds. Density: share of the worlds "
                "in the box where it holds; coverage: share of all such worlds inside the box."
                f"</p><ul>{items}</ul>")
        for k, b in enumerate(boxes[:MAX_BOX_FIGURES], start=2):
            f = plot_boxes(ens, b, lang=lang)
            if f is not None:
                disc += figure_block(f"R{k}", f"fig-box-{k}", f"{b['method'].upper()} box: "
                                     f"{b['condition']}", "Worlds over the inputs the box "
                                     "restricts; red: the condition holds; right: PRIM's "
                                     "trade-off between coverage and density.", f, lang)
    else:
        disc = ("<p>No discovered boxes: every headline verdict is the same in all worlds, or "
                "too few worlds were sampled.</p>")
    return ("robustness", t("report.s_robustness", lang), intro + table + fig + disc)
