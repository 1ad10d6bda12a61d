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

import numbers

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._array import get_namespace, is_foreign_array, to_numpy, validate_foreign_array
from ..exceptions import InputError
from ..utils._input import check_fit_input
from ..stats._moments import (  # noqa: F401  (re-exported: the decomposers' names)
    block_buffer,
    block_moments,
    blocked_moments,
    column_moments,
    merge_moments,
    whole_moments,
)

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
