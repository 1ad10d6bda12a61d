"""Consensus across methods: rank aggregation over registered rankers."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .._constants import AGGREGATIONS
from ..base import BaseRanker, degenerate_reason
from ..exceptions import InputError
from ..utils._param_validation import TASK_CONSTRAINT, StrOptions



def aggregate_rankings(rankings, how: str = "mean_rank") -> np.ndarray:
    """Combine per-method rankings (1 = best) into one score per feature, higher = better.

    Parameters
    ----------
    rankings : array-like of shape (n_methods, n_features)
    how : {"mean_rank", "median_rank", "borda"}
        ``"mean_rank"`` and ``"median_rank"`` return minus the mean / median rank;
        ``"borda"`` returns the Borda count, sum over methods of (n_features - rank),
        which orders features like the mean rank.

    Examples
    --------
    >>> aggregate_rankings([[1, 2, 3], [2, 1, 3]], "borda").tolist()
    [3.0, 3.0, 0.0]
    """
    r = np.asarray(rankings, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] == 0:
        raise InputError("aggregate_rankings needs a non-empty (n_methods, n_features) array.")
    if how == "mean_rank":
        return -r.mean(axis=0)
    if how == "median_rank":
        return -np.median(r, axis=0)
    if how == "borda":
        return (r.shape[1] - r).sum(axis=0)
    raise InputError(f"aggregation must be one of {AGGREGATIONS}, got {how!r}.")


class ConsensusRanker(BaseRanker):
    """Rank features by aggregating the rankings of several featkit methods.

    Parameters
    ----------
    methods : sequence of str or of estimators, default=("f_test", "mutual_info", "random_forest", "l1")
        Registry names (see ``featkit methods``) or unfitted featkit rankers.
    aggregation : {"mean_rank", "median_rank", "borda"}, default="mean_rank"
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features that at least half of the methods keep with
        their own "auto" cut.
    task : {"auto", "classification", "regression"}, default="auto"
        Passed to every method that takes it.
    random_state : int or None, default=None
        Passed to every method that takes it.
    include_degenerate : bool, default=False
        Also aggregate members whose scores are degenerate (see
        :func:`featkit.base.degenerate_reason`, and a network's own
        ``degenerate_``). By default they are left out, unless every member is
        degenerate.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Aggregated score, higher = better as for every ranker: minus the mean
        (median) of the members' average ranks, or the Borda points. What a
        user reads is the mean rank itself, ``-scores_`` (lower = better), as
        :attr:`featkit.results.RankingResult.consensus_values` shows it.
    rankings_ : dict of str -> ndarray
        Each method's ranking (float average ranks).
    degenerate_ : dict of str -> str
        The degenerate members and why; ``used_`` lists the members aggregated.
    used_ : list of str
    estimators_ : dict of str -> fitted ranker
    ranking_, support_, n_features_in_, feature_names_in_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from featkit.selection import ConsensusRanker
    >>> X, y = load_iris(return_X_y=True)
    >>> ranker = ConsensusRanker(methods=("f_test", "mutual_info"), random_state=0).fit(X, y)
    >>> ranker.ranking_.tolist()
    [3.0, 4.0, 1.0, 2.0]
    """

    _requires_target = True
    _task_aware = False  # each member checks the target itself
    # each member puts the columns in canonical order itself; the aggregation is per column
    _columnwise = True

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "methods": ["array-like"],
        "aggregation": [StrOptions(set(AGGREGATIONS))],
        "task": TASK_CONSTRAINT,
        "random_state": ["random_state"],
        "include_degenerate": ["boolean"],
    }

    def __init__(self, methods=("f_test", "mutual_info", "random_forest", "l1"),
                 aggregation="mean_rank", n_features_to_select="auto", task="auto",
                 random_state=None, include_degenerate=False):
        self.methods = methods
        self.aggregation = aggregation
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.random_state = random_state
        self.include_degenerate = include_degenerate

    def _members(self):
        from ..registry import make_estimator

        if not len(self.methods):
            raise InputError("methods must be a non-empty list of method names or estimators.")
        members = {}
        for m in self.methods:
            if isinstance(m, str):
                if m == "consensus":
                    raise InputError("A consensus cannot contain itself.")
                est = make_estimator(m, task=self.task, random_state=self.random_state)
                name = m
            else:
                est = clone(m)
                name = type(m).__name__
            while name in members:
                name += "_"
            members[name] = est
        return members

    def _fit_scores(self, X, y):
        self.estimators_ = {}
        self.rankings_ = {}
        self.degenerate_ = {}
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            import pandas as pd

            # names let each member tell identical columns apart in its canonical order
            X = pd.DataFrame(X, columns=list(names), copy=False)
        for name, est in self._members().items():
            if "n_features_to_select" in est.get_params(deep=False):
                est.set_params(n_features_to_select="auto")
            est.fit(X, y)
            self.estimators_[name] = est
            self.rankings_[name] = est.ranking_
            reason = getattr(est, "degenerate_", None) or degenerate_reason(est.scores_)
            if reason:
                self.degenerate_[name] = reason
        self.used_ = [n for n in self.rankings_
                      if self.include_degenerate or n not in self.degenerate_]
        if not self.used_:  # every member degenerate: all of them, rather than nothing
            self.used_ = list(self.rankings_)
        return aggregate_rankings([self.rankings_[n] for n in self.used_], self.aggregation)

    def _auto_support_size(self):
        used = [self.estimators_[n] for n in self.used_]
        votes = np.sum([est.get_support() for est in used], axis=0)
        return int(np.sum(votes * 2 >= len(used))) or 1
