"""Robust PCA by Principal Component Pursuit (low-rank + sparse split)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from .._array import check_memory, nbytes_of
from ..utils._param_validation import MEMORY_BUDGET_CONSTRAINT, Interval, ParamValidationMixin
from ._base import LinearAxesMixin, check_n_components, flip_signs, set_axes, validate_input

__all__ = ["RobustPCA", "principal_component_pursuit"]


def _shrink(xp, T, tau):
    return xp.sign(T) * xp.maximum(xp.abs(T) - tau, xp.zeros_like(T))


def principal_component_pursuit(D, *, lam=None, mu=None, rho=1.5, tol=1e-7, max_iter=1000):
    """Split ``D`` into low-rank ``L`` plus sparse ``S`` by Principal Component Pursuit.

    Solves ``min ||L||_* + lam ||S||_1  s.t.  L + S = D`` with the inexact
    augmented Lagrange multiplier method (Lin, Chen & Ma 2010, Algorithm 5),
    the solver used by Candes, Li, Ma & Wright (2011). Works on any array-API
    array.

    Parameters
    ----------
    D : array of shape (n, d)
    lam : float or None
        Weight of the sparse term; None gives ``1 / sqrt(max(n, d))`` (Candes et al.).
    mu : float or None
        Initial penalty; None gives ``1.25 / ||D||_2`` (Lin et al.).
    rho : float
        Growth factor of the penalty per iteration (> 1).
    tol : float
        Stop when ``||D - L - S||_F <= tol * ||D||_F``.
    max_iter : int

    Returns
    -------
    L, S, n_iter, converged, residual

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> L0 = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 40))
    >>> S0 = np.zeros_like(L0); S0.flat[rng.choice(L0.size, 60, replace=False)] = 10.0
    >>> L, S, n_iter, converged, _ = principal_component_pursuit(L0 + S0)
    >>> converged, bool(np.linalg.norm(L - L0) < 1e-3 * np.linalg.norm(L0))
    (True, True)
    """
    from .._array import get_namespace

    xp = get_namespace(D)
    n, d = D.shape
    lam = 1.0 / np.sqrt(max(n, d)) if lam is None else float(lam)
    norm_fro = float(xp.linalg.vector_norm(D))
    if norm_fro == 0:
        return xp.zeros_like(D), xp.zeros_like(D), 0, True, 0.0
    norm_two = float(xp.linalg.svdvals(D)[0])
    norm_inf = float(xp.max(xp.abs(D))) / lam
    Y = D / max(norm_two, norm_inf)  # dual start that makes the first step well scaled
    mu = 1.25 / norm_two if mu is None else float(mu)
    mu_max = mu * 1e7
    S = xp.zeros_like(D)
    L = xp.zeros_like(D)
    converged = False
    residual = 1.0
    it = 0
    for it in range(1, max_iter + 1):
        U, sv, Vt = xp.linalg.svd(D - S + Y / mu, full_matrices=False)
        sv = sv - 1.0 / mu
        keep = int(xp.sum(xp.astype(sv > 0, xp.int64)))
        L = xp.matmul(U[:, :keep] * sv[None, :keep], Vt[:keep, :])
        S = _shrink(xp, D - L + Y / mu, lam / mu)
        Z = D - L - S
        Y = Y + mu * Z
        mu = min(mu * rho, mu_max)
        residual = float(xp.linalg.vector_norm(Z)) / norm_fro
        if residual < tol:
            converged = True
            break
    return L, S, it, converged, residual


class RobustPCA(ParamValidationMixin, LinearAxesMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Robust PCA: a low-rank + sparse split of the data, then PCA of the low-rank part.

    Principal Component Pursuit (Candes, Li, Ma & Wright 2011) writes the
    training matrix as ``X = L + S`` with ``L`` low-rank and ``S`` sparse
    (gross errors in arbitrary entries), solved by the inexact augmented
    Lagrangian method of Lin, Chen & Ma (2010). The principal axes are those
    of ``L``; new rows are projected on them (they are not split themselves).
    Use it when a few *entries* are corrupted (sensor glitches, typos); for
    whole corrupted *rows* use :class:`OutlierRobustPCA`.

    Parameters
    ----------
    n_components : int or None, default=None
        Axes kept for ``transform``; None keeps the rank of ``L``.
    lam : float or None, default=None
        Sparse-term weight; None is ``1 / sqrt(max(n_samples, n_features))``.
    mu : float or None, default=None
        Initial augmented-Lagrangian penalty (None: ``1.25 / ||X||_2``).
    rho : float, default=1.5
        Penalty growth per iteration.
    tol : float, default=1e-7
        Relative residual ``||X - L - S||_F / ||X||_F`` at which to stop.
    max_iter : int, default=1000
    memory_budget : int, str or None, default=None
        Bytes the solver may take (it holds a few ``n x d`` float64 matrices).

    Attributes
    ----------
    low_rank_ : ndarray of shape (n_samples, n_features)
        ``L`` of the training data.
    sparse_ : ndarray of shape (n_samples, n_features)
        ``S`` of the training data.
    rank_ : int
        Numerical rank of ``L``.
    components_ : ndarray of shape (n_components_, n_features)
        Principal axes of ``L``.
    explained_variance_ : ndarray of shape (n_components_,)
        Variance of ``L`` along each axis.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Share of the variance of ``L``.
    mean_ : ndarray of shape (n_features,)
        Column means of ``L``.
    n_components_ : int
    n_iter_ : int
    converged_ : bool
    residual_ : float
        Final relative residual.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.decomposition import RobustPCA
    >>> rng = np.random.RandomState(0)
    >>> L0 = rng.normal(size=(80, 2)) @ rng.normal(size=(2, 30))
    >>> S0 = np.zeros_like(L0); S0.flat[rng.choice(L0.size, 100, replace=False)] = 20.0
    >>> rpca = RobustPCA().fit(L0 + S0)
    >>> rpca.rank_, rpca.converged_
    (2, True)
    >>> bool(np.abs(rpca.sparse_ - S0).max() < 1e-3)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "mu": [Interval(Real, 0, None, closed="neither"), None],
        "rho": [Interval(Real, 1, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_components=None, *, lam=None, mu=None, rho=1.5, tol=1e-7, max_iter=1000,
                 memory_budget=None):
        self.n_components = n_components
        self.lam = lam
        self.mu = mu
        self.rho = rho
        self.tol = tol
        self.max_iter = max_iter
        self.memory_budget = memory_budget

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Split ``X`` into low-rank + sparse and fit the axes of the low-rank part.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X, xp = validate_input(self, X, reset=True, min_samples=2)
        n, d = X.shape
        k = check_n_components(self.n_components, n, d, allow_fraction=False)
        check_memory(6 * nbytes_of((n, d)), f"Principal Component Pursuit on a {n} x {d} matrix",
                     "Fit on a sample of the rows, or use OutlierRobustPCA / PCA.", self.memory_budget)
        D = xp.astype(X, xp.float64)
        L, S, n_iter, converged, residual = principal_component_pursuit(
            D, lam=self.lam, mu=self.mu, rho=self.rho, tol=self.tol, max_iter=self.max_iter)
        self.low_rank_ = xp.astype(L, X.dtype)
        self.sparse_ = xp.astype(S, X.dtype)
        self.n_iter_ = int(n_iter)
        self.converged_ = bool(converged)
        self.residual_ = float(residual)
        mean = xp.mean(L, axis=0)
        _, sv, vt = xp.linalg.svd(L - mean, full_matrices=False)
        thresh = float(sv[0]) * max(n, d) * np.finfo(np.float64).eps if sv.shape[0] else 0.0
        self.rank_ = int(xp.sum(xp.astype(sv > max(thresh, 1e-12), xp.int64)))
        k = k if k is not None else max(self.rank_, 1)
        ev = sv ** 2 / (n - 1)
        set_axes(self, xp, xp.astype(flip_signs(xp, vt[:k, :]), X.dtype), ev[:k], float(xp.sum(ev)))
        self.mean_ = xp.astype(mean, X.dtype)
        return self
