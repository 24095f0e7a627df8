"""The report page: the sections in order, the table of contents, the inline CSS
(``style.css``), and writing the file."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.experiment.tables import inputs_note
from sim.metrics import HEADLINE
from sim.report.burden import burden_section, late_section
from sim.report.common import LANGS, esc, run_name
from sim.report.figures import figure_block, figures
from sim.report.scenarios import (
    differs_section,
    scenarios_section,
)
from sim.report.stress import stress_section
from sim.report.tables import findings, metric_table, task_table
from sim.text import t
from sim.version import __version__


@functools.cache
def _css() -> str:
    """The page's CSS (``style.css`` next to this module), inlined into every report."""
    return resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")


def build_report(comparison: Any, lang: str = "en", *, attribution: Any = None,
                 seek: Any = None, explore: Any = None) -> str:
    """The HTML report of a :class:`~sim.experiment.ComparisonResult`, as a string (one
    self-contained page: inline CSS and SVG figures, no external requests). ``lang`` is
    ``"en"`` or ``"zh"`` (headings, labels and figures in Chinese). ``explore`` (an ensemble,
    :mod:`sim.analysis.explore`) adds "How sure are we", ``attribution`` (a ``sim attribute``
    result or its JSON) "Which measure did it", ``seek`` (a ``sim seek`` result or its JSON, or
    a list of them) "What would it take"."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", field="lang", allowed="en, zh")
    runs = getattr(comparison, "runs", None)
    if not runs or not hasattr(comparison, "differences"):
        raise InputError("a report needs a comparison of at least two scenarios "
                         "(sim.experiment.compare)")
    zh = lang == "zh"
    names = [run_name(r, lang) for r in runs]
    title = t("report.title", lang, names=t("report.pair_vs", lang).join(names[1:] + names[:1])
               if len(names) == 2 else t("list_sep", lang).join(names))
    meta0 = runs[0].scenario.scenario
    days = t("report.question_days", lang, days=meta0.days, start=meta0.start_date.isoformat())
    others = t("list_sep", lang).join(f"<b>{esc(n)}</b>" for n in names[1:])

    sections = [
        ("question", t("report.s_question", lang),
         f"<p>{t('report.question', lang, others=others, base=esc(names[0]))}</p>"
         f"<p>{esc(t('report.question_how', lang, days=days, r=comparison.replications, seed=comparison.seed))}</p>"
         f"<h3>{esc(t('report.in_short', lang))}</h3>{findings(comparison, lang)}"
         + ("" if explore is not None else
            f'<p class="note">{esc(inputs_note(comparison.runs, lang))}</p>')),
        ("scenarios", t("report.s_scenarios", lang), scenarios_section(comparison, lang)),
        ("differences", t("report.s_differs", lang), differs_section(comparison, lang)),
        ("headline", t("report.s_headline", lang),
         metric_table(comparison, [m for m in HEADLINE if any(m in r.summary.index for r in runs)],
                         "headline-table", lang)
         + f'<p class="note">{esc(t("report.table_note", lang))}</p>'),
    ]
    figs = []
    for n, (fid, ftitle, caption, make) in enumerate(figures(comparison, lang), start=1):
        figs.append(figure_block(n, fid, ftitle, caption, make(), lang))
    if not all(r.events is not None for r in runs):
        figs.append(f'<p class="note">{esc(t("report.no_events", lang))}</p>')
    sections.append(("figures", t("report.s_figures", lang), "".join(figs)))
    if explore is not None:
        from sim.report.robustness import robustness_section

        sections.append(robustness_section(explore, lang))
    if attribution is not None:
        from sim.report.analysis import attribution_section

        sections.append(("attribution", t("report.s_attribution", lang),
                         attribution_section(attribution, lang)))
    if seek is not None:
        from sim.report.analysis import seek_section

        seeks = seek if isinstance(seek, list | tuple) else [seek]
        sections.append(("seek", t("report.s_seek", lang),
                         "".join(seek_section(s, lang) for s in seeks)))
    sections.append(("burden", t("burden.s_burden", lang), burden_section(comparison, lang)
                     + f"<h3>{esc(t('burden.s_late', lang))}</h3>{late_section(comparison, lang)}"))
    all_metrics = list(dict.fromkeys(
        [m for m in HEADLINE if any(m in r.summary.index for r in runs)]
        + [m for r in runs for m in r.summary.index]))
    sections.append(("metrics", t("report.s_metrics", lang),
                     metric_table(comparison, all_metrics, "metric-table", lang)
                     + task_table(comparison, lang)))
    sections.append(("stress", t("report.s_stress", lang), stress_section(comparison, lang)))

    toc = "".join(f'<li><a href="#{sid}">{esc(t)}</a></li>' for sid, t, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{i}. {esc(t)}</h2>{content}</section>'
                   for i, (sid, t, content) in enumerate(sections, start=1))
    sub = t("report.subtitle", lang, n=len(runs), r=comparison.replications, seed=comparison.seed, v=__version__)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if zh else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="community-office-sim {__version__}">\n'
        f"<title>{esc(title)}</title>\n<style>{_css()}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{esc(title)}</h1><p class=sub>{esc(sub)}</p></header>\n"
        f'<nav><b>{esc(t("report.contents", lang))}</b><ol>{toc}</ol></nav>\n'
        f"{body}\n"
        f"<footer>community-office-sim {__version__} · {esc(t('report.cite', lang))}</footer>\n"
        "</main>\n</body>\n</html>\n")


def check_output(path: str | os.PathLike[str], lang: str = "en") -> Path:
    """The report's path and language checked before any work (callers run experiments
    after this): an unknown language or a directory as ``path`` raises InputError."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", field="--lang", allowed="en, zh")
    out = Path(path)
    if out.is_dir():
        raise InputError("is a directory, expected the path of an HTML file", file=str(out))
    return out


def write_report(path: str | os.PathLike[str], results: Any, lang: str = "en") -> Path:
    """Write the report of ``results``, a comparison already run
    (:func:`sim.experiment.compare`, with ``events=True`` for the figures that need event
    logs), to ``path`` and return it. The report only draws: running the experiment is the
    caller's (``sim report`` and ``sim compare --report`` do it). Bad input (a directory as
    ``path``, an unknown language, anything but a comparison) raises
    :class:`~sim.errors.InputError`."""
    out = check_output(path, lang)
    if not (hasattr(results, "runs") and hasattr(results, "differences")):
        raise InputError("a report draws a comparison already run: pass the result of "
                         f"sim.experiment.compare([...], events=True), not {type(results).__name__}")
    text = build_report(results, lang)
    try:
        from sim.outputs import write_atomic

        write_atomic(out, text)   # never replaces a device, FIFO or directory
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=str(out)) from None
    return out
