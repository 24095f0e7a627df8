"""What the sections of the report share: escaping, numbers, scenario values and names."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from sim.formatting import MINUS, interval, number
from sim.text import t

__all__ = ["LANGS", "ci_text", "esc", "num", "run_name", "slug", "value_text"]

LANGS = ("en", "zh")

esc = html.escape


def num(x: Any, d: int, sign: bool = False, lang: str = "en") -> str:
    """``x`` with ``d`` decimals, a typographic minus, "n/a" in ``lang`` when not finite."""
    return number(x, d, sign, na=t("na", lang), minus=MINUS)


def ci_text(lo: Any, hi: Any, d: int, sign: bool = False, lang: str = "en") -> str:
    """``[lo, hi]``, or "" when either end is not finite."""
    return interval(lo, hi, d, sign, na="", minus=MINUS)


def value_text(v: Any) -> str:
    """A scenario value as short text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {value_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    if v is None:
        return "—"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def run_name(run: Any, lang: str) -> str:
    """The scenario's name in ``lang`` (``name_zh`` if set)."""
    meta = run.scenario.scenario
    return meta.name_zh if lang == "zh" and meta.name_zh else meta.name


def slug(text: str) -> str:
    """``text`` as a CSS class or id fragment."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
