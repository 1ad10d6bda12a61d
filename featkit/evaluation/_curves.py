"""Selection curves: cross-validated score of a fixed model vs number of top features kept,
with each ranking refitted inside the training folds (nested) where the caller can refit it."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ..exceptions import FeatkitError, InputError

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


def _fold_score(est, X, y, tr, te, metric):
    """Score of ``est`` trained on rows ``tr`` and scored on rows ``te``; None when undefined."""
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    model = clone(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny folds
        model.fit(X[tr], y[tr])
    if metric == "roc_auc":
        if np.unique(y[te]).size < 2:
            return None
        return float(roc_auc_score(y[te], model.predict_proba(X[te])[:, 1]))
    if metric == "accuracy":
        return float(accuracy_score(y[te], model.predict(X[te])))
    return float(r2_score(y[te], model.predict(X[te])))


def _mean_std(scores):
    scores = [s for s in scores if s is not None]
    if not scores:
        return float("nan"), float("nan")
    return float(np.mean(scores)), float(np.std(scores))


def _fold_rankings(refit, splits):
    """Each refitted method's ranking per fold, fitted on that fold's training rows only.

    A method whose refit fails on some fold (too few rows of a class, say) is
    reported with the error and falls back to its given ranking.
    """
    per_fold, errors = {}, {}
    for name, fit_on in refit.items():
        try:
            per_fold[name] = [np.asarray(fit_on(tr), dtype=float) for tr, _ in splits]
        except (FeatkitError, ValueError) as exc:
            errors[name] = str(exc)
    return per_fold, errors


def selection_curves(rankings: dict, X, y, *, task, ks=None, cv=3, model="linear",
                     random_state=0, time_budget=60.0, refit=None) -> dict:
    """Cross-validated score of one fixed model trained on each method's top-k features.

    The same folds and the same model are used for every method and every k,
    so the curves differ only by which features each method puts first. The
    model is a logistic regression / ridge on standardised columns
    (``model="linear"``) or a 50-tree random forest (``model="forest"``); the
    score is ROC AUC (binary), accuracy (multiclass) or R^2.

    A ranking that was fitted on the rows scored here has seen the held-out
    rows of every fold, so its curve is optimistic (on pure noise it can reach
    a perfect score). Methods named in ``refit`` get a *nested* curve
    instead: in each fold the ranking is refitted on the training rows only
    and its top k are scored on that fold's held-out rows.

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
        ``"truncated"``). Refitting the rankings in the folds is not counted against it.
    refit : dict of str -> callable, default=None
        For methods to evaluate nested: ``refit[name](train_rows)`` returns the
        method's ranking fitted on those rows (indices into ``X``) only. If it
        raises :class:`~featkit.exceptions.FeatkitError` or ``ValueError`` on
        any fold, the method falls back to ``rankings[name]`` and the error is
        reported in ``refit_errors``.

    Returns
    -------
    dict
        ``ks``, ``metric``, ``model``, ``cv``, ``curves`` (method -> list of mean
        scores, None where skipped), ``std`` (method -> list), ``all_features``
        (score with every feature), ``best_k`` (method -> the smallest k within
        one standard error of that method's best score), ``nested`` (method ->
        whether its ranking was refitted inside the folds), ``refit_errors``,
        ``n_test`` (held-out rows per fold), ``n_rows``, ``truncated``.

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
    >>> out["n_test"]
    [67, 67, 66]
    """
    if model not in CURVE_MODELS:
        raise InputError(f"model must be one of {CURVE_MODELS}, got {model!r}.")
    refit = dict(refit or {})
    unknown = sorted(set(refit) - set(rankings))
    if unknown:
        raise InputError(f"refit names methods without a ranking: {unknown}.")
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
    per_fold, refit_errors = _fold_rankings(refit, splits)
    # The budget counts this process's CPU time: on a shared machine, waiting for a core
    # should not cut the curves short.
    cpu_start = time.process_time()
    cache: dict = {}

    def fold_score(fold, cols):
        key = (fold, frozenset(int(c) for c in cols))
        if key not in cache:
            tr, te = splits[fold]
            cache[key] = _fold_score(est, X[:, sorted(key[1])], y, tr, te, metric)
        return cache[key]

    def orders(name):
        # One feature order per fold: the refitted ones differ, a fixed ranking is shared.
        ranks = per_fold.get(name) or [np.asarray(rankings[name], dtype=float)] * len(splits)
        return [np.argsort(r, kind="stable") for r in ranks]

    # Many small fits: BLAS threads only add contention (and CPU time against the budget).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        out = _run_curves({name: orders(name) for name in rankings}, d, ks, len(splits),
                          fold_score, cpu_start, time_budget)
    out.update({
        "ks": ks, "metric": metric, "model": model, "cv": len(splits),
        "nested": {name: name in per_fold for name in rankings}, "refit_errors": refit_errors,
        "n_test": [int(te.size) for _, te in splits], "n_rows": int(X.shape[0]),
        "seconds": time.perf_counter() - start,
    })
    return out


def _run_curves(orders, d, ks, n_splits, fold_score, cpu_start, time_budget):
    all_mean, all_std = _mean_std([fold_score(f, range(d)) for f in range(n_splits)])
    curves = {name: [None] * len(ks) for name in orders}
    stds = {name: [None] * len(ks) for name in orders}
    truncated = False
    for i, k in enumerate(ks):
        if time.process_time() - cpu_start > time_budget:
            truncated = True
            break
        for name, fold_orders in orders.items():
            m, s = _mean_std([fold_score(f, o[:k]) for f, o in enumerate(fold_orders)])
            curves[name][i], stds[name][i] = m, s
    from ._choose_k import one_standard_error_k

    best_k = {}
    for name in orders:
        means = [np.nan if m is None else m for m in curves[name]]
        if np.isfinite(means).any():
            # the rule of n_features_to_select="cv": the standard error over the folds
            errors = [np.nan if s is None else s / np.sqrt(max(n_splits, 1)) for s in stds[name]]
            best_k[name] = one_standard_error_k(ks, means, errors)
    return {"curves": curves, "std": stds, "all_features": {"mean": all_mean, "std": all_std},
            "best_k": best_k, "truncated": truncated}
