"""Kolmogorov-Arnold Network feature importance (KAN-L1/L2/SI/KO).

One module per job: ``_bases`` (B-spline maths), ``_network`` (the torch
modules and the hand-written gradients), ``_optim`` (Adam on a flat buffer)
and ``_estimator`` (:class:`KANSelector`). The registry imports
``featkit.selection._kan:KANSelector``, so the estimator is re-exported here.
"""

from ._bases import bspline_basis
from ._estimator import KAN_SCORES, KANSelector

__all__ = ["KANSelector", "bspline_basis", "KAN_SCORES"]
