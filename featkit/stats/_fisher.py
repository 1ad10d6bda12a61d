"""Fisher-type class-separation scores of single features.

The two-class score is the one of the Inf-FS / EC-FS reference code
(Roffo's Feature Selection Library): ``(mu_+ - mu_-)^2 / (s_+^2 + s_-^2)``
with sample variances (ddof=1) and a zero denominator replaced by 10000.
More than two classes and a continuous target are featkit's extensions,
chosen so that two classes give exactly the reference number.
"""

from __future__ import annotations

from .._array import get_namespace

__all__ = ["fisher_ratio", "regression_fisher_ratio"]

# The reference replaces a zero denominator by this constant ("remove ones
# where nothing occurs"); reproduced on purpose.
ZERO_DENOMINATOR = 10000.0


def _class_moments(X, codes, n_classes, xp):
    """Per-class means and sample variances (ddof=1; 0 for a one-sample class, as MATLAB's std)."""
    onehot = xp.astype(codes[:, None] == xp.arange(n_classes, device=X.device)[None, :], xp.float64)
    counts = xp.sum(onehot, axis=0)  # (k,)
    if bool(xp.any(counts == 0)):
        raise ValueError("every class code 0..n_classes-1 must occur at least once")
    oh_t = xp.permute_dims(onehot, (1, 0))
    means = (oh_t @ X) / counts[:, None]  # (k, d)
    # two-pass variance (centre first) for accuracy
    centred = X - onehot @ means
    ss = oh_t @ (centred * centred)
    denom = xp.where(counts > 1, counts - 1.0, xp.ones_like(counts))
    var = ss / denom[:, None]
    return means, var


def fisher_ratio(X, codes, n_classes=None, *, xp=None):
    """Fisher ratio of every column of ``X`` for class codes ``0..k-1``.

    Two classes (the reference):  ``(mu_1 - mu_0)^2 / (s_1^2 + s_0^2)``, a zero
    denominator replaced by 10000.

    ``k > 2`` classes (featkit's extension): the unweighted between-class
    variance of the class means over the mean within-class variance,
    ``[sum_c (mu_c - mean(mu))^2 / (k - 1)] / [sum_c s_c^2 / k]``, with the sum
    of class variances replaced by 10000 when it is 0. For ``k = 2`` this is
    the reference formula exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import fisher_ratio
    >>> X = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0], [6.0, 2.0]])
    >>> fisher_ratio(X, np.array([0, 0, 1, 1])).tolist()
    [4.0, 0.5]
    """
    xp = xp or get_namespace(X)
    X = xp.asarray(X, dtype=xp.float64)
    codes = xp.asarray(codes)
    if n_classes is None:
        n_classes = int(xp.max(codes)) + 1
    means, var = _class_moments(X, codes, n_classes, xp)
    return fisher_ratio_from_class_moments(means, var, xp=xp)


def fisher_ratio_from_class_moments(means, var, *, xp=None):
    """:func:`fisher_ratio` from the (k, d) class means and sample variances (ddof=1)."""
    xp = xp or get_namespace(means)
    n_classes = means.shape[0]
    if n_classes == 2:
        between = (means[1, :] - means[0, :]) ** 2
        within = var[0, :] + var[1, :]
        within = xp.where(within == 0, xp.full_like(within, ZERO_DENOMINATOR), within)
        return between / within
    k = float(n_classes)
    centre = xp.mean(means, axis=0, keepdims=True)
    between = xp.sum((means - centre) ** 2, axis=0) / (k - 1.0)
    within_sum = xp.sum(var, axis=0)
    within_sum = xp.where(within_sum == 0, xp.full_like(within_sum, ZERO_DENOMINATOR), within_sum)
    return between / (within_sum / k)


def regression_fisher_ratio(X, y, *, xp=None):
    """Explained over residual variance of a least-squares line, ``r^2 / (1 - r^2)``.

    featkit's extension of the Fisher ratio to a continuous target (the
    between/within ratio of a linear fit; monotone in ``|r|``). A constant
    column scores 0; a perfect linear fit gets ``r^2 / 1e-12``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import regression_fisher_ratio
    >>> X = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [4.0, 4.0]])
    >>> np.round(regression_fisher_ratio(X, np.array([1.0, 2.0, 3.0, 4.5])), 3).tolist()
    [88.167, 2.075]
    """
    xp = xp or get_namespace(X)
    X = xp.asarray(X, dtype=xp.float64)
    y = xp.asarray(y, dtype=xp.float64)
    Xc = X - xp.mean(X, axis=0, keepdims=True)
    yc = y - xp.mean(y)
    sxx = xp.sum(Xc * Xc, axis=0)
    syy = xp.sum(yc * yc)
    sxy = xp.permute_dims(Xc, (1, 0)) @ yc
    return regression_fisher_ratio_from_moments(sxx, syy, sxy, xp=xp)


def regression_fisher_ratio_from_moments(sxx, syy, sxy, *, xp=None):
    """:func:`regression_fisher_ratio` from the centred sums of squares and co-moment."""
    xp = xp or get_namespace(sxx)
    ok = (sxx > 0) & (syy > 0)
    safe = xp.where(ok, sxx * syy, xp.ones_like(sxx))
    r2 = xp.where(ok, (sxy * sxy) / safe, xp.zeros_like(sxx))
    r2 = xp.clip(r2, 0.0, 1.0)
    return r2 / xp.clip(1.0 - r2, 1e-12, None)
