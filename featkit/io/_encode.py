"""Turn typed feature columns into numbers (or discrete codes) for the methods.

Categorical columns keep one column each: a method that needs numbers gets one
number per row for them (a cross-fitted target encoding, or the category's
frequency without a target); a method that needs discrete values gets codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import InputError
from ..stats import quantile_bin_codes
from ..utils._task import infer_task
from ._prepare import to_seconds
from ._read import read_table
from ._types import ColumnInfo

__all__ = ["encode_numeric", "encode_discrete", "TARGET_ENCODING_FOLDS", "TARGET_ENCODING_SMOOTHING"]

# Out-of-fold target encoding: each row's value is learnt from the other folds.
TARGET_ENCODING_FOLDS = 5
# m-estimate smoothing (Cestnik 1990): a category seen n times in the training
# folds gets (sum + m * prior) / (n + m), so a rare category stays near the prior.
TARGET_ENCODING_SMOOTHING = 10.0

_CATEGORICAL_KINDS = ("categorical", "id")


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    return read_table(X)


def _kind_of(series: pd.Series) -> str:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "datetime"
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        return "numeric"
    return "categorical"


def _column_kinds(X: pd.DataFrame, columns) -> list[str]:
    """The kind of every column of ``X``: from ``columns`` (ColumnInfo list or a
    name -> kind mapping) where it names the column, otherwise from the dtype."""
    given: dict[str, str] = {}
    if isinstance(columns, dict):
        given = {str(k): str(v) for k, v in columns.items()}
    elif columns is not None:
        for info in columns:
            if isinstance(info, ColumnInfo):
                given[info.name] = info.kind
            else:
                raise InputError(
                    "columns must be a list of ColumnInfo (as from prepare_features) or a dict name -> kind."
                )
    kinds = []
    for name in X.columns:
        series = X[name]
        kind = given.get(str(name)) or _kind_of(series)
        if kind in ("empty", "constant"):
            kind = _kind_of(series)
        # A column declared numeric but holding text cannot be used as a number.
        if kind in ("numeric", "boolean") and _kind_of(series) == "categorical":
            kind = "categorical"
        kinds.append(kind)
    return kinds


def _numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    if kind == "datetime" and not ptypes.is_numeric_dtype(series.dtype):
        values = to_seconds(series).to_numpy(dtype=np.float64)
    elif kind == "boolean":
        values = series.map(lambda v: np.nan if pd.isna(v) else float(bool(v))).to_numpy(dtype=np.float64)
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    # pandas' copy-on-write hands out read-only views.
    values = np.array(values, dtype=np.float64, copy=True)
    values[np.isinf(values)] = np.nan
    return values


def _category_codes(series: pd.Series) -> np.ndarray:
    """Integer codes 0..k-1 per category, -1 for missing (deterministic order)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(series.astype("object").map(lambda v: v if pd.isna(v) else str(v)), sort=True)
    return codes.astype(np.int64)


def _target_matrix(y, task):
    """Targets to average per category: (n, m) float, and the task."""
    arr = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    task = infer_task(y if isinstance(y, pd.Series) else arr, task or "auto")
    if task == "classification":
        if arr.dtype == object or ptypes.is_string_dtype(getattr(y, "dtype", arr.dtype)):
            labels = np.asarray([str(v) for v in arr], dtype=object)
            if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in arr):
                raise InputError("The target has missing values; drop those rows before encoding.")
        else:
            labels = arr
            if labels.dtype.kind == "f" and np.isnan(labels).any():
                raise InputError("The target has missing values; drop those rows before encoding.")
        classes, codes = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise InputError("The target has a single class; a target encoding needs at least 2.")
        if classes.size == 2:
            return codes.reshape(-1, 1).astype(np.float64), task
        return np.eye(classes.size)[codes], task
    try:
        values = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("The target is not numeric, so it cannot be encoded for regression.") from None
    if not np.all(np.isfinite(values)):
        raise InputError("The target has missing or infinite values; drop those rows before encoding.")
    return values.reshape(-1, 1), task


