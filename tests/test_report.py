"""``sim report``: one self-contained HTML file that a browser can show offline.

The Bozhou reports (English and Chinese, 2 replications) are written once per module by the
command line, in parallel; the checks parse them with :mod:`html.parser`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.metrics import EMERGENT, HEADLINE, INPUT, metric
from sim.report.common import esc
from sim.text import t as catalogue_text

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "scenarios/bozhou_before.toml"
AFTER = "scenarios/bozhou_after.toml"
CJK = re.compile(r"[\u3400-\u9fff]")
STRESS_EN = ("Objectives", "Logic", "Data", "Experimentation", "Implementation", "Code access")
STRESS_ZH = ("目标", "模型逻辑", "数据", "实验设计", "实现", "代码获取")


def _sim(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


class Page(HTMLParser):
    """Tags, attributes, headings and table rows of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: dict[str, list[str]] = {"h1": [], "h2": [], "h3": [], "h4": []}
        self.ids: list[str] = []
        self.tables: dict[str, list[str]] = {}
        self._open: list[str] = []
        self._heading: str | None = None
        self._text: list[str] = []
        self._table: list[str | None] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag in self.headings:
            self._heading, self._text = tag, []
        if tag == "table":
            self._table.append(a.get("id"))
            if a.get("id"):
                self.tables[a["id"]] = []
        if tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag == self._heading:
            self.headings[tag].append(" ".join("".join(self._text).split()))
            self._heading = None
        if tag == "table" and self._table:
            self._table.pop()
        if tag == "tr" and self._row is not None:
            tid = self._table[-1] if self._table else None
            if tid:
                self.tables[tid].append(" ".join(" ".join(self._row).split()))
            self._row = None

    def handle_data(self, data):
        if self._heading:
            self._text.append(data)
        if self._row is not None:
            self._row.append(data)


