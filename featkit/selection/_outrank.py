"""OutRank: cardinality-aware mutual-information ranking, and its 3MR variant.

Score of a feature F against the label L on a batch of N rows (Skrlj & Mramor,
RecSys 2023; the ``MI-numba-randomized`` heuristic of the ``outrank`` package):
``sum_c n_c / N * (H~(F | L=c) - H(F | L=c))``, where the noise copy of F reads
row ``(i + n_c) mod N`` for row i. It is the mutual information of F and L less
the information a feature of the same value distribution gets by chance, so an
ID-like column scores about 0. Rows are read in batches; per-feature scores are
the median over batches; category codes are per batch.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..base import BaseRanker
from ..exceptions import InputError, UnknownNameError, suggest_names
from ..utils._input import as_pandas_frame
from ..stats._contingency import (
    chance_corrected_mi,
    entropy_from_codes,
    factorize,
    binned_codes,
    factorize_columns,
)

__all__ = ["OutRank", "OutRank3MR", "outrank_file", "outrank_3mr_file"]

# The reference drops a trailing partial batch of at most this many rows
# (unless it is the only batch): reproduced so that scores match it.
_MIN_TRAILING_BATCH = 1024
# Exact distinct counting per column up to this many values, then HyperLogLog.
_EXACT_DISTINCT_MAX = 1 << 16


# ------------------------------------------------------------------ parameters
def _check_params(est_or_kwargs):
    p = est_or_kwargs
    bs = p["batch_size"]
    if not isinstance(bs, numbers.Integral) or isinstance(bs, bool) or bs < 2:
        raise InputError(f"batch_size must be an int >= 2, got {bs!r}.")
    sub = p["subsample"]
    if sub is not None:
        ok = (isinstance(sub, numbers.Integral) and not isinstance(sub, bool) and sub >= 1) or (
            isinstance(sub, numbers.Real) and not isinstance(sub, (bool, numbers.Integral)) and 0 < sub <= 1
        )
        if not ok:
            raise InputError(
                f"subsample must be None, an int >= 1 (every k-th row) or a fraction in (0, 1], got {sub!r}."
            )
    nb = p["n_bins"]
    if nb is not None and nb != "auto" and (
            not isinstance(nb, numbers.Integral) or isinstance(nb, bool) or nb < 2):
        raise InputError(f"n_bins must be 'auto', None or an int >= 2, got {nb!r}.")
    nj = p.get("n_jobs")
    if nj is not None and (not isinstance(nj, numbers.Integral) or isinstance(nj, bool) or nj == 0):
        raise InputError(f"n_jobs must be None, -1 or a positive int, got {nj!r}.")


def _n_threads(n_jobs) -> int:
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)


def _row_selection(n: int, subsample, random_state) -> np.ndarray | None:
    """Rows kept by ``subsample``: every k-th row (rows k, 2k, ... counted from 1,
    as the reference's ``--subsampling``) or a seeded Bernoulli fraction."""
    if subsample is None or (isinstance(subsample, numbers.Integral) and subsample == 1):
        return None
    if isinstance(subsample, numbers.Integral):
        return np.arange(subsample - 1, n, subsample)
    from sklearn.utils import check_random_state

    return np.flatnonzero(check_random_state(random_state).random_sample(n) < subsample)


def _batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] <= _MIN_TRAILING_BATCH:
        bounds.pop()  # the reference ignores a short remainder
    return bounds


def _label_codes(y, n_bins):
    binned = binned_codes(y, n_bins)
    if binned is not None:
        return binned, int(binned.max()) + 1
    codes, k, _ = factorize(y)
    return codes, k


# ------------------------------------------------------------ batch scoring
def _score_batch(codes, ks, y_codes, k_y):
    """OutRank scores of every column of one batch, and the label's entropy."""
    scores = chance_corrected_mi(y_codes, k_y, codes, ks)
    return scores, entropy_from_codes(y_codes, k_y)


def _choose_pairs(relevance: np.ndarray, max_pairs: int) -> tuple[np.ndarray, bool]:
    """Feature pairs (i < j) for 3MR, the most relevant first, at most ``max_pairs``."""
    d = relevance.shape[0]
    order = np.argsort(-np.where(np.isfinite(relevance), relevance, -np.inf), kind="stable")
    total = d * (d - 1) // 2
    pairs = []
    # Pairs among the m most relevant features come first (m = 2, 3, ...).
    for m in range(1, d):
        new = order[m]
        for earlier in order[:m]:
            pairs.append((min(new, earlier), max(new, earlier)))
            if len(pairs) >= max_pairs:
                break
        if len(pairs) >= max_pairs:
            break
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return arr, arr.shape[0] < total


