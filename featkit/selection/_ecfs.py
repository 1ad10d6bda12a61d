"""Eigenvector-Centrality Feature Selection (EC-FS).

Features are nodes of a graph whose edge weights mix how relevant both ends are
(Fisher ratio plus the reference's histogram mutual information) with how
spread out they are; a feature's score is its eigenvector centrality, the
absolute value of its entry in the leading eigenvector of the graph. The kernel
is rank-one plus a "max" structured variance term, so the leading eigenvector
comes from Lanczos on O(d log d) products; no d x d matrix is formed.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._array import to_numpy
from ..base import BaseRanker
from ..findings import Finding
from ..stats import leading_eigenvector
from ._inffs import (
    _AFFINITY_REPORT_MAX,
    DeviceInputMixin,
    _SigmaTerm,
    perfect_predictor_columns,
    prepare_input,
    supervised_relevance,
    target_like,
    warn_constant_columns,
)
from ..utils._param_validation import DEVICE_CONSTRAINT, TASK_CONSTRAINT, Interval

__all__ = ["ECFS"]


class ECFS(DeviceInputMixin, BaseRanker):
    """Eigenvector-Centrality Feature Selection (Roffo & Melzi 2016).

    With ``f`` the Fisher ratio and ``mi`` the reference's normalised
    histogram mutual information of each feature with the target,

    * ``v = |f + mi| / 2`` and ``K1 = v v^T`` min-max scaled to [0, 1];
    * ``K = alpha K1 + (1 - alpha) Sig``, ``Sig_ij = max(sigma_i, sigma_j)``
      min-max scaled (sigma = sample std);
    * scores = ``|u|`` for ``u`` the leading (largest magnitude) unit
      eigenvector of ``K``.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the better half (the reference has no cut of its own).
    alpha : float in [0, 1], default=0.5
        Weight of the relevance kernel against the variance term.
    standardize : bool, default=False
        z-score the columns first, which removes the variance term; off by
        default as in the reference.
    task : {"auto", "classification", "regression"}, default="auto"
        The reference is two-class only. More classes and a continuous target
        are featkit's extensions: see :class:`featkit.selection.InfFS` (Notes)
        for the multiclass Fisher ratio / ``muteinf`` and their regression forms.
    device : {"auto", "cpu", "gpu"}, default="auto"

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Eigenvector centrality ``|u|`` (unit norm); ``+inf`` for a column that
        determines the target exactly (zero within-class variance, or an exact
        linear function of a continuous target), the best possible score.
    reference_scores_ : ndarray of shape (n_features,)
        The reference's centralities ``|u|`` before the ``+inf`` of perfect
        predictors (equal to ``scores_`` elsewhere).
    eigenvalue_ : float
        The leading eigenvalue of ``K``.
    relevance_ : ndarray of shape (n_features,)
        ``v = |f + mi| / 2``.
    affinity_ : ndarray of shape (n_features, n_features) or None
        ``K`` when ``n_features <= 64``.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Notes
    -----
    The reference's constant-column quirk of ``muteinf`` is kept (a constant
    column gets a large MI and therefore a large centrality; a warning is
    raised). Where the reference divides 0 by 0 (all ``v`` or all ``sigma``
    equal) that term is 0 here; an all-zero kernel gives equal scores.

    References
    ----------
    G. Roffo, S. Melzi, "Ranking to Learn: Feature Ranking and Selection via
    Eigenvector Centrality", New Frontiers in Mining Complex Patterns (NFMCP
    2016), Springer 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from featkit.selection import ECFS
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ecfs = ECFS(n_features_to_select=3, standardize=True).fit(X, y)
    >>> [int(j) for j in ecfs.get_support(indices=True)]
    [20, 22, 27]
    """

    _requires_target = True
    _feature_attributes = {"reference_scores_": "vector"}
    _findings = {
        "eigenvalue_": Finding("scalar", "Leading eigenvalue of the kernel"),
        "relevance_": Finding("feature_vector", "Relevance |Fisher + MI| / 2"),
        "affinity_": Finding("feature_matrix", "Kernel between features"),
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "standardize": ["boolean"],
        "task": TASK_CONSTRAINT,
        "device": DEVICE_CONSTRAINT,
    }

    def __init__(self, n_features_to_select="auto", alpha=0.5, standardize=False, task="auto",
                 device="auto"):
        self.n_features_to_select = n_features_to_select
        self.alpha = alpha
        self.standardize = standardize
        self.task = task
        self.device = device

    def _fit_scores(self, X, y):
        Xd, xp, _ = prepare_input(self, X)
        task = self.task_
        yd = target_like(Xd, y, xp)
        if task == "classification":
            warn_constant_columns(Xd, xp, type(self).__name__)
        n_classes = int(np.max(np.asarray(y))) + 1 if task == "classification" else None
        mi, fi = supervised_relevance(Xd, yd, task, n_classes, xp)
        return self._centrality_scores(mi, fi, _SigmaTerm(Xd, xp), perfect_predictor_columns(X, y, task), xp,
                                       Xd.device)

    def _centrality_scores(self, mi, fi, sig, perfect, xp, device=None):
        """The centralities from the statistics (the Dask driver, :mod:`featkit.distributed._graph`,
        calls this with reduced ones)."""
        alpha = float(self.alpha)
        d = mi.shape[0]
        v = xp.abs(fi + mi) / 2
        v = xp.where(xp.isfinite(v), v, xp.zeros_like(v))
        self.relevance_ = to_numpy(v).astype(np.float64)
        # v >= 0, so min/max of v v^T are min(v)^2 and max(v)^2 (products are monotone)
        vmin, vmax = xp.min(v), xp.max(v)
        m = float(vmin * vmin)
        span = float(vmax * vmax) - m
        span_ok = span > 0

        def matvec(u):
            k1 = (v * xp.sum(v * u) - m * xp.sum(u)) / span if span_ok else xp.zeros_like(u)
            return alpha * k1 + (1 - alpha) * (sig @ u)

        ones = xp.ones((d,), dtype=xp.float64, device=device)
        if float(xp.max(xp.abs(matvec(ones)))) == 0.0:
            self.eigenvalue_ = 0.0
            scores = np.full(d, 1.0 / np.sqrt(d))
        else:
            lam, u = leading_eigenvector(matvec, d, xp=xp, dtype=xp.float64, device=device)
            self.eigenvalue_ = float(lam)
            scores = np.abs(to_numpy(u).astype(np.float64))
        self.affinity_ = None
        if d <= _AFFINITY_REPORT_MAX:
            eye = np.eye(d)
            self.affinity_ = np.stack(
                [to_numpy(matvec(xp.asarray(eye[:, j], device=device))) for j in range(d)], axis=1
            )
        # the reference's centralities, kept because +inf below hides them for a perfect predictor
        self.reference_scores_ = scores
        return np.where(perfect, np.inf, scores)
