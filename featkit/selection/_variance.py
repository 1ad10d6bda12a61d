"""Variance ranker: the unsupervised baseline of scikit-learn's VarianceThreshold."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..base import BaseRanker
from ..stats._reduction import ColumnMoments, reduce_blocks

from ..utils._param_validation import Interval


class VarianceRanker(BaseRanker):
    """Rank features by their variance.

    Scale-dependent by design (it is the baseline a user would reach for first);
    missing values are ignored per column. Computed by the
    :class:`featkit.stats.ColumnMoments` reduction, so it also fits on a Dask
    array or DataFrame (see :mod:`featkit.distributed`).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        Features to keep: a count, a fraction in (0, 1], or "auto" for every
        feature whose variance is above ``threshold``.
    threshold : float, default=0.0
        The "auto" cut, as in :class:`sklearn.feature_selection.VarianceThreshold`.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Population variance of each feature (NaN for an all-missing column, ranked last).
    ranking_ : ndarray of shape (n_features,)
        1 = largest variance.
    support_ : ndarray of shape (n_features,)
        Mask of the kept features.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import VarianceRanker
    >>> X = np.array([[0, 1.0, 5], [0, 2.0, 5], [0, 9.0, 6]])
    >>> VarianceRanker().fit(X).ranking_.tolist()
    [3.0, 1.0, 2.0]
    """

    _allow_nan = True
    _columnwise = True  # per-column moments

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "threshold": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, n_features_to_select="auto", threshold=0.0):
        self.n_features_to_select = n_features_to_select
        self.threshold = threshold

    def _reduction_kernel(self, n_classes=None):
        return ColumnMoments()

    def _scores_from_reduction(self, state):
        count, _, m2 = state
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, m2 / np.maximum(count, 1), np.nan)

    def _fit_scores(self, X, y=None):
        return self._scores_from_reduction(reduce_blocks(self._reduction_kernel(), [(X,)]))

    def _auto_support_size(self):
        return int(np.sum(np.nan_to_num(self.scores_, nan=-np.inf) > self.threshold)) or 1
