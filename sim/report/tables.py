"""The report's tables: metrics (means, 95 % intervals, paired differences, verdicts), the
headline findings in words, and the task types."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.formatting import decimals, finite
from sim.metrics import HEADLINE, metric
from sim.metrics import label as metric_label
from sim.report.common import ci_text, esc, num, run_name, slug
from sim.text import category as category_label
from sim.text import origin as origin_label
from sim.text import t
from sim.text import unit as unit_label
from sim.text import verdict as verdict_label


def metric_units(name: str, lang: str) -> tuple[float, str, str]:
    """(scale, unit shown with values, unit shown with differences)."""
    unit = metric(name).unit
    if unit == "share":
        return 100.0, "%", t("pp", lang)
    u = unit_label(unit, lang)
    return 1.0, u, u


def kind_tag(name: str, lang: str) -> str:
    """The metric's kind as a small marker: "input" (input arithmetic, a cut of the inputs)
    or "emergent" (comes out of the queueing), see :class:`sim.metrics.Metric`."""
    kind = metric(name).kind
    return f' <span class="kind kind-{slug(kind)}">{esc(t("kind." + kind, lang))}</span>'


def metric_rows(comp: Any, names: Sequence[str], lang: str, cls: str = "") -> tuple[list[str], int]:
    runs = comp.runs
    diffs = comp.differences
    rows: list[str] = []
    hidden = 0
    for name in names:
        parts = []
        vals = []
        for r in runs:
            s = r.summary
            vals.append(s.loc[name] if name in s.index else None)
        means = [float(v["mean"]) if v is not None else math.nan for v in vals]
        if not metric(name).headline and all(not finite(m) or m == 0.0 for m in means):
            hidden += 1
            continue
        scale, vunit, dunit = metric_units(name, lang)
        d = decimals(*[m * scale for m in means if finite(m)])
        base = vals[0]

        def cell(v: Any, scale: float = scale, d: int = d) -> str:
            if v is None or not finite(v["mean"]):
                return f'<td class="num">{t("na", lang)}</td>'
            ci = ci_text(v["ci_low"] * scale, v["ci_high"] * scale, d, lang=lang)
            return (f'<td class="num">{num(v["mean"] * scale, d, lang=lang)}'
                    f'{"<br><span class=ci>" + ci + "</span>" if ci else ""}</td>')

        k_rows = list(range(1, len(runs)))
        pair = len(runs) == 2
        span = len(k_rows)
        for j, k in enumerate(k_rows):
            row = diffs[(diffs["run"] == k) & (diffs["metric"] == name)]
            tds = []
            if j == 0:
                star = ' <span class="star" title="headline">★</span>' if metric(name).headline else ""
                tds.append(f'<th scope="row" rowspan="{span}">{esc(metric_label(name, lang))}{star}'
                           f'{kind_tag(name, lang)}</th>')
                tds.append(f'<td rowspan="{span}">{esc(vunit)}</td>')
                tds.append(cell(base).replace("<td", f'<td rowspan="{span}"', 1))
            if not pair:
                tds.append(f"<td>{esc(run_name(runs[k], lang))}</td>")
            tds.append(cell(vals[k]))
            if row.empty:
                tds += [f'<td class="num">{t("na", lang)}</td>'] * 2 + ["<td></td>"]
            else:
                rr = row.iloc[0]
                diff = num(rr["diff_mean"] * scale, d, True, lang)
                ci = ci_text(rr["ci_low"] * scale, rr["ci_high"] * scale, d, True, lang)
                rel = (f"{num(100 * rr['relative'], 1, True, lang)}%" if finite(rr["relative"])
                       else t("na", lang))
                verdict = str(rr["verdict"])
                unit = f' <span class="u">{esc(dunit)}</span>' if finite(rr["diff_mean"]) else ""
                tds.append(f'<td class="num">{diff}{unit}'
                           f'{"<br><span class=ci>" + ci + "</span>" if ci else ""}</td>')
                tds.append(f'<td class="num">{rel}</td>')
                tds.append(f'<td><span class="v v-{slug(verdict)}">{esc(verdict_label(verdict, lang))}</span></td>')
            parts.append(f'<tr class="{cls}{" first" if j == 0 else ""}">' + "".join(tds) + "</tr>")
        rows.extend(parts)
    return rows, hidden


def metric_table(comp: Any, names: Sequence[str], table_id: str, lang: str) -> str:
    runs = comp.runs
    if len(runs) == 2:  # one pair: the scenario names go into the header
        heads = [esc(t("report.metric", lang)), esc(t("report.unit", lang)),
                 f"{esc(run_name(runs[0], lang))} ({esc(t('report.baseline_tag', lang))})<br>"
                 f"<span class=ci>{esc(t('report.mean_ci', lang))}</span>",
                 f"{esc(run_name(runs[1], lang))}<br><span class=ci>{esc(t('report.mean_ci', lang))}</span>",
                 esc(t("report.difference", lang)), esc(t("report.relative", lang)), esc(t("report.verdict", lang))]
    else:
        heads = [esc(t(f"report.{k}", lang)) for k in ("metric", "unit", "baseline_mean", "scenario",
                                           "scenario_mean", "difference", "relative", "verdict")]
    head = "".join(f"<th>{h}</th>" for h in heads)
    rows, hidden = metric_rows(comp, names, lang)
    out = (f'<div class="tw"><table id="{table_id}" class="metrics"><thead><tr>{head}</tr></thead>'
           f'<tbody>{"".join(rows)}</tbody></table></div>')
    out += f'<p class="note">{esc(t("report.kind_note", lang))}</p>'
    if hidden:
        out += f'<p class="note">{esc(t("report.hidden", lang, n=hidden))}</p>'
    return out


def findings(comp: Any, lang: str) -> str:
    items = []
    runs = comp.runs
    for k in range(1, len(runs)):
        part = comp.differences[comp.differences["run"] == k]
        if len(runs) > 2:
            items.append(f'<li class="sep">{esc(run_name(runs[k], lang))}</li>')
        for name in HEADLINE:
            row = part[part["metric"] == name]
            if row.empty:
                continue
            rr = row.iloc[0]
            scale, vunit, dunit = metric_units(name, lang)
            d = decimals(rr["baseline_mean"] * scale, rr["scenario_mean"] * scale)
            suffix = "%" if vunit == "%" else f" {vunit}"
            b = num(rr["baseline_mean"] * scale, d, lang=lang)
            s = num(rr["scenario_mean"] * scale, d, lang=lang)
            if finite(rr["diff_mean"]):
                diff = f"{num(rr['diff_mean'] * scale, d, True, lang)} {dunit}"
                ci = ci_text(rr["ci_low"] * scale, rr["ci_high"] * scale, d, True, lang)
                if ci:
                    diff += f" {ci}"
            else:
                diff = t("na", lang)
            verdict = str(rr["verdict"])
            text = t("report.finding", lang, label=esc(metric_label(name, lang)),
                      base=f"{b}{esc(suffix) if finite(rr['baseline_mean']) else ''}",
                      scen=f"{s}{esc(suffix) if finite(rr['scenario_mean']) else ''}",
                      diff=esc(diff),
                      verdict=f'<span class="v v-{slug(verdict)}">{esc(verdict_label(verdict, lang))}</span>')
            items.append(f"<li>{text}{kind_tag(name, lang)}</li>")
    return "<ul class=findings>" + "".join(items) + "</ul>"


def task_table(comp: Any, lang: str) -> str:
    runs = comp.runs
    ids: dict[str, None] = {}
    for r in runs:
        for tid in r.tasks.index:
            ids[tid] = None
    fields = ("arrived", "refused", "completed", "wait_hours_mean", "on_time_rate")
    heads = ("arrived", "refused", "completed", "wait", "on_time")
    top = "".join(f'<th colspan="{len(fields)}">{esc(run_name(r, lang))}</th>' for r in runs)
    sub = "".join(f"<th>{esc(t('report.' + h, lang))}</th>" for _ in runs for h in heads)
    body = []
    for tid in ids:
        info = next(r.tasks.loc[tid] for r in runs if tid in r.tasks.index)
        name = (info["name_zh"] or info["name"]) if lang == "zh" else (info["name"] or tid)
        cat = str(info["category"])
        org = str(info["origin"])
        if lang == "zh":  # English tables show the codes
            cat, org = category_label(cat, lang), origin_label(org, lang)
        tds = [f'<th scope="row">{esc(str(name))} <span class="id">{esc(tid)}</span></th>',
               f"<td>{esc(cat)}</td><td>{esc(org)}</td>"]
        for r in runs:
            if tid not in r.tasks.index:
                tds.append(f'<td colspan="{len(fields)}" class="off">—</td>')
                continue
            row = r.tasks.loc[tid]
            for f in fields:
                v = row[f]
                if f == "on_time_rate":
                    tds.append(f'<td class="num">{num(100 * v, 0, lang=lang) + "%" if finite(v) else ""}</td>')
                elif f == "wait_hours_mean":
                    tds.append(f'<td class="num">{num(v, 1, lang=lang) if finite(v) else ""}</td>')
                else:
                    tds.append(f'<td class="num">{num(v, 1, lang=lang)}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (f'<h3>{esc(t("report.tasks_title", lang))}</h3><div class="tw"><table class="tasks"><thead>'
            f'<tr><th rowspan="2">{esc(t("report.task", lang))}</th><th rowspan="2">{esc(t("report.category", lang))}</th>'
            f'<th rowspan="2">{esc(t("report.origin", lang))}</th>{top}</tr><tr>{sub}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')
