"""CuPy path of featkit.decomposition: runs only where CuPy sees a CUDA GPU."""

import numpy as np
import pytest

from featkit._array import gpu_available

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU"),
]


def _data(n=4000, d=32, dtype=np.float64):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, d)) * np.linspace(5, 0.1, d) @ np.linalg.qr(rng.normal(size=(d, d)))[0] + 3
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["covariance_eigh", "svd", "randomized"])
def test_cupy_arrays_stay_on_the_gpu(solver, dtype):
    import cupy

    from featkit.decomposition import PCA

    X = _data(dtype=dtype)
    Xg = cupy.asarray(X)
    gpu = PCA(5, solver=solver, random_state=0).fit(Xg)
    cpu = PCA(5, solver=solver, random_state=0).fit(X)
    assert isinstance(gpu.components_, cupy.ndarray) and gpu.components_.dtype == dtype
    assert gpu.device_ == "gpu"
    tol = 1e-8 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(cupy.asnumpy(gpu.components_), cpu.components_, atol=tol)
    np.testing.assert_allclose(cupy.asnumpy(gpu.explained_variance_), cpu.explained_variance_, rtol=tol)
    Z = gpu.transform(Xg)
    assert isinstance(Z, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(Z), cpu.transform(X), atol=tol * 100)


def test_numpy_input_fitted_on_gpu_returns_numpy():
    from featkit.decomposition import PCA

    X = _data()
    est = PCA(4, device="gpu", solver="covariance_eigh").fit(X)
    assert est.device_ == "gpu"
    assert isinstance(est.components_, np.ndarray)
    ref = PCA(4, device="cpu", solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(est.components_, ref.components_, atol=1e-8)
    np.testing.assert_allclose(est.transform(X), ref.transform(X), atol=1e-6)


def test_partial_fit_on_cupy_chunks():
    import cupy

    from featkit.decomposition import PCA

    X = _data()
    est = PCA(4)
    for chunk in np.array_split(X, 7):
        est.partial_fit(cupy.asarray(chunk))
    ref = PCA(4, solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(cupy.asnumpy(est.components_), ref.components_, atol=1e-8)


def test_robust_pca_on_cupy():
    import cupy

    from featkit.decomposition import RobustPCA

    rng = np.random.RandomState(0)
    L0 = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 40))
    S0 = np.zeros_like(L0)
    S0.flat[rng.choice(L0.size, 100, replace=False)] = 10.0
    est = RobustPCA().fit(cupy.asarray(L0 + S0))
    assert est.rank_ == 2
    assert float(cupy.linalg.norm(est.low_rank_ - cupy.asarray(L0))) < 1e-3 * np.linalg.norm(L0)
