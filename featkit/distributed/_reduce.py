"""``featkit reduce --engine dask``: PCA fitted through the scatter kernel, scores by partition."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator

import numpy as np

from ..exceptions import InputError
from ..stats._reduction import ColumnMoments
from ._driver import compute, import_dask, reduce_partitions
from ._fit import _block_args, _pairs

__all__ = ["DaskReduction", "reduce_dask"]

# rows read (from the first partition) to type the columns, as the streamed reduce does
_TYPING_ROWS = 1024


def _partition_scores(part, est, keep, columns, scale, prefix):
    from ..decomposition._reduce import _matrix, _score_frame

    X = _matrix(part, columns, False, where=" in a partition")
    if scale is not None:
        X = (X - scale[0]) / scale[1]
    return _score_frame(part, keep, est.transform(X), prefix)


def _reduction_base():
    from ..decomposition._reduce import FileReduction

    return FileReduction


class DaskReduction(_reduction_base()):
    """A PCA fitted on a Dask DataFrame; :meth:`score_frames` computes the scores one partition at a time.

    The scores need the cluster that fitted it: iterate inside the same
    :func:`featkit.distributed.dask_client` block. ``streamed`` is True (no row
    is held on the client, so a report shows no score plot).
    """

    def __init__(self, *args, partitions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._partitions = list(partitions)

    def score_frames(self) -> Iterator:
        dask = import_dask()
        compute_scores = functools.partial(_partition_scores, est=self.estimator, keep=list(self.keep),
                                           columns=list(self.columns), scale=self.scale, prefix=self.prefix)
        for part in self._partitions:
            # one partition's scores on the client at a time, in the table's row order
            yield compute(dask.delayed(compute_scores, pure=True)(part))


def reduce_dask(ddf, n_components, *, whiten=False, drop=(), keep=(), target=None, standardize=False):
    """PCA of the numeric columns of a Dask DataFrame, as :func:`featkit.decomposition.reduce_file`.

    Column means / standard deviations (``standardize``) come from the
    :class:`~featkit.stats.ColumnMoments` reduction, the components from the
    :class:`~featkit.stats.ScatterMoments` one, both on the workers; the
    eigendecomposition runs on the client.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
    n_components : int
    whiten, drop, keep, target, standardize
        As in :func:`featkit.decomposition.reduce_file` (method "pca").

    Returns
    -------
    DaskReduction
    """
    from ..decomposition._reduce import _reduced_columns, make_reducer

    import_dask()
    drop, keep = list(drop), list(keep)
    target = None if target is None else str(target)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Insufficient elements")  # a short first partition is fine
        first = ddf.head(_TYPING_ROWS, npartitions=1)
    used, skipped = _reduced_columns(first, drop, keep, whole_table=False, target=target)
    if n_components > len(used):
        raise InputError(f"n_components={n_components} is more than the {len(used)} numeric columns.")
    est = make_reducer("pca", n_components, solver="covariance_eigh", device="cpu", whiten=whiten)
    X = ddf[used].astype(np.float64)
    scale = None
    if standardize:
        count, mean, m2 = reduce_partitions(ColumnMoments(), _pairs(X, None),
                                            functools.partial(_block_args, False, None))
        std = np.sqrt(m2 / np.maximum(count, 1))
        scale = (mean, np.where(np.isfinite(std) & (std > 0), std, 1.0))
        X = (X - scale[0]) / scale[1]
    est.fit(X)
    # the in-memory reduce fits a bare matrix: the scores are computed from one here too
    del est.feature_names_in_
    n_rows = int(compute(ddf.map_partitions(len)).sum())
    return DaskReduction(est, used, skipped, n_rows, True, keep, target, [], scale,
                         partitions=list(ddf[keep + used].to_delayed()))
