"""The binned mutual information ranker on Dask: the in-memory bins, then joint counts on the workers.

In memory (:func:`featkit.stats._binned_mi.discretize_columns`) a column is
either cut at quantile edges read from an evenly spaced probe of at most
``QUANTILE_SAMPLE_ROWS`` rows, or used as its values. Here the same probe rows
(same global positions) are gathered to the client, so the same columns are
binned at the same edges; a column used as its values gets its codes from a
distinct pass. Each column's joint counts with the target codes come from
:class:`~featkit.stats._reduction.KeyedSums` and the estimate from
:func:`~featkit.stats._reduction.mutual_info_from_counts`: the scores equal the
in-memory ones up to the rounding of the entropy sums. The target (one value a
row) is gathered to the client to be coded as in memory.
"""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import InputError
from ..stats._binned_mi import QUANTILE_SAMPLE_ROWS
from ..stats._contingency import AUTO_BINS, quantile_codes
from ..stats._reduction import DistinctValues, KeyedSums, mutual_info_from_counts
from ..utils._task import check_target, infer_task
from ._batches import partition_lengths
from ._driver import aligned_blocks, compute_all, import_dask, reduce_partitions
from ._encode import VOCABULARY_LIMIT

__all__ = ["fit_binned_mutual_info"]


def _values(block):
    return np.asarray(block.to_numpy() if hasattr(block, "to_numpy") else block).astype(np.float64, copy=False)


def _take(block, rows):
    return _values(block)[rows]


def _probe(xs, lengths, positions):
    """The rows at ``positions`` (sorted, global) of the partitions ``xs``, gathered to the client."""
    dask = import_dask()
    starts = np.concatenate([[0], np.cumsum(lengths)])
    pieces = []
    for p, x in enumerate(xs):
        lo, hi = np.searchsorted(positions, [starts[p], starts[p + 1]])
        if hi > lo:
            pieces.append(dask.delayed(_take, pure=True)(x, positions[lo:hi] - starts[p]))
    return np.concatenate(compute_all(pieces), axis=0)


def _column_rule(probe, n_bins):
    """The in-memory rule of ``_column_codes`` on a column's probe: its edges, or None (use its values)."""
    if n_bins is None:
        return None
    present = probe[np.isfinite(probe)]
    continuous = present.size > 0 and (not isinstance(n_bins, str) or bool(np.any(present != np.floor(present))))
    bins = AUTO_BINS if isinstance(n_bins, str) else int(n_bins)
    if continuous and np.unique(present).size > bins:
        return np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    return None


def _present(block, columns):
    X = _values(block)
    return ([X[~np.isnan(X[:, j]), j] for j in columns],)


def _codes(X, edges, vocabularies):
    """Per column: (codes, k) with the bins or the vocabulary; missing the last code."""
    out = []
    for j in range(X.shape[1]):
        col = X[:, j]
        if edges[j] is not None:
            e = edges[j]
            codes = np.searchsorted(e, col, side="right")
            codes[~np.isfinite(col)] = e.size + 1
            out.append((codes, e.size + 2))
        else:
            vocab = vocabularies[j]
            missing = np.isnan(col)
            codes = np.searchsorted(vocab, np.where(missing, vocab[0] if vocab.size else 0.0, col))
            codes[missing] = vocab.size
            out.append((codes, vocab.size + 1))
    return out


def _joint_keys(edges, vocabularies, k_y, pair):
    xpart, ypart = pair
    X = _values(xpart)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(ypart, dtype=np.int64)
    keys = np.empty(X.shape, dtype=np.int64)
    for j, (codes, _) in enumerate(_codes(X, edges, vocabularies)):
        keys[:, j] = codes * k_y + y
    return (keys,)


def _target_codes(est, y):
    """The target's codes as the in-memory ``_fit_scores`` makes them (its task set on ``est``)."""
    est.task_ = infer_task(y, getattr(est, "task", "auto"))
    y, _ = check_target(y, est.task_)
    if est.task_ == "classification":
        return np.asarray(y, dtype=np.int64)
    bins = est.n_bins if isinstance(est.n_bins, int) and est.n_bins > 1 else AUTO_BINS
    codes = quantile_codes(np.asarray(y, dtype=np.float64), bins)
    if codes is None:  # few distinct values: they are the categories
        codes = np.unique(np.asarray(y, dtype=np.float64), return_inverse=True)[1]
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def fit_binned_mutual_info(est, X, y):
    """Fit :class:`~featkit.selection.BinnedMutualInfoRanker` on a numeric Dask X and its target y.

    Returns the scores (the caller sets them); sets ``task_`` and ``n_bins_``.
    """
    dask = import_dask()
    if y is None or not hasattr(y, "to_delayed"):
        raise InputError(f"{type(est).__name__} needs a target y: a Dask Series or array with X.")
    xs, ys, source = aligned_blocks(X, y)
    lengths = partition_lengths(source, like=X)
    n = int(lengths.sum())
    y_all = np.concatenate([np.asarray(b.to_numpy() if hasattr(b, "to_numpy") else b).reshape(-1)
                            for b in compute_all(ys)])
    if y_all.shape[0] != n:
        raise InputError("X and y have different numbers of rows; take both from one Dask DataFrame.")
    y_codes = _target_codes(est, y_all)
    k_y = int(y_codes.max()) + 1
    positions = (np.arange(n) if n <= QUANTILE_SAMPLE_ROWS
                 else np.linspace(0, n - 1, QUANTILE_SAMPLE_ROWS).astype(np.int64))
    probe = _probe(xs, lengths, positions)
    d = probe.shape[1]
    edges = [_column_rule(probe[:, j], est.n_bins) for j in range(d)]
    as_values = [j for j in range(d) if edges[j] is None]
    vocabularies = [None] * d
    if as_values:
        found = reduce_partitions(DistinctValues(VOCABULARY_LIMIT), xs, functools.partial(_present, columns=as_values))
        for j, v in zip(as_values, found):
            if v is None:
                raise InputError(f"Column {j} has more than {VOCABULARY_LIMIT:,} distinct values; the Dask engine "
                                 "counts at most that many per column.")
            vocabularies[j] = v
    ks = [e.size + 2 if e is not None else vocabularies[j].size + 1 for j, e in enumerate(edges)]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    pairs = [(x, y_codes[a:b]) for x, a, b in zip(xs, starts[:-1], starts[1:])]
    pairs = [dask.delayed(tuple, pure=True)([x, t]) for x, t in pairs]
    state = reduce_partitions(KeyedSums([k * k_y for k in ks]), pairs,
                              functools.partial(_joint_keys, edges, vocabularies, k_y))
    joints = [counts.reshape(k, k_y) for (counts, _), k in zip(state, ks)]
    est.n_bins_ = np.array([np.count_nonzero(t.sum(axis=1)) for t in joints])
    return np.array([mutual_info_from_counts(t, est.bias_correction) for t in joints])
