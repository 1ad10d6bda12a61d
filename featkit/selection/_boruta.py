"""Boruta: all-relevant feature selection against shuffled "shadow" copies.

The algorithm and its random-number protocol are BorutaPy's (boruta 0.4):
every round the still-undecided and confirmed columns are copied, each copy
shuffled in column order with one ``RandomState`` (which also seeds the
estimator), the model is fitted on real + shadow columns, and a feature scores
a hit when its importance beats the ``perc`` percentile of the shadows'.
Binomial tests with the two-step correction (Benjamini-Hochberg, then
Bonferroni over the rounds) confirm or reject features. The columns are
seen in featkit's canonical order (so the answer does not depend on the input
order); with the same estimator and seed, BorutaPy given the columns in that
order makes the same decisions. The default estimator is a small
extremely-randomised forest, far cheaper than BorutaPy's usual forest.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..base import BaseRanker
from ..exceptions import InputError
from ..findings import Finding
from ..utils._param_validation import TASK_CONSTRAINT, HasMethods, Interval, StrOptions

__all__ = ["Boruta"]


def _default_estimator(task, n_jobs):
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    cls = ExtraTreesClassifier if task == "classification" else ExtraTreesRegressor
    return cls(n_estimators=50, max_depth=7, max_features="sqrt", n_jobs=n_jobs)


def _lightgbm_estimator(task, n_jobs):
    try:
        import lightgbm
    except ImportError:  # pragma: no cover - depends on the environment
        from ..exceptions import missing_extra

        raise missing_extra("lightgbm", "boost", "Boruta(estimator='lightgbm')") from None
    cls = lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
    return cls(n_estimators=100, num_leaves=15, importance_type="gain", subsample=0.8,
               subsample_freq=1, colsample_bytree=0.8, n_jobs=n_jobs or 1, verbose=-1)


def _benjamini_hochberg(pvalues, alpha):
    """Boolean "reject H0" of the Benjamini-Hochberg step-up procedure."""
    m = pvalues.size
    order = np.argsort(pvalues)
    passed = pvalues[order] <= alpha * np.arange(1, m + 1) / m
    out = np.zeros(m, dtype=bool)
    if passed.any():
        out[order[: np.max(np.nonzero(passed)[0]) + 1]] = True
    return out


def _average_ranks_rows(A):
    """Average ranks within each row, NaN kept as NaN (ranked after the numbers)."""
    out = np.full(A.shape, np.nan)
    for i, row in enumerate(A):
        ok = ~np.isnan(row)
        out[i, ok] = stats.rankdata(row[ok])
    return out


class Boruta(BaseRanker):
    """All-relevant feature selection with shadow features (Boruta).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the confirmed features (at least one; every feature when
        none was rejected, as BorutaPy).
    estimator : estimator, "lightgbm" or None, default=None
        Any estimator exposing ``feature_importances_`` after ``fit`` (cloned;
        its ``random_state`` is set each round). None: 50 extremely
        randomised trees of depth 7 (``ExtraTrees``); "lightgbm": 100 boosted
        trees of 15 leaves, gain importance (needs ``featkit[boost]``).
    perc : int in (0, 100], default=100
        Percentile of the shadow importances a feature must beat (100 = the
        best shadow, as in the paper).
    alpha : float in (0, 1], default=0.05
        Level of the tests.
    two_step : bool, default=True
        Benjamini-Hochberg over the features, then Bonferroni over the rounds
        (BorutaPy's default); False is the original Bonferroni over features.
    max_iter : int, default=100
        Maximum number of rounds.
    task : {"auto", "classification", "regression"}, default="auto"
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
        Passed to the default estimators.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        ``-boruta_ranking_``: confirmed features score -1, tentative -2, the
        rejected below, so that ``ranking_`` orders the features as BorutaPy's
        ``ranking_`` does (tied features share an average rank).
    boruta_ranking_ : ndarray of int, shape (n_features,)
        BorutaPy's ``ranking_``: 1 confirmed, 2 tentative, 3+ rejected (by the
        median of their per-round importance ranks).
    confirmed_ : ndarray of bool, shape (n_features,)
        BorutaPy's ``support_``.
    support_weak_ : ndarray of bool, shape (n_features,)
        Tentative features whose median importance beats the median shadow
        threshold.
    decision_ : ndarray of int
        1 confirmed, 0 undecided after ``max_iter`` rounds, -1 rejected.
    shadow_threshold_ : float
        Median over the rounds of the ``perc`` percentile of the shadow
        importances: the "is this above noise?" line.
    median_importance_ : ndarray of shape (n_features,)
        Each feature's median importance over the rounds it took part in (NaN
        for a feature rejected before any); above ``shadow_threshold_`` means
        above the noise line.
    importance_history_ : ndarray of shape (n_rounds, n_features)
        Importances per round (NaN once a feature is rejected).
    n_iter_ : int
        Rounds run.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Notes
    -----
    Reproduced from BorutaPy on purpose: the shadow block is doubled until it
    has at least 5 columns; a round counts from 1 and at most ``max_iter - 1``
    rounds run; rejected features' ranks are truncated to integers (BorutaPy
    writes float ranks into an integer array).

    References
    ----------
    M. B. Kursa, W. R. Rudnicki, "Feature Selection with the Boruta Package",
    Journal of Statistical Software 36(11), 2010. BorutaPy (D. Homola,
    scikit-learn-contrib/boruta_py).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import Boruta
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 6))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> sel = Boruta(max_iter=30, random_state=0).fit(X, y)
    >>> np.flatnonzero(sel.confirmed_).tolist()
    [0, 1]
    """

    _requires_target = True
    _feature_attributes = {
        "confirmed_": "vector",
        "support_weak_": "vector",
        "boruta_ranking_": "vector",
        "importance_history_": "columns",
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        # feature_importances_ exists only once fitted: checked after the first fit
        "estimator": [HasMethods(["fit"]), StrOptions({"lightgbm"}), None],
        "perc": [Interval(Real, 0, 100, closed="right")],
        "alpha": [Interval(Real, 0, 1, closed="right")],
        "two_step": ["boolean"],
        "max_iter": [Interval(Integral, 2, None, closed="left")],
        "task": TASK_CONSTRAINT,
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_features_to_select="auto", estimator=None, perc=100, alpha=0.05,
                 two_step=True, max_iter=100, task="auto", random_state=None, n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.estimator = estimator
        self.perc = perc
        self.alpha = alpha
        self.two_step = two_step
        self.max_iter = max_iter
        self.task = task
        self.random_state = random_state
        self.n_jobs = n_jobs

    _findings = {
        "median_importance_": Finding(
            "feature_vector", "Median importance over the rounds; dashed: the shadow threshold "
            "(the noise line)", reference="shadow_threshold_"),
        "decision_": Finding("feature_groups", "Decision (1 confirmed, 0 tentative, -1 rejected)"),
    }

    def _make_estimator(self):
        if self.estimator is None:
            return _default_estimator(self.task_, self.n_jobs)
        if self.estimator == "lightgbm":
            return _lightgbm_estimator(self.task_, self.n_jobs)
        return clone(self.estimator)

    def _fit_scores(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        est = self._make_estimator()
        is_lgbm = type(est).__module__.split(".")[0] == "lightgbm"
        rng = check_random_state(self.random_state)
        d = X.shape[1]
        decision = np.zeros(d, dtype=int)
        hits = np.zeros(d, dtype=int)
        history, shadow_max = [], []
        rnd = 1
        while np.any(decision == 0) and rnd < self.max_iter:
            # BorutaPy's protocol: LightGBM needs an int seed, other models share the RandomState
            est.set_params(random_state=rng.randint(0, 10000) if is_lgbm else rng)
            real, shadow = self._round(est, X, y, decision, rng)
            threshold = np.percentile(shadow, self.perc)
            shadow_max.append(threshold)
            history.append(real)
            hits[np.nan_to_num(real, nan=0.0) > threshold] += 1
            self._decide(decision, hits, rnd)
            rnd += 1
        self.n_iter_ = len(history)
        self.importance_history_ = np.vstack(history) if history else np.zeros((0, d))
        self.decision_ = decision
        self.shadow_threshold_ = float(np.median(shadow_max)) if shadow_max else float("nan")
        self.median_importance_ = _median_over_rounds(self.importance_history_)
        self._finish(decision)
        return -self.boruta_ranking_.astype(np.float64)

    @staticmethod
    def _round(est, X, y, decision, rng):
        active = np.flatnonzero(decision >= 0)
        real = X[:, active]
        shadow = real.copy()
        while shadow.shape[1] < 5:
            shadow = np.hstack((shadow, shadow))
        for j in range(shadow.shape[1]):
            rng.shuffle(shadow[:, j])
        est.fit(np.hstack((real, shadow)), y)
        if not hasattr(est, "feature_importances_"):
            raise InputError(
                f"Boruta needs an estimator with feature_importances_; {type(est).__name__} has none "
                "(use a forest, gradient boosting or LightGBM model)."
            )
        imp = np.asarray(est.feature_importances_, dtype=np.float64)
        full = np.full(X.shape[1], np.nan)
        full[active] = imp[: active.size]
        return full, imp[active.size:]

    def _decide(self, decision, hits, rnd):
        active = np.flatnonzero(decision >= 0)
        h = hits[active]
        p_accept = stats.binom.sf(h - 1, rnd, 0.5)
        p_reject = stats.binom.cdf(h, rnd, 0.5)
        if self.two_step:
            accept = _benjamini_hochberg(p_accept, self.alpha) & (p_accept <= self.alpha / rnd)
            reject = _benjamini_hochberg(p_reject, self.alpha) & (p_reject <= self.alpha / rnd)
        else:
            accept = p_accept <= self.alpha / decision.size
            reject = p_reject <= self.alpha / decision.size
        open_ = decision[active] == 0
        decision[active[open_ & accept]] = 1
        decision[active[open_ & reject]] = -1

    def _finish(self, decision):
        d = decision.size
        confirmed = np.flatnonzero(decision == 1)
        tentative = np.flatnonzero(decision == 0)
        hist = self.importance_history_
        if tentative.size:
            median_imp = np.median(hist[:, tentative], axis=0)
            tentative = tentative[median_imp > self.shadow_threshold_]
        ranking = np.ones(d, dtype=int)
        ranking[tentative] = 2
        rest = np.setdiff1d(np.arange(d), np.concatenate([confirmed, tentative]))
        self.confirmed_ = np.zeros(d, dtype=bool)
        self.confirmed_[confirmed] = True
        self.support_weak_ = np.zeros(d, dtype=bool)
        self.support_weak_[tentative] = True
        self._keep_all = rest.size == 0
        if rest.size:
            per_round = _average_ranks_rows(-hist[:, rest])
            with np.errstate(all="ignore"):
                medians = np.nanmedian(per_round, axis=0)
            ranks = stats.rankdata(medians)
            ranks = ranks - ranks.min() + (3 if tentative.size else 2)
            ranking[rest] = ranks  # truncated to int, as BorutaPy
        self.boruta_ranking_ = ranking

    def _auto_support_size(self):
        if self._keep_all:
            return self.n_features_in_
        return max(1, int(self.confirmed_.sum()))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _median_over_rounds(history):
    """Each feature's median importance over the rounds it took part in (NaN: none)."""
    median = np.full(history.shape[1], np.nan)
    seen = ~np.all(np.isnan(history), axis=0)  # a feature rejected before any round has none
    median[seen] = np.nanmedian(history[:, seen], axis=0)
    return median
