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

:func:`write_report` runs the comparison (with event logs) when given scenario files, and
writes the page. ``sim report A.toml B.toml -o report.html`` is the command line for it.
"""

from __future__ import annotations

import html
import io
import math
import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

from sim import __version__
from sim.errors import InputError
from sim.formatting import decimals, finite
from sim.metrics import HEADLINE, metric

__all__ = ["build_report", "write_report"]

LANGS = ("en", "zh")

# --------------------------------------------------------------------------- words
_T: dict[str, tuple[str, str]] = {
    "title": ("Community office workload: {names}", "社区工作负担模拟报告:{names}"),
    "subtitle": ("{n} scenarios, {r} paired replications each, seed {seed}; community-office-sim {v}",
                 "{n} 个方案,各 {r} 次配对重复,随机种子 {seed};community-office-sim {v}"),
    "contents": ("Contents", "目录"),
    "s_question": ("The question", "研究问题"),
    "s_scenarios": ("The scenarios", "比较的方案"),
    "s_differs": ("What differs between them", "方案之间的差别"),
    "s_headline": ("Headline results", "主要结果"),
    "s_figures": ("Figures", "图表"),
    "s_metrics": ("All metrics", "全部指标"),
    "s_stress": ("Model documentation (STRESS-DES)", "模型说明(STRESS-DES)"),
    "question": (
        "What does a policy change in the daily work of an urban community office (社区)? "
        "This report compares {others} with the baseline <b>{base}</b>: how the staff's hours "
        "move between administration and serving residents, how much overtime they work, how "
        "many tasks they refuse, whether opinion requests are answered on time, and how many "
        "residents' problems are solved, and how fast.",
        "一项政策会如何改变城市社区工作站的日常工作?本报告将{others}与基线方案<b>{base}</b>"
        "进行比较:社工和书记的工时在行政事务与服务居民之间如何转移、加班多少、拒绝了多少事项、"
        "征求意见是否按期反馈,以及群众诉求解决了多少、解决得多快。"),
    "question_how": (
        "Each scenario is simulated for {days} with the same {r} replications (seed {seed}). "
        "Replication r of every scenario draws the same random numbers for what the scenarios "
        "share (common random numbers), so each difference is measured replication by "
        "replication (paired) and comes with a 95% confidence interval. A verdict says "
        "\"better\" or \"worse\" only when that interval excludes zero.",
        "每个方案模拟{days},使用相同的 {r} 次重复(随机种子 {seed})。各方案的第 r 次重复对共同的随机来源"
        "使用相同的随机数(公共随机数),因此差值按重复逐一配对计算,并给出 95% 置信区间。"
        "只有当置信区间不含 0 时,结论才判为“更好”或“更差”。"),
    "baseline_tag": ("baseline", "基线"),
    "scenario": ("Scenario", "方案"),
    "file": ("File", "文件"),
    "hash": ("Content hash", "内容哈希"),
    "description": ("Description", "说明"),
    "horizon": ("Horizon", "模拟时长"),
    "days_from": ("{days} days from {start}", "自 {start} 起 {days} 天"),
    "levers_on": ("Reform levers switched on in <b>{name}</b> and not in the baseline",
                  "<b>{name}</b> 启用而基线未启用的改革措施"),
    "levers_off": ("Levers on in the baseline but not in <b>{name}</b>",
                   "基线启用而 <b>{name}</b> 未启用的措施"),
    "no_levers": ("No lever differs; the scenarios differ only in the parameters below.",
                  "两方案的措施相同,仅下列参数不同。"),
    "lever": ("Lever", "措施"),
    "what": ("What it does", "内容"),
    "sets": ("Sets", "设定"),
    "source": ("Source", "来源"),
    "param_diff": ("Every parameter that differs ({n}), <b>{base}</b> → <b>{name}</b>",
                   "全部不同的参数({n} 项),<b>{base}</b> → <b>{name}</b>"),
    "parameter": ("Parameter", "参数"),
    "no_diff": ("The scenarios have identical parameters.", "两方案参数完全相同。"),
    "in_short": ("The answer in short (headline metrics)", "简要结论(主要指标)"),
    "finding": ("{label}: {base} → {scen} ({diff}), {verdict}",
                "{label}:{base} → {scen}({diff}),{verdict}"),
    "metric": ("Metric", "指标"),
    "unit": ("Unit", "单位"),
    "baseline_mean": ("Baseline: mean [95% CI]", "基线:均值 [95% 置信区间]"),
    "scenario_mean": ("Scenario: mean [95% CI]", "方案:均值 [95% 置信区间]"),
    "difference": ("Paired difference [95% CI]", "配对差值 [95% 置信区间]"),
    "mean_ci": ("mean [95% CI]", "均值 [95% 置信区间]"),
    "relative": ("Relative", "相对变化"),
    "verdict": ("Verdict", "结论"),
    "table_note": (
        "Means over replications with 95% Student-t confidence intervals; the difference is "
        "scenario minus baseline, paired by replication; \"relative\" is the difference over "
        "the baseline mean. Shares are shown in per cent and their differences in percentage "
        "points (pp). The verdict uses the metric's direction (e.g. less overtime is better); "
        "\"higher\"/\"lower\" for metrics that are neither good nor bad in themselves.",
        "各次重复的均值及 95% t 置信区间;差值为方案减基线,按重复配对;相对变化为差值除以基线均值。"
        "占比以百分数表示,其差值以百分点表示。结论依据指标的方向判断(例如加班越少越好);"
        "本身无好坏之分的指标记为“更高”或“更低”。"),
    "hidden": ("{n} more metrics are 0 or undefined in every scenario and are not shown.",
               "另有 {n} 项指标在所有方案中均为 0 或无定义,未列出。"),
    "tasks_title": ("Task types: yearly means per replication", "事项类型:每次重复的年均值"),
    "task": ("Task type", "事项类型"),
    "category": ("Category", "类别"),
    "origin": ("From", "来源"),
    "arrived": ("arrived", "到达"),
    "refused": ("refused", "拒绝"),
    "completed": ("done", "完成"),
    "wait": ("wait h", "等待(小时)"),
    "on_time": ("on time", "按期"),
    "no_events": ("This comparison was run without event logs (events=True), so the figures "
                  "that need them (resolution times, opinion replies by month) are left out.",
                  "本次比较未记录事项日志(events=True),因此需要日志的图(诉求解决时间、按月征求意见反馈)未列出。"),
    "figure": ("Figure", "图"),
    "pp": ("pp", "个百分点"),
    "na": ("n/a", "无数据"),
    "cite": ("Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). "
             "Strengthening the reporting of empirical simulation studies: Introducing the STRESS "
             "guidelines. Journal of Simulation 13(1): 55-67. doi:10.1080/17477778.2018.1442155",
             "Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). "
             "Strengthening the reporting of empirical simulation studies: Introducing the STRESS "
             "guidelines. Journal of Simulation 13(1): 55-67. doi:10.1080/17477778.2018.1442155"),
    "stress_intro": (
        "This section documents the model and the experiment following the STRESS-DES checklist "
        "for discrete-event simulation studies:", "本节按照离散事件仿真研究的 STRESS-DES 报告清单说明模型与实验:"),
    "x_objectives": ("1. Objectives", "1. 目标"),
    "x_logic": ("2. Logic", "2. 模型逻辑"),
    "x_data": ("3. Data", "3. 数据"),
    "x_experimentation": ("4. Experimentation", "4. 实验设计"),
    "x_implementation": ("5. Implementation", "5. 实现"),
    "x_code": ("6. Code access", "6. 代码获取"),
    "purpose": ("1.1 Purpose of the model", "1.1 模型用途"),
    "outputs": ("1.2 Model outputs", "1.2 模型输出"),
    "aims": ("1.3 Experimentation aims", "1.3 实验目的"),
    "overview": ("2.1 Base model overview", "2.1 基础模型概览"),
    "base_logic": ("2.2 Base model logic", "2.2 基础模型逻辑"),
    "scenario_logic": ("2.3 Scenario logic", "2.3 方案逻辑"),
    "algorithms": ("2.4 Algorithms", "2.4 算法"),
    "components": ("2.5 Components", "2.5 模型组成"),
    "data_sources": ("3.1 Data sources", "3.1 数据来源"),
    "preprocessing": ("3.2 Pre-processing", "3.2 数据预处理"),
    "inputs": ("3.3 Input parameters", "3.3 输入参数"),
    "assumptions": ("3.4 Assumptions", "3.4 假设"),
    "initialisation": ("4.1 Initialisation", "4.1 初始化"),
    "run_length": ("4.2 Run length", "4.2 运行时长"),
    "estimation": ("4.3 Estimation approach", "4.3 估计方法"),
    "software": ("5.1 Software", "5.1 软件"),
    "sampling": ("5.2 Random sampling", "5.2 随机抽样"),
    "execution": ("5.3 Model execution", "5.3 模型执行"),
    "system": ("5.4 System specification and run time", "5.4 系统配置与运行时间"),
    "sharing": ("6.1 Computer model sharing statement", "6.1 模型共享说明"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    en, zh = _T[key]
    return (zh if lang == "zh" else en).format(**kw)


_E = html.escape

_VERDICT_ZH = {"better": "更好", "worse": "更差", "no clear difference": "无明显差异",
               "higher": "更高", "lower": "更低"}
_UNIT_ZH = {"share": "占比", "hours/year": "小时/年", "per year": "件/年", "hours": "小时",
            "days": "天", "count": "件", "working days": "工作日", "%": "%"}

# --------------------------------------------------------------------------- formatting


def _num(x: Any, d: int, sign: bool = False, lang: str = "en") -> str:
    if not finite(x):
        return _t("na", lang)
    x = round(float(x), d) + 0.0
    s = f"{x:+,.{d}f}" if sign else f"{x:,.{d}f}"
    return s.replace("-", "−")


def _ci(lo: Any, hi: Any, d: int, sign: bool = False, lang: str = "en") -> str:
    if not (finite(lo) and finite(hi)):
        return ""
    return f"[{_num(lo, d, sign, lang)}, {_num(hi, d, sign, lang)}]"


def _unit(unit: str, lang: str) -> str:
    return _UNIT_ZH.get(unit, unit) if lang == "zh" else unit


def _label(name: str, lang: str) -> str:
    m = metric(name)
    return m.label_zh if lang == "zh" else m.label


def _verdict(v: str, lang: str) -> str:
    return _VERDICT_ZH.get(v, v) if lang == "zh" else v


def _value(v: Any) -> str:
    """A scenario value as short text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if v is None:
        return "—"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _name(run: Any, lang: str) -> str:
    meta = run.scenario.scenario
    return meta.name_zh if lang == "zh" and meta.name_zh else meta.name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# --------------------------------------------------------------------------- figures
