"""Matrix-free eigen and linear solvers for graph rankers, through the array API.

Inf-FS needs ``S 1`` with ``S = (I - c A)^-1`` and, in its 2016 form, the largest
eigenvalue of ``A``; EC-FS needs the leading eigenvector of a kernel. None of
them needs the inverse or a full eigendecomposition: a Lanczos process started
from the all-ones vector gives the largest eigenvalue and, in the same Krylov
basis, the solution of the shifted system (the Krylov space of ``A`` does not
change with the shift ``I - c A``). Every solver here only calls ``matvec``,
so the matrix may be dense, structured, or recomputed block by block.
"""

from __future__ import annotations

import numpy as np

from .._array import get_namespace

__all__ = [
    "Lanczos",
    "MaxKernel",
    "krylov_shifted_solve",
    "largest_eigenvalue",
    "leading_eigenvector",
    "neumann_solve",
]


def _norm(v, xp):
    return float(xp.sqrt(xp.sum(v * v)))


class MaxKernel:
    """The d x d matrix ``M_ij = max(t_i, t_j)`` as an operator, O(d log d) per product.

    ``M @ v = t_i * sum_{t_j <= t_i} v_j + sum_{t_j > t_i} t_j v_j``, from
    prefix sums over the sorted ``t``; the matrix is never formed.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import MaxKernel
    >>> t = np.array([0.5, 2.0, 1.0])
    >>> v = np.array([1.0, -1.0, 3.0])
    >>> MaxKernel(t) @ v
    array([1.5, 6. , 2. ])
    >>> np.maximum.outer(t, t) @ v
    array([1.5, 6. , 2. ])
    """

    def __init__(self, t, *, xp=None):
        self.xp = xp = xp or get_namespace(t)
        self.t = t = xp.asarray(t, dtype=xp.float64)
        self.order = xp.argsort(t, stable=True)
        self.t_sorted = xp.take(t, self.order)
        # number of j with t_j <= t_i (ties included on the "<=" side)
        self.upto = xp.searchsorted(self.t_sorted, t, side="right")
        self.shape = (t.shape[0], t.shape[0])

    def __matmul__(self, v):
        xp = self.xp
        vs = xp.take(v, self.order)
        zero = xp.zeros((1,), dtype=vs.dtype, device=vs.device)
        prefix = xp.concat([zero, xp.cumulative_sum(vs)])  # prefix[k] = sum of first k sorted
        tv = xp.flip(self.t_sorted * vs)
        suffix = xp.concat([xp.flip(xp.cumulative_sum(tv)), zero])  # suffix[k] = sum from k on
        return self.t * xp.take(prefix, self.upto) + xp.take(suffix, self.upto)

    def to_dense(self):
        """The full matrix (for tests and small d)."""
        xp = self.xp
        return xp.maximum(self.t[:, None], self.t[None, :])


class Lanczos:
    """Symmetric Lanczos process with full reorthogonalisation.

    ``step()`` adds one basis vector (one ``matvec``); ``tridiagonal()``
    returns the projected matrix ``T_k`` on the host. ``first_product`` keeps
    ``A q_1`` (with ``q_1 = v0 / ||v0||``), which for ``v0 = 1`` gives the row
    sums of ``A`` without another product.
    """

    def __init__(self, matvec, v0, *, xp=None):
        self.xp = xp = xp or get_namespace(v0)
        self.matvec = matvec
        self.beta0 = _norm(v0, xp)
        if self.beta0 == 0:
            raise ValueError("the Lanczos start vector is zero")
        self.Q = [v0 / self.beta0]
        self.alpha: list[float] = []
        self.beta: list[float] = []
        self.first_product = None
        self.exhausted = False
        self.n_products = 0

    @property
    def size(self) -> int:
        return len(self.alpha)

    def step(self):
        xp = self.xp
        q = self.Q[-1]
        w = self.matvec(q)
        self.n_products += 1
        if self.first_product is None:
            self.first_product = w
        a = float(xp.sum(q * w))
        w = w - a * q
        if self.beta:
            w = w - self.beta[-1] * self.Q[-2]
        Qm = xp.stack(self.Q, axis=0)
        for _ in range(2):  # twice is enough (Kahan / Parlett)
            w = w - xp.permute_dims(Qm, (1, 0)) @ (Qm @ w)
        self.alpha.append(a)
        b = _norm(w, xp)
        scale = max(abs(a), self.beta[-1] if self.beta else 0.0, 1e-300)
        dim = q.shape[0]
        if b <= 1e-13 * scale or len(self.Q) >= dim:
            self.exhausted = True
            self.beta.append(0.0 if b <= 1e-13 * scale else b)
            return
        self.beta.append(b)
        self.Q.append(w / b)

    def tridiagonal(self) -> np.ndarray:
        k = self.size
        T = np.diag(np.asarray(self.alpha, dtype=np.float64))
        if k > 1:
            off = np.asarray(self.beta[: k - 1], dtype=np.float64)
            T += np.diag(off, 1) + np.diag(off, -1)
        return T

    def combine(self, y):
        """``Q_k @ y`` for host coefficients ``y`` of length k."""
        xp = self.xp
        Qm = xp.stack(self.Q[: self.size], axis=0)
        yk = xp.asarray(np.asarray(y, dtype=np.float64), device=Qm.device)
        return xp.permute_dims(Qm, (1, 0)) @ yk


