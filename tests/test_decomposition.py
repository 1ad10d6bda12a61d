"""featkit.decomposition: PCA against scikit-learn, streaming, array API, robust and probabilistic PCA."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn import decomposition as skd
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from featkit.decomposition import PCA, OutlierRobustPCA, ProbabilisticPCA, RobustPCA
from featkit.exceptions import InputError, MemoryBudgetError


def _random_data(n=400, d=12, seed=0, offset=3.0):
    rng = np.random.RandomState(seed)
    scales = np.linspace(4, 0.2, d)
    return rng.normal(size=(n, d)) * scales @ np.linalg.qr(rng.normal(size=(d, d)))[0] + offset


def _real_data():
    return StandardScaler().fit_transform(load_breast_cancer().data)


def _principal_angle(A, B):
    """Largest principal angle (radians) between the row spaces of A and B."""
    qa = np.linalg.qr(np.asarray(A, dtype=np.float64).T)[0]
    qb = np.linalg.qr(np.asarray(B, dtype=np.float64).T)[0]
    cos = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.arccos(np.clip(cos.min(), -1, 1)))


# ----------------------------------------------------------------- PCA vs sklearn
SOLVERS = [("covariance_eigh", "covariance_eigh"), ("svd", "full"), ("randomized", "randomized"),
           ("auto", "auto")]


@pytest.mark.parametrize("data", ["random", "real"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver,sk_solver", SOLVERS)
def test_pca_matches_sklearn(solver, sk_solver, dtype, data):
    X = (_random_data() if data == "random" else _real_data()).astype(dtype)
    k = 5
    ours = PCA(k, solver=solver, random_state=0).fit(X)
    ref = skd.PCA(k, svd_solver=sk_solver, random_state=0).fit(X)
    assert ours.components_.dtype == dtype
    assert ours.transform(X).dtype == dtype
    tol = 1e-8 if dtype == np.float64 else 2e-4
    if solver == "randomized":
        # both randomized solvers approximate; ours must be as close to the exact axes
        exact = skd.PCA(k, svd_solver="full").fit(X)
        err_ours = np.abs(np.abs(ours.components_) - np.abs(exact.components_)).max()
        err_ref = np.abs(np.abs(ref.components_) - np.abs(exact.components_)).max()
        assert err_ours <= max(2 * err_ref, 1e-6 if dtype == np.float64 else 1e-3)
        assert ours.explained_variance_.sum() >= ref.explained_variance_.sum() * (1 - 1e-6)
        ref, tol = exact, max(tol, 1e-5)
    # up to sign; both use the same sign convention, check it explicitly too
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref.components_), atol=tol * 10)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=tol)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=tol * 10)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=tol * 10)
    signs = np.sign(np.sum(ours.components_ * ref.components_, axis=1))
    scale = np.abs(ref.transform(X)).max()
    np.testing.assert_allclose(ours.transform(X), ref.transform(X) * signs, atol=tol * 10 * scale)


def test_pca_all_components_and_fraction_match_sklearn():
    X = _real_data()
    for solver, sk_solver in (("covariance_eigh", "covariance_eigh"), ("svd", "full")):
        ours = PCA(solver=solver).fit(X)
        ref = skd.PCA(svd_solver=sk_solver).fit(X)
        assert ours.n_components_ == ref.n_components_ == X.shape[1]
        np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-7, atol=1e-12)
        frac = PCA(0.9, solver=solver).fit(X)
        assert frac.n_components_ == skd.PCA(0.9, svd_solver="full").fit(X).n_components_


def test_pca_whiten_and_inverse_transform():
    X = _random_data()
    ours = PCA(4, whiten=True).fit(X)
    ref = skd.PCA(4, whiten=True).fit(X)
    Z = ours.transform(X)
    np.testing.assert_allclose(np.var(Z, axis=0, ddof=1), 1.0, rtol=1e-8)
    np.testing.assert_allclose(np.abs(Z), np.abs(ref.transform(X)), atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(ref.transform(X)), atol=1e-8)
    # scikit-learn rescales the components by the variances under whiten=True
    # inside get_covariance; compare the probabilistic-PCA covariance unwhitened
    plain, plain_ref = PCA(4).fit(X), skd.PCA(4).fit(X)
    np.testing.assert_allclose(plain.get_covariance(), plain_ref.get_covariance(), atol=1e-8)


def test_float32_centres_large_offsets():
    # a large common offset: a naive X^T X - n mu mu^T in float32 loses everything
    rng = np.random.RandomState(1)
    X64 = rng.normal(size=(20000, 6)) * [3, 2, 1, 0.5, 0.2, 0.1] + 1e4
    X = X64.astype(np.float32)
    ours = PCA(6, solver="covariance_eigh", block_rows=2048).fit(X)
    exact = skd.PCA(6, svd_solver="full").fit(X.astype(np.float64))
    np.testing.assert_allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-3)


@pytest.mark.parametrize("block_rows", [None, 512])
def test_float32_large_offsets_whole_and_blocked(block_rows):
    # block_rows=None lets fit try the single-product path; the probe must
    # send data with a large offset to the centred, blocked pass
    rng = np.random.RandomState(2)
    X = (rng.normal(size=(6000, 5)) * [3, 2, 1, 0.5, 0.2] + 1e4).astype(np.float32)
    ours = PCA(5, solver="covariance_eigh", block_rows=block_rows).fit(X)
    exact = skd.PCA(5, svd_solver="full").fit(X.astype(np.float64))
    np.testing.assert_allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-3)


def test_whole_moments_checks_every_row_not_only_the_probe():
    from array_api_compat import numpy as xpn

    from featkit.decomposition._base import blocked_moments, whole_moments

    rng = np.random.RandomState(3)
    X = rng.normal(size=(30000, 4)).astype(np.float32)
    # the probe (first 3 rows) looks spread out around the mean; every later
    # row carries a large offset that makes the raw moments cancel badly
    X[3:, 0] += 1e4
    assert whole_moments(xpn, X, probe_rows=3) is None
    n, mean, scatter = blocked_moments(xpn, X, 2048, whole=True)
    ref = np.cov(X.astype(np.float64), rowvar=False) * (n - 1)
    np.testing.assert_allclose(scatter, ref, rtol=1e-4, atol=1e-2 * np.abs(ref).max() * 1e-4)
    # mild data goes through the single product and equals the float64 scatter
    Y = rng.normal(size=(3000, 4)).astype(np.float32) + 1.0
    out = whole_moments(xpn, Y, probe_rows=500)
    assert out is not None
    np.testing.assert_allclose(out[2], np.cov(Y.astype(np.float64), rowvar=False) * 2999, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out[1], Y.astype(np.float64).mean(0), rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_equals_full_fit(dtype):
    X = _random_data(n=1000, seed=3).astype(dtype)
    full = PCA(6, solver="covariance_eigh").fit(X)
    streamed = PCA(6)
    rng = np.random.RandomState(0)
    cuts = np.sort(rng.choice(np.arange(1, 1000), 9, replace=False))
    for chunk in np.split(X, cuts):
        streamed.partial_fit(chunk)
    assert streamed.n_samples_seen_ == 1000
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(streamed.components_, full.components_, atol=tol)
    np.testing.assert_allclose(streamed.explained_variance_, full.explained_variance_, rtol=tol)
    np.testing.assert_allclose(streamed.mean_, full.mean_, rtol=tol, atol=tol)
    np.testing.assert_allclose(streamed.transform(X), full.transform(X), atol=tol * 100)
    # more data after a read updates the (lazily computed) components
    more = _random_data(n=200, seed=9).astype(dtype)
    streamed.partial_fit(more)
    both = PCA(6, solver="covariance_eigh").fit(np.vstack([X, more]))
    np.testing.assert_allclose(streamed.explained_variance_, both.explained_variance_, rtol=tol)


def test_partial_fit_single_rows_and_feature_check():
    X = _random_data(n=50, d=4)
    p = PCA(2)
    for row in X:
        p.partial_fit(row[None, :])
    ref = PCA(2, solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(p.explained_variance_, ref.explained_variance_, rtol=1e-10)
    with pytest.raises(ValueError, match="features"):
        p.partial_fit(X[:, :3])


def test_array_api_strict_path():
    xps = pytest.importorskip("array_api_strict")
    X = _random_data(n=300, d=8)
    for solver in ("covariance_eigh", "svd", "randomized"):
        for np_dtype, dtype in ((np.float64, xps.float64), (np.float32, xps.float32)):
            Xs = xps.asarray(X.astype(np_dtype))
            ours = PCA(3, solver=solver, whiten=True, random_state=0).fit(Xs)
            assert type(ours.components_).__module__.startswith("array_api_strict")
            assert ours.components_.dtype == dtype
            ref = PCA(3, solver=solver, whiten=True, random_state=0).fit(X.astype(np_dtype))
            np.testing.assert_allclose(np.asarray(ours.components_), ref.components_, atol=1e-5)
            Z = ours.transform(Xs)
            assert Z.dtype == dtype
            np.testing.assert_allclose(np.asarray(Z), ref.transform(X.astype(np_dtype)), atol=1e-3)
            assert ours.inverse_transform(Z).shape == (300, 8)
    stream = PCA(3)
    for start in range(0, 300, 70):
        stream.partial_fit(xps.asarray(X[start:start + 70]))
    np.testing.assert_allclose(np.asarray(stream.components_),
                               PCA(3, solver="covariance_eigh").fit(X).components_, atol=1e-10)


def test_pca_errors():
    X = _random_data(n=20, d=5)
    with pytest.raises(InputError, match="solver"):
        PCA(solver="arpack").fit(X)
    with pytest.raises(InputError, match="n_components"):
        PCA(9).fit(X)
    with pytest.raises(InputError, match="integer n_components"):
        PCA(0.5, solver="randomized").fit(X)
    with pytest.raises(InputError, match="device"):
        PCA(device="tpu").fit(X)
    with pytest.raises(MemoryBudgetError, match="covariance"):
        PCA(2, solver="covariance_eigh", memory_budget=100).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        PCA(2).fit(np.where(X > 2, np.nan, X))


def test_gpu_request_without_gpu(monkeypatch):
    monkeypatch.setenv("FEATKIT_DISABLE_GPU", "1")
    from featkit import _array

    _array.gpu_available.cache_clear()
    try:
        with pytest.raises(InputError, match="GPU"):
            PCA(2, device="gpu").fit(_random_data(n=20, d=4))
        assert PCA(2, device="auto").fit(_random_data(n=20, d=4)).device_ == "cpu"
    finally:
        _array.gpu_available.cache_clear()


# --------------------------------------------------------------------- RobustPCA
def test_robust_pca_recovers_low_rank_plus_sparse():
    rng = np.random.RandomState(0)
    n, d, r = 120, 60, 3
    L0 = rng.normal(size=(n, r)) @ rng.normal(size=(r, d))
    S0 = np.zeros((n, d))
    idx = rng.choice(n * d, int(0.05 * n * d), replace=False)
    S0.flat[idx] = rng.choice([-1, 1], idx.size) * rng.uniform(5, 20, idx.size)
    est = RobustPCA().fit(L0 + S0)
    assert est.converged_
    assert est.rank_ == r
    assert np.linalg.norm(est.low_rank_ - L0) / np.linalg.norm(L0) < 1e-4
    assert np.linalg.norm(est.sparse_ - S0) / np.linalg.norm(S0) < 1e-4
    # its axes span L0's row space; plain PCA of the corrupted data does not
    Lc = L0 - L0.mean(axis=0)
    truth = np.linalg.svd(Lc, full_matrices=False)[2][:r]
    assert _principal_angle(est.components_, truth) < 1e-4
    assert _principal_angle(skd.PCA(r).fit(L0 + S0).components_, truth) > 0.05
    assert est.transform(L0 + S0).shape == (n, r)


# -------------------------------------------------------------- OutlierRobustPCA
def test_outlier_robust_pca_resists_planted_rows():
    rng = np.random.RandomState(0)
    n, d = 1000, 10
    scales = np.ones(d)
    scales[0] = 2.0  # true top direction: e0, variance 4
    X = rng.normal(size=(n, d)) * scales
    bad = rng.choice(n, n // 10, replace=False)
    direction = np.zeros(d)
    direction[1] = 1.0
    X[bad] = 8.0 * direction * rng.choice([-1, 1], (bad.size, 1)) + 0.5 * rng.normal(size=(bad.size, d))
    plain = skd.PCA(1).fit(X).components_[0]
    assert abs(plain[0]) < 0.3  # plain PCA is pulled to the outliers' direction
    est = OutlierRobustPCA(n_components=1, contamination=0.1).fit(X)
    assert abs(est.components_[0][0]) > 0.99
    assert est.inlier_mask_[bad].mean() < 0.05
    assert est.inlier_mask_[np.setdiff1d(np.arange(n), bad)].mean() > 0.97
    assert est.explained_variance_[0] == pytest.approx(4.0, rel=0.1)
    # the filter alone trims inliers too (the variance shrinks) but keeps the axis
    filtered = OutlierRobustPCA(n_components=1, contamination=0.1, reweight=False).fit(X)
    assert abs(filtered.components_[0][0]) > 0.99
    assert filtered.explained_variance_[0] < est.explained_variance_[0]


def test_outlier_robust_pca_clean_data_keeps_axes():
    X = _random_data(n=600, d=6, seed=4)
    est = OutlierRobustPCA(n_components=2, contamination=0.05).fit(X)
    ref = skd.PCA(2).fit(X)
    assert _principal_angle(est.components_, ref.components_) < 0.1


# -------------------------------------------------------------- ProbabilisticPCA
def _ppca_data(n=800, d=8, q=2, noise=0.3, seed=0):
    rng = np.random.RandomState(seed)
    W = rng.normal(size=(d, q)) * [3.0, 2.0][:q]
    X = rng.normal(size=(n, q)) @ W.T + 1.5 + noise * rng.normal(size=(n, d))
    return X, W


def _closed_form_ppca(X, q):
    """Tipping & Bishop (1999) maximum-likelihood solution (eq. 7-8)."""
    n, d = X.shape
    S = np.cov(X, rowvar=False, bias=True)
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    s2 = lam[q:].mean()
    W = U[:, :q] * np.sqrt(lam[:q] - s2)
    C = W @ W.T + s2 * np.eye(d)
    ll = -0.5 * n * (d * np.log(2 * np.pi) + np.linalg.slogdet(C)[1] + np.trace(np.linalg.solve(C, S)))
    return W, s2, ll


def test_ppca_em_matches_closed_form_without_missing():
    X, _ = _ppca_data(n=400)
    W, s2, ll = _closed_form_ppca(X, 2)
    # from random loadings, EM climbs to the ML solution (linear rate: loose tolerances)
    est = ProbabilisticPCA(2, init="random", tol=1e-10, max_iter=4000, random_state=0).fit(X)
    assert est.converged_
    assert est.noise_variance_ == pytest.approx(s2, rel=1e-5)
    np.testing.assert_allclose(est.loadings_ @ est.loadings_.T, W @ W.T, rtol=5e-3, atol=5e-3)
    np.testing.assert_allclose(est.mean_, X.mean(axis=0), atol=1e-6)
    assert est.log_likelihood_ == pytest.approx(ll, abs=1e-2)
    # the closed form is EM's fixed point: started there, nothing moves
    est = ProbabilisticPCA(2, tol=1e-12).fit(X)
    assert est.noise_variance_ == pytest.approx(s2, rel=1e-9)
    np.testing.assert_allclose(est.loadings_ @ est.loadings_.T, W @ W.T, atol=1e-8)
    assert est.log_likelihood_ == pytest.approx(ll, rel=1e-12)
    assert est.score(X) * X.shape[0] == pytest.approx(ll, rel=1e-10)
    # PCA's noise variance uses n - 1, PPCA's ML uses n
    pca = PCA(2, solver="covariance_eigh").fit(X)
    assert _principal_angle(est.components_, pca.components_) < 1e-4


def test_ppca_with_missing_values_recovers_subspace():
    X, W_true = _ppca_data(n=1000)
    rng = np.random.RandomState(1)
    Xm = X.copy()
    Xm[rng.rand(*X.shape) < 0.2] = np.nan
    est = ProbabilisticPCA(2, random_state=0).fit(Xm)
    assert _principal_angle(est.components_, W_true.T) < 0.05
    assert est.noise_variance_ == pytest.approx(0.09, rel=0.2)
    # mean imputation then PCA is visibly worse on the same data
    filled = np.where(np.isnan(Xm), np.nanmean(Xm, axis=0), Xm)
    naive = skd.PCA(2).fit(filled).components_
    assert _principal_angle(est.components_, W_true.T) < _principal_angle(naive, W_true.T)
    Z = est.transform(Xm)
    assert Z.shape == (1000, 2) and np.isfinite(Z).all()
    scores = est.score_samples(Xm)
    assert np.isfinite(scores).all()


def test_ppca_score_samples_matches_gaussian_density():
    from scipy.stats import multivariate_normal

    X, _ = _ppca_data(n=300)
    est = ProbabilisticPCA(2).fit(X)
    ref = multivariate_normal(est.mean_, est.get_covariance()).logpdf(X)
    np.testing.assert_allclose(est.score_samples(X), ref, rtol=1e-10)
    # a missing entry is marginalised out: density of the observed coordinates
    Xm = X[:5].copy()
    Xm[:, 3] = np.nan
    keep = [j for j in range(X.shape[1]) if j != 3]
    ref_m = multivariate_normal(est.mean_[keep], est.get_covariance()[np.ix_(keep, keep)]).logpdf(X[:5, keep])
    np.testing.assert_allclose(est.score_samples(Xm), ref_m, rtol=1e-10)


def test_self_paced_ppca_resists_outliers():
    X, W_true = _ppca_data(n=600, seed=2)
    rng = np.random.RandomState(3)
    bad = rng.choice(600, 60, replace=False)
    X[bad] = rng.normal(size=(60, X.shape[1])) * 25
    plain = ProbabilisticPCA(2).fit(X)
    robust = ProbabilisticPCA(2, self_paced=True, self_paced_fraction=0.85).fit(X)
    assert _principal_angle(robust.components_, W_true.T) < 0.1
    assert _principal_angle(robust.components_, W_true.T) < _principal_angle(plain.components_, W_true.T)
    assert robust.sample_mask_[bad].mean() < 0.05


def test_ppca_errors():
    X, _ = _ppca_data(n=30)
    with pytest.raises(InputError, match="n_components"):
        ProbabilisticPCA(8).fit(X)
    X[:, 2] = np.nan
    with pytest.raises(InputError, match="no observed value"):
        ProbabilisticPCA(2).fit(X)


# ---------------------------------------------------------- scikit-learn contract
ESTIMATORS = [
    PCA(),
    RobustPCA(max_iter=200),
    OutlierRobustPCA(),
    ProbabilisticPCA(max_iter=200, tol=1e-4),
]

# No check is expected to fail; this dict is where a reason would go.
EXPECTED_FAILED = {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}))
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("est", [PCA(3), RobustPCA(3), OutlierRobustPCA(3), ProbabilisticPCA(3)],
                         ids=lambda e: type(e).__name__)
def test_pipeline_clone_pickle_pandas(est):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(80, 6)) @ rng.normal(size=(6, 6)), columns=[f"c{i}" for i in range(6)])
    est = clone(est).set_output(transform="pandas")
    out = est.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    prefix = type(est).__name__.lower()
    assert list(out.columns) == [f"{prefix}{i}" for i in range(3)]
    np.testing.assert_allclose(out.to_numpy(), est.transform(X).to_numpy(), atol=1e-8)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.transform(X).to_numpy(), out.to_numpy())
    pipe = make_pipeline(StandardScaler(), clone(est)).fit(X)
    assert pipe.transform(X).shape == (80, 3)
    assert list(pipe.get_feature_names_out()) == list(out.columns)


def test_whole_moments_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    from array_api_compat import numpy as xpn

    from featkit.decomposition._base import whole_moments

    rng = np.random.RandomState(4)
    X = (rng.normal(size=(3000, 6)) + 2.0).astype(np.float32)
    ref = whole_moments(xpn, X, probe_rows=256)
    out = whole_moments(xps, xps.asarray(X), probe_rows=256)
    assert out is not None and isinstance(out[2], type(xps.asarray(1.0)))
    np.testing.assert_allclose(np.asarray(out[1]), ref[1], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out[2]), ref[2], rtol=1e-4, atol=1e-2)