def _fold_ids(T: np.ndarray, task: str, random_state) -> np.ndarray:
    """Fold number (0..4) of every row: shuffled with ``random_state``; for
    classification each class is dealt round-robin over the folds (stratified),
    so every fold sees the class mix of the whole table."""
    n = T.shape[0]
    n_folds = min(TARGET_ENCODING_FOLDS, n)
    folds = np.zeros(n, dtype=np.int64)
    if n_folds < 2:
        return folds
    rng = np.random.default_rng(random_state)
    if task != "classification":
        folds[rng.permutation(n)] = np.arange(n) % n_folds
        return folds
    strata = (T[:, 0] if T.shape[1] == 1 else T.argmax(axis=1)).astype(np.int64)
    start = 0
    for k in np.unique(strata):
        members = np.flatnonzero(strata == k)
        folds[rng.permutation(members)] = (start + np.arange(members.size)) % n_folds
        start += members.size
    return folds


def _class_scores(codes: np.ndarray, T: np.ndarray, m: float) -> np.ndarray:
    """One number per class for a k-class target, chosen for one categorical column.

    A category's class distribution is a point in the k-class simplex; a row
    value must be one number, so the class profiles of the categories (smoothed,
    weighted by how often each category occurs) are projected on their leading
    principal axis -- the direction along which the categories differ most.
    Encoding the class score ``axis[y]`` is the same as encoding the class
    indicators and projecting. The axis is k numbers shared by all rows; the
    values encoded are out-of-fold.
    """
    valid = codes >= 0
    k_cat = int(codes.max()) + 1 if valid.any() else 0
    prior = T.mean(axis=0)
    counts = np.bincount(codes[valid], minlength=k_cat).astype(np.float64)
    sums = np.stack([np.bincount(codes[valid], weights=T[valid, j], minlength=k_cat) for j in range(T.shape[1])], 1)
    profiles = (sums + m * prior) / (counts[:, None] + m)
    weights = counts / max(counts.sum(), 1.0)
    centred = profiles - weights @ profiles
    cov = (centred * weights[:, None]).T @ centred
    _, vectors = np.linalg.eigh(cov)
    axis = vectors[:, -1]
    # Fix the eigenvector's arbitrary sign so the result is reproducible.
    if axis[np.argmax(np.abs(axis))] < 0:
        axis = -axis
    return axis