def _pair_batch_scores(codes, ks, y_codes, k_y, pairs, chunk=64):
    """Per batch: redundancy score(F_i | F_j) and relation score((F_i, F_j) | L)
    for every pair (i < j), plus each feature's entropy (the reference's
    self-pair value, which enters the redundancy normalisation)."""
    n_pairs = pairs.shape[0]
    red = np.zeros(n_pairs)
    rel = np.zeros(n_pairs)
    d = codes.shape[1]
    self_entropy = np.array([entropy_from_codes(codes[:, j], ks[j]) for j in range(d)])
    # Redundancy: the later column (by position) is the conditioning one, like
    # the reference, which conditions on the later of the two sorted names.
    for j in np.unique(pairs[:, 1]):
        sel = np.flatnonzero(pairs[:, 1] == j)
        idx = pairs[sel, 0]
        red[sel] = chance_corrected_mi(codes[:, j], int(ks[j]), codes[:, idx], ks[idx])
    for start in range(0, n_pairs, chunk):
        block = pairs[start:start + chunk]
        a, b = block[:, 0], block[:, 1]
        joint = codes[:, a] * ks[b] + codes[:, b]
        rel[start:start + chunk] = chance_corrected_mi(y_codes, k_y, joint, ks[a] * ks[b])
    return red, rel, self_entropy


def _minmax(values, extra=()):
    """Min-max scale ``values`` using the range of ``values`` and ``extra`` together."""
    values = np.asarray(values, dtype=np.float64)
    pool = np.concatenate([values.ravel(), np.asarray(extra, dtype=np.float64).ravel()])
    if pool.size == 0:
        return values
    lo, hi = float(np.min(pool)), float(np.max(pool))
    if not hi > lo:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def greedy_3mr(relevance, pairs, redundancy, relation):
    """Order features by 3MR: relevance - median redundancy + median relation.

    ``relevance`` (d,), ``redundancy`` / ``relation`` (n_pairs,) already
    normalised, for the (i, j) rows of ``pairs``; pairs not listed count as 0
    (as in the reference). Returns ``(order, gain)`` where ``gain[k]`` is the
    objective of the k-th feature picked.
    """
    d = relevance.shape[0]
    red = np.zeros((d, d))
    rel = np.zeros((d, d))
    if pairs.size:
        red[pairs[:, 0], pairs[:, 1]] = red[pairs[:, 1], pairs[:, 0]] = redundancy
        rel[pairs[:, 0], pairs[:, 1]] = rel[pairs[:, 1], pairs[:, 0]] = relation
    first = int(np.argmax(relevance))
    chosen = [first]
    gains = [float(relevance[first])]
    remaining = np.ones(d, dtype=bool)
    remaining[first] = False
    while remaining.any():
        cand = np.flatnonzero(remaining)
        objective = (relevance[cand] - np.median(red[np.ix_(chosen, cand)], axis=0)
                     + np.median(rel[np.ix_(chosen, cand)], axis=0))
        best = int(np.argmax(objective))
        chosen.append(int(cand[best]))
        gains.append(float(objective[best]))
        remaining[cand[best]] = False
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains)


