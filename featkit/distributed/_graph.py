"""The supervised graph rankers (InfFS, ECFS) on Dask: their statistics as reductions.

Everything these methods read from the rows is a reduction: the columns'
standard deviations (the variance term), the per-class moments (Fisher ratio)
or the moments against a numeric target, the reference ``muteinf`` histograms
at the whole table's range, and the per-class ranges that find a perfect
predictor. Two or three passes over the partitions (one more with
``standardize``) give them; the graph is then solved on the client by the
estimator's own code (``InfFS._graph_scores``, ``ECFS._centrality_scores``).
The target column (one value a row) is gathered to the client to be coded as
in memory. The unsupervised InfFS needs the rows' ranks (Spearman) and has no
distributed form yet.
"""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import InputError
from ..stats._reduction import (
    ClassMoments,
    ClassRange,
    ColumnMoments,
    CrossMoments,
    MuteinfCounts,
    QuantileSketch,
    ScatterMoments,
    Stacked,
)
from ..utils._task import check_target, infer_task
from ._batches import partition_lengths
from ._driver import aligned_blocks, compute_all, frame_blocks, import_dask, reduce_partitions

__all__ = ["SPEARMAN_SKETCH_CAPACITY", "fit_graph_ranker", "sketched_spearman", "spearman_error_bound"]

# values kept per column by the rank sketch: exact Spearman up to this many rows
SPEARMAN_SKETCH_CAPACITY = 32768


