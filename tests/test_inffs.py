"""Inf-FS against a direct dense implementation of the reference formulas
(Spearman from scipy, the d x d inverse, the full eigendecomposition), in
tests/_reference.py, on random data, ties, constant columns and real data."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

import _reference as ref

from featkit.exceptions import InputError, MemoryBudgetError
from featkit.selection import InfFS
from featkit.selection._inffs import matlab_hist_cut
from featkit.stats import fisher_ratio, muteinf, regression_fisher_ratio


# --------------------------------------------------------- dense reference
def ref_inffs_s(X, y, alpha=(1 / 3, 1 / 3, 1 / 3)):
    return ref.inffs_s(X, y, muteinf(X, y), alpha)  # muteinf checked in test_stats_graph


def assert_weights(got, want, offset=0.0):
    """1e-8 relative, also on w - offset (the part that orders the 2020 weights)."""
    np.testing.assert_allclose(got, want, rtol=1e-8)
    spread = np.max(np.abs(want - offset))
    np.testing.assert_allclose(got - offset, want - offset, rtol=0, atol=1e-8 * spread)


def assert_ranking_consistent(ranking, want):
    """Our ranking orders the reference weights (ties within 1e-10 may swap)."""
    order = np.argsort(ranking)
    w = want[order]
    tol = 1e-10 * (np.max(np.abs(want)) + 1)
    assert np.all(np.diff(w) <= tol)


# ------------------------------------------------------------------ data
def random_data(seed=0, n=70, d=9):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.2, 4.0, size=d)
    y = (X[:, 0] - X[:, 1] + rng.normal(size=n) > 0).astype(int)
    return X, y


def tied_data(seed=1):
    X, y = random_data(seed)
    rng = np.random.default_rng(seed)
    X[:, 2] = rng.integers(0, 3, size=X.shape[0])
    X[:, 3] = np.round(X[:, 0])
    X[:, 4] = X[:, 2]  # a duplicated column
    return X, y


def constant_data(seed=2):
    X, y = random_data(seed)
    X[:, 5] = 3.0
    X[:, 7] = -1.0
    return X, y


def cancer():
    return load_breast_cancer(return_X_y=True)


DATASETS = {"random": random_data, "ties": tied_data, "constant": constant_data, "breast_cancer": cancer}


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("alpha", [0.5, 0.2, 0.9])
def test_unsupervised_2020_equals_dense(name, alpha):
    X, _ = DATASETS[name]()
    want, cut = ref.inffs_u(X, alpha)
    est = InfFS(alpha=alpha).fit(X)
    assert_weights(est.scores_, want, offset=1.0)
    assert_ranking_consistent(est.ranking_, want)
    assert est.auto_subset_size_ == cut
    assert est.n_features_ == cut


@pytest.mark.parametrize("name", list(DATASETS))
def test_supervised_2020_equals_dense(name):
    X, y = DATASETS[name]()
    for alpha in [(1 / 3, 1 / 3, 1 / 3), (0.6, 0.1, 0.3)]:
        want, cut = ref_inffs_s(X, y, alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est = InfFS(supervised=True, alpha=alpha).fit(X, y)
        assert_weights(est.scores_, want, offset=1.0)
        assert_ranking_consistent(est.ranking_, want)
        assert est.auto_subset_size_ == cut


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("supervised", [False, True])
def test_2016_equals_dense(name, supervised):
    X, y = DATASETS[name]()
    for alpha in (0.5, 0.8):
        want = ref.inffs_2016(X, y if supervised else None, alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est = InfFS(variant="2016", supervised=supervised, alpha=alpha).fit(X, y)
        assert_weights(est.scores_, want)
        assert_ranking_consistent(est.ranking_, want)
        assert est.auto_subset_size_ is None


def test_digits_with_constant_pixels_equals_dense():
    X, y = load_digits(return_X_y=True)
    X = X[:400]
    want, cut = ref.inffs_u(X)
    est = InfFS().fit(X)
    assert_weights(est.scores_, want, offset=1.0)
    assert est.auto_subset_size_ == cut


def test_blocked_path_equals_dense_path():
    X, _ = tied_data()
    dense = InfFS().fit(X)
    # room for the n x d ranks and a row block, not for the d x d matrix
    budget = 4 * 8 * X.size + 2 * 8 * X.shape[1] * 3
    blocked = InfFS(memory_budget=budget).fit(X)
    assert "blocked" in blocked.solver_ and "dense" in dense.solver_
    np.testing.assert_allclose(blocked.scores_, dense.scores_, rtol=1e-13)
    b16 = InfFS(variant="2016", memory_budget=budget).fit(X)
    np.testing.assert_allclose(b16.scores_, InfFS(variant="2016").fit(X).scores_, rtol=1e-11)


def test_memory_budget_error_message():
    X, _ = random_data()
    with pytest.raises(MemoryBudgetError, match="memory budget.*--sample"):
        InfFS(memory_budget=100).fit(X)


def test_hand_checked_two_features():
    # two features, Spearman -1: C = 1 - |R| = [[0, 0], [0, 0]]; stds 1 and 2 ->
    # Sig = [[0, 1], [1, 1]]; alpha = 0.5 -> A = [[0, .5], [.5, .5]], rho = 1
    X = np.array([[0.0, 2.0], [1.0, 0.0], [2.0, -2.0]])
    X[:, 1] = -2 * X[:, 0]
    d = 2
    e = 5e-6 * d
    A = np.array([[0.0, 0.5], [0.5, 0.5]])
    r = (1 - e) / 1.0
    want = np.linalg.inv(np.eye(2) - r * A / (1 + e)).sum(1)
    est = InfFS().fit(X)
    np.testing.assert_allclose(est.scores_, want, rtol=1e-12)
    assert est.ranking_.tolist() == [2, 1]
    np.testing.assert_allclose(est.affinity_, A, atol=1e-15)


def test_permuting_columns_permutes_scores():
    X, y = tied_data()
    perm = np.random.default_rng(0).permutation(X.shape[1])
    for kw in ({}, {"supervised": True}, {"variant": "2016"}, {"variant": "2016", "supervised": True}):
        a = InfFS(**kw).fit(X, y).scores_
        b = InfFS(**kw).fit(X[:, perm], y).scores_
        np.testing.assert_allclose(b, a[perm], rtol=1e-11)


def test_duplicated_informative_column_does_not_crash():
    X, y = random_data()
    X = np.column_stack([X, X[:, 0]])
    for kw in ({}, {"supervised": True}, {"variant": "2016", "supervised": True}):
        est = InfFS(**kw).fit(X, y)
        assert np.all(np.isfinite(est.scores_))
        assert est.scores_[0] == pytest.approx(est.scores_[-1], rel=1e-9)


def test_standardize_removes_variance_term():
    X, _ = random_data()
    X[:, 3] *= 1000
    raw = InfFS().fit(X)
    std = InfFS(standardize=True).fit(X)
    assert raw.ranking_[3] == 1
    Xs = (X - X.mean(0)) / X.std(0, ddof=1)
    want, _ = ref.inffs_core_2020(0.5 * 0 + 0.5 * ref.one_minus_abs_spearman(Xs))
    assert_weights(std.scores_, want, offset=1.0)


def test_multiclass_and_regression_extensions_run():
    X, _ = random_data(n=120)
    y3 = np.digitize(X[:, 0], [-1, 1])
    est = InfFS(supervised=True).fit(X, y3)
    assert est.task_ == "classification" and est.ranking_[0] <= 3
    # the reference graph with the extended kernels (each checked against loops in test_stats_graph)
    want, cut = ref.inffs_s(X, y3, muteinf(X, y3, n_classes=3), fisher_ratio=fisher_ratio(X, y3, 3))
    assert_weights(est.scores_, want, offset=1.0)
    assert est.auto_subset_size_ == cut
    yr = X[:, 1] * 2 + 0.1 * np.random.default_rng(0).normal(size=120)
    est = InfFS(supervised=True).fit(X, yr)
    assert est.task_ == "regression" and np.all(np.isfinite(est.scores_))
    want, cut = ref.inffs_s(X, yr, muteinf(X, yr, task="regression"),
                            fisher_ratio=regression_fisher_ratio(X, yr))
    assert_weights(est.scores_, want, offset=1.0)
    assert est.ranking_[1] == 1  # y follows column 1


def test_matlab_hist_cut_hand_checked():
    # d = 6 -> 3 bins over [1, 5]: width 4/3 -> counts [4, 0, 2], mean 2 -> 1 bin above
    assert matlab_hist_cut([1.0, 1.0, 1.0, 1.1, 5.0, 5.0]) == 1
    # odd d = 5 -> hist(w, 2.5): 2 bins of width range/2.5, the last stretched to the max
    w = np.array([0.0, 0.1, 0.2, 0.3, 1.0])
    counts = ref.matlab_hist(w, 2.5)
    assert counts.tolist() == [4.0, 1.0]  # edges 0, 0.4, 1 (closed right)
    assert matlab_hist_cut(w) == 1
    assert matlab_hist_cut([2.0]) == 1


def test_bad_parameters():
    X, y = random_data()
    with pytest.raises(InputError, match="variant"):
        InfFS(variant="2019").fit(X)
    with pytest.raises(InputError, match="alpha"):
        InfFS(alpha=1.5).fit(X)
    with pytest.raises(InputError, match="three numbers"):
        InfFS(supervised=True, alpha=(0.5, 0.5)).fit(X, y)
    with pytest.raises(ValueError):
        InfFS(supervised=True).fit(X)


def test_findings():
    from featkit.findings import collect_findings

    X, y = random_data()
    est = InfFS(supervised=True).fit(X, y)
    found = collect_findings(est)
    assert found["solver_"].kind == "note" and found["solver_"].value == est.solver_
    extra = {k.rstrip("_"): v.value for k, v in found.items()}
    assert extra["alpha"].tolist() == pytest.approx([1 / 3] * 3)
    np.testing.assert_allclose(extra["affinity"], ref.inffs_s_graph(X, y, muteinf(X, y)), rtol=1e-10, atol=1e-12)
    assert extra["auto_subset_size"] == ref_inffs_s(X, y)[1]


@pytest.mark.parametrize("kw", [{}, {"supervised": True}, {"variant": "2016"},
                                {"variant": "2016", "supervised": True}])
def test_array_api_strict_input_stays_in_its_namespace(kw):
    xps = pytest.importorskip("array_api_strict")
    X, y = tied_data()
    want = InfFS(**kw).fit(X, y)
    got = InfFS(**kw).fit(xps.asarray(X), xps.asarray(y))
    np.testing.assert_allclose(got.scores_, want.scores_, rtol=1e-12)
    assert got.ranking_.tolist() == want.ranking_.tolist()
    budget = 4 * 8 * X.size + 2 * 8 * X.shape[1] * 3
    if not kw.get("supervised"):
        blocked = InfFS(memory_budget=budget, **kw).fit(xps.asarray(X))
        np.testing.assert_allclose(blocked.scores_, want.scores_, rtol=1e-11)


def test_gpu_request_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FEATKIT_DISABLE_GPU", "1")
    from featkit._array import gpu_available

    gpu_available.cache_clear()
    X, _ = random_data()
    try:
        with pytest.raises(InputError, match="no CUDA GPU"):
            InfFS(device="gpu").fit(X)
    finally:
        gpu_available.cache_clear()


def test_target_tag_follows_supervised():
    # the tag comes from BaseRanker through the _requires_target property
    assert InfFS(supervised=True).__sklearn_tags__().target_tags.required is True
    assert InfFS().__sklearn_tags__().target_tags.required is False
