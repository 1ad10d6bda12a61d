"""The canonical column order, and the hooks by which the engine hands a fit its order and rows.

A ranking must not depend on the position of the input columns, so
:class:`featkit.base.BaseRanker` fits on the columns in a canonical order: by a
fingerprint of their contents, then their names (:func:`canonical_column_order`).
The engine, which may store its shared matrix in a narrower type than the
values it fingerprinted, hands a fit the order of the float64 values
(:func:`given_canonical_order`) and, for a fit it makes from a row sample taken
before the matrix was let go, says so (:func:`given_row_sample`). Both hooks are
context variables taken by the first fit inside them, so nested fits (inner
refits on other rows) compute their own. Names here are re-exported by
:mod:`featkit.base`, which is where users find them.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib

import numpy as np

__all__ = ["canonical_column_order", "given_canonical_order", "given_row_sample", "order_from_fingerprints"]

# The order handed to the next BaseRanker.fit in this thread/context (see given_canonical_order).
_GIVEN_ORDER = contextvars.ContextVar("featkit_given_canonical_order", default=None)
# Whether the next BaseRanker.fit is handed the row sample it would take (see given_row_sample).
_GIVEN_SAMPLE = contextvars.ContextVar("featkit_given_row_sample", default=False)


def _column_fingerprint(column) -> bytes:
    """A digest of a column's contents that does not depend on its position."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(column.dtype).encode())
    if column.dtype.kind == "O":
        # object cells are pointers in memory; hash what they say instead
        for v in column:
            h.update(repr(v).encode("utf-8", "backslashreplace"))
            h.update(b"\x1f")
    else:
        h.update(np.ascontiguousarray(column).tobytes())
    return h.digest()


def canonical_column_order(X, feature_names=None) -> np.ndarray:
    """A column order that depends on the columns' contents, not their positions.

    Columns are sorted by a blake2b fingerprint of their values, then by their
    names when there are names; identical unnamed columns keep their relative
    order (being identical, which one comes first changes nothing).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    feature_names : array-like of str or None, default=None

    Returns
    -------
    ndarray of int, shape (n_features,)
        ``order[c]`` is the input index of the column at canonical position ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 5.0], [2.0, 6.0]])
    >>> order = canonical_column_order(X)
    >>> canonical_column_order(X[:, ::-1]).tolist() == order[::-1].tolist()
    True
    """
    X = np.asarray(X)
    return order_from_fingerprints([_column_fingerprint(X[:, j]) for j in range(X.shape[1])],
                                   feature_names)


def order_from_fingerprints(fingerprints, feature_names=None) -> np.ndarray:
    """The canonical order of columns whose fingerprints are already known.

    :func:`canonical_column_order` is this of each column's fingerprint; the
    engine uses it to order columns it fingerprinted block by block as it encoded
    them, in float64, before storing them in a narrower type.

    Parameters
    ----------
    fingerprints : sequence of bytes, one per column
    feature_names : array-like of str or None, default=None

    Returns
    -------
    ndarray of int, shape (n_features,)

    Examples
    --------
    >>> order_from_fingerprints([b"\\x02", b"\\x01", b"\\x01"], ["a", "c", "b"]).tolist()
    [2, 1, 0]
    """
    d = len(fingerprints)
    names = [str(n) for n in feature_names] if feature_names is not None else [""] * d
    keys = [(fingerprints[j], names[j]) for j in range(d)]
    return np.asarray(sorted(range(d), key=lambda j: keys[j]), dtype=np.intp)


@contextlib.contextmanager
def given_canonical_order(order):
    """Hand ``order`` to the next :meth:`BaseRanker.fit` in this context as its canonical order.

    The one hook by which a caller that knows the canonical order of the values
    better than the array it passes (the engine, whose shared matrix may be
    float32 while the order is that of the float64 values) sets it. The first
    ranker fitted inside takes the order and clears it, so a ranker fitted
    within that fit (an inner refit, on other rows) computes its own. An order
    of another length than the fitted columns raises ``ValueError``.

    Parameters
    ----------
    order : array-like of int, shape (n_features,), or None
        ``order[c]`` is the input index of the column at canonical position
        ``c``; None: the fit computes it (as without this context).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import FTestRanker
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 2.0]]), [0, 0, 1, 1]
    >>> with given_canonical_order([1, 0]):
    ...     FTestRanker().fit(X, y).canonical_order_.tolist()
    [1, 0]
    """
    token = _GIVEN_ORDER.set(None if order is None else np.asarray(order, dtype=np.intp))
    try:
        yield
    finally:
        _GIVEN_ORDER.reset(token)


@contextlib.contextmanager
def given_row_sample(given=True):
    """Tell the next :meth:`BaseRanker.fit` in this context that it is handed its row sample.

    A ranker that fits on a row sample of its own (``_fit_rows``) copies those
    rows row-major into canonical column order. A caller that took the same
    rows, in the same order, from a table it no longer holds whole (the engine,
    which lets the shared matrix go before such a fit; see
    :meth:`BaseRanker._sample_of_fit`) hands them with this context, and the fit
    copies them exactly so, the same array as from the whole table. Only the
    first ranker fitted inside takes it.

    Parameters
    ----------
    given : bool, default=True
        False: the fit samples as without this context.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import L1Ranker
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> whole = L1Ranker(max_rows=100, random_state=0).fit(X, y)
    >>> rows = L1Ranker(max_rows=100, random_state=0)._sample_of_fit(y, 300)
    >>> with given_canonical_order(whole.canonical_order_), given_row_sample():
    ...     sampled = L1Ranker(max_rows=100, random_state=0).fit(X[rows], y[rows])
    >>> sampled.scores_.tobytes() == whole.scores_.tobytes()
    True
    """
    token = _GIVEN_SAMPLE.set(bool(given))
    try:
        yield
    finally:
        _GIVEN_SAMPLE.reset(token)


def _take_given_order(n_features):
    """The order handed by :func:`given_canonical_order`, cleared for nested fits; or None."""
    order = _GIVEN_ORDER.get()
    if order is None:
        return None
    _GIVEN_ORDER.set(None)
    if order.shape != (n_features,) or not np.array_equal(np.sort(order), np.arange(n_features)):
        raise ValueError(f"the given canonical order is not a permutation of the {n_features} "
                         "columns fitted")
    return order


def _is_identity(order: np.ndarray) -> bool:
    return bool(np.array_equal(order, np.arange(order.shape[0])))


def _to_input_order(value, kind: str, order: np.ndarray, inverse: np.ndarray):
    """A fitted attribute computed in canonical column order, in input order."""
    if value is None:
        return None
    if kind == "indices":  # values are canonical positions
        return order[np.asarray(value, dtype=np.intp)]
    if kind == "dict":  # a dict of per-feature vectors
        return {k: np.asarray(v)[inverse] for k, v in value.items()}
    arr = np.asarray(value)
    if kind == "vector":
        return arr[inverse]
    if kind == "columns":  # (..., n_features)
        return arr[..., inverse]
    if kind == "matrix":  # (n_features, n_features)
        return arr[np.ix_(inverse, inverse)]
    raise ValueError(f"unknown feature attribute kind {kind!r}")
