"""evaluate_ranking: every check of a ranking run that the report shows."""

from __future__ import annotations

import time

import numpy as np

from ..exceptions import FeatkitError, InputError, plain_values
from ..stats import quantile_bin_codes

__all__ = ["evaluate_ranking", "default_top_k"]


def default_top_k(n_features: int) -> int:
    """The k used for stability and overlap when none is given: a third of the features, 1..10.

    Examples
    --------
    >>> from featkit.evaluation import default_top_k
    >>> default_top_k(30), default_top_k(10), default_top_k(2)
    (10, 3, 1)
    """
    return int(min(10, max(1, round(n_features / 3))))


def _impute(X):
    X = np.array(X, dtype=np.float64, copy=True)
    bad = ~np.isfinite(X)
    if bad.any():
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(bad, np.nan, X), axis=0)
        med = np.where(np.isfinite(med), med, 0.0)
        X[bad] = np.take(med, np.nonzero(bad)[1])
    return X, bool(bad.any())


def _quantile_codes(X, n_bins=10):
    """Discrete codes for methods that take categorical input, when no codes were passed."""
    out = np.empty(X.shape, dtype=np.int64)
    for j in range(X.shape[1]):
        # bin indices as they fall, empty bins included: the codes these scores were defined on
        out[:, j] = quantile_bin_codes(X[:, j], n_bins, dense=False)
    return out


