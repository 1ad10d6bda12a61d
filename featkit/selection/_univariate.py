"""Univariate supervised baselines: F statistic and k-NN mutual information."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.feature_selection import (
    mutual_info_classif,
    mutual_info_regression,
)

from ..base import BaseRanker
from ..stats._reduction import (
    ClassMoments,
    CrossMoments,
    anova_f_from_class_moments,
    reduce_blocks,
    regression_f_from_cross_moments,
)
from ..utils._param_validation import TASK_CONSTRAINT, Interval, StrOptions

# Rows per block of the F test's moments (a 100-column float64 block is 50 MB).
_BLOCK_ROWS = 65_536


class FTestRanker(BaseRanker):
    """Rank features by the ANOVA F statistic (classification) or the F statistic
    of a univariate linear regression (regression).

    The numbers of scikit-learn's ``f_classif`` / ``f_regression``, computed
    from the :class:`featkit.stats.ClassMoments` / :class:`featkit.stats.CrossMoments`
    reductions, so it also fits on a Dask array or DataFrame.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features whose p-value passes a Benjamini-Hochberg
        false-discovery-rate control at level ``alpha`` (at least one).
    task : {"auto", "classification", "regression"}, default="auto"
    alpha : float, default=0.05
        FDR level of the "auto" cut.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        F statistics (NaN for a constant feature, ranked last).
    pvalues_ : ndarray of shape (n_features,)
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import FTestRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> FTestRanker(n_features_to_select=2).fit(X, y).get_support().tolist()
    [False, False, True, True]
    """

    _requires_target = True
    # Each column's moments are its own; the blocks below are made column-major,
    # the layout of the canonical reorder (sums along a column keep their order),
    # so the table is never copied whole.
    _columnwise = True

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "task": TASK_CONSTRAINT,
        "alpha": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, n_features_to_select="auto", task="auto", alpha=0.05):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.alpha = alpha

    def _reduction_kernel(self, n_classes=None):
        if self.task_ == "classification":
            return ClassMoments(n_classes)
        return CrossMoments()

    def _scores_from_reduction(self, state):
        if self.task_ == "classification":
            f, p = anova_f_from_class_moments(state)
        else:
            f, p = regression_f_from_cross_moments(state)
        self.pvalues_ = p
        return f

    def _fit_scores(self, X, y):
        n_classes = int(np.max(y)) + 1 if self.task_ == "classification" else None
        # The moments add up block by block: a tall table is read in row blocks so
        # that the kernel's float64 sorted and centred copies are a block's, not
        # three more copies of the whole table.
        blocks = ((np.asfortranarray(X[start:start + _BLOCK_ROWS]), y[start:start + _BLOCK_ROWS])
                  for start in range(0, max(X.shape[0], 1), _BLOCK_ROWS))
        return self._scores_from_reduction(reduce_blocks(self._reduction_kernel(n_classes), blocks))

    def _auto_support_size(self):
        p = np.nan_to_num(self.pvalues_, nan=1.0)
        m = p.size
        order = np.sort(p)
        passed = order <= self.alpha * np.arange(1, m + 1) / m
        return int(np.max(np.nonzero(passed)[0]) + 1) if passed.any() else 1


class MutualInfoRanker(BaseRanker):
    """Rank features by mutual information with the target (k-nearest-neighbour
    estimator of Kraskov et al. / Ross, through scikit-learn).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the better half.
    task : {"auto", "classification", "regression"}, default="auto"
    n_neighbors : int, default=3
    discrete_features : "auto", bool or array-like, default="auto"
        Passed to scikit-learn.
    random_state : int, RandomState or None, default=None
        Seeds the small noise scikit-learn adds to continuous features.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Estimated mutual information in nats.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import MutualInfoRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> MutualInfoRanker(random_state=0).fit(X, y).ranking_.tolist()
    [3.0, 4.0, 1.0, 2.0]
    """

    _requires_target = True

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "task": TASK_CONSTRAINT,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "discrete_features": ["boolean", StrOptions({"auto"}), "array-like"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_features_to_select="auto", task="auto", n_neighbors=3,
                 discrete_features="auto", random_state=None):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_neighbors = n_neighbors
        self.discrete_features = discrete_features
        self.random_state = random_state

    def _fit_scores(self, X, y):
        func = mutual_info_classif if self.task_ == "classification" else mutual_info_regression
        n_neighbors = max(1, min(self.n_neighbors, X.shape[0] - 1))
        return func(X, y, n_neighbors=n_neighbors, discrete_features=self.discrete_features,
                    random_state=self.random_state)
