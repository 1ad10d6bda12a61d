"""The fast default methods: binned mutual information, gradient-boosting gain,
permutation importance of the boosting model on capped held-out rows."""

import math

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.feature_selection import mutual_info_classif

import featkit.stats._binned_mi as binned_mi
from featkit.selection import (
    BinnedMutualInfoRanker,
    BoostingPermutationRanker,
    GradientBoostingRanker,
)
from featkit.stats._binned_mi import binned_mutual_info, discretize_columns

# ------------------------------------------------------------ binned MI


def test_binned_mi_equals_a_hand_computed_contingency_table():
    # joint counts (f, y): (0,0)=2, (1,0)=1, (1,1)=2, (2,1)=1; n = 6
    y = np.array([0, 0, 0, 1, 1, 1])
    f = np.array([0, 0, 1, 1, 1, 2])
    plug_in = (1 / 3) * math.log(2) + (1 / 6) * math.log(2 / 3) + (1 / 3) * math.log(4 / 3) \
        + (1 / 6) * math.log(2)
    got = binned_mutual_info(y, 2, f[:, None], [3], correction=None)
    assert got[0] == pytest.approx(plug_in, abs=1e-12)
    # 4 joint cells, 3 + 2 marginal cells: the Miller-Madow term is (4 - 3 - 2 + 1) / 12 = 0
    assert binned_mutual_info(y, 2, f[:, None], [3])[0] == pytest.approx(plug_in, abs=1e-12)


def test_miller_madow_term_on_a_hand_computed_table():
    # every (f, y) cell holds one row: plug-in MI is 0, the correction (6 - 3 - 2 + 1) / 12
    y = np.array([0, 0, 0, 1, 1, 1])
    f = np.array([0, 1, 2, 0, 1, 2])
    assert binned_mutual_info(y, 2, f[:, None], [3], correction=None)[0] == pytest.approx(0, abs=1e-12)
    assert binned_mutual_info(y, 2, f[:, None], [3])[0] == pytest.approx(-2 / 12, abs=1e-12)


def _cells(a, b):
    return np.unique(np.column_stack([a, b]), axis=0).shape[0]


def test_binned_mi_equals_sklearn_on_discrete_data_with_and_without_correction():
    rng = np.random.default_rng(0)
    n = 500
    y = rng.integers(0, 3, n)
    X = np.column_stack([rng.integers(0, k, n) for k in (2, 5, 17, 60)]).astype(float)
    X[:, 1] = np.where(rng.random(n) < 0.6, y, X[:, 1])  # informative
    expected = mutual_info_classif(X, y, discrete_features=True)
    plain = BinnedMutualInfoRanker(n_bins=None, bias_correction=None).fit(X, y).scores_
    np.testing.assert_allclose(plain, expected, rtol=1e-10, atol=1e-12)
    corrected = BinnedMutualInfoRanker(n_bins=None).fit(X, y).scores_
    terms = [(_cells(X[:, j], y) - np.unique(X[:, j]).size - 3 + 1) / (2 * n) for j in range(4)]
    np.testing.assert_allclose(corrected, expected - np.array(terms), rtol=1e-10, atol=1e-12)


def test_bias_correction_keeps_a_many_valued_noise_column_below_a_weak_signal():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    weak = np.where(rng.random(n) < 0.3, y, rng.integers(0, 2, n))
    noise = rng.integers(0, 200, n)  # ~10 rows per category
    X = np.column_stack([weak, noise]).astype(float)
    plain = BinnedMutualInfoRanker(bias_correction=None).fit(X, y)
    corrected = BinnedMutualInfoRanker().fit(X, y)
    assert plain.ranking_[1] < plain.ranking_[0]      # plug-in: noise looks informative
    assert corrected.ranking_[0] < corrected.ranking_[1]
    assert abs(corrected.scores_[1]) < 0.02


def test_continuous_columns_are_quantile_binned_and_codes_kept():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=1000), rng.integers(0, 40, 1000)]).astype(float)
    X[::7, 0] = np.nan
    codes, ks = discretize_columns(X)
    finite = ~np.isnan(X[:, 0])
    assert np.unique(codes[finite, 0]).size == 10
    assert np.unique(codes[~finite, 0]).size == 1 and codes[~finite, 0][0] not in codes[finite, 0]
    assert np.array_equal(codes[:, 1], X[:, 1].astype(int))  # whole numbers: their own codes
    counts = np.bincount(codes[finite, 0])
    assert counts[counts > 0].min() >= 0.09 * finite.sum()  # quantile bins are balanced


