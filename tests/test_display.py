"""Notebook views: HTML tables of results and fitted selectors, result.plot() (#17.8)."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris

from featkit.selection import FTestRanker

from test_cli_table import _wide_result


def test_result_html_is_escaped_and_names_the_consensus():
    result = _wide_result(d=25)
    result.features[0] = "<script>alert(1)</script>"
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "consensus_mean_rank" in html and "lower = better" in html
    assert html.count("<tr>") == 21  # header + the best 20
    assert "best 20 shown" in html


def test_selector_html_only_once_fitted():
    X, y = load_iris(return_X_y=True, as_frame=True)
    est = FTestRanker(n_features_to_select=2)
    unfitted = est._repr_html_inner()
    assert "featkit" not in unfitted and "sk-container" in unfitted  # scikit-learn's own diagram
    est.fit(X, y)
    html = est._repr_html_inner()
    assert html.startswith('<table class="featkit">') and "petal length (cm)" in html
    assert "(2 kept)" in html and "sk-container" in html  # the diagram stays below the table
    bundle = est._repr_mimebundle_()["text/html"]
    assert bundle.startswith('<table class="featkit">') and "sk-container" in bundle


def test_plot_draws_bars_agreement_and_curves():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    result = _wide_result(d=6)
    names = list(result.methods)[:3]
    from featkit.sections import EvaluationSection

    result.sections.evaluation = EvaluationSection(
        agreement={"methods": names, "spearman": np.eye(3).tolist()},
        curves={"ks": [1, 2, 3], "metric": "accuracy", "curves": {n: [0.5, 0.6, None] for n in names}},
    )
    fig = result.plot(top=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["Top 4 features", "Agreement (Spearman)", "Selection curves"]
    bars = fig.axes[0].patches
    assert len(bars) == 4 and all(b.get_width() > 0 for b in bars)  # mean ranks, positive
    assert len(_wide_result(d=6).plot().axes) == 1  # no evaluation: bars only


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"featkit\[plot\]"):
        _wide_result(d=3).plot()
