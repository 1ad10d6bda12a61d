"""Statistics as "partial per block + combine" reductions.

Every kernel here has the same three methods:

* ``partial(X, y=None) -> state`` -- the statistic of one block of rows;
* ``combine(states) -> state`` -- merge any number of states, in any grouping;
* ``finalize(state) -> result`` -- what the estimator uses.

States are tuples of NumPy arrays and Python numbers: small (independent of
the number of rows), picklable, and free of any scheduler type. The in-memory
path (:func:`reduce_blocks`), the Dask driver (:mod:`featkit.distributed`)
and any other driver that runs ``partial`` where the rows live and
``combine`` where the states meet (a Spark ``mapPartitions`` + ``reduce``)
call the same methods, so the answer depends on the data only.

Exact kernels (:class:`ColumnMoments`, :class:`ScatterMoments`,
:class:`ClassMoments`, :class:`CrossMoments`, :class:`ContingencyCounts`)
give the whole-table result up to floating-point rounding for any split;
:class:`DistinctValues` and :class:`KeyedSums` (the vocabularies and the
per-category sums of a categorical encoding) are exact too.
:class:`QuantileSketch` is exact while a column holds at most ``capacity``
values and a uniform sample beyond that (its bound is in its docstring).
"""

from __future__ import annotations

import numpy as np

from ._moments import blocked_moments, merge_moments

__all__ = [
    "ClassMoments",
    "ClassRange",
    "ColumnMoments",
    "ContingencyCounts",
    "CrossMoments",
    "DistinctValues",
    "KeyedSums",
    "MuteinfCounts",
    "QuantileSketch",
    "Stacked",
    "ScatterMoments",
    "reduce_blocks",
]


def reduce_blocks(kernel, blocks):
    """Run ``kernel`` over an iterable of blocks in this process.

    Parameters
    ----------
    kernel : object with ``partial``, ``combine`` and ``finalize``
    blocks : iterable of tuple
        Each item is the argument tuple of ``kernel.partial`` (``(X,)`` or ``(X, y)``).

    Returns
    -------
    The kernel's finalized result.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> reduce_blocks(ColumnMoments(), [(X[:2],), (X[2:],)])[2].tolist()   # centred sums of squares
    [70.0, 70.0]
    """
    return kernel.finalize(kernel.combine([kernel.partial(*b) for b in blocks]))


def _chan(count_a, mean_a, m2_a, count_b, mean_b, m2_b):
    """Chan, Golub & LeVeque's pairwise merge, elementwise (counts may be arrays, zeros allowed)."""
    count = count_a + count_b
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, count_b / np.where(count > 0, count, 1), 0.0)
        delta = mean_b - mean_a
        mean = mean_a + delta * share
        m2 = m2_a + m2_b + delta * delta * (count_a * share)
    return count, mean, m2


class ColumnMoments:
    """Per-column count of present values, mean and centred sum of squares (NaN = missing).

    ``finalize`` returns ``(count, mean, m2)``; the population variance is
    ``m2 / count`` (NaN where a column has no value).

    Examples
    --------
    >>> import numpy as np
    >>> k = ColumnMoments()
    >>> X = np.array([[1.0, np.nan], [3.0, 2.0], [5.0, 4.0]])
    >>> count, mean, m2 = k.finalize(k.combine([k.partial(X[:1]), k.partial(X[1:])]))
    >>> count.tolist(), mean.tolist(), m2.tolist()
    ([3, 2], [3.0, 3.0], [8.0, 2.0])
    """

    def partial(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        missing = np.isnan(X)
        if not missing.any():
            count = np.full(X.shape[1], X.shape[0], dtype=np.int64)
            mean = X.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
            return count, mean, ((X - mean) ** 2).sum(axis=0)
        count = (~missing).sum(axis=0)
        filled = np.where(missing, 0.0, X)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, filled.sum(axis=0) / np.maximum(count, 1), 0.0)
        centred = np.where(missing, 0.0, X - mean)
        return count, mean, (centred * centred).sum(axis=0)

    def combine(self, states):
        states = list(states)
        count, mean, m2 = states[0]
        for c, m, s in states[1:]:
            count, mean, m2 = _chan(count, mean, m2, c, m, s)
        return count, mean, m2

    def finalize(self, state):
        return state


