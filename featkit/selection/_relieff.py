"""ReliefF (classification) and RReliefF (regression).

For classification the numbers are those of ``skrebate`` 0.8.4's
``ReliefF(n_neighbors=k)``: its feature typing (a column with at most
``discrete_threshold`` distinct values is discrete), its distances (Manhattan
on min-max scaled continuous columns, Hamming on discrete ones), its
neighbour order (``numpy.argsort`` of a distance row with the instance itself
at ``sys.maxsize``) and its normalisations. The computation is vectorised
over blocks of instances whose size follows a memory budget: the distance
matrix is built from the blocks on and above its diagonal, the neighbours of
each class are read from a short prefix of each sorted row (the whole row only
when the prefix lacks some class), and the feature differences are summed one
neighbour slot at a time as matrix-vector products.
"""

from __future__ import annotations

import sys
from numbers import Integral

import numpy as np
from scipy.spatial.distance import cdist

from .._array import memory_budget_bytes
from ..base import BaseRanker
from ..utils._param_validation import MEMORY_BUDGET_CONSTRAINT, TASK_CONSTRAINT, Interval

__all__ = ["ReliefF"]

# skrebate puts the instance itself at this distance in its own row.
_SELF_DISTANCE = float(sys.maxsize)
# Bytes of instances a distance tile keeps in cache (a typical L2 size).
_CACHE_BYTES = 1 << 20


