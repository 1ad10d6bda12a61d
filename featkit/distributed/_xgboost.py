"""xgboost on the cluster: gradient-boosting gain and TreeSHAP importances through ``xgboost.dask``.

``xgboost.dask`` trains one model data-parallel: each worker builds gradient
histograms of the rows it holds, the quantile sketches and histograms are merged
over xgboost's collective (Rabit), and every worker grows the same trees. The
SHAP values come from ``xgboost.dask.predict(..., pred_contribs=True)``: each
partition is explained where it lives and only the per-feature sums of |SHAP|
travel to the client. Like ``lightgbm.dask`` this is not out-of-core: the
workers hold their rows (and xgboost's quantised copy) while it trains.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from types import SimpleNamespace

import numpy as np

from ..exceptions import InputError

__all__ = ["train_xgboost", "shap_importance_dask", "DaskShapImportance", "attribution_on_cluster"]


def _xgboost_dask():
    try:
        import xgboost.dask as xgb_dask
    except ImportError as exc:
        raise InputError(f"xgboost.dask cannot be imported here ({exc}): pip install \"featkit[boost]\", "
                         "or rank the Dask table with rank_features(ddf, ...), which fits on a sample.") from None
    return xgb_dask


@contextlib.contextmanager
def _quiet():
    # xgboost.dask logs its tracker and warns about the threads it sets per worker: the
    # CLI's stdout is the ranking, and those say nothing the user can act on (xgboost.dask
    # sends the client's config_context to the workers)
    import xgboost

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            xgboost.config_context(verbosity=0):
        warnings.simplefilter("ignore", UserWarning)
        yield


def _feature_types(d, categorical):
    kinds = ["q"] * d
    for j in categorical:
        kinds[j] = "c"
    return kinds


def train_xgboost(client, est, Xa, ya, categorical):
    """Train a :class:`~featkit.selection.GradientBoostingRanker`'s model with ``xgboost.dask``.

    Parameters
    ----------
    client : distributed.Client
    est : GradientBoostingRanker
        Its parameters (:func:`featkit.selection._xgboost_model.xgboost_params`) and ``task_``.
    Xa, ya : dask arrays
        Rows of float64 features (category codes for ``categorical``, NaN missing) and
        the target (class codes or values), row-aligned.
    categorical : list of int
        Columns xgboost splits on as categories.

    Returns
    -------
    (xgboost.Booster, ndarray)
        The trained booster (in-memory) and the total gain of each column of ``Xa``.
    """
    from ..selection._boosting import _seed
    from ..selection._xgboost_model import total_gain, xgboost_params

    xgb_dask = _xgboost_dask()
    d = int(Xa.shape[1])
    params = xgboost_params(n_estimators=est.n_estimators, learning_rate=est.learning_rate,
                            max_leaf_nodes=est.max_leaf_nodes, seed=_seed(est.random_state),
                            max_features=est.max_features)
    cls = xgb_dask.DaskXGBClassifier if est.task_ == "classification" else xgb_dask.DaskXGBRegressor
    model = cls(**params, feature_types=_feature_types(d, categorical),
                enable_categorical=bool(categorical))
    model.client = client
    with _quiet():
        model.fit(Xa, ya)
    booster = model.get_booster()
    return booster, total_gain(booster, d)


class DaskShapImportance:
    """Mean |SHAP| and total gain of an xgboost model trained on every row of a Dask table.

    Attributes
    ----------
    features : list of str
    shap : ndarray of shape (n_features,)
        Mean |SHAP value| over all rows (summed over classes for a multiclass model).
    gain : ndarray of shape (n_features,)
        Total split gain.
    n_rows : int
    n_estimators : int
    booster : xgboost.Booster
    seconds : float
    """

    def __init__(self, features, shap, gain, n_rows, n_estimators, booster, seconds):
        self.features, self.shap, self.gain = features, shap, gain
        self.n_rows, self.n_estimators, self.booster, self.seconds = n_rows, n_estimators, booster, seconds


def _abs_sum(block):
    """Sum over rows of |contribution| of one partition's SHAP block, bias column dropped."""
    values = np.abs(np.asarray(block)[..., :-1])
    out = values.sum(axis=0)
    return out.sum(axis=0) if out.ndim == 2 else out  # (classes, d) -> (d,)


