"""Counting kernels for discrete features: per-batch category codes, joint counts,
entropies and OutRank's chance-corrected mutual information.

Everything here is vectorised (``np.bincount`` on joint codes, or one sort when
the joint table would be too large to allocate); nothing loops over rows.
"""

from __future__ import annotations

import numpy as np

from ._binning import quantile_bin_codes

__all__ = [
    "factorize",
    "factorize_columns",
    "quantile_codes",
    "binned_codes",
    "AUTO_BINS",
    "cyclic_noise_index",
    "joint_xlogx_sums",
    "joint_count_sums",
    "chance_corrected_mi",
    "entropy_from_codes",
]

# Largest joint table (cells) that is counted with np.bincount; larger tables
# are counted by sorting the joint codes instead (memory stays O(rows)).
_MAX_BINCOUNT_CELLS = 1 << 22


def factorize(values) -> tuple[np.ndarray, int, int]:
    """Codes 0..k-1 of a 1-d array's distinct values; missing values get their own code.

    Returns ``(codes, k, n_missing)``. Codes follow the order of first appearance
    (the scores that use them do not depend on how categories are labelled).

    Examples
    --------
    >>> import numpy as np
    >>> codes, k, n_missing = factorize(np.array([3.0, np.nan, 3.0, 7.0]))
    >>> codes.tolist(), k, n_missing
    ([0, 2, 0, 1], 3, 1)
    """
    import pandas as pd

    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), int(len(uniques)), 0
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    codes = codes.astype(np.int64, copy=False)
    k = int(len(uniques))
    missing = codes < 0
    n_missing = int(missing.sum())
    if n_missing:
        codes[missing] = k
        k += 1
    return codes, k, n_missing