def test_quantile_edges_from_a_row_subset_on_tall_columns(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20_000, 1))
    exact, _ = discretize_columns(x)
    monkeypatch.setattr(binned_mi, "QUANTILE_SAMPLE_ROWS", 2_000)
    sampled, _ = discretize_columns(x)
    rows = np.linspace(0, x.shape[0] - 1, 2_000).astype(int)  # evenly spaced subset
    edges = np.quantile(x[rows, 0], np.linspace(0, 1, 11)[1:-1])
    np.testing.assert_array_equal(sampled[:, 0], np.searchsorted(edges, x[:, 0], side="right"))
    assert np.mean(exact[:, 0] == sampled[:, 0]) > 0.8
    counts = np.bincount(sampled[:, 0])
    assert counts.min() > 0.08 * x.shape[0]


def test_binned_mi_regression_target_and_order():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 4))
    y = np.sin(2 * X[:, 2]) + 0.5 * X[:, 0] ** 2 + 0.1 * rng.normal(size=3000)
    r = BinnedMutualInfoRanker().fit(X, y)
    assert r.task_ == "regression"
    assert set(np.flatnonzero(r.ranking_ <= 2)) == {0, 2}
    assert r.get_support().sum() >= 2


def test_binned_mi_rejects_an_unknown_correction():
    with pytest.raises(ValueError, match="bias_correction"):
        BinnedMutualInfoRanker(bias_correction="jackknife").fit(np.eye(4), [0, 1, 0, 1])


# ------------------------------------------------------ gradient boosting

def _informative(n=600, d=12, seed=0):
    return make_classification(n_samples=n, n_features=d, n_informative=3, n_redundant=0,
                               shuffle=False, random_state=seed)


@pytest.mark.parametrize("backend", ["lightgbm", "sklearn"])
def test_gradient_boosting_finds_the_informative_features(backend):
    pytest.importorskip(backend)
    X, y = _informative()
    r = GradientBoostingRanker(backend=backend, n_estimators=50, random_state=0).fit(X, y)
    assert r.backend_ == backend
    assert set(np.flatnonzero(r.ranking_ <= 3)) == {0, 1, 2}
    assert r.scores_.sum() == pytest.approx(1.0)
    again = GradientBoostingRanker(backend=backend, n_estimators=50, random_state=0).fit(X, y)
    np.testing.assert_array_equal(r.scores_, again.scores_)


def test_sklearn_gain_is_summed_from_the_split_records():
    X, y = _informative()
    r = GradientBoostingRanker(backend="sklearn", n_estimators=1, max_leaf_nodes=2).fit(X, y)
    (node_records,) = [p.nodes for p in r.estimator_._predictors[0]]
    root = node_records[0]
    assert not root["is_leaf"] and root["gain"] > 0
    expected = np.zeros(X.shape[1])
    # one split: all the gain; the fitted model sees the columns in canonical order
    expected[r.canonical_order_[root["feature_idx"]]] = 1.0
    np.testing.assert_allclose(r.scores_, expected)


def test_gradient_boosting_is_column_order_invariant():
    X, y = _informative(seed=5)
    order = np.random.default_rng(0).permutation(X.shape[1])
    # All columns per tree: column sampling (max_features < 1) draws by position, and
    # its invariance comes from BaseRanker's canonical column order (issue #11).
    a = GradientBoostingRanker(n_estimators=30, max_features=1.0, random_state=0).fit(X, y).scores_
    b = GradientBoostingRanker(n_estimators=30, max_features=1.0,
                               random_state=0).fit(X[:, order], y).scores_
    # LightGBM's float sums follow the column order (last digits only).
    np.testing.assert_allclose(a[order], b, rtol=0.02, atol=1e-4)
    assert set(np.argsort(-a[order])[:3]) == set(np.argsort(-b)[:3])


def test_gradient_boosting_rejects_an_unknown_backend():
    X, y = _informative(n=100)
    with pytest.raises(ValueError, match="backend"):
        GradientBoostingRanker(backend="catboost").fit(X, y)


# --------------------------------------------- permutation on the boosting model

def test_boosting_permutation_finds_signal_and_leaves_unused_features_at_zero():
    X, y = _informative(n=2000)
    r = BoostingPermutationRanker(n_estimators=50, random_state=0).fit(X, y)
    assert r.declined_ is None and r.n_eval_rows_ == 500
    assert set(np.flatnonzero(r.ranking_ <= 3)) == {0, 1, 2}
    from featkit.selection._boosting import split_gain

    unused = split_gain(r.estimator_, X.shape[1]) == 0
    assert np.all(r.scores_[unused] == 0) and np.all(r.importances_std_[unused] == 0)


def test_boosting_permutation_caps_held_out_and_training_rows():
    X, y = _informative(n=4000)
    r = BoostingPermutationRanker(n_estimators=20, max_eval_rows=300, max_train_rows=1000,
                                  random_state=0).fit(X, y)
    assert r.n_eval_rows_ == 300
    assert r.estimator_.n_features_in_ == X.shape[1]
    # the model saw the capped training rows only
    counts = r.estimator_.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"]
    assert counts == 1000
    assert set(np.flatnonzero(r.ranking_ <= 3)) == {0, 1, 2}


