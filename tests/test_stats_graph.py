"""Kernels behind the graph rankers: ranks / Spearman, Fisher ratio, the reference
``muteinf`` histogram MI, and the matrix-free solvers -- each against a plain
implementation (tests/_reference.py), and through ``array_api_strict`` / torch."""


import numpy as np
import pytest
from scipy import stats

import _reference as ref

from featkit.stats import (
    MaxKernel,
    average_ranks,
    fisher_ratio,
    krylov_shifted_solve,
    largest_eigenvalue,
    leading_eigenvector,
    muteinf,
    neumann_solve,
    pearson_correlation,
    reference_bin_count,
    regression_fisher_ratio,
    spearman_correlation,
)

xps = pytest.importorskip("array_api_strict")


def data(seed=0, n=80, d=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d)
    X[:, 1] = rng.integers(0, 4, size=n)  # ties
    X[:, 2] = 2.5  # constant
    X[:, 3] = np.round(X[:, 0], 1)  # ties, correlated
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


# ------------------------------------------------------------------ ranks
def test_average_ranks_match_scipy_with_ties():
    X, _ = data()
    np.testing.assert_array_equal(average_ranks(X), stats.rankdata(X, axis=0))


def test_average_ranks_chunked(monkeypatch):
    import featkit.stats._correlation as mod

    monkeypatch.setattr(mod, "_RANK_CHUNK_ELEMENTS", 100)
    X, _ = data(d=9)
    np.testing.assert_array_equal(average_ranks(X), stats.rankdata(X, axis=0))


def test_spearman_matches_scipy_and_constant_is_zero():
    X, _ = data()
    keep = [0, 1, 3, 4, 5, 6]  # spearmanr gives a single NaN when a column is constant
    want = stats.spearmanr(X[:, keep]).statistic
    ours = spearman_correlation(X)
    np.testing.assert_allclose(ours[np.ix_(keep, keep)], want, atol=1e-14)
    assert np.all(ours[2] == 0) and np.all(ours[:, 2] == 0)  # constant column: NaN -> 0
    assert ours[0, 0] == 1.0


def test_pearson_matches_numpy():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5))
    np.testing.assert_allclose(pearson_correlation(X), np.corrcoef(X, rowvar=False), atol=1e-14)


def test_spearman_hand_checked():
    X = np.array([[1.0, 4.0], [2.0, 3.0], [3.0, 2.0], [4.0, 1.0]])
    assert spearman_correlation(X)[0, 1] == pytest.approx(-1.0)


def test_array_api_strict_paths_equal_numpy():
    X, y = data()
    Xs = xps.asarray(X)
    np.testing.assert_array_equal(np.asarray(average_ranks(Xs)), average_ranks(X))
    np.testing.assert_allclose(np.asarray(spearman_correlation(Xs)), spearman_correlation(X), atol=1e-15)
    np.testing.assert_allclose(np.asarray(fisher_ratio(Xs, xps.asarray(y))), fisher_ratio(X, y), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(muteinf(Xs, xps.asarray(y))), muteinf(X, y), rtol=1e-13)
    t = xps.asarray(np.abs(X[:, 0]))
    v = xps.asarray(X[:, 4])
    np.testing.assert_allclose(np.asarray(MaxKernel(t) @ v), np.maximum.outer(np.abs(X[:, 0]), np.abs(X[:, 0])) @ X[:, 4],
                               rtol=1e-12)


def test_torch_path_equals_numpy():
    torch = pytest.importorskip("torch")
    X, y = data()
    Xt = torch.asarray(X)
    np.testing.assert_allclose(spearman_correlation(Xt).numpy(), spearman_correlation(X), atol=1e-15)
    np.testing.assert_allclose(muteinf(Xt, torch.asarray(y)).numpy(), muteinf(X, y), rtol=1e-13)


# ------------------------------------------------------------------ Fisher
def test_fisher_binary_matches_plain_and_zero_denominator():
    X, y = data()
    X[:, 5] = np.where(y == 1, 3.0, 1.0)  # zero within-class variance -> 4 / 10000
    np.testing.assert_allclose(fisher_ratio(X, y), ref.fisher(X, y), rtol=1e-13)
    assert fisher_ratio(X, y)[5] == pytest.approx(4 / 10000)


