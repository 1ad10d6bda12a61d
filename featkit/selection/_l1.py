"""L1-penalised linear baseline: |coefficients| on standardised features."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, LogisticRegressionCV
from sklearn.preprocessing import StandardScaler

from ..base import BaseRanker
from numbers import Integral

from ..utils._param_validation import TASK_CONSTRAINT, Interval


def _l1_logistic_cv(n_classes, random_state):
    """LogisticRegressionCV with an L1 penalty, spelled for the installed scikit-learn."""
    params = inspect.signature(LogisticRegressionCV).parameters
    kwargs = dict(Cs=8, cv=3, solver="liblinear" if n_classes == 2 else "saga",
                  max_iter=2000, tol=1e-3, random_state=random_state)
    if params["penalty"].default == "deprecated":  # scikit-learn >= 1.8
        kwargs["l1_ratios"] = (1.0,)
    else:
        kwargs["penalty"] = "l1"
    if "scoring" in params and params["scoring"].default == "warn":
        kwargs["scoring"] = "accuracy"
    if "use_legacy_attributes" in params:
        kwargs["use_legacy_attributes"] = False
    return LogisticRegressionCV(**kwargs)


class L1Ranker(BaseRanker):
    """Rank features by the absolute coefficients of an L1-penalised model on
    standardised features: logistic regression (classification) or the Lasso
    (regression), with the penalty strength chosen by 3-fold cross-validation.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features with a non-zero coefficient.
    task : {"auto", "classification", "regression"}, default="auto"
    max_rows : int or None, default=50_000
        Fit on a seeded random sample of at most this many rows (stratified for
        classification). The coefficients of a model with a few hundred
        features are settled long before 50,000 rows, while the solver's time
        grows with every row (eight penalties x three folds); None uses all rows.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        |coefficient| (mean over classes for multiclass problems).
    estimator_ : fitted LogisticRegressionCV or LassoCV
    n_rows_used_ : int
        Rows the model was fitted on (see ``max_rows``).
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from featkit.selection import L1Ranker
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ranker = L1Ranker(random_state=0).fit(X, y)
    >>> sorted(ranker.ranking_[[2, 8]].tolist())  # bmi and s5 lead
    [1.0, 2.0]
    """

    _requires_target = True
    # liblinear / saga / coordinate descent: a float32 input is widened, its sampled rows only
    _needs_float64 = True

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "task": TASK_CONSTRAINT,
        "max_rows": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_features_to_select="auto", task="auto", max_rows=50_000, random_state=None):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.max_rows = max_rows
        self.random_state = random_state

    def _fit_scores(self, X, y):
        X, y = self._row_sample(X, y)
        Xs = StandardScaler().fit_transform(X)
        n = X.shape[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.task_ == "classification":
                n_classes = np.unique(y).size
                if n < 3 * n_classes or np.bincount(y).min() < 3:
                    # too few rows per class for 3-fold CV: a fixed, moderate penalty
                    from sklearn.linear_model import LogisticRegression
                    params = inspect.signature(LogisticRegression).parameters
                    kw = {"l1_ratio": 1.0} if params["penalty"].default == "deprecated" else {"penalty": "l1"}
                    est = LogisticRegression(C=1.0, solver="saga", max_iter=2000, **kw,
                                             random_state=self.random_state)
                else:
                    est = _l1_logistic_cv(n_classes, self.random_state)
                self.estimator_ = est.fit(Xs, y)
            else:
                cv = 3 if n >= 6 else 2
                self.estimator_ = LassoCV(cv=cv, random_state=self.random_state).fit(Xs, y)
        coef = np.atleast_2d(self.estimator_.coef_)
        return np.mean(np.abs(coef), axis=0)

    def _fit_rows(self, y, n_rows):
        if self.max_rows is None or n_rows <= self.max_rows:
            return None
        from sklearn.model_selection import train_test_split

        stratify = y if self.task_ == "classification" and np.bincount(y).min() >= 2 else None
        # the positions only: splitting X itself would also copy the rows left out
        rows, _ = train_test_split(np.arange(n_rows), train_size=int(self.max_rows),
                                   stratify=stratify, random_state=self.random_state)
        return rows

    def _row_sample(self, X, y):
        """The sample of ``_fit_rows`` when ``fit`` has not taken it already."""
        rows = self._fit_rows(y, X.shape[0])
        if rows is not None:
            X, y = X[rows], y[rows]
        self.n_rows_used_ = X.shape[0]
        return X, y

    def _auto_support_size(self):
        return int(np.sum(self.scores_ > 0)) or 1
