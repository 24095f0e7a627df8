"""The model documentation section of the report, following the STRESS-DES checklist (Monks et
al. 2019): objectives, logic, data, experimentation, implementation and code access.

The words are templates in the text catalogue: the model description that ``docs/model.md``
shares (``sim/text/model_description.toml``: purpose, flow, logic, assumptions, execution)
and the report's own fragments (``sim/text/stress.toml``), filled here with the facts of the
comparison (escaped)."""

from __future__ import annotations

import os
import platform
from typing import Any

from sim.metrics import HEADLINE, metric
from sim.metrics import label as metric_label
from sim.report.common import esc, run_name, value_text
from sim.report.figures import figure_block, figure_caption, figure_title
from sim.report.stress_tables import (
    SOURCE_KINDS,
    count_sources,
    params_table,
    scenario_logic_table,
    versions,
)
from sim.text import catalogue, t
from sim.text import unit as unit_label
from sim.version import __version__

__all__ = ["model_items", "stress_section"]


def model_items(group: str, lang: str) -> list[str]:
    """The entries of ``group`` of the shared model description (e.g. ``"flow"``,
    ``"assumptions"``), in the order of the catalogue file, as plain text in ``lang``."""
    prefix = f"model_description.{group}."
    return [t(key, lang) for key in catalogue() if key.startswith(prefix) and key.count(".") == 2]


def _logic(lang: str) -> list[tuple[str, str]]:
    """(term, text) of the base model logic (2.2)."""
    keys = dict.fromkeys(k.rsplit(".", 1)[0] for k in catalogue()
                         if k.startswith("model_description.logic."))
    return [(t(f"{k}.term", lang), t(f"{k}.text", lang)) for k in keys]


def _assumptions(comp: Any, lang: str) -> list[str]:
    """The assumptions (3.4), the secretary's as the baseline scenario has it."""
    general = (t("model_description.secretary_general", lang)
               if comp.runs[0].scenario.office.secretary_takes_general_work else "")
    prefix = "model_description.assumptions."
    return [t(k, lang, general=general) if k.endswith(".secretary") else t(k, lang)
            for k in catalogue() if k.startswith(prefix)]


