"""PCA that resists a fraction of corrupted rows, by iterative soft filtering."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.stats import chi2
from sklearn.base import BaseEstimator, _fit_context, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from .._array import check_memory, nbytes_of, to_numpy
from ..utils._param_validation import MEMORY_BUDGET_CONSTRAINT, Interval, ParamValidationMixin
from ._base import LinearAxesMixin, check_n_components, flip_signs, set_axes, validate_input

__all__ = ["OutlierRobustPCA"]


def _top_subspace(cov, k):
    w, v = np.linalg.eigh(cov)
    return w[::-1], v[:, ::-1][:, :k]


class OutlierRobustPCA(ParamValidationMixin, LinearAxesMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """PCA that resists a fraction of corrupted rows (iterative soft filtering).

    A filter in the spirit of Diakonikolas, Kane, Pensia & Pittas, "Nearly-Linear
    Time and Streaming Algorithms for Outlier-Robust PCA" (ICML 2023) and of the
    weighted filters of Jambulapati, Li & Tian (2020). Exactly what runs:

    1. Every row starts with weight ``1/n``.
    2. Each round: the weighted mean ``mu`` and weighted covariance ``C`` are
       computed, ``V`` = the top ``n_components`` eigenvectors of ``C``, and each
       row gets the score ``tau_i = ||V^T (x_i - mu)||^2`` (its energy in the
       current top subspace -- rows that pull the subspace towards themselves
       score high).
    3. The *tail* is the set of highest-scoring rows whose weights sum to at
       most ``contamination``; each tail row's weight is multiplied by
       ``1 - tau_i / max_tail(tau)`` (the most extreme row drops to zero).
    4. Stop when the removed weight reaches ``contamination`` and the top
       subspace moved less than ``tol`` (sine of the largest principal angle)
       in the last round, or when the removed weight reaches
       ``2 * contamination``, or after ``max_iter`` rounds.

    5. Reweighting (``reweight=True``): every row gets its squared
       Mahalanobis distance under the filtered mean and covariance, rescaled so
       that the median matches the chi-square median (the filtered covariance
       is trimmed, hence too small); rows under the ``reweight_quantile`` of
       chi-square with ``rank`` degrees of freedom are the inliers, and the
       final fit weights them equally and the others by zero. This gives back
       the inlier tail that the filter trimmed (the reweighting step of
       reweighted MCD, Rousseeuw & Van Driessen 1999).

    The axes, variances and mean are those of the final weighted data. This is
    the deterministic batch filter; the paper's nearly-linear-time
    (matrix-multiplicative-weights) and streaming versions and their
    guarantees are not implemented here. Without the reweighting step the
    filter trims up to ``2 * contamination`` of the most extreme rows, which
    shrinks the variances but keeps the axes.

    Parameters
    ----------
    n_components : int or None, default=None
        Axes to keep (and the dimension of the subspace the filter scores
        against); None uses every feature (the filter then scores the squared
        distance from the mean).
    contamination : float, default=0.1
        Assumed share of corrupted rows, in (0, 0.5).
    max_iter : int, default=100
    tol : float, default=1e-6
    reweight : bool, default=True
        Refit on the rows the filtered model finds plausible (step 5).
    reweight_quantile : float, default=0.99
        Chi-square quantile of the inlier cut.
    memory_budget : int, str or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_ : ndarray of shape (n_components_,)
        Weighted variance along each axis.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
        Weighted mean.
    weights_ : ndarray of shape (n_samples,)
        Row weights at the end of the filter (sum <= 1; start 1/n).
    outlier_scores_ : ndarray of shape (n_samples,)
        Rescaled squared Mahalanobis distance of each row under the filtered
        model (about chi-square with ``rank`` degrees of freedom for inliers).
    inlier_mask_ : ndarray of shape (n_samples,)
        ``outlier_scores_`` under the chi-square ``reweight_quantile``.
    n_components_ : int
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.decomposition import OutlierRobustPCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5)) * [3.0, 1, 1, 1, 1]
    >>> X[:30] = [0, 25.0, 0, 0, 0] + rng.normal(size=(30, 5))  # 10% rows pulling along axis 1
    >>> est = OutlierRobustPCA(n_components=1, contamination=0.1).fit(X)
    >>> int(np.argmax(np.abs(est.components_[0])))
    0
    >>> bool(est.inlier_mask_[:30].sum() == 0)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "contamination": [Interval(Real, 0, 0.5, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "reweight": ["boolean"],
        "reweight_quantile": [Interval(Real, 0, 1, closed="neither")],
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_components=None, *, contamination=0.1, max_iter=100, tol=1e-6,
                 reweight=True, reweight_quantile=0.99, memory_budget=None):
        self.n_components = n_components
        self.contamination = contamination
        self.reweight = reweight
        self.reweight_quantile = reweight_quantile
        self.max_iter = max_iter
        self.tol = tol
        self.memory_budget = memory_budget

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Filter the rows and fit the axes of the remaining weighted data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        eps = self.contamination
        X, _ = validate_input(self, X, reset=True, min_samples=2)
        X = to_numpy(X)
        n, d = X.shape
        k = check_n_components(self.n_components, n, d, allow_fraction=False, upper=d)
        k = d if k is None else k
        check_memory(2 * nbytes_of((n, d)) + 3 * nbytes_of((d, d)),
                     f"OutlierRobustPCA on a {n} x {d} matrix", "Fit on a sample of the rows.",
                     self.memory_budget)
        Xd = X.astype(np.float64, copy=False)
        w = np.full(n, 1.0 / n)
        V_prev = None
        it = 0
        for it in range(1, self.max_iter + 1):
            total = w.sum()
            mu = w @ Xd / total
            Xc = Xd - mu
            cov = (Xc * w[:, None]).T @ Xc / total
            _, V = _top_subspace(cov, k)
            removed = 1.0 - total
            moved = np.inf
            if V_prev is not None:
                # sine of the largest principal angle between successive subspaces
                cosines = np.linalg.svd(V_prev.T @ V, compute_uv=False)
                moved = float(np.sqrt(max(0.0, 1.0 - cosines.min() ** 2)))
            if removed >= 2 * eps or (removed >= eps and moved < self.tol):
                break
            V_prev = V
            tau = np.sum((Xc @ V) ** 2, axis=1)
            order = np.argsort(-tau, kind="stable")
            order = order[w[order] > 0]
            cum = np.cumsum(w[order])
            tail = order[: max(1, int(np.searchsorted(cum, eps, side="right")))]
            top = tau[tail].max()
            if top <= 0:
                break
            w[tail] *= 1.0 - tau[tail] / top
        total = w.sum()
        mu = w @ Xd / total
        Xc = Xd - mu
        cov = (Xc * w[:, None]).T @ Xc / total
        scores = self._mahalanobis(Xc, cov)
        inliers = scores <= chi2.ppf(self.reweight_quantile, self._rank)
        if self.reweight and inliers.sum() >= 2:
            # one reweighting step: uniform weights on the rows the filtered
            # model finds plausible, which gives back the inlier tail the
            # filter trimmed (as in reweighted MCD)
            w = inliers / n
            total = w.sum()
            mu = w @ Xd / total
            Xc = Xd - mu
            cov = (Xc * w[:, None]).T @ Xc / total
        evals, V = _top_subspace(cov, k)
        evals = np.clip(evals, 0, None)
        self.n_iter_ = it
        self.weights_ = w
        self.outlier_scores_ = scores
        self.inlier_mask_ = inliers
        self.mean_ = mu.astype(X.dtype)
        set_axes(self, np, flip_signs(np, V.T).astype(X.dtype), evals[:k], float(np.trace(cov)))
        return self

    def _mahalanobis(self, Xc, cov):
        """Squared Mahalanobis distances, rescaled so that their median matches chi2's."""
        evals, evecs = np.linalg.eigh(cov)
        keep = evals > max(evals.max(), 0) * 1e-10
        self._rank = max(int(keep.sum()), 1)
        if not keep.any():
            return np.zeros(Xc.shape[0])
        proj = Xc @ evecs[:, keep]
        dist = np.sum(proj * proj / evals[keep], axis=1)
        med = np.median(dist)
        # consistency factor: the filtered covariance is a trimmed (too small) estimate
        return dist * (chi2.ppf(0.5, self._rank) / med) if med > 0 else dist
