"""featkit.decomposition.reduce_file: the library engine behind `featkit reduce`."""

import ast
import pathlib

import numpy as np
import pandas as pd
import pytest

from featkit.decomposition import PCA, FileReduction, reduce_file
from featkit.exceptions import InputError

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table(tmp_path_factory, correlated_table):
    df = correlated_table(1200, 5, 3, flag_and_const=True)
    folder = tmp_path_factory.mktemp("reduce_file")
    df.to_parquet(folder / "t.parquet", row_group_size=300)
    return df, folder / "t.parquet"


def _want(df, columns, k):
    X = df[columns].to_numpy(dtype=np.float64)
    return PCA(k, solver="covariance_eigh").fit(X).transform(X)


def test_in_memory_types_columns_as_rank_does(table):
    df, path = table
    reduction = reduce_file(path, 3, keep=["label"])
    assert isinstance(reduction, FileReduction) and not reduction.streamed
    assert reduction.columns == ["x0", "x1", "x2", "x3", "x4", "flag"]
    assert set(reduction.skipped) == {"row_id", "const"}
    assert "ID-like" in reduction.skipped["row_id"] and "constant" in reduction.skipped["const"]
    (scores,) = list(reduction.score_frames())
    assert list(scores.columns) == ["label", "pca0", "pca1", "pca2"]
    np.testing.assert_allclose(scores[["pca0", "pca1", "pca2"]].to_numpy(), _want(df, reduction.columns, 3),
                               atol=1e-8)


def test_streamed_two_passes_equal_the_in_memory_fit(table):
    df, path = table
    calls = []
    reduction = reduce_file(path, 2, drop=["row_id", "const"], stream=True, batch_size=250,
                            progress=lambda *a: calls.append(a))
    assert reduction.streamed and reduction.n_rows == len(df)
    assert [c[0] for c in calls] == ["fit (pass 1 of 2)"] * 5
    frames = list(reduction.score_frames())
    assert [len(f) for f in frames] == [250, 250, 250, 250, 200]
    assert calls[-1] == ("transform (pass 2 of 2)", 5, None)
    got = pd.concat(frames).to_numpy()
    np.testing.assert_allclose(got, _want(df, reduction.columns, 2), atol=1e-8)


def test_only_pca_streams_and_errors_name_the_problem(table):
    _, path = table
    with pytest.raises(InputError, match="only 'pca' streams"):
        reduce_file(path, 2, method="ppca", stream=True)
    with pytest.raises(InputError, match="Did you mean 'pca'"):
        reduce_file(path, 2, method="pcaa")
    with pytest.raises(InputError, match="more than the"):
        reduce_file(path, 9, stream=True)


def test_cli_reduce_holds_no_engine_and_imports_only_public_names():
    tree = ast.parse((ROOT / "cli" / "reduce.py").read_text())
    modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    modules += [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    featkit = [m for m in modules if m.split(".")[0] == "featkit"]
    assert featkit and not [m for m in featkit if any(p.startswith("_") for p in m.split("."))], featkit
    assert not [m for m in modules if m.split(".")[0] in ("numpy", "sklearn", "scipy")]
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not defined & {"_stream", "_numeric_columns", "_matrix", "_make_estimator", "_batches"}


def test_streaming_keeps_a_column_that_only_its_first_rows_make_look_constant(tmp_path):
    rng = np.random.RandomState(1)
    df = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    df.loc[:1499, "late"] = 0.0  # constant in the rows read to type the columns, not in the file
    df.loc[1500:, "late"] = rng.normal(size=1500)
    df.to_csv(tmp_path / "t.csv", index=False)
    reduction = reduce_file(tmp_path / "t.csv", 2, stream=True, batch_size=500)
    assert reduction.columns == ["a", "b", "late"] and not reduction.skipped
