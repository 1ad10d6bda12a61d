"""Binned (histogram) mutual information with the target, fast at any row count."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ..base import BaseRanker
from ..utils._param_validation import TASK_CONSTRAINT, Interval, StrOptions
from ..stats._binned_mi import _BLOCK_ELEMENTS, binned_mutual_info, discretize_columns
from ..stats._contingency import AUTO_BINS, quantile_codes


class BinnedMutualInfoRanker(BaseRanker):
    """Rank features by mutual information with the target, estimated from
    counts of quantile-binned numeric columns and category codes.

    The k-nearest-neighbour estimator (:class:`MutualInfoRanker`) costs
    ``O(n log n)`` tree searches per feature; this one counts every column's
    joint table with the target in one vectorised ``np.bincount`` and stays a
    few seconds at 1,000,000 x 100. Its estimate is the plug-in mutual
    information with the Miller-Madow bias correction (see
    :func:`featkit.stats._binned_mi.binned_mutual_info`), so that a column of
    many categories does not gain from its cell count alone.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features with a positive corrected mutual information
        (at least one).
    task : {"auto", "classification", "regression"}, default="auto"
    n_bins : "auto", int or None, default="auto"
        How numeric columns are discretised (see
        :func:`featkit.stats._binned_mi.discretize_columns`): ``"auto"`` bins
        continuous columns into 10 quantile bins and keeps whole-number columns
        (codes, counts) as categories; an int bins every numeric column with more
        distinct values; None uses every column's values as categories.
        A regression target is quantile-binned the same way (``"auto"`` or
        None: 10 bins).
    bias_correction : {"miller_madow", None}, default="miller_madow"
        None gives the plug-in estimate (scikit-learn's
        ``mutual_info_classif(discrete_features=True)`` on discrete data).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Mutual information in nats.
    n_bins_ : ndarray of shape (n_features,)
        Number of categories (bins, codes, missing) each feature was counted in.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import BinnedMutualInfoRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> BinnedMutualInfoRanker().fit(X, y).ranking_.tolist()
    [3.0, 4.0, 1.0, 2.0]
    """

    _requires_target = True
    _allow_nan = True
    # Each column is binned and counted on its own: no canonical reordering needed.
    _columnwise = True
    _feature_attributes = {"n_bins_": "vector"}
    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "task": TASK_CONSTRAINT,
        "n_bins": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left"), None],
        "bias_correction": [StrOptions({"miller_madow"}), None],
    }

    def __init__(self, n_features_to_select="auto", task="auto", n_bins="auto",
                 bias_correction="miller_madow"):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_bins = n_bins
        self.bias_correction = bias_correction

    def fit(self, X, y=None, **fit_params):
        """Score every feature, rank them and choose the subset to keep.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numbers, or codes; text / categorical DataFrame columns are used as
            their categories (as OutRank reads them). NaN is a category.
        y : array-like of shape (n_samples,)
            The target; an object label is used as its text.

        Returns
        -------
        self
        """
        from ..utils._dask import is_dask_collection
        from ..utils._input import as_pandas_frame
        from ._outrank import _codes_for_text_columns

        if is_dask_collection(X):  # the distributed branch: featkit.distributed._binned
            from ..distributed import fit_ranker

            return fit_ranker(self, X, y)
        y_arr = np.asarray(y) if y is not None else None
        if y_arr is not None and y_arr.dtype == object:
            y = y_arr.astype(str)  # a label of text and numbers mixed: its values are categories
        return super().fit(_codes_for_text_columns(as_pandas_frame(X)), y, **fit_params)

    def _fit_scores(self, X, y):
        if self.bias_correction not in ("miller_madow", None):
            raise ValueError(
                f"bias_correction must be 'miller_madow' or None, got {self.bias_correction!r}.")
        if self.task_ == "classification":
            y_codes = np.asarray(y, dtype=np.int64)
        else:
            bins = self.n_bins if isinstance(self.n_bins, int) and self.n_bins > 1 else AUTO_BINS
            y_codes = quantile_codes(np.asarray(y, dtype=np.float64), bins)
            if y_codes is None:  # few distinct values: they are the categories
                y_codes = np.unique(np.asarray(y, dtype=np.float64), return_inverse=True)[1]
        k_y = int(y_codes.max()) + 1
        X = np.asarray(X)
        n, d = X.shape
        scores = np.empty(d, dtype=np.float64)
        self.n_bins_ = np.empty(d, dtype=np.int64)
        # Each column's codes and count depend on that column alone, so the
        # columns are coded and counted a block at a time: the codes and the
        # column-major copy are one block's, not the table's. The block is
        # the counting kernel's own, so its sums run in the same order.
        step = max(1, _BLOCK_ELEMENTS // max(n, 1))
        for start in range(0, d, step):
            block = slice(start, min(start + step, d))
            codes, ks = discretize_columns(X[:, block], self.n_bins)
            self.n_bins_[block] = [np.count_nonzero(np.bincount(codes[:, j], minlength=ks[j]))
                                   for j in range(codes.shape[1])]
            scores[block] = binned_mutual_info(y_codes, k_y, codes, ks,
                                               correction=self.bias_correction)
        return scores

    def _auto_support_size(self):
        return int(np.sum(self.scores_ > 0)) or 1