# ------------------------------------------------------------- cardinality
class _DistinctCounter:
    """Distinct non-missing values of one column across batches: exact up to
    65,536 values (an arrow hash set), then a HyperLogLog estimate (2**16
    registers, about 0.4% standard error), so memory stays bounded on ID-like columns."""

    _P = 16

    def __init__(self):
        self._seen = None
        self._overflow = False
        self._registers = np.zeros(1 << self._P, dtype=np.uint8)

    def update(self, unique_values):
        """Add a batch's distinct values (an arrow Array, a list or 1-d array; no missing)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        values = unique_values if isinstance(unique_values, pa.Array) else pa.array(unique_values)
        if len(values) == 0:
            return
        if self._overflow:
            self._add_hll(self._hash(values))
            return
        if self._seen is not None and values.type != self._seen.type:
            values = values.cast(self._seen.type)
        merged = values if self._seen is None else pa.concat_arrays([self._seen, values])
        self._seen = pc.unique(merged)
        if len(self._seen) > _EXACT_DISTINCT_MAX:
            self._overflow = True
            self._add_hll(self._hash(self._seen))
            self._seen = None

    @staticmethod
    def _hash(values):
        import pandas as pd

        arr = values.to_numpy(zero_copy_only=False)
        if arr.dtype.kind in "US":
            arr = arr.astype(object)
        return pd.util.hash_array(arr, categorize=False)

    def _add_hll(self, h):
        p = self._P
        idx = (h >> np.uint64(64 - p)).astype(np.int64)
        rest = (h << np.uint64(p)) & np.uint64(0xFFFFFFFFFFFFFFFF)
        rho = np.full(h.shape, 64 - p + 1, dtype=np.int64)
        nz = rest != 0
        rho[nz] = 64 - np.floor(np.log2(rest[nz].astype(np.float64))).astype(np.int64)
        rho = np.minimum(rho, 64 - p + 1)
        np.maximum.at(self._registers, idx, rho.astype(np.uint8))

    @property
    def exact(self) -> bool:
        return not self._overflow

    def count(self) -> int:
        if not self._overflow:
            return 0 if self._seen is None else len(self._seen)
        m = float(self._registers.size)
        alpha = 0.7213 / (1 + 1.079 / m)
        est = alpha * m * m / np.sum(np.ldexp(1.0, -self._registers.astype(np.int64)))
        zeros = int(np.count_nonzero(self._registers == 0))
        if est <= 2.5 * m and zeros:
            est = m * math.log(m / zeros)
        return int(round(est))


# ----------------------------------------------------------- the estimators
class _OutRankBase(BaseRanker):
    _requires_target = True
    _allow_nan = True
    _task_aware = False  # the label is used as its raw values, like the reference
    _feature_attributes = {
        "cardinality_": "vector", "coverage_": "vector", "_label_coverage": "vector",
        "batch_scores_": "columns", "raw_scores_": "vector", "normalized_scores_": "vector",
        # 3MR: pairs_ hold feature indices; redundancy_ / relation_ follow pairs_
        "relevance_": "vector", "order_": "indices", "gain_": "vector", "pairs_": "indices",
    }

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
        X = _codes_for_text_columns(as_pandas_frame(X))
        return super().fit(X, y, **fit_params)

    def _batches(self, X, y):
        """Per-batch ``(codes, ks, y_codes, k_y)`` of the rows this fit uses;
        cardinality and coverage of the scored rows are gathered on the way."""
        rows = _row_selection(X.shape[0], self.subsample, self.random_state)
        if rows is not None:
            X, y = X[rows], y[rows]
        if X.shape[0] < 2:
            raise InputError("OutRank needs at least 2 rows after subsampling.")
        d = X.shape[1]
        seen = [[] for _ in range(d)]
        missing = np.zeros(d, dtype=np.int64)
        n_scored = 0
        batch_cov = []
        for start, stop in _batch_bounds(X.shape[0], self.batch_size):
            codes, ks, n_missing, values = factorize_columns(X[start:stop], self.n_bins,
                                                             return_values=True)
            y_codes, k_y = _label_codes(y[start:stop], self.n_bins)
            missing += n_missing
            n_scored += stop - start
            batch_cov.append(100.0 * (1.0 - n_missing / (stop - start)))
            for j in range(d):
                seen[j].append(values[j])
            yield codes, ks, y_codes, k_y
        self.cardinality_ = np.array([np.unique(np.concatenate(v)).size if v else 0 for v in seen],
                                     dtype=np.int64)
        self.coverage_ = 1.0 - missing / max(n_scored, 1)
        self._label_coverage = np.mean(batch_cov, axis=0) if batch_cov else np.full(d, 100.0)

    def report_extra(self) -> dict:
        """Per-column cardinality and coverage next to the scores (for the CLI / report)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "scores_")
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        extra = {
            "cardinality": [int(c) for c in self.cardinality_],
            "coverage": [float(c) for c in self.coverage_],
            "label": _labels(names, self.cardinality_, self._label_coverage),
            "n_batches": int(self.n_batches_),
        }
        if hasattr(self, "normalized_scores_"):
            extra["normalized_scores"] = [float(v) for v in self.normalized_scores_]
        if hasattr(self, "order_"):
            extra["order"] = [str(names[i]) for i in self.order_]
            extra["relevance"] = [float(v) for v in self.relevance_]
            extra["pairs_capped"] = self.pairs_capped_
            extra["note"] = self.note_
        return extra

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


