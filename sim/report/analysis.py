"""Report sections of the analysis studies, present when their results are given:
"Which measure did it" (``sim attribute``: the Shapley waterfall with 95 % intervals and a
table with one-at-a-time and leave-one-out beside each lever; for two cities also per
household tercile) and "What would it take"
(``sim seek``: the answer with its uncertainty and every point tried). Each takes the
study's result object or its JSON dict and returns HTML (escaped, figures inline SVG)."""

from __future__ import annotations

import math
from typing import Any

from sim.formatting import decimals
from sim.metrics import metric
from sim.report.common import ci_text, esc, num
from sim.report.figures import inline_svg

__all__ = ["attribution_section", "seek_section", "worlds_section"]


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def attribution_section(result: Any, lang: str = "en") -> str:
    """"Which measure did it": per metric, the waterfall and the lever table; for an
    attribution across worlds (``sim attribute --worlds N``), per metric every world's
    Shapley values and the table across worlds (:func:`worlds_section`)."""
    from sim.plots.attribution import shapley_waterfall

    if _has(result, "per_world"):          # sim attribute --worlds N
        return worlds_section(result, lang)

    method = _get(result, "method")
    parts = [f"<p>{esc(method)} Shapley values over {len(_get(result, 'levers'))} levers, "
             f"{_get(result, 'replications')} paired replications (common random numbers) "
             "a coalition. A lever's Shapley value is its average contribution over every "
             "order of switching the levers on; the values add up to the total effect. One "
             "at a time (OAT): the lever alone on the baseline; leave one out (LOO): the "
             "reform minus the reform without the lever.</p>"]
    for k, (name, row) in enumerate(_get(result, "metrics").items()):
        meta = metric(name)
        vals = [v["shapley"] for v in row["levers"].values()]
        d = decimals(row["total"], *vals)
        head = (f"<h3>{esc(meta.label_zh if lang == 'zh' else meta.label)}: total "
                f"{num(row['total'], d, True, lang)} {ci_text(*row['total_ci95'], d, True, lang)}"
                "</h3>")
        fig = inline_svg(shapley_waterfall(result, name, lang), f"shap{k}", lang)
        rows = "".join(
            f"<tr><td>{esc(lv)}</td><td>{num(v['shapley'], d, True, lang)}</td>"
            f"<td>{ci_text(*v['ci95'], d, True, lang)}</td>"
            f"<td>{num(v['one_at_a_time'], d, True, lang)}</td>"
            f"<td>{num(v['leave_one_out'], d, True, lang)}</td></tr>"
            for lv, v in sorted(row["levers"].items(), key=lambda kv: -abs(kv[1]["shapley"] or 0)))
        inter = "".join(f"<li>{esc(' × '.join(it['levers']))}: {num(it['index'], d, True, lang)} "
                        f"{ci_text(*it['ci95'], d, True, lang)}</li>"
                        for it in row.get("interactions", [])[:3])
        parts.append(head + f'<figure class="fig">{fig}</figure>'
                     "<table><thead><tr><th>Lever</th><th>Shapley</th><th>95% CI</th>"
                     f"<th>OAT</th><th>LOO</th></tr></thead><tbody>{rows}</tbody></table>"
                     + (f"<p>Strongest interactions:</p><ul>{inter}</ul>" if inter else ""))
    by_size = result.get("by_size") if isinstance(result, dict) else getattr(result, "by_size", None)
    if by_size:
        parts.append(_by_size(result, by_size, lang))
    return "".join(parts)


def _moved(mv: Any) -> str:
    return "" if not mv else esc(f"{mv['input']} ({mv['spearman']:+.2f})")


def _percent(x: Any, lang: str) -> str:
    ok = x is not None and math.isfinite(x)
    return num(100.0 * x if ok else None, 0, False, lang) + (" %" if ok else "")


def _has(obj: Any, name: str) -> bool:
    return name in obj if isinstance(obj, dict) else hasattr(obj, name)


