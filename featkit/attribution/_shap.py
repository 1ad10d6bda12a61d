"""SHAP values for a fitted model: native TreeSHAP for xgboost / LightGBM, ``shap`` otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import InputError, missing_extra

__all__ = ["ShapValues", "shap_values"]


@dataclass
class ShapValues:
    """Per-row SHAP values and the expected value they are measured from.

    Attributes
    ----------
    values : ndarray of shape (n_rows, n_features) or (n_rows, n_features, n_outputs)
        The contribution of each feature to each row's raw prediction
        (log-odds for boosted classifiers, the margin / prediction otherwise).
        Multi-output models (multiclass) have a trailing output axis.
    base_values : ndarray of shape (n_rows,) or (n_rows, n_outputs)
        ``values.sum(axis=1) + base_values`` is the model's raw output.
    interactions : ndarray of shape (n_rows, n_features, n_features[, n_outputs]) or None
        SHAP interaction values, when asked for (xgboost native, or ``shap``).
    method : str
        Which path computed them ("xgboost", "lightgbm", "linear", "kernel", "tree").
    """

    values: np.ndarray
    base_values: np.ndarray
    interactions: np.ndarray | None = None
    method: str = ""


def _kind(model) -> str:
    mod = type(model).__module__.split(".")[0]
    if mod == "xgboost":
        return "xgboost"
    if mod == "lightgbm":
        return "lightgbm"
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):
        return "linear"
    return "other"


def _split_bias(contrib: np.ndarray, n_outputs: int):
    """Native contribution matrices put the bias in the last column of each output block."""
    n = contrib.shape[0]
    if n_outputs == 1:
        contrib = contrib.reshape(n, -1)
        return contrib[:, :-1], contrib[:, -1]
    blocks = contrib.reshape(n, n_outputs, -1)  # (n, k, d+1)
    return np.moveaxis(blocks[:, :, :-1], 1, 2), blocks[:, :, -1]


def _xgboost_shap(model, X, interactions):
    import xgboost as xgb

    booster = model.get_booster() if hasattr(model, "get_booster") else model
    data = X if isinstance(X, xgb.DMatrix) else xgb.DMatrix(X, enable_categorical=True)
    best = getattr(booster, "best_iteration", None)
    kwargs = {"iteration_range": (0, best + 1)} if best is not None else {}
    contrib = np.asarray(booster.predict(data, pred_contribs=True, **kwargs), dtype=np.float64)
    # xgboost returns (n, d+1) for one output and (n, k, d+1) for k outputs.
    n_outputs = 1 if contrib.ndim == 2 else contrib.shape[1]
    values, base = _split_bias(contrib, n_outputs)
    inter = None
    if interactions:
        raw = np.asarray(booster.predict(data, pred_interactions=True, **kwargs), dtype=np.float64)
        if raw.ndim == 3:  # (n, d+1, d+1)
            inter = raw[:, :-1, :-1]
        else:  # (n, k, d+1, d+1)
            inter = np.moveaxis(raw[:, :, :-1, :-1], 1, 3)
    return ShapValues(values, base, inter, "xgboost")


def _lightgbm_shap(model, X, interactions):
    booster = model.booster_ if hasattr(model, "booster_") else model
    best = getattr(booster, "best_iteration", 0) or None
    contrib = np.asarray(booster.predict(X, pred_contrib=True, num_iteration=best), dtype=np.float64)
    n_outputs = booster.num_model_per_iteration()
    values, base = _split_bias(contrib, n_outputs)
    inter = None
    if interactions:
        # LightGBM has no native interaction values; shap's TreeExplainer reads its trees,
        # but only for numeric splits.
        if hasattr(X, "dtypes") and any(str(t) == "category" for t in X.dtypes):
            raise InputError(
                "SHAP interaction values of a LightGBM model with categorical columns are not "
                "available; use model='xgboost' for interactions.")
        explainer = _shap_module().TreeExplainer(booster)
        raw = np.asarray(explainer.shap_interaction_values(X), dtype=np.float64)
        if n_outputs > 1 and raw.shape[0] == n_outputs and raw.ndim == 4:  # list-of-classes layout
            raw = np.moveaxis(raw, 0, -1)
        inter = raw
    return ShapValues(values, base, inter, "lightgbm")


def _shap_module():
    try:
        import shap
    except ImportError:
        raise missing_extra("shap", "boost", "SHAP values for this model") from None
    return shap


def _as_array(values, base, n_rows):
    values = np.asarray(values, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    if base.ndim == 0:
        base = np.full(n_rows, float(base))
    elif base.ndim == 1 and values.ndim == 3 and base.shape[0] == values.shape[2]:
        base = np.tile(base, (n_rows, 1))
    return values, base


def shap_values(model, X, *, background=None, interactions=False, max_background=100,
                kernel_nsamples="auto", random_state=0) -> ShapValues:
    """SHAP values of a fitted model on the rows of ``X``.

    Gradient-boosted models from xgboost and LightGBM use their own C++
    TreeSHAP (``pred_contribs=True`` / ``pred_contrib=True``); linear models
    (anything with ``coef_`` and ``intercept_``) use ``shap.LinearExplainer``
    with an interventional background; any other model uses
    ``shap.KernelExplainer`` on ``predict_proba`` (classifiers) or ``predict``,
    with a background sample of at most ``max_background`` rows -- Kernel SHAP
    is slow, so pass a small ``X``.

    Parameters
    ----------
    model : fitted xgboost / LightGBM model (Booster or scikit-learn wrapper),
        fitted linear model, or any fitted model with ``predict``.
    X : array-like or DataFrame of shape (n_rows, n_features)
        The rows to explain.
    background : array-like, default=None
        Rows that define "feature absent" for linear / kernel SHAP (default: a
        sample of ``X``). Tree models do not need one (path-dependent TreeSHAP).
    interactions : bool, default=False
        Also compute SHAP interaction values (tree models only).
    max_background : int, default=100
    kernel_nsamples : int or "auto", default="auto"
        Coalitions evaluated per row by Kernel SHAP.
    random_state : int, default=0

    Returns
    -------
    ShapValues
        ``values`` (rows x features [x outputs]) and ``base_values`` such that
        ``values.sum(axis=1) + base_values`` equals the raw prediction.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from featkit.attribution import shap_values
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(50, 3))
    >>> model = LinearRegression().fit(X, X @ [1.0, 2.0, 0.0])
    >>> sv = shap_values(model, X[:5], background=X)
    >>> bool(np.allclose(sv.values.sum(axis=1) + sv.base_values, model.predict(X[:5])))
    True
    """
    kind = _kind(model)
    if kind == "xgboost":
        return _xgboost_shap(model, X, interactions)
    if kind == "lightgbm":
        return _lightgbm_shap(model, X, interactions)
    if interactions:
        raise InputError("SHAP interaction values are available for tree models only.")
    shap = _shap_module()
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[0] == 0:
        raise InputError(f"X must be a non-empty 2-d table, got shape {Xa.shape}.")
    bg = Xa if background is None else np.asarray(background, dtype=np.float64)
    if bg.shape[0] > max_background:
        rng = np.random.RandomState(random_state)
        bg = bg[rng.choice(bg.shape[0], max_background, replace=False)]
    if kind == "linear":
        explainer = shap.LinearExplainer(model, bg)
        out = explainer(Xa)
        values, base = _as_array(out.values, out.base_values, Xa.shape[0])
        return ShapValues(values, base, None, "linear")
    predict = getattr(model, "predict_proba", None) or getattr(model, "predict", None)
    if predict is None:
        raise InputError(f"{type(model).__name__} has neither predict_proba nor predict.")
    explainer = shap.KernelExplainer(predict, bg, seed=random_state) if "seed" in \
        shap.KernelExplainer.__init__.__code__.co_varnames else shap.KernelExplainer(predict, bg)
    raw = explainer.shap_values(Xa, nsamples=kernel_nsamples, silent=True)
    if isinstance(raw, list):  # older shap: one array per output
        raw = np.stack(raw, axis=-1)
    values, base = _as_array(raw, explainer.expected_value, Xa.shape[0])
    return ShapValues(values, base, None, "kernel")
