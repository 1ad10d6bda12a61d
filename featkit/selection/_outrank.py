"""OutRank: cardinality-aware mutual-information ranking, and its 3MR variant.

Score of a feature F against the label L on a batch of N rows (Skrlj & Mramor,
RecSys 2023; the ``MI-numba-randomized`` heuristic of the ``outrank`` package):
``sum_c n_c / N * (H~(F | L=c) - H(F | L=c))``, where the noise copy of F reads
row ``(i + n_c) mod N`` for row i. It is the mutual information of F and L less
the information a feature of the same value distribution gets by chance, so an
ID-like column scores about 0. Rows are read in batches; per-feature scores are
the median over batches; category codes are per batch. The scorers here only
see batches of codes: from arrays (``ArrayCodeBatches``) or from a file
(:class:`featkit.io.CodeBatches`).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context

from ..base import BaseRanker
from ..findings import Finding
from ..utils._param_validation import Interval, RealNotInt, StrOptions, validate_params
from ..exceptions import InputError
from ..utils._dask import is_dask_collection
from ..utils._input import as_pandas_frame
from ..utils._sampling import RowSubsample
from ..progress import as_reporter
from ..stats._distinct import DistinctCounts
from ._outrank_3mr import finish_3mr, fit_3mr
from ._outrank_batches import (
    MIN_TRAILING_BATCH,
    ArrayCodeBatches,
    choose_pairs,
    greedy_3mr,
    mean_coverage,
    minmax,
    name_ranks,
    pair_rows,
    run_batches,
    _batch_bounds,
    score_batch,
    score_rows,
)

__all__ = ["OutRank", "OutRank3MR", "greedy_3mr", "outrank_file", "outrank_3mr_file"]

# The parameters the estimators and the file scorers share.
_SHARED_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    # None, every k-th row, or a fraction of the rows
    "subsample": [None, Interval(Integral, 1, None, closed="left"), Interval(RealNotInt, 0, 1, closed="right")],
    "n_bins": [StrOptions({"auto"}), None, Interval(Integral, 2, None, closed="left")],
    "random_state": ["random_state"],
}
_ESTIMATOR_CONSTRAINTS = {
    **BaseRanker._parameter_constraints,
    **_SHARED_CONSTRAINTS,
    # None, -1 (all cores) or below, or a number of threads
    "n_jobs": [None, Interval(Integral, 1, None, closed="left"), Interval(Integral, None, -1, closed="right")],
}


# ----------------------------------------------------------- the estimators
class _OutRankBase(BaseRanker):
    _requires_target = True
    _allow_nan = True
    _task_aware = False  # the label is used as its raw values, like the reference
    _feature_attributes = {
        "_label_coverage": "vector", "batch_scores_": "columns", "raw_scores_": "vector",
        # 3MR: pairs_ hold feature indices; redundancy_ / relation_ follow pairs_
        "gain_": "vector", "pairs_": "indices",
    }
    _findings = {
        "cardinality_": Finding("feature_vector", "Distinct values per column"),
        "coverage_": Finding("feature_vector", "Share of rows with a value"),
        "labels_": Finding("feature_text", "name-(cardinality; coverage %)"),
        "n_batches_": Finding("scalar", "Batches scored"),
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, **fit_params):
        """Score every feature, rank them and choose the subset to keep.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Discrete features (codes, or numbers used as their distinct values;
            text/categorical DataFrame columns are accepted). NaN is a category.
        y : array-like of shape (n_samples,)
            The label, used as its distinct values.

        Returns
        -------
        self
        """
        if not is_dask_collection(X):
            X = _codes_for_text_columns(as_pandas_frame(X))
        super().fit(X, y, **fit_params)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        self.labels_ = _labels(names, self.cardinality_, self._label_coverage)
        return self

    def _code_batches(self, X, y):
        """The rows this fit uses, as batches of codes."""
        return ArrayCodeBatches(X, np.asarray(y).reshape(-1), self.batch_size, self.n_bins,
                                 self.subsample, self.random_state)

    def _keep_statistics(self, source):
        """Cardinality and coverage of the scored rows, from the last pass over ``source``."""
        self.cardinality_ = source.cardinality()
        self.coverage_ = 1.0 - source.n_missing / max(source.rows_scored, 1)
        self._label_coverage = mean_coverage(source, self.cardinality_.shape[0])

    def _score_row_batches(self, map_batches, n_rows):
        """OutRank's batch scores of a table that lives elsewhere (a Dask cluster).

        The client receives per batch only the scores, missing counts and row
        count; the columns' distinct values are counted by a
        :class:`~featkit.stats._distinct.DistinctCounts` kernel combined on the
        workers (exact up to 65,536 values a column, HyperLogLog past that).
        Returns ``(bounds, positions, results)`` for a second pass over the same batches.
        """
        self.__dict__.pop("distributed_note_", None)  # a refit says only what is true of it
        positions = RowSubsample(self.subsample, self.random_state).take(n_rows)
        kept = n_rows if positions is None else positions.size
        if kept < 2:
            raise InputError("OutRank needs at least 2 rows after subsampling.")
        bounds = _batch_bounds(kept, self.batch_size)
        results, (cardinality, exact) = map_batches(bounds, score_rows, (self.n_bins,), positions,
                                                    DistinctCounts())
        n_missing = np.sum([r[2] for r in results], axis=0)
        rows = sum(r[3] for r in results)
        self.cardinality_ = cardinality
        self.coverage_ = 1.0 - n_missing / max(rows, 1)
        self._label_coverage = np.mean([100.0 * (1.0 - r[2] / r[3]) for r in results], axis=0)
        if not exact.all():
            self.distributed_note_ = (
                f"cardinality_ of {int(np.count_nonzero(~exact))} column(s) with more than 65,536 "
                "distinct values is a HyperLogLog estimate (about 0.4% standard error)")
        return bounds, positions, results

    def _auto_support_size(self):
        # Keep the features that beat a same-cardinality random feature.
        return max(1, int(np.count_nonzero(self._relevance_for_cut() > 0)))


def _labels(names, cardinality, batch_coverage_pct):
    """The reference's ``name-(cardinality; coverage)`` labels. Its coverage is
    the mean of per-batch percentages rounded to 0.1 and then truncated
    (``int(round(x, 1))``): reproduced so that the labels read the same."""
    return [f"{n}-({int(c)}; {int(round(float(v), 1))})"
            for n, c, v in zip(names, cardinality, batch_coverage_pct)]


def _codes_for_text_columns(X):
    """Text / categorical DataFrame columns -> float codes (NaN where missing)."""
    if not hasattr(X, "dtypes") or not hasattr(X, "columns"):
        return X
    import pandas as pd

    out = None
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_bool_dtype(col.dtype):
            continue
        if out is None:
            out = X.copy()
        codes, _ = pd.factorize(col, use_na_sentinel=True)
        out[name] = np.where(codes < 0, np.nan, codes.astype(np.float64))
    return X if out is None else out


class OutRank(_OutRankBase):
    """Rank discrete features by OutRank's cardinality-aware mutual information.

    For each label value c (n_c rows of a batch of N), ``H(F | L=c)`` is the
    entropy of the feature's values among those rows and ``H~(F | L=c)`` the
    entropy of a noise copy that reads row ``(i + n_c) mod N`` instead of row i.
    The score ``sum_c n_c / N * (H~ - H)`` (nats) is the mutual information of F
    and L less what a feature with the same values gets by chance: an ID-like
    column scores about 0 where plain mutual information ranks it first.
    Scores may be slightly negative. Rows are scored in batches of
    ``batch_size``; a feature's score is the median over batches. This gives
    the same numbers as the ``MI-numba-randomized`` heuristic of the ``outrank``
    package (Skrlj & Mramor, RecSys 2023) on the same rows.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features that score above 0 (more information than a
        random feature of the same cardinality), at least one.
    batch_size : int, default=16384
        Rows per batch (the reference's ``--minibatch_size``). A trailing
        partial batch of at most 1,024 rows is ignored when there are other
        batches, as the reference does.
    subsample : None, int or float, default=None
        None: every row. An int k: every k-th row (the reference's
        ``--subsampling``). A float in (0, 1]: each row kept with this
        probability, seeded by ``random_state``.
    n_bins : "auto", int or None, default="auto"
        "auto": continuous columns (and a continuous label) are cut into 10
        quantile bins per batch; a column is continuous when it holds a value
        that is not a whole number and more than 10 distinct values. Whole-number
        columns (category codes, counts) keep their values. As raw categories a
        continuous column is almost unique per row, and the chance correction
        scores it near 0 whatever its signal. None: every column is used as its
        distinct values (the reference's behaviour; use it to compare with the
        ``outrank`` package). An int: every numeric column (and a numeric label)
        with more distinct values than this is cut into that many quantile bins
        per batch.
    normalize : bool, default=False
        If True, ``scores_`` holds the normalised view (see
        ``normalized_scores_``) instead of the raw scores.
    random_state : int, RandomState or None, default=None
        Used only by a fractional ``subsample``; the score itself is deterministic.
    n_jobs : int or None, default=None
        Threads scoring batches in parallel (-1: all cores).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        Median over batches of the chance-corrected mutual information (nats).
    raw_scores_ : ndarray of shape (n_features,)
        The same raw scores, whatever ``normalize`` says.
    normalized_scores_ : ndarray of shape (n_features,)
        Min-max scaled scores with the label's own score (its entropy) included
        in the range, so the label would be 1.0: the reference's
        ``feature_singles`` view.
    label_score_ : float
        Median over batches of the label's entropy (its score against itself).
    batch_scores_ : ndarray of shape (n_batches, n_features)
        Per-batch scores.
    n_batches_ : int
    cardinality_ : ndarray of shape (n_features,)
        Distinct non-missing values of each column (all rows).
    coverage_ : ndarray of shape (n_features,)
        Fraction of rows where the column is not missing.
    labels_ : list of str
        The reference's ``name-(cardinality; coverage %)`` label of each column.
    ranking_, support_, n_features_in_, feature_names_in_
        See :class:`featkit.base.BaseRanker`.

    See Also
    --------
    OutRank3MR : greedy relevance - redundancy + relation on top of these scores.
    outrank_file : the same scores streamed from a CSV / Parquet file.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import OutRank
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 2000)
    >>> informative = np.where(rng.rand(2000) < 0.8, y, 1 - y)
    >>> row_id = np.arange(2000)               # unique per row
    >>> noise = rng.randint(0, 5, 2000)
    >>> X = np.column_stack([informative, row_id, noise])
    >>> est = OutRank(n_features_to_select=1).fit(X, y)
    >>> est.scores_.round(3).tolist()        # the ID column scores 0
    [0.172, 0.0, 0.0]
    >>> est.get_support().tolist()
    [True, False, False]
    >>> est.labels_                          # name-(cardinality; coverage %)
    ['x0-(2; 100)', 'x1-(2000; 100)', 'x2-(5; 100)']
    """

    _findings = {
        **_OutRankBase._findings,
        "normalized_scores_": Finding("feature_vector", "Scores scaled with the label's own score"),
        "label_score_": Finding("scalar", "The label's own score (its entropy)"),
    }

    _parameter_constraints = {**_ESTIMATOR_CONSTRAINTS, "normalize": ["boolean"]}

    def __init__(self, n_features_to_select="auto", batch_size=16384, subsample=None,
                 n_bins="auto", normalize=False, random_state=None, n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.batch_size = batch_size
        self.subsample = subsample
        self.n_bins = n_bins
        self.normalize = normalize
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_scores(self, X, y):
        source = self._code_batches(X, y)
        results = run_batches(source, score_batch, self.n_jobs)
        self._keep_statistics(source)
        self._set_batch_results(results)
        return self.normalized_scores_ if self.normalize else self.raw_scores_

    def _fit_from_row_batches(self, map_batches, n_rows):
        """Scores from batches scored where the rows live (:mod:`featkit.distributed`).

        ``map_batches(bounds, func, args, positions, kernel=None)`` applies ``func``
        to each batch of the kept rows; the batches, the subsample and so the
        scores are those of an in-memory fit.
        """
        _, _, results = self._score_row_batches(map_batches, n_rows)
        self._set_batch_results(results)
        return self.normalized_scores_ if self.normalize else self.raw_scores_

    def _set_batch_results(self, results):
        self.batch_scores_ = np.vstack([r[0] for r in results])
        self.n_batches_ = len(results)
        self.raw_scores_ = np.median(self.batch_scores_, axis=0)
        self.label_score_ = float(np.median([r[1] for r in results]))
        self.normalized_scores_ = minmax(self.raw_scores_, [self.label_score_])

    def _relevance_for_cut(self):
        return self.raw_scores_


class OutRank3MR(_OutRankBase):
    """Order features by OutRank's 3MR: relevance - redundancy + relation.

    Greedy, as in the ``outrank`` package's ``MI-numba-3mr`` heuristic: start
    from the most relevant feature, then repeatedly add the feature f that
    maximises ``rel(f) - median_{s in S} red(s, f) + median_{s in S} relation(s, f)``
    over the chosen set S. ``rel`` is f's OutRank score against the label,
    ``red(a, b)`` the OutRank score of one feature against the other (the later
    of the two by name is the conditioning one, as in the reference; by
    position in the canonical column order when the columns have no names), ``relation(a, b)`` the OutRank score of the
    pair's joint category against the label; each is the median over batches
    and then min-max normalised (the redundancy range includes each feature's
    score against itself, its entropy, as in the reference).

    Only ``max_pairs`` feature pairs are scored (the pairs among the most
    relevant features first); a pair that is not scored counts as 0, and
    ``pairs_capped_`` / ``note_`` say when the cap was hit.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps as many features as score above 0 on relevance alone.
    batch_size, subsample, n_bins, random_state, n_jobs
        As in :class:`OutRank`.
    max_pairs : int, default=10000
        Cap on the number of feature pairs scored (the reference caps 3MR at
        10,000 combinations).

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        ``1 - position / n_features`` in the 3MR order (first pick 1.0).
    order_ : ndarray of shape (n_features,)
        Column indices in the order 3MR picked them.
    gain_ : ndarray of shape (n_features,)
        The 3MR objective of each feature when it was picked (by column).
    relevance_ : ndarray of shape (n_features,)
        Raw OutRank scores against the label (median over batches).
    pairs_ : ndarray of shape (n_pairs, 2)
        The scored pairs as input column indices ``(i, j)``, j the conditioning
        column of the redundancy: the later name (without names, the later in the
        canonical column order, see :func:`featkit.base.canonical_column_order`).
    redundancy_, relation_ : ndarray of shape (n_pairs,)
        Raw median redundancy / relation scores of ``pairs_``.
    pairs_capped_ : bool
    note_ : str
    n_batches_, cardinality_, coverage_, labels_, ranking_, support_, n_features_in_, feature_names_in_
        See :class:`OutRank` and :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import OutRank3MR
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 3000)
    >>> a = np.where(rng.rand(3000) < 0.8, y, 1 - y)
    >>> X = np.column_stack([a, a, rng.randint(0, 3, 3000), np.where(rng.rand(3000) < 0.7, y, 1 - y)])
    >>> est = OutRank3MR(n_features_to_select=2).fit(X, y)
    >>> int(est.order_[0]) in (0, 1)          # a copy of the strongest feature first
    True
    >>> est.get_support().tolist()            # its duplicate is redundant
    [True, False, False, True]
    """

    _findings = {
        **_OutRankBase._findings,
        "order_": Finding("feature_order", "3MR order"),
        "relevance_": Finding("feature_vector", "Relevance to the label"),
        "pairs_capped_": Finding("scalar", "Pairs capped"),
        "note_": Finding("note", "Pairs scored"),
    }

    _parameter_constraints = {**_ESTIMATOR_CONSTRAINTS, "max_pairs": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, n_features_to_select="auto", batch_size=16384, subsample=None,
                 n_bins="auto", max_pairs=10000, random_state=None, n_jobs=None):
        self.n_features_to_select = n_features_to_select
        self.batch_size = batch_size
        self.subsample = subsample
        self.n_bins = n_bins
        self.max_pairs = max_pairs
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_scores(self, X, y):
        source = self._code_batches(X, y)
        names = getattr(self, "feature_names_in_", None)
        later = None if names is None else name_ranks(np.asarray(names)[self.canonical_order_])
        fitted = fit_3mr(source, self.max_pairs, self.n_jobs, later=later)
        self._keep_statistics(source)
        for key, value in fitted.items():
            setattr(self, key, value)
        return self._scores_from_order()

    def _fit_from_row_batches(self, map_batches, n_rows):
        """3MR of a table that lives elsewhere (:mod:`featkit.distributed`), in two passes
        over the in-memory fit's batches: relevance (with the statistics of
        :class:`OutRank`'s distributed fit), then the pairs it selects, each batch
        scored on a worker by the in-memory kernels; the medians and the greedy
        order are computed here. Same batches, so the same numbers as in memory
        for the same column order."""
        bounds, positions, runs = self._score_row_batches(map_batches, n_rows)
        relevance = np.median(np.vstack([r[0] for r in runs]), axis=0)
        pairs, capped = choose_pairs(relevance, self.max_pairs,
                                     name_ranks(getattr(self, "feature_names_in_", None)))
        pair_runs = map_batches(bounds, pair_rows, (self.n_bins, pairs), positions) if pairs.size else []
        fitted = finish_3mr(relevance, pairs, capped, pair_runs, self.max_pairs, len(runs))
        for key, value in fitted.items():
            setattr(self, key, value)
        return self._scores_from_order()

    def _scores_from_order(self):
        d = self.order_.shape[0]
        scores = np.empty(d)
        scores[self.order_] = 1.0 - np.arange(d) / d
        return scores

    def _relevance_for_cut(self):
        return self.relevance_


# ------------------------------------------------------- streaming from a file
def _file_source(path, target, *, batch_size, random_state, drop, subsample, n_bins, progress, caller):
    """The file's rows as batches of codes, after checking the shared parameters."""
    from ..io import CodeBatches

    validate_params(
        {"batch_size": batch_size, "subsample": subsample, "n_bins": n_bins, "random_state": random_state},
        _SHARED_CONSTRAINTS, caller,
    )
    return CodeBatches(path, target, drop=tuple(drop), batch_size=batch_size, subsample=subsample,
                       random_state=random_state, n_bins=n_bins, short_tail=MIN_TRAILING_BATCH,
                       progress=as_reporter(progress))