def quantile_codes(values, n_bins: int):
    """Quantile-bin codes of a numeric column with more than ``n_bins`` distinct values.

    Returns None when the column is not numeric or already has at most
    ``n_bins`` distinct values (it is then used as its values). Missing values
    get their own code after the bins.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        return None
    arr = arr.astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    present = arr[finite]
    if present.size == 0 or np.unique(present).size <= n_bins:
        return None
    # dense codes: k is the number of categories seen
    return quantile_bin_codes(arr, n_bins)


# Bins of a continuous column under ``n_bins="auto"``.
AUTO_BINS = 10


def binned_codes(values, n_bins):
    """Quantile-bin codes of a column if ``n_bins`` asks for it, else None (use raw values).

    ``n_bins=None`` never bins. An int bins every numeric column with more than
    ``n_bins`` distinct values. ``"auto"`` bins only *continuous* columns into
    :data:`AUTO_BINS` quantile bins: numeric columns with a value that is not a
    whole number and more than ``AUTO_BINS`` distinct values. Whole-number
    columns (category codes, counts, hashed IDs) keep their values, so that
    categorical data is scored as it is; a float column is almost unique per
    row, and as raw categories it would look like an ID to a chance-corrected score.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats._contingency import binned_codes
    >>> x = np.linspace(0.05, 1.95, 20)
    >>> binned_codes(x, "auto").tolist() == binned_codes(x, 10).tolist()
    True
    >>> binned_codes(np.arange(20.0), "auto") is None, binned_codes(np.arange(20.0), 10) is None
    (True, False)
    """
    if n_bins is None:
        return None
    if isinstance(n_bins, str):
        arr = np.asarray(values)
        if arr.dtype.kind != "f":
            return None
        present = arr[np.isfinite(arr)]
        if not np.any(present != np.floor(present)):
            return None
        return quantile_codes(arr, AUTO_BINS)
    return quantile_codes(values, n_bins)


def _direct_codes(col: np.ndarray, limit: int):
    """Non-negative integer values below ``limit`` are their own codes (no
    hashing needed; unused codes are empty cells that count for nothing).
    Returns ``(codes, k, n_missing)`` or None when the column does not qualify."""
    if col.dtype.kind in "iu":
        if col.size == 0:
            return None
        lo, hi = col.min(), col.max()
        if lo < 0 or hi >= limit:
            return None
        return col.astype(np.int64), int(hi) + 1, 0
    if col.dtype.kind != "f":
        return None
    missing = np.isnan(col)
    n_missing = int(np.count_nonzero(missing))
    present = col[~missing] if n_missing else col
    if present.size == 0:
        return np.zeros(col.size, dtype=np.int64), 1, n_missing
    lo, hi = present.min(), present.max()
    if not (lo >= 0 and hi < limit) or not np.array_equal(present, np.floor(present)):
        return None
    codes = col.astype(np.int64) if not n_missing else np.where(missing, hi + 1, col).astype(np.int64)
    return codes, int(hi) + 1 + (1 if n_missing else 0), n_missing


def factorize_columns(X, n_bins=None, *, return_values=False):
    """Per-column codes of a 2-d block: ``(codes (n, d) int32, k (d,), n_missing (d,))``.

    Codes are 0..k-1 (possibly with unused values: non-negative integer columns
    are used as their own codes). With ``n_bins`` set, numeric columns are
    quantile-binned first as :func:`binned_codes` says (missing values still
    their own category). ``return_values=True`` adds a fourth item: for
    each column, its distinct non-missing values in this block.
    """
    X = np.asarray(X)
    n, d = X.shape
    if X.dtype.kind in "iuf":
        X = np.asfortranarray(X)  # contiguous columns
    codes = np.empty((n, d), dtype=np.int32)
    ks = np.empty(d, dtype=np.int64)
    n_missing = np.empty(d, dtype=np.int64)
    values = []
    limit = max(4 * n, 1024)
    for j in range(d):
        col = X[:, j]
        binned = binned_codes(col, n_bins)
        if binned is not None:
            codes[:, j] = binned
            ks[j] = int(binned.max()) + 1
            finite = np.isfinite(col.astype(np.float64))
            n_missing[j] = int(np.count_nonzero(~finite))
            if return_values:
                values.append(np.unique(col[finite]))
            continue
        direct = _direct_codes(col, limit)
        if direct is not None:
            codes[:, j], ks[j], n_missing[j] = direct
            if return_values:
                present = direct[0][direct[0] < ks[j] - 1] if n_missing[j] else direct[0]
                values.append(np.flatnonzero(np.bincount(present, minlength=1)).astype(col.dtype))
        else:
            codes[:, j], ks[j], n_missing[j] = factorize(col)
            if return_values:
                import pandas as pd

                uniq = pd.unique(col)
                if uniq.dtype.kind == "f":
                    uniq = uniq[~np.isnan(uniq)]
                values.append(uniq)
    if return_values:
        return codes, ks, n_missing, values
    return codes, ks, n_missing


def _xlogx(counts: np.ndarray) -> np.ndarray:
    out = counts.astype(np.float64)
    pos = out > 1
    out[pos] *= np.log(out[pos])
    out[~pos] = 0.0
    return out


def cyclic_noise_index(cond: np.ndarray, k_cond: int) -> np.ndarray:
    """Row index of OutRank's noise copy: row i reads row ``(i + n_c) mod N``,
    where ``n_c`` is the size of row i's group in ``cond``.

    Examples
    --------
    >>> import numpy as np
    >>> cyclic_noise_index(np.array([0, 0, 1, 0]), 2).tolist()
    [3, 0, 3, 2]
    """
    n = cond.shape[0]
    group_size = np.bincount(cond, minlength=k_cond)
    return (np.arange(n, dtype=np.int64) + group_size[cond]) % n


def joint_xlogx_sums(cond: np.ndarray, k_cond: int, codes: np.ndarray, ks) -> np.ndarray:
    """``sum over cells of c log c`` of each column's joint table with ``cond``.

    ``cond`` (n,) codes 0..k_cond-1; ``codes`` (n, d) codes with column j in
    0..ks[j]-1. Returns (d,) float64. All columns are counted in one pass: each
    column's joint codes live in its own block of a single code space.
    """
    return joint_count_sums(cond, k_cond, codes, ks)[0]


def joint_count_sums(cond: np.ndarray, k_cond: int, codes: np.ndarray, ks):
    """Per column: ``sum of c log c`` over its joint table with ``cond`` and the
    number of non-empty cells of that table.

    Returns ``(xlogx (d,) float64, cells (d,) int64)``; see :func:`joint_xlogx_sums`.
    The cell counts serve small-sample bias corrections (Miller-Madow).

    Examples
    --------
    >>> import numpy as np
    >>> s, cells = joint_count_sums(np.array([0, 0, 1, 1]), 2, np.array([[0], [0], [0], [1]]), [2])
    >>> round(float(s[0]), 6), cells.tolist()   # cells (0,0)=2, (1,0)=1, (1,1)=1
    (1.386294, [3])
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    n, d = codes.shape
    ks = np.asarray(ks, dtype=np.int64).reshape(d)
    sizes = ks * np.int64(k_cond)
    base = np.zeros(d, dtype=np.int64)
    np.cumsum(sizes[:-1], out=base[1:])
    total = int(base[-1] + sizes[-1]) if d else 0
    out = np.zeros(d, dtype=np.float64)
    cells = np.zeros(d, dtype=np.int64)
    if d == 0 or n == 0:
        return out, cells
    # 32-bit joint codes when they fit: half the memory traffic of int64.
    dtype = np.int32 if total < 2**31 - 1 else np.int64
    joint = codes.astype(dtype, copy=False) * dtype(k_cond)
    joint += cond.astype(dtype, copy=False)[:, None]
    joint += base.astype(dtype)
    if total <= max(_MAX_BINCOUNT_CELLS, 4 * n * d):
        counts = np.bincount(joint.ravel(order="K"), minlength=total)
        nz = np.flatnonzero(counts)
        values = counts[nz]
    else:
        flat = np.sort(joint.ravel(order="K"))
        starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
        values = np.diff(np.append(starts, flat.size))
        nz = flat[starts]
    col = np.searchsorted(base, nz, side="right") - 1
    cells = np.bincount(col, minlength=d).astype(np.int64)
    keep = values > 1
    out = np.bincount(col[keep], weights=_xlogx(values[keep]), minlength=d)
    return out, cells


