"""KAN selectors: the B-spline layer, the four scores against direct computations, known truth."""

import subprocess
import sys

import numpy as np
import pytest

from featkit.exceptions import InputError, MissingExtraError
from featkit.registry import make_estimator
from featkit.selection import KANSelector

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.neural

from featkit.selection._kan._bases import bspline_basis, uniform_knots as _uniform_knots  # noqa: E402
from featkit.selection._kan._network import kan_network_class as _kan_network_class  # noqa: E402

FAST = dict(hidden_size=4, epochs=80, n_splits=2, random_state=0, n_threads=1)


def _xor_like(n=300, d=8, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 2] ** 2 + X[:, min(5, d - 1)] > 1.0).astype(int)
    return X, y


def test_bspline_basis_matches_scipy_and_sums_to_one():
    from scipy.interpolate import BSpline

    knots, h = _uniform_knots(torch, 4, 3, (-1.0, 1.0), "cpu")
    assert knots.shape == (4 + 2 * 3 + 1,)
    x = torch.linspace(-1.0, 0.999, 41)
    basis = bspline_basis(x, knots, 3, h)
    assert basis.shape == (41, 4 + 3)
    t = knots.numpy().astype(np.float64)
    ref = np.stack(
        [np.nan_to_num(BSpline.basis_element(t[m:m + 5], extrapolate=False)(x.numpy())) for m in range(7)],
        axis=-1,
    )
    np.testing.assert_allclose(basis.numpy(), ref, atol=1e-5)
    np.testing.assert_allclose(basis.sum(-1).numpy(), 1.0, atol=1e-5)
    # order 0: indicator of the grid cell
    b0 = bspline_basis(torch.tensor([-0.9, 0.1]), *_uniform_knots(torch, 4, 0, (-1.0, 1.0), "cpu")[:1], 0, 0.5)
    assert b0.argmax(-1).tolist() == [0, 2]


def _tiny_net(d=4, hidden=3, n_out=2, seed=0):
    KAN = _kan_network_class(torch)
    gen = torch.Generator().manual_seed(seed)
    net = KAN([d, hidden, n_out], 5, 3, gen, "cpu")
    with torch.no_grad():  # give the splines weight so that both branches matter
        for layer in net.layers:
            layer.coef.mul_(20.0)
    return net


def test_layer_output_is_sum_of_edge_functions():
    net = _tiny_net()
    x = torch.rand(10, 4) * 2 - 1
    first = net.layers[0]
    contrib = first.contributions(x)
    np.testing.assert_allclose(contrib.sum(1).detach().numpy(), first(x).detach().numpy(), atol=1e-5)
    # one edge by hand: wb * SiLU(x) + ws * sum_m c_m B_m(x)
    j, o = 2, 1
    xj = x[:, j]
    by_hand = first.base_weight[o, j] * torch.nn.functional.silu(xj) + first.spline_scale[o, j] * (
        first.basis(xj) @ first.coef[o, j])
    np.testing.assert_allclose(contrib[:, j, o].detach().numpy(), by_hand.detach().numpy(), atol=1e-5)


def test_fold_scores_match_direct_definitions():
    net = _tiny_net()
    net.eval()
    rng = np.random.RandomState(1)
    xv = torch.tensor(rng.uniform(-1, 1, size=(30, 4)), dtype=torch.float32)
    yv = torch.tensor(rng.randint(0, 2, size=30))
    F = torch.nn.functional

    def loss_fn(out, target, reduction="mean"):
        return F.cross_entropy(out, target, reduction=reduction)

    scores, loss = KANSelector()._fold_scores(torch, net, xv, yv, loss_fn)
    with torch.no_grad():
        contrib = net.layers[0].contributions(xv)
        base = float(loss_fn(net(xv), yv))
        np.testing.assert_allclose(scores["l1"], contrib.abs().mean(dim=(0, 2)).numpy(), rtol=1e-5)
        np.testing.assert_allclose(scores["l2"], contrib.pow(2).mean(dim=(0, 2)).sqrt().numpy(), rtol=1e-5)
        assert loss == pytest.approx(base, rel=1e-5)
        for j in range(4):  # knock-out by zeroing feature j's first-layer edges in a copy
            import copy

            knocked = copy.deepcopy(net)
            knocked.layers[0].base_weight[:, j] = 0
            knocked.layers[0].coef[:, j, :] = 0
            ko = max(0.0, float(loss_fn(knocked(xv), yv)) - base)
            assert scores["ko"][j] == pytest.approx(ko, abs=1e-5)
        coef = net.layers[0].effective_coef()
        np.testing.assert_allclose(scores["l1_coef"], coef.abs().sum(dim=(0, 2)).numpy(), rtol=1e-5)
    # sensitivity against central finite differences
    eps = 1e-3
    fd = np.zeros(4)
    with torch.no_grad():
        for j in range(4):
            up, down = xv.clone(), xv.clone()
            up[:, j] += eps
            down[:, j] -= eps
            fd[j] = ((net(up) - net(down)) / (2 * eps)).abs().mean().item()
    np.testing.assert_allclose(scores["si"], fd, rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("metric", ["l1", "l2", "si", "ko"])
def test_informative_features_on_top(metric):
    X, y = _xor_like()
    est = KANSelector(n_features_to_select=2, metric=metric, **FAST).fit(X, y)
    assert set(np.flatnonzero(est.get_support())) == {2, 5}
    assert set(est.all_scores_) == {"l1", "l2", "si", "ko", "l1_coef", "l2_coef"}
    assert est.n_folds_ == 2 and est.fold_losses_.shape == (2,)


def test_coefficient_importance_and_regression():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(300, 8))
    y = np.sin(2 * X[:, 0]) + X[:, 3] + 0.05 * rng.normal(size=300)
    est = KANSelector(n_features_to_select=2, importance="coefficient", metric="l2", **FAST).fit(X, y)
    assert est.task_ == "regression"
    assert set(np.flatnonzero(est.get_support())) == {0, 3}
    np.testing.assert_array_equal(est.scores_, est.all_scores_["l2_coef"])


