"""The report's tables of where refused work goes and of when opinion replies are late.

``burden_section``: administration hours cut, split into burden *removed* (work nobody does
any more) and burden *shifted* (refused work sent back to its department, net of the part
that came back), less the office hours the reviews cost; from the registered metrics
``hours_<category>``, ``refused_hours_returned``, ``rework_hours_came_back``,
``review_hours`` and ``volunteer_hours`` (docs/model.md "Where refused work goes").
``late_section``: for each scenario, the on-time share of opinion replies next to the
conditions that decide it (secretary's load, days away, outside checks, batches).
"""

from __future__ import annotations

import math
from typing import Any

from sim.categories import ADMIN_CATEGORIES, CATEGORIES
from sim.report.common import esc, num, run_name
from sim.text import t

__all__ = ["burden_section", "late_section"]


def _mean(run: Any, name: str) -> float:
    s = run.summary
    return float(s.at[name, "mean"]) if name in s.index else math.nan


def _admin(run: Any) -> float:
    # fixed CATEGORIES order: the same sum in every process
    return sum(_mean(run, f"hours_{c}") for c in CATEGORIES if c in ADMIN_CATEGORIES)


def burden_figures(base: Any, run: Any) -> dict[str, float]:
    """Hours a year of ``run`` against the baseline ``base``: ``cut`` (administration hours
    less), ``shifted`` (refused work back to departments, net of what came back, beyond the
    baseline's), ``review`` and ``removed`` = cut − shifted + review (the identity of the
    section's introduction), and the change of volunteer hours."""
    refused = _mean(run, "refused_hours_returned") - _mean(base, "refused_hours_returned")
    back = _mean(run, "rework_hours_came_back") - _mean(base, "rework_hours_came_back")
    review = _mean(run, "review_hours") - _mean(base, "review_hours")
    cut = _admin(base) - _admin(run)
    shifted = refused - back
    return {"admin_base": _admin(base), "admin": _admin(run), "cut": cut, "refused": refused,
            "back": back, "shifted": shifted, "review": review, "removed": cut - shifted + review,
            "volunteers": _mean(run, "volunteer_hours") - _mean(base, "volunteer_hours")}


def burden_section(comp: Any, lang: str) -> str:
    """HTML: one column per scenario compared with the baseline."""
    base = comp.runs[0]
    others = comp.runs[1:]
    rows = [("row_admin_base", "admin_base"), ("row_admin", "admin"), ("row_cut", "cut"),
            ("row_refused", "refused"), ("row_back", "back"), ("row_shifted", "shifted"),
            ("row_review", "review"), ("row_removed", "removed"), ("row_volunteers", "volunteers")]
    figs = [burden_figures(base, r) for r in others]
    head = "".join(f'<th scope="col">{esc(run_name(r, lang))}</th>' for r in others)
    body = []
    for key, field in rows:
        label = t(f"burden.{key}", lang, base=run_name(base, lang))
        strong = field in ("shifted", "removed")
        cells = "".join(f'<td class="num">{"<b>" if strong else ""}{num(f[field], 0, lang=lang)}'
                        f'{"</b>" if strong else ""}</td>' for f in figs)
        body.append(f'<tr><th scope="row">{esc(label)}</th>{cells}</tr>')
    return (f"<p>{esc(t('burden.intro', lang))}</p>"
            f'<div class="tw"><table class="small burden-table"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _batch(run: Any) -> int:
    for task in run.scenario.tasks:
        if task.category == "opinion":
            return task.copies
    return 0


def late_section(comp: Any, lang: str) -> str:
    """HTML: one row per scenario with opinion requests."""
    rows = []
    for r in comp.runs:
        on_time = _mean(r, "opinion_on_time_rate")
        if not math.isfinite(on_time):
            continue
        oc = r.scenario.outside_checks
        checks = oc.share if "opinion" in oc.categories else 0.0
        flag = f' <b class="late">{esc(t("burden.below", lang))}</b>' if on_time < 0.95 else ""
        rows.append(
            f'<tr><th scope="row">{esc(run_name(r, lang))}</th>'
            f'<td class="num">{num(on_time * 100, 1, lang=lang)}%{flag}</td>'
            f'<td class="num">{num(_mean(r, "secretary_utilization") * 100, 0, lang=lang)}%</td>'
            f'<td class="num">{num(_mean(r, "secretary_absence_days"), 1, lang=lang)}</td>'
            f'<td class="num">{num(checks * 100, 0, lang=lang)}%</td>'
            f'<td class="num">{_batch(r)}</td></tr>')
    if not rows:
        return f"<p>{esc(t('burden.no_opinion', lang))}</p>"
    cols = ("col_on_time", "col_sec_util", "col_away", "col_checks", "col_batch")
    head = "".join(f'<th scope="col">{esc(t("burden." + c, lang))}</th>' for c in cols)
    return (f"<p>{esc(t('burden.late_intro', lang))}</p>"
            f'<div class="tw"><table class="small late-table"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")
