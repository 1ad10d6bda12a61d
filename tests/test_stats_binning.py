"""The one quantile binner (featkit.stats.quantile_bin_codes) and its three users."""

import numpy as np
import pandas as pd

from featkit.evaluation._evaluate import _quantile_codes
from featkit.io import encode_discrete
from featkit.stats import quantile_bin_codes
from featkit.stats._contingency import quantile_codes


def test_hand_checked_edges_ties_and_missing():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan, np.inf])
    # quartile edges of 0..4 are 1, 2, 3; a value on an edge goes to the bin above
    assert quantile_bin_codes(x, 4).tolist() == [0, 1, 2, 3, 3, 4, 4]
    assert quantile_bin_codes(x, 4, dense=False).tolist() == [0, 1, 2, 3, 3, 4, 4]
    heavy = np.array([1.0] * 6 + [2.0, 3.0])  # edges collapse to 1, 1, 1.25 -> two used bins
    assert quantile_bin_codes(heavy, 4).tolist() == [0] * 6 + [1, 1]
    assert quantile_bin_codes(heavy, 4, dense=False).tolist() == [1] * 6 + [2, 2]


def test_no_finite_value():
    x = np.array([np.nan, -np.inf])
    assert quantile_bin_codes(x, 3).tolist() == [0, 0]
    assert quantile_bin_codes(x, 3, dense=False).tolist() == [1, 1]


def test_the_three_users_share_it():
    rng = np.random.default_rng(3)
    x = np.r_[np.round(rng.exponential(size=200), 1), [np.nan] * 4]
    want = quantile_bin_codes(x, 5)
    assert np.array_equal(quantile_codes(x, 5), want)
    assert np.array_equal(encode_discrete(pd.DataFrame({"x": x}), n_bins=5)[:, 0], want)
    finite = x[np.isfinite(x)]
    got = _quantile_codes(np.column_stack([finite, -finite]), n_bins=5)
    assert np.array_equal(got[:, 0], quantile_bin_codes(finite, 5, dense=False))
    assert np.array_equal(got[:, 1], quantile_bin_codes(-finite, 5, dense=False))
