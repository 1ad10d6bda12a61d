"""How many of a ranking's top features to keep, chosen by cross-validation.

A light model (a logistic regression / ridge on standardised columns by
default) is cross-validated on the top k features of a ranking for each k of a
geometric grid; the chosen k is the smallest whose mean score is within one
standard error of the best mean score (the *one-standard-error rule*: among
sizes the folds cannot tell apart from the best, take the smallest).

The ranking is the one given: a ranker that chooses its k here ranks on the
data passed to its ``fit`` and cross-validates on that same data, so inside a
user's own outer cross-validation no held-out row is ever seen.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import InputError

__all__ = ["CrossValidatedK", "cv_k_grid", "one_standard_error_k"]


def one_standard_error_k(ks, means, errors) -> int:
    """The smallest k whose mean score is within one standard error of the best.

    Parameters
    ----------
    ks : sequence of int
        The sizes evaluated.
    means : sequence of float
        Mean cross-validated score per size (higher = better); NaN / None
        entries are ignored.
    errors : sequence of float
        Standard error of each mean (the fold scores' standard deviation over
        the square root of the number of folds).

    Returns
    -------
    int

    Examples
    --------
    >>> one_standard_error_k([1, 2, 4, 8], [0.60, 0.80, 0.86, 0.87], [0.02, 0.02, 0.02, 0.03])
    4
    >>> one_standard_error_k([1, 2, 4, 8], [0.60, 0.85, 0.86, 0.87], [0.02, 0.02, 0.02, 0.03])
    2
    """
    pts = [(int(k), float(m), float(e) if e is not None and np.isfinite(e) else 0.0)
           for k, m, e in zip(ks, means, errors) if m is not None and np.isfinite(m)]
    if not pts:
        raise InputError("one_standard_error_k needs at least one finite score.")
    # ties at the best mean go to the smaller k, whose error then sets the band
    best = max(pts, key=lambda p: (p[1], -p[0]))
    return min(k for k, m, _ in pts if m >= best[1] - best[2])


def cv_k_grid(n_features: int, max_points: int = 12) -> list:
    """A geometric grid of sizes from 1 to ``n_features`` (both included).

    Examples
    --------
    >>> cv_k_grid(5)
    [1, 2, 3, 4, 5]
    >>> cv_k_grid(1000, max_points=8)
    [1, 3, 7, 19, 52, 139, 373, 1000]
    """
    if n_features <= max_points:
        return list(range(1, n_features + 1))
    grid = np.unique(np.round(np.geomspace(1, n_features, max_points)).astype(int))
    return [int(k) for k in grid]


def _default_estimator(task):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    inner = LogisticRegression(max_iter=500) if task == "classification" else Ridge(alpha=1.0)
    return make_pipeline(StandardScaler(), inner)


def default_scoring(task):
    """The light model's score: balanced accuracy (classification) or R^2 (regression)."""
    return "balanced_accuracy" if task == "classification" else "r2"


def light_cv_scores(model, X, y, folds, scoring):
    """Fold scores of a clone of ``model`` on ``X`` (NaN where a fold's fit failed), quietly.

    Many small fits: BLAS threads would only add contention, and the convergence
    chatter of small folds is not the user's business. Shared by
    :class:`CrossValidatedK` and ``SequentialAttentionSelector(n_init=...)``.
    """
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        return cross_val_score(clone(model), X, y, cv=folds, scoring=scoring)


def _splitter(task, y, cv, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        counts = np.unique(y, return_counts=True)[1]
        if counts.min() >= cv:
            return StratifiedKFold(cv, shuffle=True, random_state=random_state)
    return KFold(cv, shuffle=True, random_state=random_state)


class CrossValidatedK(BaseEstimator):
    """Choose how many top-ranked features to keep by cross-validation.

    Pass it (or the string ``"cv"``, which means ``CrossValidatedK()``) as
    ``n_features_to_select`` of any featkit ranker.

    Parameters
    ----------
    estimator : estimator or None, default=None
        The model cross-validated on the top k features. None: a logistic
        regression (classification) or a ridge (regression) on standardised
        columns.
    cv : int, default=5
        Folds (stratified for classification when every class has enough rows).
    scoring : str or None, default=None
        A scikit-learn scorer name. None: ``"balanced_accuracy"`` for
        classification, ``"r2"`` for regression.
    max_points : int, default=12
        Sizes on the geometric grid (:func:`cv_k_grid`).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation import CrossValidatedK
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(150, 8)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> choice = CrossValidatedK().choose_k(X, y, np.arange(1, 9), task="classification")
    >>> choice["k"], choice["grid"][:3]
    (2, [1, 2, 3])
    """

    def __init__(self, estimator=None, cv=5, scoring=None, max_points=12):
        self.estimator = estimator
        self.cv = cv
        self.scoring = scoring
        self.max_points = max_points

    def choose_k(self, X, y, ranking, *, task, random_state=0) -> dict:
        """Cross-validate the top k of ``ranking`` for each k of the grid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        ranking : array-like of shape (n_features,)
            1 = best; ties are broken by column position.
        task : {"classification", "regression"}
        random_state : int, default=0
            Seed of the fold split.

        Returns
        -------
        dict
            ``k`` (chosen), ``grid``, ``scores`` (mean per k), ``errors``
            (standard error per k), ``scoring``, ``cv``.
        """
        if not isinstance(self.cv, int) or isinstance(self.cv, bool) or self.cv < 2:
            raise InputError(f"CrossValidatedK.cv must be an int of at least 2, got {self.cv!r}.")
        if y is None:
            raise InputError('n_features_to_select="cv" needs a target: it cross-validates a '
                             "model of y on the top features.")
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.shape[0] < self.cv:
            raise InputError(f'n_features_to_select="cv" needs at least {self.cv} rows for '
                             f"{self.cv} folds, got {X.shape[0]}.")
        order = np.argsort(np.asarray(ranking, dtype=np.float64), kind="stable")
        grid = cv_k_grid(X.shape[1], self.max_points)
        scoring = self.scoring or default_scoring(task)
        model = _default_estimator(task) if self.estimator is None else self.estimator
        folds = _splitter(task, y, self.cv, random_state)
        means, errors = [], []
        for k in grid:
            s = light_cv_scores(model, X[:, order[:k]], y, folds, scoring)
            s = s[np.isfinite(s)]
            means.append(float(s.mean()) if s.size else float("nan"))
            errors.append(float(s.std(ddof=1) / math.sqrt(s.size)) if s.size > 1 else 0.0)
        return {"k": one_standard_error_k(grid, means, errors), "grid": grid, "scores": means,
                "errors": errors, "scoring": scoring, "cv": self.cv}
