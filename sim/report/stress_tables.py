"""The tables of the report's STRESS-DES section: software versions, parameters by kind of
citation, every parameter with its source, and the scenario logic side by side."""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata as _metadata
from typing import Any

from sim.report.common import esc, run_name, value_text
from sim.report.scenarios import SKIP_DIFF, colgroup, grouped, param_source
from sim.text import catalogue, t
from sim.version import __version__

__all__ = ["SOURCE_KINDS", "count_sources", "params_table", "scenario_logic_table", "versions"]


def versions(lang: str = "en") -> list[tuple[str, str]]:
    """(package, version) of Python and of the libraries the model runs on."""
    out = [("Python", platform.python_version())]
    for dist, mod in (("simpy", "simpy"), ("numpy", "numpy"), ("pandas", "pandas"),
                      ("scipy", "scipy"), ("matplotlib", "matplotlib"),
                      ("chinesecalendar", "chinese_calendar")):
        v = None
        try:
            v = _metadata.version(dist)
        except _metadata.PackageNotFoundError:
            m = sys.modules.get(mod)
            v = getattr(m, "__version__", None) if m else None
        out.append((dist, v or t("stress.not_installed", lang)))
    out.append(("community-office-sim (sim)", __version__))
    return out


SOURCE_KINDS = ("article", "cited", "estimate", "lever", "unspecified", "other")

#: A citation of an entry of docs/sources.md: ``[key]``, a key ending in its year or ``_nd``
#: (e.g. ``[huaiyin2019]``, ``[xingtai_nd]``), which tells it from a TOML table such as
#: ``[office]``; never part of ``[[tables]]`` or of a link ``[text](url)``.
CITED = re.compile(r"(?<![\[\w])\[[a-z][a-z0-9_]*(?:[0-9]|_nd)\](?![\](])")


def count_sources(scenario: Any) -> dict[str, int]:
    """{kind of citation: number of parameters} of a scenario (see SOURCE_KINDS)."""
    from sim.scenario import flatten

    counts = dict.fromkeys(SOURCE_KINDS, 0)
    for path in flatten(scenario):
        if path.startswith("levers.") or path in SKIP_DIFF:
            continue
        src = param_source(scenario, path)
        if src.startswith(("lever", "unspecified")):
            key = "lever" if src.startswith("lever") else "unspecified"
        else:  # the kind of citation named first in the note
            found = [(src.find(k), k) for k in ("article", "estimate") if k in src]
            cited = CITED.search(src)
            if cited:
                found.append((cited.start(), "cited"))
            key = min(found)[1] if found else "other"
        counts[key] += 1
    return counts


def params_table(comp: Any, lang: str) -> str:
    """Every parameter of every scenario (``flatten``) with its value per scenario and its
    source (``source_of``; for a value set by a lever, the lever's source)."""
    from sim.scenario import flatten

    runs = comp.runs
    flats = [flatten(r.scenario) for r in runs]
    paths: dict[str, None] = {}
    for f in flats:
        for p in f:
            if not p.startswith("levers.") and p not in SKIP_DIFF:
                paths[p] = None
    items = []
    for p in paths:
        vals = [f.get(p) for f in flats]
        srcs = [param_source(r.scenario, p) if p in f else None for r, f in zip(runs, flats, strict=True)]
        uniq = list(dict.fromkeys(s for s in srcs if s))
        if len(uniq) == 1:
            src = esc(uniq[0])
        else:
            src = "<br>".join(f"<b>{esc(run_name(r, lang))}</b>: {esc(s)}" for r, s in zip(runs, srcs, strict=True) if s)
        cells = [f'<th scope="row"><code>{esc(p)}</code></th>']
        for i, v in enumerate(vals):
            changed = i > 0 and value_text(v) != value_text(vals[0])
            cells.append(f'<td class="val{" changed" if changed else ""}">{esc(value_text(v))}</td>')
        items.append((cells, src))
    rows = [grouped(items)]
    head = (f"<th>{esc(t('report.parameter', lang))}</th>"
            + "".join(f"<th>{esc(run_name(r, lang))}</th>" for r in runs)
            + f"<th>{esc(t('report.source', lang))}</th>")
    return (f'<details open><summary>{esc(t("stress.n_parameters", lang, n=len(paths)))}</summary>'
            f'<div class="tw"><table class="params all">{colgroup(len(runs))}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def scenario_logic_table(comp: Any, lang: str) -> str:
    """2.3 Scenario logic: the rules and sizes of every scenario side by side, values that
    differ from the baseline marked."""
    runs = comp.runs

    def row(key: str, fn) -> str:
        vals = [fn(r.scenario) for r in runs]
        cells = "".join(f'<td{" class=changed" if i and v != vals[0] else ""}>{esc(str(v))}</td>'
                        for i, v in enumerate(vals))
        return f'<tr><th scope="row">{esc(t("stress.logic_row." + key, lang))}</th>{cells}</tr>'

    def value(key: str, **fields: Any) -> str:
        return t(f"stress.logic_value.{key}", lang, **fields)

    def hours(s: Any) -> str:
        return ", ".join(f"{int(a):02d}:{round((a % 1) * 60):02d}-{int(b):02d}:{round((b % 1) * 60):02d}"
                         for a, b in s.calendar.office_hours)

    def deadlines(s: Any) -> str:
        by: dict[int, list[str]] = {}
        for task in s.tasks:
            if task.deadline_working_days:
                by.setdefault(task.deadline_working_days, []).append(task.id)
        parts = []
        for n, ids in sorted(by.items()):
            what = ", ".join(ids) if len(ids) <= 3 else value("n_task_types", n=len(ids))
            parts.append(f"{n}: {what}")
        return "; ".join(parts) or "—"

    def admission(s: Any) -> str:
        a = s.admission
        if not a.enabled:
            return value("off")
        return value("admission", p=a.approval_probability, days=a.review_working_days,
                     pushed=a.pushed_anyway_share)

    def overtime(s: Any) -> str:
        return value("overtime", threshold=s.office.overtime_threshold_hours,
                     max=s.office.overtime_hours_max_per_day)

    def vols(s: Any) -> str:
        v = s.volunteers
        if v.teams == 0:
            return "—"
        return value("volunteers", teams=v.teams, members=v.members_per_team,
                     hours=v.hours_per_member_per_week, turnout=v.turnout)

    def meetings(s: Any) -> str:
        j = s.joint_meetings
        if not j.enabled:
            return "—"
        every = j.schedule.every
        if f"stress.every.{every}" in catalogue():
            every = t(f"stress.every.{every}", lang)
        return value("meetings", every=every, hours=j.duration_hours,
                     max=j.problems_per_meeting_max, members=j.part_time_members)

    rows = [
        row("workers", lambda s: s.office.workers),
        row("secretary", lambda s: value("yes") if s.office.secretary else "—"),
        row("dispatch", lambda s: s.office.dispatch),
        row("calendar", lambda s: s.scenario.calendar),
        row("hours", hours),
        row("overtime", overtime),
        row("admission", admission),
        row("tasks", lambda s: len(s.tasks)),
        row("deadlines", deadlines),
        row("managed", lambda s: f"{s.problems.managed_estate_share:g}"),
        row("red_property", lambda s: f"{s.problems.red_property_coverage:g}"),
        row("volunteers", vols),
        row("meetings", meetings),
        row("target", lambda s: f"{s.problems.resolution_target_days:g}"),
    ]
    head = "<th></th>" + "".join(f"<th>{esc(run_name(r, lang))}</th>" for r in runs)
    return f'<div class="tw"><table class="logic"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
