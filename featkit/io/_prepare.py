"""From a raw table to the features and target a ranking run uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import InputError, UnknownNameError, suggest_names
from ..utils._input import check_magnitude, plain_value
from ..utils._task import check_target, infer_task
from ._numeric_text import parse_numeric_text
from ._read import read_table
from ._types import ColumnInfo
from ._typing import SEPARATOR_ATTR, infer_column_types

__all__ = ["PreparedData", "prepare_features", "to_seconds"]

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
# Notes on a used column that change its values, so the run's notes repeat them.
_NOTED = ("infinite", "parsed", "read as missing")


@dataclass
class PreparedData:
    """The features to rank, the target, and what was noticed on the way.

    Attributes
    ----------
    X : pandas.DataFrame
        The ranked feature columns, in input order, with their original values
        except: infinite numbers are missing, date-times are float seconds since
        1970-01-01 UTC, categorical columns have the pandas ``"category"`` dtype,
        booleans are ``bool`` (``float`` 0/1 with NaN when some are missing).
    y : pandas.Series or None
        The target, rows with a missing target removed; labels as in the input.
    target : str or None
    task : {"classification", "regression"} or None
    columns : list of ColumnInfo
        Every input column except the target, in input order; ``used`` tells
        whether it is in ``X``.
    notes : list of str
        Human-readable remarks (rows dropped, columns excluded and why, ...).
    n_rows : int
        Rows in ``X``.
    """

    X: pd.DataFrame
    y: pd.Series | None
    target: str | None
    task: str | None
    columns: list[ColumnInfo]
    notes: list[str] = field(default_factory=list)
    n_rows: int = 0

    @property
    def feature_names(self) -> list[str]:
        """Names of the ranked columns (the columns of ``X``)."""
        return [str(c) for c in self.X.columns]

    def column(self, name: str) -> ColumnInfo:
        """The :class:`ColumnInfo` of one input column."""
        for info in self.columns:
            if info.name == name:
                return info
        raise UnknownNameError(f"No column {name!r}.{suggest_names(name, [c.name for c in self.columns])}")


def to_seconds(series: pd.Series) -> pd.Series:
    """Date-times (or ISO date text, periods, durations) as float seconds; NaT becomes NaN.

    Naive date-times are taken as UTC, so the result never depends on the
    machine's time zone.

    Examples
    --------
    >>> import pandas as pd
    >>> to_seconds(pd.Series(["1970-01-02", None])).tolist()
    [86400.0, nan]
    """
    dtype = series.dtype
    if ptypes.is_timedelta64_dtype(dtype):
        return series / pd.Timedelta(seconds=1)
    if isinstance(dtype, pd.PeriodDtype):
        series = series.dt.to_timestamp()
    elif not ptypes.is_datetime64_any_dtype(dtype):
        values = series.astype("object").where(series.notna(), None)
        if all(isinstance(v, str) for v in values.dropna()):
            values = pd.to_datetime(values.str.strip(), errors="coerce", format="ISO8601", utc=True)
        else:
            values = pd.to_datetime(values, errors="coerce", utc=True)
        series = values
    if getattr(series.dt, "tz", None) is None:
        series = series.dt.tz_localize("UTC")
    return ((series - _EPOCH) / pd.Timedelta(seconds=1)).astype(np.float64)


def _as_category(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.remove_unused_categories()
    if ptypes.is_object_dtype(series.dtype):
        # Mixed cells (numbers and text) would make unsortable categories.
        kinds = {type(v) for v in series.dropna()}
        if len(kinds) > 1:
            series = series.map(lambda v: v if pd.isna(v) else str(v))
    return series.astype("category")


def _convert(series: pd.Series, info: ColumnInfo, separator=None) -> pd.Series:
    kind = info.kind
    if kind == "numeric":
        parsed = parse_numeric_text(series, separator)
        if parsed is not None:
            series = pd.Series(parsed.values, index=series.index, name=series.name)
        elif ptypes.is_object_dtype(series.dtype):
            series = pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan), index=series.index, name=series.name)
        if ptypes.is_float_dtype(series.dtype):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            if np.isinf(values).any():
                values[np.isinf(values)] = np.nan
                return pd.Series(values, index=series.index, name=series.name)
        return series
    if kind == "boolean":
        if info.n_missing == 0:
            return series.astype(bool)
        return series.map(lambda v: np.nan if pd.isna(v) else float(bool(v))).astype(np.float64)
    if kind == "datetime":
        return to_seconds(series)
    return _as_category(series)


def _missing_target(y: pd.Series) -> np.ndarray:
    missing = y.isna().to_numpy().copy()
    if ptypes.is_float_dtype(y.dtype):
        missing |= np.isinf(y.to_numpy(dtype=np.float64, na_value=np.nan))
    return missing


def _labels_for_check(y: pd.Series) -> np.ndarray:
    values = y.to_numpy()
    if values.dtype == object or isinstance(y.dtype, pd.CategoricalDtype) or ptypes.is_string_dtype(y.dtype):
        # np.unique cannot sort a mix of text and numbers; compare labels as text.
        values = np.asarray([str(v) for v in y.tolist()], dtype=object)
    return values


def prepare_features(
    frame,
    target=None,
    *,
    drop=(),
    keep_id=False,
    categorical_int_max=0,
    task="auto",
    sample=None,
    random_state=0,
) -> PreparedData:
    """Split a table into typed features and a target, ready to be ranked.

    Parameters
    ----------
    frame : DataFrame, path, or anything :func:`read_table` accepts
    target : str, optional
        Name of the target column; None for unsupervised ranking.
    drop : sequence of str
        Columns to leave out (listed in ``columns`` with ``used=False``).
    keep_id : bool, default=False
        Rank ID-like columns (unique per row) as categorical columns instead of
        excluding them.
    categorical_int_max : int, default=0
        Integer columns with at most this many distinct values are categories.
    task : {"auto", "classification", "regression"}
        See :func:`featkit.utils.infer_task`.
    sample : int, optional
        Rank a random subset of this many rows (drawn with ``random_state``)
        when the table has more.
    random_state : int, default=0
        Seed of the row sample.

    Returns
    -------
    PreparedData

    Raises
    ------
    featkit.exceptions.UnknownNameError
        Unknown target or ``drop`` column (the message suggests close names).
    featkit.exceptions.InputError
        A target with every value missing, a single class, or constant; no
        usable feature left.

    Examples
    --------
    >>> import pandas as pd
    >>> from featkit.io import prepare_features
    >>> frame = pd.DataFrame({
    ...     "size": [1.0, 2.0, 3.0, 4.0],
    ...     "colour": ["red", "blue", "red", "blue"],
    ...     "flat": [7, 7, 7, 7],
    ...     "label": ["a", "b", "a", None],
    ... })
    >>> data = prepare_features(frame, "label")
    >>> data.feature_names, data.task, data.n_rows
    (['size', 'colour'], 'classification', 3)
    >>> data.notes
    ["1 row with a missing target 'label' dropped", "column 'flat' is constant (every value is 7): excluded"]
    """
    frame = read_table(frame)
    separator = frame.attrs.get(SEPARATOR_ATTR)
    names = [str(c) for c in frame.columns]
    notes: list[str] = []
    if isinstance(drop, str):
        drop = [d for d in drop.split(",") if d]
    drop = [str(d) for d in (drop or ())]
    for d in drop:
        if d not in names:
            raise UnknownNameError(f"Cannot drop {d!r}: there is no such column.{suggest_names(d, names)}")

    y = None
    if target is not None:
        target = str(target)
        if target not in names:
            raise UnknownNameError(f"There is no target column {target!r}.{suggest_names(target, names)}")
        if target in drop:
            raise InputError(f"The target {target!r} is also listed to drop; remove it from the drop list.")
        y_raw = frame[target]
        missing = _missing_target(y_raw)
        if missing.all():
            raise InputError(f"The target {target!r} has no values: every row is missing.")
        if missing.any():
            k = int(missing.sum())
            notes.append(f"{k} row{'s' if k != 1 else ''} with a missing target {target!r} dropped")
            frame = frame.loc[~missing]
    if sample is not None:
        if not isinstance(sample, (int, np.integer)) or isinstance(sample, bool) or sample < 1:
            raise InputError(f"sample must be a positive number of rows, got {plain_value(sample)!r}.")
        if len(frame) > sample:
            rng = np.random.default_rng(random_state)
            rows = np.sort(rng.choice(len(frame), size=int(sample), replace=False))
            notes.append(f"ranked a random sample of {int(sample)} of {len(frame)} rows (seed {random_state})")
            frame = frame.iloc[rows]
    frame = frame.reset_index(drop=True)

    task_out = None
    if target is not None:
        y = frame[target]
        task_out = infer_task(y, task)
        check_target(_labels_for_check(y) if task_out == "classification" else y.to_numpy(),
                     task_out, name=f"target {target!r}")

    features = frame.drop(columns=[target]) if target is not None else frame
    features.attrs[SEPARATOR_ATTR] = separator
    columns = infer_column_types(features, categorical_int_max=categorical_int_max)
    kept = []
    for info in columns:
        if info.name in drop:
            info.used = False
            # what the column is, without the advice on how to rank it: the user dropped it
            what = "ID-like (unique per row)" if info.kind == "id" else info.note
            info.note = "; ".join(p for p in ("dropped on request", what) if p)
            continue
        if info.kind == "id" and keep_id:
            info.used = True
            info.note = "ID-like (unique per row): kept as a categorical column (keep_id)"
            notes.append(f"column {info.name!r} is {info.note}")
        if not info.used:
            notes.append(f"column {info.name!r} is {info.note}")
        else:
            kept.append(info)
            if info.kind == "datetime" or any(w in info.note for w in _NOTED):
                notes.append(f"column {info.name!r}: {info.note}")
    with_missing = [c for c in kept if c.n_missing]
    if with_missing:
        shown = ", ".join(f"{c.name!r} ({100 * c.missing_frac:.1f}%)" for c in with_missing[:5])
        more = f" and {len(with_missing) - 5} more" if len(with_missing) > 5 else ""
        notes.append(f"missing values kept as missing in {shown}{more}")
    if not kept:
        reasons = ", ".join(f"{c.name!r} ({c.note or c.kind})" for c in columns[:8])
        more = f" and {len(columns) - 8} more" if len(columns) > 8 else ""
        what = f" besides the target {target!r}" if target is not None else ""
        raise InputError(
            f"No usable feature left{what}: " + (f"{reasons}{more}." if columns else "the table has no other column.")
        )
    # concat keeps each column's own array (no copy into a consolidated block of
    # all same-typed columns), so the frame is not held twice while it is built,
    # and a column let go (the engine's encoding) frees its memory at once
    X = pd.concat([_convert(features[c.name], c, separator).rename(c.name) for c in kept], axis=1)
    for c in kept:
        if c.kind == "numeric":
            check_magnitude(X[c.name].to_numpy(dtype=np.float64, na_value=np.nan), f"column {c.name!r}")
    return PreparedData(X=X, y=y, target=target, task=task_out, columns=columns, notes=notes, n_rows=len(X))