def _run_batches(batches, func, n_jobs):
    """Apply ``func`` to every batch of an iterable, lazily (one batch of codes
    in memory per thread); with ``n_jobs`` > 1 batches are scored on threads
    (numpy's sort, take and arithmetic release the GIL)."""
    threads = _n_threads(n_jobs)
    if threads == 1:
        return [func(*b) for b in batches]
    results, pending = [], []
    with ThreadPoolExecutor(threads) as pool:
        for b in batches:
            pending.append(pool.submit(func, *b))
            if len(pending) >= 2 * threads:
                results.append(pending.pop(0).result())
        results.extend(f.result() for f in pending)
    return results


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
    >>> est.report_extra()["label"]          # name-(cardinality; coverage %)
    ['x0-(2; 100)', 'x1-(2000; 100)', 'x2-(5; 100)']
    """

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
        _check_params(self.get_params())
        y = np.asarray(y).reshape(-1)
        results = _run_batches(self._batches(X, y), _score_batch, self.n_jobs)
        self._set_batch_results(results)
        return self.normalized_scores_ if self.normalize else self.raw_scores_

    def _set_batch_results(self, results):
        self.batch_scores_ = np.vstack([r[0] for r in results])
        self.n_batches_ = len(results)
        self.raw_scores_ = np.median(self.batch_scores_, axis=0)
        self.label_score_ = float(np.median([r[1] for r in results]))
        self.normalized_scores_ = _minmax(self.raw_scores_, [self.label_score_])

    def _relevance_for_cut(self):
        return self.raw_scores_


class OutRank3MR(_OutRankBase):
    """Order features by OutRank's 3MR: relevance - redundancy + relation.

    Greedy, as in the ``outrank`` package's ``MI-numba-3mr`` heuristic: start
    from the most relevant feature, then repeatedly add the feature f that
    maximises ``rel(f) - median_{s in S} red(s, f) + median_{s in S} relation(s, f)``
    over the chosen set S. ``rel`` is f's OutRank score against the label,
    ``red(a, b)`` the OutRank score of one feature against the other (the later
    column is the conditioning one), ``relation(a, b)`` the OutRank score of the
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
        The scored pairs (input column indices; i < j in the canonical column order,
        see :func:`featkit.base.canonical_column_order`).
    redundancy_, relation_ : ndarray of shape (n_pairs,)
        Raw median redundancy / relation scores of ``pairs_``.
    pairs_capped_ : bool
    note_ : str
    n_batches_, cardinality_, coverage_, ranking_, support_, n_features_in_, feature_names_in_
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
        params = self.get_params()
        _check_params(params)
        if not isinstance(self.max_pairs, numbers.Integral) or self.max_pairs < 0:
            raise InputError(f"max_pairs must be an int >= 0, got {self.max_pairs!r}.")
        y = np.asarray(y).reshape(-1)
        fitted = _fit_3mr(lambda: self._batches(X, y), X.shape[1], self.max_pairs, self.n_jobs)
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


def _fit_3mr(batch_source, d, max_pairs, n_jobs) -> dict:
    """3MR from per-batch codes; ``batch_source()`` returns a fresh iterable of
    batches (called twice: relevance first, then the pairs it selects)."""
    relevance_runs = _run_batches(batch_source(), _score_batch, n_jobs)
    if not relevance_runs:
        raise InputError("3MR needs at least 2 data rows.")
    relevance = np.median(np.vstack([r[0] for r in relevance_runs]), axis=0)
    pairs, capped = _choose_pairs(relevance, max_pairs)

    def pair_func(codes, ks, y_codes, k_y):
        return _pair_batch_scores(codes, ks, y_codes, k_y, pairs)

    runs = _run_batches(batch_source(), pair_func, n_jobs)
    red = np.median(np.vstack([r[0] for r in runs]), axis=0) if pairs.size else np.zeros(0)
    rel = np.median(np.vstack([r[1] for r in runs]), axis=0) if pairs.size else np.zeros(0)
    self_ent = np.median(np.vstack([r[2] for r in runs]), axis=0)
    order, gains = greedy_3mr(_minmax(relevance), pairs, _minmax(red, self_ent), _minmax(rel))
    gain = np.empty(d)
    gain[order] = gains
    total = d * (d - 1) // 2
    note = (f"3MR scored {pairs.shape[0]:,} of {total:,} feature pairs (max_pairs={max_pairs:,}, "
            "pairs among the most relevant features first; the others count as 0)."
            if capped else f"3MR scored all {total:,} feature pairs.")
    return {
        "relevance_": relevance, "pairs_": pairs, "redundancy_": red, "relation_": rel,
        "order_": order, "gain_": gain, "pairs_capped_": bool(capped), "note_": note,
        "n_batches_": len(relevance_runs),
    }


