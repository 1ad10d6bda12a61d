"""featkit.report and `featkit report`: content, escaping, graceful degradation, atomic writes."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from featkit.evaluation import data_overview, evaluate_ranking
from featkit.findings import FindingValue
from featkit.io import ColumnInfo
from featkit.report import render_report, write_report
from featkit.results import MethodResult, RankingResult
from featkit.sections import AttributionSection, DecompositionSection, EvaluationSection, OverviewSection
from featkit.selection import FTestRanker, VarianceRanker

EVIL = "<img src=x onerror=alert(1)>"
SECTIONS = ("overview", "ranking", "agreement", "curves", "stability", "redundancy",
            "attribution", "decomposition", "repro")


def _columns(names):
    cols = [ColumnInfo(n, "numeric", "float64", 0, 0.0, 100) for n in names]
    cols.append(ColumnInfo("row_id", "id", "int64", 0, 0.0, 120, used=False, note="ID-like: excluded"))
    return cols


@pytest.fixture(scope="module")
def rich_result():
    rng = np.random.RandomState(0)
    n = 120
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    names = ["alpha", "beta", EVIL, "delta & co", "gamma"]
    f = FTestRanker().fit(X, y)
    v = VarianceRanker().fit(X)
    methods = {
        "f_test": MethodResult("f_test", f.scores_, f.ranking_, f.support_, 0.01,
                               findings={
                                   "affinity_": FindingValue("feature_matrix", "affinity",
                                                             np.abs(np.corrcoef(X.T))),
                                   "order_": FindingValue("feature_order", "order", np.array([0, 1, 3])),
                                   "note_": FindingValue("note", "note", "<b>bold?</b>"),
                                   "alpha_": FindingValue("scalar", "alpha", 0.5)}),
        "variance": MethodResult("variance", v.scores_, v.ranking_, None, 0.002),
    }
    cons = -np.mean([m.ranking for m in methods.values()], axis=0)
    rank = np.empty(5, dtype=np.int64)
    rank[np.argsort(-cons, kind="stable")] = np.arange(1, 6)
    res = RankingResult(names, _columns(names), "y", "classification", n, methods, cons, rank,
                        notes=["a note with <script>alert(2)</script>"],
                        meta={"command": f"featkit report data.csv --target '{EVIL}'", "seed": 0,
                              "versions": {"featkit": "0.1.0", "numpy": np.__version__},
                              "source": "data.csv", "seconds_total": 1.5})
    res.sections.evaluation = EvaluationSection.from_dict(
        evaluate_ranking(res, X, y, task="classification", n_bootstrap=3))
    S = rng.normal(size=(60, 5))
    res.sections.attribution = AttributionSection.from_dict({
        "model": "lightgbm", "task": "classification", "features": names,
        "importances": {"shap": np.abs(S).mean(axis=0).tolist(), "gain": [5, 4, 3, 2, 1]},
        "shap_values": S.tolist(), "feature_values": X[:60].tolist(), "base_value": 0.1,
        "shap_class": None, "metric": "roc_auc", "score": 0.93, "n_estimators": 40,
        "categories": {}, "seconds": {"fit": 0.2, "shap": 0.01},
        "interactions": np.abs(rng.normal(size=(5, 5))).tolist(),
    })
    res.sections.decomposition = DecompositionSection(
        method="pca", features=names, explained_variance_ratio=[0.5, 0.3, 0.2],
        loadings=rng.normal(size=(3, 5)).tolist())
    res.sections.overview = OverviewSection.from_dict(data_overview(
        pd.DataFrame(X, columns=names), pd.Series(y, name="y"), task="classification",
        columns=res.columns))
    return res


def test_full_report_has_every_section_and_charts(rich_result, tmp_path):
    path = write_report(rich_result, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'id="{sid}"' in html
    assert 'class="reason"' not in html  # every section had its data
    assert html.count("<svg") >= 12
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert html.count("<script") == 1
    assert 'id="ranking-table"' in html and "Nogueira" in html and "Explained variance" in html
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    assert path.stat().st_size < 1_000_000


def _tags_with_handlers(html):
    """Elements with an img tag or an on* event-handler attribute, as a browser would parse them."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img" or any(name.lower().startswith("on") for name, _ in attrs):
                found.append((tag, attrs))

    Parser().feed(html)
    return found


def test_user_strings_are_escaped_everywhere(rich_result):
    html = render_report(rich_result)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(2)" not in html and "&lt;script&gt;alert(2)" in html
    assert "<b>bold?</b>" not in html
    assert "delta &amp; co" in html
    # The page allows exactly its own script (hash-based CSP), no inline handlers.
    csp = re.search(r'content="(default-src[^"]+)"', html).group(1)
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert _tags_with_handlers(html) == []


def test_csp_hash_matches_the_inline_script(rich_result):
    import base64
    import hashlib

    html = render_report(rich_result)
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in html


def test_method_extras_are_rendered_generically(rich_result):
    html = render_report(rich_result)
    assert "f_test: affinity" in html          # square matrix -> heatmap
    assert "<ol class=\"order\"><li>alpha</li><li>beta</li><li>delta &amp; co</li></ol>" in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html   # a string value, escaped


