"""Classic baselines equal the scikit-learn computations they wrap."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.feature_selection import f_classif, f_regression, mutual_info_classif

from featkit.registry import make_estimator
from featkit.selection import (
    ConsensusRanker,
    FTestRanker,
    L1Ranker,
    MutualInfoRanker,
    PermutationRanker,
    RandomForestRanker,
    aggregate_rankings,
)


def test_f_test_equals_sklearn_classif_and_regression():
    X, y = load_iris(return_X_y=True)
    np.testing.assert_allclose(FTestRanker().fit(X, y).scores_, f_classif(X, y)[0])
    Xd, yd = load_diabetes(return_X_y=True)
    r = FTestRanker().fit(Xd, yd)
    assert r.task_ == "regression"
    np.testing.assert_allclose(r.scores_, f_regression(Xd, yd)[0])


def test_f_test_auto_cut_is_benjamini_hochberg():
    X, y = make_classification(n_samples=300, n_features=20, n_informative=3, n_redundant=0,
                               shuffle=False, random_state=0)
    r = FTestRanker().fit(X, y)
    p = np.sort(r.pvalues_)
    m = p.size
    k = max(i + 1 for i in range(m) if p[i] <= 0.05 * (i + 1) / m)
    assert r.get_support().sum() == k
    assert set(np.flatnonzero(r.get_support())) == set(np.argsort(r.pvalues_)[:k])


def test_mutual_info_equals_sklearn():
    X, y = load_iris(return_X_y=True)
    r = MutualInfoRanker(random_state=3).fit(X, y)
    # scikit-learn's noise is drawn per column position: it sees the canonical order
    order = r.canonical_order_
    expected = np.empty(X.shape[1])
    expected[order] = mutual_info_classif(X[:, order], y, random_state=3)
    np.testing.assert_allclose(r.scores_, expected)


def test_string_labels_are_classification():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    a = FTestRanker().fit(X, labels)
    assert a.task_ == "classification"
    np.testing.assert_allclose(a.scores_, FTestRanker().fit(X, y).scores_)


@pytest.mark.parametrize("cls", [RandomForestRanker, PermutationRanker, L1Ranker])
def test_model_based_rankers_find_the_informative_features(cls):
    X, y = make_classification(n_samples=300, n_features=10, n_informative=3, n_redundant=0,
                               shuffle=False, random_state=1)
    params = {"random_state": 0}
    if cls is not L1Ranker:
        params["n_estimators"] = 50
    r = cls(n_features_to_select=3, **params).fit(X, y)
    assert r.get_support().sum() == 3
    if cls is L1Ranker:
        # the lasso keeps only informative columns; the rest tie at 0, and the tie
        # at the cut is broken by the canonical column order, not by position
        assert set(np.flatnonzero(r.scores_ > 0)) <= {0, 1, 2}
    else:
        assert set(np.flatnonzero(r.get_support())) == {0, 1, 2}


def test_same_seed_same_result():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    a = PermutationRanker(n_estimators=20, random_state=5).fit(X, y).scores_
    b = PermutationRanker(n_estimators=20, random_state=5).fit(X, y).scores_
    np.testing.assert_array_equal(a, b)


def test_l1_regression_uses_lasso():
    X, y = load_diabetes(return_X_y=True)
    r = L1Ranker(random_state=0).fit(X, y)
    assert type(r.estimator_).__name__ == "LassoCV"
    assert r.get_support().sum() == np.count_nonzero(r.estimator_.coef_)


def test_aggregate_rankings():
    ranks = [[1, 2, 3, 4], [2, 1, 4, 3], [1, 3, 2, 4]]
    np.testing.assert_allclose(aggregate_rankings(ranks), -np.mean(ranks, axis=0))
    np.testing.assert_allclose(aggregate_rankings(ranks, "median_rank"), [-1, -2, -3, -4])
    np.testing.assert_allclose(aggregate_rankings(ranks, "borda"), [8, 6, 3, 1])


def test_consensus_is_mean_rank_of_members():
    X, y = load_iris(return_X_y=True)
    c = ConsensusRanker(methods=("f_test", "mutual_info"), random_state=0).fit(X, y)
    mean_rank = (c.rankings_["f_test"] + c.rankings_["mutual_info"]) / 2
    np.testing.assert_allclose(c.scores_, -mean_rank)
    with pytest.raises(ValueError, match="contain itself"):
        ConsensusRanker(methods=("consensus",)).fit(X, y)


def test_unknown_method_suggests():
    with pytest.raises(KeyError, match="Did you mean 'f_test'"):
        make_estimator("f_tset")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_forest_permutation_importance_equals_sklearn(task):
    """The tree-by-tree permutation importance is scikit-learn's, bit for bit."""
    from sklearn.datasets import make_classification, make_regression
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.inspection import permutation_importance

    from featkit.selection._forest import forest_permutation_importance

    if task == "regression":
        X, y = make_regression(160, 12, n_informative=4, random_state=0)
        forest = RandomForestRegressor(30, max_depth=4, random_state=0)
    else:
        X, y = make_classification(160, 12, n_informative=4, n_classes=2 if task == "binary" else 3,
                                   random_state=0)
        forest = RandomForestClassifier(30, max_features=2, max_depth=3, random_state=0)
    forest.fit(X[:120], y[:120])
    unused = sorted(set(range(12)) - {f for t in forest.estimators_ for f in t.tree_.feature if f >= 0})
    mean, std = forest_permutation_importance(forest, X[120:], y[120:], 4, 3)
    ref = permutation_importance(forest, X[120:], y[120:], n_repeats=4, random_state=3)
    np.testing.assert_array_equal(mean, ref.importances_mean)
    np.testing.assert_array_equal(std, ref.importances_std)
    assert np.all(mean[unused] == 0)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_permutation_ranker_default_score_same_as_named_scorer(task):
    """scoring=None (the fast tree-by-tree path) ranks as the named default scorer does."""
    from sklearn.datasets import make_regression

    if task == "regression":
        X, y = make_regression(120, 30, n_informative=4, random_state=1)
    else:
        X, y = make_classification(120, 30, n_informative=4, random_state=1)
    named = "r2" if task == "regression" else "accuracy"
    fast = PermutationRanker(n_estimators=25, n_repeats=3, random_state=0).fit(X, y)
    slow = PermutationRanker(n_estimators=25, n_repeats=3, scoring=named, random_state=0).fit(X, y)
    np.testing.assert_array_equal(fast.scores_, slow.scores_)
    np.testing.assert_array_equal(fast.importances_std_, slow.importances_std_)