# ------------------------------------------------------- streaming from a file
def _arrow_batches(path, batch_size, columns=None):
    """Yield pyarrow Tables of exactly ``batch_size`` rows (the last one shorter)
    read from a CSV / TSV (all columns as text, raw values as categories, like
    the reference) or a Parquet / Feather file, never holding the whole file."""
    import pyarrow as pa

    from ..io._read import batches_naming_ragged_line, header_line_count, read_header, table_format

    fmt, compression, default_sep = table_format(path)
    if compression == "zip":
        raise InputError(f"Cannot stream the zip archive {str(path)!r}; unzip it or use .gz / .bz2.")
    if fmt == "csv":
        import pyarrow.csv as pacsv

        names, sep, encoding, _ = read_header(path, compression, default_sep)
        convert = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            include_columns=list(columns) if columns is not None else None,
            strings_can_be_null=True,
        )
        # The header was parsed already (a quoted name may span lines); pyarrow
        # skips physical lines, so skip as many as the header record took.
        read = pacsv.ReadOptions(block_size=1 << 22, column_names=names,
                                 skip_rows=header_line_count(names),
                                 encoding="utf8" if encoding == "utf-8-sig" else encoding)

        def open_reader():
            stream = pa.input_stream(str(path), compression="detect")
            return pacsv.open_csv(stream, read_options=read,
                                  parse_options=pacsv.ParseOptions(delimiter=sep),
                                  convert_options=convert)

        source = batches_naming_ragged_line(open_reader, path, compression, encoding, sep, len(names))
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        source = pq.ParquetFile(str(path)).iter_batches(batch_size=batch_size, columns=columns)
    else:
        import pyarrow.ipc as ipc

        reader = ipc.open_file(str(path))
        source = (reader.get_batch(i) for i in range(reader.num_record_batches))
    pending, n_pending = [], 0
    for batch in source:
        if columns is not None and fmt == "feather":
            batch = batch.select(columns)
        pending.append(batch)
        n_pending += batch.num_rows
        while n_pending >= batch_size:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, batch_size)
            rest = table.slice(batch_size)
            pending, n_pending = rest.to_batches(), rest.num_rows
    if n_pending:
        yield pa.Table.from_batches(pending)


def _file_columns(path):
    from ..io._read import read_header, table_format

    fmt, compression, default_sep = table_format(path)
    if fmt == "csv":
        return read_header(path, compression, default_sep)[0]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(str(path)).schema_arrow.names)
    import pyarrow.ipc as ipc

    return list(ipc.open_file(str(path)).schema.names)


class _Progress:
    def __init__(self, progress):
        self._cb = progress
        self._t0 = time.perf_counter()
        self.rows = 0

    def __call__(self, rows):
        self.rows += rows
        if not self._cb:
            return
        rate = self.rows / max(time.perf_counter() - self._t0, 1e-9)
        if callable(self._cb):
            self._cb(self.rows, rate)
        else:
            sys.stderr.write(f"\routrank: {self.rows:,} rows, {rate:,.0f} rows/s")
            sys.stderr.flush()

    def close(self):
        if self._cb is True:
            sys.stderr.write("\n")


