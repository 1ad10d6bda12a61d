"""Quantile binning of a numeric column: the one binner behind every discrete code of a number."""

from __future__ import annotations

import numpy as np

__all__ = ["quantile_bin_codes"]


def quantile_bin_codes(values, n_bins: int, *, dense: bool = True) -> np.ndarray:
    """Codes of a numeric column cut at its quantiles into at most ``n_bins`` bins.

    The edges are the distinct inner quantiles (linear interpolation) of the
    finite values; a value equal to an edge goes to the bin above it. Repeated
    values can merge quantiles, so there may be fewer than ``n_bins`` bins.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        Numbers; NaN and +-inf count as missing.
    n_bins : int
        Largest number of bins (at least 1).
    dense : bool, default=True
        True: the codes of the finite values are renumbered 0..k-1 in order,
        bins that no value falls in are closed up, and missing values get the
        code ``k`` after them (so a column with no finite value is all 0).
        False: a code is the bin's index among all bins, ``0..n_edges``, empty
        bins included, and missing values get ``n_edges + 1``.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import quantile_bin_codes
    >>> x = np.array([1.0, 1.0, 1.0, 1.0, 5.0, 6.0, 7.0, np.nan])
    >>> quantile_bin_codes(x, 4).tolist()             # edges 1 and 5.5
    [0, 0, 0, 0, 0, 1, 1, 2]
    >>> quantile_bin_codes(x, 4, dense=False).tolist()  # no value lies below 1: bin 0 is empty
    [1, 1, 1, 1, 1, 2, 2, 3]
    """
    arr = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(arr)
    present = arr[finite]
    out = np.empty(arr.shape[0], dtype=np.int64)
    if present.size == 0:
        out[:] = 0 if dense else 1
        return out
    edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1]))
    codes = np.searchsorted(edges, present, side="right")
    if dense:
        used, codes = np.unique(codes, return_inverse=True)
        missing_code = used.size
    else:
        missing_code = edges.size + 1
    out[finite] = codes.reshape(-1)
    out[~finite] = missing_code
    return out
