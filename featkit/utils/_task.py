"""Classification or regression: decided once, from the target, the same way everywhere."""

from __future__ import annotations

import numpy as np

from .._constants import TASKS
from ..exceptions import InputError
from ._input import check_label_types, check_magnitude, plain_value


# An integer target with at most this many distinct values is a class label.
MAX_CLASSES_INTEGER_TARGET = 20


def infer_task(y, task: str = "auto") -> str:
    """Return "classification" or "regression" for target ``y``.

    ``task="auto"`` calls a target classification when it is boolean, text or
    categorical, or integer-valued with at most 20 distinct values; otherwise
    regression.

    Examples
    --------
    >>> from featkit.utils import infer_task
    >>> infer_task([0, 1, 1, 0])
    'classification'
    >>> infer_task([0.5, 1.25, 3.0, 2.2])
    'regression'
    """
    if task not in TASKS:
        raise InputError(f"task must be one of {TASKS}, got {task!r}.")
    if task != "auto":
        return task
    arr = np.asarray(y)
    if arr.dtype.kind in "bOUSc" or str(getattr(y, "dtype", "")) == "category":
        return "classification"
    if arr.dtype.kind in "iu":
        return "classification" if np.unique(arr).size <= MAX_CLASSES_INTEGER_TARGET else "regression"
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if finite.size and np.all(finite == np.round(finite)):
            if np.unique(finite).size <= MAX_CLASSES_INTEGER_TARGET:
                return "classification"
        return "regression"
    return "classification"


def check_target(y, task: str, name: str = "target"):
    """Validate a 1-d target for ``task`` and return it ready for fitting.

    For classification the labels are returned as integer codes 0..k-1 together
    with the classes; for regression as float64 with the classes None.
    Raises :class:`~featkit.exceptions.InputError` for a target that cannot be
    learned from (one class, all missing, constant, non-finite values, labels
    mixing text and numbers, numbers beyond ``MAX_MAGNITUDE``).
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr
    if arr.ndim != 1:
        raise InputError(f"The {name} must be one column, got shape {arr.shape}.")
    if task == "classification":
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise InputError(f"The {name} has missing values; drop those rows or fill them.")
        if arr.dtype.kind == "O":
            missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in arr])
            if missing.any():
                raise InputError(f"The {name} has missing values; drop those rows or fill them.")
        check_label_types(arr, name)
        classes, codes = np.unique(arr, return_inverse=True)
        if classes.size < 2:
            only = f" (only {plain_value(classes[0])!r})" if classes.size else ""
            raise InputError(
                f"The {name} has {classes.size} class{'es' if classes.size != 1 else ''}{only}; "
                "classification needs at least 2."
            )
        return codes.astype(np.int64), classes
    try:
        values = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"The {name} is not numeric, so it cannot be used for regression; use task='classification'."
        ) from None
    if not np.all(np.isfinite(values)):
        raise InputError(f"The {name} has missing or infinite values; drop those rows or fill them.")
    check_magnitude(values, name, droppable=False)
    if values.size and np.ptp(values) == 0:
        raise InputError(f"The {name} is constant; there is nothing to learn.")
    return values, None
