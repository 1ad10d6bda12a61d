"""Selection curves: cross-validated score of a fixed model vs number of top features kept."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ..exceptions import InputError

__all__ = ["k_grid", "selection_curves"]

CURVE_MODELS = ("linear", "forest")


def k_grid(n_features: int, max_features: int | None = None, max_points: int = 16) -> list:
    """Numbers of kept features to evaluate: every k up to 10, then roughly geometric.

    Examples
    --------
    >>> from featkit.evaluation import k_grid
    >>> k_grid(5)
    [1, 2, 3, 4, 5]
    >>> k_grid(100, max_points=12)
    [1, 2, 3, 4, 5, 6, 8, 13, 22, 36, 60, 100]
    """
    top = n_features if max_features is None else max(1, min(int(max_features), n_features))
    if top <= max_points:
        return list(range(1, top + 1))
    # Every k up to 6, where the curve bends most; geometric steps after, ending at ``top``.
    head = np.arange(1, 7)
    tail = np.round(np.geomspace(8, top, max_points - head.size)).astype(int)
    grid = np.unique(np.concatenate([head, tail]))
    return [int(k) for k in grid]


def _estimator(task, model, random_state):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "linear":
        inner = LogisticRegression(max_iter=300) if task == "classification" else Ridge(alpha=1.0)
        return make_pipeline(StandardScaler(), inner)
    cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return cls(n_estimators=50, min_samples_leaf=2, random_state=random_state, n_jobs=1)


def _metric(task, y):
    if task == "regression":
        return "r2"
    return "roc_auc" if np.unique(y).size == 2 else "accuracy"


def _splits(task, y, cv, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        counts = np.bincount(y)
        if counts[counts > 0].min() >= cv:
            return list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(y, y))
    return list(KFold(cv, shuffle=True, random_state=random_state).split(y))


def _cv_score(est, X, y, splits, metric):
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    scores = []
    for tr, te in splits:
        model = clone(est)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on tiny folds
            model.fit(X[tr], y[tr])
        if metric == "roc_auc":
            if np.unique(y[te]).size < 2:
                continue
            p = model.predict_proba(X[te])[:, 1]
            scores.append(roc_auc_score(y[te], p))
        elif metric == "accuracy":
            scores.append(accuracy_score(y[te], model.predict(X[te])))
        else:
            scores.append(r2_score(y[te], model.predict(X[te])))
    if not scores:
        return float("nan"), float("nan")
    return float(np.mean(scores)), float(np.std(scores))


def selection_curves(rankings: dict, X, y, *, task, ks=None, cv=3, model="linear",
                     random_state=0, time_budget=60.0) -> dict:
    """Cross-validated score of one fixed model trained on each method's top-k features.

    The same folds and the same model are used for every method and every k,
    so the curves differ only by which features each method puts first. The
    model is a logistic regression / ridge on standardised columns
    (``model="linear"``) or a 50-tree random forest (``model="forest"``); the
    score is ROC AUC (binary), accuracy (multiclass) or R^2.

    Parameters
    ----------
    rankings : dict of str -> array of shape (n_features,)
        Each method's ranking, 1 = best.
    X : ndarray of shape (n_samples, n_features), numeric, no missing values
    y : ndarray of shape (n_samples,)
        Class codes 0..k-1 (classification) or floats.
    task : {"classification", "regression"}
    ks : list of int, default=None
        Numbers of features to keep (default :func:`k_grid`).
    cv : int, default=3
    model : {"linear", "forest"}, default="linear"
    random_state : int, default=0
    time_budget : float, default=60.0
        CPU seconds of this process; once spent, the remaining larger k are skipped (reported in
        ``"truncated"``).

    Returns
    -------
    dict
        ``ks``, ``metric``, ``model``, ``cv``, ``curves`` (method -> list of mean
        scores, None where skipped), ``std`` (method -> list), ``all_features``
        (score with every feature), ``best_k`` (method -> the smallest k within
        one standard error of that method's best score), ``truncated``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation import selection_curves
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4)); y = X[:, 0] + 0.1 * rng.normal(size=200)
    >>> out = selection_curves({"good": [1, 2, 3, 4], "bad": [4, 3, 2, 1]}, X, y,
    ...                        task="regression", ks=[1])
    >>> out["curves"]["good"][0] > 0.9 > out["curves"]["bad"][0]
    True
    """
    if model not in CURVE_MODELS:
        raise InputError(f"model must be one of {CURVE_MODELS}, got {model!r}.")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if not np.isfinite(X).all():
        raise InputError("selection_curves needs X without missing values (impute first).")
    d = X.shape[1]
    ks = k_grid(d) if ks is None else [int(k) for k in ks if 1 <= int(k) <= d]
    metric = _metric(task, y)
    splits = _splits(task, y, cv, random_state)
    est = _estimator(task, model, random_state)
    start = time.perf_counter()
    # The budget counts this process's CPU time: on a shared machine, waiting for a core
    # should not cut the curves short.
    cpu_start = time.process_time()
    cache: dict = {}

    def score(cols):
        key = frozenset(int(c) for c in cols)
        if key not in cache:
            cache[key] = _cv_score(est, X[:, sorted(key)], y, splits, metric)
        return cache[key]

    # Many small fits: BLAS threads only add contention (and CPU time against the budget).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _run_curves(rankings, d, ks, metric, len(splits), score, start, cpu_start,
                           time_budget, model)


def _run_curves(rankings, d, ks, metric, n_splits, score, start, cpu_start, time_budget, model):
    all_mean, all_std = score(range(d))
    curves = {name: [None] * len(ks) for name in rankings}
    stds = {name: [None] * len(ks) for name in rankings}
    orders = {name: np.argsort(np.asarray(r, dtype=float), kind="stable") for name, r in rankings.items()}
    truncated = False
    for i, k in enumerate(ks):
        if time.process_time() - cpu_start > time_budget:
            truncated = True
            break
        for name, order in orders.items():
            m, s = score(order[:k])
            curves[name][i], stds[name][i] = m, s
    best_k = {}
    for name in rankings:
        pts = [(k, m, s) for k, m, s in zip(ks, curves[name], stds[name]) if m is not None and np.isfinite(m)]
        if pts:
            top = max(pts, key=lambda p: p[1])
            se = top[2] / np.sqrt(max(n_splits, 1))
            best_k[name] = int(min(k for k, m, _ in pts if m >= top[1] - se))
    return {
        "ks": ks, "metric": metric, "model": model, "cv": n_splits, "curves": curves, "std": stds,
        "all_features": {"mean": all_mean, "std": all_std}, "best_k": best_k,
        "truncated": truncated, "seconds": time.perf_counter() - start,
    }
