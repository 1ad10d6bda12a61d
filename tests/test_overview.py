"""The data overview (#17.13): distributions, target balance and a profiler's warnings,
computed at rank time into a typed section that survives JSON and shows in the report."""

import json

import numpy as np
import pandas as pd
import pytest

from featkit.evaluation import _overview, data_overview
from featkit.ranking import rank_features
from featkit.report import render_report
from featkit.results import RankingResult
from featkit.sections import OverviewSection, Sections

N = 400


def _codes(ov):
    return {(w["column"], w["code"]) for w in ov["warnings"]}


def _table(rng, n=N):
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame({
        "signal": y + rng.normal(size=n),
        "noise": rng.normal(size=n),
        "nearly": np.where(np.arange(n) < int(0.96 * n), 1.0, 2.0),
        "city": pd.Categorical(rng.choice([f"c{i}" for i in range(n)], n)),
        "holes": np.where(np.arange(n) % 4 == 0, np.nan, rng.normal(size=n)),  # 25% missing
        "leak": y * 2.0 + rng.normal(scale=0.01, size=n),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "same": 7.0,
    })
    return frame, pd.Series(y, name="y")


def test_each_warning_on_a_crafted_table():
    X, y = _table(np.random.RandomState(0))
    ov = data_overview(X, y, task="classification")
    assert _codes(ov) == {("same", "constant"), ("nearly", "near_constant"),
                          ("city", "high_cardinality"), ("holes", "many_missing"),
                          ("leak", "leakage")}
    # the genuinely informative feature is not called a leak
    assert 0.6 < ov["leakage"]["scores"]["signal"] < 0.98
    assert ov["leakage"]["metric"] == "ROC AUC"


@pytest.mark.parametrize("share, flagged", [(0.95, True), (0.94, False)])
def test_near_constant_threshold(share, flagged):
    x = np.where(np.arange(200) < round(share * 200), 0.0, np.arange(200))
    ov = data_overview(pd.DataFrame({"x": x}))
    assert (("x", "near_constant") in _codes(ov)) is flagged


@pytest.mark.parametrize("missing, flagged", [(0.20, False), (0.21, True)])
def test_many_missing_threshold(missing, flagged):
    x = np.where(np.arange(100) < round(missing * 100), np.nan, np.arange(100.0))
    ov = data_overview(pd.DataFrame({"x": x}))
    assert (("x", "many_missing") in _codes(ov)) is flagged


