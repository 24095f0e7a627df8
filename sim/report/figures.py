"""The report's figures: the figures of :mod:`sim.plots` as inline SVG (ids prefixed so that
several live in one page, no metadata, scaled to the page) with numbered captions."""

from __future__ import annotations

import functools
import io
import re
from typing import Any

from sim.report.common import esc
from sim.text import t


def inline_svg(fig: Any, prefix: str, lang: str) -> str:
    """Inline SVG of a figure: no XML header, no metadata, no namespace URLs; ids prefixed so
    that several figures can live in one page; scales with the page."""
    from sim.plots import style

    buf = io.StringIO()
    with style(lang):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    s = buf.getvalue()
    s = s[s.index("<svg"):]
    s = re.sub(r"<metadata>.*?</metadata>\s*", "", s, flags=re.S)
    s = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", s)
    ids = set(re.findall(r'\bid="([^"]+)"', s))
    if ids:
        s = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', s)
        s = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m[1]}"' if m[1] in ids else m[0], s)
        s = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})" if m[1] in ids else m[0], s)
    m = re.match(r'<svg([^>]*)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', s)
    if m:
        width = float(m[2])
        s = re.sub(r'\swidth="[\d.]+pt"\s+height="[\d.]+pt"',
                   f' role="img" style="width:100%;max-width:{width * 4 / 3:.0f}px;height:auto"', s, count=1)
    return s


# (id, figure builder): titles and captions are report.figures.ID.title / .caption.
_FIGURES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("fig-headline", "headline_bars", {}),
    ("fig-forest", "forest", {}),
    ("fig-hours-category", "hours_by_category", {"by": "category"}),
    ("fig-hours-origin", "hours_by_category", {"by": "origin"}),
    ("fig-workload", "workload_over_time", {}),
    ("fig-resolution", "resolution_ecdf", {}),     # these two need the event logs
    ("fig-opinion", "opinion_on_time", {}),
    ("fig-utilisation", "utilisation_over_time", {}),
)
_NEED_EVENTS = ("fig-resolution", "fig-opinion")


def figures(comp: Any, lang: str) -> list[tuple[str, str, str, Any]]:
    """(id, title, caption, figure builder) of the report's figures; those that need event
    logs only when every run has them."""
    from sim import plots

    has_events = all(r.events is not None for r in comp.runs)
    return [(fid, figure_title(fid, lang), figure_caption(fid, lang),
             functools.partial(getattr(plots, func), comp, lang=lang, **kw))
            for fid, func, kw in _FIGURES if has_events or fid not in _NEED_EVENTS]


def figure_title(fid: str, lang: str) -> str:
    """The title of figure ``fid`` in ``lang``."""
    return t(f"report.figures.{fid}.title", lang)


def figure_caption(fid: str, lang: str) -> str:
    """The caption of figure ``fid`` in ``lang``."""
    return t(f"report.figures.{fid}.caption", lang)


def figure_block(label: int | str, fid: str, title: str, caption: str, fig: Any, lang: str,
                 prefix: str | None = None) -> str:
    """A numbered figure (``label``: 1, 2, ... or "A1") with its caption; the SVG's ids get
    ``prefix`` (default ``f`` + label) so that they are unique in the page."""
    svg = inline_svg(fig, prefix or f"f{label}", lang)
    head = f"{t('report.figure', lang)} {label}"
    return (f'<figure id="{fid}"><div class="fig">{svg}</div>'
            f"<figcaption><b>{esc(head)}. {esc(title)}.</b> {esc(caption)}</figcaption></figure>")
