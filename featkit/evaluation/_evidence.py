"""Inner cross-validated evidence of rankings: how well a light model does on each one's top k.

Each ranking is refitted on the training rows of every fold (never on the rows
it is scored on), and a logistic regression / ridge on its standardised top k
features is scored on the held-out rows, for a few k. The mean over the k and
folds is the ranking's evidence; a consensus weighs its members by it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..exceptions import InputError

__all__ = ["chance_score", "evidence_ks", "ranking_evidence"]

# The protocol's sizes (balanced accuracy of the top 5, 10, 20, 50).
PROTOCOL_KS = (5, 10, 20, 50)


def evidence_ks(n_features: int) -> list:
    """The k at which rankings are compared: 5, 10, 20, 50 below ``n_features``.

    A table with fewer features uses every k from 1 to ``n_features - 1``
    (keeping all features would score every ranking the same).

    Examples
    --------
    >>> evidence_ks(30), evidence_ks(4), evidence_ks(1)
    ([5, 10, 20], [1, 2, 3], [1])
    """
    ks = [k for k in PROTOCOL_KS if k < n_features]
    if ks:
        return ks
    return list(range(1, n_features)) or [1]


def chance_score(task, y) -> float:
    """Score of a model that knows nothing: 1 / classes (balanced accuracy), 0 (R^2).

    Examples
    --------
    >>> chance_score("classification", [0, 1, 2, 2]), chance_score("regression", [0.5, 1.5])
    (0.3333333333333333, 0.0)
    """
    if task == "classification":
        return 1.0 / max(np.unique(np.asarray(y)).size, 1)
    return 0.0


def ranking_evidence(refit, X, y, *, task, cv=3, ks=None, random_state=0) -> dict:
    """Cross-validated score of each ranking's top-k features, rankings refitted in the folds.

    Parameters
    ----------
    refit : dict of str -> callable
        ``refit[name](train_rows)`` returns that ranking (1 = best, one entry
        per column of ``X``) fitted on those rows only.
    X : ndarray of shape (n_samples, n_features)
        Numbers without missing values.
    y : ndarray of shape (n_samples,)
        Class codes (classification) or floats.
    task : {"classification", "regression"}
    cv : int, default=3
    ks : list of int, default=None
        Sizes scored (default :func:`evidence_ks`).
    random_state : int, default=0

    Returns
    -------
    dict of str -> dict
        Per ranking: ``score`` (mean over folds of the mean over ``ks`` of
        balanced accuracy or R^2), ``error`` (its standard error over folds),
        ``folds`` (per-fold scores). A ranking whose refit failed has
        ``error_message`` and no score.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(90, 8)); y = (X[:, 0] > 0).astype(int)
    >>> good = lambda rows: np.arange(1.0, 9.0)
    >>> bad = lambda rows: np.arange(8.0, 0.0, -1)
    >>> ev = ranking_evidence({"good": good, "bad": bad}, X, y, task="classification", ks=[1])
    >>> ev["good"]["score"] > 0.9 > 0.7 > ev["bad"]["score"]
    True
    """
    from sklearn.base import clone
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from threadpoolctl import threadpool_limits

    from ._choose_k import _default_estimator, _splitter

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if not np.isfinite(X).all():
        raise InputError("ranking_evidence needs X without missing values (impute first).")
    ks = evidence_ks(X.shape[1]) if ks is None else [int(k) for k in ks]
    splits = list(_splitter(task, y, cv, random_state).split(X, y))
    model = _default_estimator(task)
    metric = balanced_accuracy_score if task == "classification" else r2_score
    out = {}
    for name, fit_on in refit.items():
        folds = []
        try:
            for tr, te in splits:
                order = np.argsort(np.asarray(fit_on(tr), dtype=np.float64), kind="stable")
                scores = []
                for k in ks:
                    cols = order[:k]
                    with warnings.catch_warnings(), threadpool_limits(1):
                        warnings.simplefilter("ignore")  # convergence chatter of small folds
                        m = clone(model).fit(X[np.ix_(tr, cols)], y[tr])
                    scores.append(float(metric(y[te], m.predict(X[np.ix_(te, cols)]))))
                folds.append(float(np.mean(scores)))
        except ValueError as exc:
            out[name] = {"score": None, "error": None, "folds": [], "error_message": str(exc)}
            continue
        se = float(np.std(folds, ddof=1) / math.sqrt(len(folds))) if len(folds) > 1 else 0.0
        out[name] = {"score": float(np.mean(folds)), "error": se, "folds": folds}
    return out
