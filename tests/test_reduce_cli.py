"""`featkit reduce`: in-memory and streamed (two-pass) PCA scores, errors, atomic output."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from featkit.decomposition import PCA, ProbabilisticPCA
from featkit_cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("featkit: error: ")
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])


@pytest.fixture(scope="module")
def table(tmp_path_factory, correlated_table):
    df = correlated_table(3000, 8, 10)
    folder = tmp_path_factory.mktemp("reduce")
    df.to_parquet(folder / "data.parquet", row_group_size=500)
    df.to_csv(folder / "data.csv", index=False)
    return df, folder


def _expected(df, k=3):
    X = df[[c for c in df.columns if c.startswith("x")]].to_numpy()
    return PCA(k, solver="covariance_eigh").fit(X).transform(X)


def test_reduce_in_memory(table, tmp_path):
    df, folder = table
    out = tmp_path / "scores.parquet"
    result = run("reduce", folder / "data.parquet", "--n-components", 3, "--output", out, "--keep", "row_id",
                 "--drop", "x7")
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(out)
    assert list(scores.columns) == ["row_id", "pca0", "pca1", "pca2"]
    np.testing.assert_array_equal(scores["row_id"], df["row_id"])
    np.testing.assert_allclose(scores[["pca0", "pca1", "pca2"]].to_numpy(), _expected(df.drop(columns="x7")),
                               atol=1e-8)
    assert "label" in result.stderr  # the text column is named as not used
    assert "explained variance" in result.stderr


@pytest.mark.parametrize("name,suffix", [("data.parquet", ".parquet"), ("data.csv", ".csv")])
def test_stream_two_passes_equals_full_fit(table, tmp_path, monkeypatch, name, suffix):
    df, folder = table
    import featkit.io

    def no_full_read(*a, **k):  # streaming must never load the whole table
        raise AssertionError("read_table called while streaming")

    monkeypatch.setattr(featkit.io, "read_table", no_full_read)
    out = tmp_path / f"scores{suffix}"
    result = run("reduce", folder / name, "-k", 3, "-o", out, "--stream", "--batch-size", 700,
                 "--keep", "row_id")
    assert result.exit_code == 0, result.output
    assert "streamed" in result.stderr
    scores = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert len(scores) == len(df)
    np.testing.assert_array_equal(scores["row_id"], df["row_id"])
    np.testing.assert_allclose(scores[["pca0", "pca1", "pca2"]].to_numpy(), _expected(df), atol=1e-6)


def test_file_larger_than_budget_streams_automatically(table, tmp_path):
    _, folder = table
    size = (folder / "data.parquet").stat().st_size
    budget = size // 3
    out = tmp_path / "scores.parquet"
    result = run("reduce", folder / "data.parquet", "-k", 2, "-o", out, "--memory-budget", budget,
                 "--batch-size", 200)
    assert result.exit_code == 0, result.output
    assert "larger than the memory budget" in result.stderr
    assert pd.read_parquet(out).shape == (3000, 2)


def test_ppca_with_missing_values(table, tmp_path):
    df, _ = table
    rng = np.random.RandomState(1)
    holes = df.copy()
    X = holes[[f"x{i}" for i in range(8)]].to_numpy().copy()
    X[rng.rand(*X.shape) < 0.1] = np.nan
    holes[[f"x{i}" for i in range(8)]] = X
    path = tmp_path / "holes.csv"
    holes.to_csv(path, index=False)
    out = tmp_path / "scores.csv"
    result = run("reduce", path, "-k", 2, "-o", out, "--method", "ppca", "--keep", "row_id")
    assert result.exit_code == 0, result.output
    expected = ProbabilisticPCA(2, random_state=0).fit_transform(X)
    np.testing.assert_allclose(pd.read_csv(out)[["probabilisticpca0", "probabilisticpca1"]].to_numpy(),
                               expected, rtol=1e-6, atol=1e-6)
    # plain PCA refuses, naming the columns and the way out
    bad = run("reduce", path, "-k", 2, "-o", tmp_path / "x.csv")
    assert_one_line_error(bad, "missing", "--method ppca")


def test_errors_are_one_line_and_output_untouched(table, tmp_path):
    df, folder = table
    out = tmp_path / "scores.parquet"
    out.write_bytes(b"previous")
    # a NaN far into the file fails the streamed fit; the old output stays as it was
    late = df.copy()
    late.loc[2500, "x3"] = np.nan
    path = tmp_path / "late.parquet"
    late.to_parquet(path, row_group_size=500)
    assert_one_line_error(run("reduce", path, "-k", 2, "-o", out, "--stream", "--batch-size", 500),
                          "'x3'", "row 2500")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.parquet", "scores.parquet"]
    assert_one_line_error(run("reduce", folder / "data.parquet", "-k", 2, "-o", out, "--method", "pcaa"),
                          "Did you mean 'pca'")
    assert_one_line_error(run("reduce", folder / "data.parquet", "-k", 2, "-o", out, "--method", "robust",
                              "--stream"), "--method pca")
    assert_one_line_error(run("reduce", folder / "nope.parquet", "-k", 2, "-o", out), "No such file")
    assert_one_line_error(run("reduce", folder / "data.parquet", "-k", 50, "-o", out), "n_components")
    assert_one_line_error(run("reduce", folder / "data.parquet", "-k", 2, "-o", tmp_path / "s.xlsx"), ".parquet")
    assert_one_line_error(run("reduce", folder / "data.parquet", "-k", 2, "-o", out, "--drop", "x99"), "x99")
