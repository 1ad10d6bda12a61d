"""The ranker contract of featkit.base, on small hand-checkable cases."""

import numpy as np
import pytest

from featkit.base import ranking_from_scores, resolve_n_features
from featkit.exceptions import InputError
from featkit.selection import FTestRanker, VarianceRanker


def test_ranking_from_scores_gives_ties_their_average_rank():
    ranks = ranking_from_scores([0.1, 0.3, 0.3, -1.0])
    assert ranks.dtype == np.float64
    assert ranks.tolist() == [3.0, 1.5, 1.5, 4.0]


def test_ranking_puts_inf_first_and_nan_last():
    assert ranking_from_scores([np.nan, 2.0, -np.inf, np.inf]).tolist() == [4, 2, 3, 1]
    assert ranking_from_scores([np.nan, 1.0, np.nan]).tolist() == [2.5, 1.0, 2.5]
    assert ranking_from_scores([np.nan, np.nan]).tolist() == [1.5, 1.5]


@pytest.mark.parametrize(
    "value, auto, expected",
    [(3, None, 3), (0.5, None, 5), (0.01, None, 1), (1.0, None, 10), ("auto", None, 5), ("auto", 7, 7)],
)
def test_resolve_n_features(value, auto, expected):
    assert resolve_n_features(value, 10, auto) == expected


def test_resolve_n_features_too_many_warns_and_keeps_all():
    with pytest.warns(UserWarning, match="keeping all"):
        assert resolve_n_features(12, 10, None) == 10


@pytest.mark.parametrize("bad", [0, -1, 1.5, 0.0, "half", None, True])
def test_resolve_n_features_rejects(bad):
    with pytest.raises(InputError):
        resolve_n_features(bad, 10, None)


def test_support_follows_ranking():
    X = np.array([[0.0, 1, 10], [0, 2, 20], [0, 3, 30], [1, 4, 41]])
    r = VarianceRanker(n_features_to_select=2).fit(X)
    assert r.ranking_.tolist() == [3, 2, 1]
    assert r.get_support().tolist() == [False, True, True]
    np.testing.assert_allclose(r.scores_, X.var(axis=0))


def test_variance_auto_cut_drops_constant_and_all_missing():
    X = np.array([[1.0, 5.0, np.nan], [2.0, 5.0, np.nan], [4.0, 5.0, np.nan]])
    r = VarianceRanker().fit(X)
    assert r.get_support().tolist() == [True, False, False]
    assert np.isnan(r.scores_[2])


def test_supervised_ranker_needs_y():
    with pytest.raises(ValueError, match="requires y"):
        FTestRanker().fit(np.random.RandomState(0).normal(size=(10, 3)))


def test_one_class_target_is_a_clear_error():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(InputError, match="at least 2"):
        FTestRanker(task="classification").fit(X, np.zeros(10))


def test_fraction_and_feature_names_out():
    import pandas as pd

    X = pd.DataFrame(np.random.RandomState(0).normal(size=(30, 4)), columns=list("abcd"))
    y = (X["c"] > 0).astype(int)
    r = FTestRanker(n_features_to_select=0.25).fit(X, y)
    assert r.get_feature_names_out().tolist() == ["c"]
