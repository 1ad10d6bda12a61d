"""The one contract every featkit ranker keeps.

A ranker is a scikit-learn feature selector (``SelectorMixin, BaseEstimator``)
that also scores and orders every feature:

* ``scores_`` -- shape ``(n_features,)``, higher means more important;
* ``ranking_`` -- shape ``(n_features,)``, ints, 1 = best (scikit-learn's RFE
  convention); ties keep column order;
* ``support_`` -- boolean mask of the kept features, from ``n_features_to_select``
  (an int, a fraction in (0, 1], or ``"auto"``, where the method's own cut is used,
  or the better half of the ranking when the method has none), exposed through
  ``get_support()`` and ``transform``.

Subclasses implement :meth:`BaseRanker._fit_scores` and, when the method has a
cut of its own, :meth:`BaseRanker._auto_support_size`.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .exceptions import InputError
from .utils._task import check_target, infer_task

__all__ = ["BaseRanker", "ranking_from_scores", "resolve_n_features"]


def ranking_from_scores(scores) -> np.ndarray:
    """Ranks 1..d from scores, 1 = highest score.

    Non-finite scores (a method that is undefined on a constant column, say)
    rank last; ties keep the column order so the result is deterministic.

    Examples
    --------
    >>> ranking_from_scores([0.2, 0.9, float("nan"), 0.5]).tolist()
    [3, 1, 4, 2]
    """
    s = np.asarray(scores, dtype=np.float64)
    key = np.where(np.isfinite(s), s, -np.inf)
    order = np.argsort(-key, kind="stable")
    ranking = np.empty(s.shape[0], dtype=np.int64)
    ranking[order] = np.arange(1, s.shape[0] + 1)
    return ranking


def resolve_n_features(n_features_to_select, n_features: int, auto_size: int | None) -> int:
    """How many features to keep for ``n_features_to_select``.

    ``auto_size`` is the method's own cut (None when it has none: half is kept).
    """
    value = n_features_to_select
    if isinstance(value, str):
        if value != "auto":
            raise InputError(
                f"n_features_to_select must be an int, a fraction in (0, 1] or 'auto', got {value!r}."
            )
        size = auto_size if auto_size is not None else math.ceil(n_features / 2)
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 1:
            raise InputError(f"n_features_to_select must be >= 1, got {value}.")
        if value > n_features:
            warnings.warn(
                f"n_features_to_select={value} is more than the {n_features} features; keeping all.",
                UserWarning,
                stacklevel=3,
            )
        size = value
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not 0 < value <= 1:
            raise InputError(
                f"A fractional n_features_to_select must be in (0, 1], got {value}."
            )
        size = math.ceil(value * n_features)
    else:
        raise InputError(
            f"n_features_to_select must be an int, a fraction in (0, 1] or 'auto', got {value!r}."
        )
    return int(min(max(size, 1), n_features))


class BaseRanker(SelectorMixin, BaseEstimator):
    """Base class of featkit's feature rankers.

    Subclasses set the class attributes below, keep ``__init__`` to storing
    parameters, and implement ``_fit_scores(X, y)``.

    Class attributes
    ----------------
    _requires_target : bool
        Supervised methods need ``y``.
    _allow_nan : bool
        The method handles missing values itself.
    _task_aware : bool
        ``y`` is checked and encoded through ``task`` (classification targets
        become codes 0..k-1, ``classes_`` is not set because a selector is not
        a classifier).
    """

    _requires_target = False
    _allow_nan = False
    _task_aware = True

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, **fit_params):
        """Score every feature, rank them and choose the subset to keep.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Target; required by supervised methods, ignored by the others.

        Returns
        -------
        self
        """
        X, y = self._validate_fit_input(X, y)
        scores = self._fit_scores(X, y, **fit_params)
        self._set_scores(scores)
        return self

    def _validate_fit_input(self, X, y):
        finite = "allow-nan" if self._allow_nan else True
        if self._requires_target:
            X, y = validate_data(
                self, X, y, ensure_all_finite=finite, dtype="numeric", y_numeric=False,
                ensure_min_samples=2,
            )
            if self._task_aware:
                self.task_ = infer_task(y, getattr(self, "task", "auto"))
                y, _ = check_target(y, self.task_)
        else:
            X = validate_data(
                self, X, ensure_all_finite=finite, dtype="numeric", ensure_min_samples=2
            )
        return X, y

    def _set_scores(self, scores):
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.shape[0] != self.n_features_in_:
            raise RuntimeError(
                f"{type(self).__name__} produced {scores.shape[0]} scores for {self.n_features_in_} features."
            )
        self.scores_ = scores
        self.ranking_ = ranking_from_scores(scores)
        size = resolve_n_features(
            self.n_features_to_select, self.n_features_in_, self._auto_support_size()
        )
        self.n_features_ = size
        self.support_ = self.ranking_ <= size

    def _fit_scores(self, X, y, **fit_params):
        raise NotImplementedError

    def _auto_support_size(self) -> int | None:
        """Number of features the method keeps on its own (None: no cut of its own)."""
        return None

    # ------------------------------------------------------------ selection
    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    # ----------------------------------------------------------------- tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self._requires_target
        tags.input_tags.allow_nan = self._allow_nan
        return tags