def _check_two_classes(source):
    """Refuse a one-class target as the in-memory path does (every score would be 0)."""
    classes = source.label_values
    if len(classes) < 2:
        only = f" (only {next(iter(classes))!r})" if classes else ""
        raise InputError(
            f"The target {source.target!r} has {len(classes)} class{'es' if len(classes) != 1 else ''}{only}; "
            "classification needs at least 2."
        )


def _file_extra(source, task_note):
    import pyarrow as pa

    features = source.features
    cards = [c.count() for c in source.distinct]
    n_scored = source.rows_scored
    coverage = [1.0 - float(m) / max(n_scored, 1) for m in source.n_missing]
    types = source.column_types or [pa.string()] * len(features)
    columns = []
    for name, card, cov, cnt, kind in zip(features, cards, coverage, source.distinct, types):
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        notes = [] if numeric else [f"{int(card):,} categor{'y' if card == 1 else 'ies'}"]
        if not cnt.exact:
            notes.append("cardinality estimated (HyperLogLog)")
        columns.append({
            "name": name, "kind": "numeric" if numeric else "categorical", "dtype": str(kind),
            "n_missing": int(round((1 - cov) * n_scored)), "missing_frac": 1 - cov,
            "cardinality": int(card), "used": True, "note": "; ".join(notes),
        })
    return {
        "n_rows": source.rows_read, "task": "classification", "columns": columns,
        "notes": [task_note], "cardinality": cards, "coverage": coverage,
        "label": _labels(features, cards, mean_coverage(source, len(features))),
        "rows_scored": n_scored,
    }


