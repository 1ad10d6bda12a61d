"""Fit featkit estimators on Dask arrays and DataFrames through their reduction kernels."""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import InputError
from ..stats._reduction import ScatterMoments, Stacked
from ..utils._task import infer_task
from ._batches import known_lengths, map_row_batches, partition_lengths, source_of
from ._driver import (aligned_blocks, compute, compute_all, frame_blocks, import_dask, reduce_partitions,
                      reduction_graph)

__all__ = ["DISTRIBUTED_METHODS", "fit_pca", "fit_ranker", "fit_reductions_together", "one_pass"]

# Registry names whose statistics are exact reductions (fit on every row of a Dask
# collection). Adding a ranker that implements ``_reduction_kernel`` and
# ``_scores_from_reduction`` is one name here (e.g. "mutual_info_binned").
# PFA's reduction is exact too, but its k-means sees the features in name order here
# (content fingerprints are not computed on a cluster), so its scores may differ from memory.
DISTRIBUTED_METHODS = ("variance", "f_test", "pca_loadings", "pfa", "outrank", "outrank_3mr",
                       "mutual_info_binned",
                       "inffs",
                       "inffs_s",
                       "ecfs",
                       "gradient_boosting")

_UNIQUE_LIMIT = 21  # one more than featkit's integer-class limit: enough to decide the task

# rankers whose own ``fit`` reads a text column as category codes (NaN where missing);
# every other ranker's reads it through featkit.io's numeric (target) encoding
_CODES_INPUT = ("OutRank", "OutRank3MR", "BinnedMutualInfoRanker")


def _feature_names(X):
    if hasattr(X, "columns"):
        names = list(X.columns)
        bad = [str(c) for c in names if not _numeric_dtype(X.dtypes[c])]
        if bad:
            raise InputError(f"The Dask engine fits numeric columns only; not numeric: {', '.join(bad[:5])}. "
                             "Encode or drop them first.")
        return names
    if X.ndim != 2:
        raise InputError(f"Expected a 2-d Dask array, got {X.ndim} dimension(s).")
    return None


def _numeric_dtype(dtype) -> bool:
    return getattr(dtype, "kind", "O") in "biuf"


def _values(part):
    return np.asarray(part.to_numpy() if hasattr(part, "to_numpy") else part)


def _rows(xpart):
    X = _values(xpart).astype(np.float64, copy=False)
    return X[:, None] if X.ndim == 1 else X


def _block_args(allow_nan, classes, pair):
    xpart, ypart = pair
    return _member_args(_rows(xpart), ypart, allow_nan, classes)


def _member_args(X, ypart, allow_nan, classes):
    if not allow_nan and not np.isfinite(X).all():
        raise InputError("The Dask collection has missing or infinite values; this method needs them "
                         "filled or dropped.")
    if ypart is None:
        return (X,)
    y = _values(ypart).reshape(-1)
    if classes is None:
        return X, y.astype(np.float64)
    return X, np.searchsorted(classes, y)


def _pairs(X, y):
    if y is None:
        return [(x, None) for x in frame_blocks(X)]
    if not hasattr(y, "to_delayed"):
        raise InputError("With a Dask X, the target y must be a Dask Series or array too.")
    xs, ys, _ = aligned_blocks(X, y)
    if len(ys) != len(xs):
        raise InputError(f"X has {len(xs)} partitions and y {len(ys)}; take both from one Dask DataFrame.")
    return list(zip(xs, ys))


def _target_task(est, y):
    """Task and class labels of a Dask target, from its distinct values (computed on the cluster)."""
    import_dask()
    y = source_of(y)
    uniques = np.asarray(compute(y.unique() if hasattr(y, "unique") and not hasattr(y, "chunks")
                                 else __import__("dask.array").array.unique(y)))
    task = infer_task(uniques[:_UNIQUE_LIMIT], getattr(est, "task", "auto"))
    if task == "regression":
        return task, None
    if uniques.dtype.kind == "f" and np.isnan(uniques).any():
        raise InputError("The target has missing values; drop those rows or fill them.")
    classes = np.sort(uniques)
    if classes.size < 2:
        raise InputError("The target has fewer than 2 classes; classification needs at least 2.")
    return task, classes


def fit_ranker(est, X, y=None):
    """Fit a featkit ranker on a Dask array or DataFrame; the fitted attributes are NumPy.

    Parameters
    ----------
    est : BaseRanker
        A ranker whose statistics are reductions (it implements
        ``_reduction_kernel`` and ``_scores_from_reduction``); any other is refused.
    X : dask DataFrame or 2-d dask array
    y : dask Series or dask array, optional

    Returns
    -------
    est
    """
    with known_lengths():
        return _fit_ranker(est, X, y)


