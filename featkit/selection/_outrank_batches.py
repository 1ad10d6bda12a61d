"""OutRank's batches: in-memory rows as batches of codes, and the scores computed on each batch.

A batch is ``(codes, ks, y_codes, k_y)``: per-column category codes of the
feature columns, their numbers of codes, the label's codes and its number of
codes. :class:`ArrayCodeBatches` makes them from arrays and
:class:`featkit.io.CodeBatches` from a file; the functions here score them.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..exceptions import InputError
from ..stats._contingency import (
    binned_codes,
    chance_corrected_mi,
    entropy_from_codes,
    factorize,
    factorize_columns,
)
from ..stats._distinct import DistinctCounts
from ..utils._sampling import RowSubsample

# The reference drops a trailing partial batch of at most this many rows
# (unless it is the only batch): reproduced so that scores match it.
MIN_TRAILING_BATCH = 1024


def _n_threads(n_jobs) -> int:
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)



def run_batches(batches, func, n_jobs):
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


def _batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] <= MIN_TRAILING_BATCH:
        bounds.pop()  # the reference ignores a short remainder
    return bounds


def _label_codes(y, n_bins):
    binned = binned_codes(y, n_bins)
    if binned is not None:
        return binned, int(binned.max()) + 1
    codes, k, _ = factorize(y)
    return codes, k

def batch_codes(X, y, n_bins):
    """One batch's ``(codes, ks, y_codes, k_y, n_missing, values)``: codes and bins are per batch."""
    codes, ks, n_missing, values = factorize_columns(X, n_bins, return_values=True)
    y_codes, k_y = _label_codes(y, n_bins)
    return codes, ks, y_codes, k_y, n_missing, values


def score_rows(X, y, n_bins):
    """Score one batch of raw rows where they live (a Dask worker).

    Returns ``((scores, label entropy, missing cells per column, rows), distinct)``:
    the small part goes to the client; ``distinct`` (a :class:`DistinctCounts`
    state of the batch's values) is combined with the other batches' on the workers.
    """
    codes, ks, y_codes, k_y, n_missing, values = batch_codes(X, y, n_bins)
    scores, label_entropy = score_batch(codes, ks, y_codes, k_y)
    return (scores, label_entropy, n_missing, X.shape[0]), DistinctCounts(distinct_input=True).partial(values)


def pair_rows(X, y, n_bins, pairs):
    """3MR's pair scores of one batch of raw rows (:func:`pair_batch_scores`), on a worker."""
    codes, ks, _ = factorize_columns(X, n_bins)
    y_codes, k_y = _label_codes(y, n_bins)
    return pair_batch_scores(codes, ks, y_codes, k_y, pairs)


# ------------------------------------------------------------ batch scoring
def score_batch(codes, ks, y_codes, k_y):
    """OutRank scores of every column of one batch, and the label's entropy."""
    scores = chance_corrected_mi(y_codes, k_y, codes, ks)
    return scores, entropy_from_codes(y_codes, k_y)


def choose_pairs(relevance: np.ndarray, max_pairs: int, later=None) -> tuple[np.ndarray, bool]:
    """Feature pairs for 3MR, the most relevant first, at most ``max_pairs``.

    Each pair is ``(feature, conditioning feature)``: the conditioning one is the
    later of the two by ``later`` (a sort key per column, e.g. the rank of its
    name; default its position), as the reference conditions on the later of two
    sorted names. Keying on names keeps a pair's direction the same whatever
    order the columns reach the fit in (in memory, streamed, or on Dask).
    """
    d = relevance.shape[0]
    later = np.arange(d) if later is None else np.asarray(later)
    order = np.argsort(-np.where(np.isfinite(relevance), relevance, -np.inf), kind="stable")
    total = d * (d - 1) // 2
    pairs = []
    # Pairs among the m most relevant features come first (m = 2, 3, ...).
    for m in range(1, d):
        new = order[m]
        for earlier in order[:m]:
            pairs.append((earlier, new) if later[new] > later[earlier] else (new, earlier))
            if len(pairs) >= max_pairs:
                break
        if len(pairs) >= max_pairs:
            break
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return arr, arr.shape[0] < total


def name_ranks(names):
    """Each column's position in the sorted names (the key of :func:`choose_pairs`), or None without names."""
    if names is None:
        return None
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[np.argsort(np.asarray([str(n) for n in names]), kind="stable")] = np.arange(len(names))
    return ranks


def pair_batch_scores(codes, ks, y_codes, k_y, pairs, chunk=64):
    """Per batch: redundancy score(F_i | F_j) and relation score((F_i, F_j) | L)
    for every pair (i, j) (j the conditioning column, see :func:`choose_pairs`),
    plus each feature's entropy (the reference's self-pair value, which enters
    the redundancy normalisation)."""
    n_pairs = pairs.shape[0]
    red = np.zeros(n_pairs)
    rel = np.zeros(n_pairs)
    d = codes.shape[1]
    self_entropy = np.array([entropy_from_codes(codes[:, j], ks[j]) for j in range(d)])
    # Redundancy: the pair's second column is the conditioning one.
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


