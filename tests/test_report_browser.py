"""The report in a real browser: headless Chromium renders it with no console errors, the
charts exist, the sortable-table script runs under the page's CSP, and hostile column
names stay text.

Skipped when no Chromium is installed (CI installs it: apt-get install -y chromium).
Set FEATKIT_SCREENSHOT_DIR to keep the screenshot.
"""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_TITLE = "<img src=y onerror=\"document.title='pwned'\">"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-default-apps", "--mute-audio", "--hide-scrollbars"]


def _chromium():
    env = os.environ.get("FEATKIT_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed")


def _run(args, profile, timeout=120):
    cmd = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
           "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}
        self.sortable_heads = 0

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        classes = dict(attrs).get("class") or ""
        if tag == "th" and "sortable" in classes.split():
            self.sortable_heads += 1


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from featkit.ranking import rank_features
    from featkit.report import write_report

    rng = np.random.RandomState(0)
    n = 200
    frame = pd.DataFrame({"signal": rng.normal(size=n), "other": rng.normal(size=n),
                          EVIL_IMG: rng.normal(size=n), EVIL_TITLE: rng.normal(size=n),
                          "colour": rng.choice(["red", "green"], n)})
    frame["y"] = np.where(frame["signal"] + 0.5 * frame["other"] > 0, "a", "b")
    model = "lightgbm" if _has("lightgbm") else None
    result = rank_features(frame, "y", methods=["f_test", "mutual_info", "variance"],
                           evaluate=True, model=model, random_state=0)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    write_report(result, path, title="browser check")
    return path


def _has(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@needs_chromium
def test_report_renders_without_console_errors_and_runs_no_injected_script(report, tmp_path):
    out = _run(["--dump-dom", report.as_uri()], tmp_path / "profile")
    assert out.returncode == 0, out.stderr[-2000:]
    assert _console_lines(out.stderr) == []  # no errors, no CSP violations, no log at all
    dom = _Dom()
    dom.feed(out.stdout)
    # the charts exist
    assert dom.tags.get("svg", 0) >= 8
    assert dom.tags.get("rect", 0) > 50 and dom.tags.get("circle", 0) > 20
    # the page's own script ran (it marks the sortable headers) ...
    assert dom.sortable_heads >= 5
    # ... and nothing from the data did: no img element, title unchanged, names shown as text
    assert "img" not in dom.tags
    assert re.search(r"<head>.*?<title>(.*?)</title>", out.stdout, re.S).group(1) == "browser check"
    assert "&lt;img src=x onerror=alert(1)&gt;" in out.stdout


@needs_chromium
def test_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    out = _run(["--window-size=1280,2000", f"--screenshot={shot}", report.as_uri()], tmp_path / "profile")
    assert out.returncode == 0, out.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # drawn content: a blank page of the same size compresses to a small fraction
    blank_page, blank = tmp_path / "blank.html", tmp_path / "blank.png"
    blank_page.write_text("<html><body></body></html>")
    _run(["--window-size=1280,2000", f"--screenshot={blank}", blank_page.as_uri()], tmp_path / "profile2")
    assert shot.stat().st_size > 10 * blank.stat().st_size
    # what the page shows first: y follows signal + 0.5 * other, so "signal" heads the
    # ranking table and the top-features chart of the rendered page
    dom = _run(["--window-size=1280,2000", "--dump-dom", report.as_uri()], tmp_path / "profile3").stdout
    ranking = dom[dom.index('<section id="ranking">'):]
    assert re.search(r'<td class="feature"[^>]*>(.*?)</td>', ranking).group(1) == "signal"
    chart = re.search(r'aria-label="Top \d+ features by consensus.*?</svg>', ranking, re.S).group(0)
    labels = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", chart) if t in {"signal", "other", "colour"}]
    assert labels[0] == "signal"
    keep = os.environ.get("FEATKIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report_browser_test.png")


@needs_chromium
def test_console_errors_would_be_caught(tmp_path):
    """The harness itself: a page with a script error does produce a CONSOLE line."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    out = _run(["--dump-dom", page.as_uri()], tmp_path / "profile")
    lines = _console_lines(out.stderr)
    assert lines and re.search(r"undefinedFunction", lines[0])
