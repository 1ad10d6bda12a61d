"""`featkit reduce` types columns as rank does: --target, --standardize, --report (#17.5)."""

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from featkit.datasets import example_path
from featkit.decomposition import reduce_file
from featkit_cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _pc1(path, **kwargs):
    reduction = reduce_file(path, 2, target="diagnosis", **kwargs)
    pc1 = np.asarray(reduction.estimator.components_[0])
    return reduction, pc1


def test_standardize_stops_area_owning_pc1():
    path = example_path("breast_cancer")
    raw, pc1_raw = _pc1(path)
    scaled, pc1 = _pc1(path, standardize=True)
    # raw: PC1 is the area columns (largest units), 98% of the variance
    assert raw.explained_variance_ratio[0] > 0.95
    assert raw.columns[int(np.argmax(np.abs(pc1_raw)))].endswith("area")
    assert scaled.explained_variance_ratio[0] < 0.5
    assert (pc1 ** 2).max() < 0.1  # no column carries PC1 alone
    assert "diagnosis" not in scaled.columns and scaled.target == "diagnosis"
    # the same standardised PCA when streamed (a scale pass, then two passes)
    streamed = reduce_file(path, 2, target="diagnosis", standardize=True, stream=True, batch_size=100)
    np.testing.assert_allclose(np.abs(streamed.estimator.components_), np.abs(scaled.estimator.components_),
                               atol=1e-8)
    np.testing.assert_allclose(np.abs(pd.concat(list(streamed.score_frames())).to_numpy()),
                               np.abs(next(scaled.score_frames()).to_numpy()), atol=1e-8)


@pytest.fixture
def typed_table(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n) * 100,
                          "colour": ["red", "blue", "green"] * 20, "flat": 7, "y": rng.integers(0, 2, n)})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_cli_target_id_constant_and_text_follow_rank(typed_table, tmp_path):
    _, path = typed_table
    out = tmp_path / "scores.csv"
    result = run("reduce", path, "--n-components", 1, "-o", out, "--target", "y")
    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    assert "id (ID-like (unique per row): not reduced; --keep copies it" in err
    assert "keep_id" not in err  # rank's advice, which reduce has no option for
    assert "colour (categorical: not a number)" in err and "flat (constant" in err
    assert "reduced 60 rows x 2 columns" in err  # a and b: not id, not y
    assert list(pd.read_csv(out).columns) == ["pca0"]


def test_cli_report_holds_variance_loadings_and_coloured_scores(tmp_path):
    out, page = tmp_path / "s.csv", tmp_path / "r.html"
    result = run("reduce", example_path("breast_cancer"), "--n-components", 3, "-o", out,
                 "--target", "diagnosis", "--standardize", "--report", page)
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "Explained variance ratio" in html and "Loadings (components x features)" in html
    assert "coloured by diagnosis" in html
    for label in ("malignant", "benign"):  # the legend of the score plot
        assert f">{label}</text>" in html
    assert html.count("<circle") >= 569  # every row (fewer than the sample limit)
    assert "columns standardised to unit variance" in html
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", html)
    assert "--standardize" in html  # the command in the footer
    assert pd.read_csv(out).shape == (569, 3)


def test_cli_outputs_are_one_commit_group(tmp_path, monkeypatch):
    import featkit.report

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(featkit.report, "render_reduction_report", broken)
    out, page = tmp_path / "s.csv", tmp_path / "r.html"
    result = run("reduce", example_path("wine"), "--n-components", 2, "-o", out, "--target", "cultivar",
                 "--report", page)
    assert result.exit_code != 0
    assert not out.exists() and not page.exists()
    assert list(tmp_path.iterdir()) == []  # no temp file left behind


def test_cli_report_path_checked_before_work(tmp_path):
    result = run("reduce", example_path("wine"), "--n-components", 2, "-o", tmp_path / "s.csv",
                 "--report", tmp_path / "r.txt")
    assert result.exit_code == 2
    assert "r.txt" in result.stderr and not (tmp_path / "s.csv").exists()


def test_unknown_target_is_named():
    from featkit.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match="'diagnosys'.*diagnosis"):
        reduce_file(example_path("breast_cancer"), 2, target="diagnosys")


def test_section_samples_rows_for_the_plot():
    reduction = reduce_file(example_path("breast_cancer"), 2, target="diagnosis", standardize=True)
    section = reduction.to_section(max_points=100, random_state=1)
    assert len(section.scores) == 100 and len(section.target_values) == 100
    assert section.n_rows == 569 and section.standardized
    assert len(section.loadings) == 2 and len(section.loadings[0]) == 30
    again = reduction.to_section(max_points=100, random_state=1)
    assert again.scores == section.scores