def _svg(fig: Any, prefix: str, lang: str) -> str:
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


def _figures(comp: Any, lang: str) -> list[tuple[str, str, str, Any]]:
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


def _figure_block(n: int, fid: str, title: str, caption: str, fig: Any, lang: str) -> str:
    svg = _svg(fig, f"f{n}", lang)
    head = f"{_t('figure', lang)} {n}"
    return (f'<figure id="{fid}"><div class="fig">{svg}</div>'
            f"<figcaption><b>{_E(head)}. {_E(title)}.</b> {_E(caption)}</figcaption></figure>")


# --------------------------------------------------------------------------- tables
def _fmt_metric(name: str, lang: str) -> tuple[float, str, str]:
    """(scale, unit shown with values, unit shown with differences)."""
    unit = metric(name).unit
    if unit == "share":
        return 100.0, "%", _t("pp", lang)
    u = _unit(unit, lang)
    return 1.0, u, u


def _metric_rows(comp: Any, names: Sequence[str], lang: str, cls: str = "") -> tuple[list[str], int]:
    runs = comp.runs
    diffs = comp.differences
    rows: list[str] = []
    hidden = 0
    for name in names:
        parts = []
        vals = []
        for r in runs:
            s = r.summary
            vals.append(s.loc[name] if name in s.index else None)
        means = [float(v["mean"]) if v is not None else math.nan for v in vals]
        if not metric(name).headline and all(not finite(m) or m == 0.0 for m in means):
            hidden += 1
            continue
        scale, vunit, dunit = _fmt_metric(name, lang)
        d = decimals(*[m * scale for m in means if finite(m)])
        base = vals[0]

        def cell(v: Any, scale: float = scale, d: int = d) -> str:
            if v is None or not finite(v["mean"]):
                return f'<td class="num">{_t("na", lang)}</td>'
            ci = _ci(v["ci_low"] * scale, v["ci_high"] * scale, d, lang=lang)
            return (f'<td class="num">{_num(v["mean"] * scale, d, lang=lang)}'
                    f'{"<br><span class=ci>" + ci + "</span>" if ci else ""}</td>')

        k_rows = list(range(1, len(runs)))
        pair = len(runs) == 2
        span = len(k_rows)
        for j, k in enumerate(k_rows):
            row = diffs[(diffs["run"] == k) & (diffs["metric"] == name)]
            tds = []
            if j == 0:
                star = ' <span class="star" title="headline">★</span>' if metric(name).headline else ""
                tds.append(f'<th scope="row" rowspan="{span}">{_E(_label(name, lang))}{star}</th>')
                tds.append(f'<td rowspan="{span}">{_E(vunit)}</td>')
                tds.append(cell(base).replace("<td", f'<td rowspan="{span}"', 1))
            if not pair:
                tds.append(f"<td>{_E(_name(runs[k], lang))}</td>")
            tds.append(cell(vals[k]))
            if row.empty:
                tds += [f'<td class="num">{_t("na", lang)}</td>'] * 2 + ["<td></td>"]
            else:
                rr = row.iloc[0]
                diff = _num(rr["diff_mean"] * scale, d, True, lang)
                ci = _ci(rr["ci_low"] * scale, rr["ci_high"] * scale, d, True, lang)
                rel = (f"{_num(100 * rr['relative'], 1, True, lang)}%" if finite(rr["relative"])
                       else _t("na", lang))
                verdict = str(rr["verdict"])
                unit = f' <span class="u">{_E(dunit)}</span>' if finite(rr["diff_mean"]) else ""
                tds.append(f'<td class="num">{diff}{unit}'
                           f'{"<br><span class=ci>" + ci + "</span>" if ci else ""}</td>')
                tds.append(f'<td class="num">{rel}</td>')
                tds.append(f'<td><span class="v v-{_slug(verdict)}">{_E(_verdict(verdict, lang))}</span></td>')
            parts.append(f'<tr class="{cls}{" first" if j == 0 else ""}">' + "".join(tds) + "</tr>")
        rows.extend(parts)
    return rows, hidden


def _metric_table(comp: Any, names: Sequence[str], table_id: str, lang: str) -> str:
    runs = comp.runs
    if len(runs) == 2:  # one pair: the scenario names go into the header
        heads = [_E(_t("metric", lang)), _E(_t("unit", lang)),
                 f"{_E(_name(runs[0], lang))} ({_E(_t('baseline_tag', lang))})<br>"
                 f"<span class=ci>{_E(_t('mean_ci', lang))}</span>",
                 f"{_E(_name(runs[1], lang))}<br><span class=ci>{_E(_t('mean_ci', lang))}</span>",
                 _E(_t("difference", lang)), _E(_t("relative", lang)), _E(_t("verdict", lang))]
    else:
        heads = [_E(_t(k, lang)) for k in ("metric", "unit", "baseline_mean", "scenario",
                                           "scenario_mean", "difference", "relative", "verdict")]
    head = "".join(f"<th>{h}</th>" for h in heads)
    rows, hidden = _metric_rows(comp, names, lang)
    out = (f'<div class="tw"><table id="{table_id}" class="metrics"><thead><tr>{head}</tr></thead>'
           f'<tbody>{"".join(rows)}</tbody></table></div>')
    if hidden:
        out += f'<p class="note">{_E(_t("hidden", lang, n=hidden))}</p>'
    return out


