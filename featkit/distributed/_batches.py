"""Per-batch methods on Dask: the table's row batches, each gathered and scored on a worker.

OutRank scores consecutive batches of ``batch_size`` rows, each with its own
category codes and bins, and takes the median over batches. A Dask partition
boundary need not fall on a batch boundary, so a batch is cut by global row
position: its task takes the rows it needs from the one or two partitions
that hold them. The batches are therefore exactly the in-memory ones, and so
are the scores.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

from ._driver import SPLIT_EVERY, aligned_blocks, compute, compute_all, import_dask

__all__ = ["known_lengths", "map_row_batches", "partition_lengths", "remember_lengths", "remember_source",
           "scope_active", "source_of"]

# Rows per partition by collection name, while a fit or a rank runs. Counting the rows of an
# encoded frame runs its whole graph (a read and an encoding of every partition: four times per
# OutRank fit of a text table), although they are the rows of the frame it was mapped from.
# Scoped, not global: a folder rewritten between two runs keeps its expression's name.
_KNOWN: contextvars.ContextVar = contextvars.ContextVar("featkit_partition_lengths", default=None)


@contextlib.contextmanager
def known_lengths():
    """Remember partition lengths for the duration of the block (nested blocks share the outer one)."""
    if _KNOWN.get() is not None:
        yield
        return
    token = _KNOWN.set({})
    try:
        yield
    finally:
        _KNOWN.reset(token)


def scope_active() -> bool:
    """True inside :func:`known_lengths`."""
    return _KNOWN.get() is not None


def remember_source(derived, source) -> None:
    """Record that ``derived`` holds the same values as ``source`` (a column passed through an
    encoding unchanged), so a question about its values is asked of the cheaper source."""
    known, name = _KNOWN.get(), getattr(derived, "_name", None)
    if known is not None and name is not None and source is not None:
        known[("source", name)] = source


def source_of(collection):
    """The collection recorded by :func:`remember_source` for ``collection``, or itself."""
    known = _KNOWN.get()
    if known is None:
        return collection
    return known.get(("source", getattr(collection, "_name", None)), collection)


def remember_lengths(collection, lengths) -> None:
    """Record that ``collection``'s partitions have ``lengths`` rows (inside :func:`known_lengths`)."""
    known, name = _KNOWN.get(), getattr(collection, "_name", None)
    if known is not None and name is not None and lengths is not None:
        known[name] = np.asarray(lengths, dtype=np.int64)


def partition_lengths(ddf, like=None) -> np.ndarray:
    """Rows per partition of a Dask DataFrame or array (computed on the cluster, once per scope).

    ``like``: a collection partitioned as ``ddf`` (the frame it was cut from), whose
    lengths serve when they are already known.
    """
    if hasattr(ddf, "chunks"):
        return np.asarray(ddf.chunks[0], dtype=np.int64)
    known, name = _KNOWN.get(), getattr(ddf, "_name", None)
    if known is not None and name in known:
        return known[name]
    if like is not None and _lengths_if_known(like) is not None:
        remember_lengths(ddf, _lengths_if_known(like))
        return _lengths_if_known(like)
    lengths = np.asarray(compute(ddf.map_partitions(len)), dtype=np.int64)
    remember_lengths(ddf, lengths)
    return lengths


def _lengths_if_known(ddf):
    """Partition lengths already known in this scope, or None (nothing is computed)."""
    if hasattr(ddf, "chunks"):
        return np.asarray(ddf.chunks[0], dtype=np.int64)
    known = _KNOWN.get()
    return None if known is None else known.get(getattr(ddf, "_name", None))


def _rows(block, selector):
    values = np.asarray(block.to_numpy() if hasattr(block, "to_numpy") else block)
    return values[selector]


def _gather_and_apply(func, args, pieces):
    xs = [_rows(x, sel) for x, _, sel in pieces]
    ys = [_rows(y, sel) for _, y, sel in pieces]
    return func(np.concatenate(xs).astype(np.float64, copy=False), np.concatenate(ys).reshape(-1), *args)


def _pieces(starts, positions, lo, hi):
    """(partition, selector) pairs covering the rows ``positions[lo:hi]`` (or rows lo..hi-1)."""
    first = lo if positions is None else positions[lo]
    last = hi - 1 if positions is None else positions[hi - 1]
    out = []
    for p in range(np.searchsorted(starts, first, side="right") - 1,
                   np.searchsorted(starts, last, side="right")):
        if positions is None:
            a, b = max(lo, starts[p]), min(hi, starts[p + 1])
            out.append((p, slice(a - starts[p], b - starts[p])))
        else:
            chunk = positions[lo:hi]
            chunk = chunk[(chunk >= starts[p]) & (chunk < starts[p + 1])]
            out.append((p, chunk - starts[p]))
    return out


def map_row_batches(X, y, bounds, func, args=(), positions=None, kernel=None):
    """Apply ``func(X_batch, y_batch, *args)`` to row batches of a Dask X and y, on the workers.

    Parameters
    ----------
    X : dask DataFrame or 2-d dask array
    y : dask Series or 1-d dask array, partitioned like ``X``
    bounds : list of (int, int)
        Batches as ``[start, stop)`` into the rows kept (``positions``).
    func : callable
        Module-level (picklable); gets float64 ``X_batch`` (n, d) and 1-d ``y_batch``.
    args : tuple
        Further arguments of ``func``.
    positions : ndarray of int or None
        Sorted global positions of the rows kept (a subsample); None keeps every row.
    kernel : object with ``combine`` and ``finalize``, optional
        With a kernel, ``func`` returns ``(result, state)``: the results come to
        the client and the states are combined on the workers in a tree
        (``SPLIT_EVERY`` a task), so only the combined state reaches the client.

    Returns
    -------
    list, or (list, finalized state) with ``kernel``
        ``func``'s results, in batch order.
    """
    dask = import_dask()
    xs, ys, source = aligned_blocks(X, y)
    lengths = partition_lengths(source, like=X)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    # one task holds the arguments (3MR's pair list): not a copy in every batch's task
    shared = dask.delayed(tuple(args), pure=True)
    tasks = []
    for lo, hi in bounds:
        pieces = [(xs[p], ys[p], sel) for p, sel in _pieces(starts, positions, lo, hi)]
        tasks.append(dask.delayed(_gather_and_apply, pure=True)(func, shared, pieces))
    if kernel is None:
        return compute_all(tasks)
    level = [t[1] for t in tasks]
    while len(level) > 1:
        level = [dask.delayed(kernel.combine, pure=True)(level[i:i + SPLIT_EVERY])
                 for i in range(0, len(level), SPLIT_EVERY)]
    *results, state = compute_all([t[0] for t in tasks] + level)
    return results, kernel.finalize(state)