def stress_section(comp: Any, lang: str) -> str:
    """The STRESS-DES section of a comparison's report, as HTML."""
    runs = comp.runs
    base = runs[0].scenario
    names = [run_name(r, lang) for r in runs]
    r_n, seed = comp.replications, comp.seed
    h: list[str] = []

    def h3(key: str, anchor: str) -> None:
        h.append(f'<h3 id="{anchor}">{esc(t("report." + key, lang))}</h3>')

    def h4(key: str) -> None:
        h.append(f"<h4>{esc(t('report.' + key, lang))}</h4>")

    def p(html_text: str) -> None:
        h.append(f"<p>{html_text}</p>")

    def stress(key: str, **fields: Any) -> str:
        return t(f"stress.{key}", lang, **fields)

    def small_table(rows: list[tuple[str, str]]) -> str:
        return ('<div class="tw"><table class="small"><tbody>' + "".join(
            f'<tr><th scope="row">{esc(a)}</th><td>{esc(b)}</td></tr>' for a, b in rows)
            + "</tbody></table></div>")

    h.append(f'<p>{esc(t("report.stress_intro", lang))} <span class="cite">{esc(t("report.cite", lang))}</span></p>')

    # 1 objectives -----------------------------------------------------------------------
    h3("x_objectives", "stress-objectives")
    h4("purpose")
    p(esc(t("model_description.purpose", lang)))
    h4("outputs")
    items = "".join(f"<li><b>{esc(metric_label(m, lang))}</b> ({esc(unit_label(metric(m).unit, lang))})"
                    + (f": {esc(metric(m).description)}" if metric(m).description and lang != "zh" else "")
                    + "</li>" for m in HEADLINE)
    p(stress("outputs_intro", n=len(runs[0].summary.index)))
    h.append(f"<ul>{items}</ul>")
    h4("aims")
    p(stress("aims", others=esc(t("list_sep", lang).join(names[1:])), base=esc(names[0])))

    # 2 logic ----------------------------------------------------------------------------
    h3("x_logic", "stress-logic")
    h4("overview")
    h.append('<div class="flow">' + '<span class="arrow">→</span>'.join(
        f'<span class="box">{esc(s)}</span>' for s in model_items("flow", lang)) + "</div>")
    h4("base_logic")
    h.append("<dl class=logic>" + "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in _logic(lang)) + "</dl>")
    h4("scenario_logic")
    h.append(scenario_logic_table(comp, lang))
    h4("algorithms")
    kinds: dict[str, int] = {}
    for r in runs:
        for task in r.scenario.tasks:
            for st in task.steps:
                kinds[st.effort_hours.kind] = kinds.get(st.effort_hours.kind, 0) + 1
    kinds_txt = ", ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
    p(stress("algorithms", kinds=esc(kinds_txt)))
    h4("components")
    p(stress("components"))

    # 3 data -----------------------------------------------------------------------------
    h3("x_data", "stress-data")
    h4("data_sources")
    counts = [count_sources(r.scenario) for r in runs]
    rows = "".join(f'<tr><th scope="row">{esc(stress("source_kind." + k))}</th>'
                   + "".join(f'<td class="num">{c[k]}</td>' for c in counts) + "</tr>"
                   for k in SOURCE_KINDS if any(c[k] for c in counts))
    p(stress("data_sources"))
    h.append('<div class="tw"><table class="small"><thead><tr><th></th>'
             + "".join(f"<th>{esc(n)}</th>" for n in names) + f"</tr></thead><tbody>{rows}</tbody></table></div>")
    h4("preprocessing")
    p(stress("preprocessing"))
    h4("inputs")
    p(stress("inputs"))
    h.append(params_table(comp, lang))
    h4("assumptions")
    h.append("<ul>" + "".join(f"<li>{esc(a)}</li>" for a in _assumptions(comp, lang)) + "</ul>")
    descs = [(r, r.scenario.scenario.description) for r in runs]
    h.append("<ul>" + "".join(f"<li><b>{esc(run_name(r, lang))}</b>: {esc(d)}</li>" for r, d in descs if d) + "</ul>")

    # 4 experimentation ------------------------------------------------------------------
    h3("x_experimentation", "stress-experimentation")
    h4("initialisation")
    warm_txt = ", ".join(f"{run_name(r, lang)}: {r.scenario.scenario.warmup_days}" for r in runs)
    p(stress("initialisation", warm=esc(warm_txt)))
    try:
        from sim.plots import welch_plot

        h.append(figure_block("A1", "fig-welch", figure_title("fig-welch", lang),
                              figure_caption("fig-welch", lang), welch_plot(runs[0], lang=lang),
                              lang, prefix="f99"))
    except Exception as exc:  # pragma: no cover - a figure must not break the report
        p(esc(stress("welch_unavailable", error=exc)))
    h4("run_length")
    lens = ", ".join(f"{run_name(r, lang)}: {r.scenario.scenario.days} ({r.scenario.scenario.start_date.isoformat()}, {r.scenario.scenario.calendar})"
                     for r in runs)
    p(stress("run_length", lens=esc(lens)))
    h4("estimation")
    info = comp.precision_info or {}
    prec = ""
    if info.get("precision") is not None:
        prec = stress("precision", p=info["precision"], state=stress(
            "precision_reached" if info.get("converged") else "precision_not_reached"))
    p(stress("estimation", n=r_n, last=r_n - 1, seed=seed) + prec)

    # 5 implementation -------------------------------------------------------------------
    h3("x_implementation", "stress-implementation")
    h4("software")
    vers = "".join(f'<tr><th scope="row">{esc(n)}</th><td>{esc(v)}</td></tr>' for n, v in versions(lang))
    h.append(f'<div class="tw"><table class="small"><tbody>{vers}</tbody></table></div>')
    h4("sampling")
    p(stress("sampling"))
    h4("execution")
    p(esc(t("model_description.execution", lang)))
    h4("system")
    per_run = ", ".join(stress("run_seconds", name=run_name(r, lang), s=f"{r.run_seconds:.1f}") for r in runs)
    h.append(small_table([
        (stress("system.platform"), platform.platform()),
        (stress("system.machine"), platform.machine() or "?"),
        (stress("system.processor"), platform.processor() or "?"),
        (stress("system.cpus"), str(os.cpu_count())),
        (stress("system.run_time"), stress("run_time", total=f"{comp.run_seconds:.1f}", per_run=per_run)),
    ]))

    # 6 code access ----------------------------------------------------------------------
    h3("x_code", "stress-code")
    h4("sharing")
    cmd = ["sim", "report", *[os.path.relpath(r.scenario.path) if r.scenario.path else r.name for r in runs],
           "--replications", str(r_n), "--seed", str(seed)]
    for key, val in base.overrides:
        cmd += ["--set", f"{key}={value_text(val)}"]
    if lang == "zh":
        cmd += ["--lang", "zh"]
    hashes = ", ".join(f"{run_name(r, lang)} {r.scenario.hash}" for r in runs)
    p(stress("sharing", version=esc(__version__), hashes=esc(hashes), cmd=esc(" ".join(cmd))))
    return "".join(h)
