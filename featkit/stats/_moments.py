"""Blocked first and second moments of a matrix, merged pairwise.

The pairwise merge of Chan, Golub & LeVeque (1979) is exact, so moments
computed block by block -- in memory, streamed, or one block per Dask
partition -- equal those of the whole matrix up to rounding. Array-API code:
the same functions run on NumPy, CuPy and torch.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["block_moments", "merge_moments", "blocked_moments", "whole_moments", "column_moments",
           "block_buffer"]


def _raw_scatter(xp, X, mean, limit):
    """``X^T X - n mean mean^T`` in float64, or None when a column's second moment exceeds ``limit`` x its variance."""
    n = X.shape[0]
    raw = xp.astype(xp.matmul(X.T, X), xp.float64)
    scatter = raw - n * (mean[:, None] * mean[None, :])
    if bool(xp.all(xp.linalg.diagonal(raw) <= limit * xp.linalg.diagonal(scatter))):
        return scatter
    return None


def block_moments(xp, block, out=None):
    """Count, float64 mean and float64 centred scatter of one block of rows.

    Fast path: the raw product ``B^T B`` corrected in float64 by the exactly
    summed mean. It is used only when the cancellation is mild -- every
    column's second moment at most ``1e-4 / eps`` times its variance, so the
    relative error stays near 1e-4 in float32. Otherwise the block is
    centred on its mean (in its own dtype) *before* the product and the tiny
    residual mean left by rounding is removed exactly, so data with large
    offsets keeps full accuracy and float32 never needs a float64 copy.
    """
    nb = block.shape[0]
    mean = xp.sum(block, axis=0, dtype=xp.float64) / nb
    scatter = _raw_scatter(xp, block, mean, _cancellation_limit(xp, block.dtype))
    if scatter is not None:
        return nb, mean, scatter
    if out is not None:
        # NumPy: reuse one buffer; a fresh block-sized array per block costs
        # page faults and kernel zeroing comparable to the subtraction itself
        centred = out[:nb]
        np.subtract(block, np.asarray(mean, dtype=block.dtype), out=centred)
    else:
        centred = block - xp.astype(mean, block.dtype)
    scatter = xp.astype(xp.matmul(centred.T, centred), xp.float64)
    resid = xp.astype(xp.sum(centred, axis=0), xp.float64) / nb
    scatter = scatter - nb * (resid[:, None] * resid[None, :])
    return nb, mean + resid, scatter


def merge_moments(xp, n_a, mean_a, scatter_a, n_b, mean_b, scatter_b):
    """Pairwise merge of two (count, mean, scatter) triples (Chan, Golub & LeVeque 1979)."""
    if n_a == 0:
        return n_b, mean_b, scatter_b
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    scatter = scatter_a + scatter_b + (delta[:, None] * delta[None, :]) * (n_a * n_b / n)
    return n, mean, scatter


def block_buffer(xp, X, block_rows: int):
    """A reusable centring buffer for :func:`block_moments` (NumPy only, else None)."""
    if not isinstance(X, np.ndarray):
        return None
    return np.empty((min(block_rows, X.shape[0]), X.shape[1]), dtype=X.dtype)


def _cancellation_limit(xp, dtype) -> float:
    return 1e-4 / float(np.finfo(np.float32 if dtype == xp.float32 else np.float64).eps)