def _target_encode(codes: np.ndarray, T: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold m-estimate of E[t | category] for every row; NaN where the category is missing.

    ``t`` is the target (one column of ``T``) or, for k > 2 classes, a score per
    class (:func:`_class_scores`). The prior is the mean over all rows (one
    constant, the same for every row), so a category never seen in the other
    folds -- for example one unique to its row -- gets exactly the prior and
    cannot carry its own row's label.
    """
    m = TARGET_ENCODING_SMOOTHING
    n = T.shape[0]
    encoded = np.full(n, np.nan)
    valid = codes >= 0
    if not valid.any():
        return encoded
    k_cat = int(codes.max()) + 1
    n_folds = int(folds.max()) + 1
    t = T[:, 0] if T.shape[1] == 1 else T @ _class_scores(codes, T, m)
    prior = t.mean()
    # Per (fold, category) counts and sums in one pass; the other folds' share
    # of a category is its total minus the row's own fold.
    key = folds[valid] * k_cat + codes[valid]
    counts = np.bincount(key, minlength=n_folds * k_cat).reshape(n_folds, k_cat).astype(np.float64)
    sums = np.bincount(key, weights=t[valid], minlength=n_folds * k_cat).reshape(n_folds, k_cat)
    other_counts = counts.sum(axis=0) - counts
    other_sums = sums.sum(axis=0) - sums
    values = (other_sums + m * prior) / (other_counts + m)
    # Unseen in the other folds: exactly the prior, not a rounding of it.
    values[other_counts == 0] = prior
    encoded[valid] = values[folds[valid], codes[valid]]
    return encoded


def _frequency_encode(codes: np.ndarray) -> np.ndarray:
    valid = codes >= 0
    out = np.full(codes.shape[0], np.nan)
    if valid.any():
        counts = np.bincount(codes[valid])
        out[valid] = counts[codes[valid]] / codes.shape[0]
    return out


def encode_numeric(X, columns=None, y=None, task=None, *, impute=True, random_state=0) -> np.ndarray:
    """Encode feature columns as one float64 column each, without target leakage.

    Parameters
    ----------
    X : pandas.DataFrame
        Feature columns, e.g. ``PreparedData.X``.
    columns : list of ColumnInfo or dict, optional
        Column kinds (``PreparedData.columns``); columns not named there are
        typed from their dtype (text / category -> categorical).
    y : array-like of shape (n_samples,), optional
        The target. With it, categorical columns get a target encoding;
        without it, a frequency encoding.
    task : {"classification", "regression"}, optional
        Inferred from ``y`` when None.
    impute : bool, default=True
        Replace missing values by the column median (0 for an all-missing
        column); with False they stay NaN.
    random_state : int, default=0
        Seed of the fold split of the target encoding.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features), float64

    Notes
    -----
    - numeric: as is (infinite values become missing); boolean: 0/1;
      date-times: seconds since 1970-01-01 UTC.
    - categorical with a target: **cross-fitted target encoding**. Rows are
      split into 5 shuffled folds (stratified for classification); a row's value is the
      m-estimate ``(sum + m * prior) / (count + m)`` with ``m = 10`` of the
      target over the rows of the *other* folds that share its category, and
      the prior is the overall target mean. A row's own label therefore never
      enters its value: a category unique to one row gets exactly the prior.
      The target averaged is ``y`` (regression), the indicator of the second
      class (binary), or -- with k > 2 classes -- the k class indicators,
      whose out-of-fold profile is projected on the leading principal axis of
      the categories' class profiles (so categories that favour different
      classes get different values; the axis is shared by all rows).
    - categorical without a target: the category's frequency in ``X``.
    - missing categories stay missing (then imputed when ``impute``).

    References
    ----------
    B. Cestnik, "Estimating probabilities: a crucial task in machine learning",
    ECAI 1990 (the m-estimate). D. Micci-Barreca, "A preprocessing scheme for
    high-cardinality categorical attributes in classification and prediction
    problems", SIGKDD Explorations 3(1), 2001 (target encoding).

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io import encode_numeric
    >>> X = pd.DataFrame({"x": [1.0, None, 3.0, 4.0], "c": ["a", "a", "b", "a"]})
    >>> encode_numeric(X)
    array([[1.  , 0.75],
           [3.  , 0.75],
           [3.  , 0.25],
           [4.  , 0.75]])
    """
    return np.ascontiguousarray(numeric_columns(_as_frame(X), columns, y, task, impute=impute,
                                                random_state=random_state))


def numeric_columns(X, columns=None, y=None, task=None, *, impute=True, random_state=0) -> np.ndarray:
    """:func:`encode_numeric` of a frame, column-major as it is filled.

    For a caller that copies the columns on into a matrix of its own (the
    engine's shared matrix, a block at a time): the row-major copy that
    :func:`encode_numeric` hands back would be one more transient block.
    """
    n, d = X.shape
    kinds = _column_kinds(X, columns)
    T = folds = None
    if y is not None and any(k in _CATEGORICAL_KINDS for k in kinds):
        if len(y) != n:
            raise InputError(f"X has {n} rows but y has {len(y)}; they must match.")
        T, task = _target_matrix(y, task)
        folds = _fold_ids(T, task, random_state)
    # Filled column by column, so column-major; handed back row-major.
    out = np.empty((n, d), dtype=np.float64, order="F")
    for j, (name, kind) in enumerate(zip(X.columns, kinds)):
        series = X[name]
        if kind in _CATEGORICAL_KINDS:
            codes = _category_codes(series)
            out[:, j] = _target_encode(codes, T, folds) if T is not None else _frequency_encode(codes)
        else:
            out[:, j] = _numeric_values(series, kind)
    if impute and n:
        for j in range(d):
            column = out[:, j]
            missing = np.isnan(column)
            if missing.any():
                present = column[~missing]
                column[missing] = np.median(present) if present.size else 0.0
    return out


def _dense(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative integer codes 0..k-1 in order, closing gaps (O(n), no sort)."""
    used = np.bincount(codes) > 0
    return (np.cumsum(used) - 1)[codes].astype(np.int64)


def encode_discrete(X, columns=None, *, n_bins=10) -> np.ndarray:
    """Encode feature columns as discrete codes 0..k-1 (one column each).

    Parameters
    ----------
    X : pandas.DataFrame
    columns : list of ColumnInfo or dict, optional
        Column kinds, as for :func:`encode_numeric`.
    n_bins : int or None, default=10
        Numeric (and date-time) columns are cut at their quantiles into at most
        ``n_bins`` bins (fewer when values repeat). ``None`` uses every distinct
        value as its own code, as OutRank does with its raw counts.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_features), int64
        Per column, codes 0..k-1 in the order of the values (bins, categories
        sorted); a missing value gets its own code, the last one.

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io import encode_discrete
    >>> X = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4, None], "c": ["b", "a", "b", None, "a"]})
    >>> encode_discrete(X, n_bins=2)
    array([[0, 1],
           [0, 0],
           [1, 1],
           [1, 2],
           [2, 0]])
    """
    if n_bins is not None and (not isinstance(n_bins, (int, np.integer)) or isinstance(n_bins, bool) or n_bins < 2):
        raise InputError(f"n_bins must be an integer >= 2 or None, got {n_bins!r}.")
    return np.ascontiguousarray(discrete_columns(_as_frame(X), columns, n_bins=n_bins))


def discrete_columns(X, columns=None, *, n_bins=10) -> np.ndarray:
    """:func:`encode_discrete` of a frame, column-major as it is filled (see
    :func:`numeric_columns`)."""
    n, d = X.shape
    kinds = _column_kinds(X, columns)
    out = np.empty((n, d), dtype=np.int64, order="F")
    for j, (name, kind) in enumerate(zip(X.columns, kinds)):
        series = X[name]
        if kind in _CATEGORICAL_KINDS:
            codes = _category_codes(series)
            missing = codes < 0
        else:
            values = _numeric_values(series, kind)
            if n_bins is not None:
                out[:, j] = quantile_bin_codes(values, n_bins)
                continue
            missing = np.isnan(values)
            present = values[~missing]
            codes = np.full(n, -1, dtype=np.int64)
            if present.size:
                codes[~missing] = np.unique(present, return_inverse=True)[1].reshape(-1)
        codes = codes.copy()
        if (~missing).any():
            codes[~missing] = _dense(codes[~missing])
            codes[missing] = codes[~missing].max() + 1
        else:
            codes[:] = 0
        out[:, j] = codes
    return out


def encode_discrete_values(X, columns=None) -> np.ndarray:
    """Discrete input that keeps numeric values: category codes for categorical
    columns, the numbers themselves (NaN where missing) for the others.

    :func:`encode_discrete` with ``n_bins=None`` turns a continuous column into
    dense integer codes, which a method cannot tell from category codes; with
    the values kept, a method with discrete input can bin continuous columns
    itself (OutRank's ``n_bins="auto"``) and use codes as categories.

    Parameters
    ----------
    X : pandas.DataFrame
    columns : list of ColumnInfo or dict, optional
        Column kinds, as for :func:`encode_numeric`.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64
        Categorical (and ID) columns: codes 0..k-1 as in :func:`encode_discrete`,
        missing values their own code; other columns: their values as numbers
        (date-times in seconds, booleans 0/1), NaN where missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io._encode import encode_discrete_values
    >>> X = pd.DataFrame({"x": [0.5, None, 2.25], "c": ["b", "a", None]})
    >>> encode_discrete_values(X)
    array([[0.5 , 1.  ],
           [ nan, 0.  ],
           [2.25, 2.  ]])
    """
    X = _as_frame(X)
    kinds = _column_kinds(X, columns)
    out = encode_discrete(X, columns, n_bins=None).astype(np.float64)
    for j, (name, kind) in enumerate(zip(X.columns, kinds)):
        if kind not in _CATEGORICAL_KINDS:
            out[:, j] = _numeric_values(X[name], kind)
    return out