def test_deterministic_under_random_state():
    X, y = _xor_like(n=120)
    a = KANSelector(**FAST).fit(X, y).scores_
    b = KANSelector(**FAST).fit(X, y).scores_
    np.testing.assert_array_equal(a, b)
    c = KANSelector(**{**FAST, "random_state": 1}).fit(X, y).scores_
    assert not np.array_equal(a, c)


def test_registry_variants_and_findings():
    from featkit.findings import collect_findings

    import pandas as pd

    X, y = _xor_like(n=120, d=4)
    frame = pd.DataFrame(X, columns=list("abcd"))
    est = make_estimator("kan_ko", **FAST).fit(frame, y)
    assert est.metric == "ko"
    found = collect_findings(est)
    assert found["all_scores_"].kind == "feature_vectors"
    assert len(found["all_scores_"].value["si"]) == 4
    assert found["fold_losses_"].value.tolist() == est.fold_losses_.tolist()


def test_bad_parameters_raise_input_error():
    X, y = _xor_like(n=60, d=3)
    with pytest.raises(InputError, match="metric"):
        KANSelector(metric="l3").fit(X, y)
    with pytest.raises(InputError, match="coefficient"):
        KANSelector(metric="si", importance="coefficient").fit(X, y)
    with pytest.raises(InputError, match="n_splits"):
        KANSelector(n_splits=1).fit(X, y)


def test_missing_torch_is_a_clear_error(monkeypatch):
    X, y = _xor_like(n=40, d=3)
    est = KANSelector()  # constructing needs no torch
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r'pip install "featkit\[neural\]"'):
        est.fit(X, y)


