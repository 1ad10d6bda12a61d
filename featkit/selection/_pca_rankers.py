"""Feature rankers read off a PCA: loading weights and Principal Feature Analysis."""

from __future__ import annotations

import numbers
from numbers import Integral

import numpy as np

from ..base import BaseRanker, resolve_n_features
from ..decomposition._base import check_n_components
from ..stats._reduction import ScatterMoments
from ..exceptions import InputError
from ..findings import Finding
from ..utils._param_validation import Interval, RealNotInt, StrOptions

__all__ = ["PCALoadingsRanker", "PFARanker"]


# k-means problems up to this many (rows x clusters) run on one thread (see PFARanker)
_SMALL_KMEANS = 2_000_000

# The parameters of the PCA both rankers read, with one meaning.
_AXES_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left"),
                     Interval(RealNotInt, 0, 1, closed="neither"), None],
    "standardize": ["boolean"],
}


def _pca_axes_from_moments(moments, n_components, standardize):
    """(components (k, d), explained variance (k,), its ratio (k,)) of the PCA that the rankers read.

    From the (count, mean, scatter) of :class:`~featkit.stats.ScatterMoments`,
    so the in-memory and the Dask fit share every step after the reduction.

    Standardising divides the centred columns by their population std, which
    scales the scatter to ``D^-1 S D^-1``; a constant column stays all-zero
    (no loading) instead of dividing by zero.
    """
    from ..decomposition import PCA

    n, _, scatter = moments
    scatter = np.array(scatter, dtype=np.float64)
    d = scatter.shape[0]
    if standardize:
        std = np.sqrt(np.clip(np.diag(scatter), 0, None) / n)
        scale = np.where(std > 0, std, 1.0)
        scatter = scatter / scale[:, None] / scale[None, :]
    limit = min(n, d)
    if isinstance(n_components, numbers.Integral):
        n_components = min(int(n_components), limit)
    # every centred value within 1e-8 of 0 (all columns constant): no axis to read
    if np.all(np.diag(scatter) / n <= 1e-16):
        return np.zeros((1, d)), np.zeros(1), np.zeros(1)
    pca = PCA(n_components, solver="covariance_eigh")
    pca._validate_params()
    pca.n_features_in_ = d
    pca._fit_from_moments(np, (n, np.zeros(d), scatter), np.dtype(np.float64),
                          check_n_components(n_components, n, d))
    return (np.asarray(pca.components_), np.asarray(pca.explained_variance_),
            np.asarray(pca.explained_variance_ratio_))


def _pca_axes_from_rows(X, n_components, standardize):
    """The same axes as :func:`_pca_axes_from_moments`, from the rows themselves.

    When there are fewer rows than columns the ``n x n`` Gram matrix ``Z Z^T``
    of the centred (and scaled) rows has the nonzero eigenvalues of the
    ``d x d`` scatter ``Z^T Z``, and ``v = Z^T u / sqrt(s)`` turns its
    eigenvectors into the principal axes: ``O(n^2 d)`` instead of the
    ``O(n d^2 + d^3)`` of the covariance eigh (40 x 3,000: milliseconds
    against a minute). Exact up to rounding; the signs follow the same
    largest-entry-positive rule. An axis of (numerically) zero variance has
    no such image, so a request that reaches one goes the covariance way.
    """
    from ..decomposition._base import flip_signs

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if n >= d or n < 2:
        return _pca_axes_from_moments(ScatterMoments().partial(X), n_components, standardize)
    Z = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->j", Z, Z)
    if standardize:
        std = np.sqrt(np.clip(sq, 0, None) / n)
        scale = np.where(std > 0, std, 1.0)
        Z = Z / scale
        sq = sq / scale**2
    if np.all(sq / n <= 1e-16):
        return np.zeros((1, d)), np.zeros(1), np.zeros(1)
    s, u = np.linalg.eigh(Z @ Z.T)
    s, u = s[::-1], u[:, ::-1]
    w = np.where(s > 0, s, 0.0) / (n - 1)
    total = float(sq.sum()) / (n - 1)
    k = check_n_components(min(int(n_components), n) if isinstance(n_components, numbers.Integral)
                           else n_components, n, d)
    if k is None:
        k = n
    elif isinstance(k, float):
        ratios = np.cumsum(w) / total if total > 0 else np.ones(w.shape[0])
        k = int(min(np.searchsorted(ratios, k, side="right") + 1, n))
    k = min(k, n)
    # past ~1e-10 of the largest variance an axis is noise from rounding, not a direction
    if s[k - 1] <= 1e-10 * s[0]:
        return _pca_axes_from_moments(ScatterMoments().partial(X), n_components, standardize)
    comps = flip_signs(np, (Z.T @ (u[:, :k] / np.sqrt(s[:k]))).T)
    ev = w[:k]
    return comps, ev, ev / total if total > 0 else np.zeros(k)


