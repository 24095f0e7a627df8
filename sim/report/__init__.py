"""A readable, self-contained HTML report of a scenario comparison.

:func:`build_report` turns a :class:`sim.experiment.ComparisonResult` into one HTML page, as a
pure function of the results (and of the software it runs on, which the report documents):
the question and the scenarios in plain words, what differs between them (levers with their
descriptions and sources, and every changed parameter), the headline table (means, 95 %
confidence intervals, paired differences, verdicts), the figures of :mod:`sim.plots` as
inline SVG, the full metric table, and a model documentation section that follows the
STRESS-DES reporting checklist (Monks et al. 2019, "Strengthening the reporting of empirical
simulation studies: Introducing the STRESS guidelines", Journal of Simulation 13(1)).

The page makes no external request: no scripts, no web fonts, no CDN, inline CSS only; the
figures' text is drawn as paths, so they need no installed font either.

Sections are modules: :mod:`~sim.report.scenarios` (the scenarios and what differs),
:mod:`~sim.report.tables` (metrics, findings, task types), :mod:`~sim.report.figures`,
:mod:`~sim.report.stress` (STRESS-DES) and :mod:`~sim.report.page` (the page, its CSS, the
file). Every word comes from the text catalogue (:mod:`sim.text`).

:func:`write_report` writes the page of an experiment already run (the report only draws;
``sim report A.toml B.toml -o report.html`` runs the comparison, then calls it).
"""

from __future__ import annotations

from sim.report.page import build_report, check_output, write_report

__all__ = ["build_report", "check_output", "write_report"]
