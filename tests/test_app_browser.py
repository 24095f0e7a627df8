"""The planner's app in a real browser: ``sim app`` as a subprocess, Playwright driving
Debian's Chromium (the system executable; no browser download), offline on loopback.

Loads the page in English and Chinese, switches a lever, waits for the answer, checks that the
headline cards hold exactly what ``sim compare --json`` gives for the downloaded TOML (same
replications and seed), downloads the report, clicks "How sure are we" (a tiny ensemble) and checks the band on the cards against
``sim explore --json`` of the same TOML, checks that the Chinese page is drawn with a
CJK font, and saves screenshots under ``out/test-artefacts/app`` (``SIM_ARTEFACTS`` to move
them). Skips only when Chromium is missing and cannot be installed (as the report's test).
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_report_browser import chromium  # noqa: F401  (the fixture: find or install it)

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("panel")

ROOT = Path(__file__).resolve().parents[1]
DAYS = 60          # a short horizon keeps the test fast; the TOML (and so sim compare) has it too
ARTEFACTS = Path(os.environ.get("SIM_ARTEFACTS", ROOT / "out" / "test-artefacts")) / "app"
CARD_TIMEOUT = 120_000   # ms: 2 x 20 replications on a busy 2-core machine
WORLDS, WORLD_REPS = 3, 2   # a tiny "How sure are we" ensemble: 12 short simulations


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port),
                             "--workers", "2", "--worlds", str(WORLDS),
                             "--world-replications", str(WORLD_REPS)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"sim app did not start (exit {proc.poll()}): {out[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def browser(chromium):  # noqa: F811
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


def _same(a: float, b: float | None) -> bool:
    """Equal, or both undefined (NaN on the page, null in JSON)."""
    undefined = [x is None or math.isnan(x) for x in (a, b)]
    return all(undefined) or (not any(undefined) and a == b)


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_same(a[m][k], b[m][k]) for m in a for k in a[m])


_CARD = re.compile(r'<div class="card" data-metric="(\w+)" data-before="([^"]+)" '
                   r'data-after="([^"]+)" data-diff="([^"]+)"')


def _answer(page) -> tuple[bool, dict[str, dict[str, float]]]:
    """(final?, the cards' numbers), read in one piece so that a refresh cannot split them."""
    box = page.locator(".sim-app:has(#cards)")
    if not box.count():
        return False, {}
    html = box.first.evaluate("e => e.outerHTML")
    cards = {m: {"before": float(b), "after": float(a), "diff": float(d)}
             for m, b, a, d in _CARD.findall(html)}
    return 'id="final"' in html, cards


_BAND = re.compile(r'<div class="card" data-metric="(\w+)".*?<div class="band" data-band-median="([^"]+)" '
                   r'data-band-p05="([^"]+)" data-band-p95="([^"]+)" data-worlds="(\d+)" '
                   r'data-worlds-up="(\d+)" data-worlds-down="(\d+)"')


def _bands(page) -> dict[str, dict[str, float]]:
    """The robustness band on every card (median, 5 % and 95 % across worlds, counts)."""
    html = page.locator(".sim-app:has(#cards)").first.evaluate("e => e.outerHTML")
    cards = html.split('<div class="card" ')[1:]
    out = {}
    for c in cards:
        got = _BAND.search('<div class="card" ' + c)
        if got:
            m, med, lo, hi, n, up, down = got.groups()
            out[m] = {"median": float(med), "p05": float(lo), "p95": float(hi), "worlds": int(n),
                      "up": int(up), "down": int(down)}
    return out


def _wait_final(page, changed_from: dict | None = None) -> dict[str, dict[str, float]]:
    """Wait for the refined (final) answer; with ``changed_from``, for one that differs."""
    deadline = time.monotonic() + CARD_TIMEOUT / 1000
    while time.monotonic() < deadline:
        final, cards = _answer(page)
        if final and cards and (changed_from is None or not _equal(cards, changed_from)):
            return cards
        time.sleep(0.3)
    raise AssertionError("the final answer did not appear")


def test_english_page_lever_run_and_downloads(server, browser, tmp_path):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{server}?lang=en&days={DAYS}")
    page.get_by_text("Compare a reform for your own community").wait_for()
    first = _wait_final(page)
    assert set(first) >= {"admin_hours_share", "overtime_hours_per_worker_year",
                          "opinion_on_time_rate", "problems_resolved",
                          "problem_resolution_days_rmean", "problems_escalated"}
    # switch a lever off: the answer changes
    page.locator(".lever-red_property input[type=checkbox]").uncheck()
    after = _wait_final(page, changed_from=first)
    # the baseline (every lever off) is the same community: its values stay; the reform's move
    assert all(_same(after[m]["before"], first[m]["before"]) for m in first), (first, after)
    assert not all(_same(after[m]["after"], first[m]["after"]) for m in first)
    page.locator("#fig-hours_by_category").wait_for(timeout=CARD_TIMEOUT)  # drawn after the cards

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download scenario (TOML)").click()
    toml = tmp_path / "my_community.toml"
    dl.value.save_as(toml)
    text = toml.read_text(encoding="utf-8")
    assert "red_property" in text and f"days = {DAYS}" in text
    command = re.search(r"^#\s+(sim compare .+)$", text, re.M)[1]
    assert "-red_property" not in command   # it is off: not among the levers switched on
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = command.split()   # sim compare FILE#-... FILE --replications N --seed S
    p = subprocess.run([sys.executable, "-m", "sim", *args[1:], "--json", "--no-progress",
                        "--workers", "2"],   # the same numbers on every executor
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    diffs = out["differences"][0]["metrics"]
    base = out["runs"][0]["metrics"]
    reform = out["runs"][1]["metrics"]
    for m, card in after.items():
        # the same replications of the same scenarios through the same code: equal bit for bit
        # (JSON and the cards' data attributes both carry repr(float))
        assert _same(card["diff"], diffs[m]["mean"]), m
        assert _same(card["before"], base[m]["mean"]), m
        assert _same(card["after"], reform[m]["mean"]), m

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download report (HTML)").click()
    report = tmp_path / "report.html"
    dl.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert 'id="headline-table"' in html and html.count("<svg") >= 4

    # "How sure are we": off until asked; then the band on every card is what `sim explore`
    # gives for the downloaded TOML with the same worlds, replications and seed
    assert not page.locator(".card .band").count()
    page.get_by_role("button", name="How sure are we?").click()
    page.locator(".card .band").first.wait_for(timeout=CARD_TIMEOUT)
    page.locator("#ens-note").wait_for()
    bands = _bands(page)
    assert set(bands) == set(after)
    p = subprocess.run([sys.executable, "-m", "sim", "explore", args[2], args[3], "--samples",
                        str(WORLDS), "--replications", str(WORLD_REPS), "--seed", args[-1],
                        "--json", "--no-progress"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    explore = json.loads(p.stdout)["metrics"]
    for m, band in bands.items():
        ref = explore[m]
        # the same simulations (same scenarios, worlds and seeds): equal bit for bit
        assert _same(band["median"], ref["effect_median"]), m
        assert _same(band["p05"], ref["effect_p05"]) and _same(band["p95"], ref["effect_p95"]), m
        assert band["worlds"] == WORLDS
    assert "sampled worlds" in page.locator(".card .band .share").first.inner_text()
    page.screenshot(path=str(ARTEFACTS / "app_en.png"), full_page=True)

    href = page.locator("#settings-link").get_attribute("href")
    assert "days=60" in href and "red_property" not in href.split("levers=")[1].split("&")[0]
    page.close()


_FIND = """(id) => { const walk = (root) => { const el = root.getElementById ? root.getElementById(id) : null;
  if (el) return el; for (const n of root.querySelectorAll('*')) { if (n.shadowRoot) {
  const f = walk(n.shadowRoot); if (f) return f; } } return null; }; return walk(document); }"""


def _platform_fonts(page, element_id: str) -> list[str]:
    """The fonts Chromium really drew the element's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})
    res = cdp.send("Runtime.evaluate", {"expression": f"({_FIND})({json.dumps(element_id)})"})
    assert "objectId" in res["result"], f"no element #{element_id} on the page"
    node = cdp.send("DOM.requestNode", {"objectId": res["result"]["objectId"]})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return [f["familyName"] for f in fonts["fonts"]]


def test_chinese_page_uses_a_cjk_font(server, browser):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}?lang=zh&days={DAYS}")
    page.get_by_text("为你的社区比较减负措施").wait_for()
    cards = _wait_final(page)
    assert "admin_hours_share" in cards
    assert page.get_by_text("行政事务工时占比").count() >= 1   # the card's label, from the registry
    fonts = _platform_fonts(page, "app-title")
    assert any("CJK" in f or "Han" in f or "WenQuanYi" in f for f in fonts), fonts
    page.locator("#fig-hours_by_category").wait_for(timeout=CARD_TIMEOUT)
    page.screenshot(path=str(ARTEFACTS / "app_zh.png"), full_page=True)
    page.close()
