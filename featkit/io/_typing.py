"""Decide what each column is: numeric, boolean, categorical, datetime, ID-like, constant or empty."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ._numeric_text import parse_numeric_text
from ._types import ColumnInfo

__all__ = ["infer_column_types", "MIN_ROWS_FOR_ID", "SEPARATOR_ATTR", "looks_like_datetime"]

# ``DataFrame.attrs`` key under which read_table records a text file's field
# separator: it settles whether "1,234" is a decimal or a thousands comma.
SEPARATOR_ATTR = "featkit_separator"

# A column unique per row is only called ID-like when there are enough rows for
# uniqueness to mean something (three distinct strings in three rows do not).
MIN_ROWS_FOR_ID = 20

# ISO 8601 dates / date-times only: "03/04/2020" is ambiguous (day or month first),
# so such text stays categorical rather than being parsed wrongly.
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATETIME_PROBE = 200
_NUMERIC_PROBE = 2000


def looks_like_datetime(values: pd.Series) -> bool:
    """True when every non-missing text value is an ISO 8601 date or date-time.

    Examples
    --------
    >>> import pandas as pd
    >>> looks_like_datetime(pd.Series(["2024-01-31", "2024-02-01 10:00", None]))
    True
    >>> looks_like_datetime(pd.Series(["2024-01-31", "soon"]))
    False
    """
    present = values.dropna()
    if present.empty:
        return False
    probe = present.iloc[:_DATETIME_PROBE].astype(str)
    if not all(_ISO_DATETIME.match(v.strip()) for v in probe):
        return False
    parsed = pd.to_datetime(present.astype(str).str.strip(), errors="coerce", format="ISO8601", utc=True)
    return bool(parsed.notna().all())


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype)


def _object_is_boolean(present: pd.Series) -> bool:
    return bool(len(present)) and all(isinstance(v, (bool, np.bool_)) for v in present)


def _mostly_numbers(present: pd.Series) -> bool:
    """At least 90% of (a probe of) the text cells are numbers."""
    probe = present.iloc[:_NUMERIC_PROBE].astype(str)
    return bool(pd.to_numeric(probe, errors="coerce").notna().mean() >= 0.9)


def _text_note(present: pd.Series, cardinality: int) -> str:
    """Say so when text is mostly numbers: a missing-value marker such as "?"
    or "n/a" turns a numeric column into text, and the user should know."""
    note = f"{_plural(cardinality, 'category')}"
    if cardinality < 10:
        return note
    if not _mostly_numbers(present):
        return note
    probe = present.iloc[:_NUMERIC_PROBE].astype(str)
    parsed = pd.to_numeric(probe, errors="coerce")
    odd = pd.unique(probe[parsed.isna()])[:3]
    shown = ", ".join(repr(str(v)) for v in odd)
    return f"{note}; mostly numbers but also {shown}: if these mark missing values, read them as missing"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _from_numeric_text(name, series: pd.Series, categorical_int_max: int, separator) -> ColumnInfo | None:
    """Type a text column that holds numbers as the numbers it holds."""
    parsed = parse_numeric_text(series, separator)
    if parsed is None:
        return None
    info = _infer_one(name, pd.Series(parsed.values, index=series.index), categorical_int_max)
    info.dtype = str(series.dtype)
    info.note = "; ".join(p for p in (parsed.note, info.note) if p)
    return info


def _infer_one(name, series: pd.Series, categorical_int_max: int, separator=None) -> ColumnInfo:
    if _is_text(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        as_numbers = _from_numeric_text(name, series, categorical_int_max, separator)
        if as_numbers is not None:
            return as_numbers
    n = len(series)
    dtype = series.dtype
    n_inf = 0
    sorted_values = None
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        if ptypes.is_float_dtype(dtype):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            n_inf = int(np.isinf(values).sum())
            missing = ~np.isfinite(values)
        else:
            missing = series.isna().to_numpy()
            values = series.to_numpy(dtype=np.float64, na_value=np.nan) if missing.any() else series.to_numpy()
        # Counting distinct numbers by sorting is several times faster than hashing them.
        sorted_values = np.sort(values[~missing])
    else:
        missing = series.isna().to_numpy()
    n_missing = int(missing.sum())
    present = series[~missing]
    if sorted_values is not None:
        cardinality = int(sorted_values.size and 1 + np.count_nonzero(sorted_values[1:] != sorted_values[:-1]))
    else:
        try:
            cardinality = int(present.nunique(dropna=True))
        except TypeError:  # unhashable cells (lists, dicts) in an object column
            present = present.astype(str)
            cardinality = int(present.nunique(dropna=True))
    info = ColumnInfo(
        name=str(name),
        kind="numeric",
        dtype=str(dtype),
        n_missing=n_missing,
        missing_frac=float(n_missing / n) if n else 0.0,
        cardinality=cardinality,
    )
    inf_note = f"{_plural(n_inf, 'infinite value')} treated as missing" if n_inf else ""

    def finish(kind: str, used: bool = True, note: str = "") -> ColumnInfo:
        info.kind = kind
        info.used = used
        info.note = "; ".join(p for p in (note, inf_note) if p)
        return info

    if cardinality == 0:
        return finish("empty", False, "all values missing: excluded")
    if cardinality == 1:
        only = present.iloc[0]
        only = only.item() if isinstance(only, np.generic) else only
        return finish("constant", False, f"constant (every value is {only!r}): excluded")

    is_bool = ptypes.is_bool_dtype(dtype) or (ptypes.is_object_dtype(dtype) and _object_is_boolean(present))
    if is_bool:
        return finish("boolean")
    if ptypes.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(present, skipna=True)
        # Numbers or date-times held in an object column (built by hand, or by a
        # library that does not set dtypes) are what they hold, not text.
        if inferred in ("floating", "integer", "mixed-integer-float", "decimal"):
            return finish("numeric", note="numbers stored as objects")
        if inferred in ("datetime", "datetime64", "date"):
            return finish("datetime", note="date-times stored as objects: used as seconds since 1970-01-01")
    if ptypes.is_datetime64_any_dtype(dtype):
        return finish("datetime", note="date-time: used as seconds since 1970-01-01")
    if isinstance(dtype, pd.PeriodDtype) or ptypes.is_timedelta64_dtype(dtype):
        return finish("datetime", note="time value: used as seconds")

    is_category = isinstance(dtype, pd.CategoricalDtype)
    is_int = ptypes.is_integer_dtype(dtype)
    is_text = not is_category and _is_text(series)
    if is_text and looks_like_datetime(present):
        return finish("datetime", note="ISO dates: used as seconds since 1970-01-01")
    if (
        (is_category or is_int or is_text)
        and n >= MIN_ROWS_FOR_ID
        and n_missing == 0
        and cardinality == n
        # Numbers among a few words are a column of numbers, whatever else it is.
        and not (is_text and _mostly_numbers(present))
    ):
        return finish("id", False, "ID-like (unique per row): excluded; pass keep_id=True (--keep-id) to rank it")
    if is_text:
        return finish("categorical", note=_text_note(present, cardinality))
    if is_category:
        return finish("categorical", note=f"{_plural(cardinality, 'category')}")
    if is_int and categorical_int_max > 0 and cardinality <= categorical_int_max:
        return finish("categorical", note=f"integer codes treated as {_plural(cardinality, 'category')}")
    if ptypes.is_complex_dtype(dtype):
        return finish("categorical", note="complex numbers treated as categories")
    if ptypes.is_numeric_dtype(dtype):
        return finish("numeric")
    return finish("categorical", note=f"{_plural(cardinality, 'category')}")


def infer_column_types(frame: pd.DataFrame, *, categorical_int_max: int = 0) -> list[ColumnInfo]:
    """Type every column of ``frame`` and flag the ones that cannot be ranked.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read (see :func:`featkit.io.read_table`).
    categorical_int_max : int, default=0
        Integer columns with at most this many distinct values are treated as
        categories (0 = integers are always numbers).

    Returns
    -------
    columns : list of ColumnInfo
        One per column, in order. Kinds, checked in this order:

        - ``"empty"``: every value missing -- not used;
        - ``"constant"``: one distinct non-missing value -- not used;
        - ``"boolean"``: bool dtype (or an object column of True/False);
        - ``"datetime"``: datetime/period/timedelta dtype, or text that is all
          ISO 8601 dates -- used as seconds;
        - ``"numeric"`` (checked first for text): text that is numbers, with
          decimal commas or thousands separators, or with at most 5% stray
          cells read as missing -- see
          :func:`featkit.io._numeric_text.parse_numeric_text`; the note says so;
        - ``"id"``: text, category or integer values unique per row, no value
          missing, at least 20 rows, and not text that is mostly numbers --
          not used (``keep_id`` in :func:`prepare_features` ranks it anyway);
        - ``"categorical"``: text / object / category dtype, and integer columns
          with at most ``categorical_int_max`` distinct values;
        - ``"numeric"``: the other numbers.

        Infinite values count as missing (and are noted): no method can use them.

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io import infer_column_types
    >>> frame = pd.DataFrame({"x": [0.5, 1.5, 2.5], "c": ["a", "b", "a"], "k": [1, 1, 1]})
    >>> [(c.name, c.kind, c.used) for c in infer_column_types(frame)]
    [('x', 'numeric', True), ('c', 'categorical', True), ('k', 'constant', False)]
    """
    if not isinstance(frame, pd.DataFrame):
        from ._read import read_table

        frame = read_table(frame)
    categorical_int_max = int(categorical_int_max or 0)
    separator = frame.attrs.get(SEPARATOR_ATTR)
    return [
        _infer_one(name, frame.iloc[:, i], categorical_int_max, separator)
        for i, name in enumerate(frame.columns)
    ]