def outrank_file(path, target, *, batch_size=16384, random_state=0, drop=(), progress=None,
                 subsample=None, n_bins="auto"):
    """OutRank scores of a CSV / TSV / Parquet / Feather file's columns, read in batches.

    Holds one batch of rows at a time (never the whole file). CSV columns are
    read as text; with ``n_bins=None`` their raw values are the categories, as
    in the reference. Missing cells (empty, "NA", "null", ...) are one category
    of their own. Binning (``n_bins="auto"`` or an int) happens per batch with
    that batch's exact quantiles, as :class:`OutRank` bins its batches, so no
    quantile sketch (and no sketch error) is involved: the scores equal
    :class:`OutRank`'s on the same rows and batches.

    Parameters
    ----------
    path : str or Path
    target : str
        The label column.
    batch_size, subsample, n_bins, random_state
        As in :class:`OutRank`.
    drop : sequence of str
        Columns not to rank.
    progress : callable or None
        A :mod:`featkit.progress` reporter, told the rows read so far
        (label ``"120,000 rows"``, total None).

    Returns
    -------
    features : list of str
    scores : ndarray of shape (n_features,)
    extra : dict
        ``n_rows``, ``columns`` (cardinality, coverage), ``notes``,
        ``normalized_scores``, ``label`` (``name-(cardinality; coverage%)``).

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 3000)
    >>> frame = pd.DataFrame({"a": np.where(rng.rand(3000) < 0.8, y, 1 - y),
    ...                       "noise": rng.randint(0, 4, 3000), "y": y})
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> frame.to_csv(path, index=False)
    >>> features, scores, extra = outrank_file(path, "y", batch_size=1000)
    >>> features, bool(scores[0] > scores[1])
    (['a', 'noise'], True)
    """
    source = _file_source(path, target, batch_size=batch_size, random_state=random_state, drop=drop,
                          subsample=subsample, n_bins=n_bins, progress=progress, caller="outrank_file")
    results = [score_batch(*b) for b in source]
    if not results:
        raise InputError(f"The file {str(path)!r} has fewer than 2 data rows.")
    _check_two_classes(source)
    scores = np.median(np.vstack([r[0] for r in results]), axis=0)
    label_score = float(np.median([r[1] for r in results]))
    extra = _file_extra(source, f"OutRank: median over {len(results)} batch(es) of {batch_size:,} rows.")
    extra["normalized_scores"] = [float(v) for v in minmax(scores, [label_score])]
    extra["label_score"] = label_score
    extra["n_batches"] = len(results)
    return source.features, scores, extra


