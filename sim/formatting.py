"""Number formatting shared by the text tables and the HTML report."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any


def finite(x: Any) -> bool:
    """True for a finite number (False for None, NaN, inf and non-numbers)."""
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def decimals(*xs: Any) -> int:
    """Decimals to show for numbers of the size of ``xs``: 0 from 1,000, 1 from 100, 2 from 1
    (and for 0), else enough for three significant digits (at most 6)."""
    ref = max((abs(float(x)) for x in xs if finite(x)), default=0.0)
    if ref >= 1000:
        return 0
    if ref >= 100:
        return 1
    if ref >= 1 or ref == 0:
        return 2
    return min(6, 2 - math.floor(math.log10(ref)))


MINUS = "\u2212"
"""The typographic minus sign the report and the figures print (tables print ASCII '-')."""


def number(x: Any, d: int, sign: bool = False, *, na: str = "n/a", minus: str = "-") -> str:
    """``x`` with ``d`` decimals and thousands separators (``sign``: always a sign); ``na``
    for None, NaN and infinities; never "-0"; ``minus`` for the minus sign."""
    if not finite(x):
        return na
    x = round(float(x), d) + 0.0  # no "-0"
    s = f"{x:+,.{d}f}" if sign else f"{x:,.{d}f}"
    return s.replace("-", minus) if minus != "-" else s


def interval(lo: Any, hi: Any, d: int, sign: bool = False, *, na: str = "n/a",
             minus: str = "-") -> str:
    """A confidence interval as ``[lo, hi]`` (both with :func:`number`), or ``na`` when
    either end is not finite."""
    if not (finite(lo) and finite(hi)):
        return na
    return f"[{number(lo, d, sign, minus=minus)}, {number(hi, d, sign, minus=minus)}]"


def significant(x: Any, sign: bool = False, *, na: str = "n/a", minus: str = MINUS,
                pad: bool = True) -> str:
    """About three significant digits, for labels in figures and short tables: no decimals
    from 100 (thousands separated), one from 10, then two (``pad``; also for 0) or three
    significant digits (not ``pad``); ``na`` for None, NaN and infinities."""
    if not finite(x):
        return na
    x = float(x) + 0.0  # no "-0.00"
    a = abs(x)
    s = "+" if sign else ""
    if a >= 100:
        out = f"{x:{s},.0f}"
    elif a >= 10:
        out = f"{x:{s}.1f}"
    elif pad and (a >= 1 or a == 0):
        out = f"{x:{s}.2f}"
    else:
        out = f"{x:{s}.3g}"
    return out.replace("-", minus) if out.startswith("-") else out



def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - text_width(text))
    return fill + text if right else text + fill


def align(rows: list[list[str]], right: Sequence[bool]) -> str:
    """A text table of ``rows`` (the first is the header, underlined), columns padded to
    their widest cell, right-aligned where ``right`` says."""
    widths = [max(text_width(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(_pad(c, w, r) for c, w, r in zip(row, widths, right, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def json_number(x: Any) -> float | None:
    """A number for JSON: a float, or None for None, NaN and infinities (which JSON lacks)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def json_clean(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, infinities) inside dicts, lists and tuples
    replaced by None; everything else (ints, strings, booleans) as it is."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_clean(v) for v in obj]
    return obj
