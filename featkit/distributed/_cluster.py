"""Start or join a Dask cluster, and read a file, glob or folder of parts as a Dask DataFrame."""

from __future__ import annotations

import contextlib

from ..exceptions import InputError
from ._driver import import_dask

__all__ = ["dask_client", "read_dask"]


@contextlib.contextmanager
def dask_client(scheduler=None, workers=2, *, timeout=5, memory_limit="auto"):
    """A Dask client for the duration of the block.

    Parameters
    ----------
    scheduler : str or None, default=None
        Address of a running scheduler (``tcp://host:8786``). None starts a
        ``LocalCluster`` of ``workers`` processes (one thread each) and closes it afterwards.
    workers : int, default=2
    timeout : float, default=5
        Seconds to wait for a scheduler before giving up with an :class:`InputError`.
    memory_limit : str or int, default="auto"
        Per-worker memory limit of a local cluster.
    """
    import_dask()
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise ImportError('The Dask engine needs distributed: pip install "featkit[dask]"') from None
    if scheduler is None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, memory_limit=memory_limit) as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"No Dask scheduler answers at {scheduler} within {timeout:g} s "
                         f"({type(exc).__name__}).") from None
    with client:
        yield client


def read_dask(path):
    """A Dask DataFrame over a file, a glob or a folder of Parquet / CSV parts (one kind)."""
    import dask.dataframe as dd

    from ..io._parts import existing_table, expand_paths

    # one listing of parts for every engine: featkit.io decides what a folder or glob holds
    files = [str(f) for f in expand_paths(existing_table(path))]
    name = files[0].lower()
    if name.endswith((".parquet", ".pq")):
        return dd.read_parquet(files)
    # a gzip part cannot be split into blocks: one partition per file
    gz = {"compression": "gzip", "blocksize": None} if name.endswith(".gz") else {}
    if name.endswith((".csv", ".csv.gz")):
        return dd.read_csv(files, **gz)
    if name.endswith((".tsv", ".tsv.gz")):
        return dd.read_csv(files, sep="\t", **gz)
    raise InputError(f"The Dask engine reads Parquet or CSV / TSV parts, not {files[0]!r}.")
