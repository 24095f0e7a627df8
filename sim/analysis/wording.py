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
from sim.text import unit as unit_text
from sim.text import verdict as verdict_text

__all__ = ["box_sentence", "counts", "robustness_sentence", "verb"]

_ZH_VERBS = {"rises": "上升", "falls": "下降", "is higher": "较高", "is lower": "较低"}


def verb(name: str, up: bool, lang: str = "en") -> str:
    """"rises" / "falls" for shares, counts, hours and days; "is higher" / "is lower" for
    the rest and for a metric without direction."""
    m = metric(name)
    if m.direction and (m.unit == "share" or m.unit.endswith("year")
                        or m.unit in ("hours", "days", "working days", "count")):
        word = "rises" if up else "falls"
    else:
        word = "is higher" if up else "is lower"
    return _ZH_VERBS[word] if lang == "zh" else word


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
        sentence = (f"{lab}:{n} 个抽样情景中均无明显变化" if zh else
                    f"{lab}: no clear change in any of {n} sampled worlds")
    else:
        rising = up >= down
        count, other = (up, down) if rising else (down, up)
        better = rising == (m.direction > 0)
        if zh:
            sentence = f"{lab}在 {n} 个抽样情景中的 {count} 个{verb(name, rising, lang)}"
            if m.direction:
                sentence += f"({verdict_text('better' if better else 'worse', lang)})"
            if other:
                sentence += f",{other} 个{verb(name, not rising, lang)}"
            if rest:
                sentence += f",{rest} 个无明显变化"
        else:
            sentence = f"{lab} {verb(name, rising)} in {count} of {n} sampled worlds"
            if m.direction:
                sentence += f" ({'better' if better else 'worse'})"
            if other:
                sentence += f", {verb(name, not rising)} in {other}"
            if rest:
                sentence += f", no clear change in {rest}"
    if n and math.isfinite(q[0]):
        sentence += (f";效应中位数 {_fmt(q[0])}{unit},5-95% 区间 {_fmt(q[1])} 至 {_fmt(q[2])}"
                     f"{unit}" if zh else
                     f"; effect median {_fmt(q[0])}{unit}, 5-95% {_fmt(q[1])} to {_fmt(q[2])}"
                     f"{unit}")
    return sentence + ("。" if zh else ".")


def counts(h: Mapping[str, Any], n: int) -> tuple[int, int]:
    """(worlds above 0, worlds below 0) of a headline entry: its counts, or from an
    ensemble's JSON its shares times the worlds."""
    if "worlds_up" in h:
        return int(h["worlds_up"]), int(h["worlds_down"])
    up, down = h.get("share_higher"), h.get("share_lower")
    return (round(float(up or 0.0) * n), round(float(down or 0.0) * n))


_ZH_OPS = {"better": "更好", "worse": "更差", "unclear": "无明显差异", "not better": "并非更好",
           "not worse": "并非更差"}


def box_sentence(box: Mapping[str, Any], full: Mapping[str, tuple[float, float]],
                 lang: str = "en") -> str:
    """A discovered box in words (English: the box's own sentence); ``full``: each factor's
    observed range (a limit at its end is one-sided)."""
    if lang != "zh":
        return str(box["sentence"])
    m = metric(box["metric"])
    cond = str(box["condition"])
    op = cond[len(box["metric"]):].strip()
    what = f"{m.label_zh}:{_ZH_OPS[op]}" if op in _ZH_OPS else f"{m.label_zh}:效应 {op}"
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
    where = f"当 {' 且 '.join(parts)} 时" if parts else "在整个抽样范围内"
    return (f"{what},{where}:此类情景中 {box['density']:.0%} 如此,覆盖 {box['coverage']:.0%} "
            f"的情形({box['worlds']} 个情景中 {box['cases']} 个;{box['method'].upper()})")


def period_unit(name: str, days: int, lang: str = "en") -> str | None:
    """The unit of a city figure that is a total over the city's period ("in 304 days"),
    None for a share, mean or per-worker figure (its unit is the metric's)."""
    u = metric(name).unit
    if u in ("per year", "hours/year") and not name.endswith("_per_worker_year"):
        if u == "hours/year":
            return f"{days} 天合计(小时)" if lang == "zh" else f"hours in {days} days"
        return f"{days} 天合计" if lang == "zh" else f"in {days} days"
    return None
