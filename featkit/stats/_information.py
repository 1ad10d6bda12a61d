"""Histogram mutual information of the Inf-FS / EC-FS reference code.

:func:`muteinf` reproduces ``muteinf.m`` of Roffo's Feature Selection Library
number for number: an equal-width histogram of each feature, empty cells
floored, and the mutual information normalised as ``2 I / (H_A + H_Y)``.
Its quirks are kept on purpose (see the notes of :func:`muteinf`).
"""

from __future__ import annotations

import math

import numpy as np

from .._array import get_namespace, is_numpy_namespace

__all__ = ["muteinf", "reference_bin_count"]

# Floors of the reference for empty histogram cells (marginal: a probability;
# joint: a count, divided by n afterwards).
_EMPTY_MARGINAL = 1e-5
_EMPTY_JOINT_COUNT = 1e-5
_CHUNK_ELEMENTS = 4_000_000


def reference_bin_count(n_samples: int) -> int:
    """Number of histogram bins the reference uses for ``n_samples`` rows.

    Examples
    --------
    >>> from featkit.stats import reference_bin_count
    >>> [reference_bin_count(n) for n in (50, 150, 1000)]
    [10, 15, 20]
    """
    return 20 if n_samples / 10 > 20 else max(n_samples // 10, 10)


def _matlab_eps(a, xp):
    # MATLAB's eps(x): distance from |x| to the next larger double
    mag = xp.abs(a)
    return xp.nextafter(mag, xp.full_like(mag, math.inf)) - mag


def _hist_bins(X, nbins, xp):
    """Bin index (0-based) of every entry as MATLAB's ``hist(x, nbins)`` counts it.

    Edges ``min + w*k`` with the last edge the maximum; intervals are closed on
    the right (``( ]``), the first bin takes the minimum. A constant column
    goes to bin ``floor(nbins/2)`` (MATLAB widens its range).
    """
    mn = xp.min(X, axis=0)
    mx = xp.max(X, axis=0)
    const = mn == mx
    lo = xp.where(const, (mn - float(nbins // 2)) - 0.5, mn)
    hi = xp.where(const, (mx + float(-(-nbins // 2))) - 0.5, mx)
    width = (hi - lo) / float(nbins)
    k = xp.astype(xp.arange(nbins, device=X.device), xp.float64)
    inner = lo[None, :] + width[None, :] * k[:, None]  # edges 0..nbins-1
    edges = xp.concat([inner, hi[None, :]], axis=0)  # last edge is the maximum itself
    shifted = edges + _matlab_eps(edges, xp)
    below = xp.sum(xp.astype(shifted[None, :, :] <= X[:, None, :], xp.int64), axis=1)
    return xp.clip(below - 1, 0, nbins - 1)


def _loop_bins(X, nbins, xp):
    """Bin index of the reference's explicit loop: ``xl <= x < xl + rx`` with
    ``xl`` accumulated one width at a time (the last bin is open above)."""
    mn = xp.min(X, axis=0)
    mx = xp.max(X, axis=0)
    rx = xp.abs(mx - mn) / float(nbins)
    steps = xp.concat([mn[None, :], xp.broadcast_to(rx[None, :], (nbins - 1, rx.shape[0]))], axis=0)
    lower = xp.cumulative_sum(steps, axis=0)  # xl of bins 0..nbins-1, summed as the loop does
    return xp.sum(xp.astype(lower[None, 1:, :] <= X[:, None, :], xp.int64), axis=1)


def _edges_numpy(X, nbins, mn=None, mx=None):
    """(nbins+1, d) shifted MATLAB ``hist`` edges and (nbins-1, d) loop edges, NumPy
    (from the columns' own range unless ``mn`` / ``mx`` give the whole table's)."""
    if mn is None:
        mn, mx = X.min(axis=0), X.max(axis=0)
    const = mn == mx
    lo = np.where(const, (mn - float(nbins // 2)) - 0.5, mn)
    hi = np.where(const, (mx + float(-(-nbins // 2))) - 0.5, mx)
    width = (hi - lo) / float(nbins)
    edges = lo[None, :] + width[None, :] * np.arange(nbins, dtype=np.float64)[:, None]
    edges = np.concatenate([edges, hi[None, :]], axis=0)
    mag = np.abs(edges)
    shifted = edges + (np.nextafter(mag, np.inf) - mag)
    rx = np.abs(mx - mn) / float(nbins)
    steps = np.concatenate([mn[None, :], np.broadcast_to(rx[None, :], (nbins - 1, mn.shape[0]))], axis=0)
    lower = np.cumsum(steps, axis=0)[1:]
    return shifted, lower


def _muteinf_numpy(X, y_rows, rows, pY, nbins):
    """Same numbers as the generic path, with gathers and bincount (fast on the CPU)."""
    a_counts, joint = muteinf_counts(X, y_rows, rows, nbins)
    return muteinf_from_counts(a_counts, joint, pY, X.shape[0])


def muteinf_counts(X, y_rows, rows, nbins, mn=None, mx=None):
    """The histogram counts of :func:`muteinf` for a block of rows (NumPy).

    ``mn`` / ``mx``: the whole table's column minima and maxima, which fix the
    edges (default: the block's own). Returns ``(a_counts (d, nbins), joint
    (rows, d, nbins))``; counts of blocks cut at the same edges add.
    """
    n, d = X.shape
    shifted, lower = _edges_numpy(X, nbins, mn, mx)
    # bin estimates from arithmetic, made exact by comparing with the three
    # nearest true edges (rounding moves an estimate by at most one bin)
    if mn is None:
        mn, mx = X.min(axis=0), X.max(axis=0)
    lo_h = shifted[0]
    span = shifted[-1] - shifted[0]
    width = np.where(span > 0, span / nbins, 1.0)
    pad_a = np.concatenate([np.full((1, d), -np.inf), shifted, np.full((1, d), np.inf)], axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        est = np.floor((X - lo_h[None, :]) / width[None, :])
    est = np.clip(np.nan_to_num(est, nan=0.0), 0, nbins).astype(np.int64)
    a_idx = est - 1
    for k in range(3):
        a_idx += np.take_along_axis(pad_a, est + k, axis=0) <= X
    rx = np.abs(mx - mn) / float(nbins)
    pad_j = np.concatenate([np.full((1, d), -np.inf), lower, np.full((2, d), np.inf)], axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        est = np.floor((X - mn[None, :]) / np.where(rx > 0, rx, 1.0)[None, :])
    est = np.where((rx > 0)[None, :], est, nbins - 1)
    est = np.clip(np.nan_to_num(est, nan=0.0), 0, nbins - 1).astype(np.int64)
    j_idx = est - 1
    for k in range(3):
        j_idx += np.take_along_axis(pad_j, est + k, axis=0) <= X
    a_idx, j_idx = a_idx.T, j_idx.T
    np.clip(a_idx - 1, 0, nbins - 1, out=a_idx)
    offsets = np.arange(d, dtype=np.int64)[:, None] * nbins
    a_counts = np.bincount((a_idx + offsets).ravel(), minlength=d * nbins).reshape(d, nbins)
    flat = (y_rows[None, :] * (d * nbins) + offsets + j_idx).ravel()
    joint = np.bincount(flat, minlength=rows * d * nbins).reshape(rows, d, nbins)
    return a_counts, joint


def muteinf_from_counts(a_counts, joint, pY, n):
    """:func:`muteinf` from the counts of :func:`muteinf_counts` over all ``n`` rows."""
    joint = np.array(joint, dtype=np.float64)  # a copy: its empty cells are floored below
    pA = a_counts / float(n)
    pA[pA == 0] = _EMPTY_MARGINAL
    joint[joint == 0] = _EMPTY_JOINT_COUNT
    p = joint / float(n)
    info = np.sum(np.sum(p * np.log(p / (pA[None, :, :] * pY[:, None, None])), axis=2), axis=0)
    HA = -np.sum(pA * np.log(pA), axis=1)
    HY = -np.sum(pY * np.log(pY))
    return 2.0 * info / (HA + HY)


def _onehot(idx, k, xp):
    """(n, b) integer codes -> (n, b*k) float one-hot, column block per feature."""
    n, b = idx.shape
    codes = xp.arange(k, device=idx.device)
    oh = xp.astype(idx[:, :, None] == codes[None, None, :], xp.float64)
    return xp.reshape(oh, (n, b * k))


def _entropy(p, xp, axis):
    return -xp.sum(p * xp.log(p), axis=axis)


def muteinf(X, y, *, task="classification", n_classes=None, xp=None):
    """Normalised mutual information of every column of ``X`` with ``y``, as the reference.

    ``2 I(A; Y) / (H(A) + H(Y))`` from equal-width histograms with
    ``nbins = 20 if n/10 > 20 else max(floor(n/10), 10)``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Class codes ``0..k-1`` for classification, numbers for regression.
    task : {"classification", "regression"}
        Regression uses the reference's own regression branch: ``y`` is
        binned into ``nbins`` equal-width bins as well.
    n_classes : int, optional
        Number of classes (default: ``max(y) + 1``).

    Returns
    -------
    info : array of shape (n_features,)

    Notes
    -----
    Reference quirks reproduced on purpose:

    * ``H(A)`` uses MATLAB ``hist`` bins (closed on the right) while the joint
      table uses the loop's bins (closed on the left, edges accumulated), so a
      value on a bin edge can count in different bins in the two;
    * empty marginal cells get probability 1e-5, empty joint cells count 1e-5;
    * a constant column lands in the middle bin of ``H(A)`` but in the last
      bin of the joint table, which gives it a *large* score: drop constant
      columns before a supervised ranking.

    Two classes are the reference; ``k > 2`` classes (one row of the joint
    table per class) is featkit's extension.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import muteinf
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = np.column_stack([y + 0.1 * rng.normal(size=100), rng.normal(size=100)])
    >>> info = muteinf(X, y)
    >>> bool(info[0] > 5 * info[1])
    True
    """
    xp = xp or get_namespace(X)
    X = xp.asarray(X, dtype=xp.float64)
    y = xp.asarray(y)
    n, d = X.shape
    nbins = reference_bin_count(n)
    if task == "regression":
        yf = xp.astype(y, xp.float64)[:, None]
        y_hist = _hist_bins(yf, nbins, xp)[:, 0]
        y_counts = xp.sum(xp.astype(y_hist[:, None] == xp.arange(nbins, device=X.device)[None, :],
                                    xp.float64), axis=0)
        pY = y_counts / float(n)
        pY = xp.where(pY == 0, xp.full_like(pY, _EMPTY_MARGINAL), pY)
        rows = nbins
        y_joint = _loop_bins(yf, nbins, xp)[:, 0]
    else:
        codes = xp.astype(y, xp.int64)
        rows = int(xp.max(codes)) + 1 if n_classes is None else int(n_classes)
        y_joint = codes
        pY = xp.sum(xp.astype(codes[:, None] == xp.arange(rows, device=X.device)[None, :],
                              xp.float64), axis=0) / float(n)
    if is_numpy_namespace(xp):
        Xn, yn, pYn = np.asarray(X), np.asarray(y_joint, dtype=np.int64), np.asarray(pY)
        step = max(1, _CHUNK_ELEMENTS // max(n, 1))
        parts = [_muteinf_numpy(Xn[:, j:j + step], yn, rows, pYn, nbins) for j in range(0, d, step)]
        return xp.asarray(np.concatenate(parts) if parts else np.zeros(0))
    Yoh_t = xp.permute_dims(
        xp.astype(y_joint[:, None] == xp.arange(rows, device=X.device)[None, :], xp.float64), (1, 0)
    )
    HY = _entropy(pY, xp, axis=0)
    out = []
    step = max(1, _CHUNK_ELEMENTS // (n * (nbins + 1)))
    for j in range(0, d, step):
        block = X[:, j:min(j + step, d)]
        b = block.shape[1]
        a_idx = _hist_bins(block, nbins, xp)
        a_counts = xp.reshape(xp.sum(_onehot(a_idx, nbins, xp), axis=0), (b, nbins))
        pA = a_counts / float(n)
        pA = xp.where(pA == 0, xp.full_like(pA, _EMPTY_MARGINAL), pA)
        joint = xp.reshape(Yoh_t @ _onehot(_loop_bins(block, nbins, xp), nbins, xp), (rows, b, nbins))
        joint = xp.where(joint == 0, xp.full_like(joint, _EMPTY_JOINT_COUNT), joint)
        p = joint / float(n)
        ratio = p / (pA[None, :, :] * pY[:, None, None])
        info = xp.sum(xp.sum(p * xp.log(ratio), axis=2), axis=0)
        HA = _entropy(pA, xp, axis=1)
        out.append(2.0 * info / (HA + HY))
    return xp.concat(out) if out else xp.zeros((0,), dtype=xp.float64, device=X.device)
