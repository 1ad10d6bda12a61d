"""torch CUDA path of the neural selectors: the GPU tests run only where torch sees a CUDA GPU;
the error for a missing GPU runs everywhere."""

import numpy as np
import pytest

from featkit.exceptions import InputError
from featkit.selection import KANSelector, SequentialAttentionSelector

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.neural

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs torch with a CUDA GPU")


def _planted(n=400, d=10, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 1] + X[:, 6] ** 2 > 1.0).astype(int)
    return X, y


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error for a missing GPU")
@pytest.mark.parametrize("make", [
    lambda: KANSelector(device="gpu", epochs=5, n_splits=2),
    lambda: SequentialAttentionSelector(device="gpu", epochs=5, n_features_to_select=2),
])
def test_gpu_asked_without_cuda_is_a_clear_error(make):
    X, y = _planted(n=60)
    with pytest.raises(InputError, match="no CUDA GPU"):
        make().fit(X, y)


@pytest.mark.gpu
@needs_cuda
def test_kan_on_cuda_matches_cpu():
    X, y = _planted()
    params = dict(n_features_to_select=2, hidden_size=4, epochs=80, n_splits=3, random_state=0)
    cpu = KANSelector(device="cpu", **params).fit(X, y)
    gpu = KANSelector(device="gpu", **params).fit(X, y)
    # same initial weights (drawn on the CPU), same batched training; float32 sums differ in order
    assert set(np.flatnonzero(gpu.get_support())) == {1, 6}
    for key in cpu.all_scores_:
        np.testing.assert_allclose(gpu.all_scores_[key], cpu.all_scores_[key], rtol=5e-2, atol=1e-3)
    np.testing.assert_allclose(gpu.fold_losses_, cpu.fold_losses_, rtol=5e-2)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("variant", ["attention", "omp"])
def test_sequential_attention_on_cuda_selects_the_planted_features(variant):
    X, y = _planted()
    est = SequentialAttentionSelector(n_features_to_select=2, variant=variant, hidden_layer_sizes=(16,),
                                      epochs=60, random_state=0, device="gpu").fit(X, y)
    assert set(est.selection_order_.tolist()) == {1, 6}
