"""Gradient-boosting gain importance trained on the cluster through ``lightgbm.dask``.

LightGBM's Dask estimators train one model data-parallel: each worker builds
histograms of the rows it holds and the workers merge them over LightGBM's own
sockets, so every row counts and no row travels to the client. Unlike the
reduction kernels this is not out-of-core: each worker holds its share of the
rows in memory while it trains, so a table larger than the cluster's memory is
refused (and :func:`featkit.distributed.rank_dask` keeps the method on its sample).
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from ..exceptions import InputError
from ._batches import partition_lengths
from ._driver import compute, import_dask

__all__ = ["fit_boosting", "training_bytes"]

_TARGET = "__featkit_target__"
# Raw float64 rows + LightGBM's concatenated copy + its binned Dataset: about three
# copies of a worker's share live at once while it trains.
_COPIES = 3


def _client():
    try:
        from distributed import default_client

        return default_client()
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise ImportError('The Dask engine needs distributed: pip install "featkit[dask]"') from None
    except ValueError:
        raise InputError("Gradient boosting on a Dask collection trains on a Dask cluster: open a "
                         "distributed.Client first (featkit.distributed.dask_client).") from None


def _lightgbm_dask():
    try:
        import lightgbm.dask as lgb_dask
    except ImportError as exc:
        raise InputError(f"lightgbm.dask cannot be imported here ({exc}); rank the Dask table with "
                         "rank_features(ddf, ...), which fits gradient_boosting on a sample, or "
                         "install xgboost for backend='xgboost'.") from None
    return lgb_dask


def dask_backend(backend: str) -> str:
    """The library that trains on the cluster: ``"lightgbm"`` (``lightgbm.dask``) or ``"xgboost"``.

    ``"auto"`` takes ``lightgbm.dask`` and falls back to ``xgboost.dask`` when it
    cannot be imported; scikit-learn's model has no distributed form.
    """
    if backend == "sklearn":
        raise InputError("GradientBoostingRanker(backend='sklearn') has no distributed form; the Dask "
                         "engine trains LightGBM or xgboost (backend='auto', 'lightgbm' or 'xgboost').")
    if backend != "auto":
        return backend
    try:
        import lightgbm.dask  # noqa: F401
    except ImportError:
        try:
            import xgboost.dask  # noqa: F401
        except ImportError:
            _lightgbm_dask()  # says what is missing
        return "xgboost"
    return "lightgbm"


def training_bytes(n_rows: int, n_columns: int) -> int:
    """Bytes the workers hold together while LightGBM trains on ``n_rows`` x ``n_columns``.

    Examples
    --------
    >>> training_bytes(1_000_000, 49) // 2**20
    1144
    """
    return _COPIES * 8 * int(n_rows) * (int(n_columns) + 1)


def _check_memory(client, n_rows, d):
    """Refuse when a worker's share of LightGBM's copies would not fit beside what it already holds.

    A worker holds ~350 MiB before any data (its libraries) and Dask pauses it at 80% of its
    limit: the room is what is left of that 80%, and the rows are dealt about evenly, so the
    worker with the least room decides (a 500,000-row table passed the old check against the
    limits alone and LightGBM's workers were killed for memory).
    """
    workers = list(client.scheduler_info()["workers"].values())
    limits = [w.get("memory_limit") or 0 for w in workers]
    if not limits or not all(limits):
        return
    used = [int((w.get("metrics") or {}).get("memory") or 0) for w in workers]
    room = min(0.8 * limit - u for limit, u in zip(limits, used))
    need = training_bytes(n_rows, d)
    if need / len(limits) > room:
        raise InputError(f"lightgbm.dask holds the rows in the workers' memory while it trains: about "
                         f"{need / 2**20:,.0f} MiB for {n_rows:,} rows x {d} columns, and the {len(limits)} "
                         f"worker(s) have {sum(limits) / 2**20:,.0f} MiB in all, "
                         f"{max(room, 0) * len(limits) / 2**20:,.0f} MiB of it free below Dask's pause "
                         "threshold. Add workers or memory, or fit on a sample.")


def _column_kinds(X):
    """Names (None for an array) and the positions of the text / categorical columns."""
    if not hasattr(X, "columns"):
        if X.ndim != 2:
            raise InputError(f"Expected a 2-d Dask array, got {X.ndim} dimension(s).")
        if X.dtype.kind not in "biuf":
            raise InputError("A Dask array for gradient boosting must be numeric; use a Dask DataFrame "
                             "for text or categorical columns.")
        return None, []
    names = list(X.columns)
    dates = [str(c) for c in names if X.dtypes[c].kind in "mM"]
    if dates:
        raise InputError(f"Gradient boosting on Dask takes numeric, text and categorical columns; "
                         f"date-time: {', '.join(dates[:5])}. Convert them to numbers first.")
    return names, [j for j, c in enumerate(names) if X.dtypes[c].kind not in "biuf"]


def _block_levels(block, cols):
    return {c: set(block[c].dropna().astype(str).unique()) for c in cols}


def _merge_levels(parts, cols):
    return {c: set().union(*(p[c] for p in parts)) for c in cols}


def _levels(X, names, categorical):
    """Sorted distinct values of each categorical column: sets per partition, merged on the cluster."""
    if not categorical:
        return {}
    dask = import_dask()
    cols = [names[j] for j in categorical]
    parts = [dask.delayed(_block_levels, pure=True)(b, cols) for b in X[cols].to_delayed()]
    merged = compute(dask.delayed(_merge_levels, pure=True)(parts, cols))
    return {c: np.sort(np.asarray(sorted(merged[c]), dtype=object)) for c in cols}


def _encode_block(block, names, levels, classes):
    """One partition as float64: category codes for the categoricals (NaN when missing),
    the target as class codes (classification) or values (regression) in the last column."""
    import pandas as pd

    out = {}
    for c in names:
        col = block[c]
        if c in levels:
            text = col.astype(str).where(col.notna())
            codes = pd.Categorical(text, categories=levels[c]).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            out[c] = codes
        else:
            out[c] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    y = block[_TARGET].to_numpy()
    out[_TARGET] = np.searchsorted(classes, y).astype(np.float64) if classes is not None else y.astype(np.float64)
    return pd.DataFrame(out, index=block.index)


def _class_codes(block, classes):
    return np.searchsorted(classes, block)


def _training_arrays(X, y, names, levels, classes):
    """Row-aligned Dask arrays (X in the given column order, y) for LightGBM."""
    if names is None:
        da = import_dask().array
        y = y.rechunk((X.chunks[0],))
        Xa = X.rechunk({1: -1}).astype(np.float64)
        ya = y.map_blocks(_class_codes, classes, dtype=np.intp) if classes is not None else y.astype(np.float64)
        return Xa, da.asarray(ya)
    import pandas as pd

    # X and y are cut from one frame: a narrow projection of a Parquet folder may be
    # fused into fewer partitions than the features' (see _driver.aligned_blocks)
    joint = X[names].assign(**{_TARGET: y})
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in [*names, _TARGET]})
    matrix = joint.map_partitions(_encode_block, names, levels, classes, meta=meta).to_dask_array(lengths=True)
    ya = matrix[:, -1]
    return matrix[:, :-1], ya.astype(np.intp) if classes is not None else ya


def fit_boosting(est, X, y):
    """Fit a :class:`~featkit.selection.GradientBoostingRanker` on a Dask collection.

    The model is LightGBM's ``DaskLGBMClassifier`` / ``DaskLGBMRegressor`` (or, with
    ``backend="xgboost"`` or no ``lightgbm.dask``, xgboost's ``DaskXGBClassifier`` /
    ``DaskXGBRegressor``, :mod:`featkit.distributed._xgboost`) with the parameters the
    in-memory fit uses (:func:`featkit.selection._boosting.boosting_model`),
    trained data-parallel on the workers of the current ``distributed.Client``.
    Text and categorical columns become category codes (sorted levels; missing is
    NaN) that LightGBM splits on as categories. The columns are given to LightGBM
    in name order, the canonical order of a Dask fit.

    Parameters
    ----------
    est : GradientBoostingRanker
    X : dask DataFrame or 2-d dask array
    y : dask Series or dask array

    Returns
    -------
    est
        With NumPy ``scores_`` (share of the total gain), ``estimator_`` (the
        trained model as an in-memory ``LGBMClassifier`` / ``LGBMRegressor``, or
        xgboost's ``Booster``, on the columns in name order) and
        ``distributed_note_`` saying how it was trained.

    Examples
    --------
    >>> import dask.dataframe as dd, numpy as np, pandas as pd
    >>> from distributed import Client, LocalCluster
    >>> from featkit.selection import GradientBoostingRanker
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["a", "b", "c"])
    >>> df["y"] = (df["a"] > 0).astype(int)
    >>> ddf = dd.from_pandas(df, npartitions=2)
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster, Client(cluster):
    ...     ranker = GradientBoostingRanker(n_estimators=10).fit(ddf[["a", "b", "c"]], ddf["y"])
    >>> int(np.argmax(ranker.scores_))
    0
    """
    from ..selection._boosting import boosting_model, _seed
    from ._fit import _target_task

    name = type(est).__name__
    if y is None or not hasattr(y, "to_delayed"):
        raise InputError(f"{name} needs a target y: a Dask Series or array taken with X.")
    backend = dask_backend(est.backend)
    client = _client()
    names, categorical = _column_kinds(X)
    d = len(names) if names is not None else int(X.shape[1])
    n_rows = int(partition_lengths(X).sum())
    _check_memory(client, n_rows, d)
    est.task_, classes = _target_task(est, y)
    est.n_features_in_ = d
    if names is not None and all(isinstance(c, str) for c in names):
        est.feature_names_in_ = np.asarray(names, dtype=object)
        order = np.argsort(est.feature_names_in_.astype(str), kind="stable")
    else:
        order = np.arange(d)
    est.canonical_order_ = order
    if names is not None:
        names = [names[j] for j in order]
        categorical = [int(np.flatnonzero(order == j)[0]) for j in categorical]
    else:
        X = X[:, order]
    Xa, ya = _training_arrays(X, y, names, _levels(X, names, categorical), classes)
    if backend == "xgboost":
        from ._xgboost import train_xgboost

        est.estimator_, gain_sorted = train_xgboost(client, est, Xa, ya, categorical)
        return _set_gain(est, gain_sorted, order, client, n_rows, "xgboost.dask",
                         "the workers' quantile sketches are merged")
    lgb_dask = _lightgbm_dask()
    local = boosting_model(est.task_, "lightgbm", n_estimators=est.n_estimators,
                           learning_rate=est.learning_rate, max_leaf_nodes=est.max_leaf_nodes,
                           seed=_seed(est.random_state), n_jobs=None, n_rows=n_rows,
                           max_features=est.max_features)
    params = {k: v for k, v in local.get_params().items() if k != "n_jobs"}  # threads: one per worker core
    cls = lgb_dask.DaskLGBMClassifier if est.task_ == "classification" else lgb_dask.DaskLGBMRegressor
    model = cls(client=client, **params)
    # lightgbm.dask warns that it sets each worker's threads itself (as intended here) and
    # prints its port search to stdout, which is the CLI's output: neither reaches the user
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.filterwarnings("ignore", message="Parameter .* will be ignored", category=UserWarning)
        model.fit(Xa, ya, categorical_feature=sorted(categorical) or "auto")
    est.estimator_ = model.to_local()
    return _set_gain(est, est.estimator_.booster_.feature_importance("gain"), order, client, n_rows,
                     "lightgbm.dask", "each worker bins the rows it holds")


def _set_gain(est, gain_sorted, order, client, n_rows, library, why):
    """Scores (gain shares) in input order from the gains of the columns as trained (name order)."""
    gain = np.zeros(order.shape[0])
    gain[order] = gain_sorted
    total = gain.sum()
    n_workers = len(client.scheduler_info()["workers"])
    est.backend_ = library.split(".")[0]
    est.distributed_note_ = (f"trained distributed with {library} on all {n_rows:,} rows "
                             f"({n_workers} worker{'s' if n_workers != 1 else ''}); its gains differ "
                             f"from an in-memory fit's and a little between runs ({why})")
    est._set_scores(gain / total if total > 0 else gain)
    return est
