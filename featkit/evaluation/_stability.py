"""Stability of a ranking under bootstrap resampling of the rows."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ..exceptions import InputError

__all__ = ["nogueira_stability", "bootstrap_stability"]


def nogueira_stability(selected) -> float:
    """Stability of feature selection over repeated runs (Nogueira, Sechidis & Brown, 2018).

    ``1 - mean_f s_f^2 / (kbar/d * (1 - kbar/d))`` where ``s_f^2`` is the
    unbiased variance of feature f's selection indicator over the M runs and
    ``kbar`` the mean number selected: 1 for identical selections, about 0
    for selections no better than chance.

    Parameters
    ----------
    selected : array-like of bool, shape (n_runs, n_features)

    Examples
    --------
    >>> from featkit.evaluation import nogueira_stability
    >>> nogueira_stability([[1, 1, 0, 0], [1, 1, 0, 0]])
    1.0
    >>> round(nogueira_stability([[1, 1, 0, 0], [0, 0, 1, 1]]), 3)
    -1.0
    """
    Z = np.asarray(selected, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] < 2:
        raise InputError("nogueira_stability needs at least two runs (an (M, d) 0/1 array).")
    M, d = Z.shape
    p = Z.mean(axis=0)
    var = M / (M - 1) * p * (1 - p)
    kbar = Z.sum(axis=1).mean()
    denom = (kbar / d) * (1 - kbar / d)
    if denom <= 0:
        return 1.0
    return float(1 - var.mean() / denom)


def bootstrap_stability(make_estimator, X, y, *, top_k, n_bootstrap=20, max_rows=2000,
                        random_state=0, time_budget=20.0) -> dict:
    """How often each feature stays in a method's top ``top_k`` across bootstrap resamples.

    Each resample draws rows with replacement from (a seeded sample of at most
    ``max_rows`` of) the rows, refits a fresh estimator from
    ``make_estimator()`` and records its top-``top_k`` set.

    Parameters
    ----------
    make_estimator : callable returning an unfitted featkit ranker
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
    top_k : int
    n_bootstrap : int, default=20
    max_rows : int, default=2000
    random_state : int, default=0
    time_budget : float, default=20.0
        CPU seconds of this process; resampling stops early once spent (at least two resamples run).

    Returns
    -------
    dict
        ``frequency`` (n_features,) fraction of resamples with the feature in the
        top-k, ``mean_rank`` (n_features,), ``stability`` (Nogueira's index),
        ``n_bootstrap`` (resamples done), ``top_k``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation import bootstrap_stability
    >>> from featkit.selection import FTestRanker
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> out = bootstrap_stability(FTestRanker, X, y, top_k=2, n_bootstrap=5)
    >>> out["frequency"][:2].tolist()
    [1.0, 1.0]
    """
    X = np.asarray(X)
    n, d = X.shape
    top_k = int(max(1, min(top_k, d)))
    rng = np.random.RandomState(random_state)
    base_rows = np.arange(n)
    if n > max_rows:
        base_rows = np.sort(rng.choice(n, max_rows, replace=False))
    m = base_rows.size
    start = time.perf_counter()
    cpu_start = time.process_time()  # CPU time: a busy machine should not shorten the resampling
    selected, ranks = [], []
    for b in range(int(n_bootstrap)):
        if b >= 2 and time.process_time() - cpu_start > time_budget:
            break
        rows = base_rows[rng.randint(0, m, m)]
        yb = None if y is None else np.asarray(y)[rows]
        if yb is not None and np.unique(yb).size < 2:
            continue
        est = make_estimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X[rows], yb) if yb is not None else est.fit(X[rows])
        ranking = np.asarray(est.ranking_)
        selected.append(ranking <= top_k)
        ranks.append(ranking)
    if len(selected) < 2:
        raise InputError("bootstrap_stability could not complete two resamples.")
    Z = np.asarray(selected)
    return {
        "frequency": Z.mean(axis=0),
        "mean_rank": np.asarray(ranks, dtype=float).mean(axis=0),
        "stability": nogueira_stability(Z),
        "n_bootstrap": int(Z.shape[0]),
        "top_k": top_k,
        "seconds": time.perf_counter() - start,
    }
