"""Probabilistic PCA (Tipping & Bishop) by EM, fitted on data with missing values."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._array import check_memory, nbytes_of, to_numpy
from ..exceptions import InputError
from ..utils._param_validation import (
    MEMORY_BUDGET_CONSTRAINT,
    Interval,
    ParamValidationMixin,
    StrOptions,
)
from ._base import check_n_components, validate_input

__all__ = ["ProbabilisticPCA"]

_LOG_2PI = np.log(2 * np.pi)


def _posterior(Xz, obs, mu, W, s2):
    """Per-row posterior of the latent variable given the observed entries.

    Returns ``M`` (n, q, q) = ``s2 I + W_o^T W_o``, its inverse, ``b`` =
    ``W_o^T (x_o - mu_o)`` and the posterior mean ``M^{-1} b``.
    """
    n = Xz.shape[0]
    q = W.shape[1]
    outer = (W[:, :, None] * W[:, None, :]).reshape(W.shape[0], q * q)
    M = (obs @ outer).reshape(n, q, q) + s2 * np.eye(q)
    resid = (Xz - mu) * obs
    b = resid @ W
    Minv = np.linalg.inv(M)
    Ez = np.einsum("nij,nj->ni", Minv, b)
    return M, Minv, b, Ez, resid


def _row_loglik(M, b, Ez, resid, obs, s2, q):
    """Log-density of each row's observed entries under N(mu_o, W_o W_o^T + s2 I) (Woodbury)."""
    d_obs = obs.sum(axis=1)
    _, logdet_m = np.linalg.slogdet(M)
    logdet = logdet_m + (d_obs - q) * np.log(s2)
    quad = (np.sum(resid * resid, axis=1) - np.sum(b * Ez, axis=1)) / s2
    return -0.5 * (d_obs * _LOG_2PI + logdet + quad)