def _block(part, scale):
    X = np.asarray(part.to_numpy() if hasattr(part, "to_numpy") else part, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if not np.isfinite(X).all():
        raise InputError("The Dask collection has missing or infinite values; this method needs them "
                         "filled or dropped.")
    return X if scale is None else (X - scale[0]) / scale[1]


def _args(scale, pair):
    part, target = pair
    return _block(part, scale), target


def _moments(pieces, scale, task, n_classes):
    """One pass: column moments, class (or cross) moments and class ranges."""
    if task == "classification":
        kernel = Stacked([ColumnMoments(), ClassMoments(n_classes), ClassRange(n_classes)])
    else:
        kernel = Stacked([ColumnMoments(), CrossMoments(), ClassRange(1)])
    return reduce_partitions(kernel, pieces, functools.partial(_args, scale))


def _target_rows(y, task, n_classes, n):
    """The target's rows of the ``muteinf`` joint table and ``pY``, as :func:`featkit.stats.muteinf` makes them."""
    from .._array import get_namespace
    from ..stats._information import _EMPTY_MARGINAL, _hist_bins, _loop_bins, reference_bin_count

    nbins = reference_bin_count(n)
    if task == "classification":
        return y.astype(np.int64), n_classes, np.bincount(y, minlength=n_classes) / float(n), nbins
    yf = np.asarray(y, dtype=np.float64)[:, None]
    xp = get_namespace(yf)
    y_hist = np.asarray(_hist_bins(yf, nbins, xp))[:, 0]
    pY = np.bincount(y_hist, minlength=nbins).astype(np.float64) / float(n)
    pY[pY == 0] = _EMPTY_MARGINAL
    return np.asarray(_loop_bins(yf, nbins, xp))[:, 0].astype(np.int64), nbins, pY, nbins


def _relevance(est, moments, task, mi_counts, pY, n, xp):
    from ..stats._fisher import fisher_ratio_from_class_moments, regression_fisher_ratio_from_moments
    from ..stats._information import muteinf_from_counts

    if task == "classification":
        counts, means, m2 = moments[1]
        var = m2 / np.where(counts > 1, counts - 1.0, 1.0)[:, None]
        fi = fisher_ratio_from_class_moments(means, var, xp=xp)
    else:
        _, _, _, sx, sy, cxy = moments[1]
        fi = regression_fisher_ratio_from_moments(sx, sy, cxy, xp=xp)
    if mi_counts is None:
        return (fi,)
    return muteinf_from_counts(mi_counts[0], mi_counts[1], pY, n), fi


def _perfect(moments, task):
    """:func:`featkit.selection._inffs.perfect_predictor_columns` from the raw columns' reductions."""
    mins, maxs = moments[2]
    varies = maxs.max(axis=0) > mins.min(axis=0)
    if task == "classification":
        return varies & np.all(mins == maxs, axis=0)
    _, _, _, sx, sy, cxy = moments[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cxy / np.sqrt(sx * sy)
    return varies & (np.abs(np.nan_to_num(r)) >= 1.0 - 1e-12)


def fit_graph_ranker(est, X, y):
    """Scores of a supervised :class:`~featkit.selection.InfFS` or :class:`~featkit.selection.ECFS` on Dask."""
    from .._array import get_namespace
    from ..selection._inffs import _SigmaTerm, warn_constant_columns

    name = type(est).__name__
    if not getattr(est, "supervised", True):
        return _fit_unsupervised(est, X)
    if y is None or not hasattr(y, "to_delayed"):
        raise InputError(f"{name} needs a target y: a Dask Series or array with X.")
    dask = import_dask()
    xs, ys, source = aligned_blocks(X, y)
    lengths = partition_lengths(source, like=X)
    n = int(lengths.sum())
    y_all = np.concatenate([np.asarray(b.to_numpy() if hasattr(b, "to_numpy") else b).reshape(-1)
                            for b in compute_all(ys)])
    if y_all.shape[0] != n or n < 2:
        raise InputError("X and y must have the same number of rows (at least 2); take both from one Dask DataFrame.")
    task = est.task_ = infer_task(y_all, getattr(est, "task", "auto"))
    y_fit, _ = check_target(y_all, task)
    n_classes = int(np.max(y_fit)) + 1 if task == "classification" else None
    starts = np.concatenate([[0], np.cumsum(lengths)])

    def pieces(values):
        return [dask.delayed(tuple, pure=True)([x, values[a:b]]) for x, a, b in zip(xs, starts[:-1], starts[1:])]

    raw = _moments(pieces(y_fit), None, task, n_classes)
    moments, scale = raw, None
    if est.standardize:
        count, mean, m2 = raw[0]
        sd = np.sqrt(m2 / (count - 1))
        scale = (mean, np.where(sd > 0, sd, 1.0))
        moments = _moments(pieces(y_fit), scale, task, n_classes)
    mins, maxs = moments[2]
    lo, hi = mins.min(axis=0), maxs.max(axis=0)
    raw_lo, raw_hi = raw[2][0].min(axis=0), raw[2][1].max(axis=0)
    xp = get_namespace(lo)
    if task == "classification":
        warn_constant_columns(np.vstack([lo, hi]), xp, name)
    needs_mi = name == "ECFS" or est.variant == "2020"
    mi_counts = pY = None
    if needs_mi:
        y_rows, rows, pY, nbins = _target_rows(y_fit, task, n_classes, n)
        # equal-width bins over each column's range do not change under x -> (x - mu) / sd, so the
        # histograms are counted on the raw columns: a value on an edge is not moved by rounding
        mi_counts = reduce_partitions(MuteinfCounts(rows, nbins, raw_lo, raw_hi), pieces(y_rows),
                                      functools.partial(_args, None))
    relevance = _relevance(est, moments, task, mi_counts, pY, n, xp)
    count, _, m2 = moments[0]
    std = np.sqrt(m2 / (count - 1))
    if scale is not None:
        # a standardised column's std is 1 (0 if constant); reduced, its rounding differs from the
        # in-memory one's and could cross _SigmaTerm's "all equal" threshold, so take the exact value
        std = np.where(scale[1] != 1.0, 1.0, np.where(std > 0, 1.0, 0.0))
    sig = _SigmaTerm(None, xp, std=std)
    perfect = _perfect(raw, task)
    if name == "ECFS":
        return est._centrality_scores(relevance[0], relevance[1], sig, perfect, xp)
    return est._graph_scores(None, sig, relevance, perfect, xp)


def _mid_ranks(sorted_columns, part):
    """Each value's mid-rank in its column's sketch, as a fraction: ``(#below + #at or below) / 2m``."""
    X = _block(part, None)
    out = np.empty_like(X)
    for j, kept in enumerate(sorted_columns):
        left = np.searchsorted(kept, X[:, j], side="left")
        right = np.searchsorted(kept, X[:, j], side="right")
        out[:, j] = (left + right) / (2.0 * max(kept.size, 1))
    return (out,)


def _rank_args(sorted_columns):
    return functools.partial(_mid_ranks, sorted_columns)


class _DenseAbsCorrelation:
    """``|R| @ v`` for a dense ``|R|`` computed on the cluster (diagonal 1, 0 for a constant column)."""

    def __init__(self, R, mode):
        self.R, self.d, self.mode = R, R.shape[0], mode

    def __matmul__(self, v):
        return self.R @ v


def sketched_spearman(xs, capacity=None, seed=0):
    """|Spearman| (d x d) of Dask row blocks ``xs`` from a rank sketch, and the columns' moments.

    Returns ``(abs_r, exact, column_moments, eps)``: ``exact`` says the sketch held
    every value (n <= capacity); ``eps`` is the DKW radius at ``delta = 0.001``
    (0 when exact). See :func:`spearman_error_bound`.
    """
    dask = import_dask()
    capacity = SPEARMAN_SKETCH_CAPACITY if capacity is None else int(capacity)
    sketch, moments = reduce_partitions(Stacked([QuantileSketch(capacity, seed), ColumnMoments()]), xs, _one_block)
    kept = [np.sort(v) for v in sketch]
    n = int(moments[0].max())
    exact = all(k.size == n for k in kept)
    to_args = dask.delayed(_rank_args, pure=True)(kept)  # the sketch travels once, not once per partition
    count, _, scatter = reduce_partitions(ScatterMoments(), xs, to_args)
    norms = np.sqrt(np.diag(scatter))
    constant = norms == 0
    safe = np.where(constant, 1.0, norms)
    R = np.clip(np.abs(scatter / safe[:, None] / safe[None, :]), None, 1.0)
    R[constant, :] = 0.0
    R[:, constant] = 0.0
    np.fill_diagonal(R, np.where(constant, 0.0, 1.0))
    eps = 0.0 if exact else float(np.sqrt(np.log(2 / 1e-3) / (2 * capacity)))
    return R, exact, moments, eps


def _one_block(part):
    return (_block(part, None),)


def spearman_error_bound(rank_std_i, rank_std_j, eps):
    """Largest error of a sketched Spearman correlation, given the sketched ranks' standard deviations.

    With every column's sketch within ``eps`` of its true distribution function
    (DKW: probability ``1 - delta`` per column, ``eps = sqrt(ln(2/delta) / 2m)``),
    every mid-rank (as a fraction of n) moves by at most ``eps``, so by
    Cauchy-Schwarz the covariance moves by at most ``eps (s_i + s_j) + eps^2``
    and each standard deviation by at most ``eps``:

    ``|r_sketch - r| <= 2 (eps (s_i + s_j + 2 eps) + eps^2) / ((s_i - 2 eps)(s_j - 2 eps))``

    with ``s`` the sketched ranks' standard deviations (about 0.289 for a column
    without ties). A worst case: typical errors are far smaller, as the tests show.

    Examples
    --------
    >>> round(spearman_error_bound(0.2887, 0.2887, 0.0108), 3)
    0.185
    """
    if eps == 0:
        return 0.0
    lo = (rank_std_i - 2 * eps) * (rank_std_j - 2 * eps)
    if lo <= 0:
        return np.inf
    return 2 * (eps * (rank_std_i + rank_std_j + 2 * eps) + eps * eps) / lo


def _fit_unsupervised(est, X):
    """InfFS(supervised=False): the variance term from column moments, |Spearman| from the rank sketch."""
    from .._array import check_memory, get_namespace, nbytes_of
    from ..selection._inffs import _SigmaTerm

    xs = frame_blocks(X)
    d = int(X.shape[1])
    check_memory(3 * nbytes_of((d, d)), f"the {d} x {d} Spearman correlation of InfFS on Dask",
                 "Rank fewer features, or fit on an in-memory sample.", budget=est.memory_budget)
    R, exact, moments, eps = sketched_spearman(xs)
    count, _, m2 = moments
    std = np.sqrt(m2 / (count - 1))
    if est.standardize:  # see fit_graph_ranker: a standardised column's std is exactly 1 (0 if constant)
        std = np.where(std > 0, 1.0, 0.0)
    xp = get_namespace(std)
    mode = "dense (exact Dask ranks)" if exact else f"dense (Dask rank sketch, eps {eps:.4f})"
    return est._graph_scores(None, _SigmaTerm(None, xp, std=std), None, None, xp,
                             correlation=_DenseAbsCorrelation(R, mode))
