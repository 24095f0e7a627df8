"""The report in a real browser: Debian's Chromium, headless, offline.

``make test`` installs Chromium and the Noto CJK fonts first (target ``browser``); if
Chromium is still missing, the test tries to install it (root and apt-get only) and skips,
saying why, only when that is impossible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180  # seconds for one Chromium run


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _install_chromium() -> str:
    """Try apt-get; return why it could not be done (empty string when it worked)."""
    if not shutil.which("apt-get"):
        return "no apt-get on this system"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "not root, so apt-get cannot install it (run `make browser` as root)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
        p = subprocess.run(["apt-get", "install", "-y", "chromium", "fonts-noto-cjk"], env=env,
                           capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"apt-get failed: {exc}"
    if p.returncode != 0:
        return f"apt-get install chromium failed: {p.stderr.strip().splitlines()[-1:]}"
    return ""


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = _find_chromium()
    if exe is None:
        why = _install_chromium()
        exe = _find_chromium()
        if exe is None:
            pytest.skip(f"Chromium is not installed and could not be installed: {why or 'unknown reason'}")
    return exe


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report.html"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "sim", "report", "scenarios/bozhou_before.toml",
                        "scenarios/bozhou_after.toml", "--replications", "2", "-o", str(out),
                        "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def _run(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--mute-audio",
           f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp)


def test_screenshot_is_not_blank(chromium, report, tmp_path):
    import matplotlib.image as mpimg

    png = tmp_path / "report.png"
    p = _run(chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,2000",
             "--hide-scrollbars", report.as_uri())
    assert png.is_file(), f"no screenshot; chromium said: {p.stderr[-2000:]}"
    assert png.stat().st_size > 20_000
    img = mpimg.imread(png)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    rgb = img[..., :3].reshape(-1, 3)
    assert float(rgb.std()) > 0.02  # not one colour
    colours = np.unique((rgb[:: max(1, rgb.shape[0] // 200_000)] * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50  # text, tables, badges
    # the page is mostly white (a clean layout), with ink on it
    white = float(np.mean(rgb.min(axis=1) > 0.97))
    assert 0.5 < white < 0.995


def test_rendered_dom_has_the_headline_table(chromium, report, tmp_path):
    p = _run(chromium, tmp_path, "--dump-dom", report.as_uri())
    dom = p.stdout
    assert "</html>" in dom, p.stderr[-2000:]
    assert 'id="headline-table"' in dom
    for label in ("Share of staff hours on administration", "Overtime per worker",
                  "Restricted mean days to resolve (Kaplan-Meier)"):
        assert label in dom
    assert dom.count("<svg") >= 6
    assert "Model documentation (STRESS-DES)" in dom