def test_high_cardinality_by_count_and_share():
    n = 3000
    many = pd.Categorical([f"v{i % 1200}" for i in range(n)])       # 1,200 values, 40% distinct
    half = pd.Categorical([f"v{i % 10}" for i in range(20)])        # 10 of 20: not above half
    ov = data_overview(pd.DataFrame({"many": many, "few": pd.Categorical(["a", "b"] * (n // 2))}))
    assert _codes(ov) == {("many", "high_cardinality")}
    assert not _codes(data_overview(pd.DataFrame({"half": half})))
    # numbers are never "high cardinality": a float column has as many values as rows
    assert not _codes(data_overview(pd.DataFrame({"x": np.arange(50.0)})))


def test_leakage_in_regression_and_through_categories():
    rng = np.random.RandomState(1)
    n = 600
    y = pd.Series(rng.normal(size=n), name="y")
    bucket = pd.Categorical(np.digitize(y, np.quantile(y, np.linspace(0, 1, 41)[1:-1])).astype(str))
    X = pd.DataFrame({"rescaled": 3 * y + 1, "noise": rng.normal(size=n),
                      "bucket": bucket, "noisy": y + rng.normal(size=n)})
    ov = data_overview(X, y, task="regression")
    assert ov["leakage"]["metric"] == "R^2"
    assert {c for c, code in _codes(ov) if code == "leakage"} == {"rescaled", "bucket"}
    assert ov["leakage"]["scores"]["noisy"] < 0.9


def test_leakage_is_held_out():
    # an ID-like category fits the training rows perfectly but says nothing about new ones
    rng = np.random.RandomState(2)
    X = pd.DataFrame({"row": pd.Categorical([f"r{i}" for i in range(300)])})
    y = pd.Series(rng.randint(0, 2, 300))
    ov = data_overview(X, y, task="classification")
    assert ov["leakage"]["scores"]["row"] < 0.6
    assert ("row", "leakage") not in _codes(ov)


def test_multiclass_leakage_and_class_balance():
    y = pd.Series(np.repeat(["a", "b", "c"], [50, 30, 20]), name="kind")
    X = pd.DataFrame({"copy": pd.Categorical(y), "x": np.random.RandomState(0).normal(size=100)})
    ov = data_overview(X, y, task="classification")
    assert ("copy", "leakage") in _codes(ov)
    assert ov["target"]["classes"] == [["a", 50], ["b", 30], ["c", 20]]


def test_distributions():
    X, y = _table(np.random.RandomState(0))
    cols = {c["name"]: c for c in data_overview(X, y, task="classification")["columns"]}
    hist = cols["noise"]["histogram"]
    assert sum(hist["counts"]) == N and hist["lo"] == X["noise"].min() and hist["hi"] == X["noise"].max()
    assert sum(hist["counts"]) == N
    assert cols["holes"]["histogram"] and sum(cols["holes"]["histogram"]["counts"]) == N - N // 4
    top = cols["colour"]["top"]
    assert sorted(v for v, _ in top) == ["blue", "green", "red"] and sum(c for _, c in top) == N
    assert cols["city"]["n_other"] == N - sum(c for _, c in cols["city"]["top"]) > 0


def test_wide_table_is_profiled_on_fewer_rows(monkeypatch):
    monkeypatch.setattr(_overview, "PROFILE_CELLS", 10 * 1000)
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(3000, 5)))
    X.columns = [f"x{i}" for i in range(5)]
    ov = data_overview(X)
    assert ov["n_rows"] == 3000 and ov["n_rows_profiled"] == 2000
    assert sum(ov["columns"][0]["histogram"]["counts"]) == 2000


@pytest.fixture(scope="module")
def ranked():
    X, y = _table(np.random.RandomState(0))
    frame = X.assign(y=y)
    frame["id"] = np.arange(N)  # ID-like: left out, still listed
    return rank_features(frame, "y", methods=["f_test"])


def test_rank_features_fills_the_section(ranked):
    ov = ranked.sections.overview
    assert isinstance(ov, OverviewSection)
    assert [c["name"] for c in ov.columns] == [c.name for c in ranked.columns]
    codes = {(w["column"], w["code"]) for w in ov.warnings}
    # "same" is set aside by the typing as constant and still gets its warning
    assert {("same", "constant"), ("leak", "leakage"), ("nearly", "near_constant")} <= codes
    assert ov.target["classes"] and ov.leakage["n_rows"] == N


def test_json_round_trip(ranked):
    d = json.loads(json.dumps(ranked.to_dict(), allow_nan=False))
    back = RankingResult.from_dict(d)
    assert back.sections.overview == ranked.sections.overview
    assert Sections.from_dict(ranked.sections.to_dict()) == ranked.sections
    # results saved before the overview existed still load, without one
    del d["sections"]["overview"]
    assert RankingResult.from_dict(d).sections.overview is None


def test_report_shows_the_overview(ranked):
    html = render_report(ranked)
    overview = html.split('<section id="overview">')[1].split("</section>")[0]
    for label in ("leakage suspect", "near-constant", "high cardinality", "many missing"):
        assert label in overview
    assert "Class balance of y" in overview
    assert overview.count("<path") >= 4          # histograms of the numeric columns
    assert "red" in overview and "green" in overview  # top categories
    assert "distribution" in overview and "warnings" in overview


def test_report_escapes_names_and_shows_a_regression_target():
    rng = np.random.RandomState(3)
    n = 200
    frame = pd.DataFrame({"<img src=x onerror=alert(1)>": rng.choice(["a<b", "c&d"], n),
                          "x": rng.normal(size=n)})
    frame["target"] = frame["x"] * 2 + rng.normal(size=n)
    html = render_report(rank_features(frame, "target", methods=["f_test"]))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "a<b" not in html and "a&lt;b" in html
    assert "Histogram of target" in html and "Class balance" not in html


def test_report_without_a_profile_says_why(ranked):
    d = ranked.to_dict()
    del d["sections"]["overview"]
    html = render_report(RankingResult.from_dict(d))
    assert "No profile of the table in this result" in html
    assert "leakage suspect" not in html


def test_cell_sparklines_stay_lean():
    # one per column: a 3,000-column profile must not weigh megabytes per chart
    from featkit.report._svg import share_bar, sparkline

    cell = sparkline(list(range(16)), lo=0.0, hi=1.0, label="x")
    assert cell.count("<path") == 1 and "<rect" not in cell and "<text" not in cell
    assert len(cell) < 500
    assert len(share_bar([("a", 3), ("b", 1), ("(other)", 2)], label="x")) < 600


def test_text_id_kept_on_request_is_profiled_as_categories():
    rng = np.random.RandomState(4)
    frame = pd.DataFrame({"row": [f"r{i:04d}" for i in range(200)], "x": rng.normal(size=200),
                          "y": rng.randint(0, 2, 200)})
    ov = rank_features(frame, "y", methods=["f_test"], keep_id=True).sections.overview
    row = next(c for c in ov.columns if c["name"] == "row")
    assert row["histogram"] is None and len(row["top"]) == 5
    assert "high_cardinality" in row["warnings"] and "leakage" not in row["warnings"]
