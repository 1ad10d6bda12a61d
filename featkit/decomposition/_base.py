"""Shared pieces of the decomposition estimators.

* input validation: CuPy / torch / ``array_api_strict`` arrays are checked in
  their own namespace (:func:`featkit._array.validate_foreign_array`), NumPy
  and pandas go through scikit-learn's ``validate_data`` so that feature names
  and error messages match;
* blocked first and second moments with the pairwise merge of Chan, Golub &
  LeVeque (1979), which is exact and is what both ``fit`` and ``partial_fit``
  use, so that a streamed fit equals a full one;
* the sign convention of the components and small array-API helpers.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._array import get_namespace, is_foreign_array, to_numpy, validate_foreign_array
from ..exceptions import InputError
from ..utils._input import check_fit_input

__all__ = [
    "validate_input",
    "array_device",
    "block_rows_for",
    "block_moments",
    "merge_moments",
    "blocked_moments",
    "flip_signs",
    "set_axes",
    "check_n_components",
    "as_namespace",
]

# Rows per block are chosen so that one centred block copy takes about this
# many bytes: big enough for an efficient GEMM, small next to the data.
_BLOCK_BYTES_CPU = 16 * 1024**2
_BLOCK_BYTES_GPU = 512 * 1024**2
_BLOCK_BYTES_WIDE_MAX = 128 * 1024**2


def array_device(X):
    import array_api_compat

    return array_api_compat.device(X)


def validate_input(est, X, *, reset: bool, allow_nan: bool = False, min_samples: int = 1):
    """Validate ``X`` and return ``(X, xp)``.

    Floating inputs keep their dtype (float32 stays float32); other numeric
    inputs become float64. Non-NumPy array-API arrays stay on their device.
    """
    if is_foreign_array(X):
        return validate_foreign_array(est, X, reset=reset, allow_nan=allow_nan, min_samples=min_samples)
    if reset:
        check_fit_input(X, None, type(est).__name__)
    X = validate_data(
        est,
        X,
        reset=reset,
        dtype=[np.float64, np.float32],
        ensure_all_finite="allow-nan" if allow_nan else True,
        ensure_min_samples=min_samples,
    )
    return X, get_namespace(X)


def check_n_components(n_components, n_samples: int, n_features: int, *, allow_fraction=True,
                       upper: int | None = None) -> int | float | None:
    """Validate ``n_components`` (int, fraction of variance in (0, 1) or None)."""
    limit = min(n_samples, n_features) if upper is None else upper
    if n_components is None:
        return None
    if isinstance(n_components, numbers.Integral) and not isinstance(n_components, bool):
        if not 1 <= n_components <= limit:
            raise InputError(
                f"n_components={n_components} must be between 1 and min(n_samples, n_features)={limit}."
            )
        return int(n_components)
    if allow_fraction and isinstance(n_components, numbers.Real) and not isinstance(n_components, bool):
        if not 0 < n_components < 1:
            raise InputError(
                f"A fractional n_components (share of variance to keep) must be in (0, 1), got {n_components}."
            )
        return float(n_components)
    raise InputError(f"n_components must be an int, a fraction in (0, 1) or None, got {n_components!r}.")


def block_rows_for(n_features: int, itemsize: int, on_gpu: bool = False, block_rows=None) -> int:
    if block_rows is not None:
        return max(1, int(block_rows))
    budget = _BLOCK_BYTES_GPU if on_gpu else _BLOCK_BYTES_CPU
    rows = budget // max(1, n_features * itemsize)
    # Each block costs a few d x d float64 passes (cast, correction, merge) on top
    # of its GEMM; for wide data at least ~4 d rows per block keep those passes
    # small next to the product, within a cap on the block's size.
    wide_rows = min(4 * n_features, _BLOCK_BYTES_WIDE_MAX // max(1, n_features * itemsize))
    return max(256, rows, wide_rows)


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


def flip_signs(xp, components):
    """Make the largest-magnitude entry of each component positive (deterministic output).

    The convention of scikit-learn's ``svd_flip(u_based_decision=False)``.
    """
    host = to_numpy(components)
    if host.size == 0:
        return components
    idx = np.argmax(np.abs(host), axis=1)
    signs = np.sign(host[np.arange(host.shape[0]), idx])
    signs[signs == 0] = 1.0
    signs = xp.asarray(signs.astype(host.dtype), device=array_device(components))
    return components * signs[:, None]


def set_axes(est, xp, components, variance, total: float):
    """Set the fitted axes every decomposer reports, in one place.

    Sets ``components_``, ``n_components_``, ``explained_variance_`` and
    ``explained_variance_ratio_`` (``variance / total``; zeros when the
    total variance is zero) on ``est``.

    Parameters
    ----------
    est : estimator
    xp : array namespace of the arrays
    components : array of shape (k, n_features)
        The final axes: sign-flipped and in the output dtype, which the two
        variance attributes take too.
    variance : array of shape (k,)
        Variance along each axis, in float64 (cast only once, here).
    total : float
        Total variance of the data (the ratio's denominator).
    """
    dtype = components.dtype
    est.components_ = components
    est.n_components_ = int(components.shape[0])
    est.explained_variance_ = xp.astype(variance, dtype)
    ratio = variance / total if total > 0 else xp.zeros_like(variance)
    est.explained_variance_ratio_ = xp.astype(ratio, dtype)


def as_namespace(a, xp, like=None):
    """``a`` (fitted state) converted to namespace ``xp`` (and the device of ``like``)."""
    if a is None:
        return None
    if get_namespace(a) is xp or type(a).__module__.split(".")[0] == xp.__name__.split(".")[-1]:
        return a
    host = to_numpy(a)
    if like is not None:
        return xp.asarray(host, device=array_device(like))
    return xp.asarray(host)


def n_components_for_variance(explained_variance, fraction: float) -> int:
    """Smallest number of leading components whose variance share exceeds ``fraction``."""
    ev = np.asarray(to_numpy(explained_variance), dtype=np.float64)
    total = ev.sum()
    if total <= 0:
        return 1
    ratio = np.cumsum(ev) / total
    return int(min(np.searchsorted(ratio, fraction, side="right") + 1, ev.size))


class LinearAxesMixin(TransformerMixin):
    """What a decomposer with ``components_`` and ``mean_`` shares: the output
    width, ``transform`` (``(X - mean_) @ components_.T``, in the namespace and
    on the device of ``X``, whitened when the estimator has ``whiten=True``),
    ``inverse_transform`` (``X @ components_ + mean_``, in float64 on the host)
    and the tag that float32 and float64 inputs keep their dtype.

    It derives from ``TransformerMixin`` so that scikit-learn wraps this
    ``transform`` for ``set_output`` (only methods defined on a subclass of
    its output mixin are wrapped).
    """

    @property
    def _n_features_out(self):
        return self.n_components_

    def transform(self, X):
        """Project ``X`` on the principal axes (whitened if the estimator has ``whiten=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NumPy/pandas, or a CuPy / torch / array-API array (the result stays
            in its namespace and on its device).

        Returns
        -------
        array of shape (n_samples, n_components_)
        """
        check_is_fitted(self, "components_")
        X, xp = validate_input(self, X, reset=False)
        comps = xp.astype(as_namespace(self.components_, xp, X), X.dtype)
        mean = xp.astype(as_namespace(self.mean_, xp, X), X.dtype)
        # blocks of rows keep the centred temporary small next to X
        rows = block_rows_for(X.shape[1], 8, False, getattr(self, "block_rows", None))
        parts = [xp.matmul(X[s:min(s + rows, X.shape[0]), :] - mean, comps.T) for s in range(0, X.shape[0], rows)]
        out = parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)
        if getattr(self, "whiten", False):
            ev = as_namespace(self.explained_variance_, xp, X)
            scale = xp.sqrt(xp.astype(ev, X.dtype))
            scale = xp.where(scale > 0, scale, xp.ones_like(scale))
            out = out / scale
        return out

    def inverse_transform(self, X):
        """Back to feature space: ``X @ components_ + mean_``."""
        check_is_fitted(self, "components_")
        X = np.asarray(X, dtype=np.float64)
        return X @ to_numpy(self.components_).astype(np.float64) + to_numpy(self.mean_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
