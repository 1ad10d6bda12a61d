"""Consensus across methods: rank aggregation over registered rankers, by default a
weighted mean rank whose weighting (the equal vote, evidence weights or one member) an
inner cross-validation on the fit rows chooses, under a one-standard-error guard."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import clone

from .._constants import AGGREGATIONS
from ..base import BaseRanker, degenerate_reason
from ..exceptions import InputError
from ..utils._param_validation import TASK_CONSTRAINT, Interval, StrOptions

# The inner choice keeps this candidate unless another beats it by more than one
# standard error (STANDARD_ERROR, see choose_candidate): chosen by benchmarks/consensus.py.
REFERENCE = "evidence weights"
STANDARD_ERROR = "paired"
# Below this many rows one prediction moves an inner fold's score by several points
# (NCI60: 57 rows, 8 classes, held-out folds of ~15 rows), so the inner scores follow noise
# and the weighting is not chosen by them. A rows-of-a-class test (tissue_gene_expression's
# held-out folds hold 1-2 rows of its smallest class) measured worse than the guard alone
# (benchmarks/results/consensus.txt), so it is off (None); inner_folds_too_small takes one.
MIN_INNER_ROWS = 100
MIN_INNER_CLASS_ROWS = None
# What such folds keep: the equal vote, the one weighting that owes nothing to the inner
# scores (the evidence weights are drawn from the same too-small folds).
SMALL_FOLDS_CHOICE = "mean rank"
# The evidence weights also silence a member more than this many standard errors (of the
# best member's score) below the best. One (the rule before) silenced members about one
# standard error below on a tall table, where the standard error is tiny and the light
# linear model of the evidence cannot use the quadratic and integer-code effects that the
# tree members find (1,000,000 x 100 of benchmarks/main_job.py: 9/12 informative columns
# in the top 12; two: 11/12); chosen by benchmarks/consensus.py and that table.
BAND_ERRORS = 2


def aggregate_rankings(rankings, how: str = "mean_rank", weights=None) -> np.ndarray:
    """Combine per-method rankings (1 = best) into one score per feature, higher = better.

    Parameters
    ----------
    rankings : array-like of shape (n_methods, n_features)
    how : {"cv_weighted", "mean_rank", "median_rank", "borda"}
        ``"mean_rank"`` and ``"median_rank"`` return minus the mean / median rank;
        ``"borda"`` returns the Borda count, sum over methods of (n_features - rank),
        which orders features like the mean rank; ``"cv_weighted"`` returns
        minus the mean rank weighted by ``weights`` (see :func:`evidence_weights`).
    weights : array-like of shape (n_methods,), default=None
        Non-negative member weights, required by ``"cv_weighted"``.

    Examples
    --------
    >>> aggregate_rankings([[1, 2, 3], [2, 1, 3]], "borda").tolist()
    [3.0, 3.0, 0.0]
    >>> aggregate_rankings([[1, 2, 3], [3, 2, 1]], "cv_weighted", weights=[3, 1]).tolist()
    [-1.5, -2.0, -2.5]
    """
    r = np.asarray(rankings, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] == 0:
        raise InputError("aggregate_rankings needs a non-empty (n_methods, n_features) array.")
    if how == "cv_weighted":
        w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
        if w is None or w.shape[0] != r.shape[0] or not (w >= 0).all() or w.sum() <= 0:
            raise InputError('aggregation="cv_weighted" needs one non-negative weight per '
                             "method, not all zero.")
        # not w @ r: BLAS may round a column differently by its position (vector body vs
        # remainder), which breaks exact ties and makes the result depend on column order
        return -(w[:, None] * r).sum(axis=0) / w.sum()
    if how == "mean_rank":
        return -r.mean(axis=0)
    if how == "median_rank":
        return -np.median(r, axis=0)
    if how == "borda":
        return (r.shape[1] - r).sum(axis=0)
    raise InputError(f"aggregation must be one of {AGGREGATIONS}, got {how!r}.")


def evidence_weights(evidence: dict, chance: float, *,
                     band_errors=BAND_ERRORS) -> tuple[dict, dict]:
    """Member weights from inner cross-validated evidence, and why a member got none.

    A member weighs its evidence above chance (``score - chance``), unless

    * its score is within one standard error of chance (it carries no signal
      on this table), or
    * its score is more than ``band_errors`` standard errors (of the best
      member's score) below the best member's: the folds tell it apart from
      the best, and its vote would pull the consensus down.

    When no member is left (all at chance), every member weighs the same.

    Parameters
    ----------
    evidence : dict of str -> dict
        :func:`featkit.evaluation._evidence.ranking_evidence` output.
    chance : float
        The score of an uninformed model.
    band_errors : float, default=BAND_ERRORS
        How many standard errors of the best member's score below it a member
        may fall and keep its vote.

    Returns
    -------
    weights : dict of str -> float
        Sum to 1.
    dropped : dict of str -> str
        Members with weight 0 and the reason.

    Examples
    --------
    >>> ev = {"a": {"score": 0.90, "error": 0.01}, "b": {"score": 0.885, "error": 0.02},
    ...       "c": {"score": 0.70, "error": 0.02}, "noise": {"score": 0.51, "error": 0.02}}
    >>> w, dropped = evidence_weights(ev, 0.5)
    >>> {k: round(v, 3) for k, v in w.items()}
    {'a': 0.51, 'b': 0.49, 'c': 0.0, 'noise': 0.0}
    >>> dropped["noise"]
    'no better than chance (score 0.510 +- 0.020, chance 0.500)'
    >>> evidence_weights(ev, 0.5, band_errors=1)[0]["b"]  # 0.885 < 0.90 - 0.01
    0.0
    """
    scored = {n: e for n, e in evidence.items() if e.get("score") is not None}
    dropped = {n: f"could not be refitted in the inner folds ({e.get('error_message')})"
               for n, e in evidence.items() if n not in scored}
    raw = {n: 0.0 for n in evidence}
    if scored:
        best = max(scored, key=lambda n: scored[n]["score"])
        top, top_se = scored[best]["score"], scored[best]["error"] or 0.0
        for n, e in scored.items():
            s, se = e["score"], e["error"] or 0.0
            if s <= chance + se:
                dropped[n] = f"no better than chance (score {s:.3f} +- {se:.3f}, chance {chance:.3f})"
            elif s < top - band_errors * top_se:
                errors = "standard error" + ("" if band_errors == 1 else "s")
                dropped[n] = (f"more than {band_errors:g} {errors} below {best} (score "
                              f"{s:.3f} vs {top:.3f} +- {top_se:.3f})")
            else:
                raw[n] = s - chance
    total = sum(raw.values())
    if total <= 0:
        return {n: 1.0 / len(evidence) for n in evidence}, {}
    return {n: v / total for n, v in raw.items()}, dropped


def consensus_candidates(folds, inner: dict, evidence: dict, chance: float, *,
                         band_errors=BAND_ERRORS) -> dict:
    """Inner cross-validated score of each candidate weighting of the members.

    The candidates are the equal vote (``"mean rank"``), the evidence weights of
    :func:`evidence_weights` (``"evidence weights"``) and each member alone.
    Every candidate is scored on the held-out rows of each inner fold from the
    members' rankings refitted on that fold's training rows; the evidence
    weights of fold ``j`` come from the members' scores on the other folds
    only, so no candidate is scored on rows that chose its weights.

    Parameters
    ----------
    folds : featkit.evaluation._evidence.InnerFolds
    inner : dict of str -> list of ndarray
        Each member's ranking refitted in every fold of ``folds``.
    evidence : dict of str -> dict
        Each member's evidence in ``folds`` (``score`` None when its refit failed).
    chance : float
        The score of an uninformed model.
    band_errors : float, default=BAND_ERRORS
        See :func:`evidence_weights`.

    Returns
    -------
    dict of str -> dict
        In order of preference on a tie: ``weights`` (over the members of
        ``evidence``), ``score``, ``error``, ``folds``.
    """
    from ..evaluation._evidence import fold_summary

    names = [n for n in evidence if evidence[n]["score"] is not None]
    if not names:
        return {}

    def full(w):
        return {n: float(w.get(n, 0.0)) for n in evidence}

    def fold_scores(weights_of_fold):
        out = []
        for j in range(len(folds.splits)):
            w = weights_of_fold(j)
            order = -aggregate_rankings([inner[n][j] for n in names], "cv_weighted",
                                        weights=[w[n] for n in names])
            out.append(folds.score(order, j))
        return out

    equal = full({n: 1.0 / len(names) for n in names})
    candidates = {"mean rank": {"weights": equal, **fold_summary(fold_scores(lambda j: equal))}}
    if len(names) > 1 and len(folds.splits) > 1:
        def held_out_weights(j):
            others = {n: fold_summary([s for i, s in enumerate(evidence[n]["folds"]) if i != j])
                      for n in names}
            return full(evidence_weights(others, chance, band_errors=band_errors)[0])

        by_evidence = full(evidence_weights({n: evidence[n] for n in names}, chance,
                                            band_errors=band_errors)[0])
        candidates["evidence weights"] = {"weights": by_evidence,
                                          **fold_summary(fold_scores(held_out_weights))}
        for n in names:
            candidates[n] = {"weights": full({n: 1.0}), "score": evidence[n]["score"],
                             "error": evidence[n]["error"], "folds": evidence[n]["folds"]}
    return candidates


def inner_folds_too_small(rows: int, fewest_of_a_class=None, *, min_rows=MIN_INNER_ROWS,
                          min_class_rows=MIN_INNER_CLASS_ROWS):
    """Why inner folds are too small to choose a weighting, or None when they are not.

    Parameters
    ----------
    rows : int
        Rows the inner folds cover (all held-out folds together).
    fewest_of_a_class : int or None
        The fewest rows of one class in a held-out fold (None for regression).
    min_rows : int, default=MIN_INNER_ROWS
    min_class_rows : int or None, default=MIN_INNER_CLASS_ROWS
        None: no test of the rows of a class.

    Examples
    --------
    >>> inner_folds_too_small(45, 1)
    'fewer than 100 rows (45)'
    >>> inner_folds_too_small(150, 2) is None
    True
    >>> inner_folds_too_small(150, 2, min_class_rows=10)
    'fewer than 10 rows of a class in a held-out fold (2)'
    """
    if rows < min_rows:
        return f"fewer than {min_rows} rows ({rows})"
    if None not in (fewest_of_a_class, min_class_rows) and fewest_of_a_class < min_class_rows:
        return f"fewer than {min_class_rows} rows of a class in a held-out fold ({fewest_of_a_class})"
    return None


def _standard_error(candidate, reference, kind):
    if kind == "none":
        return 0.0
    if kind == "own":
        return float(candidate["error"] or 0.0)
    if kind == "reference":
        return float(reference["error"] or 0.0)
    if kind == "paired":
        # fold difficulty is shared by both candidates; only the per-fold gain varies by chance
        diff = np.subtract(candidate["folds"], reference["folds"])
        return float(np.std(diff, ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
    raise InputError(f"standard error must be 'paired', 'own', 'reference' or 'none', got {kind!r}.")


def choose_candidate(candidates: dict, *, reference=REFERENCE, standard_error=STANDARD_ERROR,
                     too_small=None, small_folds_choice=SMALL_FOLDS_CHOICE):
    """The candidate weighting an inner cross-validation supports: the one-standard-error rule.

    The ``reference`` candidate is kept unless another candidate's mean inner
    score beats it by more than one standard error; of those that do, the best
    mean wins (the first on a tie). When ``too_small`` gives a reason, the
    folds cannot tell candidates apart and ``small_folds_choice`` is kept.

    Parameters
    ----------
    candidates : dict of str -> dict
        :func:`consensus_candidates` output (``score``, ``error``, ``folds``).
    reference : str, default=REFERENCE
        ``"mean rank"`` or ``"evidence weights"``; the equal vote when the
        reference is not among the candidates.
    standard_error : {"paired", "own", "reference", "none"}, default=STANDARD_ERROR
        ``"paired"``: of the per-fold differences from the reference;
        ``"own"``: of the challenger's fold scores; ``"reference"``: of the
        reference's; ``"none"``: the best mean wins outright.
    too_small : str or None, default=None
        See :func:`inner_folds_too_small`.
    small_folds_choice : str or None, default=SMALL_FOLDS_CHOICE
        Kept when ``too_small``; None keeps the reference.

    Returns
    -------
    str or None
        None when there are no candidates.

    Examples
    --------
    >>> cands = {"mean rank": {"score": 0.80, "error": 0.01, "folds": [0.79, 0.80, 0.81]},
    ...          "a": {"score": 0.82, "error": 0.04, "folds": [0.74, 0.85, 0.87]},
    ...          "b": {"score": 0.81, "error": 0.012, "folds": [0.79, 0.81, 0.83]}}
    >>> choose_candidate(cands, reference="mean rank", standard_error="none")
    'a'
    >>> choose_candidate(cands, reference="mean rank", standard_error="own")  # 0.02 < 0.04
    'mean rank'
    >>> choose_candidate(cands, reference="mean rank", standard_error="paired")  # b: +0, .01, .02
    'b'
    >>> choose_candidate(cands, reference="mean rank", too_small="fewer than 100 rows (45)")
    'mean rank'
    """
    if not candidates:
        return None
    if reference not in candidates:
        reference = "mean rank"
    if too_small:
        return small_folds_choice if small_folds_choice in candidates else reference
    ref = candidates[reference]
    ahead = [c for c in candidates if c != reference
             and candidates[c]["score"] - ref["score"] > _standard_error(candidates[c], ref,
                                                                          standard_error)]
    if not ahead:
        return reference
    return max(ahead, key=lambda c: candidates[c]["score"])


def inner_choice(rankings: dict, refit: dict, X, y, *, task, cv=3, random_state=0,
                 max_rows=None, n_threads=1, serial=()) -> dict:
    """The ``"cv_weighted"`` consensus: the member weighting the inner folds support.

    Every member is refitted on the training rows of ``cv`` inner folds (of a
    sample of at most ``max_rows`` rows); the candidates of
    :func:`consensus_candidates` (the equal vote, the evidence weights, each
    member alone) are scored on the held-out rows, and
    :func:`choose_candidate` keeps the :data:`REFERENCE` weighting unless
    another beats it by more than one standard error; when the folds are too
    small to tell (:func:`inner_folds_too_small`) it keeps
    :data:`SMALL_FOLDS_CHOICE`, the equal vote. Members that
    could not be refitted weigh 0.

    Parameters
    ----------
    rankings : dict of str -> ndarray
        Each member's ranking on all rows.
    refit : dict of str -> callable
        ``refit[name](rows)``: the member's ranking fitted on those rows only.
    X, y, task, cv, random_state
        See :func:`featkit.evaluation._evidence.ranking_evidence`.
    max_rows : int or None, default=None
        Default :data:`featkit.evaluation._evidence.INNER_MAX_ROWS`.
    n_threads : int, default=1
        Threads the refits run in; the members named in ``serial`` are
        refitted one after another (see
        :meth:`~featkit.evaluation._evidence.InnerFolds.refit_all`). The
        result does not depend on it.
    serial : collection of str, default=()

    Returns
    -------
    dict
        ``score`` (ndarray, higher = better), ``weights``, ``dropped`` (member
        -> why it weighs 0), ``evidence`` (member -> inner score),
        ``candidates`` (candidate -> weights and inner score), ``chosen`` and
        ``held_out`` (:meth:`~featkit.evaluation._evidence.InnerFolds.smallest_held_out`,
        None without folds).
    """
    from ..evaluation._evidence import (INNER_MAX_ROWS, InnerFolds, chance_score,
                                        member_evidence)

    names = list(rankings)
    equal = {n: 1.0 / len(names) for n in names}

    def unscored(message):
        return {n: {"score": None, "error": None, "folds": [], "error_message": message}
                for n in names}

    try:
        folds = InnerFolds(X, y, task=task, cv=cv, random_state=random_state,
                           max_rows=INNER_MAX_ROWS if max_rows is None else max_rows)
    except InputError:
        raise
    except ValueError as exc:  # fewer rows than folds
        evidence, candidates, held_out, too_small = unscored(str(exc)), {}, None, None
    else:
        held_out = folds.smallest_held_out()
        too_small = inner_folds_too_small(*held_out)
        if too_small:
            # the choice is the equal vote whatever the refits would say: they are not
            # made (on 20 x 5,000 they were half the run's time)
            evidence = unscored(f"not refitted: inner folds too small to choose ({too_small})")
            candidates = {}
        else:
            inner, failures = folds.refit_all({n: refit[n] for n in names},
                                              n_threads=n_threads, serial=serial)
            evidence = member_evidence(folds, inner, failures, names)
            candidates = consensus_candidates(folds, inner, evidence, chance_score(task, folds.y))
    if too_small:
        weights, chosen, dropped = equal, SMALL_FOLDS_CHOICE, {}
    elif not candidates:  # no member could be refitted: the equal vote of all
        weights, chosen, dropped = equal, None, {}
    else:
        dropped = {n: f"could not be refitted in the inner folds ({e['error_message']})"
                   for n, e in evidence.items() if e["score"] is None}
        chosen = choose_candidate(candidates, reference=REFERENCE, standard_error=STANDARD_ERROR)
        weights = candidates[chosen]["weights"]
        why = _choice_text(chosen, candidates)
        if chosen == "evidence weights":
            reasons = evidence_weights({n: e for n, e in evidence.items() if n not in dropped},
                                       chance_score(task, folds.y))[1]
            dropped.update({n: f"{why}; {r}" for n, r in reasons.items()})
        elif chosen != "mean rank":
            dropped.update({n: f"{why}; its own {evidence[n]['score']:.3f}"
                            for n in names if n not in dropped and n != chosen})
    score = aggregate_rankings([rankings[n] for n in names], "cv_weighted",
                               weights=[weights[n] for n in names])
    return {"score": score, "weights": weights, "dropped": dropped, "evidence": evidence,
            "candidates": candidates, "chosen": chosen, "held_out": held_out}


def _choice_text(chosen, candidates, too_small=None):
    c, m = candidates[chosen], candidates["mean rank"]
    what = chosen if chosen in ("evidence weights", "mean rank") else f"{chosen} alone"
    if too_small:
        return f"inner folds too small to choose ({too_small}): kept {what}"
    best = max(candidates, key=lambda n: candidates[n]["score"])
    if best != chosen:
        return (f"inner cross-validation chose {what} ({c['score']:.3f}; {best} "
                f"{candidates[best]['score']:.3f} not ahead of it by one standard error)")
    return (f"inner cross-validation chose {what} ({c['score']:.3f} +- {c['error']:.3f}; "
            f"equal vote {m['score']:.3f})")


def weighted_consensus(rankings: dict, refit: dict, X, y, *, task, cv=3, random_state=0,
                       max_rows=None, n_threads=1, serial=()):
    """Score of the ``"cv_weighted"`` consensus, with the weights and the evidence.

    See :func:`inner_choice`, which also returns the candidates' inner scores.

    Returns
    -------
    score : ndarray of shape (n_features,)
    weights : dict of str -> float
    dropped : dict of str -> str
    evidence : dict of str -> dict
    """
    found = inner_choice(rankings, refit, X, y, task=task, cv=cv, random_state=random_state,
                         max_rows=max_rows, n_threads=n_threads, serial=serial)
    return found["score"], found["weights"], found["dropped"], found["evidence"]


class ConsensusRanker(BaseRanker):
    """Rank features by aggregating the rankings of several featkit methods.

    Parameters
    ----------
    methods : sequence of str or of estimators, default=("f_test", "mutual_info", "random_forest", "l1")
        Registry names (see ``featkit methods``) or unfitted featkit rankers.
    aggregation : {"cv_weighted", "mean_rank", "median_rank", "borda"}, default="cv_weighted"
        ``"cv_weighted"``: a weighted mean rank whose weights are chosen by an
        inner cross-validation on the rows given to ``fit`` (see
        :func:`inner_choice`): the equal vote, the weights of
        :func:`evidence_weights` or one member alone; the reference weighting
        (:data:`REFERENCE`) is kept unless another beats it by more than one
        standard error; when the inner folds are too small, the equal vote.
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
    inner_cv : int, default=3
        Folds of the inner cross-validation of ``"cv_weighted"`` (over a
        seeded sample of at most 3,000 rows).

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
    weights_ : dict of str -> float
        ``"cv_weighted"`` only: each used member's weight (they sum to 1).
    dropped_ : dict of str -> str
        ``"cv_weighted"`` only: members that weigh 0, and why.
    evidence_ : dict of str -> dict
        ``"cv_weighted"`` only: each member's inner CV score and standard error.
    candidates_ : dict of str -> dict
        ``"cv_weighted"`` only: each candidate weighting and its inner CV score.
    chosen_ : str or None
        ``"cv_weighted"`` only: the candidate chosen (None when the inner folds
        could not score any: the equal vote).
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
        "inner_cv": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, methods=("f_test", "mutual_info", "random_forest", "l1"),
                 aggregation="cv_weighted", n_features_to_select="auto", task="auto",
                 random_state=None, include_degenerate=False, inner_cv=3):
        self.methods = methods
        self.aggregation = aggregation
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.random_state = random_state
        self.include_degenerate = include_degenerate
        self.inner_cv = inner_cv

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
        if self.aggregation != "cv_weighted":
            return aggregate_rankings([self.rankings_[n] for n in self.used_], self.aggregation)
        from ..utils._task import check_target, infer_task

        task = infer_task(y, self.task)
        y_codes = check_target(y, task)[0] if task == "classification" else np.asarray(y, float)

        def refit(name):
            def fit_on(rows):
                est = clone(self.estimators_[name])
                Xr = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
                return est.fit(Xr, np.asarray(y)[rows]).ranking_
            return fit_on

        seed = self.random_state if isinstance(self.random_state, int) else 0
        found = inner_choice(
            {n: self.rankings_[n] for n in self.used_}, {n: refit(n) for n in self.used_},
            np.asarray(X, dtype=np.float64), y_codes, task=task, cv=self.inner_cv,
            random_state=seed)
        self.weights_, self.dropped_ = found["weights"], found["dropped"]
        self.evidence_, self.candidates_ = found["evidence"], found["candidates"]
        self.chosen_ = found["chosen"]
        return found["score"]

    def _auto_support_size(self):
        used = [self.estimators_[n] for n in self.used_]
        votes = np.sum([est.get_support() for est in used], axis=0)
        return int(np.sum(votes * 2 >= len(used))) or 1
