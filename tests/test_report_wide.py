"""The report on a wide table and on a categorical one: text inside its charts,
bars that differ, filter boxes, and the agreement's reason (#17.10-12, 14)."""

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from featkit.ranking import rank_features
from featkit.report import render_report
from featkit.results import RankingResult

from test_report_browser import CHROMIUM, _run, needs_chromium

SVG_NS = "{http://www.w3.org/2000/svg}"


def _wide_frame(n=120, d=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.8 * X[:, 1] + 0.2 * rng.normal(size=n) > 0).astype(int)
    names = [f"MEAN_WAVEFORM_AMPLITUDE_OF_CHANNEL_{j:04d}" for j in range(d)]
    frame = pd.DataFrame(X, columns=names)
    frame["label"] = y
    return frame


def _categorical_frame(n=300, seed=1):
    rng = np.random.default_rng(seed)
    city = rng.choice([f"Municipality of {c}" for c in ("Wolverhampton", "Middlesbrough", "Oslo", "Rome",
                                                       "Kuala Lumpur", "Ouagadougou")], n)
    y = (np.char.find(city.astype(str), "o") > 14).astype(int) ^ (rng.random(n) < 0.1)
    return pd.DataFrame({"city_of_residence_as_reported_in_the_registry": city,
                         "weight": rng.normal(size=n), "label": y})


@pytest.fixture(scope="module")
def wide_html():
    result = rank_features(_wide_frame(), "label", methods=["f_test", "mutual_info", "variance"])
    return result, render_report(result)


@pytest.fixture(scope="module")
def categorical_html():
    result = rank_features(_categorical_frame(), "label", methods=["f_test", "mutual_info"])
    return result, render_report(result)


def _width(text, size):
    """A sans-serif text's width, from typical advance widths (Arial: 'i' 0.22 em, 'W' 0.94 em)."""
    em = 0.0
    for ch in text:
        em += 0.28 if ch in "iljtfrI.,;:'|!()[] " else 0.9 if ch in "mwMW" else 0.66 if ch.isupper() else 0.55
    return em * size


def _text_extents(svg):
    """(x0, y0, x1, y1, text) of every unrotated <text> of an SVG, from the estimated width."""
    for node in svg.iter(f"{SVG_NS}text"):
        if node.get("transform"):
            continue
        text = "".join(t for t in [node.text or ""] + [c.tail or "" for c in node])
        if not text.strip():
            continue
        size = float(node.get("font-size") or svg.get("font-size") or 11)
        x, y = float(node.get("x")), float(node.get("y"))
        w = _width(text, size)
        anchor = node.get("text-anchor") or "start"
        x0 = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        yield x0, y - size, x0 + w, y, text


def _check_svgs_hold_their_text(html, at_least):
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert svgs
    checked = 0
    for raw in svgs:
        svg = ET.fromstring(raw)
        _, _, width, height = (float(v) for v in svg.get("viewBox").split())
        for x0, y0, x1, y1, text in _text_extents(svg):
            assert x0 >= -0.5 and x1 <= width + 0.5, (text, x0, x1, width)
            assert y0 >= -0.5 and y1 <= height + 0.5, (text, y0, y1, height)
            checked += 1
    assert checked >= at_least


def test_wide_report_text_stays_inside_the_charts(wide_html):
    _check_svgs_hold_their_text(wide_html[1], 40)


def test_categorical_report_text_stays_inside_the_charts(categorical_html):
    _check_svgs_hold_their_text(categorical_html[1], 8)


def test_long_labels_are_cut_with_the_full_name_on_hover(wide_html):
    html = wide_html[1]
    chart = re.search(r'<svg [^>]*aria-label="Top \d+ features.*?</svg>', html, flags=re.S).group(0)
    assert "\u2026" in chart  # cut with an ellipsis ...
    assert re.search(r"<title>MEAN_WAVEFORM_AMPLITUDE_OF_CHANNEL_\d{4}: ", chart)  # ... whole on hover


def test_top_bars_of_a_wide_table_differ_in_length(wide_html):
    html = wide_html[1]
    chart = re.search(r'<svg [^>]*aria-label="Top \d+ features.*?</svg>', html, flags=re.S).group(0)
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', chart)]
    assert len(widths) == 20
    assert max(widths) > 5 * min(widths)  # the last shown bar is short, the first long


def test_long_tables_have_a_filter_box_allowed_by_the_csp(wide_html):
    html = wide_html[1]
    assert 'class="sortable filterable" id="ranking-table"' in html
    assert 'class="sortable filterable" id="columns-table"' in html
    script = re.search(r"<script>(.*?)</script>", html, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html
    assert "table.filterable" in script and "http" not in script  # no network


def test_names_never_wrap_mid_word():
    from pathlib import Path

    import featkit.report

    css = (Path(featkit.report.__file__).parent / "static" / "report.css").read_text()
    rule = re.search(r"td\.feature \{([^}]*)\}", css).group(1)
    assert "white-space: nowrap" in rule and "break-word" not in rule and "break-all" not in rule


def test_saved_ranking_says_why_agreement_is_missing(wide_html, tmp_path):
    result = wide_html[0]
    data = json.loads(json.dumps(result.to_dict()))
    html = render_report(RankingResult.from_dict(data))
    section = html[html.index('<section id="agreement">'):html.index('<section id="curves">')]
    assert "at least two methods" not in section
    assert f"This ranking has {len(result.methods)} methods" in section
    assert "saved without it" in section


def test_single_method_agreement_message():
    result = rank_features(_categorical_frame(), "label", methods=["f_test"])
    html = render_report(result)
    assert "Agreement needs at least two methods; this ranking has 1." in html


def test_dependence_axis_shows_category_names():
    from featkit.report._svg import scatter

    labels = [f"category number {i}" for i in range(20)]
    svg = scatter(np.arange(20.0), np.arange(20.0), xtick_labels=labels, title="city")
    assert "<title>category number 0</title>" in svg
    shown = re.findall(r"<title>category number \d+</title>([^<]*)</text>", svg)
    assert shown and len(shown) < 20  # thinned so they do not overlap ...
    assert all(not s.isdigit() for s in shown)  # ... and names, not codes


@needs_chromium
@pytest.mark.parametrize("which", ["wide", "categorical"])
def test_browser_renders_the_filter_box_and_the_charts(which, wide_html, categorical_html, tmp_path):
    html = (wide_html if which == "wide" else categorical_html)[1]
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    _run(["--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()], tmp_path / "p1")
    assert shot.exists() and shot.stat().st_size > 20_000
    dom = _run(["--window-size=1280,2400", "--dump-dom", page.as_uri()], tmp_path / "p2").stdout
    # the script ran under the CSP: it inserted the filter boxes
    assert dom.count('class="filter"') >= 2
    assert CHROMIUM is not None