def krylov_shifted_solve(matvec, b, coefficient, *, xp=None, tol=1e-13, max_steps=None):
    """Solve ``(I - c A) x = b`` for symmetric ``A`` by Lanczos (FOM / CG).

    ``coefficient(lanczos)`` returns ``c``; it may depend on what the process
    has learnt so far (the row sums in ``lanczos.first_product``, the Ritz
    values of ``lanczos.tridiagonal()``) and is re-evaluated every step.
    Stops when the residual ``|c beta_k y_k| ||b||`` is below ``tol ||b||`` and
    ``c`` has settled, or when the Krylov space is exhausted (exact answer).

    Returns ``(x, c, lanczos)``.
    """
    xp = xp or get_namespace(b)
    d = b.shape[0]
    max_steps = d if max_steps is None else min(max_steps, d)
    lz = Lanczos(matvec, b, xp=xp)
    c_prev = None
    while True:
        lz.step()
        k = lz.size
        T = lz.tridiagonal()
        c = float(coefficient(lz))
        e1 = np.zeros(k)
        e1[0] = lz.beta0
        y = np.linalg.solve(np.eye(k) - c * T, e1)
        resid = abs(c * lz.beta[-1] * y[-1])
        settled = c_prev is not None and abs(c - c_prev) <= tol * abs(c)
        if lz.exhausted or (resid <= tol * lz.beta0 and settled) or k >= max_steps:
            if not lz.exhausted and k >= max_steps and resid > 1e-8 * lz.beta0:
                raise RuntimeError(
                    f"Lanczos solve did not converge in {k} steps (residual {resid:.2e})."
                )
            return lz.combine(y), c, lz
        c_prev = c


def largest_eigenvalue(matvec, d, *, xp=None, ones_shift=0.0, tol=1e-13, max_steps=None,
                       dtype=None, device=None):
    """Largest (algebraic) eigenvalue of a symmetric operator, by Lanczos.

    ``ones_shift`` adds ``ones_shift * 1 1^T`` to the operator without a
    product (the reference's ``eig(A + eps)``): started from ``1``, the shift
    only changes the first diagonal entry of the tridiagonal matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import largest_eigenvalue
    >>> A = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    >>> bool(abs(largest_eigenvalue(lambda v: A @ v, 3) - (2 + np.sqrt(2))) < 1e-12)
    True
    """
    xp = xp or get_namespace(np.empty(0))
    one = xp.ones((d,), dtype=dtype or xp.float64, device=device)
    max_steps = d if max_steps is None else min(max_steps, d)
    lz = Lanczos(matvec, one, xp=xp)
    prev = None
    while True:
        lz.step()
        T = lz.tridiagonal()
        T[0, 0] += ones_shift * d
        w, V = np.linalg.eigh(T)
        lam = float(w[-1])
        resid = abs(lz.beta[-1] * V[-1, -1])
        if lz.exhausted or lz.size >= max_steps or (
            resid <= tol * max(abs(lam), 1e-300) and prev is not None and abs(lam - prev) <= tol * abs(lam)
        ):
            return lam
        prev = lam


def leading_eigenvector(matvec, d, *, xp=None, tol=1e-12, max_steps=200, max_restarts=50,
                        dtype=None, device=None):
    """Eigenpair of largest magnitude of a symmetric operator (``eigs(K, 1, 'lm')``).

    Restarted Lanczos from the all-ones vector (for a non-negative matrix it is
    never orthogonal to the Perron vector). Returns ``(value, unit vector)``.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.stats import leading_eigenvector
    >>> K = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> lam, v = leading_eigenvector(lambda x: K @ x, 2)
    >>> round(lam, 12), np.round(np.abs(v), 6).tolist()
    (3.0, [0.707107, 0.707107])
    """
    xp = xp or get_namespace(np.empty(0))
    v = xp.ones((d,), dtype=dtype or xp.float64, device=device)
    for _ in range(max_restarts):
        if _norm(v, xp) == 0:
            break
        lz = Lanczos(matvec, v, xp=xp)
        while True:
            lz.step()
            w, V = np.linalg.eigh(lz.tridiagonal())
            j = int(np.argmax(np.abs(w)))
            lam = float(w[j])
            resid = abs(lz.beta[-1] * V[-1, j])
            if lz.exhausted or resid <= tol * max(abs(lam), 1e-300) or lz.size >= min(max_steps, d):
                break
        v = lz.combine(V[:, j])
        v = v / _norm(v, xp)
        if lz.exhausted or resid <= tol * max(abs(lam), 1e-300):
            return lam, v
    raise RuntimeError("leading eigenvector: Lanczos did not converge")


def neumann_solve(matvec, b, c, *, xp=None, tol=1e-15, max_iter=10_000):
    """Solve ``(I - c A) x = b`` by the Neumann series ``x <- b + c A x``.

    Converges when the spectral radius of ``c A`` is below 1; each step gains
    a factor ``||c A||``. For a non-symmetric ``A`` (supervised Inf-FS) where
    ``||c A||_inf`` is of order ``1/d`` this takes a handful of products.
    """
    xp = xp or get_namespace(b)
    x = b
    bn = _norm(b, xp)
    for _ in range(max_iter):
        x_new = b + c * matvec(x)
        change = _norm(x_new - x, xp)
        x = x_new
        if change <= tol * max(bn, _norm(x, xp)):
            return x
    raise RuntimeError("Neumann series did not converge")