def _table_codes(table, features, target, n_bins, counters, missing_counts):
    """Per-batch codes of an arrow Table; updates the distinct/missing counters."""
    import pyarrow.compute as pc

    n = table.num_rows
    codes = np.empty((n, len(features)), dtype=np.int32, order="F")
    ks = np.empty(len(features), dtype=np.int64)
    for j, name in enumerate(features):
        col = table.column(name).combine_chunks()
        missing_counts[j] += col.null_count
        binned = None
        if n_bins is not None:
            values = _as_float(col)
            if values is not None:
                binned = binned_codes(values, n_bins)
        enc = pc.dictionary_encode(col, null_encoding="encode")
        dictionary = enc.dictionary
        counters[j].update(dictionary.drop_null() if dictionary.null_count else dictionary)
        if binned is not None:
            codes[:, j], ks[j] = binned, int(binned.max()) + 1
        else:
            codes[:, j] = enc.indices.to_numpy(zero_copy_only=False)
            ks[j] = len(dictionary)
    ycol = table.column(target).combine_chunks()
    y_codes = None
    if n_bins is not None:
        values = _as_float(ycol)
        if values is not None:
            y_codes = binned_codes(values, n_bins)
    if y_codes is not None:
        k_y = int(y_codes.max()) + 1
    else:
        enc = pc.dictionary_encode(ycol, null_encoding="encode")
        y_codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        k_y = len(enc.dictionary)
    return np.ascontiguousarray(codes), ks, y_codes, k_y


def _as_float(col):
    """A numeric (or numeric-text) arrow column as float64 with NaN for missing; else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.float64())
        elif not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            return None
        return col.to_numpy(zero_copy_only=False).astype(np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _stream_batches(path, target, batch_size, drop, subsample, random_state, n_bins, progress):
    """Shared file reader of the streaming scorers: features, a batch iterator, counters."""
    from ..io._read import existing_file

    path = existing_file(path)
    names = _file_columns(path)
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputError(f"The file {str(path)!r} has duplicate column names: {dupes}.")
    if target is None:
        raise InputError("OutRank needs a target column (--target).")
    if target not in names:
        raise UnknownNameError(f"Unknown target column {target!r}.{suggest_names(target, names)}")
    unknown = [c for c in drop if c not in names]
    if unknown:
        raise UnknownNameError(f"Cannot drop unknown column(s) {unknown}.")
    features = [c for c in names if c != target and c not in set(drop)]
    if not features:
        raise InputError("No feature column left to rank.")
    counters = [_DistinctCounter() for _ in features]
    missing = np.zeros(len(features), dtype=np.int64)
    state = {"rows": 0}
    tracker = _Progress(progress)

    def kept_rows():
        rng = None
        if subsample is not None and not isinstance(subsample, numbers.Integral):
            from sklearn.utils import check_random_state

            rng = check_random_state(random_state)
        offset = 0
        import pyarrow as pa

        pending, n_pending = [], 0
        read = batch_size if subsample in (None, 1) else max(batch_size, 1 << 16)
        for table in _arrow_batches(path, read, columns=features + [target]):
            n = table.num_rows
            tracker(n)
            if subsample in (None, 1):
                yield table
                offset += n
                continue
            if rng is None:  # every k-th row, rows counted from 1
                first = (subsample - 1 - offset) % subsample
                idx = np.arange(first, n, subsample)
            else:
                idx = np.flatnonzero(rng.random_sample(n) < subsample)
            offset += n
            pending.append(table.take(pa.array(idx)))
            n_pending += idx.size
            while n_pending >= batch_size:
                whole = pa.concat_tables(pending)
                yield whole.slice(0, batch_size)
                rest = whole.slice(batch_size)
                pending, n_pending = [rest], rest.num_rows
        if n_pending:
            yield pa.concat_tables(pending)

    def codes_of(table):
        if len(state["classes"]) < 2:  # two labels are all the check below needs
            import pyarrow.compute as pc

            labels = pc.unique(table.column(target)).drop_null()
            state["classes"].update(labels.slice(0, 2).to_pylist())
        if "types" not in state:  # the column types, from the first batch
            state["types"] = [_batch_type(table.column(f)) for f in features]
        before = missing.copy()
        out = _table_codes(table, features, target, n_bins, counters, missing)
        state["rows"] += table.num_rows
        state["coverage"].append(100.0 * (1.0 - (missing - before) / table.num_rows))
        return out

    def batches():
        state["coverage"] = []
        state["classes"] = set()
        previous = None
        for table in kept_rows():
            if previous is not None:
                yield codes_of(previous)
            previous = table
        if previous is not None and (state["rows"] == 0 or previous.num_rows > _MIN_TRAILING_BATCH):
            yield codes_of(previous)
        tracker.close()

    return features, batches, counters, missing, state, tracker


def _batch_type(column):
    """A column's Arrow type; text that reads as numbers throughout the batch is float64
    (a CSV batch may come as text; the in-memory typing calls such a column numeric)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column.type
    try:
        pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column.type
    return pa.float64() if column.null_count < len(column) else column.type