class PCALoadingsRanker(BaseRanker):
    """Rank features by their explained-variance-weighted squared PCA loadings.

    ``score_j = sum_k lambda_k v_kj^2 / sum_k lambda_k`` over the kept
    components ``k`` (``v_k`` unit-norm axes, ``lambda_k`` their variances):
    the share of the retained variance that runs through feature ``j``. With
    all components and standardized features every score equals ``1/d``, so
    keep fewer components than features. Unsupervised.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps as many features as components.
    n_components : int, float or None, default=0.9
        Components read: a count, a share of variance in (0, 1), or None (all).
    standardize : bool, default=True
        PCA of the correlation matrix (True) or of the covariance (False,
        scale-dependent).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Variance share through each feature (they sum to 1).
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_ : ndarray of shape (n_components_,)
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    n_components_ : int
    ranking_, support_, n_features_in_, feature_names_in_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import PCALoadingsRanker
    >>> rng = np.random.RandomState(0)
    >>> f = rng.normal(size=(200, 1))
    >>> X = np.hstack([f, f + 0.1 * rng.normal(size=(200, 1)), rng.normal(size=(200, 2))])
    >>> PCALoadingsRanker(n_components=1).fit(X).ranking_[:2].tolist()
    [1.0, 2.0]
    """

    _task_aware = False
    _feature_attributes = {"components_": "columns"}
    _findings = {"n_components_": Finding("scalar", "Components read")}

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        **_AXES_CONSTRAINTS,
    }

    def __init__(self, n_features_to_select="auto", n_components=0.9, standardize=True):
        self.n_features_to_select = n_features_to_select
        self.n_components = n_components
        self.standardize = standardize

    def _reduction_kernel(self, n_classes=None):
        return ScatterMoments()

    def _fit_scores(self, X, y=None):
        return self._scores_from_axes(*_pca_axes_from_rows(X, self.n_components, self.standardize))

    def _scores_from_reduction(self, state):
        return self._scores_from_axes(*_pca_axes_from_moments(state, self.n_components, self.standardize))

    def _scores_from_axes(self, comps, ev, ratio):
        self.components_, self.explained_variance_ = comps, ev
        self.explained_variance_ratio_ = ratio
        self.n_components_ = int(comps.shape[0])
        total = ev.sum()
        if total <= 0:
            return np.zeros(comps.shape[1])
        return (ev[:, None] * comps ** 2).sum(axis=0) / total

    def _auto_support_size(self):
        return min(self.n_components_, self.n_features_in_)


