"""xgboost as a backend of :class:`featkit.selection.GradientBoostingRanker`.

The parameters mirror the LightGBM backend's (leaf-wise trees with at most
``max_leaf_nodes`` leaves, the same learning rate, rounds and column sampling),
so that ``backend="xgboost"`` ranks by the same kind of model. The same
builder serves the in-memory fit and the Dask fit (``xgboost.dask``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["xgboost_params", "xgboost_model", "total_gain"]


def xgboost_params(*, n_estimators, learning_rate, max_leaf_nodes, seed, max_features, n_jobs=None) -> dict:
    """Keyword arguments of ``XGBClassifier`` / ``XGBRegressor`` (and their Dask twins).

    Examples
    --------
    >>> p = xgboost_params(n_estimators=10, learning_rate=0.1, max_leaf_nodes=31, seed=0, max_features=1.0)
    >>> p["grow_policy"], p["max_leaves"], p["max_depth"]
    ('lossguide', 31, 0)
    """
    params = {
        "n_estimators": int(n_estimators), "learning_rate": float(learning_rate),
        # leaf-wise growth capped by leaves, as LightGBM's num_leaves (depth unbounded)
        "grow_policy": "lossguide", "max_leaves": int(max_leaf_nodes), "max_depth": 0,
        "tree_method": "hist", "colsample_bytree": float(max_features), "random_state": int(seed),
        "importance_type": "total_gain", "verbosity": 0,
    }
    if n_jobs is not None:
        params["n_jobs"] = int(n_jobs)
    return params


def xgboost_model(task, **kwargs):
    """An unfitted ``XGBClassifier`` / ``XGBRegressor`` with :func:`xgboost_params`."""
    try:
        import xgboost
    except ImportError:
        from ..exceptions import missing_extra

        raise missing_extra("xgboost", "boost", "backend='xgboost'") from None
    cls = xgboost.XGBClassifier if task == "classification" else xgboost.XGBRegressor
    return cls(**xgboost_params(**kwargs))


def total_gain(booster, n_features: int) -> np.ndarray:
    """Total split gain of each feature of an xgboost ``Booster`` (0 for a feature never split on).

    xgboost keys its scores by feature name: ``f0 .. f{d-1}`` when it was trained on
    an array, the column names when on a frame (then in the booster's column order).

    Examples
    --------
    >>> import numpy as np, xgboost
    >>> X = np.random.RandomState(0).normal(size=(200, 3)); y = X[:, 1] > 0
    >>> model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    >>> int(np.argmax(total_gain(model.get_booster(), 3)))
    1
    """
    scores = booster.get_score(importance_type="total_gain")
    names = booster.feature_names or [f"f{j}" for j in range(n_features)]
    return np.array([float(scores.get(name, 0.0)) for name in names], dtype=np.float64)
