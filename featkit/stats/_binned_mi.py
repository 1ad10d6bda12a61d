"""Plug-in mutual information of discretised columns, with a Miller-Madow correction.

Numeric columns are quantile-binned (the rule of :func:`binned_codes`), codes
are used as they are, and every column's joint table with the target is
counted by the same vectorised kernel as OutRank
(:func:`~featkit.stats._contingency.joint_count_sums`): one ``np.bincount``
per block of columns, no loop over rows.
"""

from __future__ import annotations

import numpy as np

from ._contingency import AUTO_BINS, _direct_codes, factorize, joint_count_sums

__all__ = ["discretize_columns", "binned_mutual_info", "quantile_edge_codes", "QUANTILE_SAMPLE_ROWS"]

# Quantile edges of a column are estimated from at most this many rows (an
# evenly spaced subset): exact below it, and past it the edges move by well
# under a bin's width while the binning of a 1,000,000-row column costs a
# third. LightGBM bins from a 200,000-row sample for the same reason.
QUANTILE_SAMPLE_ROWS = 200_000
# Joint codes counted at once (cells of the (n, block) code matrix). Each column's
# counts and sums are its own, in the same order whatever the block's width, so the
# block sets only the memory: 2 columns of 1,000,000 rows (float64 copies, codes,
# joint codes) instead of 8, which set the peak of the tall run (#13), same speed.
_BLOCK_ELEMENTS = 1 << 21


def _column_codes(col: np.ndarray, n_bins, sample: np.ndarray | None):
    """(codes, k) of one column: quantile bins where ``n_bins`` asks for them,
    otherwise its values as categories (missing values their own code)."""
    if col.dtype.kind in "iuf" and n_bins is not None:
        finite = np.isfinite(col)
        all_finite = bool(finite.all())
        probe = col if sample is None else col[sample]
        probe = probe[np.isfinite(probe)]
        continuous = probe.size > 0 and (
            not isinstance(n_bins, str) or bool(np.any(probe != np.floor(probe))))
        bins = AUTO_BINS if isinstance(n_bins, str) else int(n_bins)
        if continuous and np.unique(probe).size > bins:
            edges = np.unique(np.quantile(probe, np.linspace(0, 1, bins + 1)[1:-1]))
            # A pass per edge (a handful) beats a binary search per row by ~3x;
            # it counts the edges <= x, as searchsorted(side="right") would.
            codes = np.zeros(col.shape[0], dtype=np.int32)
            for edge in edges:
                codes += col >= edge
            if not all_finite:
                codes[~finite] = edges.size + 1
            return codes, edges.size + 2
    direct = _direct_codes(col, max(4 * col.shape[0], 1024))
    codes, k, _ = direct if direct is not None else factorize(col)
    return codes.astype(np.int32, copy=False), k


def quantile_edge_codes(X, n_bins: int, probe=None):
    """Quantile-bin codes of every column of a numeric block at once.

    A column's edges are the distinct inner quantiles (``n_bins`` bins) of its
    ``probe`` rows (all rows by default), and a value's code is the number of
    edges at or below it; a value that is not finite gets ``n_edges + 1``.
    Per column this is the binning of ``np.unique(np.quantile(...))`` and a
    ``searchsorted(side="right")``, with one sort and one quantile call for
    the whole block instead of one per column; the quantiles along an axis
    are the 1-d quantiles of each column.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
        Floats.
    n_bins : int
    probe : ndarray of shape (n_probe, n_columns) or None
        The rows the edges are taken from; every value must be finite.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_columns), int32, column-major
    n_edges : ndarray of shape (n_columns,), int64
    n_distinct : ndarray of shape (n_columns,), int64
        Distinct values of each column's probe.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.5, 3.0], [1.5, 3.0], [2.5, np.nan], [3.5, 4.0]])
    >>> codes, n_edges, n_distinct = quantile_edge_codes(X, 2, X[[0, 1, 3]])
    >>> codes.T.tolist(), n_edges.tolist(), n_distinct.tolist()
    ([[0, 1, 1, 1], [1, 1, 2, 1]], [1, 1], [3, 2])
    """
    X = np.asarray(X, dtype=np.float64)
    probe = X if probe is None else np.asarray(probe, dtype=np.float64)
    # one row per column (the block is column-major): the sort and the quantiles
    # run along contiguous memory
    ordered = np.sort(probe.T, axis=1)
    n_distinct = 1 + np.count_nonzero(ordered[:, 1:] != ordered[:, :-1], axis=1)
    # sorted first: the same order statistics, so the same quantiles, and sorted edges
    quantiles = np.sort(np.quantile(ordered, np.linspace(0, 1, n_bins + 1)[1:-1], axis=1), axis=0)
    distinct = np.ones(quantiles.shape, dtype=bool)
    distinct[1:] = quantiles[1:] != quantiles[:-1]
    codes = np.zeros(X.shape[::-1], dtype=np.int32)
    values = X.T
    for edge, new in zip(quantiles, distinct):
        # a pass per edge (a handful) beats a binary search per value, as in _column_codes
        codes += (values >= edge[:, None]) & new[:, None]
    n_edges = np.count_nonzero(distinct, axis=0).astype(np.int64)
    missing = ~np.isfinite(values)
    if missing.any():
        codes = np.where(missing, (n_edges + 1).astype(np.int32)[:, None], codes)
    codes = codes.T  # column-major (n_samples, n_columns)
    return codes, n_edges, n_distinct.astype(np.int64)


