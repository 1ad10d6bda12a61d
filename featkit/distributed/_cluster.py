"""Start or join a Dask cluster, and read a file, glob or folder of parts as a Dask DataFrame."""

from __future__ import annotations

import contextlib
import glob
import os

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


def _parts(path) -> list[str]:
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(f for f in glob.glob(os.path.join(path, "*"))
                       if f.lower().endswith((".parquet", ".pq", ".csv", ".tsv")))
    else:
        files = sorted(glob.glob(path)) if any(c in path for c in "*?[") else [path]
    if not files or not all(os.path.isfile(f) for f in files):
        raise InputError(f"No Parquet or CSV parts found at {path}.")
    return files


def read_dask(path):
    """A Dask DataFrame over a file, a glob or a folder of Parquet / CSV parts (one kind)."""
    import dask.dataframe as dd

    files = _parts(path)
    kinds = {os.path.splitext(f)[1].lower() for f in files}
    if kinds <= {".parquet", ".pq"}:
        return dd.read_parquet(files)
    if kinds <= {".csv"}:
        return dd.read_csv(files)
    if kinds <= {".tsv"}:
        return dd.read_csv(files, sep="\t")
    raise InputError(f"Mixed kinds of parts at {path}: {', '.join(sorted(kinds))}; use one.")
