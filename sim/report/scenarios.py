"""The report's scenario sections: one card per scenario, and what differs between them (levers
with their descriptions and sources, every changed parameter with its source)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from sim.report.common import esc, run_name, value_text
from sim.text import t


def lever_text(lever: Any, lang: str) -> str:
    return lever.description_zh if lang == "zh" and lever.description_zh else lever.description


def levers_table(levers: Sequence[Any], lang: str) -> str:
    rows = []
    for lv in levers:
        sets = "<br>".join(f"<code>{esc(p)} {op} {esc(value_text(v))}</code>"
                           for op, table in (("=", lv.set), ("×", getattr(lv, "scale", {})),
                                             ("+=", getattr(lv, "add", {})))
                           for p, v in table.items())
        when = [f"{k} {d.isoformat()}" for k, d in (("from", getattr(lv, "start", None)),
                                                    ("until", getattr(lv, "until", None))) if d]
        if getattr(lv, "compliance", 1.0) != 1.0:
            when.append(f"compliance {lv.compliance:g}")
        when += [f"{pt['date'].isoformat()}: compliance {pt['compliance']:g}"
                 for pt in getattr(lv, "ramp", ())]
        if when:
            sets += "<br>" + esc("; ".join(when))
        rows.append(f'<tr><th scope="row"><code>{esc(lv.name)}</code></th><td>{esc(lever_text(lv, lang))}</td>'
                    f'<td class="sets">{sets}</td><td class="src">{esc(lv.source)}</td></tr>')
    head = "".join(f"<th>{esc(t('report.' + k, lang))}</th>" for k in ("lever", "what", "sets", "source"))
    cols = '<colgroup><col style="width:15%"><col style="width:31%"><col style="width:24%"><col style="width:30%"></colgroup>'
    return (f'<div class="tw"><table class="levers">{cols}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def lever_source(scenario: Any, path: str, short: bool = False) -> str | None:
    """The citation of the enabled lever that sets ``path`` (or a table containing it);
    ``short``: only the lever's name (its source is in the lever table)."""
    for lv in scenario.levers:
        if not lv.enabled:
            continue
        for key in (*lv.set, *getattr(lv, "scale", {}), *getattr(lv, "add", {})):
            if path == key or path.startswith(key + ".") or path.startswith(key + "["):
                return f"lever {lv.name}" if short else f"lever {lv.name}: {lv.source}"
    return None


def param_source(scenario: Any, path: str, short: bool = False) -> str:
    from sim.scenario import source_of

    return lever_source(scenario, path, short) or source_of(scenario, path)


def colgroup(n_values: int) -> str:
    """Column widths of a parameter table: path, ``n_values`` value columns, source."""
    each = max(8, 28 // max(1, n_values))
    return ('<colgroup><col style="width:32%">' + f'<col style="width:{each}%">' * n_values
            + "<col></colgroup>")


def grouped(rows: Sequence[tuple[list[str], str]]) -> str:
    """Table rows (cells, source cell html); consecutive rows with the same source share
    one source cell."""
    out = []
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1][1] == rows[i][1]:
            j += 1
        for k in range(i, j + 1):
            extra = f'<td class="src" rowspan="{j - i + 1}">{rows[i][1]}</td>' if k == i else ""
            out.append("<tr>" + "".join(rows[k][0]) + extra + "</tr>")
        i = j + 1
    return "".join(out)


SKIP_DIFF = ("scenario.name", "scenario.name_zh", "scenario.description")


def differs_section(comp: Any, lang: str) -> str:
    from sim.scenario import scenario_diff

    runs = comp.runs
    base = runs[0].scenario
    out = []
    for k in range(1, len(runs)):
        sc = runs[k].scenario
        name = esc(run_name(runs[k], lang))
        on_b = {lv.name for lv in base.levers if lv.enabled}
        on_s = [lv for lv in sc.levers if lv.enabled and lv.name not in on_b]
        off_s = [lv for lv in base.levers if lv.enabled and lv.name not in {x.name for x in sc.levers if x.enabled}]
        if len(runs) > 2:
            out.append(f"<h3>{name}</h3>")
        if on_s:
            out.append(f"<p>{t('report.levers_on', lang, name=name)}:</p>" + levers_table(on_s, lang))
        if off_s:
            out.append(f"<p>{t('report.levers_off', lang, name=name)}:</p>" + levers_table(off_s, lang))
        if not on_s and not off_s:
            out.append(f"<p>{esc(t('report.no_levers', lang))}</p>")
        diff = [(p, a, b) for p, a, b in scenario_diff(base, sc)
                if p not in SKIP_DIFF and not p.startswith("levers.")]
        if not diff:
            out.append(f"<p>{esc(t('report.no_diff', lang))}</p>")
            continue
        rows = grouped([([f'<th scope="row"><code>{esc(p)}</code></th>',
                           f'<td class="val">{esc(value_text(a))}</td>', f'<td class="val">{esc(value_text(b))}</td>'],
                          esc(param_source(sc, p, short=True))) for p, a, b in diff])
        head = (f"<th>{esc(t('report.parameter', lang))}</th><th>{esc(run_name(runs[0], lang))}</th>"
                f"<th>{name}</th><th>{esc(t('report.source', lang))}</th>")
        out.append(f"<details open><summary>{t('report.param_diff', lang, n=len(diff), base=esc(run_name(runs[0], lang)), name=name)}</summary>"
                   f'<div class="tw"><table class="params">{colgroup(2)}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></details>')
    return "".join(out)


def scenarios_section(comp: Any, lang: str) -> str:
    cards = []
    for i, r in enumerate(comp.runs):
        meta = r.scenario.scenario
        other = meta.name if lang == "zh" else meta.name_zh
        tag = f' <span class="tag">{esc(t("report.baseline_tag", lang))}</span>' if i == 0 else ""
        path = os.path.relpath(r.scenario.path) if r.scenario.path else "—"
        cards.append(
            f'<div class="card c{i % 8}"><h3>{esc(run_name(r, lang))}{tag}</h3>'
            + (f'<p class="alt">{esc(other)}</p>' if other else "")
            + f"<p>{esc(meta.description)}</p>"
            f'<p class="meta">{esc(t("report.file", lang))}: <code>{esc(path)}</code> · {esc(t("report.hash", lang))}: '
            f'<code>{esc(r.scenario.hash)}</code> · {esc(t("report.horizon", lang))}: '
            f'{esc(t("report.days_from", lang, days=meta.days, start=meta.start_date.isoformat()))}</p></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"