def _fit_ranker(est, X, y):
    name = type(est).__name__
    if getattr(est, "_fit_dask", None) is not None:  # trains on the cluster itself (lightgbm.dask)
        return est._fit_dask(X, y)
    X, y = _encoded(est, X, y)
    if hasattr(est, "_fit_from_row_batches"):
        return _fit_row_batches(est, X, y)
    driver = _multi_pass_driver(name)
    if driver is not None:
        _set_feature_names(est, X)
        est._set_scores(driver(est, X, y))
        return est
    if not hasattr(est, "_reduction_kernel"):
        raise InputError(f"{name} has no distributed form; fit it on an in-memory sample "
                         "(featkit.distributed.row_sample) or rank with rank_features(ddf, ...), which samples.")
    kernel, classes, y = _prepare_reduction(est, X, y)
    to_args = functools.partial(_block_args, est._allow_nan, classes)
    state = reduce_partitions(kernel, _pairs(X, y), to_args)
    est._set_scores(est._scores_from_reduction(state))
    return est


def _prepare_reduction(est, X, y):
    """Feature names, task and classes set on ``est``; its kernel, its class labels and the y it reads."""
    _set_feature_names(est, X)
    classes = n_classes = None
    if est._requires_target:
        if y is None:
            raise InputError(f"{type(est).__name__} needs a target y.")
        est.task_, classes = _target_task(est, y)
        n_classes = None if classes is None else classes.size
    else:
        y = None
    return est._reduction_kernel(n_classes), classes, y


def one_pass(est, X) -> bool:
    """True when ``est`` on ``X`` is one reduction kernel over the rows as they are (no encoding):
    such fits can share one pass over the table (:func:`fit_reductions_together`)."""
    from ._encode import needs_encoding

    return (getattr(est, "_fit_dask", None) is None and not hasattr(est, "_fit_from_row_batches")
            and _multi_pass_driver(type(est).__name__) is None and hasattr(est, "_reduction_kernel")
            and not (hasattr(X, "columns") and needs_encoding(X)))


class _Fused:
    """Several rankers' kernels over the same row blocks ``(x, y)``: each block is read, encoded
    and turned into float64 once for all of them; each ranker's kernel sees its own arguments
    (no y for an unsupervised one, its class codes for a classifier), so its state is the one
    its own pass would give, bit for bit."""

    def __init__(self, kernels, members):
        self.stacked = Stacked(kernels)
        self.members = list(members)  # (allow_nan, classes, reads_target) per kernel

    def partial(self, pair):
        xpart, ypart = pair
        X = _rows(xpart)
        return tuple(k.partial(*_member_args(X, ypart if reads else None, allow_nan, classes))
                     for k, (allow_nan, classes, reads) in zip(self.stacked.kernels, self.members))

    def combine(self, states):
        return self.stacked.combine(states)

    def finalize(self, state):
        return self.stacked.finalize(state)


def _pair_args(pair):
    return (pair,)


def fit_reductions_together(fits):
    """Fit several one-pass rankers (:func:`one_pass`) in one computation on the cluster.

    Rankers on the same Dask X share one map over its partitions (one :class:`_Fused`
    state per block, tree-combined); the maps of different X's (e.g. two encodings of one
    table) are computed together, so a partition that feeds both is read once. The
    scores equal those of fitting each ranker on its own.

    Parameters
    ----------
    fits : list of (ranker, X, y)

    Returns
    -------
    list
        The rankers, fitted.

    Examples
    --------
    >>> import dask.dataframe as dd, numpy as np, pandas as pd
    >>> from featkit.selection import FTestRanker, VarianceRanker
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 4.0, 5.0], "b": [1.0, 1.5, 1.0, 1.5], "y": [0, 0, 1, 1]})
    >>> ddf = dd.from_pandas(df, npartitions=2)
    >>> f_test, variance = fit_reductions_together([(FTestRanker(), ddf[["a", "b"]], ddf["y"]),
    ...                                             (VarianceRanker(), ddf[["a", "b"]], None)])
    >>> f_test.ranking_.tolist(), variance.scores_.round(4).tolist()
    ([1.0, 2.0], [4.25, 0.0625])
    """
    with known_lengths():
        groups = {}
        for est, X, y in fits:
            est._validate_params()
            kernel, classes, y = _prepare_reduction(est, X, y)
            key = getattr(X, "_name", id(X))
            if y is not None and groups.get(key, {}).get("y") is not None \
                    and getattr(groups[key]["y"], "_name", None) != getattr(y, "_name", id(y)):
                key = (key, getattr(y, "_name", id(y)))  # another target: its own map
            group = groups.setdefault(key, {"X": X, "y": None, "members": []})
            if y is not None:
                group["y"] = y
            group["members"].append((est, kernel, (est._allow_nan, classes, y is not None)))
        graphs = []
        for group in groups.values():
            members = group["members"]
            fused = _Fused([k for _, k, _ in members], [m for _, _, m in members])
            graphs.append(reduction_graph(fused, _pairs(group["X"], group["y"]), _pair_args))
        states = compute_all(graphs)
        for group, graph_state in zip(groups.values(), states):
            members = group["members"]
            for (est, kernel, _), state in zip(members, Stacked([k for _, k, _ in members]).finalize(graph_state)):
                est._set_scores(est._scores_from_reduction(state))
    return [est for est, _, _ in fits]


