"""Gradient-boosting baselines: split-gain importance and a fast held-out
permutation importance of the same model.

LightGBM is used when it is installed, scikit-learn's ``HistGradientBoosting*``
otherwise. Both bin features into histograms, so a fit on 1,000,000 rows costs
seconds where a 200-tree random forest costs minutes.
"""

from __future__ import annotations

import importlib.util
import os
from numbers import Integral

import numpy as np

from ..base import BaseRanker
from ..findings import Finding
from ..utils._param_validation import TASK_CONSTRAINT, Interval, RealNotInt, StrOptions
from ..utils._sampling import held_out_split

_BACKENDS = ("auto", "lightgbm", "sklearn", "xgboost")


def _seed(random_state) -> int:
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return 0 if random_state is None else int(random_state)


def resolve_backend(backend: str) -> str:
    """``"lightgbm"`` or ``"sklearn"`` for ``backend`` (``"auto"``: LightGBM when installed)."""
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, got {backend!r}.")
    if backend == "auto":
        return "lightgbm" if importlib.util.find_spec("lightgbm") is not None else "sklearn"
    if backend in ("lightgbm", "xgboost") and importlib.util.find_spec(backend) is None:
        from ..exceptions import missing_extra

        raise missing_extra(backend, "boost", f"backend={backend!r}")
    return backend


# Below this many cells (rows x features) LightGBM runs on one thread: threads
# cost more than they save on small tables, and far more on a loaded machine.
_ONE_THREAD_CELLS = 1 << 20


def lightgbm_threads(n_cells=None) -> int:
    """LightGBM's thread count when the user gave none: every core only when
    the table is large and the machine has a core to spare.

    An OpenMP thread that waits for a busy core spins rather than sleeps, so
    on a machine whose other processes keep the cores busy two threads fit
    about 3x slower than one (measured: 200,000 x 100, 100 trees, load 5:
    14 s on one thread, 43 s on two). The model is ``deterministic``, so the
    count changes the time, never the trees.

    Examples
    --------
    >>> from featkit.selection._boosting import lightgbm_threads
    >>> lightgbm_threads(1_000)
    1
    """
    if n_cells is not None and n_cells < _ONE_THREAD_CELLS:
        return 1
    from .._cost import available_cores

    cores = available_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average (Windows)
        return -1
    # the load counts this process's own running thread: spare cores are the rest
    return -1 if cores > 1 and busy <= cores - 1 else 1


