"""The shared number formatting (:mod:`sim.formatting`) and the text catalogue (:mod:`sim.text`)."""

from __future__ import annotations

import ast
import math
import re
import string
from pathlib import Path

import pytest

from sim import text
from sim.formatting import MINUS, interval, number, significant
from sim.text import sync_docs


# --------------------------------------------------------------------------- formatting
@pytest.mark.parametrize("x, d, sign, out", [
    (1234.5678, 1, False, "1,234.6"),
    (-0.004, 2, False, "0.00"),          # rounds to zero: no "-0.00"
    (-0.004, 2, True, "+0.00"),
    (2.5, 0, True, "+2"),                # round half to even, as Python's round
    (-12.25, 1, True, "-12.2"),
])
def test_number(x, d, sign, out):
    assert number(x, d, sign) == out


def test_number_not_finite_and_minus():
    for x in (None, math.nan, math.inf, "x"):
        assert number(x, 2) == "n/a"
        assert number(x, 2, na="无数据") == "无数据"
    assert number(-1500, 0, minus=MINUS) == f"{MINUS}1,500"
    assert number(1500, 0, True, minus=MINUS) == "+1,500"


def test_interval():
    assert interval(-1.234, 5.678, 1, True) == "[-1.2, +5.7]"
    assert interval(-1.234, 5.678, 1, minus=MINUS) == f"[{MINUS}1.2, 5.7]"
    assert interval(math.nan, 1.0, 1) == "n/a"
    assert interval(1.0, None, 1, na="") == ""


@pytest.mark.parametrize("x, padded, plain", [
    (12345.6, "12,346", "12,346"),
    (123.4, "123", "123"),
    (12.34, "12.3", "12.3"),
    (5.5, "5.50", "5.5"),
    (0.0, "0.00", "0"),
    (0.012345, "0.0123", "0.0123"),
])
def test_significant(x, padded, plain):
    assert significant(x) == padded
    assert significant(x, pad=False) == plain
    assert significant(-x, minus="-") == ("-" + padded if x else padded)


def test_significant_sign_and_not_finite():
    assert significant(-2.0) == f"{MINUS}2.00"
    assert significant(-0.0) == "0.00"
    assert significant(2.0, sign=True) == "+2.00"
    assert significant(math.nan) == "n/a" and significant(math.inf, na="-") == "-"


# --------------------------------------------------------------------------- the catalogue

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name is not None}


def test_every_key_has_both_languages_with_the_same_fields():
    cat = text.catalogue()
    assert len(cat) > 250  # report, figures, STRESS-DES, shared words
    for key, (en, zh) in cat.items():
        assert en.strip() and zh.strip(), key
        assert _fields(en) == _fields(zh), key
    # the Chinese side is in Chinese, but for entries with no words to translate: a unit
    # symbol, a format of fields only, a citation of an English paper, seconds as "s"
    no_words = {"unit.%", "report.finding", "report.cite", "stress.run_seconds", "app.share_tag"}
    untranslated = {k for k, (_en, zh) in cat.items() if not CJK.search(zh)}
    assert untranslated == no_words


def _cjk_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{n.lineno}: {n.value[:40]!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and CJK.search(n.value)]


def test_no_chinese_text_in_report_and_plots_outside_the_catalogue():
    files = sorted((ROOT / "sim" / "report").glob("*.py")) + sorted((ROOT / "sim" / "plots").glob("*.py"))
    assert len(files) >= 10
    found = [hit for f in files for hit in _cjk_literals(f)]
    assert found == []


def test_the_scan_finds_chinese_literals(tmp_path):
    """The scan above can fail: it sees a literal in an f-string and in a plain string."""
    sample = ROOT / "sim" / "report" / "_sample_for_test.py"
    try:
        sample.write_text('x = "更好"\ny = f"{x} 对比"\n', encoding="utf-8")
        assert len(_cjk_literals(sample)) == 2
    finally:
        sample.unlink()


def test_lookups():
    assert text.t("report.s_question", "zh") == "研究问题"
    assert text.t("report.title", "en", names="A vs B").endswith("A vs B")
    assert text.unit("hours/year", "zh") == "小时/年" and text.unit("furlongs", "zh") == "furlongs"
    assert text.verdict("better", "zh") == "更好" and text.verdict("better") == "better"
    assert text.param("office.workers", "zh") == "社工人数 (office.workers)"
    assert text.param("office.workers") == "office.workers"
    with pytest.raises(KeyError):
        text.t("report.no_such_key")


def test_malformed_catalogue_entries_are_refused():
    out: dict = {}
    with pytest.raises(ValueError, match="exactly the strings en and zh"):
        text._flatten("x", {"a": {"en": "A"}}, out)
    with pytest.raises(ValueError, match="not a table"):
        text._flatten("x", {"a": "A"}, out)


def test_category_and_origin_words_agree_with_the_metric_registry():
    """The metric registry labels hours by category in Chinese from its own table (until the
    labels move to the registry); the catalogue must say the same."""
    from sim.metrics import CATEGORY_LABELS_ZH, ORIGIN_LABELS_ZH

    for cat, zh in CATEGORY_LABELS_ZH.items():
        assert text.category(cat, "zh") == zh
    for org, zh in ORIGIN_LABELS_ZH.items():
        assert text.origin(org, "zh") == zh


# --------------------------------------------------------------------------- docs/model.md
def test_docs_model_md_holds_the_current_model_description():
    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert sync_docs.region() in doc, "run: python -m sim.text.sync_docs"
    for term in ("Entities", "Routing", "Joint meetings"):
        assert f"- **{term}.**" in doc


def test_sync_docs_rewrites_a_stale_region_and_check_reports_it(tmp_path):
    doc = tmp_path / "model.md"
    doc.write_text("# The model\n\nIntro.\n", encoding="utf-8")
    assert sync_docs.main([str(doc), "--check"]) == 1
    assert sync_docs.main([str(doc)]) == 0                  # appended
    assert doc.read_text(encoding="utf-8").startswith("# The model\n\nIntro.\n\n")
    assert sync_docs.main([str(doc), "--check"]) == 0
    stale = doc.read_text(encoding="utf-8").replace("interchangeable", "identical")
    doc.write_text(stale + "\nAfter.\n", encoding="utf-8")
    assert sync_docs.main([str(doc), "--check"]) == 1
    sync_docs.main([str(doc)])
    fixed = doc.read_text(encoding="utf-8")
    assert sync_docs.region() in fixed and fixed.endswith("\nAfter.\n") and "identical" not in fixed
