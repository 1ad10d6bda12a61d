"""Select a table's best columns: rank them, choose k, keep the columns as they were.

:func:`select_features` is the library behind ``featkit select``: it ranks the
features with :func:`featkit.ranking.rank_features` (same reading, typing and
notes), takes the consensus ranking (or the one method asked for), keeps its
top k (a number, or chosen by cross-validation with the one-standard-error
rule, :class:`featkit.evaluation.CrossValidatedK`) and returns the input table
restricted to those columns, in their original values, with the target and any
columns asked to be kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .exceptions import InputError, UnknownNameError, suggest_names

__all__ = ["Selection", "select_features"]


@dataclass
class Selection:
    """What :func:`select_features` kept and why.

    Attributes
    ----------
    frame : pandas.DataFrame
        The input table with the selected, kept and target columns only, in
        the input's column order and with the input's values.
    selected : list of str
        The selected features, best first.
    k : int
    how : str
        ``"fixed"`` (k given) or ``"cv"`` (chosen by cross-validation).
    ranked_by : str
        ``"consensus (<aggregation>)"`` or the one method's name.
    cv : dict or None
        With ``how == "cv"``: ``grid``, ``scores``, ``errors``, ``scoring``, ``cv``.
    result : featkit.results.RankingResult
        The ranking the selection was read from.
    """

    frame: object
    selected: list
    k: int
    how: str
    ranked_by: str
    cv: dict | None = None
    result: object = field(default=None, repr=False)

    def explain(self) -> str:
        """One sentence on how k was chosen.

        Examples
        --------
        >>> Selection(None, ["a", "b"], 2, "fixed", "f_test").explain()
        'Kept the top 2 features by f_test (k given).'
        """
        if self.how == "fixed":
            return f"Kept the top {self.k} features by {self.ranked_by} (k given)."
        best = int(np.nanargmax(self.cv["scores"]))
        return (f"Kept the top {self.k} features by {self.ranked_by}: the smallest k whose "
                f"{self.cv['cv']}-fold {self.cv['scoring']} is within one standard error of the "
                f"best ({self.cv['scores'][best]:.3f} +- {self.cv['errors'][best]:.3f} at "
                f"k = {self.cv['grid'][best]}).")


def _check_columns(frame, names, what):
    columns = [str(c) for c in frame.columns]
    for name in names:
        if name not in columns:
            raise UnknownNameError(f"{what} {name!r} is not a column of the table."
                                   + suggest_names(name, columns))


def select_features(data, target, *, k="cv", methods=None, keep=(), task="auto", drop=(),
                    random_state=0, aggregation=None, keep_id=False, categorical_int_max=0,
                    progress=None) -> Selection:
    """Keep the best ``k`` columns of ``data`` for predicting ``target``.

    Parameters
    ----------
    data : path, DataFrame or ndarray
        Anything :func:`featkit.io.read_table` accepts.
    target : str
        The target column (always kept).
    k : int or "cv", default="cv"
        How many features to keep; ``"cv"`` chooses it by 5-fold
        cross-validation of a logistic regression / ridge on the top k of the
        ranking over a geometric grid, with the one-standard-error rule.
    methods : list of str, comma-separated str or None, default=None
        Methods to rank with (default: the defaults). One method: its ranking
        is used; several: their consensus.
    keep : sequence of str, default=()
        Columns copied to the output whatever their rank (an ID, a date).
        They are not ranked.
    task, drop, random_state, keep_id, categorical_int_max, progress
        As in :func:`featkit.ranking.rank_features`.
    aggregation : str or None, default=None
        The consensus aggregation (default: that of :func:`rank_features`).

    Returns
    -------
    Selection

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from featkit import select_features
    >>> rng = np.random.RandomState(0)
    >>> frame = pd.DataFrame(rng.normal(size=(200, 5)), columns=list("abcde"))
    >>> frame["id"] = range(200)
    >>> frame["y"] = (frame["b"] - frame["d"] > 0).astype(int)
    >>> sel = select_features(frame, "y", k=2, methods="f_test", keep=["id"])
    >>> sorted(sel.selected), list(sel.frame.columns)
    (['b', 'd'], ['b', 'd', 'id', 'y'])
    """
    from .io import read_table
    from .ranking import rank_features

    if target is None:
        raise InputError("select needs a target: the features are chosen for predicting it.")
    if isinstance(k, bool) or not (k == "cv" or (isinstance(k, (int, np.integer)) and k >= 1)):
        raise InputError(f"k must be a whole number of at least 1 or 'cv', got {k!r}.")
    frame = read_table(data)
    keep = [str(c) for c in keep]
    _check_columns(frame, [str(target)], "The target")
    _check_columns(frame, keep, "The kept column")
    if str(target) in keep:
        raise InputError(f"{target!r} is the target; it is always kept, do not list it in keep.")
    options = dict(task=task, drop=tuple(drop) + tuple(keep), random_state=random_state,
                   keep_id=keep_id, categorical_int_max=categorical_int_max)
    kwargs = {} if aggregation is None else {"aggregation": aggregation}
    result = rank_features(frame, target, methods=methods, progress=progress, **options, **kwargs)
    if len(result.methods) == 1:
        ranked_by = next(iter(result.methods))
        ranking = result.methods[ranked_by].ranking
    else:
        ranked_by = f"consensus ({result.aggregation})"
        ranking = result.consensus_rank
    d = len(result.features)
    cv = None
    if k == "cv":
        cv = _cv_choice(frame, target, ranking, options)
        k, how = cv.pop("k"), "cv"
    else:
        k, how = int(min(k, d)), "fixed"
    order = np.argsort(np.asarray(ranking, dtype=float), kind="stable")
    selected = [result.features[i] for i in order[:k]]
    wanted = set(selected) | set(keep) | {str(target)}
    columns = [c for c in frame.columns if str(c) in wanted]
    return Selection(frame=frame[columns], selected=selected, k=int(k), how=how,
                     ranked_by=ranked_by, cv=cv, result=result)


def _cv_choice(frame, target, ranking, options):
    """k by cross-validation on the same encoding the numeric methods saw."""
    from .evaluation import CrossValidatedK
    from .io import encode_numeric, prepare_features
    from .utils._task import check_target

    prepared = prepare_features(frame, target, **options)
    X = encode_numeric(prepared.X, prepared.columns, prepared.y, prepared.task,
                       impute=True, random_state=options["random_state"])
    y, _ = check_target(np.asarray(prepared.y), prepared.task)
    return CrossValidatedK().choose_k(X, y, ranking, task=prepared.task,
                                      random_state=options["random_state"])