def min_leaf_rows(n_rows: int) -> int:
    """Rows per leaf at least: the libraries' 20, but n / 50 (at least 2) on
    small tables, where 20 rows a leaf would leave most trees without a split.

    Examples
    --------
    >>> [min_leaf_rows(n) for n in (40, 400, 100_000)]
    [2, 8, 20]
    """
    return int(min(20, max(2, n_rows // 50)))


def boosting_model(task, backend, *, n_estimators, learning_rate, max_leaf_nodes, seed, n_jobs,
                   n_cells=None, n_rows=None, max_features=1.0):
    """An unfitted gradient-boosting model of the resolved ``backend``."""
    leaf = 20 if n_rows is None else min_leaf_rows(n_rows)
    if backend == "xgboost":  # optional backend, kept in its own module
        from ._xgboost_model import xgboost_model

        return xgboost_model(task, n_estimators=n_estimators, learning_rate=learning_rate,
                             max_leaf_nodes=max_leaf_nodes, seed=seed, max_features=max_features, n_jobs=n_jobs)
    if backend == "lightgbm":
        import lightgbm

        if n_jobs is None:
            n_jobs = lightgbm_threads(n_cells)

        cls = lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
        # deterministic + force_row_wise: the same seed gives the same trees on
        # any machine and any thread count.
        return cls(n_estimators=n_estimators, learning_rate=learning_rate,
                   num_leaves=max_leaf_nodes, random_state=seed, importance_type="gain",
                   deterministic=True, force_row_wise=True, verbose=-1,
                   min_child_samples=leaf, colsample_bytree=max_features, n_jobs=n_jobs)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(max_iter=n_estimators, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
               min_samples_leaf=leaf, max_features=max_features, early_stopping=False,
               random_state=seed)


def split_gain(model, n_features: int) -> np.ndarray:
    """Total split gain of each feature over all trees of a fitted model.

    LightGBM reports it (``importance_type="gain"``). scikit-learn's
    ``HistGradientBoosting*`` has no ``feature_importances_``; its trees keep
    each split's gain in the ``gain`` field of their node records, which is
    summed here per feature over every tree (every class's tree in multiclass).
    """
    if hasattr(model, "booster_"):
        return np.asarray(model.booster_.feature_importance("gain"), dtype=np.float64)
    if hasattr(model, "get_booster"):
        from ._xgboost_model import total_gain

        return total_gain(model.get_booster(), n_features)
    gain = np.zeros(n_features)
    for iteration in model._predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            split = ~nodes["is_leaf"].astype(bool)
            np.add.at(gain, nodes["feature_idx"][split], nodes["gain"][split])
    return gain


class GradientBoostingRanker(BaseRanker):
    """Rank features by the total split gain of a gradient-boosting model.

    Gain importance is the loss reduction that the splits on a feature bring,
    summed over all trees (LightGBM's ``importance_type="gain"``). It is the
    tree-importance default of ``featkit rank``: a histogram-based model fits a
    1,000,000-row table in seconds; :class:`RandomForestRanker` stays available.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features whose share of the gain exceeds the mean share
        (the rule of scikit-learn's ``SelectFromModel`` for tree models).
    task : {"auto", "classification", "regression"}, default="auto"
    backend : {"auto", "lightgbm", "sklearn", "xgboost"}, default="auto"
        "auto" uses LightGBM when installed, else scikit-learn's
        ``HistGradientBoosting*`` (gain summed from its trees' split records).
        "xgboost": leaf-wise ``hist`` trees of the same size (total gain); on a
        Dask collection it trains through ``xgboost.dask``, as "auto" does when
        ``lightgbm.dask`` cannot be imported.
    n_estimators : int, default=100
        Boosting rounds.
    learning_rate : float, default=0.05
    max_leaf_nodes : int, default=7
        Leaves per tree (LightGBM's ``num_leaves``). Small trees and a slow
        rate rank better than the libraries' 31 leaves and 0.1: deep trees
        spend their late splits on noise columns, whose gain then outranks
        weaker real features (measured in docs/performance.md). Rows per leaf are at least
        20, or ``n / 50`` (at least 2) on small tables (:func:`min_leaf_rows`).
    max_features : float in (0, 1], default=0.5
        Share of the features each tree (LightGBM's ``colsample_bytree``) or
        each split (scikit-learn's ``max_features``) may use. Below 1 the gain
        is spread over correlated features as in a random forest, instead of
        going to whichever copy boosting picks first; it also halves the fit.
    random_state : int, RandomState or None, default=None
        None is seed 0: the model is deterministic either way.
    n_jobs : int or None, default=None
        LightGBM threads (None: one thread below about a million cells or when
        the machine's load leaves no core to spare, else all cores; see
        :func:`lightgbm_threads`); scikit-learn's model uses OpenMP's default.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Share of the total split gain (sums to 1; all 0 when the model made no split).
    backend_ : str
        "lightgbm", "sklearn" or "xgboost".
    estimator_ : fitted model
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import GradientBoostingRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> ranker = GradientBoostingRanker(random_state=0).fit(X, y)
    >>> sorted(ranker.ranking_[2:].tolist())
    [1.0, 2.0]
    """

    _requires_target = True
    _allow_nan = True
    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "task": TASK_CONSTRAINT,
        "backend": [StrOptions(set(_BACKENDS))],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(RealNotInt, 0, None, closed="neither")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "max_features": [Interval(RealNotInt, 0, 1, closed="right")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_features_to_select="auto", task="auto", backend="auto", n_estimators=100,
                 learning_rate=0.05, max_leaf_nodes=7, max_features=0.5, random_state=None,
                 n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.backend = backend
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _model(self, seed, X):
        self.backend_ = resolve_backend(self.backend)
        return boosting_model(self.task_, self.backend_, n_estimators=self.n_estimators,
                              learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                              seed=seed, n_jobs=self.n_jobs, n_cells=X.shape[0] * X.shape[1],
                              n_rows=X.shape[0], max_features=self.max_features)

    def _fit_dask(self, X, y):
        # a Dask collection trains on the cluster through lightgbm.dask
        from ..distributed._boosting import fit_boosting

        return fit_boosting(self, X, y)

    def _fit_scores(self, X, y):
        self.estimator_ = self._model(_seed(self.random_state), X).fit(X, y)
        gain = split_gain(self.estimator_, X.shape[1])
        total = gain.sum()
        return gain / total if total > 0 else gain

    def _auto_support_size(self):
        return int(np.sum(self.scores_ > np.mean(self.scores_))) or 1


def _loss(model, task, X, y) -> float:
    """Mean held-out loss: log-loss (classification) or squared error (regression)."""
    if task == "classification":
        proba = model.predict_proba(X)
        classes = np.asarray(model.classes_)
        col = np.clip(np.searchsorted(classes, y), 0, classes.size - 1)
        # A class absent from the training rows has probability 0 (clipped below).
        p = np.where(classes[col] == y, proba[np.arange(y.shape[0]), col], 0.0)
        return float(-np.mean(np.log(np.clip(p, 1e-15, 1.0))))
    return float(np.mean((model.predict(X) - y) ** 2))


class BoostingPermutationRanker(GradientBoostingRanker):
    """Rank features by permutation importance of a gradient-boosting model,
    measured on a capped sample of held-out rows.

    The model (as in :class:`GradientBoostingRanker`) is fitted on the training
    part of a seeded split, on at most ``max_train_rows`` rows; each feature is
    then shuffled ``n_repeats`` times in at most ``max_eval_rows`` held-out rows
    and the rise of the held-out loss (log-loss, or squared error) is its score.
    Two shortcuts keep it fast on tall and wide tables without changing the
    answer: the cost does not grow with the rows past the caps, and a feature
    on which the model never splits is not shuffled at all, because shuffling
    it cannot change a prediction (its importance is exactly 0).

    When the held-out part would have fewer than ``min_eval_rows`` rows, the
    importances are cross-fitted instead: ``1 / test_size`` folds, each fold's
    rows scored by a model fitted on the others, so that every row is held out
    once. With fewer than ``min_eval_rows`` rows in all, the method declines:
    every score is 0 (one tie, which moves no feature in a consensus whose ties
    share their average rank) and ``declined_`` says why. With so few rows a shuffled column's loss change is
    noise (measured in docs/performance.md).
    :class:`PermutationRanker` (random forest, every feature, every held-out
    row) keeps the old behaviour.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features whose mean importance is above two standard
        errors of its repeats.
    task : {"auto", "classification", "regression"}, default="auto"
    backend : {"auto", "lightgbm", "sklearn", "xgboost"}, default="auto"
    n_estimators : int, default=100
    learning_rate : float, default=0.05
    max_leaf_nodes : int, default=7
    max_features : float in (0, 1], default=0.5
    n_repeats : int, default=5
    test_size : float, default=0.25
        Fraction of rows held out (stratified for classification when possible).
    max_train_rows : int or None, default=200_000
        Rows the model is fitted on at most (a seeded sample of the training part).
    max_eval_rows : int or None, default=5_000
        Held-out rows the shuffles are scored on at most. Each shuffle costs one
        prediction of these rows; 5,000 rows measure a held-out log-loss change
        to about 0.01 while 100 features x 5 repeats stay a few seconds.
    min_eval_rows : int, default=50
        Fewer held-out rows than this: cross-fitted; fewer rows in all: declined
        (see above).
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Mean rise of the held-out loss when the feature is shuffled.
    importances_std_ : ndarray of shape (n_features,)
    n_eval_rows_ : int
        Held-out rows the importances were measured on (all rows when cross-fitted).
    declined_ : str or None
        Why the method declined, or None.
    estimator_ : fitted model or None
        The model (the first fold's when cross-fitted; None when declined).
    backend_, ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`GradientBoostingRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from featkit.selection import BoostingPermutationRanker
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ranker = BoostingPermutationRanker(random_state=0).fit(X, y)
    >>> ranker.n_eval_rows_, ranker.declined_ is None
    (143, True)
    """

    _fit_dask = None  # permutation importance has no distributed form: refused on Dask
    _parameter_constraints = {
        **GradientBoostingRanker._parameter_constraints,
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither")],
        "max_train_rows": [Interval(Integral, 2, None, closed="left"), None],
        "max_eval_rows": [Interval(Integral, 1, None, closed="left"), None],
        "min_eval_rows": [Interval(Integral, 1, None, closed="left")],
    }
    _feature_attributes = {"importances_std_": "vector"}
    # declined_ is not a finding: findings must exist after every fit, and it is
    # None unless the method declined.
    _findings = {
        "n_eval_rows_": Finding("scalar", "Held-out rows the importances were measured on"),
    }

    def __init__(self, n_features_to_select="auto", task="auto", backend="auto", n_estimators=100,
                 learning_rate=0.05, max_leaf_nodes=7, max_features=0.5, n_repeats=5,
                 test_size=0.25, max_train_rows=200_000, max_eval_rows=5_000, min_eval_rows=50,
                 random_state=None, n_jobs=None):
        super().__init__(n_features_to_select=n_features_to_select, task=task, backend=backend,
                         n_estimators=n_estimators, learning_rate=learning_rate,
                         max_leaf_nodes=max_leaf_nodes, max_features=max_features,
                         random_state=random_state, n_jobs=n_jobs)
        self.n_repeats = n_repeats
        self.test_size = test_size
        self.max_train_rows = max_train_rows
        self.max_eval_rows = max_eval_rows
        self.min_eval_rows = min_eval_rows

    def _fit_scores(self, X, y):
        seed = _seed(self.random_state)
        rng = np.random.RandomState(seed)
        n, d = X.shape
        n_test = int(np.ceil(self.test_size * n))
        self.declined_ = None
        self.importances_std_ = np.zeros(d)
        self.backend_ = resolve_backend(self.backend)
        if n < self.min_eval_rows:
            self.declined_ = (f"{n} rows, fewer than min_eval_rows={self.min_eval_rows}: "
                              "permutation importance declined (all scores 0).")
            self.estimator_, self.n_eval_rows_ = None, 0
            return np.zeros(d)
        if min(n_test, self.max_eval_rows or n_test) >= self.min_eval_rows:
            train, test = held_out_split(n, y, self.test_size, seed, self.task_ == "classification")
            parts = [(train, test[:self.max_eval_rows])]
        else:
            parts = self._cross_fit_parts(X, y, seed)
        drops = []
        for train, test in parts:
            if self.max_train_rows and train.shape[0] > self.max_train_rows:
                train = train[rng.choice(train.shape[0], self.max_train_rows, replace=False)]
            # positions first, rows last: only the rows fitted on and scored are copied
            # (not the whole held-out part, nor the training part before its sample)
            X_tr, y_tr = X[train], y[train]
            model = self._model(seed, X_tr).fit(X_tr, y_tr)
            del X_tr  # the model keeps its own bins
            drops.append(self._loss_rises(model, X[test], y[test], rng))
            if len(drops) == 1:
                self.estimator_ = model
        self.n_eval_rows_ = int(sum(test.shape[0] for _, test in parts))
        # Folds are weighted by their held-out rows: every row counts once.
        weights = np.array([test.shape[0] for _, test in parts], dtype=float)
        per_repeat = np.tensordot(weights / weights.sum(), np.stack(drops), axes=1)
        self.importances_std_ = per_repeat.std(axis=1)
        return per_repeat.mean(axis=1)

    def _cross_fit_parts(self, X, y, seed):
        """Too few rows for one held-out part: K folds, each row held out once
        (K = 1 / test_size, at least 2), so that all n rows are scored."""
        from sklearn.model_selection import KFold, StratifiedKFold

        k = max(2, int(round(1 / self.test_size)))
        splitter = KFold(k, shuffle=True, random_state=seed)
        if self.task_ == "classification":
            counts = np.bincount(y)
            if counts[counts > 0].min() >= k:
                splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
        return list(splitter.split(X, y))

    def _loss_rises(self, model, X_te, y_te, rng):
        """(d, n_repeats) rise of the held-out loss with each feature shuffled;
        features the model never splits on are left at 0 (shuffling them cannot
        change a prediction)."""
        d = X_te.shape[1]
        base = _loss(model, self.task_, X_te, y_te)
        shuffled = X_te.copy()
        drops = np.zeros((d, self.n_repeats))
        for j in np.flatnonzero(split_gain(model, d) > 0):
            for r in range(self.n_repeats):
                shuffled[:, j] = X_te[rng.permutation(X_te.shape[0]), j]
                drops[j, r] = _loss(model, self.task_, shuffled, y_te) - base
            shuffled[:, j] = X_te[:, j]
        return drops

    def _auto_support_size(self):
        se = self.importances_std_ / np.sqrt(max(self.n_repeats, 1))
        return int(np.sum(self.scores_ > 2 * se + 1e-12)) or 1