class PFARanker(BaseRanker):
    """Principal Feature Analysis (Lu, Cohen, Zhou & Tian 2007).

    The rows of the ``d x q`` matrix of the first ``q`` principal axes
    describe each feature by its part in the principal subspace. Those rows
    are clustered with k-means into ``p >= q`` clusters and the feature
    nearest each cluster centre represents it. Features that look alike in
    the subspace (redundant ones) fall into one cluster, so the kept set is
    small and diverse. Unsupervised.

    Ranking: the ``p`` representatives come first, ordered by their
    variance share (as :class:`PCALoadingsRanker`); the other features
    follow by closeness to their cluster centre (the next-best representative).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        Features to keep; also the number of clusters ``p`` unless
        ``n_clusters`` is given. "auto" uses ``p = q``.
    n_components : int, float or None, default=0.9
        ``q``: a count, a share of variance in (0, 1), or None (all).
    n_clusters : int or None, default=None
        ``p``, when it should differ from the number of kept features
        (Lu et al. suggest ``p`` a little above ``q``).
    standardize : bool, default=True
        PCA of the correlation matrix (True) or of the covariance.
    n_init : int, default=10
        k-means restarts.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
    labels_ : ndarray of shape (n_features,)
        Cluster of each feature.
    representatives_ : ndarray of shape (n_clusters_,)
        Index of the feature chosen for each cluster.
    n_clusters_ : int
    n_components_ : int
    components_ : ndarray of shape (n_components_, n_features)
        The principal axes the features were clustered in.
    explained_variance_, explained_variance_ratio_ : ndarray of shape (n_components_,)
    ranking_, support_, n_features_in_, feature_names_in_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import PFARanker
    >>> rng = np.random.RandomState(0)
    >>> a, b = rng.normal(size=(2, 300, 1))
    >>> X = np.hstack([a, a + 0.05 * rng.normal(size=(300, 1)), b, b + 0.05 * rng.normal(size=(300, 1))])
    >>> pfa = PFARanker(n_features_to_select=2, n_components=2, random_state=0).fit(X)
    >>> sorted(pfa.labels_[pfa.get_support()].tolist()) == [0, 1], len(set(pfa.labels_.tolist()))
    (True, 2)
    """

    _task_aware = False
    _feature_attributes = {"representatives_": "indices", "components_": "columns"}
    _findings = {
        "n_components_": Finding("scalar", "Components read"),
        "n_clusters_": Finding("scalar", "Clusters of features"),
        "labels_": Finding("feature_groups", "Cluster of each feature"),
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        **_AXES_CONSTRAINTS,
        # at most the number of features: checked in fit
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "n_init": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
    }

    def __init__(self, n_features_to_select="auto", n_components=0.9, n_clusters=None, standardize=True,
                 n_init=10, random_state=None):
        self.n_features_to_select = n_features_to_select
        self.n_components = n_components
        self.n_clusters = n_clusters
        self.standardize = standardize
        self.n_init = n_init
        self.random_state = random_state

    def _reduction_kernel(self, n_classes=None):
        return ScatterMoments()

    def _fit_scores(self, X, y=None):
        return self._scores_from_axes(*_pca_axes_from_rows(X, self.n_components, self.standardize))

    def _scores_from_reduction(self, state):
        return self._scores_from_axes(*_pca_axes_from_moments(state, self.n_components, self.standardize))

    def _scores_from_axes(self, comps, ev, ratio):
        from sklearn.cluster import KMeans

        d = comps.shape[1]
        self.components_, self.explained_variance_ = comps, ev
        self.explained_variance_ratio_ = ratio
        self.n_components_ = q = int(comps.shape[0])
        if self.n_clusters is not None:
            if self.n_clusters > d:
                raise InputError(f"n_clusters must be an int between 1 and {d}, got {self.n_clusters!r}.")
            p = int(self.n_clusters)
        else:
            p = resolve_n_features(self.n_features_to_select, d, min(q, d))
        rows = comps.T  # one row per feature: its coordinates in the principal subspace
        distinct = np.unique(np.round(rows, 12), axis=0).shape[0]
        p = max(1, min(p, distinct))
        km = KMeans(n_clusters=p, n_init=self.n_init, random_state=self.random_state)
        if rows.shape[0] * p <= _SMALL_KMEANS:
            from threadpoolctl import threadpool_limits

            # a small k-means spends its time starting OpenMP teams, once per Lloyd step; on a
            # busy 2-core machine one thread was 18x faster (3,000 x 35, 35 clusters: 0.6 s vs 10 s)
            with threadpool_limits(1):
                km.fit(rows)
        else:
            km.fit(rows)
        labels = km.labels_
        dist = np.linalg.norm(rows - km.cluster_centers_[labels], axis=1)
        reps = np.array([np.flatnonzero(labels == c)[np.argmin(dist[labels == c])] for c in range(p)
                         if np.any(labels == c)])
        total = ev.sum()
        share = (ev[:, None] * comps ** 2).sum(axis=0) / total if total > 0 else np.zeros(d)
        scale = np.median(dist[dist > 0]) if np.any(dist > 0) else 1.0
        scores = 1.0 / (1.0 + dist / scale)  # in (0, 1]
        scores[reps] = 2.0 + share[reps]  # representatives above every other feature
        self.labels_ = labels
        self.representatives_ = reps
        self.n_clusters_ = int(reps.size)
        return scores

    def _auto_support_size(self):
        return self.n_clusters_