def _block_codes(X, n_bins, sample):
    """``_column_codes`` of the columns of a float block whose probe rows are all
    finite, all at once; ``(codes, ks, done)`` where ``done`` marks the columns
    coded here (the others, and columns used as their values, are left to it)."""
    probe = X if sample is None else X[sample]
    done = np.isfinite(probe).all(axis=0) & (probe.shape[0] > 0)
    if isinstance(n_bins, str):  # "auto": only columns with a value that is not a whole number
        done &= np.any(probe != np.floor(probe), axis=0)
    every = bool(done.all())

    def columns(a):
        return a if every else a[:, done]  # no copy of a block that is binned whole
    bins = AUTO_BINS if isinstance(n_bins, str) else int(n_bins)
    codes = ks = None
    if done.any():
        codes, n_edges, n_distinct = quantile_edge_codes(columns(X), bins, columns(probe))
        binned = n_distinct > bins
        ks = n_edges + 2
        if not binned.all():
            done[np.flatnonzero(done)[~binned]] = False  # few distinct values: used as values
            codes, ks = codes[:, binned], ks[binned]
    return codes, ks, done


def discretize_columns(X, n_bins="auto"):
    """Integer codes of every column of ``X``: ``(codes (n, d) int32, ks (d,))``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    n_bins : "auto", int or None, default="auto"
        ``"auto"``: continuous columns (a value that is not a whole number and
        more than :data:`~featkit.stats._contingency.AUTO_BINS` distinct values)
        get that many quantile bins; whole-number columns (category codes,
        counts) are used as their values. An int bins every numeric column with
        more distinct values than that. None never bins. Missing values are a
        category of their own. Codes may leave some of ``0..k-1`` unused.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.linspace(0.05, 1.95, 20), np.arange(20) % 3])
    >>> codes, ks = discretize_columns(X)
    >>> np.unique(codes[:, 0]).size, np.unique(codes[:, 1]).tolist()
    (10, [0, 1, 2])
    """
    X = np.asarray(X)
    n, d = X.shape
    if X.dtype.kind in "iuf":
        X = np.asfortranarray(X)
    sample = None
    if n > QUANTILE_SAMPLE_ROWS:
        sample = np.linspace(0, n - 1, QUANTILE_SAMPLE_ROWS).astype(np.int64)
    # Column-major codes: each column is written and counted contiguously.
    codes = np.empty((n, d), dtype=np.int32, order="F")
    ks = np.empty(d, dtype=np.int64)
    done = np.zeros(d, dtype=bool)
    if X.dtype.kind == "f" and n_bins is not None and n and d:
        block, block_ks, done = _block_codes(X, n_bins, sample)
        if block is not None:
            codes[:, done], ks[done] = block, block_ks
    for j in np.flatnonzero(~done):  # missing values in the probe, or used as values
        codes[:, j], ks[j] = _column_codes(X[:, j], n_bins, sample)
    return codes, ks


def binned_mutual_info(target, k_target: int, codes, ks, *, correction="miller_madow"):
    """Mutual information (nats) of each column of ``codes`` with ``target``.

    The plug-in estimate ``I = H(F) + H(Y) - H(F, Y)`` from counts. With
    ``correction="miller_madow"`` each entropy gets the Miller-Madow term
    ``(m - 1) / (2 n)`` (``m`` non-empty cells), so that
    ``I_MM = I - (m_FY - m_F - m_Y + 1) / (2 n)``: the first-order bias of the
    plug-in estimate, which grows with the cells of the table, is taken off.
    An independent many-valued column then scores near 0 instead of near
    ``(k_F - 1)(k_Y - 1) / (2 n)``; the corrected value can be slightly negative.

    Parameters
    ----------
    target : array of shape (n_samples,)
        Codes ``0..k_target-1``.
    k_target : int
    codes : array of shape (n_samples, n_features)
        Column j holds codes ``0..ks[j]-1`` (see :func:`discretize_columns`).
    ks : array of shape (n_features,)
    correction : {"miller_madow", None}, default="miller_madow"

    Returns
    -------
    ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1])
    >>> f = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> np.round(binned_mutual_info(y, 2, f, [2, 2], correction=None), 6).tolist()
    [0.693147, 0.0]
    """
    if correction not in ("miller_madow", None):
        raise ValueError(f"correction must be 'miller_madow' or None, got {correction!r}.")
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    n, d = codes.shape
    ks = np.asarray(ks, dtype=np.int64).reshape(d)
    target = np.asarray(target, dtype=np.int64)
    out = np.zeros(d, dtype=np.float64)
    if n == 0 or d == 0:
        return out
    y_counts = np.bincount(target, minlength=k_target)
    y_pos = y_counts[y_counts > 0]
    s_y = float(np.sum(y_pos * np.log(y_pos)))
    m_y = y_pos.size
    step = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, d, step):
        block = codes[:, start:start + step]
        kb = ks[start:start + step]
        s_f = np.empty(block.shape[1])
        m_f = np.empty(block.shape[1])
        for j in range(block.shape[1]):
            counts = np.bincount(block[:, j], minlength=kb[j])
            counts = counts[counts > 0]
            s_f[j] = np.sum(counts * np.log(counts))
            m_f[j] = counts.size
        s_fy, m_fy = joint_count_sums(target, k_target, block, kb)
        # H(F) + H(Y) - H(F,Y) with H = log n - S / n, S = sum of c log c.
        mi = np.log(n) - (s_f + s_y - s_fy) / n
        if correction == "miller_madow":
            mi -= (m_fy - m_f - m_y + 1) / (2.0 * n)
        out[start:start + step] = mi
    return out