def test_fisher_multiclass_extension():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3))
    y = np.repeat([0, 1, 2], 30)
    X[:, 0] += y
    f = fisher_ratio(X, y)
    means = np.array([X[y == c].mean(0) for c in range(3)])
    var = np.array([X[y == c].var(0, ddof=1) for c in range(3)])
    expected = means.var(0, ddof=1) / var.mean(0)
    np.testing.assert_allclose(f, expected, rtol=1e-12)
    assert np.argmax(f) == 0


def test_regression_fisher():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=50)
    r = np.array([np.corrcoef(X[:, j], y)[0, 1] for j in range(3)])
    np.testing.assert_allclose(regression_fisher_ratio(X, y), r**2 / (1 - r**2), rtol=1e-10)


# ----------------------------------------------------------------- muteinf
@pytest.mark.parametrize("n", [40, 150, 300])
def test_muteinf_matches_plain_loops(n):
    X, y = data(seed=n, n=n)
    got = muteinf(X, y)
    want = np.array([ref.muteinf_loops(X[:, j], y) for j in range(X.shape[1])])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_muteinf_values_on_bin_edges():
    # integer data: many values fall exactly on bin edges, where the marginal
    # (closed right) and the joint loop (closed left) disagree on purpose
    rng = np.random.default_rng(5)
    X = rng.integers(0, 21, size=(200, 4)).astype(float)
    y = rng.integers(0, 2, size=200)
    want = np.array([ref.muteinf_loops(X[:, j], y) for j in range(4)])
    np.testing.assert_allclose(muteinf(X, y), want, rtol=1e-12)


def test_muteinf_constant_column_quirk():
    X, y = data()
    info = muteinf(X, y)
    assert info[2] == pytest.approx(ref.muteinf_loops(X[:, 2], y), rel=1e-12)
    assert info[2] > info[[0, 1, 3, 4]].max()  # the reference's quirk


def test_muteinf_regression_and_multiclass():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 4))
    y = X[:, 0] + 0.3 * rng.normal(size=120)
    want = np.array([ref.muteinf_loops(X[:, j], y, regression=True) for j in range(4)])
    np.testing.assert_allclose(muteinf(X, y, task="regression"), want, rtol=1e-12)
    y3 = np.digitize(X[:, 1], [-0.5, 0.5])
    want3 = np.array([ref.muteinf_loops(X[:, j], y3) for j in range(4)])
    np.testing.assert_allclose(muteinf(X, y3), want3, rtol=1e-12)


def test_reference_bin_count():
    assert [reference_bin_count(n) for n in (20, 99, 100, 200, 201, 210, 10**5)] == [10, 10, 10, 20, 20, 20, 20]


# ----------------------------------------------------------------- solvers
def _spd(d, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.uniform(size=(d, d))
    return (A + A.T) / 2


def test_max_kernel_matches_dense_with_ties():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 5, size=40).astype(float)
    v = rng.normal(size=40)
    np.testing.assert_allclose(MaxKernel(t) @ v, np.maximum.outer(t, t) @ v, rtol=1e-12, atol=1e-12)


def test_largest_eigenvalue_and_shift():
    A = _spd(30)
    lam = largest_eigenvalue(lambda v: A @ v, 30, ones_shift=0.25)
    assert lam == pytest.approx(np.linalg.eigvalsh(A + 0.25)[-1], rel=1e-12)


def test_leading_eigenvector():
    A = _spd(25, seed=1)
    lam, v = leading_eigenvector(lambda x: A @ x, 25)
    w, V = np.linalg.eigh(A)
    assert lam == pytest.approx(w[-1], rel=1e-12)
    np.testing.assert_allclose(np.abs(v), np.abs(V[:, -1]), atol=1e-10)


def test_krylov_shifted_solve_and_neumann():
    A = _spd(40, seed=2)
    c = 0.9 / np.linalg.eigvalsh(A)[-1]
    b = np.ones(40)
    x, c_used, lz = krylov_shifted_solve(lambda v: A @ v, b, lambda lz: c)
    np.testing.assert_allclose(x, np.linalg.solve(np.eye(40) - c * A, b), rtol=1e-11)
    assert c_used == c and lz.n_products <= 40
    small = 0.3 / np.abs(A).sum(1).max()
    np.testing.assert_allclose(neumann_solve(lambda v: A @ v, b, small),
                               np.linalg.solve(np.eye(40) - small * A, b), rtol=1e-13)
