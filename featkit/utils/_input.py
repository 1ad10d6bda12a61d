"""Checks on what a user passes to ``fit``, before scikit-learn's validation.

scikit-learn's own messages for text in a numeric method ("could not convert
string to float"), for labels mixing text and numbers ("'<' not supported")
or for values whose squares overflow (a RuntimeWarning, then NaN scores) do
not say which column is at fault nor what to do; these checks do.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["MAX_MAGNITUDE", "as_pandas_frame", "check_fit_input", "check_label_types", "check_magnitude", "plain_value"]

# Larger values are refused: sums of squares of a billion of them would pass
# float64's ~1.8e308 (1e9 * (1e100)**2 = 1e209 leaves ample room), and no
# measured quantity comes anywhere near (a sentinel such as 1e308 does).
MAX_MAGNITUDE = 1e100


def as_pandas_frame(X):
    """A polars DataFrame as a pandas one (same column names); anything else as it is.

    Converted once, where ``fit`` starts, so that every later step (text
    checks, canonical column order, per-column encodings) sees one frame type
    and ``feature_names_in_`` holds the polars column names.

    Examples
    --------
    >>> import polars as pl
    >>> type(as_pandas_frame(pl.DataFrame({"a": [1, 2]}))).__module__.split(".")[0]
    'pandas'
    >>> as_pandas_frame([[1, 2]])
    [[1, 2]]
    """
    if type(X).__module__.split(".")[0] == "polars" and hasattr(X, "to_pandas") \
            and hasattr(X, "columns"):
        return X.to_pandas()
    return X


def plain_value(value):
    """A NumPy scalar as the Python value it holds, so messages read ``1``, not ``np.int64(1)``.

    Examples
    --------
    >>> import numpy as np
    >>> repr(plain_value(np.int64(1))), repr(plain_value("a"))
    ('1', "'a'")
    """
    return value.item() if isinstance(value, np.generic) else value


def check_magnitude(values, what: str, droppable: bool = True) -> None:
    """Refuse finite values beyond ``MAX_MAGNITUDE`` in a numeric array.

    Parameters
    ----------
    values : ndarray
        Numbers (NaN and infinities are left to the missing-value checks).
    what : str
        How the message names the values, e.g. ``"column 'a'"``.
    droppable : bool, default=True
        Whether the message may suggest leaving the values out (not for a target).

    Raises
    ------
    featkit.exceptions.InputError
        Naming ``what``, the largest magnitude and what to do.

    Examples
    --------
    >>> import numpy as np
    >>> check_magnitude(np.array([1.0, np.inf]), "column 'a'")
    >>> check_magnitude(np.array([1.0, 1e308]), "column 'a'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    featkit.exceptions.InputError: The column 'a' holds values as large as 1e+308 ...
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiu" or arr.size == 0:
        return
    if arr.dtype.kind in "iu":
        if arr.dtype.itemsize < 8 or np.abs(arr.astype(np.float64)).max() <= MAX_MAGNITUDE:
            return
        largest = float(np.abs(arr.astype(np.float64)).max())
    elif float(np.finfo(arr.dtype).max) <= MAX_MAGNITUDE:
        return  # float32 cannot hold a value past the limit (and comparing would overflow)
    else:
        finite = np.abs(arr[np.isfinite(arr)])
        if finite.size == 0 or finite.max() <= MAX_MAGNITUDE:
            return
        largest = float(finite.max())
    raise InputError(
        f"The {what} holds values as large as {largest:.3g} in magnitude; sums of squares would "
        f"overflow (the limit is {MAX_MAGNITUDE:g}). Rescale it (divide by a power of ten)"
        + (", or leave it out (drop= / --drop)." if droppable else ".")
    )


def check_label_types(y, what: str = "target") -> None:
    """Refuse class labels that mix text with numbers (``[1, "a"]``).

    Such labels cannot be sorted, so no class order exists; the message says
    how to make them one type.

    Examples
    --------
    >>> import numpy as np
    >>> check_label_types(np.array(["a", "b"], dtype=object))
    >>> check_label_types(np.array([1, "a"], dtype=object))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    featkit.exceptions.InputError: The target mixes text and numbers (e.g. 1 and 'a')...
    """
    arr = np.asarray(y)
    if arr.dtype != object:
        return
    text = number = None
    for v in arr.ravel():
        if isinstance(v, str):
            text = v if text is None else text
        elif isinstance(v, (int, float, np.integer, np.floating)) and not (isinstance(v, float) and v != v):
            number = v if number is None else number
        if text is not None and number is not None:
            raise InputError(
                f"The {what} mixes text and numbers (e.g. {plain_value(number)!r} and {text!r}), "
                "so its classes have no order; make every label the same type, e.g. y.astype(str)."
            )


def _text_columns(X) -> list[tuple[str, str, object]]:
    """(name, what, example) of each DataFrame column that holds text or categories."""
    import pandas as pd
    from pandas.api import types as ptypes

    found = []
    plain = {}  # dtype -> whether it is a plain numeric dtype (a wide table has few dtypes)
    for position, dtype in enumerate(X.dtypes):
        if dtype not in plain:
            plain[dtype] = ptypes.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
        if plain[dtype]:  # no Series is made for a numeric column: cheap on thousands of columns
            continue
        name = X.columns[position]
        col = X.iloc[:, position]
        if isinstance(dtype, pd.CategoricalDtype):
            if ptypes.is_numeric_dtype(dtype.categories.dtype):
                continue
            example = next(iter(col.dropna()), None)
            found.append((str(name), "a pandas 'category' column", example))
        elif ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype):
            present = col.dropna()
            if present.empty:
                continue
            numbers = pd.to_numeric(present, errors="coerce")
            bad = present[numbers.isna().to_numpy()]
            if len(bad):
                found.append((str(name), "text", bad.iloc[0]))
    return found


