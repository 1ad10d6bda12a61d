"""EC-FS against a direct dense implementation of the reference (ECFS.m): the
full kernel and its full eigendecomposition, in tests/_reference.py."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import _reference as ref

from featkit.exceptions import InputError
from featkit.selection import ECFS
from featkit.stats import fisher_ratio, muteinf


def ref_ecfs(X, y, alpha=0.5, fisher=None, mi=None):
    mi = muteinf(X, y) if mi is None else mi  # muteinf is checked against loops in test_stats_graph
    return ref.ecfs(X, y, mi, alpha, fisher_ratio=fisher)


def random_data(seed=0, n=90, d=10):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0, size=d)
    y = (X[:, 0] + X[:, 2] + rng.normal(size=n) > 0).astype(int)
    return X, y


def tied_data():
    X, y = random_data(1)
    X[:, 3] = np.round(X[:, 0])
    X[:, 4] = np.random.default_rng(1).integers(0, 3, size=X.shape[0])
    X[:, 5] = X[:, 4]
    return X, y


def constant_data():
    X, y = random_data(2)
    X[:, 6] = 4.0
    return X, y


DATASETS = {
    "random": random_data,
    "ties": tied_data,
    "constant": constant_data,
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
}


def assert_ranking_consistent(ranking, want):
    w = want[np.argsort(ranking)]
    assert np.all(np.diff(w) <= 1e-10)


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("alpha", [0.5, 0.1, 0.9])
def test_equals_dense_eig(name, alpha):
    X, y = DATASETS[name]()
    want, lam = ref_ecfs(X, y, alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = ECFS(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(est.scores_, want, rtol=1e-8, atol=1e-12)
    assert est.eigenvalue_ == pytest.approx(lam, rel=1e-10)
    assert_ranking_consistent(est.ranking_, want)


def test_constant_column_warns_and_follows_reference():
    X, y = constant_data()
    with pytest.warns(UserWarning, match="constant"):
        est = ECFS().fit(X, y)
    assert np.argmax(est.relevance_) == 6  # the reference's muteinf quirk, reproduced
    np.testing.assert_allclose(est.scores_, ref_ecfs(X, y)[0], rtol=1e-8)


def test_hand_checked_kernel():
    # two features: v = [v0, v1] -> K1 = minmax(v v^T) = [[0, a], [a, 1]] with
    # a = (v0 v1 - v0^2) / (v1^2 - v0^2); alpha = 1 leaves out the variance term
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 5.0], [3.0, 2.0]])
    y = np.array([0, 0, 1, 1])
    est = ECFS(alpha=1.0).fit(X, y)
    v = np.abs(ref.fisher(X, y) + muteinf(X, y)) / 2
    lo, hi = v.min() ** 2, v.max() ** 2
    K = (np.outer(v, v) - lo) / (hi - lo)
    np.testing.assert_allclose(est.affinity_, K, atol=1e-14)
    w, V = np.linalg.eigh(K)
    np.testing.assert_allclose(est.scores_, np.abs(V[:, -1]), rtol=1e-10)


def test_permutation_and_duplicates():
    X, y = tied_data()
    perm = np.random.default_rng(3).permutation(X.shape[1])
    a = ECFS().fit(X, y).scores_
    b = ECFS().fit(X[:, perm], y).scores_
    np.testing.assert_allclose(b, a[perm], rtol=1e-10)
    assert a[4] == pytest.approx(a[5], rel=1e-10)  # duplicated column


def test_multiclass_extension_matches_dense_with_extended_scores():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 6))
    y = rng.integers(0, 3, size=150)
    X[:, 1] += y
    want, _ = ref_ecfs(X, y, fisher=fisher_ratio(X, y), mi=muteinf(X, y))
    est = ECFS().fit(X, y)
    np.testing.assert_allclose(est.scores_, want, rtol=1e-8)
    assert est.ranking_[1] == 1


def test_regression_extension_runs():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 5))
    y = 3 * X[:, 2] + 0.1 * rng.normal(size=120)
    est = ECFS(standardize=True).fit(X, y)
    assert est.task_ == "regression" and est.ranking_[2] == 1


def test_bad_alpha_and_missing_target():
    X, y = random_data()
    with pytest.raises(InputError, match="alpha"):
        ECFS(alpha=-0.1).fit(X, y)
    with pytest.raises(ValueError):
        ECFS().fit(X)


def test_array_api_strict_kernels_give_same_scores():
    xps = pytest.importorskip("array_api_strict")
    from featkit.selection._ecfs import leading_eigenvector
    from featkit.selection._inffs import _SigmaTerm

    X, y = random_data()
    sig_np = _SigmaTerm(X, __import__("featkit._array", fromlist=["x"]).get_namespace(X))
    sig_st = _SigmaTerm(xps.asarray(X), xps)
    u = np.random.default_rng(0).normal(size=X.shape[1])
    np.testing.assert_allclose(np.asarray(sig_st @ xps.asarray(u)), sig_np @ u, rtol=1e-13)
    lam, vec = leading_eigenvector(lambda z: sig_st @ z, X.shape[1], xp=xps)
    lam_np, vec_np = leading_eigenvector(lambda z: sig_np @ z, X.shape[1])
    assert lam == pytest.approx(lam_np, rel=1e-12)
    np.testing.assert_allclose(np.abs(np.asarray(vec)), np.abs(vec_np), atol=1e-10)


def test_findings_small_d():
    from featkit.findings import collect_findings

    X, y = random_data()
    found = collect_findings(ECFS().fit(X, y))
    assert [found[k].kind for k in ("eigenvalue_", "relevance_", "affinity_")] == [
        "scalar", "feature_vector", "feature_matrix"]
    extra = {k.rstrip("_"): v.value for k, v in found.items()}
    mi = muteinf(X, y)
    np.testing.assert_allclose(extra["affinity"], ref.ecfs_kernel(X, y, mi), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(extra["relevance"], np.abs(ref.fisher(X, y) + mi) / 2, rtol=1e-10)
    assert extra["eigenvalue"] == pytest.approx(ref.ecfs(X, y, mi)[1], rel=1e-10)


def test_array_api_strict_and_torch_inputs():
    xps = pytest.importorskip("array_api_strict")
    X, y = tied_data()
    want = ECFS().fit(X, y).scores_
    np.testing.assert_allclose(ECFS().fit(xps.asarray(X), xps.asarray(y)).scores_, want, rtol=1e-10)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ECFS().fit(torch.asarray(X), torch.asarray(y)).scores_, want, rtol=1e-10)
