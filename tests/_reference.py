"""Plain NumPy ports of the authors' MATLAB code (InfFS_U.m, InfFS_S.m, InfFS 2016,
ECFS.m, muteinf.m, MATLAB's hist), written as directly as possible: the dense
d x d matrices, the explicit inverse, the full eigendecomposition, loops where
MATLAB loops. The tests check featkit's kernels against them and
benchmarks/graph.py times them, so there is one copy of each port.

Functions that need the mutual information take it as an argument (``mi``):
the tests pass featkit's ``muteinf`` (itself checked against
:func:`muteinf_loops`), the benchmark passes its own vectorised port.
"""

import math
import warnings

import numpy as np
from scipy import stats

EPS = np.finfo(float).eps


def minmax(M):
    """(M - min) / max, undefined entries 0, as the reference's normalisation."""
    with np.errstate(invalid="ignore", divide="ignore"):
        M = M - M.min()
        M = M / M.max()
    return np.nan_to_num(M, nan=0.0, posinf=0.0, neginf=0.0)


def sigma_term(X):
    """max(std_i, std_j), min-max scaled."""
    s = X.std(0, ddof=1)
    return minmax(np.maximum.outer(s, s))


def one_minus_abs_spearman(X):
    """1 - |corr(X, 'Spearman')|, undefined (constant-column) entries of rho 0."""
    # Spearman = Pearson of average ranks (scipy.stats.spearmanr returns one NaN
    # for the whole matrix when a column is constant, so it is spelt out here)
    ranks = stats.rankdata(X, axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        rho = np.corrcoef(ranks, rowvar=False)
    rho = np.nan_to_num(np.atleast_2d(rho), nan=0.0)
    return 1 - np.abs(rho)


def fisher(X, y):
    """Binary Fisher ratio of the reference, a zero denominator replaced by 10000."""
    pos, neg = X[y == 1], X[y == 0]
    num = (pos.mean(0) - neg.mean(0)) ** 2
    den = pos.std(0, ddof=1) ** 2 + neg.std(0, ddof=1) ** 2
    den[den == 0] = 10000
    return num / den


def matlab_hist(t, x):
    """MATLAB ``hist(t, x)`` counts, as a loop: floor(x) bins of width range / x,
    closed on the right, the last edge the maximum."""
    nb = int(math.floor(x))
    lo, hi = t.min(), t.max()
    if lo == hi:
        lo, hi = lo - math.floor(x / 2) - 0.5, hi + math.ceil(x / 2) - 0.5
    w = (hi - lo) / x
    edges = lo + w * np.arange(nb + 1)
    edges[-1] = hi
    counts = np.zeros(nb)
    for v in t:
        k = 0
        while k < nb - 1 and v > edges[k + 1]:
            k += 1
        counts[k] += 1
    return counts


def joint_loops(a, nb, rows_of):
    """muteinf.m's joint counts: xl accumulated one width at a time, [xl, xl + rx)."""
    rx = abs(a.max() - a.min()) / nb
    p = np.zeros((len(rows_of), nb))
    for i, row_mask in enumerate(rows_of):
        xl = a.min()
        for j in range(nb):
            inside = (xl <= a) & row_mask
            if j < nb - 1:
                inside &= a < xl + rx
            p[i, j] = inside.sum() or 1e-5
            xl = xl + rx
    return p


def muteinf_loops(a, y, regression=False):
    """muteinf.m for one column: 2 I(A; Y) / (H(A) + H(Y)) from the loops above."""
    n = a.shape[0]
    nb = 20 if n / 10 > 20 else max(n // 10, 10)
    pA = matlab_hist(a, nb) / n
    pA[pA == 0] = 1e-5
    if regression:
        pY = matlab_hist(y, nb) / n
        pY[pY == 0] = 1e-5
        rx = abs(y.max() - y.min()) / nb
        rows, yl = [], y.min()
        for i in range(nb):
            m = yl <= y
            if i < nb - 1:
                m &= y < yl + rx
            rows.append(m)
            yl = yl + rx
    else:
        classes = np.unique(y)
        pY = np.array([(y == c).sum() for c in classes]) / n
        rows = [y == c for c in classes]
    p = joint_loops(a, nb, rows) / n
    HA = -np.sum(pA * np.log(pA))
    HY = -np.sum(pY * np.log(pY))
    info = np.sum(p * np.log(p / (np.tile(pA, (len(rows), 1)) * pY[:, None])))
    return 2 * info / (HA + HY)


def inffs_core_2020(A, cut=True):
    """The 2020 solver: weights ``inv(I - r A) 1`` and (``cut=True``) the
    reference's subset size from ``hist(S 1, 0.5 d)``; returns ``(w, size)``."""
    d = A.shape[0]
    e = 5e-6 * d
    rho = A.sum(1).max()
    A = A / (rho + e)
    r = (1 - e) / rho
    S = np.linalg.inv(np.eye(d) - r * A)
    w = S.sum(1)
    if not cut:
        return w, None
    counts = matlab_hist(S @ np.ones(d), 0.5 * d)
    return w, max(1, int(np.sum(counts > counts.mean())))


def inffs_u(X, alpha=0.5, cut=True):
    """InfFS_U.m: variance and 1 - |Spearman| edges."""
    return inffs_core_2020(alpha * sigma_term(X) + (1 - alpha) * one_minus_abs_spearman(X), cut)


def inffs_s_graph(X, y, mi, alpha=(1 / 3, 1 / 3, 1 / 3), fisher_ratio=None):
    """InfFS_S.m's graph: mutual information ``mi``, Fisher ratio (the binary one
    unless ``fisher_ratio`` is given) and variance, repmat'ed."""
    d = X.shape[1]
    mi = minmax(np.nan_to_num(mi, nan=0.0, posinf=0.0))
    fi = fisher(X, y) if fisher_ratio is None else fisher_ratio
    fi = minmax(np.nan_to_num(fi, nan=0.0, posinf=0.0))
    SD = sigma_term(X)
    MI = np.tile(mi, (d, 1))
    FI = np.tile(fi, (d, 1))
    return alpha[0] * (MI + FI.T) / 2 + alpha[1] * (MI + SD.T) / 2 + alpha[2] * (SD + FI.T) / 2


def inffs_s(X, y, mi, alpha=(1 / 3, 1 / 3, 1 / 3), cut=True, fisher_ratio=None):
    """InfFS_S.m: the 2020 solver on :func:`inffs_s_graph`."""
    return inffs_core_2020(inffs_s_graph(X, y, mi, alpha, fisher_ratio), cut)


def inffs_2016(X, y=None, alpha=0.5):
    """Inf-FS 2016: ``inv(I - rA) - I`` with r = 0.99 / the largest eigenvalue."""
    d = X.shape[1]
    if y is None:
        C = one_minus_abs_spearman(X)
    else:
        f = fisher(X, y)
        C = minmax(np.outer(f, f))
    A = alpha * C + (1 - alpha) * sigma_term(X)
    r = 0.99 / np.max(np.linalg.eigvals(A + EPS).real)
    S = np.linalg.inv(np.eye(d) - r * A) - np.eye(d)
    return S.sum(1)


def ecfs_kernel(X, y, mi, alpha=0.5, fisher_ratio=None):
    """ECFS.m's kernel: ``alpha minmax(v v') + (1 - alpha) sigma`` with ``v = |fisher + mi| / 2``."""
    fi = fisher(X, y) if fisher_ratio is None else fisher_ratio
    v = np.abs(fi + mi) / 2
    return alpha * minmax(np.outer(v, v)) + (1 - alpha) * sigma_term(X)


def ecfs(X, y, mi, alpha=0.5, fisher_ratio=None):
    """ECFS.m with a full symmetric eigendecomposition instead of eigs:
    ``(|leading eigenvector|, its eigenvalue)``."""
    w, V = np.linalg.eigh(ecfs_kernel(X, y, mi, alpha, fisher_ratio))
    top = np.argmax(np.abs(w))
    return np.abs(V[:, top]), w[top]