def evaluate_ranking(result, X, y, *, task, random_state=0, max_features=None, cv=3,
                     n_bootstrap=20, top_k=None, X_discrete=None, curve_model="linear",
                     max_rows=3000, max_rows_stability=2000, time_budget=30.0) -> dict:
    """Selection curves, stability, agreement and redundancy of a ranking run.

    Everything here is measured on data the caller passes in, with the
    rankers of the registry refitted on bootstrap resamples for the stability
    part; nothing is read from or written to disk.

    Parameters
    ----------
    result : featkit.results.RankingResult
    X : array-like of shape (n_samples, n_features)
        The ranked features as numbers, columns in ``result.features`` order
        (missing values are imputed with column medians here).
    y : array-like of shape (n_samples,) or None
        Without a target, the selection curves are left out and only
        unsupervised methods are resampled.
    task : {"classification", "regression"} or None
    random_state : int, default=0
    max_features : int, default=None
        Largest k on the selection curves (default: all features, at most 50).
    cv : int, default=3
        Folds of the selection curves.
    n_bootstrap : int, default=20
        Resamples per method for stability.
    top_k : int, default=None
        k of the stability and top-k overlap (default :func:`default_top_k`).
    X_discrete : array-like of int, default=None
        Discrete codes for methods with categorical input (default: 10 quantile bins of ``X``).
    curve_model : {"linear", "forest"}, default="linear"
    max_rows : int, default=3000
        Row sample for curves and correlations.
    max_rows_stability : int, default=2000
        Row sample that the bootstrap draws from.
    time_budget : float, default=30.0
        CPU seconds, shared: about 30% for refitting the rankings inside the folds of the
        selection curves (estimated from the run's timings), 30% for scoring the curves, 40% for
        stability.

    Returns
    -------
    dict
        JSON-ready: ``top_k``, ``n_rows``, ``curves``, ``stability``,
        ``agreement``, ``redundancy``, ``notes``, ``seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.evaluation import evaluate_ranking
    >>> from featkit.results import MethodResult, RankingResult
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(120, 3)); y = (X[:, 0] > 0).astype(int)
    >>> m = MethodResult("f_test", np.array([9.0, 1.0, 0.5]), np.array([1, 2, 3]))
    >>> res = RankingResult(["a", "b", "c"], [], "y", "classification", 120, {"f_test": m},
    ...                     np.array([-1.0, -2.0, -3.0]), np.array([1, 2, 3]))
    >>> ev = evaluate_ranking(res, X, y, task="classification", n_bootstrap=3)
    >>> ev["curves"]["ks"], ev["stability"]["methods"]["f_test"]["frequency"]
    ([1, 2, 3], [1.0, 0.0, 0.0])
    """
    from ..registry import REGISTRY
    from ..results import _jsonable
    from ..utils._task import check_target
    from ._agreement import feature_redundancy, ranking_agreement
    from ._curves import selection_curves
    from ._nested import _scalar_params, fold_refitters
    from ._stability import bootstrap_stability

    start = time.perf_counter()
    features = list(result.features)
    X, had_missing = _impute(X)
    if X.ndim != 2 or X.shape[1] != len(features):
        raise InputError(f"X has shape {X.shape} but the result ranks {len(features)} features.")
    n, d = X.shape
    notes = []
    if had_missing:
        notes.append("Missing values were filled with column medians for the evaluation.")
    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != n:
            raise InputError(f"X has {n} rows but y has {y.shape[0]}.")
        y, _ = check_target(y, task)
    k = default_top_k(d) if top_k is None else int(max(1, min(top_k, d)))
    rng = np.random.RandomState(random_state)
    rows = np.arange(n) if n <= max_rows else np.sort(rng.choice(n, max_rows, replace=False))
    if rows.size < n:
        notes.append(f"Curves and correlations use a random sample of {rows.size:,} of {n:,} rows.")

    rankings = {name: np.asarray(m.ranking) for name, m in result.methods.items()}
    if len(rankings) > 1:
        rankings = {"consensus": np.asarray(result.consensus_rank), **rankings}
    seconds = {}

    # Selection curves, nested where the methods can be refitted inside the folds.
    curves = None
    codes = None
    if y is not None and task is not None and rankings:
        t = time.perf_counter()
        max_f = min(d, 50) if max_features is None else max_features
        from ._curves import k_grid

        if any(REGISTRY[m].input == "categorical" for m in result.methods if m in REGISTRY):
            codes = _quantile_codes(X) if X_discrete is None else np.asarray(X_discrete)
        refit, optimistic = fold_refitters(result, X[rows], None if codes is None else codes[rows],
                                           y[rows], task=task, cv=cv,
                                           random_state=random_state, budget=0.3 * time_budget)
        try:
            curves = selection_curves(rankings, X[rows], y[rows], task=task,
                                      ks=k_grid(d, max_f, max_points=12), cv=cv, model=curve_model,
                                      random_state=random_state, time_budget=0.3 * time_budget,
                                      refit=refit)
        except (FeatkitError, ValueError) as exc:
            # A tiny table (3 rows, one row of a class) cannot be cross-validated.
            notes.append(f"Selection curves skipped ({n} rows): {' '.join(plain_values(exc).split())}")
    if curves is not None:
        for name, err in curves["refit_errors"].items():
            optimistic[name] = f"refitting it in a fold failed ({err})"
        curves["optimistic"] = {name: why for name, why in optimistic.items() if name in rankings}
        # A suggestion from a curve that saw the held-out rows would inherit its optimism.
        curves["best_k"] = {name: k for name, k in curves["best_k"].items() if curves["nested"][name]}
        if curves["truncated"]:
            notes.append("The selection curves stopped early (time budget); larger k are missing.")
        seconds["curves"] = time.perf_counter() - t
    if y is None:
        notes.append("No target: selection curves need one and are left out.")

    # Stability: refit each registered method on bootstrap resamples.
    stability = {"top_k": k, "methods": {}, "skipped": {}}
    t = time.perf_counter()
    candidates = [name for name in result.methods if name in REGISTRY]
    for name in result.methods:
        if name not in REGISTRY:
            stability["skipped"][name] = "not a registered ranker (model attribution); not resampled"
    budget_each = (0.4 * time_budget) / max(len(candidates), 1)
    m_rows = min(n, max_rows_stability)
    for name in candidates:
        spec = REGISTRY[name]
        if spec.needs_target and y is None:
            stability["skipped"][name] = "needs a target"
            continue
        if not spec.is_installed():
            stability["skipped"][name] = f"needs featkit[{spec.extra}]"
            continue
        # The ranking run timed each method: skip those that cannot do two resamples in budget.
        est_fit = result.methods[name].seconds * m_rows / max(result.n_rows or n, 1)
        if 2 * est_fit > budget_each:
            stability["skipped"][name] = (
                f"one fit takes about {est_fit:.1f} s; too slow to resample within the time budget")
            continue
        params = _scalar_params(result.methods[name].params)
        params.pop("n_features_to_select", None)

        def make(spec=spec, params=params):
            est = spec.make(task=task if task else "auto", random_state=random_state)
            accepted = est.get_params(deep=False)
            return est.set_params(**{p: v for p, v in params.items() if p in accepted
                                     and p not in ("task", "random_state")})

        if spec.input == "categorical":
            if codes is None:
                codes = _quantile_codes(X) if X_discrete is None else np.asarray(X_discrete)
            data = codes
        else:
            data = X
        try:
            out = bootstrap_stability(make, data, y if spec.needs_target else None, top_k=k,
                                      n_bootstrap=n_bootstrap, max_rows=max_rows_stability,
                                      random_state=random_state, time_budget=budget_each)
        except (FeatkitError, ValueError) as exc:
            stability["skipped"][name] = f"failed: {exc}"
            continue
        stability["methods"][name] = out
    seconds["stability"] = time.perf_counter() - t

    agreement = ranking_agreement(rankings, top_k=k) if rankings else None

    t = time.perf_counter()
    # Large tables: the correlation heatmap shows the best features only.
    max_red = 80
    order = np.argsort(np.asarray(result.consensus_rank), kind="stable")[:max_red]
    keep = np.sort(order) if d > max_red else np.arange(d)
    redundancy = feature_redundancy(X[rows][:, keep], [features[i] for i in keep],
                                    random_state=random_state)
    if d > max_red:
        notes.append(f"The correlation heatmap shows the {max_red} best features of {d}.")
    seconds["redundancy"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - start

    return _jsonable({
        "top_k": k, "n_rows": int(n), "n_rows_used": int(rows.size), "curves": curves,
        "stability": stability, "agreement": agreement, "redundancy": redundancy,
        "notes": notes, "seconds": seconds, "random_state": random_state,
        "n_bootstrap": n_bootstrap, "cv": cv,
    })

