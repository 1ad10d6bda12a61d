"""Shared numerical kernels: correlations, Fisher scores, entropies and mutual information, solvers."""
