"""The Dask driver: featkit's reduction kernels run per partition on a cluster.

Dask is imported only when a function here runs (``pip install "featkit[dask]"``).
The maths lives in :mod:`featkit.stats._reduction`; this package only maps
``partial`` over partitions, combines the small states in a tree and hands
them to the estimator, which finishes exactly as it does in memory.
"""

from ._cluster import dask_client, read_dask
from ._driver import reduce_partitions, row_sample
from ._fit import DISTRIBUTED_METHODS, fit_pca, fit_ranker
from ._rank import rank_dask
from ._reduce import DaskReduction, reduce_dask

__all__ = ["DISTRIBUTED_METHODS", "DaskReduction", "dask_client", "fit_pca", "fit_ranker", "rank_dask", "read_dask",
           "reduce_dask", "reduce_partitions", "row_sample"]
