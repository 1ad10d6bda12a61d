"""Random-forest baselines: impurity importance and held-out permutation importance."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.utils import _safe_indexing

from ..base import BaseRanker
from ..utils._param_validation import TASK_CONSTRAINT, Interval, RealNotInt, StrOptions
from ..utils._sampling import held_out_split


# The parameters both forest rankers take, with one meaning.
_FOREST_CONSTRAINTS = {
    "task": TASK_CONSTRAINT,
    "n_estimators": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
}


def _forest(task, n_estimators, max_features, min_samples_leaf, random_state, n_jobs):
    cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
    if max_features == "auto":
        max_features = "sqrt" if task == "classification" else 1.0
    return cls(n_estimators=n_estimators, max_features=max_features,
               min_samples_leaf=min_samples_leaf, random_state=random_state, n_jobs=n_jobs)


def holdout_split(X, y, task, test_size, seed):
    """``X_train, X_test, y_train, y_test`` of :func:`featkit.utils._sampling.held_out_split`."""
    train, test = held_out_split(X.shape[0], y, test_size, seed, task == "classification")
    return _safe_indexing(X, train), _safe_indexing(X, test), y[train], y[test]


def forest_permutation_importance(forest, X, y, n_repeats, random_state):
    """``(importances_mean, importances_std)`` of scikit-learn's ``permutation_importance``
    for a fitted forest and its default score (accuracy or R^2), tree by tree.

    Shuffling a column changes only the trees that split on it, so each
    feature re-predicts just those trees and reuses the others' stored
    predictions; a feature no tree uses keeps the baseline score (importance
    0). On 40 x 3,000 a 200-tree forest splits on a few hundred columns:
    under a second instead of minutes. The shuffles are scikit-learn's (one
    seed drawn from ``random_state``, the same shuffle sequence for every
    column) and the trees' predictions are summed in the forest's order, so
    the result is the same as ``permutation_importance(forest, X, y,
    n_repeats=n_repeats, random_state=random_state)`` (it is tested equal).
    """
    from sklearn.metrics import accuracy_score, r2_score

    X = np.asarray(X, dtype=np.float32)
    classifier = hasattr(forest, "classes_")
    trees = forest.estimators_

    def predict(tree, data):
        return tree.predict_proba(data, check_input=False) if classifier else tree.predict(
            data, check_input=False)

    def score(stack):
        total = np.zeros(stack.shape[1:])
        for part in stack:  # the forest's own accumulation order, for the same rounding
            total += part
        total /= len(trees)
        if classifier:
            return accuracy_score(y, forest.classes_.take(np.argmax(total, axis=1), axis=0))
        return r2_score(y, total)

    base = np.stack([predict(tree, X) for tree in trees])
    baseline = score(base)
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    shuffles, order, idx = [], np.arange(X.shape[0]), np.arange(X.shape[0])
    shuffle_rng = np.random.RandomState(seed)
    for _ in range(n_repeats):
        # permutation_importance shuffles its index in place and re-indexes the shuffled column
        shuffle_rng.shuffle(idx)
        order = order[idx]
        shuffles.append(order)
    users = [[] for _ in range(X.shape[1])]
    for t, tree in enumerate(trees):
        for j in np.unique(tree.tree_.feature[tree.tree_.feature >= 0]):
            users[j].append(t)
    permuted = np.full((X.shape[1], n_repeats), baseline)
    for j, used_by in enumerate(users):
        if not used_by:
            continue
        Xp = X.copy()
        for r, order in enumerate(shuffles):
            Xp[:, j] = X[order, j]
            stack = base.copy()
            for t in used_by:
                stack[t] = predict(trees[t], Xp)
            permuted[j, r] = score(stack)
    importances = baseline - permuted
    return np.mean(importances, axis=1), np.std(importances, axis=1)


class RandomForestRanker(BaseRanker):
    """Rank features by the impurity importance (mean decrease in impurity) of a
    random forest.

    Impurity importance favours high-cardinality and continuous features; see
    :class:`PermutationRanker` for the held-out alternative.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features whose importance exceeds the mean importance
        (the rule of scikit-learn's ``SelectFromModel`` for forests).
    task : {"auto", "classification", "regression"}, default="auto"
    n_estimators : int, default=200
    max_features : "auto", "sqrt", "log2", int or float, default="auto"
        "auto" is "sqrt" for classification and all features for regression.
    min_samples_leaf : int, default=1
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
        Threads that build the trees. None: every core when the table has more
        than about a million cells and the machine's load leaves a core to
        spare, else one (the rule of
        :func:`featkit.selection._boosting.lightgbm_threads`). Each tree's seed
        is drawn before any is built, so the forest is the same either way.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        ``feature_importances_`` of the fitted forest (sums to 1).
    estimator_ : fitted forest
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import RandomForestRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> ranker = RandomForestRanker(n_estimators=50, random_state=0).fit(X, y)
    >>> sorted(ranker.ranking_[2:].tolist())
    [1.0, 2.0]
    """

    _requires_target = True

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "max_features": [Interval(Integral, 1, None, closed="left"),
                         Interval(RealNotInt, 0, 1, closed="right"),
                         StrOptions({"auto", "sqrt", "log2"}), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left"),
                             Interval(RealNotInt, 0, 1, closed="neither")],
        **_FOREST_CONSTRAINTS,
    }

    def __init__(self, n_features_to_select="auto", task="auto", n_estimators=200,
                 max_features="auto", min_samples_leaf=1, random_state=None, n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_scores(self, X, y):
        from ._boosting import lightgbm_threads

        n_jobs = self.n_jobs if self.n_jobs is not None else lightgbm_threads(X.shape[0] * X.shape[1])
        self.estimator_ = _forest(self.task_, self.n_estimators, self.max_features,
                                  self.min_samples_leaf, self.random_state, n_jobs).fit(X, y)
        return self.estimator_.feature_importances_

    def _auto_support_size(self):
        return int(np.sum(self.scores_ > np.mean(self.scores_))) or 1


class PermutationRanker(BaseRanker):
    """Rank features by the permutation importance of a random forest, measured
    on rows held out from its training.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features whose mean importance is above two standard
        errors of its repeats (a drop in score that is not noise).
    task : {"auto", "classification", "regression"}, default="auto"
    n_estimators : int, default=200
    n_repeats : int, default=5
        Shuffles per feature.
    test_size : float, default=0.25
        Fraction of rows held out (stratified for classification when possible).
        With fewer than 20 rows the forest is scored on its training rows.
    scoring : str, callable or None, default=None
        Accuracy (classification) or R^2 (regression) when None.
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Mean drop in held-out score when the feature is shuffled.
    importances_std_ : ndarray of shape (n_features,)
    estimator_ : fitted forest
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import PermutationRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> ranker = PermutationRanker(n_estimators=50, random_state=0).fit(X, y)
    >>> int(ranker.ranking_[[2, 3]].min())
    1
    """

    _requires_target = True
    _feature_attributes = {"importances_std_": "vector"}

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither")],
        # names and callables are checked by permutation_importance itself
        "scoring": [str, callable, list, tuple, dict, None],
        **_FOREST_CONSTRAINTS,
    }

    def __init__(self, n_features_to_select="auto", task="auto", n_estimators=200, n_repeats=5,
                 test_size=0.25, scoring=None, random_state=None, n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_estimators = n_estimators
        self.n_repeats = n_repeats
        self.test_size = test_size
        self.scoring = scoring
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_scores(self, X, y):
        rng = np.random.RandomState(self.random_state) if not isinstance(
            self.random_state, np.random.RandomState) else self.random_state
        seed = rng.randint(np.iinfo(np.int32).max)
        if X.shape[0] >= 20:
            X_tr, X_te, y_tr, y_te = holdout_split(X, y, self.task_, self.test_size, seed)
        else:
            X_tr = X_te = X
            y_tr = y_te = y
        self.estimator_ = _forest(self.task_, self.n_estimators, "auto", 1, seed,
                                  self.n_jobs).fit(X_tr, y_tr)
        if self.scoring is None and np.ndim(y_te) == 1 and X_te.shape[0] > 0:
            mean, std = forest_permutation_importance(self.estimator_, X_te, y_te, self.n_repeats, seed)
        else:
            result = permutation_importance(self.estimator_, X_te, y_te, scoring=self.scoring,
                                            n_repeats=self.n_repeats, random_state=seed,
                                            n_jobs=self.n_jobs)
            mean, std = result.importances_mean, result.importances_std
        self.importances_std_ = std
        return mean

    def _auto_support_size(self):
        se = self.importances_std_ / np.sqrt(max(self.n_repeats, 1))
        return int(np.sum(self.scores_ > 2 * se + 1e-12)) or 1