def worlds_section(result: Any, lang: str = "en") -> str:
    """An attribution across N sampled worlds of the uncertain inputs: per metric, the total
    across worlds in a sentence, the figure of every world's Shapley values, and per lever
    its median and 5-95 % range across worlds, its share of the total, the worlds where it
    is with / against the total or unclear, first, and in the top k."""
    from sim.plots.attribution import shapley_across_worlds

    n = _get(result, "worlds")
    perm = _get(result, "permutations")
    parts = [f"<p>{esc(_get(result, 'method'))} Shapley values over "
             f"{len(_get(result, 'levers'))} levers in each of {n} sampled worlds of "
             f"{len(_get(result, 'factors'))} uncertain inputs, "
             f"{_get(result, 'replications')} replications a world"
             + (f" and {perm} orders" if perm else "")
             + ", the same in every world (common random numbers). The range across worlds "
             "holds each world's replication noise as well as the inputs' effect. With / "
             "against: worlds where the lever's 95 % interval lies on the side of the "
             "overall effect (the median total across worlds) or on the other side; unclear: "
             "it holds 0. First, top k: worlds where it makes the largest (one of the k "
             "largest) contributions in that direction. Moves most with: the uncertain input "
             "whose values go most with the lever's Shapley value across worlds "
             "(Spearman).</p>"]
    rank = _get(result, "rank")
    for k, (name, row) in enumerate(_get(result, "metrics").items()):
        meta = metric(name)
        lv = row["levers"]
        d = decimals(row["total"]["effect_median"], *(v["shapley_median"] for v in lv.values()))
        fig = inline_svg(shapley_across_worlds(result, name, lang), f"shapw{k}", lang)
        rows = "".join(
            f"<tr><td>{esc(p)}</td><td>{num(v['shapley_median'], d, True, lang)}</td>"
            f"<td>{ci_text(v['shapley_p05'], v['shapley_p95'], d, True, lang)}</td>"
            f"<td>{_percent(v['share_of_total_median'], lang)}</td>"
            f"<td>{v['worlds_with_total']} / {v['worlds_against_total']} / "
            f"{v['worlds_unclear']}</td><td>{v['worlds_first']}</td><td>{v['worlds_top']}</td>"
            f"<td>{_moved(v.get('moved_by'))}</td></tr>"
            for p, v in sorted(lv.items(), key=lambda kv: -abs(kv[1]["shapley_median"] or 0)))
        said = "".join(f"<li>{esc(x)}</li>" for x in row["sentences"])
        parts.append(f"<h3>{esc(meta.label_zh if lang == 'zh' else meta.label)}</h3>"
                     f"<p>{esc(row['total']['sentence'])}</p>"
                     f'<figure class="fig">{fig}</figure>'
                     "<table><thead><tr><th>Lever</th><th>Shapley, median</th><th>5-95 %</th>"
                     "<th>share of total</th><th>with / against / unclear</th><th>first</th>"
                     f"<th>top {rank}</th><th>moves most with</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>"
                     + (f"<ul>{said}</ul>" if said else ""))
    return "".join(parts)


def _by_size(result: Any, by_size: dict[str, Any], lang: str) -> str:
    """A city attribution per household tercile: per metric, the grouped-bar figure and a
    table of each tercile's total and each lever's Shapley value (OAT, LOO)."""
    from sim.plots.attribution import shapley_by_size
    from sim.text import t

    out = [f"<h3>{esc(t('report.attribution.by_size', lang))}</h3>"
           f"<p>{esc(t('report.attribution.by_size_intro', lang))}</p>"]
    names = list(dict.fromkeys(m for p in by_size.values() for m in p["metrics"]))
    for k, name in enumerate(names):
        meta = metric(name)
        fig = inline_svg(shapley_by_size(result, name, lang), f"shapsize{k}", lang)
        rows = []
        for g, part in by_size.items():
            row = part["metrics"].get(name)
            if row is None:
                continue
            d = decimals(row["total"], *(v["shapley"] for v in row["levers"].values()))
            group = t("report.robustness.group", lang, group=t(f"size.{g}", lang),
                      n=part["communities"], low=f"{part['households'][0]:,.0f}",
                      high=f"{part['households'][1]:,.0f}")
            cells = "".join(f"<td>{num(v['shapley'], d, True, lang)} "
                            f"{ci_text(*v['ci95'], d, True, lang)}<br><small>OAT "
                            f"{num(v['one_at_a_time'], d, True, lang)}, LOO "
                            f"{num(v['leave_one_out'], d, True, lang)}</small></td>"
                            for v in row["levers"].values())
            rows.append(f"<tr><td>{esc(group)}</td><td>{num(row['total'], d, True, lang)} "
                        f"{ci_text(*row['total_ci95'], d, True, lang)}</td>{cells}</tr>")
        levers = next(p["metrics"][name]["levers"] for p in by_size.values()
                      if name in p["metrics"])
        head = "".join(f"<th>{esc(lv)}</th>" for lv in levers)
        out.append(f"<h4>{esc(meta.label_zh if lang == 'zh' else meta.label)}</h4>"
                   f'<figure class="fig">{fig}<figcaption>'
                   f"{esc(t('report.attribution.size_fig_caption', lang))}</figcaption></figure>"
                   f"<table><thead><tr><th></th><th>total</th>{head}</tr></thead>"
                   f"<tbody>{''.join(rows)}</tbody></table>")
    return "".join(out)


def seek_section(result: Any, lang: str = "en") -> str:
    """"What would it take": the answer, its interval and every point tried."""
    from sim.plots.attribution import seek_points

    target = _get(result, "target")
    if isinstance(target, dict):
        what = f"{target['metric']} {target['op']} {target['value']:g}"
        against = target.get("difference_from")
    else:
        what, against = str(target), _get(result, "against")
    key = _get(result, "key")
    if _get(result, "met"):
        lo, hi = _get(result, "ci95")
        answer = (f"<p><b>{esc(key)} = {_get(result, 'value'):g}</b> meets {esc(what)}"
                  + (f" (difference from {esc(against)})" if against else "")
                  + f" with 95% confidence; the threshold lies in [{lo:g}, {hi:g}].</p>")
    else:
        answer = f"<p>{esc(what)} is not met with confidence at any point tried.</p>"
    rows = "".join(f"<tr><td>{t['value']:g}</td><td>{num(t['metric'], 3, True, lang)}</td>"
                   f"<td>{ci_text(*t['ci95'], 3, True, lang)}</td>"
                   f"<td>{'met' if t.get('met') else '-'}</td></tr>"
                   for t in sorted(_get(result, "tried"), key=lambda t: t["value"]))
    fig = inline_svg(seek_points(result, lang), "seek", lang)
    return (answer + f'<figure class="fig">{fig}</figure>'
            f"<table><thead><tr><th>{esc(key)}</th><th>metric</th><th>95% CI</th><th></th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")