def shap_importance_dask(X, y, *, task, n_estimators, random_state=0):
    """TreeSHAP importance of xgboost on every row of a Dask table, computed on the cluster.

    The model's parameters are those of :func:`featkit.attribution.model_attribution`
    with ``model="xgboost"``; its number of rounds is given (the one early stopping
    chose on a sample), as the cluster has no held-out split. SHAP values are
    xgboost's own TreeSHAP (``pred_contribs=True``), per partition on the workers;
    the client receives one vector of |SHAP| sums per partition.

    Parameters
    ----------
    X : dask DataFrame
        Numeric, text and categorical columns (text / categorical become category
        codes that xgboost splits as categories).
    y : dask Series, aligned with ``X``
    task : {"classification", "regression"}
    n_estimators : int
        Boosting rounds.
    random_state : int, default=0

    Returns
    -------
    DaskShapImportance
    """
    import dask

    from ..attribution._model import _LEARNING_RATE
    from ._batches import partition_lengths
    from ._boosting import _check_memory, _client, _column_kinds, _levels, _training_arrays
    from ._driver import compute
    from ._fit import _target_task

    xgb_dask = _xgboost_dask()
    client = _client()
    start = time.perf_counter()
    names, categorical = _column_kinds(X)
    if names is None:
        raise InputError("TreeSHAP on Dask takes a Dask DataFrame (named columns), not an array.")
    n_rows = int(partition_lengths(X).sum())
    _check_memory(client, n_rows, len(names))
    task, classes = _target_task(SimpleNamespace(task=task), y)
    Xa, ya = _training_arrays(X, y, names, _levels(X, names, categorical), classes)
    n_classes = 0 if classes is None else classes.size
    params = {
        "objective": "reg:squarederror" if task == "regression" else (
            "binary:logistic" if n_classes == 2 else "multi:softprob"),
        "eta": _LEARNING_RATE, "max_depth": 6, "colsample_bytree": 0.9, "tree_method": "hist",
        "max_cat_to_onehot": 4, "seed": int(random_state), "verbosity": 0,
    }
    if n_classes > 2:
        params["num_class"] = int(n_classes)
    with _quiet():
        dtrain = xgb_dask.DaskDMatrix(client, Xa, ya, feature_types=_feature_types(len(names), categorical),
                                      enable_categorical=bool(categorical))
        booster = xgb_dask.train(client, params, dtrain, num_boost_round=int(n_estimators))["booster"]
        contribs = xgb_dask.predict(client, booster, dtrain, pred_contribs=True)
    # one |SHAP| sum per partition, added up on the client: no row's values travel
    sums = [dask.delayed(_abs_sum, pure=True)(block) for block in contribs.to_delayed().ravel()]
    total = np.sum(compute(dask.delayed(list, pure=True)(sums)), axis=0)
    from ..selection._xgboost_model import total_gain

    return DaskShapImportance(list(names), total / max(n_rows, 1), total_gain(booster, len(names)),
                              n_rows, int(n_estimators), booster, time.perf_counter() - start)


def attribution_on_cluster(result, X, y, random_state=0) -> list:
    """Refit ``--model xgboost``'s importances of a ranking on every row of the Dask table.

    ``rank_features`` computed them on the client's sample; the model is trained
    again with ``xgboost.dask`` on all rows (as many rounds as early stopping chose
    on the sample) and its mean |SHAP| and total gain replace the ``xgboost_shap`` /
    ``xgboost_gain`` methods and the attribution section's importances. The
    section's per-row SHAP values for the plots stay those of the sample.
    Returns the names of the methods replaced.
    """
    from ..base import degenerate_reason, ranking_from_scores

    section = result.sections.attribution
    if section is None or section.model != "xgboost":
        return []
    if list(section.features) != list(X.columns):
        raise InputError("the attribution's features are not the ranked columns")
    imp = shap_importance_dask(X, y, task=result.task, n_estimators=section.n_estimators or 100,
                               random_state=random_state)
    replaced = []
    for key, values in (("shap", imp.shap), ("gain", imp.gain)):
        method = result.methods.get(f"xgboost_{key}")
        if method is None:
            continue
        method.scores, method.ranking = values, ranking_from_scores(values)
        method.seconds, method.degenerate = imp.seconds, degenerate_reason(values)
        replaced.append(method.name)
    section.importances = {"shap": imp.shap.tolist(), "gain": imp.gain.tolist()}
    result.notes.append(f"xgboost attribution: trained with xgboost.dask on all {imp.n_rows:,} rows "
                        f"({imp.n_estimators} rounds, chosen by early stopping on the sample); mean |SHAP| over "
                        "every row from xgboost.dask.predict(pred_contribs=True); the plots' rows are the sample's.")
    return replaced
