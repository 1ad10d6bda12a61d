"""Minimum-redundancy maximum-relevance (mRMR), greedy forward selection.

The defaults give the selection order of ``mrmr-selection`` 0.2.8
(``mrmr_classif`` / ``mrmr_regression``): relevance is the F statistic,
redundancy the mean absolute Pearson correlation with the features already
chosen, and the score of a candidate is relevance / redundancy. Each greedy
step adds one column of correlations to a running sum (a rank-one update of
the redundancy vector) instead of recomputing the redundancy of every
candidate against every chosen feature.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.feature_selection import (
    f_classif,
    f_regression,
    mutual_info_classif,
    mutual_info_regression,
)

from .._array import memory_budget_bytes
from ..base import BaseRanker
from ..stats import average_ranks, unit_columns
from ..utils._param_validation import MEMORY_BUDGET_CONSTRAINT, TASK_CONSTRAINT, Interval, StrOptions

__all__ = ["MRMR"]

# mrmr-selection clips every |correlation| from below at this value (its FLOOR).
_FLOOR = 0.001
# Precompute the whole |correlation| matrix when the greedy runs this many
# steps or more and the matrix fits the budget (one GEMM beats many GEMVs).
_FULL_MATRIX_MIN_STEPS = 32
_RELEVANCE = ("f", "mi", "rf")
_REDUNDANCY = ("pearson", "spearman")
_DENOMINATOR = ("mean", "max")


def _relevance(X, y, task, kind, random_state):
    if kind == "f":
        func = f_classif if task == "classification" else f_regression
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.filterwarnings("ignore", message=".*constant.*")
            rel = func(X, y)[0]
    elif kind == "mi":
        func = mutual_info_classif if task == "classification" else mutual_info_regression
        rel = func(X, y, n_neighbors=max(1, min(3, X.shape[0] - 1)), random_state=random_state)
    else:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
        # the forest of mrmr-selection's "rf" relevance: 100 trees of depth 5
        rel = cls(max_depth=5, random_state=random_state).fit(X, y).feature_importances_
    return np.nan_to_num(np.asarray(rel, dtype=np.float64), nan=0.0)


class MRMR(BaseRanker):
    """Minimum-redundancy maximum-relevance feature selection (greedy forward).

    At each step the candidate with the largest ``relevance / redundancy`` is
    chosen, where redundancy is the mean (or max) absolute correlation of the
    candidate with the features chosen so far (1 at the first step). Features
    with zero relevance are never chosen.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features chosen by the greedy search when
        ``max_steps`` is set, the better half otherwise.
    max_steps : int or None, default=None
        Number of greedy steps (``K`` of ``mrmr_classif``); None runs until
        every feature with positive relevance is ordered.
    relevance : {"f", "mi", "rf"}, default="f"
        F statistic (``mrmr-selection``'s default), k-NN mutual information,
        or the impurity importance of a random forest of depth 5.
    redundancy : {"pearson", "spearman"}, default="pearson"
        Correlation used for redundancy (``"pearson"`` is ``mrmr-selection``'s).
    denominator : {"mean", "max"}, default="mean"
        How the correlations with the chosen features are combined.
    task : {"auto", "classification", "regression"}, default="auto"
    random_state : int, RandomState or None, default=None
        Used by the "mi" and "rf" relevances only.
    memory_budget : int, str or None, default=None
        Bytes the d x d correlation matrix may take when it is precomputed;
        above it each step computes one column (O(n d) memory).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        ``m - position`` for the ``m`` chosen features in the order chosen
        (the first has the highest score), 0 for features never chosen.
    selection_order_ : ndarray of int
        Column indices in the order the greedy search chose them.
    mrmr_scores_ : ndarray of float
        ``relevance / redundancy`` of each chosen feature when it was chosen.
    relevance_ : ndarray of shape (n_features,)
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Notes
    -----
    Reproduced from ``mrmr-selection`` on purpose: each |correlation| is
    clipped below at 0.001 (an undefined one counts as 0.001); a redundancy
    exactly equal to 1 makes the score 0 (its ``replace(1.0, inf)``); ties go
    to the leftmost column -- of the canonical column order here (see
    :func:`featkit.base.canonical_column_order`), so a tie is broken the same
    way whatever the order of the input columns. Categorical columns reach this estimator already
    encoded (featkit's encoders in ``featkit rank``).

    References
    ----------
    H. Peng, F. Long, C. Ding, "Feature selection based on mutual information:
    criteria of max-dependency, max-relevance, and min-redundancy", IEEE TPAMI
    27(8), 2005. Z. Zhao, R. Anand, M. Wang, "Maximum Relevance and Minimum
    Redundancy Feature Selection Methods for a Marketing Machine Learning
    Platform", IEEE DSAA 2019 (the F-statistic / correlation quotient).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import MRMR
    >>> a = np.arange(8.0)                     # the most relevant column
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> b = a + np.array([0, 0, 0, 0.5, -0.5, 0, 0, 0])   # nearly a copy of a
    >>> c = np.array([1.0, 1, 0, 0, 2, 2, 1, 1])          # less relevant, not redundant
    >>> MRMR().fit(np.column_stack([b, a, c]), y).selection_order_.tolist()
    [1, 2, 0]
    """

    _requires_target = True
    _feature_attributes = {"selection_order_": "indices", "relevance_": "vector"}

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "relevance": [StrOptions(set(_RELEVANCE))],
        "redundancy": [StrOptions(set(_REDUNDANCY))],
        "denominator": [StrOptions(set(_DENOMINATOR))],
        "task": TASK_CONSTRAINT,
        "random_state": ["random_state"],
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_features_to_select="auto", max_steps=None, relevance="f",
                 redundancy="pearson", denominator="mean", task="auto", random_state=None,
                 memory_budget=None):
        self.n_features_to_select = n_features_to_select
        self.max_steps = max_steps
        self.relevance = relevance
        self.redundancy = redundancy
        self.denominator = denominator
        self.task = task
        self.random_state = random_state
        self.memory_budget = memory_budget

    def _fit_scores(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        rel = _relevance(X, y, self.task_, self.relevance, self.random_state)
        self.relevance_ = rel
        candidates = rel > 0
        steps = int(candidates.sum())
        if self.max_steps is not None:
            steps = min(steps, int(self.max_steps))
        base = average_ranks(X) if self.redundancy == "spearman" else X
        Z, _ = unit_columns(base)
        order, quotients = self._greedy(Z, rel, candidates, steps)
        self.selection_order_ = np.asarray(order, dtype=np.int64)
        self.mrmr_scores_ = np.asarray(quotients, dtype=np.float64)
        scores = np.zeros(d)
        scores[self.selection_order_] = np.arange(len(order), 0, -1, dtype=np.float64)
        return scores

    def _abs_corr_source(self, Z, steps):
        """A function ``j -> |corr(:, j)|`` clipped at the floor (one GEMM when it pays)."""
        d = Z.shape[1]
        if steps >= _FULL_MATRIX_MIN_STEPS and 8 * d * d <= memory_budget_bytes(self.memory_budget) // 4:
            full = np.clip(np.abs(Z.T @ Z), _FLOOR, None)
            return lambda j: full[:, j]
        return lambda j: np.clip(np.abs(Z.T @ Z[:, j]), _FLOOR, None)

    def _greedy(self, Z, rel, candidates, steps):
        d = Z.shape[1]
        column = self._abs_corr_source(Z, steps)
        use_max = self.denominator == "max"
        # running sum (or max) of clipped |corr| with the chosen features
        combined = np.zeros(d) if not use_max else np.full(d, -np.inf)
        open_ = candidates.copy()
        order, quotients = [], []
        for step in range(steps):
            if step == 0:
                denom = np.ones(d)
            else:
                denom = combined if use_max else combined / step
                # mrmr-selection: a redundancy of exactly 1 scores 0
                denom = np.where(denom == 1.0, np.inf, denom)
            score = np.where(open_, rel / denom, -np.inf)
            best = int(np.argmax(score))
            order.append(best)
            quotients.append(float(score[best]))
            open_[best] = False
            corr = column(best)
            combined = np.maximum(combined, corr) if use_max else combined + corr
        return order, quotients

    def _auto_support_size(self):
        if self.max_steps is None:
            return None
        return max(1, int(self.selection_order_.size))
