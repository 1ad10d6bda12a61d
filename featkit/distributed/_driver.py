"""Map a kernel's ``partial`` over Dask partitions and tree-combine the states."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["import_dask", "reduce_partitions", "reduction_graph", "row_sample", "frame_blocks", "compute_all"]

# states are combined in groups of this many, so no task holds more than a few states
SPLIT_EVERY = 8


def import_dask():
    """Import dask, or say which extra to install."""
    try:
        import dask
        import dask.dataframe  # noqa: F401
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise ImportError('The Dask engine needs Dask: pip install "featkit[dask]"') from None
    return dask


def _partial(kernel, to_args, part):
    return kernel.partial(*to_args(part))


def reduce_partitions(kernel, partitions, to_args, split_every: int = SPLIT_EVERY):
    """Run ``kernel`` over Dask partitions: ``partial`` on each, ``combine`` in a tree.

    Parameters
    ----------
    kernel : object with ``partial``, ``combine`` and ``finalize``
        A kernel of :mod:`featkit.stats._reduction`.
    partitions : list of dask.delayed.Delayed
        One per partition (``ddf.to_delayed()``).
    to_args : callable
        Turns one partition into the argument tuple of ``kernel.partial``;
        runs on the workers, so it must be picklable (a module-level function
        or a ``functools.partial`` of one).
    split_every : int, default=8
        States per combine task.

    Returns
    -------
    The kernel's finalized result, computed on the current Dask client when
    there is one (with retries) and on Dask's local scheduler otherwise.
    """
    return kernel.finalize(compute(reduction_graph(kernel, partitions, to_args, split_every)))


def reduction_graph(kernel, partitions, to_args, split_every: int = SPLIT_EVERY):
    """The delayed combined state of :func:`reduce_partitions`, not computed (nor finalized).

    Several such graphs computed together share the tasks of their partitions:
    each partition is read (and encoded) once for all of them.
    """
    dask = import_dask()
    level = [dask.delayed(_partial, pure=True)(kernel, to_args, p) for p in partitions]
    if not level:
        raise InputError("The Dask collection has no partitions.")
    while len(level) > 1:
        level = [dask.delayed(kernel.combine, pure=True)(level[i:i + split_every])
                 for i in range(0, len(level), split_every)]
    return level[0]


def compute(obj):
    """Compute on the active distributed client (retrying a task whose worker died) or locally."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return obj.compute()
    return client.compute(obj, retries=3).result()


def compute_all(objs) -> list:
    """Compute many delayed objects and bring each result to the client as it is.

    Not ``compute(delayed(list)(objs))``: that list is a task, which gathers every
    result onto one worker first (OutRank's per-batch results of a 2.7 M-row table
    were 0.97 GiB: more than a worker's limit, and Dask refused the task). Each
    result is fetched as soon as it is ready and its future let go, so the workers
    do not hold the finished results until the last one is done.
    """
    objs = list(objs)
    try:
        from distributed import as_completed, default_client

        client = default_client()
    except (ImportError, ValueError):
        return list(import_dask().compute(*objs))
    futures = client.compute(objs, retries=3)
    position = {id(f): i for i, f in enumerate(futures)}
    out = [None] * len(futures)
    for future in as_completed(futures):
        i = position[id(future)]
        out[i] = future.result()
        futures[i] = None  # the last reference: the worker may free the result
        future.release()
    return out


def frame_blocks(ddf):
    """The partitions of a Dask DataFrame (or of a Dask array, as 2-d NumPy) as delayed objects."""
    import_dask()
    if hasattr(ddf, "to_delayed") and hasattr(ddf, "columns"):
        return list(ddf.to_delayed())
    X = ddf if ddf.ndim == 2 else ddf[:, None]
    # whole rows per block: the kernels see every column of a row together
    return [b for row in X.rechunk({1: -1}).to_delayed() for b in row]


def aligned_blocks(X, y):
    """Row blocks of ``X`` and ``y`` that line up, and the collection they were cut from.

    ``X[features].to_delayed()`` and ``X[target].to_delayed()`` may be cut differently:
    reading few columns of a Parquet folder, Dask fuses partitions (4 parts gave 4
    blocks for the features and 2 for the target). A Dask DataFrame and Series are
    therefore taken from one selection (the target assigned into the frame) and
    split again on the worker.
    """
    dask = import_dask()
    if hasattr(X, "columns") and hasattr(y, "to_delayed") and not hasattr(y, "chunks"):
        name = "__featkit_target__"
        while name in X.columns:
            name += "_"
        joint = X.assign(**{name: y})
        blocks = list(joint.to_delayed())
        xs = [dask.delayed(_drop_column, pure=True)(b, name) for b in blocks]
        ys = [dask.delayed(_one_column, pure=True)(b, name) for b in blocks]
        return xs, ys, joint
    xs = frame_blocks(X)
    if hasattr(y, "chunks") and hasattr(X, "chunks"):
        y = y.rechunk((X.chunks[0],))
    ys = list(y.to_delayed())
    ys = [b for row in ys for b in row] if isinstance(ys[0], (list, np.ndarray)) else ys
    return xs, ys, X


def _drop_column(block, name):
    return block.drop(columns=[name])


def _one_column(block, name):
    return block[name]


def _take_rows(part, positions):
    return part.iloc[positions] if hasattr(part, "iloc") else part[positions]


def row_sample(ddf, n_rows: int, random_state=0):
    """A seeded uniform sample of ``n_rows`` rows gathered to the client (all rows, in order, when fewer).

    Parameters
    ----------
    ddf : dask DataFrame
    n_rows : int
    random_state : int, default=0

    Returns
    -------
    (pandas.DataFrame, int)
        The sample, in the table's row order, and the number of rows of the table.
    """
    dask = import_dask()
    import pandas as pd

    from ._batches import partition_lengths

    lengths = partition_lengths(ddf)
    total = int(lengths.sum())
    parts = ddf.to_delayed()
    if total <= n_rows:
        chosen = np.arange(total)
    else:
        chosen = np.sort(np.random.default_rng(random_state).choice(total, size=n_rows, replace=False))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    pieces = []
    for i, part in enumerate(parts):
        lo, hi = np.searchsorted(chosen, [starts[i], starts[i + 1]])
        if hi > lo:
            pieces.append(dask.delayed(_take_rows, pure=True)(part, chosen[lo:hi] - starts[i]))
    frames = compute_all(pieces)
    return pd.concat(frames, ignore_index=True), total
