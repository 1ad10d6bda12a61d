"""Recognise a Dask collection without importing Dask (``import featkit`` stays fast)."""

from __future__ import annotations

import sys

__all__ = ["is_dask_collection"]


def is_dask_collection(obj) -> bool:
    """True for a Dask array, DataFrame or Series; never imports Dask.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_collection(np.zeros(3))
    False
    """
    if "dask" not in sys.modules:  # nothing can be a Dask collection before Dask is imported
        return False
    from dask import is_dask_collection as _is_dask

    return bool(_is_dask(obj))
