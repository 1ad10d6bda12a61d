"""Checks of a ranking: selection curves (score vs number of features kept, cross-validated),
stability under bootstrap resampling, agreement between methods, redundancy between features."""

from ._choose_k import CrossValidatedK, cv_k_grid, one_standard_error_k
from ._agreement import feature_redundancy, ranking_agreement
from ._curves import k_grid, selection_curves
from ._evaluate import default_top_k, evaluate_ranking
from ._stability import bootstrap_stability, nogueira_stability

__all__ = [
    "CrossValidatedK",
    "bootstrap_stability",
    "cv_k_grid",
    "default_top_k",
    "evaluate_ranking",
    "feature_redundancy",
    "k_grid",
    "nogueira_stability",
    "one_standard_error_k",
    "ranking_agreement",
    "selection_curves",
]
