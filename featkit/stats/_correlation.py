"""Pearson and Spearman correlation through the array API.

Spearman's rho is Pearson's r of the column ranks (average ranks for ties), so
both reduce to one GEMM of standardised columns. The d x d matrix can be formed
whole (:func:`spearman_correlation`) or block by block from the n x d factor
returned by :func:`unit_columns` when it would not fit in memory.
"""

from __future__ import annotations

import numpy as np

from .._array import get_namespace, is_numpy_namespace

__all__ = [
    "average_ranks",
    "unit_columns",
    "pearson_correlation",
    "spearman_correlation",
]

# Rank at most this many matrix elements at a time (the ranking needs several
# temporaries of the size of the chunk).
_RANK_CHUNK_ELEMENTS = 1_000_000


def _ranks_chunk(X, xp):
    n, d = X.shape
    # ties share their average rank, so the order within ties does not matter
    order = xp.argsort(X, axis=0, stable=False)
    S = xp.sort(X, axis=0)
    first = xp.ones((1, d), dtype=xp.bool, device=X.device)
    starts_mask = xp.concat([first, S[1:, :] != S[:-1, :]], axis=0)
    # Column-major flattening turns the per-column tie groups into runs of one
    # 1-d array, so group boundaries come from one cumulative sum.
    flat_new = xp.reshape(xp.permute_dims(starts_mask, (1, 0)), (-1,))
    group = xp.cumulative_sum(xp.astype(flat_new, xp.int64)) - 1
    starts = xp.nonzero(flat_new)[0]
    total = xp.asarray([n * d], dtype=starts.dtype, device=X.device)
    ends = xp.concat([starts[1:], total])
    left = xp.astype(xp.take(starts, group), xp.float64)
    right = xp.astype(xp.take(ends, group), xp.float64)
    pos = xp.arange(n * d, dtype=xp.int64, device=X.device)
    col_start = xp.astype((pos // n) * n, xp.float64)
    # positions left..right-1 of a tie group share the mean rank (left + 1 + right) / 2
    avg_sorted = (left + right + 1.0) / 2.0 - col_start
    # scatter back: original row order[i, j] holds sorted position i of column j
    inv = xp.argsort(order, axis=0, stable=False)
    flat_inv = xp.reshape(xp.permute_dims(inv, (1, 0)), (-1,)) + xp.astype(col_start, xp.int64)
    ranks_cm = xp.take(avg_sorted, flat_inv)
    return xp.permute_dims(xp.reshape(ranks_cm, (d, n)), (1, 0))


def _ranks_numpy(X):
    # rows of X.T are contiguous, and an unstable sort is enough (ties share
    # their mean rank): several times faster than ranking along axis 0
    n, d = X.shape
    XT = np.ascontiguousarray(X.T, dtype=np.float64)
    order = np.argsort(XT, axis=1)
    S = np.take_along_axis(XT, order, axis=1)
    new = np.empty(S.shape, dtype=bool)
    new[:, 0] = True
    np.not_equal(S[:, 1:], S[:, :-1], out=new[:, 1:])
    del S
    flat = new.ravel()
    starts = np.flatnonzero(flat)
    ends = np.append(starts[1:], flat.size)
    group = np.cumsum(flat) - 1
    del new, flat
    row_start = (np.arange(d, dtype=np.int64) * n)[:, None]
    avg = ((starts[group] + ends[group] + 1) / 2.0).reshape(d, n) - row_start
    R = np.empty((d, n), dtype=np.float64)
    np.put_along_axis(R, order, avg, axis=1)
    return R.T


def average_ranks(X, *, xp=None):
    """Column-wise ranks 1..n of ``X``, tied values sharing their average rank.

    Runs in the array namespace of ``X`` (NumPy, CuPy, torch, array_api_strict)
    and equals ``scipy.stats.rankdata(X, axis=0)`` with ``method="average"``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import average_ranks
    >>> average_ranks(np.array([[3.0, 1.0], [1.0, 1.0], [3.0, 2.0]])).tolist()
    [[2.5, 1.5], [1.0, 1.5], [2.5, 3.0]]
    """
    xp = xp or get_namespace(X)
    X = xp.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"average_ranks expects a 2-d array, got {X.ndim} dimensions.")
    n, d = X.shape
    if n == 0 or d == 0:
        return xp.zeros((n, d), dtype=xp.float64, device=X.device)
    if is_numpy_namespace(xp):
        return xp.asarray(_ranks_numpy(np.asarray(X)))
    step = max(1, _RANK_CHUNK_ELEMENTS // max(n, 1))
    if step >= d:
        return _ranks_chunk(X, xp)
    out = xp.empty((n, d), dtype=xp.float64, device=X.device)
    for j in range(0, d, step):
        stop = min(j + step, d)
        out[:, j:stop] = _ranks_chunk(X[:, j:stop], xp)
    return out


def unit_columns(X, *, xp=None):
    """Centred, unit-norm columns ``Z`` so that ``Z.T @ Z`` is Pearson's r.

    Returns ``(Z, constant)``: constant columns (zero spread) become zero
    columns of ``Z`` and are flagged in the boolean mask ``constant``; their
    correlations, undefined, are 0 in ``Z.T @ Z``.
    """
    xp = xp or get_namespace(X)
    X = xp.asarray(X, dtype=xp.float64)
    Zc = X - xp.mean(X, axis=0, keepdims=True)
    norms = xp.sqrt(xp.sum(Zc * Zc, axis=0))
    constant = norms == 0
    safe = xp.where(constant, xp.ones_like(norms), norms)
    Z = Zc / safe
    Z = xp.where(constant[None, :], xp.zeros_like(Z), Z)
    return Z, constant


def _finish_correlation(R, constant, xp):
    # As MATLAB's corr: off-diagonal values limited to [-1, 1], exact ones on
    # the diagonal; undefined (constant-column) entries are 0 (NaN -> 0 in the
    # reference code).
    R = xp.clip(R, -1.0, 1.0)
    d = R.shape[0]
    eye = xp.eye(d, dtype=R.dtype, device=R.device)
    diag_target = xp.where(constant, xp.zeros_like(R[0, :]), xp.ones_like(R[0, :]))
    return R * (1.0 - eye) + eye * diag_target[None, :]


def pearson_correlation(X, *, xp=None):
    """Pearson correlation matrix (d x d) of the columns of ``X`` by one GEMM.

    A constant column has correlation 0 with every column, itself included.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import pearson_correlation
    >>> X = np.array([[1.0, 2.0, 5.0], [2.0, 4.0, 5.0], [3.0, 7.0, 5.0]])
    >>> np.round(pearson_correlation(X), 3).tolist()
    [[1.0, 0.993, 0.0], [0.993, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    xp = xp or get_namespace(X)
    Z, constant = unit_columns(X, xp=xp)
    return _finish_correlation(xp.permute_dims(Z, (1, 0)) @ Z, constant, xp)


def spearman_correlation(X, *, xp=None):
    """Spearman rank correlation matrix: Pearson's r of average ranks.

    Equals ``scipy.stats.spearmanr(X).statistic`` (and MATLAB's
    ``corr(X, 'type', 'Spearman')``) with undefined entries of constant columns
    set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import spearman_correlation
    >>> X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 15.0], [4.0, 40.0]])
    >>> spearman_correlation(X).tolist()
    [[1.0, 0.8], [0.8, 1.0]]
    """
    xp = xp or get_namespace(X)
    return pearson_correlation(average_ranks(X, xp=xp), xp=xp)