class ScatterMoments:
    """Row count, float64 column means and the centred scatter matrix ``(X - mean)^T (X - mean)``.

    The covariance is ``scatter / (count - 1)``; PCA, Pearson correlation and
    every standard deviation come from it. ``partial`` reads a block in
    sub-blocks of ``block_rows`` (None: the whole block at once when its
    moments cancel mildly, see :func:`featkit.stats._moments.blocked_moments`)
    in the array namespace ``xp`` of the block (NumPy by default). ``whole``
    (default: ``block_rows is None``) allows the one-product fast path.
    """

    def __init__(self, block_rows=None, *, whole=None, xp=None):
        self.block_rows = block_rows
        self.whole = block_rows is None if whole is None else whole
        self.xp = xp

    def partial(self, X, y=None):
        xp = self.xp
        if xp is None:
            from .._array import get_namespace

            xp = get_namespace(X)
        rows = self.block_rows or max(256, (16 * 1024**2) // max(1, 8 * X.shape[1]))
        return blocked_moments(xp, X, rows, whole=self.whole)

    def combine(self, states):
        states = [s for s in states if s[0] > 0]
        n, mean, scatter = states[0]
        for nb, mb, sb in states[1:]:
            n, mean, scatter = merge_moments(self.xp or np, n, mean, scatter, nb, mb, sb)
        return n, mean, scatter

    def finalize(self, state):
        return state


class ClassMoments:
    """Per class code ``0..n_classes-1``: row count, column means and centred sums of squares.

    ``finalize`` returns ``(counts (k,), means (k, d), m2 (k, d))`` -- what the
    ANOVA F test (:func:`anova_f_from_class_moments`) and the Fisher ratio need.
    """

    def __init__(self, n_classes: int):
        self.n_classes = int(n_classes)

    def partial(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        codes = np.asarray(y).astype(np.int64, copy=False).reshape(-1)
        k, d = self.n_classes, X.shape[1]
        counts = np.bincount(codes, minlength=k).astype(np.int64)
        means, m2 = np.zeros((k, d)), np.zeros((k, d))
        present = np.nonzero(counts)[0]
        if present.size:
            # rows sorted by class: one reduceat per statistic instead of a loop over rows
            order = np.argsort(codes, kind="stable")
            Xs = X[order]
            starts = np.concatenate([[0], np.cumsum(counts[present])[:-1]])
            means[present] = np.add.reduceat(Xs, starts, axis=0) / counts[present][:, None]
            centred = Xs - np.repeat(means[present], counts[present], axis=0)
            m2[present] = np.add.reduceat(centred * centred, starts, axis=0)
        return counts, means, m2

    def combine(self, states):
        states = list(states)
        counts, means, m2 = states[0]
        for c, m, s in states[1:]:
            counts, means, m2 = _chan(counts[:, None], means, m2, c[:, None], m, s)
            counts = counts[:, 0]
        return counts, means, m2

    def finalize(self, state):
        return state


class CrossMoments:
    """Moments of the columns of ``X`` against one numeric target ``y``.

    ``finalize`` returns ``(n, mean_x, mean_y, m2_x, m2_y, c_xy)`` with the
    centred sums of squares ``m2`` and the centred co-moment
    ``c_xy = sum (x - mean_x)(y - mean_y)`` -- what Pearson's r with the target
    and the regression F test need.
    """

    def partial(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        n = X.shape[0]
        if n == 0:
            return 0, np.zeros(X.shape[1]), 0.0, np.zeros(X.shape[1]), 0.0, np.zeros(X.shape[1])
        mx, my = X.mean(axis=0), float(y.mean())
        Xc, yc = X - mx, y - my
        return n, mx, my, (Xc * Xc).sum(axis=0), float(yc @ yc), Xc.T @ yc

    def combine(self, states):
        states = [s for s in states if s[0] > 0]
        n, mx, my, sx, sy, cxy = states[0]
        for nb, mxb, myb, sxb, syb, cb in states[1:]:
            tot = n + nb
            dx, dy = mxb - mx, myb - my
            share = nb / tot
            cxy = cxy + cb + dx * dy * (n * share)
            sx = sx + sxb + dx * dx * (n * share)
            sy = sy + syb + dy * dy * (n * share)
            mx, my, n = mx + dx * share, my + dy * share, tot
        return n, mx, my, sx, sy, cxy

    def finalize(self, state):
        return state


class ContingencyCounts:
    """Joint counts of the integer codes of every column with the codes of a target.

    ``partial(codes, y)`` with ``codes`` of shape (n, d) in ``0..n_codes-1``
    and ``y`` in ``0..n_target_codes-1``; ``finalize`` returns an int64 array
    of shape ``(d, n_codes, n_target_codes)``. Counts add, so any split is exact.
    """

    def __init__(self, n_codes: int, n_target_codes: int):
        self.n_codes = int(n_codes)
        self.n_target_codes = int(n_target_codes)

    def partial(self, codes, y):
        codes = np.asarray(codes, dtype=np.int64)
        y = np.asarray(y, dtype=np.int64).reshape(-1)
        kx, ky = self.n_codes, self.n_target_codes
        d = codes.shape[1]
        # one bincount over (column, x code, y code) cells
        cell = (np.arange(d, dtype=np.int64)[None, :] * kx + codes) * ky + y[:, None]
        return np.bincount(cell.reshape(-1), minlength=d * kx * ky).reshape(d, kx, ky)

    def combine(self, states):
        return sum(states[1:], states[0].copy())

    def finalize(self, state):
        return state


class DistinctValues:
    """The distinct values of each column, sorted, up to ``limit`` per column.

    ``partial(columns)`` takes a list of 1-d arrays (one per column, missing
    values already left out); ``finalize`` returns, per column, the sorted
    array of its distinct values, or None for a column with more than
    ``limit`` of them (its state stops growing there, so no state exceeds
    ``limit`` values per column).

    Examples
    --------
    >>> import numpy as np
    >>> k = DistinctValues(limit=3)
    >>> a = k.partial([np.array(["b", "a"], dtype=object), np.array(["x", "y"], dtype=object)])
    >>> b = k.partial([np.array(["a", "c"], dtype=object), np.array(["z", "w"], dtype=object)])
    >>> [None if v is None else v.tolist() for v in k.finalize(k.combine([a, b]))]
    [['a', 'b', 'c'], None]
    """

    def __init__(self, limit: int = 100_000):
        self.limit = int(limit)

    def _capped(self, values):
        return None if values is None or values.shape[0] > self.limit else values

    def partial(self, columns):
        return [self._capped(np.unique(np.asarray(col))) for col in columns]

    def combine(self, states):
        states = list(states)
        out = []
        for j in range(len(states[0])):
            parts = [s[j] for s in states]
            out.append(None if any(p is None for p in parts) else self._capped(np.unique(np.concatenate(parts))))
        return out

    def finalize(self, state):
        return state


class KeyedSums:
    """Per column, the count of rows and the sums of ``m`` weights for every key ``0..n_keys[j]-1``.

    ``partial(keys, weights=None)`` with ``keys`` (n, c) int64 (-1: the row
    does not count for that column) and ``weights`` (n, m) float64 or None;
    ``finalize`` returns a list of ``(counts (n_keys[j],), sums (n_keys[j], m))``
    (``sums`` is None without weights). Counts and sums add, so any split is
    exact up to the rounding of the sums. A target encoding's per (fold,
    category) statistics are this with ``key = fold * k + code``.

    Examples
    --------
    >>> import numpy as np
    >>> k = KeyedSums([2])
    >>> keys, w = np.array([[0], [1], [1], [-1]]), np.array([[1.0], [2.0], [3.0], [9.0]])
    >>> counts, sums = k.finalize(k.combine([k.partial(keys[:2], w[:2]), k.partial(keys[2:], w[2:])]))[0]
    >>> counts.tolist(), sums[:, 0].tolist()
    ([1, 2], [1.0, 5.0])
    """

    def __init__(self, n_keys):
        self.n_keys = [int(k) for k in n_keys]

    def partial(self, keys, weights=None):
        keys = np.asarray(keys, dtype=np.int64)
        out = []
        for j, k in enumerate(self.n_keys):
            valid = keys[:, j] >= 0
            key = keys[valid, j]
            counts = np.bincount(key, minlength=k).astype(np.int64)
            sums = None
            if weights is not None:
                w = np.asarray(weights, dtype=np.float64)[valid]
                sums = np.stack([np.bincount(key, weights=w[:, t], minlength=k) for t in range(w.shape[1])],
                                axis=1)
            out.append((counts, sums))
        return out

    def combine(self, states):
        states = list(states)
        return [(sum(s[j][0] for s in states),
                 None if states[0][j][1] is None else sum(s[j][1] for s in states))
                for j in range(len(self.n_keys))]

    def finalize(self, state):
        return state


class ClassRange:
    """Per class code ``0..n_classes-1`` (or, with one class, over all rows): column minima and maxima.

    ``finalize`` returns ``(mins (k, d), maxs (k, d))``; a class without rows
    has ``+inf`` / ``-inf``. Exact for any split.
    """

    def __init__(self, n_classes: int = 1):
        self.n_classes = int(n_classes)

    def partial(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        k, d = self.n_classes, X.shape[1]
        mins, maxs = np.full((k, d), np.inf), np.full((k, d), -np.inf)
        codes = np.zeros(X.shape[0], dtype=np.int64) if k == 1 else np.asarray(y, dtype=np.int64).reshape(-1)
        for c in range(k):
            rows = X[codes == c]
            if rows.shape[0]:
                mins[c], maxs[c] = rows.min(axis=0), rows.max(axis=0)
        return mins, maxs

    def combine(self, states):
        states = list(states)
        return (np.minimum.reduce([s[0] for s in states]), np.maximum.reduce([s[1] for s in states]))

    def finalize(self, state):
        return state


class MuteinfCounts:
    """The histogram counts of the reference's ``muteinf`` at fixed edges (the whole table's range).

    ``partial(X, y_rows)`` with ``y_rows`` the target's rows of the joint table;
    ``finalize`` returns ``(a_counts (d, nbins), joint (rows, d, nbins))``, for
    :func:`featkit.stats._information.muteinf_from_counts`. Counts add.
    """

    def __init__(self, rows: int, nbins: int, mn, mx):
        self.rows, self.nbins = int(rows), int(nbins)
        self.mn, self.mx = np.asarray(mn, dtype=np.float64), np.asarray(mx, dtype=np.float64)

    def partial(self, X, y):
        from ._information import muteinf_counts

        return muteinf_counts(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64).reshape(-1),
                              self.rows, self.nbins, self.mn, self.mx)

    def combine(self, states):
        states = list(states)
        return sum(s[0] for s in states[1:]) + states[0][0], sum(s[1] for s in states[1:]) + states[0][1]

    def finalize(self, state):
        return state


class Stacked:
    """Several kernels over the same blocks in one pass: ``partial(*args)`` gives each kernel the same arguments.

    Examples
    --------
    >>> import numpy as np
    >>> k = Stacked([ColumnMoments(), ClassRange()])
    >>> (count, mean, m2), (mins, maxs) = reduce_blocks(k, [(np.array([[1.0], [3.0]]),), (np.array([[5.0]]),)])
    >>> mean.tolist(), mins.tolist(), maxs.tolist()
    ([3.0], [[1.0]], [[5.0]])
    """

    def __init__(self, kernels):
        self.kernels = list(kernels)

    def partial(self, *args):
        return tuple(k.partial(*args) for k in self.kernels)

    def combine(self, states):
        states = list(states)
        return tuple(k.combine([s[i] for s in states]) for i, k in enumerate(self.kernels))

    def finalize(self, state):
        return tuple(k.finalize(s) for k, s in zip(self.kernels, state))


class QuantileSketch:
    """Mergeable per-column quantiles: exact up to ``capacity`` values, a uniform sample beyond.

    Each block draws a random key per row (a generator seeded by ``seed``
    and the block's contents) and keeps, per column, the finite values with
    the ``capacity`` smallest keys; ``combine`` keeps the ``capacity``
    smallest keys of the union. So the kept values are a uniform sample
    without replacement of the column's finite values, whatever the split,
    and all of them while the column has at most ``capacity``.

    Error bound: with ``m = capacity`` kept values out of ``n > m``, every
    quantile returned has a true rank within ``eps * n`` of the one asked,
    ``eps = sqrt(ln(2 / delta) / (2 m))``, with probability at least
    ``1 - delta`` for all quantiles of a column at once (Dvoretzky-Kiefer-
    Wolfowitz, with Massart's constant; sampling without replacement only
    tightens it). The default ``capacity=32768`` gives ``eps = 0.0108`` at
    ``delta = 0.001``. While ``n <= m`` the quantiles are exact
    (``numpy.quantile`` of the column, linear interpolation).

    ``finalize`` returns, per column, the sorted kept values; :meth:`quantiles`
    reads quantiles from them.
    """

    def __init__(self, capacity: int = 32768, seed: int = 0):
        self.capacity = int(capacity)
        self.seed = int(seed)

    def partial(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        digest = np.frombuffer(np.ascontiguousarray(X).tobytes()[:4096] or b"\0", dtype=np.uint8)
        rng = np.random.default_rng([self.seed, X.shape[0], int(digest.sum()), int(digest.size)])
        keys = rng.random(X.shape[0])
        state = []
        for j in range(X.shape[1]):
            finite = np.isfinite(X[:, j])
            state.append(self._keep(keys[finite], X[finite, j], int(finite.sum())))
        return state

    def _keep(self, keys, values, n):
        if keys.shape[0] > self.capacity:
            kept = np.argpartition(keys, self.capacity - 1)[:self.capacity]
            keys, values = keys[kept], values[kept]
        return keys, values, n

    def combine(self, states):
        states = list(states)
        return [self._keep(np.concatenate([s[j][0] for s in states]),
                           np.concatenate([s[j][1] for s in states]),
                           sum(s[j][2] for s in states))
                for j in range(len(states[0]))]

    def finalize(self, state):
        return [np.sort(values) for _, values, _ in state]

    @staticmethod
    def quantiles(sorted_values, q):
        """Quantiles ``q`` (in [0, 1]) of one finalized column (linear interpolation); NaN when empty."""
        q = np.asarray(q, dtype=np.float64)
        if sorted_values.size == 0:
            return np.full(q.shape, np.nan)
        return np.quantile(sorted_values, q)


def anova_f_from_class_moments(state):
    """One-way ANOVA F statistic and p-value per column from :class:`ClassMoments`.

    The statistic of :func:`sklearn.feature_selection.f_classif` computed from
    centred sums (more accurate than its raw sums of squares; equal up to
    rounding). A constant column gives NaN, as scikit-learn's.
    """
    from scipy import special

    counts, means, m2 = state
    present = counts > 0
    counts, means, m2 = counts[present], means[present], m2[present]
    n, k = counts.sum(), counts.shape[0]
    grand = (counts[:, None] * means).sum(axis=0) / n
    between = (counts[:, None] * (means - grand) ** 2).sum(axis=0)
    within = m2.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (between / (k - 1)) / (within / (n - k))
    return f, special.fdtrc(k - 1, n - k, f)


def mutual_info_from_counts(joint, correction="miller_madow"):
    """Mutual information (nats) of one column with the target from their joint counts.

    ``joint`` is the (k_column, k_target) table of counts (a :class:`KeyedSums`
    or :class:`ContingencyCounts` state). The estimate of
    :func:`featkit.stats._binned_mi.binned_mutual_info` -- the plug-in
    ``H(F) + H(Y) - H(F, Y)`` less, with ``correction="miller_madow"``,
    ``(m_FY - m_F - m_Y + 1) / (2 n)`` for ``m`` non-empty cells -- from the counts
    instead of the rows, so any split of the rows gives it exactly.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(mutual_info_from_counts(np.array([[2, 0], [0, 2]]), None)), 6)
    0.693147
    """
    joint = np.asarray(joint, dtype=np.float64)
    n = joint.sum()
    if n == 0:
        return 0.0

    def s_and_m(counts):
        counts = counts[counts > 0]
        return float(np.sum(counts * np.log(counts))), counts.size

    s_f, m_f = s_and_m(joint.sum(axis=1))
    s_y, m_y = s_and_m(joint.sum(axis=0))
    s_fy, m_fy = s_and_m(joint.reshape(-1))
    mi = np.log(n) - (s_f + s_y - s_fy) / n
    if correction == "miller_madow":
        mi -= (m_fy - m_f - m_y + 1) / (2.0 * n)
    return mi


def regression_f_from_cross_moments(state):
    """F statistic and p-value of a univariate linear regression per column, from :class:`CrossMoments`.

    The numbers of :func:`sklearn.feature_selection.f_regression` with its
    default ``force_finite=True``: an infinite F becomes the largest float, a
    NaN one (constant column or target) 0 with p-value 1.
    """
    from scipy import stats

    n, _, _, sx, sy, cxy = state
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cxy / np.sqrt(sx * sy)
        r2 = r * r
        f = r2 / (1 - r2) * (n - 2)
    p = stats.f.sf(f, 1, n - 2)
    f = np.where(np.isinf(f), np.finfo(np.float64).max, f)
    nan = np.isnan(f)
    return np.where(nan, 0.0, f), np.where(nan, 1.0, p)
