"""Dimensionality reduction: PCA (CPU/GPU, streamed), robust and probabilistic PCA.

Each estimator is a scikit-learn transformer (``fit`` / ``transform`` /
``get_feature_names_out``) with ``components_``, ``explained_variance_`` and
``mean_``:

* :class:`PCA` -- covariance / SVD / randomized solvers, array-API (CuPy, torch),
  exact ``partial_fit`` for data larger than memory;
* :class:`RobustPCA` -- low-rank + sparse split by Principal Component Pursuit;
* :class:`OutlierRobustPCA` -- PCA that resists a fraction of corrupted rows;
* :class:`ProbabilisticPCA` -- Tipping & Bishop PPCA by EM, with missing values.

:func:`reduce_file` is the engine of ``featkit reduce``: the numeric columns
of a table file reduced in memory, or streamed in two passes.
"""

from ._outlier_robust_pca import OutlierRobustPCA
from ._pca import PCA
from ._ppca import ProbabilisticPCA
from ._reduce import REDUCE_METHODS, FileReduction, make_reducer, needs_streaming, reduce_file
from ._robust_pca import RobustPCA

__all__ = ["PCA", "OutlierRobustPCA", "ProbabilisticPCA", "RobustPCA", "REDUCE_METHODS", "FileReduction",
           "make_reducer", "needs_streaming", "reduce_file"]