def test_boosting_permutation_declines_with_a_note_on_too_few_rows():
    X, y = _informative(n=40, d=300)
    r = BoostingPermutationRanker(random_state=0).fit(X, y)
    assert r.declined_ is not None and "min_eval_rows=50" in r.declined_
    assert np.all(r.scores_ == 0) and r.estimator_ is None
    assert r.n_eval_rows_ == 0


def test_boosting_permutation_cross_fits_when_one_held_out_part_is_too_small():
    X, y = _informative(n=120, d=8)
    r = BoostingPermutationRanker(n_estimators=50, random_state=0).fit(X, y)
    assert r.declined_ is None
    assert r.n_eval_rows_ == 120  # 4 folds: every row held out once
    assert r.estimator_.n_features_in_ == 8
    assert set(np.argsort(-r.scores_)[:2]) <= {0, 1, 2}


def test_column_sampling_spreads_gain_over_copies_of_a_feature():
    X, y = _informative(n=1000, d=6, seed=2)
    X = np.column_stack([X, X[:, 0], X[:, 0]])  # two exact copies of an informative column
    all_cols = GradientBoostingRanker(max_features=1.0, random_state=0).fit(X, y).scores_
    sampled = GradientBoostingRanker(random_state=0).fit(X, y).scores_
    share = lambda s: np.sort(s[[0, 6, 7]])[:2].sum() / s[[0, 6, 7]].sum()  # noqa: E731
    assert share(sampled) > share(all_cols) + 0.1
    assert set(np.argsort(-sampled)[:5]) >= {0, 6, 7}


def test_small_tables_get_small_leaves():
    from featkit.selection._boosting import min_leaf_rows

    X, y = _informative(n=60, d=20)
    r = GradientBoostingRanker(n_estimators=20, random_state=0).fit(X, y)
    assert r.estimator_.get_params()["min_child_samples"] == min_leaf_rows(60) == 2
    assert np.count_nonzero(r.scores_) >= 3  # with 20 rows a leaf there would be no split


def test_boosting_permutation_is_deterministic_and_regression_works():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 6))
    y = 2 * X[:, 3] + X[:, 1] + 0.1 * rng.normal(size=800)
    a = BoostingPermutationRanker(n_estimators=40, random_state=3).fit(X, y)
    b = BoostingPermutationRanker(n_estimators=40, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    assert a.task_ == "regression" and np.argsort(-a.scores_)[:2].tolist() == [3, 1]


# ------------------------------------------------------------------ L1 rows

def test_l1_fits_on_a_capped_stratified_row_sample():
    from featkit.selection import L1Ranker

    X, y = make_classification(n_samples=3000, n_features=8, n_informative=3, n_redundant=0,
                               shuffle=False, random_state=0)
    capped = L1Ranker(max_rows=1000, random_state=0).fit(X, y)
    assert capped.n_rows_used_ == 1000
    full = L1Ranker(max_rows=None, random_state=0).fit(X, y)
    assert full.n_rows_used_ == 3000
    assert set(np.argsort(-capped.scores_)[:3]) == set(np.argsort(-full.scores_)[:3]) == {0, 1, 2}
    again = L1Ranker(max_rows=1000, random_state=0).fit(X, y)
    np.testing.assert_array_equal(capped.scores_, again.scores_)


# ------------------------------------------------------------- tall tables (#13)
def test_f_test_in_row_blocks_gives_sklearns_statistics(monkeypatch):
    from sklearn.feature_selection import f_classif, f_regression

    import featkit.selection._univariate as univariate
    from featkit.selection import FTestRanker

    X, y = make_classification(n_samples=1_000, n_features=6, n_informative=3, n_classes=3,
                               random_state=0)
    monkeypatch.setattr(univariate, "_BLOCK_ROWS", 128)  # 8 blocks, the last one short
    np.testing.assert_allclose(FTestRanker().fit(X, y).scores_, f_classif(X, y)[0], rtol=1e-9)
    target = X[:, 0] + 0.1 * np.random.RandomState(0).normal(size=1_000)
    ranker = FTestRanker(task="regression").fit(X, target)
    np.testing.assert_allclose(ranker.scores_, f_regression(X, target)[0], rtol=1e-9)


def test_lightgbm_uses_one_thread_when_the_machine_has_no_core_to_spare(monkeypatch):
    import featkit._cost as cost
    import featkit.selection._boosting as boosting

    monkeypatch.setattr(cost, "available_cores", lambda: 2)
    monkeypatch.setattr(boosting.os, "getloadavg", lambda: (5.0, 5.0, 5.0))
    assert boosting.lightgbm_threads(10**8) == 1
    monkeypatch.setattr(boosting.os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert boosting.lightgbm_threads(10**8) == -1
    assert boosting.lightgbm_threads(1_000) == 1  # a small table never pays for threads
    monkeypatch.setattr(cost, "available_cores", lambda: 1)
    assert boosting.lightgbm_threads(10**8) == 1
