"""The one device layer (featkit._array): detector, resolvers, validation without a host copy."""

import numpy as np
import pytest

from featkit import _array
from featkit.decomposition import PCA
from featkit.exceptions import InputError
from featkit.selection import ECFS, InfFS

xps = pytest.importorskip("array_api_strict")


def _data(n=37, d=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    return X, (X[:, 0] > 0).astype(int)


@pytest.fixture
def host_copies(monkeypatch):
    """Shapes of the array_api_strict arrays that were copied out to NumPy."""
    seen = []
    Array = type(xps.asarray(1.0))
    for name in ("__dlpack__", "__array__", "__buffer__"):
        original = getattr(Array, name, None)
        if original is None:
            continue

        def record(self, *args, _original=original, **kwargs):
            seen.append(tuple(self.shape))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Array, name, record)
    return seen


@pytest.mark.parametrize("make, supervised", [
    (lambda: InfFS(), False),
    (lambda: InfFS(supervised=True), True),
    (lambda: ECFS(), True),
    (lambda: PCA(2), False),
])
def test_fit_on_array_api_strict_makes_no_host_copy_of_the_data(host_copies, make, supervised):
    X, y = _data()
    args = (xps.asarray(X), xps.asarray(y)) if supervised else (xps.asarray(X),)
    est = make().fit(*args)
    assert est.n_features_in_ == X.shape[1]
    # vectors of length d (scores) and the target may come to the host; X may not
    assert X.shape not in host_copies, host_copies


def test_one_foreign_array_detector():
    assert _array.is_foreign_array(xps.asarray(np.ones((2, 2))))
    assert not _array.is_foreign_array(np.ones((2, 2)))
    assert not _array.is_foreign_array([[1.0, 2.0]])
    import featkit.decomposition._base as decomposition_base
    import featkit.selection._inffs as inffs

    assert not hasattr(inffs, "is_device_array")
    assert decomposition_base.is_foreign_array is _array.is_foreign_array


def test_device_array_validation_is_done_in_its_namespace():
    X, y = _data()
    X[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN or infinity"):
        InfFS().fit(xps.asarray(X))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ECFS().fit(xps.asarray(_data()[0]), y[:-1])
    with pytest.raises(InputError, match="minimum of 2"):
        InfFS().fit(xps.asarray(np.ones((1, 3))))


def test_torch_device_is_the_only_torch_resolver():
    torch = pytest.importorskip("torch")
    from featkit.selection import _torch_utils

    assert not hasattr(_torch_utils, "resolve_device")
    assert _array.torch_device(torch, "cpu") == torch.device("cpu")
    assert _array.torch_device(torch, None).type in ("cpu", "cuda")
    with pytest.raises(InputError, match="device must be"):
        _array.torch_device(torch, "tpu")
    if not torch.cuda.is_available():
        assert _array.torch_device(torch, "auto") == torch.device("cpu")
        with pytest.raises(InputError, match="no CUDA GPU"):
            _array.torch_device(torch, "cuda")


def test_pca_partial_fit_solves_in_an_explicit_step(monkeypatch):
    X, _ = _data(n=300, d=6)
    calls = []
    original = PCA._solve_from_moments

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PCA, "_solve_from_moments", counting)
    pca = PCA(3)
    for start in range(0, 300, 50):
        pca.partial_fit(X[start:start + 50])
    assert not calls and "components_" not in vars(pca)
    pca._finalize()
    assert len(calls) == 1 and "components_" in vars(pca)
    pca.transform(X)
    pca.components_, pca.explained_variance_  # noqa: B018 - reads after the solve
    assert len(calls) == 1
    assert "__getattr__" not in vars(PCA)
    want = PCA(3, solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(pca.components_, want.components_, atol=1e-10)
    np.testing.assert_allclose(pca.explained_variance_, want.explained_variance_, rtol=1e-10)


def test_one_transform_for_the_linear_decomposers():
    from featkit.decomposition import OutlierRobustPCA, RobustPCA
    from featkit.decomposition._base import LinearAxesMixin

    for cls in (PCA, RobustPCA, OutlierRobustPCA):
        assert "transform" not in vars(cls)
        assert cls.transform is LinearAxesMixin.transform