def _findings(comp: Any, lang: str) -> str:
    items = []
    runs = comp.runs
    for k in range(1, len(runs)):
        part = comp.differences[comp.differences["run"] == k]
        if len(runs) > 2:
            items.append(f'<li class="sep">{_E(_name(runs[k], lang))}</li>')
        for name in HEADLINE:
            row = part[part["metric"] == name]
            if row.empty:
                continue
            rr = row.iloc[0]
            scale, vunit, dunit = _fmt_metric(name, lang)
            d = decimals(rr["baseline_mean"] * scale, rr["scenario_mean"] * scale)
            suffix = "%" if vunit == "%" else f" {vunit}"
            b = _num(rr["baseline_mean"] * scale, d, lang=lang)
            s = _num(rr["scenario_mean"] * scale, d, lang=lang)
            if finite(rr["diff_mean"]):
                diff = f"{_num(rr['diff_mean'] * scale, d, True, lang)} {dunit}"
                ci = _ci(rr["ci_low"] * scale, rr["ci_high"] * scale, d, True, lang)
                if ci:
                    diff += f" {ci}"
            else:
                diff = _t("na", lang)
            verdict = str(rr["verdict"])
            text = _t("finding", lang, label=_E(_label(name, lang)),
                      base=f"{b}{_E(suffix) if finite(rr['baseline_mean']) else ''}",
                      scen=f"{s}{_E(suffix) if finite(rr['scenario_mean']) else ''}",
                      diff=_E(diff),
                      verdict=f'<span class="v v-{_slug(verdict)}">{_E(_verdict(verdict, lang))}</span>')
            items.append(f"<li>{text}</li>")
    return "<ul class=findings>" + "".join(items) + "</ul>"


