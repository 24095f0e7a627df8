"""Number formatting shared by the text tables and the HTML report."""

from __future__ import annotations

import math
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
