"""Principal component analysis: covariance, SVD and randomized solvers, GPU and streaming."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._array import (
    check_memory,
    device_kind,
    get_namespace,
    is_numpy_namespace,
    nbytes_of,
    resolve_device,
    to_numpy,
)
from ..exceptions import InputError
from ..stats._reduction import ScatterMoments
from ..utils._dask import is_dask_collection
from ..utils._param_validation import (
    DEVICE_CONSTRAINT,
    MEMORY_BUDGET_CONSTRAINT,
    Interval,
    ParamValidationMixin,
    RealNotInt,
    StrOptions,
)
from ._base import (
    LinearAxesMixin,
    array_device,
    as_namespace,
    block_rows_for,
    check_n_components,
    column_moments,
    flip_signs,
    n_components_for_variance,
    set_axes,
    validate_input,
)

__all__ = ["PCA"]

_SOLVERS = ("auto", "covariance_eigh", "svd", "randomized")
# Attributes that partial_fit leaves to the solve step (one eigendecomposition
# when they are next read, not one per batch).
_SOLVED = (
    "components_",
    "explained_variance_",
    "explained_variance_ratio_",
    "singular_values_",
    "noise_variance_",
    "n_components_",
)


class _SolvedAttribute:
    """A fitted attribute of :class:`PCA` that runs the pending solve step before it is read.

    A data descriptor: the value lives in the instance ``__dict__`` under the
    same name (so ``vars()``, pickling and assignment work as for any fitted
    attribute), and reading it first calls ``PCA._finalize()``.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        obj._finalize()
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}") from None

    def __set__(self, obj, value):
        obj.__dict__[self.name] = value

    def __delete__(self, obj):
        obj.__dict__.pop(self.name, None)


