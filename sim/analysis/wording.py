"""The sentences of an ensemble in English and Chinese: how sure a verdict is across worlds
("Overtime per worker falls in 200 of 200 sampled worlds (better); ...") and where a
discovered box lies. :func:`sim.analysis.explore.summarise` writes the English sentence with
:func:`robustness_sentence`; the report's "How sure are we" writes either language from the
same counts (the Chinese one from an ensemble's JSON as well, which keeps the counts as
shares).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.formatting import significant
from sim.metrics import metric
from sim.text import catalogue, t
from sim.text import unit as unit_text
from sim.text import verdict as verdict_text

__all__ = ["box_sentence", "counts", "period_unit", "robustness_sentence", "verb"]


def verb(name: str, up: bool, lang: str = "en") -> str:
    """"rises" / "falls" for shares, counts, hours and days; "is higher" / "is lower" for
    the rest and for a metric without direction."""
    m = metric(name)
    if m.direction and (m.unit == "share" or m.unit.endswith("year")
                        or m.unit in ("hours", "days", "working days", "count")):
        word = "rises" if up else "falls"
    else:
        word = "higher" if up else "lower"
    return t(f"ensemble.verb.{word}", lang)


def _fmt(x: float) -> str:
    return significant(x, sign=True)


def robustness_sentence(name: str, n: int, up: int, down: int, q: Any, lang: str = "en",
                        unit: str | None = None) -> str:
    """The sentence for a metric whose interval lies above 0 in ``up`` and below 0 in ``down``
    of ``n`` worlds; ``q``: the effect's median, 5 % and 95 % across worlds; ``unit``: the
    unit as shown (default: the metric's)."""
    m = metric(name)
    zh = lang == "zh"
    if unit is None:
        unit = unit_text(m.unit, lang) if zh else m.unit
    unit = f" {unit}" if unit and m.unit != "share" else ""
    lab = m.label_zh if zh else m.label
    rest = n - up - down
    if n == 0 or (up == 0 and down == 0):
        sentence = t("ensemble.none", lang, label=lab, n=n)
    else:
        rising = up >= down
        count, other = (up, down) if rising else (down, up)
        sentence = t("ensemble.head", lang, label=lab, verb=verb(name, rising, lang),
                     count=count, n=n)
        if m.direction:
            better = rising == (m.direction > 0)
            sentence += t("ensemble.verdict", lang,
                          verdict=verdict_text("better" if better else "worse", lang))
        if other:
            sentence += t("ensemble.other", lang, verb=verb(name, not rising, lang), other=other)
        if rest:
            sentence += t("ensemble.rest", lang, rest=rest)
    if n and math.isfinite(q[0]):
        sentence += t("ensemble.effect", lang, median=_fmt(q[0]), p05=_fmt(q[1]), p95=_fmt(q[2]),
                      unit=unit)
    return sentence + ("。" if zh else ".")


def counts(h: Mapping[str, Any], n: int) -> tuple[int, int]:
    """(worlds above 0, worlds below 0) of a headline entry: its counts, or from an
    ensemble's JSON its shares times the worlds."""
    if "worlds_up" in h:
        return int(h["worlds_up"]), int(h["worlds_down"])
    up, down = h.get("share_higher"), h.get("share_lower")
    return (round(float(up or 0.0) * n), round(float(down or 0.0) * n))


def box_sentence(box: Mapping[str, Any], full: Mapping[str, tuple[float, float]],
                 lang: str = "en") -> str:
    """A discovered box in words (English: the box's own sentence); ``full``: each factor's
    observed range (a limit at its end is one-sided)."""
    if lang != "zh":
        return str(box["sentence"])
    m = metric(box["metric"])
    op = str(box["condition"])[len(box["metric"]):].strip()
    lab = m.label_zh if lang == "zh" else m.label
    what = (t("ensemble.condition", lang, label=lab, op=t(f"ensemble.op.{op}", lang))
            if f"ensemble.op.{op}" in catalogue() else
            t("ensemble.condition_effect", lang, label=lab, op=op))
    parts = []
    for name, (lo, hi) in box["limits"].items():
        flo, fhi = full.get(name, (-math.inf, math.inf))
        # an ensemble read back has its inputs to 10 significant digits (worlds.csv)
        tol = 1e-9 * max(abs(flo), abs(fhi), 1.0) if math.isfinite(flo + fhi) else 0.0
        flo, fhi = flo + tol, fhi - tol
        if lo <= flo:
            parts.append(f"{name} <= {hi:.3g}")
        elif hi >= fhi:
            parts.append(f"{name} >= {lo:.3g}")
        else:
            parts.append(f"{lo:.3g} <= {name} <= {hi:.3g}")
    where = (t("ensemble.box_when", lang, limits=t("ensemble.box_and", lang).join(parts))
             if parts else t("ensemble.box_anywhere", lang))
    return t("ensemble.box", lang, what=what, where=where, density=f"{box['density']:.0%}",
             coverage=f"{box['coverage']:.0%}", cases=box["cases"], worlds=box["worlds"],
             method=box["method"].upper())


def period_unit(name: str, days: int, lang: str = "en") -> str | None:
    """The unit of a city figure that is a total over the city's period ("in 304 days"),
    None for a share, mean or per-worker figure (its unit is the metric's)."""
    u = metric(name).unit
    if u in ("per year", "hours/year") and not name.endswith("_per_worker_year"):
        return t("ensemble.period_hours" if u == "hours/year" else "ensemble.period", lang,
                 days=days)
    return None
