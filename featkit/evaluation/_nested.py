"""Which rankings of a run can be refitted inside the folds of the selection curves, and how.

A ranking fitted on every row has seen the held-out rows of every fold, so a
curve built on it is optimistic (on pure noise it can reach a perfect score).
:func:`fold_refitters` re-makes each registered method from the parameters it
ran with and refits it on a fold's training rows only. It leaves a method
out (its curve then stays optimistic, with the reason) when:

* it is not a registry method (a model attribution, say), so there is
  nothing to re-make from its parameters; or
* refitting it once per fold would take longer than the refit budget: the
  estimate is the fit time measured in the ranking run x folds x the share of
  rows a training fold has. Methods are admitted cheapest first while the
  estimates fit in the budget, so a slow method (a neural network, a forest on
  a large table) is the one left optimistic.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["fold_refitters"]


def _scalar_params(params):
    return {k: v for k, v in (params or {}).items()
            if isinstance(v, (int, float, str, bool)) or v is None}


def _maker(spec, params, task, random_state):
    params = dict(_scalar_params(params))
    # The kept subset does not matter for a ranking, and an int k may exceed a fold's columns.
    params.pop("n_features_to_select", None)

    def make():
        est = spec.make(task=task, random_state=random_state)
        accepted = est.get_params(deep=False)
        return est.set_params(**{p: v for p, v in params.items()
                                 if p in accepted and p != "task"})

    return make


def fold_refitters(result, X, X_discrete, y, *, task, cv, random_state, budget):
    """Callables that refit a run's rankings on a fold's training rows.

    Parameters
    ----------
    result : featkit.results.RankingResult
        The run whose methods are refitted (``MethodResult.params`` holds each
        estimator's ``get_params()``; ``seconds`` its measured fit time).
    X : ndarray of shape (n_samples, n_features)
        Numeric input (no missing values) for methods with numeric input.
    X_discrete : ndarray of shape (n_samples, n_features) or None
        Codes for methods with categorical input (None: they are not refitted).
    y : ndarray of shape (n_samples,)
    task : {"classification", "regression"}
    cv : int
        Number of folds the refit budget is spent over.
    random_state : int
        Used where a method's recorded parameters have none.
    budget : float
        Seconds that all refits together may take (estimated from the run's timings).

    Returns
    -------
    refit : dict of str -> callable
        ``refit[name](train_rows)`` -> the method's ranking on those rows. When
        every method of a multi-method run is refitted, ``"consensus"`` is too:
        the same aggregation of the methods' in-fold rankings.
    optimistic : dict of str -> str
        Methods left with their all-rows ranking, and why.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation._nested import fold_refitters
    >>> from featkit.results import MethodResult, RankingResult
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)); y = (X[:, 2] > 0).astype(int)
    >>> m = MethodResult("f_test", np.zeros(3), np.array([1, 2, 3]), seconds=0.01)
    >>> res = RankingResult(["a", "b", "c"], [], "y", "classification", 60, {"f_test": m},
    ...                     np.zeros(3), np.array([1, 2, 3]))
    >>> refit, optimistic = fold_refitters(res, X, None, y, task="classification", cv=3,
    ...                                    random_state=0, budget=5.0)
    >>> refit["f_test"](np.arange(40)).tolist(), optimistic
    ([2.0, 3.0, 1.0], {})
    """
    from ..registry import REGISTRY

    n = X.shape[0]
    share = (cv - 1) / cv * n / max(int(result.n_rows or n), 1)
    optimistic, costs = {}, {}
    for name, m in result.methods.items():
        spec = REGISTRY.get(name)
        if spec is None or spec.family == "consensus":
            optimistic[name] = "not a registered ranker (a model attribution); not refitted in the folds"
        elif spec.input == "categorical" and X_discrete is None:
            optimistic[name] = "its discrete input was not passed; not refitted in the folds"
        else:
            costs[name] = float(m.seconds or 0.0) * cv * share
    spent = 0.0
    makers = {}
    for name in sorted(costs, key=lambda k: (costs[k], k)):
        if spent + costs[name] > budget:
            optimistic[name] = (f"one fit took {result.methods[name].seconds:.1f} s; refitting it in "
                                f"{cv} folds (~{costs[name]:.0f} s) does not fit the time budget")
            continue
        spent += costs[name]
        spec = REGISTRY[name]
        params = result.methods[name].params or {}
        seed = params.get("random_state", random_state)
        data = X_discrete if spec.input == "categorical" else X
        makers[name] = (_maker(spec, params, task, seed), data, spec.needs_target)

    cache: dict = {}

    def fitted(name, rows):
        key = (name, rows.tobytes())
        if key not in cache:
            make, data, supervised = makers[name]
            est = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter on small folds
                if supervised:
                    est.fit(data[rows], y[rows])
                else:
                    est.fit(data[rows])
            cache[key] = np.asarray(est.ranking_, dtype=float)
        return cache[key]

    refit = {name: (lambda rows, name=name: fitted(name, np.asarray(rows))) for name in makers}
    if len(result.methods) > 1 and not optimistic:
        refit["consensus"] = _consensus_refitter(result, refit, X, y, task, random_state)
    elif len(result.methods) > 1:
        optimistic["consensus"] = ("combines " + ", ".join(sorted(optimistic))
                                   + ", whose rankings are not refitted in the folds")
    return {k: refit[k] for k in sorted(refit, key=lambda k: k != "consensus")}, optimistic


def _consensus_refitter(result, refit, X, y, task, random_state):
    from ..base import ranking_from_scores
    from ..selection._consensus import aggregate_rankings, weighted_consensus

    # The same members as the run's consensus: degenerate methods (when the result flags
    # them) are left out unless every method is degenerate.
    members = [name for name, m in result.methods.items() if not getattr(m, "degenerate", None)]
    members = members or list(result.methods)

    def consensus(rows):
        rows = np.asarray(rows)
        if result.aggregation == "cv_weighted":
            # the weights too come from the fold's training rows only (an inner CV in them)
            inner = {name: (lambda sub, name=name: refit[name](rows[sub])) for name in members}
            score = weighted_consensus({name: refit[name](rows) for name in members}, inner,
                                       X[rows], y[rows], task=task, cv=3,
                                       random_state=random_state)[0]
        else:
            score = aggregate_rankings([refit[name](rows) for name in members], result.aggregation)
        return np.asarray(ranking_from_scores(score), dtype=float)

    return consensus