def _task_table(comp: Any, lang: str) -> str:
    runs = comp.runs
    ids: dict[str, None] = {}
    for r in runs:
        for tid in r.tasks.index:
            ids[tid] = None
    from sim.metrics import CATEGORY_LABELS_ZH, ORIGIN_LABELS_ZH

    fields = ("arrived", "refused", "completed", "wait_hours_mean", "on_time_rate")
    heads = ("arrived", "refused", "completed", "wait", "on_time")
    top = "".join(f'<th colspan="{len(fields)}">{_E(_name(r, lang))}</th>' for r in runs)
    sub = "".join(f"<th>{_E(_t(h, lang))}</th>" for _ in runs for h in heads)
    body = []
    for tid in ids:
        info = next(r.tasks.loc[tid] for r in runs if tid in r.tasks.index)
        name = (info["name_zh"] or info["name"]) if lang == "zh" else (info["name"] or tid)
        cat = str(info["category"])
        org = str(info["origin"])
        if lang == "zh":
            cat, org = CATEGORY_LABELS_ZH.get(cat, cat), ORIGIN_LABELS_ZH.get(org, org)
        tds = [f'<th scope="row">{_E(str(name))} <span class="id">{_E(tid)}</span></th>',
               f"<td>{_E(cat)}</td><td>{_E(org)}</td>"]
        for r in runs:
            if tid not in r.tasks.index:
                tds.append(f'<td colspan="{len(fields)}" class="off">—</td>')
                continue
            row = r.tasks.loc[tid]
            for f in fields:
                v = row[f]
                if f == "on_time_rate":
                    tds.append(f'<td class="num">{_num(100 * v, 0, lang=lang) + "%" if finite(v) else ""}</td>')
                elif f == "wait_hours_mean":
                    tds.append(f'<td class="num">{_num(v, 1, lang=lang) if finite(v) else ""}</td>')
                else:
                    tds.append(f'<td class="num">{_num(v, 1, lang=lang)}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (f'<h3>{_E(_t("tasks_title", lang))}</h3><div class="tw"><table class="tasks"><thead>'
            f'<tr><th rowspan="2">{_E(_t("task", lang))}</th><th rowspan="2">{_E(_t("category", lang))}</th>'
            f'<th rowspan="2">{_E(_t("origin", lang))}</th>{top}</tr><tr>{sub}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


# --------------------------------------------------------------------------- scenarios
def _lever_text(lever: Any, lang: str) -> str:
    return lever.description_zh if lang == "zh" and lever.description_zh else lever.description


def _levers_table(levers: Sequence[Any], lang: str) -> str:
    rows = []
    for lv in levers:
        sets = "<br>".join(f"<code>{_E(p)} = {_E(_value(v))}</code>" for p, v in lv.set.items())
        rows.append(f'<tr><th scope="row"><code>{_E(lv.name)}</code></th><td>{_E(_lever_text(lv, lang))}</td>'
                    f'<td class="sets">{sets}</td><td class="src">{_E(lv.source)}</td></tr>')
    head = "".join(f"<th>{_E(_t(k, lang))}</th>" for k in ("lever", "what", "sets", "source"))
    cols = '<colgroup><col style="width:15%"><col style="width:31%"><col style="width:24%"><col style="width:30%"></colgroup>'
    return (f'<div class="tw"><table class="levers">{cols}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _lever_source(scenario: Any, path: str, short: bool = False) -> str | None:
    """The citation of the enabled lever that sets ``path`` (or a table containing it);
    ``short``: only the lever's name (its source is in the lever table)."""
    for lv in scenario.levers:
        if not lv.enabled:
            continue
        for key in lv.set:
            if path == key or path.startswith(key + ".") or path.startswith(key + "["):
                return f"lever {lv.name}" if short else f"lever {lv.name}: {lv.source}"
    return None


def _param_source(scenario: Any, path: str, short: bool = False) -> str:
    from sim.scenario import source_of

    return _lever_source(scenario, path, short) or source_of(scenario, path)


def _colgroup(n_values: int) -> str:
    """Column widths of a parameter table: path, ``n_values`` value columns, source."""
    each = max(8, 28 // max(1, n_values))
    return ('<colgroup><col style="width:32%">' + f'<col style="width:{each}%">' * n_values
            + "<col></colgroup>")


def _grouped(rows: Sequence[tuple[list[str], str]]) -> str:
    """Table rows (cells, source cell html); consecutive rows with the same source share
    one source cell."""
    out = []
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1][1] == rows[i][1]:
            j += 1
        for k in range(i, j + 1):
            extra = f'<td class="src" rowspan="{j - i + 1}">{rows[i][1]}</td>' if k == i else ""
            out.append("<tr>" + "".join(rows[k][0]) + extra + "</tr>")
        i = j + 1
    return "".join(out)


_SKIP_DIFF = ("scenario.name", "scenario.name_zh", "scenario.description")


def _differs_section(comp: Any, lang: str) -> str:
    from sim.scenario import scenario_diff

    runs = comp.runs
    base = runs[0].scenario
    out = []
    for k in range(1, len(runs)):
        sc = runs[k].scenario
        name = _E(_name(runs[k], lang))
        on_b = {lv.name for lv in base.levers if lv.enabled}
        on_s = [lv for lv in sc.levers if lv.enabled and lv.name not in on_b]
        off_s = [lv for lv in base.levers if lv.enabled and lv.name not in {x.name for x in sc.levers if x.enabled}]
        if len(runs) > 2:
            out.append(f"<h3>{name}</h3>")
        if on_s:
            out.append(f"<p>{_t('levers_on', lang, name=name)}:</p>" + _levers_table(on_s, lang))
        if off_s:
            out.append(f"<p>{_t('levers_off', lang, name=name)}:</p>" + _levers_table(off_s, lang))
        if not on_s and not off_s:
            out.append(f"<p>{_E(_t('no_levers', lang))}</p>")
        diff = [(p, a, b) for p, a, b in scenario_diff(base, sc)
                if p not in _SKIP_DIFF and not p.startswith("levers.")]
        if not diff:
            out.append(f"<p>{_E(_t('no_diff', lang))}</p>")
            continue
        rows = _grouped([([f'<th scope="row"><code>{_E(p)}</code></th>',
                           f'<td class="val">{_E(_value(a))}</td>', f'<td class="val">{_E(_value(b))}</td>'],
                          _E(_param_source(sc, p, short=True))) for p, a, b in diff])
        head = (f"<th>{_E(_t('parameter', lang))}</th><th>{_E(_name(runs[0], lang))}</th>"
                f"<th>{name}</th><th>{_E(_t('source', lang))}</th>")
        out.append(f"<details open><summary>{_t('param_diff', lang, n=len(diff), base=_E(_name(runs[0], lang)), name=name)}</summary>"
                   f'<div class="tw"><table class="params">{_colgroup(2)}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></details>')
    return "".join(out)


def _scenarios_section(comp: Any, lang: str) -> str:
    cards = []
    for i, r in enumerate(comp.runs):
        meta = r.scenario.scenario
        other = meta.name if lang == "zh" else meta.name_zh
        tag = f' <span class="tag">{_E(_t("baseline_tag", lang))}</span>' if i == 0 else ""
        path = os.path.relpath(r.scenario.path) if r.scenario.path else "—"
        cards.append(
            f'<div class="card c{i % 8}"><h3>{_E(_name(r, lang))}{tag}</h3>'
            + (f'<p class="alt">{_E(other)}</p>' if other else "")
            + f"<p>{_E(meta.description)}</p>"
            f'<p class="meta">{_E(_t("file", lang))}: <code>{_E(path)}</code> · {_E(_t("hash", lang))}: '
            f'<code>{_E(r.scenario.hash)}</code> · {_E(_t("horizon", lang))}: '
            f'{_E(_t("days_from", lang, days=meta.days, start=meta.start_date.isoformat()))}</p></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


# --------------------------------------------------------------------------- STRESS-DES
def _versions() -> list[tuple[str, str]]:
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
        out.append((dist, v or "not installed"))
    out.append(("community-office-sim (sim)", __version__))
    return out


def _count_sources(scenario: Any) -> dict[str, int]:
    from sim.scenario import flatten

    counts = {"article": 0, "SOURCES.md": 0, "estimate": 0, "lever": 0, "unspecified": 0, "other": 0}
    for path in flatten(scenario):
        if path.startswith("levers.") or path in _SKIP_DIFF:
            continue
        src = _param_source(scenario, path)
        if src.startswith(("lever", "unspecified")):
            key = "lever" if src.startswith("lever") else "unspecified"
        else:  # the kind of citation named first in the note
            found = [(src.find(k), k) for k in ("article", "SOURCES.md", "estimate") if k in src]
            key = min(found)[1] if found else "other"
        counts[key] += 1
    return counts


def _params_table(comp: Any, lang: str) -> str:
    """Every parameter of every scenario (``flatten``) with its value per scenario and its
    source (``source_of``; for a value set by a lever, the lever's source)."""
    from sim.scenario import flatten

    runs = comp.runs
    flats = [flatten(r.scenario) for r in runs]
    paths: dict[str, None] = {}
    for f in flats:
        for p in f:
            if not p.startswith("levers.") and p not in _SKIP_DIFF:
                paths[p] = None
    items = []
    for p in paths:
        vals = [f.get(p) for f in flats]
        srcs = [_param_source(r.scenario, p) if p in f else None for r, f in zip(runs, flats, strict=True)]
        uniq = list(dict.fromkeys(s for s in srcs if s))
        if len(uniq) == 1:
            src = _E(uniq[0])
        else:
            src = "<br>".join(f"<b>{_E(_name(r, lang))}</b>: {_E(s)}" for r, s in zip(runs, srcs, strict=True) if s)
        cells = [f'<th scope="row"><code>{_E(p)}</code></th>']
        for i, v in enumerate(vals):
            changed = i > 0 and _value(v) != _value(vals[0])
            cells.append(f'<td class="val{" changed" if changed else ""}">{_E(_value(v))}</td>')
        items.append((cells, src))
    rows = [_grouped(items)]
    head = (f"<th>{_E(_t('parameter', lang))}</th>"
            + "".join(f"<th>{_E(_name(r, lang))}</th>" for r in runs)
            + f"<th>{_E(_t('source', lang))}</th>")
    return (f'<details open><summary>{len(paths)} {"项参数" if lang == "zh" else "parameters"}</summary>'
            f'<div class="tw"><table class="params all">{_colgroup(len(runs))}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def _scenario_logic_table(comp: Any, lang: str) -> str:
    zh = lang == "zh"
    runs = comp.runs

    def row(label_en: str, label_zh: str, fn) -> str:
        vals = [fn(r.scenario) for r in runs]
        cells = "".join(f'<td{" class=changed" if i and v != vals[0] else ""}>{_E(str(v))}</td>'
                        for i, v in enumerate(vals))
        return f'<tr><th scope="row">{_E(label_zh if zh else label_en)}</th>{cells}</tr>'

    def hours(s: Any) -> str:
        return ", ".join(f"{int(a):02d}:{round((a % 1) * 60):02d}-{int(b):02d}:{round((b % 1) * 60):02d}"
                         for a, b in s.calendar.office_hours)

    def deadlines(s: Any) -> str:
        by: dict[int, list[str]] = {}
        for t in s.tasks:
            if t.deadline_working_days:
                by.setdefault(t.deadline_working_days, []).append(t.id)
        parts = []
        for n, ids in sorted(by.items()):
            what = ", ".join(ids) if len(ids) <= 3 else (f"{len(ids)} 种事项" if zh else f"{len(ids)} task types")
            parts.append(f"{n}: {what}")
        return "; ".join(parts) or "—"

    def admission(s: Any) -> str:
        a = s.admission
        if not a.enabled:
            return "off" if not zh else "无"
        return (f"approve {a.approval_probability:g}, review {a.review_working_days:g} wd, pushed anyway {a.pushed_anyway_share:g}"
                if not zh else f"核准概率 {a.approval_probability:g},审核 {a.review_working_days:g} 个工作日,被拒仍摊派 {a.pushed_anyway_share:g}")

    def vols(s: Any) -> str:
        v = s.volunteers
        if v.teams == 0:
            return "—"
        return (f"{v.teams} × {v.members_per_team} members, {v.hours_per_member_per_week:g} h/week, turnout {v.turnout:g}"
                if not zh else f"{v.teams} 队 × {v.members_per_team} 人,每周 {v.hours_per_member_per_week:g} 小时,出勤率 {v.turnout:g}")

    def meetings(s: Any) -> str:
        j = s.joint_meetings
        if not j.enabled:
            return "—"
        return (f"every {j.schedule.every}, {j.duration_hours:g} h, ≤ {j.problems_per_meeting_max} problems, {j.part_time_members} part-time members"
                if not zh else f"每{ {'day': '天', 'week': '周', 'month': '月', 'quarter': '季度', 'year': '年'}.get(j.schedule.every, j.schedule.every)}一次,"
                f"{j.duration_hours:g} 小时,每次至多 {j.problems_per_meeting_max} 件诉求,兼职委员 {j.part_time_members} 人")

    rows = [
        row("Community workers", "社区工作者", lambda s: s.office.workers),
        row("Party secretary", "党组织书记", lambda s: ("yes" if not zh else "有") if s.office.secretary else "—"),
        row("Dispatch rule", "派工规则", lambda s: s.office.dispatch),
        row("Calendar", "工作日历", lambda s: s.scenario.calendar),
        row("Office hours", "办公时间", hours),
        row("Overtime", "加班规则", lambda s: (f"> {s.office.overtime_threshold_hours:g} h open → up to {s.office.overtime_hours_max_per_day:g} h/day"
                                           if not zh else f"待办超过 {s.office.overtime_threshold_hours:g} 小时 → 每天至多 {s.office.overtime_hours_max_per_day:g} 小时")),
        row("Admission list", "准入制度", admission),
        row("Task types enabled", "启用的事项类型", lambda s: len(s.tasks)),
        row("Deadlines (working days)", "期限(工作日)", deadlines),
        row("Managed estates (property company)", "有物业公司的小区比例", lambda s: f"{s.problems.managed_estate_share:g}"),
        row("Red property coverage of unmanaged estates", "红色物业覆盖率", lambda s: f"{s.problems.red_property_coverage:g}"),
        row("Volunteer teams", "志愿队", vols),
        row("Joint meetings", "联席会议", meetings),
        row("Problem resolution target (days)", "诉求解决目标(天)", lambda s: f"{s.problems.resolution_target_days:g}"),
    ]
    head = "<th></th>" + "".join(f"<th>{_E(_name(r, lang))}</th>" for r in runs)
    return f'<div class="tw"><table class="logic"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _stress_section(comp: Any, lang: str) -> str:
    zh = lang == "zh"
    runs = comp.runs
    base = runs[0].scenario
    names = [_name(r, lang) for r in runs]
    r_n, seed = comp.replications, comp.seed
    h = []

    def h3(key: str, anchor: str) -> None:
        h.append(f'<h3 id="{anchor}">{_E(_t(key, lang))}</h3>')

    def h4(key: str) -> None:
        h.append(f"<h4>{_E(_t(key, lang))}</h4>")

    def p(text: str) -> None:
        h.append(f"<p>{text}</p>")

    h.append(f'<p>{_E(_t("stress_intro", lang))} <span class="cite">{_E(_t("cite", lang))}</span></p>')

    # 1 objectives -----------------------------------------------------------------------
    h3("x_objectives", "stress-objectives")
    h4("purpose")
    p("模型模拟一个城市社区工作站(若干社区工作者和一名党组织书记)一年中承担的各类事项,用于比较不同政策(如亳州社区减负改革的各项措施)下"
      "工作负担的变化:减负释放了哪些工时(从行政事务转向服务居民、加班减少),又带来了什么代价或收益(被拒事项、征求意见按期反馈、群众诉求解决数量和速度)。"
      if zh else
      "The model simulates a year of the work of one urban community office (a handful of community "
      "workers and a party secretary) to compare its workload under different policies, such as "
      "the measures of the Bozhou burden-reduction reform (社区减负): what a reform frees up "
      "(hours moved from administration to serving residents, less overtime) and what it costs "
      "or brings (refused tasks, opinion replies on time, residents' problems solved and how fast).")
    h4("outputs")
    items = "".join(f"<li><b>{_E(_label(m, lang))}</b> ({_E(_unit(metric(m).unit, lang))})"
                    + (f": {_E(metric(m).description)}" if metric(m).description and not zh else "")
                    + "</li>" for m in HEADLINE)
    n_all = len(runs[0].summary.index)
    p(("主要指标(另有 {n} 项指标见“全部指标”表,以及每日时间序列和事项日志):" if zh else
       "Headline metrics ({n} metrics in all, see the full table, plus daily series and a per-task event log):").format(n=n_all))
    h.append(f"<ul>{items}</ul>")
    h4("aims")
    p((f"以 <b>{_E(names[0])}</b> 为基线,比较 {_E('、'.join(names[1:]))};实验因素即方案之间不同的措施和参数(见“方案之间的差别”)。"
       "每个指标报告均值及 95% 置信区间,方案与基线的差值按重复配对并给出 95% 置信区间和结论。") if zh else
      (f"Compare {_E(', '.join(names[1:]))} with the baseline <b>{_E(names[0])}</b>. The experimental "
       "factors are the levers and parameters that differ between the scenarios (section "
       "“What differs between them”). Every metric is reported as a mean with a 95% confidence "
       "interval, and each scenario's difference from the baseline is paired by replication "
       "with its own 95% interval and a verdict."))

    # 2 logic ----------------------------------------------------------------------------
    h3("x_logic", "stress-logic")
    h4("overview")
    steps = (["事项到达", "准入审核(清单外部门事项)", "分流(社工/志愿队/物业/红色物业/联席会议)",
              "排队(派工规则)", "按步骤办理(社工,再由书记签字),办公时间内,可加班", "办结(是否按期)"] if zh else
             ["Task arrives", "Admission review (unlisted department tasks)",
              "Routing (staff / volunteers / property / red property / joint meeting)",
              "Queue (dispatch rule)", "Steps worked (workers, then the secretary) in office hours, with overtime",
              "Done (on time?)"])
    h.append('<div class="flow">' + '<span class="arrow">→</span>'.join(
        f'<span class="box">{_E(s)}</span>' for s in steps) + "</div>")
    h4("base_logic")
    if zh:
        logic = [
            ("实体", "事项实例:每种事项类型(如台账更新、月报、检查考核、征求意见、群众诉求)按各自的到达过程产生实例,带有来源(职能部门、居民、社区自身)、类别、优先级、工作量和可选的期限。"),
            ("活动", "每个事项由一个或多个步骤组成(社工办理、书记签字);每个步骤的工时从其分布中抽取。工作按“片段”进行:到下班或午休时中断,下一个工作时段由同一人继续。"),
            ("资源", "社区工作者(人数见下表)和党组织书记,各按工作日历上班;红色物业志愿队成员在志愿时段(晚上和周末)出勤。"),
            ("队列", "社工、书记和志愿者各有队列;空闲的人按派工规则取下一个事项:先到先办、按优先级或最早期限优先;联席会议作为预约插队。"),
            ("分流", "群众诉求依次分流:适合志愿队的类型先交志愿队(等待超过上限转回社工);有物业公司的小区交物业;无物业小区按覆盖率交红色物业;需多方协调的交联席会议;其余由社工办理。"),
            ("日历", "工作日按官方日历(含调休)或周一至周五,办公时间见下表;下班时若待办工作量超过阈值,社工加班,每天有上限。"),
            ("准入", "改革后清单外的部门事项须经审核:按概率核准后进入,否则社区可拒绝,但部分被拒事项仍被强行摊派。"),
            ("期限", "带期限的事项须在到达后第 N 个工作日下班前办结(如征求意见 5 个工作日),据此计算按期率。"),
            ("志愿者", "每名志愿者每周以一定概率出勤,在随机选定的志愿时段内工作规定小时数。"),
            ("联席会议", "按日程召开,书记主持、若干社工参加(另有准备工时),每次会议至多解决若干件诉求,其余等下次。"),
        ]
    else:
        logic = [
            ("Entities", "Task instances. Each task type (ledger updates, monthly reports, assessments, opinion requests, residents' problems, ...) generates instances by its own arrival process; an instance has an origin (department, resident, the office), a category, a priority, an effort and possibly a deadline."),
            ("Activities", "A task is one or more steps done in order (a worker's step, then the secretary's signature); each step's effort is drawn from its distribution. Work is done in segments: a person works until the step is done or their working interval ends (lunch, closing time) and goes on at their next opening."),
            ("Resources", "Community workers (number below) and the party secretary, each working by the office calendar; members of red property volunteer teams, who turn out in volunteer windows (evenings, weekends)."),
            ("Queues", "Workers, the secretary and volunteers each have a queue; a free person takes the next task by the dispatch rule: first come, highest priority, or earliest deadline; joint meetings are appointments that go first."),
            ("Routing", "Residents' problems go, in order: to the volunteers if a team exists and the kind suits them (back to the workers after a maximum wait); to the property company where the estate has one; in unmanaged estates to red property services by their coverage; to the next joint meeting for problems that need several parties; otherwise to the workers."),
            ("Calendar", "Working days by the official Chinese calendar (with adjusted working weekends) or Monday to Friday, with the office hours below. At closing time, if the workers' open workload exceeds a threshold, workers on a task stay on, up to a daily maximum (overtime)."),
            ("Admission", "Under an admission list, an unlisted department task is reviewed: it enters if approved (a probability) and may be refused otherwise, but some refused tasks are pushed in anyway."),
            ("Deadlines", "A task with a deadline is due at the end of office hours on the N-th working day after its arrival (e.g. opinion requests, 5 working days); the on-time rates count against it."),
            ("Volunteers", "Each volunteer turns out in a given week with a probability and then works their weekly hours in a randomly chosen volunteer window of that week."),
            ("Joint meetings", "Held on a schedule, chaired by the secretary with workers attending (plus preparation hours); each meeting resolves up to a number of waiting problems, the rest wait for the next."),
        ]
    h.append("<dl class=logic>" + "".join(f"<dt>{_E(a)}</dt><dd>{_E(b)}</dd>" for a, b in logic) + "</dl>")
    h4("scenario_logic")
    h.append(_scenario_logic_table(comp, lang))
    h4("algorithms")
    kinds: dict[str, int] = {}
    for r in runs:
        for t in r.scenario.tasks:
            for st in t.steps:
                kinds[st.effort_hours.kind] = kinds.get(st.effort_hours.kind, 0) + 1
    kinds_txt = ", ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
    p(("到达:泊松过程(按月季节系数调整,可只在办公时间内到达),外加每年的“波次”(如年终考核)和固定日程(每周、每月、每季、每年);"
       f"工作量分布(步骤数):{_E(kinds_txt)};分流、核准、志愿者出勤为伯努利抽样;物业公司办理天数按其分布抽取。"
       "所有到达、工作量、审核和分流结果在运行前按命名随机流预先生成,办公室模型随后按事件推进。") if zh else
      ("Arrivals: Poisson processes (rates by calendar period, monthly seasonality, optionally only "
       "inside office hours), plus yearly waves (e.g. year-end assessments) and fixed schedules "
       f"(weekly, monthly, quarterly, yearly). Effort distributions in use (steps): {_E(kinds_txt)}. "
       "Routing, approvals and volunteer turnout are Bernoulli draws; property companies' days are "
       "drawn from their distribution. Arrivals, efforts, admission decisions and routing are "
       "pre-generated from named random streams before the office runs; the office model then "
       "advances event by event."))
    h4("components")
    p(("事项类型及其在各方案中的年均到达、拒绝、完成数见“全部指标”一节的事项类型表;资源和队列见上文。"
       "进入点:事项到达(按到达过程);离开点:办结、被拒或期末仍未办结(计入期末未完成)。") if zh else
      ("The task types, with their yearly arrivals, refusals and completions in each scenario, are "
       "listed in the task type table of “All metrics”; resources and queues as above. Entry: a "
       "task arrives by its arrival process. Exit: done, refused, or still open at the end of the "
       "run (counted as open at the end)."))

    # 3 data -----------------------------------------------------------------------------
    h3("x_data", "stress-data")
    h4("data_sources")
    counts = [_count_sources(r.scenario) for r in runs]
    labels = {"article": ("the Bozhou article (China City News, 2019)", "亳州报道(中国城市报,2019)"),
              "SOURCES.md": ("a cited outside source (SOURCES.md)", "外部来源(SOURCES.md)"),
              "estimate": ("an estimate, with its reasoning", "估计(附理由)"),
              "lever": ("set by a reform lever (lever's source)", "由改革措施设定(见措施来源)"),
              "unspecified": ("unspecified (mostly defaults)", "未注明(多为默认值)"),
              "other": ("other notes", "其他说明")}
    rows = "".join(f'<tr><th scope="row">{_E(labels[k][1] if zh else labels[k][0])}</th>'
                   + "".join(f'<td class="num">{c[k]}</td>' for c in counts) + "</tr>"
                   for k in labels if any(c[k] for c in counts))
    p(("每个参数都注明来源:亳州报道(<code>article</code>)、外部文献和统计(<code>SOURCES.md</code>),或注明理由的估计(<code>estimate</code>)。"
       "下表按来源类型统计参数个数(按参数所在表的来源说明归类):") if zh else
      ("Every value in a scenario file says where it comes from: the Bozhou article "
       "(<code>article</code>), an outside source listed in <code>SOURCES.md</code>, or an estimate "
       "with its reasoning (<code>estimate</code>). Parameters by the kind of their citation (the "
       "note of the value, or of the table that holds it):"))
    h.append('<div class="tw"><table class="small"><thead><tr><th></th>'
             + "".join(f"<th>{_E(n)}</th>" for n in names) + f"</tr></thead><tbody>{rows}</tbody></table></div>")
    h4("preprocessing")
    p(("无原始数据预处理:参数直接写在方案文件中,推导过程(如每年到达数、期望工时)记录在文件注释和 <code>docs/calibration.md</code> 中。"
       "方案文件经继承(extends)、措施(levers)和覆盖(--set)合成后校验。") if zh else
      ("No raw data are processed: parameters are written in the scenario files, and derived "
       "figures (yearly counts, expected hours per category) are worked out in the files' comments "
       "and in <code>docs/calibration.md</code>. A scenario is resolved from its file by "
       "inheritance (<code>extends</code>), levers and <code>--set</code> overrides, then validated."))
    h4("inputs")
    p("全部参数(解析后的取值,含默认值)及其来源;与基线不同的取值高亮显示。" if zh else
       "Every parameter of every scenario as resolved (defaults filled in), with its source; values "
       "that differ from the baseline are highlighted.")
    h.append(_params_table(comp, lang))
    h4("assumptions")
    if zh:
        assumptions = [
            "同类社区工作者可互相替代,没有请假、病假和人员流动。",
            "事项的到达彼此独立,且不受办公室忙闲影响(积压不会减少上级派发的任务)。",
            "物业公司和红色物业办理的诉求不占用社区工时。",
            "开始时办公室没有积压(1 月 1 日“清空桌面”),除非设置了预热期。",
            "书记只办理需要其签字或主持的步骤" + ("" if not base.office.secretary_takes_general_work else ",空闲时也办理一般事项") + "。",
            "各方案的具体取值和理由见参数表及方案文件注释;标为 estimate 的是作者的判断。",
        ]
    else:
        assumptions = [
            "Community workers are interchangeable; no leave, sickness or turnover.",
            "Tasks arrive independently of each other and of how busy the office is (a backlog does not make departments send less).",
            "Problems handled by property companies and red property services take no office time.",
            "The office starts with an empty desk on the first day unless a warm-up period is set.",
            "The secretary works only on steps that need the secretary (signing, chairing)"
            + ("" if not base.office.secretary_takes_general_work else ", and takes general work when idle") + ".",
            "Scenario-specific values and their reasoning are in the parameter table and the scenario files' comments; values marked 'estimate' are the authors' judgement.",
        ]
    h.append("<ul>" + "".join(f"<li>{_E(a)}</li>" for a in assumptions) + "</ul>")
    descs = [(r, r.scenario.scenario.description) for r in runs]
    h.append("<ul>" + "".join(f"<li><b>{_E(_name(r, lang))}</b>: {_E(d)}</li>" for r, d in descs if d) + "</ul>")

    # 4 experimentation ------------------------------------------------------------------
    h3("x_experimentation", "stress-experimentation")
    h4("initialisation")
    warm = [(r, r.scenario.scenario.warmup_days) for r in runs]
    warm_txt = ", ".join(f"{_name(r, lang)}: {w}" for r, w in warm)
    p((f"预热期(天):{_E(warm_txt)}。预热期内到达的事项和完成的工时不计入任何指标。模拟从空的办公室开始;"
       "方案以日历年为周期(年终工作在新年前完成),因此不设预热期时 1 月份的数字略偏乐观。可用 Welch 法检查(下图,基线方案每日待办工作量的移动平均)。") if zh else
      (f"Warm-up (days): {_E(warm_txt)}. Tasks that arrive and hours worked during the warm-up are "
       "left out of every figure. Runs start with an empty office; the scenarios model a calendar "
       "year (year-end work is due before the New Year), so without a warm-up January is slightly "
       "optimistic. Welch's method (below, the baseline's daily open workload and its moving "
       "average) shows the transient."))
    try:
        from sim.plots import welch_plot

        h.append(_figure_block(99, "fig-welch", "Welch" if not zh else "Welch 法",
                               "基线方案每日待办工作量(各次重复的均值)及其移动平均;红色虚线为所选预热期。" if zh else
                               "The baseline's daily open workload (mean over replications) and its "
                               "moving average; the red dashed line is the chosen warm-up.",
                               welch_plot(runs[0], lang=lang), lang).replace(
                                   f"{_t('figure', lang)} 99", f"{_t('figure', lang)} A1"))
    except Exception as exc:  # pragma: no cover - a figure must not break the report
        p(_E(f"(Welch plot unavailable: {exc})"))
    h4("run_length")
    lens = ", ".join(f"{_name(r, lang)}: {r.scenario.scenario.days} ({r.scenario.scenario.start_date.isoformat()}, {r.scenario.scenario.calendar})"
                     for r in runs)
    p((f"运行时长(天,起始日期,日历):{_E(lens)}。终止型模拟:每次重复模拟一个完整的时长,不做批均值。") if zh else
      (f"Run length in days (start date, calendar): {_E(lens)}. A terminating simulation: each "
       "replication is one full horizon; no batch means."))
    h4("estimation")
    info = comp.precision_info or {}
    prec = ""
    if info.get("precision") is not None:
        prec = ((f" 重复次数按序贯精度规则确定(目标相对半宽 {info['precision']:g}):"
                 f"{'已达到' if info.get('converged') else '未达到'}。") if zh else
                (f" The number of replications was chosen by the sequential precision rule (target "
                 f"relative half-width {info['precision']:g}): "
                 f"{'reached' if info.get('converged') else 'not reached'}."))
    p((f"每个方案 {r_n} 次独立重复(第 0 至 {r_n - 1} 次),基础随机种子 {seed}。每个指标报告各次重复的均值及 95% t 置信区间"
       "(均值 ± t<sub>0.975, n−1</sub> · s/√n)。差值按重复配对(方案减基线),给出配对 t 区间;不配对的 Welch 区间仅作参考。"
       "公共随机数:模型中每个随机来源(每种事项的到达、工作量、分流、志愿者等)都有自己命名的随机流,"
       "由 <code>numpy.random.SeedSequence([种子, 重复序号, sha256(来源名称)])</code> 派生,PCG64 生成器;"
       "因此各方案的第 r 次重复对共同的来源抽取相同的随机数,增删一种事项不会改变其他来源的随机数。" + prec) if zh else
      (f"{r_n} independent replications per scenario (numbers 0 to {r_n - 1}), base seed {seed}. Each "
       "metric is reported as its mean over replications with a 95% Student-t interval "
       "(mean ± t<sub>0.975, n−1</sub> · s/√n). Differences are paired by replication "
       "(scenario − baseline) with a paired t-interval; the unpaired Welch interval is kept for "
       "reference. Common random numbers: every random source in the model (each task type's "
       "arrivals and efforts, routing, volunteers, ...) has its own named stream, a PCG64 "
       "generator seeded by <code>numpy.random.SeedSequence([seed, replication, "
       "sha256(source name)])</code>, so replication r of every scenario draws the same numbers "
       "for the sources they share, and adding or removing a task type moves no other stream." + prec))

    # 5 implementation -------------------------------------------------------------------
    h3("x_implementation", "stress-implementation")
    h4("software")
    vers = "".join(f'<tr><th scope="row">{_E(n)}</th><td>{_E(v)}</td></tr>' for n, v in _versions())
    h.append(f'<div class="tw"><table class="small"><tbody>{vers}</tbody></table></div>')
    h4("sampling")
    p(("NumPy 的 PCG64 位生成器,每个命名来源一个独立流(见 4.3);分布:固定值、指数、对数正态、伽马、三角、均匀(按均值和标准差参数化)。"
       "泊松到达按时间变换在办公时间内生成。") if zh else
      ("NumPy's PCG64 bit generator, one independent stream per named source (see 4.3). "
       "Distributions: fixed, exponential, lognormal, gamma (by mean and sd), triangular, uniform. "
       "Poisson arrivals inside office hours are generated on the office-time scale and mapped to "
       "the clock."))
    h4("execution")
    p(("离散事件模拟,基于 SimPy 的事件调度(回调方式)。时钟单位为自起始日 0 时起的小时数。工作在人员的工作区间内分段进行;"
       "每次重复是一个纯函数(同一方案、种子和重复序号在任何机器上给出相同结果),各方案按重复序号依次运行。") if zh else
      ("Discrete-event simulation on SimPy's event scheduling (events with callbacks). The clock is "
       "in hours since 00:00 of the start date. Work proceeds in segments within each person's "
       "working intervals. Each replication is a pure function (the same scenario, seed and "
       "replication give the same numbers on any machine); scenarios run replication by "
       "replication in one process."))
    h4("system")
    per_run = ", ".join(f"{_name(r, lang)}: {r.run_seconds:.1f} s" for r in runs)
    sysinfo = [
        ("Platform" if not zh else "平台", platform.platform()),
        ("Machine" if not zh else "架构", platform.machine() or "?"),
        ("Processor" if not zh else "处理器", platform.processor() or "?"),
        ("CPU count" if not zh else "CPU 数", str(os.cpu_count())),
        ("Run time" if not zh else "运行时间",
         (f"{comp.run_seconds:.1f} s in all ({per_run})" if not zh else
          f"共 {comp.run_seconds:.1f} 秒({per_run})")),
    ]
    h.append('<div class="tw"><table class="small"><tbody>' + "".join(
        f'<tr><th scope="row">{_E(a)}</th><td>{_E(b)}</td></tr>' for a, b in sysinfo) + "</tbody></table></div>")

    # 6 code access ----------------------------------------------------------------------
    h3("x_code", "stress-code")
    h4("sharing")
    cmd = ["sim", "report", *[os.path.relpath(r.scenario.path) if r.scenario.path else r.name for r in runs],
           "--replications", str(r_n), "--seed", str(seed)]
    for key, val in base.overrides:
        cmd += ["--set", f"{key}={_value(val)}"]
    if lang == "zh":
        cmd += ["--lang", "zh"]
    hashes = ", ".join(f"{_name(r, lang)} {r.scenario.hash}" for r in runs)
    p((f"模型为 Python 包 community-office-sim {__version__}(命令 <code>sim</code>),方案为 TOML 文件(内容哈希:{_E(hashes)})。"
       f"重现本报告:<code>{_E(' '.join(cmd))}</code>。") if zh else
      (f"The model is the Python package community-office-sim {__version__} (command "
       f"<code>sim</code>); the scenarios are TOML files (content hashes: {_E(hashes)}). To "
       f"reproduce this report: <code>{_E(' '.join(cmd))}</code>."))
    return "".join(h)


# --------------------------------------------------------------------------- page
_CSS = """
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0072B2;
--better:#1a7f37;--worse:#cf222e;--unclear:#6e7781;--neutral:#0969da}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;color:var(--ink);background:#fff;line-height:1.55;
font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 64px}
header{border-bottom:3px solid var(--accent);padding-bottom:14px;margin-bottom:18px}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 6px}
h2{font-size:1.35rem;margin:40px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:26px 0 8px}
h4{font-size:.98rem;margin:18px 0 6px;color:#24292f}
p{margin:8px 0}
.sub{color:var(--muted);margin:0}
nav{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:10px 16px;margin:16px 0}
nav ol{margin:4px 0;padding-left:22px;columns:2}
nav a{color:var(--accent);text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
.card{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:8px;padding:10px 16px;background:#fff}
.card h3{margin:4px 0}
.card.c1{border-left-color:#D55E00}.card.c2{border-left-color:#009E73}.card.c3{border-left-color:#CC79A7}
.card.c4{border-left-color:#E69F00}.card.c5{border-left-color:#56B4E9}.card.c6{border-left-color:#000}
.alt{color:var(--muted);margin:0}
.meta{color:var(--muted);font-size:.85rem}
.tag{font-size:.72rem;font-weight:600;background:var(--accent);color:#fff;border-radius:10px;padding:1px 8px;vertical-align:middle}
.tw{overflow-x:auto;margin:10px 0}
table{border-collapse:collapse;font-size:.86rem;width:100%}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);border-bottom:2px solid var(--line);font-weight:600;position:sticky;top:0}
tbody tr:hover{background:#fbfbfc}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.metrics tr.first td,table.metrics tr.first th{border-top:1px solid #c6ccd3}
table.metrics th[scope=row]{font-weight:600;min-width:190px}
.ci{color:var(--muted);font-size:.82rem}
.u{color:var(--muted);font-size:.8rem}
.star{color:#bf8700;font-size:.8rem}
.v{display:inline-block;border-radius:10px;padding:0 9px;font-size:.8rem;font-weight:600;white-space:nowrap;color:#fff}
.v-better{background:var(--better)}.v-worse{background:var(--worse)}
.v-no-clear-difference{background:var(--unclear)}.v-higher,.v-lower{background:var(--neutral)}
ul.findings{padding-left:20px}ul.findings li{margin:3px 0}
li.sep{list-style:none;font-weight:700;margin-top:10px}
.note{color:var(--muted);font-size:.85rem}
figure{margin:22px 0;padding:12px;border:1px solid var(--line);border-radius:8px;background:#fff;break-inside:avoid}
.fig{text-align:center}
.fig svg{display:block;margin:0 auto}
figcaption{margin-top:8px;font-size:.88rem;color:#24292f}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.82rem;
background:var(--soft);border-radius:4px;padding:0 3px}
td.src{font-size:.78rem;color:#444c56;max-width:460px}
td.sets{font-size:.8rem}
td.changed{background:#fff4d6;font-weight:600}
td.off{color:var(--muted);text-align:center}
table.params{table-layout:fixed}
table.params th[scope=row]{font-weight:400;overflow-wrap:anywhere}
table.params td.val{text-align:right;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
table.small{width:auto;min-width:420px}
table.tasks .id{color:var(--muted);font-size:.75rem;font-weight:400}
table.tasks th[scope=row]{font-weight:500}
details{margin:10px 0}
summary{cursor:pointer;font-weight:600;color:#24292f}
dl.logic{display:grid;grid-template-columns:150px 1fr;gap:4px 14px;margin:8px 0}
dl.logic dt{font-weight:600}dl.logic dd{margin:0}
.flow{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:10px 0}
.flow .box{border:1px solid var(--accent);background:#eef6fc;border-radius:6px;padding:6px 10px;font-size:.85rem}
.flow .arrow{color:var(--accent);font-weight:700}
.cite{color:var(--muted);font-size:.85rem}
footer{margin-top:48px;border-top:1px solid var(--line);padding-top:10px;color:var(--muted);font-size:.82rem}
@media print{nav{display:none}figure{border:none}}
"""


def build_report(comparison: Any, lang: str = "en") -> str:
    """The HTML report of a :class:`~sim.experiment.ComparisonResult`, as a string (one
    self-contained page: inline CSS and SVG figures, no external requests). ``lang`` is
    ``"en"`` or ``"zh"`` (headings, labels and figures in Chinese)."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", field="lang", allowed="en, zh")
    runs = getattr(comparison, "runs", None)
    if not runs or not hasattr(comparison, "differences"):
        raise InputError("a report needs a comparison of at least two scenarios "
                         "(sim.experiment.compare)")
    zh = lang == "zh"
    names = [_name(r, lang) for r in runs]
    title = _t("title", lang, names=(" 对比 " if zh else " vs ").join(names[1:] + names[:1])
               if len(names) == 2 else ("、" if zh else ", ").join(names))
    meta0 = runs[0].scenario.scenario
    days = (f"{meta0.days} 天(自 {meta0.start_date.isoformat()} 起)" if zh else
            f"{meta0.days} days from {meta0.start_date.isoformat()}")
    others = ("、" if zh else ", ").join(f"<b>{_E(n)}</b>" for n in names[1:])

    sections = [
        ("question", _t("s_question", lang),
         f"<p>{_t('question', lang, others=others, base=_E(names[0]))}</p>"
         f"<p>{_E(_t('question_how', lang, days=days, r=comparison.replications, seed=comparison.seed))}</p>"
         f"<h3>{_E(_t('in_short', lang))}</h3>{_findings(comparison, lang)}"),
        ("scenarios", _t("s_scenarios", lang), _scenarios_section(comparison, lang)),
        ("differences", _t("s_differs", lang), _differs_section(comparison, lang)),
        ("headline", _t("s_headline", lang),
         _metric_table(comparison, [m for m in HEADLINE if any(m in r.summary.index for r in runs)],
                         "headline-table", lang)
         + f'<p class="note">{_E(_t("table_note", lang))}</p>'),
    ]
    figs = []
    for n, (fid, ftitle, caption, make) in enumerate(_figures(comparison, lang), start=1):
        figs.append(_figure_block(n, fid, ftitle, caption, make(), lang))
    if not all(r.events is not None for r in runs):
        figs.append(f'<p class="note">{_E(_t("no_events", lang))}</p>')
    sections.append(("figures", _t("s_figures", lang), "".join(figs)))
    all_metrics = list(dict.fromkeys(
        [m for m in HEADLINE if any(m in r.summary.index for r in runs)]
        + [m for r in runs for m in r.summary.index]))
    sections.append(("metrics", _t("s_metrics", lang),
                     _metric_table(comparison, all_metrics, "metric-table", lang)
                     + _task_table(comparison, lang)))
    sections.append(("stress", _t("s_stress", lang), _stress_section(comparison, lang)))

    toc = "".join(f'<li><a href="#{sid}">{_E(t)}</a></li>' for sid, t, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{i}. {_E(t)}</h2>{content}</section>'
                   for i, (sid, t, content) in enumerate(sections, start=1))
    sub = _t("subtitle", lang, n=len(runs), r=comparison.replications, seed=comparison.seed, v=__version__)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if zh else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="community-office-sim {__version__}">\n'
        f"<title>{_E(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{_E(title)}</h1><p class=sub>{_E(sub)}</p></header>\n"
        f'<nav><b>{_E(_t("contents", lang))}</b><ol>{toc}</ol></nav>\n'
        f"{body}\n"
        f"<footer>community-office-sim {__version__} · {_E(_t('cite', lang))}</footer>\n"
        "</main>\n</body>\n</html>\n")


def write_report(path: str | os.PathLike[str], results: Any, lang: str = "en", *,
                 replications: int | None = None, seed: int | None = None,
                 overrides: Mapping[str, Any] | Sequence[str] | None = None,
                 precision: float | None = None, max_replications: int = 200,
                 progress: bool | None = None) -> Path:
    """Write the report to ``path`` and return it. ``results`` is a ComparisonResult, or a
    list of scenarios (paths or Scenario objects, the baseline first), which are then run
    with :func:`sim.experiment.compare` (with event logs; the other keyword arguments are
    passed on). Bad input (a missing file, a directory as ``path``, an unknown language, a
    single scenario) raises :class:`~sim.errors.InputError`."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", field="--lang", allowed="en, zh")
    out = Path(path)
    if out.is_dir():
        raise InputError("is a directory, expected the path of an HTML file", file=str(out))
    if hasattr(results, "runs") and hasattr(results, "differences"):
        comp = results
    else:
        if isinstance(results, (str, os.PathLike)) or not isinstance(results, Sequence):
            results = [results]
        if len(results) < 2:
            raise InputError("a report needs at least two scenarios (the first is the baseline)")
        from sim.experiment import compare

        comp = compare(list(results), replications, seed, overrides=overrides, precision=precision,
                       max_replications=max_replications, events=True, progress=progress)
    text = build_report(comp, lang)
    try:
        from sim.outputs import write_atomic

        write_atomic(out, text)   # never replaces a device, FIFO or directory
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=str(out)) from None
    return out
