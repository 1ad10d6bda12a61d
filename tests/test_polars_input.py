"""Every registered estimator takes a polars DataFrame as it takes a pandas one (#17.7)."""

import numpy as np
import pandas as pd
import pytest

from featkit.registry import REGISTRY
from featkit.selection import FTestRanker, OutRank

from test_estimator_checks import FAST_PARAMS

pl = pytest.importorskip("polars")


def _table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    X[:, 1] = np.round(X[:, 1])  # a few distinct values, so OutRank has some structure
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    names = ["alpha", "beta", "gamma", "delta"]
    return pd.DataFrame(X, columns=names), y


@pytest.mark.parametrize("name", sorted(n for n, s in REGISTRY.items() if s.is_installed()))
def test_polars_frame_fits_like_pandas(name):
    frame, y = _table()
    spec = REGISTRY[name]
    from_pandas = spec.make(**FAST_PARAMS.get(name, {})).fit(frame, y)
    from_polars = spec.make(**FAST_PARAMS.get(name, {})).fit(pl.from_pandas(frame), y)
    assert list(from_polars.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(from_polars.ranking_, from_pandas.ranking_)
    np.testing.assert_allclose(from_polars.scores_, from_pandas.scores_, equal_nan=True)


def test_outrank_polars_with_text_column():
    frame = pl.DataFrame({"city": ["a", "b", "a", "c", "b", "a"] * 10,
                          "n": list(range(6)) * 10})
    y = np.array([0, 1, 0, 1, 1, 0] * 10)
    est = OutRank(random_state=0).fit(frame, y)
    assert list(est.feature_names_in_) == ["city", "n"]
    assert np.isfinite(est.scores_).all()


def test_polars_text_column_is_encoded():
    frame = pl.DataFrame({"num": [1.0, 2.0, 3.0, 4.0] * 5, "word": ["x", "y", "x", "z"] * 5})
    y = [0, 1, 0, 1] * 5
    est = FTestRanker().fit(frame, y)
    assert list(est.feature_names_in_) == ["num", "word"]
    np.testing.assert_allclose(est.scores_, FTestRanker().fit(frame.to_pandas(), y).scores_)