class PCA(ParamValidationMixin, LinearAxesMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis on the CPU or a GPU, in one pass or streamed.

    Three solvers, all centring the data:

    * ``"covariance_eigh"`` -- one pass over the rows in blocks: each block's
      scatter (``B^T B`` corrected by its exactly summed mean when the
      cancellation is mild, else computed on the block centred in its own
      dtype) is merged into a float64 accumulator with the exact pairwise update of Chan,
      Golub & LeVeque; then the ``d x d`` covariance is eigendecomposed. Best
      for ``n_samples >> n_features``. No copy of the data is made.
    * ``"svd"`` -- exact thin SVD of the centred data (one centred copy).
    * ``"randomized"`` -- randomized subspace iteration (Halko, Martinsson &
      Tropp 2011) with the centring applied implicitly, so no centred copy is
      made; for many features and few components.
    * ``"auto"`` -- ``"covariance_eigh"`` when ``n_samples >= 2 * n_features``
      and the covariance pass is cheaper than the subspace iterations (roughly
      ``n_features <= 10 * (n_components + n_oversamples) * (n_iter + 1)``: the
      subspace iterations are thin, memory-bound products that run at about a
      third of the GEMM rate of the one symmetric ``X^T X``);
      ``"randomized"`` for few components of wide data; ``"svd"`` otherwise.

    The maths is written against the array API: CuPy, torch and
    ``array_api_strict`` arrays are fitted in their own namespace and device,
    and the fitted attributes live there too. A float32 input stays float32
    (products in float32, moments accumulated in float64).

    :meth:`partial_fit` streams chunks: it keeps the exact running mean and
    scatter matrix, so any split of the rows gives the same model as one
    :meth:`fit` with ``solver="covariance_eigh"``.

    Parameters
    ----------
    n_components : int, float or None, default=None
        Components to keep: a count, a share of variance in (0, 1) (covariance
        and SVD solvers), or None for ``min(n_samples, n_features)``.
    solver : {"auto", "covariance_eigh", "svd", "randomized"}, default="auto"
        See above.
    device : {"auto", "cpu", "gpu"}, default="auto"
        Where NumPy input is fitted: ``"auto"`` moves large work (``2 n d^2``
        flops above ``featkit._array.GPU_MIN_FLOPS``) to a CUDA GPU when CuPy
        sees one. Arrays of another library are fitted where they live.
    whiten : bool, default=False
        Scale the projections to unit variance.
    n_oversamples : int, default=10
        Extra random directions of the randomized solver.
    n_iter : int or "auto", default="auto"
        Power iterations of the randomized solver (7 when ``n_components`` is
        under 10% of ``min(n_samples, n_features)``, else 4, as scikit-learn).
    block_rows : int or None, default=None
        Rows per block of the covariance pass and of ``transform`` (None: about
        16 MiB per block on the CPU). With None an in-memory array whose
        moments cancel mildly is done in one ``X^T X`` (faster, float32 error
        ~1e-5 of the variances instead of ~1e-6); an explicit value always
        runs the blocked pass.
    memory_budget : int, str or None, default=None
        Bytes the solver's own matrices may take (see
        :func:`featkit._array.memory_budget_bytes`).
    random_state : int, RandomState or None, default=None
        Seed of the randomized solver.

    Attributes
    ----------
    components_ : array of shape (n_components_, n_features)
        Principal axes, by decreasing variance; the largest-magnitude entry of
        each is positive.
    explained_variance_ : array of shape (n_components_,)
        Variance along each axis (``n_samples - 1`` in the denominator).
    explained_variance_ratio_ : array of shape (n_components_,)
        Share of the total variance.
    singular_values_ : array of shape (n_components_,)
    noise_variance_ : float
        Mean variance of the dropped directions (probabilistic PCA's sigma^2).
    mean_ : array of shape (n_features,)
    n_components_ : int
    n_samples_seen_ : int
    solver_ : str
        The solver used.
    device_ : str
        "cpu" or "gpu".
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.decomposition import PCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5)) @ np.diag([5.0, 2.0, 1.0, 0.5, 0.1])
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.explained_variance_ratio_.round(2).tolist()
    [0.85, 0.11]
    >>> pca.transform(X).shape
    (200, 2)
    >>> first, second = PCA(2).partial_fit(X[:120]).partial_fit(X[120:]), pca
    >>> bool(np.allclose(first.components_, second.components_))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"),
                         Interval(RealNotInt, 0, 1, closed="neither"), None],
        "solver": [StrOptions(set(_SOLVERS))],
        "device": DEVICE_CONSTRAINT,
        "whiten": ["boolean"],
        "n_oversamples": [Interval(Integral, 0, None, closed="left")],
        "n_iter": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "block_rows": [Interval(Integral, 1, None, closed="left"), None],
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, *, solver="auto", device="auto", whiten=False,
                 n_oversamples=10, n_iter="auto", block_rows=None, memory_budget=None,
                 random_state=None):
        self.n_components = n_components
        self.solver = solver
        self.device = device
        self.whiten = whiten
        self.n_oversamples = n_oversamples
        self.n_iter = n_iter
        self.block_rows = block_rows
        self.memory_budget = memory_budget
        self.random_state = random_state

    # ------------------------------------------------------------ solve step
    components_ = _SolvedAttribute()
    explained_variance_ = _SolvedAttribute()
    explained_variance_ratio_ = _SolvedAttribute()
    singular_values_ = _SolvedAttribute()
    noise_variance_ = _SolvedAttribute()
    n_components_ = _SolvedAttribute()

    def _finalize(self):
        """Solve the eigenproblem of the moments that :meth:`partial_fit` accumulated, if pending.

        ``fit`` solves at once; ``partial_fit`` only marks the model stale, so
        that streaming many chunks costs one eigendecomposition, run here when
        a fitted attribute (or ``transform``) is next used.
        """
        if self.__dict__.get("_stale", False) and "_moments" in self.__dict__:
            self._solve_from_moments()

    def _invalidate(self):
        for name in _SOLVED:
            self.__dict__.pop(name, None)
        self._stale = True

    # ----------------------------------------------------------------- checks
    def _check_device(self):
        # a GPU asked for must be usable even when the input is already a device array
        resolve_device(self.device, flops=0)

    def _n_iter(self, k, n, d):
        if self.n_iter != "auto":
            return int(self.n_iter)
        return 7 if k < 0.1 * min(n, d) else 4

    def _choose_solver(self, n, d, k):
        if self.solver != "auto":
            return self.solver
        fraction = isinstance(k, float)
        if n >= 2 * d and (fraction or k is None):
            return "covariance_eigh"
        if fraction or k is None:
            return "svd"
        l = k + self.n_oversamples
        iters = self._n_iter(k, n, d)
        if n >= 2 * d and d <= 10 * l * (iters + 1):
            return "covariance_eigh"
        if k < 0.8 * min(n, d) and max(n, d) > 500:
            return "randomized"
        if n >= 2 * d:
            return "covariance_eigh"
        return "svd"

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the principal axes on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NumPy/pandas, or a CuPy / torch / array-API array.
        y : ignored

        Returns
        -------
        self
        """
        self._check_device()
        for name in ("_moments", "_stale"):
            self.__dict__.pop(name, None)
        for name in _SOLVED:
            self.__dict__.pop(name, None)
        if is_dask_collection(X):
            from ..distributed import fit_pca

            return fit_pca(self, X)
        X, xp = validate_input(self, X, reset=True, min_samples=2)
        n, d = X.shape
        k = check_n_components(self.n_components, n, d)
        solver = self._choose_solver(n, d, k)
        if solver == "randomized" and not isinstance(k, int):
            raise InputError(
                "solver='randomized' needs an integer n_components; use 'covariance_eigh' or 'svd' "
                "for a share of variance or for all components."
            )
        device, Xw, xpw = self._place(X, xp, flops=2.0 * n * d * min(n, d))
        host_out = xpw is not xp
        if solver == "covariance_eigh":
            check_memory(4 * nbytes_of((d, d)), f"the {d} x {d} covariance matrix",
                         "Use solver='randomized' with few components.", self.memory_budget)
            rows = block_rows_for(d, Xw.dtype.itemsize if hasattr(Xw.dtype, "itemsize") else 8,
                                  device == "gpu", self.block_rows)
            moments = ScatterMoments(rows, whole=self.block_rows is None, xp=xpw).partial(Xw)
            self._fit_from_moments(xpw, moments, Xw.dtype, k)
        elif solver == "svd":
            check_memory(2 * nbytes_of((n, d), np.float32 if Xw.dtype == xpw.float32 else np.float64),
                         f"the centred {n} x {d} copy of the data", "Use solver='covariance_eigh' or "
                         "'randomized', or fit in chunks with partial_fit.", self.memory_budget)
            self._fit_svd(xpw, Xw, k)
        else:
            self._fit_randomized(xpw, Xw, k)
        self.solver_ = solver
        self.device_ = device
        if host_out:
            self._to_namespace(xp)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add a chunk of rows to the running mean and scatter matrix.

        Exact: any split of the rows into chunks gives the model of one
        ``fit(X, solver="covariance_eigh")`` on all of them. The components
        are solved once, when first read (or used by ``transform``) after the
        last chunk (see :meth:`_finalize`). After a ``fit``
        with the ``"svd"`` or ``"randomized"`` solver (which keep no scatter
        matrix) the first ``partial_fit`` starts over.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        first = "_moments" not in self.__dict__
        if first:
            self._check_device()
        X, xp = validate_input(self, X, reset=first, min_samples=1)
        d = X.shape[1]
        if first:
            check_memory(4 * nbytes_of((d, d)), f"the {d} x {d} scatter matrix of partial_fit",
                         "Reduce the number of features first.", self.memory_budget)
            state = (0, None, None)
            self._dtype = X.dtype
        else:
            state = self._moments
            scatter = state[2]
            xp_state = get_namespace(scatter)
            if xp_state is not xp:
                X = as_namespace(X, xp_state, like=scatter)
                xp = xp_state
        count, mean, scatter = state
        rows = block_rows_for(d, X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8,
                              False, self.block_rows)
        if X.shape[0]:
            kernel = ScatterMoments(rows, whole=False, xp=xp)
            count, mean, scatter = kernel.combine([state, kernel.partial(X)])
        self._moments = (count, mean, scatter)
        self.n_samples_seen_ = count
        self.solver_ = "covariance_eigh"
        self.device_ = device_kind(scatter)
        self._set_mean(xp, mean, self._dtype)
        self._invalidate()
        return self

    # ---------------------------------------------------------------- solvers
    def _place(self, X, xp, flops):
        """(device, X on that device, its namespace) for the fit."""
        if not is_numpy_namespace(xp):
            return device_kind(X), X, xp
        device = resolve_device(self.device, flops=flops)
        if device == "gpu":
            import cupy

            Xg = cupy.asarray(X)
            return "gpu", Xg, get_namespace(Xg)
        return "cpu", X, xp

    def _fit_from_moments(self, xp, moments, dtype, k):
        # the one place a covariance fit starts from (count, mean, scatter): in memory, or
        # combined from Dask partitions by featkit.distributed
        self._moments = moments
        self.n_samples_seen_ = moments[0]
        self._dtype = dtype
        self._set_mean(xp, moments[1], dtype)
        self._solve_from_moments(k=k)

    def _set_mean(self, xp, mean64, dtype):
        self.mean_ = xp.astype(mean64, dtype)

    def _solve_from_moments(self, k="param"):
        count, mean, scatter = self._moments
        xp = get_namespace(scatter)
        d = scatter.shape[0]
        if count < 2:
            raise InputError("PCA needs at least 2 samples; partial_fit has seen fewer.")
        if k == "param":
            k = check_n_components(self.n_components, count, d)
        cov = scatter / (count - 1)
        cov = (cov + cov.T) / 2
        max_k = min(count, d)
        if isinstance(k, int) and is_numpy_namespace(xp) and 4 * k < d and d >= 1000:
            import scipy.linalg

            # only the k largest eigenpairs (LAPACK syevr): about half the time of a full eigh at d >= 1000
            w, v = scipy.linalg.eigh(np.asarray(cov), subset_by_index=[d - k, d - 1], driver="evr")
            w, v = xp.asarray(w), xp.asarray(v)
        else:
            w, v = xp.linalg.eigh(cov)
        w = xp.flip(w, axis=0)
        v = xp.flip(v, axis=1)
        w = xp.where(w > 0, w, xp.zeros_like(w))
        total = float(xp.sum(xp.linalg.diagonal(cov))) if hasattr(xp.linalg, "diagonal") else float(
            xp.sum(xp.stack([cov[i, i] for i in range(d)])))
        if k is None:
            k = max_k
        elif isinstance(k, float):
            # a share of variance: count components against the whole trace
            ratios = to_numpy(xp.cumulative_sum(w)) / total if total > 0 else np.ones(w.shape[0])
            k = int(min(np.searchsorted(ratios, k, side="right") + 1, max_k))
        k = min(k, max_k, w.shape[0])
        ev = w[:k]
        comps = flip_signs(xp, xp.astype(v[:, :k].T, self._dtype))
        self._set_results(xp, comps, ev, total, count, min(count, d))

    def _set_results(self, xp, components, ev64, total_var, n, rank_limit):
        dtype = components.dtype
        k = components.shape[0]
        set_axes(self, xp, components, ev64, total_var)
        self.singular_values_ = xp.astype(xp.sqrt(ev64 * (n - 1)), dtype)
        if k < rank_limit:
            noise = (total_var - float(xp.sum(ev64))) / (rank_limit - k)
            self.noise_variance_ = max(float(noise), 0.0)
        else:
            self.noise_variance_ = 0.0
        self._stale = False

    def _column_stats(self, xp, X):
        """Set the mean, the row count and the dtype of a one-shot fit; return the
        per-column sums of squared deviations (the total variance's numerator)."""
        _, mean, m2 = column_moments(xp, X, block_rows_for(X.shape[1], 8, False, self.block_rows))
        self.n_samples_seen_ = X.shape[0]
        self._dtype = X.dtype
        self._set_mean(xp, mean, X.dtype)
        return m2

    def _fit_svd(self, xp, X, k):
        n, d = X.shape
        m2 = self._column_stats(xp, X)
        centred = X - self.mean_
        _, s, vt = xp.linalg.svd(centred, full_matrices=False)
        del centred
        ev_all = xp.astype(s, xp.float64) ** 2 / (n - 1)
        total = float(xp.sum(m2)) / (n - 1)
        if k is None:
            k = min(n, d)
        elif isinstance(k, float):
            k = n_components_for_variance(ev_all, k)
        comps = flip_signs(xp, vt[:k, :])
        self._set_results(xp, comps, ev_all[:k], total, n, min(n, d))

    def _fit_randomized(self, xp, X, k):
        n, d = X.shape
        m2 = self._column_stats(xp, X)
        mu = self.mean_
        dev = array_device(X)
        width = min(k + int(self.n_oversamples), min(n, d))
        rng = np.random.RandomState(self.random_state) if not isinstance(
            self.random_state, np.random.RandomState) else self.random_state
        Q = xp.asarray(rng.standard_normal((d, width)).astype(np.float32 if X.dtype == xp.float32 else np.float64),
                       device=dev)

        # Centring is applied implicitly ((X - 1 mu^T) Q = X Q - 1 (mu^T Q)) so
        # the data is never copied; the subspace is kept on the feature side.
        def apply_cov(Q):
            Y = xp.matmul(X, Q) - xp.matmul(mu[None, :], Q)
            return xp.matmul(X.T, Y) - mu[:, None] * xp.sum(Y, axis=0)[None, :]

        Q, _ = xp.linalg.qr(Q)
        for _ in range(self._n_iter(k, n, d)):
            Q, _ = xp.linalg.qr(apply_cov(Q))
        # Rayleigh-Ritz on span(C Q): B^T = Xc^T orth(Xc Q), the subspace of
        # Halko et al.'s Algorithm 4.4 after n_iter power steps
        Y = xp.matmul(X, Q) - xp.matmul(mu[None, :], Q)
        Qn, _ = xp.linalg.qr(Y)
        Bt = xp.matmul(X.T, Qn) - mu[:, None] * xp.sum(Qn, axis=0)[None, :]
        u, s, _ = xp.linalg.svd(Bt, full_matrices=False)
        comps = flip_signs(xp, u[:, :k].T)
        ev = xp.astype(s[:k], xp.float64) ** 2 / (n - 1)
        total = float(xp.sum(m2)) / (n - 1)
        self._set_results(xp, comps, ev, total, n, min(n, d))

    def _to_namespace(self, xp):
        for name in ("components_", "explained_variance_", "explained_variance_ratio_",
                     "singular_values_", "mean_"):
            self.__dict__[name] = as_namespace(self.__dict__[name], xp)
        if "_moments" in self.__dict__:
            count, mean, scatter = self._moments
            self._moments = (count, as_namespace(mean, xp), as_namespace(scatter, xp))
        self._dtype = self.mean_.dtype

    # -------------------------------------------------------------- transform
    def _fitted(self, xp, like):
        check_is_fitted(self, "n_samples_seen_")
        comps = as_namespace(self.components_, xp, like)
        mean = as_namespace(self.mean_, xp, like)
        ev = as_namespace(self.explained_variance_, xp, like)
        return comps, mean, ev

    def inverse_transform(self, X):
        """Map projections back to the feature space (the rank-k reconstruction).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)

        Returns
        -------
        array of shape (n_samples, n_features)
        """
        check_is_fitted(self, "n_samples_seen_")
        xp = get_namespace(X) if hasattr(X, "__array_namespace__") else get_namespace(self.components_)
        if not hasattr(X, "__array_namespace__"):
            X = np.asarray(X, dtype=np.float64)
            xp = get_namespace(X)
        comps, mean, ev = self._fitted(xp, X)
        if X.shape[-1] != comps.shape[0]:
            raise InputError(f"inverse_transform expects {comps.shape[0]} columns, got {X.shape[-1]}.")
        Z = X
        if self.whiten:
            Z = Z * xp.sqrt(xp.astype(ev, X.dtype))
        return xp.matmul(Z, xp.astype(comps, X.dtype)) + xp.astype(mean, X.dtype)

    def get_covariance(self):
        """The model covariance ``C^T diag(ev - s2) C + s2 I`` (probabilistic-PCA form)."""
        check_is_fitted(self, "n_samples_seen_")
        xp = get_namespace(self.components_)
        comps = xp.astype(self.components_, xp.float64)
        s2 = self.noise_variance_
        ev = xp.astype(self.explained_variance_, xp.float64) - s2
        ev = xp.where(ev > 0, ev, xp.zeros_like(ev))
        d = comps.shape[1]
        return xp.matmul(comps.T * ev[None, :], comps) + s2 * xp.eye(d, dtype=xp.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True
        return tags
