"""Spline-based feature importance of Kolmogorov-Arnold Networks (KAN-L1/L2/SI/KO).

Akazan & Mbingui, "Splines-Based Feature Importance in Kolmogorov-Arnold
Networks: A Framework for Supervised Tabular Data Dimensionality Reduction"
(arXiv 2509.23366). The KAN layer follows Liu et al. 2024 (pykan) in the
B-spline formulation popularised by efficient-kan: every edge j -> o computes

    phi_oj(x) = wb_oj * SiLU(x) + ws_oj * sum_m c_ojm B_m(x)

on a uniform knot grid (the bases are in ``_bases``, the network and its
gradients in ``_network``, the optimiser in ``_optim``). torch is imported
only inside ``fit``.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np

from ..._array import check_memory, memory_budget_bytes, torch_device
from ...base import BaseRanker
from ...findings import Finding
from ...exceptions import InputError
from ...utils._param_validation import POSITIVE, Interval, StrOptions
from .._torch_utils import (TORCH_PARAMETER_CONSTRAINTS, as_tensor, constant_loss, import_torch,
                            make_generator, no_better_than_constant, seed_from, torch_threads)
from ._network import kan_gradients, kan_network_class
from ._optim import FlatAdam

__all__ = ["KANSelector", "KAN_SCORES"]

KAN_SCORES = ("l1", "l2", "si", "ko")
_IMPORTANCE = ("activation", "coefficient")

# Rows per chunk when per-edge contributions (rows x features x hidden) are formed.
_ROW_CHUNK = 2048


class KANSelector(BaseRanker):
    """Rank features by the spline-based importance of a Kolmogorov-Arnold Network.

    A KAN ``[n_features, hidden_size, n_outputs]`` is trained (cross-entropy for
    classification, mean squared error on the standardised target for
    regression) on each of ``n_splits`` folds, and each feature is scored on
    the held-out rows of its fold from the first-layer edge outputs
    ``c_njo = wb_oj SiLU(x_nj) + ws_oj sum_m c_ojm B_m(x_nj)``:

    * ``"l1"``: mean over rows and hidden units of ``|c_njo|``;
    * ``"l2"``: root mean square of ``c_njo``;
    * ``"si"``: input sensitivity, mean over rows (and outputs) of ``|d f(x_n) / d x_nj|``;
    * ``"ko"``: knock-out, ``max(0, loss with feature j's first-layer edges removed - loss)``.

    The fold scores are averaged (Akazan & Mbingui 2025). With
    ``importance="coefficient"`` the L1/L2 scores use no data: the sum of
    ``|ws_oj c_ojm|`` and the Frobenius norm of ``ws_oj c_oj.`` (the form the
    paper's text describes). Inputs are min-max scaled into the grid range
    [-1, 1] on the training rows (held-out rows are clipped into it).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the better half.
    metric : {"l1", "l2", "si", "ko"}, default="l1"
        The score that ranks the features (all four are computed; see ``all_scores_``).
    importance : {"activation", "coefficient"}, default="activation"
        Held-out edge activations, or the spline coefficients (L1/L2 only).
    task : {"auto", "classification", "regression"}, default="auto"
    hidden_size : int, default=8
    grid_size : int, default=5
        Number of grid intervals G.
    spline_order : int, default=3
        B-spline order k (3: cubic).
    n_splits : int, default=5
        Folds (at least 2). Data too small for that many folds uses fewer.
    epochs : int, default=200
        Full-batch (or mini-batch, see ``batch_size``) Adam epochs per fold.
    learning_rate : float or "auto", default="auto"
        Adam step size. "auto" is ``min(0.01, 0.05 / sqrt(n_features))``: every
        hidden unit sums one edge per feature, so a fixed step moves wide
        networks out of the spline grid (784 MNIST pixels stall at 0.01).
    batch_size : int or None, default=None
        None trains full batch.
    weight_decay : float, default=0.0
    random_state : int, RandomState or None, default=None
        Seeds the folds, the initialisation and the batch order; a fixed value
        gives identical results for a fixed ``n_threads``.
    n_threads : int or None, default=None
        torch intra-op threads during ``fit`` (None: the cores available, or
        one for data under a million values, where threads only add overhead).
    device : {"cpu", "auto", "gpu"}, default="cpu"

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        The chosen score, averaged over folds.
    all_scores_ : dict of str to ndarray
        Every score ("l1", "l2", "si", "ko", and "l1_coef", "l2_coef").
    fold_losses_ : ndarray of shape (n_folds,)
        Held-out loss of each fold's network.
    baseline_losses_ : ndarray of shape (n_folds,)
        Held-out loss of a constant predictor (training prior / mean) per fold.
    degenerate_ : str or None
        Why the scores are not to be trusted when the networks do no better
        than the constant predictor on held-out rows (mean loss >= 0.99 x the
        baseline's), else None; the engine then leaves the method out of the
        consensus.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import KANSelector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = (X[:, 2] ** 2 + X[:, 4] > 1).astype(int)
    >>> kan = KANSelector(n_features_to_select=2, epochs=60, n_splits=2, random_state=0)
    >>> sorted(np.flatnonzero(kan.fit(X, y).get_support()).tolist())
    [2, 4]
    """

    _requires_target = True
    _findings = {
        "all_scores_": Finding("feature_vectors", "Scores of every KAN criterion"),
        "fold_losses_": Finding("values", "Held-out loss per fold"),
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "metric": [StrOptions(set(KAN_SCORES))],
        "importance": [StrOptions(set(_IMPORTANCE))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "grid_size": [Interval(Integral, 1, None, closed="left")],
        "spline_order": [Interval(Integral, 0, None, closed="left")],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [POSITIVE, StrOptions({"auto"})],
        **TORCH_PARAMETER_CONSTRAINTS,
    }

    def __init__(self, n_features_to_select="auto", metric="l1", importance="activation", task="auto",
                 hidden_size=8, grid_size=5, spline_order=3, n_splits=5, epochs=200,
                 learning_rate="auto", batch_size=None, weight_decay=0.0, random_state=None,
                 n_threads=None, device="cpu"):
        self.n_features_to_select = n_features_to_select
        self.metric = metric
        self.importance = importance
        self.task = task
        self.hidden_size = hidden_size
        self.grid_size = grid_size
        self.spline_order = spline_order
        self.n_splits = n_splits
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads
        self.device = device

    # ------------------------------------------------------------ checking
    def _check_importance(self):
        # the one check of two parameters together; each alone is a declared constraint
        if self.importance == "coefficient" and self.metric not in ("l1", "l2"):
            raise InputError(
                f"importance='coefficient' defines only the 'l1' and 'l2' scores, not {self.metric!r}; "
                "use importance='activation'."
            )

    def _folds(self, X, y, seed):
        from sklearn.model_selection import KFold, StratifiedKFold

        n = X.shape[0]
        n_splits = min(self.n_splits, n // 2)
        if n_splits < 2:
            # too few rows to hold any out: train and score on all of them
            return [(np.arange(n), np.arange(n))]
        rs = seed % (2**32 - 1)
        if self.task_ == "classification" and np.bincount(y).min() >= n_splits:
            splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=rs)
        else:
            splitter = KFold(n_splits=n_splits, shuffle=True, random_state=rs)
        return list(splitter.split(X, y))

    # ------------------------------------------------------------- fitting
    def _fit_scores(self, X, y):
        self._check_importance()
        torch = import_torch(f"{type(self).__name__}")
        seed = seed_from(self.random_state)
        device = torch_device(torch, self.device)
        folds = self._folds(X, y, seed)
        per_fold, losses = [], []
        with torch_threads(torch, self.n_threads, work=X.size * len(folds)):
            setups = [self._fold_setup(torch, X, y, train, test, make_generator(torch, seed + 7919 * i), device)
                      for i, (train, test) in enumerate(folds)]
            n_basis = self.grid_size + self.spline_order
            one = 4 * max(len(tr) for tr, _ in folds) * X.shape[1] * (n_basis + 2)
            check_memory(
                one,
                f"The KAN first-layer spline bases ({max(len(tr) for tr, _ in folds)} rows x "
                f"{X.shape[1]} features x {n_basis})",
                "Fit on a sample of the rows or use a smaller grid_size.",
            )
            full_batch = self.batch_size is None or self.batch_size >= min(len(tr) for tr, _ in folds)
            # all folds' bases at once must fit the budget too, else the folds train one by one
            together = (full_batch and self._fold_batching
                        and len(folds) * one <= memory_budget_bytes())
            # full batch: the folds' networks are independent, so they train as one
            # batched network (stacked parameters, summed fold losses; Adam is
            # elementwise, so each fold follows its own trajectory) -- one set of
            # small kernels per step instead of one per fold
            groups = [setups] if together else [[one_setup] for one_setup in setups]
            for group in groups:
                self._train(torch, group)
            for st in setups:
                st["net"].eval()
                scores, loss = self._fold_scores(torch, st["net"], st["xv"], st["yv"], st["loss_fn"])
                per_fold.append(scores)
                losses.append(loss)
        self.all_scores_ = {key: np.mean([s[key] for s in per_fold], axis=0) for key in per_fold[0]}
        self.fold_losses_ = np.asarray(losses)
        self._warn_if_not_learned(y, folds)
        self.n_folds_ = len(folds)
        key = self.metric if self.importance == "activation" else f"{self.metric}_coef"
        return self.all_scores_[key]

    # Train the folds of a full-batch fit together (tests switch it off to compare).
    _fold_batching = True

    def _fold_setup(self, torch, X, y, train, test, gen, device):
        """Scaled tensors, loss and freshly initialised network of one fold."""
        F = torch.nn.functional
        KAN = kan_network_class(torch)
        lo = X[train].min(axis=0)
        span = X[train].max(axis=0) - lo
        span[span == 0] = 1.0  # a constant column maps to -1 and stays uninformative

        def scale(rows):
            return np.clip(2.0 * (X[rows] - lo) / span - 1.0, -1.0, 1.0)

        if self.task_ == "classification":
            n_out = int(y.max()) + 1
            yt = torch.as_tensor(y[train], dtype=torch.long, device=device)
            yv = torch.as_tensor(y[test], dtype=torch.long, device=device)

            def loss_fn(out, target, reduction="mean"):
                return F.cross_entropy(out, target, reduction=reduction)
        else:
            n_out = 1
            mu, sd = y[train].mean(), y[train].std()
            sd = sd if sd > 0 else 1.0
            yt = as_tensor(torch, ((y[train] - mu) / sd)[:, None], device)
            yv = as_tensor(torch, ((y[test] - mu) / sd)[:, None], device)

            def loss_fn(out, target, reduction="mean"):
                return F.mse_loss(out, target.expand_as(out), reduction=reduction)

        # initialised on the CPU from the CPU generator, then moved: same weights on any device
        net = KAN([X.shape[1], self.hidden_size, n_out], self.grid_size, self.spline_order, gen, "cpu")
        return {
            "net": net.to(device), "gen": gen, "loss_fn": loss_fn, "classification": self.task_ == "classification",
            "xt": as_tensor(torch, scale(train), device), "yt": yt,
            "xv": as_tensor(torch, scale(test), device), "yv": yv,
        }

    def _train(self, torch, group):
        """Adam on the networks of ``group`` (one fold, or several trained as one batch)."""
        F = torch.nn.functional
        nets = [st["net"] for st in group]
        n_f = len(group)
        first = nets[0].layers[0]
        sizes = [st["xt"].shape[0] for st in group]
        n_max = max(sizes)
        device = group[0]["xt"].device
        # stacked parameters (fold, ...) of every layer: leaf tensors Adam updates
        layers = []
        for li in range(len(nets[0].layers)):
            layers.append([
                torch.stack([net.layers[li].base_weight.detach() for net in nets]),
                torch.stack([net.layers[li].coef.detach() for net in nets]),
                torch.stack([net.layers[li].spline_scale.detach() for net in nets]),
            ])

        def pad(t, fill=0):
            if t.shape[0] == n_max:
                return t
            extra = torch.full((n_max - t.shape[0],) + tuple(t.shape[1:]), fill, dtype=t.dtype, device=device)
            return torch.cat([t, extra])

        # the first layer's SiLU and spline bases depend only on the inputs: computed once
        with torch.no_grad():
            xt = torch.stack([pad(st["xt"]) for st in group])
            silu_all = F.silu(xt)
            basis_all = first.basis(xt).reshape(n_f, n_max, -1)
        yt_all = torch.stack([pad(st["yt"]) for st in group])
        row_w = torch.zeros(n_f, n_max, dtype=torch.float32, device=device)
        for f, size in enumerate(sizes):
            row_w[f, :size] = 1.0 / size
        classification = group[0]["classification"]
        knots, h, order = first.knots, first.h, first.spline_order

        lr = self.learning_rate
        if lr == "auto":
            lr = min(0.01, 0.05 / np.sqrt(first.base_weight.shape[1]))
        # kan_gradients is written for the two layers of [d, hidden_size, outputs] built in _fold_setup
        opt = FlatAdam(torch, [p for layer in layers for p in layer], lr, self.weight_decay)
        params = opt.params
        full = self.batch_size is None or self.batch_size >= min(sizes)
        gen = group[0]["gen"]
        for _ in range(self.epochs):
            if full:
                batches = [None]
            else:  # one fold at a time (n_f == 1)
                perm = torch.randperm(sizes[0], generator=gen)
                batches = [perm[s:s + self.batch_size] for s in range(0, sizes[0], self.batch_size)]
            for idx in batches:
                if idx is None:
                    s, b, t, w = silu_all, basis_all, yt_all, row_w
                else:
                    s, b, t = silu_all[:, idx], basis_all[:, idx], yt_all[:, idx]
                    w = torch.full((1, len(idx)), 1.0 / len(idx), device=device)
                with torch.no_grad():
                    opt.step(kan_gradients(torch, params, s, b, t, w, classification, knots, h, order))
        with torch.no_grad():
            for f, net in enumerate(nets):
                for li, layer in enumerate(net.layers):
                    layer.base_weight.copy_(params[3 * li][f])
                    layer.coef.copy_(params[3 * li + 1][f])
                    layer.spline_scale.copy_(params[3 * li + 2][f])

    def _warn_if_not_learned(self, y, folds):
        """Warn when the networks do no better than predicting the training prior / mean."""
        classification = self.task_ == "classification"
        baseline = [constant_loss(y[train], y[test], classification) for train, test in folds]
        self.baseline_losses_ = np.asarray(baseline)
        self.degenerate_ = no_better_than_constant(np.mean(self.fold_losses_), np.mean(baseline))
        if self.degenerate_:
            warnings.warn(
                f"{type(self).__name__}: the KAN does no better than a constant prediction on "
                f"held-out rows (loss {np.mean(self.fold_losses_):.3g} vs {np.mean(baseline):.3g}), "
                "so its scores may be unreliable; it under- or over-fitted: try a lower "
                "learning_rate, fewer or more epochs, or a smaller hidden_size.",
                UserWarning, stacklevel=3,
            )

    def _fold_scores(self, torch, net, xv, yv, loss_fn):
        first = net.layers[0]
        d = xv.shape[1]
        dev = xv.device
        l1 = torch.zeros(d, dtype=torch.float64, device=dev)
        l2 = torch.zeros(d, dtype=torch.float64, device=dev)
        ko = torch.zeros(d, dtype=torch.float64, device=dev)
        nv = xv.shape[0]
        with torch.no_grad():
            base_loss_sum = 0.0
            for start in range(0, nv, _ROW_CHUNK):
                xb, yb = xv[start:start + _ROW_CHUNK], yv[start:start + _ROW_CHUNK]
                contrib = first.contributions(xb)  # (rows, d, hidden)
                l1 += contrib.abs().sum(dim=(0, 2)).double()
                l2 += contrib.pow(2).sum(dim=(0, 2)).double()
                hidden = contrib.sum(dim=1)
                base_loss_sum += float(loss_fn(net.head(hidden), yb, reduction="sum"))
                # knocking out feature j removes its edges from the hidden pre-activations
                feat_chunk = max(1, _ROW_CHUNK * 64 // max(1, xb.shape[0] * contrib.shape[2]))
                for j0 in range(0, d, feat_chunk):
                    part = contrib[:, j0:j0 + feat_chunk, :]
                    knocked = hidden.unsqueeze(1) - part  # (rows, chunk, hidden)
                    out = net.head(knocked.reshape(-1, knocked.shape[2]))
                    target = yb.repeat_interleave(part.shape[1], dim=0)
                    lost = loss_fn(out, target, reduction="none")
                    if lost.ndim > 1:
                        lost = lost.sum(dim=tuple(range(1, lost.ndim)))
                    ko[j0:j0 + part.shape[1]] += lost.reshape(xb.shape[0], -1).sum(dim=0).double()
            n_hidden = first.base_weight.shape[0]
            l1 /= nv * n_hidden
            l2 = torch.sqrt(l2 / (nv * n_hidden))
            ko = torch.clamp(ko / nv - base_loss_sum / nv, min=0.0)
            coef = first.effective_coef()
            l1_coef = coef.abs().sum(dim=(0, 2)).double()
            l2_coef = torch.sqrt(coef.pow(2).sum(dim=(0, 2))).double()
        # input sensitivity: |d f_o / d x_j| per row, averaged over rows and outputs
        si = torch.zeros(d, dtype=torch.float64, device=dev)
        for start in range(0, nv, _ROW_CHUNK):
            xb = xv[start:start + _ROW_CHUNK].clone().requires_grad_(True)
            out = net(xb)
            for o in range(out.shape[1]):
                (grad,) = torch.autograd.grad(out[:, o].sum(), xb, retain_graph=o + 1 < out.shape[1])
                si += grad.abs().sum(dim=0).double()
        si /= nv * out.shape[1]
        scores = {
            "l1": l1, "l2": l2, "si": si, "ko": ko, "l1_coef": l1_coef, "l2_coef": l2_coef,
        }
        scores = {key: value.detach().cpu().numpy() for key, value in scores.items()}
        return scores, base_loss_sum / nv
