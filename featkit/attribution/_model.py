"""Train a default gradient-boosted model and explain it: TreeSHAP and gain importance."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._constants import ATTRIBUTION_MODELS
from ..exceptions import InputError, missing_extra
from ..utils._sampling import held_out_split
from ..utils._task import check_target, infer_task

__all__ = ["AttributionResult", "model_attribution", "MODELS"]

MODELS = ATTRIBUTION_MODELS

# Boosting rounds are capped; early stopping on the held-out rows picks the number.
_MAX_ROUNDS = 1000
_EARLY_STOPPING = 50
_LEARNING_RATE = 0.05
# Below this many cells one thread is used: OpenMP threads on a busy machine cost far more
# than they save (LightGBM on 20,000 x 100 took 295 s with all threads vs 34 s with one
# on a loaded 2-core machine).
_SINGLE_THREAD_CELLS = 20_000_000


def _threads(frame) -> int:
    return 1 if frame.shape[0] * frame.shape[1] < _SINGLE_THREAD_CELLS else 0


@dataclass
class AttributionResult:
    """What :func:`model_attribution` found.

    Attributes
    ----------
    model : str
        "lightgbm" or "xgboost".
    task : str
    features : list of str
    importances : dict of str -> ndarray of shape (n_features,)
        ``"shap"``: mean |SHAP value| over the explained rows (summed over
        classes for a multiclass model); ``"gain"``: total split gain.
    shap_values : ndarray of shape (n_rows_explained, n_features)
        Per-row SHAP values kept for plots; for a multiclass model, those of
        ``shap_class`` (the class with the largest mean |SHAP|).
    feature_values : ndarray of shape (n_rows_explained, n_features)
        The explained rows' values as numbers (category codes for categoricals;
        NaN where missing), for colouring and dependence plots.
    base_value : float
        Expected raw output the SHAP values are measured from.
    shap_class : str or None
    interactions : ndarray of shape (n_features, n_features) or None
        Mean |SHAP interaction value| when asked for.
    metric : str
        Held-out metric ("roc_auc", "accuracy" or "r2").
    score : float
        Held-out score of the model.
    n_estimators : int
        Boosting rounds kept by early stopping.
    n_held_out : int
        Rows the score was measured on (the same rows chose the early-stopping round).
    params : dict
        The model parameters.
    seconds : dict
        "fit" and "shap" wall times.
    model_ : object
        The fitted booster (not serialised). It was trained on columns renamed
        ``f0 .. f{d-1}`` (the boosters reject some characters in names), so
        pass it frames with those names or plain arrays.
    """

    model: str
    task: str
    features: list
    importances: dict
    shap_values: np.ndarray
    feature_values: np.ndarray
    base_value: float
    shap_class: str | None = None
    interactions: np.ndarray | None = None
    metric: str = ""
    score: float = float("nan")
    n_estimators: int = 0
    n_held_out: int = 0
    params: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    model_: object = None

    def to_section(self, max_rows: int = 500) -> dict:
        """A JSON-ready summary for ``RankingResult.sections.attribution``
        (:class:`featkit.sections.AttributionSection`).

        Keeps at most ``max_rows`` explained rows, enough for the report's
        beeswarm and dependence plots.
        """
        n = self.shap_values.shape[0]
        rows = np.arange(n)
        if n > max_rows:
            rows = np.sort(np.random.RandomState(0).choice(n, max_rows, replace=False))
        out = {
            "model": self.model,
            "task": self.task,
            "features": list(self.features),
            "importances": {k: np.asarray(v, dtype=float).tolist() for k, v in self.importances.items()},
            "shap_values": self.shap_values[rows].round(6).tolist(),
            "feature_values": _rounded(self.feature_values[rows]),
            "base_value": float(self.base_value),
            "shap_class": self.shap_class,
            "metric": self.metric,
            "score": None if not np.isfinite(self.score) else float(self.score),
            "n_estimators": int(self.n_estimators),
            "n_held_out": int(self.n_held_out),
            "params": {k: v for k, v in self.params.items() if isinstance(v, (int, float, str, bool))},
            "seconds": dict(self.seconds),
            "categories": self.categories,
        }
        if self.interactions is not None:
            out["interactions"] = np.asarray(self.interactions).round(6).tolist()
        return out


def _rounded(a):
    a = np.asarray(a, dtype=np.float64).round(6)
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]


def _prepare_frame(X):
    """A DataFrame with numeric columns as float and text / category columns as pandas category."""
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(f"X must be a 2-d table, got shape {arr.shape}.")
        X = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    out = {}
    categories = {}
    for name in X.columns:
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = col
        elif col.dtype.kind in "biuf":
            out[name] = col.astype(np.float64)
        elif col.dtype.kind == "M":
            out[name] = col.astype("int64").astype(np.float64)
        else:
            out[name] = col.astype("string").astype("category")
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            categories[str(name)] = [str(c) for c in out[name].cat.categories]
    frame = pd.DataFrame(out, index=X.index)
    frame.columns = [str(c) for c in frame.columns]
    return frame, categories


def _safe_names(frame):
    """Positional column names for the boosters: LightGBM rejects JSON special characters
    in feature names and xgboost rejects '[', ']' and '<'; the caller keeps the real names."""
    safe = frame.copy(deep=False)
    safe.columns = [f"f{i}" for i in range(frame.shape[1])]
    return safe


def _numeric_values(frame) -> np.ndarray:
    import pandas as pd

    cols = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            cols.append(codes)
        else:
            cols.append(col.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.column_stack(cols) if cols else np.empty((len(frame), 0))


def _score(task, n_classes, y_true, raw):
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    if task == "regression":
        return "r2", float(r2_score(y_true, raw))
    if n_classes == 2:
        if np.unique(y_true).size < 2:
            return "roc_auc", float("nan")
        return "roc_auc", float(roc_auc_score(y_true, raw))
    return "accuracy", float(accuracy_score(y_true, np.argmax(raw, axis=1)))


def _fit_lightgbm(frame, y, task, n_classes, tr, va, random_state):
    try:
        import lightgbm as lgb
    except ImportError:
        raise missing_extra("lightgbm", "boost", "--model lightgbm") from None
    n_train = len(tr)
    params = {
        "objective": "regression" if task == "regression" else ("binary" if n_classes == 2 else "multiclass"),
        "learning_rate": _LEARNING_RATE,
        "num_leaves": 31,
        # Small tables need smaller leaves, or LightGBM stops splitting at once.
        "min_data_in_leaf": int(max(2, min(20, n_train // 20))),
        "feature_fraction": 0.9,
        "seed": int(random_state),
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": _threads(frame),
        "verbosity": -1,
    }
    if task == "classification" and n_classes > 2:
        params["num_class"] = int(n_classes)
    dtrain = lgb.Dataset(frame.iloc[tr], label=y[tr], categorical_feature="auto", free_raw_data=False)
    dvalid = lgb.Dataset(frame.iloc[va], label=y[va], reference=dtrain)
    booster = lgb.train(params, dtrain, num_boost_round=_MAX_ROUNDS, valid_sets=[dvalid],
                        callbacks=[lgb.early_stopping(_EARLY_STOPPING, verbose=False)])
    rounds = booster.best_iteration or booster.current_iteration()
    raw = booster.predict(frame.iloc[va], raw_score=True, num_iteration=rounds)
    gain = booster.feature_importance(importance_type="gain", iteration=rounds).astype(np.float64)
    return booster, params, rounds, raw, gain


def _fit_xgboost(frame, y, task, n_classes, tr, va, random_state):
    try:
        import xgboost as xgb
    except ImportError:
        raise missing_extra("xgboost", "boost", "--model xgboost") from None
    params = {
        "objective": "reg:squarederror" if task == "regression" else (
            "binary:logistic" if n_classes == 2 else "multi:softprob"),
        "eta": _LEARNING_RATE,
        "max_depth": 6,
        "subsample": 1.0,
        "colsample_bytree": 0.9,
        "tree_method": "hist",
        "max_cat_to_onehot": 4,
        "seed": int(random_state),
        "nthread": _threads(frame),
        "verbosity": 0,
    }
    if task == "classification" and n_classes > 2:
        params["num_class"] = int(n_classes)
    dtrain = xgb.DMatrix(frame.iloc[tr], label=y[tr], enable_categorical=True)
    dvalid = xgb.DMatrix(frame.iloc[va], label=y[va], enable_categorical=True)
    booster = xgb.train(params, dtrain, num_boost_round=_MAX_ROUNDS, evals=[(dvalid, "valid")],
                        early_stopping_rounds=_EARLY_STOPPING, verbose_eval=False)
    rounds = booster.best_iteration + 1
    raw = booster.predict(dvalid, output_margin=True, iteration_range=(0, rounds))
    scores = booster.get_score(importance_type="total_gain")
    gain = np.array([float(scores.get(f, 0.0)) for f in frame.columns])
    return booster, params, rounds, raw, gain


def model_attribution(X, y, *, task, model="lightgbm", random_state=0, interactions=False,
                      max_rows_shap=2000) -> AttributionResult:
    """Train a default gradient-boosted model on ``X, y`` and attribute its predictions.

    The model is LightGBM or xgboost with a small learning rate (0.05) and the
    number of boosting rounds chosen by early stopping (50 rounds of patience)
    on 20% of the rows held out (stratified for classification). Categorical
    columns (pandas ``category`` dtype, or text) are passed as categories, which
    both libraries split on natively. SHAP values come from the libraries' own
    TreeSHAP (path-dependent, exact for the trees) on a seeded sample of at most
    ``max_rows_shap`` rows; the global importance is the mean |SHAP value|.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    task : {"classification", "regression", "auto"}
    model : {"lightgbm", "xgboost"}, default="lightgbm"
    random_state : int, default=0
    interactions : bool, default=False
        Also compute mean |SHAP interaction values| (native for xgboost,
        through ``shap`` for LightGBM; costs about n_features times more).
    max_rows_shap : int, default=2000

    Returns
    -------
    AttributionResult

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.attribution import model_attribution
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = 3 * X[:, 0] + X[:, 1] + 0.1 * rng.normal(size=300)
    >>> res = model_attribution(X, y, task="regression", model="xgboost")
    >>> int(np.argmax(res.importances["shap"]))
    0
    """
    if model not in MODELS:
        raise InputError(f"model must be one of {MODELS}, got {model!r}.")
    named, categories = _prepare_frame(X)
    frame = _safe_names(named)
    n, d = frame.shape
    if d == 0:
        raise InputError("model_attribution needs at least one feature column.")
    if n < 10:
        raise InputError(f"model_attribution needs at least 10 rows, got {n}.")
    y = np.asarray(y)
    if y.shape[0] != n:
        raise InputError(f"X has {n} rows but y has {y.shape[0]}.")
    task = infer_task(y, task)
    y_fit, classes = check_target(y, task)
    n_classes = 0 if classes is None else len(classes)
    tr, va = held_out_split(n, y_fit, 0.2, random_state, task == "classification")

    start = time.perf_counter()
    fit = _fit_lightgbm if model == "lightgbm" else _fit_xgboost
    booster, params, rounds, raw_valid, gain = fit(frame, y_fit, task, n_classes, tr, va, random_state)
    fit_seconds = time.perf_counter() - start
    metric, score = _score(task, n_classes, y_fit[va], raw_valid)

    rows = np.arange(n)
    if n > max_rows_shap:
        rows = np.sort(np.random.RandomState(random_state).choice(n, max_rows_shap, replace=False))
    sample = frame.iloc[rows]
    start = time.perf_counter()
    from ._shap import shap_values

    sv = shap_values(booster, sample, interactions=interactions)
    shap_seconds = time.perf_counter() - start

    values = sv.values
    shap_class = None
    if values.ndim == 3:  # multiclass: (rows, features, classes)
        per_class = np.abs(values).mean(axis=0)  # (features, classes)
        importance = per_class.sum(axis=1)
        k = int(np.argmax(per_class.sum(axis=0)))
        shap_class = str(classes[k])
        plot_values = values[:, :, k]
        base = float(np.mean(sv.base_values[:, k]))
    else:
        importance = np.abs(values).mean(axis=0)
        plot_values = values
        base = float(np.mean(sv.base_values))
    inter = None
    if sv.interactions is not None:
        ia = np.abs(sv.interactions)
        inter = ia.mean(axis=0) if ia.ndim == 3 else ia.mean(axis=0).sum(axis=-1)

    return AttributionResult(
        model=model, task=task, features=list(named.columns),
        importances={"shap": importance, "gain": gain},
        shap_values=plot_values, feature_values=_numeric_values(sample), base_value=base,
        shap_class=shap_class, interactions=inter, metric=metric, score=score,
        n_estimators=int(rounds), n_held_out=int(len(va)), params=params,
        seconds={"fit": fit_seconds, "shap": shap_seconds}, categories=categories, model_=booster,
    )