def _column_sums64(xp, X):
    """Column sums in float64.

    For a C-ordered NumPy float32 array, groups of 16 rows are summed in
    float32 (a 15-addition rounding error, far below that of the float32
    product the sums correct) and the group sums in float64: about 25% less
    time than casting every element, at ~1e-9 relative difference.
    """
    if isinstance(X, np.ndarray) and X.dtype == np.float32 and X.flags.c_contiguous and X.shape[0] >= 64:
        g = 16
        n, d = X.shape
        m = (n // g) * g
        # chunks of ~4 MiB of group sums, so the temporaries stay small
        step = g * max(1, (4 * 1024**2) // (4 * d))
        sums = np.zeros(d)
        for start in range(0, m, step):
            stop = min(start + step, m)
            sums += X[start:stop].reshape(-1, g, d).sum(axis=1).sum(axis=0, dtype=np.float64)
        return xp.asarray(sums + X[m:].sum(axis=0, dtype=np.float64))
    return xp.sum(X, axis=0, dtype=xp.float64)


def whole_moments(xp, X, probe_rows: int):
    """(n, mean, scatter) of an in-memory ``X`` from one ``X^T X``, or None.

    One product over all rows runs at the BLAS rate of a single large ``syrk``
    -- faster than the same product cut into blocks -- and needs no centred
    copy. It is only taken when the raw second moments cancel mildly (the
    bound of the fast path of :func:`block_moments`, tightened by
    ``sqrt(n / 8192)`` for the longer accumulation): a centred probe of
    the first ``probe_rows`` rows screens out data with large offsets before
    the product, and the exact diagonal confirms the bound after it. None
    means "use the blocked, centred pass".
    """
    n = X.shape[0]
    # rounding in a product accumulated over n rows grows like sqrt(n); the blocked
    # pass merges blocks of ~8k rows in float64, so the whole product must meet a
    # bound tighter by sqrt(n / 8192) to be as accurate
    limit = _cancellation_limit(xp, X.dtype) / max(1.0, math.sqrt(n / 8192))
    mean = _column_sums64(xp, X) / n
    probe = X[:min(n, probe_rows), :]
    pc = xp.astype(probe, xp.float64) - mean
    pvar = xp.sum(pc * pc, axis=0) / probe.shape[0]
    psecond = xp.sum(xp.astype(probe, xp.float64) ** 2, axis=0) / probe.shape[0]
    # a 2x margin: the probe's variance is an estimate of the column's
    if not bool(xp.all(psecond * 2 <= limit * pvar)):
        return None
    scatter = _raw_scatter(xp, X, mean, limit)
    return None if scatter is None else (n, mean, scatter)


def blocked_moments(xp, X, block_rows: int, whole: bool = False):
    """(n, mean, scatter) of ``X`` in float64, reading it block by block.

    With ``whole=True`` an in-memory array whose moments cancel mildly is
    done in one product (:func:`whole_moments`); the result is the same up to
    rounding.
    """
    if whole and X.shape[0] > block_rows:
        # the probe is cast to float64: at most ~8 MiB of it
        out = whole_moments(xp, X, max(64, min(block_rows, 4096, (8 * 1024**2) // (8 * X.shape[1]))))
        if out is not None:
            return out
    n = 0
    mean = scatter = None
    buf = block_buffer(xp, X, block_rows)
    for start in range(0, X.shape[0], block_rows):
        nb, mb, sb = block_moments(xp, X[start:min(start + block_rows, X.shape[0]), :], buf)
        n, mean, scatter = merge_moments(xp, n, mean, scatter, nb, mb, sb)
    return n, mean, scatter


def column_moments(xp, X, block_rows: int):
    """(n, float64 mean, float64 sum of squared deviations) per column, blocked."""
    n = 0
    mean = m2 = None
    for start in range(0, X.shape[0], block_rows):
        block = X[start:min(start + block_rows, X.shape[0]), :]
        nb = block.shape[0]
        mb = xp.astype(xp.sum(block, axis=0), xp.float64) / nb
        centred = block - xp.astype(mb, block.dtype)
        resid = xp.astype(xp.sum(centred, axis=0), xp.float64) / nb
        m2b = xp.astype(xp.sum(centred * centred, axis=0), xp.float64) - nb * resid * resid
        mb = mb + resid
        if n == 0:
            n, mean, m2 = nb, mb, m2b
            continue
        tot = n + nb
        delta = mb - mean
        mean = mean + delta * (nb / tot)
        m2 = m2 + m2b + delta * delta * (n * nb / tot)
        n = tot
    return n, mean, m2