def test_extras_of_other_shapes(rich_result):
    """Cluster labels, step x feature histories and dicts of vectors, as the methods report them."""
    import copy

    res = copy.deepcopy(rich_result)
    res.methods["variance"].findings = {
        "labels_": FindingValue("feature_groups", "labels", np.array([0, 1, 0, 2, 1])),
        "attention_history_": FindingValue("feature_history", "attention_history",
                                           np.random.RandomState(0).rand(3, 5)),
        "all_scores_": FindingValue("feature_vectors", "all_scores",
                                    {"l1": np.arange(1.0, 6.0), "l2": np.arange(5.0, 0.0, -1)}),
        "selection_order_": FindingValue("feature_order", "selection_order", np.array([4, 0])),
    }
    html = render_report(res)
    assert "<li>0: alpha, &lt;img src=x onerror=alert(1)&gt;</li>" in html
    assert "variance: attention_history" in html
    assert "variance: all_scores / l1" in html and "variance: all_scores / l2" in html
    assert "<ol class=\"order\"><li>gamma</li><li>alpha</li></ol>" in html
    assert "<b>features</b>" not in html


def test_report_degrades_without_sections(rich_result):
    bare = RankingResult(rich_result.features, rich_result.columns, None, None, 120,
                         {"variance": rich_result.methods["variance"]},
                         rich_result.consensus_score, rich_result.consensus_rank)
    html = render_report(bare)
    for sid in SECTIONS:
        assert f'id="{sid}"' in html
    assert html.count('class="reason"') == 7  # the overview's profile, agreement .. decomposition
    assert "Selection curves need a target." in html
    assert "Model attribution needs a target." in html
    assert "<svg" in html  # the ranking chart is still there


def test_round_trip_through_json(rich_result, tmp_path):
    saved = rich_result.save(tmp_path / "ranking.json")
    again = RankingResult.from_dict(json.loads(saved.read_text()))
    a, b = render_report(rich_result), render_report(again)
    strip = re.compile(r"on \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert strip.sub("", a) == strip.sub("", b)


def test_write_is_atomic_on_failure(rich_result, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")
    import featkit.report._write as w

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(w, "render_report", boom)
    with pytest.raises(RuntimeError):
        write_report(rich_result, target)
    assert target.read_text() == "old"


def test_bad_input():
    from featkit.exceptions import InputError

    with pytest.raises(InputError):
        render_report(["not", "a", "result"])


# ------------------------------------------------------------------------ CLI
@pytest.fixture()
def small_csv(tmp_path):
    rng = np.random.RandomState(0)
    n = 150
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), EVIL: rng.normal(size=n),
                          "c": rng.choice(["x", "y", "z"], n)})
    frame["target"] = np.where(frame["a"] + 0.5 * frame["b"] > 0, "pos", "neg")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _main(args):
    from featkit_cli.app import main

    return main(args)


def test_cli_report_from_table_and_from_json(small_csv, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert _main(["report", str(small_csv), "--target", "target", "-o", str(out),
                  "--method", "f_test,variance", "--quiet"]) == 0
    html = out.read_text()
    assert "&lt;img src=x" in html and "<img" not in html
    assert "featkit report" in html  # the command line in the footer
    assert 'id="curves"' in html and "Cross-validated ROC AUC" in html
    saved = tmp_path / "ranking.json"
    assert _main(["rank", str(small_csv), "--target", "target", "--method", "f_test",
                  "--output", str(saved), "--quiet"]) == 0
    out2 = tmp_path / "r2.html"
    assert _main(["report", str(saved), "-o", str(out2), "--quiet"]) == 0
    assert "No evaluation in this result" in out2.read_text()


def test_cli_report_errors_are_one_line(small_csv, tmp_path, capsys):
    assert _main(["report", str(small_csv), "--target", "target", "-o", str(tmp_path / "r.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("featkit: error:") and "\n" not in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _main(["report", str(bad), "-o", str(tmp_path / "r.html")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert _main(["report", str(small_csv), "--target", "nope", "-o", str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()


def test_curve_scores_show_held_out_rows_and_optimistic_curves_are_marked(rich_result):
    import copy

    html = render_report(rich_result)
    curves = html[html.index('<section id="curves">'):html.index('<section id="stability">')]
    # 120 rows, 3 folds: 40 held-out rows next to every curve score.
    assert curves.count("3 folds, 40 held-out rows each") >= 3
    assert "nested (refitted in each training fold)" in curves
    assert "optimistic" not in curves
    old = copy.deepcopy(rich_result)
    cv = old.sections.evaluation.curves
    for key in ("nested", "optimistic"):
        cv.pop(key)  # a result saved before the curves were nested
    old.sections.attribution.n_held_out = 24
    html = render_report(old)
    curves = html[html.index('<section id="curves">'):html.index('<section id="stability">')]
    assert curves.count("<td>ranking fitted on all rows; optimistic") == len(cv["curves"])
    assert "f_test (optimistic)" in curves and 'class="optimistic"' in curves
    # no suggested k from a curve that saw the held-out rows
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]*)</td>", curves)
    assert rows and all(k == "" for _, k in rows)
    assert "0.93 (24 held-out rows" in html