class _Features:
    """skrebate's view of the columns: which are discrete, their range and std."""

    def __init__(self, X, threshold):
        n_unique = np.array([np.unique(X[:, j]).size for j in range(X.shape[1])])
        self.discrete = n_unique <= threshold
        self.cont = np.flatnonzero(~self.discrete)
        self.disc = np.flatnonzero(self.discrete)
        self.lo = X.min(axis=0)
        self.span = X.max(axis=0) - self.lo
        self.std = X.std(axis=0)
        self.mixed = self.cont.size > 0 and self.disc.size > 0
        xc = X[:, self.cont].copy()
        # in place and in this order, as skrebate scales (the distances then match bit for bit)
        xc -= self.lo[self.cont]
        self.xc = xc / self.span[self.cont]
        self.xd = np.ascontiguousarray(X[:, self.disc])
        # raw columns for the diffs, each kind contiguous (one gather per neighbour slot)
        self.raw_c = np.ascontiguousarray(X[:, self.cont])
        self.span_c = self.span[self.cont]
        self.std_c = self.std[self.cont]

    def _pair(self, rows, cols):
        """Distances between instances ``rows`` and ``cols`` (slices or index arrays)."""
        d = self.discrete.size
        if self.cont.size == 0:
            return cdist(self.xd[rows], self.xd[cols], metric="hamming")
        if self.disc.size == 0:
            return cdist(self.xc[rows], self.xc[cols], metric="cityblock")
        # skrebate scales the Hamming part by the total number of features (not the discrete ones)
        return np.add(cdist(self.xd[rows], self.xd[cols], metric="hamming") * d,
                      cdist(self.xc[rows], self.xc[cols], metric="cityblock"))

    def _tile(self):
        """Instances per tile: a tile of rows of each kind stays in a ~1 MB cache."""
        width = 8 * max(1, self.discrete.size)
        return int(min(1024, max(64, _CACHE_BYTES // width)))

    def distances(self, rows=None):
        """Distance rows of the instances ``rows`` (a contiguous range; all when
        None), equal bit for bit to skrebate's ``squareform(pdist(...))`` on the
        same column order (each pair is summed by the same scipy kernel).

        Computed tile by tile so that the instances compared stay in cache
        (scipy's kernel streams the second operand once per row); the full
        matrix is built from the tiles on and above the diagonal only.
        """
        n = self.xc.shape[0]
        t = self._tile()
        if rows is not None:
            out = np.empty((rows.size, n))
            r = slice(int(rows[0]), int(rows[-1]) + 1)
            for j0 in range(0, n, t):
                out[:, j0:j0 + t] = self._pair(r, slice(j0, j0 + t))
            return out
        out = np.empty((n, n))
        for i0 in range(0, n, t):
            i1 = min(i0 + t, n)
            for j0 in range(i0, n, t):
                j1 = min(j0 + t, n)
                part = self._pair(slice(i0, i1), slice(j0, j1))
                out[i0:i1, j0:j1] = part
                out[j0:j1, i0:i1] = part.T
        return out

    def weighted_diff_sum(self, rows, nbrs, weights):
        """``sum_b sum_s weights[b, s] * diff(rows[b], nbrs[b, s])`` per feature.

        One neighbour slot at a time: a ``(len(rows), n_features)`` gather and a
        matrix-vector product, never a ``(rows, neighbours, features)`` array.
        """
        out = np.zeros(self.discrete.size)
        cont = np.zeros(self.cont.size)
        disc = np.zeros(self.disc.size)
        a_c, a_d = self.raw_c[rows], self.xd[rows]
        for s in range(nbrs.shape[1]):
            w = weights[:, s]
            live = w != 0
            if not live.any():
                continue
            w, nb = w[live], nbrs[live, s]
            if self.cont.size:
                raw = np.abs(a_c[live] - self.raw_c[nb])
                if self.mixed:
                    # skrebate's ramp in mixed data: 1 beyond one (population) std, scaled difference below
                    raw = np.where(raw > self.std_c, 1.0, raw / self.span_c)
                cont += w @ raw
            if self.disc.size:
                disc += w @ (a_d[live] != self.xd[nb]).astype(np.float64)
        # pure continuous data: the division by the range is the same for every pair
        out[self.cont] = cont if self.mixed else cont / self.span_c
        out[self.disc] = disc
        return out


def _first_of_each_class(order, y, k, idx, count, rows):
    """Fill ``idx[rows]`` / ``count[rows]`` with the first ``k`` members of each
    class in each row of ``order``; return the rows' (class, position-in-order)
    masks of the chosen and of the later members, for the tie checks."""
    labels = y[order]
    chosen, later = [], []
    for c in range(count.shape[1]):
        hit = labels == c
        seen = np.cumsum(hit, axis=1)
        first = hit & (seen <= k)
        r, col = np.nonzero(first)  # row-major: each row's positions in increasing order
        cnt = first.sum(axis=1)
        slot = np.arange(r.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        idx[rows[r], c * k + slot] = order[r, col]
        count[rows, c] = cnt
        chosen.append(first)
        later.append(hit & (seen > k))
    return chosen, later


def _class_neighbours(dist, y, k, class_sizes):
    """The ``k`` nearest members of each class in each row of ``dist``, as
    skrebate takes them from ``numpy.argsort`` of the row.

    Returns ``idx`` and ``count`` of shape ``(rows, classes * k)`` / ``(rows,
    classes)``: slots ``c * k .. c * k + k - 1`` hold the neighbours of class
    ``c`` (``count[:, c]`` of them are real, the rest is padding).

    Only the set of neighbours matters to the scores, and it is the same for
    every order of tied distances unless a tie straddles a class's ``k``-th
    neighbour. So each row's nearest ``4 k classes`` are found by a partial
    sort first; a row where some class is not complete there, or where a tie
    straddles the cut, is sorted in full as skrebate sorts it.
    """
    b, n = dist.shape
    n_classes = class_sizes.size
    idx = np.zeros((b, n_classes * k), dtype=np.intp)
    count = np.zeros((b, n_classes), dtype=np.intp)
    width = min(n, 4 * k * n_classes)
    todo = np.arange(b)
    if width < n:
        part = np.argpartition(dist, width - 1, axis=1)[:, :width]
        near = np.take_along_axis(dist, part, axis=1)
        by_distance = np.argsort(near, axis=1, kind="stable")
        part = np.take_along_axis(part, by_distance, axis=1)
        near = np.take_along_axis(near, by_distance, axis=1)
        edge = near[:, -1]  # everything nearer than this is in the prefix
        chosen, later = _first_of_each_class(part, y, k, idx, count, todo)
        ok = np.ones(b, dtype=bool)
        for c in range(n_classes):
            whole_class = count[:, c] == class_sizes[c]
            last = np.max(np.where(chosen[c], near, -np.inf), axis=1)
            after = np.min(np.where(later[c], near, np.inf), axis=1)
            clean = (count[:, c] == k) & (last < edge) & (after > last)
            ok &= whole_class | clean
        todo = np.flatnonzero(~ok)
    if todo.size:
        order = np.argsort(dist[todo], axis=1)  # numpy's default sort: skrebate's tie order
        _first_of_each_class(order, y, k, idx, count, todo)
    return idx, count


class ReliefF(BaseRanker):
    """ReliefF (Kononenko 1994) for classification, RReliefF (Robnik-Sikonja &
    Kononenko 2003) for regression.

    A feature gains weight when it differs between an instance and its nearest
    neighbours of other classes (misses) and loses weight when it differs from
    its nearest neighbours of the same class (hits), ``k`` of each, averaged
    over every instance. Features interact through the neighbour search, so
    ReliefF finds features that matter only together.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" keeps the features with a positive weight (at least one).
    n_neighbors : int, default=10
        ``k`` nearest hits and ``k`` nearest misses of each class
        (classification) or ``k`` nearest neighbours (regression).
    discrete_threshold : int, default=10
        A column with at most this many distinct values is discrete (diff 0/1,
        Hamming distance); others are continuous (diff ``|a - b| / range``).
    task : {"auto", "classification", "regression"}, default="auto"
    memory_budget : int, str or None, default=None
        Bytes the n x n distance matrix and the neighbour blocks may take;
        above it distances are computed block by block.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        ReliefF weights in [-1, 1] (higher = more relevant).
    discrete_ : ndarray of bool, shape (n_features,)
        Which columns were treated as discrete.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Notes
    -----
    Classification reproduces ``skrebate.ReliefF(n_neighbors=k)`` 0.8.4,
    quirks included (one line each in the code): in a table with both kinds
    of columns the Hamming distance is multiplied by the total number of
    features, and a continuous diff above the column's std counts as 1; when
    a class has ``k`` or fewer members the instance itself fills its hit
    list; misses of each other class are weighted by their share among the
    misses found, times the number of other classes. With more than 10
    classes skrebate switches to its continuous-target rule; featkit keeps
    the class rule.

    Regression is RReliefF as published (uniform neighbour weights ``1/k``):
    ``W = N_dCdA / N_dC - (N_dA - N_dCdA) / (m - N_dC)``. skrebate's
    continuous-target rule (a neighbour is a "hit" when ``|y_i - y_j|`` is
    below the target's std) is a different score and is not reproduced.

    References
    ----------
    I. Kononenko, "Estimating attributes: analysis and extensions of RELIEF",
    ECML 1994. M. Robnik-Sikonja, I. Kononenko, "Theoretical and empirical
    analysis of ReliefF and RReliefF", Machine Learning 53, 2003.
    R. J. Urbanowicz et al., "Benchmarking relief-based feature selection
    methods for bioinformatics data mining", J. Biomed. Inform. 85, 2018
    (skrebate).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import ReliefF
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 2, size=(200, 4)).astype(float)
    >>> y = np.logical_xor(X[:, 0], X[:, 1]).astype(int)  # an interaction
    >>> ReliefF(n_neighbors=10, n_features_to_select=2).fit(X, y).get_support().tolist()
    [True, True, False, False]
    """

    _requires_target = True
    _feature_attributes = {"discrete_": "vector"}

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "discrete_threshold": [Interval(Integral, 0, None, closed="left")],
        "task": TASK_CONSTRAINT,
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_features_to_select="auto", n_neighbors=10, discrete_threshold=10,
                 task="auto", memory_budget=None):
        self.n_features_to_select = n_features_to_select
        self.n_neighbors = n_neighbors
        self.discrete_threshold = discrete_threshold
        self.task = task
        self.memory_budget = memory_budget

    def _fit_scores(self, X, y):
        k = self.n_neighbors
        thr = self.discrete_threshold
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        feats = _Features(X, int(thr))
        self.discrete_ = feats.discrete
        k = int(k)
        budget = memory_budget_bytes(self.memory_budget)
        full = feats.distances() if 8 * n * n <= budget // 4 else None
        y = np.asarray(y)
        # per row of a block: its distances, their argsort, a few label/index rows
        block = int(max(1, min(n, (budget // 8) // (4 * n + 8 * d))))
        total = np.zeros(d)
        reg = np.zeros(2 * d + 1) if self.task_ == "regression" else None
        for start in range(0, n, block):
            rows = np.arange(start, min(start + block, n))
            # rows are visited once: the full matrix's own rows can take the self distance
            dist = full[start:start + rows.size] if full is not None else feats.distances(rows)
            dist[np.arange(rows.size), rows] = _SELF_DISTANCE
            if self.task_ == "classification":
                total += self._class_block(y, feats, rows, dist, k, n)
            else:
                reg += self._regression_block(y, feats, rows, dist, k)
        if self.task_ == "classification":
            return total
        return self._rrelieff_weights(reg, n, d)

    # ---------------------------------------------------------- classification
    @staticmethod
    def _class_block(y, feats, rows, dist, k, n):
        n_classes = int(y.max()) + 1
        sizes = np.bincount(y, minlength=n_classes)
        idx, count = _class_neighbours(dist, y, k, sizes)
        own = np.arange(n_classes)[None, :] == y[rows][:, None]  # (b, C): the hit class
        counts = count.astype(np.float64)
        n_hits = np.where(own, counts, 0.0).sum(axis=1)
        n_miss = np.where(own, 0.0, counts).sum(axis=1)
        n_other = n_classes - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            # skrebate: each miss class weighted by its share of the misses found, times
            # (C - 1), over the misses found; hits by -1 over the hits found; all over n
            miss_w = counts * n_other / (n_miss * n_miss)[:, None]
            hit_w = -1.0 / n_hits
        w_class = np.where(own, hit_w[:, None], miss_w)
        w_class = np.where(counts > 0, w_class, 0.0) / float(n)
        valid = np.arange(k)[None, None, :] < count[:, :, None]  # (b, C, k)
        weights = np.where(valid, w_class[:, :, None], 0.0).reshape(rows.size, -1)
        return feats.weighted_diff_sum(rows, idx, weights)

    # -------------------------------------------------------------- regression
    @staticmethod
    def _regression_block(y, feats, rows, dist, k):
        k = min(k, dist.shape[1] - 1)
        # one "class": the k nearest instances, ties resolved as numpy.argsort does
        nbrs, _ = _class_neighbours(dist, np.zeros(dist.shape[1], dtype=np.intp), k,
                                    np.array([dist.shape[1]]))
        y = y.astype(np.float64)
        span = float(y.max() - y.min())
        dy = np.abs(y[rows][:, None] - y[nbrs]) / (span if span > 0 else 1.0)  # (b, k)
        w = 1.0 / k
        return np.concatenate([
            [w * dy.sum()],
            feats.weighted_diff_sum(rows, nbrs, np.full(nbrs.shape, w)),
            feats.weighted_diff_sum(rows, nbrs, w * dy),
        ])

    @staticmethod
    def _rrelieff_weights(acc, m, d):
        n_dc = acc[0]
        n_da = acc[1:1 + d]
        n_dcda = acc[1 + d:1 + 2 * d]
        first = n_dcda / n_dc if n_dc > 0 else np.zeros(d)
        rest = m - n_dc
        second = (n_da - n_dcda) / rest if rest > 0 else np.zeros(d)
        return first - second

    def _auto_support_size(self):
        return max(1, int(np.sum(self.scores_ > 0)))