def outrank_3mr_file(path, target, *, batch_size=16384, random_state=0, drop=(), progress=None,
                     subsample=None, n_bins="auto", max_pairs=10000):
    """3MR order of a file's columns, read in batches (two passes: relevance,
    then the capped feature pairs). Scores as :class:`OutRank3MR`'s ``scores_``.

    Returns ``(features, scores, extra)`` like :func:`outrank_file`, with the
    3MR order, the pair-cap note and the relevance scores in ``extra``;
    ``progress`` hears the rows read in each pass (``"pass 1 of 2: 120,000 rows"``).
    """
    validate_params({"max_pairs": max_pairs}, OutRank3MR._parameter_constraints, "outrank_3mr_file")
    source = _file_source(path, target, batch_size=batch_size, random_state=random_state, drop=drop,
                          subsample=subsample, n_bins=n_bins, progress=None, caller="outrank_3mr_file")
    features = source.features
    fitted = fit_3mr(source, max_pairs, None, progress=progress, later=name_ranks(features))
    _check_two_classes(source)
    d = len(features)
    scores = np.empty(d)
    scores[fitted["order_"]] = 1.0 - np.arange(d) / d
    extra = _file_extra(source, fitted["note_"])
    extra.update({
        "order": [features[i] for i in fitted["order_"]],
        "relevance": [float(v) for v in fitted["relevance_"]],
        "pairs_capped": fitted["pairs_capped_"], "n_batches": fitted["n_batches_"],
    })
    return features, scores, extra
