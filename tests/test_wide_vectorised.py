"""The block (all columns at once) binned-MI codes and leakage scan equal the per-column ones."""

import numpy as np
import pandas as pd
import pytest

from featkit.evaluation import _overview
from featkit.stats import _binned_mi
from featkit.stats._binned_mi import _column_codes, discretize_columns, quantile_edge_codes


def _mixed_numbers(n, d, rng):
    X = rng.normal(size=(n, d))
    X[:, 1] = np.round(X[:, 1] * 2)            # whole numbers: used as values under "auto"
    X[:, 2] = 3.0                              # constant
    X[rng.rand(n) < 0.1, 3] = np.nan           # missing values: the per-column path
    X[:, 4] = rng.randint(0, 5, n) + 0.5       # few distinct values that are not whole
    X[n // 2, 5] = np.inf
    X[:, 6] = np.round(rng.normal(size=n), 1)  # many ties: merged quantiles
    X[:, 7] = np.nan
    X[:, 8] = -np.arange(n) - 0.25             # negative, every value distinct
    X[:, 9] = np.arange(n) % 7                 # whole numbers, no missing value
    return X


def _per_column(X, n_bins, sample=None):
    X = np.asfortranarray(X)
    codes = np.empty(X.shape, dtype=np.int32, order="F")
    ks = np.empty(X.shape[1], dtype=np.int64)
    for j in range(X.shape[1]):
        codes[:, j], ks[j] = _column_codes(X[:, j], n_bins, sample)
    return codes, ks


@pytest.mark.parametrize("finite", [False, True])
@pytest.mark.parametrize("n_bins", ["auto", 2, 4, 10, 32, None])
@pytest.mark.parametrize("n", [3, 40, 700])
def test_block_codes_equal_the_per_column_codes(n_bins, n, finite):
    X = _mixed_numbers(n, 30, np.random.RandomState(n))
    if finite:  # every column binned at once, or used as its values
        X = X[:, np.isfinite(X).all(axis=0)]
    codes, ks = discretize_columns(X, n_bins)
    expected_codes, expected_ks = _per_column(X, n_bins)
    assert codes.flags.f_contiguous and codes.dtype == np.int32
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(ks, expected_ks)


def test_block_codes_equal_the_per_column_codes_with_a_quantile_sample(monkeypatch):
    monkeypatch.setattr(_binned_mi, "QUANTILE_SAMPLE_ROWS", 97)
    rng = np.random.RandomState(5)
    X = _mixed_numbers(1000, 12, rng)
    X[-1, 0] = np.nan  # missing outside the sampled rows: still its own code
    codes, ks = discretize_columns(X, "auto")
    sample = np.linspace(0, 999, 97).astype(np.int64)
    expected_codes, expected_ks = _per_column(X, "auto", sample)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(ks, expected_ks)
    assert codes[-1, 0] == ks[0] - 1


def test_quantile_edge_codes_are_searchsorted_on_the_distinct_quantiles():
    rng = np.random.RandomState(0)
    X = np.round(rng.normal(size=(200, 6)), 1)
    codes, n_edges, n_distinct = quantile_edge_codes(X, 8)
    for j in range(6):
        edges = np.unique(np.quantile(X[:, j], np.linspace(0, 1, 9)[1:-1]))
        np.testing.assert_array_equal(codes[:, j], np.searchsorted(edges, X[:, j], side="right"))
        assert n_edges[j] == edges.size and n_distinct[j] == np.unique(X[:, j]).size


def _mixed_frame(n, rng):
    X = pd.DataFrame(rng.normal(size=(n, 25)), columns=[f"c{j}" for j in range(25)])
    X["nan"] = np.where(rng.rand(n) < 0.2, np.nan, rng.normal(size=n))
    X["const"] = 2.0
    X["int"] = rng.randint(0, 4, n)
    X["cat"] = pd.Categorical(rng.choice(list("abc"), n))
    X["text"] = rng.choice(["x", "y"], n).astype(object)
    X["ties"] = np.round(rng.normal(size=n), 1)
    X["bool"] = rng.rand(n) < 0.5
    X["inf"] = rng.normal(size=n)
    X.loc[3, "inf"] = np.inf
    return X


def _per_column_leakage(X, kinds, y, task, rng, cv=3):
    """The scan as it was: every column through _leakage_score."""
    n = len(y)
    folds = rng.permutation(np.arange(n) % cv)
    y_codes = y_values = None
    if task == "classification":
        y_codes = pd.factorize(y)[0].astype(np.int64)
    else:
        y_values = y.to_numpy(dtype=np.float64)
    scores = {}
    for name in X.columns:
        s = _overview._leakage_score(X[name], kinds[name], y_codes, y_values, task, folds, cv)
        if np.isfinite(s):
            scores[name] = round(float(s), 6)
    return scores


@pytest.mark.parametrize("classes", [2, 3, 12, None])
@pytest.mark.parametrize("n", [30, 600])
def test_block_leakage_scan_equals_the_per_column_scan(classes, n):
    rng = np.random.RandomState(n + (classes or 0))
    X = _mixed_frame(n, rng)
    if classes:
        y = pd.Series(rng.randint(0, classes, n), name="y")
        X["leak"] = y * 2.0 + 1
        task = "classification"
    else:
        y = pd.Series(rng.normal(size=n) + X["c0"], name="y")
        X["leak"] = y * 3
        task = "regression"
    kinds = {c: _overview._kind(X[c], None) for c in X.columns}
    scores, used = _overview._leakage(X, kinds, y, task, np.random.RandomState(0), 5000, 3)
    expected = _per_column_leakage(X, kinds, y, task, np.random.RandomState(0))
    assert used == n
    assert list(scores) == list(expected) and scores == expected
    if n > 100:  # 30 rows of 12 classes leave most classes unseen in a fold
        assert scores["leak"] >= _overview.LEAKAGE


def test_block_leakage_scan_splits_many_columns_into_blocks(monkeypatch):
    monkeypatch.setattr(_overview, "_LEAKAGE_BLOCK_CELLS", 200)
    rng = np.random.RandomState(3)
    X = _mixed_frame(60, rng)
    y = pd.Series(rng.randint(0, 3, 60))
    kinds = {c: _overview._kind(X[c], None) for c in X.columns}
    scores, _ = _overview._leakage(X, kinds, y, "classification", np.random.RandomState(0), 5000, 3)
    assert scores == _per_column_leakage(X, kinds, y, "classification", np.random.RandomState(0))


def test_float_profiles_equal_the_per_column_profiles():
    rng = np.random.RandomState(7)
    n = 300
    X = _mixed_frame(n, rng)
    X["zeros"] = np.where(rng.rand(n) < 0.5, 0.0, -0.0)        # one value for value_counts
    X["nearly"] = np.where(np.arange(n) < 290, 1.5, rng.normal(size=n))
    X["all_nan"] = np.nan
    X["f32"] = rng.normal(size=n).astype(np.float32)
    X["f32"] = X["f32"].where(rng.rand(n) > 0.3)               # many missing
    X["runs"] = np.repeat(rng.normal(size=30), 10)              # ties of equal length
    kinds = {c: _overview._kind(X[c], None) for c in X.columns}
    floats = _overview._float_profiles(X, kinds, {})
    assert {"c0", "nan", "inf", "zeros", "all_nan", "f32", "runs"} <= set(floats)
    assert not {"int", "cat", "text", "bool"} & set(floats)  # left to the per-column profile
    for name, row in floats.items():
        assert row == _overview._profile(X[name], kinds[name], None), name
    assert floats["zeros"]["warnings"] == ["constant"]
    assert floats["nearly"]["warnings"] == ["near_constant"]
    assert floats["f32"]["warnings"] == ["many_missing"]


def test_data_overview_profiles_are_the_per_column_ones(monkeypatch):
    rng = np.random.RandomState(8)
    X = _mixed_frame(120, rng)
    y = pd.Series(rng.randint(0, 2, 120), name="y")
    fast = _overview.data_overview(X, y, task="classification")
    monkeypatch.setattr(_overview, "_float_profiles", lambda X, kinds, infos: {})
    slow = _overview.data_overview(X, y, task="classification")
    fast.pop("seconds"), slow.pop("seconds")
    assert fast == slow