def minmax(values, extra=()):
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
    normalised (so >= 0), for the (i, j) rows of ``pairs``; pairs not listed
    count as 0 (as in the reference). Returns ``(order, gain)`` where
    ``gain[k]`` is the objective of the k-th feature picked.

    Only the ``p`` features that appear in a scored pair have a nonzero
    entry, so the medians are taken over those chosen ones plus the right
    number of zeros (the same multiset, hence the same median, as over the
    whole chosen set): memory ``O(p^2)`` and time ``O(d^2 + d p^2)`` instead
    of ``O(d^2)`` memory and ``O(d^3)`` time (40 x 3,000: seconds, not minutes).
    """
    d = relevance.shape[0]
    paired = np.unique(pairs) if pairs.size else np.zeros(0, dtype=np.int64)
    local = np.full(d, -1, dtype=np.int64)
    local[paired] = np.arange(paired.size)
    red = np.zeros((paired.size, paired.size))
    rel = np.zeros((paired.size, paired.size))
    if pairs.size:
        a, b = local[pairs[:, 0]], local[pairs[:, 1]]
        red[a, b] = red[b, a] = redundancy
        rel[a, b] = rel[b, a] = relation
    first = int(np.argmax(relevance))
    chosen = [first]
    chosen_paired = [int(local[first])] if local[first] >= 0 else []
    gains = [float(relevance[first])]
    remaining = np.ones(d, dtype=bool)
    remaining[first] = False
    while remaining.any():
        cand = np.flatnonzero(remaining)
        med_red, med_rel = np.zeros(cand.size), np.zeros(cand.size)
        at = np.flatnonzero(local[cand] >= 0)
        zeros = len(chosen) - len(chosen_paired)
        # more unpaired chosen features than paired ones: both middle values are zeros
        if at.size and chosen_paired and zeros <= len(chosen_paired):
            cols = local[cand[at]]
            pad = np.zeros((zeros, at.size))
            med_red[at] = np.median(np.vstack([pad, red[np.ix_(chosen_paired, cols)]]), axis=0)
            med_rel[at] = np.median(np.vstack([pad, rel[np.ix_(chosen_paired, cols)]]), axis=0)
        objective = relevance[cand] - med_red + med_rel
        best = int(np.argmax(objective))
        pick = int(cand[best])
        chosen.append(pick)
        if local[pick] >= 0:
            chosen_paired.append(int(local[pick]))
        gains.append(float(objective[best]))
        remaining[pick] = False
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains)


# ------------------------------------------------------- batches of arrays
class ArrayCodeBatches:
    """In-memory rows as per-batch ``(codes, ks, y_codes, k_y)``, the interface
    of :class:`featkit.io.CodeBatches`: each pass over it (``__iter__``) starts
    afresh (:meth:`reset`) and leaves the statistics of the rows it yielded."""

    def __init__(self, X, y, batch_size, n_bins, subsample, random_state):
        rows = RowSubsample(subsample, random_state).take(X.shape[0])
        if rows is not None:
            X, y = X[rows], y[rows]
        if X.shape[0] < 2:
            raise InputError("OutRank needs at least 2 rows after subsampling.")
        self._X, self._y = X, y
        self._batch_size, self._n_bins = batch_size, n_bins
        self.reset()

    def reset(self) -> None:
        """Forget the statistics of the rows gone through (iterating calls it first)."""
        d = self._X.shape[1]
        self._seen = [[] for _ in range(d)]
        self.n_missing = np.zeros(d, dtype=np.int64)
        self.rows_scored = 0
        self.batch_coverage = []

    def __iter__(self):
        self.reset()
        for start, stop in _batch_bounds(self._X.shape[0], self._batch_size):
            codes, ks, y_codes, k_y, n_missing, values = batch_codes(
                self._X[start:stop], self._y[start:stop], self._n_bins)
            self.n_missing += n_missing
            self.rows_scored += stop - start
            self.batch_coverage.append(100.0 * (1.0 - n_missing / (stop - start)))
            for seen, v in zip(self._seen, values):
                seen.append(v)
            yield codes, ks, y_codes, k_y

    def cardinality(self) -> np.ndarray:
        """Distinct non-missing values of each column in the rows yielded."""
        return np.array([np.unique(np.concatenate(v)).size if v else 0 for v in self._seen],
                        dtype=np.int64)


def mean_coverage(source, d):
    """Per column, the mean over batches of the percentage of cells not missing."""
    return np.mean(source.batch_coverage, axis=0) if source.batch_coverage else np.full(d, 100.0)
