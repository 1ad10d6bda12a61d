"""Infinite Feature Selection (Inf-FS), unsupervised and supervised, 2020 and 2016 forms.

Features are the nodes of a graph; the weight of a feature is the sum of the
weights of all paths through it, of every length: ``S 1`` with
``S = sum_k (r A)^k = (I - r A)^-1``. The numbers follow the authors' MATLAB
code (``InfFS_U.m`` / ``InfFS_S.m`` of 2020, ``infFS.m`` of the Feature
Selection Library 2016); the computation does not: no d x d inverse and no full
eigendecomposition is formed (Lanczos / Neumann on matrix-vector products),
the variance term ``max(sigma_i, sigma_j)`` and the supervised terms are never
materialised (they are rank-one or "max" structured), and only the
unsupervised correlation term is a dense d x d matrix -- stored when it fits
the memory budget, recomputed block by block from the n x d ranks otherwise.
"""

from __future__ import annotations

import math
import numbers
import warnings
from numbers import Real

import numpy as np
from sklearn.base import _fit_context

from .._array import check_memory, get_namespace, is_foreign_array, memory_budget_bytes, nbytes_of
from .._array import resolve_device, to_device, to_numpy, validate_foreign_array
from ..base import BaseRanker
from ..findings import Finding
from ..exceptions import InputError
from ..stats import (
    MaxKernel,
    average_ranks,
    fisher_ratio,
    krylov_shifted_solve,
    muteinf,
    neumann_solve,
    regression_fisher_ratio,
    unit_columns,
)
from ..utils._param_validation import (
    DEVICE_CONSTRAINT,
    MEMORY_BUDGET_CONSTRAINT,
    TASK_CONSTRAINT,
    Interval,
    StrOptions,
)

__all__ = ["InfFS", "matlab_hist_cut"]

_MATLAB_EPS = float(np.finfo(np.float64).eps)
# Store the affinity matrix for the report up to this many features.
_AFFINITY_REPORT_MAX = 64


# ---------------------------------------------------------------- helpers
def _scaled(v, xp):
    """Min-max scaling to [0, 1]; NaN/inf -> 0 before, a constant vector -> 0 (the
    reference gives NaN there, which poisons every weight)."""
    v = xp.where(xp.isfinite(v), v, xp.zeros_like(v))
    lo, hi = xp.min(v), xp.max(v)
    span = hi - lo
    if not bool(span > 0):
        return xp.zeros_like(v)
    return (v - lo) / span


class _SigmaTerm:
    """``Sig_ij = (max(s_i, s_j) - min s) / (max s - min s)``, s = sample std.

    Applied as an O(d log d) operator; zero when every std is equal (NaN -> 0
    in the reference).
    """

    def __init__(self, X, xp, std=None):
        if std is None:
            std = xp.std(X, axis=0, correction=1) if X.shape[0] > 1 else xp.zeros(X.shape[1], dtype=X.dtype)
        s = std
        s = xp.where(xp.isfinite(s), s, xp.zeros_like(s))
        t = s - xp.min(s)  # max(s_i,s_j) - m == max(t_i, t_j) exactly (rounding is monotone)
        self.span = float(xp.max(t))
        # stds equal up to rounding (e.g. standardised data) would turn rounding
        # noise into a [0, 1] term; they count as equal (the reference's 0/0 -> 0)
        self.zero = not (self.span > 64 * _MATLAB_EPS * float(xp.max(xp.abs(s))))
        self.kernel = None if self.zero else MaxKernel(t, xp=xp)
        self.xp = xp

    def __matmul__(self, v):
        if self.zero:
            return self.xp.zeros_like(v)
        return (self.kernel @ v) / self.span


