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
    Stacked,
)
from ..utils._task import check_target, infer_task
from ._batches import partition_lengths
from ._driver import aligned_blocks, compute, import_dask, reduce_partitions

__all__ = ["fit_graph_ranker"]


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
        raise InputError(f"{name}(supervised=False) has no distributed form (its Spearman correlation needs "
                         "the rows' ranks); fit it on an in-memory sample.")
    if y is None or not hasattr(y, "to_delayed"):
        raise InputError(f"{name} needs a target y: a Dask Series or array with X.")
    dask = import_dask()
    xs, ys, source = aligned_blocks(X, y)
    lengths = partition_lengths(source)
    n = int(lengths.sum())
    y_all = np.concatenate([np.asarray(b.to_numpy() if hasattr(b, "to_numpy") else b).reshape(-1)
                            for b in compute(dask.delayed(list)(ys))])
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