def test_import_does_not_load_torch():
    code = ("import sys, featkit, featkit.registry, featkit.selection._kan, "
            "featkit.selection._sequential_attention; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_warns_when_the_network_learns_nothing():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = rng.randint(0, 2, size=80)  # pure noise: held-out loss cannot beat the prior
    with pytest.warns(UserWarning, match="no better than a constant prediction"):
        KANSelector(hidden_size=8, epochs=150, learning_rate=0.05, n_splits=2, random_state=0,
                    n_threads=1).fit(X, y)


def test_cubic_closed_form_equals_cox_de_boor_with_its_gradient():
    from featkit.selection._kan._bases import uniform_basis

    knots, h = _uniform_knots(torch, 5, 3, (-1.0, 1.0), "cpu")
    k64 = knots.double()
    # inside, on and outside the grid (the extended knots reach -2.2 .. 2.2)
    x = torch.linspace(-2.5, 2.5, 201, dtype=torch.float64).reshape(67, 3).requires_grad_(True)
    np.testing.assert_allclose(uniform_basis(torch, x, k64, 3, h).detach().numpy(),
                               bspline_basis(x, k64, 3, h).detach().numpy(), atol=1e-6)
    assert torch.autograd.gradcheck(lambda v: uniform_basis(torch, v, k64, 3, h), (x,))
    # other orders go through the recursion itself
    assert torch.equal(uniform_basis(torch, x, k64, 2, h), bspline_basis(x, k64, 2, h))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_folds_trained_together_equal_folds_trained_one_by_one(task, monkeypatch):
    X, y = _xor_like(n=151)  # folds of unequal size: the batched loss pads them
    if task == "regression":
        y = X[:, 2] ** 2 + X[:, 5] + 0.1 * np.random.RandomState(0).normal(size=len(y))
    params = {**FAST, "n_splits": 3}
    together = KANSelector(**params).fit(X, y)
    monkeypatch.setattr(KANSelector, "_fold_batching", False)
    alone = KANSelector(**params).fit(X, y)
    for key in together.all_scores_:
        np.testing.assert_allclose(together.all_scores_[key], alone.all_scores_[key], rtol=2e-3, atol=1e-5)
    np.testing.assert_allclose(together.fold_losses_, alone.fold_losses_, rtol=2e-3)


def test_minibatch_training_learns():
    X, y = _xor_like()
    est = KANSelector(n_features_to_select=2, batch_size=64, **FAST).fit(X, y)
    assert set(np.flatnonzero(est.get_support())) == {2, 5}


@pytest.mark.parametrize("classification", [True, False])
@pytest.mark.parametrize("order", [3, 2])
def test_hand_written_gradients_equal_autograd(classification, order):
    from featkit.selection._kan._bases import basis_and_derivative
    from featkit.selection._kan._network import kan_gradients as _kan_gradients

    torch.manual_seed(0)
    nf, n, d, hid, n_out, grid = 3, 20, 4, 5, (3 if classification else 1), 5
    knots, h = _uniform_knots(torch, grid, order, (-1.0, 1.0), "cpu")
    knots = knots.double()
    m = grid + order
    params = [torch.randn(nf, hid, d), torch.randn(nf, hid, d, m), torch.rand(nf, hid, d) + 0.5,
              torch.randn(nf, n_out, hid), torch.randn(nf, n_out, hid, m), torch.rand(nf, n_out, hid) + 0.5]
    params = [p.double().requires_grad_(True) for p in params]
    x = torch.rand(nf, n, d, dtype=torch.float64) * 2 - 1
    silu1 = torch.nn.functional.silu(x)
    basis1 = bspline_basis(x, knots, order, h).reshape(nf, n, -1)
    w = torch.rand(nf, n, dtype=torch.float64)
    if classification:
        target = torch.randint(0, n_out, (nf, n))
    else:
        target = torch.randn(nf, n, 1, dtype=torch.float64)
    # the same loss through autograd
    wb1, c1, s1, wb2, c2, s2 = params
    h1 = silu1 @ wb1.transpose(1, 2) + basis1 @ (s1.unsqueeze(-1) * c1).reshape(nf, hid, -1).transpose(1, 2)
    b2 = bspline_basis(h1, knots, order, h).reshape(nf, n, -1)
    out = (torch.nn.functional.silu(h1) @ wb2.transpose(1, 2)
           + b2 @ (s2.unsqueeze(-1) * c2).reshape(nf, n_out, -1).transpose(1, 2))
    if classification:
        per_row = torch.nn.functional.cross_entropy(out.reshape(-1, n_out), target.reshape(-1),
                                                    reduction="none").reshape(nf, n)
    else:
        per_row = (out - target).pow(2).mean(-1)
    (per_row * w).sum().backward()
    with torch.no_grad():
        ours = _kan_gradients(torch, [p.detach() for p in params], silu1, basis1, target, w,
                              classification, knots, h, order)
    for p, g in zip(params, ours):
        np.testing.assert_allclose(g.numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-5)
    # and the derivative of the bases against finite differences
    # away from the knots: the float32 knots make the recursion's values jump by ~1e-8 there
    xs = torch.linspace(-2.5, 2.5, 101, dtype=torch.float64) + 0.013
    _, deriv = basis_and_derivative(torch, xs, knots, order, h)
    eps = 1e-6
    fd = (bspline_basis(xs + eps, knots, order, h) - bspline_basis(xs - eps, knots, order, h)) / (2 * eps)
    np.testing.assert_allclose(deriv.numpy(), fd.numpy(), atol=1e-4)


def test_flat_adam_equals_torch_adam():
    from featkit.selection._kan._optim import FlatAdam

    torch.manual_seed(1)
    shapes = [(3, 4), (2, 5, 6), (7,)]
    start = [torch.randn(s) for s in shapes]
    ref = [t.clone().requires_grad_(True) for t in start]
    torch_opt = torch.optim.Adam(ref, lr=0.01, weight_decay=0.1)
    ours = FlatAdam(torch, start, lr=0.01, weight_decay=0.1)
    for _ in range(25):
        grads = [torch.randn(s) for s in shapes]
        for p, g in zip(ref, grads):
            p.grad = g.clone()
        torch_opt.step()
        ours.step(grads)
    for a, b in zip(ours.params, ref):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_folds_train_one_by_one_when_together_they_exceed_the_budget(monkeypatch):
    X, y = _xor_like(n=151)
    params = {**FAST, "n_splits": 3}
    together = KANSelector(**params).fit(X, y)
    calls = []
    real = KANSelector._train

    def spy(self, torch_, group):
        calls.append(len(group))
        return real(self, torch_, group)

    monkeypatch.setattr(KANSelector, "_train", spy)
    # one fold's bases (~101 rows x 8 features x 10 floats) fit, three folds' do not
    monkeypatch.setenv("FEATKIT_MEMORY_BUDGET", str(4 * 101 * 8 * 10 * 2))
    alone = KANSelector(**params).fit(X, y)
    assert calls == [1, 1, 1]
    np.testing.assert_allclose(together.scores_, alone.scores_, rtol=2e-3, atol=1e-5)