def check_fit_input(X, y, estimator: str) -> None:
    """Clear errors for inputs a numeric selector cannot take, before it is fitted.

    Parameters
    ----------
    X : array-like or DataFrame
        A pandas DataFrame with a text or (non-numeric) categorical column, or a
        NumPy array of strings, is refused, naming the column and what to do.
    y : array-like or None
        Class labels, checked only when given: labels mixing text and numbers
        are refused. Finite values beyond ``MAX_MAGNITUDE`` in ``X`` are refused
        (a regression target's are refused by :func:`check_target`).
    estimator : str
        The estimator's class name, for the message.

    Raises
    ------
    featkit.exceptions.InputError
    """
    if hasattr(X, "columns") and hasattr(X, "dtypes") and type(X).__module__.startswith("pandas"):
        text = _text_columns(X)
        if text:
            name, what, example = text[0]
            more = f" (and {len(text) - 1} more such column{'s' if len(text) > 2 else ''})" if len(text) > 1 else ""
            raise InputError(
                f"Column {name!r} is {what} (e.g. {plain_value(example)!r}){more}, but {estimator} needs "
                "numbers. Encode it first (e.g. with featkit.io.FeatureEncoder, as featkit rank does), "
                "or rank the table with featkit.rank_features, which encodes text columns."
            )
        for name in X.columns:
            check_magnitude(X[name].to_numpy(), f"column {str(name)!r}")
    elif isinstance(X, np.ndarray):
        if X.dtype.kind in "US":
            raise InputError(
                f"X holds text (dtype {X.dtype}), but {estimator} needs numbers; encode the text "
                "columns first, or rank the table with featkit.rank_features."
            )
        # float32 cannot hold a value past the limit
        if X.ndim == 2 and X.dtype.kind == "f" and float(np.finfo(X.dtype).max) > MAX_MAGNITUDE:
            bad = np.flatnonzero(np.nanmax(np.where(np.isfinite(X), np.abs(X), 0.0), axis=0) > MAX_MAGNITUDE) \
                if X.size else []
            if len(bad):
                check_magnitude(X[:, bad[0]], f"column {int(bad[0])} of X")
    if y is not None:
        check_label_types(np.asarray(y))
