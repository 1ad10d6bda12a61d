"""Shared numerical kernels: correlations, Fisher scores, entropies and mutual information, solvers."""

from ._binning import quantile_bin_codes
from ._correlation import average_ranks, pearson_correlation, spearman_correlation, unit_columns
from ._distinct import DistinctCounter
from ._fisher import fisher_ratio, regression_fisher_ratio
from ._information import muteinf, reference_bin_count
from ._linalg import (
    Lanczos,
    MaxKernel,
    krylov_shifted_solve,
    largest_eigenvalue,
    leading_eigenvector,
    neumann_solve,
)