def chance_corrected_mi(cond: np.ndarray, k_cond: int, codes: np.ndarray, ks) -> np.ndarray:
    """OutRank's cardinality-corrected mutual information of each column with ``cond``.

    For every group c of ``cond`` (n_c rows), ``H(F | c)`` is the entropy of the
    column's values in the group and ``H~(F | c)`` that of its noise copy, row i
    reading row ``(i + n_c) mod N``. The score is
    ``sum_c n_c / N * (H~(F | c) - H(F | c))`` (nats), which simplifies to
    ``(S - S~) / N`` with ``S = sum over joint cells of count * log(count)``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1])
    >>> f = np.array([[0], [0], [1], [1]])   # f equals y
    >>> round(float(chance_corrected_mi(y, 2, f, [2])[0]), 6)  # noise copy: 1,1,0,0
    0.0
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    n = codes.shape[0]
    if n == 0:
        return np.zeros(codes.shape[1])
    noise = codes[cyclic_noise_index(cond, k_cond)]
    real = joint_xlogx_sums(cond, k_cond, codes, ks)
    shuffled = joint_xlogx_sums(cond, k_cond, noise, ks)
    return (real - shuffled) / n


def entropy_from_codes(codes: np.ndarray, k: int) -> float:
    """Shannon entropy (nats) of a column of codes 0..k-1.

    Examples
    --------
    >>> import numpy as np
    >>> round(entropy_from_codes(np.array([0, 1, 0, 1]), 2), 6)
    0.693147
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = codes.shape[0]
    if n == 0:
        return 0.0
    counts = np.bincount(codes, minlength=k)
    return float(np.log(n) - _xlogx(counts).sum() / n)