def _check_two_classes(state, target):
    """Refuse a one-class target as the in-memory path does (every score would be 0)."""
    classes = state.get("classes", set())
    if len(classes) < 2:
        only = f" (only {next(iter(classes))!r})" if classes else ""
        raise InputError(
            f"The target {target!r} has {len(classes)} class{'es' if len(classes) != 1 else ''}{only}; "
            "classification needs at least 2."
        )


def _file_extra(features, counters, missing, tracker, state, task_note):
    cards = [c.count() for c in counters]
    n_read = tracker.rows
    n_scored = state["rows"]
    coverage = [1.0 - float(m) / max(n_scored, 1) for m in missing]
    import pyarrow as pa

    types = state.get("types") or [pa.string()] * len(features)
    columns = []
    for name, card, cov, cnt, kind in zip(features, cards, coverage, counters, types):
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
        "n_rows": n_read, "task": "classification", "columns": columns,
        "notes": [task_note], "cardinality": cards, "coverage": coverage,
        "label": _labels(features, cards, np.mean(state["coverage"], axis=0)
                         if state.get("coverage") else np.full(len(features), 100.0)),
        "rows_scored": state["rows"],
    }


def outrank_file(path, target, *, batch_size=16384, random_state=0, drop=(), progress=None,
                 subsample=None, n_bins="auto"):
    """OutRank scores of a CSV / TSV / Parquet file's columns, read in batches.

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
    progress : callable, bool or None
        Called as ``progress(rows_read, rows_per_second)`` after each chunk read;
        True prints rows and rows/s to stderr.

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
    _check_params({"batch_size": batch_size, "subsample": subsample, "n_bins": n_bins})
    features, batches, counters, missing, state, tracker = _stream_batches(
        path, target, batch_size, tuple(drop), subsample, random_state, n_bins, progress)
    results = [_score_batch(*b) for b in batches()]
    if not results:
        raise InputError(f"The file {str(path)!r} has fewer than 2 data rows.")
    _check_two_classes(state, target)
    scores = np.median(np.vstack([r[0] for r in results]), axis=0)
    label_score = float(np.median([r[1] for r in results]))
    extra = _file_extra(features, counters, missing, tracker, state,
                        f"OutRank: median over {len(results)} batch(es) of {batch_size:,} rows.")
    extra["normalized_scores"] = [float(v) for v in _minmax(scores, [label_score])]
    extra["label_score"] = label_score
    extra["n_batches"] = len(results)
    return features, scores, extra


def outrank_3mr_file(path, target, *, batch_size=16384, random_state=0, drop=(), progress=None,
                     subsample=None, n_bins="auto", max_pairs=10000):
    """3MR order of a file's columns, read in batches (two passes: relevance,
    then the capped feature pairs). Scores as :class:`OutRank3MR`'s ``scores_``.

    Returns ``(features, scores, extra)`` like :func:`outrank_file`, with the
    3MR order, the pair-cap note and the relevance scores in ``extra``.
    """
    _check_params({"batch_size": batch_size, "subsample": subsample, "n_bins": n_bins})
    features, batches, counters, missing, state, tracker = _stream_batches(
        path, target, batch_size, tuple(drop), subsample, random_state, n_bins, progress)

    def fresh():
        state["rows"] = 0
        tracker.rows = 0
        for c in range(len(counters)):
            counters[c] = _DistinctCounter()
        missing[:] = 0
        return batches()

    fitted = _fit_3mr(fresh, len(features), max_pairs, None)
    _check_two_classes(state, target)
    d = len(features)
    scores = np.empty(d)
    scores[fitted["order_"]] = 1.0 - np.arange(d) / d
    extra = _file_extra(features, counters, missing, tracker, state, fitted["note_"])
    extra.update({
        "order": [features[i] for i in fitted["order_"]],
        "relevance": [float(v) for v in fitted["relevance_"]],
        "pairs_capped": fitted["pairs_capped_"], "n_batches": fitted["n_batches_"],
    })
    return features, scores, extra
