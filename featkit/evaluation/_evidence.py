"""Inner cross-validated evidence of rankings: how well a light model does on each one's top k.

Each ranking is refitted on the training rows of every fold (never on the rows
it is scored on), and a logistic regression / ridge on its standardised top k
features is scored on the held-out rows, for a few k. The mean over the k and
folds is the ranking's evidence; a consensus weighs or chooses its members by it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..exceptions import InputError

__all__ = ["INNER_MAX_ROWS", "InnerFolds", "chance_score", "evidence_ks", "fold_summary",
           "ranking_evidence"]

# The protocol's sizes (balanced accuracy of the top 5, 10, 20, 50).
PROTOCOL_KS = (5, 10, 20, 50)
# The inner evidence is drawn from at most this many rows (a seeded, stratified sample):
# it refits every member 3 times, which on a tall table would cost 3 full runs.
INNER_MAX_ROWS = 3000


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


def fold_summary(folds) -> dict:
    """Mean and standard error over folds of per-fold scores.

    Examples
    --------
    >>> fold_summary([0.8, 0.9, 1.0])["score"]
    0.9
    """
    folds = [float(f) for f in folds]
    se = float(np.std(folds, ddof=1) / math.sqrt(len(folds))) if len(folds) > 1 else 0.0
    return {"score": float(np.mean(folds)), "error": se, "folds": folds}


def _row_sample(y, task, max_rows, random_state):
    """Sorted indices of at most ``max_rows`` rows, stratified by class where possible."""
    n = len(y)
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    try:
        rows = train_test_split(np.arange(n), train_size=int(max_rows), random_state=random_state,
                                stratify=y if task == "classification" else None)[0]
    except ValueError:  # a class with a single row cannot be stratified
        rows = np.random.RandomState(random_state).choice(n, int(max_rows), replace=False)
    return np.sort(rows)


class InnerFolds:
    """The inner folds of a table, and the top-k score of a ranking in one of them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numbers without missing values.
    y : ndarray of shape (n_samples,)
        Class codes (classification) or floats.
    task : {"classification", "regression"}
    cv : int, default=3
    ks : list of int, default=None
        Sizes scored (default :func:`evidence_ks`).
    random_state : int, default=0
    max_rows : int or None, default=INNER_MAX_ROWS
        The folds cover a seeded (stratified) sample of at most this many rows.

    Attributes
    ----------
    splits : list of (train, test)
        Row indices into ``X`` (of the sample when ``X`` has more rows).
    ks : list of int
    """

    def __init__(self, X, y, *, task, cv=3, ks=None, random_state=0, max_rows=INNER_MAX_ROWS):
        from ._choose_k import _splitter

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        rows = _row_sample(y, task, max_rows, random_state)
        if not np.isfinite(X[rows]).all():
            raise InputError("ranking_evidence needs X without missing values (impute first).")
        self.X, self.y, self.task = X, y, task
        self.ks = evidence_ks(X.shape[1]) if ks is None else [int(k) for k in ks]
        self.splits = [(rows[tr], rows[te])
                       for tr, te in _splitter(task, y[rows], cv, random_state).split(rows, y[rows])]
        self._tie_break = None

    def _tie_key(self):
        # ties at the top-k cut go to the canonical column order, so that the inner
        # evidence (and what it chooses) does not depend on the order of the columns
        if self._tie_break is None:
            from ..base import canonical_column_order

            rows = np.concatenate(self.splits[0])
            order = canonical_column_order(self.X[np.sort(rows)])
            self._tie_break = np.empty_like(order)
            self._tie_break[order] = np.arange(order.size)
        return self._tie_break

    def top(self, ranking, k):
        """Indices of the ``k`` best columns of ``ranking`` (1 = best)."""
        ranking = np.asarray(ranking, dtype=np.float64)
        return np.lexsort((self._tie_key(), ranking))[:k]

    def score(self, ranking, fold) -> float:
        """Mean over ``ks`` of the held-out score of a model on the top k of ``ranking``."""
        from sklearn.base import clone
        from sklearn.metrics import balanced_accuracy_score, r2_score
        from threadpoolctl import threadpool_limits

        from ._choose_k import _default_estimator

        tr, te = self.splits[fold]
        metric = balanced_accuracy_score if self.task == "classification" else r2_score
        model = _default_estimator(self.task)
        scores = []
        for k in self.ks:
            cols = self.top(ranking, k)
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")  # convergence chatter of small folds
                m = clone(model).fit(self.X[np.ix_(tr, cols)], self.y[tr])
            scores.append(float(metric(self.y[te], m.predict(self.X[np.ix_(te, cols)]))))
        return float(np.mean(scores))

    def smallest_held_out(self) -> tuple[int, int | None]:
        """Rows the folds cover, and the fewest rows of one class in a held-out fold.

        The second is None for regression; a class absent from a held-out fold counts 0.
        """
        rows = sum(te.size for _, te in self.splits)
        if self.task != "classification":
            return rows, None
        classes = np.unique(self.y[np.concatenate([te for _, te in self.splits])])
        fewest = min(int(np.sum(self.y[te] == c)) for _, te in self.splits for c in classes)
        return rows, fewest

    def refit_all(self, refit, *, n_threads=1, serial=()) -> tuple[dict, dict]:
        """Each ranking refitted on the training rows of every fold.

        Returns ``(rankings, failures)``: ``rankings[name]`` is the list of
        per-fold rankings; ``failures[name]`` the message of a refit that
        raised ``ValueError`` (a ranking stops at its first failing fold).

        With ``n_threads`` > 1 the rankings are refitted in that many threads,
        each ranking's folds one after another in one thread (scikit-learn's
        liblinear draws from one random generator per process: two fits of the
        L1 model at once would share it), and those named in ``serial`` (e.g.
        torch's, whose thread settings are process-wide) after the others, on
        this thread. The refits of different rankings must share no state: the
        result is then the serial run's. While they run, warnings are ignored:
        ``warnings.catch_warnings`` is not thread-safe, and what the refits warn
        of is the small folds, not the user's fit.
        """
        def folds_of(name):
            out = []
            for train, _ in self.splits:
                try:
                    out.append(np.asarray(refit[name](train), dtype=np.float64))
                except ValueError as exc:
                    return None, str(exc)
            return out, None

        threaded = [name for name in refit if name not in serial] if n_threads > 1 else []
        done = {}
        if len(threaded) > 1:
            import concurrent.futures as cf

            with warnings.catch_warnings(), \
                    cf.ThreadPoolExecutor(max_workers=n_threads,
                                          thread_name_prefix="featkit-refit") as pool:
                warnings.simplefilter("ignore")
                futures = {name: pool.submit(folds_of, name) for name in threaded}
                try:
                    for name, future in futures.items():
                        done[name] = future.result()
                except BaseException:
                    for future in futures.values():
                        future.cancel()
                    raise
        rankings, failures = {}, {}
        for name in refit:
            folds, error = done[name] if name in done else folds_of(name)
            if error is None:
                rankings[name] = folds
            else:
                failures[name] = error
        return rankings, failures


def ranking_evidence(refit, X, y, *, task, cv=3, ks=None, random_state=0,
                     max_rows=INNER_MAX_ROWS) -> dict:
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
    max_rows : int or None, default=INNER_MAX_ROWS
        Folds over a seeded (stratified) sample of at most this many rows.

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
    folds = InnerFolds(X, y, task=task, cv=cv, ks=ks, random_state=random_state,
                       max_rows=max_rows)
    rankings, failures = folds.refit_all(refit)
    return member_evidence(folds, rankings, failures, refit)


def member_evidence(folds: InnerFolds, rankings: dict, failures: dict, names) -> dict:
    """:func:`ranking_evidence` of rankings already refitted in ``folds``, in ``names``' order."""
    out = {}
    for name in names:
        if name in failures:
            out[name] = {"score": None, "error": None, "folds": [], "error_message": failures[name]}
        else:
            try:
                out[name] = fold_summary([folds.score(r, j) for j, r in enumerate(rankings[name])])
            except ValueError as exc:  # e.g. a fold the light model cannot be fitted on
                out[name] = {"score": None, "error": None, "folds": [], "error_message": str(exc)}
    return out
