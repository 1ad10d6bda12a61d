"""Agreement between methods' rankings and redundancy between features."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ..stats import spearman_correlation

__all__ = ["ranking_agreement", "feature_redundancy"]


def ranking_agreement(rankings: dict, *, top_k: int) -> dict:
    """Pairwise agreement between methods' rankings.

    Parameters
    ----------
    rankings : dict of str -> array of shape (n_features,)
        1 = best.
    top_k : int

    Returns
    -------
    dict
        ``methods`` (names, in order), ``spearman`` and ``kendall`` (rank
        correlations, Kendall's tau-b), ``overlap`` (|top-k(a) & top-k(b)| / k)
        as nested lists, and ``top_k``.

    Examples
    --------
    >>> from featkit.evaluation import ranking_agreement
    >>> out = ranking_agreement({"a": [1, 2, 3, 4], "b": [2, 1, 3, 4]}, top_k=2)
    >>> out["spearman"][0][1], out["overlap"][0][1]
    (0.8, 1.0)
    """
    from scipy.stats import kendalltau, spearmanr

    names = list(rankings)
    if not names:
        raise InputError("ranking_agreement needs at least one ranking.")
    R = np.asarray([np.asarray(rankings[n], dtype=float) for n in names])
    d = R.shape[1]
    top_k = int(max(1, min(top_k, d)))
    tops = [set(np.argsort(r, kind="stable")[:top_k].tolist()) for r in R]
    m = len(names)
    sp = np.eye(m)
    kt = np.eye(m)
    ov = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            if d >= 2:
                s = spearmanr(R[i], R[j]).statistic
                t = kendalltau(R[i], R[j]).statistic
            else:
                s = t = 1.0
            sp[i, j] = sp[j, i] = s
            kt[i, j] = kt[j, i] = t
            ov[i, j] = ov[j, i] = len(tops[i] & tops[j]) / top_k
    return {"methods": names, "spearman": np.round(sp, 6).tolist(), "kendall": np.round(kt, 6).tolist(),
            "overlap": np.round(ov, 6).tolist(), "top_k": top_k}


def feature_redundancy(X, features, *, max_rows=5000, threshold=0.9, random_state=0) -> dict:
    """|Spearman| correlation between features, in hierarchical-clustering order.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), numeric, no missing values
    features : list of str
    max_rows : int, default=5000
        Seeded row sample used for the correlations.
    threshold : float, default=0.9
        Pairs at or above it are listed in ``pairs``.
    random_state : int, default=0

    Returns
    -------
    dict
        ``features`` (as given), ``order`` (indices in average-linkage
        clustering order on the distance 1 - |rho|), ``abs_spearman``
        (nested lists, in the given feature order), ``pairs``
        (list of [feature_a, feature_b, rho] with |rho| >= threshold).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation import feature_redundancy
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=100)
    >>> X = np.column_stack([a, rng.normal(size=100), a ** 3])
    >>> out = feature_redundancy(X, ["a", "noise", "a_cubed"])
    >>> out["pairs"]
    [['a', 'a_cubed', 1.0]]
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if len(features) != d:
        raise InputError(f"{len(features)} feature names for {d} columns.")
    if n > max_rows:
        X = X[np.sort(np.random.RandomState(random_state).choice(n, max_rows, replace=False))]
    rho = np.array(spearman_correlation(X))
    # the kernel gives a constant column 0 with itself; here every feature equals itself
    np.fill_diagonal(rho, 1.0)
    absr = np.abs(rho)
    if d >= 3:
        dist = 1.0 - absr
        np.fill_diagonal(dist, 0.0)
        dist = (dist + dist.T) / 2
        order = leaves_list(linkage(squareform(dist, checks=False), method="average")).tolist()
    else:
        order = list(range(d))
    pairs = [[features[i], features[j], round(float(rho[i, j]), 4)]
             for i in range(d) for j in range(i + 1, d) if absr[i, j] >= threshold]
    pairs.sort(key=lambda p: -abs(p[2]))
    return {"features": list(features), "order": [int(i) for i in order],
            "abs_spearman": np.round(absr, 4).tolist(), "pairs": pairs, "threshold": threshold}
