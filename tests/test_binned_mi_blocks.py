"""Binned mutual information codes and counts a block of columns at a time (#13, peak memory)."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from featkit.selection import BinnedMutualInfoRanker
from featkit.stats._binned_mi import binned_mutual_info, discretize_columns


def _table(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    X = np.column_stack([rng.normal(size=n), rng.randint(0, 7, n), rng.exponential(size=n),
                         rng.randint(0, 300, n), rng.normal(size=n).round(1), rng.normal(size=n)])
    X[rng.rand(n) < 0.1, 2] = np.nan
    y = (X[:, 0] + 0.2 * X[:, 1] + rng.normal(size=n) > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("columns_per_block", [1, 2, 4, 6])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_blocks_give_the_whole_table_scores_bitwise(monkeypatch, columns_per_block, task):
    X, y = _table()
    target = y if task == "classification" else X[:, 0] * 2 + np.random.RandomState(1).normal(size=len(y))
    whole = BinnedMutualInfoRanker(task=task).fit(X, target)
    n = X.shape[0]
    monkeypatch.setattr("featkit.selection._binned_mi._BLOCK_ELEMENTS", n * columns_per_block)
    blocked = BinnedMutualInfoRanker(task=task).fit(X, target)
    assert blocked.scores_.tobytes() == whole.scores_.tobytes()
    assert blocked.n_bins_.tolist() == whole.n_bins_.tolist()


def test_scores_are_the_whole_table_kernel():
    X, y = _table()
    codes, ks = discretize_columns(X)
    expected = binned_mutual_info(y, 2, codes, ks)
    assert BinnedMutualInfoRanker().fit(X, y).scores_.tobytes() == expected.tobytes()


def test_no_copy_of_the_whole_table(monkeypatch):
    n, d = 20_000, 40
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] > 0).astype(int)
    monkeypatch.setattr("featkit.selection._binned_mi._BLOCK_ELEMENTS", n * 4)
    frame = pd.DataFrame(X, copy=False)  # as the engine hands it over
    tracemalloc.start()
    try:
        BinnedMutualInfoRanker().fit(frame, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the whole-table coding held a column-major float64 copy and the int32 codes (1.5x)
    assert peak < 0.5 * X.nbytes
