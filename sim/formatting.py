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


def fixed(x: float | None, d: int, sign: bool = False) -> str:
    """``x`` with ``d`` decimals and thousands separators (``sign``: always a sign); "n/a"
    for None, NaN and inf."""
    if x is None or not math.isfinite(x):
        return "n/a"
    x = round(x, d) + 0.0  # no "-0"
    return f"{x:+,.{d}f}" if sign else f"{x:,.{d}f}"


def interval(lo: float, hi: float, d: int, sign: bool = False) -> str:
    """``[lo, hi]`` formatted as :func:`fixed`; "n/a" unless both ends are finite."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"[{fixed(lo, d, sign)}, {fixed(hi, d, sign)}]"


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
