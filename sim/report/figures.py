"""The report's figures: the figures of :mod:`sim.plots` as inline SVG (ids prefixed so that
several live in one page, no metadata, scaled to the page) with numbered captions."""

from __future__ import annotations

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


def figures(comp: Any, lang: str) -> list[tuple[str, str, str, Any]]:
    """(id, title, caption, figure builder) of the report's figures."""
    from sim import plots

    zh = lang == "zh"
    has_events = all(r.events is not None for r in comp.runs)
    out = [
        ("fig-headline", "主要指标" if zh else "Headline metrics",
         "各方案主要指标的均值,误差线为 95% 置信区间。" if zh else
         "Each headline metric per scenario: the mean over replications, with its 95% confidence interval.",
         lambda: plots.headline_bars(comp, lang=lang)),
        ("fig-forest", "相对基线的变化" if zh else "Change against the baseline",
         "每个主要指标的配对差值占基线均值的百分比及 95% 置信区间;颜色表示结论,右侧为绝对差值。"
         "基线为 0 的指标没有相对刻度,只列出绝对差值。" if zh else
         "Paired differences as per cent of the baseline mean, with 95% confidence intervals, "
         "coloured by verdict; the absolute differences are written on the right. Metrics whose "
         "baseline is 0 have no relative scale and show only the absolute difference.",
         lambda: plots.forest(comp, lang=lang)),
        ("fig-hours-category", "按工作类别的工时" if zh else "Staff hours by kind of work",
         "社工和书记每年工时,按工作类别堆叠(绿色为服务居民,暖色和紫色为行政事务);柱顶为总工时及行政占比。" if zh else
         "Hours a year worked by the workers and the secretary, stacked by kind of work (greens: "
         "serving residents; warm colours and purples: administration); the total and the "
         "administration share are written on top.",
         lambda: plots.hours_by_category(comp, by="category", lang=lang)),
        ("fig-hours-origin", "按工作来源的工时" if zh else "Staff hours by who asks for the work",
         "社工和书记每年工时,按工作来源(职能部门、居民、社区自身)堆叠。" if zh else
         "The same hours split by who asks for the work: government departments, residents, or "
         "the office itself.",
         lambda: plots.hours_by_category(comp, by="origin", lang=lang)),
        ("fig-workload", "全年工作积压" if zh else "Backlog over the year",
         "每天下班时社工待办的工作量(小时)和排队等待开始的事项数;线为各次重复的均值,阴影为重复之间的离散。" if zh else
         "Open work waiting for the workers at the end of each day (hours of effort) and tasks "
         "waiting to be started: the line is the mean over replications, the band their spread.",
         lambda: plots.workload_over_time(comp, lang=lang)),
    ]
    if has_events:
        out += [
            ("fig-resolution", "群众诉求解决时间" if zh else "Time to resolve residents' problems",
             "在 x 天内解决的群众诉求占全部诉求的比例(各次重复合并);未解决的诉求使曲线低于 100%。虚线为目标天数。" if zh else
             "Share of all residents' problems resolved within x days of arrival (pooled over "
             "replications); unresolved problems keep a curve below 100%. The dashed line is the "
             "target.",
             lambda: plots.resolution_ecdf(comp, lang=lang)),
            ("fig-opinion", "征求意见按期反馈" if zh else "Opinion replies on time",
             "征求意见按期反馈率:全年(左,含 95% 置信区间)以及按提出月份(右上),右下为每月事项数,可见评先评优季节。" if zh else
             "Opinion requests answered within their deadline: over the year (left, with 95% "
             "confidence intervals), by month of arrival (top right), and the number of requests "
             "per month (bottom right), where the award season shows.",
             lambda: plots.opinion_on_time(comp, lang=lang)),
        ]
    out.append(
        ("fig-utilisation", "忙碌率" if zh else "Utilisation",
         "社工、书记和志愿者的周均忙碌率(工作时间内工作的比例);线为各次重复的均值,阴影为重复之间的离散。" if zh else
         "Weekly utilisation of the workers, the secretary and the volunteers (share of their "
         "available hours spent working): the mean over replications with a band across them.",
         lambda: plots.utilisation_over_time(comp, lang=lang)))
    return out


def figure_block(n: int, fid: str, title: str, caption: str, fig: Any, lang: str) -> str:
    svg = inline_svg(fig, f"f{n}", lang)
    head = f"{t('report.figure', lang)} {n}"
    return (f'<figure id="{fid}"><div class="fig">{svg}</div>'
            f"<figcaption><b>{esc(head)}. {esc(title)}.</b> {esc(caption)}</figcaption></figure>")