class ProbabilisticPCA(ParamValidationMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Probabilistic PCA (Tipping & Bishop 1999) fitted by EM, missing values included.

    The model is ``x = W z + mu + e`` with ``z ~ N(0, I_q)`` and
    ``e ~ N(0, sigma^2 I_d)``. EM treats the missing entries as hidden:
    the E-step uses only each row's observed coordinates
    (``M_i = sigma^2 I + W_o^T W_o``), and the M-step solves, for every
    feature, the joint least-squares update of its loading row and mean over
    the rows where it is observed (the exact EM of Ilin & Raiko 2010,
    section 3.3). Without missing values it converges to the closed-form
    maximum-likelihood solution of Tipping & Bishop.

    ``self_paced=True`` fits the self-paced variant for data with outliers:
    rows are admitted from the easiest (highest likelihood) to the hardest --
    the kept share grows from ``self_paced_start`` to ``self_paced_fraction``
    over ``self_paced_steps`` stages; each stage keeps the rows whose negative
    log-likelihood under the current model is under the stage's age threshold
    (the matching quantile of the per-row losses) and runs EM on them to
    convergence (hard self-paced weights, Kumar, Packer & Koller 2010, as used
    by Self-Paced Probabilistic PCA for data with outliers). The last stage is
    repeated (at most 5 times) until the kept rows stop changing.

    Parameters
    ----------
    n_components : int or None, default=None
        Latent dimension ``q`` (< n_features); None is ``n_features - 1``.
    max_iter : int, default=1000
        EM iterations (per stage when self-paced).
    tol : float, default=1e-6
        Stop when the log-likelihood per observed entry changes by less.
    init : {"pca", "random"}, default="pca"
        Start from PCA of the mean-imputed data, or from random loadings.
    self_paced : bool, default=False
    self_paced_start : float, default=0.5
    self_paced_fraction : float, default=0.9
        Share of rows kept in the last stage (1 - expected share of outliers).
    self_paced_steps : int, default=5
    random_state : int, RandomState or None, default=None
    memory_budget : int, str or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        Orthonormal axes of the loading matrix, by decreasing variance.
    loadings_ : ndarray of shape (n_features, n_components_)
        ``W`` in the basis of ``components_`` (``components_.T * sqrt(explained_variance_ - noise_variance_)``).
    explained_variance_ : ndarray of shape (n_components_,)
        Model variance along each axis (``s_k^2 + sigma^2``).
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Share of the model's total variance.
    noise_variance_ : float
        ``sigma^2``.
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    n_iter_ : int
    converged_ : bool
    log_likelihood_ : float
        Log-likelihood of the observed entries of the training rows (the kept rows when self-paced).
    sample_mask_ : ndarray of shape (n_samples,)
        Rows used in the final fit (all True unless self-paced).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.decomposition import ProbabilisticPCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    >>> X[rng.rand(*X.shape) < 0.2] = np.nan
    >>> ppca = ProbabilisticPCA(n_components=2, random_state=0).fit(X)
    >>> round(ppca.noise_variance_, 3) < 0.02
    True
    >>> bool(np.isfinite(ppca.transform(X)).all())
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"pca", "random"})],
        "self_paced": ["boolean"],
        "self_paced_start": [Interval(Real, 0, 1, closed="right")],
        "self_paced_fraction": [Interval(Real, 0, 1, closed="right")],
        "self_paced_steps": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "memory_budget": MEMORY_BUDGET_CONSTRAINT,
    }

    def __init__(self, n_components=None, *, max_iter=1000, tol=1e-6, init="pca", self_paced=False,
                 self_paced_start=0.5, self_paced_fraction=0.9, self_paced_steps=5,
                 random_state=None, memory_budget=None):
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.self_paced = self_paced
        self.self_paced_start = self_paced_start
        self.self_paced_fraction = self_paced_fraction
        self.self_paced_steps = self_paced_steps
        self.random_state = random_state
        self.memory_budget = memory_budget

    @property
    def _n_features_out(self):
        return self.n_components_

    # ---------------------------------------------------------------- checks
    def _check_self_paced_shares(self):
        # the one check of two parameters together; each alone is a declared constraint
        if self.self_paced:
            a, b = self.self_paced_start, self.self_paced_fraction
            if not (0 < a <= b <= 1):
                raise InputError(
                    "self-paced shares must satisfy 0 < self_paced_start <= self_paced_fraction <= 1, "
                    f"got {a!r} and {b!r}."
                )

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the PPCA model by EM on the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            May contain NaN (missing entries).
        y : ignored

        Returns
        -------
        self
        """
        self._check_self_paced_shares()
        X, _ = validate_input(self, X, reset=True, allow_nan=True, min_samples=2)
        X = np.asarray(to_numpy(X), dtype=np.float64)
        n, d = X.shape
        q = check_n_components(self.n_components, n, d, allow_fraction=False, upper=max(1, d - 1))
        q = max(1, d - 1) if q is None else q
        obs = (~np.isnan(X)).astype(np.float64)
        empty = np.flatnonzero(obs.sum(axis=0) == 0)
        if empty.size:
            names = getattr(self, "feature_names_in_", None)
            cols = [str(names[j]) if names is not None else str(j) for j in empty[:5]]
            raise InputError(f"Column(s) {', '.join(cols)} have no observed value; drop them first.")
        check_memory(6 * nbytes_of((n, d)) + 4 * nbytes_of((n, (q + 1) ** 2)),
                     f"probabilistic PCA on a {n} x {d} matrix", "Fit on a sample of the rows.",
                     self.memory_budget)
        Xz = np.where(obs > 0, X, 0.0)
        mu, W, s2 = self._initialise(Xz, obs, q)
        # a floor on sigma^2 keeps M invertible when the data is exactly low-rank
        s2_floor = 1e-10 * max(float(np.sum(((Xz - mu) * obs) ** 2) / obs.sum()), 1e-300)

        rows = np.ones(n, dtype=bool)
        if self.self_paced:
            total_iter, converged = 0, True
            shares = list(np.linspace(self.self_paced_start, self.self_paced_fraction, self.self_paced_steps))
            # the last share is repeated until the kept rows stop changing
            shares += [self.self_paced_fraction] * 5
            for stage, share in enumerate(shares):
                new_rows = self._easiest_rows(Xz, obs, mu, W, s2, share)
                if stage >= self.self_paced_steps and np.array_equal(new_rows, rows):
                    break
                rows = new_rows
                if self.init == "pca":
                    # restart from PCA of the kept rows: EM's slow linear rate
                    # would otherwise spend most iterations leaving the last stage's optimum
                    mu, W, s2 = self._initialise(Xz[rows], obs[rows], q)
                mu, W, s2, it, converged, ll = self._em(Xz, obs, mu, W, s2, s2_floor, rows)
                total_iter += it
        else:
            mu, W, s2, total_iter, converged, ll = self._em(Xz, obs, mu, W, s2, s2_floor, rows)

        # canonical basis: W = U diag(s) R^T -> keep U diag(s) (the rotation R is not identifiable)
        U, sw, _ = np.linalg.svd(W, full_matrices=False)
        signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
        signs[signs == 0] = 1
        U = U * signs
        self.mean_ = mu
        self.loadings_ = U * sw
        self.noise_variance_ = float(s2)
        self.components_ = U.T.copy()
        self.explained_variance_ = sw ** 2 + s2
        total = float(np.sum(sw ** 2) + d * s2)
        self.explained_variance_ratio_ = self.explained_variance_ / total
        self.n_components_ = int(q)
        self.n_iter_ = int(total_iter)
        self.converged_ = bool(converged)
        self.log_likelihood_ = float(ll)
        self.sample_mask_ = rows
        return self

    def _initialise(self, Xz, obs, q):
        n, d = Xz.shape
        counts = obs.sum(axis=0)
        mu = Xz.sum(axis=0) / counts
        if self.init == "random":
            rng = np.random.RandomState(self.random_state) if not isinstance(
                self.random_state, np.random.RandomState) else self.random_state
            var = np.sum(((Xz - mu) * obs) ** 2) / obs.sum()
            W = rng.normal(size=(d, q)) * np.sqrt(var / q)
            return mu, W, max(var, 1e-12)
        Xc = (Xz - mu) * obs  # mean imputation
        _, s, vt = np.linalg.svd(Xc, full_matrices=False)
        lam = s ** 2 / n
        rest = lam[q:]
        s2 = float(rest.mean()) if rest.size and rest.mean() > 0 else max(float(lam.mean()) * 1e-3, 1e-12)
        W = vt[:q].T * np.sqrt(np.clip(lam[:q] - s2, 1e-12, None))
        return mu, W, s2

    @staticmethod
    def _easiest_rows(Xz, obs, mu, W, s2, share):
        """Hard self-paced weights: rows whose loss is under the age threshold of ``share``."""
        M, _, b, Ez, resid = _posterior(Xz, obs, mu, W, s2)
        loss = -_row_loglik(M, b, Ez, resid, obs, s2, W.shape[1])
        return loss <= np.quantile(loss, share)

    def _em(self, Xz, obs, mu, W, s2, s2_floor, rows):
        """EM on the rows in ``rows`` until the log-likelihood settles."""
        Xz, obs = Xz[rows], obs[rows]
        n, d = Xz.shape
        q = W.shape[1]
        prev = -np.inf
        converged = False
        ll = -np.inf
        it = 0
        n_obs = float(obs.sum())
        ridge = np.eye(q + 1) * 1e-10
        Z1 = np.empty((n, q + 1))
        Z1[:, q] = 1.0
        sq = (Xz * Xz).sum(axis=0)
        for it in range(1, self.max_iter + 1):
            M, Minv, b, Ez, resid = _posterior(Xz, obs, mu, W, s2)
            ll = float(np.sum(_row_loglik(M, b, Ez, resid, obs, s2, q)))
            if abs(ll - prev) <= self.tol * n_obs:
                converged = True
                break
            prev = ll
            # M-step: joint least squares for [w_j; mu_j] per feature over its observed rows
            G = np.empty((n, q + 1, q + 1))
            G[:, :q, :q] = s2 * Minv + Ez[:, :, None] * Ez[:, None, :]
            G[:, :q, q] = Ez
            G[:, q, :q] = Ez
            G[:, q, q] = 1.0
            A = (obs.T @ G.reshape(n, -1)).reshape(d, q + 1, q + 1) + ridge
            Z1[:, :q] = Ez
            B = Xz.T @ Z1  # missing entries are zero in Xz
            theta = np.linalg.solve(A, B[:, :, None])[:, :, 0]
            W, mu = theta[:, :q], theta[:, q]
            err = sq - 2 * np.sum(theta * B, axis=1) + np.einsum("ji,jik,jk->j", theta, A, theta)
            s2 = max(float(err.sum()) / n_obs, s2_floor)
        return mu, W, s2, it, converged, ll

    # -------------------------------------------------------------- inference
    def _prepare(self, X):
        check_is_fitted(self, "components_")
        X, _ = validate_input(self, X, reset=False, allow_nan=True)
        X = np.asarray(to_numpy(X), dtype=np.float64)
        obs = (~np.isnan(X)).astype(np.float64)
        return np.where(obs > 0, X, 0.0), obs

    def transform(self, X):
        """Posterior mean of the latent coordinates given each row's observed entries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            May contain NaN.

        Returns
        -------
        ndarray of shape (n_samples, n_components_)
        """
        Xz, obs = self._prepare(X)
        _, _, _, Ez, _ = _posterior(Xz, obs, self.mean_, self.loadings_, self.noise_variance_)
        return Ez

    def inverse_transform(self, X):
        """Model reconstruction ``W z + mu`` of latent coordinates."""
        check_is_fitted(self, "components_")
        return np.asarray(X, dtype=np.float64) @ self.loadings_.T + self.mean_

    def score_samples(self, X):
        """Log-likelihood of each row's observed entries under the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            May contain NaN (marginalised out).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Xz, obs = self._prepare(X)
        M, _, b, Ez, resid = _posterior(Xz, obs, self.mean_, self.loadings_, self.noise_variance_)
        return _row_loglik(M, b, Ez, resid, obs, self.noise_variance_, self.n_components_)

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))

    def get_covariance(self):
        """Model covariance ``W W^T + sigma^2 I``."""
        check_is_fitted(self, "components_")
        return self.loadings_ @ self.loadings_.T + self.noise_variance_ * np.eye(self.loadings_.shape[0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