class _AbsCorrelation:
    """``|R|`` (Spearman, diagonal exactly 1, constant columns 0) as an operator.

    Dense when the d x d matrix fits the budget, else recomputed from the n x d
    unit-norm ranks ``Z`` in row blocks at every product (O(n d^2) per product).
    """

    def __init__(self, Z, constant, xp, budget):
        self.xp, self.Z = xp, Z
        n, d = Z.shape
        self.d = d
        self.target = xp.where(constant, xp.zeros(d, dtype=Z.dtype, device=Z.device),
                               xp.ones(d, dtype=Z.dtype, device=Z.device))
        self.Zt = xp.permute_dims(Z, (1, 0))
        limit = memory_budget_bytes(budget)
        base = 4 * nbytes_of((n, d))
        dense_need = nbytes_of((d, d)) + base + 2 * nbytes_of((min(d, 2048), d))
        self.dense = None
        if dense_need <= limit:
            self.block = max(1, min(d, (16 * 2**20) // max(8 * d, 1)))
            M = xp.empty((d, d), dtype=Z.dtype, device=Z.device)
            # |R| is symmetric: compute the upper block rows only and mirror them (half the GEMM)
            for i in range(0, d, self.block):
                stop = min(i + self.block, d)
                B = self._abs_block(i, upper=True)
                M[i:stop, i:] = B
                M[stop:, i:stop] = xp.permute_dims(B[:, stop - i:], (1, 0))
            self.dense = M
            self.diag_fix = self.target - xp.linalg.diagonal(M)
            self.mode = "dense"
        else:
            per_row = 2 * nbytes_of((1, d))
            room = limit - base
            if room < per_row:
                check_memory(
                    base + per_row,
                    f"Inf-FS on {d} features (the n x d ranks and one row block of the "
                    f"{d} x {d} correlation)",
                    "Use fewer rows (featkit rank --sample N) or fewer features, or raise the budget.",
                    budget=budget,
                )
            self.block = int(max(1, min(d, room // per_row, 4096)))
            self.mode = "blocked"

    def _abs_block(self, i, upper=False):
        """Rows i..i+block of |R|; with ``upper`` only the columns from i on."""
        xp = self.xp
        stop = min(i + self.block, self.d)
        Zc = self.Z[:, i:] if upper else self.Z
        return xp.clip(xp.abs(self.Zt[i:stop, :] @ Zc), None, 1.0)

    def __matmul__(self, v):
        xp = self.xp
        if self.dense is not None:
            return self.dense @ v + self.diag_fix * v
        d = self.d
        y = xp.zeros_like(v)
        for i in range(0, d, self.block):
            # upper block row only; its transpose serves the rows below (symmetry)
            B = self._abs_block(i, upper=True)
            b = B.shape[0]
            stop = i + b
            width = d - i
            idx = xp.arange(b, device=B.device) * (width + 1)
            diag = xp.take(xp.reshape(B, (-1,)), idx)
            y[i:stop] = y[i:stop] + B @ v[i:] + (self.target[i:stop] - diag) * v[i:stop]
            if stop < d:
                y[stop:] = y[stop:] + xp.permute_dims(B[:, b:], (1, 0)) @ v[i:stop]
        return y

    def to_dense(self):
        xp = self.xp
        eye = xp.eye(self.d, dtype=self.Z.dtype, device=self.Z.device)
        return xp.stack([self @ eye[:, j] for j in range(self.d)], axis=1)


def matlab_hist_cut(weights) -> int:
    """The reference's "auto" subset size: ``hist(w, 0.5 d)``, bins above the mean count.

    MATLAB's ``hist(w, x)`` with a non-integer ``x`` makes ``floor(x)`` bins of
    width ``range / x`` (the last one stretched to the maximum), closed on the
    right; reproduced here. The result is at least 1.

    Examples
    --------
    >>> from featkit.selection._inffs import matlab_hist_cut
    >>> matlab_hist_cut([1.0, 1.0, 1.0, 1.1, 5.0, 5.0])
    1
    """
    w = np.asarray(weights, dtype=np.float64)
    x = 0.5 * w.size
    nb = int(math.floor(x))
    if nb < 1 or not np.all(np.isfinite(w)):
        return 1
    lo, hi = float(w.min()), float(w.max())
    if lo == hi:
        lo = lo - math.floor(x / 2) - 0.5
        hi = hi + math.ceil(x / 2) - 0.5
    width = (hi - lo) / x
    edges = lo + width * np.arange(nb + 1, dtype=np.float64)
    edges[-1] = hi
    shifted = edges + np.spacing(np.abs(edges))
    idx = np.clip(np.searchsorted(shifted, w, side="right") - 1, 0, nb - 1)
    counts = np.bincount(idx, minlength=nb)
    return max(1, int(np.sum(counts > counts.mean())))


def supervised_relevance(X, y, task, n_classes, xp):
    """Reference ``muteinf`` MI and Fisher ratio per feature (unscaled)."""
    if task == "regression":
        mi = muteinf(X, y, task="regression", xp=xp)
        fi = regression_fisher_ratio(X, y, xp=xp)
    else:
        mi = muteinf(X, y, task="classification", n_classes=n_classes, xp=xp)
        fi = fisher_ratio(X, y, n_classes, xp=xp)
    return mi, fi


def warn_constant_columns(X, xp, where):
    const = to_numpy(xp.astype(xp.max(X, axis=0) == xp.min(X, axis=0), xp.float64)) > 0
    if const.any():
        cols = np.flatnonzero(const)[:10].tolist()
        warnings.warn(
            f"{where}: column(s) {cols} are constant. The reference mutual information "
            "(muteinf) gives a constant column a large score (a quirk reproduced on "
            "purpose); drop constant columns before a supervised ranking.",
            UserWarning,
            stacklevel=4,
        )


class DeviceInputMixin:
    """Let CuPy / torch / array-API inputs stay where they are.

    ``X`` is checked in its own namespace (no host copy of the data); only the
    target, one value per row, is checked on the host. The maths then runs on
    the original array.
    """

    # the graph rankers wrap no estimator: nothing nested to validate
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        if not is_foreign_array(X):
            return super().fit(X, y)
        X, _ = validate_foreign_array(self, X, reset=True, allow_nan=self._allow_nan, min_samples=2)
        # Device arrays are fitted in input order: these graph rankers have no
        # randomness, and a content fingerprint would need a host copy of X.
        self.canonical_order_ = np.arange(X.shape[1])
        self._set_scores(self._fit_scores(X, self._validate_device_target(X, y)))
        return self

    def _validate_device_target(self, X, y):
        """The target of ``X`` checked (and encoded) as :meth:`BaseRanker.fit` does."""
        from sklearn.utils.validation import check_consistent_length, validate_data

        from ..utils._task import check_target, infer_task

        if y is not None and is_foreign_array(y):
            y = to_numpy(y)
        if not self._requires_target:
            return y
        # X was validated above; "no_validation" checks y alone (1-d, finite)
        y = validate_data(self, X="no_validation", y=y, reset=False)
        check_consistent_length(X, y)
        if self._task_aware:
            self.task_ = infer_task(y, getattr(self, "task", "auto"))
            y, _ = check_target(y, self.task_)
        return y


def target_like(Xd, y, xp):
    """The (validated, host) target as an array next to ``Xd``."""
    return xp.asarray(np.asarray(y), device=Xd.device)


def perfect_predictor_columns(X, y, task) -> np.ndarray:
    """Mask of the non-constant columns that determine the target exactly.

    Classification: every class takes a single value of the column (zero
    within-class variance, so the Fisher / F ratio is +inf). Regression: the
    column is an exact linear function of the target (``|r| = 1`` to 1e-12).
    Such a column is the best possible feature: the graph methods give it
    ``+inf`` rather than let the reference's zero-denominator constant
    (10000) push it to the bottom.
    """
    # Written against the array namespace of X: device input stays on its device
    # and only length-d masks come back to the host.
    xp = get_namespace(X)
    X = xp.astype(X, xp.float64)
    y = np.asarray(y).reshape(-1)
    varies = to_numpy(xp.max(X, axis=0) > xp.min(X, axis=0))
    if task == "classification":
        same = np.ones(X.shape[1], dtype=bool)
        inf = xp.asarray(np.inf, dtype=xp.float64, device=X.device)
        for c in np.unique(y):
            rows = xp.asarray((y == c)[:, None], device=X.device)
            hi = xp.max(xp.where(rows, X, -inf), axis=0)
            lo = xp.min(xp.where(rows, X, inf), axis=0)
            same &= to_numpy(hi == lo)
        return varies & same
    yd = xp.asarray(y.astype(np.float64) - y.astype(np.float64).mean(), device=X.device)
    Xc = X - xp.mean(X, axis=0, keepdims=True)
    num = to_numpy(xp.sum(Xc * yd[:, None], axis=0))
    den = np.sqrt(to_numpy(xp.sum(Xc * Xc, axis=0)) * float(np.dot(to_numpy(yd), to_numpy(yd))))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    return varies & (np.abs(np.nan_to_num(r)) >= 1.0 - 1e-12)


def prepare_input(est, X):
    """float64, the chosen device, optionally standardised."""
    n, d = X.shape
    if is_foreign_array(X):
        xp = get_namespace(X)
        Xd = xp.astype(X, xp.float64)
        device = "input"
    else:
        flops = float(n) * d * d if not getattr(est, "supervised", True) else float(n) * d * 30
        device = resolve_device(est.device, flops)
        Xd = to_device(np.asarray(X, dtype=np.float64), device)
        xp = get_namespace(Xd)
    if est.standardize:
        mu = xp.mean(Xd, axis=0, keepdims=True)
        sd = xp.std(Xd, axis=0, correction=1, keepdims=True)
        sd = xp.where(sd > 0, sd, xp.ones_like(sd))
        Xd = (Xd - mu) / sd
    return Xd, xp, device


# -------------------------------------------------------------- estimator
class InfFS(DeviceInputMixin, BaseRanker):
    """Infinite Feature Selection: rank features by the weight of all graph paths through them.

    Every feature is a node; an edge weight ``A_ij`` mixes a variance term
    ``Sig_ij = max(sigma_i, sigma_j)`` (min-max scaled) with, unsupervised,
    the decorrelation ``1 - |Spearman_ij|`` or, supervised, mutual information
    and Fisher ratio with the target. A feature's weight is the i-th entry of
    ``S 1``, ``S = (I - r A)^-1`` (the sum over paths of every length).

    ====================  ===================================  ===========================
    variant, supervised   graph ``A``                          ``r``, weights
    ====================  ===================================  ===========================
    "2020", False         ``alpha Sig + (1-alpha) C``          ``A <- A / (rho + e)``,
    (InfFS_U)             ``C = 1 - |Spearman|``               ``r = (1 - e) / rho``,
                                                               ``w = (I - rA)^-1 1``
    "2020", True          ``a1 (mi_j + fi_i)/2 +``             as above
    (InfFS_S)             ``a2 (mi_j + Sig_ij)/2 +``
                          ``a3 (Sig_ij + fi_i)/2``
    "2016", False         ``alpha C + (1-alpha) Sig``          ``r = 0.99 / lmax(A + eps)``,
    "2016", True          ``C = minmax(f f^T)``, f = Fisher    ``w = ((I - rA)^-1 - I) 1``
    ====================  ===================================  ===========================

    ``rho`` is the largest row sum of ``A``, ``e = 5e-6 d``, ``eps`` the machine
    epsilon added to every entry. Note that ``alpha`` weights the variance
    term in the 2020 variant but the correlation term in the 2016 variant (as
    in the reference code).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        "auto" is the reference's cut for the 2020 variant (a histogram of the
        weights with ``d/2`` bins; keep as many features as there are bins
        holding more than the mean count), the better half for "2016".
    variant : {"2020", "2016"}, default="2020"
    supervised : bool, default=False
        Use the target (mutual information and Fisher ratio).
    alpha : float, tuple of 3 floats or None, default=None
        Mixing weights; None takes the reference default: 0.5, or
        ``(1/3, 1/3, 1/3)`` for the supervised 2020 variant.
    standardize : bool, default=False
        z-score the columns first. This removes the variance term (every
        ``sigma`` becomes 1); off by default as in the reference, where the
        ranking of raw, unscaled data is dominated by the column spreads.
    task : {"auto", "classification", "regression"}, default="auto"
        Supervised only. Two classes are the reference; more classes and a
        continuous target are featkit's extensions (see Notes).
    device : {"auto", "cpu", "gpu"}, default="auto"
        Where the dense maths runs (CuPy on a GPU when available and large).
    memory_budget : int, str or None, default=None
        Bytes the d x d correlation may take (e.g. "4GB"); above it the
        unsupervised variants recompute it in blocks at every product
        (slower, O(n d) memory). None: ``FEATKIT_MEMORY_BUDGET`` or half the
        available memory.

    Attributes
    ----------
    scores_ : ndarray of shape (n_features,)
        The weights ``w`` (higher = more important). With ``supervised=True``,
        a column that determines the target exactly scores ``+inf`` (the best
        possible score; see :func:`perfect_predictor_columns`).
    reference_scores_ : ndarray of shape (n_features,)
        The reference's weights ``w`` before the ``+inf`` of perfect
        predictors (equal to ``scores_`` elsewhere).
    auto_subset_size_ : int or None
        Size of the reference's own cut (2020 variants), None for "2016".
    alpha_ : float or tuple
        The mixing weights used.
    solver_ : str
        How ``S 1`` was obtained ("lanczos", "neumann", "direct") and whether the
        correlation was "dense" or "blocked".
    affinity_ : ndarray of shape (n_features, n_features) or None
        The graph ``A`` (before the rescaling) when ``n_features <= 64``.
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Notes
    -----
    Reproduced reference quirks: ``alpha``'s direction differs between the
    variants; in the 2020 variants ``r A`` has norm about ``1/rho``, so ``S`` is
    close to ``I + rA`` and the ranking is close to ranking by the row sums of
    ``A``; the variance term makes raw-scale columns dominate (offer:
    ``standardize=True``); the reference ``muteinf`` scores a constant column
    high (a warning is raised, drop constant columns first).
    Deviations: where the reference divides 0 by 0 (an all-zero graph, a
    score that is equal for every feature) featkit uses 0, not NaN.
    Extensions (not in the reference): ``k > 2`` classes use one row per class
    in the ``muteinf`` joint table and the ratio of the between-class
    variance of the class means to the mean within-class variance (equal to
    the reference Fisher ratio for two classes); a continuous target uses the
    reference's own regression ``muteinf`` (equal-width bins of the target)
    and ``r^2 / (1 - r^2)`` as its Fisher ratio. The 2016 supervised variant
    uses only the Fisher ratio, as the reference.

    References
    ----------
    G. Roffo, S. Melzi, M. Cristani, "Infinite Feature Selection", ICCV 2015.
    G. Roffo, S. Melzi, U. Castellani, A. Vinciarelli, M. Cristani, "Infinite
    Feature Selection: a graph-based feature filtering approach", IEEE TPAMI 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import InfFS
    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(size=(100, 1))
    >>> X = np.hstack([base, base + 0.01 * rng.normal(size=(100, 1)),
    ...                3 * rng.normal(size=(100, 2))])
    >>> InfFS(n_features_to_select=2).fit(X).get_support().tolist()
    [False, False, True, True]
    """

    _task_aware = True
    _feature_attributes = {"reference_scores_": "vector"}
    _findings = {
        "alpha_": Finding("values", "Mixing weights alpha"),
        "solver_": Finding("note", "Solver"),
        "auto_subset_size_": Finding("scalar", "Size of the automatic subset"),
        "affinity_": Finding("feature_matrix", "Graph between features"),
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "variant": [StrOptions({"2020", "2016"})],
        "supervised": ["boolean"],
        # three per-term weights (supervised 2020 variant): checked in fit
        "alpha": [Interval(Real, 0, 1, closed="both"), "array-like", None],
        "standardize": ["boolean"],
        "task": TASK_CONSTRAINT,
        "device": DEVICE_CONSTRAINT,
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_features_to_select="auto", variant="2020", supervised=False, alpha=None,
                 standardize=False, task="auto", device="auto", memory_budget=None):
        self.n_features_to_select = n_features_to_select
        self.variant = variant
        self.supervised = supervised
        self.alpha = alpha
        self.standardize = standardize
        self.task = task
        self.device = device
        self.memory_budget = memory_budget

    @property
    def _requires_target(self):
        return bool(self.supervised)

    # ------------------------------------------------------------- params
    def _resolve_alpha(self):
        three = self.variant == "2020" and self.supervised
        if self.alpha is None:
            return (1 / 3, 1 / 3, 1 / 3) if three else 0.5
        if isinstance(self.alpha, numbers.Real):  # in [0, 1]: the constraint checked it
            return (float(self.alpha),) * 3 if three else float(self.alpha)
        # a sequence: one weight per term, which only the supervised 2020 variant has
        try:
            a = np.asarray(self.alpha, dtype=np.float64)
        except (TypeError, ValueError):
            a = np.full(0, np.nan)
        if not three or a.shape != (3,) or not np.all((a >= 0) & (a <= 1)):
            what = "three numbers" if three else "a number"
            raise InputError(f"alpha must be {what} in [0, 1], got {self.alpha!r}.")
        return tuple(float(v) for v in a)

    # ------------------------------------------------------------- fitting
    def _fit_scores(self, X, y):
        Xd, xp, _ = prepare_input(self, X)
        relevance = perfect = None
        if self.supervised:
            task = self.task_
            yd = target_like(Xd, y, xp)
            if task == "classification":
                warn_constant_columns(Xd, xp, type(self).__name__)
            n_classes = int(np.max(np.asarray(y))) + 1 if task == "classification" else None
            if self.variant == "2020":
                relevance = supervised_relevance(Xd, yd, task, n_classes, xp)
            elif task == "regression":
                relevance = (regression_fisher_ratio(Xd, yd, xp=xp),)
            else:
                relevance = (fisher_ratio(Xd, yd, n_classes, xp=xp),)
            perfect = perfect_predictor_columns(X, y, task)
        return self._graph_scores(Xd, _SigmaTerm(Xd, xp), relevance, perfect, xp)

    def _graph_scores(self, Xd, sig, relevance, perfect, xp, correlation=None):
        """The weights from the statistics: ``relevance`` is ``(mi, fi)`` (2020) or ``(f,)``
        (2016) when supervised; ``Xd`` (the rows) is read by the unsupervised graph only,
        unless ``correlation`` (an operator ``|R| @ v`` with a ``mode``) is given.
        The Dask driver (:mod:`featkit.distributed._graph`) calls this with reduced statistics."""
        alpha = self._resolve_alpha()
        self.alpha_ = alpha
        d = Xd.shape[1] if Xd is not None else (relevance[0].shape[0] if relevance else correlation.d)
        device = None if Xd is None else Xd.device
        ones = xp.ones((d,), dtype=xp.float64, device=device)

        if self.supervised:
            if self.variant == "2020":
                mi, fi = relevance
                mi, fi = _scaled(mi, xp), _scaled(fi, xp)
                a1, a2, a3 = alpha
                cm, cf, cs = (a1 + a2) / 2, (a1 + a3) / 2, (a2 + a3) / 2

                def matvec(v):
                    return cm * xp.sum(mi * v) * ones + cf * xp.sum(v) * fi + cs * (sig @ v)

                symmetric = False
            else:
                f = relevance[0]
                f = xp.where(xp.isfinite(f), f, xp.zeros_like(f))
                fmin, fmax = xp.min(f), xp.max(f)
                m = float(fmin * fmin)
                span = float(fmax * fmax) - m
                span_ok = span > 0

                def matvec(v):
                    c = (f * xp.sum(f * v) - m * xp.sum(v)) / span if span_ok else xp.zeros_like(v)
                    return alpha * c + (1 - alpha) * (sig @ v)

                symmetric = True
            corr_mode = None
        else:
            R = correlation
            if R is None:
                Z, constant = unit_columns(average_ranks(Xd, xp=xp), xp=xp)
                R = _AbsCorrelation(Z, constant, xp, self.memory_budget)
            corr_mode = R.mode
            w_sig, w_corr = (alpha, 1 - alpha) if self.variant == "2020" else (1 - alpha, alpha)

            def matvec(v):
                return w_sig * (sig @ v) + w_corr * (xp.sum(v) - R @ v)

            symmetric = True

        if self.variant == "2020":
            weights, solver = self._solve_2020(matvec, d, xp, ones, symmetric)
        else:
            weights, solver = self._solve_2016(matvec, d, xp, ones)
        self.solver_ = solver if corr_mode is None else f"{solver}, {corr_mode} correlation"
        w = to_numpy(weights).astype(np.float64)
        self.affinity_ = None
        if d <= _AFFINITY_REPORT_MAX:
            eye = np.eye(d)
            cols = [to_numpy(matvec(xp.asarray(eye[:, j], device=device))) for j in range(d)]
            self.affinity_ = np.stack(cols, axis=1)
        self.auto_subset_size_ = matlab_hist_cut(w) if self.variant == "2020" else None
        # the reference's weights, kept because +inf below hides them for a perfect predictor
        self.reference_scores_ = w
        if self.supervised:
            w = np.where(perfect, np.inf, w)
        return w

    def _solve_2020(self, matvec, d, xp, ones, symmetric):
        e = 5e-6 * d
        row_sums = matvec(ones)
        rho = float(xp.max(row_sums))
        if not rho > 0:
            # empty graph: S = I (the reference divides by zero here)
            return ones, "trivial"
        r = (1 - e) / rho
        c = r / (rho + e)  # S = (I - r A / (rho + e))^-1
        if c * rho < 0.5:
            if symmetric:
                x, _, _ = krylov_shifted_solve(matvec, ones, lambda lz: c, xp=xp)
                return x, "lanczos"
            return neumann_solve(matvec, ones, c, xp=xp), "neumann"
        return self._direct(matvec, d, xp, ones, c), "direct"

    def _solve_2016(self, matvec, d, xp, ones):
        def coefficient(lz):
            T = lz.tridiagonal()
            T[0, 0] += _MATLAB_EPS * d  # eig(A + eps): eps added to every entry of A
            lam = float(np.linalg.eigvalsh(T)[-1])
            return 0.99 / lam

        x, c, _ = krylov_shifted_solve(matvec, ones, coefficient, xp=xp)
        self.lambda_max_ = 0.99 / c
        return x - ones, "lanczos"

    def _direct(self, matvec, d, xp, ones, c):
        check_memory(
            2 * nbytes_of((d, d)),
            f"the dense {d} x {d} Inf-FS system (its graph has tiny row sums, so the "
            "series does not converge fast)",
            "Standardise or rescale the data, or raise the budget.",
            budget=self.memory_budget,
        )
        eye = np.eye(d)
        A = np.stack([to_numpy(matvec(xp.asarray(eye[:, j], device=ones.device))) for j in range(d)],
                     axis=1)
        return xp.asarray(np.linalg.solve(eye - c * A, np.ones(d)), device=ones.device)

    def _auto_support_size(self):
        return self.auto_subset_size_