def _parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """{lang: (path, stdout)}: both reports written by ``sim report`` side by side."""
    out = tmp_path_factory.mktemp("report")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = {}
    for lang in ("en", "zh"):
        path = out / "sub dir" / f"report_{lang}.html"  # parent created, spaces fine
        procs[lang] = (path, subprocess.Popen(
            [sys.executable, "-m", "sim", "report", BEFORE, AFTER, "--replications", "2",
             "-o", str(path), "--lang", lang, "--no-progress"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    done = {}
    for lang, (path, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
        done[lang] = (path, stdout)
    return done


@pytest.fixture(scope="module")
def en(reports):
    path, _ = reports["en"]
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def zh(reports):
    path, _ = reports["zh"]
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- content
def test_report_is_written_and_its_path_printed(reports):
    for path, stdout in reports.values():
        assert path.is_file() and path.stat().st_size > 100_000
        assert stdout.strip() == str(path)


def test_report_parses_and_names_both_scenarios(en):
    page = _parse(en)
    assert en.startswith("<!DOCTYPE html>")
    assert page.headings["h1"] and "Bozhou before" in page.headings["h1"][0]
    assert "Bozhou before" in en and "Bozhou after" in en
    # the scenario descriptions, in plain words
    assert "8 community workers and a party secretary" in en
    sections = " | ".join(page.headings["h2"])
    for heading in ("The question", "The scenarios", "What differs between them",
                    "Headline results", "Figures", "All metrics", "Model documentation (STRESS-DES)"):
        assert heading in sections
    assert len(page.ids) == len(set(page.ids)), "duplicate element ids (figures' SVG ids clash)"


def test_headline_table(en):
    page = _parse(en)
    rows = page.tables["headline-table"]
    assert len(rows) == 1 + len(HEADLINE)  # header + one row per headline metric
    assert "Paired difference" in rows[0] and "Verdict" in rows[0]
    for name in HEADLINE:
        row = next((r for r in rows if r.startswith(metric(name).label)), None)
        assert row is not None, name
        assert re.search(r"better|worse|no clear difference|higher|lower", row)
        # the kind shown with the metric: an input cut or a queueing result
        shown = catalogue_text(f"kind.{metric(name).kind}")
        other = catalogue_text(f"kind.{INPUT if metric(name).kind == EMERGENT else EMERGENT}")
        assert shown in row and other not in row, name
    assert esc(catalogue_text("report.kind_note")) in en
    # means with confidence intervals, the paired difference in percentage points
    admin = next(r for r in rows if r.startswith(metric("admin_hours_share").label))
    assert re.search(r"\[\d+\.\d+, \d+\.\d+\]", admin) and " pp" in admin
    # with 2 replications (t with 1 df) Holm's adjustment over the 9 headline comparisons may
    # leave even this clear change unclear (issue 15: verdicts adjusted by default)
    assert "better" in admin or "no clear difference" in admin
    # the full metric table has more rows than the headline one
    assert len(page.tables["metric-table"]) > len(rows) + 20


def test_levers_and_differences(en):
    # every lever of the reform with its description and source
    for lever in ("admission_list", "fewer_assessments", "opinion_rights", "red_property"):
        assert f"<code>{lever}</code>" in en
    assert "Only listed work enters the community" in en
    assert "全市取消社区检查考核评比事项27个" in en  # a lever's source, from the article
    # the parameter differences (scenario_diff), with their values
    assert "tasks.ledger_upkeep.arrivals.per_month" in en
    assert "Every parameter that differs" in en


def test_at_least_six_embedded_figures(en, zh):
    for text in (en, zh):
        n = text.count("<svg") + text.count("data:image")
        assert n >= 6
    for fid in ("fig-headline", "fig-forest", "fig-hours-category", "fig-hours-origin",
                "fig-workload", "fig-resolution", "fig-opinion", "fig-utilisation"):
        assert f'id="{fid}"' in en


def test_stress_des_sections(en, zh):
    h3 = " | ".join(_parse(en).headings["h3"])
    for heading in STRESS_EN:
        assert heading in h3, heading
    for heading in ("Data sources", "Input parameters", "Assumptions", "Initialisation",
                    "Run length", "Estimation approach", "Software", "System specification"):
        assert heading in " | ".join(_parse(en).headings["h4"]), heading
    assert "Strengthening the reporting of empirical simulation studies" in en
    # experimentation and implementation facts
    assert "SeedSequence" in en and "common random numbers" in en.lower()
    for package in ("Python", "simpy", "numpy", "pandas", "matplotlib", "community-office-sim"):
        assert package in en
    assert "CPU count" in en and "Run time" in en
    # the parameter table: flatten + source_of of every scenario
    assert "office.workers" in en and "[tianchang2024] 天长" in en
    h3_zh = " | ".join(_parse(zh).headings["h3"])
    for heading in STRESS_ZH:
        assert heading in h3_zh, heading


def test_no_external_resources(en, zh):
    for text in (en, zh):
        page = _parse(text)
        for tag, attrs in page.tags:
            for key in ("src", "href", "xlink:href", "data", "action", "poster", "srcset"):
                value = (attrs.get(key) or "").strip().lower()
                assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, key, value)
            assert tag not in ("script", "iframe", "object", "embed", "base")
            if tag == "link":
                pytest.fail(f"<link> in a self-contained page: {attrs}")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text, re.I)
        assert "@import" not in text and "@font-face" not in text
        # any remaining http(s) text is a plain-text citation, never inside a tag
        for m in re.finditer(r"https?://", text):
            start = text.rfind("<", 0, m.start())
            assert text.rfind(">", 0, m.start()) > start, text[max(0, m.start() - 80):m.start() + 40]


def test_chinese_report(zh):
    page = _parse(zh)
    assert '<html lang="zh-CN">' in zh
    h2 = page.headings["h2"]
    assert all(CJK.search(h) for h in h2), h2
    for heading in ("研究问题", "比较的方案", "主要结果", "图表", "全部指标", "模型说明"):
        assert any(heading in h for h in h2), heading
    assert "亳州社区减负前" in zh and "亳州社区减负后" in zh
    rows = page.tables["headline-table"]
    assert any(metric("admin_hours_share").label_zh in r for r in rows)
    assert "更好" in zh


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("args, needle", [
    ((BEFORE, "scenarios/nope.toml"), "nope.toml"),
    ((BEFORE,), "at least two"),
    ((BEFORE, AFTER, "--replications", "0"), "--replications"),
    ((BEFORE, AFTER, "--set", "office.wokers=3"), "wokers"),
    ((BEFORE, AFTER, "--lang", "fr"), "lang"),
    ((BEFORE, AFTER, "--seed", "-1"), "--seed"),
])
def test_bad_input_exits_2(tmp_path, args, needle):
    p = _sim("report", *args, "-o", str(tmp_path / "r.html"), timeout=120)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "r.html").exists()


def test_output_is_a_directory_exits_2(tmp_path):
    p = _sim("report", BEFORE, AFTER, "--replications", "1", "-o", str(tmp_path), timeout=300)
    assert p.returncode == 2, p.stderr
    assert "directory" in p.stderr and "Traceback" not in p.stderr


def test_missing_output_option_exits_2():
    p = _sim("report", BEFORE, AFTER, timeout=120)
    assert p.returncode == 2 and "-o" in p.stderr


def test_help_works():
    p = _sim("report", "--help", timeout=120)
    assert p.returncode == 0 and "REPORT.html" in p.stdout


# --------------------------------------------------------------------------- the functions
TINY = """\
[scenario]
name = "{name}"
name_zh = "{name_zh}"
description = "A tiny office for tests."
days = 40
calendar = "weekdays"
seed = 3

[office]
workers = 2
secretary = true

[volunteers]
teams = {teams}

[[tasks]]
id = "core"
category = "core"
arrivals = {{ per_day = 6.0 }}
effort_hours = {{ dist = "exponential", mean = 1.0 }}

[[tasks]]
id = "repair"
category = "problem"
origin = "resident"
problem_kind = "repair"
arrivals = {{ per_day = 1.0 }}
effort_hours = {{ dist = "exponential", mean = 1.0 }}

[[tasks]]
id = "opinion"
category = "opinion"
origin = "department"
arrivals = {{ per_week = 2.0 }}
deadline_working_days = 3
steps = [
  {{ role = "worker", effort_hours = {{ dist = "fixed", value = 1.0 }} }},
  {{ role = "secretary", effort_hours = {{ dist = "fixed", value = 0.5 }} }},
]
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from sim.experiment import compare

    d = tmp_path_factory.mktemp("tiny")
    a, b = d / "a.toml", d / "b.toml"
    a.write_text(TINY.format(name="Tiny A", name_zh="小 A", teams=0), encoding="utf-8")
    b.write_text(TINY.format(name="Tiny B", name_zh="小 B", teams=1), encoding="utf-8")
    return [a, b], compare([a, b], replications=2, events=True, progress=False)


def test_build_report_is_a_pure_function(tiny):
    from sim.report import build_report

    _, comp = tiny
    first = build_report(comp, "en")
    assert first == build_report(comp, "en")
    assert "Tiny A" in first and "volunteers.teams" in first
    zh = build_report(comp, "zh")
    assert "小 A" in zh and zh != first


def test_build_report_rejects_bad_input(tiny):
    from sim.report import build_report

    _, comp = tiny
    with pytest.raises(InputError, match="lang"):
        build_report(comp, "fr")
    with pytest.raises(InputError):
        build_report(comp.runs[0], "en")


def test_write_report(tiny, tmp_path):
    from sim.report import write_report

    files, comp = tiny
    out = write_report(tmp_path / "a" / "b.html", comp)
    assert out.is_file() and out.read_text(encoding="utf-8").count("<svg") >= 6
    again = write_report(tmp_path / "c.html", comp, "zh")
    assert "小 B" in again.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="directory"):
        write_report(tmp_path, comp)
    with pytest.raises(InputError, match="lang"):
        write_report(tmp_path / "d.html", comp, "fr")
    # the report only draws: scenario files are the caller's to run
    with pytest.raises(InputError, match="already run"):
        write_report(tmp_path / "d.html", files)
    assert not (tmp_path / "d.html").exists()


def test_compare_with_report_writes_tables_and_report_from_one_run(tmp_path):
    """``make run``: one ``sim compare`` prints the table, writes the CSVs and the report."""
    import subprocess
    import sys

    out = tmp_path / "cmp"
    report = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "compare", "scenarios/bozhou_before.toml",
         "scenarios/bozhou_after.toml", "--replications", "2", "--no-progress",
         "--out", str(out), "--report", str(report)],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Share of staff hours on administration" in proc.stdout
    assert (out / "differences.csv").exists()
    assert not (out / "events.csv").exists()      # the logs were for the report only
    assert str(report) in proc.stderr
    text = report.read_text(encoding="utf-8")
    assert "Bozhou before" in text and "Bozhou after" in text
    assert text.count("<svg") >= 6


def test_compare_report_to_a_directory_is_refused_before_running(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "sim", "compare", "scenarios/bozhou_before.toml",
         "scenarios/bozhou_after.toml", "--replications", "2", "--report", f"{tmp_path}/"],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--report" in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""                         # nothing ran


# --------------------------------------------------------------------------- warnings
def _build_with_warnings_as_errors(comp, lang: str) -> str:
    """The report built with every warning an error: a warning that is the package's own
    fault (e.g. matplotlib's "No artists with labels found to put in legend") fails. Only
    the documented no-CJK-font fallback may warn, and only where no CJK font is installed."""
    import warnings

    from sim.plots import cjk_font
    from sim.report import build_report

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if lang == "zh" and cjk_font() is None:
            warnings.filterwarnings("ignore", message="no CJK font found", category=RuntimeWarning)
        return build_report(comp, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_builds_without_warnings(tiny, lang):
    _, comp = tiny
    assert "<svg" in _build_with_warnings_as_errors(comp, lang)


def test_report_without_problems_or_opinions_builds_without_warnings(tmp_path):
    """No residents' problems and no opinion requests: the figures for them have nothing
    with a label, and must not ask matplotlib for a legend (it warned for every such report)."""
    from sim.experiment import compare

    text = TINY.split("[[tasks]]\nid = \"repair\"")[0]
    paths = []
    for name in ("Plain A", "Plain B"):
        path = tmp_path / f"{name[-1]}.toml"
        path.write_text(text.format(name=name, name_zh=name, teams=0), encoding="utf-8")
        paths.append(path)
    comp = compare(paths, replications=1, events=True, progress=False)
    assert "Plain A" in _build_with_warnings_as_errors(comp, "en")


# --------------------------------------------------------------------------- one source for the words
def test_stress_section_shows_the_model_description_shared_with_the_docs(tiny):
    """The model in brief (purpose, flow, logic, assumptions, execution) comes from the one
    catalogue that docs/model.md is generated from, in the report's language."""
    import html

    from sim.report import build_report
    from sim.text import catalogue, t

    _, comp = tiny
    keys = [k for k in catalogue() if k.startswith("model_description.")
            and not k.startswith("model_description.secretary_general")]
    assert len(keys) > 30
    for lang in ("en", "zh"):
        page = build_report(comp, lang)
        stress = page[page.index('<section id="stress">'):]
        for key in keys:
            words = t(key, lang, general="") if key.endswith(".secretary") else t(key, lang)
            assert html.escape(words) in stress, (lang, key)


def test_report_runs_on_a_process_pool_with_the_serial_numbers(tiny, tmp_path):
    # `sim report` takes the executor options of `sim compare`: on two worker processes the
    # tables of numbers (headline, all metrics) are those of the serial comparison
    from sim.report import build_report

    files, comp = tiny
    out = tmp_path / "pool.html"
    p = _sim("report", *map(str, files), "--replications", "2", "--executor", "processes",
             "--workers", "2", "--no-progress", "-o", str(out), timeout=300)
    assert p.returncode == 0, p.stderr
    pool, serial = _parse(out.read_text(encoding="utf-8")), _parse(build_report(comp, "en"))
    numeric = [t for t in serial.tables if serial.tables[t]]
    assert "headline-table" in numeric and any(any(c.isdigit() for c in row) for t in numeric
                           for row in serial.tables[t])
    for t in numeric:
        assert pool.tables[t] == serial.tables[t], t


def test_report_checks_the_executor_options(tmp_path):
    p = _sim("report", BEFORE, AFTER, "--scheduler", "tcp://127.0.0.1:1", "--executor",
             "processes", "-o", str(tmp_path / "r.html"), timeout=120)
    assert p.returncode == 2 and "--scheduler" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "r.html").exists()
