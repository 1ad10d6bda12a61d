"""The CLI's column encodings as a scikit-learn transformer, for pipelines.

:class:`FeatureEncoder` keeps one output column per input column, as
:func:`encode_numeric` and :func:`encode_discrete` do for ``featkit rank``;
``fit_transform`` returns exactly what those functions return (the
cross-fitted target encoding included), and ``transform`` applies what ``fit``
learnt to new rows.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ..utils._input import as_pandas_frame
from ._encode import (
    _CATEGORICAL_KINDS,
    TARGET_ENCODING_SMOOTHING,
    _category_codes,
    _class_scores,
    _column_kinds,
    _numeric_values,
    _target_matrix,
    encode_discrete_values,
    encode_numeric,
)

__all__ = ["FeatureEncoder", "needs_encoding"]


def needs_encoding(X) -> bool:
    """True when a pandas (or polars) frame has a column scikit-learn cannot read as numbers.

    Text, non-numeric categories, date-times and nullable booleans with
    missing values need encoding; numbers (text that parses as numbers
    included) and plain booleans do not.

    Examples
    --------
    >>> import pandas as pd
    >>> needs_encoding(pd.DataFrame({"a": [1.0, 2.0]})), needs_encoding(pd.DataFrame({"a": ["x", "y"]}))
    (False, True)
    """
    from ..utils._input import _text_columns

    X = as_pandas_frame(X)
    if not (hasattr(X, "columns") and hasattr(X, "dtypes") and type(X).__module__.startswith("pandas")):
        return False
    for position, dtype in enumerate(X.dtypes):  # dtypes, not a Series per column
        if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype) \
                or isinstance(dtype, pd.PeriodDtype):
            return True
        if isinstance(dtype, pd.BooleanDtype) and X.iloc[:, position].isna().any():
            return True
    return bool(_text_columns(X))


def _category_keys(series: pd.Series) -> list:
    """The categories present in ``series``, in the order of their codes (as text keys)."""
    codes = _category_codes(series)
    present = np.unique(codes[codes >= 0])
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories[present]]
    values = series.astype("object")
    return sorted({str(v) for v in values[values.notna()]})


def _codes_from_keys(series: pd.Series, keys: list) -> tuple[np.ndarray, np.ndarray]:
    """(codes into ``keys``, -1 where missing or unseen; mask of unseen values)."""
    lookup = {k: i for i, k in enumerate(keys)}
    values = series.astype("object")
    missing = values.isna().to_numpy()
    codes = np.fromiter((-1 if m else lookup.get(str(v), -2) for v, m in zip(values, missing)),
                        dtype=np.int64, count=len(values))
    unseen = codes == -2
    codes[unseen] = -1
    return codes, unseen


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Encode text, categorical, boolean and date-time columns as featkit's methods read them.

    One output column per input column, so results stay per original column.
    This is the encoding that ``featkit rank`` (and every featkit selector
    given a frame with text) applies.

    Parameters
    ----------
    kind : {"numeric", "categorical"}, default="numeric"
        ``"numeric"``: categorical columns become a cross-fitted target
        encoding (a frequency encoding without ``y``), booleans 0/1,
        date-times seconds since 1970 (see :func:`featkit.io.encode_numeric`).
        ``"categorical"``: categorical columns become codes 0..k-1 with
        missing values as their own last code, numeric columns stay numbers
        (see :func:`featkit.io.encode_discrete`).
    impute : bool, default=True
        With ``kind="numeric"``, replace missing values by the column's median
        learnt in ``fit``; with False they stay NaN. Not used by
        ``"categorical"``, where a missing value has its own code.
    task : {"auto", "classification", "regression"}, default="auto"
        How ``y`` is read by the target encoding.
    random_state : int or None, default=0
        Seed of the fold split of the cross-fitted target encoding.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set when ``X`` has column names.
    kinds_ : list of str
        The kind each column was read as ("numeric", "boolean", "datetime",
        "categorical").
    categories_ : list of (list of str or None)
        The categories of each categorical column, in code order (None for
        the others).
    encodings_ : list of (ndarray or None)
        ``kind="numeric"``: the value ``transform`` gives each category,
        learnt on all rows of ``fit`` (the last entry is for categories
        unseen in ``fit``). None for the other columns.
    fill_values_ : ndarray of shape (n_features_in_,)
        The medians missing values are replaced by (``kind="numeric"``,
        ``impute=True``).

    Notes
    -----
    ``fit_transform(X, y)`` gives each row a value learnt from the other
    folds, so a row's own label never enters its encoding;
    ``fit(X, y).transform(X)`` uses the encodings learnt on every row (as
    scikit-learn's ``TargetEncoder`` does). A category that ``fit`` never saw
    gets the prior (the target mean; frequency 0 without a target) with
    ``kind="numeric"`` and the missing-value code with ``kind="categorical"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io import FeatureEncoder
    >>> X = pd.DataFrame({"size": [1.0, None, 3.0, 4.0], "colour": ["red", "red", "blue", "red"]})
    >>> FeatureEncoder().fit_transform(X)
    array([[1.  , 0.75],
           [3.  , 0.75],
           [3.  , 0.25],
           [4.  , 0.75]])
    >>> FeatureEncoder(kind="categorical").fit(X).transform(X)[:, 1]
    array([1., 1., 0., 1.])
    >>> FeatureEncoder().fit(X).get_feature_names_out().tolist()
    ['size', 'colour']
    """

    _parameter_constraints = {
        "kind": [StrOptions({"numeric", "categorical"})],
        "impute": ["boolean"],
        "task": [StrOptions({"auto", "classification", "regression"})],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, kind="numeric", *, impute=True, task="auto", random_state=0):
        self.kind = kind
        self.impute = impute
        self.task = task
        self.random_state = random_state

    def _frame(self, X, reset):
        X = as_pandas_frame(X)
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] == 0:
                raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
            frame = X
        else:
            values = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
            frame = pd.DataFrame(values)
        # An object column of numbers (an object array, say) is numbers, not categories.
        converted = {}
        for name in frame.columns:
            if ptypes.is_object_dtype(frame[name].dtype):
                try:
                    converted[name] = pd.to_numeric(frame[name], errors="raise").astype(np.float64)
                except (TypeError, ValueError):
                    pass
        return _replace_columns(frame, converted)

    def fit(self, X, y=None):
        """Learn the column kinds, categories, encodings and fill values.

        Parameters
        ----------
        X : DataFrame (pandas or polars) or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            With it, categorical columns get a target encoding (``kind="numeric"``).

        Returns
        -------
        self
        """
        self.fit_transform(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, **fit_params):
        """Fit and encode ``X`` as :func:`encode_numeric` / :func:`encode_discrete` do.

        Parameters
        ----------
        X : DataFrame (pandas or polars) or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64
            Cross-fitted: each row's target encoding comes from the other folds.
        """
        frame = self._frame(X, reset=True)
        self.kinds_ = _column_kinds(frame, None)
        kinds = dict(zip(frame.columns, self.kinds_))
        categorical = [k in _CATEGORICAL_KINDS for k in self.kinds_]
        self.categories_ = [_category_keys(frame[c]) if cat else None
                            for c, cat in zip(frame.columns, categorical)]
        task = None if self.task == "auto" else self.task
        if self.kind == "categorical":
            out = encode_discrete_values(frame, kinds)
            self.encodings_ = [None] * frame.shape[1]
            self.fill_values_ = np.full(frame.shape[1], np.nan)
            return out
        out = encode_numeric(frame, kinds, y, task, impute=False,
                             random_state=0 if self.random_state is None else self.random_state)
        T = _target_matrix(y, task)[0] if y is not None and any(categorical) else None
        self.encodings_ = [self._learn_encoding(frame[c], T) if cat else None
                           for c, cat in zip(frame.columns, categorical)]
        with np.errstate(all="ignore"):
            present = [col[~np.isnan(col)] for col in out.T]
        self.fill_values_ = np.array([np.median(p) if p.size else 0.0 for p in present])
        if self.impute:
            _fill(out, self.fill_values_)
        return out

    @staticmethod
    def _learn_encoding(series, T):
        """Per category (then one for unseen ones): the m-estimate of the target on all rows,
        or the category's frequency without a target."""
        codes = _category_codes(series)
        valid = codes >= 0
        k = int(codes[valid].max()) + 1 if valid.any() else 0
        counts = np.bincount(codes[valid], minlength=k).astype(np.float64)
        present = counts > 0  # a pandas category with no row has no code in categories_
        if T is None:
            return np.append(counts[present] / max(codes.shape[0], 1), 0.0)
        m = TARGET_ENCODING_SMOOTHING
        t = T[:, 0] if T.shape[1] == 1 else T @ _class_scores(codes, T, m)
        prior = t.mean()
        sums = np.bincount(codes[valid], weights=t[valid], minlength=k)
        values = (sums + m * prior) / (counts + m)
        return np.append(values[present], prior)

    def transform(self, X):
        """Encode ``X`` with what ``fit`` learnt.

        Parameters
        ----------
        X : DataFrame (pandas or polars) or array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64
        """
        check_is_fitted(self, "kinds_")
        frame = self._frame(X, reset=False)
        out = np.empty(frame.shape, dtype=np.float64, order="F")
        for j, name in enumerate(frame.columns):
            series, kind = frame[name], self.kinds_[j]
            if kind not in _CATEGORICAL_KINDS:
                out[:, j] = _numeric_values(series, kind)
                continue
            codes, unseen = _codes_from_keys(series, self.categories_[j])
            if self.kind == "categorical":
                codes[codes < 0] = len(self.categories_[j])
                out[:, j] = codes
                continue
            encoding = self.encodings_[j]
            out[:, j] = np.where(codes >= 0, encoding[np.maximum(codes, 0)], np.nan)
            out[unseen, j] = encoding[-1]
        if self.kind == "numeric" and self.impute:
            _fill(out, self.fill_values_)
        return np.ascontiguousarray(out)

    def get_feature_names_out(self, input_features=None):
        """One output name per input column: the input names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self, "kinds_")
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _replace_columns(frame, converted):
    if not converted:
        return frame
    frame = frame.copy()
    for name, values in converted.items():
        frame[name] = values
    return frame


def _fill(out, fill_values):
    for j in range(out.shape[1]):
        column = out[:, j]
        missing = np.isnan(column)
        if missing.any():
            column[missing] = fill_values[j]
