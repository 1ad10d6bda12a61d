"""Kolmogorov-Arnold Network feature importance (KAN-L1/L2/SI/KO).

The estimator is re-exported here so that ``featkit.selection._kan:KANSelector``
(the registry's path) stays valid.
"""

from ._estimator import (  # noqa: F401
    KAN_SCORES,
    FlatAdam,
    KANSelector,
    _kan_gradients,
    _kan_network_class,
    _uniform_knots,
    basis_and_derivative,
    bspline_basis,
    uniform_basis,
)

__all__ = ["KANSelector", "bspline_basis", "KAN_SCORES"]