def _multi_pass_driver(name):
    """The driver of a ranker whose statistics take more than one pass over the rows (None: one kernel)."""
    if name == "BinnedMutualInfoRanker":
        from ._binned import fit_binned_mutual_info

        return fit_binned_mutual_info
    if name in ("InfFS", "ECFS"):
        from ._graph import fit_graph_ranker

        return fit_graph_ranker
    return None


def _encoded(est, X, y):
    """Text / categorical columns encoded on the cluster as ``est``'s in-memory ``fit`` encodes them."""
    from ._encode import DaskEncoder, needs_encoding

    if not hasattr(X, "columns") or not needs_encoding(X):
        return X, y
    if type(est).__name__ in _CODES_INPUT:
        encoder = DaskEncoder(X, y)
        return encoder.split(encoder.codes(missing="nan"))
    task = getattr(est, "task", "auto")
    seed = getattr(est, "random_state", 0)
    encoder = DaskEncoder(X, y if est._requires_target else None,
                          task=task if task in ("classification", "regression") else None,
                          random_state=seed if isinstance(seed, (int, np.integer)) and seed >= 0 else 0)
    X_enc, y_enc = encoder.split(encoder.numeric(impute=not est._allow_nan))
    return X_enc, (y_enc if est._requires_target else y)


def _set_feature_names(est, X):
    names = _feature_names(X)
    d = len(names) if names is not None else int(X.shape[1])
    est.n_features_in_ = d
    if names is not None and all(isinstance(c, str) for c in names):
        est.feature_names_in_ = np.asarray(names, dtype=object)
        # the contents' fingerprints are not computed on a cluster: the canonical order is by name
        est.canonical_order_ = np.argsort(est.feature_names_in_.astype(str), kind="stable")
    else:
        est.canonical_order_ = np.arange(d)


def _fit_row_batches(est, X, y):
    """A per-batch method (OutRank): each batch of rows is scored on a worker."""
    if y is None or not hasattr(y, "to_delayed"):
        raise InputError(f"{type(est).__name__} needs a target y: a Dask Series or array with X.")
    _set_feature_names(est, X)
    n_rows = int(partition_lengths(X).sum())
    if int(partition_lengths(y).sum()) != n_rows:
        raise InputError("X and y have different numbers of rows; take both from one Dask DataFrame.")
    if hasattr(y, "chunks") and hasattr(X, "chunks"):
        y = y.rechunk((X.chunks[0],))
    est._set_scores(est._fit_from_row_batches(functools.partial(map_row_batches, X, y), n_rows))
    return est


def fit_pca(est, X):
    """Fit :class:`featkit.decomposition.PCA` on a Dask collection (one covariance pass).

    The rows are reduced to (count, mean, scatter) on the workers with
    :class:`~featkit.stats.ScatterMoments`; the eigendecomposition runs on the
    client, as ``solver="covariance_eigh"`` does in memory.
    """
    from ..decomposition._base import check_n_components

    if est.solver not in ("auto", "covariance_eigh"):
        raise InputError(f"PCA on a Dask collection uses solver='covariance_eigh', not {est.solver!r}.")
    names = _feature_names(X)
    to_args = functools.partial(_block_args, False, None)
    state = reduce_partitions(ScatterMoments(), _pairs(X, None), to_args)
    d = state[2].shape[0]
    est.n_features_in_ = d
    if names is not None and all(isinstance(c, str) for c in names):
        est.feature_names_in_ = np.asarray(names, dtype=object)
    est._fit_from_moments(np, state, np.dtype(np.float64), check_n_components(est.n_components, state[0], d))
    est.solver_ = "covariance_eigh"
    est.device_ = "cpu"
    return est
