"""Map a kernel's ``partial`` over Dask partitions and tree-combine the states."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["import_dask", "reduce_partitions", "row_sample", "frame_blocks"]

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
    dask = import_dask()
    level = [dask.delayed(_partial, pure=True)(kernel, to_args, p) for p in partitions]
    if not level:
        raise InputError("The Dask collection has no partitions.")
    while len(level) > 1:
        level = [dask.delayed(kernel.combine, pure=True)(level[i:i + split_every])
                 for i in range(0, len(level), split_every)]
    return kernel.finalize(compute(level[0]))


def compute(obj):
    """Compute on the active distributed client (retrying a task whose worker died) or locally."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return obj.compute()
    return client.compute(obj, retries=3).result()


def frame_blocks(ddf):
    """The partitions of a Dask DataFrame (or of a Dask array, as 2-d NumPy) as delayed objects."""
    import_dask()
    if hasattr(ddf, "to_delayed") and hasattr(ddf, "columns"):
        return list(ddf.to_delayed())
    X = ddf if ddf.ndim == 2 else ddf[:, None]
    # whole rows per block: the kernels see every column of a row together
    return [b for row in X.rechunk({1: -1}).to_delayed() for b in row]


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

    lengths = np.asarray(compute(ddf.map_partitions(len)), dtype=np.int64)
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
    frames = compute(dask.delayed(list)(pieces))
    return pd.concat(frames, ignore_index=True), total
