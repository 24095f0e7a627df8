"""The model documentation section of the report, following the STRESS-DES checklist (Monks et
al. 2019)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata as _metadata
from typing import Any

from sim import __version__
from sim.metrics import HEADLINE, metric
from sim.metrics import label as metric_label
from sim.report.common import esc, run_name, value_text
from sim.report.figures import figure_block
from sim.report.scenarios import (
    SKIP_DIFF,
    colgroup,
    grouped,
    param_source,
)
from sim.text import t
from sim.text import unit as unit_label


def versions() -> list[tuple[str, str]]:
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


def count_sources(scenario: Any) -> dict[str, int]:
    from sim.scenario import flatten

    counts = {"article": 0, "SOURCES.md": 0, "estimate": 0, "lever": 0, "unspecified": 0, "other": 0}
    for path in flatten(scenario):
        if path.startswith("levers.") or path in SKIP_DIFF:
            continue
        src = param_source(scenario, path)
        if src.startswith(("lever", "unspecified")):
            key = "lever" if src.startswith("lever") else "unspecified"
        else:  # the kind of citation named first in the note
            found = [(src.find(k), k) for k in ("article", "SOURCES.md", "estimate") if k in src]
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
    return (f'<details open><summary>{len(paths)} {"项参数" if lang == "zh" else "parameters"}</summary>'
            f'<div class="tw"><table class="params all">{colgroup(len(runs))}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def scenario_logic_table(comp: Any, lang: str) -> str:
    zh = lang == "zh"
    runs = comp.runs

    def row(label_en: str, label_zh: str, fn) -> str:
        vals = [fn(r.scenario) for r in runs]
        cells = "".join(f'<td{" class=changed" if i and v != vals[0] else ""}>{esc(str(v))}</td>'
                        for i, v in enumerate(vals))
        return f'<tr><th scope="row">{esc(label_zh if zh else label_en)}</th>{cells}</tr>'

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
    head = "<th></th>" + "".join(f"<th>{esc(run_name(r, lang))}</th>" for r in runs)
    return f'<div class="tw"><table class="logic"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def stress_section(comp: Any, lang: str) -> str:
    zh = lang == "zh"
    runs = comp.runs
    base = runs[0].scenario
    names = [run_name(r, lang) for r in runs]
    r_n, seed = comp.replications, comp.seed
    h = []

    def h3(key: str, anchor: str) -> None:
        h.append(f'<h3 id="{anchor}">{esc(t(f"report.{key}", lang))}</h3>')

    def h4(key: str) -> None:
        h.append(f"<h4>{esc(t('report.' + key, lang))}</h4>")

    def p(text: str) -> None:
        h.append(f"<p>{text}</p>")

    h.append(f'<p>{esc(t("report.stress_intro", lang))} <span class="cite">{esc(t("report.cite", lang))}</span></p>')

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
    items = "".join(f"<li><b>{esc(metric_label(m, lang))}</b> ({esc(unit_label(metric(m).unit, lang))})"
                    + (f": {esc(metric(m).description)}" if metric(m).description and not zh else "")
                    + "</li>" for m in HEADLINE)
    n_all = len(runs[0].summary.index)
    p(("主要指标(另有 {n} 项指标见“全部指标”表,以及每日时间序列和事项日志):" if zh else
       "Headline metrics ({n} metrics in all, see the full table, plus daily series and a per-task event log):").format(n=n_all))
    h.append(f"<ul>{items}</ul>")
    h4("aims")
    p((f"以 <b>{esc(names[0])}</b> 为基线,比较 {esc('、'.join(names[1:]))};实验因素即方案之间不同的措施和参数(见“方案之间的差别”)。"
       "每个指标报告均值及 95% 置信区间,方案与基线的差值按重复配对并给出 95% 置信区间和结论。") if zh else
      (f"Compare {esc(', '.join(names[1:]))} with the baseline <b>{esc(names[0])}</b>. The experimental "
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
        f'<span class="box">{esc(s)}</span>' for s in steps) + "</div>")
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
    h.append("<dl class=logic>" + "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in logic) + "</dl>")
    h4("scenario_logic")
    h.append(scenario_logic_table(comp, lang))
    h4("algorithms")
    kinds: dict[str, int] = {}
    for r in runs:
        for task in r.scenario.tasks:
            for st in task.steps:
                kinds[st.effort_hours.kind] = kinds.get(st.effort_hours.kind, 0) + 1
    kinds_txt = ", ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
    p(("到达:泊松过程(按月季节系数调整,可只在办公时间内到达),外加每年的“波次”(如年终考核)和固定日程(每周、每月、每季、每年);"
       f"工作量分布(步骤数):{esc(kinds_txt)};分流、核准、志愿者出勤为伯努利抽样;物业公司办理天数按其分布抽取。"
       "所有到达、工作量、审核和分流结果在运行前按命名随机流预先生成,办公室模型随后按事件推进。") if zh else
      ("Arrivals: Poisson processes (rates by calendar period, monthly seasonality, optionally only "
       "inside office hours), plus yearly waves (e.g. year-end assessments) and fixed schedules "
       f"(weekly, monthly, quarterly, yearly). Effort distributions in use (steps): {esc(kinds_txt)}. "
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
    counts = [count_sources(r.scenario) for r in runs]
    labels = {"article": ("the Bozhou article (China City News, 2019)", "亳州报道(中国城市报,2019)"),
              "SOURCES.md": ("a cited outside source (SOURCES.md)", "外部来源(SOURCES.md)"),
              "estimate": ("an estimate, with its reasoning", "估计(附理由)"),
              "lever": ("set by a reform lever (lever's source)", "由改革措施设定(见措施来源)"),
              "unspecified": ("unspecified (mostly defaults)", "未注明(多为默认值)"),
              "other": ("other notes", "其他说明")}
    rows = "".join(f'<tr><th scope="row">{esc(labels[k][1] if zh else labels[k][0])}</th>'
                   + "".join(f'<td class="num">{c[k]}</td>' for c in counts) + "</tr>"
                   for k in labels if any(c[k] for c in counts))
    p(("每个参数都注明来源:亳州报道(<code>article</code>)、外部文献和统计(<code>SOURCES.md</code>),或注明理由的估计(<code>estimate</code>)。"
       "下表按来源类型统计参数个数(按参数所在表的来源说明归类):") if zh else
      ("Every value in a scenario file says where it comes from: the Bozhou article "
       "(<code>article</code>), an outside source listed in <code>SOURCES.md</code>, or an estimate "
       "with its reasoning (<code>estimate</code>). Parameters by the kind of their citation (the "
       "note of the value, or of the table that holds it):"))
    h.append('<div class="tw"><table class="small"><thead><tr><th></th>'
             + "".join(f"<th>{esc(n)}</th>" for n in names) + f"</tr></thead><tbody>{rows}</tbody></table></div>")
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
    h.append(params_table(comp, lang))
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
    h.append("<ul>" + "".join(f"<li>{esc(a)}</li>" for a in assumptions) + "</ul>")
    descs = [(r, r.scenario.scenario.description) for r in runs]
    h.append("<ul>" + "".join(f"<li><b>{esc(run_name(r, lang))}</b>: {esc(d)}</li>" for r, d in descs if d) + "</ul>")

    # 4 experimentation ------------------------------------------------------------------
    h3("x_experimentation", "stress-experimentation")
    h4("initialisation")
    warm = [(r, r.scenario.scenario.warmup_days) for r in runs]
    warm_txt = ", ".join(f"{run_name(r, lang)}: {w}" for r, w in warm)
    p((f"预热期(天):{esc(warm_txt)}。预热期内到达的事项和完成的工时不计入任何指标。模拟从空的办公室开始;"
       "方案以日历年为周期(年终工作在新年前完成),因此不设预热期时 1 月份的数字略偏乐观。可用 Welch 法检查(下图,基线方案每日待办工作量的移动平均)。") if zh else
      (f"Warm-up (days): {esc(warm_txt)}. Tasks that arrive and hours worked during the warm-up are "
       "left out of every figure. Runs start with an empty office; the scenarios model a calendar "
       "year (year-end work is due before the New Year), so without a warm-up January is slightly "
       "optimistic. Welch's method (below, the baseline's daily open workload and its moving "
       "average) shows the transient."))
    try:
        from sim.plots import welch_plot

        h.append(figure_block(99, "fig-welch", "Welch" if not zh else "Welch 法",
                               "基线方案每日待办工作量(各次重复的均值)及其移动平均;红色虚线为所选预热期。" if zh else
                               "The baseline's daily open workload (mean over replications) and its "
                               "moving average; the red dashed line is the chosen warm-up.",
                               welch_plot(runs[0], lang=lang), lang).replace(
                                   f"{t('report.figure', lang)} 99", f"{t('report.figure', lang)} A1"))
    except Exception as exc:  # pragma: no cover - a figure must not break the report
        p(esc(f"(Welch plot unavailable: {exc})"))
    h4("run_length")
    lens = ", ".join(f"{run_name(r, lang)}: {r.scenario.scenario.days} ({r.scenario.scenario.start_date.isoformat()}, {r.scenario.scenario.calendar})"
                     for r in runs)
    p((f"运行时长(天,起始日期,日历):{esc(lens)}。终止型模拟:每次重复模拟一个完整的时长,不做批均值。") if zh else
      (f"Run length in days (start date, calendar): {esc(lens)}. A terminating simulation: each "
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
    vers = "".join(f'<tr><th scope="row">{esc(n)}</th><td>{esc(v)}</td></tr>' for n, v in versions())
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
    per_run = ", ".join(f"{run_name(r, lang)}: {r.run_seconds:.1f} s" for r in runs)
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
        f'<tr><th scope="row">{esc(a)}</th><td>{esc(b)}</td></tr>' for a, b in sysinfo) + "</tbody></table></div>")

    # 6 code access ----------------------------------------------------------------------
    h3("x_code", "stress-code")
    h4("sharing")
    cmd = ["sim", "report", *[os.path.relpath(r.scenario.path) if r.scenario.path else r.name for r in runs],
           "--replications", str(r_n), "--seed", str(seed)]
    for key, val in base.overrides:
        cmd += ["--set", f"{key}={value_text(val)}"]
    if lang == "zh":
        cmd += ["--lang", "zh"]
    hashes = ", ".join(f"{run_name(r, lang)} {r.scenario.hash}" for r in runs)
    p((f"模型为 Python 包 community-office-sim {__version__}(命令 <code>sim</code>),方案为 TOML 文件(内容哈希:{esc(hashes)})。"
       f"重现本报告:<code>{esc(' '.join(cmd))}</code>。") if zh else
      (f"The model is the Python package community-office-sim {__version__} (command "
       f"<code>sim</code>); the scenarios are TOML files (content hashes: {esc(hashes)}). To "
       f"reproduce this report: <code>{esc(' '.join(cmd))}</code>."))
    return "".join(h)
