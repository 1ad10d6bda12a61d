"""Model-agnostic permutation importance."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["permutation_attribution"]


def _default_metric(model, task):
    from sklearn.metrics import accuracy_score, r2_score

    if task == "regression":
        return "r2", lambda m, X, y: r2_score(y, m.predict(X))
    return "accuracy", lambda m, X, y: accuracy_score(y, m.predict(X))


def permutation_attribution(model, X, y, *, task="auto", scoring=None, n_repeats=5,
                            max_rows=5000, random_state=0) -> dict:
    """Drop in a fitted model's score when each feature is shuffled.

    Works with any fitted model that has ``predict`` (Breiman 2001; Fisher et
    al. 2019, "model reliance"). Each column is permuted ``n_repeats`` times
    on (a seeded sample of at most ``max_rows`` of) the given rows -- pass
    held-out rows for an honest estimate -- and the importance is the mean
    fall of the score.

    Parameters
    ----------
    model : fitted estimator with ``predict``
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    task : {"auto", "classification", "regression"}, default="auto"
        Picks the default metric: accuracy or R^2.
    scoring : callable ``scoring(model, X, y) -> float`` (higher = better), default=None
    n_repeats : int, default=5
    max_rows : int, default=5000
    random_state : int, default=0

    Returns
    -------
    dict
        ``importances_mean`` and ``importances_std`` (ndarray of shape
        (n_features,)), ``importances`` (n_features, n_repeats), ``baseline``
        (the unshuffled score) and ``metric``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from featkit.attribution import permutation_attribution
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] + X[:, 1])
    >>> res = permutation_attribution(model, X, 2 * X[:, 0] + X[:, 1])
    >>> np.argsort(-res["importances_mean"]).tolist()
    [0, 1, 2]
    """
    from ..utils._task import infer_task

    if not hasattr(model, "predict"):
        raise InputError(f"{type(model).__name__} has no predict method.")
    if int(n_repeats) < 1:
        raise InputError(f"n_repeats must be >= 1, got {n_repeats}.")
    is_frame = hasattr(X, "iloc")
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    y = np.asarray(y)
    if y.shape[0] != n:
        raise InputError(f"X has {n} rows but y has {y.shape[0]}.")
    rng = np.random.RandomState(random_state)
    if n > max_rows:
        rows = np.sort(rng.choice(n, max_rows, replace=False))
        X = X.iloc[rows] if is_frame else np.asarray(X)[rows]
        y = y[rows]
        n = max_rows
    if scoring is None:
        metric, scoring = _default_metric(model, infer_task(y, task))
    else:
        metric = getattr(scoring, "__name__", "custom")
    X_work = X.copy() if is_frame else np.array(X, copy=True)
    baseline = float(scoring(model, X_work, y))
    d = X_work.shape[1]
    drops = np.zeros((d, int(n_repeats)))
    for j in range(d):
        original = X_work.iloc[:, j].copy() if is_frame else X_work[:, j].copy()
        for r in range(int(n_repeats)):
            perm = rng.permutation(n)
            if is_frame:
                X_work.iloc[:, j] = original.iloc[perm].to_numpy()
            else:
                X_work[:, j] = original[perm]
            drops[j, r] = baseline - float(scoring(model, X_work, y))
        if is_frame:
            X_work.iloc[:, j] = original.to_numpy()
        else:
            X_work[:, j] = original
    return {"importances_mean": drops.mean(axis=1), "importances_std": drops.std(axis=1),
            "importances": drops, "baseline": baseline, "metric": metric}
