"""The report's "How sure are we" in English and Chinese: the Chinese page carries the
section's headings, labels, sentences and discovered boxes in Chinese (no English sentence of
the section is left), from the ensemble object and from its directory alike, with the same
counts as the English sentences; the English section is the ensemble's own sentences.

Real simulations: an M/M/c pair (10 vs 11 servers, 20 days) in 24 sampled worlds of the
arrival rate, with a discovery condition that holds in some worlds only.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from sim.analysis.explore import explore, read_explore
from sim.analysis.wording import robustness_sentence
from sim.experiment import compare
from sim.metrics import HEADLINE
from sim.report import build_report
from sim.report.robustness import robustness_section
from sim.text import catalogue

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"
SETS = ["scenario.days=20"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("pair")
    reform = d / "more.toml"
    reform.write_text(f'extends = "{MMC}"\n[scenario]\nname = "M/M/11"\n[office]\nworkers = 11\n')
    return [str(MMC), str(reform)]


@pytest.fixture(scope="module")
def ensemble(pair):
    # the median effect on waiting is about -0.35 h: "< -0.35" holds in part of the worlds
    return explore(pair, samples=24, replications=2, vary=["tasks.job.arrivals.per_hour=7.0:9.5"],
                   overrides=SETS, seed=2, discover=["wait_hours_mean < -0.35"])


def text_of(section_html: str) -> str:
    """The section's words: figures (SVG paths) and tags removed, entities decoded."""
    body = re.sub(r"<svg.*?</svg>", " ", section_html, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def test_zh_section_has_no_english_sentence(ensemble, tmp_path):
    ensemble.write(tmp_path / "ens")
    saved = read_explore(tmp_path / "ens")
    zh = [text_of(robustness_section(e, "zh")[2]) for e in (ensemble, saved)]
    assert zh[0] == zh[1]            # counts from the JSON's shares: the same sentences
    words = zh[0]
    for m, h in ensemble.headline.items():
        assert h["sentence"] not in words, m
    for key, (en, _zh) in catalogue().items():
        if key.startswith("report.robustness."):
            for piece in re.split(r"\{[^}]*\}", en):     # the fixed words between the fields
                if len(piece.strip()) >= 8:
                    assert piece.strip() not in words, key
    assert ensemble.boxes, "the condition should give a box"
    for b in ensemble.boxes:
        assert b["sentence"] not in words
    # with the names taken out (inputs, metric ids, methods), no two English words follow
    # each other anywhere: no English phrase is left
    rest = words
    for name in ["EMA Workbench", *(f.name for f in ensemble.factors), *ensemble.headline]:
        rest = rest.replace(name, " ")
    assert not re.search(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}", rest), rest


def test_zh_sentences_say_the_same_counts(ensemble):
    words = text_of(robustness_section(ensemble, "zh")[2])
    n = ensemble.worlds
    checked = 0
    for m in HEADLINE:
        h = ensemble.headline.get(m)
        if not h:
            continue
        q = (h["effect_median"], h["effect_p05"], h["effect_p95"])
        zh = robustness_sentence(m, n, h["worlds_up"], h["worlds_down"], q, "zh")
        assert zh in words and CJK.search(zh)
        en = robustness_sentence(m, n, h["worlds_up"], h["worlds_down"], q, "en")
        assert en == h["sentence"]
        if h["worlds_up"] or h["worlds_down"]:
            count = max(h["worlds_up"], h["worlds_down"])
            assert f"{n} 个抽样情景中的 {count} 个" in zh
            checked += 1
    assert checked >= 1


def test_en_section_is_the_ensembles_english(ensemble, pair):
    comp = compare(pair, replications=2, seed=5, overrides=SETS, events=True)
    page = build_report(comp, explore=ensemble)
    start = page.index('id="robustness"')
    section = text_of(page[start:page.index("</section>", start)])
    assert not CJK.search(section)
    for m in HEADLINE:
        if m in ensemble.headline:
            assert ensemble.headline[m]["sentence"] in section
    for b in ensemble.boxes:
        assert b["sentence"] in section
    assert "How sure are we" in page and "Where it fails: scenario discovery" in section
    # the ensemble shows how far the effects move: "In short" does not say it is missing
    assert "replication noise only" not in page
    assert "replication noise only" in build_report(comp)
    zh_page = build_report(comp, "zh", explore=ensemble)
    assert "结论有多可靠" in zh_page and "何时失效:情景发现" in zh_page
